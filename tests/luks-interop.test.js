// LUKS against the real peers: qemu-img (LUKS1 both ways, amend) and cryptsetup (LUKS1/LUKS2
// made by luksFormat open with ours; ours pass --test-passphrase; data we write decrypts with
// the volume key cryptsetup dumps, using node:crypto directly as an independent reference).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { qcryptoInitNode } from '../dist/host/node/crypto-node.js';
import { qcryptoSecretAddOpts } from '../dist/crypto/secret.js';
import { openDrive, createContext, blockInit } from '../dist/host/node/block.js';
import { bdrvCrypto } from '../dist/block/crypto.js';
import { bdrvOpen, defaultOpenFlags } from '../dist/block/block.js';
import { runReal } from './helpers/qemu-img.js';

qcryptoInitNode();
blockInit();
qcryptoSecretAddOpts('secret,id=sec0,data=abc');
qcryptoSecretAddOpts('secret,id=sec1,data=second pass');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-luks-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const have = (cmd) => !spawnSync(cmd, ['--version']).error;
const HAVE_QEMU_IMG = have('qemu-img');
const HAVE_CRYPTSETUP = have('cryptsetup');
const warn = () => {};

function must(cmd, args, input) {
  const r = runReal(cmd, args, { input });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const pattern = (n, seed) => new Uint8Array(n).map((_, i) => (i * 31 + seed + (i >> 9)) & 255);
const file = (name) => path.join(dir, name);

async function ourCreate(name, size, opts) {
  await bdrvCrypto.create(createContext(file(name), size, new Map(Object.entries(opts)), warn));
}
async function ourOpen(name, secret) {
  return openDrive(new Map([['file', file(name)], ['format', 'luks'], ['key-secret', secret]]));
}
async function ourWrite(name, secret, offset, data) {
  const blk = await ourOpen(name, secret);
  await blk.pwrite(offset, data);
  await blk.close();
}
async function ourRead(name, secret, offset, len) {
  const blk = await ourOpen(name, secret);
  const buf = new Uint8Array(len);
  await blk.pread(offset, buf);
  await blk.close();
  return buf;
}
/** Guest bytes of a LUKS1 image as real qemu-img sees them. */
function qemuRead(name, secretData) {
  const out = file(`${name}.raw`);
  must('qemu-img', ['convert', '--object', `secret,id=s,data=${secretData}`, '--image-opts',
    `driver=luks,file.filename=${file(name)},key-secret=s`, '-O', 'raw', out]);
  return new Uint8Array(fs.readFileSync(out));
}
/** Write a raw file's bytes into a LUKS1 image with real qemu-img. */
function qemuWrite(name, secretData, data) {
  const src = file(`${name}.src`);
  fs.writeFileSync(src, data);
  must('qemu-img', ['convert', '-n', '--object', `secret,id=s,data=${secretData}`, '-f', 'raw', src,
    '--target-image-opts', `driver=luks,file.filename=${file(name)},key-secret=s`]);
}
function volumeKey(name, pass) {
  const out = must('cryptsetup', ['luksDump', '--dump-volume-key', '-q', '--key-file', '-', file(name)], pass);
  const m = /MK dump:\s*([0-9a-f\s]+)/.exec(out);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'hex');
}
function testPassphrase(name, pass) {
  return runReal('cryptsetup', ['open', '--test-passphrase', '--key-file', '-', file(name)], { input: pass }).status;
}
/** Independent aes-xts-plain64 over `sectorSize` sectors (IV = sector index, as dm-crypt's iv_large_sectors). */
function xts(encrypt, key, sectorSize, firstSector, data) {
  const out = Buffer.alloc(data.length);
  for (let off = 0; off < data.length; off += sectorSize) {
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64LE(BigInt(firstSector + off / sectorSize));
    const c = encrypt ? crypto.createCipheriv('aes-256-xts', key, iv) : crypto.createDecipheriv('aes-256-xts', key, iv);
    c.update(data.subarray(off, off + sectorSize)).copy(out, off);
  }
  return new Uint8Array(out);
}

test('qemu-img LUKS1 -> ours: open, read what qemu-img wrote; ours writes, qemu-img reads', { skip: !HAVE_QEMU_IMG }, async () => {
  must('qemu-img', ['create', '-f', 'luks', '--object', 'secret,id=s,data=abc', '-o', 'key-secret=s,iter-time=10', file('q.luks'), '2M']);
  const a = pattern(2 << 20, 1);
  qemuWrite('q.luks', 'abc', a);
  assert.deepEqual(await ourRead('q.luks', 'sec0', 0, a.length), a);
  const b = pattern(64 * 1024, 9);
  await ourWrite('q.luks', 'sec0', 512 * 1001, b);
  a.set(b, 512 * 1001);
  assert.deepEqual(qemuRead('q.luks', 'abc'), a);
});

for (const [label, opts] of [
  ['aes-256-xts-plain64/sha256', {}],
  ['aes-128-cbc-essiv:sha256/sha1', { 'cipher-alg': 'aes-128', 'cipher-mode': 'cbc', 'ivgen-alg': 'essiv', 'hash-alg': 'sha1' }],
  ['aes-256-cbc-plain/sha512', { 'cipher-alg': 'aes-256', 'cipher-mode': 'cbc', 'ivgen-alg': 'plain', 'hash-alg': 'sha512' }],
]) {
  test(`ours LUKS1 ${label} -> qemu-img and cryptsetup`, { skip: !HAVE_QEMU_IMG }, async () => {
    const name = `o1-${label.replace(/[^a-z0-9]/g, '')}.luks`;
    await ourCreate(name, 1 << 20, { 'key-secret': 'sec0', 'iter-time': '10', ...opts });
    const a = pattern(1 << 20, 3);
    await ourWrite(name, 'sec0', 0, a);
    assert.deepEqual(qemuRead(name, 'abc'), a);
    const b = pattern(1 << 20, 77);
    qemuWrite(name, 'abc', b);
    assert.deepEqual(await ourRead(name, 'sec0', 0, b.length), b);
    if (HAVE_CRYPTSETUP) {
      assert.equal(testPassphrase(name, 'abc'), 0);
      assert.notEqual(testPassphrase(name, 'abd'), 0);
    }
  });
}

test('cryptsetup LUKS1 -> ours: data matches the dumped volume key', { skip: !HAVE_CRYPTSETUP }, async () => {
  fs.writeFileSync(file('c1.luks'), Buffer.alloc(4 << 20));
  must('cryptsetup', ['luksFormat', '--type', 'luks1', '-q', '--key-file', '-', '--iter-time', '10', file('c1.luks')], 'abc');
  const a = pattern(8192, 5);
  await ourWrite('c1.luks', 'sec0', 4096, a);
  const key = volumeKey('c1.luks', 'abc');
  const payload = 2 << 20; // cryptsetup's LUKS1 default: 4096 sectors
  const raw = fs.readFileSync(file('c1.luks')).subarray(payload + 4096, payload + 4096 + a.length);
  assert.deepEqual(xts(false, key, 512, 8, raw), a);
});

test('cryptsetup LUKS2 (argon2id, 4 KiB sectors) -> ours: open, both directions against the volume key', { skip: !HAVE_CRYPTSETUP }, async () => {
  fs.writeFileSync(file('c2.luks'), Buffer.alloc(20 << 20));
  must('cryptsetup', ['luksFormat', '--type', 'luks2', '-q', '--key-file', '-', '--pbkdf', 'argon2id', '--pbkdf-memory', '1024',
    '--pbkdf-force-iterations', '4', '--sector-size', '4096', file('c2.luks')], 'abc');
  const key = volumeKey('c2.luks', 'abc');
  const payload = 16 << 20;
  const a = pattern(3 * 4096, 11);
  await ourWrite('c2.luks', 'sec0', 2 * 4096, a);
  const img = fs.readFileSync(file('c2.luks'));
  assert.deepEqual(xts(false, key, 4096, 2, img.subarray(payload + 2 * 4096, payload + 5 * 4096)), a);
  // The other way: sectors encrypted independently read back as plaintext through ours.
  const b = pattern(4096, 200);
  const fd = fs.openSync(file('c2.luks'), 'r+');
  fs.writeSync(fd, xts(true, key, 4096, 7, b), 0, 4096, payload + 7 * 4096);
  fs.closeSync(fd);
  assert.deepEqual(await ourRead('c2.luks', 'sec0', 7 * 4096, 4096), b);
  await assert.rejects(ourOpen('c2.luks', 'sec1'), /Invalid password, cannot unlock any keyslot/);
});

test('ours LUKS2 -> cryptsetup: luksDump, --test-passphrase, volume key decrypts our data', { skip: !HAVE_CRYPTSETUP }, async () => {
  await ourCreate('o2.luks', 1 << 20, { 'key-secret': 'sec0', 'luks-version': '2', 'iter-time': '20', 'pbkdf-memory': '1024', 'pbkdf-parallel': '2' });
  const dump = must('cryptsetup', ['luksDump', file('o2.luks')]);
  assert.match(dump, /Version:\s+2/);
  assert.match(dump, /PBKDF:\s+argon2id/);
  assert.match(dump, /sector: 4096 \[bytes\]/);
  assert.equal(testPassphrase('o2.luks', 'abc'), 0);
  assert.notEqual(testPassphrase('o2.luks', 'abd'), 0);
  const a = pattern(5 * 4096, 21);
  await ourWrite('o2.luks', 'sec0', 4096, a);
  const key = volumeKey('o2.luks', 'abc');
  const payload = Number(/offset: (\d+) \[bytes\]/.exec(dump)[1]);
  const img = fs.readFileSync(file('o2.luks'));
  assert.deepEqual(xts(false, key, 4096, 1, img.subarray(payload + 4096, payload + 6 * 4096)), a);
  assert.deepEqual(await ourRead('o2.luks', 'sec0', 4096, a.length), a);
});

async function amend(name, secret, opts) {
  const bs = await bdrvOpen(new Map([['driver', 'luks'], ['file', file(name)], ['key-secret', secret]]), defaultOpenFlags(), { warn });
  try { await bs.amend(new Map(Object.entries(opts))); } finally { await bs.close(); }
}

for (const version of ['1', '2']) {
  test(`amend LUKS${version}: add and erase keyslots, checked by cryptsetup`, { skip: !HAVE_CRYPTSETUP }, async () => {
    const name = `am${version}.luks`;
    const extra = version === '2' ? { 'pbkdf-memory': '1024', 'pbkdf-parallel': '1' } : {};
    await ourCreate(name, 1 << 20, { 'key-secret': 'sec0', 'luks-version': version, 'iter-time': '10', ...extra });
    const data = pattern(4096, 99);
    await ourWrite(name, 'sec0', 0, data);
    await amend(name, 'sec0', { state: 'active', 'new-secret': 'sec1', 'iter-time': '10' });
    assert.equal(testPassphrase(name, 'second pass'), 0);
    assert.equal(testPassphrase(name, 'abc'), 0);
    await assert.rejects(amend(name, 'sec0', { state: 'active', 'new-secret': 'sec1', keyslot: '0' }), /Refusing to overwrite active keyslot 0/);
    await amend(name, 'sec1', { state: 'inactive', 'old-secret': 'sec0' });
    assert.notEqual(testPassphrase(name, 'abc'), 0);
    assert.equal(testPassphrase(name, 'second pass'), 0);
    await assert.rejects(ourOpen(name, 'sec0'), /Invalid password, cannot unlock any keyslot/);
    assert.deepEqual(await ourRead(name, 'sec1', 0, 4096), data);
    await assert.rejects(amend(name, 'sec1', { state: 'inactive', keyslot: '1' }), /only active keyslot 1 .* refusing operation/);
    await assert.rejects(amend(name, 'sec1', { state: 'inactive', keyslot: '0' }), /Given keyslot 0 is already erased/);
    await assert.rejects(amend(name, 'sec1', { state: 'inactive', keyslot: '40' }), /Invalid keyslot 40 specified/);
  });
}

test('qemu-img amend adds a keyslot to our LUKS1 volume; ours opens with it', { skip: !HAVE_QEMU_IMG }, async () => {
  await ourCreate('qa.luks', 1 << 20, { 'key-secret': 'sec0', 'iter-time': '10' });
  const data = pattern(4096, 42);
  await ourWrite('qa.luks', 'sec0', 8192, data);
  must('qemu-img', ['amend', '--object', 'secret,id=s0,data=abc', '--object', 'secret,id=s1,data=second pass',
    '--image-opts', `driver=luks,file.filename=${file('qa.luks')},key-secret=s0`, '-o', 'state=active,new-secret=s1,iter-time=10']);
  assert.deepEqual(await ourRead('qa.luks', 'sec1', 8192, 4096), data);
});
