// The block compiler against the interpreter: the same bare-metal snippets run with the compiler
// off and with a threshold of 1 (every block translated), and must leave the same registers,
// memory, pc and instret. Snippets end in `j .` (label done).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, haveToolchain, makeHart, RAM_BASE } from './cpu-helpers.js';
import { tcgOptions } from '../dist/accel/tcg/tcg-accel.js';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { riscvCpuStateBytes } from '../dist/target/riscv/cpu-state.js';
import { createRISCVCPUs } from '../dist/target/riscv/cpu.js';

const DATA = RAM_BASE + 0x8000;

/** Run `code` in slices until the pc sits on its final `j .`, with the given compiler mode. */
function runMode(code, mode, slices = 20000) {
  const saved = { ...tcgOptions };
  Object.assign(tcgOptions, { batchInsns: 500 }, mode);
  try {
    const h = makeHart(code);
    const end = BigInt(RAM_BASE + code.length - 4);
    for (let i = 0; i < slices && h.cpu.pc !== end; i++) h.cpu.run(200);
    return h;
  } finally {
    Object.assign(tcgOptions, saved);
  }
}

function compare(src, { expectTbs = true } = {}) {
  const code = assemble(`${src}\n.option norvc\ndone: j done\n`);
  const a = runMode(code, { enabled: false });
  const b = runMode(code, { enabled: true, threshold: 1 });
  const end = BigInt(RAM_BASE + code.length - 4);
  assert.equal(a.cpu.pc, end, 'the interpreter reached the end');
  assert.equal(b.cpu.pc, end, 'the compiled run reached the end');
  for (let r = 1; r < 32; r++) assert.equal(b.cpu.getGpr(r), a.cpu.getGpr(r), `x${r}`);
  for (let r = 0; r < 32; r++) assert.equal(b.cpu.env.get64('fpr', r), a.cpu.env.get64('fpr', r), `f${r}`);
  for (const f of ['mcause', 'mepc', 'mtval', 'mstatus', 'fflags']) {
    assert.equal(f === 'fflags' ? b.cpu.env.get32(f) : b.cpu.env.get64(f), f === 'fflags' ? a.cpu.env.get32(f) : a.cpu.env.get64(f), f);
  }
  const ha = a.as.findRam(RAM_BASE).hostOffset, hb = b.as.findRam(RAM_BASE).hostOffset;
  assert.deepEqual(b.as.bytes.subarray(hb, hb + 0x10000), a.as.bytes.subarray(ha, ha + 0x10000), 'RAM');
  if (expectTbs) {
    assert.ok(b.cpu.tbCache.translated > 0, 'blocks were translated');
    assert.ok(b.cpu.env.get64('tb_insns') > 0n, 'translated blocks ran');
  }
  return { a, b };
}

const skip = !haveToolchain();

test('loops, branches, ALU, M extension and RVC in translated blocks', { skip }, () => {
  const { a, b } = compare(`
    li a0, 0
    li a1, 1000
    li a2, 7
  1: add a0, a0, a1
    mul a3, a0, a2
    divu a4, a3, a1
    rem a5, a3, a2
    c.addi a1, -1
    xor t0, a3, a4
    sraiw t1, t0, 3
    bnez a1, 1b
    li t2, 0x123456789
    mulh t3, t2, t2
    mulhu t4, t2, a0
    sltu t5, a0, t2
    csrr s1, minstret
  `);
  assert.equal(b.cpu.getGpr(10), 500500n);
  assert.ok(b.cpu.getGpr(9) > 8000n, 'minstret counts the loop');
});

test('loads and stores: TLB misses, misaligned and page-crossing accesses', { skip }, () => {
  compare(`
    li s0, ${DATA}
    li t0, 200
  1: sd t0, 0(s0)
    sw t0, 9(s0)
    ld t1, 0(s0)
    lw t2, 9(s0)
    lh t3, 1(s0)
    lbu t4, 2(s0)
    li t5, ${DATA + 4093}
    sd t1, 0(t5)
    ld t6, 0(t5)
    add a0, a0, t6
    addi s0, s0, 16
    addi t0, t0, -1
    bnez t0, 1b
  `);
});

test('exceptions inside blocks leave exact state (mepc, instret, registers)', { skip }, () => {
  compare(`
    la t0, handler
    csrw mtvec, t0
    li s1, 0
    li s2, 50
  1: addi s1, s1, 3
    li a0, 1
    .word 0xffffffff
    addi s1, s1, 5
    ecall
    ld a1, 3(zero)
    addi s2, s2, -1
    bnez s2, 1b
    csrr s3, minstret
    j done
  handler:
    csrr a2, mepc
    addi a2, a2, 4
    csrw mepc, a2
    addi s4, s4, 1
    mret
  `);
});

test('a peeled loop group (entered in its middle, runs falling through) keeps instret and traps exact', { skip }, () => {
  // tb-layout.ts peelable: the entry at 2: runs a copy of that run, then the loop, where run 2:
  // counts instret on from run 1:'s start (TbContext.delta): csrr minstret in both, a fault in
  // the first run every 8th trip, a forward branch between them (an instret add of -2).
  compare(`
    la t0, handler
    csrw mtvec, t0
    li s2, 3000
    j 2f
  1: addi s1, s1, 3
    andi t1, s2, 7
    bnez t1, 2f
    ld a1, 3(zero)
    csrr t2, minstret
    add s6, s6, t2
    addi s1, s1, 1
  2: csrr t2, minstret
    add s5, s5, t2
    addi s2, s2, -1
    bnez s2, 1b
    csrr s3, minstret
    j done
  handler:
    csrr a2, mepc
    addi a2, a2, 4
    csrw mepc, a2
    csrr a3, minstret
    add s4, s4, a3
    mret
  `);
});

test('FP: off -> illegal, then arithmetic through helpers with x registers in locals', { skip }, () => {
  compare(`
    la t0, handler
    csrw mtvec, t0
    li a0, 3
    fcvt.d.l f1, a0
    li t1, 0x6000
    csrs mstatus, t1
    li a1, 100
  1: fcvt.d.l f2, a1
    fmul.d f3, f2, f2
    fadd.d f1, f1, f3
    fcvt.l.d a2, f1
    addi a1, a1, -1
    bnez a1, 1b
    li sp, ${DATA}
    fsd f1, 0(sp)
    j done
  handler:
    csrr a3, mepc
    addi a3, a3, 4
    csrw mepc, a3
    mret
  `);
});

test('self-modifying code inside a running block is seen at the next instruction', { skip }, () => {
  const { b } = compare(`
    li s0, 300
  1: la t0, patch
    li t1, 0x00150513   # addi a0, a0, 1 + s0
    slli t2, s0, 20
    add t1, t1, t2
    sw t1, 0(t0)
    .option push
    .option norvc
  patch:
    nop
    .option pop
    addi s0, s0, -1
    bnez s0, 1b
  `);
  assert.ok(b.cpu.tbCache.invalidated > 0, 'the store invalidated translated code');
  assert.equal(b.cpu.getGpr(10), BigInt(300 + (300 * 301) / 2), 'each rewrite ran');
});

test('a region keeps a nested loop with a call and inner branches in one function', { skip }, () => {
  const { b } = compare(`
    li s0, 40
    li a0, 0
  1: li s1, 25
  2: andi t0, s1, 3
    beqz t0, 3f
    addi a0, a0, 5
    j 4f
  3: call leaf
  4: addi s1, s1, -1
    bnez s1, 2b
    addi s0, s0, -1
    bnez s0, 1b
    j done
  leaf:
    slli t1, a0, 1
    xor a0, a0, t1
    srli a0, a0, 3
    ret
  `);
  const tbs = b.cpu.tbCache;
  assert.ok(tbs.translatedRuns > tbs.translated, `regions gathered several runs (${tbs.translatedRuns} runs in ${tbs.translated} regions)`);
});

test('a loop across several runs of a region still ends run() on budget', { skip }, () => {
  const code = assemble(`
    li a0, 0
  1: addi a0, a0, 1
    andi t0, a0, 1
    beqz t0, 2f
    addi a1, a1, 1
  2: j 1b
  `);
  const saved = { ...tcgOptions };
  Object.assign(tcgOptions, { enabled: true, threshold: 1, batchInsns: 100 });
  try {
    const h = makeHart(code);
    for (let i = 0; i < 20; i++) h.cpu.run(1000);
    assert.ok(h.cpu.tbCache.translatedRuns > 1, 'the loop was translated as a region');
    assert.ok(h.cpu.env.get64('tb_insns') > 5000n, 'most of it ran translated');
    const before = h.cpu.env.get64('instret');
    h.cpu.run(5000);
    const ran = h.cpu.env.get64('instret') - before;
    assert.ok(ran >= 5000n && ran < 5000n + 64n, `run(5000) retired ${ran}`);
    const a0 = h.cpu.getGpr(10), a1 = h.cpu.getGpr(11);
    assert.ok(a1 === a0 / 2n || a1 === (a0 + 1n) / 2n, `both paths of the loop ran (a0 ${a0}, a1 ${a1})`);
  } finally {
    Object.assign(tcgOptions, saved);
  }
});

test('an instruction straddling two pages runs inside a translated block', { skip }, () => {
  // The loop's `add` is a 4-byte instruction at page offset 0xffe (the RVC ones before it set
  // the alignment): its second half is on the next page.
  const code = assemble(`
    li a0, 0
    li a1, 500
    j 1f
    .balign 4096
    .skip 4096 - 12
  1: c.addi a0, 3
    c.addi a0, 1
    c.addi a1, -1
    c.nop
    c.nop
    add a2, a2, a0
    xor a3, a3, a2
    bnez a1, 1b
  2: j 2b
  `);
  const run = (mode) => {
    const saved = { ...tcgOptions };
    Object.assign(tcgOptions, { batchInsns: 500 }, mode);
    try {
      const h = makeHart(code);
      for (let i = 0; i < 100; i++) h.cpu.run(200);
      return h;
    } finally {
      Object.assign(tcgOptions, saved);
    }
  };
  const a = run({ enabled: false }), b = run({ enabled: true, threshold: 1 });
  assert.equal(a.cpu.getGpr(11), 0n, 'the loop ended');
  for (const r of [10, 11, 12, 13]) assert.equal(b.cpu.getGpr(r), a.cpu.getGpr(r), `x${r}`);
  assert.equal(b.cpu.pc, a.cpu.pc);
  assert.ok(b.cpu.env.get64('tb_insns') > 3000n, 'the loop with the straddling add ran translated');
});

test('a hot loop sharing its jump-cache set with a pc run once per 64 iterations gets translated', { skip }, () => {
  // The loop head (page 1) and `far` (page 3) fall in the same tb_jmp set; `far` runs after
  // every 64 iterations, fewer than the threshold. Direct-mapped, each visit of `far` restarted
  // the loop head's count, and the loop ran interpreted for ever (a syscall path against
  // busybox sha256's round loop did that in the guest).
  const code = assemble(`
    .option norvc
    li s0, 0
    li s1, 300
    li a0, 0
  outer:
    li t0, 64
    j inner
    .org 0x1000
  inner:
    addi a0, a0, 1
    xori a2, a0, 5
    add a3, a3, a2
    slli a4, a3, 3
    xor a5, a5, a4
    addi t0, t0, -1
    bnez t0, inner
    call far
    addi s0, s0, 1
    bne s0, s1, outer
    j done
    .org 0x3000
  far:
    addi a1, a1, 1
    ret
  done: j done
  `);
  const a = runMode(code, { enabled: false }), b = runMode(code, { enabled: true, threshold: 100 });
  const end = BigInt(RAM_BASE + code.length - 4);
  assert.equal(b.cpu.pc, end, 'the compiled run reached the end');
  for (const r of [10, 11, 12, 13, 14, 15]) assert.equal(b.cpu.getGpr(r), a.cpu.getGpr(r), `x${r}`);
  const insns = b.cpu.env.get64('instret'), inTbs = b.cpu.env.get64('tb_insns');
  assert.ok(inTbs * 10n > insns * 9n, `the loop ran translated (${inTbs} of ${insns} instructions)`);
});

test('a hot loop evicted from its jump-cache set by two other pcs keeps its count and its translation (tb_l2)', { skip }, () => {
  // `inner` (page 1), `far` (page 3) and `far2` (page 5) share one 2-way tb_jmp set, and the
  // loop head is evicted after every 64 iterations (far, then far2, take both ways), fewer
  // than the threshold: without the second level its count restarted at each eviction and
  // the loop ran interpreted for ever (thread=single's erratic sha256sum times in the guest),
  // and a translated block was entered again only after the threshold's interpreted runs.
  const code = assemble(`
    .option norvc
    li s0, 0
    li s1, 300
    li a0, 0
  outer:
    li t0, 64
    j inner
    .org 0x1000
  inner:
    addi a0, a0, 1
    xori a2, a0, 5
    add a3, a3, a2
    slli a4, a3, 3
    xor a5, a5, a4
    addi t0, t0, -1
    bnez t0, inner
    call far
    call far2
    addi s0, s0, 1
    bne s0, s1, outer
    j done
    .org 0x3000
  far:
    addi a1, a1, 1
    ret
    .org 0x5000
  far2:
    addi a6, a6, 1
    ret
  done: j done
  `);
  const a = runMode(code, { enabled: false }), b = runMode(code, { enabled: true, threshold: 100 });
  const end = BigInt(RAM_BASE + code.length - 4);
  assert.equal(b.cpu.pc, end, 'the compiled run reached the end');
  for (const r of [10, 11, 12, 13, 14, 15, 16]) assert.equal(b.cpu.getGpr(r), a.cpu.getGpr(r), `x${r}`);
  const insns = b.cpu.env.get64('instret'), inTbs = b.cpu.env.get64('tb_insns');
  assert.ok(inTbs * 10n > insns * 9n, `the loop ran translated (${inTbs} of ${insns} instructions)`);
  assert.equal(b.cpu.tbCache.reinstalled, 0, 'no translated block had to get hot again after an eviction');
});

/** Two harts of one thread (thread=single) over 1 MiB of RAM holding `code`, reset to its start. */
function twoHarts(code) {
  const ram = 1 << 20, layout = allocateGuestMemory(riscvCpuStateBytes(2), 0, ram);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM_BASE, ram, layout.ramHostOffset);
  const cpus = createRISCVCPUs({ as, cpuStateOffset: layout.cpuStateOffset, nharts: 2, rdtime: () => 0n });
  for (const c of cpus) c.reset(BigInt(RAM_BASE));
  as.loadBlob(RAM_BASE, code, 'test code');
  return cpus;
}

test('a block one hart translated is entered by the other harts of the thread at once (thread=single, -smp 2)', { skip }, () => {
  // Hart 0 runs the loop until it is translated; hart 1 then runs the same code: it finds the
  // translation in its tables from its first iteration (it used to run the loop interpreted
  // until hot on hart 1 too, then reinstall it).
  const code = assemble(`
    .option norvc
    li a0, 0
    li t0, 3000
  1: addi a0, a0, 3
    xori a1, a0, 5
    add a2, a2, a1
    addi t0, t0, -1
    bnez t0, 1b
  done: j done
  `);
  const saved = { ...tcgOptions };
  Object.assign(tcgOptions, { enabled: true, threshold: 100, batchInsns: 500 });
  try {
    const cpus = twoHarts(code);
    const end = BigInt(RAM_BASE + code.length - 4);
    for (const c of cpus) for (let i = 0; i < 2000 && c.pc !== end; i++) c.run(200);
    for (const c of cpus) assert.equal(c.pc, end, `hart ${c.hartid} reached the end`);
    assert.equal(cpus[1].getGpr(12), cpus[0].getGpr(12), 'same result on both harts');
    assert.ok(cpus[0].env.get64('tb_insns') > 0n, 'hart 0 ran the loop translated');
    const insns = cpus[1].env.get64('instret'), inTbs = cpus[1].env.get64('tb_insns');
    assert.ok(inTbs * 100n > insns * 99n, `hart 1 ran it translated from the start (${inTbs} of ${insns} instructions)`);
    assert.equal(cpus[0].tbCache.reinstalled, 0, 'hart 1 did not have to get the loop hot again');
  } finally {
    Object.assign(tcgOptions, saved);
  }
});

test('a hart that runs little gets its hot block compiled after the batch\'s instructions on all harts (-smp 2)', { skip }, () => {
  // Hart 1 spins on a flag in short turns while hart 0 runs long ones (OpenSBI's secondary
  // harts waiting for the boot hart under round-robin): the spin gets hot, and its batch waits
  // for batchInsns instructions of the whole thread, not of hart 1 alone (which used to leave
  // it interpreted for -smp N times as long, here for good).
  const code = assemble(`
    .option norvc
    csrr t1, mhartid
    bnez t1, 2f
    li t0, 0
  1: addi t0, t0, 1
    xori a1, t0, 5
    j 1b
  2: li a3, ${RAM_BASE + 0x8000}
  3: ld t2, 0(a3)
    beqz t2, 3b
  done: j done
  `);
  const saved = { ...tcgOptions };
  Object.assign(tcgOptions, { enabled: true, threshold: 50, batchInsns: 5000 });
  try {
    const cpus = twoHarts(code);
    for (let i = 0; i < 20; i++) { cpus[0].run(1000); cpus[1].run(100); }
    const insns = cpus[1].env.get64('instret'), inTbs = cpus[1].env.get64('tb_insns');
    assert.ok(insns < 5000n, `hart 1 ran less than one batch itself (${insns} instructions)`);
    assert.ok(inTbs > 0n, `hart 1's spin ran translated (${inTbs} of ${insns} instructions)`);
    assert.equal(cpus[1].pc >= BigInt(RAM_BASE) && cpus[1].pc < BigInt(RAM_BASE + code.length), true);
  } finally {
    Object.assign(tcgOptions, saved);
  }
});

test('csrr time and sstatus writes of FS/SPP/SPIE are inline in translated S-mode code (no CSR helper), traps as the helper', { skip }, async () => {
  const { riscvCsrLookup } = await import('../dist/target/riscv/csr.js');
  // Count the helper's uses of the two rows (same objects: the inline paths check the row).
  const time = riscvCsrLookup(0xc01), sstatus = riscvCsrLookup(0x100);
  const read0 = time.read, write0 = sstatus.write;
  let reads = 0, writes = 0;
  time.read = (...a) => { reads++; return read0(...a); };
  sstatus.write = (...a) => { writes++; return write0(...a); };
  const code = assemble(`
    la t0, mtrap
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    li s2, 0
    li s4, 0
    li t0, 2
    csrw mcounteren, t0
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x800
    csrs mstatus, t0
    la t0, scode
    csrw mepc, t0
    mret
  scode:
    li a0, 0
    li s3, 1000
  1: csrr t0, time
    add a0, a0, t0
    li t1, 0x6000
    csrc sstatus, t1
    csrs sstatus, t1
    li t1, 0x120
    csrs sstatus, t1
    csrc sstatus, t1
    addi s3, s3, -1
    bnez s3, 1b
    ecall
    li s3, 50
  2: csrr t0, time
    addi s3, s3, -1
    bnez s3, 2b
    ecall
  mtrap:
    csrr t5, mcause
    li t6, 2
    beq t5, t6, illegal
    addi s4, s4, 1
    li t6, 2
    beq s4, t6, done
    csrw mcounteren, zero
    j skip
  illegal:
    addi s2, s2, 1
    csrr s5, mtval
  skip:
    csrr t6, mepc
    addi t6, t6, 4
    csrw mepc, t6
    mret
  .option norvc
  done: j done
  `);
  const end = BigInt(RAM_BASE + code.length - 4);
  const run = (mode) => {
    const saved = { ...tcgOptions };
    Object.assign(tcgOptions, { batchInsns: 500 }, mode);
    reads = 0; writes = 0;
    try {
      const layout = allocateGuestMemory(riscvCpuStateBytes(1), 0, 1 << 20);
      const as = new AddressSpace(layout.memory);
      as.addRam('ram', RAM_BASE, 1 << 20, layout.ramHostOffset);
      let clock = 1000n;
      const [cpu] = createRISCVCPUs({ as, cpuStateOffset: layout.cpuStateOffset, nharts: 1, rdtime: () => (clock += 7n) });
      cpu.reset(BigInt(RAM_BASE));
      as.loadBlob(RAM_BASE, code, 'test code');
      for (let i = 0; i < 20000 && cpu.pc !== end; i++) cpu.run(200);
      return { cpu, reads, writes, clock };
    } finally {
      Object.assign(tcgOptions, saved);
    }
  };
  try {
    const a = run({ enabled: false });
    const b = run({ enabled: true, threshold: 1 });
    for (const r of [a, b]) assert.equal(r.cpu.pc, end, 'the program reached its end');
    for (let r = 1; r < 32; r++) assert.equal(b.cpu.getGpr(r), a.cpu.getGpr(r), `x${r}`);
    for (const f of ['mcause', 'mepc', 'mtval', 'mstatus']) assert.equal(b.cpu.env.get64(f), a.cpu.env.get64(f), f);
    assert.equal(b.clock, a.clock, 'the clock was read as often');
    assert.equal(a.cpu.getGpr(18), 50n, 'csrr time without mcounteren.TM: 50 illegal-instruction traps');
    assert.equal(a.cpu.getGpr(21), 0xc01022f3n, 'mtval: the instruction');
    assert.ok(a.reads >= 1000, `the interpreter reads time through the helper (${a.reads} reads)`);
    assert.ok(b.cpu.env.get64('tb_insns') > 5000n, `translated blocks ran (${b.cpu.env.get64('tb_insns')} instructions)`);
    assert.ok(b.reads < 100, `translated csrr time: ${b.reads} helper reads (inline: a few before the loop is translated)`);
    assert.ok(b.writes < 400, `sstatus FS/SPP/SPIE writes: ${b.writes} helper writes (4000 before)`);
  } finally {
    time.read = read0; sstatus.write = write0;
  }
});
