/* ACLINT devices (-M virt,aclint=on, and with aia=aplic-imsic where only the MTIMER exists):
 * MSWI msip words, SSWI setssip words raising SSIP, the MTIMER's mtime/mtimecmp at their
 * addresses and its timer interrupt. */
#include "aia.h"

#define SSWI 0x2f00000UL
#define MSWI 0x2000000UL

static volatile u64 nirq;
static volatile u64 cause;
static u64 mtimecmp_base, mtime_addr;

static void hook(struct trap_frame *f) {
  nirq++;
  cause = f->cause;
  mmio_write64(mtimecmp_base, ~0UL);
}

int main(void) {
  m_irq_hook = hook;
  trap_arm();
  u32 sswi = mmio_read32(SSWI);
  trap_disarm();
  int imsic = mtrap.count != 0;
  show("imsic-layout", imsic);
  if (imsic) {
    check("sswi.fault", mtrap.cause, CAUSE_LOAD_ACCESS);
    mtimecmp_base = 0x2000000UL;
    mtime_addr = 0x2007ff8UL;
  } else {
    show("sswi.read", sswi);
    mtimecmp_base = 0x2004000UL;
    mtime_addr = 0x200bff8UL;
    /* MSWI */
    mmio_write32(MSWI, 1);
    show("msip", mmio_read32(MSWI));
    check("mip.msip", (csr_read(mip) & MIP_MSIP) != 0, 1);
    mmio_write32(MSWI, 0);
    check("mip.msip.clear", (csr_read(mip) & MIP_MSIP) != 0, 0);
    /* SSWI: writing 1 sets SSIP, 0 does not clear it, sip does */
    mmio_write32(SSWI, 1);
    check("mip.ssip", (csr_read(mip) & MIP_SSIP) != 0, 1);
    show("sswi.read1", mmio_read32(SSWI));
    mmio_write32(SSWI, 0);
    check("mip.ssip.stays", (csr_read(mip) & MIP_SSIP) != 0, 1);
    csr_clear(mip, MIP_SSIP);
    check("mip.ssip.cleared", (csr_read(mip) & MIP_SSIP) != 0, 0);
  }
  u64 t0 = mmio_read64(mtime_addr);
  for (volatile int i = 0; i < 20000; i++) {
  }
  u64 t1 = mmio_read64(mtime_addr);
  check("mtime.advances", t1 > t0, 1);
  mmio_write64(mtimecmp_base, 0);
  check("mtip", (csr_read(mip) & MIP_MTIP) != 0, 1);
  mmio_write64(mtimecmp_base, ~0UL);
  check("mtip.clear", (csr_read(mip) & MIP_MTIP) != 0, 0);
  nirq = 0;
  csr_write(mie, MIP_MTIP);
  mmio_write64(mtimecmp_base, mmio_read64(mtime_addr) + 1000);
  csr_set(mstatus, MSTATUS_MIE);
  for (int i = 0; i < 1000 && nirq == 0; i++) asm volatile("wfi");
  csr_clear(mstatus, MSTATUS_MIE);
  check("timer.irq", nirq, 1);
  check("timer.cause", cause, CAUSE_INTERRUPT | 7);
  finish();
}
