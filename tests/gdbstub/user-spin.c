/* tsqemu-riscv64 -g all-stop (tests/gdbstub-user-threads.test.js): three threads count in
 * endless loops, one sleeps in a system call, main counts too. A Ctrl-C must stop them all
 * (the counters stay put while gdb looks) without waiting for the sleeper. */
#include <pthread.h>
#include <unistd.h>

volatile long counts[4];

static void *spin(void *a) {
  long i = (long)a;
  for (;;) counts[i]++;
  return 0;
}

static void *sleeper(void *a) {
  (void)a;
  for (;;) sleep(100);
  return 0;
}

int main(void) {
  pthread_t t;
  for (long i = 0; i < 3; i++) pthread_create(&t, 0, spin, (void *)i);
  pthread_create(&t, 0, sleeper, 0);
  for (;;) counts[3]++;
}
