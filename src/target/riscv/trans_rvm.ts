// RV64M, inline: the high multiplies from 32-bit partial products, and division with RISC-V's
// results for division by zero (x/0 = -1, x%0 = x) and overflow (MIN/-1 = MIN, MIN%-1 = 0)
// computed with `select` around a divisor that cannot trap (wasm's division traps on both).
// No call: V8 keeps no register across a call, so a helper call in a loop spilled every guest
// register the loop holds (rvm-runtime.ts keeps the same functions for other users).
import { type FunctionBuilder, type Local, ValType } from '../../tcg/wasm-builder.js';
import type { Args } from './decode.js';
import { emitMulhu } from './rvm-runtime.js';
import { type TransFn, genArith, genArithW } from './trans_rvi.js';
import type { DisasContext } from './translate.js';

const I64 = ValType.I64, I32 = ValType.I32;

/** rd = f(a, b) with rs1/rs2 in temporary locals of type t (wrapped to i32 for W forms,
 * the result sign-extended back). */
function genBinLocals(w: boolean, f: (fb: FunctionBuilder, a: Local, b: Local) => void): TransFn {
  return (ctx: DisasContext, args: Args) => {
    const rd = args.rd, off = ctx.setGprBegin(rd);
    const fb = ctx.fb;
    const t = w ? I32 : I64;
    const a = fb.local(t), b = fb.local(t);
    ctx.getGpr(args.rs1); if (w) fb.i32WrapI64(); fb.set(a);
    ctx.getGpr(args.rs2); if (w) fb.i32WrapI64(); fb.set(b);
    f(fb, a, b);
    if (w) fb.i64ExtendI32S();
    fb.release(a, b);
    ctx.setGprEnd(rd, off);
  };
}

/**
 * Push a OP b for the division family on width t (W forms: i32), no trap:
 *   safe = (b == 0 || signed && b == -1) ? 1 : b; r = a OP safe
 *   div: b == 0 ? -1 : (signed && b == -1) ? -a : r      rem: b == 0 ? a : r (a % 1 = 0 = MIN % -1)
 */
export function emitDivInline(fb: FunctionBuilder, w: boolean, signed: boolean, isRem: boolean, a: Local, b: Local): void {
  const k = (v: number) => (w ? fb.i32Const(v) : fb.i64Const(v));
  const eqz = () => (w ? fb.i32Eqz() : fb.i64Eqz());
  const isMinus1 = () => { fb.get(b); k(-1); if (w) fb.i32Eq(); else fb.i64Eq(); };
  const zeroOr = () => { fb.get(b); eqz(); if (signed) { isMinus1(); fb.i32Or(); } };
  if (!isRem) k(-1); else fb.get(a); // b == 0
  if (!isRem && signed) { k(0); fb.get(a); if (w) fb.i32Sub(); else fb.i64Sub(); } // b == -1
  fb.get(a);
  k(1); fb.get(b); zeroOr(); fb.select();
  if (w) { if (isRem) (signed ? fb.i32RemS() : fb.i32RemU()); else (signed ? fb.i32DivS() : fb.i32DivU()); }
  else if (isRem) (signed ? fb.i64RemS() : fb.i64RemU()); else (signed ? fb.i64DivS() : fb.i64DivU());
  if (!isRem && signed) { isMinus1(); fb.select(); }
  fb.get(b); eqz(); fb.select();
}

/** mulhu(a, b) - (a < 0 ? b : 0) [- (b < 0 ? a : 0) when both are signed]. */
function emitMulhSigned(fb: FunctionBuilder, a: Local, b: Local, bothSigned: boolean): void {
  emitMulhu(fb, a, b);
  fb.get(b); fb.get(a); fb.i64Const(63); fb.i64ShrS(); fb.i64And(); fb.i64Sub();
  if (bothSigned) { fb.get(a); fb.get(b); fb.i64Const(63); fb.i64ShrS(); fb.i64And(); fb.i64Sub(); }
}

const div = (w: boolean, signed: boolean, isRem: boolean) =>
  genBinLocals(w, (fb, a, b) => emitDivInline(fb, w, signed, isRem, a, b));

export const trans = {
  mul: genArith((fb) => fb.i64Mul()),
  mulh: genBinLocals(false, (fb, a, b) => emitMulhSigned(fb, a, b, true)),
  mulhsu: genBinLocals(false, (fb, a, b) => emitMulhSigned(fb, a, b, false)),
  mulhu: genBinLocals(false, (fb, a, b) => emitMulhu(fb, a, b)),
  div: div(false, true, false),
  divu: div(false, false, false),
  rem: div(false, true, true),
  remu: div(false, false, true),
  mulw: genArithW((fb) => fb.i32Mul()),
  divw: div(true, true, false),
  divuw: div(true, false, false),
  remw: div(true, true, true),
  remuw: div(true, false, true),
};
