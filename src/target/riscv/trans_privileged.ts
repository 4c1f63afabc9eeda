// System instructions handled by TypeScript helpers (op_helper.ts): the pc is made exact
// first, then the helper's status decides (0 next, 1 reload pc, >= 2 leave run()).
import type { TransFn } from './trans_rvi.js';
import type { DisasContext } from './translate.js';

function genHelper(pick: (ctx: DisasContext) => number): TransFn {
  return (ctx) => {
    ctx.syncForHelper();
    ctx.fb.call(pick(ctx));
    ctx.checkStatus();
  };
}

export const trans = {
  ecall: genHelper((ctx) => ctx.h.ecall),
  ebreak: genHelper((ctx) => ctx.h.ebreak),
  mret: genHelper((ctx) => ctx.h.mret),
  sret: genHelper((ctx) => ctx.h.sret),
  wfi: genHelper((ctx) => ctx.h.wfi),
  fence_i: genHelper((ctx) => ctx.h.fencei),
  sfence_vma: ((ctx, a) => {
    ctx.syncForHelper();
    ctx.flushGprs(); // the helper may read x[rs1]/x[rs2]
    ctx.i32(a.rs1); ctx.i32(a.rs2);
    ctx.fb.call(ctx.h.sfence);
    ctx.checkStatus();
  }) as TransFn,
};
