/* bench/vector.js's kernels: memcpy of a 64 KiB buffer and an int32 dot product over 16 Ki
 * elements, scalar C (gcc -O2, no vectorisation) or strip-mined V 1.0 inline assembly. Prints
 * the kernels' own time (CLOCK_MONOTONIC around the loop) last.
 *   vector KERNEL(memcpy|dot) MODE(scalar|vector) ITERATIONS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#define V ".option push\n.option arch, +v\n"
#define VEND ".option pop\n"
#define N 16384

static uint8_t src[4 * N], dst[4 * N];
static int32_t a[N], b[N];

static void __attribute__((noinline)) scopy(uint8_t *d, const uint8_t *s, size_t n) {
  uint64_t *dd = (uint64_t *)d; const uint64_t *ss = (const uint64_t *)s;
  for (size_t i = 0; i < n / 8; i++) { asm volatile("" ::: "memory"); dd[i] = ss[i]; }
}
static void vcopy(uint8_t *d, const uint8_t *s, size_t n) {
  while (n) {
    size_t vl;
    asm volatile(V "vsetvli %0, %1, e8, m8, ta, ma\nvle8.v v8, (%2)\nvse8.v v8, (%3)\n" VEND
                 : "=&r"(vl) : "r"(n), "r"(s), "r"(d) : "memory");
    d += vl; s += vl; n -= vl;
  }
}
static int64_t __attribute__((noinline)) sdot(const int32_t *x, const int32_t *y, size_t n) {
  int64_t r = 0;
  for (size_t i = 0; i < n; i++) { asm volatile(""); r += (int64_t)x[i] * y[i]; }
  return r;
}
static int64_t vdot(const int32_t *x, const int32_t *y, size_t n) {
  int64_t r;
  asm volatile(V "vsetvli t0, zero, e64, m8, ta, ma\nvmv.v.i v0, 0\n" VEND ::: "t0");
  while (n) {
    size_t vl;
    asm volatile(V "vsetvli %0, %1, e32, m4, tu, ma\nvle32.v v8, (%2)\nvle32.v v12, (%3)\nvwmacc.vv v0, v8, v12\n" VEND
                 : "=&r"(vl) : "r"(n), "r"(x), "r"(y) : "memory");
    x += vl; y += vl; n -= vl;
  }
  asm volatile(V "vsetvli t0, zero, e64, m8, ta, ma\nvmv.s.x v16, zero\nvredsum.vs v16, v0, v16\nvmv.x.s %0, v16\n" VEND
               : "=r"(r) :: "t0");
  return r;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int vec = !strcmp(argv[2], "vector");
  long iters = atol(argv[3]);
  for (int i = 0; i < N; i++) { a[i] = i * 7 - 5000; b[i] = 3 - i; }
  for (int i = 0; i < 4 * N; i++) src[i] = (uint8_t)i;
  int64_t acc = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long it = 0; it < iters; it++) {
    if (!strcmp(argv[1], "memcpy")) {
      src[it % (4 * N)]++;
      if (vec) vcopy(dst, src, 4 * N); else scopy(dst, src, 4 * N);
      acc += dst[(it * 7) % (4 * N)];
    } else {
      a[it % N]++;
      acc += vec ? vdot(a, b, N) : sdot(a, b, N);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%s %s %ld %lld %.3f\n", argv[1], argv[2], iters, (long long)acc,
         (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
