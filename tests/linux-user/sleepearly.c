// Sleeps and timeouts never end before the time asked (LTP's tst_timer_test counts "woken up
// early"): nanosleep, clock_nanosleep, poll, epoll_wait and a futex wait of odd sub-ms lengths,
// measured with CLOCK_MONOTONIC, while a process-directed SIGALRM every 300 us is handled by
// another thread (it wakes the sleeper, which must go on sleeping). Prints the number of early
// ends (0 on Linux).
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }
static void *catcher(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(void) {
  int early[5] = { 0 };
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGALRM);
  signal(SIGALRM, on_alarm);
  pthread_t th;
  pthread_create(&th, NULL, catcher, NULL);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  struct itimerval it = { { 0, 300 }, { 0, 300 } };
  setitimer(ITIMER_REAL, &it, NULL);
  int ep = epoll_create1(0), p[2];
  pipe(p);
  struct epoll_event ev = { .events = EPOLLIN };
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  uint32_t word = 0;
  for (int i = 0; i < 200; i++) {
    int64_t us = 1000 + (i % 20) * 137; // 1 ms .. 3.6 ms, rarely whole ms
    struct timespec req = { 0, us * 1000 };
    int64_t t0 = now_us();
    nanosleep(&req, NULL);
    if (now_us() - t0 < us) early[0]++;
    t0 = now_us();
    clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    if (now_us() - t0 < us) early[1]++;
    int ms = 1 + i % 3;
    struct pollfd pfd = { p[0], POLLIN, 0 };
    t0 = now_us();
    poll(&pfd, 1, ms);
    if (now_us() - t0 < ms * 1000) early[2]++;
    t0 = now_us();
    epoll_wait(ep, &ev, 1, ms);
    if (now_us() - t0 < ms * 1000) early[3]++;
    t0 = now_us();
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &req, NULL, 0);
    if (now_us() - t0 < us) early[4]++;
  }
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
  // A thread's CPU clock has no sleep: EOPNOTSUPP from the kernel (glibc's wrapper: EINVAL).
  struct timespec one = { 0, 1000 };
  long r = syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &one, NULL);
  printf("clock_nanosleep(THREAD_CPUTIME) %ld %s\n", r, r < 0 && errno == EOPNOTSUPP ? "EOPNOTSUPP" : "?");
  printf("early: nanosleep %d clock_nanosleep %d poll %d epoll_wait %d futex %d\n", early[0], early[1], early[2], early[3], early[4]);
  return 0;
}
