/* APLIC in MSI mode with IMSICs (-M virt,aia=aplic-imsic): the Smaia/Ssaia CSRs (miselect/
 * mireg on iprio and the IMSIC registers, mtopei claims, mtopi, illegal selections), an MSI
 * written straight to the M IMSIC, eithreshold, the APLIC forwarding a setipnum'd source and
 * the UART's level line as MSIs, genmsi, and a source delegated to the S domain reaching the S
 * IMSIC, claimed from S mode through siselect/sireg/stopei. */
#include "imsic-csr.h"

static void mireg_w(u64 isel, u64 v) { CSRW(CSR_MISELECT, isel); CSRW(CSR_MIREG, v); }
static u64 mireg_r(u64 isel) { CSRW(CSR_MISELECT, isel); return CSRR(CSR_MIREG); }

static volatile u64 nirq;
static volatile u64 got[8];

static void hook(struct trap_frame *f) {
  u64 code = f->cause & 0xff;
  u64 top = 0;
  if (code == 3) mmio_write32(CLINT_MSIP, 0);
  else if (code == 7) mmio_write64(CLINT_MTIMECMP, ~0UL);
  else top = CSRRW(CSR_MTOPEI, 0); /* read and claim */
  if (nirq < 8) got[nirq] = ((f->cause & 0xff) << 32) | top;
  nirq++;
  if ((top >> 16) == UART_IRQ) uart_irq(0);
  if (nirq > 6) csr_clear(mie, MIP_MEIP);
}

static void take(u64 n) {
  nirq = 0;
  for (int i = 0; i < 8; i++) got[i] = 0;
  csr_set(mstatus, MSTATUS_MIE);
  for (int i = 0; i < 100000 && nirq < n; i++) asm volatile("" ::: "memory");
  csr_clear(mstatus, MSTATUS_MIE);
}

static void csrs(void) {
  /* the reset priorities: the default order, the external interrupt's byte 0 */
  for (u64 i = 0x30; i < 0x40; i += 2) tprintf("miprio %lx = %lx\n", i, mireg_r(i));
  for (u64 i = 0x30; i < 0x40; i += 2) { CSRW(CSR_SISELECT, i); tprintf("siprio %lx = %lx\n", i, CSRR(CSR_SIREG)); }
  CSRW(CSR_MISELECT, ~0UL);
  show("miselect.mask", CSRR(CSR_MISELECT));
  show("eidelivery", mireg_r(EIDELIVERY));
  mireg_w(EIDELIVERY, ~0UL);
  show("eidelivery.w", mireg_r(EIDELIVERY));
  mireg_w(EITHRESHOLD, ~0UL);
  show("eithreshold.w", mireg_r(EITHRESHOLD));
  mireg_w(EITHRESHOLD, 0);
  mireg_w(EIE0, ~0UL);
  show("eie0.w", mireg_r(EIE0));
  mireg_w(EIE0 + 2, ~0UL);
  show("eie2.w", mireg_r(EIE0 + 2));
  mireg_w(EIE0 + 6, ~0UL);
  show("eie6.w", mireg_r(EIE0 + 6));
  mireg_w(EIE0 + 6, 0);
  mireg_w(EIE0 + 2, 0);
  mireg_w(EIE0, 0);
  /* iprio: 8 bytes per even register; MEI's byte stays 0 */
  mireg_w(0x30, 0x0102030405060708UL);
  show("iprio0", mireg_r(0x30));
  mireg_w(0x32, ~0UL);
  show("iprio2", mireg_r(0x32));
  mireg_w(0x32, 0);
  mireg_w(0x30, 0);
  static const u64 bad[] = { 0x31, 0x40, 0x6f, 0x71, 0x81, 0xc1, 0x100 };
  for (int i = 0; i < 7; i++) {
    CSRW(CSR_MISELECT, bad[i]);
    trap_arm();
    (void)CSRR(CSR_MIREG);
    trap_disarm();
    checkf(mtrap.cause, CAUSE_ILLEGAL, "mireg.illegal.%lx", bad[i]);
  }
  show("mtopei.idle", CSRR(CSR_MTOPEI));
  show("mtopi.idle", CSRR(CSR_MTOPI));
}

static void direct_msi(void) {
  mireg_w(EIDELIVERY, 1);
  mireg_w(EIE0, (1UL << 5) | (1UL << 9) | (1UL << 12) | (1UL << UART_IRQ));
  check("meip.idle", (csr_read(mip) & MIP_MEIP) != 0, 0);
  mmio_write32(IMSIC_M, 5);
  mmio_write32(IMSIC_M, 40); /* not enabled: pending only */
  mmio_write32(IMSIC_M + 4, 6); /* big-endian register: ignored */
  mmio_write32(IMSIC_M, 0); /* identity 0 does not exist */
  show("eip0", mireg_r(EIP0));
  check("meip.msi", (csr_read(mip) & MIP_MEIP) != 0, 1);
  show("mtopei", CSRR(CSR_MTOPEI));
  show("mtopi.mie0", CSRR(CSR_MTOPI));
  csr_set(mie, MIP_MEIP);
  show("mtopi", CSRR(CSR_MTOPI));
  mireg_w(EITHRESHOLD, 5);
  show("mtopei.thr5", CSRR(CSR_MTOPEI));
  check("meip.thr5", (csr_read(mip) & MIP_MEIP) != 0, 0);
  mireg_w(EITHRESHOLD, 6);
  show("mtopei.thr6", CSRR(CSR_MTOPEI));
  mireg_w(EITHRESHOLD, 0);
  take(1);
  check("msi.irqs", nirq, 1);
  show("msi.got0", got[0]);
  show("eip0.after", mireg_r(EIP0));
  mireg_w(EIP0 + 0, 0); /* drop 40 */
  mireg_w(EIP0, 1UL << 12); /* software-set pending */
  take(1);
  show("eip.sw.got0", got[0]);
  /* eidelivery 0 holds the line low */
  mireg_w(EIDELIVERY, 0);
  mmio_write32(IMSIC_M, 9);
  check("meip.eid0", (csr_read(mip) & MIP_MEIP) != 0, 0);
  mireg_w(EIDELIVERY, 1);
  take(1);
  show("eid.got0", got[0]);
}

static void aplic_msi(void) {
  show("m.domaincfg", rd(APLIC_M, DOMAINCFG));
  wr(APLIC_M, MMSICFGADDR, IMSIC_M >> 12);
  wr(APLIC_M, MMSICFGADDRH, 0);
  wr(APLIC_M, SMSICFGADDR, IMSIC_S >> 12);
  wr(APLIC_M, SMSICFGADDRH, 0);
  show("mmsicfgaddr", rd(APLIC_M, MMSICFGADDR));
  show("smsicfgaddr", rd(APLIC_M, SMSICFGADDR));
  show("s.smsicfgaddr", rd(APLIC_S, SMSICFGADDR));
  show("target.reset", rd(APLIC_M, TARGET(3)));
  wr(APLIC_M, SOURCECFG(3), SM_EDGE_RISE);
  wr(APLIC_M, TARGET(3), (0u << 18) | 9);
  wr(APLIC_M, SETIENUM, 3);
  wr(APLIC_M, SETIPNUM, 3);
  show("setip.before-ie", rd(APLIC_M, SETIP(0)));
  wr(APLIC_M, DOMAINCFG, DOMAINCFG_IE);
  show("setip.sent", rd(APLIC_M, SETIP(0)));
  take(1);
  show("aplic.got0", got[0]);
  /* level source in MSI mode: the UART */
  wr(APLIC_M, SOURCECFG(UART_IRQ), SM_LEVEL_HIGH);
  wr(APLIC_M, TARGET(UART_IRQ), UART_IRQ);
  wr(APLIC_M, SETIENUM, UART_IRQ);
  uart_irq(1);
  take(1);
  show("uart.irqs", nirq);
  show("uart.got0", got[0]);
  /* setipnum_le / setipnum_be and genmsi */
  wr(APLIC_M, SETIPNUM_LE, 3);
  take(1);
  show("le.got0", got[0]);
  wr(APLIC_M, SETIPNUM_BE, 3u << 24);
  take(1);
  show("be.got0", got[0]);
  wr(APLIC_M, GENMSI, (0u << 18) | 12);
  show("genmsi", rd(APLIC_M, GENMSI));
  take(1);
  show("genmsi.got0", got[0]);
  csr_clear(mie, MIP_MEIP);
  /* a non-delegated source in the S domain, the M view of a delegated one */
  wr(APLIC_S, SOURCECFG(20), SM_EDGE_RISE);
  show("s.sourcecfg.nodeleg", rd(APLIC_S, SOURCECFG(20)));
  wr(APLIC_S, SOURCECFG(20), 0);
  wr(APLIC_M, SOURCECFG(21), SOURCECFG_D | 5);
  show("m.sourcecfg.child5", rd(APLIC_M, SOURCECFG(21)));
  wr(APLIC_M, TARGET(21), 0x1234);
  show("m.target.deleg", rd(APLIC_M, TARGET(21)));
  wr(APLIC_M, SOURCECFG(21), 0);
  show("m.target.inactive", rd(APLIC_M, TARGET(21)));
  wr(APLIC_M, TARGET(22), 0xffffffff);
  show("m.target.msi.all", rd(APLIC_M, TARGET(22)));
  show("s.mmsicfgaddr", rd(APLIC_S, MMSICFGADDR));
  show("idc.msimode", rd(APLIC_M, IDC(0, IDELIVERY)));
}

static u64 s_side(u64 arg) {
  (void)arg;
  CSRW(CSR_SISELECT, EIDELIVERY);
  CSRW(CSR_SIREG, 1);
  CSRW(CSR_SISELECT, EIE0);
  CSRW(CSR_SIREG, 1UL << 7);
  u64 top = CSRR(CSR_STOPEI);
  u64 topi = CSRR(CSR_STOPI);
  u64 claimed = CSRRW(CSR_STOPEI, 0);
  u64 after = CSRR(CSR_STOPEI);
  return (top << 32) ^ (topi << 8) ^ (claimed << 4) ^ after;
}

static void s_domain(void) {
  wr(APLIC_M, SOURCECFG(4), SOURCECFG_D | 0);
  wr(APLIC_S, SOURCECFG(4), SM_EDGE_RISE);
  wr(APLIC_S, TARGET(4), 7);
  show("s.target", rd(APLIC_S, TARGET(4)));
  wr(APLIC_S, SETIENUM, 4);
  wr(APLIC_S, DOMAINCFG, DOMAINCFG_IE);
  show("s.domaincfg", rd(APLIC_S, DOMAINCFG));
  wr(APLIC_M, SETIPNUM, 4); /* delegated: the M domain ignores it */
  show("s.setip.m", rd(APLIC_S, SETIP(0)));
  wr(APLIC_S, SETIPNUM, 4);
  check("seip.before-eid", (csr_read(mip) & MIP_SEIP) != 0, 0);
  csr_write(mideleg, MIP_SEIP);
  csr_write(mie, MIP_SEIP);
  show("s.result", run_in_mode(PRV_S, s_side, 0));
  check("seip.claimed", (csr_read(mip) & MIP_SEIP) != 0, 0);
  /* a direct MSI to the S file */
  mmio_write32(IMSIC_S, 7);
  check("seip.msi", (csr_read(mip) & MIP_SEIP) != 0, 1);
  show("stopi.m", CSRR(CSR_STOPI));
  show("mtopi.deleg", CSRR(CSR_MTOPI));
  show("stopei.m", CSRRW(CSR_STOPEI, 0));
  csr_write(mie, 0);
  csr_write(mideleg, 0);
}

/* Several M interrupts pending: the AIA order (MEI first by default, then the highest number
 * among the rest), then iprio bytes reordering them; mtopi follows. */
static void priorities(void) {
  csr_clear(mstatus, MSTATUS_MIE); /* run_in_mode's return left it set */
  CSRW(CSR_MISELECT, 0x70);
  CSRW(CSR_MIREG, 1);
  csr_write(mie, MIP_MSIP | MIP_MTIP | MIP_MEIP);
  for (int round = 0; round < 3; round++) {
    if (round == 1) { CSRW(CSR_MISELECT, 0x30); CSRW(CSR_MIREG, (2UL << 24) | (1UL << 56)); }
    if (round == 2) { CSRW(CSR_MISELECT, 0x30); CSRW(CSR_MIREG, (9UL << 24) | (40UL << 56)); }
    mmio_write32(CLINT_MSIP, 1);
    mmio_write64(CLINT_MTIMECMP, 0);
    mmio_write32(IMSIC_M, 5);
    tprintf("round %d mtopi=%lx\n", round, CSRR(CSR_MTOPI));
    take(3);
    tprintf("round %d irqs=%lu: %lx %lx %lx\n", round, nirq, got[0], got[1], got[2]);
  }
  CSRW(CSR_MISELECT, 0x30);
  CSRW(CSR_MIREG, 0);
  /* S level: SSIP and STIP delegated, stopi and siprio */
  csr_write(mideleg, MIP_SSIP | (1UL << 5));
  csr_write(mie, MIP_SSIP | (1UL << 5));
  csr_set(mip, MIP_SSIP | (1UL << 5));
  show("stopi.ss+st", CSRR(CSR_STOPI));
  CSRW(CSR_SISELECT, 0x30);
  CSRW(CSR_SIREG, 7UL << 8);
  show("siprio0", CSRR(CSR_SIREG));
  show("stopi.ssprio", CSRR(CSR_STOPI));
  CSRW(CSR_SIREG, 0);
  csr_clear(mip, MIP_SSIP | (1UL << 5));
  csr_write(mie, 0);
  csr_write(mideleg, 0);
}

/* Last (nothing but a reset unlocks): each xmsicfgaddrH's L bit locks its pair. */
static void lock(void) {
  wr(APLIC_M, MMSICFGADDRH, 0xffffffff);
  show("mmsicfgaddrh.all", rd(APLIC_M, MMSICFGADDRH));
  wr(APLIC_M, MMSICFGADDR, 0x1234);
  wr(APLIC_M, MMSICFGADDRH, 0);
  show("mmsicfgaddr.locked", rd(APLIC_M, MMSICFGADDR));
  show("mmsicfgaddrh.locked", rd(APLIC_M, MMSICFGADDRH));
  wr(APLIC_M, SMSICFGADDR, 0x5678);
  show("smsicfgaddr.m-locked", rd(APLIC_M, SMSICFGADDR));
  wr(APLIC_M, SMSICFGADDRH, 0xffffffff);
  show("smsicfgaddrh.all", rd(APLIC_M, SMSICFGADDRH));
  wr(APLIC_M, SMSICFGADDR, 0x9abc);
  show("smsicfgaddr.locked", rd(APLIC_M, SMSICFGADDR));
}

int main(void) {
  m_irq_hook = hook;
  aplic_sanitize();
  csrs();
  direct_msi();
  aplic_msi();
  s_domain();
  priorities();
  lock();
  finish();
}
