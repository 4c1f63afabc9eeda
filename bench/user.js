// Benchmark (b) and (c) of issue 3: user-mode compute, tsqemu-riscv64 vs qemu-riscv64 in one run:
// BusyBox sha256sum and gzip -9 over the same 32 MiB file, and bench/prog/mix.c (integer, memory
// and FP work) built with the cross compiler; median of N runs, with peak RSS.
// Usage: node bench/user.js [runs=5]   (TSQEMU_USER_BIN: another build's tsqemu-riscv64, e.g.
// the branch point's, for before/after; TSQEMU_BEFORE_BIN: a second build measured right after it,
// in the same run). CPU seconds (user + sys) are printed as well: wall times mean little on a loaded host.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitRows, ensureTools, fmt, guestFiles, measure, printTable, TOP } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
ensureTools({ 'qemu-riscv64': 'qemu-user', 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu' });
const g = guestFiles();
const data = join(g.dir, 'data.bin');
// 32 MiB of compressible but non-trivial data (text-like with a PRNG), the same every run.
const buf = Buffer.alloc(32 << 20);
let x = 12345;
const words = ['qemu', 'riscv', 'tsqemu', 'block', 'virtio', 'kernel', 'shell', ' ', '\n', 'wasm'];
for (let i = 0; i < buf.length;) {
  x = (x * 1103515245 + 12345) >>> 0;
  const w = words[x % words.length];
  i += buf.write(w, i, 'latin1');
}
writeFileSync(data, buf);
const mix = join(g.dir, 'mix');
execFileSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', mix, join(TOP, 'bench/prog/mix.c'), '-lm']);

const progs = [
  ['busybox sha256sum 32MiB', [g.busybox, 'sha256sum', data]],
  ['busybox gzip -9 32MiB', [g.busybox, 'gzip', '-9', '-k', '-f', data]],
  ['mix.c (int/mem/fp)', [mix]],
];
const ts = process.env.TSQEMU_USER_BIN ?? join(TOP, 'bin/tsqemu-riscv64');
const before = process.env.TSQEMU_BEFORE_BIN;
const rows = [];
for (const [name, argv] of progs) {
  const theirs = measure(`qemu ${name}`, ['qemu-riscv64', ...argv], runs);
  const ours = measure(`tsqemu ${name}`, [ts, ...argv], runs);
  const old = before ? measure(`before ${name}`, [before, ...argv], runs) : null;
  rows.push({ name, ours, theirs, old });
}
printTable(`user-mode compute, median of ${runs} (${new Date().toISOString().slice(0, 10)})`, rows);
emitRows('user', rows.map(({ name, ours, theirs }) => ({ name: `user: ${name}`, ours: ours.seconds, theirs: theirs.seconds, unit: 's', goal: { of: 'ratio', op: '<=', value: 1.5 } })));
console.log(`\nCPU seconds (user + sys), medians:${before ? ' tsqemu / before / qemu' : ' tsqemu / qemu'}`);
for (const { name, ours, theirs, old } of rows) {
  console.log(`${name.padEnd(28)} ${fmt(ours.cpuSeconds)}${old ? ` / ${fmt(old.cpuSeconds)}` : ''} / ${fmt(theirs.cpuSeconds)}`);
}
