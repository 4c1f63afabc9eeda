// V 1.0 and Zve32x..Zve64d: the rows of every vector encoding (OP-V, and the vector widths of
// LOAD-FP/STORE-FP) and their one emitter, a call of helperVector with the instruction word
// (vector_helper*.ts). With no vector extension configured the emitter makes them illegal.
// The helper reads x registers (flushed first) and may write x[rd] (vsetvl, vmv.x.s, vcpop,
// vfirst), so rd is reloaded after it; f registers are never cached by generated code.
import type { RowTable } from './decode.js';
import { F } from './insn32-fields.js';
import type { TransFn } from './trans_rvi.js';
import { registerRiscvExtension } from './cpu-cfg.js';
import { vecCaps, vecEnabled, vlenOf } from './vector_helper.js';
import { Operand } from './decode.js';
import type { DisasContext } from './translate.js';
import { ValType } from '../../tcg/wasm-builder.js';
import { rvvEmitFast, rvvNoteVtype } from './trans_rvv_simd.js';
import './vector_helper_ldst.js';
import './vector_helper_int.js';
import './vector_helper_perm.js';
import './vector_helper_fp.js';

registerRiscvExtension({ name: 'v' });
for (const name of ['zve32x', 'zve32f', 'zve64x', 'zve64f', 'zve64d']) registerRiscvExtension({ name });

/**
 * vsetvli/vsetivli with a valid vtype in a translated block (the word is a constant): inline,
 * no helper call. vl = min(AVL, VLMAX) (QEMU's rule), vstart = 0, mstatus.VS = Dirty.
 * Returns false when the helper must do it (interpreter, vsetvl, vill).
 */
function inlineVset(ctx: DisasContext, rd: Operand): boolean {
  if (ctx.insn !== null) return false;
  const insn = ctx.insnWord;
  if ((insn & 0x7f) !== 0x57 || ((insn >>> 12) & 7) !== 7) return false;
  const imm = ((insn >>> 30) & 3) === 3;
  if (!imm && (insn >>> 31) !== 0) return false;
  const vtype = imm ? (insn >>> 20) & 0x3ff : (insn >>> 20) & 0x7ff;
  const vsew = (vtype >>> 3) & 7, lm = vtype & 7, sew = 8 << vsew;
  const { elen } = vecCaps();
  if (vtype >>> 8 || vsew > 3 || sew > elen || lm === 4 || (lm & 4 && elen >> (8 - lm) < sew)) return false;
  const l = lm & 4 ? lm - 8 : lm;
  const vlmax = Math.floor(((vlenOf() >> 3) * 2 ** l) / (1 << vsew));
  const rs1 = (insn >>> 15) & 31;
  const fb = ctx.fb;
  // mstatus.VS = Off: the helper raises the illegal-instruction exception.
  ctx.getState64('mstatus'); fb.i64Const(0x600); fb.i64And(); fb.i64Eqz();
  fb.if_();
  callHelper(ctx, rd);
  fb.else_();
  const t = fb.local(ValType.I64);
  if (imm) fb.i64Const(rs1);
  else if (rs1 !== 0) ctx.getGpr(Operand.const(rs1));
  else if (rd.value !== 0) fb.i64Const(vlmax);
  else ctx.getState64('vl');
  fb.set(t);
  fb.get(t); fb.i64Const(vlmax); fb.get(t); fb.i64Const(vlmax); fb.i64LtU(); fb.select(); fb.set(t);
  ctx.setState('vl', () => fb.get(t));
  ctx.setState('vtype', () => fb.i64Const(vtype));
  ctx.setState32('vstart', () => fb.i32Const(0));
  ctx.setState('mstatus', () => { ctx.getState64('mstatus'); fb.i64Const(0x600); fb.i64Or(); });
  ctx.setGpr(rd, () => fb.get(t));
  fb.release(t);
  fb.end();
  rvvNoteVtype(ctx, vtype);
  return true;
}

/** The helper does everything (and raises illegal instruction itself, so the row never uses
 * the illegal label: the block compiler ends no block at it). */
function callHelper(ctx: DisasContext, rd: Operand): void {
  ctx.syncForHelper();
  ctx.flushGprs();
  ctx.pushInsn();
  ctx.fb.call(ctx.h.vec);
  ctx.checkStatus();
  ctx.reloadGpr(rd);
}

export const transV: TransFn = (ctx, a) => {
  if (vecEnabled() && inlineVset(ctx, a.rd)) return;
  // Wasm SIMD for the hot cases in translated blocks, the helper as their fallback.
  if (vecEnabled() && rvvEmitFast(ctx, ctx.insnWord, () => callHelper(ctx, a.rd))) return;
  callHelper(ctx, a.rd);
};

export function addVectorRows(t: RowTable<TransFn>): void {
  const A = { rd: F.rd };
  t.add('op-v', '------- ----- ----- --- ----- 1010111', A, transV);
  for (const w of ['000', '101', '110', '111']) {
    t.add(`vload.${w}`, `------- ----- ----- ${w} ----- 0000111`, A, transV);
    t.add(`vstore.${w}`, `------- ----- ----- ${w} ----- 0100111`, A, transV);
  }
}
