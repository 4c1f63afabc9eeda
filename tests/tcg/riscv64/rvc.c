/* RV64C: every compressed instruction, assembled with .option rvc and checked by
 * executing it (plus reserved encodings, which must raise illegal instruction
 * with mtval = the 16-bit instruction). */
#include "common.h"

/* Each helper takes a0, a1 (and a2 as a pointer where needed) and returns a0. */
#define CFN(name, body)                                                          \
  asm(".text\n.balign 4\n.globl " #name "\n" #name ":\n.option push\n.option rvc\n" \
      body "\n\tc.jr ra\n.option pop\n");                                        \
  u64 name(u64 a0, u64 a1, void *a2);

CFN(t_addi4spn, "c.addi4spn a0, sp, 1020\n\tsub a0, a0, sp")
CFN(t_addi4spn_min, "c.addi4spn a0, sp, 4\n\tsub a0, a0, sp")
CFN(t_li_neg, "c.li a0, -32")
CFN(t_li_pos, "c.li a0, 31")
CFN(t_lui_pos, "c.lui a0, 0x1f")
CFN(t_lui_neg, "c.lui a0, 0xfffe0")
CFN(t_lui_m1, "c.lui a0, 0xfffff")
CFN(t_addi_neg, "c.addi a0, -32")
CFN(t_addi_pos, "c.addi a0, 31")
CFN(t_addiw_sext, "c.addiw a0, 1")
CFN(t_addiw_0, "c.addiw a0, 0")
CFN(t_addi16sp, "mv a1, sp\n\tc.addi16sp sp, -512\n\tsub a0, a1, sp\n\tc.addi16sp sp, 496\n\tc.addi16sp sp, 16")
CFN(t_srli, "c.srli a0, 63")
CFN(t_srli1, "c.srli a0, 1")
CFN(t_srai, "c.srai a0, 63")
CFN(t_srai4, "c.srai a0, 4")
CFN(t_slli, "c.slli a0, 63")
CFN(t_slli1, "c.slli a0, 1")
CFN(t_andi, "c.andi a0, -32")
CFN(t_andi_pos, "c.andi a0, 21")
CFN(t_sub, "c.sub a0, a1")
CFN(t_xor, "c.xor a0, a1")
CFN(t_or, "c.or a0, a1")
CFN(t_and, "c.and a0, a1")
CFN(t_subw, "c.subw a0, a1")
CFN(t_addw, "c.addw a0, a1")
CFN(t_mv, "c.mv a0, a1")
CFN(t_add, "c.add a0, a1")
CFN(t_lw, "c.lw a0, 124(a2)")
CFN(t_lw0, "c.lw a0, 0(a2)")
CFN(t_ld, "c.ld a0, 248(a2)")
CFN(t_sw, "c.sw a0, 4(a2)\n\tld a0, 0(a2)")
CFN(t_sd, "c.sd a1, 248(a2)\n\tld a0, 248(a2)")
CFN(t_fld_fsd, "c.fld fa0, 8(a2)\n\tc.fsd fa0, 240(a2)\n\tld a0, 240(a2)")
/* sp-relative forms: make a frame, store a0/a1 at the largest offsets, reload */
CFN(t_sp_forms,
    "c.addi16sp sp, -512\n\t"
    "c.sdsp a0, 504(sp)\n\tc.swsp a1, 252(sp)\n\t"
    "c.ldsp a3, 504(sp)\n\tc.lwsp a4, 252(sp)\n\t"
    "c.fldsp fa1, 504(sp)\n\tc.fsdsp fa1, 0(sp)\n\tc.ldsp a5, 0(sp)\n\t"
    "c.addi16sp sp, 496\n\tc.addi16sp sp, 16\n\t"
    "xor a0, a3, a4\n\txor a0, a0, a5")
CFN(t_lwsp_sext, "c.addi16sp sp, -16\n\tc.swsp a0, 4(sp)\n\tc.lwsp a0, 4(sp)\n\tc.addi16sp sp, 16")
/* jumps and branches */
CFN(t_j, "c.li a0, 1\n\tc.j 1f\n\tc.li a0, 2\n1:\tc.addi a0, 4")
CFN(t_j_back, "c.li a0, 0\n\tc.j 2f\n1:\tc.addi a0, 8\n\tc.j 3f\n2:\tc.addi a0, 1\n\tc.j 1b\n3:")
CFN(t_beqz, "c.li a3, 0\n\tc.beqz a0, 1f\n\tc.li a3, 1\n1:\tc.mv a0, a3")
CFN(t_bnez, "c.li a3, 0\n\tc.bnez a0, 1f\n\tc.li a3, 1\n1:\tc.mv a0, a3")
CFN(t_jr, "la a1, 1f\n\tc.li a0, 1\n\tc.jr a1\n\tc.li a0, 2\n1:")
CFN(t_jalr_link, "mv a4, ra\n\tla a1, 1f\n\tla a3, 2f\n\tc.jalr a1\n2:\tmv ra, a4\n\tc.jr ra\n1:\tsub a0, ra, a3\n\tc.jr ra")
CFN(t_hints, "c.nop\n\tc.addi a0, 0\n\t.hword 0x4001 /* c.li x0, 0 */\n\t.hword 0x800a /* c.mv x0, sp */\n\t"
    ".hword 0x900a /* c.add x0, sp */\n\t.hword 0x0085 /* c.nop 1 */\n\tc.addi a0, 1")

/* Reserved encodings: illegal instruction with mtval = the 16 bits. */
static const u16 reserved[] = {
  0x0000, /* all zeros */
  0x0008, /* c.addi4spn s0 with nzuimm = 0 */
  0x6101, /* c.addi16sp sp, 0 */
  0x6501, /* c.lui a0, 0 */
  0x8002, /* c.jr x0 */
  0x4002, /* c.lwsp x0 */
  0x6002, /* c.ldsp x0 */
  0x2001, /* c.addiw x0, 0 */
};

static void test_reserved(void) {
  /* Put each encoding in RAM, followed by c.jr ra, and call it. */
  static u16 code[4] __attribute__((aligned(4)));
  for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
    code[0] = reserved[i];
    code[1] = 0x8082; /* c.jr ra */
    asm volatile("fence.i" ::: "memory");
    trap_arm();
    ((void (*)(void))code)();
    trap_disarm();
    checkf(mtrap.cause, CAUSE_ILLEGAL, "reserved-%04x-cause", reserved[i]);
    checkf(mtrap.tval, reserved[i], "reserved-%04x-mtval", reserved[i]);
    checkf(mtrap.epc, (u64)code, "reserved-%04x-mepc", reserved[i]);
  }
}

static void test_ebreak(void) {
  extern char c_ebreak_at[];
  trap_arm();
  asm volatile(".option push\n.option rvc\nc_ebreak_at: c.ebreak\n.option pop");
  trap_disarm();
  check("c.ebreak-cause", mtrap.cause, CAUSE_BREAKPOINT);
  check("c.ebreak-mepc", mtrap.epc, (u64)c_ebreak_at);
  u16 insn = *(volatile u16 *)c_ebreak_at;
  check("c.ebreak-encoding", insn, 0x9002);
}

static u64 mem[64] __attribute__((aligned(16)));

int main(void) {
  check("c.addi4spn-max", t_addi4spn(0, 0, 0), 1020);
  check("c.addi4spn-min", t_addi4spn_min(0, 0, 0), 4);
  check("c.li-neg", t_li_neg(0, 0, 0), (u64)-32L);
  check("c.li-pos", t_li_pos(0, 0, 0), 31);
  check("c.lui-pos", t_lui_pos(0, 0, 0), 0x1f000);
  check("c.lui-neg", t_lui_neg(0, 0, 0), 0xfffffffffffe0000UL);
  check("c.lui-m1", t_lui_m1(0, 0, 0), 0xfffffffffffff000UL);
  check("c.addi-neg", t_addi_neg(100, 0, 0), 68);
  check("c.addi-pos", t_addi_pos(~0UL, 0, 0), 30);
  check("c.addiw-sext", t_addiw_sext(0x7fffffff, 0, 0), 0xffffffff80000000UL);
  check("c.addiw-0-sext", t_addiw_0(0x12345678ffffffffUL, 0, 0), ~0UL);
  check("c.addi16sp", t_addi16sp(0, 0, 0), 512);
  check("c.srli-63", t_srli(0x8000000000000000UL, 0, 0), 1);
  check("c.srli-1", t_srli1(0x8000000000000000UL, 0, 0), 0x4000000000000000UL);
  check("c.srai-63", t_srai(0x8000000000000000UL, 0, 0), ~0UL);
  check("c.srai-4", t_srai4(0x8000000000000000UL, 0, 0), 0xf800000000000000UL);
  check("c.slli-63", t_slli(3, 0, 0), 0x8000000000000000UL);
  check("c.slli-1", t_slli1(0x4000000000000001UL, 0, 0), 0x8000000000000002UL);
  check("c.andi-neg", t_andi(~0UL, 0, 0), 0xffffffffffffffe0UL);
  check("c.andi-pos", t_andi_pos(0xff, 0, 0), 21);
  check("c.sub", t_sub(5, 7, 0), (u64)-2L);
  check("c.xor", t_xor(0xff00, 0x0ff0, 0), 0xf0f0);
  check("c.or", t_or(0xff00, 0x0ff0, 0), 0xfff0);
  check("c.and", t_and(0xff00, 0x0ff0, 0), 0x0f00);
  check("c.subw", t_subw(0x80000000UL, 1, 0), 0x7fffffff);
  check("c.subw-sext", t_subw(0, 1, 0), ~0UL);
  check("c.addw", t_addw(0x7fffffff, 1, 0), 0xffffffff80000000UL);
  check("c.mv", t_mv(1, 0x123456789UL, 0), 0x123456789UL);
  check("c.add", t_add(0x8000000000000000UL, 0x8000000000000001UL, 0), 1);
  for (int i = 0; i < 64; i++) mem[i] = 0x0101010101010101UL * (u64)(i + 0x81);
  check("c.lw-sext-124", t_lw(0, 0, mem), 0xffffffff90909090UL);
  check("c.lw-0", t_lw0(0, 0, mem), 0xffffffff81818181UL);
  check("c.ld-248", t_ld(0, 0, mem), 0xa0a0a0a0a0a0a0a0UL);
  check("c.sw", t_sw(0x12345678aabbccddUL, 0, mem), 0xaabbccdd81818181UL);
  check("c.sd", t_sd(0, 0x1122334455667788UL, mem), 0x1122334455667788UL);
  check("c.fld-c.fsd", t_fld_fsd(0, 0, mem), 0x8282828282828282UL);
  check("c.sp-forms", t_sp_forms(0x1111111122222222UL, 0x80000001UL, 0),
        0x1111111122222222UL ^ 0xffffffff80000001UL ^ 0x1111111122222222UL);
  check("c.lwsp-sext", t_lwsp_sext(0xfffffffe, 0, 0), 0xfffffffffffffffeUL);
  check("c.j", t_j(0, 0, 0), 5);
  check("c.j-backward", t_j_back(0, 0, 0), 9);
  check("c.beqz-taken", t_beqz(0, 0, 0), 0);
  check("c.beqz-not", t_beqz(0x100000000UL, 0, 0), 1);
  check("c.bnez-taken", t_bnez(0x8000000000000000UL, 0, 0), 0);
  check("c.bnez-not", t_bnez(0, 0, 0), 1);
  check("c.jr", t_jr(0, 0, 0), 1);
  check("c.jalr-link-pc+2", t_jalr_link(0, 0, 0), 0);
  check("c.hints", t_hints(41, 0, 0), 42);
  test_ebreak();
  test_reserved();
  return 0;
}
