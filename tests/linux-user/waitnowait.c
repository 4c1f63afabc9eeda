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

  /* Argument checks (LTP waitpid04, wait403, waitid): Linux's errnos. */
  errno = 0; w = waitpid(-1, NULL, -1); printf("waitpid bad options: %d %s\n", (int)w, strerror(errno));
  errno = 0; w = waitpid(-2147483647 - 1, NULL, 0); printf("waitpid INT_MIN: %d %s\n", (int)w, strerror(errno));
  errno = 0; w = waitpid(1, NULL, 0); printf("waitpid non-child: %d %s\n", (int)w, strerror(errno));
  errno = 0; r = waitid(P_PID, 0, &si, WEXITED); printf("waitid P_PID 0: %d %s\n", r, strerror(errno));
  errno = 0; r = waitid(P_PGID, -3, &si, WEXITED); printf("waitid P_PGID -3: %d %s\n", r, strerror(errno));
  errno = 0; r = waitid(P_ALL, 0, &si, WEXITED | 0x100); printf("waitid bad options: %d %s\n", r, strerror(errno));
  errno = 0; r = waitid(7, 0, &si, WEXITED); printf("waitid bad idtype: %d %s\n", r, strerror(errno));

  /* Waits for a process group (LTP waitpid11-13, waitid05): pid 0 is the caller's group,
   * -pgid and P_PGID another one; children keep the group they were forked in. */
  pid_t in_old[2], in_new[2], group = getpgid(0);
  int pfd[2];
  if (pipe(pfd) != 0) return 1;
  fflush(stdout);
  pid_t sub = fork();
  if (sub == 0) {
    for (int i = 0; i < 2; i++) if ((in_old[i] = fork()) == 0) { char c; read(pfd[0], &c, 1); _exit(10 + i); }
    setpgid(0, 0);
    for (int i = 0; i < 2; i++) if ((in_new[i] = fork()) == 0) { char c; read(pfd[0], &c, 1); _exit(20 + i); }
    printf("group WNOHANG, running: %d %d\n", (int)waitpid(0, NULL, WNOHANG), (int)waitpid(-group, NULL, WNOHANG));
    errno = 0; w = waitpid(-(getpid() + 100000), NULL, WNOHANG); printf("empty group: %d %s\n", (int)w, strerror(errno));
    errno = 0; r = waitid(P_PGID, group + 1 == getpid() ? group + 2 : group + 1, &si, WEXITED | WNOHANG);
    printf("waitid other group: %d %s\n", r, strerror(errno));
    write(pfd[1], "abcd", 4);
    for (int i = 0; i < 2; i++) {
      w = waitpid(0, &st, 0);
      printf("waitpid(0) -> new-group child %d, status 2x %d\n", w == in_new[0] || w == in_new[1], WEXITSTATUS(st) / 10);
    }
    errno = 0; w = waitpid(0, &st, WNOHANG); printf("waitpid(0) again: %d %s\n", (int)w, strerror(errno));
    memset(&si, 0, sizeof si);
    r = waitid(P_PGID, group, &si, WEXITED);
    printf("waitid P_PGID = %d, old-group child %d, code %d status 1x %d\n", r, si.si_pid == in_old[0] || si.si_pid == in_old[1], si.si_code, si.si_status / 10);
    w = waitpid(-group, &st, 0);
    printf("waitpid(-group) -> old-group child %d, status 1x %d\n", w == in_old[0] || w == in_old[1], WEXITSTATUS(st) / 10);
    fflush(stdout);
    _exit(0);
  }
  waitpid(sub, &st, 0);
  printf("sub exited %d\n", WEXITSTATUS(st));
  return 0;
}
