/* Lazily zeroed guest memory (tests/user-memory.test.js): fresh and reused pages read as zeros
 * whatever size the mapping (small runs are zeroed by writing, large ones given back), data
 * survives mprotect, and a forked child sees its parent's data, zeros in a reservation it never
 * touched, and its own writes only. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define KB 1024u
#define MB (1u << 20)

static int zeros(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) if (p[i]) return 0;
  return 1;
}

int main(void) {
  const int prw = PROT_READ | PROT_WRITE, fl = MAP_PRIVATE | MAP_ANONYMOUS;
  /* Small mappings (below the discard size) reused at the same address. */
  int ok = 1;
  for (int round = 0; round < 20; round++) {
    size_t n = (size_t)(1 + round % 15) * 4 * KB;
    unsigned char *p = mmap(0, n, prw, fl, -1, 0);
    ok &= zeros(p, n);
    memset(p, 0x5a, n);
    munmap(p, n);
  }
  printf("small mmap/munmap reuse: zeros %d\n", ok);
  /* MAP_FIXED of a few pages over dirty ones, and mprotect round trips keeping data. */
  unsigned char *a = mmap(0, 64 * KB, prw, fl, -1, 0);
  memset(a, 0x11, 64 * KB);
  mmap(a + 8 * KB, 12 * KB, prw, fl | MAP_FIXED, -1, 0);
  printf("MAP_FIXED 3 pages: zeros %d, neighbours kept %d %d\n", zeros(a + 8 * KB, 12 * KB), a[8 * KB - 1] == 0x11, a[20 * KB] == 0x11);
  mprotect(a, 64 * KB, PROT_NONE);
  mprotect(a, 64 * KB, PROT_READ);
  printf("mprotect round trip: data kept %d\n", a[0] == 0x11 && a[63 * KB] == 0x11);
  /* A reservation, committed in pieces, then fork. */
  unsigned char *r = mmap(0, 256 * MB, PROT_NONE, fl | MAP_NORESERVE, -1, 0);
  mprotect(r, 1 * MB, prw);
  memset(r, 0x22, 1 * MB);
  mmap(r + 128 * MB, 16 * KB, prw, fl | MAP_FIXED, -1, 0);
  printf("committed piece zeros %d\n", zeros(r + 128 * MB, 16 * KB));
  r[128 * MB] = 0x33;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    mprotect(r + 200 * MB, 64 * KB, prw);
    int z = zeros(r + 200 * MB, 64 * KB);
    printf("child: parent data %d %d, untouched reservation zeros %d\n", r[MB - 1] == 0x22, r[128 * MB] == 0x33, z);
    memset(r, 0x44, 4096);
    r[128 * MB] = 0x55;
    return 0;
  }
  int st;
  waitpid(pid, &st, 0);
  printf("parent after child: own data %d %d, exit %d\n", r[0] == 0x22, r[128 * MB] == 0x33, WEXITSTATUS(st));
  munmap(r, 256 * MB);
  unsigned char *again = mmap(0, 256 * MB, prw, fl | MAP_NORESERVE, -1, 0);
  printf("remapped reservation: zeros %d %d\n", zeros(again, 1 * MB), zeros(again + 128 * MB, 16 * KB));
  return 0;
}
