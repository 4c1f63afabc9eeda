// Zfh/Zfhmin (half precision) and Zfa (additional F/D/H instructions): loads, stores, moves and
// sign injection inline; everything that rounds, compares or classifies calls helperFp with an
// operation of fpu_helper_ext.ts. Halves are NaN-boxed in the 64-bit f registers (upper 48 bits
// ones), as singles are (trans_rvf.ts).
import { ValType } from '../../tcg/wasm-builder.js';
import type { ArgSpec, Operand, RowTable } from './decode.js';
import { F, I, R, S, bits } from './insn32-fields.js';
import { type TransFn, genAddr } from './trans_rvi.js';
import { genFpHelper } from './trans_rvf.js';
import { type DisasContext, MemOp } from './translate.js';
import { FpExtOp, Fmt } from './fpu_helper_ext.js';

const BOX_H = -0x10000n; // 0xffffffffffff0000
const CANONICAL_NAN_H = 0x7e00;

/** Push f[r] as a half: its low 16 bits when NaN-boxed, else the canonical NaN (i64). */
function getFprH(ctx: DisasContext, r: Operand): void {
  const fb = ctx.fb;
  const t = fb.local(ValType.I64);
  ctx.getFpr(r); fb.tee(t); fb.i64Const(0xffff); fb.i64And();
  fb.i64Const(CANONICAL_NAN_H);
  fb.get(t); fb.i64Const(16); fb.i64ShrU(); fb.i64Const(0xffffffffffffn); fb.i64Eq();
  fb.select();
  fb.release(t);
}

const flh: TransFn = (ctx, a) => {
  ctx.requireFs();
  ctx.setFpr(a.rd, () => { ctx.genLoad(genAddr(ctx, a), MemOp.UW); ctx.fb.i64Const(BOX_H); ctx.fb.i64Or(); });
  ctx.markFsDirty();
};
const fsh: TransFn = (ctx, a) => {
  ctx.requireFs();
  ctx.genStore(genAddr(ctx, a), MemOp.UW, () => ctx.getFpr(a.rs2));
};
const fmvXH: TransFn = (ctx, a) => {
  ctx.requireFs();
  ctx.setGpr(a.rd, () => { ctx.getFpr(a.rs1); ctx.fb.i64Extend16S(); });
};
const fmvHX: TransFn = (ctx, a) => {
  ctx.requireFs();
  ctx.setFpr(a.rd, () => { ctx.getGpr(a.rs1); ctx.fb.i64Const(BOX_H); ctx.fb.i64Or(); });
  ctx.markFsDirty();
};
function genFsgnjH(kind: 'j' | 'n' | 'x'): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    ctx.requireFs();
    ctx.setFpr(a.rd, () => {
      getFprH(ctx, a.rs1);
      if (kind === 'x') { getFprH(ctx, a.rs2); fb.i64Const(0x8000); fb.i64And(); fb.i64Xor(); } else {
        fb.i64Const(0x7fff); fb.i64And();
        getFprH(ctx, a.rs2); if (kind === 'n') { fb.i64Const(-1); fb.i64Xor(); }
        fb.i64Const(0x8000); fb.i64And(); fb.i64Or();
      }
      fb.i64Const(BOX_H); fb.i64Or();
    });
    ctx.markFsDirty();
  };
}

const R4: ArgSpec = { rd: F.rd, rs1: F.rs1, rs2: F.rs2, rs3: F.rs3, rm: F.rm };
const RRM: ArgSpec = { rd: F.rd, rs1: F.rs1, rs2: F.rs2, rm: F.rm };
const R2RM: ArgSpec = { rd: F.rd, rs1: F.rs1, rm: F.rm };
const R2: ArgSpec = { rd: F.rd, rs1: F.rs1 };
const OPFP = '1010011';

export function addZfhRows(t: RowTable<TransFn>): void {
  const MIN = 'zfh|zfhmin|zfbfmin', ZFH = 'zfh'; // flh/fsh/fmv.x.h/fmv.h.x: Zfbfmin has them too
  const h = (op: number, dirties = true) => genFpHelper(op, dirties);
  // Zfhmin
  t.add('flh', '------------ ----- 001 ----- 0000111', I, flh, undefined, MIN);
  t.add('fsh', '------- ----- ----- 001 ----- 0100111', S, fsh, undefined, MIN);
  t.add('fmv.x.h', `11100 10 00000 ----- 000 ----- ${OPFP}`, R2, fmvXH, undefined, MIN);
  t.add('fmv.h.x', `11110 10 00000 ----- 000 ----- ${OPFP}`, R2, fmvHX, undefined, MIN);
  const HMIN = 'zfh|zfhmin';
  t.add('fcvt.s.h', `01000 00 00010 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FCVT_S_H), undefined, HMIN);
  t.add('fcvt.h.s', `01000 10 00000 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FCVT_H_S), undefined, HMIN);
  t.add('fcvt.d.h', `01000 01 00010 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FCVT_D_H), undefined, HMIN);
  t.add('fcvt.h.d', `01000 10 00001 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FCVT_H_D), undefined, HMIN);
  // Zfbfmin (BF16 <-> single)
  t.add('fcvt.bf16.s', `01000 10 01000 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FCVT_BF16_S), undefined, 'zfbfmin');
  t.add('fcvt.s.bf16', `01000 00 00110 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FCVT_S_BF16), undefined, 'zfbfmin');
  // Zfh
  const fma = [['fmadd', '1000011', FpExtOp.FMADD_H], ['fmsub', '1000111', FpExtOp.FMSUB_H],
    ['fnmsub', '1001011', FpExtOp.FNMSUB_H], ['fnmadd', '1001111', FpExtOp.FNMADD_H]] as const;
  for (const [n, opc, op] of fma) t.add(`${n}.h`, `----- 10 ----- ----- --- ----- ${opc}`, R4, h(op), undefined, ZFH);
  const arith = [['fadd', '00000', FpExtOp.FADD_H], ['fsub', '00001', FpExtOp.FSUB_H], ['fmul', '00010', FpExtOp.FMUL_H],
    ['fdiv', '00011', FpExtOp.FDIV_H]] as const;
  for (const [n, f5, op] of arith) t.add(`${n}.h`, `${f5} 10 ----- ----- --- ----- ${OPFP}`, RRM, h(op), undefined, ZFH);
  t.add('fsqrt.h', `01011 10 00000 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FSQRT_H), undefined, ZFH);
  t.add('fsgnj.h', `00100 10 ----- ----- 000 ----- ${OPFP}`, R, genFsgnjH('j'), undefined, ZFH);
  t.add('fsgnjn.h', `00100 10 ----- ----- 001 ----- ${OPFP}`, R, genFsgnjH('n'), undefined, ZFH);
  t.add('fsgnjx.h', `00100 10 ----- ----- 010 ----- ${OPFP}`, R, genFsgnjH('x'), undefined, ZFH);
  t.add('fmin.h', `00101 10 ----- ----- 000 ----- ${OPFP}`, R, h(FpExtOp.FMIN_H), undefined, ZFH);
  t.add('fmax.h', `00101 10 ----- ----- 001 ----- ${OPFP}`, R, h(FpExtOp.FMAX_H), undefined, ZFH);
  t.add('fle.h', `10100 10 ----- ----- 000 ----- ${OPFP}`, R, h(FpExtOp.FLE_H, false), undefined, ZFH);
  t.add('flt.h', `10100 10 ----- ----- 001 ----- ${OPFP}`, R, h(FpExtOp.FLT_H, false), undefined, ZFH);
  t.add('feq.h', `10100 10 ----- ----- 010 ----- ${OPFP}`, R, h(FpExtOp.FEQ_H, false), undefined, ZFH);
  t.add('fclass.h', `11100 10 00000 ----- 001 ----- ${OPFP}`, R2, h(FpExtOp.FCLASS_H, false), undefined, ZFH);
  const ints = ['w', 'wu', 'l', 'lu'] as const;
  const toInt = [FpExtOp.FCVT_W_H, FpExtOp.FCVT_WU_H, FpExtOp.FCVT_L_H, FpExtOp.FCVT_LU_H];
  const fromInt = [FpExtOp.FCVT_H_W, FpExtOp.FCVT_H_WU, FpExtOp.FCVT_H_L, FpExtOp.FCVT_H_LU];
  ints.forEach((it, i) => {
    t.add(`fcvt.${it}.h`, `11000 10 ${bits(i, 5)} ----- --- ----- ${OPFP}`, R2RM, h(toInt[i]), undefined, ZFH);
    t.add(`fcvt.h.${it}`, `11010 10 ${bits(i, 5)} ----- --- ----- ${OPFP}`, R2RM, h(fromInt[i]), undefined, ZFH);
  });
  // Zfa (the .h forms also need Zfh)
  for (const [sfx, fmt, f] of [['s', '00', Fmt.S], ['d', '01', Fmt.D], ['h', '10', Fmt.H]] as const) {
    const ext = f === Fmt.H ? 'zfa&zfh' : 'zfa';
    t.add(`fli.${sfx}`, `11110 ${fmt} 00001 ----- 000 ----- ${OPFP}`, R2, h(FpExtOp.FLI + f), undefined, ext);
    t.add(`fminm.${sfx}`, `00101 ${fmt} ----- ----- 010 ----- ${OPFP}`, R, h(FpExtOp.FMINM + f), undefined, ext);
    t.add(`fmaxm.${sfx}`, `00101 ${fmt} ----- ----- 011 ----- ${OPFP}`, R, h(FpExtOp.FMAXM + f), undefined, ext);
    t.add(`fround.${sfx}`, `01000 ${fmt} 00100 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FROUND + f), undefined, ext);
    t.add(`froundnx.${sfx}`, `01000 ${fmt} 00101 ----- --- ----- ${OPFP}`, R2RM, h(FpExtOp.FROUNDNX + f), undefined, ext);
    t.add(`fleq.${sfx}`, `10100 ${fmt} ----- ----- 100 ----- ${OPFP}`, R, h(FpExtOp.FLEQ + f, false), undefined, ext);
    t.add(`fltq.${sfx}`, `10100 ${fmt} ----- ----- 101 ----- ${OPFP}`, R, h(FpExtOp.FLTQ + f, false), undefined, ext);
  }
  t.add('fcvtmod.w.d', `11000 01 01000 ----- 001 ----- ${OPFP}`, R2, h(FpExtOp.FCVTMOD_W_D), undefined, 'zfa');
}
