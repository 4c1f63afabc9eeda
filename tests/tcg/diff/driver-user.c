/* User-mode flavour of driver.c (README.md here): a Linux program that runs each generated
 * stream (gen.mjs with user = 1) three times and prints the same dump; traps arrive as
 * signals, whose handler (on an alternate stack: sp points at the dump area during a
 * stream) logs signal, si_code, si_addr and the pc's offset in the stream from the signal
 * frame, then skips the instruction. qemu-riscv64 and tsqemu-riscv64 must print the same. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

struct diff_stream { void (*fn)(void); uint64_t mode, seed, start, end; };
extern const struct diff_stream diff_streams[];
extern const uint64_t diff_nstreams;

uint64_t diff_out[72];
uint64_t diff_saved[16];
uint8_t diff_data[1024] __attribute__((aligned(4096)));

#define TLOG_MAX 48
static struct { uint64_t sig, code, off, addr; } tlog[TLOG_MAX];
static uint64_t tcount;
static const struct diff_stream *cur;
static uint8_t altstack[65536] __attribute__((aligned(16)));

static void on_signal(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  uint64_t pc = uc->uc_mcontext.__gregs[REG_PC];
  if (tcount < TLOG_MAX) {
    tlog[tcount].sig = (uint64_t)sig;
    tlog[tcount].code = (uint64_t)si->si_code;
    tlog[tcount].off = pc - cur->start;
    tlog[tcount].addr = (uint64_t)si->si_addr - (sig == SIGILL || sig == SIGTRAP ? cur->start : 0);
  }
  tcount++;
  uc->uc_mcontext.__gregs[REG_PC] = pc + ((*(uint16_t *)pc & 3) == 3 ? 4 : 2);
}

static uint64_t rnd;
static uint64_t xorshift(void) { rnd ^= rnd << 13; rnd ^= rnd >> 7; rnd ^= rnd << 17; return rnd; }
static uint64_t fnv(const void *p_, uint64_t n) {
  const uint8_t *p = p_;
  uint64_t h = 0xcbf29ce484222325UL;
  for (uint64_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3UL; }
  return h;
}

int main(void) {
  stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  int sigs[] = { SIGILL, SIGSEGV, SIGBUS, SIGTRAP, SIGFPE };
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
  for (uint64_t s = 0; s < diff_nstreams; s++) {
    cur = &diff_streams[s];
    uint64_t first = 0;
    for (int iter = 0; iter < 3; iter++) {
      rnd = cur->seed | 1;
      for (int i = 0; i < 1024; i += 8) *(uint64_t *)&diff_data[i] = xorshift();
      tcount = 0;
      asm volatile("fscsr x0");
      cur->fn();
      uint64_t h = fnv(diff_out, sizeof diff_out) ^ fnv(tlog, sizeof tlog) ^ fnv(diff_data, sizeof diff_data) ^ tcount;
      if (iter == 0) {
        first = h;
        printf("stream %lu seed %lx\n", (unsigned long)s, (unsigned long)cur->seed);
        for (int r = 1; r < 32; r++) if (r != 2) printf(" x%d=%lx", r, (unsigned long)diff_out[r]);
        printf("\n");
        for (int r = 0; r < 32; r++) printf(" f%d=%lx", r, (unsigned long)diff_out[32 + r]);
        printf("\n fcsr=%lx signals=%lu\n", (unsigned long)diff_out[64], (unsigned long)tcount);
        for (uint64_t t = 0; t < tcount && t < TLOG_MAX; t++) {
          printf(" signal %lu code=%lu off=%lx addr=%lx\n", (unsigned long)tlog[t].sig, (unsigned long)tlog[t].code,
                 (unsigned long)tlog[t].off, (unsigned long)tlog[t].addr);
        }
        for (int c = 0; c < 1024; c += 128) printf(" mem%d=%lx", c, (unsigned long)fnv(diff_data + c, 128));
        printf("\n");
      } else if (h != first) {
        printf(" iteration %d differs from the first (hash %lx vs %lx)\n", iter, (unsigned long)h, (unsigned long)first);
      }
    }
  }
  printf("PASS %lu streams\n", (unsigned long)diff_nstreams);
  return 0;
}
