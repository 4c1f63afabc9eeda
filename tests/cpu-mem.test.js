// Loads and stores of the interpreter: sign/zero extension, misaligned and page-crossing
// accesses (slow path), MMIO dispatch, access faults, and instruction fetch across a page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haveToolchain, runProgram, RAM_BASE, x } from './cpu-helpers.js';

const skip = !haveToolchain();
const LOADS = [['lb', 1, true], ['lbu', 1, false], ['lh', 2, true], ['lhu', 2, false], ['lw', 4, true],
  ['lwu', 4, false], ['ld', 8, true]];

function expectLoad(bytes, off, size, signed) {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]);
  return signed ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
}

test('loads extend correctly at every alignment, also across a page boundary', { skip }, () => {
  // `cross` sits 8 bytes before a page end, so offsets 1..15 straddle the boundary for wide loads.
  const offsets = [0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 14];
  const lines = ['la s0, cross', 'la s1, res'];
  let n = 0;
  for (const [op] of LOADS) for (const o of offsets) lines.push(`${op} a0, ${o}(s0)`, `sd a0, ${8 * n++}(s1)`);
  lines.push('j done', '.balign 4096', '.space 4088',
    'cross: .dword 0x8f7e6d5c4b3a2918, 0xf0e1d2c3b4a59687, 0', 'res: .space 1024');
  const { cpu, as, code } = runProgram(lines.join('\n'));
  assert.equal(x(cpu, 25), -1n, 'no trap');
  const host = as.findRam(RAM_BASE).hostOffset;
  const crossOff = Number(cpu.getGpr(8)) - RAM_BASE; // s0 = cross
  const bytes = code.subarray(crossOff, crossOff + 24);
  n = 0;
  for (const [op, size, signed] of LOADS) for (const o of offsets) {
    const got = as.view.getBigUint64(host + crossOff + 24 + 8 * n++, true);
    assert.equal(got.toString(16), expectLoad(bytes, o, size, signed).toString(16), `${op} at +${o}`);
  }
});

test('stores of every size, aligned, misaligned and page-crossing', { skip }, () => {
  const cases = [['sb', 1, 3], ['sh', 2, 1], ['sh', 2, 4095 - 4088], ['sw', 4, 2], ['sw', 4, 4094 - 4088],
    ['sd', 8, 0], ['sd', 8, 5], ['sd', 8, 4093 - 4088], ['sw', 4, 4096 - 4088]];
  const lines = ['la s0, area', 'li a1, 0x0123456789abcdef'];
  for (const [op, , off] of cases) lines.push(`${op} a1, ${off}(s0)`, 'addi s0, s0, 32', 'addi a1, a1, 0x111');
  lines.push('j done', '.balign 4096', '.space 4088', 'area: .space 512');
  const { cpu, as } = runProgram(lines.join('\n').replace('j done', 'la s0, area\nj done'));
  assert.equal(x(cpu, 25), -1n, 'no trap');
  const areaHost = as.findRam(RAM_BASE).hostOffset + Number(cpu.getGpr(8)) - RAM_BASE;
  let v = 0x0123456789abcdefn;
  cases.forEach(([op, size, off], i) => {
    const base = areaHost + 32 * i;
    for (let b = 0; b < 32; b++) {
      const inside = b >= off && b < off + size;
      const want = inside ? Number((v >> BigInt(8 * (b - off))) & 0xffn) : 0;
      assert.equal(as.bytes[base + b], want, `${op} #${i} byte ${b}`);
    }
    v += 0x111n;
  });
});

test('MMIO loads and stores reach the device callbacks; unmapped access faults', { skip }, () => {
  const log = [];
  const ops = {
    read: (off, size) => { log.push(['r', off, size]); return 0x80 + off; },
    write: (off, size, val) => { log.push(['w', off, size, val]); },
  };
  const { cpu } = runProgram(`
    li s0, 0x10000000
    li a1, 0x5a
    sb a1, 3(s0)
    lb a2, 0(s0)
    li a1, 0x12345678
    sw a1, 8(s0)
    lw a3, 4(s0)
    li s1, 0x20000000
    ld a4, 0(s1)
    j done`, { mmio: [{ name: 'dev', base: 0x10000000, size: 0x100, ops }] });
  assert.deepEqual(log, [['w', 3, 1, 0x5a], ['r', 0, 1], ['w', 8, 4, 0x12345678], ['r', 4, 4]]);
  assert.equal(x(cpu, 12), -128n, 'lb sign-extends the device byte');
  assert.equal(x(cpu, 13), 0x84n);
  assert.equal(x(cpu, 25), 5n, 'load access fault');
  assert.equal(x(cpu, 27), 0x20000000n, 'mtval = address');
});

test('a 4-byte instruction straddling a page boundary is fetched from both pages', { skip }, () => {
  const { cpu } = runProgram(`
    li a0, 1
    j cross
    .balign 4096
    .space 4094
  cross:
    .option push
    .option norvc
    addi a0, a0, 41
    .option pop
    j done`);
  assert.equal(x(cpu, 25), -1n, 'no trap');
  assert.equal(x(cpu, 10), 42n);
});

test('AMOs, LR and SC on a device page are a load then a store (QEMU serial path)', { skip }, () => {
  const log = [];
  const regs = new Map();
  const ops = {
    read: (off, size) => { log.push(['r', off, size]); return regs.get(off) ?? 0; },
    write: (off, size, val) => { log.push(['w', off, size, val]); regs.set(off, val); },
    read64: (off) => { log.push(['r', off, 8]); return regs.get(off) ?? 0n; },
    write64: (off, val) => { log.push(['w', off, 8, val]); regs.set(off, val); },
  };
  const { cpu } = runProgram(`
    li s0, 0x10000000
    li a1, -5
    sw a1, 0(s0)
    li a1, 7
    amoadd.w a2, a1, (s0)
    li a1, 3
    amomax.w a3, a1, (s0)
    li a1, 100
    addi s4, s0, 8
    amoswap.d a4, a1, (s4)
    lr.d a5, (s4)
    li a1, 9
    sc.d a6, a1, (s4)
    ld a7, 8(s0)
    li s1, 0x20000000
    la t0, 1f
    csrw mtvec, t0
    lr.w t3, (s1)
1:  csrr s2, mcause
    csrr s3, mtval
    la t0, trap
    csrw mtvec, t0
    amoor.d t3, a1, (s1)
    j done`, { mmio: [{ name: 'dev', base: 0x10000000, size: 0x100, ops }] });
  assert.equal(x(cpu, 12), -5n, 'amoadd.w returns the sign-extended old value');
  assert.equal(x(cpu, 13), 2n, 'amomax.w old value');
  assert.equal(regs.get(0), 3, 'max(2, 3) stored');
  assert.equal(x(cpu, 14), 0n, 'amoswap.d old value');
  assert.equal(x(cpu, 15), 100n, 'lr.d from the device');
  assert.equal(x(cpu, 16), 0n, 'sc.d succeeds');
  assert.equal(x(cpu, 17), 9n);
  assert.deepEqual(log.slice(0, 10), [['w', 0, 4, 0xfffffffb], ['r', 0, 4], ['w', 0, 4, 2], ['r', 0, 4], ['w', 0, 4, 3],
    ['r', 8, 8], ['w', 8, 8, 100n], ['r', 8, 8], ['r', 8, 8], ['w', 8, 8, 9n]]);
  assert.equal(x(cpu, 18), 5n, 'lr.w on nothing: load access fault');
  assert.equal(x(cpu, 19), 0x20000000n);
  assert.equal(x(cpu, 25), 7n, 'AMO on nothing: store/AMO access fault');
  assert.equal(x(cpu, 27), 0x20000000n);
});
