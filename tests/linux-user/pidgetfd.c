/* pidfd_getfd: take a descriptor of a child (one it inherited and the parent closed since),
 * of ourselves; a descriptor the target does not have (EBADF); flags (EINVAL). Then of a
 * second child (tsqemu's fork server resumes it, its descriptors at other host numbers): one it
 * inherited, and one it opened after the fork. */
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
  int p2[2], back[2];
  if (pipe(p2) || pipe(back)) return 1;
  char path2[] = "/tmp/pidgetfd-XXXXXX";
  int f2 = mkstemp(path2);
  if (f2 < 0) return 1;
  unlink(path2);
  if (write(f2, "inherited\n", 10) != 10) return 1;
  dup2(f2, 45);
  close(f2);
  c = fork();
  if (c == 0) {
    char x;
    close(p2[1]);
    close(back[0]);
    char p3[] = "/tmp/pidgetfd-XXXXXX";
    int n3 = mkstemp(p3);
    unlink(p3);
    if (write(n3, "opened after the fork\n", 22) != 22 || write(back[1], &n3, sizeof n3) != sizeof n3) _exit(1);
    while (read(p2[0], &x, 1) > 0) {}
    _exit(0);
  }
  close(p2[0]);
  close(back[1]);
  close(45);
  int theirs = -1;
  if (read(back[0], &theirs, sizeof theirs) != sizeof theirs) return 1;
  pfd = syscall(SYS_pidfd_open, c, 0);
  for (int k = 0; k < 2; k++) {
    got = syscall(SYS_pidfd_getfd, pfd, k ? theirs : 45, 0);
    memset(buf, 0, sizeof buf);
    n = got >= 0 ? pread(got, buf, sizeof buf - 1, 0) : -1;
    printf("second child's %s: %s%s", k ? "new fd" : "45", got >= 0 ? "" : strerror(errno), got >= 0 ? buf : "\n");
  }
  close(p2[1]);
  waitpid(c, &st, 0);
  printf("second child status %d\n", WEXITSTATUS(st));
  return 0;
}
