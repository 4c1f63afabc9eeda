/* APLIC in direct delivery mode (-M virt,aia=aplic -smp 2): register behaviour of the M and
 * S domains, source modes, IDC delivery of a setipnum'd edge source and of the UART's level
 * line through claimi, delegation of the UART to the S domain (SEIP), and a source targeted
 * at hart 1 not reaching hart 0. */
#include "aia.h"

static volatile u64 nirq;
static volatile u64 claims[8];

static void hook(struct trap_frame *f) {
  u32 c = rd(APLIC_M, IDC(0, CLAIMI));
  if (nirq < 8) claims[nirq] = ((f->cause & 0xff) << 32) | c;
  nirq++;
  if ((c >> 16) == UART_IRQ) uart_irq(0);
  if (nirq > 6) { csr_clear(mie, MIP_MEIP); }
}

static void wait_irq(u64 n) {
  for (int i = 0; i < 100000 && nirq < n; i++) asm volatile("" ::: "memory");
}

static void registers(void) {
  show("m.domaincfg", rd(APLIC_M, DOMAINCFG));
  wr(APLIC_M, DOMAINCFG, 0xffffffff);
  show("m.domaincfg.all", rd(APLIC_M, DOMAINCFG));
  wr(APLIC_M, DOMAINCFG, 0);
  show("s.domaincfg", rd(APLIC_S, DOMAINCFG));
  for (u32 v = 0; v < 8; v++) {
    wr(APLIC_M, SOURCECFG(3), v);
    checkf(rd(APLIC_M, SOURCECFG(3)), v, "sourcecfg.mode%u", v);
    show("setip0", rd(APLIC_M, SETIP(0)));
  }
  wr(APLIC_M, SOURCECFG(3), 0);
  wr(APLIC_M, SOURCECFG(3), SOURCECFG_D | 0x3ff);
  show("m.sourcecfg.d", rd(APLIC_M, SOURCECFG(3)));
  wr(APLIC_S, SOURCECFG(3), SOURCECFG_D | 1);
  show("s.sourcecfg.d", rd(APLIC_S, SOURCECFG(3)));
  wr(APLIC_M, SOURCECFG(96), SM_EDGE_RISE);
  show("m.sourcecfg96", rd(APLIC_M, SOURCECFG(96)));
  show("m.target1.reset", rd(APLIC_M, TARGET(1)));
  wr(APLIC_M, TARGET(3), 0xffffffff);
  show("m.target.all", rd(APLIC_M, TARGET(3)));
  wr(APLIC_M, TARGET(3), 0x40000);
  show("m.target.prio0", rd(APLIC_M, TARGET(3)));
  wr(APLIC_M, IDC(0, ITHRESHOLD), 0xff);
  show("idc.ithreshold", rd(APLIC_M, IDC(0, ITHRESHOLD)));
  wr(APLIC_M, IDC(0, ITHRESHOLD), 0);
  wr(APLIC_M, IDC(0, IDELIVERY), 0xff);
  show("idc.idelivery", rd(APLIC_M, IDC(0, IDELIVERY)));
  wr(APLIC_M, IDC(0, IFORCE), 0xff);
  show("idc.iforce", rd(APLIC_M, IDC(0, IFORCE)));
  show("idc.topi.force", rd(APLIC_M, IDC(0, TOPI)));
  show("idc.claimi.force", rd(APLIC_M, IDC(0, CLAIMI)));
  show("idc.iforce.after", rd(APLIC_M, IDC(0, IFORCE)));
  wr(APLIC_M, IDC(0, IDELIVERY), 0);
  show("m.genmsi", rd(APLIC_M, GENMSI));
  show("m.mmsicfgaddr", rd(APLIC_M, MMSICFGADDR));
}

static void edge_source(void) {
  /* source 3: rising edge, hart 0, priority 5; pending by setipnum */
  wr(APLIC_M, SOURCECFG(3), SM_EDGE_RISE);
  wr(APLIC_M, TARGET(3), 5);
  wr(APLIC_M, SOURCECFG(4), SM_EDGE_RISE);
  wr(APLIC_M, TARGET(4), 2);
  wr(APLIC_M, SETIPNUM, 3);
  wr(APLIC_M, SETIP(0), 1u << 4);
  show("setip0", rd(APLIC_M, SETIP(0)));
  show("topi.disabled", rd(APLIC_M, IDC(0, TOPI)));
  wr(APLIC_M, SETIENUM, 3);
  wr(APLIC_M, SETIE(0), 1u << 4);
  show("setie0", rd(APLIC_M, SETIE(0)));
  show("topi", rd(APLIC_M, IDC(0, TOPI)));
  wr(APLIC_M, IDC(0, ITHRESHOLD), 2);
  show("topi.threshold2", rd(APLIC_M, IDC(0, TOPI)));
  wr(APLIC_M, IDC(0, ITHRESHOLD), 0);
  check("meip.before-ie", (csr_read(mip) & MIP_MEIP) != 0, 0);
  wr(APLIC_M, DOMAINCFG, DOMAINCFG_IE);
  wr(APLIC_M, IDC(0, IDELIVERY), 1);
  check("meip.delivered", (csr_read(mip) & MIP_MEIP) != 0, 1);
  nirq = 0;
  csr_set(mie, MIP_MEIP);
  csr_set(mstatus, MSTATUS_MIE);
  wait_irq(2);
  csr_clear(mstatus, MSTATUS_MIE);
  check("edge.irqs", nirq, 2);
  show("edge.claim0", claims[0]);
  show("edge.claim1", claims[1]);
  check("meip.after", (csr_read(mip) & MIP_MEIP) != 0, 0);
  /* clripnum / level sources refuse setip in direct mode */
  wr(APLIC_M, SETIPNUM, 3);
  wr(APLIC_M, CLRIPNUM, 3);
  show("clripnum", rd(APLIC_M, SETIP(0)));
  wr(APLIC_M, SOURCECFG(5), SM_LEVEL_HIGH);
  wr(APLIC_M, SETIPNUM, 5);
  show("setip.level", rd(APLIC_M, SETIP(0)));
  wr(APLIC_M, CLRIENUM, 3);
  wr(APLIC_M, CLRIE(0), 1u << 4);
  show("clrie", rd(APLIC_M, SETIE(0)));
}

static void uart_level(void) {
  wr(APLIC_M, SOURCECFG(UART_IRQ), SM_LEVEL_HIGH);
  wr(APLIC_M, TARGET(UART_IRQ), 1);
  wr(APLIC_M, SETIENUM, UART_IRQ);
  nirq = 0;
  for (int i = 0; i < 8; i++) claims[i] = 0;
  uart_irq(1);
  show("uart.input", rd(APLIC_M, CLRIP(0)));
  csr_set(mstatus, MSTATUS_MIE);
  wait_irq(2);
  csr_clear(mstatus, MSTATUS_MIE);
  show("uart.irqs", nirq);
  show("uart.claim0", claims[0]);
  show("uart.claim1", claims[1]);
  show("uart.input.after", rd(APLIC_M, CLRIP(0)));
}

static void delegated(void) {
  csr_clear(mie, MIP_MEIP);
  wr(APLIC_M, SOURCECFG(UART_IRQ), SOURCECFG_D | 0);
  show("deleg.m.ie", rd(APLIC_M, SETIE(0)));
  wr(APLIC_S, SOURCECFG(UART_IRQ), SM_LEVEL_HIGH);
  wr(APLIC_S, TARGET(UART_IRQ), 3);
  wr(APLIC_S, SETIENUM, UART_IRQ);
  wr(APLIC_S, DOMAINCFG, DOMAINCFG_IE);
  wr(APLIC_S, IDC(0, IDELIVERY), 1);
  check("seip.idle", (csr_read(mip) & MIP_SEIP) != 0, 0);
  uart_irq(1);
  check("seip.uart", (csr_read(mip) & MIP_SEIP) != 0, 1);
  check("meip.uart", (csr_read(mip) & MIP_MEIP) != 0, 0);
  show("s.topi", rd(APLIC_S, IDC(0, TOPI)));
  uart_irq(0);
  show("s.claimi", rd(APLIC_S, IDC(0, CLAIMI)));
  check("seip.claimed", (csr_read(mip) & MIP_SEIP) != 0, 0);
  /* a source for hart 1 leaves hart 0 alone */
  wr(APLIC_S, SOURCECFG(UART_IRQ), SM_INACTIVE);
  wr(APLIC_M, SOURCECFG(7), SM_EDGE_RISE);
  wr(APLIC_M, TARGET(7), (1u << 18) | 1);
  wr(APLIC_M, SETIENUM, 7);
  wr(APLIC_M, SETIPNUM, 7);
  show("hart1.topi", rd(APLIC_M, IDC(1, TOPI)));
  check("hart1.meip0", (csr_read(mip) & MIP_MEIP) != 0, 0);
  show("hart1.claimi", rd(APLIC_M, IDC(1, CLAIMI)));
}

/* The goldfish RTC's alarm (source 11), level-high, through the M domain. */
#define RTC 0x101000UL
static void rtc_alarm(void) {
  wr(APLIC_S, SOURCECFG(UART_IRQ), SM_INACTIVE);
  wr(APLIC_M, SOURCECFG(11), SM_LEVEL_HIGH);
  wr(APLIC_M, TARGET(11), 4);
  wr(APLIC_M, SETIENUM, 11);
  mmio_write32(RTC + 0x10, 1); /* IRQ_ENABLED */
  u32 lo = mmio_read32(RTC + 0x00);
  u32 hi = mmio_read32(RTC + 0x04);
  u64 now = ((u64)hi << 32) | lo;
  u64 alarm = now + 1000000; /* 1 ms */
  mmio_write32(RTC + 0x0c, alarm >> 32);
  mmio_write32(RTC + 0x08, (u32)alarm);
  for (int i = 0; i < 10000000 && !(csr_read(mip) & MIP_MEIP); i++) asm volatile("" ::: "memory");
  check("rtc.meip", (csr_read(mip) & MIP_MEIP) != 0, 1);
  show("rtc.topi", rd(APLIC_M, IDC(0, TOPI)));
  show("rtc.input", rd(APLIC_M, CLRIP(0)) & (1u << 11));
  mmio_write32(RTC + 0x1c, 1); /* CLEAR_INTERRUPT */
  show("rtc.input.cleared", rd(APLIC_M, CLRIP(0)) & (1u << 11));
  show("rtc.claimi", rd(APLIC_M, IDC(0, CLAIMI)));
  check("rtc.meip.claimed", (csr_read(mip) & MIP_MEIP) != 0, 0);
}

int main(void) {
  m_irq_hook = hook;
  aplic_sanitize();
  registers();
  edge_source();
  uart_level();
  delegated();
  rtc_alarm();
  finish();
}
