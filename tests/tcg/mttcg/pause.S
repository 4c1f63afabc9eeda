/*
 * A spin with pause (tests/system-mttcg.test.js): hart 0 holds a lock (initially taken) while it
 * counts down a long loop; the other harts wait for it as Linux's ticket lock does (lw, then
 * cpu_relax's div + pause, again), take it with amoswap.w.aq, add one to a counter and release
 * it. Hart 0 waits for them, prints "pause <loop count> <counter>" (hex) and exits through
 * sifive_test: 0x5555 when the counter is HARTS - 1, else 0x13333. Hart 0 starts its loop when
 * the others are at their spin (their threads may start late).
 * Built as counter.S (-DHARTS=2).
 */
#ifndef HARTS
#define HARTS 2
#endif
#define SPIN 3000000
#define UART 0x10000000
#define TEST 0x100000
#define PAUSE .4byte 0x0100000f	/* fence w,0: Zihintpause's pause */

	.section .text
	.globl _start
_start:
	csrr s0, mhartid
	li t1, 1
	la a0, lock
	beqz s0, hold
	la t0, ready		/* hart 0 starts its loop once every spinner is here */
	amoadd.w zero, t1, (t0)
1:	lw t3, 0(a0)		/* wait while held, as arch_spin_lock's cpu_relax() loop */
	beqz t3, 2f
	div t4, t3, zero
	PAUSE
	j 1b
2:	li t2, 1
	amoswap.w.aq t3, t2, (a0)
	bnez t3, 1b
	la a2, cnt
	ld t4, 0(a2)
	addi t4, t4, 1
	sd t4, 0(a2)
	amoswap.w.rl zero, zero, (a0)
	la t0, done
	amoadd.w zero, t1, (t0)
park:
	wfi
	j park

hold:
	la t0, ready
6:	lw t2, 0(t0)
	li t3, HARTS - 1
	blt t2, t3, 6b
	li a1, SPIN
	li s3, 0
3:	addi s3, s3, 1
	addi a1, a1, -1
	bnez a1, 3b
	amoswap.w.rl zero, zero, (a0)	/* release */
	la t0, done
4:	lw t2, 0(t0)
	li t3, HARTS - 1
	blt t2, t3, 4b
	la a0, msg
	call puts
	mv a0, s3
	call puthex
	li a0, ' '
	call putc
	la t0, cnt
	ld a0, 0(t0)
	mv s1, a0
	call puthex
	li a0, '\n'
	call putc
	li t0, TEST
	li t1, 0x5555
	li t2, HARTS - 1
	beq s1, t2, 5f
	li t1, 0x13333
5:	sw t1, 0(t0)
	j park

#include "uart.h"

	.section .rodata
msg:	.asciz "pause "

	.section .data
	.balign 64
lock:	.word 1
	.balign 64
done:	.word 0
	.balign 64
ready:	.word 0
	.balign 64
cnt:	.dword 0
