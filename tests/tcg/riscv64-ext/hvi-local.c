/* AIA's VS-level local interrupts 13-63 (AIA 1.0 section 6.3.2; QEMU 10.2's rmw_hvip64,
 * rmw_vsip64, rmw_vsie64, riscv_cpu_local_irq_pending and read_vstopi), which QEMU 7.2 has not:
 * a bit set in hvien makes hvip's bit a pending bit of its own (vsip reads and writes it) and
 * vsie's bit an enable of its own; pending and enabled, the interrupt is taken in VS-mode with
 * its own number as cause, the highest of several by hviprio (default order otherwise), and
 * vstopi (stopi from VS) reports it. VS-mode's sie/sip show those bits only where mideleg (or
 * mvien, for sip) has them, as QEMU 10.2, but its writes reach vsie/hvip.
 * Also vsiselect on the priority array (0x30-0x3f): VS level has none, so vsireg from M is an
 * illegal instruction and sireg from VS a virtual-instruction exception; a reserved selection
 * from VS is illegal (QEMU 10.2's isel_reserved). Expected values are written from those rules.
 * Run by tests/tcg-ext-hvi.test.js with -cpu max. */
#include "common.h"
#include "vs-mode.h"

#define rcsr(n) ({ u64 v_; asm volatile("csrr %0, " STR(n) : "=r"(v_)); v_; })
#define wcsr(n, v) asm volatile("csrw " STR(n) ", %0" : : "r"((u64)(v)) : "memory")
#define HVIEN 0x608
#define HVICTL 0x609
#define HVIPRIO1 0x646
#define HVIP 0x645
#define VSIE 0x204
#define VSIP 0x244
#define VSTOPI 0xeb0
#define VSISELECT 0x250
#define VSIREG 0x251
#define IPRIOM (1UL << 8)
#define TOPI(iid, prio) (((u64)(iid) << 16) | (prio))
#define B(n) (1UL << (n))

#define FN(name, body) asm(".text\n.globl " #name "\n" #name ":\n" body "\n  ret\n"); u64 name(u64);
FN(x_read_sie, "csrr a0, sie")
FN(x_read_sip, "csrr a0, sip")
FN(x_read_stopi, "csrr a0, 0xdb0")
FN(x_read_sireg, "csrr a0, sireg")
FN(x_clear_sip_local, "li t0, -8192\n  csrc sip, t0\n  li a0, 0")
FN(x_set_sie, "csrw sie, a0\n  li a0, 0")
/* VS-mode: take one interrupt (the handler returns scause in a0 and disables every VS
 * interrupt in sie), waiting at most a0 iterations with sstatus.SIE set; 0 if none came. */
asm(".text\n.globl x_take_irq\nx_take_irq:\n"
    "  la t0, x_vs_handler\n  csrw stvec, t0\n  mv t1, a0\n  li a0, 0\n  csrsi sstatus, 2\n"
    "1: addi t1, t1, -1\n  bnez t1, 1b\n  csrci sstatus, 2\n  ret\n"
    ".align 2\nx_vs_handler:\n  csrr a0, scause\n  csrw sie, zero\n  sret\n");
u64 x_take_irq(u64);

static u64 vs_trap(u64 (*fn)(u64)) {
  trap_arm();
  run_vs(fn, 0);
  trap_disarm();
  return mtrap.count ? mtrap.cause : 0;
}

int main(void) {
  m_exc_hook = vs_exit_hook;
  /* -cpu max has Smstateen: as firmware does, M opens the AIA/IMSIC/ENVCFG CSRs to HS and VS
   * (mstateen0, hstateen0 = all ones), else stopi from HS is an illegal instruction (QEMU 10.2). */
  wcsr(0x30c, ~0UL);
  wcsr(0x60c, ~0UL);
  wcsr(HVIEN, B(14) | B(35) | B(50));
  check("hvien", rcsr(HVIEN), B(14) | B(35) | B(50));
  wcsr(HVIP, B(14) | B(20) | B(35));
  check("hvip-own-bits", rcsr(HVIP), B(14) | B(35));
  check("vsip-is-hvip", rcsr(VSIP), B(14) | B(35));
  wcsr(VSIE, ~0x1fffUL);
  check("vsie-own-bits", rcsr(VSIE), B(14) | B(35) | B(50));
  check("hs-sie-without-them", rcsr(sie) & ~0x1fffUL, 0);
  check("mip-without-them", rcsr(mip) & ~0x1fffUL, 0);
  /* vstopi: 14 and 35 both below the external interrupt by default (255): the higher number */
  check("vstopi-35", rcsr(VSTOPI), TOPI(35, 1));
  wcsr(HVICTL, IPRIOM);
  check("vstopi-35-iprio255", rcsr(VSTOPI), TOPI(35, 255));
  wcsr(HVIPRIO1, 0x10UL << 32); /* byte 4: irq 14 */
  check("vstopi-14-by-hviprio", rcsr(VSTOPI), TOPI(14, 0x10));
  check("vs-stopi-is-vstopi", run_vs(x_read_stopi, 0), TOPI(14, 0x10));
  check("vs-sie-hides-14-63", run_vs(x_read_sie, 0), 0);
  check("vs-sip-hides-14-63", run_vs(x_read_sip, 0), 0);
  /* delivery to VS-mode: hviprio puts 14 first, then 35 */
  check("vs-takes-14", run_vs(x_take_irq, 1000), CAUSE_INTERRUPT | 14);
  check("vs-handler-cleared-vsie", rcsr(VSIE), 0);
  check("hvip-still-pending", rcsr(HVIP), B(14) | B(35));
  wcsr(VSIE, B(35));
  check("vs-takes-35", run_vs(x_take_irq, 1000), CAUSE_INTERRUPT | 35);
  wcsr(HVIPRIO1, 0);
  run_vs(x_set_sie, B(14) | B(35));
  check("vs-sie-write-reaches-vsie", rcsr(VSIE), B(14) | B(35));
  check("vs-takes-35-default-order", run_vs(x_take_irq, 1000), CAUSE_INTERRUPT | 35);
  wcsr(VSIE, B(14));
  wcsr(HVIP, B(35));
  check("disabled-35-not-taken", run_vs(x_take_irq, 200), 0);
  check("vstopi-needs-vsie", rcsr(VSTOPI), 0);
  wcsr(HVIP, B(14) | B(35));
  run_vs(x_clear_sip_local, 0);
  check("vs-sip-clear-reaches-hvip", rcsr(HVIP), 0);
  check("nothing-pending", run_vs(x_take_irq, 200), 0);
  /* hvien cleared: hvip/vsip/vsie bits read 0 and nothing is delivered */
  wcsr(HVIP, B(14));
  wcsr(VSIE, B(14));
  wcsr(HVIEN, 0);
  check("hvip-without-hvien", rcsr(HVIP), 0);
  check("vsip-without-hvien", rcsr(VSIP), 0);
  check("vsie-without-hvien", rcsr(VSIE), 0);
  check("no-delivery-without-hvien", run_vs(x_take_irq, 200), 0);
  wcsr(HVICTL, 0);

  /* vsiselect on the priority array: no VS-level iprio registers */
  wcsr(VSISELECT, 0x30);
  check("vsiselect-0x30", rcsr(VSISELECT), 0x30);
  trap_arm();
  (void)rcsr(VSIREG);
  trap_disarm();
  check("m-vsireg-iprio-illegal", mtrap.cause, CAUSE_ILLEGAL);
  check("vs-sireg-iprio-virtual", vs_trap(x_read_sireg), 22);
  wcsr(VSISELECT, 0x3e);
  check("vs-sireg-iprio15-virtual", vs_trap(x_read_sireg), 22);
  wcsr(VSISELECT, 0x40);
  check("vs-sireg-reserved-illegal", vs_trap(x_read_sireg), CAUSE_ILLEGAL);
  wcsr(VSISELECT, 0x70);
  check("vs-sireg-imsic-no-file-virtual", vs_trap(x_read_sireg), 22);
  wcsr(VSISELECT, 0);
  m_exc_hook = 0;
  finish();
}
