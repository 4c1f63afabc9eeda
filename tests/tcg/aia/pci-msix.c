/* MSI-X of a PCI device into the IMSIC (-M virt,aia=aplic-imsic -device virtio-rng-pci): the
 * program enumerates the ECAM, places BAR0 (legacy virtio I/O) and BAR1 (MSI-X table), points
 * vector 0 at the M IMSIC with identity 20, sets up the legacy virtqueue 0 with that vector and
 * asks for 16 random bytes; the used ring's update arrives as MSI 20 (mtopei). */
#include "aia.h"

#define ECAM 0x30000000UL
#define PCI_IO 0x3000000UL
#define MMIO32 0x40000000UL
#define CSR_MISELECT 0x350
#define CSR_MIREG 0x351
#define CSR_MTOPEI 0x35c
#define RD_(n) csr_read(n)
#define WR_(n, v) csr_write(n, v)
#define SW_(n, v) csr_swap(n, v)
#define CSRR(n) RD_(n)
#define CSRW(n, v) WR_(n, v)
#define CSRRW(n, v) SW_(n, v)
#define MSI_ID 20

static u64 cfg(u32 dev) { return ECAM + (dev << 15); }
static u32 cfg32(u32 dev, u32 off) { return mmio_read32(cfg(dev) + off); }
static void cfgw32(u32 dev, u32 off, u32 v) { mmio_write32(cfg(dev) + off, v); }
static void cfgw16(u32 dev, u32 off, u16 v) { *(volatile u16 *)(cfg(dev) + off) = v; }
static u16 cfg16(u32 dev, u32 off) { return *(volatile u16 *)(cfg(dev) + off); }

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
  u32 cap = cfg32(dev, 0x34) & 0xff, msix = 0;
  while (cap) {
    if ((cfg32(dev, cap) & 0xff) == 0x11) { msix = cap; break; }
    cap = (cfg32(dev, cap) >> 8) & 0xff;
  }
  show("msix.cap", msix);
  show("msix.ctrl", cfg16(dev, msix + 2));
  show("msix.table", cfg32(dev, msix + 4));
  u64 tbl = MMIO32;
  mmio_write32(tbl + 0, (u32)IMSIC_M);
  mmio_write32(tbl + 4, 0);
  mmio_write32(tbl + 8, MSI_ID);
  mmio_write32(tbl + 12, 0);
  cfgw16(dev, msix + 2, cfg16(dev, msix + 2) | 0x8000);
  show("msix.ctrl.on", cfg16(dev, msix + 2));

  CSRW(CSR_MISELECT, 0x70);
  CSRW(CSR_MIREG, 1);
  CSRW(CSR_MISELECT, 0xc0);
  CSRW(CSR_MIREG, 1UL << MSI_ID);

  const u32 io = 0x1000;
  iow8(io + 0x12, 0);
  iow8(io + 0x12, 3);                 /* ACKNOWLEDGE | DRIVER */
  (void)io32(io + 0x00); /* host features: not compared (virtio-pci legacy feature set differs) */
  iow32(io + 0x04, 0);
  iow16(io + 0x0e, 0);
  u32 num = io16(io + 0x0c);
  show("queue.num", num);
  iow16(io + 0x16, 0);                /* queue vector 0 */
  show("queue.vector", io16(io + 0x16));
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
  check("meip.msix", (csr_read(mip) & MIP_MEIP) != 0, 1);
  show("mtopei", CSRRW(CSR_MTOPEI, 0));
  check("meip.claimed", (csr_read(mip) & MIP_MEIP) != 0, 0);
  show("used.idx", used[1]);
  show("used.len", *(volatile u32 *)(used + 4));
  (void)io8;
  finish();
}
