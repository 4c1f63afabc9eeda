// Guest address space beyond the 4 GiB WebAssembly.Memory (src/linux-user/high-map.ts):
// tests/linux-user/highmem.c reserves 6 GiB and 16 GiB PROT_NONE + MAP_NORESERVE (wasmtime,
// the JVM, V8 do this), commits and uses pages at the start, the middle and the end, moves data
// to and from them with write()/read() (across two separately committed runs too), faults on
// PROT_NONE and unmapped pages, MAP_FIXED high, /proc/self/maps, threads and fork there.
// Compared with qemu-riscv64, with the compiler at its default and translating at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/cli/riscv64.js');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = !have('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc' : !have('qemu-riscv64') ? 'qemu-riscv64' : null;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-highmem-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('highmem: 6 GiB and 16 GiB reservations used as under qemu-riscv64', { skip: missing ?? false }, () => {
  const prog = path.join(tmp, 'highmem');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O1', '-static', '-pthread', '-o', prog, path.join(root, 'tests/linux-user/highmem.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const want = spawnSync('qemu-riscv64', [prog], { encoding: 'utf8', timeout: 120000 });
  assert.equal(want.status, 0, want.stderr);
  assert.match(want.stdout, /6 GiB: reserved\n/);
  for (const env of [{}, { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1' }]) {
    const got = spawnSync(process.execPath, [cli, prog], { encoding: 'utf8', timeout: 300000, env: { ...process.env, ...env } });
    assert.equal(got.stdout, want.stdout, `${JSON.stringify(env)}: ${got.stderr}`);
    assert.equal(got.status, 0, got.stderr);
  }
});
