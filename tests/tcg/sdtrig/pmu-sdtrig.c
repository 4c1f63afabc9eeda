/* PMU counters (mhpmcounter3..31, mhpmevent, mcountinhibit) and Sdtrig triggers (tselect,
 * tdata1-3, tinfo; type 2 and 6 execute/load/store breakpoints in the selected modes), as
 * QEMU's virt CPU has them. Counter values are host-dependent in QEMU: only their
 * behaviour (held, counting, frozen) is printed. */
#include "common.h"

#define EXPECT_ILLEGAL(name, insn)                                              \
  do {                                                                          \
    trap_arm();                                                                 \
    asm volatile(".option push\n.option norvc\n" insn "\n.option pop" ::: "memory"); \
    trap_disarm();                                                              \
    check(name, mtrap.cause, CAUSE_ILLEGAL);                                    \
  } while (0)

#define T2 (2UL << 60)
#define T6 (6UL << 60)
#define TM (1UL << 6)
#define TS (1UL << 4)
#define TU (1UL << 3)
#define TX 4UL
#define TST 2UL
#define TLD 1UL

/* trap_arm, and a7 cleared: the handler takes an ebreak-cause trap with a7 = MAGIC_RETURN_TO_M
 * (left by run_in_mode) for run_in_mode's return. */
#define ARM() do { trap_arm(); asm volatile("li a7, 0" ::: "a7"); } while (0)

static void spin(int n) { for (volatile int i = 0; i < n; i++) {} }

static void test_counters(void) {
  csr_write(mcountinhibit, 0);
  /* no event: a counter holds what is written */
  csr_write(mhpmcounter3, 0x1234);
  spin(50);
  check("hpm3-held", csr_read(mhpmcounter3), 0x1234);
  check("hpm3-user-view", csr_read(hpmcounter3), 0x1234);
  csr_write(mhpmcounter18, ~0UL);
  check("hpm18-held", csr_read(mhpmcounter18), ~0UL);
  EXPECT_ILLEGAL("hpm19-absent", "csrr t0, mhpmcounter19");
  EXPECT_ILLEGAL("hpm31-absent", "csrw mhpmcounter31, zero");
  EXPECT_ILLEGAL("uhpm19-absent", "csrr t0, hpmcounter19");
  /* mhpmevent3..31 are plain registers (with QEMU's default cpu) */
  csr_write(mhpmevent19, 0x123);
  check("mhpmevent19", csr_read(mhpmevent19), 0x123);
  csr_write(mhpmevent19, 0);
  /* event 2 (instructions) mapped to counter 3: it counts from the written value */
  csr_write(mhpmevent3, 2);
  check("mhpmevent3", csr_read(mhpmevent3), 2);
  csr_write(mhpmcounter3, 1000);
  spin(100);
  u64 a = csr_read(mhpmcounter3);
  spin(100);
  u64 b = csr_read(mhpmcounter3);
  check("hpm3-counts", a > 1000 && b > a, 1);
  /* mcountinhibit bit 3 freezes it, clearing it continues from the frozen value */
  csr_set(mcountinhibit, 1 << 3);
  a = csr_read(mhpmcounter3);
  spin(100);
  b = csr_read(mhpmcounter3);
  check("hpm3-inhibited", a == b, 1);
  csr_write(mhpmcounter3, 77);
  check("hpm3-inhibited-write", csr_read(mhpmcounter3), 77);
  csr_clear(mcountinhibit, 1 << 3);
  spin(100);
  a = csr_read(mhpmcounter3);
  check("hpm3-resumed", a > 77, 1);
  /* event 0 unmaps it: held again */
  csr_write(mhpmevent3, 0);
  csr_write(mhpmcounter3, 5);
  spin(100);
  check("hpm3-unmapped", csr_read(mhpmcounter3), 5);
  /* an unsupported event does not count */
  csr_write(mhpmevent4, 0x12345);
  csr_write(mhpmcounter4, 9);
  spin(100);
  check("hpm4-raw-event", csr_read(mhpmcounter4), 9);
  csr_write(mhpmevent4, 0);
  /* below M: mcounteren */
  csr_write(mcounteren, 0);
  csr_write(scounteren, 0);
}

/* Sscofpmf (run with -cpu rv64,sscofpmf=true): a counting counter written near 2^64 wraps,
 * sets OF in its mhpmevent and raises LCOFIP (13); one that does not count never does. */
static void test_overflow(void) {
  trap_arm();
  asm volatile("csrr t0, 0xda0" ::: "t0"); /* scountovf exists with Sscofpmf */
  trap_disarm();
  int have = mtrap.count == 0;
  show("sscofpmf", have);
  if (!have) return;
  csr_write(mhpmevent5, 0x12345); /* not counting */
  csr_write(mhpmcounter5, ~0UL - 3);
  csr_write(mhpmevent3, 2);
  csr_write(mhpmcounter3, ~0UL - 100);
  for (int i = 0; i < 200 && !((csr_read(mip) >> 13) & 1); i++) spin(1000);
  check("of-lcofip", (csr_read(mip) >> 13) & 1, 1);
  check("of-bit", csr_read(mhpmevent3) >> 63, 1);
  check("of-wrapped", csr_read(mhpmcounter3) < 0x8000000000000000UL, 1);
  check("of-other-counter", csr_read(mhpmevent5) >> 63, 0);
  check("of-other-value", csr_read(mhpmcounter5), ~0UL - 3);
  csr_write(mcounteren, 1 << 3);
  check("scountovf", csr_read(0xda0), 1 << 3);
  csr_write(mcounteren, 0);
  /* OF and LCOFIP stay until software clears them */
  csr_write(mhpmevent3, 0);
  csr_clear(mip, 1UL << 13);
  check("of-cleared", (csr_read(mip) >> 13) & 1, 0);
  csr_write(mhpmevent5, 0);
}

static u64 s_read_hpm3(u64 arg) { (void)arg; return csr_read(hpmcounter3); }

static void test_counteren(void) {
  csr_write(mhpmcounter3, 0xabc);
  trap_arm();
  run_in_mode(PRV_S, s_read_hpm3, 0);
  trap_disarm();
  check("s-hpm3-no-counteren", mtrap.cause, CAUSE_ILLEGAL);
  csr_write(mcounteren, 1 << 3);
  check("s-hpm3-counteren", run_in_mode(PRV_S, s_read_hpm3, 0), 0xabc);
  csr_write(mcounteren, 0);
}

volatile u64 watched[4] = { 11, 22, 33, 44 };

static void __attribute__((noinline)) exec_target(volatile u64 *out) {
  u64 x = 0;
  asm volatile(".option push\n.option norvc\n.globl bp_insn\nbp_insn: addi %0, %0, 1\naddi %0, %0, 2\n.option pop"
               : "+r"(x));
  *out = x;
}
extern char bp_insn[];

static void disarm(int i) {
  csr_write(tselect, i);
  csr_write(tdata1, T2);
  csr_write(tdata2, 0);
}

static u64 __attribute__((noinline)) u_load(u64 addr) { return *(volatile u64 *)addr; }

static void test_triggers(void) {
  check("tselect-reset", csr_read(tselect), 0);
  csr_write(tselect, 1);
  check("tselect-1", csr_read(tselect), 1);
  csr_write(tselect, 2);
  check("tselect-2-ignored", csr_read(tselect), 1);
  check("tinfo", csr_read(tinfo), 0x44);
  check("tdata1-reset", csr_read(tdata1), T2);
  csr_write(tselect, 0);
  /* WARL: the type stays, dmode/hit/action/chain/match drop, sizes 1 2 4 8 kept */
  csr_write(tdata1, T2 | (1UL << 59) | (1UL << 20) | (1UL << 12) | (1UL << 11) | (1UL << 7) | (3UL << 16) | TS);
  check("tdata1-warl", csr_read(tdata1), T2 | (3UL << 16) | TS);
  csr_write(tdata1, T2 | (1UL << 21) | TS); /* size 4 (6 bytes): not supported, any */
  check("tdata1-size6", csr_read(tdata1), T2 | TS);
  csr_write(tdata1, T6 | (1UL << 24) | (1UL << 23) | (5UL << 16) | TU | TLD);
  check("tdata1-type6", csr_read(tdata1), T6 | (1UL << 24) | (1UL << 23) | (5UL << 16) | TU | TLD);
  csr_write(tdata2, 0x1234);
  check("tdata2", csr_read(tdata2), 0x1234);
  disarm(0);

  /* execute, M mode: the breakpoint comes before bp_insn runs (it is then skipped); the code
   * ran (and may be translated) before the trigger was armed */
  volatile u64 out = 0;
  for (int i = 0; i < 50; i++) exec_target(&out);
  check("exec-warm", out, 3);
  csr_write(tdata2, (u64)bp_insn);
  csr_write(tdata1, T2 | TM | TX);
  ARM();
  exec_target(&out);
  trap_disarm();
  check("exec-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("exec-epc", mtrap.epc, (u64)bp_insn);
  check("exec-tval", mtrap.tval, (u64)bp_insn); /* QEMU 10.2: the pc (7.2: 0) */
  check("exec-count", mtrap.count, 1);
  check("exec-skipped", out, 2);
  /* only U selected: M runs it */
  csr_write(tdata1, T2 | TU | TX);
  ARM();
  exec_target(&out);
  trap_disarm();
  check("exec-other-mode", mtrap.count, 0);
  check("exec-other-mode-out", out, 3);
  disarm(0);

  /* load, trigger 1, type 6: loads of watched[1] stop before the access, stores do not */
  u64 sum = 0;
  for (int i = 0; i < 50; i++) sum += u_load((u64)&watched[1]);
  check("load-warm", sum, 50 * 22);
  csr_write(tselect, 1);
  csr_write(tdata2, (u64)&watched[1]);
  csr_write(tdata1, T6 | TM | TLD);
  u64 v = 0x55;
  ARM();
  sum = u_load((u64)&watched[1]);
  trap_disarm();
  check("load-warm-cause", mtrap.cause, CAUSE_BREAKPOINT);
  ARM();
  asm volatile("ld %0, 0(%1)" : "+r"(v) : "r"(&watched[1]) : "memory");
  trap_disarm();
  check("load-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("load-not-done", v, 0x55);
  ARM();
  watched[1] = 23;
  v = watched[0];
  trap_disarm();
  check("load-other", mtrap.count, 0);
  /* a 4-byte load overlapping the 8-byte range from below does not, one inside does */
  ARM();
  v = *(volatile u32 *)((u64)&watched[0] + 4);
  trap_disarm();
  check("load-below", mtrap.count, 0);
  ARM();
  v = *(volatile u32 *)((u64)&watched[1] + 4);
  trap_disarm();
  check("load-inside", mtrap.count, 1);
  /* QEMU 10.2's tval: the watchpoint's hit address (7.2: 0) */
  check("load-tval", mtrap.tval, (u64)&watched[1] + 4);
  disarm(1);
  check("store-free", watched[1], 23);

  /* store, type 2, size 8: the store does not happen */
  csr_write(tselect, 0);
  csr_write(tdata2, (u64)&watched[2]);
  csr_write(tdata1, T2 | (1UL << 21) | (1UL << 16) | TM | TST);
  ARM();
  watched[2] = 99;
  trap_disarm();
  check("store-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("store-not-done", watched[2], 33);
  ARM();
  v = watched[2];
  trap_disarm();
  check("store-load-free", mtrap.count, 0);
  disarm(0);

  /* load trigger for U only: M loads pass, U's load traps to M */
  csr_write(tdata2, (u64)&watched[3]);
  csr_write(tdata1, T2 | TU | TLD);
  ARM();
  v = watched[3];
  trap_disarm();
  check("u-trigger-in-m", mtrap.count, 0);
  ARM();
  run_in_mode(PRV_U, u_load, (u64)&watched[3]);
  trap_disarm();
  check("u-trigger-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("u-trigger-priv", mtrap.prev_priv, PRV_U);
  disarm(0);
  /* nothing armed: runs freely again */
  ARM();
  v = watched[3];
  exec_target(&out);
  trap_disarm();
  check("disarmed", mtrap.count, 0);
  (void)v;
}

int main(void) {
  test_counters();
  test_counteren();
  test_overflow();
  test_triggers();
  finish();
}
