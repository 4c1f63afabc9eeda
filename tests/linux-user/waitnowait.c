/* waitid(WNOWAIT) reports a child and leaves it for the next wait (Go's os/exec does this). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(3);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
  printf("waitid WNOWAIT = %d, si_pid ok %d, si_code %d, si_status %d\n", r, si.si_pid == pid, si.si_code, si.si_status);
  memset(&si, 0, sizeof si);
  r = waitid(P_ALL, 0, &si, WEXITED | WNOWAIT);
  printf("again WNOWAIT = %d, si_pid ok %d, si_status %d\n", r, si.si_pid == pid, si.si_status);
  int st = 0;
  pid_t w = waitpid(pid, &st, 0);
  printf("waitpid ok %d, exited %d status %d\n", w == pid, WIFEXITED(st), WEXITSTATUS(st));
  w = waitpid(pid, &st, 0);
  printf("then waitpid = %d (%s)\n", (int)w, strerror(errno));
  return 0;
}
