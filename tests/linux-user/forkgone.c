/* A forked child outlives its parent, after a sibling killed at once (bash: `sleep 5 & kill $!`,
 * then `read -t 0.1 < <(sleep 1)`): the child's emulator let go of the fork server's IPC
 * channel once the parent had closed it, an uncaught ERR_IPC_DISCONNECTED on its stderr. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  pid_t a = fork();
  if (a == 0) {
    struct timespec t = { 5, 0 };
    nanosleep(&t, NULL);
    _exit(0);
  }
  kill(a, SIGTERM);
  int st;
  waitpid(a, &st, 0);
  printf("sibling: signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
  fflush(stdout);
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t b = fork();
  if (b == 0) {
    close(p[0]);
    struct timespec t = { 1, 0 };
    nanosleep(&t, NULL);
    _exit(0); /* says nothing: its output would race the parent's */
  }
  close(p[1]);
  struct pollfd pf = { p[0], POLLIN, 0 };
  printf("poll: %d\n", poll(&pf, 1, 100));
  return 0;
}
