/* RV64M edge cases in hot loops (tests/user-codegen.test.js): the block compiler emits div/rem
 * and the high multiplies inline (trans_rvm.ts); division by zero and MIN / -1 must give
 * RISC-V's results, not a wasm trap. Each op runs over every pair of edge values many times
 * (so loops get translated at the defaults too); a hash per op is printed. */
#include <stdint.h>
#include <stdio.h>

static const uint64_t V[] = {
  0, 1, 2, 3, 7, (uint64_t)-1, (uint64_t)-2, (uint64_t)-7, 0x8000000000000000ull, 0x7fffffffffffffffull,
  0x80000000ull, 0x7fffffffull, 0xffffffff80000000ull, 0xffffffffull, 0x100000000ull, 0x123456789abcdef1ull,
  0xfedcba9876543210ull, 0x00000000fffffffeull, 0xffffffff7fffffffull, 0x8000000000000001ull,
};
#define N (sizeof V / sizeof V[0])

#define OP(name) \
  static uint64_t f_##name(uint64_t a, uint64_t b) { uint64_t r; __asm__ volatile(#name " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
OP(mul) OP(mulh) OP(mulhsu) OP(mulhu) OP(div) OP(divu) OP(rem) OP(remu)
OP(mulw) OP(divw) OP(divuw) OP(remw) OP(remuw)

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

#define RUN(name) do { \
  uint64_t h = 0xcbf29ce484222325ull; \
  for (int rep = 0; rep < 300; rep++) \
    for (unsigned i = 0; i < N; i++) for (unsigned j = 0; j < N; j++) h = mix(h, f_##name(V[i], V[j] + (uint64_t)(rep & 1) * (j == 3))); \
  printf("%-7s %016llx\n", #name, (unsigned long long)h); } while (0)

int main(void) {
  RUN(mul); RUN(mulh); RUN(mulhsu); RUN(mulhu); RUN(div); RUN(divu); RUN(rem); RUN(remu);
  RUN(mulw); RUN(divw); RUN(divuw); RUN(remw); RUN(remuw);
  /* The same op with rd = rs1 and rd = rs2 (the inline code reads both before it writes). */
  uint64_t a = 0x8000000000000000ull, b = (uint64_t)-1, c = 0;
  for (int i = 0; i < 20000; i++) {
    __asm__ volatile("div %0, %0, %1" : "+r"(a) : "r"(b));
    __asm__ volatile("rem %0, %1, %0" : "+r"(c) : "r"(a));
    __asm__ volatile("mulhu %0, %0, %0" : "+r"(b));
    b = b ? b : (uint64_t)-1;
  }
  printf("alias   %016llx %016llx %016llx\n", (unsigned long long)a, (unsigned long long)b, (unsigned long long)c);
  return 0;
}
