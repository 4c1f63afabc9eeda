# Bare-metal pflash probe (tests/cli-pflash.test.js): runs from pflash0 at 0x20000000 with no RAM
# stack or data; prints pflash1 before and after CFI query, ID, erase, word and buffered programs.
  .option norvc
  .globl _start
_start:
  li s0, 0x10000000          # ns16550a THR
  li s1, 0x22000000          # pflash1
  lla a0, hello
  jal ra, puts
  li a1, 0x54524F4D          # read pflash1 word 0 before anything
  lwu a0, 0(s1)
  jal ra, hex
  li t0, 0x00980098          # CFI query
  sw t0, 0(s1)
  lwu a0, 0x40(s1)
  jal ra, hex
  lwu a0, 0x44(s1)
  jal ra, hex
  lwu a0, 0x48(s1)
  jal ra, hex
  lbu a0, 0x9c(s1)
  jal ra, hex
  lwu a0, 0xa8(s1)
  jal ra, hex
  lhu a0, 0xb4(s1)
  jal ra, hex
  li t0, 0x00900090          # read ID
  sw t0, 0(s1)
  lwu a0, 0(s1)
  jal ra, hex
  lwu a0, 4(s1)
  jal ra, hex
  li t0, 0x00ff00ff          # read array
  sw t0, 0(s1)
  li t0, 0x00200020          # erase block 0 of pflash1
  sw t0, 0(s1)
  li t0, 0x00d000d0
  sw t0, 0(s1)
  lwu a0, 0(s1)              # status
  jal ra, hex
  li t0, 0x00ff00ff
  sw t0, 0(s1)
  lwu a0, 0(s1)              # erased word
  jal ra, hex
  li t0, 0x00400040          # word program at 0x10
  sw t0, 0x10(s1)
  li t0, 0x12345678
  sw t0, 0x10(s1)
  lwu a0, 0x10(s1)           # status
  jal ra, hex
  li t0, 0x00e800e8          # buffered write at 0x100: 2 words
  sw t0, 0x100(s1)
  li t0, 0x00010001
  sw t0, 0x100(s1)
  li t0, 0xcafef00d
  sw t0, 0x100(s1)
  li t0, 0x0badbeef
  sw t0, 0x104(s1)
  li t0, 0x00d000d0
  sw t0, 0x100(s1)
  lwu a0, 0x100(s1)
  jal ra, hex
  li t0, 0x00500050          # clear status (back to read array)
  sw t0, 0(s1)
  lwu a0, 0x10(s1)
  jal ra, hex
  ld a0, 0x100(s1)
  jal ra, hex
  li t0, 0x00700070          # status read
  sw t0, 0(s1)
  lwu a0, 0(s1)
  jal ra, hex
  li t0, 0x00ff00ff
  sw t0, 0(s1)
  lla a0, bye
  jal ra, puts
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b

puts:                          # a0: NUL-terminated string
  lbu t0, 0(a0)
  beqz t0, 2f
7: lbu t3, 5(s0)               # wait for THRE (QEMU drops bytes written while busy)
  andi t3, t3, 0x20
  beqz t3, 7b
  sb t0, 0(s0)
  addi a0, a0, 1
  j puts
2: ret

hex:                           # a0: value printed as 16 hex digits and a newline
  li t1, 60
3: srl t0, a0, t1
  andi t0, t0, 15
  addi t0, t0, 48
  li t2, 58
  blt t0, t2, 4f
  addi t0, t0, 39
4: lbu t3, 5(s0)
  andi t3, t3, 0x20
  beqz t3, 4b
  sb t0, 0(s0)
  addi t1, t1, -4
  bgez t1, 3b
  li t0, 10
8: lbu t3, 5(s0)
  andi t3, t3, 0x20
  beqz t3, 8b
  sb t0, 0(s0)
  ret

hello: .asciz "pflash boot ok\n"
bye: .asciz "done\n"
