/* AIA's hypervisor virtual-interrupt CSRs (AIA 1.0 section 6.3; QEMU 10.2's csr.c), which QEMU
 * 7.2 has not: hvien (bits 13-63), hvictl (VTI, IID, IPRIOM, IPRIO; QEMU's valid mask
 * 0x4fff01ff), hviprio1/2 (priorities of VS interrupts 1, 5, 13-23; hviprio1 byte 0 and
 * hviprio2 bytes 6-7 read 0), vstopi (the hvictl injection, or without VTI the top pending and
 * enabled VS interrupt by its hviprio; IPRIOM=0 reports priority 1; a zero priority for an
 * interrupt the default order puts below the external interrupt reports 255), and VTI making
 * VS-mode sip/sie accesses virtual-instruction exceptions (cause 22). Expected values are
 * written from those rules. Run by tests/tcg-ext-hvi.test.js with -cpu max. */
#include "common.h"
#include "vs-mode.h"

#define rcsr(n) ({ u64 v_; asm volatile("csrr %0, " STR(n) : "=r"(v_)); v_; })
#define wcsr(n, v) asm volatile("csrw " STR(n) ", %0" : : "r"((u64)(v)) : "memory")
#define scsr(n, v) asm volatile("csrs " STR(n) ", %0" : : "r"((u64)(v)) : "memory")
#define ccsr(n, v) asm volatile("csrc " STR(n) ", %0" : : "r"((u64)(v)) : "memory")
#define HVIEN 0x608
#define HVICTL 0x609
#define HVIPRIO1 0x646
#define HVIPRIO2 0x647
#define VSTOPI 0xeb0
#define HVIP 0x645
#define HIDELEG 0x603
#define VTI (1UL << 30)
#define IPRIOM (1UL << 8)
#define IID(n) ((u64)(n) << 16)
#define TOPI(iid, prio) (((u64)(iid) << 16) | (prio))
#define MPV (1UL << 39)

#define FN(name, body) asm(".text\n.globl " #name "\n" #name ":\n" body "\n  ret\n"); u64 name(u64);
FN(x_read_sie, "csrr a0, sie")
FN(x_read_sip, "csrr a0, sip")


int main(void) {
  wcsr(HVIEN, ~0UL);
  check("hvien-writable", rcsr(0x608), ~0x1fffUL);
  wcsr(HVIEN, 0);
  wcsr(HVICTL, ~0UL);
  check("hvictl-writable", rcsr(0x609), 0x4fff01ffUL);
  wcsr(HVICTL, 0);
  wcsr(HVIPRIO1, 0x0807060504030201UL);
  check("hviprio1", rcsr(0x646), 0x0807060504030200UL);
  wcsr(HVIPRIO2, ~0UL);
  check("hviprio2", rcsr(0x647), 0x0000ffffffffffffUL);
  wcsr(HVIPRIO1, 0);
  wcsr(HVIPRIO2, 0);
  check("vstopi-idle", rcsr(0xeb0), 0);
  /* injection through hvictl */
  wcsr(HVICTL, VTI | IID(13) | 5);
  check("vti-iid13-iprio-reported-1", rcsr(0xeb0), TOPI(13, 1));
  wcsr(HVICTL, VTI | IID(13) | IPRIOM | 5);
  check("vti-iid13-iprio5", rcsr(0xeb0), TOPI(13, 5));
  wcsr(HVICTL, IID(9) | IPRIOM);
  check("iid9-prio0-nothing", rcsr(0xeb0), 0);
  wcsr(HVICTL, IID(9) | IPRIOM | 7);
  check("iid9-prio7", rcsr(0xeb0), TOPI(9, 7));
  wcsr(HVICTL, 0);
  /* VS interrupts pending and enabled (hideleg delegates them; mie's VS bits enable) */
  wcsr(HIDELEG, 0x444);
  scsr(mie, 0x444);
  wcsr(HVIP, 1UL << 2); /* VSSIP */
  check("vs-ssi-iprio1", rcsr(0xeb0), TOPI(1, 1));
  wcsr(HVICTL, IPRIOM);
  check("vs-ssi-default-below-sei-255", rcsr(0xeb0), TOPI(1, 255));
  wcsr(HVIPRIO1, 0x30UL << 8); /* irq 1 */
  check("vs-ssi-hviprio", rcsr(0xeb0), TOPI(1, 0x30));
  wcsr(HVIP, (1UL << 2) | (1UL << 6)); /* VSSIP, VSTIP */
  wcsr(HVIPRIO1, (0x30UL << 8) | (0x10UL << 16)); /* irq 1: 0x30, irq 5: 0x10 */
  check("vs-sti-wins-by-hviprio", rcsr(0xeb0), TOPI(5, 0x10));
  wcsr(HVICTL, VTI | IID(20) | IPRIOM | 0x20);
  check("vti-hides-pending", rcsr(0xeb0), TOPI(20, 0x20));
  wcsr(HVIP, 0);
  ccsr(mie, 0x444);
  wcsr(HIDELEG, 0);
  wcsr(HVIPRIO1, 0);
  /* VTI: VS-mode sip/sie accesses trap as virtual instructions */
  m_exc_hook = vs_exit_hook;
  wcsr(HVICTL, 0);
  trap_arm();
  run_vs(x_read_sie, 0);
  trap_disarm();
  check("vs-sie-without-vti", mtrap.count, 0);
  wcsr(HVICTL, VTI | IID(13));
  trap_arm();
  run_vs(x_read_sie, 0);
  trap_disarm();
  check("vs-sie-vti-virtual-insn", mtrap.cause, 22);
  trap_arm();
  run_vs(x_read_sip, 0);
  trap_disarm();
  check("vs-sip-vti-virtual-insn", mtrap.cause, 22);
  check("hs-sie-unaffected", rcsr(sie) & 0, 0);
  wcsr(HVICTL, 0);
  m_exc_hook = 0;
  finish();
}
