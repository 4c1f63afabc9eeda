/* A terminating signal sent by another process while blocked stays pending (sigpending shows
 * it) and ends the process when unblocked; an ignored one is dropped. Prints "ready", then the
 * test sends SIGTERM and SIGUSR1 (blocked, default action) and SIGHUP (ignored). */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  sigset_t set, pend;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGHUP, SIG_IGN);
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < 2000; i++) { /* up to 20 s for the test's kill */
    sigpending(&pend);
    if (sigismember(&pend, SIGTERM) && sigismember(&pend, SIGUSR1)) break;
    struct timespec t = { 0, 10000000 };
    nanosleep(&t, NULL);
  }
  sigpending(&pend);
  printf("pending: TERM %d USR1 %d HUP %d\n", sigismember(&pend, SIGTERM), sigismember(&pend, SIGUSR1), sigismember(&pend, SIGHUP));
  fflush(stdout);
  sigdelset(&set, SIGTERM);
  sigprocmask(SIG_UNBLOCK, &set, NULL); /* SIGUSR1 first: it ends the process */
  printf("still alive\n");
  return 0;
}
