/*
 * Start-up, trap entry and privilege switching shared by every test program.
 *
 * QEMU's virt machine with -bios none starts hart 0 at 0x80000000 in M mode.
 * _start sets up the stacks, a catch-all PMP entry (without any PMP entry S and U
 * may access nothing), enables the FPU, clears .bss and calls main(); the value
 * main returns is ignored: finish() decides pass/fail from the checks made.
 */
#define FRAME_SIZE (36 * 8)
#define MAGIC_RETURN_TO_M 0x5ec0de

	.section .text.start, "ax"
	.globl _start
_start:
	csrr t0, mhartid
	bnez t0, park
	la sp, __stack_top
	la t0, __trap_stack_top
	csrw mscratch, t0
	la t0, trap_entry
	csrw mtvec, t0
	/* PMP entry 15: NAPOT over the whole address space, RWX. Lower entries are
	 * free for the PMP tests and take priority. */
	li t0, -1
	csrw pmpaddr15, t0
	li t0, (0x1f << 56)
	csrw pmpcfg2, t0
	/* mstatus.FS = Initial so F/D instructions are legal. */
	li t0, (1 << 13)
	csrs mstatus, t0
	csrw fcsr, zero
	/* S and U may read cycle, time, instret. */
	li t0, 7
	csrw mcounteren, t0
	la t0, __bss_start
	la t1, __bss_end
1:	bgeu t0, t1, 2f
	sd zero, 0(t0)
	addi t0, t0, 8
	j 1b
2:	call main
	call finish
park:
	wfi
	j park

/* ------------------------------------------------------------------------- */
/* Trap entry: saves x1-x31 and the trap CSRs in a struct trap_frame on the
 * dedicated trap stack (xscratch holds its top), calls the C handler, then
 * restores everything and returns with xret, using the (possibly changed)
 * frame->epc. */
.macro TRAP_ENTRY name, scratch, epc, cause, tval, status, handler, ret
	.text
	.align 4
	.globl \name
\name:
	csrrw sp, \scratch, sp
	addi sp, sp, -FRAME_SIZE
	sd x1, 1*8(sp)
	sd x3, 3*8(sp)
	sd x4, 4*8(sp)
	sd x5, 5*8(sp)
	sd x6, 6*8(sp)
	sd x7, 7*8(sp)
	sd x8, 8*8(sp)
	sd x9, 9*8(sp)
	sd x10, 10*8(sp)
	sd x11, 11*8(sp)
	sd x12, 12*8(sp)
	sd x13, 13*8(sp)
	sd x14, 14*8(sp)
	sd x15, 15*8(sp)
	sd x16, 16*8(sp)
	sd x17, 17*8(sp)
	sd x18, 18*8(sp)
	sd x19, 19*8(sp)
	sd x20, 20*8(sp)
	sd x21, 21*8(sp)
	sd x22, 22*8(sp)
	sd x23, 23*8(sp)
	sd x24, 24*8(sp)
	sd x25, 25*8(sp)
	sd x26, 26*8(sp)
	sd x27, 27*8(sp)
	sd x28, 28*8(sp)
	sd x29, 29*8(sp)
	sd x30, 30*8(sp)
	sd x31, 31*8(sp)
	csrr t0, \scratch
	sd t0, 2*8(sp)
	csrr t0, \epc
	sd t0, 32*8(sp)
	csrr t0, \cause
	sd t0, 33*8(sp)
	csrr t0, \tval
	sd t0, 34*8(sp)
	csrr t0, \status
	sd t0, 35*8(sp)
	mv a0, sp
	call \handler
	ld t0, 32*8(sp)
	csrw \epc, t0
	addi t0, sp, FRAME_SIZE
	csrw \scratch, t0
	ld x1, 1*8(sp)
	ld x3, 3*8(sp)
	ld x4, 4*8(sp)
	ld x5, 5*8(sp)
	ld x6, 6*8(sp)
	ld x7, 7*8(sp)
	ld x8, 8*8(sp)
	ld x9, 9*8(sp)
	ld x10, 10*8(sp)
	ld x11, 11*8(sp)
	ld x12, 12*8(sp)
	ld x13, 13*8(sp)
	ld x14, 14*8(sp)
	ld x15, 15*8(sp)
	ld x16, 16*8(sp)
	ld x17, 17*8(sp)
	ld x18, 18*8(sp)
	ld x19, 19*8(sp)
	ld x20, 20*8(sp)
	ld x21, 21*8(sp)
	ld x22, 22*8(sp)
	ld x23, 23*8(sp)
	ld x24, 24*8(sp)
	ld x25, 25*8(sp)
	ld x26, 26*8(sp)
	ld x27, 27*8(sp)
	ld x28, 28*8(sp)
	ld x29, 29*8(sp)
	ld x30, 30*8(sp)
	ld x31, 31*8(sp)
	ld sp, 2*8(sp)
	\ret
.endm

	TRAP_ENTRY trap_entry, mscratch, mepc, mcause, mtval, mstatus, m_trap_handler, mret
	TRAP_ENTRY s_trap_entry, sscratch, sepc, scause, stval, sstatus, s_trap_handler, sret

/* ------------------------------------------------------------------------- */
/* u64 run_in_mode(int mode, u64 (*fn)(u64), u64 arg)
 * Calls fn(arg) in privilege `mode` (0 = U, 1 = S, 3 = M) on the current stack
 * and returns its result in M mode. The lower-mode side ends with an ecall with
 * a7 = MAGIC_RETURN_TO_M; the M trap handler sends it to return_to_m. */
	.text
	.globl run_in_mode
run_in_mode:
	addi sp, sp, -112
	sd ra, 0(sp)
	sd s0, 8(sp)
	sd s1, 16(sp)
	sd s2, 24(sp)
	sd s3, 32(sp)
	sd s4, 40(sp)
	sd s5, 48(sp)
	sd s6, 56(sp)
	sd s7, 64(sp)
	sd s8, 72(sp)
	sd s9, 80(sp)
	sd s10, 88(sp)
	sd s11, 96(sp)
	la t0, saved_m_sp
	sd sp, 0(t0)
	li t0, (3 << 11)
	csrc mstatus, t0
	andi t1, a0, 3
	slli t1, t1, 11
	csrs mstatus, t1
	la t0, lower_mode_trampoline
	csrw mepc, t0
	mv s0, a1
	mv a0, a2
	mret
	.globl lower_mode_trampoline
lower_mode_trampoline:
	jalr s0
	li a7, MAGIC_RETURN_TO_M
	ecall
	.globl return_to_m
return_to_m:
	la t0, saved_m_sp
	ld sp, 0(t0)
	ld ra, 0(sp)
	ld s0, 8(sp)
	ld s1, 16(sp)
	ld s2, 24(sp)
	ld s3, 32(sp)
	ld s4, 40(sp)
	ld s5, 48(sp)
	ld s6, 56(sp)
	ld s7, 64(sp)
	ld s8, 72(sp)
	ld s9, 80(sp)
	ld s10, 88(sp)
	ld s11, 96(sp)
	addi sp, sp, 112
	ret

	.bss
	.align 3
saved_m_sp:
	.dword 0
