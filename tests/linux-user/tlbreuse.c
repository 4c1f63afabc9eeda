/* Accesses with the same base register in one straight-line run (tests/user-codegen.test.js):
 * the block compiler reuses the first access's TLB entry for the next ones when they fall in the
 * same page (DisasContext.tlbReuse). Each later access must still fault, or reach the right
 * page, when it lies in another page: a PROT_NONE page, a read-only page for stores, pages
 * unmapped and remapped between iterations, accesses straddling the boundary. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static volatile uintptr_t fault_addr;
static void on_segv(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; fault_addr = (uintptr_t)si->si_addr; siglongjmp(jb, 1); }

/* Three loads off one base: offsets 0, 8 and off (off near a page size). */
static uint64_t loads(const char *p, long off) {
  uint64_t a, b, c;
  __asm__ volatile("ld %0, 0(%3)\n\tld %1, 8(%3)\n\tadd %2, %3, %4\n\tld %2, 0(%2)"
                   : "=&r"(a), "=&r"(b), "=&r"(c) : "r"(p), "r"(off) : "memory");
  return a * 3 + b * 5 + c * 7;
}
/* The same with constant offsets in the instructions themselves (one base register). */
static uint64_t loads_imm(const char *p) {
  uint64_t a, b, c, d;
  __asm__ volatile("lw %0, 0(%4)\n\tlhu %1, 2044(%4)\n\tlbu %2, -2048(%4)\n\tld %3, 2040(%4)"
                   : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d) : "r"(p) : "memory");
  return a + b * 3 + c * 5 + d * 7;
}
static void stores(char *p, uint64_t v) {
  __asm__ volatile("sd %1, 0(%0)\n\tsw %1, 8(%0)\n\tsh %1, 2040(%0)\n\tsd %1, 2047(%0)" : : "r"(p), "r"(v) : "memory");
}

int main(void) {
  long pg = 4096;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv; sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  /* rw | rw | none | ro */
  char *m = mmap(0, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (long i = 0; i < 4 * pg; i++) m[i] = (char)(i * 7 + (i >> 8));
  mprotect(m + 2 * pg, pg, PROT_NONE);
  mprotect(m + 3 * pg, pg, PROT_READ);
  uint64_t h = 0;
  int faults = 0;
  /* Bases walking across the pages, every 8 bytes near the boundaries: loads, then stores. */
  for (int rep = 0; rep < 3; rep++) {
    for (long base = pg - 64; base < 3 * pg + 64; base += (base % pg < 64 || base % pg > pg - 2100) ? 8 : 1024) {
      for (int k = 0; k < 4; k++) {
        volatile int step = k;
        if (sigsetjmp(jb, 1)) { faults++; h = h * 31 + (fault_addr - (uintptr_t)m); continue; }
        if (step == 0) h = h * 31 + loads(m + base, 4088);
        else if (step == 1) h = h * 31 + loads(m + base, 16);
        else if (step == 2) h = h * 31 + loads_imm(m + base + 2048);
        else if (base < 2 * pg) stores(m + base, h);
        else stores(m + base - pg, h); /* the ro page for its last stores */
      }
    }
  }
  printf("walk %016llx faults %d\n", (unsigned long long)h, faults);
  /* Unmap and remap the second page between iterations of a hot loop: a load through a base
   * register kept across the call faults while unmapped, sees fresh zeroes after. */
  h = 0; faults = 0;
  for (int i = 0; i < 4000; i++) {
    volatile int phase = i % 4;
    if (phase == 1) munmap(m + pg, pg);
    if (phase == 2) mmap(m + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (sigsetjmp(jb, 1)) { faults++; h = h * 31 + (fault_addr - (uintptr_t)m); continue; }
    h = h * 31 + loads(m + pg - 16, 24);
    if (phase == 3) stores(m + pg, i);
  }
  printf("remap %016llx faults %d\n", (unsigned long long)h, faults);
  return 0;
}
