// Zicsr: the whole instruction (permission, read into rd, write) is riscvCsrrw in csr.ts;
// generated code passes the source value in scratch[0].
import type { TransFn } from './trans_rvi.js';
import { SCRATCH } from './translate.js';

const enum CsrOp { RW = 0, RS = 1, RC = 2 }

function genCsr(op: CsrOp, imm: boolean): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    fb.get(ctx.env);
    if (imm) { ctx.i32(a.rs1); fb.i64ExtendI32U(); } else ctx.getGpr(a.rs1);
    fb.i64Store(SCRATCH);
    ctx.syncForHelper();
    // The helper writes x[rd] only when the access is legal: store the current value first, so
    // reloading it after a trap (status 1 also means a completed write that changed state) does
    // not bring back an older one.
    ctx.flushGpr(a.rd);
    ctx.i32(a.csr); ctx.i32(a.rd); fb.i32Const(op);
    // csrrs/csrrc with rs1 = x0 (or uimm = 0) do not write.
    if (op === CsrOp.RW) fb.i32Const(1); else { ctx.i32(a.rs1); fb.i32Const(0); fb.i32Ne(); }
    ctx.pushInsn();
    fb.call(ctx.h.csr);
    // x[rd] was written in the state block, also when the status asks for a reload.
    fb.set(ctx.status);
    ctx.reloadGpr(a.rd);
    fb.get(ctx.status);
    ctx.checkStatus();
    ctx.afterPmChange();
  };
}

export const trans = {
  csrrw: genCsr(CsrOp.RW, false),
  csrrs: genCsr(CsrOp.RS, false),
  csrrc: genCsr(CsrOp.RC, false),
  csrrwi: genCsr(CsrOp.RW, true),
  csrrsi: genCsr(CsrOp.RS, true),
  csrrci: genCsr(CsrOp.RC, true),
};
