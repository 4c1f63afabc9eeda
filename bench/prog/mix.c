/* tsqemu benchmark: a mix of integer, memory and floating-point work, deterministic, printing a
 * checksum so both emulators can be checked to compute the same thing. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* integer: sort 1M random words, then hash them */
static uint64_t integer_work(void) {
  size_t n = 1 << 20;
  uint32_t *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = (uint32_t)xorshift();
  qsort(v, n, sizeof *v, cmp_u32);
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ v[i]) * 1099511628211ull;
  free(v);
  return h;
}

/* memory: strided walks and copies over 16 MiB */
static uint64_t memory_work(void) {
  size_t n = 16 << 20;
  uint8_t *a = malloc(n), *b = malloc(n);
  for (size_t i = 0; i < n; i++) a[i] = (uint8_t)(i * 31 + 7);
  uint64_t s = 0;
  for (int rep = 0; rep < 4; rep++) {
    memcpy(b, a, n);
    for (size_t i = 0; i < n; i += 64) s += b[(i * 17) % n];
    for (size_t i = 0; i < n; i += 8) *(uint64_t *)(a + i) ^= s + i;
  }
  free(a); free(b);
  return s;
}

/* floating point: 128x128 matrix multiply a few times, plus transcendental functions */
static double fp_work(void) {
  enum { N = 128 };
  static double A[N][N], B[N][N], C[N][N];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) { A[i][j] = (i * N + j) % 17 * 0.25; B[i][j] = (i + 2 * j) % 13 * 0.5; }
  for (int rep = 0; rep < 6; rep++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        double s = 0;
        for (int k = 0; k < N; k++) s += A[i][k] * B[k][j];
        C[i][j] = s;
      }
    for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) A[i][j] = C[i][j] / (1.0 + C[i][j]);
  }
  double t = 0;
  for (int i = 1; i < 200000; i++) t += sin(i * 0.001) * sqrt((double)i) / log(i + 1.0);
  return t + C[N / 2][N / 3];
}

int main(void) {
  uint64_t h = integer_work();
  uint64_t m = memory_work();
  double f = fp_work();
  printf("int %016llx mem %016llx fp %.9g\n", (unsigned long long)h, (unsigned long long)m, f);
  return 0;
}
