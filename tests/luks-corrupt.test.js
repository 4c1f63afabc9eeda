// Corrupt and hostile LUKS headers: each gets one clear QemuError line, never a crash, and the
// image file is left byte-for-byte unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { qcryptoInitNode } from '../dist/host/node/crypto-node.js';
import { qcryptoSecretAddOpts } from '../dist/crypto/secret.js';
import { openDrive, createContext, blockInit } from '../dist/host/node/block.js';
import { bdrvCrypto } from '../dist/block/crypto.js';

qcryptoInitNode();
blockInit();
qcryptoSecretAddOpts('secret,id=good,data=abc');
qcryptoSecretAddOpts('secret,id=bad,data=abd');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-luksbad-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const warn = () => {};
const sha = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

async function create(name, opts) {
  const f = path.join(dir, name);
  await bdrvCrypto.create(createContext(f, 1 << 20, new Map(Object.entries({ 'key-secret': 'good', 'iter-time': '5', ...opts })), warn));
  const blk = await openDrive(new Map([['file', f], ['format', 'luks'], ['key-secret', 'good']]));
  await blk.pwrite(0, new Uint8Array(8192).fill(0x5a));
  await blk.close();
  return new Uint8Array(fs.readFileSync(f));
}

async function expectError(name, bytes, re, secret = 'good') {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  const before = sha(f);
  await assert.rejects(openDrive(new Map([['file', f], ['format', 'luks'], ['key-secret', secret]])), (e) => {
    assert.equal(e.name, 'QemuError', `${name}: ${e.stack}`);
    assert.match(e.message, re, name);
    assert.ok(!e.message.includes('\n'), `${name}: one line`);
    return true;
  });
  assert.equal(sha(f), before, `${name}: file unchanged`);
}

const be32 = (b, off, v) => new DataView(b.buffer, b.byteOffset).setUint32(off, v);

test('LUKS1 corrupt header corpus', async () => {
  const good = await create('base1.luks', {});
  const mod = (fn) => { const b = good.slice(); fn(b); return b; };
  const cases = [
    ['truncated', good.slice(0, 300), /LUKS header is truncated/],
    ['truncated-keyslots', good.slice(0, 8192), /past the end of the image/],
    ['bad-magic', mod((b) => { b[0] = 0x4d; }), /Volume is not in LUKS format/],
    ['bad-version', mod((b) => { b[7] = 3; }), /LUKS version 3 is not supported/],
    ['stripes-0', mod((b) => be32(b, 208 + 44, 0)), /Keyslot 0 is corrupted \(stripes 0 != 4000\)/],
    ['stripes-huge', mod((b) => be32(b, 208 + 48 + 44, 0xffffffff)), /Keyslot 1 is corrupted \(stripes 4294967295 != 4000\)/],
    ['slot-state', mod((b) => be32(b, 208 + 48, 0x12345678)), /Keyslot 1 state 0x12345678 is corrupt/],
    ['slot-past-end', mod((b) => { be32(b, 104, 0xffffffff); be32(b, 208 + 40, 0x01000000); }), /past the end of the image/],
    ['slot-in-header', mod((b) => be32(b, 208 + 40, 0)), /Keyslot 0 is overlapping with the LUKS header/],
    ['slot-overlap', mod((b) => be32(b, 208 + 48 + 40, new DataView(b.buffer).getUint32(208 + 40))), /Keyslot 0 is overlapping with keyslot 1/],
    ['slot-over-payload', mod((b) => be32(b, 104, 16)), /overlapping with the encrypted payload/],
    ['cipher', mod((b) => b.set(new TextEncoder().encode('serpent\0'), 8)), /Unsupported LUKS cipher algorithm 'serpent'/],
    ['mode', mod((b) => b.set(new TextEncoder().encode('xts-benbi\0'), 40)), /Unsupported LUKS IV generator 'benbi'/],
    ['key-bytes', mod((b) => be32(b, 108, 0x10000)), /LUKS key size 65536 bytes is out of range/],
    ['key-bytes-odd', mod((b) => be32(b, 108, 40)), /LUKS key size 40 bytes is invalid/],
    ['hash', mod((b) => b.set(new TextEncoder().encode('md4\0'), 72)), /Unsupported LUKS hash 'md4'/],
    ['unterminated', mod((b) => b.fill(0x61, 72, 104)), /field 'hash spec' is not NUL-terminated/],
    ['mk-iter-0', mod((b) => be32(b, 164, 0)), /digest iteration count is zero/],
    ['slot-iter-0', mod((b) => be32(b, 208 + 4, 0)), /Keyslot 0 iteration count is zero/],
    ['digest', mod((b) => { b[112] ^= 1; }), /Invalid password, cannot unlock any keyslot/],
  ];
  for (const [name, bytes, re] of cases) await expectError(`l1-${name}`, bytes, re);
  await expectError('l1-wrong-pass', good, /^Invalid password, cannot unlock any keyslot$/, 'bad');
});

/** Rewrite one LUKS2 header copy's JSON and fix its checksum (a well-formed but hostile header). */
function setJson(b, at, edit) {
  const hdrSize = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(at + 8));
  const area = b.subarray(at + 4096, at + hdrSize);
  const text = new TextDecoder().decode(area.subarray(0, area.indexOf(0)));
  const out = new TextEncoder().encode(edit(text));
  area.fill(0);
  area.set(out);
  b.fill(0, at + 448, at + 512);
  b.set(crypto.createHash('sha256').update(b.subarray(at, at + hdrSize)).digest(), at + 448);
}
const both = (b, edit) => { setJson(b, 0, edit); setJson(b, 16384, edit); };

test('LUKS2 corrupt header corpus', async () => {
  const good = await create('base2.luks', { 'luks-version': '2', pbkdf: 'pbkdf2' });
  const mod = (fn) => { const b = good.slice(); fn(b); return b; };
  const json = (edit) => mod((b) => both(b, edit));
  const cases = [
    ['truncated', good.slice(0, 2000), /LUKS header .*past the end of the image/],
    ['bad-json', json((t) => t.slice(0, -1)), /LUKS2 header is corrupt: JSON metadata does not parse/],
    ['not-object', json(() => '[1,2]'), /JSON metadata is not an object/],
    ['checksum', mod((b) => { b[4096 + 10] ^= 1; b[16384 + 4096 + 10] ^= 1; }), /LUKS2 header checksum mismatch/],
    ['hdr-size', mod((b) => { b[15] = 0x01; b[16384 + 15] = 0x01; }), /LUKS2 header size \d+ is invalid/],
    ['stripes-0', json((t) => t.replace('"stripes":4000', '"stripes":0')), /keyslot 0 stripes 0 != 4000/],
    ['stripes-huge', json((t) => t.replace('"stripes":4000', '"stripes":99999999999')), /keyslot 0 af stripes is out of range/],
    ['area-past-end', json((t) => t.replace(/"offset":"32768"/, '"offset":"9000000000000"')), /keyslot 0 area is outside the keyslots area/],
    ['area-number', json((t) => t.replace(/"offset":"32768"/, '"offset":"-1"')), /keyslot 0 area offset '-1' is not a valid number/],
    ['segment-type', json((t) => t.replace('"type":"crypt"', '"type":"linear"')), /Unsupported LUKS2 segment type 'linear'/],
    ['sector-size', json((t) => t.replace('"sector_size":4096', '"sector_size":3000')), /sector_size is out of range|not a power of two/],
    ['kdf', json((t) => t.replace('"type":"pbkdf2","hash"', '"type":"scrypt","hash"')), /Unsupported LUKS2 KDF 'scrypt'/],
    ['requirements', json((t) => t.replace('"config":{', '"config":{"requirements":{"mandatory":["online-reencrypt"]},')), /unmet requirements: online-reencrypt/],
    ['encryption', json((t) => t.replaceAll('aes-xts-plain64', 'twofish-xts-plain64')), /Unsupported LUKS cipher algorithm 'twofish'/],
    ['salt', json((t) => t.replace(/"salt":"[^"]*"/, '"salt":"***"')), /Base64 .*salt is invalid/],
  ];
  for (const [name, bytes, re] of cases) await expectError(`l2-${name}`, bytes, re);
  await expectError('l2-wrong-pass', good, /^Invalid password, cannot unlock any keyslot$/, 'bad');
});

test('LUKS2: a damaged primary header falls back to the secondary copy, read-only', async () => {
  const good = await create('base2b.luks', { 'luks-version': '2', pbkdf: 'pbkdf2' });
  const b = good.slice();
  b[4096 + 10] ^= 1;
  const f = path.join(dir, 'l2-primary-bad.luks');
  fs.writeFileSync(f, b);
  const before = sha(f);
  const blk = await openDrive(new Map([['file', f], ['format', 'luks'], ['key-secret', 'good'], ['read-only', 'on']]));
  const buf = new Uint8Array(8192);
  await blk.pread(0, buf);
  await blk.close();
  assert.ok(buf.every((x) => x === 0x5a));
  assert.equal(sha(f), before);
});
