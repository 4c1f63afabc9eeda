// User mode compiles a waiting batch of hot blocks once no other block has got hot for a while
// (tcgOptions.quietInsns, TSQEMU_TCG_QUIET; cpu.ts run()): a program whose phases are each one
// new hot loop runs far fewer instructions interpreted than with the 2M-instruction batch wait
// alone. Counts from TSQEMU_JIT_INFO (instructions, not time); output compared with qemu-riscv64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, hasTool, run } from './tcg-bare-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

const TSQEMU_USER = join(ROOT, 'dist', 'cli', 'riscv64.js');
const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool('qemu-riscv64') ? 'qemu-riscv64 not installed' : false;

test('a new hot loop is compiled without waiting for the whole batch', { skip, timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-quiet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'phases');
  const b = ccSpawnSync(GCC, ['-O2', '-static', '-o', exe, join(ROOT, 'tests', 'linux-user', 'phases.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const want = spawnSync('qemu-riscv64', [exe], { encoding: 'utf8' });
  assert.equal(want.status, 0, want.stderr);
  const interpreted = {};
  for (const [name, quiet] of [['wait for the batch', '0'], ['default', undefined]]) {
    const env = { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '5000', TSQEMU_TCG_BATCH: '2000000', TSQEMU_JIT_INFO: '1', TSQEMU_CACHE_DIR: join(dir, `cache-${quiet ?? 'default'}`) };
    if (quiet !== undefined) env.TSQEMU_TCG_QUIET = quiet;
    const got = await run(process.execPath, [TSQEMU_USER, exe], 120_000, env);
    assert.equal(got.status, 0, `${name}: ${got.stderr}`);
    assert.equal(got.stdout, want.stdout, name);
    const m = /translated insns\s+(\d+) of (\d+) retired/.exec(got.stderr);
    assert.ok(m, `${name}: no TSQEMU_JIT_INFO report in ${got.stderr.slice(-500)}`);
    interpreted[name] = Number(m[2]) - Number(m[1]);
  }
  // Three phases, each waiting up to 2M instructions interpreted for its batch without it.
  assert.ok(interpreted['wait for the batch'] > 3_000_000, JSON.stringify(interpreted));
  assert.ok(interpreted.default * 2 < interpreted['wait for the batch'], JSON.stringify(interpreted));
});
