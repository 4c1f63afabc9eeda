/* sigqueue with a value, sigtimedwait/sigwaitinfo, setitimer/getitimer and alarm. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int got_code, got_value, alarms;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  got_code = si->si_code;
  got_value = si->si_value.sival_int;
}

static void on_alrm(int sig) { (void)sig; alarms++; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  union sigval v = { .sival_int = 42 };
  int r = sigqueue(getpid(), SIGUSR1, v);
  printf("sigqueue = %d, si_code SI_QUEUE %d, value %d\n", r, got_code == SI_QUEUE, got_value);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGALRM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR2);
  siginfo_t si;
  struct timespec t = { 1, 0 };
  r = sigtimedwait(&set, &si, &t);
  printf("sigtimedwait = %s, si_signo ok %d\n", r == SIGUSR2 ? "SIGUSR2" : "other", si.si_signo == SIGUSR2);
  t.tv_sec = 0;
  t.tv_nsec = 100000000;
  r = sigtimedwait(&set, &si, &t);
  printf("sigtimedwait with nothing pending = %d (%s)\n", r, strerror(errno));

  struct itimerval it = { { 0, 0 }, { 1, 0 } }, cur;
  r = setitimer(ITIMER_REAL, &it, NULL);
  getitimer(ITIMER_REAL, &cur);
  printf("setitimer = %d, armed %d\n", r, (cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0) || (cur.it_value.tv_sec == 1 && cur.it_value.tv_usec == 0));
  r = sigwaitinfo(&set, &si);
  printf("sigwaitinfo = %s\n", r == SIGALRM ? "SIGALRM" : "other");
  getitimer(ITIMER_REAL, &cur);
  printf("after expiry: disarmed %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

  /* A periodic timer and a handler. */
  signal(SIGALRM, on_alrm);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  struct itimerval per = { { 0, 50000 }, { 0, 50000 } };
  setitimer(ITIMER_REAL, &per, NULL);
  while (alarms < 3) pause();
  struct itimerval off = { { 0, 0 }, { 0, 0 } }, old;
  setitimer(ITIMER_REAL, &off, &old);
  printf("periodic: %d alarms, old interval %ld us\n", alarms >= 3, (long)old.it_interval.tv_usec);

  alarm(10);
  unsigned left = alarm(0);
  printf("alarm left %d\n", left == 10 || left == 9);
  return 0;
}
