// tsqemu-img's start-up (issue 18): bin/tsqemu-img runs the CommonJS entry dist/cli/img.cjs,
// which runs the command line (img-main.cjs) from a V8 code cache kept on disk. The first
// process makes the entry, the next use it, a damaged one is ignored and made again; the
// images written either way pass real qemu-img check and compare equal to the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundled = fs.existsSync(path.join(root, 'dist/cli/img-main.cjs')) && fs.existsSync(path.join(root, 'dist/cli/img.cjs')) ? false : 'no bundle (npm run build)';
const noQemuImg = spawnSync('sh', ['-c', 'command -v qemu-img']).status === 0 ? false : 'qemu-img missing';

test('tsqemu-img makes, uses and remakes its code cache; its output is what qemu-img accepts', { skip: bundled || noQemuImg }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-img-cc-'));
  try {
    const cacheDir = path.join(tmp, 'cache');
    const raw = path.join(tmp, 'a.raw');
    const data = Buffer.alloc(3 << 20);
    for (let i = 0; i < data.length; i += 65536) data.write(`block ${i}`, i + (i % 4096));
    fs.writeFileSync(raw, data);
    const run = (expect, out) => {
      const r = spawnSync(path.join(root, 'bin/tsqemu-img'), ['convert', '-f', 'raw', '-O', 'qcow2', raw, out],
        { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: cacheDir } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`^main code cache ${expect}$`, 'm'));
      const c = spawnSync('qemu-img', ['check', out], { encoding: 'utf8' });
      assert.equal(c.status, 0, c.stdout + c.stderr);
      const cmp = spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, out], { encoding: 'utf8' });
      assert.equal(cmp.status, 0, cmp.stdout + cmp.stderr);
    };
    run('none', path.join(tmp, 'b1.qcow2'));
    const entries = fs.readdirSync(cacheDir).filter((f) => f.startsWith('v8-img-main-'));
    assert.equal(entries.length, 1, `one entry: ${entries}`);
    run('disk', path.join(tmp, 'b2.qcow2'));
    const f = path.join(cacheDir, entries[0]);
    const whole = fs.readFileSync(f);
    const bad = Buffer.from(whole);
    bad[bad.length >> 1] ^= 0x40;
    fs.writeFileSync(f, bad);
    run('none', path.join(tmp, 'b3.qcow2')); // damaged: ignored, made again
    run('disk', path.join(tmp, 'b4.qcow2'));
    const off = spawnSync(path.join(root, 'bin/tsqemu-img'), ['--version'], { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: 'off' } });
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stdout, /^tsqemu-img version /);
    assert.match(off.stderr, /^main code cache off$/m);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('tsqemu-img errors keep their wording and exit status through the entry', { skip: bundled }, () => {
  const r = spawnSync(path.join(root, 'bin/tsqemu-img'), ['nosuchcmd'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'tsqemu-img: Command not found: nosuchcmd\n');
  const n = spawnSync(path.join(root, 'bin/tsqemu-img'), ['info', path.join(os.tmpdir(), `none-${process.pid}.qcow2`)], { encoding: 'utf8' });
  assert.equal(n.status, 1);
  assert.match(n.stderr, /^tsqemu-img: Could not open '.*none-\d+\.qcow2': No such file or directory\n$/);
});

// hash-wasm (argon2) stays out of img-main.cjs (scripts/build-bundle.js SCRIPT_LAZY_PACKAGES):
// a LUKS2 argon2id image made by tsqemu-img must still open, with cryptsetup as the peer.
const noCryptsetup = spawnSync('sh', ['-c', 'command -v cryptsetup']).status === 0 ? false : 'cryptsetup missing';
test('tsqemu-img creates a LUKS2 argon2id image cryptsetup opens, and reads it back', { skip: bundled || noCryptsetup }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-img-a2-'));
  try {
    const img = path.join(tmp, 'l2.img');
    const env = { ...process.env, TSQEMU_CACHE_DIR: path.join(tmp, 'cache') };
    const c = spawnSync(path.join(root, 'bin/tsqemu-img'), ['create', '-q', '-f', 'luks', '--object', 'secret,id=s0,data=pw',
      '-o', 'key-secret=s0,luks-version=2,pbkdf=argon2id,pbkdf-memory=1024,pbkdf-parallel=1,iter-time=10', img, '1M'], { encoding: 'utf8', env });
    assert.equal(c.status, 0, c.stderr);
    const dump = spawnSync('cryptsetup', ['luksDump', img], { encoding: 'utf8' });
    assert.match(dump.stdout, /PBKDF:\s+argon2id/);
    const ok = spawnSync('cryptsetup', ['luksOpen', '--test-passphrase', '--key-file', '-', img], { input: 'pw' });
    assert.equal(ok.status, 0, String(ok.stderr));
    const bad = spawnSync('cryptsetup', ['luksOpen', '--test-passphrase', '--key-file', '-', img], { input: 'no' });
    assert.notEqual(bad.status, 0);
    const opts = `driver=luks,key-secret=s0,file.filename=${img}`;
    const r = spawnSync(path.join(root, 'bin/tsqemu-img'), ['compare', '--object', 'secret,id=s0,data=pw', '--image-opts', opts, opts], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Images are identical.\n');
    const w = spawnSync(path.join(root, 'bin/tsqemu-img'), ['info', '--object', 'secret,id=s0,data=wrong', '--image-opts', opts], { encoding: 'utf8', env });
    assert.equal(w.status, 1);
    assert.match(w.stderr, /Invalid password|password/i);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
