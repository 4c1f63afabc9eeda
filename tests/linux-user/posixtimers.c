/* POSIX timers (timer_create/settime/gettime/getoverrun/delete with SIGEV_SIGNAL, SIGEV_NONE,
 * SIGEV_THREAD_ID and glibc's SIGEV_THREAD), and tee(). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int wait_sig(int sig, siginfo_t *si, int secs) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  struct timespec t = {secs, 0};
  return sigtimedwait(&s, si, &t);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int fired;
static pid_t worker_tid;

static void on_timer(union sigval v) {
  pthread_mutex_lock(&mu);
  fired = v.sival_int;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
}

static void *worker(void *arg) {
  (void)arg;
  worker_tid = gettid();
  siginfo_t si;
  int r = wait_sig(SIGRTMIN + 2, &si, 10);
  printf("thread-directed timer: %s code=%s value=%d\n", r == SIGRTMIN + 2 ? "taken by the thread" : "missing",
         si.si_code == SI_TIMER ? "SI_TIMER" : "?", si.si_value.sival_int);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGRTMIN + 1);
  sigaddset(&block, SIGRTMIN + 2);
  sigaddset(&block, SIGALRM);
  sigprocmask(SIG_BLOCK, &block, NULL);

  /* One-shot SIGEV_SIGNAL timer with a value. */
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGRTMIN + 1;
  sev.sigev_value.sival_int = 77;
  timer_t t1;
  printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &sev, &t1));
  struct itimerspec its = {{0, 0}, {0, 50000000}};
  printf("timer_settime: %d\n", timer_settime(t1, 0, &its, NULL));
  struct itimerspec cur;
  timer_gettime(t1, &cur);
  printf("armed: interval %ld.%09ld, value left in (0, 50ms]: %d\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 50000000);
  siginfo_t si;
  int r = wait_sig(SIGRTMIN + 1, &si, 10);
  printf("one-shot: sig RTMIN+%d code=%s value=%d overrun=%d\n", r - SIGRTMIN, si.si_code == SI_TIMER ? "SI_TIMER" : "?",
         si.si_value.sival_int, si.si_overrun);
  timer_gettime(t1, &cur);
  printf("after expiry: value %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

  /* Periodic, signal blocked for a while: one signal, the rest counted as overruns. */
  struct itimerspec per = {{0, 10000000}, {0, 10000000}};
  timer_settime(t1, 0, &per, NULL);
  usleep(200000);
  r = wait_sig(SIGRTMIN + 1, &si, 10);
  printf("periodic: sig RTMIN+%d overrun>0 %d getoverrun>0 %d\n", r - SIGRTMIN, si.si_overrun > 0, timer_getoverrun(t1) > 0);
  timer_gettime(t1, &cur);
  printf("periodic interval %ld.%09ld\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
  printf("timer_delete: %d\n", timer_delete(t1));
  errno = 0;
  r = timer_gettime(t1, &cur);
  printf("gettime after delete: %d %s\n", r, strerror(errno));

  /* No sigevent: SIGALRM with the timer id as its value; an absolute time already past. */
  timer_t t2;
  timer_create(CLOCK_REALTIME, NULL, &t2);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct itimerspec abs = {{0, 0}, {now.tv_sec - 1, 0}};
  printf("absolute past: %d\n", timer_settime(t2, TIMER_ABSTIME, &abs, NULL));
  r = wait_sig(SIGALRM, &si, 10);
  printf("default sigevent: SIGALRM %d code=%s\n", r == SIGALRM, si.si_code == SI_TIMER ? "SI_TIMER" : "?");
  timer_delete(t2);

  /* SIGEV_NONE: nothing is sent, the time still runs. */
  timer_t t3;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_NONE;
  timer_create(CLOCK_MONOTONIC, &sev, &t3);
  struct itimerspec longer = {{0, 0}, {5, 0}};
  timer_settime(t3, 0, &longer, NULL);
  timer_gettime(t3, &cur);
  printf("SIGEV_NONE: left in (4s, 5s]: %d\n", cur.it_value.tv_sec == 4 && cur.it_value.tv_nsec > 0);
  timer_delete(t3);

  /* SIGEV_THREAD_ID: the signal goes to that thread. */
  pthread_t th;
  pthread_create(&th, NULL, worker, NULL);
  while (!__atomic_load_n(&worker_tid, __ATOMIC_SEQ_CST)) usleep(1000);
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGRTMIN + 2;
  sev.sigev_value.sival_int = 99;
  sev._sigev_un._tid = worker_tid;
  int kid = -1;
  printf("SIGEV_THREAD_ID create: %ld\n", syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &kid));
  struct itimerspec soon = {{0, 0}, {0, 20000000}};
  printf("settime: %ld\n", syscall(SYS_timer_settime, kid, 0, &soon, NULL));
  pthread_join(th, NULL);
  syscall(SYS_timer_delete, kid);

  /* glibc's SIGEV_THREAD: a new thread calls the function. */
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD;
  sev.sigev_notify_function = on_timer;
  sev.sigev_value.sival_int = 5;
  timer_t t4;
  timer_create(CLOCK_MONOTONIC, &sev, &t4);
  timer_settime(t4, 0, &soon, NULL);
  pthread_mutex_lock(&mu);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  while (!fired && pthread_cond_timedwait(&cv, &mu, &dl) == 0) {}
  pthread_mutex_unlock(&mu);
  printf("SIGEV_THREAD callback ran with %d\n", fired);
  timer_delete(t4);

  /* tee: the data is copied and stays in the first pipe. */
  int a[2], b[2];
  pipe(a);
  pipe(b);
  write(a[1], "hello tee", 9);
  printf("tee: %zd\n", tee(a[0], b[1], 100, 0));
  char buf[32] = {0};
  printf("second pipe: %.*s\n", (int)read(b[0], buf, sizeof buf), buf);
  memset(buf, 0, sizeof buf);
  printf("first pipe still: %.*s\n", (int)read(a[0], buf, sizeof buf), buf);
  fcntl(a[0], F_SETFL, O_NONBLOCK);
  errno = 0;
  ssize_t n = tee(a[0], b[1], 100, SPLICE_F_NONBLOCK);
  printf("tee from an empty non-blocking pipe: %zd %s\n", n, strerror(errno));
  return 0;
}
