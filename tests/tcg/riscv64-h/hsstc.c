/*
 * Sstc and Smstateen with the H extension (tests/tcg-hyp-sstc.test.js): vstimecmp and the VS
 * timer interrupt, henvcfg.STCE, htimedelta moving the timer, stimecmp from VS (virtual
 * instruction without hcounteren.TM / henvcfg.STCE), and, when the hart has Smstateen,
 * hstateen0-3 masked by mstateen and gating sstateen/senvcfg/stopi from VS.
 *
 * M sets up (menvcfg.STCE, mcounteren, delegation of illegal/virtual-instruction/VS-ecall to
 * HS), then each phase runs in HS; guests run in VS mode without paging. HS's handler records
 * the last trap's cause and skips the instruction. Every check prints "ok NAME"; checks named
 * "[10.2] ..." are where QEMU 7.2 (the reference the test diffs with) differs from 10.2:
 * riscv_timer_stce_changed (clearing henvcfg.STCE drops the timer's VSTIP) is newer than 7.2,
 * 7.2 keeps henvcfg.STCE written while menvcfg.STCE is 0, and a write of htimedelta that puts
 * time past vstimecmp shows VSTIP in hip only later there (10.2 re-evaluates the timer then).
 * Waits are bounded by mtime (5 s).
 */
#include "hyp.h"

#define CSR_MENVCFG 0x30a
#define CSR_MCOUNTEREN 0x306
#define CSR_MSTATEEN0 0x30c
#define CSR_MSTATEEN1 0x30d
#define CSR_HIDELEG 0x603
#define CSR_HTIMEDELTA 0x605
#define CSR_HCOUNTEREN 0x606
#define CSR_HENVCFG 0x60a
#define CSR_HSTATEEN0 0x60c
#define CSR_HSTATEEN1 0x60d
#define CSR_HSTATEEN0H 0x61c
#define CSR_HIP 0x644
#define CSR_HVIP 0x645
#define CSR_VSTIMECMP 0x24d
#define CSR_STIMECMP 0x14d
#define CSR_SSTATEEN0 0x10c
#define CSR_SENVCFG 0x10a
#define CSR_STOPI 0xdb0
#define CSR_TIME 0xc01
#define STCE (1UL << 63)
#define SE0 (1UL << 63)
#define ENVCFG (1UL << 62)
#define AIA (1UL << 59)
#define IMSIC (1UL << 58)
#define MIP_VSTIP (1UL << 6)
#define BOUND 50000000UL /* 5 s of mtime at 10 MHz */
#define NO_TRAP 0xffUL

static volatile u64 hs_traps, last_cause;
static volatile u64 vs_irqs, vs_irq_on_time;

void hs_handler(u64 *regs) {
  u64 cause = rcsr(scause), epc = rcsr(sepc);
  if (cause == 10 && regs[17] == MAGIC_GUEST_EXIT) {
    wcsr(sepc, (u64)return_to_hs);
    ccsr(0x600, 1UL << 7); /* hstatus.SPV: sret stays in HS */
    return;
  }
  if (cause & CAUSE_INTERRUPT) {
    tprintf("HS unexpected interrupt cause=%lx\n", cause);
    wcsr(sie, 0);
    return;
  }
  last_cause = cause;
  hs_traps++;
  wcsr(sepc, epc + 4);
}

void vs_handler(u64 *regs) {
  (void)regs;
  u64 cause = rcsr(scause);
  if (cause == (CAUSE_INTERRUPT | 5)) {
    u64 t = rcsr(CSR_TIME);
    vs_irq_on_time = t >= rcsr(CSR_STIMECMP);
    vs_irqs++;
    wcsr(CSR_STIMECMP, -1UL); /* drops VSTIP */
    return;
  }
  tprintf("VS unexpected trap cause=%lx epc=%lx\n", cause, rcsr(sepc));
  wcsr(sepc, rcsr(sepc) + 4);
}

/* The cause of the trap an access took (NO_TRAP: none). */
#define TRAP_OF(access) ({ u64 n_ = hs_traps; access; hs_traps != n_ ? last_cause : NO_TRAP; })
#define TRY_READ(csr) TRAP_OF((void)rcsr(csr))

/* ---- guests -------------------------------------------------------------------------------- */
static volatile u64 g_cause[8], g_pending_before, g_time_delta_ok, g_waited_ok;

static void guest_timer(void) {
  u64 now = rcsr(CSR_TIME);
  wcsr(CSR_STIMECMP, now + 10000000000UL); /* 1000 s ahead: not pending */
  g_pending_before = rcsr(sip) & (1UL << 5);
  wcsr(CSR_STIMECMP, now + 20000); /* 2 ms ahead */
  wcsr(sie, 1UL << 5);
  scsr(sstatus, 2); /* SIE */
  while (!vs_irqs && rcsr(CSR_TIME) - now < BOUND) {
  }
  ccsr(sstatus, 2);
  g_waited_ok = vs_irqs != 0;
}

static void guest_time(void) {
  g_time_delta_ok = rcsr(CSR_TIME);
}

static void guest_stimecmp(void) {
  g_cause[0] = TRY_READ(CSR_STIMECMP);
  g_cause[1] = TRAP_OF(wcsr(CSR_STIMECMP, -1UL));
  g_cause[2] = TRY_READ(CSR_VSTIMECMP);
  g_cause[3] = TRY_READ(CSR_TIME);
}

static void guest_stateen(void) {
  g_cause[0] = TRY_READ(CSR_SSTATEEN0);
  g_cause[1] = TRY_READ(CSR_SENVCFG);
  g_cause[2] = TRY_READ(CSR_STOPI);
}

static void enter(void (*fn)(void)) {
  for (int i = 0; i < 8; i++) g_cause[i] = NO_TRAP;
  run_guest(fn);
}

/* ---- HS phases ------------------------------------------------------------------------------ */
static void hs_setup(void) {
  wcsr(stvec, (u64)hs_trap_entry);
  wcsr(sscratch, (u64)(hs_stack + 1024));
  wcsr(0x205, (u64)vs_trap_entry);           /* vstvec */
  wcsr(0x240, (u64)(vs_stack + 1024));       /* vsscratch */
  wcsr(CSR_HIDELEG, MIP_VSTIP);
  wcsr(CSR_HCOUNTEREN, 7);
  wcsr(CSR_HTIMEDELTA, 0);
}

static u64 hs_timer(u64 arg) {
  (void)arg;
  hs_setup();
  wcsr(CSR_HENVCFG, STCE);
  check("henvcfg.STCE with menvcfg.STCE", rcsr(CSR_HENVCFG) & STCE, STCE);

  /* The VS timer interrupt, set up by the guest through stimecmp. */
  enter(guest_timer);
  check("vsip.STIP clear before vstimecmp", g_pending_before, 0);
  check("VS timer interrupt taken", g_waited_ok, 1);
  check("VS timer interrupt once", vs_irqs, 1);
  check("VS timer interrupt at time >= vstimecmp", vs_irq_on_time, 1);
  check("vstimecmp written by the guest's handler", rcsr(CSR_VSTIMECMP), -1UL);
  check("hip.VSTIP clear after", rcsr(CSR_HIP) & MIP_VSTIP, 0);

  /* The same wait from HS: VSTIP in hip, and time >= vstimecmp once it is seen. */
  u64 now = rcsr(CSR_TIME), cmp = now + 30000, early = 0, seen = 0;
  wcsr(CSR_VSTIMECMP, cmp);
  while (rcsr(CSR_TIME) - now < BOUND) {
    if (rcsr(CSR_HIP) & MIP_VSTIP) {
      seen = 1;
      early = rcsr(CSR_TIME) < cmp;
      break;
    }
  }
  check("hip.VSTIP rises at vstimecmp", seen, 1);
  check("hip.VSTIP not before vstimecmp", early, 0);
  check("hvip.VSTIP stays software's", rcsr(CSR_HVIP) & MIP_VSTIP, 0);

  /* htimedelta moves the compare: far future, then shifted past it, then back. */
  now = rcsr(CSR_TIME);
  wcsr(CSR_VSTIMECMP, now + 10000000000UL);
  check("far vstimecmp: no VSTIP", rcsr(CSR_HIP) & MIP_VSTIP, 0);
  wcsr(CSR_HTIMEDELTA, 20000000000UL);
  check("[10.2] htimedelta past vstimecmp: VSTIP", rcsr(CSR_HIP) & MIP_VSTIP, MIP_VSTIP);
  check("[10.2] mip.VSTIP from the timer", rcsr(0x344) & MIP_VSTIP, MIP_VSTIP);
  check("[10.2] hvip.VSTIP 0 with the timer's", rcsr(CSR_HVIP) & MIP_VSTIP, 0);
  /* software's VSTIP ORed in: set and clear it while the timer holds the line */
  scsr(CSR_HVIP, MIP_VSTIP);
  check("[10.2] hvip.VSTIP set by software", rcsr(CSR_HVIP) & MIP_VSTIP, MIP_VSTIP);
  ccsr(CSR_HVIP, MIP_VSTIP);
  check("[10.2] hip.VSTIP still the timer's", rcsr(CSR_HIP) & MIP_VSTIP, MIP_VSTIP);
  wcsr(CSR_HTIMEDELTA, 0);
  check("htimedelta back: no VSTIP", rcsr(CSR_HIP) & MIP_VSTIP, 0);
  scsr(CSR_HVIP, MIP_VSTIP);
  check("hvip.VSTIP alone", rcsr(CSR_HIP) & MIP_VSTIP, MIP_VSTIP);
  ccsr(CSR_HVIP, MIP_VSTIP);
  check("hvip.VSTIP cleared", rcsr(CSR_HIP) & MIP_VSTIP, 0);

  /* The guest's time is time + htimedelta. */
  wcsr(CSR_HTIMEDELTA, 1000000000000UL);
  now = rcsr(CSR_TIME);
  enter(guest_time);
  check("guest time = time + htimedelta", g_time_delta_ok - now >= 1000000000000UL &&
        g_time_delta_ok - now < 1000000000000UL + BOUND, 1);
  wcsr(CSR_HTIMEDELTA, 0);

  /* henvcfg.STCE cleared while the timer holds VSTIP: the line drops (10.2), and comes back. */
  wcsr(CSR_VSTIMECMP, 0);
  check("vstimecmp 0: VSTIP", rcsr(CSR_HIP) & MIP_VSTIP, MIP_VSTIP);
  wcsr(CSR_HENVCFG, 0);
  check("[10.2] henvcfg.STCE cleared: VSTIP drops", rcsr(CSR_HIP) & MIP_VSTIP, 0);
  wcsr(CSR_HENVCFG, STCE);
  check("henvcfg.STCE set again: VSTIP", rcsr(CSR_HIP) & MIP_VSTIP, MIP_VSTIP);
  wcsr(CSR_VSTIMECMP, -1UL);
  check("vstimecmp all ones: no VSTIP", rcsr(CSR_HIP) & MIP_VSTIP, 0);

  /* stimecmp from VS: hcounteren.TM and henvcfg.STCE, else virtual instruction. */
  enter(guest_stimecmp);
  check("VS stimecmp read", g_cause[0], NO_TRAP);
  check("VS stimecmp write", g_cause[1], NO_TRAP);
  check("VS vstimecmp: virtual instruction", g_cause[2], 22);
  check("VS time", g_cause[3], NO_TRAP);
  wcsr(CSR_HENVCFG, 0);
  enter(guest_stimecmp);
  check("henvcfg.STCE=0: VS stimecmp read traps", g_cause[0], 22);
  check("henvcfg.STCE=0: VS stimecmp write traps", g_cause[1], 22);
  check("henvcfg.STCE=0: VS time", g_cause[3], NO_TRAP);
  wcsr(CSR_HENVCFG, STCE);
  wcsr(CSR_HCOUNTEREN, 5);
  enter(guest_stimecmp);
  check("hcounteren.TM=0: VS stimecmp traps", g_cause[0], 22);
  check("hcounteren.TM=0: VS time traps", g_cause[3], 22);
  wcsr(CSR_HCOUNTEREN, 7);
  return 0;
}

/* HS with mcounteren.TM = 0: stimecmp and vstimecmp are illegal. */
static u64 hs_no_tm(u64 arg) {
  (void)arg;
  hs_setup();
  check("mcounteren.TM=0: HS vstimecmp illegal", TRY_READ(CSR_VSTIMECMP), 2);
  check("mcounteren.TM=0: HS stimecmp illegal", TRY_READ(CSR_STIMECMP), 2);
  return 0;
}

/* hstateen gating sstateen0, senvcfg and stopi from VS. */
static u64 hs_stateen(u64 arg) {
  hs_setup();
  wcsr(CSR_HSTATEEN0, 0);
  enter(guest_stateen);
  check("hstateen0=0: VS sstateen0 traps", g_cause[0], 22);
  check("hstateen0=0: VS senvcfg traps", g_cause[1], 22);
  if (arg) check("hstateen0=0: VS stopi traps", g_cause[2], 22);
  wcsr(CSR_HSTATEEN0, SE0 | ENVCFG | AIA);
  enter(guest_stateen);
  check("hstateen0 set: VS sstateen0", g_cause[0], NO_TRAP);
  check("hstateen0 set: VS senvcfg", g_cause[1], NO_TRAP);
  if (arg) check("hstateen0 set: VS stopi", g_cause[2], NO_TRAP);
  check("HS hstateen1 read", TRY_READ(CSR_HSTATEEN1), NO_TRAP);
  if (arg) { /* hvictl.VTI: a VS write of stimecmp is a virtual instruction, a read is not */
    wcsr(0x609, 1UL << 30);
    enter(guest_stimecmp);
    wcsr(0x609, 0);
    check("hvictl.VTI: VS stimecmp read", g_cause[0], NO_TRAP);
    check("hvictl.VTI: VS stimecmp write traps", g_cause[1], 22);
  }
  return 0;
}

/* HS with mstateen0 = SE0 only (mstateen1.SE0 clear). */
static u64 hs_mstateen_off(u64 arg) {
  (void)arg;
  hs_setup();
  check("mstateen0.ENVCFG=0: HS henvcfg illegal", TRY_READ(CSR_HENVCFG), 2);
  check("mstateen0.ENVCFG=0: HS senvcfg illegal", TRY_READ(CSR_SENVCFG), 2);
  check("mstateen0.SE0: HS hstateen0", TRY_READ(CSR_HSTATEEN0), NO_TRAP);
  check("mstateen1.SE0=0: HS hstateen1 illegal", TRY_READ(CSR_HSTATEEN1), 2);
  return 0;
}

int main(void) {
  /* With Smstateen, HS needs mstateen0.ENVCFG for henvcfg (probed: QEMU 7.2 has no Smstateen). */
  trap_arm();
  (void)rcsr(CSR_MSTATEEN0);
  trap_disarm();
  int has_smstateen = !mtrap.count;
  if (has_smstateen) wcsr(CSR_MSTATEEN0, -1UL);
  csr_write(medeleg, (1UL << 2) | (1UL << 10) | (1UL << 22));
  csr_write(mideleg, 0x222);
  wcsr(CSR_MCOUNTEREN, 7);

  wcsr(CSR_MENVCFG, 0);
  wcsr(CSR_HENVCFG, STCE);
  check("[10.2] henvcfg.STCE needs menvcfg.STCE", rcsr(CSR_HENVCFG) & STCE, 0);
  wcsr(CSR_MENVCFG, STCE);
  check("menvcfg.STCE", rcsr(CSR_MENVCFG) & STCE, STCE);
  check("[10.2] henvcfg.STCE still 0", rcsr(CSR_HENVCFG) & STCE, 0);
  run_in_mode(PRV_S, hs_timer, 0);
  wcsr(CSR_MCOUNTEREN, 5);
  run_in_mode(PRV_S, hs_no_tm, 0);
  wcsr(CSR_MCOUNTEREN, 7);

  /* Smstateen, when the hart has it. */
  if (!has_smstateen) {
    tprintf("no smstateen\n");
    finish();
  }
  u64 aia = 0;
  trap_arm();
  (void)rcsr(CSR_STOPI);
  trap_disarm();
  if (!mtrap.count) aia = AIA | IMSIC;
  wcsr(CSR_MSTATEEN0, -1UL);
  wcsr(CSR_MSTATEEN1, -1UL);
  check("mstateen0 bits", rcsr(CSR_MSTATEEN0), SE0 | ENVCFG | aia);
  wcsr(CSR_HSTATEEN0, -1UL);
  check("hstateen0 bits", rcsr(CSR_HSTATEEN0), SE0 | ENVCFG | aia);
  check("hstateen0h", rcsr(CSR_HSTATEEN0H), (SE0 | ENVCFG | aia) >> 32);
  wcsr(CSR_MSTATEEN0, SE0);
  check("hstateen0 read masked by mstateen0", rcsr(CSR_HSTATEEN0), SE0);
  wcsr(CSR_HSTATEEN0, -1UL);
  wcsr(CSR_MSTATEEN0, -1UL);
  check("hstateen0 written masked by mstateen0", rcsr(CSR_HSTATEEN0), SE0);
  wcsr(CSR_HSTATEEN0H, (SE0 | ENVCFG) >> 32);
  check("hstateen0h written", rcsr(CSR_HSTATEEN0), SE0 | ENVCFG);
  wcsr(CSR_HSTATEEN1, -1UL);
  check("hstateen1 bits", rcsr(CSR_HSTATEEN1), SE0);
  run_in_mode(PRV_S, hs_stateen, aia != 0);
  wcsr(CSR_MSTATEEN0, SE0);
  wcsr(CSR_MSTATEEN1, 0);
  run_in_mode(PRV_S, hs_mstateen_off, 0);
  finish();
}
