// Benchmark of issue 18 (user mode, round 2), tsqemu-riscv64 vs qemu-riscv64 in one run:
//  - start-up: a dynamically linked glibc program that does nothing (bench/prog/true.c, -L the
//    Debian cross sysroot): wall time and peak RSS (target: <= 2x qemu-riscv64's time);
//  - a Go program (bench/prog/gomem.go, GOARCH=riscv64 CGO_ENABLED=0): peak RSS (target: <= 2x);
//  - translation cost per guest instruction (target: <= 5 us), from `info jit` of a BusyBox awk
//    loop with the block compiler translating early (TSQEMU_JIT_INFO=1, threshold 20).
// Medians of N runs (default 5); ratios are ours / qemu's; CPU = user + system seconds (steadier
// than wall time on a loaded host). Usage: node bench/user-rss.js [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { emitRows, ensureTools, fmt, guestFiles, measure, median, TOP } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
ensureTools({ 'qemu-riscv64': 'qemu-user', 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu', go: 'golang-go' });
const g = guestFiles();
// TSQEMU_USER_BIN: another build's tsqemu-riscv64 (before/after comparisons).
const ts = process.env.TSQEMU_USER_BIN ?? join(TOP, 'bin/tsqemu-riscv64');
const sysroot = '/usr/riscv64-linux-gnu';

const trueBin = join(g.dir, 'true-dyn');
execFileSync('riscv64-linux-gnu-gcc', ['-O2', '-o', trueBin, join(TOP, 'bench/prog/true.c')]);
const goBin = join(g.dir, 'gomem');
execFileSync('go', ['build', '-o', goBin, join(TOP, 'bench/prog/gomem.go')], {
  env: { ...process.env, GOARCH: 'riscv64', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' }, cwd: g.dir,
});

const rows = [];
const pair = (name, argv, opts) => {
  const theirs = measure(`qemu ${name}`, ['qemu-riscv64', ...argv], runs, opts);
  const ours = measure(`tsqemu ${name}`, [ts, ...argv], runs, opts);
  rows.push({ name, ours, theirs });
};
// Warm the on-disk interpreter cache once (a first run ever generates it).
spawnSync(ts, ['-L', sysroot, trueBin]);
pair('glibc start-up (true)', ['-L', sysroot, trueBin]);
pair('Go program (gomem.go)', [goBin], { expect: /^ok \d+/ });

// Translation cost: `info jit` after a loop that makes the compiler translate much of awk.
const costs = [];
let insns = 0;
for (let i = 0; i < runs; i++) {
  const r = spawnSync(ts, [g.busybox, 'awk', 'BEGIN{for(i=0;i<30000;i++){s+=i; n+=length(substr("abcdef", i%5, 2)); a[i%100]=i} print s, n}'], {
    encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_TCG_THRESHOLD: '20', TSQEMU_TCG_BATCH: '20000' },
  });
  const m = /translation cost\s+([0-9.]+) us\/insn/.exec(r.stderr ?? '');
  const n = /translated code\s+(\d+) guest insns/.exec(r.stderr ?? '');
  if (m) costs.push(Number(m[1]));
  if (n) insns = Number(n[1]);
}

const load = loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`\nuser-mode start-up, memory and translation, median of ${runs} (${new Date().toISOString().slice(0, 10)}, load ${load})`);
console.log(`${'benchmark'.padEnd(26)} ${'tsqemu s'.padStart(9)} ${'qemu s'.padStart(9)} ${'time x'.padStart(7)} ${'ts RSS MiB'.padStart(11)} ${'qemu RSS MiB'.padStart(13)} ${'RSS x'.padStart(7)} ${'ts CPU s'.padStart(9)} ${'qemu CPU s'.padStart(11)}`);
for (const { name, ours, theirs } of rows) {
  console.log(`${name.padEnd(26)} ${fmt(ours.seconds).padStart(9)} ${fmt(theirs.seconds).padStart(9)} ${(fmt(ours.seconds / theirs.seconds) + 'x').padStart(7)} ` +
    `${fmt(ours.maxRssMiB, 0).padStart(11)} ${fmt(theirs.maxRssMiB, 0).padStart(13)} ${(fmt(ours.maxRssMiB / theirs.maxRssMiB) + 'x').padStart(7)} ` +
    `${fmt(ours.cpuSeconds).padStart(9)} ${fmt(theirs.cpuSeconds).padStart(11)}`);
}
const [startup, go] = rows;
emitRows('user-rss', [
  { name: 'user: glibc start-up (true)', ours: startup.ours.seconds, theirs: startup.theirs.seconds, unit: 's', goal: { of: 'ratio', op: '<=', value: 2 } },
  { name: 'user: Go program peak RSS', ours: go.ours.maxRssMiB, theirs: go.theirs.maxRssMiB, unit: 'MiB', goal: { of: 'ratio', op: '<=', value: 2 } },
  { name: 'user: translation cost (awk)', ours: median(costs), theirs: null, unit: 'us/insn', goal: { of: 'ours', op: '<=', value: 5 } },
]);
console.log(`${'translation cost'.padEnd(26)} ${fmt(median(costs))} us per guest insn (target <= 5; ${insns} insns translated, awk loop, threshold 20)`);
