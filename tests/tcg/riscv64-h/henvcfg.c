/*
 * henvcfg beyond STCE (tests/tcg-hyp-henvcfg.test.js): its write/read masks under menvcfg
 * (FIOM, CBIE/CBCFE/CBZE always; PBMTE and ADUE only while menvcfg has them), and their effect
 * with V=1: PBMT bits in a VS-stage PTE are reserved (page fault) without henvcfg.PBMTE, A/D
 * updates of VS-stage PTEs need henvcfg.ADUE (Svadu), and cbo.zero/cbo.clean from VS need
 * henvcfg.CBZE/CBCFE (virtual instruction) after menvcfg's (illegal).
 *
 * The guest runs in VS mode with Sv39 in vsatp (GVA 2G-3G identity; GVA 1G+0K a PBMT=NC page,
 * 1G+4K a page whose A and D are clear, 1G+8K a plain page) and the G stage Bare. HS's handler
 * records the last trap (cause, stval) and skips the instruction (all 4 bytes). Checks named
 * "[10.2] ..." are where QEMU 7.2 (the reference the test diffs with) differs from 10.2: 7.2
 * has no Svadu (ADUE) and no Zicbom/Zicboz (cbo.* are illegal there), keeps henvcfg.PBMTE
 * written and reads it whatever menvcfg holds, and ignores henvcfg.PBMTE in the walk.
 * Run with -cpu rv64,h=true,svpbmt=true.
 */
#include "hyp.h"

#define CSR_MENVCFG 0x30a
#define CSR_HENVCFG 0x60a
#define CSR_VSATP 0x280
#define PBMTE (1UL << 62)
#define ADUE (1UL << 61)
#define CBZE 0x80UL
#define CBCFE 0x40UL
#define CBIE 0x30UL
#define FIOM 1UL
#define PTE_V 1UL
#define PTE_R 2UL
#define PTE_W 4UL
#define PTE_X 8UL
#define PTE_A 64UL
#define PTE_D 128UL
#define PTE_NC (1UL << 61)
#define NO_TRAP 0xffUL
#define GVA 0x40000000UL
#define INSN_CBO_ZERO_A0 0x0045200fUL /* cbo.zero (a0) */

static volatile u64 hs_traps, last_cause, last_tval;

void hs_handler(u64 *regs) {
  u64 cause = rcsr(scause), epc = rcsr(sepc);
  if (cause == 10 && regs[17] == MAGIC_GUEST_EXIT) {
    wcsr(sepc, (u64)return_to_hs);
    ccsr(0x600, 1UL << 7); /* hstatus.SPV: sret stays in HS */
    return;
  }
  last_cause = cause;
  last_tval = rcsr(stval);
  hs_traps++;
  wcsr(sepc, epc + 4);
}

void vs_handler(u64 *regs) {
  (void)regs;
  tprintf("VS unexpected trap cause=%lx epc=%lx\n", rcsr(scause), rcsr(sepc));
  wcsr(sepc, rcsr(sepc) + 4);
}

#define TRAP_OF(access) ({ u64 n_ = hs_traps; access; hs_traps != n_ ? last_cause : NO_TRAP; })
#define LD(addr) ({ u64 v_ = 0x5a5a; asm volatile(".option push\n.option norvc\nld %0, 0(%1)\n.option pop" : "+r"(v_) : "r"(addr) : "memory"); v_; })
#define SD(addr, v) asm volatile(".option push\n.option norvc\nsd %1, 0(%0)\n.option pop" : : "r"(addr), "r"((u64)(v)) : "memory")

static u64 vroot[512] __attribute__((aligned(4096)));
static u64 v1[512] __attribute__((aligned(4096)));
static u64 v0[512] __attribute__((aligned(4096)));
static u64 data[3 * 512] __attribute__((aligned(4096)));

static u64 pte(u64 pa, u64 flags) { return ((pa >> 12) << 10) | flags; }

/* ---- guests -------------------------------------------------------------------------------- */
static volatile u64 g_cause[4], g_val[4];

static void guest_pbmt(void) {
  g_cause[0] = TRAP_OF(g_val[0] = LD(GVA + 8));
}

static void guest_ad(void) {
  g_cause[0] = TRAP_OF(SD(GVA + 0x1000 + 16, 0x77));
}

static void guest_cbo(void) {
  register u64 a0 asm("a0") = GVA + 0x2000 + 64;
  g_cause[0] = TRAP_OF(asm volatile(".insn i 0x0f, 2, x0, %0, 4" : : "r"(a0) : "memory")); /* cbo.zero */
  g_val[0] = last_tval;
  g_cause[1] = TRAP_OF(asm volatile(".insn i 0x0f, 2, x0, %0, 1" : : "r"(a0) : "memory")); /* cbo.clean */
  g_cause[2] = TRAP_OF(asm volatile(".insn i 0x0f, 2, x0, %0, 2" : : "r"(a0) : "memory")); /* cbo.flush */
}

static void enter(void (*fn)(void)) {
  for (int i = 0; i < 4; i++) g_cause[i] = NO_TRAP, g_val[i] = 0;
  last_tval = 0;
  run_guest(fn);
}

static void hfence_vvma(void) { asm volatile(".insn r 0x73, 0, 0x11, x0, x0, x0" ::: "memory"); }
static u64 hlv_d(u64 va) { u64 v = 0x5a5a; asm volatile(".option push\n.option norvc\n.insn r 0x73, 4, 0x36, %0, %1, x0\n.option pop" : "+r"(v) : "r"(va) : "memory"); return v; }

/* ---- HS -------------------------------------------------------------------------------------- */
static u64 hs_main(u64 arg) {
  (void)arg;
  wcsr(stvec, (u64)hs_trap_entry);
  wcsr(sscratch, (u64)(hs_stack + 1024));
  wcsr(0x205, (u64)vs_trap_entry);
  wcsr(0x240, (u64)(vs_stack + 1024));
  vroot[2] = pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
  vroot[1] = pte((u64)v1, PTE_V);
  v1[0] = pte((u64)v0, PTE_V);
  v0[0] = pte((u64)data, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D) | PTE_NC;
  v0[1] = pte((u64)data + 0x1000, PTE_V | PTE_R | PTE_W); /* A, D clear */
  v0[2] = pte((u64)data + 0x2000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  data[1] = 0x1122334455667788UL;
  wcsr(0x680, 0); /* hgatp: Bare */
  wcsr(CSR_VSATP, (8UL << 60) | ((u64)vroot >> 12));
  wcsr(0x600, 0);

  /* PBMT in a VS-stage leaf: reserved without henvcfg.PBMTE. */
  wcsr(CSR_HENVCFG, ADUE | CBZE | CBCFE | CBIE);
  hfence_vvma();
  enter(guest_pbmt);
  check("[10.2] henvcfg.PBMTE=0: VS load of a PBMT page faults", g_cause[0], 13);
  check("[10.2] henvcfg.PBMTE=0: HLV from HS under menvcfg alone", hlv_d(GVA + 8), 0x1122334455667788UL);
  wcsr(CSR_HENVCFG, PBMTE | ADUE | CBZE | CBCFE | CBIE);
  hfence_vvma();
  enter(guest_pbmt);
  check("henvcfg.PBMTE=1: VS load of a PBMT page", g_cause[0], NO_TRAP);
  check("henvcfg.PBMTE=1: loaded value", g_val[0], 0x1122334455667788UL);

  /* A/D updates of a VS-stage PTE: henvcfg.ADUE, else a store page fault. */
  wcsr(CSR_HENVCFG, PBMTE | CBZE | CBCFE | CBIE);
  hfence_vvma();
  enter(guest_ad);
  check("[10.2] henvcfg.ADUE=0: VS store to an A/D-clear page faults", g_cause[0], 15);
  check("[10.2] henvcfg.ADUE=0: PTE unchanged", v0[1] & (PTE_A | PTE_D), 0);
  wcsr(CSR_HENVCFG, PBMTE | ADUE | CBZE | CBCFE | CBIE);
  hfence_vvma();
  enter(guest_ad);
  check("henvcfg.ADUE=1: VS store", g_cause[0], NO_TRAP);
  check("henvcfg.ADUE=1: PTE A and D set", v0[1] & (PTE_A | PTE_D), PTE_A | PTE_D);
  check("henvcfg.ADUE=1: stored", data[512 + 2], 0x77);

  /* cbo.zero / cbo.clean / cbo.flush from VS. */
  for (int i = 0; i < 8; i++) data[1024 + 8 + i] = 0x33;
  wcsr(CSR_HENVCFG, PBMTE | ADUE);
  enter(guest_cbo);
  check("[10.2] henvcfg.CBZE=0: VS cbo.zero virtual instruction", g_cause[0], 22);
  check("[10.2] henvcfg.CBZE=0: stval the instruction", g_val[0], INSN_CBO_ZERO_A0);
  check("[10.2] henvcfg.CBZE=0: block kept", data[1024 + 8], 0x33);
  check("[10.2] henvcfg.CBCFE=0: VS cbo.clean virtual instruction", g_cause[1], 22);
  check("[10.2] henvcfg.CBCFE=0: VS cbo.flush virtual instruction", g_cause[2], 22);
  wcsr(CSR_HENVCFG, PBMTE | ADUE | CBZE | CBCFE);
  enter(guest_cbo);
  check("[10.2] henvcfg.CBZE=1: VS cbo.zero", g_cause[0], NO_TRAP);
  u64 z = 0;
  for (int i = 0; i < 8; i++) z |= data[1024 + 8 + i];
  check("[10.2] henvcfg.CBZE=1: block zeroed", z, 0);
  check("[10.2] henvcfg.CBCFE=1: VS cbo.clean", g_cause[1], NO_TRAP);
  check("[10.2] henvcfg.CBCFE=1: VS cbo.flush", g_cause[2], NO_TRAP);
  return 0;
}

/* HS with menvcfg's Zicbo* bits clear: cbo.* from VS are illegal whatever henvcfg holds. */
static u64 hs_cbo_menvcfg_off(u64 arg) {
  (void)arg;
  wcsr(CSR_HENVCFG, CBZE | CBCFE | CBIE);
  enter(guest_cbo);
  check("[10.2] menvcfg.CBZE=0: VS cbo.zero illegal", g_cause[0], 2);
  check("[10.2] menvcfg.CBCFE=0: VS cbo.clean illegal", g_cause[1], 2);
  return 0;
}

int main(void) {
  /* HS gets illegal/virtual instructions, page faults, VS ecalls. */
  csr_write(medeleg, (1UL << 2) | (1UL << 10) | (1UL << 12) | (1UL << 13) | (1UL << 15) | (1UL << 20) |
                         (1UL << 21) | (1UL << 22) | (1UL << 23));

  /* Masks: FIOM and the Zicbo* bits always; PBMTE/ADUE only under menvcfg's. */
  wcsr(CSR_MENVCFG, PBMTE | ADUE | CBZE | CBCFE | CBIE | FIOM);
  check("menvcfg PBMTE and Zicbo* bits", rcsr(CSR_MENVCFG) & (PBMTE | CBZE | CBCFE | CBIE | FIOM),
        PBMTE | CBZE | CBCFE | CBIE | FIOM);
  check("[10.2] menvcfg.ADUE", rcsr(CSR_MENVCFG) & ADUE, ADUE);
  wcsr(CSR_HENVCFG, 0xffUL | PBMTE | ADUE);
  check("henvcfg low bits", rcsr(CSR_HENVCFG) & 0xff, CBZE | CBCFE | CBIE | FIOM);
  check("henvcfg.PBMTE under menvcfg.PBMTE", rcsr(CSR_HENVCFG) & PBMTE, PBMTE);
  check("[10.2] henvcfg.ADUE under menvcfg.ADUE", rcsr(CSR_HENVCFG) & ADUE, ADUE);
  wcsr(CSR_MENVCFG, CBZE | CBCFE | CBIE | FIOM);
  check("[10.2] menvcfg.PBMTE/ADUE cleared: henvcfg's read 0", rcsr(CSR_HENVCFG) & (PBMTE | ADUE), 0);
  wcsr(CSR_MENVCFG, PBMTE | ADUE | CBZE | CBCFE | CBIE | FIOM);
  check("[10.2] menvcfg set again: henvcfg's stay 0", rcsr(CSR_HENVCFG) & (PBMTE | ADUE), 0);
  wcsr(CSR_MENVCFG, 0);
  wcsr(CSR_HENVCFG, 0xffUL | PBMTE | ADUE);
  check("[10.2] menvcfg clear: henvcfg.PBMTE/ADUE not written", rcsr(CSR_HENVCFG) & (PBMTE | ADUE), 0);
  check("menvcfg clear: henvcfg low bits", rcsr(CSR_HENVCFG) & 0xff, CBZE | CBCFE | CBIE | FIOM);
  wcsr(CSR_HENVCFG, 0);
  check("henvcfg cleared", rcsr(CSR_HENVCFG) & ~(1UL << 63), 0);

  wcsr(CSR_MENVCFG, PBMTE | ADUE | CBZE | CBCFE | CBIE);
  run_in_mode(PRV_S, hs_main, 0);
  wcsr(CSR_MENVCFG, PBMTE | ADUE);
  run_in_mode(PRV_S, hs_cbo_menvcfg_off, 0);
  finish();
}
