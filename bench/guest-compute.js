// Compute inside the default guest (issue 18: busybox sha256sum and gzip -9 in the guest <= 1.5x
// qemu-system-riscv64): the reference guest (-smp 1 -m 256M) boots once per emulator with a
// MIB-MiB text-like file added to its initramfs (rootfs, a tmpfs), warms up each job once,
// then times RUNS runs of each in the guest (/proc/uptime deltas, as bench/mttcg.js) and prints
// the medians, tsqemu-system-riscv64 vs Debian's qemu-system-riscv64.
// Usage: node bench/guest-compute.js [runs=3] [MIB=16]
import { writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { bootConsole, emitRows, ensureTools, fmt, guestFiles, guestSh, guestTime, median, newcArchive, stopGuest, TOP } from './lib.js';

const RUNS = Number(process.argv[2] ?? 3);
const MIB = Number(process.argv[3] ?? 16);
ensureTools({ 'qemu-system-riscv64': 'qemu-system-misc' });
const g = guestFiles();

// The same data as bench/user.js: compressible but non-trivial text from a PRNG.
const buf = Buffer.alloc(MIB << 20);
let x = 12345;
const words = ['qemu', 'riscv', 'tsqemu', 'block', 'virtio', 'kernel', 'shell', ' ', '\n', 'wasm'];
for (let i = 0; i < buf.length;) {
  x = (x * 1103515245 + 12345) >>> 0;
  i += buf.write(words[x % words.length], i, 'latin1');
}
const initrd = join(g.dir, 'initrd.cpio.gz');
writeFileSync(initrd, Buffer.concat([readFileSync(g.initrd), gzipSync(newcArchive([['data.bin', buf]]), { level: 1 })]));
const common = ['-M', 'virt', '-m', '256M', '-smp', '1', '-nographic', '-kernel', g.kernel, '-initrd', initrd, '-append', 'console=ttyS0'];
const jobs = [['sha256sum', 'sha256sum /data.bin >/dev/null'], ['gzip -9', 'gzip -9 -c /data.bin >/dev/null']];

async function measure(cmd, args) {
  const c = bootConsole(cmd, [...common, ...args]);
  try {
    await c.expect(/tsqemu-guest: boot complete|Run \/init/, 300_000, 0);
    await c.expect(/# $/, 120_000, 0);
    const size = /^\s*(\d+)\s*$/m.exec(await guestSh(c, 'wc -c < /data.bin'))?.[1];
    if (Number(size) !== buf.length) throw new Error(`${cmd}: /data.bin is ${size} bytes in the guest, expected ${buf.length}`);
    const res = {};
    for (const [name, job] of jobs) {
      await guestSh(c, job); // warm-up: translate
      const ts = [];
      for (let i = 0; i < RUNS; i++) ts.push(await guestTime(c, job));
      res[name] = median(ts);
    }
    c.send('poweroff -f\n');
    return res;
  } finally {
    await stopGuest(c);
  }
}

const ours = await measure(join(TOP, 'bin', 'tsqemu-system-riscv64'), []);
const theirs = await measure('qemu-system-riscv64', ['-bios', 'default']);
console.log(`\nbusybox in the guest on a ${MIB} MiB tmpfs file (-smp 1), guest seconds, median of ${RUNS} (${new Date().toISOString().slice(0, 10)}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
console.log(`${'job'.padEnd(12)} ${'tsqemu s'.padStart(9)} ${'qemu s'.padStart(9)} ${'ratio'.padStart(7)}`);
for (const [name] of jobs) console.log(`${name.padEnd(12)} ${fmt(ours[name]).padStart(9)} ${fmt(theirs[name]).padStart(9)} ${(fmt(ours[name] / theirs[name]) + 'x').padStart(7)}`);
emitRows('guest-compute', jobs.map(([name]) => ({ name: `system: busybox ${name} ${MIB} MiB in the guest`, ours: ours[name], theirs: theirs[name], unit: 's', goal: { of: 'ratio', op: '<=', value: 1.5 } })));
