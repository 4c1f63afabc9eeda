/* PCI INTx through the APLIC (-M virt,aia=aplic -device virtio-rng-pci): MSI-X stays off, the
 * device's INTA of slot 1 enters the M-level APLIC as source 32 + (slot + pin) % 4 = 33, a
 * level source delivered to hart 0's IDC; the ISR read drops the line. */
#include "pci-virtio.h"

int main(void) {
  aplic_sanitize();
  int dev = virtio_pci_find();
  if (dev < 0) finish();
  for (u32 src = 32; src < 36; src++) {
    wr(APLIC_M, SOURCECFG(src), SM_LEVEL_HIGH);
    wr(APLIC_M, TARGET(src), src - 31);
    wr(APLIC_M, SETIENUM, src);
  }
  wr(APLIC_M, DOMAINCFG, DOMAINCFG_IE);
  wr(APLIC_M, IDC(0, IDELIVERY), 1);

  u32 num = virtio_queue0_begin();
  virtio_queue0_post(num);
  check("meip.before", (csr_read(mip) & MIP_MEIP) != 0, 0);
  check("meip.intx", virtio_queue0_kick_wait_meip(), 1);
  show("topi", rd(APLIC_M, IDC(0, TOPI)));
  show("input", rd(APLIC_M, CLRIP(1)));
  show("isr", io8(VIRTIO_IO + 0x13));
  show("input.after-isr", rd(APLIC_M, CLRIP(1)));
  show("claimi", rd(APLIC_M, IDC(0, CLAIMI)));
  check("meip.claimed", (csr_read(mip) & MIP_MEIP) != 0, 0);
  virtio_show_used();
  finish();
}
