/* Signals and timers LTP found different from qemu-riscv64 (README "LTP syscalls against
 * qemu-riscv64", round 15): SA_RESETHAND keeps SA_SIGINFO (sigaction01), sigaltstack's flag
 * checks and what it reports (sigaltstack02), RLIMIT_SIGPENDING refusing a real-time signal
 * (tgkill02), SIGEV_THREAD and the alarm clocks in timer_create (timer_create01), timer_settime's
 * argument checks (timer_settime02), a
 * CPU-time timer that never fires before the CPU time (timer_settime01), pidfd_send_signal's
 * siginfo and errno order (pidfd_send_signal01/02), waitid on a PIDFD_NONBLOCK pidfd (EAGAIN,
 * pidfd_open04). Prints results only. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void res(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "ok");
}

static volatile int in_handler_siginfo = -1, in_handler_resethand = -1, in_handler_dfl = -1;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)si; (void)uc;
  struct sigaction old;
  sigaction(sig, NULL, &old);
  in_handler_siginfo = !!(old.sa_flags & SA_SIGINFO);
  in_handler_resethand = !!(old.sa_flags & SA_RESETHAND);
  in_handler_dfl = old.sa_handler == SIG_DFL;
}

static volatile int alt_flags = -1, alt_eperm = -1;
static void on_usr2(int sig) {
  (void)sig;
  stack_t ss, now;
  sigaltstack(NULL, &now);
  alt_flags = now.ss_flags;
  memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  alt_eperm = sigaltstack(&ss, NULL) < 0 ? errno : 0;
}

static volatile int pidfd_value = -1, pidfd_code = 1;
static void on_pidfd_sig(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  pidfd_value = si->si_value.sival_int;
  pidfd_code = si->si_code;
}

static volatile sig_atomic_t alarms;
static void on_alrm(int sig) { (void)sig; alarms++; }

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* sigaction01: SA_RESETHAND puts SIG_DFL back and leaves the flags alone. */
  struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESETHAND };
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("resethand: in handler SA_SIGINFO %d SA_RESETHAND %d SIG_DFL %d\n", in_handler_siginfo, in_handler_resethand, in_handler_dfl);

  /* sigaltstack02 and friends. */
  static char stk[65536];
  stack_t ss = { .ss_sp = stk, .ss_size = sizeof stk, .ss_flags = 0 }, old;
  memset(&old, 0x55, sizeof old);
  ss.ss_flags = 99;
  res("sigaltstack bad flags", sigaltstack(&ss, &old));
  printf("sigaltstack bad flags left old alone: %d\n", old.ss_flags == 0x55555555);
  ss.ss_flags = 0;
  ss.ss_size = 1024;
  res("sigaltstack too small", sigaltstack(&ss, NULL));
  ss.ss_size = sizeof stk;
  res("sigaltstack set", sigaltstack(&ss, NULL));
  res("sigaltstack get", sigaltstack(NULL, &old));
  printf("sigaltstack old flags %d size %zu same sp %d\n", old.ss_flags, old.ss_size, old.ss_sp == stk);
  ss.ss_flags = SS_ONSTACK;
  res("sigaltstack SS_ONSTACK", sigaltstack(&ss, NULL));
  struct sigaction sa2 = { .sa_handler = on_usr2, .sa_flags = SA_ONSTACK };
  sigaction(SIGUSR2, &sa2, NULL);
  raise(SIGUSR2);
  printf("sigaltstack in handler: flags %d, change %s\n", alt_flags, alt_eperm ? strerror(alt_eperm) : "ok");
  ss.ss_flags = SS_DISABLE;
  res("sigaltstack disable", sigaltstack(&ss, NULL));
  sigaltstack(NULL, &old);
  printf("sigaltstack disabled: flags %d size %zu\n", old.ss_flags, old.ss_size);

  /* tgkill02: RLIMIT_SIGPENDING 0 leaves no room for a queued real-time signal. */
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &rt, NULL);
  struct rlimit rl, zero;
  getrlimit(RLIMIT_SIGPENDING, &rl);
  zero.rlim_cur = 0;
  zero.rlim_max = rl.rlim_max;
  setrlimit(RLIMIT_SIGPENDING, &zero);
  res("tgkill RT with RLIMIT_SIGPENDING 0", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGRTMIN));
  res("kill RT with RLIMIT_SIGPENDING 0", kill(getpid(), SIGRTMIN));
  setrlimit(RLIMIT_SIGPENDING, &rl);
  res("tgkill RT after", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGRTMIN));
  struct timespec zero_ts = { 0, 0 };
  printf("taken: %d\n", sigtimedwait(&rt, NULL, &zero_ts) == SIGRTMIN);

  /* timer_create01: SIGEV_THREAD is a signal to the process for the kernel. */
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_signo = SIGALRM;
  int kt;
  long r = syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &kt);
  res("timer_create raw SIGEV_THREAD", r);
  if (r == 0) syscall(SYS_timer_delete, kt);
  ev.sigev_notify = 99;
  res("timer_create bad notify", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &kt));
  ev.sigev_notify = SIGEV_SIGNAL;
  r = syscall(SYS_timer_create, CLOCK_BOOTTIME, &ev, &kt);
  res("timer_create CLOCK_BOOTTIME", r);
  if (r == 0) syscall(SYS_timer_delete, kt);

  /* timer_settime02: NULL new value EINVAL, bad nsec EINVAL, bad timer EINVAL, bad pointer EFAULT. */
  timer_t t;
  struct sigevent none = { .sigev_notify = SIGEV_NONE };
  timer_create(CLOCK_MONOTONIC, &none, &t);
  struct itimerspec its, oits;
  memset(&its, 0, sizeof its);
  res("timer_settime NULL", syscall(SYS_timer_settime, t, 0, NULL, &oits));
  its.it_value.tv_nsec = -1;
  res("timer_settime nsec -1", syscall(SYS_timer_settime, t, 0, &its, &oits));
  its.it_value.tv_nsec = 1000000001;
  res("timer_settime nsec big", syscall(SYS_timer_settime, t, 0, &its, &oits));
  its.it_value.tv_nsec = 0;
  res("timer_settime bad timer", syscall(SYS_timer_settime, 12345, 0, &its, &oits));
  res("timer_settime bad new", syscall(SYS_timer_settime, t, 0, (void *)8, &oits));
  res("timer_settime bad old", syscall(SYS_timer_settime, t, 0, &its, (void *)8));
  timer_delete(t);

  /* timer_settime01: a process CPU-time timer fires once that much CPU time was used. */
  signal(SIGALRM, on_alrm);
  timer_create(CLOCK_PROCESS_CPUTIME_ID, NULL, &t);
  struct timespec start, end;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
  memset(&its, 0, sizeof its);
  its.it_value.tv_nsec = 50000000;
  timer_settime(t, 0, &its, NULL);
  struct itimerspec left;
  timer_gettime(t, &left);
  printf("cpu timer left <= 50 ms: %d\n", left.it_value.tv_sec == 0 && left.it_value.tv_nsec <= 50000000);
  while (!alarms) ;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
  long used = (end.tv_sec - start.tv_sec) * 1000000000L + end.tv_nsec - start.tv_nsec;
  printf("cpu timer not early: %d\n", used >= 50000000);
  timer_delete(t);

  /* pidfd_send_signal01/02: a siginfo to ourselves goes with the signal; flags EINVAL, a file
   * that is no pidfd EBADF, a siginfo for another signal EINVAL, SI_USER to another process EPERM
   * (pid 1: refused before anything is sent). */
  struct sigaction sa4 = { .sa_sigaction = on_pidfd_sig, .sa_flags = SA_SIGINFO };
  sigaction(SIGUSR2, &sa4, NULL);
  int pfd = syscall(SYS_pidfd_open, getpid(), 0);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = SIGUSR2;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = 42;
  res("pidfd_send_signal with info", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, &si, 0));
  printf("pidfd signal: value %d code %d\n", pidfd_value, pidfd_code);
  res("pidfd_send_signal flags", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, &si, 99999));
  int ffd = open("/proc/self/exe", O_RDONLY);
  res("pidfd_send_signal not a pidfd", syscall(SYS_pidfd_send_signal, ffd, SIGUSR2, &si, 0));
  close(ffd);
  res("pidfd_send_signal other signal", syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, &si, 0));
  close(pfd);
  /* A /proc/<pid> directory does as a pidfd (pidfd_send_signal01 opens /proc/self). */
  pfd = open("/proc/self", O_DIRECTORY | O_CLOEXEC);
  pidfd_value = -1;
  si.si_value.sival_int = 43;
  res("pidfd_send_signal /proc/self", syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, &si, 0));
  printf("pidfd signal: value %d code %d\n", pidfd_value, pidfd_code);
  close(pfd);
  int initfd = syscall(SYS_pidfd_open, 1, 0);
  si.si_code = SI_USER;
  if (initfd >= 0) res("pidfd_send_signal SI_USER to pid 1", syscall(SYS_pidfd_send_signal, initfd, SIGUSR2, &si, 0));
  else printf("pidfd_send_signal SI_USER to pid 1: no pidfd\n");
  if (initfd >= 0) close(initfd);

  /* pidfd_open04: waitid(P_PIDFD) on a PIDFD_NONBLOCK pidfd does not wait: EAGAIN while the
   * child runs (0 with WNOHANG), the child's status once it has exited. */
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(p[1]);
    if (read(p[0], &c, 1) < 0) _exit(2);
    _exit(7);
  }
  close(p[0]);
  int cfd = syscall(SYS_pidfd_open, child, O_NONBLOCK);
  siginfo_t wi;
  memset(&wi, 0, sizeof wi);
  res("waitid nonblocking pidfd, running", waitid(P_PIDFD, cfd, &wi, WEXITED));
  res("waitid nonblocking pidfd, WNOHANG", waitid(P_PIDFD, cfd, &wi, WEXITED | WNOHANG));
  if (write(p[1], "x", 1) != 1) return 1;
  close(p[1]);
  int got;
  do {
    memset(&wi, 0, sizeof wi);
    got = waitid(P_PIDFD, cfd, &wi, WEXITED);
  } while (got < 0 && errno == EAGAIN);
  res("waitid nonblocking pidfd, exited", got);
  printf("child status %d code %d\n", wi.si_status, wi.si_code);
  close(cfd);
  return 0;
}
