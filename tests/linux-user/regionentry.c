/* Region entries (tests/user-codegen.test.js; translate-block.ts, tb-frame.ts emitEntryLoads):
 * a region entered at the return addresses of its calls loads only the few registers live
 * there, each entry's loads branching straight to its run. A fault right after such an entry
 * (before, between and after the registers it sets) and in the loop that follows must show
 * the signal handler exact registers, those the entry never loaded included. Checked against
 * qemu-riscv64:
 *   hot    re_steps called many times: the three return addresses become entries
 *   fault  a load from a PROT_NONE page after entry A, a store to a read-only page after
 *          entry B, a load walking into the PROT_NONE page in the loop after entry C */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

/* re_steps(p, q, n): three calls (their return addresses are the entries A, B, C), then a
 * loop of n loads from p + 8. re_helper clobbers a0/a1 only. */
__asm__(
    ".text\n"
    ".p2align 2\n"
    "re_helper:\n\t"
    "addi a0, a0, 3\n\t"
    "slli a1, a0, 2\n\t"
    "xor a0, a0, a1\n\t"
    "ret\n"
    ".globl re_steps\n"
    ".p2align 2\n"
    "re_steps:\n\t"
    "addi sp, sp, -64\n\t"
    "sd ra, 0(sp)\n\tsd s2, 8(sp)\n\tsd s3, 16(sp)\n\tsd s4, 24(sp)\n\tsd s5, 32(sp)\n\tsd s6, 40(sp)\n\t"
    "mv s6, a0\n\t"
    "mv t0, a1\n\t"
    "li s2, 5\n\tli s3, 7\n\tli s4, 11\n\tli s5, 13\n\tli t1, 0\n\tli t2, 17\n\t"
    "mv a0, s2\n\t"
    "jal re_helper\n\t"
    /* entry A: a0, s2, s6 read; s3 after the load */
    "add s2, s2, a0\n\t"
    "ld t2, 0(s6)\n\t"
    "add s3, s3, t2\n\t"
    "mv a0, s3\n\t"
    "jal re_helper\n\t"
    /* entry B */
    "xor s4, s4, a0\n\t"
    "sd s4, 0(t0)\n\t"
    "addi t0, t0, 8\n\t"
    "mv a0, s4\n\t"
    "jal re_helper\n\t"
    /* entry C, then the loop */
    "add s5, s5, a0\n"
    "1:\n\t"
    "slli t3, t1, 3\n\t"
    "add t3, t3, s6\n\t"
    "ld t2, 8(t3)\n\t"
    "add s2, s2, t2\n\t"
    "xor s3, s3, s2\n\t"
    "addi t1, t1, 1\n\t"
    "blt t1, a2, 1b\n\t"
    "add a0, s2, s3\n\t"
    "add a0, a0, s4\n\t"
    "add a0, a0, s5\n\t"
    "ld ra, 0(sp)\n\tld s2, 8(sp)\n\tld s3, 16(sp)\n\tld s4, 24(sp)\n\tld s5, 32(sp)\n\tld s6, 40(sp)\n\t"
    "addi sp, sp, 64\n\t"
    "ret\n");
uint64_t re_steps(const uint64_t *p, uint64_t *q, long n);

static sigjmp_buf jb;
static uintptr_t base;
static uint64_t seen[14];
static void on_segv(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  const ucontext_t *uc = ucv;
  const unsigned long *x = uc->uc_mcontext.__gregs; /* [0] pc, [n] x[n] */
  uintptr_t code = (uintptr_t)re_steps;
  seen[0] = (uintptr_t)si->si_addr - base;
  seen[1] = x[0] - code;                      /* pc */
  seen[2] = x[1] - code;                      /* ra */
  seen[3] = x[5] - base;                      /* t0 */
  seen[4] = x[6]; seen[5] = x[7];             /* t1 t2 */
  seen[6] = x[18]; seen[7] = x[19]; seen[8] = x[20]; seen[9] = x[21]; /* s2-s5 */
  seen[10] = x[22] - base;                    /* s6 */
  seen[11] = x[10]; seen[12] = x[11];         /* a0 a1 */
  seen[13] = x[12];                           /* a2 */
  siglongjmp(jb, 1);
}

int main(void) {
  long pg = 4096;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv; sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  /* rw rw | none | ro */
  char *m = mmap(0, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  base = (uintptr_t)m;
  for (long i = 0; i < 4 * pg; i++) m[i] = (char)(i * 29 + (i >> 5));
  mprotect(m + 2 * pg, pg, PROT_NONE);
  mprotect(m + 3 * pg, pg, PROT_READ);
  uint64_t h = 0;
  for (long i = 0; i < 40000; i++) h = h * 31 + re_steps((const uint64_t *)(m + 8 * (i & 255)), (uint64_t *)(m + pg + 8 * (i & 127)), 1 + (i & 15));
  printf("hot %016llx\n", (unsigned long long)h);
  for (int k = 0; k < 5; k++) {
    memset(seen, 0, sizeof seen);
    volatile int kk = k;
    const uint64_t *p = (const uint64_t *)(m + 8 * 3);
    uint64_t *q = (uint64_t *)(m + pg + 8 * 5);
    long n = 40;
    if (kk == 0) p = (const uint64_t *)(m + 2 * pg + 16);
    if (kk == 1) q = (uint64_t *)(m + 3 * pg + 24);
    if (kk == 2) p = (const uint64_t *)(m + 2 * pg - 8 * 23);
    if (kk == 3) { p = (const uint64_t *)(m + 2 * pg - 8 * 2); q = (uint64_t *)(m + 2 * pg - 8); }
    if (!sigsetjmp(jb, 1)) {
      h = re_steps(p, q, n);
      printf("no fault %d %016llx\n", k, (unsigned long long)h);
      continue;
    }
    printf("fault %d", k);
    for (int i = 0; i < 14; i++) printf(" %llx", (unsigned long long)seen[i]);
    printf("\n");
  }
  return 0;
}
