/* F and D arithmetic: fadd/fsub/fmul/fdiv/fsqrt, fmin/fmax, feq/flt/fle,
 * fsgnj/fsgnjn/fsgnjx and fclass over special values (zeros, subnormals, normals,
 * max, infinities, quiet and signaling NaNs), printed as bits and fflags, plus
 * hand-checked spec cases (canonical NaN, signed zeros, NaN handling of
 * fmin/fmax, invalid compares, every fclass class). */
#include "fp.h"

FPF(fadd_s, "fadd.s fa3, fa0, fa1") FPF(fsub_s, "fsub.s fa3, fa0, fa1")
FPF(fmul_s, "fmul.s fa3, fa0, fa1") FPF(fdiv_s, "fdiv.s fa3, fa0, fa1")
FPF(fmin_s, "fmin.s fa3, fa0, fa1") FPF(fmax_s, "fmax.s fa3, fa0, fa1")
FPX(feq_s, "feq.s a0, fa0, fa1") FPX(flt_s, "flt.s a0, fa0, fa1") FPX(fle_s, "fle.s a0, fa0, fa1")
FPF(fsgnj_s, "fsgnj.s fa3, fa0, fa1") FPF(fsgnjn_s, "fsgnjn.s fa3, fa0, fa1")
FPF(fsgnjx_s, "fsgnjx.s fa3, fa0, fa1")
FPF(fsqrt_s, "fsqrt.s fa3, fa0") FPX(fclass_s, "fclass.s a0, fa0")
FPF(fadd_d, "fadd.d fa3, fa0, fa1") FPF(fsub_d, "fsub.d fa3, fa0, fa1")
FPF(fmul_d, "fmul.d fa3, fa0, fa1") FPF(fdiv_d, "fdiv.d fa3, fa0, fa1")
FPF(fmin_d, "fmin.d fa3, fa0, fa1") FPF(fmax_d, "fmax.d fa3, fa0, fa1")
FPX(feq_d, "feq.d a0, fa0, fa1") FPX(flt_d, "flt.d a0, fa0, fa1") FPX(fle_d, "fle.d a0, fa0, fa1")
FPF(fsgnj_d, "fsgnj.d fa3, fa0, fa1") FPF(fsgnjn_d, "fsgnjn.d fa3, fa0, fa1")
FPF(fsgnjx_d, "fsgnjx.d fa3, fa0, fa1")
FPF(fsqrt_d, "fsqrt.d fa3, fa0") FPX(fclass_d, "fclass.d a0, fa0")
FPF(fadd_s_rdn, "fadd.s fa3, fa0, fa1, rdn") FPF(fadd_d_rdn, "fadd.d fa3, fa0, fa1, rdn")
FPF(fsub_s_rdn, "fsub.s fa3, fa0, fa1, rdn")

static const u32 sv[] = {
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x40400000, 0x3f800001, 0x00000001, 0x807fffff,
  0x00800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345,
};
static const u64 dv[] = {
  0, 0x8000000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL, 0x4008000000000000UL,
  0x3ff0000000000001UL, 1, 0x800fffffffffffffUL, 0x0010000000000000UL, 0x7fefffffffffffffUL,
  0xffefffffffffffffUL, 0x7ff0000000000000UL, 0xfff0000000000000UL, 0x7ff8000000000000UL,
  0x7ff0000000000001UL, 0xfff8000000012345UL,
};
#define NS (sizeof(sv) / sizeof(sv[0]))

static const struct { const char *name; fpfn s, d; } binops[] = {
  {"fadd", fadd_s, fadd_d}, {"fsub", fsub_s, fsub_d}, {"fmul", fmul_s, fmul_d},
  {"fdiv", fdiv_s, fdiv_d}, {"fmin", fmin_s, fmin_d}, {"fmax", fmax_s, fmax_d},
  {"feq", feq_s, feq_d}, {"flt", flt_s, flt_d}, {"fle", fle_s, fle_d},
  {"fsgnj", fsgnj_s, fsgnj_d}, {"fsgnjn", fsgnjn_s, fsgnjn_d}, {"fsgnjx", fsgnjx_s, fsgnjx_d},
};

static void vectors(void) {
  u64 fl;
  for (unsigned o = 0; o < sizeof(binops) / sizeof(binops[0]); o++) {
    for (int d = 0; d < 2; d++) {
      for (unsigned i = 0; i < NS; i++) {
        u64 a = d ? dv[i] : BOX(sv[i]);
        tprintf("%s.%c ", binops[o].name, d ? 'd' : 's');
        put_fp(a, !d);
        tprintf(":");
        for (unsigned j = 0; j < NS; j++) {
          u64 b = d ? dv[j] : BOX(sv[j]);
          u64 r = (d ? binops[o].d : binops[o].s)(a, b, 0, &fl);
          tprintf(" ");
          put_fp(r, !d);
          tprintf("/%lx", fl);
        }
        tprintf("\n");
      }
    }
  }
  for (int d = 0; d < 2; d++) {
    tprintf("fsqrt.%c:", d ? 'd' : 's');
    for (unsigned i = 0; i < NS; i++) {
      u64 r = (d ? fsqrt_d : fsqrt_s)(d ? dv[i] : BOX(sv[i]), 0, 0, &fl);
      tprintf(" ");
      put_fp(r, !d);
      tprintf("/%lx", fl);
    }
    tprintf("\nfclass.%c:", d ? 'd' : 's');
    for (unsigned i = 0; i < NS; i++)
      tprintf(" %lx", (d ? fclass_d : fclass_s)(d ? dv[i] : BOX(sv[i]), 0, 0, &fl));
    tprintf("\n");
  }
}

#define S(x) BOX(x)
static void hand_checks(void) {
  u64 f, r;
  r = fadd_s(S(0x3f800000), S(0xbf800000), 0, &f);
  check_fp("fadd.s-1-minus-1-rne-is-+0", r, f, S(0), 0);
  r = fadd_s_rdn(S(0x3f800000), S(0xbf800000), 0, &f);
  check_fp("fadd.s-1-minus-1-rdn-is--0", r, f, S(0x80000000), 0);
  r = fsub_s_rdn(S(0), S(0), 0, &f);
  check_fp("fsub.s-0-minus-0-rdn-is--0", r, f, S(0x80000000), 0);
  r = fadd_d_rdn(0x8000000000000000UL, 0x8000000000000000UL, 0, &f);
  check_fp("fadd.d--0-plus--0", r, f, 0x8000000000000000UL, 0);
  r = fadd_s(S(0x7f800000), S(0xff800000), 0, &f);
  check_fp("fadd.s-inf-minus-inf", r, f, S(0x7fc00000), FFLAG_NV);
  r = fadd_d(0x7ff0000000000000UL, 0xfff0000000000000UL, 0, &f);
  check_fp("fadd.d-inf-minus-inf", r, f, 0x7ff8000000000000UL, FFLAG_NV);
  r = fadd_s(S(0x7fc12345), S(0x3f800000), 0, &f);
  check_fp("fadd.s-qnan-payload-canonical", r, f, S(0x7fc00000), 0);
  r = fadd_s(S(0x7f800001), S(0x3f800000), 0, &f);
  check_fp("fadd.s-snan-nv", r, f, S(0x7fc00000), FFLAG_NV);
  r = fadd_d(0xfff8000000012345UL, 0x3ff0000000000000UL, 0, &f);
  check_fp("fadd.d-neg-qnan-canonical", r, f, 0x7ff8000000000000UL, 0);
  r = fmul_s(S(0), S(0x7f800000), 0, &f);
  check_fp("fmul.s-0-times-inf", r, f, S(0x7fc00000), FFLAG_NV);
  r = fmul_d(0x8000000000000000UL, 0x3ff0000000000000UL, 0, &f);
  check_fp("fmul.d--0-times-1", r, f, 0x8000000000000000UL, 0);
  r = fdiv_s(S(0x3f800000), S(0), 0, &f);
  check_fp("fdiv.s-1-by-0", r, f, S(0x7f800000), FFLAG_DZ);
  r = fdiv_s(S(0xbf800000), S(0), 0, &f);
  check_fp("fdiv.s--1-by-0", r, f, S(0xff800000), FFLAG_DZ);
  r = fdiv_d(0, 0, 0, &f);
  check_fp("fdiv.d-0-by-0", r, f, 0x7ff8000000000000UL, FFLAG_NV);
  r = fdiv_d(0x7ff0000000000000UL, 0, 0, &f);
  check_fp("fdiv.d-inf-by-0-no-dz", r, f, 0x7ff0000000000000UL, 0);
  r = fdiv_s(S(0x3f800000), S(0x40400000), 0, &f);
  check_fp("fdiv.s-1-by-3", r, f, S(0x3eaaaaab), FFLAG_NX);
  r = fdiv_d(0x3ff0000000000000UL, 0x4008000000000000UL, 0, &f);
  check_fp("fdiv.d-1-by-3", r, f, 0x3fd5555555555555UL, FFLAG_NX);
  r = fsqrt_s(S(0xbf800000), 0, 0, &f);
  check_fp("fsqrt.s--1", r, f, S(0x7fc00000), FFLAG_NV);
  r = fsqrt_s(S(0x80000000), 0, 0, &f);
  check_fp("fsqrt.s--0", r, f, S(0x80000000), 0);
  r = fsqrt_d(0x4010000000000000UL, 0, 0, &f);
  check_fp("fsqrt.d-4", r, f, 0x4000000000000000UL, 0);
  r = fsqrt_d(0x4000000000000000UL, 0, 0, &f);
  check_fp("fsqrt.d-2", r, f, 0x3ff6a09e667f3bcdUL, FFLAG_NX);
  r = fmul_s(S(0x7f7fffff), S(0x40000000), 0, &f);
  check_fp("fmul.s-overflow", r, f, S(0x7f800000), FFLAG_OF | FFLAG_NX);
  r = fmul_s(S(0x00800000), S(0x3f000000), 0, &f);
  check_fp("fmul.s-exact-subnormal-no-uf", r, f, S(0x00400000), 0);
  r = fmul_s(S(0x00000001), S(0x3f000000), 0, &f);
  check_fp("fmul.s-underflow-to-0", r, f, S(0), FFLAG_UF | FFLAG_NX);
  r = fmul_d(0x0010000000000001UL, 0x3fe0000000000000UL, 0, &f);
  check_fp("fmul.d-tiny-inexact", r, f, 0x0008000000000000UL, FFLAG_UF | FFLAG_NX);

  /* fmin/fmax: -0 < +0, a quiet NaN operand is ignored, sNaN sets NV */
  r = fmin_s(S(0), S(0x80000000), 0, &f);
  check_fp("fmin.s-+0--0", r, f, S(0x80000000), 0);
  r = fmax_s(S(0x80000000), S(0), 0, &f);
  check_fp("fmax.s--0-+0", r, f, S(0), 0);
  r = fmin_d(0x8000000000000000UL, 0, 0, &f);
  check_fp("fmin.d--0-+0", r, f, 0x8000000000000000UL, 0);
  r = fmax_d(0, 0x8000000000000000UL, 0, &f);
  check_fp("fmax.d-+0--0", r, f, 0, 0);
  r = fmin_s(S(0x7fc00000), S(0x3f800000), 0, &f);
  check_fp("fmin.s-qnan-1", r, f, S(0x3f800000), 0);
  r = fmax_s(S(0xbf800000), S(0xffc12345), 0, &f);
  check_fp("fmax.s--1-qnan", r, f, S(0xbf800000), 0);
  r = fmin_s(S(0x7f800001), S(0x3f800000), 0, &f);
  check_fp("fmin.s-snan-1", r, f, S(0x3f800000), FFLAG_NV);
  r = fmax_d(0x7ff0000000000001UL, 0x7ff8000000000000UL, 0, &f);
  check_fp("fmax.d-snan-qnan", r, f, 0x7ff8000000000000UL, FFLAG_NV);
  r = fmin_d(0x7ff8000000012345UL, 0xfff8000000000001UL, 0, &f);
  check_fp("fmin.d-nan-nan-canonical", r, f, 0x7ff8000000000000UL, 0);

  /* compares: quiet NaN is invalid for flt/fle but not feq */
  r = feq_s(S(0x7fc00000), S(0x7fc00000), 0, &f);
  check_fp("feq.s-qnan", r, f, 0, 0);
  r = feq_s(S(0x7f800001), S(0), 0, &f);
  check_fp("feq.s-snan", r, f, 0, FFLAG_NV);
  r = flt_s(S(0x7fc00000), S(0), 0, &f);
  check_fp("flt.s-qnan", r, f, 0, FFLAG_NV);
  r = fle_d(0, 0x7ff8000000000000UL, 0, &f);
  check_fp("fle.d-qnan", r, f, 0, FFLAG_NV);
  r = feq_d(0, 0x8000000000000000UL, 0, &f);
  check_fp("feq.d-+0--0", r, f, 1, 0);
  r = flt_d(0x8000000000000000UL, 0, 0, &f);
  check_fp("flt.d--0-+0", r, f, 0, 0);
  r = fle_s(S(0xff800000), S(0xff7fffff), 0, &f);
  check_fp("fle.s--inf--max", r, f, 1, 0);

  /* sign injection works on the bits, NaNs included, without flags */
  r = fsgnj_s(S(0x7f800001), S(0x80000000), 0, &f);
  check_fp("fsgnj.s-snan-neg", r, f, S(0xff800001), 0);
  r = fsgnjn_d(0x3ff0000000000000UL, 0x3ff0000000000000UL, 0, &f);
  check_fp("fsgnjn.d-neg", r, f, 0xbff0000000000000UL, 0);
  r = fsgnjx_s(S(0xbf800000), S(0x80000000), 0, &f);
  check_fp("fsgnjx.s-xor", r, f, S(0x3f800000), 0);

  /* fclass: one value per class */
  static const struct { u64 v; u64 cls; } cs[] = {
    {S(0xff800000), 1 << 0}, {S(0xbf800000), 1 << 1}, {S(0x807fffff), 1 << 2},
    {S(0x80000000), 1 << 3}, {S(0x00000000), 1 << 4}, {S(0x00000001), 1 << 5},
    {S(0x3f800000), 1 << 6}, {S(0x7f800000), 1 << 7}, {S(0x7f800001), 1 << 8},
    {S(0x7fc00000), 1 << 9}, {S(0xffffffff), 1 << 9}, {S(0xff800001), 1 << 8},
  };
  for (unsigned i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
    r = fclass_s(cs[i].v, 0, 0, &f);
    checkf(r, cs[i].cls, "fclass.s-%lx", cs[i].v & 0xffffffffUL);
    checkf(f, 0, "fclass.s-%lx-flags", cs[i].v & 0xffffffffUL);
  }
  static const struct { u64 v; u64 cls; } cd[] = {
    {0xfff0000000000000UL, 1 << 0}, {0xc000000000000000UL, 1 << 1}, {0x8000000000000001UL, 1 << 2},
    {0x8000000000000000UL, 1 << 3}, {0, 1 << 4}, {0x000fffffffffffffUL, 1 << 5},
    {0x7fefffffffffffffUL, 1 << 6}, {0x7ff0000000000000UL, 1 << 7},
    {0x7ff4000000000000UL, 1 << 8}, {0x7ff8000000000000UL, 1 << 9},
  };
  for (unsigned i = 0; i < sizeof(cd) / sizeof(cd[0]); i++) {
    r = fclass_d(cd[i].v, 0, 0, &f);
    checkf(r, cd[i].cls, "fclass.d-%lx", cd[i].v);
  }
}

int main(void) {
  hand_checks();
  vectors();
  return 0;
}
