/* PCI INTx through the APLIC (-M virt,aia=aplic -device virtio-rng-pci): MSI-X stays off, the
 * device's INTA of slot 1 enters the M-level APLIC as source 32 + (slot + pin) % 4 = 33, a
 * level source delivered to hart 0's IDC; the ISR read drops the line. */
#include "aia.h"

#define ECAM 0x30000000UL
#define PCI_IO 0x3000000UL
#define MMIO32 0x40000000UL

static u64 cfg(u32 dev) { return ECAM + (dev << 15); }
static u32 cfg32(u32 dev, u32 off) { return mmio_read32(cfg(dev) + off); }
static void cfgw32(u32 dev, u32 off, u32 v) { mmio_write32(cfg(dev) + off, v); }
static void cfgw16(u32 dev, u32 off, u16 v) { *(volatile u16 *)(cfg(dev) + off) = v; }

static u8 io8(u32 p) { return *(volatile u8 *)(PCI_IO + p); }
static u16 io16(u32 p) { return *(volatile u16 *)(PCI_IO + p); }
static u32 io32(u32 p) { return *(volatile u32 *)(PCI_IO + p); }
static void iow8(u32 p, u8 v) { *(volatile u8 *)(PCI_IO + p) = v; }
static void iow16(u32 p, u16 v) { *(volatile u16 *)(PCI_IO + p) = v; }
static void iow32(u32 p, u32 v) { *(volatile u32 *)(PCI_IO + p) = v; }

static u8 ring[3 * 4096] __attribute__((aligned(4096)));
static u8 buf[16];

struct desc { u64 addr; u32 len; u16 flags, next; };

int main(void) {
  aplic_sanitize();
  int dev = -1;
  for (u32 d = 0; d < 32; d++) {
    if ((cfg32(d, 0) & 0xffff) == 0x1af4) { dev = d; break; }
  }
  show("dev", dev);
  if (dev < 0) finish();
  show("id", cfg32(dev, 0));
  cfgw32(dev, 0x10, 0x1000);          /* BAR0: I/O port 0x1000 */
  cfgw32(dev, 0x14, (u32)MMIO32);     /* BAR1: MSI-X table */
  cfgw16(dev, 0x04, 0x7);             /* I/O, memory, bus master */
  for (u32 src = 32; src < 36; src++) {
    wr(APLIC_M, SOURCECFG(src), SM_LEVEL_HIGH);
    wr(APLIC_M, TARGET(src), src - 31);
    wr(APLIC_M, SETIENUM, src);
  }
  wr(APLIC_M, DOMAINCFG, DOMAINCFG_IE);
  wr(APLIC_M, IDC(0, IDELIVERY), 1);

  const u32 io = 0x1000;
  iow8(io + 0x12, 0);
  iow8(io + 0x12, 3);                 /* ACKNOWLEDGE | DRIVER */
  (void)io32(io + 0x00); /* host features: not compared (virtio-pci legacy feature set differs) */
  iow32(io + 0x04, 0);
  iow16(io + 0x0e, 0);
  u32 num = io16(io + 0x0c);
  show("queue.num", num);
  iow32(io + 0x08, (u32)((u64)ring >> 12));
  iow8(io + 0x12, 7);                 /* DRIVER_OK */
  struct desc *d = (struct desc *)ring;
  volatile u16 *avail = (volatile u16 *)(ring + 16 * num);
  u64 used_off = (16 * num + 6 + 2 * num + 4095) & ~4095UL;
  volatile u16 *used = (volatile u16 *)(ring + used_off);
  d[0].addr = (u64)buf;
  d[0].len = sizeof buf;
  d[0].flags = 2;                     /* device writes */
  d[0].next = 0;
  avail[2] = 0;
  asm volatile("fence" ::: "memory");
  avail[1] = 1;
  asm volatile("fence" ::: "memory");
  check("meip.before", (csr_read(mip) & MIP_MEIP) != 0, 0);
  iow16(io + 0x10, 0);                /* notify queue 0 */
  for (int i = 0; i < 1000000 && !(csr_read(mip) & MIP_MEIP); i++) asm volatile("" ::: "memory");
  check("meip.intx", (csr_read(mip) & MIP_MEIP) != 0, 1);
  show("topi", rd(APLIC_M, IDC(0, TOPI)));
  show("input", rd(APLIC_M, CLRIP(1)));
  show("isr", io8(io + 0x13));
  show("input.after-isr", rd(APLIC_M, CLRIP(1)));
  show("claimi", rd(APLIC_M, IDC(0, CLAIMI)));
  check("meip.claimed", (csr_read(mip) & MIP_MEIP) != 0, 0);
  show("used.idx", used[1]);
  show("used.len", *(volatile u32 *)(used + 4));
  finish();
}
