// Bit-manipulation code under the block compiler: tests/linux-user/bitmanip.c built twice,
// -march=rv64gc_zba_zbb_zbs (cpop, clz, rev8, sh3add.uw, bset ... one instruction each) and
// plain -march=rv64gc (gcc's libcalls and shift/mask sequences), run with ROUNDS rounds under
// tsqemu-riscv64 (compiler on, defaults) and qemu-riscv64; wall time, best of 3, and the
// output checked equal.
// Usage: node bench/bitmanip.js [ROUNDS=20000]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = String(process.argv[2] ?? 20000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-benchbm-'));
const src = path.join(ROOT, 'tests', 'linux-user', 'bitmanip.c');

function build(march) {
  const out = path.join(dir, `bitmanip-${march}`);
  execFileSync('riscv64-linux-gnu-gcc', [`-march=${march}`, '-O2', '-static', '-o', out, src]);
  return out;
}

function time(cmd, args) {
  let best = Infinity, out = '';
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    out = r.stdout;
    best = Math.min(best, ms);
  }
  return { ms: best, out };
}

try {
  for (const march of ['rv64gc_zba_zbb_zbs', 'rv64gc']) {
    const exe = build(march);
    const q = time('qemu-riscv64', ['-cpu', 'rv64,zba=true,zbb=true,zbs=true', exe, ROUNDS]);
    const t = time(process.execPath, [path.join(ROOT, 'dist', 'cli', 'riscv64.js'), exe, ROUNDS]);
    if (q.out !== t.out) throw new Error(`outputs differ: ${q.out} vs ${t.out}`);
    process.stdout.write(`-march=${march.padEnd(20)} tsqemu-riscv64 ${t.ms.toFixed(0).padStart(6)} ms   qemu-riscv64 ${q.ms.toFixed(0).padStart(6)} ms   (${t.out.trim()})\n`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
