// Memory of a guest thread (issues 11 and 18): every guest thread is a worker with its own V8
// isolate, so what one isolate keeps is paid per thread. src/host/node/user-prewarm.ts caps the
// young generation at 2 MiB (V8's default grows it to 8 MiB, ~4 MiB of it committed in every
// worker), and user-thread.ts drops the worker script's source text and code cache once
// compiled. TSQEMU_JIT_INFO=1 prints each exiting thread's heap and its young generation's
// size: at most 2 MiB (4 MiB for this program with V8's defaults, up to 32 MiB for a worker
// that allocates much), and the whole heap well below the 16-17 MiB a thread had before.
// The program's output must still be qemu-riscv64's. No timing, no RSS of the host process.
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

test('8 guest threads: each worker\'s V8 heap stays small (young generation capped), output as qemu-riscv64', { skip: missing ?? false }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-thrmem-'));
  try {
    const prog = path.join(tmp, 'threads');
    const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-pthread', '-o', prog, path.join(root, 'tests/linux-user/threads.c')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const want = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8' });
    const r = spawnSync(process.execPath, [path.join(root, 'dist/cli/riscv64.js'), prog], { encoding: 'utf8', env: { ...process.env, TSQEMU_JIT_INFO: '1' } });
    assert.equal(r.status, want.status, r.stderr);
    assert.equal(r.stdout, want.stdout);
    const heaps = [...r.stderr.matchAll(/^thread (\d+): .* heap ([0-9.]+)\/([0-9.]+) MiB \(young ([0-9.]+)\)/gm)].map((m) => ({ slot: Number(m[1]), used: Number(m[2]), total: Number(m[3]), young: Number(m[4]) }));
    assert.equal(heaps.length, 8, r.stderr); // the threads that exit (slot 0 ends the process)
    for (const h of heaps) {
      assert.ok(h.used > 0 && h.used <= h.total, `thread ${h.slot}: ${h.used}/${h.total}`);
      assert.ok(h.young > 0 && h.young <= 2, `thread ${h.slot}: young generation ${h.young} MiB (not capped?)`);
      assert.ok(h.total < 14, `thread ${h.slot}: heap total ${h.total} MiB`);
    }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
});
