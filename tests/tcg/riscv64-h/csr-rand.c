/*
 * Random CSR accesses with the H extension, in HS mode (V=0) and in the guest (VS mode, V=1):
 * csrrw/csrrs/csrrc on the supervisor, hypervisor, VS, machine, counter and FP CSRs with
 * pseudo-random values (xorshift64, fixed seed). Every access prints the value read, or the
 * trap it raised (illegal instruction / virtual instruction, with tval); at the end of each
 * phase the hypervisor CSRs are dumped. Run by tests/tcg-hyp.test.js on qemu-system-riscv64
 * and tsqemu: the outputs must be equal.
 *
 * Writes that would pull the floor from under the program are left out: satp (only
 * read-back forms), stvec/sscratch in HS (its own trap entry), sstatus.SIE (no interrupt
 * may be taken), and counter values (not compared, only whether they trap).
 */
#include "hyp.h"

#define OPS(n)                                                                                      \
  static u64 rw_##n(u64 v) { u64 o = 0xdead; asm volatile(".option push\n.option norvc\ncsrrw %0, " #n ", %1\n.option pop" : "+r"(o) : "r"(v) : "memory"); return o; } \
  static u64 rs_##n(u64 v) { u64 o = 0xdead; asm volatile(".option push\n.option norvc\ncsrrs %0, " #n ", %1\n.option pop" : "+r"(o) : "r"(v) : "memory"); return o; } \
  static u64 rc_##n(u64 v) { u64 o = 0xdead; asm volatile(".option push\n.option norvc\ncsrrc %0, " #n ", %1\n.option pop" : "+r"(o) : "r"(v) : "memory"); return o; }

/* CSR, flags: NOWRITE_HS (only csrrs/csrrc with 0 in HS), NOWRITE (same, both phases),
 * COUNTER (value not printed), STATUS (SIE and VS cleared, UXL = 64 in values), ATP (csrrw
 * only, with a valid mode: QEMU 7.2 keeps any), TVEC (csrrw only, mode 0 or 1: QEMU 7.2
 * keeps the reserved ones in vstvec), SIP (only SSIP printed: QEMU 7.2 reads vsip.STIP/SEIP as 0, the
 * spec and newer QEMU do not), VSI (bits 2, 6, 10 cleared in values: QEMU 7.2's vsie/vsip
 * also take them as the VS bits), EPC (bit 0 clear in values: which QEMU keeps it differs).
 * Not here: senvcfg/henvcfg (their bits belong to Zicbo*, Sstc, Svpbmt), scounteren (QEMU
 * 7.2 keeps 64 bits, newer QEMU masks it to the counters it has). */
#define NOWRITE_HS 1
#define NOWRITE 2
#define COUNTER 4
#define STATUS 8
#define ATP 16
#define SIP 32
#define TVEC 64
#define VSI 128
#define EPC 256
#define CSRS(X)                                                                                     \
  X(0x100, STATUS) X(0x104, VSI) X(0x105, NOWRITE_HS) X(0x140, NOWRITE_HS)                         \
  X(0x141, EPC) X(0x142, 0) X(0x143, 0) X(0x144, SIP | VSI) X(0x180, NOWRITE)                         \
  X(0x600, 0) X(0x602, 0) X(0x603, 0) X(0x604, 0) X(0x605, 0) X(0x606, 0) X(0x607, 0)              \
  X(0x643, 0) X(0x644, 0) X(0x645, 0) X(0x64a, 0) X(0x680, ATP) X(0xe12, 0)                         \
  X(0x200, STATUS) X(0x204, VSI) X(0x205, TVEC) X(0x240, 0) X(0x241, EPC) X(0x242, 0) X(0x243, 0)         \
  X(0x244, SIP | VSI) X(0x280, ATP)                                                                     \
  X(0x300, 0) X(0x301, 0) X(0x304, 0) X(0x344, 0) X(0x34a, 0) X(0x34b, 0) X(0xf14, 0)              \
  X(0xc00, COUNTER) X(0xc01, COUNTER) X(0xc02, COUNTER) X(0xc03, COUNTER)                          \
  X(0x001, 0) X(0x002, 0) X(0x003, 0)

#define DEF(n, f) OPS(n)
CSRS(DEF)
struct csr_ops { u32 no, flags; u64 (*op[3])(u64); };
#define ROW(n, f) { n, f, { rw_##n, rs_##n, rc_##n } },
static const struct csr_ops table[] = { CSRS(ROW) };
#define NCSR (sizeof(table) / sizeof(table[0]))

static u64 rng = 0x9e3779b97f4a7c15UL;
static u64 next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
/* Mostly small structured values, sometimes all ones or random. */
static u64 value(void) {
  u64 r = next();
  switch (r & 7) {
  case 0: return ~0UL;
  case 1: return 0;
  case 2: return next() & 0xfff;
  case 3: return 1UL << (next() & 63);
  default: return next();
  }
}

static volatile u64 trap_cause, trap_tval;
static volatile int trapped;
static const char *phase;

void hs_handler(u64 *regs) {
  u64 cause = rcsr(scause), epc = rcsr(sepc);
  if (cause == 10 && regs[17] == MAGIC_GUEST_EXIT) {
    wcsr(sepc, (u64)return_to_hs);
    ccsr(0x600, 1UL << 7);
    return;
  }
  trapped = 1;
  trap_cause = cause;
  trap_tval = rcsr(stval);
  if (cause & CAUSE_INTERRUPT) {
    tprintf("FAIL interrupt %lx in %s\n", cause, phase);
    finish();
  }
  wcsr(sepc, epc + 4);
}

void vs_handler(u64 *regs) {
  (void)regs;
  tprintf("FAIL VS trap cause=%lx epc=%lx\n", rcsr(scause), rcsr(sepc));
  finish();
}

static void run_ops(int n, int guest) {
  for (int i = 0; i < n; i++) {
    const struct csr_ops *c = &table[next() % NCSR];
    int op = next() % 3;
    u64 v = value();
    if ((c->flags & NOWRITE) || (!guest && (c->flags & NOWRITE_HS))) {
      op = 1 + (op & 1);
      v = 0;
    }
    else if (op && !v) v = 1; /* csrrs/csrrc with 0: QEMU does not count it as a write */
    if (c->flags & STATUS) v = (v & ~(2UL | 0x600UL | (3UL << 32))) | (2UL << 32);
    if (c->flags & ATP) {
      op = 0;
      v = (v & ~(15UL << 60)) | ((u64)"\0\x8\x9\x8"[next() & 3] << 60);
    }
    if (c->flags & VSI) v &= ~0x444UL;
    if (c->flags & EPC) v &= ~1UL;
    if (c->flags & TVEC) {
      op = 0;
      v &= ~2UL;
    }
    trapped = 0;
    u64 old = c->op[op](v);
    if (c->flags & COUNTER) old = 0;
    if (c->flags & SIP) old &= 2;
    if (trapped) tprintf("%s %d %03x %d %lx: trap %lx tval=%lx\n", phase, i, c->no, op, v, trap_cause, trap_tval);
    else tprintf("%s %d %03x %d %lx: %lx\n", phase, i, c->no, op, v, old);
  }
}

static void guest(void) {
  run_ops(400, 1);
}

static void dump(const char *when) {
  tprintf("%s: hstatus=%lx hedeleg=%lx hideleg=%lx hie=%lx hvip=%lx hcounteren=%lx hgatp=%lx\n", when, rcsr(0x600),
          rcsr(0x602), rcsr(0x603), rcsr(0x604), rcsr(0x645), rcsr(0x606), rcsr(0x680));
  tprintf("%s: vsstatus=%lx vsie=%lx vstvec=%lx vsscratch=%lx vsepc=%lx vscause=%lx vstval=%lx vsatp=%lx\n", when,
          rcsr(0x200), rcsr(0x204), rcsr(0x205), rcsr(0x240), rcsr(0x241), rcsr(0x242), rcsr(0x243), rcsr(0x280));
}

static u64 hs_main(u64 arg) {
  (void)arg;
  wcsr(stvec, (u64)hs_trap_entry);
  wcsr(sscratch, (u64)(hs_stack + 1024));
  phase = "HS";
  run_ops(400, 0);
  dump("after HS");
  /* A clean state for the guest: G stage bare, VS stage bare, nothing delegated or pending
   * (HS interrupts are always enabled while V=1). */
  wcsr(0x680, 0);
  wcsr(0x280, 0);
  wcsr(0x602, 0);
  wcsr(0x603, 0);
  wcsr(0x645, 0);
  wcsr(0x604, 0);
  wcsr(sie, 0);
  wcsr(sip, 0);
  wcsr(0x606, 5);
  wcsr(0x600, 0);
  wcsr(0x200, 0x200006000UL); /* the guest's FS on, and HS's (V=1 needs both) */
  scsr(sstatus, 0x6000);
  phase = "VS";
  run_guest(guest);
  dump("after VS");
  return 0;
}

int main(void) {
  csr_write(medeleg, (1UL << 2) | (1UL << 10) | (1UL << 22));
  csr_write(mideleg, 0); /* QEMU then delegates the VS interrupts to HS */
  run_in_mode(PRV_S, hs_main, 0);
  tprintf("done\n");
  return 0;
}
