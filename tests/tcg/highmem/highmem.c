/* Guest RAM above 4 GiB (run with -m 8G by tests/system-highmem.test.js, not by the
 * tests/tcg/riscv64 driver): plain, misaligned and page-crossing accesses at 0x180000000
 * and 0x27ff00000, a pattern over the range around 0x180000000 (where tsqemu's RAM moves from
 * the WebAssembly memory to host buffers), LR/SC and AMOs there, code copied there and run
 * (M mode, then S mode through Sv39), and Sv39 page tables living in high RAM with the
 * hardware A/D update of their PTEs; self-modifying code in high RAM run often enough to be
 * translated (patched by a store from low RAM, and by itself), and 160 MiB of pages touched
 * (more than tsqemu's 128 MiB window of resident high-RAM pages: evictions and write-backs,
 * of data and of the code pages, which must then run their current bytes). Output is compared
 * byte for byte with real QEMU's (also under -accel tcg,jit-threshold=1). */
#include "common.h"

#define PTE_V 0x01UL
#define PTE_R 0x02UL
#define PTE_W 0x04UL
#define PTE_X 0x08UL
#define PTE_G 0x20UL
#define PTE_A 0x40UL
#define PTE_D 0x80UL

#define HI1 0x180000000UL
#define HI2 0x27ff00000UL
#define CODE 0x1c0000000UL
#define PT_ROOT 0x200000000UL /* Sv39 tables in high RAM */
#define PT_L1 0x200001000UL
#define PT_L0 0x200002000UL
#define VA_DATA 0x40000000UL
#define VA_CODE 0x40001000UL
#define SMC 0x1c0100000UL   /* patched code */
#define SWEEP 0x210000000UL /* 160 MiB touched page by page */
#define SWEEP_PAGES 40960UL

/* Position-independent code to copy: a0 = a0 * 3 + 1000 * 7 in a loop. */
extern u8 hm_fn_start[], hm_fn_end[];
asm(".text\n.globl hm_fn_start\nhm_fn_start:\n"
    "  li t0, 1000\n  mv t1, a0\n  add a0, a0, t1\n  add a0, a0, t1\n"
    "1: addi a0, a0, 7\n  addi t0, t0, -1\n  bnez t0, 1b\n  ret\n"
    ".globl hm_fn_end\nhm_fn_end:\n");

#define FN(name, body) asm(".text\n.globl " #name "\n" #name ":\n" body "\n  ret\n"); u64 name(u64);
FN(x_rw, "li t0, 0x0123456789abcdef\n  sd t0, 8(a0)\n  ld t1, 8(a0)\n  lw a0, 12(a0)\n  add a0, a0, t1")
/* Rewrites its own 4th instruction with a1, then runs it: returns what that instruction sets. */
extern u8 hm_self_start[], hm_self_end[];
asm(".text\n.option push\n.option norvc\n.globl hm_self_start\nhm_self_start:\n"
    "  auipc t0, 0\n  sw a1, 12(t0)\n  fence.i\n  addi a0, zero, 1\n  ret\n"
    ".globl hm_self_end\nhm_self_end:\n.option pop\n");
#define ADDI_A0(imm) ((((u32)(imm) & 0xfff) << 20) | 0x513u) /* addi a0, zero, imm */

FN(x_call, "addi sp, sp, -16\n  sd ra, 0(sp)\n  li t0, 0x40001000\n  jalr t0\n  ld ra, 0(sp)\n  addi sp, sp, 16")

static u64 mix(u64 x) { x ^= x >> 31; x *= 0x9e3779b97f4a7c15UL; return x ^ (x >> 29); }

int main(void) {
  volatile u64 *p = (volatile u64 *)HI1;
  volatile u64 *q = (volatile u64 *)HI2;
  p[0] = 0x1122334455667788UL; q[0] = 0x8877665544332211UL;
  check("ld 0x180000000", p[0], 0x1122334455667788UL);
  check("ld 0x27ff00000", q[0], 0x8877665544332211UL);
  check("lbu", *(volatile u8 *)(HI1 + 1), 0x77);
  check("lh signed", (u64)(i64)*(volatile short *)(HI2 + 6), 0xffffffffffff8877UL);
  check("lw", *(volatile u32 *)(HI1 + 4), 0x11223344);
  *(volatile u32 *)(HI2 + 0xffd) = 0xa1b2c3d4; /* crosses into the next page */
  check("misaligned page-crossing lw", *(volatile u32 *)(HI2 + 0xffd), 0xa1b2c3d4);
  *(volatile u64 *)(HI1 + 3) = 0xfedcba9876543210UL;
  check("misaligned ld", *(volatile u64 *)(HI1 + 3), 0xfedcba9876543210UL);
  check("last byte of RAM", (*(volatile u8 *)0x27fffffffUL = 0x5a, *(volatile u8 *)0x27fffffffUL), 0x5a);

  /* A pattern over 4 MiB around 0x180000000, written and summed back. */
  u64 sum = 0, sum2 = 0;
  for (u64 a = HI1 - 0x200000; a < HI1 + 0x200000; a += 8) { u64 v = mix(a); *(volatile u64 *)a = v; sum += v; }
  for (u64 a = HI1 - 0x200000; a < HI1 + 0x200000; a += 8) sum2 += *(volatile u64 *)a;
  check("4 MiB pattern around 0x180000000", sum2, sum);
  show("pattern sum", sum);

  /* LR/SC and AMOs in high RAM. */
  volatile u64 *w = (volatile u64 *)(HI2 + 0x100);
  *w = 5;
  u64 old, rc;
  asm volatile("lr.d %0, (%2)\n sc.d %1, %3, (%2)" : "=&r"(old), "=&r"(rc) : "r"(w), "r"(9UL) : "memory");
  check("lr.d", old, 5); check("sc.d succeeds", rc, 0); check("sc.d stored", *w, 9);
  asm volatile("sc.d %0, %2, (%1)" : "=&r"(rc) : "r"(w), "r"(11UL) : "memory");
  check("sc.d without reservation fails", rc, 1); check("sc.d failed: memory kept", *w, 9);
  asm volatile("amoadd.d %0, %2, (%1)" : "=r"(old) : "r"(w), "r"(100UL) : "memory");
  check("amoadd.d old", old, 9); check("amoadd.d new", *w, 109);
  asm volatile("amoswap.w %0, %2, (%1)" : "=r"(old) : "r"(w), "r"(0x80000000UL) : "memory");
  check("amoswap.w old", old, 109); check("amoswap.w new", *w, 0x80000000UL);
  asm volatile("amomax.w %0, %2, (%1)" : "=r"(old) : "r"(w), "r"(3UL) : "memory");
  check("amomax.w old (sign-extended)", old, 0xffffffff80000000UL); check("amomax.w new", *w, 3);
  asm volatile("amominu.d %0, %2, (%1)" : "=r"(old) : "r"(w), "r"(2UL) : "memory");
  check("amominu.d", *w, 2);
  asm volatile("amoor.d %0, %2, (%1)" : "=r"(old) : "r"(w), "r"(0xf0UL) : "memory");
  check("amoor.d", *w, 0xf2);

  /* Code in high RAM (M mode, physical). */
  memcpy((void *)CODE, hm_fn_start, hm_fn_end - hm_fn_start);
  asm volatile("fence.i" ::: "memory");
  u64 (*fn)(u64) = (u64 (*)(u64))CODE;
  check("code at 0x1c0000000", fn(10), 10 * 3 + 7000);

  /* Self-modifying code in high RAM, each version run enough times to be translated: SMC returns
   * the immediate of its first instruction (patched from here); SMC + 0x800 patches itself. */
  volatile u32 *smc = (volatile u32 *)SMC;
  smc[0] = ADDI_A0(5); smc[1] = 0x00008067; /* ret */
  asm volatile("fence.i" ::: "memory");
  u64 (*sfn)(u64) = (u64 (*)(u64))SMC;
  u64 acc = 0;
  for (int v = 0; v < 40; v++) {
    for (int i = 0; i < 300; i++) acc += sfn(0);
    smc[0] = ADDI_A0(v * 13 + 7);
    asm volatile("fence.i" ::: "memory");
  }
  check("patched code in high RAM (40 versions x 300 calls)", acc, 5 * 300 + ({ u64 t = 0; for (int v = 0; v < 39; v++) t += (v * 13 + 7) * 300UL; t; }));
  /* Patched without fence.i, from another page: QEMU drops the stale translation at the store. */
  for (int i = 0; i < 300; i++) acc = sfn(0);
  smc[0] = ADDI_A0(-3);
  check("patched without fence.i", sfn(0), (u64)-3);
  memcpy((void *)(SMC + 0x800), hm_self_start, hm_self_end - hm_self_start);
  asm volatile("fence.i" ::: "memory");
  u64 (*self)(u64, u64) = (u64 (*)(u64, u64))(SMC + 0x800);
  acc = 0;
  for (int i = 0; i < 3000; i++) acc += self(0, ADDI_A0(i & 1023));
  check("code in high RAM that rewrites itself (3000 calls)", acc, ({ u64 t = 0; for (int i = 0; i < 3000; i++) t += i & 1023; t; }));

  /* 160 MiB of high RAM, one word per page, then read back: pages leave the window and come back. */
  for (u64 i = 0; i < SWEEP_PAGES; i++) *(volatile u64 *)(SWEEP + i * 4096 + (i & 511) * 8) = mix(i);
  smc[0] = ADDI_A0(77); /* the code page too, while it is being evicted around */
  u64 s1 = 0, s2 = 0;
  for (u64 i = 0; i < SWEEP_PAGES; i++) { s1 += mix(i); s2 += *(volatile u64 *)(SWEEP + i * 4096 + (i & 511) * 8); }
  check("160 MiB of pages written and read back", s2, s1);
  check("code after the sweep", sfn(0) + fn(1), 77 + 3 + 7000);
  check("pattern words survive", *(volatile u64 *)(HI1 + 0x1000) + *(volatile u64 *)(HI1 + 0x1ff8), mix(HI1 + 0x1000) + mix(HI1 + 0x1ff8));
  show("words at 0x180000000 and 0x27ff00000", p[0] ^ q[0]);

  /* Sv39 with every table in high RAM: RAM identity mapped by a gigapage, VA_DATA -> HI2 + 0x2000
   * and VA_CODE -> CODE as 4 KiB pages without A/D (the walk sets them in high RAM). */
  u64 *root = (u64 *)PT_ROOT, *l1 = (u64 *)PT_L1, *l0 = (u64 *)PT_L0;
  memset(root, 0, 3 * 4096);
  root[0x80000000UL >> 30] = ((0x80000000UL >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G;
  root[VA_DATA >> 30] = ((PT_L1 >> 12) << 10) | PTE_V;
  l1[0] = ((PT_L0 >> 12) << 10) | PTE_V;
  l0[0] = (((HI2 + 0x2000) >> 12) << 10) | PTE_V | PTE_R | PTE_W;
  l0[1] = ((CODE >> 12) << 10) | PTE_V | PTE_R | PTE_X;
  *(volatile u32 *)(HI2 + 0x200c) = 0x11111111;
  csr_write(satp, (8UL << 60) | (PT_ROOT >> 12));
  asm volatile("sfence.vma" ::: "memory");
  check("S: load/store through Sv39 tables in high RAM", run_in_mode(PRV_S, x_rw, VA_DATA), 0x0123456789abcdefUL + 0x01234567UL);
  check("S: code in high RAM through Sv39", run_in_mode(PRV_S, x_call, 4), 4 * 3 + 7000);
  csr_write(satp, 0);
  asm volatile("sfence.vma" ::: "memory");
  check("A and D set in the data PTE", l0[0] & (PTE_A | PTE_D), PTE_A | PTE_D);
  check("A set, D clear in the code PTE", l0[1] & (PTE_A | PTE_D), PTE_A);
  check("data landed at HI2 + 0x2008", *(volatile u64 *)(HI2 + 0x2008), 0x0123456789abcdefUL);
  finish();
}
