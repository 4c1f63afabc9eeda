/* Memory calls LTP found different from qemu-riscv64 (README "LTP syscalls against qemu-riscv64",
 * round 15): mprotect over a shared file's pages past its end and over a hole (mprotect05),
 * /dev/zero opened read-only and mapped MAP_SHARED never writable (mprotect01), /proc/self/maps
 * showing what was asked for (-w- for PROT_WRITE alone: mmap04), a private file mapping's pages
 * past the file's end raising SIGBUS, a write-sealed memfd refusing writable shared mappings
 * (memfd_create01); mremap's MREMAP_FIXED checks (mremap05), an unaligned address near 2^64
 * and MS_INVALIDATE over locked pages (msync03), unlinkat/fstatat/statx flag checks (unlinkat01, fstatat01, statx03), ioctl on an
 * O_PATH fd (open13), mincore of fresh and locked pages (mincore03). Prints results, never addresses. Run in a scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static long pg;

static void res(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "ok");
}

/* The permissions /proc/self/maps shows for the mapping holding `addr`. */
static void maps_perms(const char *what, void *addr) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512], perms[8] = "?";
  unsigned long a = (unsigned long)addr, lo, hi;
  while (f && fgets(line, sizeof line, f)) {
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi) break;
    strcpy(perms, "?");
  }
  if (f) fclose(f);
  printf("%s: %s\n", what, perms);
}

static sigjmp_buf jb;
static volatile int got_sig, got_code;
static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  got_sig = sig;
  got_code = si->si_code;
  siglongjmp(jb, 1);
}

/* Read one byte of `p`: the signal and code it raised, or none. */
static void touch(const char *what, volatile char *p) {
  got_sig = got_code = 0;
  if (!sigsetjmp(jb, 1)) {
    char c = *p;
    (void)c;
  }
  printf("%s: signal %d code %d\n", what, got_sig, got_code);
}

int main(void) {
  pg = sysconf(_SC_PAGESIZE);
  struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);

  /* mincore03: fresh private anonymous pages are not resident; locked ones are (first thing:
   * the range was never used). */
  {
    unsigned char vec[3];
    char *r = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mincore(r, 3 * pg, vec);
    printf("mincore fresh: %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1);
    r[pg] = 1;
    mincore(r, 3 * pg, vec);
    printf("mincore one written: %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1);
    res("mlock", mlock(r, 3 * pg));
    mincore(r, 3 * pg, vec);
    printf("mincore locked: %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1);
    res("munlock", munlock(r, 3 * pg));
    munmap(r, 3 * pg);
  }

  /* mprotect05: a shared mapping of an empty file is mapped (every page past its end). */
  int fd = open("empty", O_RDWR | O_CREAT | O_TRUNC, 0600);
  char *m = mmap(NULL, 5 * pg, PROT_READ, MAP_SHARED, fd, 0);
  res("mmap empty file shared", m == MAP_FAILED ? -1 : 0);
  res("mprotect past EOF exec", mprotect(m + pg, pg, PROT_EXEC));
  res("mprotect past EOF write", mprotect(m + 3 * pg, pg, PROT_WRITE));
  res("mprotect past EOF read", mprotect(m + pg, 4 * pg, PROT_READ));
  touch("read past EOF shared", m + pg);
  munmap(m, 5 * pg);
  close(fd);

  /* A hole in the range: ENOMEM; an unmapped range: ENOMEM; address 0: ENOMEM. */
  m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + pg, pg);
  res("mprotect over a hole", mprotect(m, 3 * pg, PROT_READ));
  res("mprotect unmapped", mprotect(m + pg, pg, PROT_READ));
  res("mprotect null", mprotect(NULL, pg + 1, PROT_READ));
  munmap(m, 3 * pg);

  /* mprotect01: /dev/zero opened read-only, mapped shared: no PROT_WRITE ever (EACCES). */
  fd = open("/dev/zero", O_RDONLY);
  m = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
  res("mmap /dev/zero ro shared read", m == MAP_FAILED ? -1 : 0);
  res("mprotect /dev/zero ro shared write", mprotect(m, pg, PROT_WRITE));
  munmap(m, pg);
  errno = 0;
  m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  res("mmap /dev/zero ro shared write", m == MAP_FAILED ? -1 : 0);
  if (m != MAP_FAILED) munmap(m, pg);
  m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  res("mmap /dev/zero ro private write", m == MAP_FAILED ? -1 : 0);
  if (m != MAP_FAILED) munmap(m, pg);
  close(fd);

  /* mmap04: /proc/self/maps shows the protection asked for. */
  static const int prots[] = { PROT_NONE, PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE, PROT_EXEC,
                               PROT_WRITE | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC };
  for (unsigned i = 0; i < sizeof prots / sizeof prots[0]; i++) {
    char what[64];
    m = mmap(NULL, pg, prots[i], MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    snprintf(what, sizeof what, "maps private prot %d", prots[i]);
    maps_perms(what, m);
    munmap(m, pg);
    m = mmap(NULL, pg, prots[i], MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    snprintf(what, sizeof what, "maps shared prot %d", prots[i]);
    maps_perms(what, m);
    munmap(m, pg);
  }
  m = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(m, pg, PROT_WRITE);
  maps_perms("maps after mprotect write", m);
  maps_perms("maps after mprotect, other page", m + pg);
  mprotect(m, pg, PROT_READ | PROT_WRITE);
  maps_perms("maps after mprotect read write", m);
  munmap(m, 2 * pg);

  /* A private file mapping: the page holding the end reads zeros after it, the pages past it
   * raise SIGBUS (BUS_ADRERR); the file grown later is still SIGBUS there for a fresh mapping of
   * only the old size. */
  fd = open("short", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (write(fd, "0123456789", 10) != 10) return 1;
  m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  res("mmap short file private", m == MAP_FAILED ? -1 : 0);
  touch("read in file", m + 5);
  touch("read after end, same page", m + 100);
  touch("read a page past end", m + pg);
  touch("read two pages past end", m + 2 * pg + 8);
  res("mprotect past end private", mprotect(m + pg, 2 * pg, PROT_READ));
  maps_perms("maps private file", m);
  munmap(m, 3 * pg);
  m = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, pg);
  res("mmap private at offset past end", m == MAP_FAILED ? -1 : 0);
  touch("read private at offset past end", m);
  munmap(m, 2 * pg);
  close(fd);

  /* memfd_create01: a write-sealed memfd refuses writable shared mappings (EPERM) and a
   * read-only shared mapping never becomes writable; private ones are fine. */
  fd = syscall(SYS_memfd_create, "sealed", 2 /* MFD_ALLOW_SEALING */);
  if (ftruncate(fd, 2 * pg) != 0) return 1;
  res("F_ADD_SEALS write", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  res("mmap sealed shared read write", m == MAP_FAILED ? -1 : 0);
  m = mmap(NULL, 2 * pg, PROT_WRITE, MAP_SHARED, fd, 0);
  res("mmap sealed shared write", m == MAP_FAILED ? -1 : 0);
  m = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
  res("mmap sealed shared read", m == MAP_FAILED ? -1 : 0);
  res("mprotect sealed shared write (fails)", mprotect(m, 2 * pg, PROT_READ | PROT_WRITE) < 0 ? -1 : 0);
  munmap(m, 2 * pg);
  m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  res("mmap sealed private read write", m == MAP_FAILED ? -1 : 0);
  if (m != MAP_FAILED) { m[0] = 1; munmap(m, 2 * pg); }
  close(fd);

  /* mremap05: MREMAP_FIXED needs MREMAP_MAYMOVE, an aligned new address, no overlap. */
  m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + 2 * pg, 2 * pg);
  res("mremap FIXED without MAYMOVE", mremap(m, pg, pg, MREMAP_FIXED, m + 2 * pg) == MAP_FAILED ? -1 : 0);
  res("mremap FIXED unaligned", mremap(m, pg, pg, MREMAP_FIXED | MREMAP_MAYMOVE, m + 2 * pg + 1) == MAP_FAILED ? -1 : 0);
  res("mremap FIXED overlapping", mremap(m, 2 * pg, pg, MREMAP_FIXED | MREMAP_MAYMOVE, m + pg) == MAP_FAILED ? -1 : 0);
  res("mremap bad flags", mremap(m, pg, pg, 0x100) == MAP_FAILED ? -1 : 0);
  m[0] = 7;
  char *n = mremap(m, pg, pg, MREMAP_FIXED | MREMAP_MAYMOVE, m + 2 * pg);
  res("mremap FIXED", n == m + 2 * pg ? 0 : -1);
  printf("moved byte: %d\n", n == m + 2 * pg ? n[0] : -1);
  munmap(m, 4 * pg);

  /* msync03: an address near 2^64 is unaligned (EINVAL), not unmapped. */
  res("msync at ~0", msync((void *)~0UL, pg, MS_SYNC));
  res("mprotect at ~0", mprotect((void *)~0UL, pg, PROT_READ));
  res("munmap at ~0", munmap((void *)~0UL, pg));

  /* msync03: MS_INVALIDATE over locked pages (MAP_LOCKED, mlock) is EBUSY. */
  fd = open("locked", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (ftruncate(fd, pg) != 0) return 1;
  m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
  res("msync MS_INVALIDATE on MAP_LOCKED", msync(m, pg, MS_INVALIDATE));
  res("msync MS_SYNC on MAP_LOCKED", msync(m, pg, MS_SYNC));
  munmap(m, pg);
  m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  res("msync MS_INVALIDATE", msync(m, pg, MS_INVALIDATE));
  mlock(m, pg);
  res("msync MS_INVALIDATE after mlock", msync(m, pg, MS_INVALIDATE));
  munlock(m, pg);
  res("msync MS_INVALIDATE after munlock", msync(m, pg, MS_INVALIDATE));
  munmap(m, pg);
  close(fd);

  /* unlinkat01, fstatat01, statx03: flags Linux does not know are EINVAL (before the path). */
  fd = open("afile", O_RDWR | O_CREAT, 0600);
  res("unlinkat flags 9999", unlinkat(AT_FDCWD, "afile", 9999));
  res("unlinkat REMOVEDIR on a file", unlinkat(AT_FDCWD, "afile", AT_REMOVEDIR));
  struct stat st;
  res("fstatat flags 9999", fstatat(AT_FDCWD, "afile", &st, 9999));
  struct statx stx;
  res("statx flags -1", statx(AT_FDCWD, "afile", -1, 0, &stx));
  res("statx mask -1", statx(AT_FDCWD, "afile", 0, -1, &stx));
  res("statx both sync types", statx(AT_FDCWD, "afile", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, 0, &stx));
  res("statx ok", statx(AT_FDCWD, "afile", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &stx));
  close(fd);

  /* open13: an O_PATH descriptor does no ioctl (EBADF). */
  fd = open("afile", O_PATH);
  int nb = 0;
  res("ioctl FIONREAD on O_PATH", ioctl(fd, FIONREAD, &nb));
  res("ioctl TCGETS on O_PATH", ioctl(fd, 0x5401, &nb));
  int d = dup(fd);
  res("ioctl on dup of O_PATH", ioctl(d, FIONREAD, &nb));
  close(d);
  close(fd);
  unlink("afile");
  return 0;
}
