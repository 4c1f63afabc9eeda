// V 1.0 and Zve32x..Zve64d: the rows of every vector encoding (OP-V, and the vector widths of
// LOAD-FP/STORE-FP) and their one emitter, a call of helperVector with the instruction word
// (vector_helper*.ts). With no vector extension configured the emitter makes them illegal.
// The helper reads x registers (flushed first) and may write x[rd] (vsetvl, vmv.x.s, vcpop,
// vfirst), so rd is reloaded after it; f registers are never cached by generated code.
import type { RowTable } from './decode.js';
import { F } from './insn32-fields.js';
import type { TransFn } from './trans_rvi.js';
import { registerRiscvExtension } from './cpu-cfg.js';
import { vecEnabled } from './vector_helper.js';
import './vector_helper_ldst.js';
import './vector_helper_int.js';
import './vector_helper_perm.js';
import './vector_helper_fp.js';

registerRiscvExtension({ name: 'v' });
for (const name of ['zve32x', 'zve32f', 'zve64x', 'zve64f', 'zve64d']) registerRiscvExtension({ name });

const transV: TransFn = (ctx, a) => {
  if (!vecEnabled()) { ctx.illegal(); return; }
  const fb = ctx.fb;
  ctx.syncForHelper();
  ctx.flushGprs();
  ctx.pushInsn();
  fb.call(ctx.h.vec);
  ctx.checkStatus();
  ctx.reloadGpr(a.rd);
};

export function addVectorRows(t: RowTable<TransFn>): void {
  const A = { rd: F.rd };
  t.add('op-v', '------- ----- ----- --- ----- 1010111', A, transV);
  for (const w of ['000', '101', '110', '111']) {
    t.add(`vload.${w}`, `------- ----- ----- ${w} ----- 0000111`, A, transV);
    t.add(`vstore.${w}`, `------- ----- ----- ${w} ----- 0100111`, A, transV);
  }
}
