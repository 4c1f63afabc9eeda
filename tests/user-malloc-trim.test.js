// The supervisor gives freed malloc memory back while the guest runs (src/host/node/malloc-trim.ts,
// native/tsqemu_proc.c mallocTrim; issues 11 and 18: TurboFan's zones for the interpreter's
// tier-up stayed resident to the end of the process). The addon has the call, and a program
// with 8 threads (workers allocating while the supervisor trims) prints what qemu-riscv64 prints,
// with trimming and with TSQEMU_MALLOC_TRIM=0. (The RSS it saves is measured in bench/, not here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const have = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const addon = path.join(root, 'native/build/Release/tsqemu_proc.node');

test('the addon has mallocTrim', { skip: fs.existsSync(addon) ? false : 'native addon not built' }, () => {
  const trim = createRequire(import.meta.url)(addon).mallocTrim;
  assert.equal(typeof trim, 'function');
  assert.ok([0, 1].includes(trim()));
});

// info jit's translation cost is measured in the thread's CPU time (src/host/node/thread-clock.ts):
// the clock advances while this thread computes and stands still while it sleeps.
test('the addon has threadCpuMs, a clock of this thread only', { skip: fs.existsSync(addon) ? false : 'native addon not built' }, () => {
  const cpu = createRequire(import.meta.url)(addon).threadCpuMs;
  assert.equal(typeof cpu, 'function');
  const t0 = cpu();
  let x = 0;
  while (cpu() - t0 < 20) x += Math.sqrt(x + 1); // runs until 20 ms of this thread's CPU passed
  const t1 = cpu();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // 300 ms asleep
  assert.ok(cpu() - t1 < 150, `${cpu() - t1} ms of CPU while asleep`);
  assert.ok(t1 >= t0 + 20 && x > 0);
});

test('8 guest threads with and without trimming: output as qemu-riscv64', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-trim-'));
  try {
    const prog = path.join(tmp, 'threads');
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-pthread', '-o', prog, path.join(root, 'tests/linux-user/threads.c')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const want = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8' });
    for (const trim of ['1', '0']) {
      const r = spawnSync(path.join(root, 'bin/tsqemu-riscv64'), [prog], { encoding: 'utf8', env: { ...process.env, TSQEMU_MALLOC_TRIM: trim } });
      assert.equal(r.status, want.status, r.stderr);
      assert.equal(r.stdout, want.stdout, `TSQEMU_MALLOC_TRIM=${trim}`);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
