/* Bit-manipulation heavy code for -march=rv64gc_zba_zbb_zbs (gcc 12 then emits cpop, clz, ctz,
 * rol/ror, rev8, min/max, andn/orn, sext/zext, sh[123]add(.uw), bset/bclr/binv/bext): the same
 * output under qemu-riscv64 and tsqemu-riscv64. argv[1] = rounds (default 2000; the benchmark
 * passes more). */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static inline uint64_t rotl(uint64_t x, unsigned r) { return (x << (r & 63)) | (x >> ((-r) & 63)); }
static inline uint32_t rotr32(uint32_t x, unsigned r) { return (x >> (r & 31)) | (x << ((-r) & 31)); }

static uint64_t xs = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) { xs ^= xs << 13; xs ^= xs >> 7; xs ^= xs << 17; return xs; }

__attribute__((noinline)) static uint64_t mix(uint64_t a, uint64_t b, unsigned i) {
  uint64_t h = 0;
  h += __builtin_popcountll(a) + __builtin_popcount((uint32_t)b);
  h += a ? __builtin_clzll(a) : 64;
  h += b ? __builtin_ctzll(b) : 64;
  h += (uint32_t)a ? __builtin_clz((uint32_t)a) : 32;
  h ^= rotl(a, i) ^ rotr32((uint32_t)b, i);
  h += __builtin_bswap64(a) ^ __builtin_bswap32((uint32_t)b);
  h += (int64_t)a < (int64_t)b ? a : b;
  h += a > b ? a : b;
  h ^= a & ~b;
  h ^= a | ~b;
  h += (int8_t)a + (int16_t)b + (uint16_t)a;
  h ^= a | (1ULL << (i & 63));            /* bset */
  h ^= b & ~(1ULL << ((i * 7) & 63));     /* bclr */
  h ^= a ^ (1ULL << ((i * 3) & 63));      /* binv */
  h += (b >> (i & 63)) & 1;               /* bext */
  return h;
}

static uint64_t table[4096];

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 2000;
  for (unsigned i = 0; i < 4096; i++) table[i] = next();
  uint64_t acc = 0;
  for (long r = 0; r < rounds; r++) {
    for (unsigned i = 0; i < 256; i++) {
      uint32_t idx = (uint32_t)(next() >> 20) & 4095; /* add.uw / sh3add.uw indexing */
      acc += mix(table[idx], acc, i);
      table[(idx * 3 + i) & 4095] ^= acc;
    }
  }
  /* corner values */
  uint64_t corners[] = { 0, 1, ~0ULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL, 0xffffffffULL, 0x100000000ULL, 0x80ULL };
  for (unsigned i = 0; i < 8; i++)
    for (unsigned j = 0; j < 8; j++) acc = acc * 31 + mix(corners[i], corners[j], i * 8 + j);
  printf("bitmanip %ld rounds: %016llx\n", rounds, (unsigned long long)acc);
  return 0;
}
