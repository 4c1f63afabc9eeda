/* Differential test driver (see tests/tcg/diff/README.md): runs each generated instruction
 * stream (diff_streams, from gen.mjs) three times in its privilege mode, from the same
 * registers and memory, and prints its registers, fcsr, traps and memory over the UART.
 * Every trap the stream takes is logged and skipped; the output of real QEMU and tsqemu
 * must be identical. */
#include "common.h"

struct diff_stream { void (*fn)(void); u64 mode; u64 seed; u64 start, end; };
extern const struct diff_stream diff_streams[];
extern const u64 diff_nstreams;

u64 diff_out[72];
u64 diff_saved[16];
u8 diff_data[1024] __attribute__((aligned(4096)));

#define TLOG_MAX 48
static struct { u64 cause, off, tval; } tlog[TLOG_MAX];
static u64 tcount;
static const struct diff_stream *cur;

static u64 insn_len_at(u64 pc) { return (*(volatile u16 *)pc & 3) == 3 ? 4 : 2; }

static int diff_hook(struct trap_frame *f) {
  if (f->cause & CAUSE_INTERRUPT) return 0;
  u64 tval = f->tval;
  /* ebreak's tval: 0 in QEMU 7.2, the pc in newer versions (not compared) */
  if (f->cause == CAUSE_BREAKPOINT) tval = 0;
  if (tcount < TLOG_MAX) {
    tlog[tcount].cause = f->cause;
    tlog[tcount].off = f->epc - cur->start;
    tlog[tcount].tval = tval;
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

static u64 run_fn(u64 arg) { cur->fn(); return arg; }

int main(void) {
  m_exc_hook = diff_hook;
  for (u64 s = 0; s < diff_nstreams; s++) {
    cur = &diff_streams[s];
    u64 first = 0;
    for (int iter = 0; iter < 3; iter++) {
      rnd = cur->seed | 1;
      for (int i = 0; i < 1024; i += 8) *(u64 *)&diff_data[i] = xorshift();
      tcount = 0;
      csr_write(sscratch, 0);
      csr_write(fcsr, 0);
      run_in_mode((int)cur->mode, run_fn, 0);
      u64 h = fnv((const u8 *)diff_out, sizeof diff_out) ^ fnv((const u8 *)tlog, sizeof tlog) ^ fnv(diff_data, sizeof diff_data) ^ tcount;
      if (iter == 0) {
        first = h;
        tprintf("stream %lu mode %lu seed %lx\n", s, cur->mode, cur->seed);
        for (int r = 1; r < 32; r++) if (r != 2) tprintf(" x%d=%lx", r, diff_out[r]);
        tprintf("\n");
        for (int r = 0; r < 32; r++) tprintf(" f%d=%lx", r, diff_out[32 + r]);
        tprintf("\n fcsr=%lx sscratch=%lx traps=%lu\n", diff_out[64], csr_read(sscratch), tcount);
        for (u64 t = 0; t < tcount && t < TLOG_MAX; t++) tprintf(" trap cause=%lx off=%lx tval=%lx\n", tlog[t].cause, tlog[t].off, tlog[t].tval);
        for (int c = 0; c < 1024; c += 128) tprintf(" mem%d=%lx", c, fnv(diff_data + c, 128));
        tprintf("\n");
      } else if (h != first) {
        tprintf(" iteration %d differs from the first (hash %lx vs %lx)\n", iter, h, first);
      }
    }
  }
  tprintf("PASS %lu streams\n", diff_nstreams);
  m_exc_hook = 0;
  exit_with(0x5555);
}
