/* A register written just before a trapping CSR instruction must survive the trap:
 * loops of `mv a0, s0; csr<op> a0, <csr>, ...` where the CSR access is illegal (the
 * handler skips it), long enough for the block compiler to translate them (issue 11:
 * translated code reloaded the destination from stale saved state). */
#include "common.h"

/* Not in the code's page: stores there would invalidate the translated loop. */
static volatile u64 skipped __attribute__((aligned(4096)));

static int skip_illegal(struct trap_frame *f) {
  if (f->cause != CAUSE_ILLEGAL) return 0;
  skipped++;
  f->epc += 4;
  return 1;
}

#define ITERS 100000UL

/* Counts iterations where a0 != s0 after the trapping instruction; other live
 * registers written before it (a1, a2) are checked too. */
#define CSR_LOOP(name, insn)                                                     \
  static u64 name(void) {                                                        \
    u64 bad = 0, i = 0, a0, a1 = 0;                                              \
    asm volatile(                                                                \
        "1:\n\t"                                                                 \
        "addi %[a1], %[a1], 3\n\t"                                               \
        "mv a0, %[i]\n\t"                                                        \
        ".option push\n.option norvc\n\t" insn "\n\t.option pop\n\t"             \
        "mv %[a0], a0\n\t"                                                       \
        "beq %[a0], %[i], 2f\n\t"                                                \
        "addi %[bad], %[bad], 1\n"                                               \
        "2:\n\t"                                                                 \
        "addi %[i], %[i], 1\n\t"                                                 \
        "bltu %[i], %[n], 1b\n\t"                                                \
        : [bad] "+r"(bad), [i] "+r"(i), [a0] "=&r"(a0), [a1] "+r"(a1)            \
        : [n] "r"(ITERS)                                                         \
        : "a0", "t0", "memory");                                                 \
    check(#name "-a1", a1, 3 * ITERS);                                           \
    return bad;                                                                  \
  }

CSR_LOOP(cycle_write, "csrrw a0, cycle, x0")
CSR_LOOP(instret_set, "li t0, 1\n\tcsrrs a0, instret, t0")
CSR_LOOP(mvendorid_writei, "csrrwi a0, mvendorid, 1")
CSR_LOOP(unimplemented_read, "csrr a0, 0x0ff")

/* A block that starts with the trapping instruction (its rd named first as a destination). */
__attribute__((noinline, aligned(64))) static u64 probe_cycle_write(u64 v) {
  register u64 a0 asm("a0") = v;
  asm volatile(".option push\n.option norvc\n\tcsrrw a0, cycle, x0\n\t.option pop" : "+r"(a0));
  return a0;
}

static u64 first_in_block(void) {
  u64 bad = 0;
  for (u64 i = 0; i < ITERS; i++) bad += probe_cycle_write(i * 7) != i * 7;
  return bad;
}

int main(void) {
  m_exc_hook = skip_illegal;
  struct { const char *name; u64 (*fn)(void); } loops[] = {
    { "cycle-write", cycle_write },
    { "instret-set", instret_set },
    { "mvendorid-writei", mvendorid_writei },
    { "unimplemented-read", unimplemented_read },
    { "first-in-block", first_in_block },
  };
  for (unsigned k = 0; k < sizeof loops / sizeof loops[0]; k++) {
    u64 s0 = skipped;
    u64 bad = loops[k].fn();
    checkf(bad, 0, "%s-a0-kept", loops[k].name);
    checkf(skipped - s0, ITERS, "%s-traps", loops[k].name);
  }
  m_exc_hook = 0;
  finish();
}
