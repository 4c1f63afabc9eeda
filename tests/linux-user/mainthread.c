/* The first guest thread on the emulator's main thread (src/host/node/user-first.ts): what a
 * single-threaded program does there, and the calls that move it to a worker (then done there).
 * argv[1] picks one case; the output and exit status are compared with qemu-riscv64. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_sig(int s) { got = s; }
static void *thread_fn(void *a) { return (void *)((long)a + 1); }
/* A loop hot enough to be translated on the main thread, run again after the move. */
static __attribute__((noinline)) unsigned long mix(unsigned long n) {
  unsigned long h = 1469598103934665603UL;
  for (unsigned long i = 0; i < n; i++) h = (h ^ (i & 0xff)) * 1099511628211UL + (i >> 3);
  return h;
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "status")) { printf("status\n"); return 7; }
  if (!strcmp(m, "cat")) { /* blocking reads on stdin */
    char b[64]; ssize_t n; long t = 0;
    while ((n = read(0, b, sizeof b)) > 0) { t += n; if (write(1, b, n) != n) return 1; }
    printf("%ld bytes\n", t); return 0;
  }
  if (!strcmp(m, "spin")) { /* killed by the test from outside */
    printf("ready\n"); fflush(stdout);
    for (volatile unsigned long i = 0;; i++) {}
  }
  if (!strcmp(m, "sleep")) { printf("ready\n"); fflush(stdout); sleep(60); return 0; }
  if (!strcmp(m, "thread")) {
    pthread_t t; void *r;
    if (pthread_create(&t, 0, thread_fn, (void *)41L)) return 2;
    pthread_join(t, &r); printf("thread %ld\n", (long)r); return 0;
  }
  if (!strcmp(m, "fork")) {
    pid_t p = fork(); if (!p) { printf("child\n"); _exit(3); }
    int st; waitpid(p, &st, 0); printf("child status %d\n", WEXITSTATUS(st)); return 0;
  }
  if (!strcmp(m, "handler")) {
    signal(SIGUSR1, on_sig); raise(SIGUSR1); printf("got %d\n", (int)got); return 0;
  }
  if (!strcmp(m, "hotmove")) { /* translated here, then moved by sigaction: the worker runs them */
    unsigned long a = 0;
    for (int k = 0; k < 200; k++) a += mix(500 + k);
    signal(SIGUSR1, on_sig);
    for (int k = 0; k < 200; k++) a += mix(500 + k);
    raise(SIGUSR1); printf("hotmove %lx got %d\n", a, (int)got); return 0;
  }
  if (!strcmp(m, "block")) { /* a blocked signal to ourselves stays pending until unblocked */
    sigset_t s; sigemptyset(&s); sigaddset(&s, SIGTERM); sigprocmask(SIG_BLOCK, &s, 0);
    kill(getpid(), SIGTERM); printf("still here\n"); fflush(stdout);
    sigprocmask(SIG_UNBLOCK, &s, 0); printf("not reached\n"); return 0;
  }
  if (!strcmp(m, "alarm")) {
    signal(SIGALRM, on_sig);
    struct itimerval it = { { 0, 0 }, { 0, 20000 } }; setitimer(ITIMER_REAL, &it, 0);
    while (!got) pause();
    printf("alarm %d\n", (int)got); return 0;
  }
  if (!strcmp(m, "abort")) { printf("abort\n"); fflush(stdout); abort(); }
  if (!strcmp(m, "segv")) { printf("segv\n"); fflush(stdout); *(volatile int *)8 = 1; }
  if (!strcmp(m, "exec")) { execl(argv[0], argv[0], "status", (char *)0); return 9; }
  printf("hello %s\n", m);
  return 0;
}
