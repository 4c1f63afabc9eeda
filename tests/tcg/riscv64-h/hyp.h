/*
 * Shared by the H-extension programs: the HS/VS trap entries (hs_trap_entry calls
 * hs_handler(regs), vs_trap_entry vs_handler(regs); each level's sscratch holds its trap
 * stack) and run_guest(fn), which enters VS mode at fn with sret; the guest ends with an
 * ecall a7 = MAGIC_GUEST_EXIT that hs_handler turns into a return (sepc = return_to_hs).
 */
#ifndef HYP_H
#define HYP_H
#include "common.h"
#define MAGIC_GUEST_EXIT 0x6e5700
#define rcsr(n) ({ u64 v_; asm volatile("csrr %0, " STR(n) : "=r"(v_)); v_; })
#define wcsr(n, v) asm volatile("csrw " STR(n) ", %0" : : "r"((u64)(v)) : "memory")
#define scsr(n, v) asm volatile("csrs " STR(n) ", %0" : : "r"((u64)(v)) : "memory")
#define ccsr(n, v) asm volatile("csrc " STR(n) ", %0" : : "r"((u64)(v)) : "memory")

/* ---- trap entries (HS and VS share the shape: sscratch is each level's own) ---------------- */
asm(".macro HTRAP name, handler\n"
    "  .text\n  .align 4\n  .globl \\name\n\\name:\n"
    "  csrrw sp, sscratch, sp\n  addi sp, sp, -256\n"
    "  .irp r,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "  sd x\\r, \\r*8(sp)\n  .endr\n"
    "  csrr t0, sscratch\n  sd t0, 2*8(sp)\n"
    "  mv a0, sp\n  call \\handler\n"
    "  addi t0, sp, 256\n  csrw sscratch, t0\n"
    "  .irp r,1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "  ld x\\r, \\r*8(sp)\n  .endr\n"
    "  ld sp, 2*8(sp)\n  sret\n"
    ".endm\n"
    "HTRAP hs_trap_entry, hs_handler\n"
    "HTRAP vs_trap_entry, vs_handler\n");
extern char hs_trap_entry[], vs_trap_entry[];

u64 hs_stack[1024] __attribute__((aligned(16)));
u64 vs_stack[1024] __attribute__((aligned(16)));
u64 guest_stack[1024] __attribute__((aligned(16)));

/* u64 run_guest(void (*fn)(void)): enter VS mode at fn (hstatus.SPV = 1, SPP = S); the guest
 * ends with an ecall a7 = MAGIC_GUEST_EXIT, which hs_handler turns into a return from here. */
asm(".text\n.globl run_guest\nrun_guest:\n"
    "  addi sp, sp, -112\n"
    "  sd ra, 0(sp)\n  sd s0, 8(sp)\n  sd s1, 16(sp)\n  sd s2, 24(sp)\n  sd s3, 32(sp)\n  sd s4, 40(sp)\n"
    "  sd s5, 48(sp)\n  sd s6, 56(sp)\n  sd s7, 64(sp)\n  sd s8, 72(sp)\n  sd s9, 80(sp)\n  sd s10, 88(sp)\n  sd s11, 96(sp)\n"
    "  la t0, saved_hs_sp\n  sd sp, 0(t0)\n"
    "  li t0, 0x80\n  csrs 0x600, t0\n" /* hstatus.SPV */
    "  li t0, 0x100\n  csrs sstatus, t0\n" /* SPP = S */
    "  la t0, guest_trampoline\n  csrw sepc, t0\n"
    "  mv s0, a0\n  la sp, guest_stack + 8192\n"
    "  sret\n"
    "guest_trampoline:\n  jalr s0\n  li a7, 0x6e5700\n  ecall\n"
    ".globl return_to_hs\nreturn_to_hs:\n"
    "  la t0, saved_hs_sp\n  ld sp, 0(t0)\n"
    "  la t0, hs_stack + 8192\n  csrw sscratch, t0\n"
    "  ld ra, 0(sp)\n  ld s0, 8(sp)\n  ld s1, 16(sp)\n  ld s2, 24(sp)\n  ld s3, 32(sp)\n  ld s4, 40(sp)\n"
    "  ld s5, 48(sp)\n  ld s6, 56(sp)\n  ld s7, 64(sp)\n  ld s8, 72(sp)\n  ld s9, 80(sp)\n  ld s10, 88(sp)\n  ld s11, 96(sp)\n"
    "  addi sp, sp, 112\n  ret\n"
    ".bss\n.align 3\nsaved_hs_sp: .dword 0\n.text\n");
void run_guest(void (*fn)(void));
extern char return_to_hs[];

#endif
