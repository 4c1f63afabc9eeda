/* pidfd_open, poll on a pidfd (readable when the child exits), pidfd_send_signal,
 * waitid(P_PIDFD) and Go's probe: waitid(P_PIDFD) on our own pidfd fails with ECHILD. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int self = syscall(SYS_pidfd_open, getpid(), 0);
  printf("pidfd_open(self): %s\n", self >= 0 ? "ok" : strerror(errno));
  printf("send signal 0 to self: %ld\n", syscall(SYS_pidfd_send_signal, self, 0, NULL, 0));
  siginfo_t si;
  errno = 0;
  int r = waitid(P_PIDFD, self, &si, WEXITED | WNOHANG);
  printf("waitid(P_PIDFD, self): %d %s\n", r, strerror(errno));

  pid_t c = fork();
  if (c == 0) { usleep(200000); _exit(3); }
  int fd = syscall(SYS_pidfd_open, c, 0);
  struct pollfd p = {fd, POLLIN, 0};
  printf("poll before exit: %d\n", poll(&p, 1, 0));
  r = poll(&p, 1, 120000); /* the child exits after 0.2 s; a loaded host may take far longer to run it */
  printf("poll until exit: %d revents %s\n", r, p.revents & POLLIN ? "POLLIN" : "-");
  memset(&si, 0, sizeof si);
  r = waitid(P_PIDFD, fd, &si, WEXITED);
  printf("waitid(P_PIDFD): %d code %d status %d pid %s\n", r, si.si_code, si.si_status, si.si_pid == c ? "child" : "other");
  close(fd);

  c = fork();
  if (c == 0) { for (;;) pause(); }
  fd = syscall(SYS_pidfd_open, c, 0);
  printf("pidfd_send_signal SIGTERM: %ld\n", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
  int st;
  waitpid(c, &st, 0);
  printf("child killed by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  errno = 0;
  r = syscall(SYS_pidfd_open, 0x7ffffff0, 0);
  printf("pidfd_open(no such pid): %d %s\n", r, strerror(errno));
  return 0;
}
