// The vector differential run (README.md here): for each seed and VLEN, generate cases
// (gen-rvv.mjs), build them with driver-rvv.c, run real qemu-system-riscv64 7.2 with
// -cpu rv64,v=true,vlen=N,elen=64,vext_spec=v1.0 and tsqemu-system-riscv64 with
// -cpu rv64,v=true,vlen=N (threshold 1, defaults; the compiler off too with TSQEMU_SLOW=1) and report the first line that
// differs.
//   node tests/tcg/diff/run-rvv.mjs [--seeds 1-20] [--vlen 128,256] [--cases 40] [--blocks 3]
//        [--classes int,fp] [--keep DIR] [--verbose]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ccSpawnSync } from '../../helpers/cc-cache.js';
import { generate, CLASSES, SIMD_CLASS } from './gen-rvv.mjs';
import { GCC, SRC, run, machineArgs, firstDifference, QEMU, TSQEMU } from '../../tcg-bare-helpers.js';
import { COMPILER_OFF_MODE, DIFF_MODES } from './run.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

function build(dir, name, asm, verbose, runs = 2) {
  const elf = join(dir, `${name}.elf`);
  const args = [
    '-nostdlib', '-nostartfiles', '-ffreestanding', '-fno-pie', '-no-pie', '-static', '-O2',
    '-march=rv64gcv', '-mabi=lp64d', '-mcmodel=medany', '-Wall', '-Werror', '-fno-strict-aliasing',
    '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments', ...(verbose ? ['-DVERBOSE'] : []), `-DRVV_RUNS=${runs}`,
    '-T', join(SRC, 'link.ld'), '-I', SRC,
    join(SRC, 'crt0.S'), join(SRC, 'common.c'), join(HERE, 'driver-rvv.c'), asm, '-lgcc', '-o', elf,
  ];
  const r = ccSpawnSync(GCC, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`building ${asm} failed:\n${r.error ?? ''}${r.stderr}`);
  return elf;
}

/** Build and run one seed at one VLEN; returns [{ mode, diff }] (empty: all equal). */
export async function runRvvSeed(dir, { seed, vlen = 128, cases = 40, blocks = 3, classes = CLASSES, verbose = false,
  modes = DIFF_MODES, timeoutMs = 120_000, runs = classes.includes(SIMD_CLASS) ? 4 : 2 }) {
  const name = `rvv-${seed}-${vlen}`;
  const asm = join(dir, `${name}.S`);
  writeFileSync(asm, generate({ seed, cases, blocks, vlen, classes }));
  const elf = build(dir, name, asm, verbose, runs);
  const want = await run(QEMU, [...machineArgs(elf), '-cpu', `rv64,v=true,vlen=${vlen},elen=64,vext_spec=v1.0`], timeoutMs);
  if (want.status !== 0 || !/^PASS \d+ cases$/m.test(want.stdout)) {
    return [{ mode: 'qemu', diff: `${QEMU} failed (status ${want.status}):\n${want.stdout.slice(-500)}${want.stderr}` }];
  }
  const bad = [];
  for (const [mode, env] of modes) {
    const got = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', `rv64,v=true,vlen=${vlen}`], timeoutMs, env);
    let diff = firstDifference(want.stdout, got.stdout);
    if (diff && process.env.RVV_ALL_DIFFS) {
      const a = want.stdout.split('\n'), b = got.stdout.split('\n');
      diff = a.map((l, i) => (l !== b[i] ? `  qemu:   ${l}\n  tsqemu: ${b[i]}\n` : '')).filter(Boolean).slice(0, 12).join('');
    }
    if (diff || got.status !== 0) bad.push({ mode, diff: `${diff ?? ''}exit status ${got.status}${got.timedOut ? ' (timed out)' : ''}\n${got.stderr.slice(-800)}` });
  }
  return bad;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opt = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
  const [lo, hi = lo] = opt('seeds', '1-10').split('-').map(Number);
  const vlens = opt('vlen', '128,256').split(',').map(Number);
  const cases = Number(opt('cases', 40)), blocks = Number(opt('blocks', 3));
  const classes = opt('classes', CLASSES.join(',')).split(',');
  const verbose = process.argv.includes('--verbose');
  const keep = opt('keep', null);
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'tsqemu-rvvdiff-'));
  mkdirSync(dir, { recursive: true });
  const modes = process.argv.includes('--fast') ? [COMPILER_OFF_MODE] : DIFF_MODES;
  let failed = 0, total = 0;
  for (let seed = lo; seed <= hi; seed++) {
    for (const vlen of vlens) {
      total++;
      const bad = await runRvvSeed(dir, { seed, vlen, cases, blocks, classes, verbose, modes });
      for (const b of bad) process.stdout.write(`seed ${seed} vlen ${vlen}, ${b.mode}:\n${b.diff}\n`);
      if (bad.length) failed++;
      else process.stdout.write(`seed ${seed} vlen ${vlen}: ${cases} cases equal in ${modes.length} modes\n`);
    }
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${total - failed} of ${total} runs equal\n`);
  process.exit(failed ? 1 : 0);
}
