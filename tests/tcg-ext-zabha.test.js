// Zabha (byte/halfword AMOs; amocas.b/h with Zacas), which QEMU 7.2 lacks: checked against the
// specification's semantics by tests/tcg/riscv64-ext/zabha.c (expected values written from the
// spec text, on RAM and on a device page) in the four compiler modes. With Zabha off its
// encodings are illegal instructions, and amocas.b/h need Zacas as well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, TSQEMU, build, describeRun, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : false;

test('Zabha: the specification examples pass in every compiler mode; off, its encodings are illegal', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-zabha-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'zabha', file: join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'zabha.c') }, dir);
  for (const [mode, env, extra = []] of DIFF_MODES) {
    const r = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,zabha=on,zacas=on', ...extra], 60_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
  // Off (the rv64 default): the first amoadd.b is illegal.
  const off = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64'], 60_000);
  let m = /unexpected trap mcause=2 mepc=[0-9a-f]+ mtval=([0-9a-f]+)/.exec(off.stdout);
  assert.ok(m, `amoadd.b should be illegal with Zabha off:\n${off.stdout.slice(-300)}`);
  assert.equal(Number.parseInt(m[1], 16) & 0xf800707f, 0x0000002f, 'the trapping instruction is amoadd.b');
  // Zabha without Zacas: the byte/halfword AMOs run, amocas.h is illegal.
  const noCas = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,zabha=on'], 60_000);
  m = /unexpected trap mcause=2 mepc=[0-9a-f]+ mtval=([0-9a-f]+)/.exec(noCas.stdout);
  assert.ok(m, `amocas.h should be illegal without Zacas:\n${noCas.stdout.slice(-300)}`);
  assert.equal(Number.parseInt(m[1], 16) & 0xf800707f, 0x2800102f, 'the trapping instruction is amocas.h');
  assert.match(noCas.stdout, /^ok amoswap\.h-old$/m);
});
