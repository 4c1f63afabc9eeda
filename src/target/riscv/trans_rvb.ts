// Bit manipulation (Zba, Zbb, Zbc, Zbs), its crypto subsets (Zbkb, Zbkc, Zbkx) and Zicond:
// straight wasm. Most map onto one wasm operator (clz, ctz, popcnt, rotl, extend8_s); rev8,
// orc.b and brev8 are mask-and-shift sequences; the carry-less multiplies and the crossbar
// permutations are short loops over the operand bits.
import { type FunctionBuilder, ValType } from '../../tcg/wasm-builder.js';
import { type TransFn, genArith, genArithW } from './trans_rvi.js';

type Op = (fb: FunctionBuilder) => void;
const M32 = 0xffffffffn;

/** rd = OP(rs1) (64-bit). */
function genUnary(op: Op): TransFn {
  return (ctx, a) => ctx.setGpr(a.rd, () => { ctx.getGpr(a.rs1); op(ctx.fb); });
}
/** rd = sext32(OP(rs1[31:0])) with OP on i32. */
function genUnaryW(op: Op): TransFn {
  return (ctx, a) => ctx.setGpr(a.rd, () => { ctx.getGpr(a.rs1); ctx.fb.i32WrapI64(); op(ctx.fb); ctx.fb.i64ExtendI32S(); });
}
/** rd = rs1 OP shamt (shamt a constant field, i64). */
function genShamt(op: Op): TransFn {
  return (ctx, a) => ctx.setGpr(a.rd, () => { ctx.getGpr(a.rs1); ctx.i32(a.shamt); ctx.fb.i64ExtendI32U(); op(ctx.fb); });
}
/** (rs1 << n) + rs2, rs1 zero-extended from 32 bits first for the .uw forms. */
function genShAdd(n: number, uw: boolean): TransFn {
  return genArith((fb) => {
    const t = fb.local(ValType.I64);
    fb.set(t);
    if (uw) { fb.i64Const(M32); fb.i64And(); }
    if (n) { fb.i64Const(n); fb.i64Shl(); }
    fb.get(t); fb.i64Add();
    fb.release(t);
  });
}
/** min/max: select on the comparison of two copies. */
function genMinMax(cmp: Op): TransFn {
  return genArith((fb) => {
    const x = fb.local(ValType.I64), y = fb.local(ValType.I64);
    fb.set(y); fb.tee(x); fb.get(y); fb.get(x); fb.get(y); cmp(fb); fb.select();
    fb.release(x, y);
  });
}
/** Swap adjacent fields of `n` bits selected by mask m: ((x >> n) & m) | ((x & m) << n). */
function swapFields(fb: FunctionBuilder, n: number, m: bigint): void {
  const t = fb.local(ValType.I64);
  fb.tee(t); fb.i64Const(n); fb.i64ShrU(); fb.i64Const(BigInt.asIntN(64, m)); fb.i64And();
  fb.get(t); fb.i64Const(BigInt.asIntN(64, m)); fb.i64And(); fb.i64Const(n); fb.i64Shl(); fb.i64Or();
  fb.release(t);
}
const rev8: Op = (fb) => {
  swapFields(fb, 8, 0x00ff00ff00ff00ffn);
  swapFields(fb, 16, 0x0000ffff0000ffffn);
  fb.i64Const(32); fb.i64Rotl();
};
const brev8: Op = (fb) => {
  swapFields(fb, 1, 0x5555555555555555n);
  swapFields(fb, 2, 0x3333333333333333n);
  swapFields(fb, 4, 0x0f0f0f0f0f0f0f0fn);
};
/** orc.b: a byte becomes 0xff when any of its bits is set, else stays 0. */
const orcb: Op = (fb) => {
  const t = fb.local(ValType.I64);
  fb.tee(t); fb.i64Const(0x7f7f7f7f7f7f7f7fn); fb.i64And(); fb.i64Const(0x7f7f7f7f7f7f7f7fn); fb.i64Add();
  fb.get(t); fb.i64Or(); fb.i64Const(BigInt.asIntN(64, 0x8080808080808080n)); fb.i64And();
  fb.i64Const(7); fb.i64ShrU(); fb.i64Const(0xff); fb.i64Mul();
  fb.release(t);
};

/** Carry-less multiply of (rs1, rs2): XOR over the set bits i of rs2 of term(rs1, i);
 * low: rs1 << i, high: rs1 >> (64 - i) for i >= 1, reversed: rs1 >> (63 - i). */
function genClmul(kind: 'low' | 'high' | 'rev'): TransFn {
  return genArith((fb) => {
    const a = fb.local(ValType.I64), b = fb.local(ValType.I64), r = fb.local(ValType.I64), i = fb.local(ValType.I64);
    fb.set(b); fb.set(a);
    fb.i64Const(0); fb.set(r);
    fb.i64Const(kind === 'high' ? 1 : 0); fb.set(i);
    const top = fb.loop();
    fb.get(b); fb.get(i); fb.i64ShrU(); fb.i64Const(1); fb.i64And(); fb.i32WrapI64();
    fb.if_();
    fb.get(r); fb.get(a);
    if (kind === 'low') { fb.get(i); fb.i64Shl(); } else { fb.i64Const(kind === 'high' ? 64 : 63); fb.get(i); fb.i64Sub(); fb.i64ShrU(); }
    fb.i64Xor(); fb.set(r);
    fb.end();
    fb.get(i); fb.i64Const(1); fb.i64Add(); fb.tee(i); fb.i64Const(64); fb.i64LtU(); fb.brIf(top);
    fb.end();
    fb.get(r);
    fb.release(a, b, r, i);
  });
}

/** xperm4/xperm8: each `bits`-wide element of rs2 indexes an element of rs1 (0 past the end). */
function genXperm(bits: 4 | 8): TransFn {
  return genArith((fb) => {
    const a = fb.local(ValType.I64), b = fb.local(ValType.I64), r = fb.local(ValType.I64), i = fb.local(ValType.I64);
    const idx = fb.local(ValType.I64);
    const m = BigInt((1 << bits) - 1);
    fb.set(b); fb.set(a);
    fb.i64Const(0); fb.set(r);
    fb.i64Const(0); fb.set(i);
    const top = fb.loop();
    fb.get(b); fb.get(i); fb.i64ShrU(); fb.i64Const(m); fb.i64And(); fb.tee(idx);
    fb.i64Const(64 / bits); fb.i64LtU();
    fb.if_();
    fb.get(r);
    fb.get(a); fb.get(idx); fb.i64Const(bits); fb.i64Mul(); fb.i64ShrU(); fb.i64Const(m); fb.i64And();
    fb.get(i); fb.i64Shl(); fb.i64Or(); fb.set(r);
    fb.end();
    fb.get(i); fb.i64Const(bits); fb.i64Add(); fb.tee(i); fb.i64Const(64); fb.i64LtU(); fb.brIf(top);
    fb.end();
    fb.get(r);
    fb.release(a, b, r, i, idx);
  });
}

/** Single-bit ops: the bit is rs2 (or shamt) mod 64. */
const bit = (fb: FunctionBuilder) => { const s = fb.local(ValType.I64); fb.set(s); fb.i64Const(1); fb.get(s); fb.i64Shl(); fb.release(s); };
const bclr: Op = (fb) => { bit(fb); fb.i64Const(-1); fb.i64Xor(); fb.i64And(); };
const bset: Op = (fb) => { bit(fb); fb.i64Or(); };
const binv: Op = (fb) => { bit(fb); fb.i64Xor(); };
const bext: Op = (fb) => { fb.i64ShrU(); fb.i64Const(1); fb.i64And(); };

/** czero.eqz/nez: rd = (rs2 ==/!= 0) ? 0 : rs1. */
function genCzero(eqz: boolean): TransFn {
  return genArith((fb) => {
    const c = fb.local(ValType.I64);
    // select(rs1, 0, keep): keep rs1 when the zeroing condition is false.
    fb.set(c); fb.i64Const(0); fb.get(c);
    if (eqz) { fb.i64Const(0); fb.i64Ne(); } else fb.i64Eqz();
    fb.select();
    fb.release(c);
  });
}

export const trans = {
  // Zba
  sh1add: genShAdd(1, false), sh2add: genShAdd(2, false), sh3add: genShAdd(3, false),
  add_uw: genShAdd(0, true), sh1add_uw: genShAdd(1, true), sh2add_uw: genShAdd(2, true), sh3add_uw: genShAdd(3, true),
  slli_uw: ((ctx, a) => ctx.setGpr(a.rd, () => {
    const fb = ctx.fb;
    ctx.getGpr(a.rs1); fb.i64Const(M32); fb.i64And(); ctx.i32(a.shamt); fb.i64ExtendI32U(); fb.i64Shl();
  })) as TransFn,
  // Zbb / Zbkb
  andn: genArith((fb) => { fb.i64Const(-1); fb.i64Xor(); fb.i64And(); }),
  orn: genArith((fb) => { fb.i64Const(-1); fb.i64Xor(); fb.i64Or(); }),
  xnor: genArith((fb) => { fb.i64Xor(); fb.i64Const(-1); fb.i64Xor(); }),
  clz: genUnary((fb) => fb.i64Clz()), ctz: genUnary((fb) => fb.i64Ctz()), cpop: genUnary((fb) => fb.i64Popcnt()),
  clzw: genUnaryW((fb) => fb.i32Clz()), ctzw: genUnaryW((fb) => fb.i32Ctz()), cpopw: genUnaryW((fb) => fb.i32Popcnt()),
  max: genMinMax((fb) => fb.i64GtS()), maxu: genMinMax((fb) => fb.i64GtU()),
  min: genMinMax((fb) => fb.i64LtS()), minu: genMinMax((fb) => fb.i64LtU()),
  sext_b: genUnary((fb) => fb.i64Extend8S()), sext_h: genUnary((fb) => fb.i64Extend16S()),
  zext_h: genUnary((fb) => { fb.i64Const(0xffff); fb.i64And(); }),
  rol: genArith((fb) => fb.i64Rotl()), ror: genArith((fb) => fb.i64Rotr()),
  rolw: genArithW((fb) => fb.i32Rotl()), rorw: genArithW((fb) => fb.i32Rotr()),
  rori: genShamt((fb) => fb.i64Rotr()),
  roriw: ((ctx, a) => ctx.setGpr(a.rd, () => {
    ctx.getGpr(a.rs1); ctx.fb.i32WrapI64(); ctx.i32(a.shamt); ctx.fb.i32Rotr(); ctx.fb.i64ExtendI32S();
  })) as TransFn,
  orc_b: genUnary(orcb), rev8: genUnary(rev8), brev8: genUnary(brev8),
  pack: genArith((fb) => {
    const t = fb.local(ValType.I64);
    fb.i64Const(32); fb.i64Shl(); fb.set(t); fb.i64Const(M32); fb.i64And(); fb.get(t); fb.i64Or();
    fb.release(t);
  }),
  packh: genArith((fb) => {
    const t = fb.local(ValType.I64);
    fb.i64Const(0xff); fb.i64And(); fb.i64Const(8); fb.i64Shl(); fb.set(t); fb.i64Const(0xff); fb.i64And(); fb.get(t); fb.i64Or();
    fb.release(t);
  }),
  packw: genArithW((fb) => {
    fb.i32Const(16); fb.i32Shl();
    const t = fb.local(ValType.I32);
    fb.set(t); fb.i32Const(0xffff); fb.i32And(); fb.get(t); fb.i32Or();
    fb.release(t);
  }),
  // Zbc / Zbkc
  clmul: genClmul('low'), clmulh: genClmul('high'), clmulr: genClmul('rev'),
  // Zbkx
  xperm4: genXperm(4), xperm8: genXperm(8),
  // Zbs
  bclr: genArith(bclr), bset: genArith(bset), binv: genArith(binv), bext: genArith(bext),
  bclri: genShamt(bclr), bseti: genShamt(bset), binvi: genShamt(binv), bexti: genShamt(bext),
  // Zicond
  czero_eqz: genCzero(true), czero_nez: genCzero(false),
};
