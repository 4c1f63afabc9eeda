/* Leaves inlined at calls (tests/user-codegen.test.js; tb-decode.ts decodeLeaf, translate-block.ts
 * inlineCall): a hot loop's `jal ra, li_leaf` to a small leaf on another page runs the leaf's
 * code inside the caller's region. Checked against qemu-riscv64:
 *   hot     the loop, many times (its region takes the leaf inline)
 *   fault   the leaf's load walks into a PROT_NONE page: si_addr, pc (in the leaf), ra (the
 *           return address) and the registers are exact
 *   patched the leaf's code rewritten by plain stores (with and without fence.i), then the loop
 *           again: the caller's inlined copy must go (its region watches the leaf's page)
 *   jalr    a call through a register (its target predicted) to a leaf with a branch, and to
 *           another target every 100th call; jalr fault: that leaf's loads fault
 *   hot patch  hot loops storing into the leaf between calls (one region: the store, the call)
 *   fetch fault  the leaf's page PROT_READ: the call faults at the leaf's pc, ra set
 *   again   executable again: the loop as before */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

/* li_leaf(p): a1 = *(int32 *)p + 5; a0 = a1 ^ (a1 << 3). Alone on its page. li_loop(p, n,
 * stride): s2 = sum over i < n of li_leaf(p + (i & 7) * 8 + i * stride). */
__asm__(
    ".text\n"
    ".p2align 12\n"
    ".option push\n"
    ".option norvc\n"
    ".globl li_leaf\n"
    ".globl li_leaf_fn\n"
    "li_leaf:\n"
    "li_leaf_fn:\n\t"
    "lw a1, 0(a0)\n\t"
    ".globl li_patch\n"
    "li_patch:\n\t"
    "addi a1, a1, 5\n\t"
    "slli a2, a1, 3\n\t"
    "xor a0, a1, a2\n\t"
    "ret\n"
    /* li_bleaf(p): a1 = p[0], a2 = p[1] (int32); a1 < a2 (unsigned) ? (a2 - a1) << 1 : (a1 - a2) ^ 1 */
    ".globl li_bleaf\n"
    "li_bleaf:\n\t"
    "lw a1, 0(a0)\n\t"
    "lw a2, 4(a0)\n\t"
    "bltu a1, a2, 1f\n\t"
    "sub a0, a1, a2\n\t"
    "xori a0, a0, 1\n\t"
    "ret\n"
    "1:\n\t"
    "sub a0, a2, a1\n\t"
    "slli a0, a0, 1\n\t"
    "ret\n"
    /* li_other(p): another target for the same call site */
    ".globl li_other\n"
    "li_other:\n\t"
    "lw a1, 0(a0)\n\t"
    "addi a0, a1, 77\n\t"
    "ret\n"
    ".option pop\n"
    ".p2align 12\n"
    /* li_cloop(p, n, f, g, stride): s2 = sum over i < n of h(p + (i & 7) * 4 + i * stride), h
     * = g when i % 100 == 99, else f: a call through a register (jalr) */
    ".globl li_cloop\n"
    "li_cloop:\n\t"
    "addi sp, sp, -64\n\t"
    "sd ra, 0(sp)\n\tsd s0, 8(sp)\n\tsd s1, 16(sp)\n\tsd s2, 24(sp)\n\tsd s3, 32(sp)\n\tsd s4, 40(sp)\n\tsd s5, 48(sp)\n\tsd s6, 56(sp)\n\t"
    "mv s0, a0\n\tmv s1, a1\n\tmv s5, a2\n\tmv s6, a3\n\tmv s4, a4\n\tli s2, 0\n\tli s3, 0\n"
    "1:\n\t"
    "andi t0, s3, 7\n\t"
    "slli t0, t0, 2\n\t"
    "add a0, s0, t0\n\t"
    "mv t1, s5\n\t"
    "li t2, 100\n\t"
    "remu t2, s3, t2\n\t"
    "li t3, 99\n\t"
    "bne t2, t3, 2f\n\t"
    "mv t1, s6\n"
    "2:\n\t"
    "jalr t1\n\t"
    "add s2, s2, a0\n\t"
    "add s0, s0, s4\n\t"
    "addi s3, s3, 1\n\t"
    "blt s3, s1, 1b\n\t"
    "mv a0, s2\n\t"
    "ld ra, 0(sp)\n\tld s0, 8(sp)\n\tld s1, 16(sp)\n\tld s2, 24(sp)\n\tld s3, 32(sp)\n\tld s4, 40(sp)\n\tld s5, 48(sp)\n\tld s6, 56(sp)\n\t"
    "addi sp, sp, 64\n\t"
    "ret\n"
    ".globl li_loop\n"
    "li_loop:\n\t"
    "addi sp, sp, -48\n\t"
    "sd ra, 0(sp)\n\tsd s0, 8(sp)\n\tsd s1, 16(sp)\n\tsd s2, 24(sp)\n\tsd s3, 32(sp)\n\tsd s4, 40(sp)\n\t"
    "mv s0, a0\n\tmv s1, a1\n\tmv s4, a2\n\tli s2, 0\n\tli s3, 0\n"
    "1:\n\t"
    "andi t0, s3, 7\n\t"
    "slli t0, t0, 3\n\t"
    "add a0, s0, t0\n\t"
    "jal li_leaf\n\t"
    "add s2, s2, a0\n\t"
    "add s2, s2, a2\n\t"
    "add s0, s0, s4\n\t"
    "addi s3, s3, 1\n\t"
    "blt s3, s1, 1b\n\t"
    "mv a0, s2\n\t"
    "ld ra, 0(sp)\n\tld s0, 8(sp)\n\tld s1, 16(sp)\n\tld s2, 24(sp)\n\tld s3, 32(sp)\n\tld s4, 40(sp)\n\t"
    "addi sp, sp, 48\n\t"
    "ret\n"
    ".globl li_ploop\n"
    "li_ploop:\n\t"
    "addi sp, sp, -48\n\t"
    "sd ra, 0(sp)\n\tsd s0, 8(sp)\n\tsd s1, 16(sp)\n\tsd s2, 24(sp)\n\tsd s3, 32(sp)\n\tsd s4, 40(sp)\n\t"
    "mv s0, a0\n\tmv s1, a1\n\tmv s4, a2\n\tli s2, 0\n\tli s3, 0\n"
    "1:\n\t"
    "andi t0, s3, 63\n\t"
    "bnez t0, 2f\n\t"
    "srli t0, s3, 6\n\t"
    "andi t0, t0, 7\n\t"
    "slli t0, t0, 20\n\t"
    "or t0, t0, s4\n\t"
    "lla t1, li_patch\n\t"
    "sw t0, 0(t1)\n"
    "2:\n\t"
    "andi t0, s3, 7\n\t"
    "slli t0, t0, 3\n\t"
    "add a0, s0, t0\n\t"
    "jal li_leaf\n\t"
    "add s2, s2, a0\n\t"
    "addi s3, s3, 1\n\t"
    "blt s3, s1, 1b\n\t"
    "mv a0, s2\n\t"
    "ld ra, 0(sp)\n\tld s0, 8(sp)\n\tld s1, 16(sp)\n\tld s2, 24(sp)\n\tld s3, 32(sp)\n\tld s4, 40(sp)\n\t"
    "addi sp, sp, 48\n\t"
    "ret\n"
    ".p2align 12\n");
uint64_t li_loop(const void *p, long n, long stride);
extern char li_leaf[], li_patch[];
uint64_t li_leaf_fn(const void *p); /* li_leaf, called from C */
/* li_ploop(p, n, word): li_loop's sum with stride 0, storing word | ((i >> 6 & 7) << 20) (an
 * addi a1, a1, imm) over li_patch every 64th call: the store and the inlined call in one loop. */
uint64_t li_ploop(const void *p, long n, uint32_t word);
uint64_t li_bleaf(const void *p), li_other(const void *p);
uint64_t li_cloop(const void *p, long n, uint64_t (*f)(const void *), uint64_t (*g)(const void *), long stride);

static sigjmp_buf jb;
static uintptr_t base;
static uint64_t seen[9];
static void on_segv(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  const ucontext_t *uc = ucv;
  const unsigned long *x = uc->uc_mcontext.__gregs; /* [0] pc, [n] x[n] */
  uintptr_t code = (uintptr_t)li_leaf;
  seen[0] = (uintptr_t)si->si_addr;
  seen[0] -= seen[0] >= code && seen[0] < code + 4096 ? code : base;
  seen[1] = x[0] - code;                      /* pc */
  seen[2] = x[1] - (uintptr_t)li_loop;        /* ra */
  seen[3] = x[10] - base;                     /* a0 */
  seen[4] = x[11]; seen[5] = x[12];           /* a1 a2 */
  seen[6] = x[18]; seen[7] = x[19];           /* s2 s3 */
  seen[8] = x[8] - base;                      /* s0 */
  siglongjmp(jb, 1);
}

static void show(const char *what, int k) {
  printf("%s %d", what, k);
  for (int i = 0; i < 9; i++) printf(" %llx", (unsigned long long)seen[i]);
  printf("\n");
}

int main(void) {
  long pg = 4096;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv; sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  /* rw rw | none */
  char *m = mmap(0, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  base = (uintptr_t)m;
  for (long i = 0; i < 2 * pg; i++) m[i] = (char)(i * 29 + (i >> 5));
  mprotect(m + 2 * pg, pg, PROT_NONE);
  uint64_t h = 0;
  for (long i = 0; i < 3000; i++) h = h * 31 + li_loop(m + 4 * (i & 511), 1 + (i & 63), 0);
  printf("hot %016llx\n", (unsigned long long)h);
  /* The leaf's load walks into the PROT_NONE page (stride 8 from a little before it). */
  for (volatile int k = 0; k < 3; k++) {
    memset(seen, 0, sizeof seen);
    if (!sigsetjmp(jb, 1)) {
      h = li_loop(m + 2 * pg - 8 * (40 + 7 * k), 1000, 8);
      printf("no fault %d %016llx\n", k, (unsigned long long)h);
      continue;
    }
    show("fault", k);
  }
  /* Calls through a register (jalr) to a leaf with a branch, another target now and then. */
  h = 0;
  for (long i = 0; i < 3000; i++) h = h * 31 + li_cloop(m + 4 * (i & 511), 1 + (i & 255), li_bleaf, li_other, 0);
  printf("jalr %016llx\n", (unsigned long long)h);
  /* Its loads walk into the PROT_NONE page: the first, then the second (p + 4). */
  for (volatile int k = 0; k < 4; k++) {
    memset(seen, 0, sizeof seen);
    if (!sigsetjmp(jb, 1)) {
      h = li_cloop(m + 2 * pg - 4 * (60 + 7 * k) - (k & 1) * 4, 1000, li_bleaf, li_other, 4);
      printf("no fault %d %016llx\n", 10 + k, (unsigned long long)h);
      continue;
    }
    seen[2] -= (uintptr_t)li_cloop - (uintptr_t)li_loop; /* ra from li_cloop */
    show("jalr fault", 10 + k);
  }
  /* The leaf rewritten by plain stores (its page made RWX), then the loop again: k = 0, 1
   * without fence.i (qemu-riscv64 and tsqemu both notice stores to code), k = 2, 3 with it. */
  uintptr_t lp = (uintptr_t)li_leaf & ~(uintptr_t)(pg - 1);
  mprotect((void *)lp, pg, PROT_READ | PROT_WRITE | PROT_EXEC);
  volatile uint32_t *ins = (volatile uint32_t *)li_patch;
  for (int k = 0; k < 4; k++) {
    *ins = (*ins & 0x000fffffu) | (uint32_t)(k & 1 ? -3 : 9 + 4 * k) << 20; /* addi a1, a1, imm */
    if (k >= 2) __builtin___clear_cache(li_leaf, li_leaf + 32);
    h = 0;
    for (long i = 0; i < 3000; i++) h = h * 31 + li_loop(m + 4 * (i & 511), 1 + (i & 63), 0);
    printf("patched %d %016llx\n", k, (unsigned long long)h);
  }
  /* A hot loop rewriting the leaf between calls (its store from translated code). */
  h = 0;
  for (long i = 0; i < 8000; i++) {
    if ((i & 63) == 0) *ins = (*ins & 0x000fffffu) | (uint32_t)(i >> 6 & 7) << 20;
    h = h * 31 + li_loop(m + 4 * (i & 511), 1 + (i & 7), 0);
  }
  /* The same with the leaf called straight from the rewriting loop (C, then asm: the store
   * and the inlined call in one region). */
  for (long i = 0; i < 8000; i++) {
    if ((i & 63) == 0) *ins = (*ins & 0x000fffffu) | (uint32_t)(i >> 6 & 7) << 20;
    h = h * 31 + li_leaf_fn(m + 4 * (i & 511));
  }
  for (long i = 0; i < 4; i++) h = h * 31 + li_ploop(m + 4 * i, 12000, 0x00058593u);
  printf("hot patch %016llx\n", (unsigned long long)h);
  mprotect((void *)lp, pg, PROT_READ);
  for (volatile int k = 0; k < 2; k++) {
    memset(seen, 0, sizeof seen);
    if (!sigsetjmp(jb, 1)) {
      h = li_loop(m, 100, 0);
      printf("no fault %d %016llx\n", 3 + k, (unsigned long long)h);
      continue;
    }
    seen[3] = seen[8] = 0; /* a0, s0: pointers into m */
    show("fetch fault", 3 + k);
  }
  mprotect((void *)lp, pg, PROT_READ | PROT_EXEC);
  h = 0;
  for (long i = 0; i < 3000; i++) h = h * 31 + li_loop(m + 4 * (i & 511), 1 + (i & 63), 0);
  printf("again %016llx\n", (unsigned long long)h);
  return 0;
}
