/* Entering VS-mode from M for one call: run_in_mode with mstatus.MPV set; the call's closing
 * ecall then arrives as cause 10 (from VS), which vs_exit_hook (install it as m_exc_hook) turns
 * back into the return to M. Shared by the H-extension programs of this directory. */
#ifndef VS_MODE_H
#define VS_MODE_H
#include "common.h"

#define MSTATUS_MPV (1UL << 39)

static int vs_exit_hook(struct trap_frame *f) {
  extern char return_to_m[];
  if (f->cause == 10 && f->regs[17] == MAGIC_RETURN_TO_M) {
    f->epc = (u64)return_to_m;
    csr_set(mstatus, MSTATUS_MPP);
    return 1;
  }
  return 0;
}

static u64 run_vs(u64 (*fn)(u64), u64 arg) {
  csr_set(mstatus, MSTATUS_MPV);
  u64 r = run_in_mode(PRV_S, fn, arg);
  csr_clear(mstatus, MSTATUS_MPV);
  return r;
}
#endif
