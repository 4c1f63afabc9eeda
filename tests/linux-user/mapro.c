/* MAP_SHARED of a file open read-only (issue 11): the mapping shows later writes to the file by
 * this process through another descriptor and by a forked child, as Linux's does (it used to be
 * a snapshot taken at mmap); a forked child reads the same pages; munmap and a second mapping. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/mapro-XXXXXX", dir ? dir : "/tmp");
  int w = mkstemp(path);
  if (w < 0) { perror("mkstemp"); return 1; }
  static char page[8192];
  memset(page, 'A', sizeof page);
  if (write(w, page, sizeof page) != sizeof page) { perror("write"); return 1; }
  int r = open(path, O_RDONLY);
  char *m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, r, 0);
  if (m == MAP_FAILED) { perror("mmap"); return 1; }
  close(r); /* the mapping keeps the file */
  printf("at mmap: %.4s %.4s\n", m, m + 4096);
  pwrite(w, "BBBB", 4, 0);
  printf("after this process's write: %.4s\n", m);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int w2 = open(path, O_RDWR);
    pwrite(w2, "CCCC", 4, 4096);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  printf("after a child's write: %.4s\n", m + 4096);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    pwrite(w, "DDDD", 4, 8);
    printf("child reads: %.4s %.4s %.4s\n", m, m + 8, m + 4096);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  printf("after the child: %.12s\n", m);
  /* write() from the mapping works (the emulator reads it). */
  if (pwrite(w, m, 4, 200) != 4) printf("write from mapping failed\n");
  char buf[5] = {0};
  pread(w, buf, 4, 200);
  printf("copied through write(): %s\n", buf);
  munmap(m, 8192);
  r = open(path, O_RDONLY);
  char *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, r, 4096);
  printf("second mapping at offset 4096: %.4s\n", m2);
  pwrite(w, "EEEE", 4, 4096);
  printf("and after a write: %.4s\n", m2);
  unlink(path);
  return 0;
}
