/*
 * Two or more harts hammer shared counters at once (tests/system-mttcg.test.js), each
 * N times: amoadd.w, an lr.w/sc.w retry loop, and a plain ld/addi/sd under an amoswap.w.aq
 * spinlock released with amoswap.w.rl. Hart 0 waits for the others, prints the three counts
 * (hex) and exits through sifive_test: 0x5555 when each equals harts * N, else 0x13333.
 * Built with: riscv64-linux-gnu-gcc -nostdlib -nostartfiles -static -no-pie -march=rv64gc
 * -mabi=lp64d -T ../riscv64/link.ld counter.S. The hart count comes in HARTS (-DHARTS=2).
 */
#ifndef HARTS
#define HARTS 2
#endif
#define N 100000
#define UART 0x10000000
#define TEST 0x100000

	.section .text
	.globl _start
_start:
	csrr s0, mhartid
	li t1, 1
	/* start together: count in, wait for all */
	la t0, ready
	amoadd.w zero, t1, (t0)
1:	lw t2, 0(t0)
	li t3, HARTS
	blt t2, t3, 1b

	la a0, cnt_amo
	li a1, N
2:	amoadd.w zero, t1, (a0)
	addi a1, a1, -1
	bnez a1, 2b

	la a0, cnt_lrsc
	li a1, N
3:	lr.w t2, (a0)
	addi t2, t2, 1
	sc.w t3, t2, (a0)
	bnez t3, 3b
	addi a1, a1, -1
	bnez a1, 3b

	la a0, lock
	la a2, cnt_lock
	li a1, N
4:	li t2, 1
5:	amoswap.w.aq t3, t2, (a0)
	bnez t3, 5b
	ld t4, 0(a2)
	addi t4, t4, 1
	sd t4, 0(a2)
	amoswap.w.rl zero, zero, (a0)
	addi a1, a1, -1
	bnez a1, 4b

	la t0, done
	amoadd.w zero, t1, (t0)
	bnez s0, park
6:	lw t2, 0(t0)
	li t3, HARTS
	blt t2, t3, 6b

	li s1, 0		/* failures */
	li s2, HARTS * N
	la a0, msg_amo
	call puts
	la t0, cnt_amo
	lwu a0, 0(t0)
	bne a0, s2, 7f
	j 8f
7:	addi s1, s1, 1
8:	call puthex
	la a0, msg_lrsc
	call puts
	la t0, cnt_lrsc
	lwu a0, 0(t0)
	beq a0, s2, 9f
	addi s1, s1, 1
9:	call puthex
	la a0, msg_lock
	call puts
	la t0, cnt_lock
	ld a0, 0(t0)
	beq a0, s2, 10f
	addi s1, s1, 1
10:	call puthex
	li a0, '\n'
	call putc
	li t0, TEST
	li t1, 0x5555
	beqz s1, 11f
	li t1, 0x13333
11:	sw t1, 0(t0)
park:
	wfi
	j park

#include "uart.h"

	.section .rodata
msg_amo:	.asciz "amoadd "
msg_lrsc:	.asciz " lr/sc "
msg_lock:	.asciz " lock "

	.section .data
	.balign 64
ready:	.word 0
	.balign 64
done:	.word 0
	.balign 64
cnt_amo:	.word 0
	.balign 64
cnt_lrsc:	.word 0
	.balign 64
lock:	.word 0
	.balign 64
cnt_lock:	.dword 0
