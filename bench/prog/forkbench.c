/* fork timing: mmap MIB (default 512), write TOUCH MiB (16), fork N times (20), each child
 * checks two pages and exits. Usage: forkbench [MIB [TOUCH [N]]]; prints ms per fork.
 * Build: riscv64-linux-gnu-gcc -O1 -static -o forkbench bench/prog/forkbench.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void){ struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec+t.tv_nsec/1e9; }
int main(int argc, char **argv) {
  size_t mib = argc > 1 ? atol(argv[1]) : 512, touch = argc > 2 ? atol(argv[2]) : 16;
  int forks = argc > 3 ? atoi(argv[3]) : 20;
  char *p = mmap(0, mib << 20, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  for (size_t i = 0; i < (touch << 20); i += 4096) p[i] = (char)(i >> 12) | 1;
  double t0 = now();
  for (int i = 0; i < forks; i++) {
    pid_t c = fork();
    if (c == 0) _exit(p[4096] == 1 && p[(touch << 20) - 4096] != 0 ? 0 : 4);
    int st; waitpid(c, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { printf("child %d status %x\n", i, st); return 1; }
  }
  double t = now() - t0;
  printf("%d forks with %zu MiB mapped (%zu touched): %.3f s, %.1f ms/fork\n", forks, mib, touch, t, t * 1000 / forks);
  return 0;
}
