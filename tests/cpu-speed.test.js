// Interpreter speed on two tight loops (ALU + branch; load/store copy). Printed, not asserted:
// the numbers depend on the host.
import { test } from 'node:test';
import { assemble, haveToolchain, makeHart } from './cpu-helpers.js';

const LOOPS = {
  'add/xor/branch loop': `
    li t0, 10000000
    li t1, 0
  1: addi t1, t1, 3
    xor t2, t1, t0
    addi t0, t0, -1
    bnez t0, 1b
  2: wfi
    j 2b`,
  'ld/sd copy loop': `
    li t0, 4000000
    la a0, buf
  1: ld t2, 0(a0)
    sd t2, 512(a0)
    ld t3, 8(a0)
    sd t3, 520(a0)
    addi a0, a0, 16
    andi t4, a0, 0x1f0
    bnez t4, 3f
    addi a0, a0, -512
  3: addi t0, t0, -1
    bnez t0, 1b
  2: wfi
    j 2b
    .balign 4096
  buf: .space 2048`,
};

test('interpreter MIPS', { skip: !haveToolchain() }, (t) => {
  for (const [name, src] of Object.entries(LOOPS)) {
    const { cpu } = makeHart(assemble(src));
    const t0 = process.hrtime.bigint();
    while (cpu.run(10_000_000) === 0);
    const ns = Number(process.hrtime.bigint() - t0);
    const n = Number(cpu.env.get64('instret'));
    t.diagnostic(`${name}: ${n} instructions in ${(ns / 1e6).toFixed(0)} ms = ${(n / ns * 1000).toFixed(0)} MIPS`);
  }
});
