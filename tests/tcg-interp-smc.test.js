// Code changed under the interpreter's fetch/decode path and the block compiler's caches, in
// user mode, against qemu-riscv64 in each compiler mode (tests/jit/smc-remap.c): a function
// rewritten in place, code patching the instruction right after its own store (same fetch page),
// the same virtual page remapped to other file pages with MAP_FIXED (and rewritten through a
// writable alias meanwhile), unmapped and mapped again with other code, mprotect'ed off and on.
// Every round's code differs, so a stale decode or translation prints a wrong number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, hasTool, runNode } from './system-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

const MODES = [
  ['compiler off', { TSQEMU_TCG: 'off' }],
  ['threshold 1', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1' }],
  ['threshold 20', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '20' }],
  ['defaults', { TSQEMU_TCG: 'on' }],
];

const ok = hasTool('riscv64-linux-gnu-gcc') && hasTool('qemu-riscv64');

test('rewritten and remapped code matches qemu-riscv64 in every compiler mode', { skip: !ok, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-interp-smc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'smc-remap');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', exe, join(ROOT, 'tests', 'jit', 'smc-remap.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const want = spawnSync('qemu-riscv64', [exe], { encoding: 'utf8' });
  assert.equal(want.status, 0, want.stderr);
  // The program's own expectations, so a wrong QEMU cannot make the comparison vacuous.
  assert.match(want.stdout, /^inplace 5: 8550 1036$/m);
  assert.match(want.stdout, /^patch-next 5: 775$/m);
  assert.match(want.stdout, /^remap 1: 35050 1301$/m);
  assert.match(want.stdout, /^again 3: 48550 1436$/m);
  assert.match(want.stdout, /^mprotect 3: 55350 1504$/m);
  for (const [name, env] of MODES) {
    const r = await runNode([join(ROOT, 'dist', 'cli', 'riscv64.js'), exe], env, 100_000);
    assert.equal(r.code, 0, `${name}: ${r.err}`);
    assert.equal(r.out, want.stdout, name);
  }
});
