/* Anonymous memory reads as zeros however it comes back: a fresh mmap over dirty pages,
 * MAP_FIXED over a mapping, madvise(MADV_DONTNEED), mremap growth, munmap + mmap. Large PROT_NONE
 * reservations (Go's arenas) succeed and cost nothing until touched. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MB (1u << 20)

static int zeros(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i += 4096) if (p[i] || p[i + 4095]) return 0;
  return 1;
}

static void dirty(unsigned char *p, size_t n) { memset(p, 0xa5, n); }

int main(void) {
  const int prw = PROT_READ | PROT_WRITE, fl = MAP_PRIVATE | MAP_ANONYMOUS;
  unsigned char *a = mmap(0, 8 * MB, prw, fl, -1, 0);
  dirty(a, 8 * MB);
  unsigned char *b = mmap(a, 8 * MB, prw, fl | MAP_FIXED, -1, 0);
  printf("MAP_FIXED over dirty pages: same %d, zeros %d\n", a == b, zeros(b, 8 * MB));
  dirty(b, 8 * MB);
  madvise(b + MB, 4 * MB, MADV_DONTNEED);
  printf("MADV_DONTNEED: zeros inside %d, kept outside %d %d\n", zeros(b + MB, 4 * MB), b[0] == 0xa5, b[5 * MB] == 0xa5);
  dirty(b, 8 * MB);
  munmap(b, 8 * MB);
  unsigned char *c = mmap(0, 8 * MB, prw, fl, -1, 0);
  printf("mmap after munmap: zeros %d\n", zeros(c, 8 * MB));
  dirty(c, 8 * MB);
  munmap(c + 4 * MB, 4 * MB);
  unsigned char *d = mremap(c, 4 * MB, 8 * MB, MREMAP_MAYMOVE);
  printf("mremap growth: data kept %d, new part zeros %d\n", d[4 * MB - 1] == 0xa5, zeros(d + 4 * MB, 4 * MB));
  /* Reservations: PROT_NONE, then commit a piece. */
  for (int i = 0; i < 4; i++) {
    unsigned char *r = mmap(0, 512 * MB, PROT_NONE, fl | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) { printf("512 MiB reservation failed\n"); return 1; }
    mprotect(r + 64 * MB, 2 * MB, prw);
    int z = zeros(r + 64 * MB, 2 * MB);
    dirty(r + 64 * MB, 2 * MB);
    munmap(r, 512 * MB);
    if (i == 3) printf("512 MiB reservations: committed piece zeros %d\n", z);
  }
  unsigned char *big = mmap(0, 1536 * MB, PROT_NONE, fl | MAP_NORESERVE, -1, 0);
  printf("1.5 GiB reservation: %s\n", big == MAP_FAILED ? "failed" : "ok");
  return 0;
}
