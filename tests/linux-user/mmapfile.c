/* File mappings, anonymous mappings, mprotect, mremap, and large allocations. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2 || chdir(argv[1])) return 2;
  int fd = open("m.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
  for (int i = 0; i < 3000; i++) dprintf(fd, "%04d", i);
  char *p = mmap(NULL, 12000, PROT_READ, MAP_PRIVATE, fd, 0);
  printf("map: %.8s ... %.8s\n", p, p + 11992);
  char *q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
  q[0] = 'Z';
  printf("offset map: %.8s\n", q);
  munmap(p, 12000);
  munmap(q, 8192);
  close(fd);
  /* MAP_SHARED: writes reach the file, two mappings of it see each other, write() shows. */
  fd = open("s.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
  ftruncate(fd, 8192);
  char *s1 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *s2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  strcpy(s1 + 4096, "shared write");
  printf("second mapping sees: %s\n", s2 + 4096);
  printf("msync: %d\n", msync(s1, 8192, MS_SYNC));
  char buf[16] = {0};
  pread(fd, buf, 12, 4096);
  printf("file after msync: %s\n", buf);
  s2[0] = 'Q';
  munmap(s1, 8192);
  munmap(s2, 8192);
  pread(fd, buf, 1, 0);
  printf("file after munmap: %c\n", buf[0]);
  char *s3 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  pwrite(fd, "W", 1, 1);
  printf("mapping sees write(): %c\n", s3[1]);
  munmap(s3, 4096);
  close(fd);
  size_t big = 300u << 20;
  unsigned char *b = malloc(big);
  memset(b, 0xab, big);
  unsigned long sum = 0;
  for (size_t i = 0; i < big; i += 4096) sum += b[i];
  printf("big sum=%lu\n", sum);
  free(b);
  char *a = mmap(NULL, 4096 * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(a, "anon");
  a = mremap(a, 4096 * 4, 4096 * 64, MREMAP_MAYMOVE);
  printf("mremap kept: %s zero=%d\n", a, a[4096 * 63]);
  printf("mprotect: %d\n", mprotect(a, 4096, PROT_READ));
  void *blocks[1000];
  for (int i = 0; i < 1000; i++) blocks[i] = malloc(1000 + i * 37);
  for (int i = 0; i < 1000; i += 2) free(blocks[i]);
  for (int i = 1; i < 1000; i += 2) free(blocks[i]);
  printf("malloc churn ok\n");
  return 0;
}
