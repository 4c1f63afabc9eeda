/* Process groups and sessions are real; close_range; mknodat makes a FIFO. Usage: pgrp DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int go[2], back[2];
  if (pipe(go) < 0 || pipe(back) < 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    setpgid(0, 0);
    if (write(back[1], "r", 1) != 1) _exit(1);
    if (read(go[0], &c, 1) != 1) _exit(1);
    _exit(getpgid(0) == getpid() ? 0 : 2);
  }
  /* (A shell also calls setpgid(pid, pid) here: under tsqemu-riscv64 the child is already
   * another host program, so that gets EACCES; the child's own call is the one that counts.) */
  char c;
  if (read(back[0], &c, 1) != 1) return 1;
  printf("child's group is its own: %d, ours unchanged: %d\n", getpgid(pid) == pid, getpgid(0) == getpgrp() && getpgrp() != pid);
  printf("same session: %d\n", getsid(pid) == getsid(0));
  printf("setpgid to a foreign group = %d (%s)\n", setpgid(0, 1) == 0, strerror(errno));
  /* kill the group: the child's group only */
  if (write(go[1], "x", 1) != 1) return 1;
  int st;
  waitpid(pid, &st, 0);
  printf("child exited %d status %d\n", WIFEXITED(st), WEXITSTATUS(st));
  pid = fork();
  if (pid == 0) {
    pid_t s = setsid();
    _exit(s == getpid() && getsid(0) == getpid() && getpgid(0) == getpid() ? 0 : 3);
  }
  waitpid(pid, &st, 0);
  printf("setsid in a child: status %d\n", WEXITSTATUS(st));
  printf("setsid as a group leader = %d (%s)\n", (int)setsid() == -1 ? -1 : 0, strerror(errno));

  /* close_range */
  int a = dup(0), b = dup(0), e = dup(0);
  printf("close_range cloexec = %ld, flags %d %d\n", syscall(SYS_close_range, a, e, 4), fcntl(a, F_GETFD), fcntl(e, F_GETFD));
  printf("close_range = %ld, then %d %d %d\n", syscall(SYS_close_range, a, ~0U, 0), fcntl(a, F_GETFD), fcntl(b, F_GETFD), fcntl(e, F_GETFD));

  /* mknodat: a FIFO */
  char p[4096];
  snprintf(p, sizeof p, "%s/fifo", argv[1]);
  int r = mknodat(AT_FDCWD, p, S_IFIFO | 0600, 0);
  struct stat sb;
  stat(p, &sb);
  printf("mknodat FIFO = %d, is fifo %d, mode %o\n", r, S_ISFIFO(sb.st_mode), sb.st_mode & 0777);
  return 0;
}
