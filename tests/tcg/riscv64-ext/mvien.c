/* Smaia's mvien/mvip (AIA 1.0 section 5.3; QEMU 10.2's semantics), which QEMU 7.2 has not (it
 * reads them as 0): expected values written from the specification's text. With mvien bit i set
 * and mideleg bit i clear, mvip bit i is a pending bit of its own, sie bit i an enable of its own,
 * and the interrupt traps to S although mideleg does not delegate it; with mvien clear, mvip
 * aliases mip. Run by tests/tcg-ext-mvien.test.js with -cpu rv64,smaia=on,ssaia=on. */
#include "common.h"

#define SSIP (1UL << 1)
#define STIP (1UL << 5)
#define SEIP (1UL << 9)
#define rcsr(n) ({ u64 v_; asm volatile("csrr %0, " #n : "=r"(v_)); v_; })
#define wcsr(n, v) asm volatile("csrw " #n ", %0" : : "r"((u64)(v)) : "memory")
#define scsr(n, v) asm volatile("csrs " #n ", %0" : : "r"((u64)(v)) : "memory")
#define ccsr(n, v) asm volatile("csrc " #n ", %0" : : "r"((u64)(v)) : "memory")

static u8 s_stack[4096] __attribute__((aligned(16)));

static u64 s_read_sip(u64 arg) { (void)arg; return rcsr(sip); }
static u64 s_read_sie(u64 arg) { (void)arg; return rcsr(sie); }
static u64 s_set_sie(u64 arg) { scsr(sie, arg); return rcsr(sie); }
static u64 s_clear_sip(u64 arg) { ccsr(sip, arg); return rcsr(sip); }
/* S with SIE on for a while: a pending virtual interrupt traps to stvec. */
static u64 s_wait(u64 arg) {
  (void)arg;
  scsr(sstatus, 2);
  for (volatile int i = 0; i < 200; i++) {
  }
  ccsr(sstatus, 2);
  return 0;
}

int main(void) {
  wcsr(stvec, (u64)s_trap_entry);
  csr_write(sscratch, (u64)(s_stack + sizeof(s_stack)));
  wcsr(mideleg, 0);
  wcsr(0x308, ~0UL);
  check("mvien-writable-bits", rcsr(0x308), 0xffffffffffffe202UL);
  wcsr(0x308, 0);
  /* mvien 0: mvip aliases mip (SSIP, STIP, SEIP) */
  scsr(0x309, SSIP);
  check("mvip-alias-sets-mip.ssip", rcsr(mip) & SSIP, SSIP);
  ccsr(mip, SSIP);
  check("mvip-alias-follows-mip", rcsr(0x309) & SSIP, 0);
  scsr(0x309, STIP);
  check("mvip-alias-stip", rcsr(mip) & STIP, STIP);
  ccsr(0x309, STIP);
  check("mvip-alias-stip-cleared", rcsr(mip) & STIP, 0);
  check("sip-not-delegated-reads-0", run_in_mode(PRV_S, s_read_sip, 0) & SSIP, 0);
  /* mvien.SSIP, mideleg.SSI clear: mvip.SSIP is its own bit */
  wcsr(0x308, SSIP);
  scsr(0x309, SSIP);
  check("mvip-own-ssip", rcsr(0x309) & SSIP, SSIP);
  check("mip-untouched", rcsr(mip) & SSIP, 0);
  check("sip-shows-mvip", run_in_mode(PRV_S, s_read_sip, 0) & SSIP, SSIP);
  check("sie-own-bit", run_in_mode(PRV_S, s_set_sie, SSIP) & SSIP, SSIP);
  check("mie-untouched", rcsr(mie) & SSIP, 0);
  /* enabled and pending: S takes supervisor software interrupt 1 (its handler clears sip.SSIP,
   * which is mvip's bit now) */
  trap_arm();
  run_in_mode(PRV_S, s_wait, 0);
  trap_disarm();
  check("virtual-ssi-taken-in-s", strap.cause, 0x8000000000000001UL);
  check("virtual-ssi-count", strap.count, 1);
  check("handler-cleared-mvip", rcsr(0x309) & SSIP, 0);
  check("m-saw-nothing", mtrap.count, 0);
  /* S clears its own sip bit too */
  scsr(0x309, SSIP);
  check("s-clears-virtual-sip", run_in_mode(PRV_S, s_clear_sip, SSIP) & SSIP, 0);
  check("...in-mvip", rcsr(0x309) & SSIP, 0);
  /* mideleg set again: sip/sie are mip/mie's again, mvip aliases mip */
  wcsr(mideleg, SSIP);
  check("delegated-sie-is-mie", run_in_mode(PRV_S, s_read_sie, 0) & SSIP, 0);
  scsr(0x309, SSIP);
  check("delegated-mvip-is-mip", rcsr(mip) & SSIP, SSIP);
  ccsr(mip, SSIP);
  wcsr(mideleg, 0);
  wcsr(0x308, 0);
  check("mvien-0-sie-hides-own-bit", run_in_mode(PRV_S, s_read_sie, 0) & SSIP, 0);
  finish();
}
