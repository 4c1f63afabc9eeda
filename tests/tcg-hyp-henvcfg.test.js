// henvcfg's PBMTE, ADUE and Zicbo* bits with the H extension (src/target/riscv/csr-h.ts,
// mmu-h.ts, trans_rvzmisc.ts): tests/tcg/riscv64-h/henvcfg.c checks the write/read masks under
// menvcfg, a PBMT VS-stage PTE faulting without henvcfg.PBMTE, VS-stage A/D updates under
// henvcfg.ADUE, and cbo.zero/clean/flush from VS (virtual instruction without henvcfg's bits,
// illegal without menvcfg's). -cpu rv64,h=true,svpbmt=true runs on real qemu-system-riscv64 7.2
// too: the outputs must be equal in every compiler mode, except the checks named "[10.2] ..."
// where 7.2 differs from QEMU 10.2 (the program's header says which: 7.2 has no Svadu, no
// Zicbo*, and ignores henvcfg.PBMTE in the walk); those must pass here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, QEMU, ROOT, TSQEMU, build, describeRun, firstDifference, hasTool, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool(QEMU) ? `${QEMU} not installed` : false;
const CPU = 'rv64,h=true,svpbmt=true';
const args = (elf) => ['-M', 'virt', '-cpu', CPU, '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];
/** The output without the 10.2-only checks and the summary line. */
const common = (s) => s.split('\n').filter((l) => !l.includes('[10.2]') && !/^(PASS|FAILED) /.test(l)).join('\n');

test('henvcfg PBMTE/ADUE/Zicbo*: equal to QEMU 7.2 where it is 10.2', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-henvcfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'henvcfg', file: join(ROOT, 'tests', 'tcg', 'riscv64-h', 'henvcfg.c') }, dir);

  const want = await run(QEMU, args(elf), 30_000);
  assert.ok(!want.timedOut, describeRun(QEMU, want));
  // The reference loaded through the PBMT page and updated A/D of a VS-stage PTE.
  assert.match(want.stdout, /^ok henvcfg\.PBMTE=1: loaded value$/m);
  assert.match(want.stdout, /^ok henvcfg\.ADUE=1: PTE A and D set$/m);
  assert.deepEqual(want.stdout.match(/^FAIL (?!\[10\.2\]).*$/gm) ?? [], [], 'QEMU 7.2 fails only the 10.2 checks');

  for (const [mode, env] of DIFF_MODES) {
    const got = await run(process.execPath, [TSQEMU, ...args(elf)], 60_000, env);
    assert.ok(got.status === 0 && !got.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', got)}`);
    assert.match(got.stdout, /^PASS 30 checks$/m, mode);
    const diff = firstDifference(common(want.stdout), common(got.stdout));
    assert.ok(!diff, `${mode}: ${diff}`);
  }
});
