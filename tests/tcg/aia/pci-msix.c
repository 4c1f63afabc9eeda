/* MSI-X of a PCI device into the IMSIC (-M virt,aia=aplic-imsic -device virtio-rng-pci): the
 * program enumerates the ECAM, places BAR0 (legacy virtio I/O) and BAR1 (MSI-X table), points
 * vector 0 at the M IMSIC with identity 20, sets up the legacy virtqueue 0 with that vector and
 * asks for 16 random bytes; the used ring's update arrives as MSI 20 (mtopei). */
#include "pci-virtio.h"

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

int main(void) {
  int dev = virtio_pci_find();
  if (dev < 0) finish();
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

  u32 num = virtio_queue0_begin();
  iow16(VIRTIO_IO + 0x16, 0);         /* queue vector 0 */
  show("queue.vector", io16(VIRTIO_IO + 0x16));
  virtio_queue0_post(num);
  check("meip.before", (csr_read(mip) & MIP_MEIP) != 0, 0);
  check("meip.msix", virtio_queue0_kick_wait_meip(), 1);
  show("mtopei", CSRRW(CSR_MTOPEI, 0));
  check("meip.claimed", (csr_read(mip) & MIP_MEIP) != 0, 0);
  virtio_show_used();
  finish();
}
