/* Exceptions: illegal instruction (mtval = instruction bits), ecall from M/S/U,
 * ebreak, access faults on unmapped addresses, privileged instructions in lower
 * modes, mret/sret state transitions, medeleg delegation to S. */
#include "common.h"

#define UNMAPPED 0x90000000UL /* beyond the default 128 MiB of RAM */

static void expect(const char *name, u64 cause, u64 tval, u64 epc, u64 priv) {
  checkf(mtrap.count, 1, "%s-count", name);
  checkf(mtrap.cause, cause, "%s-cause", name);
  checkf(mtrap.tval, tval, "%s-tval", name);
  if (epc != ~0UL) checkf(mtrap.epc, epc, "%s-epc", name);
  checkf(mtrap.prev_priv, priv, "%s-priv", name);
}

/* Runs an instruction given as .word in M mode; returns its address. */
#define RUN_WORD(w)                                                                   \
  ({                                                                                  \
    u64 at_;                                                                          \
    trap_arm();                                                                       \
    asm volatile(".option push\n.option norvc\nla %0, 1f\n1: .word " #w "\n.option pop" \
                 : "=&r"(at_) : : "memory");                                          \
    trap_disarm();                                                                    \
    at_;                                                                              \
  })

static void test_illegal(void) {
  u64 at;
  at = RUN_WORD(0xffffffff);
  expect("illegal-ffffffff", CAUSE_ILLEGAL, 0xffffffff, at, PRV_M);
  at = RUN_WORD(0x0000000b); /* custom-0 */
  expect("illegal-custom0", CAUSE_ILLEGAL, 0x0000000b, at, PRV_M);
  at = RUN_WORD(0x40001033); /* sll with funct7 = 0x20 */
  expect("illegal-sll-funct7", CAUSE_ILLEGAL, 0x40001033, at, PRV_M);
  at = RUN_WORD(0x06005033); /* OP funct3 = 5 with funct7 = 3 */
  expect("illegal-op-funct7-3", CAUSE_ILLEGAL, 0x06005033, at, PRV_M);
  at = RUN_WORD(0x0000305b); /* custom-2 */
  expect("illegal-custom2", CAUSE_ILLEGAL, 0x0000305b, at, PRV_M);
  at = RUN_WORD(0x00007003); /* load funct3 = 7 */
  expect("illegal-load-funct3-7", CAUSE_ILLEGAL, 0x00007003, at, PRV_M);
  at = RUN_WORD(0x00004023); /* store funct3 = 4 */
  expect("illegal-store-funct3-4", CAUSE_ILLEGAL, 0x00004023, at, PRV_M);
  at = RUN_WORD(0x00002063); /* branch funct3 = 2 */
  expect("illegal-branch-funct3-2", CAUSE_ILLEGAL, 0x00002063, at, PRV_M);
  at = RUN_WORD(0x00001067); /* jalr funct3 = 1 */
  expect("illegal-jalr-funct3-1", CAUSE_ILLEGAL, 0x00001067, at, PRV_M);
  at = RUN_WORD(0x0200101b); /* slliw with shamt bit 5 set */
  expect("illegal-slliw-shamt5", CAUSE_ILLEGAL, 0x0200101b, at, PRV_M);
  at = RUN_WORD(0x00200073); /* uret (no N extension) */
  expect("illegal-uret", CAUSE_ILLEGAL, 0x00200073, at, PRV_M);
  at = RUN_WORD(0x0000700f); /* MISC-MEM funct3 = 7 (funct3 = 2 is Zicbom/Zicboz's cbo.*) */
  expect("illegal-miscmem-funct3-7", CAUSE_ILLEGAL, 0x0000700f, at, PRV_M);
  at = RUN_WORD(0x0000102f); /* AMO funct3 = 1 */
  expect("illegal-amo-funct3-1", CAUSE_ILLEGAL, 0x0000102f, at, PRV_M);
  at = RUN_WORD(0x1000302f); /* lr.d with rs2 != 0 is reserved; QEMU ignores rs2 */
  show("lr.d-rs2-nonzero-traps", mtrap.count);
}

static void test_ecall_ebreak(void) {
  u64 at;
  trap_arm();
  asm volatile("la %0, 1f\n1: ecall" : "=&r"(at) : : "a7", "memory");
  trap_disarm();
  expect("ecall-m", CAUSE_ECALL_M, 0, at, PRV_M);
  trap_arm();
  asm volatile(".option push\n.option norvc\nla %0, 1f\n1: ebreak\n.option pop" : "=&r"(at) : : "memory");
  trap_disarm();
  checkf(mtrap.cause, CAUSE_BREAKPOINT, "ebreak-m-cause");
  checkf(mtrap.epc, at, "ebreak-m-epc");
  /* (ebreak mtval: 0 in QEMU 7.2, the pc in newer QEMU; not compared) */
}

asm(".text\n.globl do_ecall\ndo_ecall:\n  li a7, 0\n.globl do_ecall_at\ndo_ecall_at:\n  ecall\n  ret\n");
u64 do_ecall(u64);
extern char do_ecall_at[];

static void test_ecall_lower(void) {
  trap_arm();
  run_in_mode(PRV_S, do_ecall, 0);
  trap_disarm();
  expect("ecall-s", CAUSE_ECALL_S, 0, (u64)do_ecall_at, PRV_S);
  trap_arm();
  run_in_mode(PRV_U, do_ecall, 0);
  trap_disarm();
  expect("ecall-u", CAUSE_ECALL_U, 0, (u64)do_ecall_at, PRV_U);
}

static void test_access_faults(void) {
  u64 v = 0, at;
  trap_arm();
  asm volatile("la %1, 1f\n1: ld %0, 0(%2)" : "=r"(v), "=&r"(at) : "r"(UNMAPPED) : "memory");
  trap_disarm();
  expect("load-unmapped", CAUSE_LOAD_ACCESS, UNMAPPED, at, PRV_M);
  trap_arm();
  asm volatile("la %0, 1f\n1: sw zero, 12(%1)" : "=&r"(at) : "r"(UNMAPPED) : "memory");
  trap_disarm();
  expect("store-unmapped", CAUSE_STORE_ACCESS, UNMAPPED + 12, at, PRV_M);
  /* fetch from an unmapped address: mepc = mtval = the target */
  trap_arm();
  asm volatile("jalr ra, 0(%0)" : : "r"(UNMAPPED + 0x100) : "ra", "memory");
  trap_disarm();
  expect("fetch-unmapped", CAUSE_FETCH_ACCESS, UNMAPPED + 0x100, UNMAPPED + 0x100, PRV_M);
  /* lower modes too */
  trap_arm();
  asm volatile("" ::: "memory");
  run_in_mode(PRV_U, (u64(*)(u64))(UNMAPPED + 0x200), 0);
  trap_disarm();
  expect("fetch-unmapped-u", CAUSE_FETCH_ACCESS, UNMAPPED + 0x200, UNMAPPED + 0x200, PRV_U);
  (void)v;
}

/* Privileged instructions in lower modes. Each helper executes one instruction. */
#define PRIV_FN(name, insn)                                                     \
  asm(".text\n.globl " #name "\n" #name ":\n.option push\n.option norvc\n" insn \
      "\n.option pop\nret\n");                                                  \
  u64 name(u64);
PRIV_FN(x_mret, "mret")
PRIV_FN(x_sret, "sret")
PRIV_FN(x_wfi, "wfi")
PRIV_FN(x_sfence, "sfence.vma")
PRIV_FN(x_satp, "csrr a0, satp")
PRIV_FN(x_load_a0, "ld a0, 0(a0)")

static void priv_illegal(const char *name, int mode, u64 (*fn)(u64), u32 bits) {
  trap_arm();
  run_in_mode(mode, fn, 0);
  trap_disarm();
  expect(name, CAUSE_ILLEGAL, bits, (u64)fn, (u64)mode);
}

static void test_priv_insns(void) {
  priv_illegal("mret-in-s", PRV_S, x_mret, 0x30200073);
  priv_illegal("mret-in-u", PRV_U, x_mret, 0x30200073);
  priv_illegal("sret-in-u", PRV_U, x_sret, 0x10200073);
  priv_illegal("wfi-in-u", PRV_U, x_wfi, 0x10500073);
  priv_illegal("sfence.vma-in-u", PRV_U, x_sfence, 0x12000073);
  csr_set(mstatus, MSTATUS_TSR);
  priv_illegal("sret-in-s-tsr", PRV_S, x_sret, 0x10200073);
  csr_clear(mstatus, MSTATUS_TSR);
  csr_set(mstatus, MSTATUS_TW);
  priv_illegal("wfi-in-s-tw", PRV_S, x_wfi, 0x10500073);
  csr_clear(mstatus, MSTATUS_TW);
  csr_set(mstatus, MSTATUS_TVM);
  priv_illegal("sfence.vma-in-s-tvm", PRV_S, x_sfence, 0x12000073);
  priv_illegal("satp-in-s-tvm", PRV_S, x_satp, 0x18002573);
  csr_clear(mstatus, MSTATUS_TVM);
  trap_arm();
  run_in_mode(PRV_S, x_sfence, 0);
  run_in_mode(PRV_S, x_satp, 0);
  trap_disarm();
  check("sfence-satp-in-s-allowed", mtrap.count, 0);
}

/* mret/sret state transitions. */
static void test_mret_to_m(void) {
  extern char mret_m_target[];
  u64 st;
  /* mret with MPP = M: stays in M; MIE <- MPIE, MPIE <- 1, MPP <- U */
  csr_clear(mstatus, MSTATUS_MIE | MSTATUS_MPP);
  csr_set(mstatus, MSTATUS_MPP | MSTATUS_MPIE);
  asm volatile("la t0, mret_m_target\n\tcsrw mepc, t0\n\tmret\nmret_m_target:\n\tcsrr %0, mstatus"
               : "=r"(st) : : "t0", "memory");
  csr_clear(mstatus, MSTATUS_MIE);
  check("mret-m-mie", (st & MSTATUS_MIE) != 0, 1);
  check("mret-m-mpie", (st & MSTATUS_MPIE) != 0, 1);
  check("mret-m-mpp-u", (st & MSTATUS_MPP) >> 11, PRV_U);
  (void)mret_m_target;
  /* MPIE = 0: MIE becomes 0 */
  csr_clear(mstatus, MSTATUS_MPIE | MSTATUS_MPP);
  csr_set(mstatus, MSTATUS_MPP | MSTATUS_MIE);
  asm volatile("la t0, 1f\n\tcsrw mepc, t0\n\tmret\n1:\tcsrr %0, mstatus" : "=r"(st) : : "t0", "memory");
  check("mret-m-mie-from-mpie-0", (st & MSTATUS_MIE) != 0, 0);
  check("mret-m-mpie-set", (st & MSTATUS_MPIE) != 0, 1);
}

/* (mret to a lower mode clears MPRV since privileged spec 1.12; QEMU 7.2 does
 * not, so this is not compared.) */

/* S code: sret to U at label, which tries csrr sstatus (illegal, recorded by M) and
 * then returns to M. Checks SPP/SPIE/SIE handling of sret. */
asm(".text\n.globl s_sret_to_u\ns_sret_to_u:\n"
    "  la t0, 1f\n  csrw sepc, t0\n"
    "  li t0, 0x100\n  csrc sstatus, t0\n" /* SPP = U */
    "  li t0, 0x20\n  csrs sstatus, t0\n"  /* SPIE = 1 */
    "  sret\n"
    "1:\n.option push\n.option norvc\n.globl u_after_sret\nu_after_sret:\n  csrr a0, sstatus\n.option pop\n"
    "  li a0, 77\n  li a7, " STR(MAGIC_RETURN_TO_M) "\n  ecall\n");
u64 s_sret_to_u(u64);
extern char u_after_sret[];

/* S code: sret with SPP = S stays in S; returns sstatus after it. */
asm(".text\n.globl s_sret_to_s\ns_sret_to_s:\n"
    "  la t0, 1f\n  csrw sepc, t0\n"
    "  li t0, 0x100\n  csrs sstatus, t0\n" /* SPP = S */
    "  li t0, 0x20\n  csrc sstatus, t0\n"  /* SPIE = 0 */
    "  li t0, 0x2\n  csrs sstatus, t0\n"   /* SIE = 1 */
    "  sret\n"
    "1:\n  csrr a0, sstatus\n  ret\n");
u64 s_sret_to_s(u64);

static void test_sret(void) {
  trap_arm();
  u64 r = run_in_mode(PRV_S, s_sret_to_u, 0);
  trap_disarm();
  check("sret-to-u-result", r, 77);
  expect("sret-to-u-in-u", CAUSE_ILLEGAL, 0x10002573, (u64)u_after_sret, PRV_U);
  u64 st = run_in_mode(PRV_S, s_sret_to_s, 0);
  check("sret-s-sie-from-spie", (st & MSTATUS_SIE) != 0, 0);
  check("sret-s-spie-set", (st & MSTATUS_SPIE) != 0, 1);
  check("sret-s-spp-u", (st & MSTATUS_SPP) != 0, 0);
}

/* medeleg: exceptions from S/U go to the S handler; M-mode exceptions never do. */
static u8 s_stack[4096] __attribute__((aligned(16)));
PRIV_FN(x_illegal_s, ".word 0xffffffff")
asm(".text\n.globl x_ecall_plain\nx_ecall_plain:\n  li a7, 0\n.globl x_ecall_plain_at\nx_ecall_plain_at:\n  ecall\n  ret\n");
u64 x_ecall_plain(u64);
extern char x_ecall_plain_at[];

/* The S handler forwards run_in_mode's return ecall to M with an ebreak, so
 * ecalls can be delegated; after such a forward sscratch must be reset. */
static void s_stack_reset(void) {
  csr_write(sscratch, (u64)(s_stack + sizeof(s_stack)));
}

static void test_medeleg(void) {
  csr_write(stvec, (u64)s_trap_entry);
  s_stack_reset();
  csr_write(medeleg, (1UL << CAUSE_ILLEGAL) | (1UL << CAUSE_ECALL_U) | (1UL << CAUSE_ECALL_S) |
                         (1UL << CAUSE_LOAD_ACCESS));
  trap_arm();
  run_in_mode(PRV_U, x_illegal_s, 0);
  trap_disarm();
  s_stack_reset();
  check("deleg-u-illegal-m-count", mtrap.count, 0);
  check("deleg-u-illegal-s-count", strap.count, 1);
  check("deleg-u-illegal-scause", strap.cause, CAUSE_ILLEGAL);
  check("deleg-u-illegal-stval", strap.tval, 0xffffffff);
  check("deleg-u-illegal-sepc", strap.epc, (u64)x_illegal_s);
  check("deleg-u-illegal-spp", strap.prev_priv, 0);
  trap_arm();
  run_in_mode(PRV_S, x_illegal_s, 0);
  trap_disarm();
  s_stack_reset();
  check("deleg-s-illegal-s-count", strap.count, 1);
  check("deleg-s-illegal-spp", strap.prev_priv, 1);
  check("deleg-s-illegal-mcount", mtrap.count, 0);
  trap_arm();
  run_in_mode(PRV_U, x_ecall_plain, 0);
  trap_disarm();
  s_stack_reset();
  check("deleg-ecall-u-scause", strap.cause, CAUSE_ECALL_U);
  check("deleg-ecall-u-sepc", strap.epc, (u64)x_ecall_plain_at);
  trap_arm();
  run_in_mode(PRV_S, x_ecall_plain, 0);
  trap_disarm();
  s_stack_reset();
  check("deleg-ecall-s-scause", strap.cause, CAUSE_ECALL_S);
  check("deleg-ecall-s-mcount", mtrap.count, 0);
  /* load access fault from U, delegated, with stval */
  trap_arm();
  run_in_mode(PRV_U, x_load_a0, UNMAPPED + 8);
  trap_disarm();
  s_stack_reset();
  check("deleg-u-load-access-scause", strap.cause, CAUSE_LOAD_ACCESS);
  check("deleg-u-load-access-stval", strap.tval, UNMAPPED + 8);
  /* M-mode exceptions are not delegated */
  u64 at = RUN_WORD(0xffffffff);
  expect("deleg-m-illegal-stays-m", CAUSE_ILLEGAL, 0xffffffff, at, PRV_M);
  check("deleg-m-illegal-s-count", strap.count, 0);
  /* a non-delegated cause from U still goes to M */
  csr_clear(medeleg, 1UL << CAUSE_ECALL_U);
  trap_arm();
  run_in_mode(PRV_U, x_ecall_plain, 0);
  trap_disarm();
  expect("undelegated-ecall-u", CAUSE_ECALL_U, 0, (u64)x_ecall_plain_at, PRV_U);
  csr_write(medeleg, 0);
}

int main(void) {
  test_illegal();
  test_ecall_ebreak();
  test_ecall_lower();
  test_access_faults();
  test_priv_insns();
  test_mret_to_m();
  test_sret();
  test_medeleg();
  return 0;
}
