/*
 * tsqemu's target for the RISC-V architectural test suite (riscv-arch-test): the
 * RVMODEL_* porting interface the suite's arch_test.h expects, written for QEMU's
 * `virt` machine booted with `-bios none` (hart 0 starts at 0x80000000 in M mode).
 *
 * - The signature (begin_signature .. end_signature) is printed by RVMODEL_HALT on the
 *   ns16550a UART (0x10000000) as one 32-bit word per line, lowest address first and
 *   8 lower-case hex digits, the suite's reference_output format; then the sifive_test
 *   device (0x100000) ends the run with status 0.
 * - RVMODEL_IO_ASSERT_GPR_EQ checks the generator's expected value (the tests carry
 *   it). It expands to a `tsqemu_assert scratch, reg, value` line that the runner
 *   replaces after cpp (scripts/riscv-arch-test/encode.mjs): for an integer register,
 *   a compare that on mismatch marks slot k of tsqemu_assert_slots (only the scratch
 *   register is written); for an FP register (the 2.x suites use the macro for those
 *   too) nothing. RVMODEL_HALT prints "a K" for every marked slot, then "s N" (the
 *   number of slots), then the signature.
 * - Software interrupts go through the CLINT (msip at 0x2000000, mtimecmp at
 *   0x2004000); S-mode software interrupts through mip.SSIP.
 */
#ifndef TSQEMU_MODEL_TEST_H
#define TSQEMU_MODEL_TEST_H

#define TSQEMU_UART 0x10000000
#define TSQEMU_TEST_DEV 0x100000
#define TSQEMU_CLINT_MSIP 0x2000000
#define TSQEMU_CLINT_MTIMECMP 0x2004000

#define RVMODEL_DATA_SECTION                                            \
  .pushsection .tohost, "aw", @progbits;                                \
  .align 8; .global tohost; tohost: .dword 0;                           \
  .align 8; .global fromhost; fromhost: .dword 0;                       \
  .popsection;

/* Without any PMP entry S and U may access nothing; the last entry (15) grants all,
 * so the tests' own lower entries keep priority. FS is set by the tests that need it. */
#define RVMODEL_BOOT                                                    \
  csrr t0, mhartid;                                                     \
  bnez t0, 1f;                                                          \
  li t0, -1;                                                            \
  csrw pmpaddr15, t0;                                                   \
  li t0, (0x1f << 56);                                                  \
  csrw pmpcfg2, t0;                                                     \
  j 2f;                                                                 \
1: wfi;                                                                 \
  j 1b;                                                                 \
2:

/* Prints the register-free nibble in t5 (0..15) as a hex digit. */
#define TSQEMU_PUTC(reg)                                                \
  3: lbu a0, 5(t2); andi a0, a0, 0x20; beqz a0, 3b; sb reg, 0(t2);

#define TSQEMU_PUTHEX(val, nibbles)                                     \
  li t4, (nibbles) * 4 - 4;                                             \
4: srl t5, val, t4; andi t5, t5, 15; addi t5, t5, 48;                  \
  li t6, 57; ble t5, t6, 5f; addi t5, t5, 39;                          \
5: TSQEMU_PUTC(t5)                                                      \
  addi t4, t4, -4; bgez t4, 4b;                                         \
  li t5, 10; TSQEMU_PUTC(t5)

#define RVMODEL_HALT                                                    \
  li t2, TSQEMU_UART;                                                   \
  la s1, tsqemu_assert_slots; la s2, tsqemu_assert_end; li s3, 0;       \
10: bgeu s1, s2, 11f;                                                   \
  ld s4, 0(s1); beqz s4, 12f;                                           \
  li t5, 97; TSQEMU_PUTC(t5) li t5, 32; TSQEMU_PUTC(t5)                 \
  TSQEMU_PUTHEX(s3, 16)                                                 \
12: addi s1, s1, 8; addi s3, s3, 1; j 10b;                              \
11: li t5, 115; TSQEMU_PUTC(t5) li t5, 32; TSQEMU_PUTC(t5)              \
  TSQEMU_PUTHEX(s3, 16)                                                 \
  la t0, begin_signature; la t1, end_signature;                         \
6: bgeu t0, t1, 7f;                                                     \
  lwu t3, 0(t0);                                                        \
  TSQEMU_PUTHEX(t3, 8)                                                  \
  addi t0, t0, 4; j 6b;                                                 \
7: li t0, TSQEMU_TEST_DEV; li t1, 0x5555; sw t1, 0(t0);                 \
8: j 8b;

#define RVMODEL_DATA_BEGIN                                              \
  RVMODEL_DATA_SECTION                                                  \
  .align 4; .global begin_signature; begin_signature:

#define RVMODEL_DATA_END                                                \
  .align 4; .global end_signature; end_signature:

#define RVMODEL_IO_INIT
#define RVMODEL_IO_WRITE_STR(_R, _STR)
#define RVMODEL_IO_CHECK()
#define RVMODEL_IO_ASSERT_GPR_EQ(_S, _R, _I) tsqemu_assert _S, _R, _I;
#define RVMODEL_IO_ASSERT_SFPR_EQ(_F, _R, _I)
#define RVMODEL_IO_ASSERT_DFPR_EQ(_D, _R, _I)

#define RVMODEL_SET_MSW_INT                                             \
  li t1, 1; li t2, TSQEMU_CLINT_MSIP; sw t1, 0(t2);
#define RVMODEL_CLEAR_MSW_INT                                           \
  li t2, TSQEMU_CLINT_MSIP; sw x0, 0(t2);
#define RVMODEL_CLEAR_MTIMER_INT                                        \
  li t1, -1; li t2, TSQEMU_CLINT_MTIMECMP; sd t1, 0(t2);
#define RVMODEL_CLEAR_MEXT_INT
#define RVMODEL_CLR_MSW_INT RVMODEL_CLEAR_MSW_INT
#define RVMODEL_CLR_MTIMER_INT RVMODEL_CLEAR_MTIMER_INT
#define RVMODEL_CLR_MEXT_INT
#define RVMODEL_SET_SSW_INT csrsi mip, 2;
#define RVMODEL_CLR_SSW_INT csrci mip, 2;
#define RVMODEL_CLR_STIMER_INT
#define RVMODEL_CLR_SEXT_INT
#define RVMODEL_SET_VSW_INT
#define RVMODEL_CLR_VSW_INT
#define RVMODEL_CLR_VTIMER_INT
#define RVMODEL_CLR_VEXT_INT

#endif
