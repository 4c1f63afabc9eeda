/* Two phases of two compute threads (src/linux-user/thread-host.ts, issue 18): the threads of a
 * phase start on main's worker, which gives one to another worker while a host core idles; that
 * worker, its thread done, waits as a spare and takes the second phase's split too (2 workers in
 * all on a host of 2 cores or more, not a new one per split). Prints the sums, as qemu-riscv64. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define ROUNDS (1u << 26)

static void *work(void *arg) {
  uint64_t *sum = arg, s = 0;
  for (uint32_t i = 0; i < ROUNDS; i++) {
    uint32_t x = (i + (uint32_t)*sum) * 0x9e3779b9u;
    x ^= x >> 15; x *= 0x85ebca6bu; x ^= x >> 13;
    s += x;
  }
  *sum = s;
  return NULL;
}

int main(void) {
  for (int phase = 0; phase < 2; phase++) {
    pthread_t t[2];
    uint64_t sums[2] = { 2 * phase, 2 * phase + 1 };
    for (int i = 0; i < 2; i++) if (pthread_create(&t[i], NULL, work, &sums[i])) return 1;
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    printf("phase %d: %llx %llx\n", phase, (unsigned long long)sums[0], (unsigned long long)sums[1]);
  }
  return 0;
}
