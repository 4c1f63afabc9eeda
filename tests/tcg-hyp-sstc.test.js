// Sstc and Smstateen with the H extension (src/target/riscv/hyp-sstc.ts):
// tests/tcg/riscv64-h/hsstc.c checks vstimecmp and the VS timer interrupt (taken by a guest in
// VS mode, at time >= vstimecmp, bounded by mtime), henvcfg.STCE under menvcfg.STCE, htimedelta
// moving the compare, hvip's VSTIP apart from the timer's, stimecmp from VS (virtual
// instruction without hcounteren.TM or henvcfg.STCE), and with Smstateen hstateen0-3 (masked
// by mstateen, hstateen0h) gating sstateen0, senvcfg and stopi from VS.
// -cpu rv64,h=on runs on real qemu-system-riscv64 7.2 too: the outputs must be equal in every
// compiler mode, except the checks named "[10.2] ..." where 7.2 differs from QEMU 10.2 (the
// program's header says which); those must pass on tsqemu. -cpu max adds the Smstateen part
// (QEMU 7.2 cannot enable Smstateen), checked against the program's spec-derived expectations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, QEMU, ROOT, TSQEMU, build, describeRun, firstDifference, hasTool, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool(QEMU) ? `${QEMU} not installed` : false;
const args = (elf, cpu) => ['-M', 'virt', '-cpu', cpu, '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];
/** The output without the 10.2-only checks and the summary line. */
const common = (s) => s.split('\n').filter((l) => !l.includes('[10.2]') && !/^(PASS|FAILED) /.test(l)).join('\n');

test('vstimecmp, henvcfg.STCE, htimedelta, hstateen: equal to QEMU 7.2 where it is 10.2', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-hsstc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'hsstc', file: join(ROOT, 'tests', 'tcg', 'riscv64-h', 'hsstc.c') }, dir);

  const want = await run(QEMU, args(elf, 'rv64,h=true'), 30_000);
  assert.ok(!want.timedOut, describeRun(QEMU, want));
  // The reference took the VS timer interrupt and trapped stimecmp without henvcfg.STCE.
  assert.match(want.stdout, /^ok VS timer interrupt at time >= vstimecmp$/m);
  assert.match(want.stdout, /^ok henvcfg\.STCE=0: VS stimecmp read traps$/m);
  assert.deepEqual(want.stdout.match(/^FAIL (?!\[10\.2\]).*$/gm) ?? [], [], 'QEMU 7.2 fails only the 10.2 checks');

  for (const [mode, env] of DIFF_MODES) {
    const got = await run(process.execPath, [TSQEMU, ...args(elf, 'rv64,h=on')], 60_000, env);
    assert.ok(got.status === 0 && !got.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', got)}`);
    assert.match(got.stdout, /^PASS 38 checks$/m, mode);
    const diff = firstDifference(common(want.stdout), common(got.stdout));
    assert.ok(!diff, `${mode}: ${diff}`);

    const max = await run(process.execPath, [TSQEMU, ...args(elf, 'max')], 60_000, env);
    assert.ok(max.status === 0 && !max.timedOut, `${mode} -cpu max: ${describeRun('tsqemu-system-riscv64', max)}`);
    for (const n of ['hstateen0 read masked by mstateen0', 'hstateen0=0: VS sstateen0 traps', 'hstateen0=0: VS senvcfg traps',
      'hstateen0=0: VS stopi traps', 'hstateen0 set: VS stopi', 'mstateen0.ENVCFG=0: HS henvcfg illegal',
      'mstateen1.SE0=0: HS hstateen1 illegal', 'VS timer interrupt taken', 'hvictl.VTI: VS stimecmp write traps']) {
      assert.match(max.stdout, new RegExp(`^ok ${n.replace(/[.()]/g, '\\$&')}$`, 'm'), `${mode} -cpu max: ${n}`);
    }
    assert.match(max.stdout, /^PASS 58 checks$/m, `${mode} -cpu max`);
  }
});
