/* Fused multiply-add: fmadd/fmsub/fnmsub/fnmadd in S and D: single rounding
 * (exactness where a separate multiply and add would differ), signs of each
 * form, inf*0 + NaN raising NV, signed zero results, rounding modes, and vectors
 * over special values. */
#include "fp.h"

FPF_RM(fmadd_s, "fmadd.s fa3, fa0, fa1, fa2") FPF_RM(fmsub_s, "fmsub.s fa3, fa0, fa1, fa2")
FPF_RM(fnmsub_s, "fnmsub.s fa3, fa0, fa1, fa2") FPF_RM(fnmadd_s, "fnmadd.s fa3, fa0, fa1, fa2")
FPF_RM(fmadd_d, "fmadd.d fa3, fa0, fa1, fa2") FPF_RM(fmsub_d, "fmsub.d fa3, fa0, fa1, fa2")
FPF_RM(fnmsub_d, "fnmsub.d fa3, fa0, fa1, fa2") FPF_RM(fnmadd_d, "fnmadd.d fa3, fa0, fa1, fa2")
FPF(fmul_d, "fmul.d fa3, fa0, fa1") FPF(fadd_d, "fadd.d fa3, fa0, fa1")

static const u32 sv[] = {
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f800001, 0x00000001,
  0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001,
};
static const u64 dv[] = {
  0, 0x8000000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL, 0x3ff0000000000001UL, 1,
  0x7fefffffffffffffUL, 0x7ff0000000000000UL, 0xfff0000000000000UL, 0x7ff8000000000000UL,
  0x7ff0000000000001UL,
};
#define NV (sizeof(sv) / sizeof(sv[0]))

static void vectors(void) {
  static const struct { const char *n; const fpfn *s; const fpfn *d; } ops[] = {
    {"fmadd", fmadd_s, fmadd_d}, {"fmsub", fmsub_s, fmsub_d},
    {"fnmsub", fnmsub_s, fnmsub_d}, {"fnmadd", fnmadd_s, fnmadd_d}};
  u64 fl;
  for (unsigned o = 0; o < 4; o++)
    for (int d = 0; d < 2; d++)
      for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++) {
          u64 a = d ? dv[i] : BOX(sv[i]), b = d ? dv[j] : BOX(sv[j]);
          tprintf("%s.%c ", ops[o].n, d ? 'd' : 's');
          put_fp(a, !d);
          tprintf(" ");
          put_fp(b, !d);
          tprintf(":");
          for (unsigned k = 0; k < NV; k++) {
            u64 c = d ? dv[k] : BOX(sv[k]);
            u64 r = (d ? ops[o].d : ops[o].s)[RNE](a, b, c, &fl);
            tprintf(" ");
            put_fp(r, !d);
            tprintf("/%lx", fl);
          }
          tprintf("\n");
        }
}

/* a*b+c with inexact products, in every rounding mode */
static void rounding(void) {
  static const u64 triples[][3] = {
    {0x3ff0000000000001UL, 0x3ff0000000000001UL, 0},                     /* (1+u)^2 */
    {0x3ff0000000000001UL, 0x3fefffffffffffffUL, 0xbff0000000000000UL},  /* exact tiny */
    {0x4000000000000000UL, 0x3fd5555555555555UL, 0xbfe5555555555555UL},  /* 2*(1/3) - 2/3 */
    {0xbff0000000000001UL, 0x3ff0000000000001UL, 0x3ff0000000000000UL},
    {0x7fefffffffffffffUL, 0x4000000000000000UL, 0xffefffffffffffffUL},  /* overflow hidden by c */
    {0x0010000000000001UL, 0x3fe0000000000000UL, 0},                     /* tiny */
  };
  u64 fl;
  for (unsigned t = 0; t < sizeof(triples) / sizeof(triples[0]); t++) {
    csr_write(frm, RMM);
    tprintf("fmadd.d-rm %lx %lx %lx:", triples[t][0], triples[t][1], triples[t][2]);
    for (int rm = 0; rm < 6; rm++) {
      u64 r = fmadd_d[rm](triples[t][0], triples[t][1], triples[t][2], &fl);
      tprintf(" %016lx/%lx", r, fl);
    }
    tprintf("\n");
  }
  csr_write(frm, RNE);
}

static void hand_checks(void) {
  u64 f, r;
  /* (1 + 2^-52) * (1 - 2^-53) - 1 = 2^-53 - 2^-105: needs the unrounded product */
  r = fmadd_d[RNE](0x3ff0000000000001UL, 0x3fefffffffffffffUL, 0xbff0000000000000UL, &f);
  check_fp("fmadd.d-single-rounding", r, f, 0x3c9ffffffffffffeUL, 0);
  u64 p = fmul_d(0x3ff0000000000001UL, 0x3fefffffffffffffUL, 0, &f);
  r = fadd_d(p, 0xbff0000000000000UL, 0, &f);
  check_fp("fmul-then-fadd-differs", r, f, 0, 0); /* the product rounded to 1 */
  /* (1 + 2^-23)^2 - 1 = 2^-22 + 2^-46: a tie between 2^-22 and its successor */
  r = fmadd_s[RNE](BOX(0x3f800001), BOX(0x3f800001), BOX(0xbf800000), &f);
  check_fp("fmadd.s-tie-to-even", r, f, BOX(0x34800000), FFLAG_NX);
  r = fmadd_s[RUP](BOX(0x3f800001), BOX(0x3f800001), BOX(0xbf800000), &f);
  check_fp("fmadd.s-tie-rup", r, f, BOX(0x34800001), FFLAG_NX);
  r = fmadd_s[RMM](BOX(0x3f800001), BOX(0x3f800001), BOX(0xbf800000), &f);
  check_fp("fmadd.s-tie-rmm", r, f, BOX(0x34800001), FFLAG_NX);
  /* signs of the four forms with a=2, b=3, c=1 */
  r = fmadd_s[RNE](BOX(0x40000000), BOX(0x40400000), BOX(0x3f800000), &f);
  check_fp("fmadd.s-2*3+1", r, f, BOX(0x40e00000), 0);
  r = fmsub_s[RNE](BOX(0x40000000), BOX(0x40400000), BOX(0x3f800000), &f);
  check_fp("fmsub.s-2*3-1", r, f, BOX(0x40a00000), 0);
  r = fnmsub_s[RNE](BOX(0x40000000), BOX(0x40400000), BOX(0x3f800000), &f);
  check_fp("fnmsub.s--2*3+1", r, f, BOX(0xc0a00000), 0);
  r = fnmadd_s[RNE](BOX(0x40000000), BOX(0x40400000), BOX(0x3f800000), &f);
  check_fp("fnmadd.s--2*3-1", r, f, BOX(0xc0e00000), 0);
  r = fnmadd_d[RNE](0x4000000000000000UL, 0x4008000000000000UL, 0x3ff0000000000000UL, &f);
  check_fp("fnmadd.d--2*3-1", r, f, 0xc01c000000000000UL, 0);
  /* inf * 0 + qNaN is invalid */
  r = fmadd_s[RNE](BOX(0x7f800000), BOX(0), BOX(0x7fc00000), &f);
  check_fp("fmadd.s-inf*0+qnan", r, f, BOX(0x7fc00000), FFLAG_NV);
  r = fmadd_d[RNE](0, 0xfff0000000000000UL, 0x3ff0000000000000UL, &f);
  check_fp("fmadd.d-0*-inf+1", r, f, 0x7ff8000000000000UL, FFLAG_NV);
  /* inf - inf */
  r = fmadd_d[RNE](0x7ff0000000000000UL, 0x3ff0000000000000UL, 0xfff0000000000000UL, &f);
  check_fp("fmadd.d-inf-inf", r, f, 0x7ff8000000000000UL, FFLAG_NV);
  /* qNaN operand: no NV, canonical result */
  r = fmadd_d[RNE](0x7ff8000000012345UL, 0x3ff0000000000000UL, 0, &f);
  check_fp("fmadd.d-qnan", r, f, 0x7ff8000000000000UL, 0);
  /* signed zeros: +0*-1 + +0 = +0 (rne), -0 (rdn); -0*1 + -0 = -0 */
  r = fmadd_s[RNE](BOX(0), BOX(0xbf800000), BOX(0), &f);
  check_fp("fmadd.s-zero-sum-rne", r, f, BOX(0), 0);
  r = fmadd_s[RDN](BOX(0), BOX(0xbf800000), BOX(0), &f);
  check_fp("fmadd.s-zero-sum-rdn", r, f, BOX(0x80000000), 0);
  r = fmadd_s[RNE](BOX(0x80000000), BOX(0x3f800000), BOX(0x80000000), &f);
  check_fp("fmadd.s--0+-0", r, f, BOX(0x80000000), 0);
  r = fnmadd_s[RNE](BOX(0), BOX(0x3f800000), BOX(0), &f);
  check_fp("fnmadd.s-0-is--0", r, f, BOX(0x80000000), 0);
  /* overflow of the product hidden by the addend: exact */
  r = fmadd_d[RNE](0x7fefffffffffffffUL, 0x4000000000000000UL, 0xffefffffffffffffUL, &f);
  check_fp("fmadd.d-no-intermediate-overflow", r, f, 0x7fefffffffffffffUL, 0);
}

int main(void) {
  hand_checks();
  rounding();
  vectors();
  return 0;
}
