/* madvise(MADV_REMOVE) on MAP_SHARED memory (issue 11): the object's pages are freed, so the
 * mapping and the file (or memfd) read zeros there, the file keeps its size, and a forked
 * child sees the same; on a read-only file's mapping Linux refuses it (EACCES). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, int fd) {
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) { perror("mmap"); exit(1); }
  memset(m, 'x', 3 * 4096);
  int r = madvise(m + 4096, 4096, MADV_REMOVE);
  char b[3] = {0};
  pread(fd, b, 1, 4096);
  pread(fd, b + 1, 1, 0);
  struct stat st;
  fstat(fd, &st);
  printf("%s: madvise %d, mapping %d %d %d, file %d %d, size %lld\n", what, r, m[0], m[4096], m[2 * 4096],
         b[1], b[0], (long long)st.st_size);
  fflush(stdout);
  if (fork() == 0) { printf("%s: child reads %d %d\n", what, m[4096], m[4097]); fflush(stdout); _exit(0); }
  wait(NULL);
  munmap(m, 3 * 4096);
}

int main(void) {
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/mapremove-XXXXXX", dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0 || ftruncate(fd, 3 * 4096) < 0) { perror("file"); return 1; }
  check("file", fd);
  int mfd = memfd_create("m", 0);
  if (mfd < 0 || ftruncate(mfd, 3 * 4096) < 0) { perror("memfd"); return 1; }
  check("memfd", mfd);
  int ro = open(path, O_RDONLY);
  char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
  int r = madvise(m, 4096, MADV_REMOVE);
  printf("read-only file: madvise %d %s, mapping %d\n", r, r ? (errno == EACCES ? "EACCES" : "other") : "", m[0]);
  unlink(path);
  return 0;
}
