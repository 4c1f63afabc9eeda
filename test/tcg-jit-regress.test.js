// Issue 11's CPU/translator regressions, each compared with real QEMU and run with the block
// compiler off, really on (threshold 1, smallest batch: every block translated at once) and
// at the defaults:
//   - csr-trap-loop (bare metal): a register written just before a trapping CSR instruction
//     survives the trap in translated code;
// TSQEMU_TCG_TIMEOUT=seconds bounds each tsqemu run (default 60).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, QEMU, TSQEMU, hasTool, build, run, machineArgs, describeRun, firstDifference } from './tcg-bare-helpers.js';

const TSQEMU_TIMEOUT_MS = Number(process.env.TSQEMU_TCG_TIMEOUT ?? 60) * 1000;
/** The compiler modes every regression runs in. */
export const JIT_MODES = [
  ['compiler off', { TSQEMU_TCG: 'off' }],
  ['threshold 1, batch 1', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1', TSQEMU_TCG_BATCH: '1' }],
  ['defaults', { TSQEMU_TCG: 'on' }],
];

const haveGcc = hasTool(GCC);
const haveQemu = hasTool(QEMU);

test('bare metal: trapping CSR instruction keeps the register written before it', {
  skip: !haveGcc ? `${GCC} not installed` : !haveQemu ? `${QEMU} not installed` : false,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-jitreg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const elf = build({ name: 'csr-trap-loop', file: 'csr-trap-loop.c' }, dir);
  const want = await run(QEMU, machineArgs(elf), 20_000);
  assert.ok(want.status === 0, describeRun(QEMU, want));
  assert.match(want.stdout, /^PASS \d+ checks$/m);
  for (const [mode, env] of JIT_MODES) {
    const got = await run(process.execPath, [TSQEMU, ...machineArgs(elf)], TSQEMU_TIMEOUT_MS, env);
    const diff = firstDifference(want.stdout, got.stdout);
    assert.ok(!diff && got.status === 0, `${mode}: ${diff ?? ''}${describeRun('tsqemu-system-riscv64', got)}`);
  }
});
