// The block compiler's loop layout (src/target/riscv/translate-block.ts: a region's backward
// branches as nested wasm loops, entries in the middle of a loop group, TLB misses leaving
// user-mode translated code for the interpreter): tests/linux-user/region-loops.c under
// tsqemu-riscv64 in every compiler mode prints what it prints under qemu-riscv64.
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

test('region loops: same output as qemu-riscv64 in every compiler mode', { skip, timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-region-loops-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'region-loops');
  const b = ccSpawnSync(GCC, ['-O2', '-static', '-o', exe, join(ROOT, 'tests', 'linux-user', 'region-loops.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const want = spawnSync('qemu-riscv64', [exe], { encoding: 'utf8' });
  assert.equal(want.status, 0, want.stderr);
  assert.match(want.stdout, /^nested [0-9a-f]{16}\n/);
  for (const [mode, env] of DIFF_MODES) {
    const got = await run(process.execPath, [TSQEMU_USER, exe], 120_000, env);
    assert.equal(got.status, 0, `${mode}: ${got.stderr}`);
    assert.equal(got.stdout, want.stdout, mode);
  }
});
