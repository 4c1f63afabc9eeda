// RV64F/D: loads, stores, moves and sign injection inline; arithmetic, conversions, compares
// and classification call helperFp (fpu_helper.ts), which reads operands from env, resolves
// the rounding mode and accrues fflags. Every F/D instruction is illegal when mstatus.FS = Off
// and sets FS = Dirty after writing an f register or fflags.
import { type FunctionBuilder, ValType } from '../../tcg/wasm-builder.js';
import type { Operand } from './decode.js';
import type { TransFn } from './trans_rvi.js';
import { type DisasContext, MemOp } from './translate.js';

const BOX = -0x100000000n; // 0xffffffff00000000
const CANONICAL_NAN_S = 0x7fc00000;

// No closures per instruction (they run per translated instruction, mostly in V8's lower tiers).
function genFpLoad(memop: MemOp): TransFn {
  return (ctx, a) => {
    ctx.requireFs();
    const off = ctx.setFprBegin(a.rd);
    ctx.genLoadRegImm(a.rs1, a.imm, memop);
    if (memop !== MemOp.UQ) { ctx.fb.i64Const(BOX); ctx.fb.i64Or(); }
    ctx.setFprEnd(off);
    ctx.markFsDirty();
  };
}
function genFpStore(memop: MemOp): TransFn {
  return (ctx, a) => {
    ctx.requireFs();
    ctx.genStoreRegImm(a.rs1, a.imm, memop, a.rs2, true);
  };
}

/** Push f[r] as a single: its low 32 bits when NaN-boxed, else the canonical NaN (i64). */
export function getFprS(ctx: DisasContext, r: Operand): void {
  const fb = ctx.fb;
  const t = fb.local(ValType.I64);
  ctx.getFpr(r); fb.tee(t); fb.i64Const(0xffffffff); fb.i64And();
  fb.i64Const(CANONICAL_NAN_S);
  fb.get(t); fb.i64Const(32); fb.i64ShrU(); fb.i64Const(0xffffffff); fb.i64Eq();
  fb.select();
  fb.release(t);
}

type SignOp = 'j' | 'n' | 'x';
function genFsgnj(single: boolean, kind: SignOp): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const sign = single ? 0x80000000 : -0x8000000000000000n;
    const get = (r: Operand) => (single ? getFprS(ctx, r) : ctx.getFpr(r));
    ctx.requireFs();
    ctx.setFpr(a.rd, () => {
      get(a.rs1);
      if (kind === 'x') { get(a.rs2); fb.i64Const(sign); fb.i64And(); fb.i64Xor(); } else {
        fb.i64Const(single ? 0x7fffffff : 0x7fffffffffffffffn); fb.i64And();
        get(a.rs2); if (kind === 'n') { fb.i64Const(-1); fb.i64Xor(); }
        fb.i64Const(sign); fb.i64And(); fb.i64Or();
      }
      if (single) { fb.i64Const(BOX); fb.i64Or(); }
    });
    ctx.markFsDirty();
  };
}

export const transInline = {
  flw: genFpLoad(MemOp.UL),
  fld: genFpLoad(MemOp.UQ),
  fsw: genFpStore(MemOp.UL),
  fsd: genFpStore(MemOp.UQ),
  fsgnj_s: genFsgnj(true, 'j'), fsgnjn_s: genFsgnj(true, 'n'), fsgnjx_s: genFsgnj(true, 'x'),
  fsgnj_d: genFsgnj(false, 'j'), fsgnjn_d: genFsgnj(false, 'n'), fsgnjx_d: genFsgnj(false, 'x'),
  fmv_x_w: ((ctx, a) => {
    ctx.requireFs();
    ctx.setGpr(a.rd, () => { ctx.getFpr(a.rs1); ctx.fb.i32WrapI64(); ctx.fb.i64ExtendI32S(); });
  }) as TransFn,
  fmv_w_x: ((ctx, a) => {
    ctx.requireFs();
    ctx.setFpr(a.rd, () => { ctx.getGpr(a.rs1); ctx.fb.i64Const(BOX); ctx.fb.i64Or(); });
    ctx.markFsDirty();
  }) as TransFn,
  fmv_x_d: ((ctx, a) => {
    ctx.requireFs();
    ctx.setGpr(a.rd, () => ctx.getFpr(a.rs1));
  }) as TransFn,
  fmv_d_x: ((ctx, a) => {
    ctx.requireFs();
    ctx.setFpr(a.rd, () => ctx.getGpr(a.rs1));
    ctx.markFsDirty();
  }) as TransFn,
};

/** Everything else: helperFp(op, rd, rs1, rs2, rs3, rm) -> 0 means reserved rm (illegal). */
export function genFpHelper(op: number, dirties: boolean): TransFn {
  return (ctx, a) => {
    const fb: FunctionBuilder = ctx.fb;
    ctx.requireFs();
    ctx.flushGprs();
    fb.i32Const(op);
    for (const n of ['rd', 'rs1', 'rs2', 'rs3', 'rm']) if (a[n]) ctx.i32(a[n]); else fb.i32Const(0);
    fb.call(ctx.h.fp);
    fb.i32Eqz();
    fb.brIf(ctx.illegalLabel);
    ctx.reloadGpr(a.rd);
    if (dirties) ctx.markFsDirty();
  };
}
