/* tsqemu-riscv64 -g: signals gdb sees, passes or drops (tests/gdbstub-user-more.test.js). */
#include <signal.h>
#include <stdio.h>
volatile int hits;
static void on_usr1(int s) { hits += 10; }
int main(void) {
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  raise(SIGUSR1);
  printf("hits=%d\n", hits);
  fflush(stdout);
  raise(SIGUSR2);
  return 3;
}
