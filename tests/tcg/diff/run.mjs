// The differential harness's long run (README.md here): for each seed, generate streams
// (gen.mjs), build them with driver.c, run real qemu-system-riscv64 and tsqemu-system-riscv64
// at threshold 1 with the smallest batch and at the defaults (and with the compiler off when
// TSQEMU_SLOW=1: see COMPILER_OFF_MODE), and report the first UART line that differs.
//   [TSQEMU_SLOW=1] node tests/tcg/diff/run.mjs [--seeds 1-50] [--streams 8] [--insns 60] [--keep DIR] [--user]
// --user: the user-mode flavour (driver-user.c, qemu-riscv64 against tsqemu-riscv64, traps as
// signals: signal, si_code, si_addr and the frame's pc are compared too).
// Exit status 1 when any run differs (the seed and the line are printed).
import { spawnSync } from 'node:child_process';
import { ccSpawnSync } from '../../helpers/cc-cache.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './gen.mjs';
import { ROOT, GCC, build, run, machineArgs, firstDifference, QEMU, TSQEMU } from '../../tcg-bare-helpers.js';

const QEMU_USER = 'qemu-riscv64';
const TSQEMU_USER = join(ROOT, 'dist', 'cli', 'riscv64.js');

const HERE = dirname(fileURLToPath(import.meta.url));
/** The interpreter alone. Only with TSQEMU_SLOW=1 in DIFF_MODES: at the defaults a block is
 * interpreted until it has run 5000 times (tcgOptions.threshold), so the 'defaults' run already
 * takes every tested instruction through the interpreter (each stream runs 3 times; a program's
 * loops their first 5000 iterations) and the compiler-off run repeated it. Whole workloads on
 * the interpreter alone stay in jit-modes.test.js (Linux boot, compiler off) and jit-fp-fast. */
export const COMPILER_OFF_MODE = ['compiler off', { TSQEMU_TCG: 'off' }];
export const DIFF_MODES = [
  ...(process.env.TSQEMU_SLOW === '1' ? [COMPILER_OFF_MODE] : []),
  ['threshold 1, batch 1', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1', TSQEMU_TCG_BATCH: '1' }],
  ['defaults', { TSQEMU_TCG: 'on' }],
];
/** The system emulator also with the hart on its own thread (-accel tcg,thread=multi). */
export const MTTCG_DIFF_MODE = ['thread=multi, threshold 1, batch 1', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1', TSQEMU_TCG_BATCH: '1', TSQEMU_TCG_THREAD: 'multi' }];

/** Build and run one seed; returns a list of { mode, diff } (empty: all equal).
 * ext: { exts: extension groups of gen-ext.mjs mixed into the streams, qemuCpu / tsqemuCpu:
 * -cpu values for each side (none: the default model), compilerOff: also the interpreter alone
 * whatever TSQEMU_SLOW says (the harness's own CI subset keeps all three compiler modes) }. */
export async function runSeed(dir, seed, streams, insns, timeoutMs = 60_000, user = false, ext = {}) {
  const { exts = [], qemuCpu, tsqemuCpu, compilerOff = false } = ext;
  const modes = compilerOff && !DIFF_MODES.includes(COMPILER_OFF_MODE) ? [COMPILER_OFF_MODE, ...DIFF_MODES] : DIFF_MODES;
  const cpu = (v) => (v ? ['-cpu', v] : []);
  const asm = join(dir, `streams-${seed}${user ? '-user' : ''}${exts.length ? `-${exts.join('-')}` : ''}.S`);
  writeFileSync(asm, generate(seed, streams, insns, user, exts));
  let elf, refCmd, ref, ours;
  if (user) {
    elf = join(dir, `diff-user-${seed}`);
    const b = ccSpawnSync(GCC, ['-static', '-O2', '-Wall', '-o', elf, join(HERE, 'driver-user.c'), asm], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`building ${asm} failed:\n${b.stderr}`);
    [refCmd, ref, ours] = [QEMU_USER, [...cpu(qemuCpu), elf], [TSQEMU_USER, ...cpu(tsqemuCpu), elf]];
  } else {
    elf = build({ name: `diff-${seed}`, file: join(HERE, 'driver.c') }, dir, [asm]);
    [refCmd, ref, ours] = [QEMU, [...machineArgs(elf), ...cpu(qemuCpu)], [TSQEMU, ...machineArgs(elf), ...cpu(tsqemuCpu)]];
  }
  const want = await run(refCmd, ref, timeoutMs);
  if (want.status !== 0 || !/^PASS \d+ streams$/m.test(want.stdout)) {
    return [{ mode: 'qemu', diff: `${refCmd} failed (status ${want.status}):\n${want.stdout.slice(-500)}${want.stderr}` }];
  }
  const bad = [];
  for (const [mode, env] of user ? modes : [...modes, MTTCG_DIFF_MODE]) {
    const got = await run(process.execPath, ours, timeoutMs, env);
    const diff = firstDifference(want.stdout, got.stdout, user ? 'tsqemu-riscv64' : 'tsqemu-system-riscv64', refCmd);
    if (diff || got.status !== 0) bad.push({ mode, diff: `${diff ?? ''}exit status ${got.status}${got.timedOut ? ' (timed out)' : ''}\n${got.stderr.slice(-500)}` });
  }
  return bad;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opt = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
  const [lo, hi = lo] = opt('seeds', '1-50').split('-').map(Number);
  const streams = Number(opt('streams', 8)), insns = Number(opt('insns', 60));
  const keep = opt('keep', null);
  const user = process.argv.includes('--user');
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'tsqemu-tcgdiff-'));
  mkdirSync(dir, { recursive: true });
  let failed = 0;
  for (let seed = lo; seed <= hi; seed++) {
    const bad = await runSeed(dir, seed, streams, insns, 60_000, user);
    for (const b of bad) process.stdout.write(`seed ${seed}, ${b.mode}:\n${b.diff}\n`);
    if (bad.length) failed++;
    else process.stdout.write(`seed ${seed}: ${streams} streams x ${insns} insns equal in ${DIFF_MODES.length + (user ? 0 : 1)} modes\n`);
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${hi - lo + 1 - failed} of ${hi - lo + 1} seeds equal\n`);
  process.exit(failed ? 1 : 0);
}
