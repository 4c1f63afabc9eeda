/* Shared by the AIA/ACLINT bare-metal programs (run by tests/system-aia.test.js). */
#include "common.h"

#define APLIC_M 0x0c000000UL
#define APLIC_S 0x0d000000UL
#define IMSIC_M 0x24000000UL
#define IMSIC_S 0x28000000UL

#define DOMAINCFG 0x0000
#define SOURCECFG(i) (0x0004 + ((i) - 1) * 4)
#define MMSICFGADDR 0x1bc0
#define MMSICFGADDRH 0x1bc4
#define SMSICFGADDR 0x1bc8
#define SMSICFGADDRH 0x1bcc
#define SETIP(w) (0x1c00 + (w) * 4)
#define SETIPNUM 0x1cdc
#define CLRIP(w) (0x1d00 + (w) * 4)
#define CLRIPNUM 0x1ddc
#define SETIE(w) (0x1e00 + (w) * 4)
#define SETIENUM 0x1edc
#define CLRIE(w) (0x1f00 + (w) * 4)
#define CLRIENUM 0x1fdc
#define SETIPNUM_LE 0x2000
#define SETIPNUM_BE 0x2004
#define GENMSI 0x3000
#define TARGET(i) (0x3004 + ((i) - 1) * 4)
#define IDC(h, r) (0x4000 + (h) * 32 + (r))
#define IDELIVERY 0x00
#define IFORCE 0x04
#define ITHRESHOLD 0x08
#define TOPI 0x18
#define CLAIMI 0x1c

#define SM_INACTIVE 0
#define SM_DETACH 1
#define SM_EDGE_RISE 4
#define SM_EDGE_FALL 5
#define SM_LEVEL_HIGH 6
#define SM_LEVEL_LOW 7
#define SOURCECFG_D (1u << 10)
#define DOMAINCFG_IE (1u << 8)

#define UART_IRQ 10
#define UART_IER (UART_BASE + 1)
#define MIP_SSIP (1UL << 1)
#define MIP_MSIP (1UL << 3)
#define MIP_MTIP (1UL << 7)
#define MIP_SEIP (1UL << 9)
#define MIP_MEIP (1UL << 11)

static inline u32 rd(u64 base, u32 off) { return mmio_read32(base + off); }
static inline void wr(u64 base, u32 off, u32 v) { mmio_write32(base + off, v); }
/* The UART's THR-empty interrupt: raises its line at once while enabled. */
static inline void uart_irq(int on) { *(volatile u8 *)UART_IER = on ? 2 : 0; }

/* QEMU 7.2 leaves the APLIC's per-source state uninitialised (a source can start pending and
 * enabled): writing every sourcecfg to 0 clears it, so the traces are deterministic. */
static inline void aplic_sanitize(void) {
  for (u32 i = 1; i <= 96; i++) {
    wr(APLIC_M, SOURCECFG(i), 0);
    wr(APLIC_S, SOURCECFG(i), 0);
  }
}
