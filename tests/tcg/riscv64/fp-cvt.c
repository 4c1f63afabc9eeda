/* F and D conversions and moves: fcvt between integers (w/wu/l/lu) and s/d in all
 * rounding modes (static and dynamic), saturation and invalid cases, fcvt.s.d /
 * fcvt.d.s, fmv.x.w/fmv.w.x/fmv.x.d/fmv.d.x. */
#include "fp.h"

FPX_RM(cvt_w_s, "fcvt.w.s a0, fa0") FPX_RM(cvt_wu_s, "fcvt.wu.s a0, fa0")
FPX_RM(cvt_l_s, "fcvt.l.s a0, fa0") FPX_RM(cvt_lu_s, "fcvt.lu.s a0, fa0")
FPX_RM(cvt_w_d, "fcvt.w.d a0, fa0") FPX_RM(cvt_wu_d, "fcvt.wu.d a0, fa0")
FPX_RM(cvt_l_d, "fcvt.l.d a0, fa0") FPX_RM(cvt_lu_d, "fcvt.lu.d a0, fa0")
FPF_RM(cvt_s_w, "fcvt.s.w fa3, a0") FPF_RM(cvt_s_wu, "fcvt.s.wu fa3, a0")
FPF_RM(cvt_s_l, "fcvt.s.l fa3, a0") FPF_RM(cvt_s_lu, "fcvt.s.lu fa3, a0")
FPF_RM(cvt_d_l, "fcvt.d.l fa3, a0") FPF_RM(cvt_d_lu, "fcvt.d.lu fa3, a0")
FPF_RM(cvt_s_d, "fcvt.s.d fa3, fa0")
FPF(cvt_d_w, "fcvt.d.w fa3, a0") FPF(cvt_d_wu, "fcvt.d.wu fa3, a0") FPF(cvt_d_s, "fcvt.d.s fa3, fa0")
FPX(fmv_x_w, "fmv.x.w a0, fa0") FPX(fmv_x_d, "fmv.x.d a0, fa0")
FPF(fmv_w_x, "fmv.w.x fa3, a0") FPF(fmv_d_x, "fmv.d.x fa3, a0")

static const u32 sv[] = {
  0x00000000, 0x80000000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbf000000, 0xbfc00000, 0xc0200000,
  0x3f7fffff, 0xbf7fffff, 0x4effffff, 0x4f000000, 0xcf000000, 0xcf000001, 0x4f800000, 0x5effffff,
  0x5f000000, 0xdf000000, 0x5f800000, 0x501502f9, 0x7f7fffff, 0x00000001, 0x80000001, 0x7f800000,
  0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001,
};
static const u64 dv[] = {
  0, 0x8000000000000000UL, 0x3fe0000000000000UL, 0x3ff8000000000000UL, 0x4004000000000000UL,
  0xbfe0000000000000UL, 0xbff8000000000000UL, 0xc004000000000000UL, 0x41dfffffffc00000UL,
  0x41dfffffffe00000UL, 0x41dffffffff00000UL, 0x41e0000000000000UL, 0xc1e0000000000000UL,
  0xc1e0000000100000UL, 0xc1e0000000200000UL, 0x41efffffffe00000UL, 0x41effffffff00000UL,
  0x41f0000000000000UL, 0x43dfffffffffffffUL, 0x43e0000000000000UL, 0xc3e0000000000000UL,
  0xc3e0000000000001UL, 0x43efffffffffffffUL, 0x43f0000000000000UL, 0x7fefffffffffffffUL, 1,
  0x8000000000000001UL, 0x7ff0000000000000UL, 0xfff0000000000000UL, 0x7ff8000000000000UL,
  0xfff8000000000000UL, 0x7ff0000000000001UL, 0x36a0000000000000UL, 0x47efffffe0000000UL,
  0x47efffffefffffffUL, 0x47effffff0000000UL, 0x3810000000000000UL, 0x380fffffffffffffUL,
};
static const u64 iv[] = {
  0, 1, ~0UL, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000001UL, 0x123456780000000fUL,
  0x1000001, 0x1000003, 0xfffffffffefffffdUL, 0x7fffffffffffffffUL, 0x8000000000000000UL,
  0x20000000000001UL, 0x20000000000003UL, 0xffffff7fffffffffUL, 0x7ffffe80UL, 0xffffffff80000001UL,
};
#define N(a) (sizeof(a) / sizeof(a[0]))

static void row(const char *name, const fpfn *fns, u64 in, int in_single, int out_fp_single, int out_fp) {
  u64 fl;
  tprintf("%s ", name);
  put_fp(in, in_single);
  tprintf(":");
  for (int rm = 0; rm < 6; rm++) {
    u64 r = fns[rm](in, 0, 0, &fl);
    tprintf(" ");
    if (out_fp)
      put_fp(r, out_fp_single);
    else
      tprintf("%lx", r);
    tprintf("/%lx", fl);
  }
  tprintf("\n");
}

static void vectors(void) {
  csr_write(frm, RDN); /* the dyn column uses frm = rdn */
  static const struct { const char *n; const fpfn *f; } to_int_s[] = {
    {"fcvt.w.s", cvt_w_s}, {"fcvt.wu.s", cvt_wu_s}, {"fcvt.l.s", cvt_l_s}, {"fcvt.lu.s", cvt_lu_s}};
  static const struct { const char *n; const fpfn *f; } to_int_d[] = {
    {"fcvt.w.d", cvt_w_d}, {"fcvt.wu.d", cvt_wu_d}, {"fcvt.l.d", cvt_l_d}, {"fcvt.lu.d", cvt_lu_d}};
  for (unsigned o = 0; o < 4; o++)
    for (unsigned i = 0; i < N(sv); i++) row(to_int_s[o].n, to_int_s[o].f, BOX(sv[i]), 1, 0, 0);
  for (unsigned o = 0; o < 4; o++)
    for (unsigned i = 0; i < N(dv); i++) row(to_int_d[o].n, to_int_d[o].f, dv[i], 0, 0, 0);
  static const struct { const char *n; const fpfn *f; int single; } from_int[] = {
    {"fcvt.s.w", cvt_s_w, 1}, {"fcvt.s.wu", cvt_s_wu, 1}, {"fcvt.s.l", cvt_s_l, 1},
    {"fcvt.s.lu", cvt_s_lu, 1}, {"fcvt.d.l", cvt_d_l, 0}, {"fcvt.d.lu", cvt_d_lu, 0}};
  for (unsigned o = 0; o < N(from_int); o++)
    for (unsigned i = 0; i < N(iv); i++) row(from_int[o].n, from_int[o].f, iv[i], 0, from_int[o].single, 1);
  for (unsigned i = 0; i < N(dv); i++) row("fcvt.s.d", cvt_s_d, dv[i], 0, 1, 1);
  u64 fl, r;
  for (unsigned i = 0; i < N(iv); i++) {
    tprintf("fcvt.d.w/wu %lx:", iv[i]);
    r = cvt_d_w(iv[i], 0, 0, &fl);
    tprintf(" %016lx/%lx", r, fl);
    r = cvt_d_wu(iv[i], 0, 0, &fl);
    tprintf(" %016lx/%lx\n", r, fl);
  }
  for (unsigned i = 0; i < N(sv); i++) {
    r = cvt_d_s(BOX(sv[i]), 0, 0, &fl);
    tprintf("fcvt.d.s %08x: %016lx/%lx\n", sv[i], r, fl);
  }
  csr_write(frm, RNE);
}

static void hand_checks(void) {
  u64 f, r;
  r = cvt_w_s[RNE](BOX(0x7fc00000), 0, 0, &f);
  check_fp("fcvt.w.s-nan", r, f, 0x7fffffff, FFLAG_NV);
  r = cvt_w_s[RNE](BOX(0xff800000), 0, 0, &f);
  check_fp("fcvt.w.s--inf", r, f, 0xffffffff80000000UL, FFLAG_NV);
  r = cvt_w_s[RNE](BOX(0x4f000000), 0, 0, &f);
  check_fp("fcvt.w.s-2^31", r, f, 0x7fffffff, FFLAG_NV);
  r = cvt_w_s[RNE](BOX(0xcf000000), 0, 0, &f);
  check_fp("fcvt.w.s--2^31-exact", r, f, 0xffffffff80000000UL, 0);
  r = cvt_wu_s[RNE](BOX(0xbf800000), 0, 0, &f);
  check_fp("fcvt.wu.s--1", r, f, 0, FFLAG_NV);
  r = cvt_wu_s[RTZ](BOX(0xbf000000), 0, 0, &f);
  check_fp("fcvt.wu.s--0.5-rtz", r, f, 0, FFLAG_NX);
  r = cvt_wu_s[RNE](BOX(0x7fc00000), 0, 0, &f);
  check_fp("fcvt.wu.s-nan-sext", r, f, ~0UL, FFLAG_NV);
  r = cvt_wu_s[RNE](BOX(0x4f000000), 0, 0, &f);
  check_fp("fcvt.wu.s-2^31-sext", r, f, 0xffffffff80000000UL, 0);
  r = cvt_l_d[RNE](0x43e0000000000000UL, 0, 0, &f);
  check_fp("fcvt.l.d-2^63", r, f, 0x7fffffffffffffffUL, FFLAG_NV);
  r = cvt_l_d[RNE](0xc3e0000000000000UL, 0, 0, &f);
  check_fp("fcvt.l.d--2^63", r, f, 0x8000000000000000UL, 0);
  r = cvt_l_d[RNE](0xfff8000000000000UL, 0, 0, &f);
  check_fp("fcvt.l.d--nan", r, f, 0x7fffffffffffffffUL, FFLAG_NV);
  r = cvt_lu_d[RNE](0xbff0000000000000UL, 0, 0, &f);
  check_fp("fcvt.lu.d--1", r, f, 0, FFLAG_NV);
  r = cvt_lu_d[RNE](0x7ff0000000000000UL, 0, 0, &f);
  check_fp("fcvt.lu.d-inf", r, f, ~0UL, FFLAG_NV);
  r = cvt_w_d[RNE](0x4004000000000000UL, 0, 0, &f);
  check_fp("fcvt.w.d-2.5-rne", r, f, 2, FFLAG_NX);
  r = cvt_w_d[RMM](0x4004000000000000UL, 0, 0, &f);
  check_fp("fcvt.w.d-2.5-rmm", r, f, 3, FFLAG_NX);
  r = cvt_w_d[RDN](0xc004000000000000UL, 0, 0, &f);
  check_fp("fcvt.w.d--2.5-rdn", r, f, (u64)-3L, FFLAG_NX);
  r = cvt_w_d[RUP](0xc004000000000000UL, 0, 0, &f);
  check_fp("fcvt.w.d--2.5-rup", r, f, (u64)-2L, FFLAG_NX);
  r = cvt_w_d[RTZ](0x41dfffffffe00000UL, 0, 0, &f); /* 2^31 - 0.5 */
  check_fp("fcvt.w.d-2^31-0.5-rtz", r, f, 0x7fffffff, FFLAG_NX);
  r = cvt_w_d[RUP](0x41dfffffffe00000UL, 0, 0, &f);
  check_fp("fcvt.w.d-2^31-0.5-rup-overflows", r, f, 0x7fffffff, FFLAG_NV);
  r = cvt_s_l[RNE](0x7fffffffffffffffUL, 0, 0, &f);
  check_fp("fcvt.s.l-max-rne", r, f, BOX(0x5f000000), FFLAG_NX);
  r = cvt_s_l[RTZ](0x7fffffffffffffffUL, 0, 0, &f);
  check_fp("fcvt.s.l-max-rtz", r, f, BOX(0x5effffff), FFLAG_NX);
  r = cvt_s_w[RNE](0x123456780000000fUL, 0, 0, &f);
  check_fp("fcvt.s.w-ignores-upper", r, f, BOX(0x41700000), 0);
  r = cvt_s_wu[RNE](0xffffffffUL, 0, 0, &f);
  check_fp("fcvt.s.wu-max", r, f, BOX(0x4f800000), FFLAG_NX);
  r = cvt_d_lu[RNE](~0UL, 0, 0, &f);
  check_fp("fcvt.d.lu-max", r, f, 0x43f0000000000000UL, FFLAG_NX);
  r = cvt_d_w(0x80000000UL, 0, 0, &f);
  check_fp("fcvt.d.w-min", r, f, 0xc1e0000000000000UL, 0);
  r = cvt_s_d[RNE](0x7ff8000000012345UL, 0, 0, &f);
  check_fp("fcvt.s.d-nan-canonical", r, f, BOX(0x7fc00000), 0);
  r = cvt_s_d[RNE](0x7ff0000000000001UL, 0, 0, &f);
  check_fp("fcvt.s.d-snan", r, f, BOX(0x7fc00000), FFLAG_NV);
  r = cvt_s_d[RNE](0x47f0000000000000UL, 0, 0, &f);
  check_fp("fcvt.s.d-overflow", r, f, BOX(0x7f800000), FFLAG_OF | FFLAG_NX);
  r = cvt_s_d[RTZ](0x47f0000000000000UL, 0, 0, &f);
  check_fp("fcvt.s.d-overflow-rtz", r, f, BOX(0x7f7fffff), FFLAG_OF | FFLAG_NX);
  r = cvt_s_d[RNE](0x36a0000000000000UL, 0, 0, &f); /* 2^-149 */
  check_fp("fcvt.s.d-min-subnormal", r, f, BOX(1), 0);
  r = cvt_s_d[RNE](0x3690000000000000UL, 0, 0, &f); /* 2^-150 */
  check_fp("fcvt.s.d-half-min-subnormal", r, f, BOX(0), FFLAG_UF | FFLAG_NX);
  r = cvt_d_s(BOX(0x7f800001), 0, 0, &f);
  check_fp("fcvt.d.s-snan", r, f, 0x7ff8000000000000UL, FFLAG_NV);
  r = cvt_d_s(BOX(0x00000001), 0, 0, &f);
  check_fp("fcvt.d.s-subnormal-exact", r, f, 0x36a0000000000000UL, 0);

  /* moves: raw bits, no canonicalisation, no flags; fmv.x.w sign-extends */
  r = fmv_x_w(BOX(0x80000001), 0, 0, &f);
  check_fp("fmv.x.w-sext", r, f, 0xffffffff80000001UL, 0);
  r = fmv_x_w(BOX(0x7f800001), 0, 0, &f);
  check_fp("fmv.x.w-snan-raw", r, f, 0x7f800001, 0);
  r = fmv_x_w(0x123456787fc00001UL, 0, 0, &f);
  check_fp("fmv.x.w-unboxed-low-bits", r, f, 0x7fc00001, 0);
  r = fmv_w_x(0xabcdef0112345678UL, 0, 0, &f);
  check_fp("fmv.w.x-boxes", r, f, BOX(0x12345678), 0);
  r = fmv_d_x(0x7ff0000000000001UL, 0, 0, &f);
  check_fp("fmv.d.x-snan-raw", r, f, 0x7ff0000000000001UL, 0);
  r = fmv_x_d(0xfff8000000012345UL, 0, 0, &f);
  check_fp("fmv.x.d-raw", r, f, 0xfff8000000012345UL, 0);
}

int main(void) {
  hand_checks();
  vectors();
  return 0;
}
