// Bit-manipulation code compiled for Zba/Zbb/Zbs (riscv64-linux-gnu-gcc -march=rv64gc_zba_zbb_zbs
// -O2, tests/linux-user/bitmanip.c) gives the same output under tsqemu-riscv64 (the rv64
// defaults have them on, as QEMU 10.2's) as under qemu-riscv64 with them enabled, with the
// compiler off, at threshold 1 with the smallest batch, and at the defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, hasTool, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';
import { ccSpawnSync } from './helpers/cc-cache.js';

const TSQEMU_USER = join(ROOT, 'dist', 'cli', 'riscv64.js');
const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool('qemu-riscv64') ? 'qemu-riscv64 not installed' : false;

test('Zba/Zbb/Zbs code from gcc: tsqemu-riscv64 equals qemu-riscv64', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-bitmanip-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'bitmanip');
  const b = ccSpawnSync(GCC, ['-march=rv64gc_zba_zbb_zbs', '-O2', '-static', '-o', exe, join(ROOT, 'tests', 'linux-user', 'bitmanip.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  // The build really uses the extensions.
  const dis = spawnSync('riscv64-linux-gnu-objdump', ['-d', exe], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
  for (const m of ['cpop', 'clz', 'ctz', 'rev8', 'sh3add.uw', 'bset', 'andn', 'min']) assert.match(dis, new RegExp(`\\s${m.replace('.', '\\.')}\\s`), m);
  const want = await run('qemu-riscv64', ['-cpu', 'rv64,zba=true,zbb=true,zbs=true', exe, '300'], 60_000);
  assert.equal(want.status, 0, want.stderr);
  assert.match(want.stdout, /^bitmanip 300 rounds: [0-9a-f]{16}\n$/);
  for (const [mode, env] of DIFF_MODES) {
    const got = await run(process.execPath, [TSQEMU_USER, exe, '300'], 60_000, env);
    assert.equal(got.stdout, want.stdout, `${mode}: ${got.stderr}`);
    assert.equal(got.status, 0, mode);
  }
});
