/* What Linux refuses when mapping files and advising memory (issue 11): a file's access mode
 * bounds its mappings (MAP_SHARED + PROT_WRITE of a read-only file, mprotect adding PROT_WRITE
 * to such a mapping, any mapping of a write-only file: EACCES), MADV_REMOVE needs a shared
 * mapping (private anonymous memory: EINVAL) and leaves memory it refuses untouched, madvise
 * checks its address, range and advice. MADV_REMOVE of a file mapped privately (by mmap, moved
 * by mremap, the program itself) is EACCES, of anonymous memory mapped over it EINVAL. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *err(long r) {
  if (r != -1 && r != (long)MAP_FAILED) return "ok";
  switch (errno) {
  case EACCES: return "EACCES";
  case EINVAL: return "EINVAL";
  case ENOMEM: return "ENOMEM";
  case ENODEV: return "ENODEV";
  default: return strerror(errno);
  }
}

int main(void) {
  const char *r;
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/mapperm-XXXXXX", dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0 || ftruncate(fd, 2 * 4096) < 0 || pwrite(fd, "abc", 3, 0) != 3) { perror("file"); return 1; }
  int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);

  void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
  printf("read-only file, MAP_SHARED rw: %s\n", err((long)m));
  m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
  printf("read-only file, MAP_SHARED r: %s\n", err((long)m));
  if (m != MAP_FAILED) {
    printf("  mprotect rw: %s\n", err(mprotect(m, 4096, PROT_READ | PROT_WRITE)));
    printf("  mprotect r: %s, reads %c\n", err(mprotect(m, 4096, PROT_READ)), ((char *)m)[0]);
    printf("  mprotect none then r: %s %s\n", err(mprotect(m, 4096, PROT_NONE)), err(mprotect(m, 4096, PROT_READ)));
    munmap(m, 4096);
  }
  m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  printf("read-only file, MAP_PRIVATE rw: %s", err((long)m));
  if (m != MAP_FAILED) {
    ((char *)m)[0] = 'z';
    printf(", mprotect r/rw: %s %s, reads %c", err(mprotect(m, 4096, PROT_READ)), err(mprotect(m, 4096, PROT_READ | PROT_WRITE)), ((char *)m)[0]);
    munmap(m, 4096);
  }
  printf("\n");
  printf("write-only file, MAP_SHARED r: %s\n", err((long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, wo, 0)));
  printf("write-only file, MAP_PRIVATE r: %s\n", err((long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, wo, 0)));

  /* (qemu-riscv64 7.2 accepts any advice: from here on compared with Linux only.) */
  char *pf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  pf[1] = 'y';
  r = err(madvise(pf, 4096, MADV_REMOVE));
  printf("read-write file, MAP_PRIVATE: MADV_REMOVE %s, reads %c%c", r, pf[0], pf[1]);
  pf = mremap(pf, 4096, 2 * 4096, MREMAP_MAYMOVE);
  printf(", after mremap: %s", err(madvise(pf, 2 * 4096, MADV_REMOVE)));
  mmap(pf + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf(", anonymous over its tail: %s\n", err(madvise(pf + 4096, 4096, MADV_REMOVE)));
  munmap(pf, 2 * 4096);
  char *text = (char *)((unsigned long)&main & ~4095UL);
  printf("program text: MADV_REMOVE %s\n", err(madvise(text, 4096, MADV_REMOVE)));

  char *a = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a, 'q', 2 * 4096);
  r = err(madvise(a, 4096, MADV_REMOVE));
  printf("private anonymous: MADV_REMOVE %s, reads %c\n", r, a[0]);
  printf("madvise misaligned: %s\n", err(madvise(a + 1, 4096, MADV_DONTNEED)));
  printf("madvise unknown advice: %s\n", err(madvise(a, 4096, 12345)));
  printf("madvise len 0: %s\n", err(madvise(a, 0, MADV_DONTNEED)));
  munmap(a + 4096, 4096);
  /* Whether the mapped part is advised before the hole is reported differs between kernels. */
  printf("madvise over a hole: %s\n", err(madvise(a, 2 * 4096, MADV_DONTNEED)));
  munmap(a, 4096);

  char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("read-write file, MAP_SHARED rw: %s, reads %c", err((long)s), s[0]);
  r = err(madvise(s, 4096, MADV_REMOVE));
  printf(", MADV_REMOVE %s, reads %d\n", r, s[0]);
  unlink(path);
  return 0;
}
