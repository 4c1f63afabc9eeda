// Vector kernels inside the guest (Linux 6.12 with V): bench/prog/vector.c (64 KiB memcpy and a
// 16 Ki-element int32 dot product), scalar C (V unused) against V 1.0 code, in the default guest
// on tsqemu-system-riscv64 and on qemu-system-riscv64, both -cpu rv64,v=true,vlen=N. One boot
// per emulator; each kernel runs `runs` times after a warm-up; medians of the program's own
// loop time (guest CLOCK_MONOTONIC, so boot and startup are not counted).
//   node bench/rvv.js [--iters 100] [--vlen 128] [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TOP, ensureTools, median, fmt } from './lib.js';
import { Console } from '../tests/system-helpers.js';
import { initrdWith } from '../tests/helpers/initrd.js';

const opt = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const iters = Number(opt('iters', 100)), vlen = Number(opt('vlen', 128)), runs = Number(opt('runs', 3));
ensureTools({ 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu', 'qemu-system-riscv64': 'qemu-system-misc' });
const dir = mkdtempSync(join(tmpdir(), 'tsqemu-rvvbench-'));
const prog = join(dir, 'vector');
const b = spawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, join(TOP, 'bench', 'prog', 'vector.c')], { encoding: 'utf8' });
if (b.status !== 0) throw new Error(b.stderr);
const initrd = initrdWith(join(TOP, 'images', 'initramfs.cpio.gz'), [['vector', readFileSync(prog)]], join(dir, 'initrd.cpio.gz'));
const kernel = join(dir, 'Image');
writeFileSync(kernel, gunzipSync(readFileSync(join(TOP, 'images', 'Image.gz'))));
const guest = ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 quiet'];
const KERNELS = ['memcpy scalar', 'memcpy vector', 'dot scalar', 'dot vector'];

/** Boot one emulator, run every kernel (1 warm-up + `runs`), power off; median seconds per kernel. */
async function measure(bin, args) {
  const c = new Console([...guest, ...args], bin);
  try {
    await c.expect(/tsqemu-guest: boot complete/, 600_000, 0);
    await c.sh('dmesg -n 1');
    const res = {};
    for (const k of KERNELS) {
      const xs = [];
      for (let i = -1; i < runs; i++) {
        const out = await c.sh(`/vector ${k} ${i < 0 ? Math.max(1, iters >> 3) : iters}`, 1_200_000);
        const m = new RegExp(`^${k} \\d+ -?\\d+ ([0-9.]+)$`, 'm').exec(out);
        if (!m) throw new Error(`${bin}: /vector ${k}: ${out}`);
        if (i >= 0) xs.push(Number(m[1]));
      }
      res[k] = median(xs);
    }
    c.send('poweroff -f\n');
    await c.exit;
    return res;
  } finally {
    c.kill();
  }
}

try {
  const ours = await measure(join(TOP, 'bin', 'tsqemu-system-riscv64'), ['-cpu', `rv64,v=true,vlen=${vlen}`]);
  const theirs = await measure('qemu-system-riscv64', ['-bios', 'default', '-cpu', `rv64,v=true,vlen=${vlen},vext_spec=v1.0`]);
  console.log(`\nvector kernels in the guest, ${iters} iterations, VLEN ${vlen}, loop seconds (medians of ${runs})`);
  console.log(`${'kernel'.padEnd(16)} ${'tsqemu s'.padStart(9)} ${'qemu s'.padStart(9)} ${'ratio'.padStart(7)}`);
  for (const k of KERNELS) {
    console.log(`${k.padEnd(16)} ${fmt(ours[k]).padStart(9)} ${fmt(theirs[k]).padStart(9)} ${(fmt(ours[k] / theirs[k]) + 'x').padStart(7)}`);
  }
  for (const k of ['memcpy', 'dot']) {
    console.log(`${k}: vector/scalar time ratio tsqemu ${fmt(ours[`${k} vector`] / ours[`${k} scalar`])}, qemu ${fmt(theirs[`${k} vector`] / theirs[`${k} scalar`])}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
