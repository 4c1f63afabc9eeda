// Vector kernels (bench/prog/vector.c: 64 KiB memcpy and a 16 Ki-element int32 dot product),
// scalar C against V 1.0 inline assembly, under tsqemu-riscv64 and qemu-riscv64, both with
// -cpu rv64,v=true,vlen=N. Medians of 3 of the kernels' own time (the program times its loop).
//   node bench/vector.js [--iters 400] [--vlen 128] [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOP, ensureTools, median, fmt } from './lib.js';

const opt = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const iters = Number(opt('iters', 400)), vlen = Number(opt('vlen', 128)), runs = Number(opt('runs', 3));
ensureTools({ 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu', 'qemu-riscv64': 'qemu-user' });
const dir = mkdtempSync(join(tmpdir(), 'tsqemu-vbench-'));
const prog = join(dir, 'vector');
const b = spawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, join(TOP, 'bench', 'prog', 'vector.c')], { encoding: 'utf8' });
if (b.status !== 0) throw new Error(b.stderr);

const ours = (args) => [process.execPath, join(TOP, 'dist', 'cli', 'riscv64.js'), '-cpu', `rv64,v=true,vlen=${vlen}`, prog, ...args];
const theirs = (args) => ['qemu-riscv64', '-cpu', `rv64,v=true,vlen=${vlen},vext_spec=v1.0`, prog, ...args];
/** Median over `runs` of the kernel time the program prints (startup not included). */
function kernel(argv) {
  const xs = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    const m = / ([0-9.]+)\n$/.exec(r.stdout ?? '');
    if (r.status !== 0 || !m) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
    xs.push(Number(m[1]));
  }
  return median(xs);
}
console.log(`\nvector kernels, ${iters} iterations, VLEN ${vlen}, kernel seconds (medians of ${runs})`);
console.log(`${'kernel'.padEnd(16)} ${'tsqemu s'.padStart(9)} ${'qemu s'.padStart(9)} ${'ratio'.padStart(7)}`);
const res = {};
for (const k of ['memcpy', 'dot']) {
  for (const m of ['scalar', 'vector']) {
    const o = kernel(ours([k, m, String(iters)]));
    const t = kernel(theirs([k, m, String(iters)]));
    res[`${k} ${m}`] = { o, t };
    console.log(`${`${k} ${m}`.padEnd(16)} ${fmt(o).padStart(9)} ${fmt(t).padStart(9)} ${(fmt(o / t) + 'x').padStart(7)}`);
  }
}
for (const k of ['memcpy', 'dot']) {
  const s = res[`${k} scalar`], v = res[`${k} vector`];
  console.log(`${k}: vector/scalar time ratio tsqemu ${fmt(v.o / s.o)}, qemu ${fmt(v.t / s.t)}`);
}
rmSync(dir, { recursive: true, force: true });
