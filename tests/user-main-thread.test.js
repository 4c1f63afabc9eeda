// The first guest thread on the emulator's main thread (issue 18, src/host/node/user-first.ts):
// a program that stays single-threaded runs with no worker; the first call that needs the
// supervisor's event loop (clone, wait, signal handlers and masks, kill, timers, execve) moves
// it to a worker at that call. TSQEMU_JIT_INFO=1 says where thread 0 ran. Output and exit
// status as qemu-riscv64 in both places, and with TSQEMU_MAIN_THREAD=0 (a worker at once);
// signals from another process end a running or sleeping single-threaded guest as they end it
// under qemu-riscv64 (SIGUSR1 too: Node's own SIGUSR1 handler, its inspector, must not take it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const sysroot = '/usr/riscv64-linux-gnu';
const ts = path.join(root, 'bin/tsqemu-riscv64');

function build(tmp) {
  const prog = path.join(tmp, 'mainthread');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-pthread', '-o', prog, path.join(root, 'tests/linux-user/mainthread.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  return prog;
}

// Where thread 0 ran: 'end' (main thread throughout) or the call that moved it.
const CASES = { hello: 'end', status: 'end', segv: 'end', thread: 'rt_sigaction', fork: 'clone', handler: 'rt_sigaction', block: 'rt_sigprocmask', alarm: 'rt_sigaction', abort: 'tgkill' };

test('single-threaded programs on the main thread, moved to a worker by the calls that need one, as qemu-riscv64', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-mainthr-'));
  try {
    const prog = build(tmp);
    for (const [c, where] of Object.entries(CASES)) {
      const want = spawnSync('qemu-riscv64', ['-L', sysroot, prog, c], { encoding: 'utf8' });
      for (const main of ['1', '0']) {
        const r = spawnSync(ts, ['-L', sysroot, prog, c], { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_MAIN_THREAD: main } });
        const tag = `${c} (TSQEMU_MAIN_THREAD=${main})`;
        assert.equal(r.stdout, want.stdout, tag);
        assert.equal(r.status, want.status, tag);
        assert.equal(r.signal, want.signal, tag);
        const m = /^thread 0: on the main thread (?:until (\w+)|to the end)$/m.exec(r.stderr);
        if (main === '0') assert.equal(m, null, tag);
        else assert.equal(m?.[1] ?? 'end', where, `${tag}: ${r.stderr.split('\n').filter((l) => l.startsWith('thread 0')).join()}`);
      }
    }
    // execve moves it too (a riscv64 program exec'd stays in the emulator; qemu-riscv64 has no binfmt here).
    const r = spawnSync(ts, ['-L', sysroot, prog, 'exec'], { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1' } });
    assert.equal(r.stdout, 'status\n');
    assert.equal(r.status, 7);
    assert.match(r.stderr, /^thread 0: on the main thread until execve$/m);
    assert.match(r.stderr, /^thread 0: left the main thread at \d+ ms$/m); // (when: README thread hosting, "Round 10")
    // Translations made on the main thread go with the thread to its worker (TbCache.adopt), and
    // run there as under qemu-riscv64; TSQEMU_THREAD_TBS=0: they are made again.
    const hotWant = spawnSync('qemu-riscv64', ['-L', sysroot, prog, 'hotmove'], { encoding: 'utf8' });
    for (const tbs of ['1', '0']) {
      const hot = spawnSync(ts, ['-L', sysroot, prog, 'hotmove'], { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_TCG_THRESHOLD: '20', TSQEMU_TCG_BATCH: '1', TSQEMU_THREAD_TBS: tbs } });
      assert.equal(hot.stdout, hotWant.stdout, `hotmove TSQEMU_THREAD_TBS=${tbs}`);
      assert.equal(hot.status, 0);
      assert.match(hot.stderr, /^thread 0: on the main thread until rt_sigaction$/m);
      if (tbs === '1') assert.match(hot.stderr, /^TB adopted count\s+[1-9]/m, hot.stderr);
      else assert.doesNotMatch(hot.stderr, /^TB adopted count\s+[1-9]/m, hot.stderr);
    }
    // Blocking reads on stdin, on the main thread.
    const input = 'line one\nline two\n'.repeat(50);
    const cat = spawnSync(ts, ['-L', sysroot, prog, 'cat'], { encoding: 'utf8', input, env: { ...process.env, TSQEMU_JIT_INFO: '1' } });
    assert.equal(cat.stdout, `${input}${input.length} bytes\n`);
    assert.equal(cat.status, 0);
    assert.match(cat.stderr, /^thread 0: on the main thread to the end$/m);
    // TSQEMU_MAIN_THREAD_INSNS=N: also moved at the first call after N instructions (README
    // "Translation, round 15"); a bad value is refused.
    const early = spawnSync(ts, ['-L', sysroot, prog, 'cat'], { encoding: 'utf8', input, env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_MAIN_THREAD_INSNS: '1000' } });
    assert.equal(early.stdout, `${input}${input.length} bytes\n`);
    assert.equal(early.status, 0);
    assert.match(early.stderr, /^thread 0: on the main thread until \w+$/m);
    const bad = spawnSync(ts, ['-L', sysroot, prog, 'status'], { encoding: 'utf8', env: { ...process.env, TSQEMU_MAIN_THREAD_INSNS: '1e6' } });
    assert.notEqual(bad.status, 0);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^tsqemu-riscv64: TSQEMU_MAIN_THREAD_INSNS: '1e6' is not a number of instructions$/m);
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

/** Run `argv` until it prints "ready", send it `sig`, and give how it ended. */
function killWhenReady(argv, sig) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready\n')) child.kill(sig);
    });
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ out, status, signal })); // 'close': after the last output was read
  });
}

test('signals from another process end a running or sleeping single-threaded guest as under qemu-riscv64', { skip: missing ?? false }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-mainthr-'));
  try {
    const prog = build(tmp);
    for (const c of ['spin', 'sleep']) {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGUSR1', 'SIGHUP']) {
        const want = await killWhenReady(['qemu-riscv64', '-L', sysroot, prog, c], sig);
        const got = await killWhenReady([ts, '-L', sysroot, prog, c], sig);
        assert.deepEqual(got, want, `${c} ${sig}`);
      }
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
