// The block compiler's inline F/D fast paths (src/target/riscv/trans_rvf_fast.ts) give what
// helperFp gives: tests/jit/fp-fast.c runs add/sub/mul/div/sqrt and the fused multiply-adds on
// operands around the fast-path conditions, with static and dynamic rounding modes and fflags.NX
// set or clear, printing result bits and fflags; compared line by line with qemu-riscv64 with
// the compiler off (helperFp only), at threshold 1 (everything translated) and by default.
// Output goes to a file: this test is about FP, not about writes to a full pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, hasTool, runNode } from './system-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';


const skip = !hasTool('riscv64-linux-gnu-gcc') ? 'riscv64-linux-gnu-gcc missing' : !hasTool('qemu-riscv64') ? 'qemu-riscv64 missing' : false;

test('F/D fast paths match qemu-riscv64 bit for bit, flags included, in every compiler mode', { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-fpfast-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'fp-fast');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-static', '-O1', '-o', exe, join(ROOT, 'tests', 'jit', 'fp-fast.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const wantFile = join(dir, 'qemu.txt');
  const want = spawnSync('qemu-riscv64', [exe, wantFile], { encoding: 'utf8' });
  assert.equal(want.status, 0, want.stderr);
  const wantLines = readFileSync(wantFile, 'utf8').split('\n');
  assert.ok(wantLines.length > 30000);
  // The vectors reach the fast path: with NX set, many results are normal with flags = NX only.
  const fastCandidates = wantLines.filter((l) => / [13] [0-8] [0-9a-f]{16} 1 /.test(l)).length;
  assert.ok(fastCandidates > 1000, `only ${fastCandidates} fast-path candidates`);
  for (const env of [{ TSQEMU_TCG: 'off' }, { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1' }, { TSQEMU_TCG: 'on' }]) {
    const gotFile = join(dir, 'tsqemu.txt');
    const r = await runNode([join(ROOT, 'dist', 'cli', 'riscv64.js'), exe, gotFile], env, 100_000);
    assert.equal(r.code, 0, r.err);
    const got = readFileSync(gotFile, 'utf8').split('\n');
    const i = got.findIndex((l, k) => l !== wantLines[k]);
    assert.equal(i < 0 && got.length === wantLines.length, true,
      `${JSON.stringify(env)}: first difference at line ${i + 1} ("i v op dbits dflags sbits sflags"):\n` +
      `  tsqemu: ${got[i]}\n  qemu:   ${wantLines[i]}`);
  }
});
