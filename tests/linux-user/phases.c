/* Three phases, each a different hot loop of a few million instructions (a checksum, a
 * shuffle, a polynomial): each phase's loop gets hot on its own, after the previous batch was
 * compiled (tests/user-jit-quiet.test.js counts what ran interpreted). */
#include <stdio.h>
#include <stdint.h>

static uint32_t buf[4096];

int main(void) {
  uint64_t h = 1469598103934665603ull;
  for (int r = 0; r < 300; r++)
    for (int i = 0; i < 4096; i++) h = (h ^ (uint32_t)(i * r)) * 1099511628211ull;
  printf("phase1 %016llx\n", (unsigned long long)h);
  uint32_t x = 7;
  for (int r = 0; r < 200; r++)
    for (int i = 0; i < 4096; i++) { x = x * 1664525u + 1013904223u; uint32_t j = x & 4095; uint32_t t = buf[i]; buf[i] = buf[j] + x; buf[j] = t; }
  uint64_t s = 0;
  for (int i = 0; i < 4096; i++) s += buf[i];
  printf("phase2 %016llx\n", (unsigned long long)s);
  uint64_t p = 0;
  for (uint64_t i = 0; i < 1500000; i++) p = p * 3 + (i ^ (p >> 7));
  printf("phase3 %016llx\n", (unsigned long long)p);
  return 0;
}
