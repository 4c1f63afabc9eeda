/* UART output for the MTTCG bare-metal tests (#include after the code: UART is the 16550's base).
 * putc(a0); puts(a0 = string); puthex(a0) as 8 hex digits. Clobber t5, t6, a0-a3. */
putc:
	li t5, UART
12:	lbu t6, 5(t5)
	andi t6, t6, 0x20
	beqz t6, 12b
	sb a0, 0(t5)
	ret
puts:
	mv a3, ra
	mv a2, a0
13:	lbu a0, 0(a2)
	beqz a0, 14f
	call putc
	addi a2, a2, 1
	j 13b
14:	mv ra, a3
	ret
puthex:
	mv a3, ra
	mv a2, a0
	li a1, 28
15:	srl a0, a2, a1
	andi a0, a0, 15
	addi a0, a0, '0'
	li t6, '9'
	ble a0, t6, 16f
	addi a0, a0, 'a' - '9' - 1
16:	call putc
	addi a1, a1, -4
	bgez a1, 15b
	mv ra, a3
	ret
