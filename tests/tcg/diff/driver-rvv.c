/* Vector differential test driver (tests/tcg/diff/README.md, gen-rvv.mjs): each generated case
 * starts from random vector, x and f registers and a random data buffer, runs a few vector
 * instruction blocks (each with its own vsetvl*), then dumps v0-v31, the x/f operand
 * registers, vl, vtype, vstart, vcsr, fflags and the buffer. Traps are logged and skipped.
 * The case runs twice (the second run is translated with threshold 1); both must agree. The
 * UART output of real QEMU and tsqemu must be identical. */
#include "common.h"

/* Runs of each case: translated blocks cover at most 64 instructions, so with threshold 1 run
 * n is translated up to about 64*(n-1) instructions into the case (the 'simd' class uses 4). */
#ifndef RVV_RUNS
#define RVV_RUNS 2
#endif

struct rvv_case { void (*fn)(void); u64 seed; };
extern const struct rvv_case rvv_cases[];
extern const u64 rvv_ncases;

/* Layout shared with gen-rvv.mjs: x values (16), f values (8), csrs (8), vregs (32 * 128). */
u64 rvv_init[16 + 8 + 8 + 512] __attribute__((aligned(64)));
u64 rvv_out[16 + 8 + 8 + 512] __attribute__((aligned(64)));
u8 rvv_data[8192] __attribute__((aligned(4096)));

#define TLOG_MAX 8
static struct { u64 cause, off, tval; } tlog[TLOG_MAX];
static u64 tcount;
static const struct rvv_case *cur;

static u64 insn_len_at(u64 pc) { return (*(volatile u16 *)pc & 3) == 3 ? 4 : 2; }
static int hook(struct trap_frame *f) {
  if (f->cause & CAUSE_INTERRUPT) return 0;
  if (tcount < TLOG_MAX) {
    tlog[tcount].cause = f->cause;
    tlog[tcount].off = f->epc - (u64)cur->fn;
    tlog[tcount].tval = f->tval;
  }
  tcount++;
  f->epc += insn_len_at(f->epc);
  return 1;
}

static u64 rnd;
static u64 xorshift(void) { rnd ^= rnd << 13; rnd ^= rnd >> 7; rnd ^= rnd << 17; return rnd; }
static u64 fnv(const u8 *p, u64 n) {
  u64 h = 0xcbf29ce484222325UL;
  for (u64 i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3UL; }
  return h;
}

int main(void) {
  m_exc_hook = hook;
  csr_set(mstatus, 0x600); /* VS = Initial */
  u64 vlenb = csr_read(vlenb);
  for (u64 s = 0; s < rvv_ncases; s++) {
    cur = &rvv_cases[s];
    u64 first = 0;
    for (int iter = 0; iter < RVV_RUNS; iter++) {
      rnd = cur->seed | 1;
      for (int i = 0; i < 16 + 8 + 8 + 512; i++) rvv_init[i] = xorshift();
      /* f values: some NaN-boxed singles, some doubles of modest range */
      for (int i = 0; i < 8; i++) {
        u64 r = xorshift();
        if (i & 1) rvv_init[16 + i] = 0xffffffff00000000UL | (u32)(0x3c000000 + (r & 0x07ffffff)) | (r >> 63 << 31);
        else rvv_init[16 + i] = ((0x3f0UL << 52) + (r & 0x000fffffffffffffUL) + ((r & 0x30) << 48)) | (r >> 63 << 63);
      }
      for (int i = 0; i < 8192; i += 8) *(u64 *)&rvv_data[i] = xorshift();
      for (int i = 0; i < 16 + 8 + 8 + 512; i++) rvv_out[i] = 0;
      tcount = 0;
      csr_write(fcsr, 0);
      csr_write(vxsat, 0);
      csr_write(vxrm, rvv_init[24] & 3);
      cur->fn();
      u64 hv = fnv((const u8 *)&rvv_out[32], 32 * vlenb);
      u64 hm = fnv(rvv_data, sizeof rvv_data);
      u64 hx = fnv((const u8 *)rvv_out, 24 * 8);
      u64 h = hv ^ hm ^ hx ^ fnv((const u8 *)&rvv_out[24], 64) ^ fnv((const u8 *)tlog, sizeof tlog) ^ tcount;
      if (iter == 0) {
        first = h;
        tprintf("case %lu vl=%lx vtype=%lx vstart=%lx vcsr=%lx fflags=%lx traps=%lu x=%lx v=%lx mem=%lx\n", s,
          rvv_out[24], rvv_out[25], rvv_out[26], rvv_out[27], rvv_out[28], tcount, hx, hv, hm);
        for (u64 t = 0; t < tcount && t < TLOG_MAX; t++) tprintf(" trap cause=%lx off=%lx tval=%lx\n", tlog[t].cause, tlog[t].off, tlog[t].tval);
#ifdef VERBOSE
        for (int r = 0; r < 32; r++) {
          tprintf(" v%d=", r);
          for (int b = (int)vlenb / 8 - 1; b >= 0; b--) tprintf("%lx_", rvv_out[32 + r * vlenb / 8 + b]);
          tprintf("\n");
        }
        for (int r = 0; r < 24; r++) tprintf(" r%d=%lx", r, rvv_out[r]);
        tprintf("\n");
#endif
      } else if (h != first) {
        tprintf(" run %d differs from run 1 (hash %lx vs %lx)\n", iter + 1, h, first);
      }
    }
  }
  tprintf("PASS %lu cases\n", rvv_ncases);
  m_exc_hook = 0;
  exit_with(0x5555);
}
