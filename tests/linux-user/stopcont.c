/* Stopped and continued children: wait4 with WUNTRACED/WCONTINUED, waitid with WSTOPPED,
 * WCONTINUED and WNOWAIT, SIGCHLD's siginfo (CLD_STOPPED, CLD_CONTINUED, CLD_KILLED, CLD_EXITED
 * with the child's pid and status), a child stopping itself with raise(SIGSTOP) and SA_NOCLDSTOP. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *code_name(int c) {
  switch (c) {
  case CLD_EXITED: return "CLD_EXITED";
  case CLD_KILLED: return "CLD_KILLED";
  case CLD_DUMPED: return "CLD_DUMPED";
  case CLD_STOPPED: return "CLD_STOPPED";
  case CLD_CONTINUED: return "CLD_CONTINUED";
  default: return "?";
  }
}

static pid_t child;

/* Take the SIGCHLD the last change raised (SIGCHLD is blocked: sigwaitinfo is deterministic). */
static void chld(const char *what) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGCHLD);
  siginfo_t si;
  struct timespec ts = {10, 0};
  int r = sigtimedwait(&s, &si, &ts);
  if (r < 0) { printf("%s: no SIGCHLD (%s)\n", what, strerror(errno)); return; }
  printf("%s: SIGCHLD %s pid=%s status=%d\n", what, code_name(si.si_code), si.si_pid == child ? "child" : "other", si.si_status);
}

static void status(const char *what, int st) {
  if (WIFSTOPPED(st)) printf("%s: stopped by %d\n", what, WSTOPSIG(st));
  else if (WIFCONTINUED(st)) printf("%s: continued\n", what);
  else if (WIFSIGNALED(st)) printf("%s: killed by %d\n", what, WTERMSIG(st));
  else if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
}

int main(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGCHLD);
  sigprocmask(SIG_BLOCK, &s, NULL);
  setvbuf(stdout, NULL, _IONBF, 0);

  child = fork();
  if (child == 0) { for (;;) pause(); }
  int st = 0;
  kill(child, SIGSTOP);
  pid_t r = waitpid(child, &st, WUNTRACED);
  status(r == child ? "waitpid WUNTRACED" : "waitpid ?", st);
  chld("stop");
  r = waitpid(child, &st, WUNTRACED | WNOHANG);
  printf("stop reported once: %d\n", r);
  kill(child, SIGCONT);
  r = waitpid(child, &st, WCONTINUED);
  status(r == child ? "waitpid WCONTINUED" : "waitpid ?", st);
  chld("cont");

  kill(child, SIGSTOP);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  r = waitid(P_PID, child, &si, WSTOPPED | WNOWAIT);
  printf("waitid WSTOPPED|WNOWAIT: %d %s status=%d\n", r, code_name(si.si_code), si.si_status);
  memset(&si, 0, sizeof si);
  r = waitid(P_PID, child, &si, WSTOPPED);
  printf("waitid WSTOPPED: %d %s status=%d pid=%s\n", r, code_name(si.si_code), si.si_status, si.si_pid == child ? "child" : "other");
  chld("stop2");
  kill(child, SIGCONT);
  memset(&si, 0, sizeof si);
  r = waitid(P_PID, child, &si, WCONTINUED);
  printf("waitid WCONTINUED: %d %s status=%d\n", r, code_name(si.si_code), si.si_status);
  chld("cont2");
  kill(child, SIGKILL);
  r = waitpid(child, &st, 0);
  status("waitpid", st);
  chld("kill");

  /* The child stops itself; with SA_NOCLDSTOP no SIGCHLD for the stop, one for the exit. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  child = fork();
  if (child == 0) { raise(SIGSTOP); _exit(7); }
  r = waitpid(child, &st, WUNTRACED);
  status("self-stop", st);
  struct timespec zero = {0, 200000000};
  printf("SIGCHLD for the stop with SA_NOCLDSTOP: %s\n", sigtimedwait(&s, &si, &zero) < 0 ? "none" : "yes");
  kill(child, SIGCONT);
  r = waitpid(child, &st, 0);
  status("after SIGCONT", st);
  chld("exit");
  return 0;
}
