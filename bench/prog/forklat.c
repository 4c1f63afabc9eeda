/* fork latency: fork, the child _exits at once, waitpid; N forks PAUSE s apart (so a fork server
 * has its spare ready). Usage: forklat [N [PAUSE]]; prints ms per fork.
 * Build: riscv64-linux-gnu-gcc -O1 -static -o forklat bench/prog/forklat.c */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void){ struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec+t.tv_nsec/1e9; }
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4, pause = argc > 2 ? atoi(argv[2]) : 3;
  for (int i = 0; i < n; i++) {
    if (i) sleep(pause);
    double t0 = now();
    pid_t c = fork();
    if (c == 0) _exit(7);
    int st; waitpid(c, &st, 0);
    printf("fork %d: %.0f ms status %d\n", i, (now() - t0) * 1000, WEXITSTATUS(st));
  }
  return 0;
}
