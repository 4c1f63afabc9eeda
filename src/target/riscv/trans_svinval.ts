// Svinval (QEMU's trans_svinval.c.inc): sinval.vma is sfence.vma's invalidation (same checks,
// same flush: this TLB has no ordering to split); sfence.w.inval and sfence.inval.ir order
// nothing here and are no-ops at any privilege, as in QEMU. Illegal without the extension.
import { riscvCpuHas } from './cpu-cfg.js';
import { trans as priv } from './trans_privileged.js';
import { trans as rvi, type TransFn } from './trans_rvi.js';

export const trans = {
  sinval_vma: ((ctx, a) => (riscvCpuHas('svinval') ? priv.sfence_vma(ctx, a) : rvi.illegal(ctx, a))) as TransFn,
  sfence_w_inval: ((ctx, a) => { if (!riscvCpuHas('svinval')) rvi.illegal(ctx, a); }) as TransFn,
  sfence_inval_ir: ((ctx, a) => { if (!riscvCpuHas('svinval')) rvi.illegal(ctx, a); }) as TransFn,
};
