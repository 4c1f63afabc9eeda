/* fence.i and self-modifying code: write instructions, fence.i, execute them,
 * rewrite, execute again; patch code inside the running function; data stores
 * to a page that also holds executing code. */
#include "common.h"

static u32 code[64] __attribute__((aligned(64)));

#define ADDI_A0_A0(imm) (0x00050513u | ((u32)(imm) << 20))
#define RET 0x00008067u

static u64 call(u64 arg) {
  return ((u64(*)(u64))code)(arg);
}

static void test_rewrite(void) {
  code[0] = ADDI_A0_A0(1);
  code[1] = RET;
  asm volatile("fence.i" ::: "memory");
  check("smc-first", call(42), 43);
  code[0] = ADDI_A0_A0(2);
  asm volatile("fence.i" ::: "memory");
  check("smc-rewrite", call(42), 44);
  code[0] = ADDI_A0_A0(-100);
  asm volatile("fence.i" ::: "memory");
  check("smc-rewrite-neg", call(42), (u64)-58L);
  /* compressed: c.addi a0, 5 ; c.jr ra */
  ((volatile u16 *)code)[0] = 0x0515;
  ((volatile u16 *)code)[1] = 0x8082;
  asm volatile("fence.i" ::: "memory");
  check("smc-compressed", call(1), 6);
  /* a longer sequence, then change the middle of it */
  for (int i = 0; i < 16; i++) code[i] = ADDI_A0_A0(i);
  code[16] = RET;
  asm volatile("fence.i" ::: "memory");
  check("smc-sequence", call(0), 120);
  code[8] = ADDI_A0_A0(1000);
  asm volatile("fence.i" ::: "memory");
  check("smc-sequence-middle", call(0), 1112);
  /* many rewrites: every one must be seen */
  u64 sum = 0;
  code[1] = RET;
  for (int i = 0; i < 200; i++) {
    code[0] = ADDI_A0_A0(i);
    asm volatile("fence.i" ::: "memory");
    sum += call(0);
  }
  check("smc-loop-200", sum, 199 * 200 / 2);
}

/* Patch an instruction later in the same function, then fall through into it. */
extern char patch_site[];
static __attribute__((noinline, noclone)) u64 patch_self(u32 insn) {
  u64 r;
  asm volatile("la t0, patch_site\n\t"
               "sw %1, 0(t0)\n\t"
               "fence.i\n\t"
               ".option push\n.option norvc\n"
               "patch_site: li %0, 1\n"
               ".option pop\n"
               : "=r"(r) : "r"(insn) : "t0", "memory");
  return r;
}

static void test_patch_running(void) {
  /* li r, 7 with r in the same register as the original: rebuild from the original bits */
  u32 orig = *(volatile u32 *)patch_site;
  u32 rd = (orig >> 7) & 31;
  u32 li7 = 0x00000013u | (rd << 7) | (7u << 20);
  u32 li9 = 0x00000013u | (rd << 7) | (9u << 20);
  check("patch-running-7", patch_self(li7), 7);
  check("patch-running-9", patch_self(li9), 9);
  check("patch-running-restore", patch_self(orig), 1);
}

/* A data word on the same page as code that runs in a loop (a0 = the word). */
asm(".text\n.balign 4096\n.globl code_and_data\ncode_and_data:\n"
    "  li t1, 0\n"
    "1: lw t0, 0(a0)\n"
    "  addi t0, t0, 1\n"
    "  sw t0, 0(a0)\n"
    "  addi t1, t1, 1\n"
    "  blt t1, a1, 1b\n"
    "  lw a0, 0(a0)\n"
    "  ret\n"
    ".balign 64\n.globl code_data_word\ncode_data_word: .word 0\n");
u64 code_and_data(void *base, u64 n);
extern u32 code_data_word[];

static void test_data_on_code_page(void) {
  u64 r = code_and_data(code_data_word, 500);
  check("data-on-code-page", r, 500);
  check("data-on-code-page-mem", code_data_word[0], 500);
}

int main(void) {
  test_rewrite();
  test_patch_running();
  test_data_on_code_page();
  return 0;
}
