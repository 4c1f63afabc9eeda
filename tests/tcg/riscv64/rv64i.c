/* RV64I: every base instruction with edge cases, plus value vectors. */
#include "common.h"

#define RR(insn, a, b) ({ u64 r_; asm volatile(insn " %0, %1, %2" : "=r"(r_) : "r"((u64)(a)), "r"((u64)(b))); r_; })
#define RI(insn, a, imm) ({ u64 r_; asm volatile(insn " %0, %1, %2" : "=r"(r_) : "r"((u64)(a)), "i"(imm)); r_; })
/* 1 when the branch is taken */
#define BR(insn, a, b) ({ u64 t_; asm volatile("li %0, 1\n\t" insn " %1, %2, 1f\n\tli %0, 0\n1:" : "=&r"(t_) : "r"((u64)(a)), "r"((u64)(b))); t_; })

static void test_arith(void) {
  check("add-wrap", RR("add", 0x7fffffffffffffffUL, 1), 0x8000000000000000UL);
  check("add-neg", RR("add", -5L, 3), (u64)-2L);
  check("sub-wrap", RR("sub", 0x8000000000000000UL, 1), 0x7fffffffffffffffUL);
  check("sub-zero-minus-one", RR("sub", 0, 1), ~0UL);
  check("addi-overflow", RI("addi", 0x7fffffffffffffffUL, 1), 0x8000000000000000UL);
  check("addi-min-imm", RI("addi", 0, -2048), (u64)-2048L);
  check("addi-max-imm", RI("addi", 1, 2047), 2048);
  check("addiw-overflow", RI("addiw", 0x7fffffffUL, 1), 0xffffffff80000000UL);
  check("addiw-sext-w", RI("addiw", 0x123456789abcdef0UL, 0), 0xffffffff9abcdef0UL);
  check("addiw-upper-ignored", RI("addiw", 0xffffffff00000005UL, 0), 5);
  check("addw-wrap-zero", RR("addw", 0x80000000UL, 0x80000000UL), 0);
  check("addw-sext", RR("addw", 0x7fffffffUL, 1), 0xffffffff80000000UL);
  check("subw-sext", RR("subw", 0, 1), ~0UL);
  check("subw-upper-ignored", RR("subw", 0x1200000005UL, 0x3400000003UL), 2);
  check("subw-min", RR("subw", 0x80000000UL, 1), 0x7fffffff);
}

static void test_logic(void) {
  u64 a = 0xf0f0f0f0ff00ff00UL, b = 0x0ff00ff0f0f0f0f0UL;
  check("and", RR("and", a, b), a & b);
  check("or", RR("or", a, b), a | b);
  check("xor", RR("xor", a, b), a ^ b);
  check("andi-sext-imm", RI("andi", a, -16), a & ~15UL);
  check("ori-sext-imm", RI("ori", 0, -2048), 0xfffffffffffff800UL);
  check("xori-not", RI("xori", a, -1), ~a);
  check("xori-pos", RI("xori", a, 0x7ff), a ^ 0x7ff);
}

static void test_shifts(void) {
  check("sll-63", RR("sll", 1, 63), 0x8000000000000000UL);
  check("sll-64-masked", RR("sll", 5, 64), 5);
  check("sll-65-masked", RR("sll", 1, 65), 2);
  check("srl-63", RR("srl", ~0UL, 63), 1);
  check("srl-127-masked", RR("srl", 0x8000000000000000UL, 127), 1);
  check("sra-63", RR("sra", 0x8000000000000000UL, 63), ~0UL);
  check("sra-pos", RR("sra", 0x4000000000000000UL, 62), 1);
  check("sra-64-masked", RR("sra", 0x8000000000000000UL, 64), 0x8000000000000000UL);
  check("slli-63", RI("slli", 3, 63), 0x8000000000000000UL);
  check("srli-63", RI("srli", 0x8000000000000000UL, 63), 1);
  check("srai-63", RI("srai", 0x8000000000000000UL, 63), ~0UL);
  check("srai-1", RI("srai", 0x8000000000000000UL, 1), 0xc000000000000000UL);
  check("slli-0", RI("slli", 0x123456789UL, 0), 0x123456789UL);
  check("sllw-31", RR("sllw", 1, 31), 0xffffffff80000000UL);
  check("sllw-32-masked", RR("sllw", 1, 32), 1);
  check("sllw-drops-upper", RR("sllw", 0x100000001UL, 1), 2);
  check("srlw-0-sext", RR("srlw", 0x80000000UL, 0), 0xffffffff80000000UL);
  check("srlw-31", RR("srlw", 0xffffffff80000000UL, 31), 1);
  check("srlw-1", RR("srlw", 0xffffffff80000000UL, 1), 0x40000000);
  check("srlw-33-masked", RR("srlw", 0x80000000UL, 33), 0x40000000);
  check("sraw-31", RR("sraw", 0x80000000UL, 31), ~0UL);
  check("sraw-upper-ignored", RR("sraw", 0x7fffffff00000000UL, 4), 0);
  check("slliw-31", RI("slliw", 3, 31), 0xffffffff80000000UL);
  check("slliw-0-sext", RI("slliw", 0xffffffffUL, 0), ~0UL);
  check("srliw-0-sext", RI("srliw", 0xffffffffUL, 0), ~0UL);
  check("srliw-31", RI("srliw", 0xffffffffUL, 31), 1);
  check("sraiw-31", RI("sraiw", 0x80000000UL, 31), ~0UL);
  check("sraiw-4", RI("sraiw", 0x80000000UL, 4), 0xfffffffff8000000UL);
}

static void test_compare(void) {
  check("slt-neg-zero", RR("slt", -1L, 0), 1);
  check("slt-zero-neg", RR("slt", 0, -1L), 0);
  check("slt-min-max", RR("slt", 0x8000000000000000UL, 0x7fffffffffffffffUL), 1);
  check("slt-equal", RR("slt", 7, 7), 0);
  check("sltu-neg-zero", RR("sltu", -1L, 0), 0);
  check("sltu-zero-neg", RR("sltu", 0, -1L), 1);
  check("sltu-min-max", RR("sltu", 0x8000000000000000UL, 0x7fffffffffffffffUL), 0);
  check("slti-neg", RI("slti", -2L, -1), 1);
  check("slti-eq", RI("slti", -1L, -1), 0);
  check("slti-min", RI("slti", 0x8000000000000000UL, -2048), 1);
  check("sltiu-sext-imm", RI("sltiu", 0xfffffffffffff000UL, -1), 1);
  check("sltiu-all-ones", RI("sltiu", ~0UL, -1), 0);
  check("sltiu-seqz-0", RI("sltiu", 0, 1), 1);
  check("sltiu-seqz-5", RI("sltiu", 5, 1), 0);
}

static void test_upper(void) {
  u64 r;
  asm volatile("lui %0, 0x80000" : "=r"(r));
  check("lui-sext", r, 0xffffffff80000000UL);
  asm volatile("lui %0, 0x7ffff" : "=r"(r));
  check("lui-max-pos", r, 0x7ffff000UL);
  asm volatile("lui %0, 0xfffff" : "=r"(r));
  check("lui-all-ones", r, 0xfffffffffffff000UL);
  u64 pc, here;
  asm volatile("1: auipc %0, 0\n\tla %1, 1b" : "=r"(pc), "=r"(here));
  check("auipc-0", pc, here);
  asm volatile("1: auipc %0, 0x80000\n\tla %1, 1b" : "=r"(pc), "=r"(here));
  check("auipc-neg", pc, here - 0x80000000UL);
  asm volatile("1: auipc %0, 0x7ffff\n\tla %1, 1b" : "=r"(pc), "=r"(here));
  check("auipc-pos", pc, here + 0x7ffff000UL);
}

static void test_jumps(void) {
  u64 link, target, got;
  asm volatile("jal %0, 1f\n2: nop\n1: la %1, 2b" : "=r"(link), "=r"(target));
  check("jal-link", link, target);
  /* jalr clears bit 0 of the target */
  asm volatile("la t0, 1f\n\taddi t0, t0, 1\n\tli %0, 0\n\tjalr t1, 0(t0)\n\tli %0, 99\n\t.align 2\n1: addi %0, %0, 1\n\t"
               : "=&r"(got) : : "t0", "t1");
  check("jalr-clears-bit0", got, 1);
  /* jalr with a negative offset and rd == rs1: the target uses the old value */
  asm volatile("la %0, 1f\n\taddi %0, %0, 16\n\tli %1, 0\n\tjalr %0, -16(%0)\n\tli %1, 99\n1: addi %1, %1, 2\n\t"
               : "=&r"(link), "=&r"(got));
  check("jalr-rd-eq-rs1-target", got, 2);
  asm volatile("la %0, 1f\n\tjalr %0, 0(%0)\n2: nop\n1: la %1, 2b" : "=&r"(link), "=r"(target));
  check("jalr-rd-eq-rs1-link", link, target);
  asm volatile("jal x0, 1f\n\tli %0, 1\n\tj 2f\n1: li %0, 2\n2:" : "=r"(got));
  check("jal-x0", got, 2);
  asm volatile("li %0, 5\n\taddi x0, %0, 1\n\tmv %0, x0" : "=&r"(got));
  check("x0-stays-zero", got, 0);
}

static void test_branches(void) {
  check("beq-taken", BR("beq", 5, 5), 1);
  check("beq-not", BR("beq", 5, 6), 0);
  check("bne-taken", BR("bne", 5, 6), 1);
  check("bne-not", BR("bne", -1L, -1L), 0);
  check("blt-neg", BR("blt", -1L, 0), 1);
  check("blt-not", BR("blt", 0, -1L), 0);
  check("blt-equal", BR("blt", 3, 3), 0);
  check("blt-min-max", BR("blt", 0x8000000000000000UL, 0x7fffffffffffffffUL), 1);
  check("bge-equal", BR("bge", 3, 3), 1);
  check("bge-neg", BR("bge", -1L, 0), 0);
  check("bge-max-min", BR("bge", 0x7fffffffffffffffUL, 0x8000000000000000UL), 1);
  check("bltu-neg", BR("bltu", -1L, 0), 0);
  check("bltu-zero", BR("bltu", 0, -1L), 1);
  check("bltu-equal", BR("bltu", 9, 9), 0);
  check("bgeu-neg", BR("bgeu", -1L, 0), 1);
  check("bgeu-equal", BR("bgeu", 9, 9), 1);
  check("bgeu-not", BR("bgeu", 0x7fffffffffffffffUL, 0x8000000000000000UL), 0);
  /* backward branch loop */
  u64 n;
  asm volatile("li %0, 0\n\tli t0, 10\n1: addi %0, %0, 3\n\taddi t0, t0, -1\n\tbnez t0, 1b" : "=&r"(n) : : "t0");
  check("backward-branch-loop", n, 30);
}

static u8 buf[64] __attribute__((aligned(16)));

static void test_loads_stores(void) {
  for (int i = 0; i < 16; i++) buf[i] = (u8)(0x80 + i * 0x11);
  volatile u8 *p = buf;
  u64 r;
  asm volatile("lb %0, 0(%1)" : "=r"(r) : "r"(p));
  check("lb-sext", r, 0xffffffffffffff80UL);
  asm volatile("lbu %0, 0(%1)" : "=r"(r) : "r"(p));
  check("lbu-zext", r, 0x80);
  asm volatile("lh %0, 0(%1)" : "=r"(r) : "r"(p));
  check("lh-sext", r, 0xffffffffffff9180UL);
  asm volatile("lhu %0, 0(%1)" : "=r"(r) : "r"(p));
  check("lhu-zext", r, 0x9180);
  asm volatile("lw %0, 0(%1)" : "=r"(r) : "r"(p));
  check("lw-sext", r, 0xffffffffb3a29180UL);
  asm volatile("lwu %0, 0(%1)" : "=r"(r) : "r"(p));
  check("lwu-zext", r, 0xb3a29180UL);
  asm volatile("ld %0, 0(%1)" : "=r"(r) : "r"(p));
  check("ld", r, 0xf7e6d5c4b3a29180UL);
  asm volatile("lb %0, 5(%1)" : "=r"(r) : "r"(p));
  check("lb-offset", r, 0xffffffffffffffd5UL);
  asm volatile("ld %0, -8(%1)" : "=r"(r) : "r"(p + 16));
  check("ld-neg-offset", r, 0x7f6e5d4c3b2a1908UL);
  buf[0x20 - 0] = 0;
  for (int i = 0; i < 16; i++) buf[32 + i] = 0;
  asm volatile("sd %1, 0(%0)" : : "r"(p + 32), "r"(~0UL) : "memory");
  asm volatile("sb %1, 0(%0)" : : "r"(p + 32), "r"(0x1234UL) : "memory");
  asm volatile("sh %1, 2(%0)" : : "r"(p + 32), "r"(0xabcdef56UL) : "memory");
  asm volatile("sw %1, 4(%0)" : : "r"(p + 32), "r"(0x1122334455667788UL) : "memory");
  asm volatile("ld %0, 0(%1)" : "=r"(r) : "r"(p + 32));
  check("sb-sh-sw-partial", r, 0x55667788ef56ff34UL);
  asm volatile("sd %1, -8(%0)" : : "r"(p + 48), "r"(0x0123456789abcdefUL) : "memory");
  asm volatile("ld %0, 8(%1)" : "=r"(r) : "r"(p + 32));
  check("sd-neg-offset", r, 0x0123456789abcdefUL);
  asm volatile("lhu %0, 14(%1)" : "=r"(r) : "r"(p + 32));
  check("lhu-high", r, 0x0123);
}

static void test_misc(void) {
  /* fence variants and hints execute as no-ops */
  u64 r = 1;
  asm volatile("fence\n\tfence rw, rw\n\tfence r, w\n\tfence.tso\n\tfence iorw, iorw\n\t"
               ".word 0x0100000f /* pause */\n\tnop\n\taddi x0, x0, 0\n\t"
               ".word 0x00100013 /* addi x0, x0, 1 (hint) */\n\taddi %0, %0, 1" : "+r"(r));
  check("fence-and-hints", r, 2);
}

/* Value vectors: printed so the comparison with real QEMU covers them. */
static const u64 vals[] = {
  0, 1, 2, 31, 32, 63, 64, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffUL,
  0x8000000000000000UL, ~0UL, 0x123456789abcdef0UL, 0xfedcba9876543211UL, (u64)-33L,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

#define DEF_RR(fn, insn) static u64 fn(u64 a, u64 b) { return RR(insn, a, b); }
DEF_RR(v_add, "add") DEF_RR(v_sub, "sub") DEF_RR(v_sll, "sll") DEF_RR(v_slt, "slt")
DEF_RR(v_sltu, "sltu") DEF_RR(v_xor, "xor") DEF_RR(v_srl, "srl") DEF_RR(v_sra, "sra")
DEF_RR(v_or, "or") DEF_RR(v_and, "and") DEF_RR(v_addw, "addw") DEF_RR(v_subw, "subw")
DEF_RR(v_sllw, "sllw") DEF_RR(v_srlw, "srlw") DEF_RR(v_sraw, "sraw")

static const struct { const char *name; u64 (*fn)(u64, u64); } rr_ops[] = {
  {"add", v_add}, {"sub", v_sub}, {"sll", v_sll}, {"slt", v_slt}, {"sltu", v_sltu},
  {"xor", v_xor}, {"srl", v_srl}, {"sra", v_sra}, {"or", v_or}, {"and", v_and},
  {"addw", v_addw}, {"subw", v_subw}, {"sllw", v_sllw}, {"srlw", v_srlw}, {"sraw", v_sraw},
};

static void vectors(void) {
  for (unsigned o = 0; o < sizeof(rr_ops) / sizeof(rr_ops[0]); o++) {
    for (unsigned i = 0; i < NV; i++) {
      tprintf("%s %lx:", rr_ops[o].name, vals[i]);
      for (unsigned j = 0; j < NV; j++) tprintf(" %lx", rr_ops[o].fn(vals[i], vals[j]));
      tprintf("\n");
    }
  }
}

int main(void) {
  test_arith();
  test_logic();
  test_shifts();
  test_compare();
  test_upper();
  test_jumps();
  test_branches();
  test_loads_stores();
  test_misc();
  vectors();
  return 0;
}
