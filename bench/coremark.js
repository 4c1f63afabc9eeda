// CoreMark in user mode (issue 18: tsqemu-riscv64 >= 0.67x qemu-riscv64's iterations/s).
// CoreMark's source is neither in Debian nor on npm and is never committed here: pass the path
// of a CoreMark checkout (https://github.com/eembc/coremark). It is built with
// riscv64-linux-gnu-gcc -O2 -static (the posix port) into a temp dir and run with the
// performance seeds and a fixed iteration count under both emulators, in turns; the
// iterations/s CoreMark reports (timed in the guest) are compared, medians of N. With fewer than
// 10 s per run CoreMark flags the run as not a valid *published* score; the CRCs are still checked.
// Usage: node bench/coremark.js /path/to/coremark [runs=3] [iterations=6000]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { emitRows, ensureTools, fmt, guestFiles, median, TOP } from './lib.js';

const src = process.argv[2];
const runs = Number(process.argv[3] ?? 3);
const iterations = String(process.argv[4] ?? 6000);
if (!src || !existsSync(join(src, 'core_main.c'))) {
  console.error('usage: node bench/coremark.js /path/to/coremark [runs] [iterations] (a CoreMark checkout: core_main.c not found)');
  process.exit(2);
}
ensureTools({ 'qemu-riscv64': 'qemu-user', 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu' });
const g = guestFiles();
const exe = join(g.dir, 'coremark');
execFileSync('riscv64-linux-gnu-gcc', ['-O2', '-static', `-I${join(src, 'posix')}`, `-I${src}`, '-DFLAGS_STR="-O2 -static"', '-DPERFORMANCE_RUN=1',
  '-o', exe, ...['core_list_join.c', 'core_main.c', 'core_matrix.c', 'core_state.c', 'core_util.c', 'posix/core_portme.c'].map((f) => join(src, f)), '-lrt']);

/** One run: CoreMark's iterations/s, or NaN (with the reason on stderr) if the run is not sound. */
function run(who, argv) {
  const r = spawnSync(argv[0], [...argv.slice(1), exe, '0x0', '0x0', '0x66', iterations], { encoding: 'utf8', timeout: 600_000 });
  const ips = /Iterations\/Sec\s+:\s+([0-9.]+)/.exec(r.stdout ?? '');
  // The performance seeds' known CRCs (CoreMark's own check); the 10 s rule is the only error let through.
  const errors = (r.stdout ?? '').split('\n').filter((l) => /ERROR/.test(l) && !/at least 10 secs/.test(l));
  if (r.status !== 0 || !ips || !/seedcrc\s+:\s+0xe9f5/.test(r.stdout) || !/\[0\]crclist\s+:\s+0xe714/.test(r.stdout) || errors.length) {
    console.error(`bench: coremark under ${who} failed (status ${r.status}): ${errors.join('; ')} ${(r.stderr ?? '').slice(-300)}`);
    return NaN;
  }
  return Number(ips[1]);
}

const ours = [], theirs = [];
for (let i = 0; i < runs; i++) {
  theirs.push(run('qemu-riscv64', ['qemu-riscv64']));
  ours.push(run('tsqemu-riscv64', [join(TOP, 'bin/tsqemu-riscv64')]));
}
const o = median(ours), t = median(theirs);
console.log(`\nCoreMark ${iterations} iterations (user mode, -O2 -static), median of ${runs} (${new Date().toISOString().slice(0, 10)}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
console.log(`${'emulator'.padEnd(16)} ${'iterations/s'.padStart(13)}  runs`);
console.log(`${'tsqemu-riscv64'.padEnd(16)} ${fmt(o, 0).padStart(13)}  ${ours.map((x) => fmt(x, 0)).join(', ')}`);
console.log(`${'qemu-riscv64'.padEnd(16)} ${fmt(t, 0).padStart(13)}  ${theirs.map((x) => fmt(x, 0)).join(', ')}`);
console.log(`ratio (tsqemu / qemu iterations/s): ${fmt(o / t)}x (target >= 0.67x)`);
emitRows('coremark', [{ name: 'user: CoreMark', ours: o, theirs: t, unit: 'it/s', goal: { of: 'ratio', op: '>=', value: 0.67 } }]);
