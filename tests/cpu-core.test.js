// The interpreter end to end on small programs: compiled C (branches, calls, RVC), atomics and
// LR/SC, counters, traps, F/D moves and helper calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileC, haveToolchain, makeHart, runProgram, x } from './cpu-helpers.js';

const skip = !haveToolchain();
const u64 = (v) => BigInt.asUintN(64, v);

test('a compiled C program (sort, recursion, division) computes what the reference does', { skip }, () => {
  const code = compileC(`
    static unsigned long seed = 12345;
    static unsigned long rnd(void) { seed = seed * 6364136223846793005UL + 1442695040888963407UL; return seed >> 33; }
    static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    long arr[300];
    long main(void) {
      for (int i = 0; i < 300; i++) arr[i] = (long)rnd() - (1L << 30);
      for (int i = 1; i < 300; i++) {
        long k = arr[i]; int j = i - 1;
        while (j >= 0 && arr[j] > k) { arr[j + 1] = arr[j]; j--; }
        arr[j + 1] = k;
      }
      unsigned long h = 0;
      for (int i = 0; i < 300; i++) h = h * 31 + (unsigned long)arr[i] / (unsigned long)(i + 1) + (arr[i] % 7);
      return h ^ fib(20);
    }`);
  let seed = 12345n;
  const rnd = () => { seed = u64(seed * 6364136223846793005n + 1442695040888963407n); return seed >> 33n; };
  const arr = [];
  for (let i = 0; i < 300; i++) arr.push(rnd() - (1n << 30n));
  arr.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let h = 0n;
  arr.forEach((v, i) => { h = u64(h * 31n + u64(v) / BigInt(i + 1) + (v % 7n)); });
  const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2));
  const want = h ^ BigInt(fib(20));
  const { cpu } = makeHart(code);
  assert.equal(cpu.run(50_000_000), 1, 'reached wfi');
  assert.equal(cpu.getGpr(10).toString(16), want.toString(16));
});

test('AMOs, LR/SC success and failure, misaligned AMO traps', { skip }, () => {
  const { cpu, as } = runProgram(`
    la s0, mem
    addi s3, s0, 8
    addi s4, s0, 12
    addi s5, s0, 2
    li a1, 3
    amoadd.d a2, a1, (s0)
    li a1, -20
    amomin.d a3, a1, (s0)
    li a1, 5
    amomaxu.d a4, a1, (s0)
    amoswap.w a5, a1, (s3)
    li a1, -1
    amominu.w a6, a1, (s3)
    amoxor.w.aqrl a7, a1, (s4)
    lr.d t0, (s0)
    addi t0, t0, 100
    sc.d t1, t0, (s0)
    sc.d t2, t0, (s0)
    lr.w t3, (s3)
    sc.w t4, t0, (s4)
    lr.w t5, (s3)
    sc.w t6, a1, (s3)
    amoadd.w s1, a1, (s5)
    j done
    .balign 8
  mem: .dword 10
    .word 0x80000000, 0x0f0f0f0f
  `);
  assert.equal(x(cpu, 12), 10n, 'amoadd.d old');
  assert.equal(x(cpu, 13), 13n, 'amomin.d old');
  assert.equal(x(cpu, 14), -20n, 'amomaxu.d old (unsigned -20 > 5 stays)');
  assert.equal(x(cpu, 15), -0x80000000n, 'amoswap.w old, sign-extended');
  assert.equal(x(cpu, 16), 5n, 'amominu.w old');
  assert.equal(x(cpu, 17), 0x0f0f0f0fn, 'amoxor.w old');
  assert.equal(x(cpu, 6), 0n, 'sc.d after lr.d succeeds');
  assert.equal(x(cpu, 7), 1n, 'second sc.d fails');
  assert.equal(x(cpu, 29), 1n, 'sc.w to another address fails');
  assert.equal(x(cpu, 31), 0n, 'sc.w succeeds');
  const mem = Number(cpu.getGpr(8)) - 0x80000000 + as.findRam(0x80000000).hostOffset;
  assert.equal(as.view.getBigInt64(mem, true), -20n + 100n, 'sc.d stored');
  assert.equal(as.view.getInt32(mem + 8, true), -1, 'sc.w stored');
  assert.equal(as.view.getInt32(mem + 12, true), ~0x0f0f0f0f, 'amoxor stored');
  assert.equal(x(cpu, 25), 6n, 'misaligned AMO: store/AMO address misaligned');
  assert.equal(x(cpu, 27), cpu.getGpr(8) + 2n, 'mtval = address');
});

test('instret counts retired instructions', { skip }, () => {
  const { cpu } = runProgram(`
    csrr a0, instret
    nop
    c.nop
    addi x0, x0, 1
    csrr a1, instret
    rdcycle a2
    j done`);
  assert.equal(x(cpu, 11) - x(cpu, 10), 4n);
  assert.ok(x(cpu, 12) >= x(cpu, 11));
});

test('mret, sret and a sleeping wfi retire (counted in instret like a jump)', { skip }, () => {
  // The same instruction sequence with `j` in place of mret/sret must count the same.
  const prog = (xret) => `
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    li t0, 7
    csrw mcounteren, t0
    li t0, 0x1800
    csrs mstatus, t0
    li t0, 0x100
    csrs mstatus, t0
    csrr a0, instret
    la t0, 1f
    csrw mepc, t0
    ${xret === 'mret' ? 'mret' : 'j 1f'}
  1:
    la t0, 2f
    csrw sepc, t0
    ${xret === 'mret' ? 'sret' : 'j 2f'}
  2:
    csrr a1, instret
    j done`;
  const a = runProgram(prog('mret')).cpu;
  const b = runProgram(prog('j')).cpu;
  assert.equal(x(a, 25), -1n, 'no trap');
  assert.equal(a.env.priv, 1, 'sret went to S');
  assert.equal(x(a, 11) - x(a, 10), x(b, 11) - x(b, 10));
  // The wfi that ends both programs retired too: the last csrr, j done and wfi count.
  assert.equal(a.env.get64('instret') - BigInt(x(a, 11)), 3n);
});

test('traps: illegal instruction, ecall, c.ebreak, FP while FS=Off', { skip }, () => {
  const trap = (body) => runProgram(`la s2, here\n${body}`).cpu;
  let cpu = trap('here: .word 0x0000007b');
  assert.deepEqual([x(cpu, 25), x(cpu, 26), x(cpu, 27)], [2n, x(cpu, 18), 0x7bn]);
  cpu = trap('here: ecall');
  assert.deepEqual([x(cpu, 25), x(cpu, 26)], [11n, x(cpu, 18)]);
  cpu = trap('here: c.ebreak');
  assert.deepEqual([x(cpu, 25), x(cpu, 26), x(cpu, 27)], [3n, x(cpu, 18), x(cpu, 18)]);
  cpu = trap('here: fadd.s f0, f1, f2');
  assert.deepEqual([x(cpu, 25), x(cpu, 26), x(cpu, 27)], [2n, x(cpu, 18), 0x0020f053n]);
  cpu = trap('here: .half 0x8002'); // c.jr x0: reserved
  assert.deepEqual([x(cpu, 25), x(cpu, 27)], [2n, 0x8002n], 'reserved RVC encoding, tval = 16 bits');
});

test('F/D: moves, sign injection with NaN-boxing, loads/stores, helper arithmetic, FS=Dirty', { skip }, () => {
  const { cpu } = runProgram(`
    li t0, 0x2000
    csrs mstatus, t0
    li a0, 0x40400000
    fmv.w.x f1, a0
    li a0, 0x3fc00000
    fmv.w.x f2, a0
    fadd.s f3, f1, f2
    fmv.x.w a1, f3
    fsgnjn.s f4, f3, f3
    fmv.x.w a2, f4
    fmv.d.x f5, a0
    fsgnj.s f6, f5, f5
    fmv.x.d a3, f6
    la s0, buf
    fsd f4, 0(s0)
    fld f7, 0(s0)
    fmv.x.d a4, f7
    flw f8, 0(s0)
    fmv.x.d a5, f8
    csrr a6, mstatus
    j done
    .balign 8
  buf: .space 16`);
  assert.equal(x(cpu, 25), -1n, 'no trap');
  assert.equal(x(cpu, 11), 0x40900000n, '3.0f + 1.5f');
  assert.equal(x(cpu, 12), BigInt.asIntN(64, 0xffffffffc0900000n), 'fsgnjn, fmv.x.w sign-extends');
  assert.equal(u64(x(cpu, 13)), 0xffffffff7fc00000n, 'unboxed operand reads as canonical NaN');
  assert.equal(u64(x(cpu, 14)), 0xffffffffc0900000n, 'fsd/fld round trip');
  assert.equal(u64(x(cpu, 15)), 0xffffffffc0900000n, 'flw NaN-boxes');
  assert.equal((x(cpu, 16) >> 13n) & 3n, 3n, 'FS = Dirty');
});

test('setMip between runs: wfi sleeps, a pending enabled interrupt is taken on the next run', { skip }, () => {
  const { cpu } = runProgram(`
    la t0, handler
    csrw mtvec, t0
    li t0, 0x80        # MTIE
    csrw mie, t0
    csrsi mstatus, 8   # MIE
    li a0, 0
  spin:
    addi a0, a0, 1
    wfi
    j spin
  handler:
    csrr s9, mcause
    csrr s10, mepc
    li t0, 0x80
    csrc mie, t0
    j done`, { budget: 1000 });
  // The program is asleep in its wfi (runProgram saw CpuExit.WFI).
  assert.equal(x(cpu, 10), 1n);
  assert.equal(cpu.hasPendingInterrupt(), false);
  cpu.setMip(1 << 7, true);
  assert.equal(cpu.hasPendingInterrupt(), true);
  assert.equal(cpu.run(1000), 1, 'back to sleep in the handler');
  assert.equal(u64(x(cpu, 25)), (1n << 63n) | 7n, 'machine timer interrupt');
  assert.equal(x(cpu, 10), 1n, 'taken before the loop ran again');
});
