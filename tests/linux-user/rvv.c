/* A vector program (V 1.0 through inline assembly: Debian's gcc 12 has no RVV intrinsics):
 * strip-mined memcpy, dot product (int32 widening to int64 and double), strlen with
 * fault-only-first loads up to the end of a mapped page, a segment load (RGB deinterleave),
 * a gather (reverse), fixed-point saturation and a compress. The output must be identical
 * under qemu-riscv64 -cpu rv64,v=true and tsqemu-riscv64 -cpu rv64,v=true. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define V ".option push\n.option arch, +v\n"
#define VEND ".option pop\n"

static void vmemcpy(void *d, const void *s, size_t n) {
  while (n) {
    size_t vl;
    asm volatile(V "vsetvli %0, %1, e8, m8, ta, ma\nvle8.v v8, (%2)\nvse8.v v8, (%3)\n" VEND
                 : "=&r"(vl) : "r"(n), "r"(s), "r"(d) : "memory");
    d = (char *)d + vl; s = (const char *)s + vl; n -= vl;
  }
}

static int64_t vdot(const int32_t *a, const int32_t *b, size_t n) {
  int64_t r;
  asm volatile(V "vsetvli t0, zero, e64, m2, ta, ma\nvmv.v.i v0, 0\n" VEND ::: "t0");
  while (n) {
    size_t vl;
    asm volatile(V "vsetvli %0, %1, e32, m1, ta, ma\nvle32.v v4, (%2)\nvle32.v v5, (%3)\n"
                 "vsetvli zero, %0, e32, m1, tu, ma\nvwmacc.vv v0, v4, v5\n" VEND
                 : "=&r"(vl) : "r"(n), "r"(a), "r"(b) : "memory");
    a += vl; b += vl; n -= vl;
  }
  asm volatile(V "vsetvli t0, zero, e64, m2, ta, ma\nvmv.s.x v8, zero\nvredsum.vs v8, v0, v8\nvmv.x.s %0, v8\n" VEND
               : "=r"(r) :: "t0");
  return r;
}

static double vddot(const double *a, const double *b, size_t n) {
  double r;
  asm volatile(V "vsetvli t0, zero, e64, m1, ta, ma\nvmv.v.i v2, 0\n" VEND ::: "t0");
  while (n) {
    size_t vl;
    asm volatile(V "vsetvli %0, %1, e64, m1, tu, ma\nvle64.v v4, (%2)\nvle64.v v5, (%3)\nvfmacc.vv v2, v4, v5\n" VEND
                 : "=&r"(vl) : "r"(n), "r"(a), "r"(b) : "memory");
    a += vl; b += vl; n -= vl;
  }
  asm volatile(V "vsetvli t0, zero, e64, m1, ta, ma\nvmv.s.x v8, zero\nvfredosum.vs v8, v2, v8\nvfmv.f.s %0, v8\n" VEND
               : "=f"(r) :: "t0");
  return r;
}

static size_t vstrlen(const char *s) {
  const char *p = s;
  for (;;) {
    size_t vl; long first;
    asm volatile(V "vsetvli t0, zero, e8, m1, ta, ma\nvle8ff.v v8, (%2)\ncsrr %0, vl\nvmseq.vi v0, v8, 0\nvfirst.m %1, v0\n" VEND
                 : "=&r"(vl), "=&r"(first) : "r"(p) : "t0", "memory");
    if (first >= 0) return (size_t)(p - s) + first;
    p += vl;
  }
}

int main(void) {
  static int32_t a[1000], b[1000];
  static double da[777], db[777];
  static uint8_t src[5000], dst[5000];
  for (int i = 0; i < 1000; i++) { a[i] = (i * 7919) % 20011 - 10000; b[i] = (i * 104729) % 30011 - 15000; }
  for (int i = 0; i < 777; i++) { da[i] = i * 0.25 - 50; db[i] = 1.0 / (i + 1); }
  for (int i = 0; i < 5000; i++) src[i] = (uint8_t)(i * 31 + 7);
  vmemcpy(dst, src, 4999);
  printf("memcpy %s last=%u\n", memcmp(dst, src, 4999) ? "differs" : "equal", dst[4998]);
  printf("dot32 %lld\n", (long long)vdot(a, b, 1000));
  printf("ddot %.17g\n", vddot(da, db, 777));

  /* strlen up to the last byte of a page followed by an unmapped one: ff trims vl */
  char *pg = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(pg + 4096, 4096);
  memset(pg, 'x', 4096);
  pg[4095] = 0;
  printf("strlen %zu %zu\n", vstrlen(pg + 4000), vstrlen("hello, vector"));

  /* segment load: deinterleave 16 RGB triples, sum each channel */
  uint8_t rgb[48]; for (int i = 0; i < 48; i++) rgb[i] = (uint8_t)(i * 13);
  uint64_t sums[3];
  asm volatile(V "li t0, 16\nvsetvli t0, t0, e8, m1, ta, ma\nvlseg3e8.v v8, (%3)\n"
               "vsetvli t1, zero, e16, m2, ta, ma\nvmv.s.x v16, zero\n"
               "vsetvli zero, t0, e8, m1, ta, ma\n"
               "vwredsumu.vs v17, v8, v16\nvwredsumu.vs v18, v9, v16\nvwredsumu.vs v19, v10, v16\n"
               "vsetivli zero, 1, e16, m1, ta, ma\nvmv.x.s %0, v17\nvmv.x.s %1, v18\nvmv.x.s %2, v19\n" VEND
               : "=&r"(sums[0]), "=&r"(sums[1]), "=&r"(sums[2]) : "r"(rgb) : "t0", "t1", "memory");
  printf("rgb %llu %llu %llu\n", (unsigned long long)(sums[0] & 0xffff), (unsigned long long)(sums[1] & 0xffff), (unsigned long long)(sums[2] & 0xffff));

  /* reverse 8 halfwords with vrgather, saturating add, compress of the odd ones */
  int16_t h[8] = { 1, -2, 30000, 4, -32000, 6, 7, 8 }, out[8] = { 0 }, sat[8], comp[8] = { 0 };
  long cnt, vxsat;
  asm volatile(V "vsetivli zero, 8, e16, m1, ta, ma\nvle16.v v1, (%3)\nvid.v v2\nvrsub.vi v2, v2, 7\n"
               "vrgather.vv v3, v1, v2\nvse16.v v3, (%4)\n"
               "vsadd.vv v4, v1, v1\nvse16.v v4, (%5)\ncsrr %1, vxsat\n"
               "vand.vi v5, v1, 1\nvmsne.vi v0, v5, 0\nvcompress.vm v6, v1, v0\nvcpop.m %0, v0\nvse16.v v6, (%2)\n" VEND
               : "=&r"(cnt), "=&r"(vxsat) : "r"(comp), "r"(h), "r"(out), "r"(sat) : "memory");
  printf("rev"); for (int i = 0; i < 8; i++) printf(" %d", out[i]);
  printf("\nsat"); for (int i = 0; i < 8; i++) printf(" %d", sat[i]);
  printf(" vxsat=%ld\ncompress %ld:", vxsat, cnt); for (int i = 0; i < cnt; i++) printf(" %d", comp[i]);
  long vlenb; asm volatile("csrr %0, vlenb" : "=r"(vlenb));
  printf("\nvlenb %ld\n", vlenb);
  return 0;
}
