// The H extension on bare metal: tests/tcg/riscv64-h/hyp.c (a small hypervisor: M sets up,
// HS builds G-stage and VS-stage tables, the guest runs in VS mode with two-stage paging,
// takes virtual interrupts, guest-page faults go to HS, HLV/HLVX/HSV, hfence, MPRV with MPV,
// an exception from VS to M) runs on real qemu-system-riscv64 (-cpu rv64,h=true) and on
// tsqemu-system-riscv64 (-cpu rv64,h=on) with the block compiler off, forced on, and at its
// defaults: the UART outputs (CSR masks, every trap record) must be equal.
// With the extension off both emulators must refuse the first hypervisor CSR the same way.
// tests/tcg/riscv64-h/csr-rand.c: 800 pseudo-random csrrw/csrrs/csrrc on the S, H, VS, M,
// counter and FP CSRs from HS and from a guest in VS mode (values read, illegal and
// virtual-instruction traps with tval), compared the same way.
//
// TSQEMU_TCG_TIMEOUT=seconds bounds each tsqemu run (default 60).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, GCC, QEMU, TSQEMU, hasTool, build, run, describeRun, firstDifference } from './tcg-bare-helpers.js';

/** As tcg-jit-regress.test.js (not imported: that would run its tests too). */
const JIT_MODES = [
  ['compiler off', { TSQEMU_TCG: 'off' }],
  ['threshold 1, batch 1', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1', TSQEMU_TCG_BATCH: '1' }],
  ['defaults', { TSQEMU_TCG: 'on' }],
];

const noTinst = (s) => s.replace(/\b([hm]tinst=)[0-9a-f]+/g, '$1*');
const TSQEMU_TIMEOUT_MS = Number(process.env.TSQEMU_TCG_TIMEOUT ?? 60) * 1000;
const haveGcc = hasTool(GCC);
const haveQemu = hasTool(QEMU);
const args = (elf, cpu) => ['-M', 'virt', '-cpu', cpu, '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];

test('H extension: bare-metal hypervisor equal to qemu-system-riscv64', {
  skip: !haveGcc ? `${GCC} not installed` : !haveQemu ? `${QEMU} not installed` : false,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-hyp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const elf = build({ name: 'hyp', file: join(ROOT, 'tests', 'tcg', 'riscv64-h', 'hyp.c') }, dir);

  await t.test('h on', async () => {
    const want = await run(QEMU, args(elf, 'rv64,h=true'), 20_000);
    assert.ok(want.status === 0, describeRun(QEMU, want));
    // The reference really went through the guest: guest-page faults, virtual interrupts, HLV.
    assert.match(want.stdout, /^misa=8000000000[0-9a-f]*[89a-f][0-9a-f]$/m);
    assert.match(want.stdout, /^HS trap cause=15 .* htval=40000402 /m);
    assert.match(want.stdout, /^VS trap cause=8000000000000005 /m);
    assert.match(want.stdout, /^HS: hlv\.d=1122334455667788 /m);
    assert.match(want.stdout, /^M: MPRV\+MPV load=9999 stored=4242$/m);
    assert.match(want.stdout, /^done$/m);
    for (const [mode, env] of JIT_MODES) {
      const got = await run(process.execPath, [TSQEMU, ...args(elf, 'rv64,h=on')], TSQEMU_TIMEOUT_MS, env);
      // htinst/mtinst: QEMU 7.2 writes 0, QEMU 10.2 (and tsqemu) the transformed instruction
      // (src/target/riscv/hyp-tinst.ts): compared apart, with the values written from the spec.
      const diff = firstDifference(noTinst(want.stdout), noTinst(got.stdout));
      assert.match(got.stdout, /^HS trap cause=15 epc=\w+ tval=40001008 htval=40000402 htinst=3583 /m, `${mode}: ld a1 -> ld a1, 0(offset 0)`);
      assert.match(got.stdout, /^HS trap cause=17 .* htinst=e03023 /m, `${mode}: sd a4: the S-immediate cleared`);
      assert.match(got.stdout, /^HS trap cause=14 .* htinst=0 /m, `${mode}: a fetch guest-page fault has no transformed instruction`);
      assert.match(got.stdout, /^HS trap cause=15 .* tval=40001000 .* htinst=6c0045f3 /m, `${mode}: hlv.d a1, (a0) with rs1 = offset 0`);
      assert.ok(!diff && got.status === 0, `${mode}: ${diff ?? ''}${describeRun('tsqemu-system-riscv64', got)}`);
    }
  });

  await t.test('random CSR accesses in HS and VS', async () => {
    const rand = build({ name: 'csr-rand', file: join(ROOT, 'tests', 'tcg', 'riscv64-h', 'csr-rand.c') }, dir);
    const want = await run(QEMU, args(rand, 'rv64,h=true'), 20_000);
    assert.ok(want.status === 0, describeRun(QEMU, want));
    assert.match(want.stdout, /^VS \d+ 600 \d \w+: trap 16 tval=/m); // a virtual-instruction exception
    assert.equal(want.stdout.split('\n').filter((l) => /^(HS|VS) \d+ /.test(l)).length, 800);
    for (const [mode, env] of JIT_MODES.slice(0, 2)) {
      const got = await run(process.execPath, [TSQEMU, ...args(rand, 'rv64,h=on')], TSQEMU_TIMEOUT_MS, env);
      const diff = firstDifference(want.stdout, got.stdout);
      assert.ok(!diff && got.status === 0, `${mode}: ${diff ?? ''}${describeRun('tsqemu-system-riscv64', got)}`);
    }
  });

  await t.test('h off: hypervisor CSRs are illegal', async () => {
    const want = await run(QEMU, args(elf, 'rv64,h=false'), 20_000);
    assert.match(want.stdout, /^FAIL unexpected trap mcause=2 /m);
    const got = await run(process.execPath, [TSQEMU, ...args(elf, 'rv64,h=off')], TSQEMU_TIMEOUT_MS);
    const diff = firstDifference(want.stdout, got.stdout);
    assert.ok(!diff && got.status === want.status, `${diff ?? ''}${describeRun('tsqemu-system-riscv64', got)}`);
  });
});
