// AIA's hvien/hvictl/hviprio1/hviprio2/vstopi (src/target/riscv/csr-hvi.ts), which QEMU 7.2 has
// not: tests/tcg/riscv64-ext/hvi.c checks them against values written from the AIA
// specification and QEMU 10.2's rules, in every compiler mode. Without Ssaia they do not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, TSQEMU, build, describeRun, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : false;

test('hvien, hvictl, hviprio1/2 and vstopi in every compiler mode', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-hvi-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'hvi', file: join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'hvi.c') }, dir);
  for (const [mode, env] of DIFF_MODES) {
    const r = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'max'], 60_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    for (const n of ['vti-iid13-iprio5', 'vs-sti-wins-by-hviprio', 'vti-hides-pending', 'vs-sie-vti-virtual-insn']) {
      assert.match(r.stdout, new RegExp(`^ok ${n}$`, 'm'), `${mode}: ${n}`);
    }
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
  const off = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,h=on'], 60_000);
  const m = /unexpected trap mcause=2 mepc=[0-9a-f]+ mtval=([0-9a-f]+)/.exec(off.stdout);
  assert.ok(m, `hvien should not exist without Ssaia:\n${off.stdout.slice(-300)}`);
  assert.equal(Number.parseInt(m[1], 16) >>> 20, 0x608, 'the trapping instruction writes hvien');
});

// hvien/hvip's VS-level local interrupts 13-63 delivered to VS-mode, and vsiselect on the
// priority array (tests/tcg/riscv64-ext/hvi-local.c: expectations from AIA 1.0 and QEMU 10.2).
test('VS-level interrupts 13-63 from hvien/hvip, vsireg and the priority array', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-hvi-local-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'hvi-local', file: join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'hvi-local.c') }, dir);
  for (const [mode, env] of DIFF_MODES) {
    const r = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'max'], 60_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    for (const n of ['vs-takes-14', 'vs-takes-35', 'vs-sip-clear-reaches-hvip', 'vs-sireg-iprio-virtual', 'vs-sireg-reserved-illegal']) {
      assert.match(r.stdout, new RegExp(`^ok ${n}$`, 'm'), `${mode}: ${n}`);
    }
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
});
