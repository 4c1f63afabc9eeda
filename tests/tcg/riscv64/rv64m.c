/* RV64M: multiply/divide including division by zero, overflow and W forms. */
#include "common.h"

#define RR(insn, a, b) ({ u64 r_; asm volatile(insn " %0, %1, %2" : "=r"(r_) : "r"((u64)(a)), "r"((u64)(b))); r_; })
#define MIN64 0x8000000000000000UL
#define M1 (~0UL)

static void hand_checks(void) {
  check("mul-low", RR("mul", 0x123456789UL, 0x987654321UL), 0x123456789UL * 0x987654321UL);
  check("mul-neg", RR("mul", -3L, 7), (u64)-21L);
  check("mul-wrap", RR("mul", MIN64, 2), 0);
  check("mulh-min-min", RR("mulh", MIN64, MIN64), 0x4000000000000000UL);
  check("mulh-m1-m1", RR("mulh", M1, M1), 0);
  check("mulh-m1-1", RR("mulh", M1, 1), M1);
  check("mulh-max-max", RR("mulh", 0x7fffffffffffffffUL, 0x7fffffffffffffffUL), 0x3fffffffffffffffUL);
  check("mulhu-m1-m1", RR("mulhu", M1, M1), 0xfffffffffffffffeUL);
  check("mulhu-2-min", RR("mulhu", 2, MIN64), 1);
  check("mulhsu-m1-m1", RR("mulhsu", M1, M1), M1);
  check("mulhsu-1-m1", RR("mulhsu", 1, M1), 0);
  check("mulhsu-min-m1", RR("mulhsu", MIN64, M1), 0x8000000000000000UL);
  check("mulhsu-m2-3", RR("mulhsu", -2L, 3), M1);
  check("mulw-sext", RR("mulw", 0x7fffffff, 2), 0xfffffffffffffffeUL);
  check("mulw-upper-ignored", RR("mulw", 0x500000003UL, 0x700000005UL), 15);
  check("mulw-min", RR("mulw", 0x80000000UL, 0xffffffffUL), 0xffffffff80000000UL);

  check("div-by-zero", RR("div", 42, 0), M1);
  check("div-neg-by-zero", RR("div", -42L, 0), M1);
  check("divu-by-zero", RR("divu", 42, 0), M1);
  check("rem-by-zero", RR("rem", -42L, 0), (u64)-42L);
  check("remu-by-zero", RR("remu", 42, 0), 42);
  check("div-overflow", RR("div", MIN64, M1), MIN64);
  check("rem-overflow", RR("rem", MIN64, M1), 0);
  check("div-trunc-neg", RR("div", -7L, 2), (u64)-3L);
  check("rem-sign-dividend", RR("rem", -7L, 2), (u64)-1L);
  check("rem-neg-divisor", RR("rem", 7, -2L), 1);
  check("divu-big", RR("divu", M1, 3), 0x5555555555555555UL);
  check("remu-big", RR("remu", M1, 10), 5);
  check("divu-min-m1", RR("divu", MIN64, M1), 0);

  check("divw-by-zero", RR("divw", 42, 0), M1);
  check("divuw-by-zero", RR("divuw", 42, 0), M1);
  check("remw-by-zero-sext", RR("remw", 0x80000000UL, 0), 0xffffffff80000000UL);
  check("remuw-by-zero-sext", RR("remuw", 0xfffffffffffffff0UL, 0x100000000UL), 0xfffffffffffffff0UL);
  check("divw-overflow", RR("divw", 0x80000000UL, 0xffffffffUL), 0xffffffff80000000UL);
  check("remw-overflow", RR("remw", 0x80000000UL, M1), 0);
  check("divw-upper-ignored", RR("divw", 0x100000010UL, 0x200000004UL), 4);
  check("divuw-unsigned", RR("divuw", 0xffffffffUL, 2), 0x7fffffff);
  check("divuw-sext-result", RR("divuw", 0xffffffffUL, 1), M1);
  check("remuw", RR("remuw", 0xffffffffUL, 10), 5);
  check("remw-neg", RR("remw", 0xfffffff9UL, 2), M1);
}

static const u64 vals[] = {
  0, 1, 2, 3, 7, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000UL, 0x7fffffffffffffffUL,
  MIN64, M1, (u64)-2L, (u64)-7L, 0x123456789abcdef0UL, 0xfedcba9876543211UL,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

#define DEF_RR(fn, insn) static u64 fn(u64 a, u64 b) { return RR(insn, a, b); }
DEF_RR(v_mul, "mul") DEF_RR(v_mulh, "mulh") DEF_RR(v_mulhsu, "mulhsu") DEF_RR(v_mulhu, "mulhu")
DEF_RR(v_div, "div") DEF_RR(v_divu, "divu") DEF_RR(v_rem, "rem") DEF_RR(v_remu, "remu")
DEF_RR(v_mulw, "mulw") DEF_RR(v_divw, "divw") DEF_RR(v_divuw, "divuw") DEF_RR(v_remw, "remw")
DEF_RR(v_remuw, "remuw")

static const struct { const char *name; u64 (*fn)(u64, u64); } ops[] = {
  {"mul", v_mul}, {"mulh", v_mulh}, {"mulhsu", v_mulhsu}, {"mulhu", v_mulhu},
  {"div", v_div}, {"divu", v_divu}, {"rem", v_rem}, {"remu", v_remu},
  {"mulw", v_mulw}, {"divw", v_divw}, {"divuw", v_divuw}, {"remw", v_remw}, {"remuw", v_remuw},
};

int main(void) {
  hand_checks();
  for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
    for (unsigned i = 0; i < NV; i++) {
      tprintf("%s %lx:", ops[o].name, vals[i]);
      for (unsigned j = 0; j < NV; j++) tprintf(" %lx", ops[o].fn(vals[i], vals[j]));
      tprintf("\n");
    }
  }
  return 0;
}
