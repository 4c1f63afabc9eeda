/* The PCI side shared by the AIA programs: ECAM config access, the legacy virtio-pci I/O BAR,
 * and one legacy virtqueue (queue 0) with a single device-writable buffer. */
#ifndef PCI_VIRTIO_H
#define PCI_VIRTIO_H
#include "aia.h"

#define ECAM 0x30000000UL
#define PCI_IO 0x3000000UL
#define MMIO32 0x40000000UL
#define VIRTIO_IO 0x1000u  /* where BAR0 (legacy virtio I/O) is placed */

static inline u64 cfg(u32 dev) { return ECAM + (dev << 15); }
static inline u32 cfg32(u32 dev, u32 off) { return mmio_read32(cfg(dev) + off); }
static inline void cfgw32(u32 dev, u32 off, u32 v) { mmio_write32(cfg(dev) + off, v); }
static inline void cfgw16(u32 dev, u32 off, u16 v) { *(volatile u16 *)(cfg(dev) + off) = v; }
static inline u16 cfg16(u32 dev, u32 off) { return *(volatile u16 *)(cfg(dev) + off); }

static inline u8 io8(u32 p) { return *(volatile u8 *)(PCI_IO + p); }
static inline u16 io16(u32 p) { return *(volatile u16 *)(PCI_IO + p); }
static inline u32 io32(u32 p) { return *(volatile u32 *)(PCI_IO + p); }
static inline void iow8(u32 p, u8 v) { *(volatile u8 *)(PCI_IO + p) = v; }
static inline void iow16(u32 p, u16 v) { *(volatile u16 *)(PCI_IO + p) = v; }
static inline void iow32(u32 p, u32 v) { *(volatile u32 *)(PCI_IO + p) = v; }

static u8 ring[3 * 4096] __attribute__((aligned(4096)));
static u8 buf[16];
static volatile u16 *used;

struct desc { u64 addr; u32 len; u16 flags, next; };

/* The first virtio device on bus 0 with BAR0 at VIRTIO_IO, BAR1 at MMIO32, I/O + memory + bus
 * master on; -1 (after showing it) when there is none. */
static inline int virtio_pci_find(void) {
  int dev = -1;
  for (u32 d = 0; d < 32; d++) {
    if ((cfg32(d, 0) & 0xffff) == 0x1af4) { dev = d; break; }
  }
  show("dev", dev);
  if (dev < 0) return -1;
  show("id", cfg32(dev, 0));
  cfgw32(dev, 0x10, VIRTIO_IO);       /* BAR0: I/O port */
  cfgw32(dev, 0x14, (u32)MMIO32);     /* BAR1: MSI-X table */
  cfgw16(dev, 0x04, 0x7);             /* I/O, memory, bus master */
  return dev;
}

/* Resets the device, acknowledges it and selects queue 0; returns its size. */
static inline u32 virtio_queue0_begin(void) {
  const u32 io = VIRTIO_IO;
  iow8(io + 0x12, 0);
  iow8(io + 0x12, 3);                 /* ACKNOWLEDGE | DRIVER */
  (void)io32(io + 0x00); /* host features: not compared (virtio-pci legacy feature set differs) */
  iow32(io + 0x04, 0);
  iow16(io + 0x0e, 0);
  u32 num = io16(io + 0x0c);
  show("queue.num", num);
  return num;
}

/* Places the ring, sets DRIVER_OK and makes `buf` available as one device-writable buffer. */
static inline void virtio_queue0_post(u32 num) {
  iow32(VIRTIO_IO + 0x08, (u32)((u64)ring >> 12));
  iow8(VIRTIO_IO + 0x12, 7);          /* DRIVER_OK */
  struct desc *d = (struct desc *)ring;
  volatile u16 *avail = (volatile u16 *)(ring + 16 * num);
  u64 used_off = (16 * num + 6 + 2 * num + 4095) & ~4095UL;
  used = (volatile u16 *)(ring + used_off);
  d[0].addr = (u64)buf;
  d[0].len = sizeof buf;
  d[0].flags = 2;                     /* device writes */
  d[0].next = 0;
  avail[2] = 0;
  asm volatile("fence" ::: "memory");
  avail[1] = 1;
  asm volatile("fence" ::: "memory");
}

/* Notifies queue 0 and waits (bounded) for the machine external interrupt. */
static inline int virtio_queue0_kick_wait_meip(void) {
  iow16(VIRTIO_IO + 0x10, 0);
  for (int i = 0; i < 1000000 && !(csr_read(mip) & MIP_MEIP); i++) asm volatile("" ::: "memory");
  return (csr_read(mip) & MIP_MEIP) != 0;
}

static inline void virtio_show_used(void) {
  show("used.idx", used[1]);
  show("used.len", *(volatile u32 *)(used + 4));
}
#endif
