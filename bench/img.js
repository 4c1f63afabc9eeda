// tsqemu-img against qemu-img in one run (issue 18's targets: convert <= 1.2x the time and
// <= 2x the RSS; check, compare and map of a 10 GiB sparse qcow2 <= 1.5x). Runs alternate
// between the two tools so both see the same load; medians of N, with peak RSS.
// Usage: node bench/img.js [runs=5]
import { execFileSync } from 'node:child_process';
import { openSync, writeSync, closeSync, ftruncateSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { emitRows, ensureTools, guestFiles, median, timed, printTable, TOP } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
ensureTools({ 'qemu-img': 'qemu-utils', 'qemu-io': 'qemu-utils' });
const g = guestFiles();
const dir = g.dir;
// TSQEMU_IMG_BIN: another build's tsqemu-img (before/after comparisons).
const ours = process.env.TSQEMU_IMG_BIN ?? join(TOP, 'bin/tsqemu-img');

/** A raw image of `mib` MiB: 60% of its MiBs hold 256 KiB noise, 256 KiB zeroes, 512 KiB text. */
function makeRaw(path, mib) {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, mib << 20);
  let x = 1;
  const rnd = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x; };
  const chunk = Buffer.alloc(1 << 20);
  for (let m = 0; m < mib; m++) {
    if (rnd() % 10 >= 6) continue;
    for (let i = 0; i < 256 << 10; i += 4) chunk.writeUInt32LE(rnd(), i);
    chunk.fill(0, 256 << 10, 512 << 10);
    chunk.fill('tsqemu qcow2 ', 512 << 10);
    writeSync(fd, chunk, 0, chunk.length, m << 20);
  }
  closeSync(fd);
}

const raw = join(dir, 'src.raw');
makeRaw(raw, 512);
const small = join(dir, 'small.raw');
makeRaw(small, 64);
const qsrc = join(dir, 'src.qcow2');
execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qsrc]);
// 10 GiB sparse qcow2 with 1 MiB written every 64 MiB, and a copy to compare against.
const big = join(dir, 'big.qcow2');
execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', big, '10G']);
const writes = [];
for (let off = 0; off < 10 * 1024; off += 64) writes.push('-c', `write -q -P ${(off / 64) & 0xff} ${off}M 1M`);
execFileSync('qemu-io', ['-f', 'qcow2', ...writes, big]);
const big2 = join(dir, 'big2.qcow2');
execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'qcow2', big, big2]);

const cases = [
  ['convert raw->qcow2 512M', (t) => [t, 'convert', '-f', 'raw', '-O', 'qcow2', raw, join(dir, 'out.qcow2')]],
  ['convert qcow2->raw 512M', (t) => [t, 'convert', '-f', 'qcow2', '-O', 'raw', qsrc, join(dir, 'out.raw')]],
  ['convert -c raw->qcow2 64M', (t) => [t, 'convert', '-c', '-f', 'raw', '-O', 'qcow2', small, join(dir, 'outc.qcow2')]],
  ['check 10G sparse qcow2', (t) => [t, 'check', big]],
  ['compare 10G qcow2s', (t) => [t, 'compare', '-f', 'qcow2', '-F', 'qcow2', big, big2]],
  ['map 10G sparse qcow2', (t) => [t, 'map', '--output=json', big]],
];
const rows = [];
for (const [name, argv] of cases) {
  const res = { ours: [], theirs: [] };
  for (let i = 0; i < runs; i++) {
    for (const [who, tool] of [['theirs', 'qemu-img'], ['ours', ours]]) {
      for (const f of ['out.qcow2', 'out.raw', 'outc.qcow2']) rmSync(join(dir, f), { force: true });
      const r = timed(argv(tool));
      if (!r.ok) console.error(`bench: ${who} ${name} failed (${r.status}): ${r.stderr.slice(-300)}`);
      else res[who].push(r);
    }
  }
  const m = (xs) => ({ seconds: median(xs.map((r) => r.seconds)), maxRssMiB: median(xs.map((r) => r.maxRssMiB)), cpuSeconds: median(xs.map((r) => r.cpuSeconds)) });
  rows.push({ name, ours: m(res.ours), theirs: m(res.theirs) });
}
printTable(`tsqemu-img vs qemu-img, median of ${runs} (${new Date().toISOString().slice(0, 16)}Z, load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`, rows);
// CPU time (user + system): steadier than wall time on a loaded host.
console.log(`\nCPU s (tsqemu-img / qemu-img): ${rows.map((r) => `${r.name} ${r.ours.cpuSeconds.toFixed(2)} / ${r.theirs.cpuSeconds.toFixed(2)}`).join('; ')}`);
emitRows('img', rows.flatMap(({ name, ours, theirs }) => {
  const conv = name.startsWith('convert');
  const time = { name: `img: ${name}`, ours: ours.seconds, theirs: theirs.seconds, unit: 's', goal: { of: 'ratio', op: '<=', value: conv ? 1.2 : 1.5 } };
  return conv ? [time, { name: `img: ${name} peak RSS`, ours: ours.maxRssMiB, theirs: theirs.maxRssMiB, unit: 'MiB', goal: { of: 'ratio', op: '<=', value: 2 } }] : [time];
}));
rmSync(dir, { recursive: true, force: true });
