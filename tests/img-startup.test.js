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
