// Pointer masking (Smmpm, Smnpm, Ssnpm; Supm in the profiles), which QEMU 7.2 lacks: the
// bare-metal program tests/tcg/riscv64-ext/pointer-masking.c checks masked loads, stores, AMOs,
// LR/SC, FP, CBO and vector accesses in M, S (Bare and Sv39), U, VS (through MPV) and HLV/HSV
// against expectations written from the specification, in every compiler mode. Without the
// extensions mseccfg does not exist (rv64 has no Zkr either), so the program's first read traps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, TSQEMU, build, describeRun, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : false;

test('pointer masking in M/S/U/VS and HLV/HSV, every compiler mode', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-pm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'pointer-masking', file: join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'pointer-masking.c') }, dir);
  const runs = [
    ...DIFF_MODES.map(([mode, env]) => [mode, env, ['-cpu', 'max']]),
    ['rv64 with the extensions named', {}, ['-cpu', 'rv64,h=on,v=on,smmpm=on,smnpm=on,ssnpm=on']],
  ];
  for (const [mode, env, extra] of runs) {
    const r = await run(process.execPath, [TSQEMU, ...machineArgs(elf), ...extra], 60_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    for (const name of ['m.pmm7-ld', 'm.pmm7-vle-vse', 'm.fetch-not-masked', 's.sv39-tval-sign-extended', 'u.bare-pmm16',
      'vs.henvcfg-pmm7', 'hlv.u-hupmm', 'hlvx.not-masked', 'warl.hupmm-reserved']) {
      assert.match(r.stdout, new RegExp(`^ok ${name.replace(/\./g, '\\.')}$`, 'm'), `${mode}: ${name}`);
    }
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
  const off = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64'], 60_000);
  const m = /unexpected trap mcause=2 mepc=[0-9a-f]+ mtval=([0-9a-f]+)/.exec(off.stdout);
  assert.ok(m, `mseccfg should not exist without Smmpm (or Zkr):\n${off.stdout.slice(-300)}`);
  assert.equal(Number.parseInt(m[1], 16) >>> 20, 0x747, 'the trapping instruction reads mseccfg');
});
