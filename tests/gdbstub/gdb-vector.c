/* A vector program for the gdb stub test (tests/gdbstub-vector.test.js): v1 holds known bytes
 * when vec_ready() is called; gdb then writes v2, and vec_done() shows what the hart has in v2. */
#include "common.h"

#define ARCH ".option push\n.option arch, +v\n"
#define POP ".option pop\n"

volatile unsigned long stage;
static unsigned char buf[64] __attribute__((aligned(16)));
unsigned char out[16] __attribute__((aligned(16)));

__attribute__((noinline)) void vec_ready(void) { stage++; asm volatile("" ::: "memory"); }
__attribute__((noinline)) void vec_done(void) { stage++; asm volatile("" ::: "memory"); }

int main(void) {
  csr_set(mstatus, 0x600);
  for (int i = 0; i < 64; i++) buf[i] = i * 5 + 1;
  asm volatile(ARCH "vsetivli zero, 16, e8, m1, ta, ma\n vle8.v v1, (%0)\n vmv.v.i v2, 0\n vsetivli zero, 3, e32, m1, tu, mu\n" POP : : "r"(buf) : "memory");
  vec_ready();
  asm volatile(ARCH "vsetivli zero, 16, e8, m1, ta, ma\n vse8.v v2, (%0)\n" POP : : "r"(out) : "memory");
  vec_done();
  finish();
}
