// Block I/O benchmark: tsqemu-img bench against Debian's qemu-img bench on the same files, in one
// run. A 1 GiB file of random data (raw, and qcow2 converted from it), COUNT requests of 4 KiB at
// depth 32, reads and writes, cache=none and cache=writeback, engines threads and io_uring.
// Prints each time and the ratios the issue asks for (ours / qemu-img's io_uring; our threads /
// our io_uring). Each time is the median of RUNS runs, the four programs taking turns.
// Usage: node bench/io.js [count=200000] [sizeMiB=1024] [runs=1] [caches=none,writeback]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitRows } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const img = join(here, '../dist/cli/img.js');
const count = Number(process.argv[2] ?? 200000);
const sizeMiB = Number(process.argv[3] ?? 1024);
const runs = Number(process.argv[4] ?? 1);
const caches = (process.argv[5] ?? 'none,writeback').split(',');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Under the repository (a real disk: O_DIRECT needs one, tmpfs refuses it).
const dir = mkdtempSync(join(process.env.TSQEMU_BENCH_DIR ?? here, '.io-'));

function makeRandom(path) {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < sizeMiB; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
}

function seconds(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const m = /Run completed in ([\d.]+) seconds/.exec(r.stdout);
  if (!m) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  if (r.stderr.trim()) process.stderr.write(r.stderr);
  return Number(m[1]);
}

const haveQemuImg = spawnSync('qemu-img', ['--version']).status === 0;
try {
  const raw = join(dir, 'data.raw');
  const qcow2 = join(dir, 'data.qcow2');
  makeRandom(raw);
  const conv = spawnSync(process.execPath, [img, 'convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  if (conv.status !== 0) throw new Error(`convert: ${conv.stderr}`);
  console.log(`# ${count} requests of 4 KiB at depth 32 on a ${sizeMiB} MiB file of random data (seconds, median of ${runs}; lower is better); ` +
    `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('| format | cache | op | qemu-img threads | qemu-img io_uring | tsqemu threads | tsqemu io_uring | ours/qemu io_uring | our threads/io_uring |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [fmt, file] of [['raw', raw], ['qcow2', qcow2]]) {
    for (const cache of caches) {
      for (const op of ['read', 'write']) {
        const args = (aio) => ['bench', '-c', String(count), '-d', '32', '-s', '4096', '-t', cache, '-i', aio, '-f', fmt, ...(op === 'write' ? ['-w'] : []), file];
        const times = { qt: [], qu: [], tt: [], tu: [] };
        for (let i = 0; i < runs; i++) {
          if (haveQemuImg) { times.qt.push(seconds('qemu-img', args('threads'))); times.qu.push(seconds('qemu-img', args('io_uring'))); }
          times.tt.push(seconds(process.execPath, [img, ...args('threads')]));
          times.tu.push(seconds(process.execPath, [img, ...args('io_uring')]));
        }
        const q = haveQemuImg ? { threads: median(times.qt), io_uring: median(times.qu) } : null;
        const t = { threads: median(times.tt), io_uring: median(times.tu) };
        const f = (x) => (x === undefined ? '-' : x.toFixed(3));
        console.log(`| ${fmt} | ${cache} | ${op} | ${f(q?.threads)} | ${f(q?.io_uring)} | ${f(t.threads)} | ${f(t.io_uring)} | ` +
          `${q ? (t.io_uring / q.io_uring).toFixed(2) + 'x' : '-'} | ${(t.threads / t.io_uring).toFixed(2)}x |`);
        emitRows('io', [{ name: `img bench ${fmt} ${cache} ${op}, io_uring`, ours: t.io_uring, theirs: q?.io_uring ?? null, unit: 's' }]);
      }
    }
  }
  console.log(`# load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
