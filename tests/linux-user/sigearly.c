/* A signal sent to a forked child at once, before the emulator of the child has started (LTP
 * flock07): the child's inherited handler runs, a default SIGUSR1 kills it, an ignored one is
 * dropped. (Node's own SIGUSR1 handler started its inspector and the signal was lost.) */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

static void one(const char *what, void (*h)(int)) {
  struct sigaction sa = { 0 };
  sa.sa_handler = h;
  sigaction(SIGUSR1, &sa, NULL);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    /* Up to 20 s for the signal: a child with a handler reports it, an ignoring one ends after. */
    for (int i = 0; i < 200 && !got; i++) {
      struct timespec t = { 0, 100000000 };
      nanosleep(&t, NULL);
    }
    printf("%s: child saw %d\n", what, (int)got);
    fflush(stdout);
    _exit(3);
  }
  kill(pid, SIGUSR1);
  int st;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) printf("%s: child killed by %d\n", what, WTERMSIG(st));
  else printf("%s: child exit %d\n", what, WEXITSTATUS(st));
}

int main(void) {
  one("handler", handler);
  one("default", SIG_DFL);
  return 0;
}
