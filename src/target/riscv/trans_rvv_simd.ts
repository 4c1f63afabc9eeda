// Wasm SIMD (v128) fast paths of the hot vector instructions in translated blocks; every other
// case, and every case whose run-time state differs from what the code was specialised on, is
// the helper call of trans_rvv.ts (vector_helper*.ts), which stays the reference.
//
// A fast path is specialised on the vtype the last inline vsetvli/vsetivli earlier in the same
// block set, and guarded at run time: mstatus.VS != Off, vstart == 0 and vtype == that vtype,
// else the helper runs the instruction. vl is read at run time (clamped to VLMAX). What it does
// is QEMU's default policy, as the helper: tail and masked-off elements are left undisturbed
// (v128.bitselect with the old destination chunk under the tail and v0 masks).
//   - unit-stride vle<eew>.v / vse<eew>.v (nf 1, masked or not) whose vl*EEW bytes lie in one
//     page with a hit in the data TLB (stores: STORE entries never map pages holding translated
//     code): memory.copy, or an element loop when masked; else the helper (page crossing,
//     misses, faults, devices, vstart != 0);
//   - vadd/vsub/vrsub/vand/vor/vxor/vmin[u]/vmax[u]/vsll/vsrl/vsra (shifts by a scalar)/vmul/
//     vmacc/vnmsac/vmadd/vnmsub/vmerge/vmv.v.* in vv/vx/vi forms, vwmacc[u] and vredsum.vs at
//     SEW 8-64 (where wasm has the lane operation), LMUL 1/8-8.
// Register constraints (alignment, overlaps, v0) are checked at translation, conservatively:
// anything the helper might refuse goes to the helper, which raises the illegal instruction.
import { type FunctionBuilder, type Label, type Local, SimdOp as S, ValType } from '../../tcg/wasm-builder.js';
import { TLB_ENTRIES, TLB_ENTRY_BYTES, TlbKind } from './cpu-state.js';
import { Operand } from './decode.js';
import { type DisasContext, PAGE_MASK, emitTlbSlotBytes, emitTlbVictimSlotBytes } from './translate.js';
import { VREG, vecCaps, vlenOf } from './vector_helper.js';

const I32 = ValType.I32, I64 = ValType.I64, V128 = ValType.V128;
const MSTATUS_VS = 0x600;

/** vtype set by the last inline vsetvli/vsetivli of the function being built. */
const lastVtype = new WeakMap<FunctionBuilder, number>();
export function rvvNoteVtype(ctx: DisasContext, vtype: number): void {
  if (ctx.insn === null) lastVtype.set(ctx.fb, vtype);
}

/** Decoded vtype the code is specialised on. */
interface VT { vtype: number; vsew: number; lmul: number; vlmax: number; vlenb: number }
function decodeVt(vtype: number): VT {
  const vsew = (vtype >>> 3) & 7, lm = vtype & 7;
  const lmul = lm & 4 ? lm - 8 : lm;
  const vlenb = vlenOf() >> 3;
  return { vtype, vsew, lmul, vlmax: Math.floor((vlenb * 2 ** lmul) / (1 << vsew)), vlenb };
}

/** Register r aligned to a group of 2^l (l <= 0: any), and the group inside v0..v31. */
const aligned = (r: number, l: number) => l <= 0 || ((r & ((1 << l) - 1)) === 0 && r + (1 << l) <= 32);
const groupRegs = (l: number) => (l > 0 ? 1 << l : 1);
const overlaps = (a: number, na: number, b: number, nb: number) => a < b + nb && b < a + na;

// Lane opcodes by vsew (-1: wasm has none).
const ADD = [S.I8x16Add, S.I16x8Add, S.I32x4Add, S.I64x2Add];
const SUB = [S.I8x16Sub, S.I16x8Sub, S.I32x4Sub, S.I64x2Sub];
const MUL = [-1, S.I16x8Mul, S.I32x4Mul, S.I64x2Mul];
const SHL = [S.I8x16Shl, S.I16x8Shl, S.I32x4Shl, S.I64x2Shl];
const SHRU = [S.I8x16ShrU, S.I16x8ShrU, S.I32x4ShrU, S.I64x2ShrU];
const SHRS = [S.I8x16ShrS, S.I16x8ShrS, S.I32x4ShrS, S.I64x2ShrS];
const MINU = [S.I8x16MinU, S.I16x8MinU, S.I32x4MinU, -1];
const MINS = [S.I8x16MinS, S.I16x8MinS, S.I32x4MinS, -1];
const MAXU = [S.I8x16MaxU, S.I16x8MaxU, S.I32x4MaxU, -1];
const MAXS = [S.I8x16MaxS, S.I16x8MaxS, S.I32x4MaxS, -1];
const SPLAT = [S.I8x16Splat, S.I16x8Splat, S.I32x4Splat, S.I64x2Splat];
const EQ = [S.I8x16Eq, S.I16x8Eq, S.I32x4Eq, S.I64x2Eq];
/** Widening multiply of the low/high halves, by source vsew: [signed, unsigned]. */
const EXTMUL_LO = [[S.I16x8ExtMulLowS, S.I16x8ExtMulLowU], [S.I32x4ExtMulLowS, S.I32x4ExtMulLowU], [S.I64x2ExtMulLowS, S.I64x2ExtMulLowU]];
const EXTMUL_HI = [[S.I16x8ExtMulHighS, S.I16x8ExtMulHighU], [S.I32x4ExtMulHighS, S.I32x4ExtMulHighU], [S.I64x2ExtMulHighS, S.I64x2ExtMulHighU]];

/** 16 bytes of lanes `vals`, each `esz` bytes (little-endian). */
function lanes(vals: readonly number[], esz: number): number[] {
  const b: number[] = [];
  for (const v of vals) for (let i = 0; i < esz; i++) b.push(i < 4 ? (v >>> (8 * i)) & 0xff : 0);
  return b;
}
const IOTA = Array.from({ length: 16 }, (_, i) => i);
/** Bit j of the lane's element-in-chunk (the mask expansion constants), by vsew. */
const BITS = [0, 1, 2, 3].map((vs) => {
  const n = 16 >> vs;
  return lanes(Array.from({ length: n }, (_, j) => 1 << (vs === 0 ? j & 7 : j)), 1 << vs);
});
const SWIZZLE_BYTES = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

const enum Op { ADD, SUB, RSUB, AND, OR, XOR, MINU, MIN, MAXU, MAX, MV, MERGE, SLL, SRL, SRA, MUL, MACC, NMSAC, MADD, NMSUB }
const enum Src { VV, VX, VI }

/** What one instruction's fast path needs, decided at translation. */
type Plan = (ctx: DisasContext, t: VT, slow: Label) => void;

/**
 * Emit `insn`'s fast path (translated blocks only) with `slowPath` (the helper call) as its
 * fallback; false when there is none for it (the caller emits the helper call alone).
 */
export function rvvEmitFast(ctx: DisasContext, insn: number, slowPath: () => void): boolean {
  if (ctx.insn !== null) return false;
  const vtype = lastVtype.get(ctx.fb);
  if (vtype === undefined) return false;
  const t = decodeVt(vtype);
  const plan = planFor(insn, t);
  if (!plan) return false;
  const fb = ctx.fb;
  const done = fb.block();
  const slow = fb.block();
  ctx.getState64('mstatus'); fb.i64Const(MSTATUS_VS); fb.i64And(); fb.i64Eqz();
  ctx.getState32('vstart'); fb.i32Or();
  ctx.getState64('vtype'); fb.i64Const(vtype); fb.i64Ne(); fb.i32Or();
  fb.brIf(slow);
  plan(ctx, t, slow);
  ctx.setState('mstatus', () => { ctx.getState64('mstatus'); fb.i64Const(MSTATUS_VS); fb.i64Or(); });
  fb.br(done);
  fb.end();
  slowPath();
  fb.end();
  return true;
}

function planFor(insn: number, t: VT): Plan | null {
  const opc = insn & 0x7f;
  if (opc === 0x07 || opc === 0x27) return planLdst(insn, t);
  if (opc !== 0x57) return null;
  const f3 = (insn >>> 12) & 7, f6 = insn >>> 26, vm = ((insn >>> 25) & 1) === 1;
  const vd = (insn >>> 7) & 31, vs1 = (insn >>> 15) & 31, vs2 = (insn >>> 20) & 31;
  if (f3 === 1 || f3 === 5 || f3 === 7) return null;
  const src = f3 === 0 || f3 === 2 ? Src.VV : f3 === 3 ? Src.VI : Src.VX;
  let op: Op | undefined;
  if (f3 === 0 || f3 === 3 || f3 === 4) {
    const OPI: Record<number, [Op, number]> = { // op, forms (bit 0 vv, 1 vx, 2 vi)
      0x00: [Op.ADD, 7], 0x02: [Op.SUB, 3], 0x03: [Op.RSUB, 6], 0x04: [Op.MINU, 3], 0x05: [Op.MIN, 3],
      0x06: [Op.MAXU, 3], 0x07: [Op.MAX, 3], 0x09: [Op.AND, 7], 0x0a: [Op.OR, 7], 0x0b: [Op.XOR, 7],
      0x17: [vm ? Op.MV : Op.MERGE, 7], 0x25: [Op.SLL, 6], 0x28: [Op.SRL, 6], 0x29: [Op.SRA, 6],
    };
    const e = OPI[f6];
    if (!e || !(e[1] & (1 << src))) return null;
    op = e[0];
  } else {
    if (f6 === 0x00 && src === Src.VV) return planRedsum(vd, vs1, vs2, vm, t);
    if (f6 === 0x3c || f6 === 0x3d) return planWmacc(vd, vs1, vs2, vm, src, f6 === 0x3c, t);
    const OPM: Record<number, Op> = { 0x25: Op.MUL, 0x2d: Op.MACC, 0x2f: Op.NMSAC, 0x29: Op.MADD, 0x2b: Op.NMSUB };
    op = OPM[f6];
    if (op === undefined) return null;
  }
  const { vsew, lmul } = t;
  const laneOk = (tbl: number[]) => tbl[vsew] >= 0;
  switch (op) {
    case Op.MINU: if (!laneOk(MINU)) return null; break;
    case Op.MIN: if (!laneOk(MINS)) return null; break;
    case Op.MAXU: if (!laneOk(MAXU)) return null; break;
    case Op.MAX: if (!laneOk(MAXS)) return null; break;
    case Op.MUL: case Op.MACC: case Op.NMSAC: case Op.MADD: case Op.NMSUB: if (!laneOk(MUL)) return null; break;
    default: break;
  }
  // Operand groups aligned; a masked op's destination is not v0; vmv.v.* has vs2 = 0.
  if (!aligned(vd, lmul) || !aligned(vs2, lmul) || (src === Src.VV && !aligned(vs1, lmul))) return null;
  // Masked element-wise ops (and vmerge) stay helper calls for now: simd seed 10 at VLEN 128
  // (node tests/tcg/diff/run-rvv.mjs --classes simd --seeds 10) differed with them, not yet
  // understood. Masked loads/stores, vwmacc and vredsum keep their fast paths.
  if (!vm) return null;
  if (op === Op.MV && vs2 !== 0) return null;
  const imm = op === Op.SLL || op === Op.SRL || op === Op.SRA ? vs1 : (vs1 << 27) >> 27;
  return (ctx, tt, _slow) => emitElementwise(ctx, tt, op as Op, src, vd, vs1, vs2, vm, imm);
}

// ---- shared emission pieces ------------------------------------------------------------------

/** n = min(vl, VLMAX) << log2 (bytes of the body, elements of 2^log2 bytes). */
function emitBodyBytes(ctx: DisasContext, t: VT, log2: number, n: Local): void {
  const fb = ctx.fb;
  const vl = fb.local(I32);
  ctx.getState32('vl'); fb.tee(vl); fb.i32Const(t.vlmax); fb.get(vl); fb.i32Const(t.vlmax); fb.i32LtU(); fb.select();
  if (log2) { fb.i32Const(log2); fb.i32Shl(); }
  fb.set(n);
  fb.release(vl);
}

/** Push the address of a register chunk: env + off (+ plus); the register is the memarg offset. */
function chunkAddr(ctx: DisasContext, off: Local, plus = 0): void {
  const fb = ctx.fb;
  fb.get(ctx.env); fb.get(off); fb.i32Add();
  if (plus) { fb.i32Const(plus); fb.i32Add(); }
}
const regOff = (t: VT, r: number) => VREG + r * t.vlenb;

/** Push the tail mask of the chunk at byte `off`+plus of a body of n bytes: lanes below n. */
function pushTailMask(ctx: DisasContext, n: Local, off: Local, plus = 0): void {
  const fb = ctx.fb;
  const r = fb.local(I32);
  fb.get(n); fb.get(off); fb.i32Sub();
  if (plus) { fb.i32Const(plus); fb.i32Sub(); }
  fb.tee(r); fb.i32Const(16); fb.get(r); fb.i32Const(16); fb.i32LtS(); fb.select();
  fb.simd(S.I8x16Splat);
  fb.v128Const(IOTA);
  fb.simd(S.I8x16GtS);
  fb.release(r);
}

/** Push the v0 mask of the chunk at byte off+plus whose elements are 2^vsew bytes. */
function pushV0Mask(ctx: DisasContext, vsew: number, off: Local, plus = 0): void {
  const fb = ctx.fb;
  // element index k = (off+plus) >> vsew: bits k.. of v0, from byte k >> 3
  fb.get(ctx.env); fb.get(off);
  if (plus) { fb.i32Const(plus); fb.i32Add(); }
  fb.i32Const(vsew + 3); fb.i32ShrU(); fb.i32Add();
  fb.i32Load16U(VREG);
  if (vsew >= 2) {
    fb.get(off);
    if (plus) { fb.i32Const(plus); fb.i32Add(); }
    fb.i32Const(vsew); fb.i32ShrU(); fb.i32Const(7); fb.i32And(); fb.i32ShrU();
  }
  if (vsew === 3) { fb.i64ExtendI32U(); fb.simd(S.I64x2Splat); } else if (vsew === 2) fb.simd(S.I32x4Splat);
  else fb.simd(S.I16x8Splat);
  if (vsew === 0) { fb.v128Const(SWIZZLE_BYTES); fb.simd(S.I8x16Swizzle); }
  fb.v128Const(BITS[vsew]); fb.simd(S.V128And);
  fb.v128Const(BITS[vsew]); fb.simd(EQ[vsew]);
}

/** Set v128 local `b` to the splat of the scalar operand (x[rs1] or the immediate). */
function emitSplat(ctx: DisasContext, vsew: number, src: Src, rs1: number, imm: number, b: Local): void {
  const fb = ctx.fb;
  if (src === Src.VX) {
    ctx.getGpr(Operand.const(rs1));
    if (vsew !== 3) fb.i32WrapI64();
  } else if (vsew === 3) fb.i64Const(imm); else fb.i32Const(imm);
  fb.simd(SPLAT[vsew]);
  fb.set(b);
}

/** The shift amount (i32; wasm shifts take it modulo the lane width, as RVV does). */
function emitShamt(ctx: DisasContext, src: Src, rs1: number, imm: number, sh: Local): void {
  const fb = ctx.fb;
  if (src === Src.VX) { ctx.getGpr(Operand.const(rs1)); fb.i32WrapI64(); } else fb.i32Const(imm);
  fb.set(sh);
}

// ---- element-wise ops ------------------------------------------------------------------------

function emitElementwise(ctx: DisasContext, t: VT, op: Op, src: Src, vd: number, vs1: number, vs2: number, vm: boolean, imm: number): void {
  const fb = ctx.fb;
  const { vsew } = t;
  const n = fb.local(I32), off = fb.local(I32), b = fb.local(V128), sh = fb.local(I32);
  emitBodyBytes(ctx, t, vsew, n);
  const shift = op === Op.SLL || op === Op.SRL || op === Op.SRA;
  if (shift) emitShamt(ctx, src, vs1, imm, sh);
  else if (src !== Src.VV) emitSplat(ctx, vsew, src, vs1, imm, b);
  fb.i32Const(0); fb.set(off);
  const exit = fb.block();
  const loop = fb.loop();
  fb.get(off); fb.get(n); fb.i32GeU(); fb.brIf(exit);
  chunkAddr(ctx, off); // the store's address
  const A = () => { chunkAddr(ctx, off); fb.v128Load(regOff(t, vs2)); };
  const B = () => { if (src === Src.VV) { chunkAddr(ctx, off); fb.v128Load(regOff(t, vs1)); } else fb.get(b); };
  const D = () => { chunkAddr(ctx, off); fb.v128Load(regOff(t, vd)); };
  const lane = (tbl: number[]) => fb.simd(tbl[vsew]);
  switch (op) {
    case Op.ADD: A(); B(); lane(ADD); break;
    case Op.SUB: A(); B(); lane(SUB); break;
    case Op.RSUB: B(); A(); lane(SUB); break;
    case Op.AND: A(); B(); fb.simd(S.V128And); break;
    case Op.OR: A(); B(); fb.simd(S.V128Or); break;
    case Op.XOR: A(); B(); fb.simd(S.V128Xor); break;
    case Op.MINU: A(); B(); lane(MINU); break;
    case Op.MIN: A(); B(); lane(MINS); break;
    case Op.MAXU: A(); B(); lane(MAXU); break;
    case Op.MAX: A(); B(); lane(MAXS); break;
    case Op.MV: B(); break;
    case Op.MERGE: B(); A(); pushV0Mask(ctx, vsew, off); fb.simd(S.V128Bitselect); break;
    case Op.SLL: A(); fb.get(sh); lane(SHL); break;
    case Op.SRL: A(); fb.get(sh); lane(SHRU); break;
    case Op.SRA: A(); fb.get(sh); lane(SHRS); break;
    case Op.MUL: A(); B(); lane(MUL); break;
    case Op.MACC: B(); A(); lane(MUL); D(); lane(ADD); break;
    case Op.NMSAC: D(); B(); A(); lane(MUL); lane(SUB); break;
    case Op.MADD: B(); D(); lane(MUL); A(); lane(ADD); break;
    case Op.NMSUB: A(); B(); D(); lane(MUL); lane(SUB); break;
  }
  D();
  pushTailMask(ctx, n, off);
  if (!vm && op !== Op.MERGE) { pushV0Mask(ctx, vsew, off); fb.simd(S.V128And); }
  fb.simd(S.V128Bitselect);
  fb.v128Store(regOff(t, vd));
  fb.get(off); fb.i32Const(16); fb.i32Add(); fb.set(off);
  fb.br(loop);
  fb.end();
  fb.end();
  fb.release(n, off, b, sh);
}

// ---- widening multiply-accumulate (vwmacc, vwmaccu) -----------------------------------------

function planWmacc(vd: number, vs1: number, vs2: number, vm: boolean, src: Src, unsigned: boolean, t: VT): Plan | null {
  const { vsew, lmul } = t;
  if (vsew >= 3 || (8 << (vsew + 1)) > vecCaps().elen || lmul >= 3) return null;
  if (!aligned(vd, lmul + 1) || !aligned(vs2, lmul) || (src === Src.VV && !aligned(vs1, lmul))) return null;
  const nd = groupRegs(lmul + 1), ns = groupRegs(lmul);
  if (overlaps(vd, nd, vs2, ns) || (src === Src.VV && overlaps(vd, nd, vs1, ns))) return null;
  if (!vm && vd === 0) return null;
  return (ctx, tt) => {
    const fb = ctx.fb;
    const n = fb.local(I32), nd2 = fb.local(I32), off = fb.local(I32), b = fb.local(V128);
    emitBodyBytes(ctx, tt, vsew, n);
    fb.get(n); fb.i32Const(1); fb.i32Shl(); fb.set(nd2);
    if (src === Src.VX) emitSplat(ctx, vsew, src, vs1, 0, b);
    fb.i32Const(0); fb.set(off);
    const exit = fb.block();
    const loop = fb.loop();
    fb.get(off); fb.get(n); fb.i32GeU(); fb.brIf(exit);
    // dest chunks at 2*off (low source half) and 2*off + 16 (high half, when in the body)
    const dOff = fb.local(I32);
    fb.get(off); fb.i32Const(1); fb.i32Shl(); fb.set(dOff);
    for (const hi of [false, true]) {
      if (hi) { fb.get(nd2); fb.get(dOff); fb.i32Const(16); fb.i32Add(); fb.i32GtU(); fb.if_(); }
      const plus = hi ? 16 : 0;
      chunkAddr(ctx, dOff, plus);
      if (src === Src.VV) { chunkAddr(ctx, off); fb.v128Load(regOff(tt, vs1)); } else fb.get(b);
      chunkAddr(ctx, off); fb.v128Load(regOff(tt, vs2));
      fb.simd((hi ? EXTMUL_HI : EXTMUL_LO)[vsew][unsigned ? 1 : 0]);
      chunkAddr(ctx, dOff, plus); fb.v128Load(regOff(tt, vd));
      fb.simd(ADD[vsew + 1]);
      chunkAddr(ctx, dOff, plus); fb.v128Load(regOff(tt, vd));
      pushTailMask(ctx, nd2, dOff, plus);
      if (!vm) { pushV0Mask(ctx, vsew + 1, dOff, plus); fb.simd(S.V128And); }
      fb.simd(S.V128Bitselect);
      fb.v128Store(regOff(tt, vd));
      if (hi) fb.end();
    }
    fb.get(off); fb.i32Const(16); fb.i32Add(); fb.set(off);
    fb.br(loop);
    fb.end();
    fb.end();
    fb.release(n, nd2, off, b, dOff);
  };
}

// ---- vredsum.vs ------------------------------------------------------------------------------

function planRedsum(vd: number, vs1: number, vs2: number, vm: boolean, t: VT): Plan | null {
  if (!aligned(vs2, t.lmul)) return null;
  const { vsew } = t;
  return (ctx, tt) => {
    const fb = ctx.fb;
    const n = fb.local(I32), off = fb.local(I32), acc = fb.local(V128);
    emitBodyBytes(ctx, tt, vsew, n);
    fb.v128Const(new Array(16).fill(0)); fb.set(acc);
    fb.i32Const(0); fb.set(off);
    const exit = fb.block();
    const loop = fb.loop();
    fb.get(off); fb.get(n); fb.i32GeU(); fb.brIf(exit);
    fb.get(acc);
    chunkAddr(ctx, off); fb.v128Load(regOff(tt, vs2));
    pushTailMask(ctx, n, off);
    if (!vm) { pushV0Mask(ctx, vsew, off); fb.simd(S.V128And); }
    fb.simd(S.V128And);
    fb.simd(ADD[vsew]);
    fb.set(acc);
    fb.get(off); fb.i32Const(16); fb.i32Add(); fb.set(off);
    fb.br(loop);
    fb.end();
    fb.end();
    // vl = 0: vd is not written.
    fb.get(n);
    fb.if_();
    fb.get(ctx.env);
    if (vsew === 3) {
      fb.get(acc); fb.extractLane(S.I64x2Extract, 0);
      fb.get(acc); fb.extractLane(S.I64x2Extract, 1); fb.i64Add();
      fb.get(ctx.env); fb.i64Load(regOff(tt, vs1)); fb.i64Add();
      fb.i64Store(regOff(tt, vd));
    } else {
      const lanesN = 16 >> vsew;
      const ex = vsew === 0 ? S.I8x16ExtractU : vsew === 1 ? S.I16x8ExtractU : S.I32x4Extract;
      for (let i = 0; i < lanesN; i++) { fb.get(acc); fb.extractLane(ex, i); if (i) fb.i32Add(); }
      fb.get(ctx.env);
      if (vsew === 0) fb.i32Load8U(regOff(tt, vs1)); else if (vsew === 1) fb.i32Load16U(regOff(tt, vs1)); else fb.i32Load(regOff(tt, vs1));
      fb.i32Add();
      fb.i64ExtendI32U();
      if (vsew === 0) fb.i64Store8(regOff(tt, vd)); else if (vsew === 1) fb.i64Store16(regOff(tt, vd)); else fb.i64Store32(regOff(tt, vd));
    }
    fb.end();
    fb.release(n, off, acc);
  };
}

// ---- unit-stride loads and stores ------------------------------------------------------------

const WIDTH_LOG2: Readonly<Record<number, number>> = { 0: 0, 5: 1, 6: 2, 7: 3 };

function planLdst(insn: number, t: VT): Plan | null {
  const store = (insn & 0x7f) === 0x27;
  const vd = (insn >>> 7) & 31, rs1 = (insn >>> 15) & 31, lumop = (insn >>> 20) & 31;
  const log2 = WIDTH_LOG2[(insn >>> 12) & 7];
  const vm = ((insn >>> 25) & 1) === 1;
  // nf = 1, mew = 0, mop = unit-stride, lumop/sumop = 0 (plain, not whole/mask/fault-only-first)
  if (log2 === undefined || (insn >>> 26) !== 0 || lumop !== 0) return null;
  if ((8 << log2) > vecCaps().elen) return null;
  const emul = log2 - t.vsew + t.lmul;
  if (emul < -3 || emul > 3 || !aligned(vd, emul)) return null;
  if (!vm && !store && vd === 0) return null;
  const eew = 1 << log2;
  return (ctx, tt, slow) => {
    const fb = ctx.fb;
    const n = fb.local(I32), a = fb.local(I64), host = fb.local(I32), n1 = fb.local(I32), b = fb.local(I64), host2 = fb.local(I32);
    const kindOff = (store ? TlbKind.STORE : TlbKind.LOAD) * TLB_ENTRIES * TLB_ENTRY_BYTES;
    emitBodyBytes(ctx, tt, log2, n);
    fb.get(n);
    fb.if_();
    ctx.getGpr(Operand.const(rs1)); fb.set(a);
    ctx.pmMaskLocal(a);
    // n1 = bytes in the first page (n <= 1024: at most two pages)
    fb.i32Const(4096); fb.get(a); fb.i32WrapI64(); fb.i32Const(0xfff); fb.i32And(); fb.i32Sub(); fb.tee(n1);
    fb.get(n); fb.i32LtU();
    fb.if_();
    // Page crossing: both pages must hit (unmasked only), before anything is copied.
    if (!vm) fb.br(slow);
    fb.get(a); fb.get(n1); fb.i64ExtendI32U(); fb.i64Add(); fb.set(b);
    emitTlbHost(ctx, b, kindOff, slow, host2);
    fb.else_();
    fb.get(n); fb.set(n1);
    fb.end();
    emitTlbHost(ctx, a, kindOff, slow, host);
    const reg = regOff(tt, vd);
    if (vm) {
      const copy = (h: Local, regPlus: Local | null, len: () => void) => {
        const r = () => { fb.get(ctx.env); fb.i32Const(reg); fb.i32Add(); if (regPlus) { fb.get(regPlus); fb.i32Add(); } };
        if (store) { fb.get(h); r(); } else { r(); fb.get(h); }
        len();
        fb.memoryCopy();
      };
      copy(host, null, () => fb.get(n1));
      fb.get(n1); fb.get(n); fb.i32LtU();
      fb.if_();
      copy(host2, n1, () => { fb.get(n); fb.get(n1); fb.i32Sub(); });
      fb.end();
    } else {
      // Masked: element by element, active ones only (memory of the others is not touched).
      const off = fb.local(I32);
      fb.i32Const(0); fb.set(off);
      const exit = fb.block();
      const loop = fb.loop();
      fb.get(off); fb.get(n); fb.i32GeU(); fb.brIf(exit);
      // bit k of v0, k = off >> log2
      fb.get(ctx.env); fb.get(off); fb.i32Const(log2 + 3); fb.i32ShrU(); fb.i32Add(); fb.i32Load8U(VREG);
      fb.get(off); fb.i32Const(log2); fb.i32ShrU(); fb.i32Const(7); fb.i32And(); fb.i32ShrU();
      fb.i32Const(1); fb.i32And();
      fb.if_();
      const pushReg = () => { fb.get(ctx.env); fb.get(off); fb.i32Add(); };
      const pushMem = () => { fb.get(host); fb.get(off); fb.i32Add(); };
      if (store) pushMem(); else pushReg();
      if (store) pushReg(); else pushMem();
      const ld = (o: number) => { switch (eew) { case 1: fb.i64Load8U(o); break; case 2: fb.i64Load16U(o); break; case 4: fb.i64Load32U(o); break; default: fb.i64Load(o, 0); } };
      const st = (o: number) => { switch (eew) { case 1: fb.i64Store8(o); break; case 2: fb.i64Store16(o); break; case 4: fb.i64Store32(o); break; default: fb.i64Store(o, 0); } };
      ld(store ? reg : 0);
      st(store ? 0 : reg);
      fb.end();
      fb.get(off); fb.i32Const(eew); fb.i32Add(); fb.set(off);
      fb.br(loop);
      fb.end();
      fb.end();
      fb.release(off);
    }
    fb.end();
    fb.release(n, a, host, n1, b, host2);
  };
}

/** host = the RAM offset of address `a` (i64 local) when the data TLB maps its page for the
 * access kind at kindOff (its slot, else its victim slot); else branch to `slow`. */
function emitTlbHost(ctx: DisasContext, a: Local, kindOff: number, slow: Label, host: Local): void {
  const fb = ctx.fb;
  const e = fb.local(I32), page = fb.local(I64);
  fb.get(ctx.tlbData); emitTlbSlotBytes(fb, () => { fb.get(a); fb.i32WrapI64(); }); fb.i32Add(); fb.tee(e);
  fb.i64Load(kindOff);
  fb.get(a); fb.i64Const(PAGE_MASK); fb.i64And(); fb.tee(page);
  fb.i64Ne();
  fb.if_();
  fb.get(ctx.tlbData); emitTlbVictimSlotBytes(fb, () => { fb.get(a); fb.i32WrapI64(); }); fb.i32Add(); fb.tee(e);
  fb.i64Load(kindOff); fb.get(page); fb.i64Ne(); fb.brIf(slow);
  fb.end();
  fb.get(a); fb.i32WrapI64(); fb.get(e); fb.i32Load(kindOff + 8); fb.i32Add(); fb.set(host);
  fb.release(e, page);
}
