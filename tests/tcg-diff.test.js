// The differential harness's CI subset (tests/tcg/diff, README there): random instruction
// streams over RV64IMAFDC + Zicsr + Zifencei with traps, built bare-metal, run on real
// qemu-system-riscv64 and on tsqemu-system-riscv64 with the compiler off (here always; the
// other suites only with TSQEMU_SLOW=1: run.mjs COMPILER_OFF_MODE), at threshold 1 with the smallest batch (everything run again is translated), at the defaults, and at threshold 1
// with the hart on its own thread (-accel tcg,thread=multi); registers,
// fcsr, traps and memory printed after each stream must be identical.
// The same streams in user mode (qemu-riscv64 vs tsqemu-riscv64, traps as signals).
// The long run: node tests/tcg/diff/run.mjs --seeds 1-200 [--user] (see README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, QEMU, TSQEMU, hasTool } from './tcg-bare-helpers.js';
import { runSeed } from '../tests/tcg/diff/run.mjs';

/** Fixed seeds: one program of 24 streams x 80 instructions (the first 8 are seed 1's of the long
 * run; one program instead of three saves two builds, QEMU runs and 8 emulator starts), and one
 * of 8 streams in user mode. */
const SEEDS = [1];
const STREAMS = 24;
const USER_SEEDS = [1];
const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool(QEMU) ? `${QEMU} not installed` : false;

test('random instruction streams: tsqemu equals qemu-system-riscv64 in each compiler mode', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-tcgdiff-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const seed of SEEDS) {
    const bad = await runSeed(dir, seed, STREAMS, 80, 60_000, false, { compilerOff: true });
    assert.deepEqual(bad, [], `seed ${seed}:\n${bad.map((b) => `${b.mode}: ${b.diff}`).join('\n')}`);
  }
});

test('random instruction streams in user mode (traps as signals): tsqemu-riscv64 equals qemu-riscv64', {
  skip: skip || (!hasTool('qemu-riscv64') ? 'qemu-riscv64 not installed' : false),
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-tcgdiff-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const seed of USER_SEEDS) {
    const bad = await runSeed(dir, seed, 8, 80, 60_000, true, { compilerOff: true });
    assert.deepEqual(bad, [], `seed ${seed}:\n${bad.map((b) => `${b.mode}: ${b.diff}`).join('\n')}`);
  }
});
