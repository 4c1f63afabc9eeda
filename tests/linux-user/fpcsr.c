/* fflags, frm and fcsr accessed from hot code (the block compiler does them inline) in every
 * form: csrrw/csrrs/csrrc and their immediate forms, rd = x0, rs1 = x0 (no write), values with
 * bits outside the field (masked), reserved rounding modes read back; FP operations with a
 * dynamic rounding mode between the accesses see frm, fflags accrue across them. Then the fused
 * multiply-adds with a zero factor (inline: z + (+-0)) over signed zeros, subnormal, normal,
 * infinite and NaN addends, NX set and clear, printing result bits and fflags. Compared with
 * qemu-riscv64 (tests/user-codegen.test.js). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

#define CSR(insn, csr, v) ({ uint64_t _o; __asm__ volatile(insn " %0, " csr ", %1" : "=r"(_o) : "r"(v)); _o; })
#define CSRI(insn, csr, imm) ({ uint64_t _o; __asm__ volatile(insn " %0, " csr ", " #imm : "=r"(_o)); _o; })

static double dyn_add(double a, double b) { double r; __asm__ volatile("fadd.d %0,%1,%2,dyn" : "=f"(r) : "f"(a), "f"(b)); return r; }
static double dyn_div(double a, double b) { double r; __asm__ volatile("fdiv.d %0,%1,%2,dyn" : "=f"(r) : "f"(a), "f"(b)); return r; }
static float dyn_mul_s(float a, float b) { float r; __asm__ volatile("fmul.s %0,%1,%2,dyn" : "=f"(r) : "f"(a), "f"(b)); return r; }

static uint64_t bits(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }
static uint32_t bitsf(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

static uint64_t csr_round(uint64_t v, int i) {
  uint64_t h = 0;
  switch (i % 16) {
  case 0: h = CSR("csrrw", "fflags", v); break;
  case 1: h = CSR("csrrs", "fflags", v); break;
  case 2: h = CSR("csrrc", "fflags", v); break;
  case 3: h = CSR("csrrw", "frm", v); break;
  case 4: h = CSR("csrrs", "frm", v); break;
  case 5: h = CSR("csrrc", "frm", v); break;
  case 6: h = CSR("csrrw", "fcsr", v); break;
  case 7: h = CSR("csrrs", "fcsr", v); break;
  case 8: h = CSR("csrrc", "fcsr", v); break;
  case 9: h = CSRI("csrrwi", "fflags", 31); break;
  case 10: h = CSRI("csrrsi", "frm", 3); break;
  case 11: h = CSRI("csrrci", "fcsr", 17); break;
  case 12: h = CSRI("csrrsi", "fcsr", 0); break; /* no write */
  case 13: h = CSR("csrrs", "frm", 0); break;     /* rs1 = x0: no write */
  case 14: __asm__ volatile("csrw fcsr, %0" :: "r"(v)); h = 0; break; /* rd = x0 */
  case 15: h = CSRI("csrrwi", "frm", 7); h ^= CSRI("csrrwi", "frm", 0) << 8; break; /* reserved, back */
  }
  return h;
}

int main(void) {
  uint64_t hash = 0;
  double acc = 1.0;
  float accs = 1.0f;
  for (int i = 0; i < 200000; i++) {
    uint64_t v = next();
    if ((v & 0x300) == 0) v &= 0xff;
    uint64_t h = csr_round(v, i);
    unsigned frm; __asm__ volatile("frrm %0" : "=r"(frm));
    /* frm 5..7 are reserved: a dyn operation would be illegal, use a valid one */
    if (frm > 4) __asm__ volatile("fsrm %0" :: "r"((uint64_t)(frm & 3)));
    acc = dyn_add(acc, 1.0 / 3.0);
    if (acc > 1e6) acc = dyn_div(acc, 7.0);
    accs = dyn_mul_s(accs, 1.0001f);
    if (accs > 1e10f) accs = 1.0f;
    uint64_t fc; __asm__ volatile("frcsr %0" : "=r"(fc));
    hash = hash * 31 + h + fc * 7 + bits(acc) + bitsf(accs);
    if (i % 20000 == 0) printf("csr %6d %016llx fcsr %02llx\n", i, (unsigned long long)h, (unsigned long long)fc);
  }
  printf("csr hash %016llx\n", (unsigned long long)hash);

  /* fmadd/fmsub/fnmsub/fnmadd with a zero factor */
  static const uint64_t zs[] = { 0, 1ull << 63 };
  static const uint64_t other[] = { 0x3ff8000000000000ull, 0xc010000000000000ull, 0x0000000000000001ull,
    0x7ff0000000000000ull, 0x7ff8000000000000ull, 0x7ff4000000000000ull, 0x1ull << 63, 0 };
  static const uint64_t addend[] = { 0, 1ull << 63, 0x0000000000000003ull, 0x8000000000000003ull,
    0x000fffffffffffffull, 0x3ff0000000000000ull, 0xbff0000000000000ull, 0x7fefffffffffffffull,
    0xfff0000000000000ull, 0x7ff0000000000000ull, 0x7ff8000000000000ull, 0x7ff4000000000000ull };
  uint64_t fh = 0;
  for (int rep = 0; rep < 400; rep++) /* hot: translated after a few trips */
    for (unsigned a = 0; a < 2; a++)
      for (unsigned o = 0; o < sizeof other / 8; o++)
        for (unsigned c = 0; c < sizeof addend / 8; c++)
          for (int nx = 0; nx < 2; nx++) {
            double x, y, z, r[4];
            memcpy(&x, &zs[a], 8); memcpy(&y, &other[o], 8); memcpy(&z, &addend[c], 8);
            if (rep & 1) { double t = x; x = y; y = t; }
            unsigned f[4];
            __asm__ volatile("fsflags %0" :: "r"(nx)); __asm__ volatile("fmadd.d %0,%1,%2,%3" : "=f"(r[0]) : "f"(x), "f"(y), "f"(z)); __asm__ volatile("frflags %0" : "=r"(f[0]));
            __asm__ volatile("fsflags %0" :: "r"(nx)); __asm__ volatile("fmsub.d %0,%1,%2,%3" : "=f"(r[1]) : "f"(x), "f"(y), "f"(z)); __asm__ volatile("frflags %0" : "=r"(f[1]));
            __asm__ volatile("fsflags %0" :: "r"(nx)); __asm__ volatile("fnmsub.d %0,%1,%2,%3" : "=f"(r[2]) : "f"(x), "f"(y), "f"(z)); __asm__ volatile("frflags %0" : "=r"(f[2]));
            __asm__ volatile("fsflags %0" :: "r"(nx)); __asm__ volatile("fnmadd.d %0,%1,%2,%3" : "=f"(r[3]) : "f"(x), "f"(y), "f"(z)); __asm__ volatile("frflags %0" : "=r"(f[3]));
            for (int k = 0; k < 4; k++) {
              fh = fh * 31 + bits(r[k]) + f[k];
              if (rep == 399) printf("fma %u %u %2u %d %d %016llx %x\n", a, o, c, nx, k, (unsigned long long)bits(r[k]), f[k]);
            }
          }
  printf("fma hash %016llx\n", (unsigned long long)fh);
  return 0;
}
