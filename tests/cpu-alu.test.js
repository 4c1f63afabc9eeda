// Integer ALU of the interpreter (RV64I/M register-register and immediate forms), checked
// against a BigInt reference of the spec's semantics over edge-case operands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, haveToolchain, makeHart, RAM_BASE } from './cpu-helpers.js';

const M64 = (1n << 64n) - 1n;
const u = (v) => BigInt.asUintN(64, v);
const s = (v) => BigInt.asIntN(64, v);
const s32 = (v) => BigInt.asIntN(32, v);
const u32 = (v) => BigInt.asUintN(32, v);
const w = (v) => u(s32(v));
const MIN = -(1n << 63n);

const REF = {
  add: (a, b) => u(a + b), sub: (a, b) => u(a - b),
  sll: (a, b) => u(a << (b & 63n)), srl: (a, b) => u(a) >> (b & 63n), sra: (a, b) => u(s(a) >> (b & 63n)),
  slt: (a, b) => (s(a) < s(b) ? 1n : 0n), sltu: (a, b) => (u(a) < u(b) ? 1n : 0n),
  xor: (a, b) => u(a ^ b), or: (a, b) => u(a | b), and: (a, b) => u(a & b),
  mul: (a, b) => u(a * b), mulh: (a, b) => u((s(a) * s(b)) >> 64n),
  mulhsu: (a, b) => u((s(a) * u(b)) >> 64n), mulhu: (a, b) => u((u(a) * u(b)) >> 64n),
  div: (a, b) => (s(b) === 0n ? M64 : s(a) === MIN && s(b) === -1n ? u(MIN) : u(s(a) / s(b))),
  divu: (a, b) => (u(b) === 0n ? M64 : u(a) / u(b)),
  rem: (a, b) => (s(b) === 0n ? u(a) : s(a) === MIN && s(b) === -1n ? 0n : u(s(a) % s(b))),
  remu: (a, b) => (u(b) === 0n ? u(a) : u(a) % u(b)),
  addw: (a, b) => w(a + b), subw: (a, b) => w(a - b),
  sllw: (a, b) => w(a << (b & 31n)), srlw: (a, b) => w(u32(a) >> (b & 31n)), sraw: (a, b) => w(s32(a) >> (b & 31n)),
  mulw: (a, b) => w(a * b),
  divw: (a, b) => (s32(b) === 0n ? M64 : s32(a) === -(1n << 31n) && s32(b) === -1n ? w(s32(a)) : w(s32(a) / s32(b))),
  divuw: (a, b) => (u32(b) === 0n ? M64 : w(u32(a) / u32(b))),
  remw: (a, b) => (s32(b) === 0n ? w(a) : s32(a) === -(1n << 31n) && s32(b) === -1n ? 0n : w(s32(a) % s32(b))),
  remuw: (a, b) => (u32(b) === 0n ? w(a) : w(u32(a) % u32(b))),
};
const IMM_REF = {
  addi: REF.add, slti: REF.slt, sltiu: REF.sltu, xori: REF.xor, ori: REF.or, andi: REF.and, addiw: REF.addw,
  slli: REF.sll, srli: REF.srl, srai: REF.sra, slliw: REF.sllw, srliw: REF.srlw, sraiw: REF.sraw,
};

const VALUES = [0n, 1n, -1n, 2n, -2n, 5n, -7n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  -0x80000000n, (1n << 63n) - 1n, MIN, 0x123456789abcdef0n, -0x0fedcba987654321n];
const IMMS = [0, 1, -1, 5, -2048, 2047, 31, 63, 0x555];

/** One program computing every case, results stored to a table at `res`. */
function buildCases() {
  const cases = [];
  for (const op of Object.keys(REF)) for (const a of VALUES) for (const b of VALUES) cases.push({ op, a, b });
  for (const op of Object.keys(IMM_REF)) for (const a of VALUES) for (const i of IMMS) {
    const shift = op.startsWith('sl') || op.startsWith('sr');
    const max = op.endsWith('w') ? 31 : 63;
    if (shift && (i < 0 || i > max)) continue;
    cases.push({ op, a, imm: i });
  }
  return cases;
}

test('RV64IM register and immediate ALU ops match the spec (edge operands)', { skip: !haveToolchain() }, () => {
  const cases = buildCases();
  const lines = ['la s0, res'];
  cases.forEach((c, i) => {
    lines.push(`li a0, ${c.a}`);
    if (c.imm === undefined) { lines.push(`li a1, ${c.b}`, `${c.op} a2, a0, a1`); } else lines.push(`${c.op} a2, a0, ${c.imm}`);
    lines.push(`sd a2, ${(i % 256) * 8}(s0)`);
    if (i % 256 === 255) lines.push('addi s0, s0, 2047', 'addi s0, s0, 1');
  });
  lines.push('1: wfi', 'j 1b', '.balign 8', 'res:', `.space ${cases.length * 8 + 4096}`);
  const code = assemble(lines.join('\n'));
  const { cpu, as } = makeHart(code, { ramBytes: 4 << 20 });
  const exit = cpu.run(50_000_000);
  const e = cpu.env;
  assert.equal(exit, 1, `program reached wfi (pc ${cpu.pc.toString(16)} mcause ${e.get64('mcause')} mepc ${e.get64('mepc').toString(16)} mtval ${e.get64('mtval').toString(16)})`);
  const resOff = code.length - (cases.length * 8 + 4096);
  const host = as.findRam(RAM_BASE).hostOffset + resOff;
  let bad = 0;
  cases.forEach((c, i) => {
    const got = as.view.getBigUint64(host + i * 8, true);
    const want = c.imm === undefined ? REF[c.op](c.a, c.b) : IMM_REF[c.op](c.a, BigInt(c.imm));
    if (got !== want && bad++ < 10) assert.fail(`${c.op} ${c.a} ${c.b ?? c.imm}: got 0x${got.toString(16)} want 0x${want.toString(16)}`);
  });
  assert.equal(bad, 0);
});
