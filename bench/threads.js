// Guest threads in user mode (issue 18: "8 guest threads on 2 host cores scale"): bench/prog/threads.c
// does the same total work with 1 and with 8 pthreads, tsqemu-riscv64 vs qemu-riscv64 in one
// run, medians of N. Prints wall and CPU seconds, the ratio of tsqemu's 8-thread time to QEMU's,
// and each emulator's 8-vs-1 speed-up (time with 1 thread / time with 8; 2 is the most 2 host
// cores can give, less on a loaded host).
// Usage: node bench/threads.js [runs=3]
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { emitRows, ensureTools, fmt, guestFiles, measure, TOP } from './lib.js';

const runs = Number(process.argv[2] ?? 3);
ensureTools({ 'qemu-riscv64': 'qemu-user', 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu' });
const g = guestFiles();
const exe = join(g.dir, 'threads');
execFileSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-pthread', '-o', exe, join(TOP, 'bench/prog/threads.c')]);
// TSQEMU_USER_BIN: another build's tsqemu-riscv64 (before/after comparisons).
const ts = process.env.TSQEMU_USER_BIN ?? join(TOP, 'bin/tsqemu-riscv64');
const r = {};
for (const n of [1, 8]) {
  const expect = new RegExp(`threads=${n} done`);
  r[`qemu${n}`] = measure(`qemu ${n} threads`, ['qemu-riscv64', exe, String(n)], runs, { expect });
  r[`ts${n}`] = measure(`tsqemu ${n} threads`, [ts, exe, String(n)], runs, { expect });
}
console.log(`\nuser-mode guest threads (bench/prog/threads.c, same work), median of ${runs} (${new Date().toISOString().slice(0, 10)}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
console.log(`${'threads'.padEnd(10)} ${'tsqemu s'.padStart(9)} ${'qemu s'.padStart(9)} ${'ratio'.padStart(7)} ${'ts CPU s'.padStart(9)} ${'qemu CPU s'.padStart(11)}`);
for (const n of [1, 8]) {
  const o = r[`ts${n}`], t = r[`qemu${n}`];
  console.log(`${String(n).padEnd(10)} ${fmt(o.seconds).padStart(9)} ${fmt(t.seconds).padStart(9)} ${(fmt(o.seconds / t.seconds) + 'x').padStart(7)} ${fmt(o.cpuSeconds).padStart(9)} ${fmt(t.cpuSeconds).padStart(11)}`);
}
const tsScale = r.ts1.seconds / r.ts8.seconds, qScale = r.qemu1.seconds / r.qemu8.seconds;
console.log(`8-vs-1 speed-up: tsqemu ${fmt(tsScale)}x, qemu ${fmt(qScale)}x`);
emitRows('threads', [
  { name: 'user: 8 threads on 2 cores, time', ours: r.ts8.seconds, theirs: r.qemu8.seconds, unit: 's', goal: { of: 'ratio', op: '<=', value: 1.5 } },
  { name: 'user: 8-vs-1 thread speed-up', ours: tsScale, theirs: qScale, unit: 'x', goal: { of: 'ratio', op: '>=', value: 0.8 }, note: 'ratio = ours/QEMU speed-up' },
]);
