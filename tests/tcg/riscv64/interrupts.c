/* Interrupts: vectored mtvec with the CLINT timer (mtimecmp) and software (msip)
 * interrupts, pending-but-disabled, wfi wake-up, priority, mideleg to S, and the
 * rule that M interrupts are always enabled in lower modes. */
#include "common.h"

#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_M_TIMER 7
#define MIP_SSIP (1UL << 1)
#define MIP_MSIP (1UL << 3)
#define MIP_MTIP (1UL << 7)

/* Vector table: entry 0 takes exceptions to the common entry; entry N records N
 * in vec_hit, then continues in the common entry (which reads mcause). */
asm(".text\n.balign 256\n.option push\n.option norvc\n.globl vec_table\nvec_table:\n"
    "  j trap_entry\n  j vec_1\n  j vec_2\n  j vec_3\n  j vec_4\n  j vec_5\n  j vec_6\n  j vec_7\n"
    "  j vec_8\n  j vec_9\n  j vec_10\n  j vec_11\n.option pop\n");
#define VEC(n)                                                                           \
  asm(".text\nvec_" #n ":\n  csrrw sp, mscratch, sp\n  addi sp, sp, -16\n  sd t0, 0(sp)\n" \
      "  sd t1, 8(sp)\n  la t0, vec_hit\n  li t1, " #n "\n  sd t1, 0(t0)\n  ld t0, 0(sp)\n"  \
      "  ld t1, 8(sp)\n  addi sp, sp, 16\n  csrrw sp, mscratch, sp\n  j trap_entry\n");
VEC(1) VEC(2) VEC(3) VEC(4) VEC(5) VEC(6) VEC(7) VEC(8) VEC(9) VEC(10) VEC(11)
extern char vec_table[];
volatile u64 vec_hit;

static volatile u64 irq_count;
static volatile u64 irq_causes[8];
static volatile u64 irq_epc[8];
static volatile u64 irq_vec[8];

static void irq_hook(struct trap_frame *f) {
  u64 n = irq_count;
  if (n < 8) {
    irq_causes[n] = f->cause;
    irq_epc[n] = f->epc;
    irq_vec[n] = vec_hit;
  }
  irq_count = n + 1;
  vec_hit = 0;
  u64 code = f->cause & ~CAUSE_INTERRUPT;
  if (code == IRQ_M_TIMER) mmio_write64(CLINT_MTIMECMP, ~0UL);
  if (code == IRQ_M_SOFT) mmio_write32(CLINT_MSIP, 0);
  if (code == IRQ_S_SOFT) csr_clear(mip, MIP_SSIP);
}

static void irq_reset(void) {
  irq_count = 0;
  for (int i = 0; i < 8; i++) irq_causes[i] = irq_epc[i] = irq_vec[i] = 0;
  vec_hit = 0;
}

/* Waits (bounded) until irq_count reaches n. */
static void wait_irqs(u64 n) {
  for (u64 i = 0; i < 1000000 && irq_count < n; i++) asm volatile("" ::: "memory");
}

static void test_timer(void) {
  irq_reset();
  csr_write(mie, 1UL << IRQ_M_TIMER);
  mmio_write64(CLINT_MTIMECMP, mmio_read64(CLINT_MTIME) + 2000);
  csr_set(mstatus, MSTATUS_MIE);
  for (int i = 0; i < 100 && irq_count == 0; i++) asm volatile("wfi");
  wait_irqs(1);
  csr_clear(mstatus, MSTATUS_MIE);
  check("timer-count", irq_count, 1);
  check("timer-mcause", irq_causes[0], CAUSE_INTERRUPT | IRQ_M_TIMER);
  check("timer-vector", irq_vec[0], IRQ_M_TIMER);
  check("timer-mtip-cleared", (csr_read(mip) & MIP_MTIP) != 0, 0);
}

static void test_pending_disabled(void) {
  irq_reset();
  csr_write(mie, 1UL << IRQ_M_TIMER);
  mmio_write64(CLINT_MTIMECMP, 0);
  /* MTIP is pending, MIE = 0: nothing is taken */
  for (volatile int i = 0; i < 100; i++) {
  }
  check("pending-mtip", (csr_read(mip) & MIP_MTIP) != 0, 1);
  check("pending-not-taken", irq_count, 0);
  /* enabling MIE takes it right after the csrs */
  u64 after;
  asm volatile("la %0, 1f\n\tcsrs mstatus, %1\n1:\tnop" : "=&r"(after) : "r"(MSTATUS_MIE) : "memory");
  csr_clear(mstatus, MSTATUS_MIE);
  check("enable-takes-count", irq_count, 1);
  check("enable-takes-cause", irq_causes[0], CAUSE_INTERRUPT | IRQ_M_TIMER);
  check("enable-takes-mepc", irq_epc[0], after);
  /* mie.MTIE = 0 with MIE = 1: nothing taken, then setting mie takes it */
  irq_reset();
  csr_write(mie, 0);
  mmio_write64(CLINT_MTIMECMP, 0);
  csr_set(mstatus, MSTATUS_MIE);
  for (volatile int i = 0; i < 100; i++) {
  }
  check("mie-masked-not-taken", irq_count, 0);
  asm volatile("la %0, 1f\n\tcsrw mie, %1\n1:\tnop" : "=&r"(after) : "r"(1UL << IRQ_M_TIMER) : "memory");
  csr_clear(mstatus, MSTATUS_MIE);
  check("mie-enable-takes-count", irq_count, 1);
  check("mie-enable-takes-mepc", irq_epc[0], after);
}

static void test_wfi_wakeup(void) {
  /* wfi returns when an enabled interrupt becomes pending, even with MIE = 0 */
  irq_reset();
  csr_write(mie, 1UL << IRQ_M_TIMER);
  mmio_write64(CLINT_MTIMECMP, mmio_read64(CLINT_MTIME) + 5000);
  for (int i = 0; i < 100 && !(csr_read(mip) & MIP_MTIP); i++) asm volatile("wfi");
  check("wfi-wakes-mtip", (csr_read(mip) & MIP_MTIP) != 0, 1);
  check("wfi-wakes-no-trap", irq_count, 0);
  mmio_write64(CLINT_MTIMECMP, ~0UL);
  check("mtimecmp-max-clears-mtip", (csr_read(mip) & MIP_MTIP) != 0, 0);
}

static void test_software(void) {
  irq_reset();
  csr_write(mie, 1UL << IRQ_M_SOFT);
  csr_set(mstatus, MSTATUS_MIE);
  u64 start, end;
  asm volatile("la %0, 1f\n1:" : "=r"(start));
  mmio_write32(CLINT_MSIP, 1);
  wait_irqs(1);
  asm volatile("la %0, 1f\n1:" : "=r"(end));
  csr_clear(mstatus, MSTATUS_MIE);
  check("msip-count", irq_count, 1);
  check("msip-mcause", irq_causes[0], CAUSE_INTERRUPT | IRQ_M_SOFT);
  check("msip-vector", irq_vec[0], IRQ_M_SOFT);
  check("msip-mepc-in-range", irq_epc[0] >= start && irq_epc[0] <= end, 1);
  check("msip-cleared", mmio_read32(CLINT_MSIP), 0);
  check("msip-mip-cleared", (csr_read(mip) & MIP_MSIP) != 0, 0);
}

static void test_priority(void) {
  /* MSI and MTI both pending when MIE is set: MSI first, then MTI */
  irq_reset();
  csr_write(mie, (1UL << IRQ_M_SOFT) | (1UL << IRQ_M_TIMER));
  mmio_write32(CLINT_MSIP, 1);
  mmio_write64(CLINT_MTIMECMP, 0);
  check("both-pending", (csr_read(mip) & (MIP_MSIP | MIP_MTIP)), MIP_MSIP | MIP_MTIP);
  csr_set(mstatus, MSTATUS_MIE);
  wait_irqs(2);
  csr_clear(mstatus, MSTATUS_MIE);
  check("priority-count", irq_count, 2);
  check("priority-first-msi", irq_causes[0], CAUSE_INTERRUPT | IRQ_M_SOFT);
  check("priority-second-mti", irq_causes[1], CAUSE_INTERRUPT | IRQ_M_TIMER);
  /* (MSI and SSI both pending at M level: the spec takes MSI first; QEMU takes the
   * lowest-numbered pending interrupt first, SSI. Not compared.) */
  irq_reset();
  csr_write(mie, 1UL << IRQ_S_SOFT);
  csr_set(mip, MIP_SSIP);
  csr_set(mstatus, MSTATUS_MIE);
  wait_irqs(1);
  csr_clear(mstatus, MSTATUS_MIE);
  check("ssi-in-m-count", irq_count, 1);
  check("ssi-in-m-cause", irq_causes[0], CAUSE_INTERRUPT | IRQ_S_SOFT);
  check("ssi-vector", irq_vec[0], IRQ_S_SOFT);
  csr_write(mie, 0);
}

/* Lower modes: M interrupts are taken regardless of mstatus.MIE. */
static u64 spin_fn(u64 n) {
  for (volatile u64 i = 0; i < n && irq_count == 0; i++) {
  }
  return irq_count;
}

static u8 s_stack[4096] __attribute__((aligned(16)));

/* S code that raises its own software interrupt; returns sepc offset info. */
extern char s_ssip_after[];
asm(".text\n.globl s_raise_ssip\ns_raise_ssip:\n"
    "  li t0, 2\n  csrs sie, t0\n  csrs sstatus, t0\n" /* SSIE, SIE */
    "  csrs sip, t0\n"
    ".globl s_ssip_after\ns_ssip_after:\n  nop\n"
    "  csrc sstatus, t0\n  ret\n");
u64 s_raise_ssip(u64);

static void test_lower_modes(void) {
  irq_reset();
  csr_clear(mstatus, MSTATUS_MIE);
  csr_write(mie, 1UL << IRQ_M_SOFT);
  mmio_write32(CLINT_MSIP, 1);
  /* pending and enabled in mie: taken as soon as S runs, although MIE = 0 */
  check("m-irq-in-s-mie0", run_in_mode(PRV_S, spin_fn, 100000), 1);
  check("m-irq-in-s-cause", irq_causes[0], CAUSE_INTERRUPT | IRQ_M_SOFT);
  irq_reset();
  mmio_write32(CLINT_MSIP, 1);
  check("m-irq-in-u-mie0", run_in_mode(PRV_U, spin_fn, 100000), 1);
  check("m-irq-in-u-cause", irq_causes[0], CAUSE_INTERRUPT | IRQ_M_SOFT);
  csr_write(mie, 0);

  /* mideleg: SSIP goes to the S handler */
  csr_write(stvec, (u64)s_trap_entry);
  csr_write(sscratch, (u64)(s_stack + sizeof(s_stack)));
  csr_write(mideleg, MIP_SSIP);
  check("mideleg-ssip", csr_read(mideleg) & MIP_SSIP, MIP_SSIP);
  csr_write(mie, 1UL << IRQ_S_SOFT);
  irq_reset();
  trap_arm();
  run_in_mode(PRV_S, s_raise_ssip, 0);
  trap_disarm();
  check("deleg-ssi-s-count", strap.count, 1);
  check("deleg-ssi-scause", strap.cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
  check("deleg-ssi-sepc", strap.epc, (u64)s_ssip_after);
  check("deleg-ssi-m-count", irq_count, 0);
  /* a delegated interrupt pending in M mode is not taken in M */
  irq_reset();
  csr_set(mip, MIP_SSIP);
  csr_set(mstatus, MSTATUS_MIE | MSTATUS_SIE);
  for (volatile int i = 0; i < 100; i++) {
  }
  csr_clear(mstatus, MSTATUS_MIE | MSTATUS_SIE);
  check("deleg-ssi-not-in-m", irq_count, 0);
  /* ... nor in S with SIE = 0, but in U it is taken regardless of SIE */
  trap_arm();
  run_in_mode(PRV_S, spin_fn, 1000);
  check("deleg-ssi-s-sie0-not-taken", strap.count, 0);
  run_in_mode(PRV_U, spin_fn, 1000);
  trap_disarm();
  check("deleg-ssi-taken-in-u", strap.count, 1);
  check("deleg-ssi-from-u-spp", strap.prev_priv, 0);
  check("deleg-ssi-cleared", csr_read(mip) & MIP_SSIP, 0);
  csr_write(mideleg, 0);
  csr_write(mie, 0);
  /* sie/sip are views of mie/mip restricted to delegated bits */
  csr_write(mie, (1UL << IRQ_S_SOFT) | (1UL << IRQ_M_SOFT));
  check("sie-view-undelegated", csr_read(sie) & 0x222, 0);
  csr_write(mideleg, MIP_SSIP);
  check("sie-view-delegated", csr_read(sie) & 0x222, MIP_SSIP);
  csr_write(mideleg, 0);
  csr_write(mie, 0);
}

int main(void) {
  m_irq_hook = irq_hook;
  mmio_write64(CLINT_MTIMECMP, ~0UL);
  csr_write(mtvec, (u64)vec_table | 1);
  check("mtvec-vectored", csr_read(mtvec), (u64)vec_table | 1);
  test_timer();
  test_pending_disabled();
  test_wfi_wakeup();
  test_software();
  test_priority();
  test_lower_modes();
  return 0;
}
