/* Zvfh / Zvfhmin (vector half precision). QEMU 7.2 has neither, but it has scalar Zfh (checked
 * against it by tests/tcg-diff-ext.test.js): every SEW=16 vector operation here is compared
 * element by element, with the accumulated fflags, against the same operation done with the
 * scalar Zfh instructions on the same hart, over random and special operands (zeros, infinities,
 * quiet and signalling NaNs, subnormals, the largest finite). Plus the specification's rules the
 * scalar side cannot show: NaN-boxing of the .vf scalar and of vfmv.f.s, and ordered reductions.
 * The conversions Zvfhmin has run first, so -cpu ...,zvfhmin=on passes them and then traps on
 * the first SEW=16 arithmetic instruction (tests/tcg-ext-zvfh.test.js checks that). */
#include "common.h"

#define ARCH ".option push\n.option arch, +v, +zfh\n"
#define POP ".option pop\n"
#define N 8 /* SEW=16 elements in one register at VLEN 128 (the test runs vlen=128) */
#define ROUNDS 40

typedef unsigned short u16;
static u16 A[N], B[N], C[N], R[N], S[N];
static u32 W[N], WS[N];
static u64 seed = 0x2545f4914f6cdd1dUL;

static const u16 SPECIAL[] = {
  0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d00 /* sNaN */, 0x0001, 0x83ff, 0x7bff, 0xfbff, 0x3c00, 0xbc00, 0x0400, 0x3555,
};
static u16 rnd16(void) {
  seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
  if ((seed >> 60) < 3) return SPECIAL[(seed >> 32) % (sizeof SPECIAL / sizeof SPECIAL[0])];
  return (u16)(seed >> 20);
}
static void fill(void) { for (int i = 0; i < N; i++) { A[i] = rnd16(); B[i] = rnd16(); C[i] = rnd16(); } }
static u64 flags(void) { return csr_swap(fflags, 0); }

#define SBIN(name, insn) static u16 name(u16 a, u16 b) { u64 r; \
  asm volatile(ARCH "fmv.h.x f1, %1\n fmv.h.x f2, %2\n " insn " f3, f1, f2\n fmv.x.h %0, f3\n" POP \
               : "=r"(r) : "r"((u64)a), "r"((u64)b) : "f1", "f2", "f3"); return (u16)r; }
#define SCMP(name, insn) static u16 name(u16 a, u16 b) { u64 r; \
  asm volatile(ARCH "fmv.h.x f1, %1\n fmv.h.x f2, %2\n " insn " %0, f1, f2\n" POP \
               : "=r"(r) : "r"((u64)a), "r"((u64)b) : "f1", "f2"); return (u16)r; }
#define VBIN(name, insn) static void name(void) { \
  asm volatile(ARCH "vsetvli t0, %3, e16, m1, ta, ma\n vle16.v v2, (%1)\n vle16.v v3, (%2)\n " insn " v1, v2, v3\n vse16.v v1, (%0)\n" POP \
               : : "r"(R), "r"(A), "r"(B), "r"((u64)N) : "t0", "memory"); }
#define VCMP(name, insn) static void name(void) { \
  asm volatile(ARCH "vsetvli t0, %3, e16, m1, ta, ma\n vle16.v v2, (%1)\n vle16.v v3, (%2)\n vmv.v.i v1, 0\n " insn " v1, v2, v3\n vsetvli t0, %3, e8, m1, ta, ma\n vse8.v v1, (%0)\n" POP \
               : : "r"(R), "r"(A), "r"(B), "r"((u64)N) : "t0", "memory"); }

SBIN(s_add, "fadd.h") SBIN(s_sub, "fsub.h") SBIN(s_mul, "fmul.h") SBIN(s_div, "fdiv.h")
SBIN(s_min, "fmin.h") SBIN(s_max, "fmax.h") SBIN(s_sgnj, "fsgnj.h") SBIN(s_sgnjn, "fsgnjn.h") SBIN(s_sgnjx, "fsgnjx.h")
SCMP(s_eq, "feq.h") SCMP(s_lt, "flt.h") SCMP(s_le, "fle.h")
VBIN(v_add, "vfadd.vv") VBIN(v_sub, "vfsub.vv") VBIN(v_mul, "vfmul.vv") VBIN(v_div, "vfdiv.vv")
VBIN(v_min, "vfmin.vv") VBIN(v_max, "vfmax.vv") VBIN(v_sgnj, "vfsgnj.vv") VBIN(v_sgnjn, "vfsgnjn.vv") VBIN(v_sgnjx, "vfsgnjx.vv")
VCMP(v_eq, "vmfeq.vv") VCMP(v_lt, "vmflt.vv") VCMP(v_le, "vmfle.vv")

static void cmp_bin(const char *name, void (*v)(void), u16 (*s)(u16, u16), int mask) {
  flags(); v(); u64 vf = flags();
  for (int i = 0; i < N; i++) S[i] = s(A[i], B[i]);
  u64 sf = flags();
  for (int i = 0; i < N; i++) {
    u16 got = mask ? (u16)((((unsigned char *)R)[0] >> i) & 1) : R[i];
    if (got != S[i]) { checkf(got, S[i], "%s[%d] a=%x b=%x", name, i, A[i], B[i]); return; }
  }
  checkf(vf, sf, "%s-fflags", name);
}

static u16 s_sqrt(u16 a) { u64 r; asm volatile(ARCH "fmv.h.x f1, %1\n fsqrt.h f3, f1\n fmv.x.h %0, f3\n" POP : "=r"(r) : "r"((u64)a) : "f1", "f3"); return (u16)r; }
static u16 s_fma(u16 a, u16 b, u16 c) { u64 r; asm volatile(ARCH "fmv.h.x f1, %1\n fmv.h.x f2, %2\n fmv.h.x f4, %3\n fmadd.h f3, f1, f2, f4\n fmv.x.h %0, f3\n" POP : "=r"(r) : "r"((u64)a), "r"((u64)b), "r"((u64)c) : "f1", "f2", "f3", "f4"); return (u16)r; }
static u32 s_h2s(u16 a) { u64 r; asm volatile(ARCH "fmv.h.x f1, %1\n fcvt.s.h f3, f1\n fmv.x.w %0, f3\n" POP : "=r"(r) : "r"((u64)a) : "f1", "f3"); return (u32)r; }
static u16 s_s2h(u32 a) { u64 r; asm volatile(ARCH "fmv.w.x f1, %1\n fcvt.h.s f3, f1\n fmv.x.h %0, f3\n" POP : "=r"(r) : "r"((u64)a) : "f1", "f3"); return (u16)r; }
static u16 s_w2h(short a) { u64 r; asm volatile(ARCH "fcvt.h.w f3, %1\n fmv.x.h %0, f3\n" POP : "=r"(r) : "r"((long)a) : "f3"); return (u16)r; }
static u32 s_fmas(u32 a, u32 b, u32 c) { u64 r; asm volatile("fmv.w.x f1, %1\n fmv.w.x f2, %2\n fmv.w.x f4, %3\n fmadd.s f3, f1, f2, f4\n fmv.x.w %0, f3\n" : "=r"(r) : "r"((u64)a), "r"((u64)b), "r"((u64)c) : "f1", "f2", "f3", "f4"); return (u32)r; }

static void test_conversions(int k) { /* Zvfhmin's two instructions */
  flags();
  asm volatile(ARCH "vsetvli t0, %2, e16, m1, ta, ma\n vle16.v v2, (%1)\n vfwcvt.f.f.v v4, v2\n vsetvli t0, %2, e32, m2, ta, ma\n vse32.v v4, (%0)\n" POP
               : : "r"(W), "r"(A), "r"((u64)N) : "t0", "memory");
  u64 vf = flags();
  for (int i = 0; i < N; i++) WS[i] = s_h2s(A[i]);
  u64 sf = flags();
  for (int i = 0; i < N; i++) if (W[i] != WS[i]) { checkf(W[i], WS[i], "vfwcvt.f.f.v[%d] round %d a=%x", i, k, A[i]); return; }
  checkf(vf, sf, "vfwcvt.f.f.v-fflags round %d", k);
  /* narrow: singles made from two random halves (so rounding, overflow and underflow happen) */
  for (int i = 0; i < N; i++) W[i] = ((u32)A[i] << 16) | B[i];
  flags();
  asm volatile(ARCH "vsetvli t0, %2, e32, m2, ta, ma\n vle32.v v4, (%1)\n vsetvli t0, %2, e16, m1, ta, ma\n vfncvt.f.f.w v1, v4\n vse16.v v1, (%0)\n" POP
               : : "r"(R), "r"(W), "r"((u64)N) : "t0", "memory");
  vf = flags();
  for (int i = 0; i < N; i++) S[i] = s_s2h(W[i]);
  sf = flags();
  for (int i = 0; i < N; i++) if (R[i] != S[i]) { checkf(R[i], S[i], "vfncvt.f.f.w[%d] round %d w=%x", i, k, W[i]); return; }
  checkf(vf, sf, "vfncvt.f.f.w-fflags round %d", k);
}

static void test_unary_fma(int k) {
  flags();
  asm volatile(ARCH "vsetvli t0, %2, e16, m1, ta, ma\n vle16.v v2, (%1)\n vfsqrt.v v1, v2\n vse16.v v1, (%0)\n" POP : : "r"(R), "r"(A), "r"((u64)N) : "t0", "memory");
  u64 vf = flags();
  for (int i = 0; i < N; i++) S[i] = s_sqrt(A[i]);
  u64 sf = flags();
  for (int i = 0; i < N; i++) if (R[i] != S[i]) { checkf(R[i], S[i], "vfsqrt.v[%d] round %d", i, k); return; }
  checkf(vf, sf, "vfsqrt-fflags round %d", k);
  /* vfmacc.vv vd, vs1, vs2: vd = vs1 * vs2 + vd */
  asm volatile(ARCH "vsetvli t0, %4, e16, m1, ta, ma\n vle16.v v2, (%1)\n vle16.v v3, (%2)\n vle16.v v1, (%3)\n vfmacc.vv v1, v2, v3\n vse16.v v1, (%0)\n" POP
               : : "r"(R), "r"(A), "r"(B), "r"(C), "r"((u64)N) : "t0", "memory");
  vf = flags();
  for (int i = 0; i < N; i++) S[i] = s_fma(A[i], B[i], C[i]);
  sf = flags();
  for (int i = 0; i < N; i++) if (R[i] != S[i]) { checkf(R[i], S[i], "vfmacc.vv[%d] round %d a=%x b=%x c=%x", i, k, A[i], B[i], C[i]); return; }
  checkf(vf, sf, "vfmacc-fflags round %d", k);
  /* vfwmacc.vv: the product of two halves is exact in single, so it is fmadd.s of the widened operands */
  for (int i = 0; i < N; i++) W[i] = s_h2s(C[i]);
  flags();
  asm volatile(ARCH "vsetvli t0, %3, e32, m2, ta, ma\n vle32.v v4, (%0)\n vsetvli t0, %3, e16, m1, ta, ma\n vle16.v v2, (%1)\n vle16.v v3, (%2)\n vfwmacc.vv v4, v2, v3\n"
               "vsetvli t0, %3, e32, m2, ta, ma\n vse32.v v4, (%0)\n" POP : : "r"(W), "r"(A), "r"(B), "r"((u64)N) : "t0", "memory");
  vf = flags();
  /* the addend is already single (W, converted before the flags were cleared) */
  for (int i = 0; i < N; i++) WS[i] = s_h2s(C[i]);
  flags();
  for (int i = 0; i < N; i++) WS[i] = s_fmas(s_h2s(A[i]), s_h2s(B[i]), WS[i]);
  sf = flags();
  for (int i = 0; i < N; i++) if (W[i] != WS[i]) { checkf(W[i], WS[i], "vfwmacc.vv[%d] round %d", i, k); return; }
  checkf(vf, sf, "vfwmacc-fflags round %d", k);
  /* vfcvt.f.x.v: int16 -> half */
  flags();
  asm volatile(ARCH "vsetvli t0, %2, e16, m1, ta, ma\n vle16.v v2, (%1)\n vfcvt.f.x.v v1, v2\n vse16.v v1, (%0)\n" POP : : "r"(R), "r"(A), "r"((u64)N) : "t0", "memory");
  vf = flags();
  for (int i = 0; i < N; i++) S[i] = s_w2h((short)A[i]);
  sf = flags();
  for (int i = 0; i < N; i++) if (R[i] != S[i]) { checkf(R[i], S[i], "vfcvt.f.x.v[%d] round %d", i, k); return; }
  checkf(vf, sf, "vfcvt.f.x.v-fflags round %d", k);
  /* vfredosum.vs: ordered sum from B[0] */
  u16 acc = B[0];
  for (int i = 0; i < N; i++) acc = s_add(acc, A[i]);
  sf = flags();
  asm volatile(ARCH "vsetvli t0, %3, e16, m1, ta, ma\n vle16.v v2, (%1)\n vle16.v v3, (%2)\n vfredosum.vs v1, v2, v3\n vse16.v v1, (%0)\n" POP
               : : "r"(R), "r"(A), "r"(B), "r"((u64)N) : "t0", "memory");
  vf = flags();
  checkf(R[0], acc, "vfredosum.vs round %d", k);
  checkf(vf, sf, "vfredosum-fflags round %d", k);
}

static void test_spec_rules(void) {
  u64 r;
  /* vfadd.vf with f1 = 2.0 (boxed): 1.0 + 2.0 = 3.0 */
  A[0] = 0x3c00;
  asm volatile(ARCH "li t1, 0xffffffffffff4000\n fmv.d.x f1, t1\n vsetivli t0, 1, e16, m1, ta, ma\n vle16.v v2, (%1)\n vfadd.vf v1, v2, f1\n vse16.v v1, (%0)\n" POP
               : : "r"(R), "r"(A) : "t0", "t1", "f1", "memory");
  check("vfadd.vf-boxed", R[0], 0x4200);
  /* an improperly boxed half reads as the canonical NaN */
  asm volatile(ARCH "li t1, 0x4000\n fmv.d.x f1, t1\n vsetivli t0, 1, e16, m1, ta, ma\n vle16.v v2, (%1)\n vfadd.vf v1, v2, f1\n vse16.v v1, (%0)\n" POP
               : : "r"(R), "r"(A) : "t0", "t1", "f1", "memory");
  check("vfadd.vf-unboxed-is-canonical-nan", R[0], 0x7e00);
  /* vfmv.f.s NaN-boxes the half */
  A[0] = 0xc500; /* -5.0 */
  asm volatile(ARCH "vsetivli t0, 1, e16, m1, ta, ma\n vle16.v v2, (%1)\n vfmv.f.s f2, v2\n fmv.x.d %0, f2\n" POP : "=r"(r) : "r"(A) : "t0", "f2", "memory");
  check("vfmv.f.s-boxed", r, 0xffffffffffffc500UL);
  /* vfmv.s.f writes element 0 only */
  asm volatile(ARCH "li t1, 0xffffffffffff3800\n fmv.d.x f1, t1\n vsetivli t0, 2, e16, m1, tu, mu\n vmv.v.i v1, 7\n vfmv.s.f v1, f1\n vse16.v v1, (%0)\n" POP
               : : "r"(R) : "t0", "t1", "f1", "memory");
  check("vfmv.s.f-elem0", R[0], 0x3800);
  check("vfmv.s.f-elem1", R[1], 7);
  /* 65504 + 32 overflows to +inf (round to nearest): OF|NX */
  A[0] = 0x7bff; B[0] = 0x5000;
  flags();
  asm volatile(ARCH "vsetivli t0, 1, e16, m1, ta, ma\n vle16.v v2, (%1)\n vle16.v v3, (%2)\n vfadd.vv v1, v2, v3\n vse16.v v1, (%0)\n" POP
               : : "r"(R), "r"(A), "r"(B) : "t0", "memory");
  check("vfadd-overflow", R[0], 0x7c00);
  check("vfadd-overflow-flags", flags(), 0x05);
  /* vfclass.v: a signalling NaN is class bit 8, -0 bit 3, a positive subnormal bit 5 */
  A[0] = 0x7d00; A[1] = 0x8000; A[2] = 0x0001;
  asm volatile(ARCH "vsetivli t0, 3, e16, m1, ta, ma\n vle16.v v2, (%1)\n vfclass.v v1, v2\n vse16.v v1, (%0)\n" POP : : "r"(R), "r"(A) : "t0", "memory");
  check("vfclass-snan", R[0], 0x100);
  check("vfclass-minus-zero", R[1], 0x8);
  check("vfclass-subnormal", R[2], 0x20);
}

int main(void) {
  csr_set(mstatus, 0x600); /* VS = Dirty */
  for (int k = 0; k < ROUNDS; k++) { fill(); test_conversions(k); }
  for (int k = 0; k < ROUNDS; k++) {
    fill();
    cmp_bin("vfadd.vv", v_add, s_add, 0); cmp_bin("vfsub.vv", v_sub, s_sub, 0);
    cmp_bin("vfmul.vv", v_mul, s_mul, 0); cmp_bin("vfdiv.vv", v_div, s_div, 0);
    cmp_bin("vfmin.vv", v_min, s_min, 0); cmp_bin("vfmax.vv", v_max, s_max, 0);
    cmp_bin("vfsgnj.vv", v_sgnj, s_sgnj, 0); cmp_bin("vfsgnjn.vv", v_sgnjn, s_sgnjn, 0);
    cmp_bin("vfsgnjx.vv", v_sgnjx, s_sgnjx, 0);
    cmp_bin("vmfeq.vv", v_eq, s_eq, 1); cmp_bin("vmflt.vv", v_lt, s_lt, 1); cmp_bin("vmfle.vv", v_le, s_le, 1);
    test_unary_fma(k);
  }
  test_spec_rules();
  finish();
}
