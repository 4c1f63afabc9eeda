/* Real-time signals are queued: every instance is delivered, in order, with its sigqueue value;
 * standard signals sent several times while blocked arrive once. Also a blocked, ignored and
 * pending set that survives execve (argv[1] == "exec": the program execs itself). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int nrec;
static int rec_sig[64], rec_code[64], rec_val[64];

static void handler(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (nrec < 64) {
    rec_sig[nrec] = sig - SIGRTMIN;
    rec_code[nrec] = si->si_code;
    rec_val[nrec] = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
    nrec++;
  }
}

static void usr_handler(int sig) { (void)sig; nrec++; }

static void dump(const char *what) {
  printf("%s: %d\n", what, nrec);
  for (int i = 0; i < nrec; i++) printf("  RTMIN+%d code=%d value=%d\n", rec_sig[i], rec_code[i], rec_val[i]);
  nrec = 0;
}

static void *thread_main(void *arg) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 3);
  siginfo_t si;
  for (int i = 0; i < 3; i++) {
    int sig = sigwaitinfo(&s, &si);
    printf("thread sigwaitinfo: RTMIN+%d value=%d\n", sig - SIGRTMIN, si.si_value.sival_int);
  }
  return arg;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec") == 0) {
    struct sigaction sa;
    sigset_t cur, pend;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    sigpending(&pend);
    sigaction(SIGUSR1, NULL, &sa);
    printf("after exec: SIGUSR1 %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "default");
    sigaction(SIGUSR2, NULL, &sa);
    printf("after exec: SIGUSR2 %s\n", sa.sa_handler == SIG_IGN ? "ignored" : sa.sa_handler == SIG_DFL ? "default" : "handler");
    printf("after exec: SIGTERM blocked %d, SIGRTMIN+4 blocked %d, SIGUSR2 blocked %d\n",
           sigismember(&cur, SIGTERM), sigismember(&cur, SIGRTMIN + 4), sigismember(&cur, SIGUSR2));
    printf("after exec: SIGRTMIN+4 pending %d\n", sigismember(&pend, SIGRTMIN + 4));
    siginfo_t si;
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGRTMIN + 4);
    struct timespec zero = {0, 0};
    for (;;) {
      int sig = sigtimedwait(&w, &si, &zero);
      if (sig < 0) break;
      printf("after exec: took RTMIN+%d value=%d\n", sig - SIGRTMIN, si.si_value.sival_int);
    }
    return 0;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  for (int i = 1; i <= 3; i++) sigaction(SIGRTMIN + i, &sa, NULL);

  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGRTMIN + 1);
  sigaddset(&block, SIGRTMIN + 2);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &old);
  for (int i = 0; i < 3; i++) sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 20 + i});
  for (int i = 0; i < 3; i++) sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 10 + i});
  kill(getpid(), SIGRTMIN + 1);
  /* tgkill to ourselves: a thread-directed instance. */
  syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 2);
  sigset_t pend;
  sigpending(&pend);
  printf("pending RTMIN+1 %d RTMIN+2 %d\n", sigismember(&pend, SIGRTMIN + 1), sigismember(&pend, SIGRTMIN + 2));
  sigprocmask(SIG_SETMASK, &old, NULL);
  dump("delivered");

  /* A standard signal sent three times while blocked arrives once. */
  signal(SIGUSR1, usr_handler);
  sigprocmask(SIG_BLOCK, &block, NULL);
  for (int i = 0; i < 3; i++) kill(getpid(), SIGUSR1);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("SIGUSR1 handled %d time(s)\n", nrec);
  nrec = 0;

  /* sigtimedwait takes the queued instances one at a time, oldest first. */
  sigprocmask(SIG_BLOCK, &block, NULL);
  for (int i = 0; i < 2; i++) sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 100 + i});
  siginfo_t si;
  struct timespec zero = {0, 0};
  for (;;) {
    int sig = sigtimedwait(&block, &si, &zero);
    if (sig < 0) { printf("sigtimedwait: %s\n", strerror(errno)); break; }
    printf("sigtimedwait: RTMIN+%d code=%d value=%d\n", sig - SIGRTMIN, si.si_code, si.si_value.sival_int);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);

  /* Another thread waits for three queued instances sent to the process. */
  sigset_t b3;
  sigemptyset(&b3);
  sigaddset(&b3, SIGRTMIN + 3);
  sigprocmask(SIG_BLOCK, &b3, NULL);
  pthread_t t;
  pthread_create(&t, NULL, thread_main, NULL);
  for (int i = 0; i < 3; i++) sigqueue(getpid(), SIGRTMIN + 3, (union sigval){.sival_int = 30 + i});
  pthread_join(t, NULL);
  fflush(stdout);

  if (argc > 1 && strcmp(argv[1], "noexec") == 0) return 0;
  /* execve keeps ignored signals (handled ones go back to default), the mask and pending signals. */
  signal(SIGUSR1, SIG_IGN);
  signal(SIGUSR2, usr_handler);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGTERM);
  sigaddset(&m, SIGRTMIN + 4);
  sigprocmask(SIG_BLOCK, &m, NULL);
  sigqueue(getpid(), SIGRTMIN + 4, (union sigval){.sival_int = 41});
  sigqueue(getpid(), SIGRTMIN + 4, (union sigval){.sival_int = 42});
  char *args[] = {argv[0], "exec", NULL};
  execv("/proc/self/exe", args);
  printf("execv: %s\n", strerror(errno));
  return 1;
}
