/*
 * Cross-modifying code between harts (tests/system-mttcg.test.js): hart 1 calls func over and
 * over (so it is translated on hart 1's thread); each round hart 0 rewrites func's first
 * instruction to `addi a0, zero, ROUND` and raises a flag; hart 1 executes fence.i and must
 * get ROUND back from func. ROUNDS rounds; then hart 0 prints "xmodify ok" (sifive_test
 * 0x5555) or "xmodify FAIL round N got M" (0x13333). Built as counter.S.
 */
#define ROUNDS 200
#define UART 0x10000000
#define TEST 0x100000

	.section .text
	.globl _start
_start:
	csrr s0, mhartid
	la s1, round		/* hart 0 -> 1: round to check (0: none yet) */
	la s2, answer		/* hart 1 -> 0: what func returned */
	la s3, acked		/* hart 1 -> 0: last round answered */
	bnez s0, hart1

	li s4, 1		/* round */
	li s5, ROUNDS
1:	/* rewrite func: addi a0, zero, round  =  (round << 20) | 0x513 */
	slli t0, s4, 20
	li t1, 0x513
	or t0, t0, t1
	la t2, func
	sw t0, 0(t2)
	fence rw, rw
	sw s4, 0(s1)
2:	lw t0, 0(s3)		/* wait for the answer */
	bne t0, s4, 2b
	lw t0, 0(s2)
	bne t0, s4, fail
	addi s4, s4, 1
	ble s4, s5, 1b
	la a0, msg_ok
	call puts
	li t1, 0x5555
	j exit
fail:
	la a0, msg_fail
	call puts
	mv a0, s4
	call puthex
	la a0, msg_got
	call puts
	lw a0, 0(s2)
	call puthex
	li a0, '\n'
	call putc
	li t1, 0x13333
exit:
	li t0, TEST
	sw t1, 0(t0)
3:	wfi
	j 3b

hart1:
	li s4, 0		/* last round answered */
4:	/* spin calling func until a new round is posted */
	call func
	lw t0, 0(s1)
	beq t0, s4, 4b
	mv s4, t0
	fence.i
	call func
	sw a0, 0(s2)
	fence rw, rw
	sw s4, 0(s3)
	j 4b

	.option push
	.option norvc
	.balign 8
func:
	addi a0, zero, 0
	ret
	.option pop

#include "uart.h"

	.section .rodata
msg_ok:		.asciz "xmodify ok\n"
msg_fail:	.asciz "xmodify FAIL round "
msg_got:	.asciz " got "

	.section .data
	.balign 64
round:	.word 0
	.balign 64
answer:	.word 0
	.balign 64
acked:	.word 0
