// Inline wasm fast paths of F/D add, sub, mul, div, sqrt and the fused multiply-adds, in front
// of the helperFp call. Taken only when the result is provably the one helperFp computes, with
// no fflags change:
//   - rounding to nearest even: static rm = 0, or rm = 7 (dynamic) with frm = 0 (wasm's only mode);
//   - fflags.NX already set (sticky; nearly always set in real programs);
//   - the result is finite, normal and non-zero (add/sub: finite; a zero or tiny sum is exact,
//     with wasm's IEEE signs of zero). Then the inputs were finite (a NaN or an
//     infinity operand gives a NaN or an infinity here), no division by zero, overflow (would
//     round to infinity), underflow (tininess after rounding needs |result| <= 2^-emin) or
//     invalid operation happened: only NX can be raised, and it is already set.
// The fused forms need one rounding of x*y+z: the product is split exactly (Dekker's product
// with Veltkamp's split: x*y = p + e, exact while |x|,|y| lie in (2^-400, 2^400)), p + z is
// split exactly (Knuth's two-sum: s + t), then t + e = w + u (two-sum), so x*y+z = s + w + u
// exactly. r = RN(s + w) with error d (two-sum): when u = 0, r is the fused result; else r is
// when s + w + u = r + (d + u) stays strictly inside r's rounding interval, tested as
// -down/2 < RN(d + u) < up/2 (up/down: the gaps to r's neighbours; RN is monotonic and the
// bounds are representable, so the strict test on RN(d + u) implies it for d + u). A fused
// result that is exact (d + u = 0) raises nothing, so NX need not be set then.
// A zero product (a zero factor, the other finite) gives z + (+-0) exactly, whatever z's size
// and NX, for a finite z.
// Singles: the product of two singles is exact in binary64, so RN32(p + z) is the fused result
// when p + z is exact in binary64 (zero two-sum error); exact when RN32 changes nothing.
// Also inline: fcvt.d.w/wu (always exact) and the compares with non-NaN operands (no flags).
// Anything else goes to helperFp.
import { type FunctionBuilder, type Local, ValType } from '../../tcg/wasm-builder.js';
import type { Operand } from './decode.js';
import type { TransFn } from './trans_rvi.js';
import { genFpHelper, getFprS } from './trans_rvf.js';
import type { DisasContext } from './translate.js';

const F32 = ValType.F32, F64 = ValType.F64;
const BOX = -0x100000000n;
const MIN_NORMAL_D = 2 ** -1022, MIN_NORMAL_S = 2 ** -126;
const SPLIT_MIN = 2 ** -400, SPLIT_MAX = 2 ** 400;
const VELTKAMP = 2 ** 27 + 1;
const RM_RNE = 0, RM_DYN = 7;

export type FastKind = 'add' | 'sub' | 'mul' | 'div' | 'sqrt' | 'madd' | 'msub' | 'nmsub' | 'nmadd';

function pushD(ctx: DisasContext, r: Operand): void { ctx.getFpr(r); ctx.fb.f64ReinterpretI64(); }
function pushS(ctx: DisasContext, r: Operand): void {
  getFprS(ctx, r); ctx.fb.i32WrapI64(); ctx.fb.f32ReinterpretI32();
}

/** Branch to `out` unless lo < |v| < hi (v: local of type F64 or F32; false for NaN). */
function requireRange(fb: FunctionBuilder, v: Local, lo: number, hi: number, out: ReturnType<FunctionBuilder['block']>): void {
  const single = v.type === F32;
  const t = fb.local(v.type);
  fb.get(v);
  if (single) { fb.f32Abs(); fb.tee(t); fb.f64PromoteF32(); } else { fb.f64Abs(); fb.tee(t); }
  fb.f64Const(lo); fb.f64Gt();
  fb.get(t); if (single) fb.f64PromoteF32();
  fb.f64Const(hi); fb.f64Lt();
  fb.i32And(); fb.i32Eqz(); fb.brIf(out);
  fb.release(t);
}

/** r = a + b with its rounding error err (Knuth's two-sum, exact for finite a, b). */
function twoSum(fb: FunctionBuilder, a: Local, b: Local, r: Local, err: Local): void {
  const bb = fb.local(F64);
  fb.get(a); fb.get(b); fb.f64Add(); fb.set(r);
  fb.get(r); fb.get(a); fb.f64Sub(); fb.set(bb);
  fb.get(a); fb.get(r); fb.get(bb); fb.f64Sub(); fb.f64Sub();
  fb.get(b); fb.get(bb); fb.f64Sub(); fb.f64Add(); fb.set(err);
  fb.release(bb);
}

/** hi/lo = Veltkamp's split of x (26 + 27 bits). */
function split(fb: FunctionBuilder, x: Local, hi: Local, lo: Local): void {
  const t = fb.local(F64);
  fb.f64Const(VELTKAMP); fb.get(x); fb.f64Mul(); fb.tee(t);
  fb.get(t); fb.get(x); fb.f64Sub(); fb.f64Sub(); fb.set(hi);
  fb.get(x); fb.get(hi); fb.f64Sub(); fb.set(lo);
  fb.release(t);
}

/** Fused x*y+z in binary64 into r (F64 local), branching to `out` when not provably exact;
 * `nx` (i32 local) says fflags.NX is set. */
function fusedD(fb: FunctionBuilder, x: Local, y: Local, z: Local, r: Local, nx: Local, out: ReturnType<FunctionBuilder['block']>): void {
  // A zero factor times a finite one (checked first).
  const zeroTimesFinite = (a: Local, b: Local) => {
    fb.get(a); fb.f64Const(0); fb.f64Eq(); fb.get(b); fb.f64Abs(); fb.f64Const(Infinity); fb.f64Lt(); fb.i32And();
  };
  // The product is an exact zero: x*y+z = z + (+-0), exact for a finite z, with IEEE's sign of
  // a zero sum (+0 unless both are -0); no flag can be raised, so neither NX nor the result's
  // range matters (a zero result is common: sums that start at 0 over zero entries).
  zeroTimesFinite(x, y); zeroTimesFinite(y, x); fb.i32Or();
  fb.if_();
  fb.get(z); fb.f64Abs(); fb.f64Const(Infinity); fb.f64Lt(); fb.i32Eqz(); fb.brIf(out);
  fb.get(z); fb.get(x); fb.get(y); fb.f64Mul(); fb.f64Add(); fb.set(r);
  fb.else_();
  fusedGeneral(fb, x, y, z, r, nx, out);
  requireRange(fb, r, MIN_NORMAL_D, Infinity, out);
  fb.end();
}

function fusedGeneral(fb: FunctionBuilder, x: Local, y: Local, z: Local, r: Local, nx: Local, out: ReturnType<FunctionBuilder['block']>): void {
  requireRange(fb, x, SPLIT_MIN, SPLIT_MAX, out);
  requireRange(fb, y, SPLIT_MIN, SPLIT_MAX, out);
  const p = fb.local(F64), e = fb.local(F64), xh = fb.local(F64), xl = fb.local(F64), yh = fb.local(F64), yl = fb.local(F64);
  fb.get(x); fb.get(y); fb.f64Mul(); fb.set(p);
  split(fb, x, xh, xl); split(fb, y, yh, yl);
  fb.get(xh); fb.get(yh); fb.f64Mul(); fb.get(p); fb.f64Sub();
  fb.get(xh); fb.get(yl); fb.f64Mul(); fb.f64Add();
  fb.get(xl); fb.get(yh); fb.f64Mul(); fb.f64Add();
  fb.get(xl); fb.get(yl); fb.f64Mul(); fb.f64Add(); fb.set(e);
  const s = xh, t = xl, w = yh, u = yl, d = x, delta = y; // reuse
  twoSum(fb, p, z, s, t);
  twoSum(fb, t, e, w, u);
  twoSum(fb, s, w, r, d);
  fb.get(d); fb.get(u); fb.f64Add(); fb.set(delta);
  fb.get(delta); fb.f64Const(0); fb.f64Ne();
  fb.if_(); // inexact: NX must be set, and r must be RN(s + w + u)
  fb.get(nx); fb.i32Eqz(); fb.brIf(out);
  fb.get(u); fb.f64Const(0); fb.f64Ne();
  fb.if_();
  const R = p, bits = fb.local(ValType.I64);
  fb.get(r); fb.f64Abs(); fb.tee(R); fb.f64Const(2 ** 1023); fb.f64Lt(); fb.i32Eqz(); fb.brIf(out);
  fb.get(R); fb.i64ReinterpretF64(); fb.set(bits);
  // D = delta signed towards |r|
  fb.get(delta); fb.f64Neg(); fb.get(delta); fb.get(r); fb.f64Const(0); fb.f64Lt(); fb.select(); fb.set(delta);
  fb.get(delta);
  fb.get(bits); fb.i64Const(1); fb.i64Add(); fb.f64ReinterpretI64(); fb.get(R); fb.f64Sub(); fb.f64Const(0.5); fb.f64Mul();
  fb.f64Lt();
  fb.get(delta);
  fb.get(R); fb.get(bits); fb.i64Const(1); fb.i64Sub(); fb.f64ReinterpretI64(); fb.f64Sub(); fb.f64Const(-0.5); fb.f64Mul();
  fb.f64Gt();
  fb.i32And(); fb.i32Eqz(); fb.brIf(out);
  fb.release(bits);
  fb.end();
  fb.end();
  fb.release(p, e, xh, xl, yh, yl);
}

/** Fused x*y+z of singles (promoted) into r (F32 local). */
function fusedS(fb: FunctionBuilder, x: Local, y: Local, z: Local, r: Local, nx: Local, out: ReturnType<FunctionBuilder['block']>): void {
  const p = fb.local(F64), s = fb.local(F64), t = fb.local(F64);
  fb.get(x); fb.get(y); fb.f64Mul(); fb.set(p);
  twoSum(fb, p, z, s, t);
  fb.get(t); fb.f64Const(0); fb.f64Ne(); fb.brIf(out);
  fb.get(s); fb.f32DemoteF64(); fb.tee(r);
  // Inexact (the demotion rounded) needs NX set.
  fb.f64PromoteF32(); fb.get(s); fb.f64Ne(); fb.get(nx); fb.i32Eqz(); fb.i32And(); fb.brIf(out);
  fb.release(p, s, t);
}

/** Emit the operation into r (F64 or F32 local) or branch to `out`. */
function emitOp(ctx: DisasContext, kind: FastKind, single: boolean, a: Record<string, Operand>, r: Local, nx: Local,
  out: ReturnType<FunctionBuilder['block']>): void {
  const fb = ctx.fb;
  const push = (o: Operand) => (single ? pushS(ctx, o) : pushD(ctx, o));
  const requireNx = () => { fb.get(nx); fb.i32Eqz(); fb.brIf(out); };
  if (kind === 'sqrt') { requireNx(); push(a.rs1); if (single) fb.f32Sqrt(); else fb.f64Sqrt(); fb.set(r); return; }
  if (kind === 'add' || kind === 'sub' || kind === 'mul' || kind === 'div') {
    requireNx();
    push(a.rs1); push(a.rs2);
    const ops = single
      ? { add: () => fb.f32Add(), sub: () => fb.f32Sub(), mul: () => fb.f32Mul(), div: () => fb.f32Div() }
      : { add: () => fb.f64Add(), sub: () => fb.f64Sub(), mul: () => fb.f64Mul(), div: () => fb.f64Div() };
    ops[kind](); fb.set(r);
    return;
  }
  // fmadd: x*y+z; fmsub: x*y-z; fnmsub: -(x*y)+z; fnmadd: -(x*y)-z (negations are exact).
  const x = fb.local(F64), y = fb.local(F64), z = fb.local(F64);
  const get = (o: Operand, neg: boolean, l: Local) => {
    push(o); if (single) fb.f64PromoteF32(); if (neg) fb.f64Neg(); fb.set(l);
  };
  get(a.rs1, kind === 'nmsub' || kind === 'nmadd', x);
  get(a.rs2, false, y);
  get(a.rs3, kind === 'msub' || kind === 'nmadd', z);
  if (single) fusedS(fb, x, y, z, r, nx, out); else fusedD(fb, x, y, z, r, nx, out);
  fb.release(x, y, z);
}

const FUSED: ReadonlySet<FastKind> = new Set(['madd', 'msub', 'nmsub', 'nmadd']);

/** An F/D arithmetic row: the fast path above, else helperFp(op). */
export function genFpArith(op: number, kind: FastKind, single: boolean): TransFn {
  const slow = genFpHelper(op, true);
  return (ctx, a) => {
    const rm = a.rm as Operand;
    // The interpreter (dynamic rm) stays on the helper: cold code.
    if (!rm.isConst || (rm.value !== RM_RNE && rm.value !== RM_DYN)) { slow(ctx, a); return; }
    const fb = ctx.fb;
    ctx.requireFs();
    const done = fb.block();
    const out = fb.block();
    if (rm.value === RM_DYN) { ctx.getState32('frm'); fb.brIf(out); }
    const nx = fb.local(ValType.I32);
    ctx.getState32('fflags'); fb.i32Const(1); fb.i32And(); fb.set(nx);
    const r = fb.local(single ? F32 : F64);
    emitOp(ctx, kind, single, a, r, nx, out);
    if (kind === 'add' || kind === 'sub') {
      // A sum that is zero or tiny is exact (no UF, no NX); finite means finite operands.
      fb.get(r); if (single) { fb.f32Abs(); fb.f64PromoteF32(); } else fb.f64Abs();
      fb.f64Const(Infinity); fb.f64Lt(); fb.i32Eqz(); fb.brIf(out);
    } else if (single || !FUSED.has(kind)) requireRange(fb, r, single ? MIN_NORMAL_S : MIN_NORMAL_D, Infinity, out);
    // (fusedD checks its result's range itself)
    ctx.setFpr(a.rd, () => {
      fb.get(r);
      if (single) { fb.i32ReinterpretF32(); fb.i64ExtendI32U(); fb.i64Const(BOX); fb.i64Or(); } else fb.i64ReinterpretF64();
    });
    ctx.markFsDirty();
    fb.br(done);
    fb.end();
    slow(ctx, a);
    fb.end();
    fb.release(r, nx);
  };
}

/** fcvt.d.w / fcvt.d.wu: always exact, no flags; only a reserved rm (illegal) needs helperFp. */
export function genFcvtDW(op: number, unsigned: boolean): TransFn {
  const slow = genFpHelper(op, true);
  return (ctx, a) => {
    const rm = a.rm as Operand;
    if (!rm.isConst || (rm.value > 4 && rm.value !== RM_DYN)) { slow(ctx, a); return; }
    const fb = ctx.fb;
    ctx.requireFs();
    const done = fb.block();
    const out = fb.block();
    if (rm.value === RM_DYN) { ctx.getState32('frm'); fb.i32Const(4); fb.i32GtU(); fb.brIf(out); }
    ctx.setFpr(a.rd, () => {
      ctx.getGpr(a.rs1); fb.i32WrapI64();
      if (unsigned) fb.f64ConvertI32U(); else fb.f64ConvertI32S();
      fb.i64ReinterpretF64();
    });
    ctx.markFsDirty();
    fb.br(done);
    fb.end();
    slow(ctx, a);
    fb.end();
  };
}

/** feq/flt/fle: with no NaN operand the host compare is the answer and no flag changes. */
export function genFcmp(op: number, kind: 'eq' | 'lt' | 'le', single: boolean): TransFn {
  const slow = genFpHelper(op, true);
  return (ctx, a) => {
    const fb = ctx.fb;
    ctx.requireFs();
    const done = fb.block();
    const out = fb.block();
    const x = fb.local(F64), y = fb.local(F64);
    const push = (o: Operand, l: Local) => {
      if (single) { pushS(ctx, o); fb.f64PromoteF32(); } else pushD(ctx, o);
      fb.tee(l); fb.get(l); fb.f64Ne(); fb.brIf(out); // NaN
    };
    push(a.rs1, x); push(a.rs2, y);
    ctx.setGpr(a.rd, () => {
      fb.get(x); fb.get(y);
      if (kind === 'eq') fb.f64Eq(); else if (kind === 'lt') fb.f64Lt(); else fb.f64Le();
      fb.i64ExtendI32U();
    });
    ctx.markFsDirty();
    fb.br(done);
    fb.end();
    slow(ctx, a);
    fb.end();
    fb.release(x, y);
  };
}
