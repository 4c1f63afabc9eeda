// Fork latency and fork-heavy shell loops, tsqemu-riscv64 vs qemu-riscv64 in one run (the
// numbers of src/linux-user/README.md): bench/prog/forklat.c (N forks 2 s apart, so a fork
// server has its spare ready; the child _exits at once) and BusyBox `sh -c 'for i in 1 2 3 4 5;
// do /bin/true; done'` (back-to-back forks + exec of a host program). Medians of N runs.
// Usage: node bench/fork.js [runs=3]   (TSQEMU_USER_BIN: another build's tsqemu-riscv64)
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { ensureTools, fmt, guestFiles, measure, median, timed, TOP } from './lib.js';

const runs = Number(process.argv[2] ?? 3);
ensureTools({ 'qemu-riscv64': 'qemu-user', 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu' });
const g = guestFiles();
const ts = process.env.TSQEMU_USER_BIN ?? join(TOP, 'bin/tsqemu-riscv64');
const forklat = join(g.dir, 'forklat');
execFileSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', forklat, join(TOP, 'bench/prog/forklat.c')]);

const forkMs = (emu) => {
  const all = [];
  for (let i = 0; i < runs; i++) {
    const r = timed([emu, forklat, '4', '2']);
    for (const m of r.stdout.matchAll(/fork (\d+): (\d+) ms/g)) all.push({ i: Number(m[1]), ms: Number(m[2]) });
  }
  // The first fork (no spare yet) and the others (spare ready), medians.
  return { first: median(all.filter((x) => x.i === 0).map((x) => x.ms)), later: median(all.filter((x) => x.i > 0).map((x) => x.ms)) };
};
const loop = ['sh', '-c', 'for i in 1 2 3 4 5; do /bin/true; done'];
const q = forkMs('qemu-riscv64');
const t = forkMs(ts);
const ql = measure('qemu sh loop', ['qemu-riscv64', g.busybox, ...loop], runs);
const tl = measure('tsqemu sh loop', [ts, g.busybox, ...loop], runs);
const load = loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`\nfork latency, median of ${runs} (${new Date().toISOString().slice(0, 16)}, load ${load})`);
console.log(`forklat first fork ms:   tsqemu ${fmt(t.first, 0)}  qemu ${fmt(q.first, 0)}`);
console.log(`forklat later forks ms:  tsqemu ${fmt(t.later, 0)}  qemu ${fmt(q.later, 0)}`);
console.log(`sh loop of 5 /bin/true:  tsqemu ${fmt(tl.seconds)} s (${fmt(tl.cpuSeconds)} CPU s, ${fmt(tl.maxRssMiB, 0)} MiB)  qemu ${fmt(ql.seconds)} s (${fmt(ql.cpuSeconds)} CPU s)`);
rmSync(g.dir, { recursive: true, force: true });
