/* Register flow of looping regions (tests/user-codegen.test.js; translate-block.ts regionFlow):
 * a block entered at a run inside its loop loads only the registers live there, and each exit
 * stores only those that may have been set. Checked against qemu-riscv64:
 *   calls  a hot loop calling a function each iteration: the block is left at the call and
 *          entered again at the return address, with accumulators in callee-saved registers
 *   fault  loads and stores walking into a PROT_NONE / read-only page from a multi-run loop:
 *          the registers the signal handler sees (ucontext) are the exact ones at the fault */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

__attribute__((noinline)) static uint64_t mixer(uint64_t x) { return (x * 0x9e3779b97f4a7c15ull) ^ (x >> 29); }

static void calls(void) {
  uint64_t a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8;
  for (uint64_t i = 0; i < 60000; i++) {
    a += mixer(i);
    b ^= a >> 3;
    if (i & 4) c += b * 3; else g -= a;
    d = d * 5 + c;
    e += d ^ a;
    if ((e & 7) == 1) f = mixer(f + i);
    h = (h << 1 | h >> 63) + g;
  }
  printf("calls %016llx %016llx %016llx %016llx %016llx %016llx %016llx %016llx\n", (unsigned long long)a,
         (unsigned long long)b, (unsigned long long)c, (unsigned long long)d, (unsigned long long)e,
         (unsigned long long)f, (unsigned long long)g, (unsigned long long)h);
}

static sigjmp_buf jb;
static uintptr_t base;
static uint64_t seen[12];
static void on_segv(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  const ucontext_t *uc = ucv;
  const unsigned long *x = uc->uc_mcontext.__gregs; /* [0] pc, [n] x[n] */
  seen[0] = (uintptr_t)si->si_addr - base;
  seen[1] = x[5] - base;                      /* t0: the walking pointer */
  seen[2] = x[6]; seen[3] = x[7]; seen[4] = x[28]; seen[5] = x[29]; /* t1 t2 t3 t4 */
  seen[6] = x[18]; seen[7] = x[19]; seen[8] = x[20]; seen[9] = x[21]; /* s2-s5 */
  seen[10] = x[30]; seen[11] = x[31];         /* t5 t6 */
  siglongjmp(jb, 1);
}

/* n iterations from p: loads (and a store through q every 4th, into out when q is 0). */
static uint64_t walk(const uint64_t *p, uint64_t *q, long n, uint64_t *out) {
  uint64_t r;
  __asm__ volatile(
      "mv t0, %[p]\n\tli t1, 0\n\tli s2, 7\n\tli s3, 11\n\tli s4, 13\n\tli s5, 17\n\tli t5, 19\n\tli t6, 23\n"
      "1:\n\t"
      "ld t2, 0(t0)\n\t"
      "add s2, s2, t2\n\t"
      "xor s3, s3, s2\n\t"
      "slli t3, s3, 3\n\t"
      "add s4, t3, t1\n\t"
      "andi t4, t1, 3\n\t"
      "bnez t4, 2f\n\t"
      "addi s5, s5, 1\n\t"
      "mv t5, s4\n\t"
      "beqz %[q], 3f\n\t"
      "sd s4, 0(%[q])\n\t"
      "addi %[q], %[q], 8\n\t"
      "3:\n\t"
      "sd s5, 0(%[out])\n"
      "2:\n\t"
      "sub t6, s4, s5\n\t"
      "addi t0, t0, 8\n\t"
      "addi t1, t1, 1\n\t"
      "blt t1, %[n], 1b\n\t"
      "add %[r], s4, t6\n\t"
      "add %[r], %[r], t5\n\t"
      : [r] "=&r"(r), [q] "+r"(q)
      : [p] "r"(p), [n] "r"(n), [out] "r"(out)
      : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "s2", "s3", "s4", "s5", "memory");
  return r;
}

static void faults(void) {
  long pg = 4096;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv; sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  /* rw rw | none | rw | ro */
  char *m = mmap(0, 5 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  base = (uintptr_t)m;
  for (long i = 0; i < 5 * pg; i++) m[i] = (char)(i * 13 + (i >> 7));
  mprotect(m + 2 * pg, pg, PROT_NONE);
  mprotect(m + 4 * pg, pg, PROT_READ);
  uint64_t sink = 0, h = 0;
  /* Hot first: whole walks inside the two rw pages. */
  for (int rep = 0; rep < 12; rep++) h = h * 31 + walk((const uint64_t *)m, (uint64_t *)(m + 3 * pg), 1024, &sink);
  printf("hot %016llx %016llx\n", (unsigned long long)h, (unsigned long long)sink);
  /* Loads running into the PROT_NONE page, stores into the read-only one, from several starts. */
  for (int k = 0; k < 6; k++) {
    memset(seen, 0, sizeof seen);
    volatile int kk = k;
    if (!sigsetjmp(jb, 1)) {
      if (kk < 3) h = walk((const uint64_t *)(m + 2 * pg - 8 * (61 + 37 * kk)), 0, 4096, &sink);
      else h = walk((const uint64_t *)m, (uint64_t *)(m + 4 * pg - 8 * (5 + 11 * kk)), 4096, &sink);
      printf("no fault %d %016llx\n", k, (unsigned long long)h);
      continue;
    }
    printf("fault %d", k);
    for (int i = 0; i < 12; i++) printf(" %llx", (unsigned long long)seen[i]);
    printf("\n");
  }
}

int main(void) {
  calls();
  faults();
  return 0;
}
