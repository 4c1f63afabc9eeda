// prctl(PR_SET/GET_TAGGED_ADDR_CTRL) and RISC-V pointer masking in user mode
// (src/linux-user/tagged-addr.ts): tests/linux-user/tagged-addr.c under tsqemu-riscv64
// -cpu rva23u64 (Supm) in every compiler mode gives the answers Linux 6.13+ gives and masked
// loads/stores the specification describes (written out below: QEMU 7.2 has no pointer masking);
// without Supm (-cpu rva22u64) every such prctl is EINVAL and the output equals qemu-riscv64's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, hasTool, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';
import { ccSpawnSync } from './helpers/cc-cache.js';

const TSQEMU_USER = join(ROOT, 'dist', 'cli', 'riscv64.js');
const skip = !hasTool(GCC) ? `${GCC} not installed` : false;

const WANT_SUPM = `get-initial 0
set-pmlen-17 -22
set-bad-bits -22
set-enable-without-pmlen -22
set-extra-arg -22
set-pmlen-3 0
get-rounded-to-7 0x7000001
tagged-write ok
tagged-write-abi-on 16
tag7-load ok 0x1234
bit56-not-masked-by-pmlen7 segv
set-pmlen-9 0
get-16-abi-off 0x10000000
tagged-write-abi-off -14
tag16-load ok 0x1234
tag16-store 0x777
set-off 0
get-off 0
off-tagged-load segv
`;

test('tagged address prctl and user-mode pointer masking', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-tagged-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'tagged-addr');
  const b = ccSpawnSync(GCC, ['-O2', '-static', '-o', exe, join(ROOT, 'tests', 'linux-user', 'tagged-addr.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  for (const [mode, env] of DIFF_MODES) {
    const got = await run(process.execPath, [TSQEMU_USER, '-cpu', 'rva23u64', exe], 60_000, env);
    assert.equal(got.stdout, WANT_SUPM, `${mode}: ${got.stderr}`);
    assert.equal(got.status, 0, mode);
  }
  const noSupm = await run(process.execPath, [TSQEMU_USER, '-cpu', 'rva22u64', exe], 60_000);
  assert.match(noSupm.stdout, /^set-pmlen-3 -22$/m);
  if (hasTool('qemu-riscv64')) {
    const want = await run('qemu-riscv64', [exe], 60_000);
    assert.equal(noSupm.stdout, want.stdout, 'without Supm: as qemu-riscv64 7.2 (no pointer masking)');
  }
});
