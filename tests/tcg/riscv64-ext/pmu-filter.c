/* Counting by privilege mode (Sscofpmf's mhpmevent MINH/SINH/UINH/VSINH/VUINH, Smcntrpmf's
 * mcyclecfg/minstretcfg; QEMU 10.2's riscv_pmu_ctr_get_fixed_counters_val), which QEMU 7.2 has
 * not. Four counters run together, started and stopped by one mcountinhibit write each:
 *   A minstret   minstretcfg 0                   every mode
 *   B mcycle     mcyclecfg MINH                  S, U, VS, VU
 *   C hpm3 (ev 2, instructions)  S/U/VS/VU inhibited: M only
 *   D hpm4 (ev 1, cycles)        M/S/U inhibited: VS and VU only
 * Here cycles count as instructions (tsqemu's mcycle = minstret without -icount), so A = B + C
 * exactly, and a loop of 2K instructions run in one mode adds exactly 2K to the counters that
 * count that mode (checked as the difference between K = 100 and K = 300) and nothing to the
 * others, through the trap entries and xRETs that change modes (every compiler mode: the
 * loop is translated with the threshold at 1). Run by tests/tcg-pmu-sdtrig.test.js. */
#include "common.h"
#include "vs-mode.h"

#define rcsr(n) ({ u64 v_; asm volatile("csrr %0, " STR(n) : "=r"(v_)); v_; })
#define wcsr(n, v) asm volatile("csrw " STR(n) ", %0" : : "r"((u64)(v)) : "memory")
#define MCOUNTINHIBIT 0x320
#define MCYCLECFG 0x321
#define MINSTRETCFG 0x322
#define MHPMEVENT3 0x323
#define MHPMEVENT4 0x324
#define MCYCLE 0xb00
#define MINSTRET 0xb02
#define MHPMCOUNTER3 0xb03
#define MHPMCOUNTER4 0xb04
#define MINH (1UL << 62)
#define SINH (1UL << 61)
#define UINH (1UL << 60)
#define VSINH (1UL << 59)
#define VUINH (1UL << 58)
#define ALL_INH (MINH | SINH | UINH | VSINH | VUINH)
#define STOP_ALL 0x1dUL /* CY, IR, HPM3, HPM4 */

/* 2 instructions per iteration */
asm(".text\n.globl x_loop\nx_loop:\n1: addi a0, a0, -1\n  bnez a0, 1b\n  ret\n");
u64 x_loop(u64);

struct counts { u64 a, b, c, d; };

static void zero_and_start(void) {
  wcsr(MCOUNTINHIBIT, STOP_ALL);
  wcsr(MINSTRET, 0);
  wcsr(MCYCLE, 0);
  wcsr(MHPMCOUNTER3, 0);
  wcsr(MHPMCOUNTER4, 0);
  wcsr(MCOUNTINHIBIT, 0);
}
static struct counts stop(void) {
  wcsr(MCOUNTINHIBIT, STOP_ALL);
  struct counts r = { rcsr(MINSTRET), rcsr(MCYCLE), rcsr(MHPMCOUNTER3), rcsr(MHPMCOUNTER4) };
  return r;
}

/* mode: 0 U, 1 S, 2 VS, 3 M, 4 VU */
static struct counts measure(int mode, u64 k) {
  zero_and_start();
  if (mode == 3) x_loop(k);
  else if (mode == 2) run_vs(x_loop, k);
  else if (mode == 4) {
    csr_set(mstatus, MSTATUS_MPV);
    run_in_mode(PRV_U, x_loop, k);
    csr_clear(mstatus, MSTATUS_MPV);
  } else run_in_mode(mode, x_loop, k);
  return stop();
}

static const char *const names[] = { "u", "s", "vs", "m", "vu" };

int main(void) {
  trap_arm();
  (void)rcsr(MCYCLECFG);
  trap_disarm();
  if (mtrap.count) {
    tprintf("smcntrpmf absent (mcyclecfg cause %lu)\n", mtrap.cause);
    finish();
  }
  m_exc_hook = vs_exit_hook;
  wcsr(MCYCLECFG, ~0UL);
  check("mcyclecfg-keeps-all", rcsr(MCYCLECFG), ~0UL);
  wcsr(MINSTRETCFG, ALL_INH | 0x1234);
  check("minstretcfg", rcsr(MINSTRETCFG), ALL_INH | 0x1234);
  wcsr(MCYCLECFG, MINH);
  wcsr(MINSTRETCFG, 0);
  wcsr(MHPMEVENT3, 2 | SINH | UINH | VSINH | VUINH);
  wcsr(MHPMEVENT4, 1 | MINH | SINH | UINH);
  check("mhpmevent3", rcsr(MHPMEVENT3), 2 | SINH | UINH | VSINH | VUINH);

  for (int mode = 0; mode < 5; mode++) {
    struct counts lo = measure(mode, 100), hi = measure(mode, 300);
    u64 da = hi.a - lo.a, db = hi.b - lo.b, dc = hi.c - lo.c, dd = hi.d - lo.d;
    int vmode = mode == 2 || mode == 4;
    checkf(lo.a, lo.b + lo.c, "%s-a-is-b-plus-c", names[mode]);
    checkf(hi.a, hi.b + hi.c, "%s-a-is-b-plus-c-300", names[mode]);
    checkf(da, 400, "%s-minstret-counts-loop", names[mode]);
    checkf(db, mode == 3 ? 0 : 400, "%s-mcycle-minh", names[mode]);
    checkf(dc, mode == 3 ? 400 : 0, "%s-hpm3-m-only", names[mode]);
    checkf(dd, vmode ? 400 : 0, "%s-hpm4-v-only", names[mode]);
    checkf(lo.d == 0, !vmode, "%s-hpm4-zero-outside-v", names[mode]);
    checkf(lo.c > 0, 1, "%s-m-part-counted", names[mode]);
  }
  /* inhibiting a counter's mode in mcountinhibit-free run: mcycle with MINH stands still in M */
  zero_and_start();
  x_loop(50);
  struct counts m = stop();
  check("m-loop-mcycle-still", m.b, 0);
  check("m-loop-hpm3-is-minstret", m.c, m.a);
  /* no inhibit bits: every counter counts every mode again */
  wcsr(MCYCLECFG, 0);
  wcsr(MHPMEVENT3, 2);
  wcsr(MHPMEVENT4, 1);
  struct counts u = measure(0, 100);
  check("unfiltered-b", u.b, u.a);
  check("unfiltered-c", u.c, u.a);
  check("unfiltered-d", u.d, u.a);
  m_exc_hook = 0;
  finish();
}
