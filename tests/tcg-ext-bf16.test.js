// Zfbfmin, Zvfbfmin, Zvfbfwma (BFloat16), which QEMU 7.2 lacks: tests/tcg/riscv64-ext/bf16.c
// checks the scalar conversions against values written from the format (rounding, overflow,
// NaNs, subnormals, flags) and the vector forms element by element against the scalar ones, in
// every compiler mode. Off, fcvt.bf16.s is illegal; QEMU 10.2's -cpu dependency texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, TSQEMU, build, describeRun, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : false;

test('BF16: scalar known values and vector forms equal to the scalar ones, in every compiler mode', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-bf16-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'bf16', file: join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'bf16.c') }, dir);
  for (const [mode, env, extra = []] of DIFF_MODES) {
    const r = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,v=on,zfbfmin=on,zvfbfmin=on,zvfbfwma=on', ...extra], 60_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    assert.match(r.stdout, /^ok vfwmaccbf16\.vf-fflags round 29$/m, mode);
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
  const off = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,v=on'], 60_000);
  const m = /unexpected trap mcause=2 mepc=[0-9a-f]+ mtval=([0-9a-f]+)/.exec(off.stdout);
  assert.ok(m, `fcvt.bf16.s should be illegal without Zfbfmin:\n${off.stdout.slice(-300)}`);
  assert.equal(Number.parseInt(m[1], 16) & 0xfff0007f, 0x44800053, 'the trapping instruction is fcvt.bf16.s');
});

test('BF16 -cpu checks: QEMU 10.2 texts', async () => {
  for (const [cpu, msg] of [
    ['rv64,zvfbfmin=on,zve32f=off', 'Zvfbfmin extension depends on Zve32f extension'],
    ['rv64,v=on,zvfbfwma=on,zvfbfmin=off', 'Zvfbfwma extension depends on Zvfbfmin extension'],
  ]) {
    const r = await run(process.execPath, [TSQEMU, '-M', 'virt', '-bios', 'none', '-nographic', '-cpu', cpu], 30_000);
    assert.notEqual(r.status, 0, cpu);
    assert.equal(r.stderr.trim(), `tsqemu-system-riscv64: ${msg}`, cpu);
  }
});
