/* waitid(WNOWAIT) reports a child and leaves it for the next wait (Go's os/exec does this). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int chld_pid, chld_code, chld_status;

static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  chld_pid = si->si_pid;
  chld_code = si->si_code;
  chld_status = si->si_status;
}

int main(void) {
  /* SIGCHLD says which child and how it ended. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &old);
  pid_t c = fork();
  if (c == 0) _exit(5);
  while (chld_pid == 0) sigsuspend(&old);
  printf("SIGCHLD: si_pid ok %d, si_code CLD_EXITED %d, si_status %d\n", chld_pid == c, chld_code == CLD_EXITED, chld_status);
  waitpid(c, NULL, 0);
  sigprocmask(SIG_SETMASK, &old, NULL);
  signal(SIGCHLD, SIG_DFL);

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
