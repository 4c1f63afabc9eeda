// mincore (LTP mincore01-04): a mapped, touched range reads as resident; an unaligned address is
// EINVAL, an unmapped range ENOMEM, a bad vector EFAULT.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  long ps = sysconf(_SC_PAGESIZE);
  unsigned char vec[4];
  char *p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 1, 4 * ps);
  int r = mincore(p, 4 * ps, vec);
  printf("touched: %d %d%d%d%d\n", r, vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
  r = mincore(p + 1, ps, vec);
  printf("unaligned: %d %s\n", r, r ? strerror(errno) : "");
  munmap(p + 2 * ps, 2 * ps);
  r = mincore(p, 4 * ps, vec);
  printf("unmapped: %d %s\n", r, r ? strerror(errno) : "");
  r = mincore(p, ps, (unsigned char *)8);
  printf("bad vec: %d %s\n", r, r ? strerror(errno) : "");
  return 0;
}
