/* Descriptor limits follow RLIMIT_NOFILE as on Linux; F_SETPIPE_SZ does what it asks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void show(const char *what, long r) {
  printf("%s = %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

int main(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  printf("sysconf(_SC_OPEN_MAX) == rlim_cur: %d\n", sysconf(_SC_OPEN_MAX) == (long)rl.rlim_cur);
  printf("rlim_cur >= 5001: %d\n", rl.rlim_cur >= 5001);
  show("dup2(1, 5000)", dup2(1, 5000));
  show("write(5000)", write(5000, "via 5000\n", 9));
  show("fcntl(0, F_DUPFD, 2000)", fcntl(0, F_DUPFD, 2000));
  show("fcntl(0, F_DUPFD_CLOEXEC, 3000)", fcntl(0, F_DUPFD_CLOEXEC, 3000));
  show("F_GETFD 3000", fcntl(3000, F_GETFD));
  show("close(5000)", close(5000));
  show("dup(0) (lowest free)", dup(0));
  /* A lower soft limit bounds the table. */
  rl.rlim_cur = 64;
  show("setrlimit 64", setrlimit(RLIMIT_NOFILE, &rl));
  printf("sysconf(_SC_OPEN_MAX) = %ld\n", sysconf(_SC_OPEN_MAX));
  show("dup2(0, 64)", dup2(0, 64));
  show("fcntl(0, F_DUPFD, 64)", fcntl(0, F_DUPFD, 64));
  int fd, last = -1;
  while ((fd = dup(0)) >= 0) last = fd;
  printf("dup until %s, the last one %d\n", strerror(errno), last);
  rl.rlim_cur = rl.rlim_max + 1;
  show("setrlimit above max", setrlimit(RLIMIT_NOFILE, &rl));
  /* Pipe capacity. */
  int p[2];
  if (pipe(p) < 0) return 1;
  show("F_GETPIPE_SZ", fcntl(p[1], F_GETPIPE_SZ));
  show("F_SETPIPE_SZ 1 MiB", fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
  show("F_GETPIPE_SZ", fcntl(p[1], F_GETPIPE_SZ));
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  static char big[1 << 20];
  show("non-blocking write of 1 MiB", write(p[1], big, sizeof big));
  show("F_SETPIPE_SZ 5000 (rounded up)", fcntl(p[1], F_SETPIPE_SZ, 5000));
  return 0;
}
