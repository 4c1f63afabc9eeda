// The interpreter's compiled code kept on disk (host/node/interp-code-cache.ts, native/tsqemu_v8.cc;
// issue 18, translation cost round 9): a process whose interpreter reached TurboFan code writes
// V8's code beside the interpreter's wasm cache entry at exit; the next process starts from it
// (`info jit`: "interpreter from the code cache") and runs the program as qemu-riscv64 does. A
// damaged code file is ignored and written again; code V8 refuses (made under other V8 flags) is
// compiled from the wire bytes instead; TSQEMU_INTERP_CODE=0 leaves it unused; the system
// emulator uses it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const noAddon = fs.existsSync(path.join(root, 'native/build/Release/tsqemu_v8.node')) ? null : 'no native addon tsqemu_v8 (npm run install)';
const bundled = fs.existsSync(path.join(root, 'dist/cli/riscv64-main.cjs')) ? null : 'no bundle (npm run build)';

// Enough interpreted instructions (the block compiler off) for V8 to send the interpreter to
// TurboFan and finish it before the program exits, on a loaded host too (each try is run again
// until a code file is there).
const SRC = `#include <stdio.h>
int main(int c, char **v) {
  unsigned long x = 1;
  for (long i = 0; i < 10000000; i++) x = x * 6364136223846793005UL + (unsigned long)i;
  printf("%lu %d\\n", x, c);
  return 5;
}
`;

const codeFiles = (dir) => fs.readdirSync(dir).filter((n) => n.endsWith('.v8code'));

/** The loop program built in tmp, and qemu-riscv64's run of it. */
function buildLoop(tmp) {
  const prog = path.join(tmp, 'loop');
  fs.writeFileSync(path.join(tmp, 'loop.c'), SRC);
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-o', prog, path.join(tmp, 'loop.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  return { prog, want: spawnSync('qemu-riscv64', [prog, 'x'], { encoding: 'utf8' }) };
}

test('tsqemu-riscv64 keeps the interpreter\'s code, starts from it, and ignores bad code', { skip: missing ?? noAddon ?? bundled ?? false, timeout: 900_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-icode-'));
  try {
    const { prog, want } = buildLoop(tmp);
    assert.equal(want.status, 5);
    const cache = path.join(tmp, 'cache');
    const run = (extraEnv = {}, nodeArgs = []) => {
      const r = spawnSync('node', [...nodeArgs, path.join(root, 'dist/cli/riscv64.cjs'), prog, 'x'], {
        encoding: 'utf8', timeout: 300_000,
        env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_TCG: 'off', TSQEMU_CACHE_DIR: cache, ...extraEnv },
      });
      assert.equal(r.status, want.status, r.stderr);
      assert.equal(r.stdout, want.stdout);
      return /^interpreter\s+(.*)$/m.exec(r.stderr)?.[1];
    };
    // The first run generates the interpreter and writes its code at exit (once V8 has it).
    assert.equal(run(), 'generated');
    for (let i = 0; i < 4 && codeFiles(cache).length === 0; i++) run();
    assert.equal(codeFiles(cache).length, 1, 'a code file beside the wasm entry');
    const code = path.join(cache, codeFiles(cache)[0]);
    assert.equal(run(), 'from the code cache');
    assert.equal(run(), 'from the code cache');
    // Off: the wasm entry as before.
    assert.equal(run({ TSQEMU_INTERP_CODE: '0' }), 'from the disk cache');
    // Damaged (one byte of V8's code): refused by its CRC-32, compiled from the wire bytes,
    // written again at exit.
    const whole = fs.readFileSync(code);
    const bad = Buffer.from(whole);
    bad[bad.length >> 1] ^= 0x5a;
    fs.writeFileSync(code, bad);
    for (let i = 0; i < 4 && fs.readFileSync(code).equals(bad); i++) assert.equal(run(), 'from the disk cache');
    assert.ok(!fs.readFileSync(code).equals(bad), 'the damaged code was written again');
    assert.equal(run(), 'from the code cache');
    // Other V8 flags: V8 refuses the code (its flag hash), the program still runs.
    assert.equal(run({}, ['--wasm-tiering-budget=1000000']), 'compiled at start-up');
    // Truncated to its header: ignored.
    fs.writeFileSync(code, whole.subarray(0, 20));
    assert.equal(run(), 'from the disk cache');
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

// A process whose interpreter was compiled on a worker (a Go program's first thread starts on one;
// here TSQEMU_MAIN_THREAD=0 does the same for a C program) writes the code too: the worker's
// exit listeners never run, so the main thread writes it (user-mode memory round 11).
test('an interpreter compiled on a worker keeps its code too', { skip: missing ?? noAddon ?? bundled ?? false, timeout: 900_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-icode-'));
  try {
    const { prog, want } = buildLoop(tmp);
    const cache = path.join(tmp, 'cache');
    const run = () => {
      const r = spawnSync('node', [path.join(root, 'dist/cli/riscv64.cjs'), prog, 'x'], {
        encoding: 'utf8', timeout: 300_000,
        env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_TCG: 'off', TSQEMU_MAIN_THREAD: '0', TSQEMU_CACHE_DIR: cache },
      });
      assert.equal(r.status, want.status, r.stderr);
      assert.equal(r.stdout, want.stdout);
      assert.doesNotMatch(r.stderr, /on the main thread/);
      return /^interpreter\s+(.*)$/m.exec(r.stderr)?.[1];
    };
    assert.equal(run(), 'generated');
    for (let i = 0; i < 4 && codeFiles(cache).length === 0; i++) run();
    assert.equal(codeFiles(cache).length, 1, 'a code file beside the wasm entry');
    assert.equal(run(), 'from the code cache');
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});

test('the system emulator starts from the interpreter\'s code of an earlier run', { skip: noAddon ?? false, timeout: 600_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-icode-'));
  try {
    // A paused machine: the interpreter is compiled at start-up (interp-prefetch.ts, TurboFan at
    // once); `info jit` after a pause long enough for that compile to finish.
    const origin = () => {
      const r = spawnSync('sh', ['-c', '(sleep 3; echo "info jit"; echo quit) | "$0" -M virt -m 64M -display none -S -bios none -monitor stdio -serial none', path.join(root, 'bin/tsqemu-system-riscv64')],
        { encoding: 'utf8', env: { ...process.env, TSQEMU_CACHE_DIR: tmp }, timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      return /^interpreter\s+(.*)$/m.exec(r.stdout)?.[1];
    };
    assert.equal(origin(), 'generated');
    for (let i = 0; i < 3 && codeFiles(tmp).length === 0; i++) origin();
    assert.equal(codeFiles(tmp).length, 1);
    assert.equal(origin(), 'from the code cache');
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
