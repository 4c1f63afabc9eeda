/* signalfd: pending signals of the mask read as records (standard once, real-time queued with
 * their values), poll/epoll readiness, a blocking read woken by a timer's signal, the mask
 * changed on the same fd, EAGAIN on an empty non-blocking one. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static void show(struct signalfd_siginfo *s) {
  printf("  signo %s code %d pid %s value %d\n", s->ssi_signo == SIGUSR1 ? "SIGUSR1" : s->ssi_signo == SIGUSR2 ? "SIGUSR2" : s->ssi_signo == (unsigned)SIGRTMIN ? "RTMIN" : "?",
         s->ssi_code, s->ssi_pid == (unsigned)getpid() ? "self" : "other", s->ssi_int);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigaddset(&m, SIGRTMIN);
  sigaddset(&m, SIGUSR2);
  sigprocmask(SIG_BLOCK, &m, NULL);
  sigdelset(&m, SIGUSR2);
  int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
  printf("signalfd: %s\n", fd >= 0 ? "ok" : strerror(errno));
  struct signalfd_siginfo si[4];
  errno = 0;
  ssize_t n = read(fd, si, sizeof si);
  printf("empty: %zd %s\n", n, strerror(errno));
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR1);
  sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 5});
  sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 6});
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, 1000);
  printf("poll: %d %s\n", r, p.revents & POLLIN ? "POLLIN" : "-");
  n = read(fd, si, sizeof si);
  printf("read: %zd bytes\n", n);
  for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++) show(&si[i]);
  r = poll(&p, 1, 0);
  printf("poll after: %d\n", r);

  /* The same fd with a new mask, epoll, and a timer's signal arriving later. */
  sigaddset(&m, SIGUSR2);
  printf("signalfd(fd) again: %d\n", signalfd(fd, &m, 0) == fd);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  timer_t t;
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  sev.sigev_value.sival_int = 9;
  timer_create(CLOCK_MONOTONIC, &sev, &t);
  struct itimerspec its = {{0, 0}, {0, 50000000}};
  timer_settime(t, 0, &its, NULL);
  struct epoll_event out;
  r = epoll_wait(ep, &out, 1, 10000);
  printf("epoll_wait: %d %s\n", r, r == 1 && out.data.fd == fd ? "the signalfd" : "-");
  n = read(fd, si, sizeof si);
  printf("read: %zd bytes\n", n);
  if (n > 0) show(&si[0]);

  /* A blocking signalfd: read waits for the timer. */
  int bfd = signalfd(-1, &m, 0);
  timer_settime(t, 0, &its, NULL);
  n = read(bfd, si, sizeof si);
  printf("blocking read: %zd bytes\n", n);
  if (n > 0) show(&si[0]);
  errno = 0;
  n = read(bfd, si, 100);
  printf("short buffer: %zd %s\n", n, strerror(errno));
  return 0;
}
