/* Loads and stores in hot code that miss the soft TLB (tests/user-codegen.test.js): in user
 * mode the block compiler accesses such a page directly when linux-user's page protection table
 * allows it (translate-block.ts pushDirectOk), instead of leaving for the interpreter. Each of
 * these walks covers more pages than the TLB holds, so most accesses take that path; each must
 * still fault where qemu-riscv64 faults: PROT_NONE and read-only pages, accesses straddling
 * into one, pages unmapped and mapped again with other contents, a shared file mapping's pages
 * past EOF (SIGBUS), addresses far above the address space whose low 32 bits name accessible
 * pages; and a store into a page of hot code (no fence.i) changes what that code does next. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096L
#define NPAGES 3072L /* 12 MiB: three times the TLB's reach */

static sigjmp_buf jb;
static volatile uintptr_t fault_addr;
static volatile int fault_sig;
static volatile long cur;
static volatile uint64_t sum;
static volatile int faults;
static volatile uint64_t fsum;

static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc; fault_sig = sig; fault_addr = (uintptr_t)si->si_addr; siglongjmp(jb, 1);
}

#define WALK(name, T) \
  static __attribute__((noinline)) void name(const char *p, long n, long stride, long off) { \
    for (; cur < n; cur++) sum = sum * 31 + *(const volatile T *)(p + cur * stride + off); }
WALK(walk8, uint64_t)
WALK(walk4, uint32_t)
WALK(walk2, uint16_t)
WALK(walk1, uint8_t)
#define STORE(name, T) \
  static __attribute__((noinline)) void name(char *p, long n, long stride, long off) { \
    for (; cur < n; cur++) { *(volatile T *)(p + cur * stride + off) = (T)(cur * 0x9e3779b1u + 7); sum = sum * 31 + (uint64_t)cur; } }
STORE(store8, uint64_t)
STORE(store4, uint32_t)
STORE(store2, uint16_t)
STORE(store1, uint8_t)

/* Sum of the walk's region, to compare what the stores left. */
static uint64_t digest(const char *p, long pages) {
  uint64_t h = 0;
  for (long i = 0; i < pages * PG; i += 8) h = h * 1000003 + *(const uint64_t *)(p + i);
  return h;
}

typedef void (*walk_fn)(const char *, long, long, long);
typedef void (*store_fn)(char *, long, long, long);

static void run_any(const char *tag, walk_fn fn, store_fn sfn, const char *p, long n, long stride, long off) {
  cur = 0; sum = 0; faults = 0; fsum = 0;
  if (sigsetjmp(jb, 1)) {
    faults = faults + 1;
    fsum = fsum * 131 + (uint64_t)(fault_addr - (uintptr_t)p) + (uint64_t)fault_sig;
    cur = cur + 1;
  }
  if (fn) fn(p, n, stride, off); else sfn((char *)p, n, stride, off);
  printf("%-10s sum %016llx faults %d fsum %016llx\n", tag, (unsigned long long)sum, faults, (unsigned long long)fsum);
}

static void run(const char *tag, walk_fn fn, const char *p, long n, long stride, long off) { run_any(tag, fn, 0, p, n, stride, off); }
static void srun(const char *tag, store_fn fn, char *p, long n, long stride, long off) { run_any(tag, 0, fn, p, n, stride, off); }

static void fill(char *m, long pages, unsigned seed) {
  for (long pgi = 0; pgi < pages; pgi++)
    for (long i = 0; i < PG; i += 8) *(uint64_t *)(m + pgi * PG + i) = (uint64_t)(pgi * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)(i * seed) ^ seed;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault; sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);

  char *m = mmap(0, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 1;
  fill(m, NPAGES, 0x5bd1e995u);
  for (long pgi = 0; pgi < NPAGES; pgi += 37) mprotect(m + pgi * PG, PG, PROT_NONE);
  for (int rep = 0; rep < 2; rep++) {
    run("walk8", walk8, m, NPAGES - 1, PG + 8, 0);
    run("walk4", walk4, m, NPAGES - 1, PG + 4, 12);
    run("walk2", walk2, m, NPAGES - 1, PG, 2046);
    run("walk1", walk1, m, NPAGES - 1, PG, 4095);
    /* Straddling the end of each page: faults where the next page is PROT_NONE. */
    run("straddle8", walk8, m, NPAGES - 1, PG, PG - 4);
    run("straddle4", walk4, m, NPAGES - 1, PG, PG - 2);
    run("straddle2", walk2, m, NPAGES - 1, PG, PG - 1);
    run("inpage8", walk8, m, NPAGES - 1, PG, PG - 8);
  }

  /* Unmap a range the walks read, then map other contents there (and leave a hole). */
  munmap(m + 100 * PG, 200 * PG);
  run("hole", walk8, m, NPAGES - 1, PG, 16);
  char *r = mmap(m + 100 * PG, 150 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (r != m + 100 * PG) return 2;
  fill(r, 150, 0x1234567u);
  run("remap", walk8, m, NPAGES - 1, PG, 16);
  mprotect(m + 300 * PG, (NPAGES / 2 - 300) * PG, PROT_NONE);
  run("mprotect", walk8, m, NPAGES - 1, PG, 24);
  mprotect(m + 300 * PG, (NPAGES / 2 - 300) * PG, PROT_READ);
  run("reread", walk4, m, NPAGES - 1, PG, 28);

  /* Far above the address space, with the low 32 bits of readable pages. */
  run("far40", walk8, m + (1L << 40), 64, PG * 7, 8);
  run("far32", walk8, m + (1L << 32) * 3, 64, PG * 7, 8);

  /* Stores: PROT_NONE pages (every 37th) and read-only pages (every 41st) in the walk. */
  /* (Two calls: [250, 300) is a hole, and Linux's mprotect over one changes the part before.) */
  mprotect(m, 250 * PG, PROT_READ | PROT_WRITE);
  mprotect(m + 300 * PG, (NPAGES - 300) * PG, PROT_READ | PROT_WRITE);
  for (long pgi = 0; pgi < NPAGES; pgi += 37) mprotect(m + pgi * PG, PG, PROT_NONE);
  for (long pgi = 5; pgi < NPAGES; pgi += 41) mprotect(m + pgi * PG, PG, PROT_READ);
  for (int rep = 0; rep < 2; rep++) {
    srun("store8", store8, m, NPAGES - 1, PG + 8, 0);
    srun("store4", store4, m, NPAGES - 1, PG + 4, 12);
    srun("store2", store2, m, NPAGES - 1, PG, 2046);
    srun("store1", store1, m, NPAGES - 1, PG, 4095);
    srun("sstraddle8", store8, m, NPAGES - 1, PG, PG - 4);
    srun("sstraddle2", store2, m, NPAGES - 1, PG, PG - 1);
    srun("sfar40", store8, m + (1L << 40), 64, PG * 7, 8);
  }
  for (long pgi = 0; pgi < NPAGES; pgi += 37) mprotect(m + pgi * PG, PG, PROT_READ);
  printf("stored     %016llx\n", (unsigned long long)(digest(m, 250) ^ digest(m + 300 * PG, NPAGES - 300)));

  /* Hot code rewritten by stores that miss the TLB (no fence.i: both emulators watch the page). */
  uint32_t *code = mmap(0, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) return 6;
  code[0] = 0x00000513u; /* li a0, 0 */
  code[1] = 0x00008067u; /* ret */
  long (*fn)(void) = (long (*)(void))(uintptr_t)code;
  uint64_t got = 0;
  char *big = m + 300 * PG;
  mprotect(big, 2048 * PG, PROT_READ | PROT_WRITE);
  for (long i = 1; i < 400; i++) {
    /* Evict the code page's entries: a store on each of 2048 pages. */
    for (long j = 0; j < 2048; j++) big[j * PG + (i & 63) * 8] = (char)i;
    code[0] = 0x00000513u | (uint32_t)((i & 0x7ff) << 20); /* li a0, i */
    got = got * 7 + (uint64_t)fn();
  }
  printf("smc        %016llx\n", (unsigned long long)got);

  /* A shared file mapping of 3 pages over a 1-page file: pages 1 and 2 are past EOF (SIGBUS). */
  char path[] = "/tmp/directloadXXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return 3;
  unlink(path);
  char page[PG];
  for (long i = 0; i < PG; i++) page[i] = (char)(i * 13 + 1);
  if (write(fd, page, PG) != PG) return 4;
  char *f = mmap(0, 3 * PG, PROT_READ, MAP_SHARED, fd, 0);
  if (f == MAP_FAILED) return 5;
  /* Pages of the big mapping between the file's pages keep the TLB from holding them. */
  for (int rep = 0; rep < 3; rep++) {
    run("big", walk8, m + NPAGES * PG / 2, NPAGES / 2 - 1, PG, 40);
    run("eof", walk8, f, 3 * 8, PG / 8, 0);
  }
  return 0;
}
