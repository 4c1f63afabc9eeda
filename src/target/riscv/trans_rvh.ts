// H extension instructions (QEMU's insn_trans/trans_rvh.c.inc): hfence.vvma, hfence.gvma and
// the hypervisor loads/stores HLV/HLVX/HSV. The whole instruction is one TypeScript helper
// (hyp_helper.ts), given the instruction word: privilege checks, two-stage translation as the
// guest (hstatus.SPVP), the register write. With 'h' off the encodings stay illegal.
import type { RowTable } from './decode.js';
import { NONE, R } from './insn32-fields.js';
import type { TransFn } from './trans_rvi.js';
import { riscvCpuHas } from './cpu-cfg.js';
import './cpu-h.js';
import './csr-h.js';
import './mmu-h.js';

const hyp: TransFn = (ctx, a) => {
  if (!riscvCpuHas('h')) { ctx.illegal(); return; }
  const fb = ctx.fb;
  ctx.syncForHelper();
  ctx.flushGprs(); // the helper reads x[rs1]/x[rs2]
  if (a.rd) ctx.flushGpr(a.rd);
  ctx.pushInsn();
  fb.call(ctx.h.hyp);
  fb.set(ctx.status);
  if (a.rd) ctx.reloadGpr(a.rd);
  fb.get(ctx.status);
  ctx.checkStatus();
};

export function addHypRows(t: RowTable<TransFn>): void {
  t.add('hfence.vvma', '0010001 ----- ----- 000 00000 1110011', NONE, hyp);
  t.add('hfence.gvma', '0110001 ----- ----- 000 00000 1110011', NONE, hyp);
  // HLV/HLVX (funct7 even) and HSV (odd); hyp_helper.ts refuses the reserved combinations.
  t.add('hlv/hsv', '011---- ----- ----- 100 ----- 1110011', R, hyp);
}
