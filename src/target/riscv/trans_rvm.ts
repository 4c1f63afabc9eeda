// RV64M. Division semantics (x/0 = -1, x%0 = x, MIN/-1 = MIN, MIN%-1 = 0) and the high
// multiplies live in small wasm runtime functions (rvm-runtime.ts), called from here.
import { type TransFn, genArith, genArithW } from './trans_rvi.js';
import type { DisasContext } from './translate.js';

function genCall(pick: (ctx: DisasContext) => number, w: boolean): TransFn {
  return (ctx, a) => (w ? genArithW : genArith)((fb) => fb.call(pick(ctx)))(ctx, a);
}

export const trans = {
  mul: genArith((fb) => fb.i64Mul()),
  mulh: genCall((c) => c.h.mulh, false),
  mulhsu: genCall((c) => c.h.mulhsu, false),
  mulhu: genCall((c) => c.h.mulhu, false),
  div: genCall((c) => c.h.div, false),
  divu: genCall((c) => c.h.divu, false),
  rem: genCall((c) => c.h.rem, false),
  remu: genCall((c) => c.h.remu, false),
  mulw: genArithW((fb) => fb.i32Mul()),
  divw: genCall((c) => c.h.divw, true),
  divuw: genCall((c) => c.h.divuw, true),
  remw: genCall((c) => c.h.remw, true),
  remuw: genCall((c) => c.h.remuw, true),
};
