/* pidfd_getfd: take a descriptor of a child (one it inherited and the parent closed since),
 * of ourselves; a descriptor the target does not have (EBADF); flags (EINVAL). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int sync[2];
  if (pipe(sync)) return 1;
  char path[] = "/tmp/pidgetfd-XXXXXX";
  int f = mkstemp(path);
  if (f < 0) return 1;
  unlink(path);
  if (write(f, "the child's file\n", 17) != 17) return 1;
  int at = dup2(f, 40);
  close(f);
  pid_t c = fork();
  if (c == 0) {
    char x;
    close(sync[1]);
    while (read(sync[0], &x, 1) > 0) {}
    _exit(0);
  }
  close(at); /* only the child has fd 40 now */
  int pfd = syscall(SYS_pidfd_open, c, 0);
  int got = syscall(SYS_pidfd_getfd, pfd, 40, 0);
  printf("getfd of child's 40: %s\n", got >= 0 ? "ok" : strerror(errno));
  char buf[64] = {0};
  ssize_t n = pread(got, buf, sizeof buf - 1, 0);
  printf("read %zd: %s", n, buf);
  printf("cloexec: %d\n", (fcntl(got, F_GETFD) & FD_CLOEXEC) != 0);
  long r = syscall(SYS_pidfd_getfd, pfd, 41, 0);
  printf("getfd of child's 41: %ld %s\n", r, strerror(errno));
  r = syscall(SYS_pidfd_getfd, pfd, 40, 1);
  printf("flags 1: %ld %s\n", r, strerror(errno));
  int self = syscall(SYS_pidfd_open, getpid(), 0);
  int mine = syscall(SYS_pidfd_getfd, self, got, 0);
  memset(buf, 0, sizeof buf);
  n = pread(mine, buf, 9, 4);
  printf("getfd of our own: %zd %s\n", n, buf);
  close(sync[1]);
  int st;
  waitpid(c, &st, 0);
  printf("child status %d\n", WEXITSTATUS(st));
  return 0;
}
