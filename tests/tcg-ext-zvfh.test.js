// Zvfh / Zvfhmin (vector half precision), which QEMU 7.2 lacks: tests/tcg/riscv64-ext/zvfh.c
// compares every SEW=16 vector operation, results and accumulated fflags, with the scalar Zfh
// instructions (themselves checked against QEMU 7.2 by tcg-diff-ext) over random and special
// operands, plus the specification's NaN-boxing rules, in every compiler mode. With Zvfhmin
// only the two conversions run and the first SEW=16 arithmetic instruction is illegal; with
// neither, the conversions are illegal too. QEMU 10.2's -cpu checks and texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, TSQEMU, build, describeRun, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : false;
const trapOf = (out) => {
  const m = /unexpected trap mcause=2 mepc=[0-9a-f]+ mtval=([0-9a-f]+)/.exec(out);
  return m ? Number.parseInt(m[1], 16) : null;
};

test('Zvfh: SEW=16 vector FP equals scalar Zfh in every compiler mode; Zvfhmin has only the conversions', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-zvfh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'zvfh', file: join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'zvfh.c') }, dir);
  for (const [mode, env, extra = []] of DIFF_MODES) {
    const r = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,v=on,vlen=128,zvfh=on,zfh=on', ...extra], 120_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
  const min = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,v=on,zvfhmin=on,zfh=on'], 60_000);
  assert.match(min.stdout, /^ok vfncvt\.f\.f\.w-fflags round 39$/m, 'Zvfhmin runs the conversions');
  assert.doesNotMatch(min.stdout, /^FAIL (?!unexpected trap)/m);
  assert.equal(trapOf(min.stdout), 0x022190d7, 'then vfadd.vv at SEW=16 is illegal');
  const none = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,v=on,zfh=on'], 60_000);
  assert.equal(trapOf(none.stdout), 0x4a261257, 'without either, vfwcvt.f.f.v at SEW=16 is illegal');
});

test('Zvfh/Zvfhmin -cpu checks: QEMU 10.2 texts', async () => {
  const cases = [
    ['rv64,zvfh=on,zfhmin=off', 'Zvfh extensions requires Zfhmin extension'],
    ['rv64,zvfhmin=on,zve32f=off', 'Zvfh/Zvfhmin extensions require Zve32f extension'],
  ];
  for (const [cpu, msg] of cases) {
    const r = await run(process.execPath, [TSQEMU, '-M', 'virt', '-bios', 'none', '-nographic', '-cpu', cpu], 30_000);
    assert.notEqual(r.status, 0, cpu);
    assert.equal(r.stderr.trim(), `tsqemu-system-riscv64: ${msg}`, cpu);
  }
});
