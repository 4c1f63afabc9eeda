/* Host signals: a SIGINT handler runs, then SIGTERM (default action) ends the process. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_int(int sig) { got = sig; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_int;
  sigaction(SIGINT, &sa, NULL);
  printf("ready\n");
  fflush(stdout);
  while (!got) pause();
  printf("got signal %d\n", got);
  fflush(stdout);
  for (;;) pause();
}
