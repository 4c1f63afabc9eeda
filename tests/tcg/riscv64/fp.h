/*
 * Helpers for the F/D tests: every instruction under test sits in a small asm
 * function (one per rounding mode where it has one) taking raw register images:
 *   u64 fn(u64 a, u64 b, u64 c, u64 *flags)
 * a, b, c go to fa0, fa1, fa2 (a also stays in a0 for int-source conversions);
 * fflags is cleared before the instruction and stored to *flags after it. FP
 * results come back as the raw 64-bit register image (so NaN boxing is visible).
 */
#ifndef TCG_RISCV64_FP_H
#define TCG_RISCV64_FP_H
#include "common.h"

#define FFLAG_NX 0x01
#define FFLAG_UF 0x02
#define FFLAG_OF 0x04
#define FFLAG_DZ 0x08
#define FFLAG_NV 0x10

typedef u64 (*fpfn)(u64, u64, u64, u64 *);

#define FP_PRO "fmv.d.x fa0, a0\n  fmv.d.x fa1, a1\n  fmv.d.x fa2, a2\n  fmv.d.x fa3, zero\n  csrw fflags, zero\n  "
#define FP_EPI_F "\n  fmv.x.d a0, fa3\n  csrr t0, fflags\n  sd t0, 0(a3)\n  ret\n"
#define FP_EPI_X "\n  csrr t0, fflags\n  sd t0, 0(a3)\n  ret\n"

/* one function with an FP result / an integer result */
#define FPF(name, text) asm(".text\n.globl " #name "\n" #name ":\n  " FP_PRO text FP_EPI_F); u64 name(u64, u64, u64, u64 *);
#define FPX(name, text) asm(".text\n.globl " #name "\n" #name ":\n  " FP_PRO text FP_EPI_X); u64 name(u64, u64, u64, u64 *);

/* the six rounding-mode variants (rne rtz rdn rup rmm dyn) of one instruction */
#define FPF_RM(name, text)                                                              \
  FPF(name##_rne, text ", rne") FPF(name##_rtz, text ", rtz") FPF(name##_rdn, text ", rdn") \
  FPF(name##_rup, text ", rup") FPF(name##_rmm, text ", rmm") FPF(name##_dyn, text ", dyn") \
  static const fpfn name[6] = {name##_rne, name##_rtz, name##_rdn, name##_rup, name##_rmm, name##_dyn};
#define FPX_RM(name, text)                                                              \
  FPX(name##_rne, text ", rne") FPX(name##_rtz, text ", rtz") FPX(name##_rdn, text ", rdn") \
  FPX(name##_rup, text ", rup") FPX(name##_rmm, text ", rmm") FPX(name##_dyn, text ", dyn") \
  static const fpfn name[6] = {name##_rne, name##_rtz, name##_rdn, name##_rup, name##_rmm, name##_dyn};

enum { RNE, RTZ, RDN, RUP, RMM, DYN };
static const char *const rm_names[6] = {"rne", "rtz", "rdn", "rup", "rmm", "dyn"};

#define BOX(x) (0xffffffff00000000UL | (u32)(x))

/* Prints a register image: single results as 8 digits when properly boxed. */
static inline void put_fp(u64 v, int single) {
  if (single && (v >> 32) == 0xffffffffUL)
    tprintf("%08lx", v & 0xffffffffUL);
  else
    tprintf("%016lx", v);
}

/* Checks result and flags of one operation. */
static inline void check_fp(const char *name, u64 got, u64 gotf, u64 want, u64 wantf) {
  checkf(got, want, "%s", name);
  checkf(gotf, wantf, "%s-flags", name);
}

#endif
