// A vector program in user mode (tests/linux-user/rvv.c: memcpy, dot products, strlen with
// fault-only-first up to an unmapped page, segment load, gather, saturation, compress; and
// rvv-estimate.c: vfrec7/vfrsqrt7 edge cases) prints
// the same under tsqemu-riscv64 and qemu-riscv64 with -cpu rv64,v=true at VLEN 128 and 256,
// with the block compiler off and on; without v=true its first vector instruction is SIGILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSQEMU = path.join(root, 'dist', 'cli', 'riscv64.js');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = !have('riscv64-linux-gnu-gcc') || !have('qemu-riscv64') ? 'riscv64 gcc or qemu-riscv64 missing' : false;

test('rvv.c: tsqemu-riscv64 prints what qemu-riscv64 prints', { skip }, (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsqemu-rvv-user-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const prog = path.join(dir, 'rvv');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, path.join(root, 'tests', 'linux-user', 'rvv.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  for (const vlen of [128, 256]) {
    const want = spawnSync('qemu-riscv64', ['-cpu', `rv64,v=true,vlen=${vlen},vext_spec=v1.0`, prog], { encoding: 'utf8' });
    assert.equal(want.status, 0, want.stderr);
    assert.match(want.stdout, new RegExp(`vlenb ${vlen / 8}\\n$`));
    for (const tcg of ['off', 'on']) {
      const env = { ...process.env, TSQEMU_TCG: tcg, ...(tcg === 'on' ? { TSQEMU_TCG_THRESHOLD: '1' } : {}) };
      const got = spawnSync(process.execPath, [TSQEMU, '-cpu', `rv64,v=true,vlen=${vlen}`, prog], { encoding: 'utf8', env });
      assert.equal(got.stdout, want.stdout, `vlen ${vlen}, compiler ${tcg}: ${got.stderr}`);
      assert.equal(got.status, 0);
    }
  }
  // vfrec7/vfrsqrt7 edge cases in every rounding mode.
  const est = path.join(dir, 'rvv-estimate');
  const be = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', est, path.join(root, 'tests', 'linux-user', 'rvv-estimate.c')], { encoding: 'utf8' });
  assert.equal(be.status, 0, be.stderr);
  const ew = spawnSync('qemu-riscv64', ['-cpu', 'rv64,v=true,vext_spec=v1.0', est], { encoding: 'utf8' });
  const eg = spawnSync(process.execPath, [TSQEMU, '-cpu', 'rv64,v=true', est], { encoding: 'utf8' });
  assert.equal(ew.status, 0);
  assert.equal(eg.stdout, ew.stdout);
  for (const tcg of [{ TSQEMU_TCG: 'off' }, { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1' }]) {
    // rv64: V is off by default (the default user CPU, max, has it).
    const off = spawnSync(process.execPath, [TSQEMU, '-cpu', 'rv64', prog], { encoding: 'utf8', env: { ...process.env, ...tcg } });
    assert.equal(off.signal, 'SIGILL', `vector code without v=true dies of SIGILL (${JSON.stringify(tcg)}): ${off.stderr}`);
    assert.doesNotMatch(off.stdout + off.stderr, /memcpy|internal error/);
  }
});
