// Vector kernels (bench/prog/vector.c: 64 KiB memcpy and a 16 Ki-element int32 dot product),
// scalar C against V 1.0 inline assembly, under tsqemu-riscv64 and qemu-riscv64, both with
// -cpu rv64,v=true,vlen=N. Medians of 3; the startup of each emulator is measured with one
// iteration and subtracted, so the table shows the kernels' own time.
//   node bench/vector.js [--iters 400] [--vlen 128] [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOP, ensureTools, measure, fmt } from './lib.js';

const opt = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const iters = Number(opt('iters', 400)), vlen = Number(opt('vlen', 128)), runs = Number(opt('runs', 3));
ensureTools({ 'riscv64-linux-gnu-gcc': 'gcc-riscv64-linux-gnu', 'qemu-riscv64': 'qemu-user' });
const dir = mkdtempSync(join(tmpdir(), 'tsqemu-vbench-'));
const prog = join(dir, 'vector');
const b = spawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, join(TOP, 'bench', 'prog', 'vector.c')], { encoding: 'utf8' });
if (b.status !== 0) throw new Error(b.stderr);

const ours = (args) => [process.execPath, join(TOP, 'dist', 'cli', 'riscv64.js'), '-cpu', `rv64,v=true,vlen=${vlen}`, prog, ...args];
const theirs = (args) => ['qemu-riscv64', '-cpu', `rv64,v=true,vlen=${vlen},vext_spec=v1.0`, prog, ...args];
const base = {
  ours: measure('startup', ours(['dot', 'scalar', '1']), runs).seconds,
  theirs: measure('startup', theirs(['dot', 'scalar', '1']), runs).seconds,
};
console.log(`\nvector kernels, ${iters} iterations, VLEN ${vlen} (startup subtracted: tsqemu ${fmt(base.ours)} s, qemu ${fmt(base.theirs)} s)`);
console.log(`${'kernel'.padEnd(16)} ${'tsqemu s'.padStart(9)} ${'qemu s'.padStart(9)} ${'ratio'.padStart(7)}`);
const res = {};
for (const k of ['memcpy', 'dot']) {
  for (const m of ['scalar', 'vector']) {
    const expect = new RegExp(`^${k} ${m} ${iters} `);
    const o = measure(`${k} ${m}`, ours([k, m, String(iters)]), runs, { expect }).seconds - base.ours;
    const t = measure(`${k} ${m}`, theirs([k, m, String(iters)]), runs, { expect }).seconds - base.theirs;
    res[`${k} ${m}`] = { o, t };
    console.log(`${`${k} ${m}`.padEnd(16)} ${fmt(o).padStart(9)} ${fmt(t).padStart(9)} ${(fmt(o / t) + 'x').padStart(7)}`);
  }
}
for (const k of ['memcpy', 'dot']) {
  const s = res[`${k} scalar`], v = res[`${k} vector`];
  console.log(`${k}: vector/scalar time ratio tsqemu ${fmt(v.o / s.o)}, qemu ${fmt(v.t / s.t)}`);
}
rmSync(dir, { recursive: true, force: true });
