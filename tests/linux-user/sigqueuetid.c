/* rt_sigqueueinfo to a thread's tid reaches the process, rt_tgsigqueueinfo another thread of ours (with
 * its si_value), rt_sigprocmask checks sigsetsize (LTP rt_sigqueueinfo01, rt_tgsigqueueinfo01,
 * rt_sigprocmask02). A pid or tgid of 0 or -1 is looked up, never the host's kill(0)/kill(-1) (every
 * process: LTP rt_sigqueueinfo02 sent SIGUSR1 to the whole host); signal 0 here, harmless. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static volatile int got, val;
static volatile pid_t tid;
static volatile int ready, done;
static void h(int s, siginfo_t *si, void *uc) { (void)uc; got = s; val = si->si_value.sival_int; }
static void *thr(void *a) {
  (void)a;
  tid = syscall(SYS_gettid);
  ready = 1;
  while (!done) usleep(1000);
  return NULL;
}
int main(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  pthread_t t;
  pthread_create(&t, NULL, thr, NULL);
  while (!ready) usleep(1000);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_code = SI_QUEUE;
  si.si_signo = SIGUSR1;
  si.si_pid = getpid();
  si.si_value.sival_int = 777;
  long r = syscall(SYS_rt_sigqueueinfo, tid, SIGUSR1, &si);
  printf("rt_sigqueueinfo to a thread's tid: %ld %s\n", r, r ? strerror(errno) : "");
  for (int i = 0; i < 2000 && !got; i++) usleep(1000);
  printf("got %d value %d\n", got, val);
  got = 0;
  r = syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, SIGUSR1, &si);
  printf("rt_tgsigqueueinfo to a thread: %ld %s\n", r, r ? strerror(errno) : "");
  for (int i = 0; i < 2000 && !got; i++) usleep(1000);
  printf("got %d value %d\n", got, val);
  sigset_t set;
  sigemptyset(&set);
  r = syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 1);
  printf("rt_sigprocmask sigsetsize 1: %ld %s\n", r, r ? strerror(errno) : "");
  si.si_signo = 0;
  r = syscall(SYS_rt_sigqueueinfo, -1, 0, &si);
  printf("rt_sigqueueinfo(-1, 0): %ld %s\n", r, r ? strerror(errno) : "");
  r = syscall(SYS_rt_sigqueueinfo, 0, 0, &si);
  printf("rt_sigqueueinfo(0, 0): %ld %s\n", r, r ? strerror(errno) : "");
  r = syscall(SYS_rt_tgsigqueueinfo, -1, tid, 0, &si);
  printf("rt_tgsigqueueinfo(-1, tid, 0): %ld %s\n", r, r ? strerror(errno) : "");
  r = syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, 0, &si);
  printf("rt_tgsigqueueinfo(pid, 0, 0): %ld %s\n", r, r ? strerror(errno) : "");
  r = syscall(SYS_tgkill, 0, tid, 0);
  printf("tgkill(0, tid, 0): %ld %s\n", r, r ? strerror(errno) : "");
  r = syscall(SYS_tgkill, -1, tid, 0);
  printf("tgkill(-1, tid, 0): %ld %s\n", r, r ? strerror(errno) : "");
  r = syscall(SYS_tkill, 0, 0);
  printf("tkill(0, 0): %ld %s\n", r, r ? strerror(errno) : "");
  r = syscall(SYS_tkill, -1, 0);
  printf("tkill(-1, 0): %ld %s\n", r, r ? strerror(errno) : "");
  done = 1;
  pthread_join(t, NULL);
  return 0;
}
