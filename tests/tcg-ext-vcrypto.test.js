// Vector crypto (Zvbb/Zvkb, Zvbc, Zvkned, Zvknha/Zvknhb, Zvkg, Zvksed, Zvksh; Zvkt has no
// instruction), which QEMU 7.2 lacks: tests/tcg/riscv64-ext/vcrypto.c computes the standards'
// known answers with the vector instructions alone (AES-128/256 FIPS-197, GCM test case 2, SHA-256
// and SHA-512 of "abc", SM4 and SM3 examples) and checks the element-wise ones against a C model,
// in every compiler mode (VLEN 128). Off, their encodings are illegal; -cpu gives
// QEMU 10.2's dependency errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, TSQEMU, build, describeRun, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : false;
const CRYPTO = 'zvbb=on,zvbc=on,zvkg=on,zvkned=on,zvknhb=on,zvksed=on,zvksh=on';

test('vector crypto: known answers of AES, GHASH, SHA-2, SM4, SM3 and the Zvbb/Zvbc model in every compiler mode', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-vcrypto-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'vcrypto', file: join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'vcrypto.c') }, dir);
  for (const [mode, env, extra = []] of DIFF_MODES) {
    const r = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', `rv64,v=on,vlen=128,${CRYPTO}`, ...extra], 60_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    assert.match(r.stdout, /^ok sm3-abc$/m, mode);
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
  // -cpu max has them all (QEMU 10.2's max does too).
  const max = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'max'], 60_000);
  assert.match(max.stdout, /^PASS \d+ checks$/m, describeRun('tsqemu-system-riscv64 -cpu max', max));
  // Off: the first instruction (vandn.vv v3, v2, v1) is illegal.
  const off = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64,v=on'], 60_000);
  const m = /unexpected trap mcause=2 mepc=[0-9a-f]+ mtval=([0-9a-f]+)/.exec(off.stdout);
  assert.ok(m, `vandn.vv should be illegal without Zvkb:\n${off.stdout.slice(-300)}`);
  assert.equal(Number.parseInt(m[1], 16), 0x062081d7);
});

test('vector crypto -cpu checks: QEMU 10.2 texts', async () => {
  const cases = [
    ['rv64,zvkned=on', 'Vector crypto extensions require V or Zve* extensions'],
    ['rv64,zvbb=on', 'Vector crypto extensions require V or Zve* extensions'],
    ['rv64,zve32x=on,zvbc=on', 'Zvbc and Zvknhb extensions require V or Zve64x extensions'],
  ];
  for (const [cpu, msg] of cases) {
    const r = await run(process.execPath, [TSQEMU, '-M', 'virt', '-bios', 'none', '-nographic', '-cpu', cpu], 30_000);
    assert.notEqual(r.status, 0, cpu);
    assert.equal(r.stderr.trim(), `tsqemu-system-riscv64: ${msg}`, cpu);
  }
});
