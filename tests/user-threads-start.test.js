// Guest thread start-up (issue 18): every guest thread is a worker that loads the emulator's
// script again; threads after the first start from the V8 code cache the first cloning thread
// made (src/host/node/user-thread.ts). Checks that they do (TSQEMU_JIT_INFO=1 reports it per
// thread) and that the program still runs as under qemu-riscv64; the next process starts from
// the cache kept on disk.
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
const bundled = fs.existsSync(path.join(root, 'dist/host/node/user-worker.cjs')) ? null : 'no bundle (npm run build)';

test('8 guest threads: threads after the first start from the code cache, output as qemu-riscv64', { skip: missing ?? bundled ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-thr-'));
  try {
    const prog = path.join(tmp, 'threads');
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-pthread', '-o', prog, path.join(root, 'tests/linux-user/threads.c')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const want = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8' });
    // A fresh cache directory: the first process's threads get the cache from the supervisor
    // (made by the main thread at its first clone), the next process's from the disk.
    const cacheDir = path.join(tmp, 'cache');
    for (const expect of ['used', 'disk']) {
      // One worker per thread (TSQEMU_THREAD_HOSTING=0): threads sharing a worker share its
      // script (thread-host.ts); a moved thread's new worker takes the cache as these do.
      const r = spawnSync(path.join(root, 'bin/tsqemu-riscv64'), [prog], { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: cacheDir, TSQEMU_THREAD_HOSTING: '0' } });
      assert.equal(r.status, want.status, r.stderr);
      assert.equal(r.stdout, want.stdout);
      const uses = [...r.stderr.matchAll(/^thread (\d+): .* code cache (\w+)$/gm)].map((m) => [Number(m[1]), m[2]]);
      assert.equal(uses.length, 8, r.stderr); // the 8 threads that exit (slot 0 ends the process)
      for (const [slot, use] of uses) assert.equal(use, expect, `thread ${slot}: code cache ${use}`);
      assert.ok(fs.readdirSync(cacheDir).some((n) => n.startsWith('v8-user-worker-')));
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
