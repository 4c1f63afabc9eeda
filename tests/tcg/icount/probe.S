# Bare-metal icount probe (tests/cli-icount.test.js): time/cycle/instret around a fixed loop,
# then a timer interrupt awaited in wfi; prints the deltas, the start values, the wake-up time.
  .option norvc
  .globl _start
_start:
  li s0, 0x10000000
  rdtime s2
  rdcycle s3
  rdinstret s4
  li t0, 100000
1: addi t0, t0, -1
  bnez t0, 1b
  rdtime s5
  rdcycle s6
  rdinstret s7
  # timer: mtimecmp = time + 100000 ticks (10 ms), wait in wfi with MTIE set, MIE clear
  li t1, 0x2004000
  rdtime t0
  li t2, 100000
  add t0, t0, t2
  sd t0, 0(t1)
  li t0, 0x80
  csrs mie, t0
2: wfi
  csrr t0, mip
  andi t0, t0, 0x80
  beqz t0, 2b
  rdtime s8
  rdcycle s9
  # printed only now: the UART's busy polling cannot change what was measured
  sub a0, s5, s2
  jal ra, hex
  sub a0, s6, s3
  jal ra, hex
  sub a0, s7, s4
  jal ra, hex
  mv a0, s2
  jal ra, hex
  mv a0, s3
  jal ra, hex
  mv a0, s4
  jal ra, hex
  mv a0, s8
  jal ra, hex
  mv a0, s9
  jal ra, hex
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
3: j 3b

hex:
  li t1, 60
4: srl t0, a0, t1
  andi t0, t0, 15
  addi t0, t0, 48
  li t2, 58
  blt t0, t2, 5f
  addi t0, t0, 39
5: lbu t3, 5(s0)               # wait for THRE (QEMU drops bytes written while busy)
  andi t3, t3, 0x20
  beqz t3, 5b
  sb t0, 0(s0)
  addi t1, t1, -4
  bgez t1, 4b
  li t0, 10
6: lbu t3, 5(s0)
  andi t3, t3, 0x20
  beqz t3, 6b
  sb t0, 0(s0)
  ret
