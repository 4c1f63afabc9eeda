/* Zfbfmin, Zvfbfmin, Zvfbfwma (BFloat16), which QEMU 7.2 lacks: the scalar conversions against
 * values written from the format (BF16 = single's top half, rounded in the current mode), then the
 * vector forms against the scalar ones over random and special operands, results and fflags.
 * gas 2.40 does not know these instructions: .insn/.word encodings. Run by
 * tests/tcg-ext-bf16.test.js with -cpu rv64,v=on,zfbfmin=on,zvfbfmin=on,zvfbfwma=on. */
#include "common.h"

typedef unsigned short u16;
#define ARCH ".option push\n.option arch, +v\n"
#define POP ".option pop\n"
#define VOP(f6, vs2, vs1, f3, vd) (((f6) << 26) | (1u << 25) | ((vs2) << 20) | ((vs1) << 15) | ((f3) << 12) | ((vd) << 7) | 0x57)
#define N 8
static u64 flags(void) { return csr_swap(fflags, 0); }

static u16 s2bf(u32 x) { /* fcvt.bf16.s */
  u64 r; asm volatile("fmv.w.x f1, %1\n .insn r 0x53, 7, 0x22, f3, f1, x8\n fmv.x.d %0, f3" : "=r"(r) : "r"((u64)x) : "f1", "f3");
  if ((r >> 16) != 0xffffffffffffUL) return 0xdead; /* must be NaN-boxed */
  return (u16)r;
}
static u32 bf2s(u16 x) { /* fcvt.s.bf16 (the operand NaN-boxed) */
  u64 r; asm volatile("fmv.d.x f1, %1\n .insn r 0x53, 7, 0x20, f3, f1, x6\n fmv.x.w %0, f3" : "=r"(r) : "r"(0xffffffffffff0000UL | x) : "f1", "f3");
  return (u32)r;
}
static u32 fmas(u32 a, u32 b, u32 c) {
  u64 r; asm volatile("fmv.w.x f1, %1\n fmv.w.x f2, %2\n fmv.w.x f4, %3\n fmadd.s f3, f1, f2, f4\n fmv.x.w %0, f3" : "=r"(r) : "r"((u64)a), "r"((u64)b), "r"((u64)c) : "f1", "f2", "f3", "f4");
  return (u32)r;
}

static void test_scalar(void) {
  flags();
  check("fcvt.bf16.s-1.0", s2bf(0x3f800000), 0x3f80);
  check("fcvt.bf16.s-tie-to-even-down", s2bf(0x3f808000), 0x3f80);
  check("fcvt.bf16.s-tie-to-even-up", s2bf(0x3f818000), 0x3f82);
  check("fcvt.bf16.s-round-up", s2bf(0x3f80ffff), 0x3f81);
  check("fcvt.bf16.s-inexact", flags(), 0x01);
  check("fcvt.bf16.s-max-overflows", s2bf(0x7f7fffff), 0x7f80);
  check("fcvt.bf16.s-overflow-flags", flags(), 0x05);
  check("fcvt.bf16.s-qnan-canonical", s2bf(0x7fc12345), 0x7fc0);
  check("fcvt.bf16.s-qnan-no-flags", flags(), 0);
  check("fcvt.bf16.s-snan", s2bf(0x7f800001), 0x7fc0);
  check("fcvt.bf16.s-snan-nv", flags(), 0x10);
  check("fcvt.bf16.s-subnormal", s2bf(0x00010000), 0x0001);
  check("fcvt.s.bf16-pi", bf2s(0x4049), 0x40490000);
  check("fcvt.s.bf16-minus-inf", bf2s(0xff80), 0xff800000);
  check("fcvt.s.bf16-exact", flags(), 0);
  csr_write(frm, 1); /* RTZ */
  check("fcvt.bf16.s-rtz", s2bf(0x3f80ffff), 0x3f80);
  csr_write(frm, 0);
  flags();
}

static u16 H[N], R16[N];
static u32 S[N], R32[N], W[N], WS[N];
static u64 seed = 0x9e3779b97f4a7c15UL;
static const u16 SPECIAL[] = { 0, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x7fa0 /* sNaN */, 1, 0x807f, 0x7f7f, 0x3f80, 0xbf80 };
static u64 rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }
static u16 rnd16(void) { u64 r = rnd(); return (r >> 60) < 3 ? SPECIAL[(r >> 32) % (sizeof SPECIAL / sizeof SPECIAL[0])] : (u16)(r >> 20); }

static void test_vector(int k) {
  for (int i = 0; i < N; i++) { H[i] = rnd16(); S[i] = (u32)(rnd() >> 16); }
  /* vfwcvtbf16.f.f.v v4, v2 */
  flags();
  asm volatile(ARCH "vsetivli zero, 8, e16, m1, ta, ma\n vle16.v v2, (%0)\n" POP : : "r"(H) : "memory");
  asm volatile(".word %0" : : "i"(VOP(0x12, 2, 13, 1, 4)));
  asm volatile(ARCH "vsetivli zero, 8, e32, m2, ta, ma\n vse32.v v4, (%0)\n" POP : : "r"(R32) : "memory");
  u64 vf = flags();
  for (int i = 0; i < N; i++) WS[i] = bf2s(H[i]);
  u64 sf = flags();
  for (int i = 0; i < N; i++) if (R32[i] != WS[i]) { checkf(R32[i], WS[i], "vfwcvtbf16[%d] round %d h=%x", i, k, H[i]); return; }
  checkf(vf, sf, "vfwcvtbf16-fflags round %d", k);
  /* vfncvtbf16.f.f.w v1, v4 */
  asm volatile(ARCH "vsetivli zero, 8, e32, m2, ta, ma\n vle32.v v4, (%0)\n vsetivli zero, 8, e16, m1, ta, ma\n" POP : : "r"(S) : "memory");
  asm volatile(".word %0" : : "i"(VOP(0x12, 4, 29, 1, 1)));
  asm volatile(ARCH "vse16.v v1, (%0)\n" POP : : "r"(R16) : "memory");
  vf = flags();
  for (int i = 0; i < N; i++) WS[i] = s2bf(S[i]);
  sf = flags();
  for (int i = 0; i < N; i++) if (R16[i] != WS[i]) { checkf(R16[i], WS[i], "vfncvtbf16[%d] round %d s=%x", i, k, S[i]); return; }
  checkf(vf, sf, "vfncvtbf16-fflags round %d", k);
  /* vfwmaccbf16.vv v4, v2 (vs1), v3 (vs2): v4 += v2 * v3 */
  static u16 B[N];
  for (int i = 0; i < N; i++) { B[i] = rnd16(); W[i] = (u32)(rnd() >> 16); }
  asm volatile(ARCH "vsetivli zero, 8, e32, m2, ta, ma\n vle32.v v4, (%2)\n vsetivli zero, 8, e16, m1, ta, ma\n vle16.v v2, (%0)\n vle16.v v3, (%1)\n" POP
               : : "r"(H), "r"(B), "r"(W) : "memory");
  flags();
  asm volatile(".word %0" : : "i"(VOP(0x3b, 3, 2, 1, 4)));
  vf = flags();
  asm volatile(ARCH "vsetivli zero, 8, e32, m2, ta, ma\n vse32.v v4, (%0)\n" POP : : "r"(R32) : "memory");
  for (int i = 0; i < N; i++) WS[i] = fmas(bf2s(H[i]), bf2s(B[i]), W[i]);
  sf = flags();
  for (int i = 0; i < N; i++) if (R32[i] != WS[i]) { checkf(R32[i], WS[i], "vfwmaccbf16.vv[%d] round %d", i, k); return; }
  checkf(vf, sf, "vfwmaccbf16-fflags round %d", k);
  /* vfwmaccbf16.vf v4, f1, v3 with f1 = 2.0 (boxed) */
  asm volatile(ARCH "vsetivli zero, 8, e32, m2, ta, ma\n vle32.v v4, (%1)\n vsetivli zero, 8, e16, m1, ta, ma\n vle16.v v3, (%0)\n li t0, 0xffffffffffff4000\n fmv.d.x f1, t0\n" POP
               : : "r"(B), "r"(W) : "t0", "f1", "memory");
  flags();
  asm volatile(".word %0" : : "i"(VOP(0x3b, 3, 1, 5, 4)));
  vf = flags();
  asm volatile(ARCH "vsetivli zero, 8, e32, m2, ta, ma\n vse32.v v4, (%0)\n" POP : : "r"(R32) : "memory");
  for (int i = 0; i < N; i++) WS[i] = fmas(0x40000000, bf2s(B[i]), W[i]);
  sf = flags();
  for (int i = 0; i < N; i++) if (R32[i] != WS[i]) { checkf(R32[i], WS[i], "vfwmaccbf16.vf[%d] round %d", i, k); return; }
  checkf(vf, sf, "vfwmaccbf16.vf-fflags round %d", k);
}

int main(void) {
  csr_set(mstatus, 0x600);
  test_scalar();
  for (int k = 0; k < 30; k++) test_vector(k);
  /* SEW 32: the BF16 instructions are reserved */
  asm volatile(ARCH "vsetivli zero, 4, e32, m1, ta, ma\n" POP);
  trap_arm();
  asm volatile(".word %0" : : "i"(VOP(0x12, 2, 13, 1, 4)));
  trap_disarm();
  check("vfwcvtbf16-sew32-illegal", mtrap.cause, 2);
  finish();
}
