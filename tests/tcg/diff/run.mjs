// The differential harness's long run (README.md here): for each seed, generate streams
// (gen.mjs), build them with driver.c, run real qemu-system-riscv64 and tsqemu-system-riscv64
// with the compiler off, at threshold 1 with the smallest batch, and at the defaults, and
// report the first UART line that differs.
//   node tests/tcg/diff/run.mjs [--seeds 1-50] [--streams 8] [--insns 60] [--keep DIR]
// Exit status 1 when any run differs (the seed and the line are printed).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './gen.mjs';
import { build, run, machineArgs, firstDifference, QEMU, TSQEMU } from '../../../test/tcg-bare-helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const DIFF_MODES = [
  ['compiler off', { TSQEMU_TCG: 'off' }],
  ['threshold 1, batch 1', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1', TSQEMU_TCG_BATCH: '1' }],
  ['defaults', { TSQEMU_TCG: 'on' }],
];

/** Build and run one seed; returns a list of { mode, diff } (empty: all equal). */
export async function runSeed(dir, seed, streams, insns, timeoutMs = 60_000) {
  const asm = join(dir, `streams-${seed}.S`);
  writeFileSync(asm, generate(seed, streams, insns));
  const elf = build({ name: `diff-${seed}`, file: join(HERE, 'driver.c') }, dir, [asm]);
  const want = await run(QEMU, machineArgs(elf), timeoutMs);
  if (want.status !== 0 || !/^PASS \d+ streams$/m.test(want.stdout)) {
    return [{ mode: 'qemu', diff: `qemu-system-riscv64 failed (status ${want.status}):\n${want.stdout.slice(-500)}${want.stderr}` }];
  }
  const bad = [];
  for (const [mode, env] of DIFF_MODES) {
    const got = await run(process.execPath, [TSQEMU, ...machineArgs(elf)], timeoutMs, env);
    const diff = firstDifference(want.stdout, got.stdout);
    if (diff || got.status !== 0) bad.push({ mode, diff: `${diff ?? ''}exit status ${got.status}${got.timedOut ? ' (timed out)' : ''}\n${got.stderr.slice(-500)}` });
  }
  return bad;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opt = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
  const [lo, hi = lo] = opt('seeds', '1-50').split('-').map(Number);
  const streams = Number(opt('streams', 8)), insns = Number(opt('insns', 60));
  const keep = opt('keep', null);
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'tsqemu-tcgdiff-'));
  mkdirSync(dir, { recursive: true });
  let failed = 0;
  for (let seed = lo; seed <= hi; seed++) {
    const bad = await runSeed(dir, seed, streams, insns);
    for (const b of bad) process.stdout.write(`seed ${seed}, ${b.mode}:\n${b.diff}\n`);
    if (bad.length) failed++;
    else process.stdout.write(`seed ${seed}: ${streams} streams x ${insns} insns equal in ${DIFF_MODES.length} modes\n`);
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${hi - lo + 1 - failed} of ${hi - lo + 1} seeds equal\n`);
  process.exit(failed ? 1 : 0);
}
