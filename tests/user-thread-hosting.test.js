// Several guest threads per worker (src/linux-user/thread-host.ts, issue 18): a clone stays on
// its worker, futex waits and nanosleeps of threads sharing a worker are parked there, other
// blocking calls move the thread to a worker of its own, a busy worker gives half its threads
// to a new one. tests/linux-user/threadhost.c (contended mutexes, condition variables, timed
// lock, a signal interrupting another thread's nanosleep, AMOs and LR/SC, mmap/munmap while
// others store, joins) prints the same as under qemu-riscv64, with hosting and without
// (TSQEMU_THREAD_HOSTING=0); and compute threads really share workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const cli = path.join(root, 'bin/tsqemu-riscv64');

function build(tmp, name, src) {
  const prog = path.join(tmp, name);
  const b = spawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-pthread', '-o', prog, src], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  return prog;
}

test('threads sharing workers: locks, condvars, signals, sleeps, atomics, mmap as qemu-riscv64', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-thost-'));
  try {
    const prog = build(tmp, 'threadhost', path.join(root, 'tests/linux-user/threadhost.c'));
    const want = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8', timeout: 120000 });
    assert.equal(want.status, 0, want.stderr);
    assert.match(want.stdout, /mutex 120000 amo 120000 lr\/sc 120000/);
    for (const hosting of ['1', '0']) {
      const r = spawnSync(cli, [prog], { encoding: 'utf8', timeout: 240000, env: { ...process.env, TSQEMU_THREAD_HOSTING: hosting } });
      assert.equal(r.status, 0, `hosting=${hosting}: ${r.stderr}`);
      assert.equal(r.stdout, want.stdout, `hosting=${hosting}`);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('8 compute threads run on fewer workers than threads, same result as qemu-riscv64', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-thost-'));
  try {
    // bench/prog/threads.c with a smaller total: each thread's worker is on stderr
    // (TSQEMU_JIT_INFO=1: "thread N: worker W, ...").
    const src = path.join(tmp, 'threads.c');
    fs.writeFileSync(src, fs.readFileSync(path.join(root, 'bench/prog/threads.c'), 'utf8').replace('(1u << 27)', '(1u << 24)'));
    const prog = build(tmp, 'threads', src);
    const want = spawnSync('qemu-riscv64', [prog, '8'], { encoding: 'utf8' });
    const r = spawnSync(cli, [prog, '8'], { encoding: 'utf8', timeout: 240000, env: { ...process.env, TSQEMU_JIT_INFO: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, want.stdout);
    const starts = [...r.stderr.matchAll(/^thread (\d+): worker (\d+),/gm)];
    assert.equal(starts.length, 8, r.stderr);
    const workers = new Set(starts.map((m) => m[2]));
    assert.ok(workers.size < 8, `8 threads on ${workers.size} workers`);
    // The first worker running two threads while a host core idles asks for a spare worker
    // once that has lasted SPARE_AFTER_MS (it loads while they run; the split comes to it):
    // once per process.
    assert.equal([...r.stderr.matchAll(/^spare worker \d+ started ahead at \d+ ms$/gm)].length, os.availableParallelism() >= 2 ? 1 : 0, r.stderr);
    // One worker per thread when asked.
    const one = spawnSync(cli, [prog, '8'], { encoding: 'utf8', timeout: 240000, env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_THREAD_HOSTING: '0' } });
    assert.equal(one.stdout, want.stdout);
    assert.equal(new Set([...one.stderr.matchAll(/^thread (\d+): worker (\d+),/gm)].map((m) => m[2])).size, 8, one.stderr);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('a thread moved to a new worker takes its translations; code rewritten later runs fresh there', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-thost-'));
  try {
    const prog = build(tmp, 'threadtbs', path.join(root, 'tests/linux-user/threadtbs.c'));
    const want = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8', timeout: 120000 });
    assert.equal(want.status, 0, want.stderr);
    assert.match(want.stdout, /^fence\.i: calls=100000 wrong=0$/m);
    for (const tbs of ['1', '0']) {
      const r = spawnSync(cli, [prog], { encoding: 'utf8', timeout: 240000, env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_THREAD_TBS: tbs } });
      assert.equal(r.status, 0, `TSQEMU_THREAD_TBS=${tbs}: ${r.stderr}`);
      assert.equal(r.stdout, want.stdout, `TSQEMU_THREAD_TBS=${tbs}`);
      // The reader's new worker installed the old worker's translations (the loop, the code page).
      const adopted = /^TB adopted count\s+(\d+)$/m.exec(r.stderr);
      if (tbs === '1') assert.ok(adopted && Number(adopted[1]) >= 1, r.stderr);
      else assert.equal(adopted, null, r.stderr);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('a worker whose threads ended takes the next split (a spare), same sums as qemu-riscv64', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-thost-'));
  try {
    const prog = build(tmp, 'threadspare', path.join(root, 'tests/linux-user/threadspare.c'));
    const want = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8', timeout: 120000 });
    assert.equal(want.status, 0, want.stderr);
    const r = spawnSync(cli, [prog], { encoding: 'utf8', timeout: 240000, env: { ...process.env, TSQEMU_JIT_INFO: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, want.stdout);
    // Each phase splits once (a host core idles); both splits go to the same second worker.
    const workers = new Set([...r.stderr.matchAll(/^thread (\d+): worker (\d+),/gm)].map((m) => m[2]));
    assert.equal(workers.size, os.availableParallelism() >= 2 ? 2 : 1, r.stderr);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('getrlimit, prlimit64 and writes that cannot wait stay on a shared worker; a full pipe\'s writer still leaves', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-thost-'));
  try {
    const prog = build(tmp, 'threadwrite', path.join(root, 'tests/linux-user/threadwrite.c'));
    const want = spawnSync('qemu-riscv64', [prog, path.join(tmp, 'want')], { encoding: 'utf8', timeout: 120000 });
    assert.equal(want.status, 0, want.stderr);
    const r = spawnSync(cli, [prog, path.join(tmp, 'got')], { encoding: 'utf8', timeout: 240000, env: { ...process.env, TSQEMU_JIT_INFO: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, want.stdout);
    assert.deepEqual(fs.readFileSync(path.join(tmp, 'got')), fs.readFileSync(path.join(tmp, 'want')));
    // Thread 0 made them while thread 1 waited on the same worker: no worker of its own (each
    // is an isolate, ~12 MiB), and so no second worker at all.
    assert.doesNotMatch(r.stderr, /to another worker/, r.stderr);
    // Writes that find the pipe full move the writer (its reader shares the worker): no hang.
    const wantPipe = spawnSync('qemu-riscv64', [prog, path.join(tmp, 'want'), 'pipe'], { encoding: 'utf8', timeout: 120000 });
    const p = spawnSync(cli, [prog, path.join(tmp, 'got'), 'pipe'], { encoding: 'utf8', timeout: 240000 });
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stdout, wantPipe.stdout);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
