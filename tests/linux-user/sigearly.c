/* A signal sent to a forked child at once, before the emulator of the child has started (LTP
 * flock07): the child's inherited handler runs, a default SIGUSR1 kills it, an ignored one is
 * dropped. (Node's own SIGUSR1 handler started its inspector and the signal was lost.) A SIGILL
 * or SIGFPE sent by kill() reaches the handler of a child that has one (LTP pause01). */
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

/* The child installs a handler for sig, says so on a pipe and waits; the parent kills it. The
 * child polls `got` with short sleeps, up to 20 s: `while (!got) pause();` can lose a signal that
 * lands between the test and the pause (it hung qemu-riscv64's child once in CI), and a blocked
 * SIGILL/SIGFPE with sigsuspend makes QEMU 7.2 kill the child with SIGSEGV now and then. */
static void sent(int sig) {
  int p[2];
  if (pipe(p) != 0) return;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct sigaction sa = { 0 };
    sa.sa_handler = handler;
    sigaction(sig, &sa, NULL);
    if (write(p[1], "x", 1) != 1) _exit(1);
    for (int i = 0; i < 2000 && !got; i++) {
      struct timespec t = { 0, 10000000 };
      nanosleep(&t, NULL);
    }
    printf("signal %d: child handler saw %d\n", sig, (int)got);
    fflush(stdout);
    _exit(0);
  }
  char c;
  if (read(p[0], &c, 1) != 1) return;
  kill(pid, sig);
  int st;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) printf("signal %d: child killed by %d\n", sig, WTERMSIG(st));
  else printf("signal %d: child exit %d\n", sig, WEXITSTATUS(st));
  close(p[0]);
  close(p[1]);
}

int main(void) {
  one("handler", handler);
  one("default", SIG_DFL);
  sent(SIGILL);
  sent(SIGFPE);
  return 0;
}
