/* F and D: rounding modes (all five, static and dynamic via frm), reserved
 * rounding modes (illegal), fflags exactness and stickiness (NX UF OF DZ NV),
 * NaN boxing (unboxed inputs read as the canonical NaN), loads and stores. */
#include "fp.h"

FPF_RM(fadd_s, "fadd.s fa3, fa0, fa1") FPF_RM(fsub_s, "fsub.s fa3, fa0, fa1")
FPF_RM(fmul_s, "fmul.s fa3, fa0, fa1") FPF_RM(fdiv_s, "fdiv.s fa3, fa0, fa1")
FPF_RM(fsqrt_s, "fsqrt.s fa3, fa0")
FPF_RM(fadd_d, "fadd.d fa3, fa0, fa1") FPF_RM(fsub_d, "fsub.d fa3, fa0, fa1")
FPF_RM(fmul_d, "fmul.d fa3, fa0, fa1") FPF_RM(fdiv_d, "fdiv.d fa3, fa0, fa1")
FPF_RM(fsqrt_d, "fsqrt.d fa3, fa0")
FPF(fsgnj_s, "fsgnj.s fa3, fa0, fa1") FPX(fclass_s, "fclass.s a0, fa0")
FPX(feq_s, "feq.s a0, fa0, fa1") FPX(flt_s, "flt.s a0, fa0, fa1")
FPF(fcvt_d_s, "fcvt.d.s fa3, fa0") FPF(fmin_s, "fmin.s fa3, fa0, fa1")
FPX(fcvt_w_s, "fcvt.w.s a0, fa0, rtz") FPF(fmadd_s, "fmadd.s fa3, fa0, fa1, fa2")

#define S(x) BOX(x)

static void rounding_checks(void) {
  u64 f, r;
  static const u32 third[5] = {0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaab};
  static const u32 mthird[5] = {0xbeaaaaab, 0xbeaaaaaa, 0xbeaaaaab, 0xbeaaaaaa, 0xbeaaaaab};
  static const u32 tie[5] = {0x3f800000, 0x3f800000, 0x3f800000, 0x3f800001, 0x3f800001};
  static const u32 ovf[5] = {0x7f800000, 0x7f7fffff, 0x7f7fffff, 0x7f800000, 0x7f800000};
  static const u32 novf[5] = {0xff800000, 0xff7fffff, 0xff800000, 0xff7fffff, 0xff800000};
  for (int rm = 0; rm < 5; rm++) {
    r = fdiv_s[rm](S(0x3f800000), S(0x40400000), 0, &f);
    checkf(r, S(third[rm]), "fdiv.s-1/3-%s", rm_names[rm]);
    r = fdiv_s[rm](S(0xbf800000), S(0x40400000), 0, &f);
    checkf(r, S(mthird[rm]), "fdiv.s--1/3-%s", rm_names[rm]);
    checkf(f, FFLAG_NX, "fdiv.s--1/3-%s-flags", rm_names[rm]);
    r = fadd_s[rm](S(0x3f800000), S(0x33800000), 0, &f); /* 1 + 2^-24: a tie */
    checkf(r, S(tie[rm]), "fadd.s-tie-%s", rm_names[rm]);
    r = fmul_s[rm](S(0x7f7fffff), S(0x40000000), 0, &f);
    checkf(r, S(ovf[rm]), "fmul.s-overflow-%s", rm_names[rm]);
    checkf(f, FFLAG_OF | FFLAG_NX, "fmul.s-overflow-%s-flags", rm_names[rm]);
    r = fmul_s[rm](S(0xff7fffff), S(0x40000000), 0, &f);
    checkf(r, S(novf[rm]), "fmul.s-neg-overflow-%s", rm_names[rm]);
    /* dynamic: frm selects the same results */
    csr_write(frm, rm);
    r = fdiv_s[DYN](S(0xbf800000), S(0x40400000), 0, &f);
    checkf(r, S(mthird[rm]), "fdiv.s--1/3-dyn-frm-%s", rm_names[rm]);
    r = fadd_s[DYN](S(0x3f800000), S(0x33800000), 0, &f);
    checkf(r, S(tie[rm]), "fadd.s-tie-dyn-frm-%s", rm_names[rm]);
  }
  csr_write(frm, RNE);
  /* x - x is -0 only when rounding down */
  for (int rm = 0; rm < 5; rm++) {
    r = fsub_d[rm](0x3ff0000000000000UL, 0x3ff0000000000000UL, 0, &f);
    checkf(r, rm == RDN ? 0x8000000000000000UL : 0, "fsub.d-x-x-%s", rm_names[rm]);
  }
  /* subnormal results by rounding mode: 2^-149 * 0.5 */
  static const u32 half_min[5] = {0, 0, 0, 1, 1};
  for (int rm = 0; rm < 5; rm++) {
    r = fmul_s[rm](S(1), S(0x3f000000), 0, &f);
    checkf(r, S(half_min[rm]), "fmul.s-half-min-sub-%s", rm_names[rm]);
    checkf(f, FFLAG_UF | FFLAG_NX, "fmul.s-half-min-sub-%s-flags", rm_names[rm]);
  }
}

/* Inexact operations printed for every rounding mode and every dyn frm. */
static void rounding_vectors(void) {
  static const u64 dpairs[][2] = {
    {0x3ff0000000000000UL, 0x4008000000000000UL}, {0xbff0000000000000UL, 0x4008000000000000UL},
    {0x3ff0000000000001UL, 0x3ca0000000000000UL}, {0x4000000000000000UL, 0x3fe5555555555555UL},
    {0x7fefffffffffffffUL, 0x7fefffffffffffffUL}, {0x0000000000000003UL, 0x3fe0000000000000UL},
    {0x3ff0000000000000UL, 0xb950000000000000UL},
  };
  static const u32 spairs[][2] = {
    {0x3f800000, 0x40400000}, {0xbf800000, 0x40400000}, {0x3f800001, 0x33800000},
    {0x40000000, 0x3f2aaaab}, {0x7f7fffff, 0x7f7fffff}, {0x00000003, 0x3f000000},
    {0x3f800000, 0xa5000000},
  };
  static const struct { const char *n; const fpfn *s, *d; int unary; } ops[] = {
    {"fadd", fadd_s, fadd_d, 0}, {"fsub", fsub_s, fsub_d, 0}, {"fmul", fmul_s, fmul_d, 0},
    {"fdiv", fdiv_s, fdiv_d, 0}, {"fsqrt", fsqrt_s, fsqrt_d, 1}};
  u64 f, r;
  for (unsigned o = 0; o < 5; o++)
    for (unsigned p = 0; p < 7; p++)
      for (int d = 0; d < 2; d++) {
        u64 a = d ? dpairs[p][0] : S(spairs[p][0]), b = d ? dpairs[p][1] : S(spairs[p][1]);
        if (ops[o].unary) a = b;
        tprintf("%s.%c ", ops[o].n, d ? 'd' : 's');
        put_fp(a, !d);
        tprintf(" ");
        put_fp(b, !d);
        tprintf(":");
        for (int rm = 0; rm < 5; rm++) {
          r = (d ? ops[o].d : ops[o].s)[rm](a, b, 0, &f);
          tprintf(" ");
          put_fp(r, !d);
          tprintf("/%lx", f);
        }
        tprintf(" dyn:");
        for (int frm = 0; frm < 5; frm++) {
          csr_write(frm, frm);
          r = (d ? ops[o].d : ops[o].s)[DYN](a, b, 0, &f);
          tprintf(" ");
          put_fp(r, !d);
          tprintf("/%lx", f);
        }
        tprintf("\n");
      }
  csr_write(frm, RNE);
}

/* fadd.s fa3, fa0, fa1 with rm = 5 and 6 (reserved), and with dyn */
asm(".text\n.globl fadd_rm5\nfadd_rm5:\n.option push\n.option norvc\n.word 0x00b556d3\n.option pop\n  ret\n"
    ".globl fadd_rm6\nfadd_rm6:\n.option push\n.option norvc\n.word 0x00b566d3\n.option pop\n  ret\n"
    ".globl fcvt_d_s_rm5\nfcvt_d_s_rm5:\n.option push\n.option norvc\n.word 0x420556d3\n.option pop\n  ret\n");
void fadd_rm5(void);
void fadd_rm6(void);
void fcvt_d_s_rm5(void);

static void call_expect_illegal(const char *name, void (*fn)(void), u32 bits) {
  trap_arm();
  fn();
  trap_disarm();
  checkf(mtrap.cause, CAUSE_ILLEGAL, "%s-cause", name);
  checkf(mtrap.tval, bits, "%s-mtval", name);
}

static void reserved_rm(void) {
  u64 f, r;
  call_expect_illegal("fadd.s-rm5", fadd_rm5, 0x00b556d3);
  call_expect_illegal("fadd.s-rm6", fadd_rm6, 0x00b566d3);
  trap_arm();
  fcvt_d_s_rm5();
  trap_disarm();
  show("fcvt.d.s-rm5-traps", mtrap.count);
  for (u64 frm = 5; frm < 8; frm++) {
    csr_write(frm, frm);
    check("frm-readback", csr_read(frm), frm);
    trap_arm();
    r = fadd_s[DYN](S(0x3f800000), S(0x3f800000), 0, &f);
    trap_disarm();
    checkf(mtrap.cause, CAUSE_ILLEGAL, "fadd.s-dyn-frm%lu-cause", frm);
    u64 bits = mtrap.count ? *(volatile u32 *)mtrap.epc : 0;
    checkf(mtrap.tval, bits, "fadd.s-dyn-frm%lu-mtval", frm);
    /* static rounding modes and instructions without rm still work */
    trap_arm();
    r = fadd_s[RTZ](S(0x3f800000), S(0x3f800000), 0, &f);
    checkf(r, S(0x40000000), "fadd.s-rtz-with-bad-frm%lu", frm);
    r = fsgnj_s(S(0x3f800000), S(0x80000000), 0, &f);
    checkf(r, S(0xbf800000), "fsgnj.s-with-bad-frm%lu", frm);
    r = fmin_s(S(0x3f800000), S(0x80000000), 0, &f);
    checkf(r, S(0x80000000), "fmin.s-with-bad-frm%lu", frm);
    r = fcvt_w_s(S(0x3fc00000), 0, 0, &f);
    checkf(r, 1, "fcvt.w.s-rtz-with-bad-frm%lu", frm);
    trap_disarm();
    checkf(mtrap.count, 0, "no-trap-with-bad-frm%lu", frm);
  }
  csr_write(frm, RNE);
}

static void flags(void) {
  u64 f;
  /* each flag alone */
  fdiv_s[RNE](S(0x3f800000), S(0x40400000), 0, &f);
  check("flag-nx-only", f, FFLAG_NX);
  fmul_s[RNE](S(0x00800000), S(0x00800000), 0, &f);
  check("flag-uf-nx", f, FFLAG_UF | FFLAG_NX);
  fmul_d[RNE](0x7fe0000000000000UL, 0x4000000000000000UL, 0, &f);
  check("flag-of-nx", f, FFLAG_OF | FFLAG_NX);
  fdiv_d[RNE](0xc000000000000000UL, 0, 0, &f);
  check("flag-dz-only", f, FFLAG_DZ);
  fsqrt_d[RNE](0xc000000000000000UL, 0, 0, &f);
  check("flag-nv-only", f, FFLAG_NV);
  fadd_d[RNE](0x3ff0000000000000UL, 0x3ff0000000000000UL, 0, &f);
  check("flag-exact-none", f, 0);
  /* flags accumulate: instructions never clear them */
  u64 acc;
  asm volatile("csrw fflags, zero\n\t"
               "fmv.d.x ft0, %1\n\tfmv.d.x ft1, %2\n\t"
               "fdiv.d ft2, ft0, ft1\n\t"  /* 1/3: NX */
               "fmv.d.x ft1, zero\n\t"
               "fdiv.d ft2, ft0, ft1\n\t"  /* 1/0: DZ */
               "fadd.d ft2, ft0, ft0\n\t"  /* exact */
               "csrr %0, fflags"
               : "=r"(acc) : "r"(0x3ff0000000000000UL), "r"(0x4008000000000000UL) : "ft0", "ft1", "ft2");
  check("flags-sticky", acc, FFLAG_NX | FFLAG_DZ);
  check("fcsr-shows-flags", csr_read(fcsr), FFLAG_NX | FFLAG_DZ);
  csr_write(fflags, 0);
}

static void nan_boxing(void) {
  u64 f, r;
  const u64 unboxed_one = 0x000000003f800000UL;
  r = fadd_s[RNE](unboxed_one, S(0x3f800000), 0, &f);
  check_fp("unboxed-fadd.s-canonical-nan", r, f, S(0x7fc00000), 0);
  r = fadd_s[RNE](0xfffffffe3f800000UL, S(0x3f800000), 0, &f);
  check_fp("almost-boxed-fadd.s", r, f, S(0x7fc00000), 0);
  r = fclass_s(unboxed_one, 0, 0, &f);
  check_fp("unboxed-fclass.s-qnan", r, f, 1 << 9, 0);
  r = fsgnj_s(unboxed_one, S(0xbf800000), 0, &f);
  check_fp("unboxed-fsgnj.s", r, f, S(0xffc00000), 0);
  r = fsgnj_s(S(0x3f800000), unboxed_one, 0, &f);
  check_fp("unboxed-fsgnj.s-rs2", r, f, S(0x3f800000), 0);
  r = feq_s(unboxed_one, unboxed_one, 0, &f);
  check_fp("unboxed-feq.s", r, f, 0, 0);
  r = flt_s(unboxed_one, S(0), 0, &f);
  check_fp("unboxed-flt.s-nv", r, f, 0, FFLAG_NV);
  r = fcvt_d_s(unboxed_one, 0, 0, &f);
  check_fp("unboxed-fcvt.d.s", r, f, 0x7ff8000000000000UL, 0);
  r = fmin_s(unboxed_one, S(0x40000000), 0, &f);
  check_fp("unboxed-fmin.s", r, f, S(0x40000000), 0);
  r = fmadd_s(unboxed_one, S(0x3f800000), S(0x3f800000), &f);
  check_fp("unboxed-fmadd.s", r, f, S(0x7fc00000), 0);
  /* stores of an unboxed register write the low 32 bits; flw boxes */
  static u32 word[2];
  static u64 dword;
  u64 img;
  asm volatile("fmv.d.x ft0, %2\n\tfsw ft0, 0(%1)\n\tflw ft1, 0(%1)\n\tfmv.x.d %0, ft1"
               : "=r"(img) : "r"(word), "r"(0x12345678abcdef01UL) : "ft0", "ft1", "memory");
  check("fsw-unboxed-low-bits", word[0], 0xabcdef01);
  check("flw-boxes", img, 0xffffffffabcdef01UL);
  asm volatile("fmv.d.x ft0, %2\n\tfsd ft0, 0(%1)\n\tfld ft1, 0(%1)\n\tfmv.x.d %0, ft1"
               : "=r"(img) : "r"(&dword), "r"(0x7ff0000000000001UL) : "ft0", "ft1", "memory");
  check("fsd-fld-snan-raw", img, 0x7ff0000000000001UL);
  check("fsd-memory", dword, 0x7ff0000000000001UL);
}

static void loads_stores(void) {
  static u8 buf[64] __attribute__((aligned(16)));
  for (int i = 0; i < 64; i++) buf[i] = (u8)(0x10 + i);
  u64 a, b, c;
  asm volatile("flw ft0, 4(%3)\n\tfld ft1, 16(%3)\n\tfld ft2, -8(%4)\n\t"
               "fmv.x.d %0, ft0\n\tfmv.x.d %1, ft1\n\tfmv.x.d %2, ft2"
               : "=r"(a), "=r"(b), "=r"(c) : "r"(buf), "r"(buf + 40) : "ft0", "ft1", "ft2");
  check("flw-offset", a, 0xffffffff17161514UL);
  check("fld-offset", b, 0x2726252423222120UL);
  check("fld-neg-offset", c, 0x3736353433323130UL);
  /* misaligned FP loads and stores are performed */
  asm volatile("fld ft0, 3(%1)\n\tfmv.x.d %0, ft0\n\tfsd ft0, 49(%1)\n\tfsw ft0, 58(%1)"
               : "=r"(a) : "r"(buf) : "ft0", "memory");
  check("fld-misaligned", a, 0x1a19181716151413UL);
  check("fsd-misaligned", *(volatile u64 *)(buf + 48) >> 8, 0x1a19181716151413UL & 0xffffffffffffffUL);
  check("fsw-misaligned", (*(volatile u64 *)(buf + 56) >> 16) & 0xffffffffUL, 0x16151413);
}

int main(void) {
  rounding_checks();
  flags();
  nan_boxing();
  reserved_rm();
  loads_stores();
  rounding_vectors();
  return 0;
}
