// Address space larger than 4 GiB: reserve 6 GiB and 16 GiB with PROT_NONE + MAP_NORESERVE (as
// wasmtime, the JVM, V8 do), commit pages at the start, in the middle and at the end and use them,
// system calls to and from them (a buffer across two separately committed runs too), PROT_NONE
// again faults, munmap, madvise, MAP_FIXED high, /proc/self/maps, threads, fork. Prints only
// what does not depend on where the kernel places things (compared with qemu-riscv64).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define GiB (1ul << 30)
#define KiB 1024ul

static char *base;
static sigjmp_buf jb;
static volatile long fault_off;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  fault_off = (char *)si->si_addr - base;
  fault_code = si->si_code;
  siglongjmp(jb, 1);
}

/** Touch *p (a write when `w`): "ok" or the fault's offset from base and si_code. */
static void probe(const char *what, char *p, int w) {
  if (sigsetjmp(jb, 1) == 0) {
    if (w) *(volatile char *)p = 1; else (void)*(volatile char *)p;
    printf("%s: ok\n", what);
  } else {
    printf("%s: SIGSEGV at base+0x%lx code %d\n", what, fault_off, fault_code);
  }
}

static unsigned long sum(const unsigned char *p, size_t n) {
  unsigned long s = 0;
  for (size_t i = 0; i < n; i++) s = s * 31 + p[i];
  return s;
}

static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 7 + (i >> 9));
}

static int commit(char *p, size_t n) {
  if (mprotect(p, n, PROT_READ | PROT_WRITE) != 0) { printf("mprotect RW: %s\n", strerror(errno)); return -1; }
  return 0;
}

/* Threads: a counter under a mutex, both living in high memory. */
struct shared { pthread_mutex_t mu; long count; long seen; };
static struct shared *sh;

static void *worker(void *arg) {
  (void)arg;
  sh->seen = sh->count; // what the main thread wrote before the thread started
  for (int i = 0; i < 20000; i++) { pthread_mutex_lock(&sh->mu); sh->count++; pthread_mutex_unlock(&sh->mu); }
  return NULL;
}

static void reservation(size_t size, const char *name) {
  base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) { printf("%s: mmap: %s\n", name, strerror(errno)); return; }
  printf("%s: reserved, page aligned %d\n", name, ((uintptr_t)base & 4095) == 0);
  size_t mid = size / 2 + 3 * 4096, end = size - 64 * KiB;
  probe("reserved, not committed", base + mid, 0);
  if (commit(base, 64 * KiB) || commit(base + mid, 64 * KiB) || commit(base + end, 64 * KiB)) return;
  fill((unsigned char *)base, 64 * KiB, 1);
  fill((unsigned char *)base + mid, 64 * KiB, 2);
  fill((unsigned char *)base + end, 64 * KiB, 3);
  printf("%s: sums %lx %lx %lx\n", name, sum((unsigned char *)base, 64 * KiB),
         sum((unsigned char *)base + mid, 64 * KiB), sum((unsigned char *)base + end, 64 * KiB));
  probe("committed start", base, 1);
  probe("committed end", base + size - 1, 1);
  probe("just past the committed end", base + end - 1, 0);
  if (munmap(base, size) != 0) printf("munmap: %s\n", strerror(errno));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);

  reservation(16 * GiB, "16 GiB");

  size_t size = 6 * GiB;
  base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) { printf("6 GiB: mmap: %s\n", strerror(errno)); return 1; }
  printf("6 GiB: reserved\n");
  char *a = base, *m = base + 5 * GiB, *z = base + size - 64 * KiB;
  if (commit(a, 64 * KiB) || commit(m, 64 * KiB) || commit(z, 64 * KiB)) return 1;
  fill((unsigned char *)m, 8192, 9);
  printf("middle sum %lx\n", sum((unsigned char *)m, 8192));

  // write() from high memory, read() into high memory.
  int pfd[2];
  if (pipe(pfd) != 0) return 1;
  printf("write %zd\n", write(pfd[1], m, 8192));
  printf("read %zd\n", read(pfd[0], z, 8192));
  printf("copied sum %lx same %d\n", sum((unsigned char *)z, 8192), memcmp(m, z, 8192) == 0);

  // A buffer across two separately committed runs (their memory need not be adjacent).
  char *two = base + 4 * GiB + 256 * KiB;
  if (commit(two, 4096) || commit(two + 4096, 4096)) return 1;
  fill((unsigned char *)two, 8192, 5);
  printf("write across %zd\n", write(pfd[1], two + 1000, 6000));
  memset(two, 0, 8192);
  printf("read across %zd\n", read(pfd[0], two + 2000, 6000));
  fill((unsigned char *)a, 8192, 5);
  printf("across same %d\n", memcmp(two + 2000, a + 1000, 6000) == 0);
  // Misaligned 8-byte accesses across the two runs (the load/store slow path splits them).
  unsigned long v;
  __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(two + 4093) : "memory");
  printf("ld across %lx\n", v);
  __asm__ volatile("sd %0, 0(%1)" : : "r"(0x1122334455667788ul), "r"(two + 4091) : "memory");
  printf("sd across %x %x\n", two[4091], two[4098]);

  // Protection changes: PROT_NONE faults (data kept), read-only refuses writes.
  m[100] = 42;
  mprotect(m, 4096, PROT_NONE);
  probe("PROT_NONE read", m + 100, 0);
  mprotect(m, 4096, PROT_READ);
  printf("kept %d\n", m[100]);
  probe("PROT_READ write", m + 100, 1);
  probe("PROT_READ read", m + 100, 0);
  mprotect(m, 4096, PROT_READ | PROT_WRITE);

  // madvise(MADV_DONTNEED): private anonymous memory reads as zeros again.
  printf("madvise %d\n", madvise(m, 4096, MADV_DONTNEED));
  printf("after DONTNEED %d %d\n", m[100], m[4096] == ((unsigned char)(9 + 4096 * 7 + 8)));

  // munmap of a piece in the middle: unmapped, the rest still there.
  printf("munmap %d\n", munmap(m + 16 * KiB, 16 * KiB));
  probe("unmapped page", m + 20 * KiB, 0);
  errno = 0;
  printf("mprotect unmapped %d %s\n", mprotect(m + 16 * KiB, 4096, PROT_READ), strerror(errno));
  probe("after the hole", m + 40 * KiB, 1);

  // Threads sharing high memory: a mutex and a counter in it.
  sh = (struct shared *)(a + 32 * KiB);
  pthread_mutex_init(&sh->mu, NULL);
  sh->count = 1000;
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  printf("threads: count %ld, a thread saw >= 1000: %d\n", sh->count, sh->seen >= 1000);

  // fork: the child sees the parent's high memory, its writes stay its own.
  a[5] = 77;
  pid_t pid = fork();
  if (pid == 0) { int v = a[5]; a[5] = 1; _exit(v); }
  int st = 0;
  waitpid(pid, &st, 0);
  printf("fork: child saw %d, parent still %d\n", WEXITSTATUS(st), a[5]);

  // MAP_FIXED at a high address; MAP_FIXED_NOREPLACE over it; /proc/self/maps there.
  char *fx = (char *)0x2000000000ul;
  char *f = mmap(fx, 64 * KiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED high: %d\n", f == fx);
  fill((unsigned char *)f, 64 * KiB, 4);
  printf("fixed sum %lx\n", sum((unsigned char *)f, 64 * KiB));
  mprotect(fx + 16 * KiB, 16 * KiB, PROT_READ);
  f = mmap(fx + 48 * KiB, 16 * KiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED over part: %d zero %d kept %d\n", f == fx + 48 * KiB, f[0], fx[1] == (char)(4 + 7));
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512];
  while (maps && fgets(line, sizeof line, maps)) {
    unsigned long lo = strtoul(line, NULL, 16);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' ')) line[--n] = 0;
    if (lo >= 0x2000000000ul && lo < 0x2100000000ul) printf("maps: %s\n", line);
  }
  if (maps) fclose(maps);
  printf("munmap fixed %d\n", munmap(fx, 64 * KiB));
  base = fx;
  probe("fixed after munmap", fx, 0);
  base = a;
  printf("munmap 6 GiB %d\n", munmap(base, size));
  probe("6 GiB after munmap", a, 0);

  // Reservations that together fill more than the low 4 GiB, then memory that is used: whatever
  // no longer fits low goes above it.
  char *r[17];
  for (int i = 0; i < 17; i++) {
    r[i] = mmap(NULL, 256 * (1ul << 20), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r[i] == MAP_FAILED) { printf("reservation %d: %s\n", i, strerror(errno)); return 1; }
  }
  char *q = mmap(NULL, 1ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (q == MAP_FAILED) { printf("after 17 reservations: %s\n", strerror(errno)); return 1; }
  q[0] = 5; q[(1 << 20) - 1] = 6;
  printf("after 17 reservations: %d %d\n", q[0], q[(1 << 20) - 1]);
  for (int i = 0; i < 17; i++) munmap(r[i], 256 * (1ul << 20));
  munmap(q, 1ul << 20);
  return 0;
}
