/* Pointer masking (Zjpm 1.0: Smmpm, Smnpm, Ssnpm), which QEMU 7.2 has not: every expected value
 * here is derived from the specification's text (riscv-isa-manual src/zpm.adoc):
 *  - PMM 10 = PMLEN 7, 11 = PMLEN 16, 01 reserved (a write of it leaves the field);
 *    mseccfg.PMM for M, menvcfg.PMM for S, senvcfg.PMM for U and VU, henvcfg.PMM for VS,
 *    hstatus.HUPMM for HLV/HSV executed in U-mode (as VU), senvcfg.PMM for them in M/HS.
 *  - the "ignore" transformation of a virtual address (the mode translates) replaces the top
 *    PMLEN bits with copies of bit 63-PMLEN; of a physical address (M, Bare) with zeros.
 *  - explicit accesses only: loads, stores, AMOs, LR/SC, FP, CBO, vector, HLV/HSV; not fetch,
 *    not HLVX; none while MXR is in effect at the effective mode (so not M's own accesses
 *    without MPRV); MPRV/MPP/MPV select the effective mode; xtval gets the transformed address.
 * Run by tests/tcg-ext-pointer-masking.test.js with -cpu max (H, V, Zicboz) in every compiler
 * mode. */
#include "common.h"
#include "vs-mode.h"

#define rcsr(n) ({ u64 v_; asm volatile("csrr %0, " #n : "=r"(v_)); v_; })
#define wcsr(n, v) asm volatile("csrw " #n ", %0" : : "r"((u64)(v)) : "memory")
#define scsr(n, v) asm volatile("csrs " #n ", %0" : : "r"((u64)(v)) : "memory")
#define ccsr(n, v) asm volatile("csrc " #n ", %0" : : "r"((u64)(v)) : "memory")

#define PMM(v) ((u64)(v) << 32)          /* envcfg / mseccfg PMM field */
#define HUPMM(v) ((u64)(v) << 48)        /* hstatus.HUPMM */
#define PMM_OF(x) (((x) >> 32) & 3)
#define MPV (1UL << 39)
#define HSTATUS_SPVP (1UL << 8)
#define HSTATUS_HU (1UL << 9)
/* A pointer with tag t in its top 7 / 16 bits. */
#define TAG7(a, t) ((((u64)(a)) & ~(0x7fUL << 57)) | ((u64)(t) << 57))
#define TAG16(a, t) ((((u64)(a)) & ~(0xffffUL << 48)) | ((u64)(t) << 48))

static u64 data[8] __attribute__((aligned(64)));
static u64 block[8] __attribute__((aligned(64)));
static u64 root[512] __attribute__((aligned(4096)));

/* Helpers (run in any mode): a0 = address. */
#define FN(name, body) asm(".text\n.globl " #name "\n" #name ":\n" body "\n  ret\n"); u64 name(u64);
FN(x_ld, "ld a0, 0(a0)")
FN(x_sd, "li t0, 0x5d5d\n  sd t0, 0(a0)\n  li a0, 1")
FN(x_fld, "fld ft0, 0(a0)\n  fmv.x.d a0, ft0")
FN(x_amoadd, "li t0, 5\n  amoadd.d a0, t0, (a0)")
FN(x_call, "addi sp, sp, -16\n  sd ra, 0(sp)\n  jalr a0\n  ld ra, 0(sp)\n  addi sp, sp, 16")
FN(x_ret7, "li a0, 7")
FN(x_cbo_zero, ".insn i 0x0f, 2, x0, 4(a0)\n  li a0, 1")
/* lr with tag a0, sc with tag a1's address (same transformed address): returns sc's result */
FN(x_lrsc, "lr.d t0, (a0)\n  addi t0, t0, 1\n  sc.d a0, t0, (a1)")
/* hlv.d / hlvx.wu / hsv.d (stores 0x4848) */
FN(x_hlv_d, ".insn r 0x73, 4, 0x36, a0, a0, x0")
FN(x_hlvx_wu, ".insn r 0x73, 4, 0x34, a0, a0, x3")
FN(x_hsv_d, "li t0, 0x4848\n  .insn r 0x73, 4, 0x37, x0, a0, t0\n  li a0, 1")
/* M-mode load under MPRV with mstatus bits a1 (MPP/MPV/MXR) set for the one access. */
FN(x_mprv_ld, "li t1, (3 << 11)\n  csrc mstatus, t1\n  li t1, 0x8000000000\n  csrc mstatus, t1\n"
              "  li t1, (1 << 17)\n  or t1, t1, a1\n  csrs mstatus, t1\n  ld a0, 0(a0)\n  csrc mstatus, t1")
/* vector: vle64 from a0, vse64 to a1 (two elements) */
FN(x_vcopy, ".option push\n.option arch, +v\n  li t0, 2\n  vsetvli t0, t0, e64, m1, ta, ma\n"
            "  vle64.v v1, (a0)\n  vse64.v v1, (a1)\n.option pop\n  li a0, 1")

static u64 vcopy(u64 from, u64 to) {
  register u64 a0 asm("a0") = from;
  register u64 a1 asm("a1") = to;
  asm volatile("call x_vcopy" : "+r"(a0) : "r"(a1) : "ra", "t0", "t1", "memory");
  return a0;
}
static u64 lrsc(u64 lr_addr, u64 sc_addr) {
  register u64 a0 asm("a0") = lr_addr;
  register u64 a1 asm("a1") = sc_addr;
  asm volatile("call x_lrsc" : "+r"(a0) : "r"(a1) : "ra", "t0", "memory");
  return a0;
}
static u64 mprv_ld(u64 addr, u64 bits) {
  register u64 a0 asm("a0") = addr;
  register u64 a1 asm("a1") = bits;
  asm volatile("call x_mprv_ld" : "+r"(a0) : "r"(a1) : "ra", "t1", "memory");
  return a0;
}

/* A faulting access: returns mcause, *tval = mtval. */
static u64 fault_of(int mode, u64 (*fn)(u64), u64 addr, u64 *tval) {
  trap_arm();
  run_in_mode(mode, fn, addr);
  trap_disarm();
  *tval = mtrap.tval;
  return mtrap.count == 1 ? mtrap.cause : 0x100 + mtrap.count;
}
static u64 m_fault_of(u64 (*fn)(u64), u64 addr, u64 *tval) {
  trap_arm();
  fn(addr);
  trap_disarm();
  *tval = mtrap.tval;
  return mtrap.count == 1 ? mtrap.cause : 0x100 + mtrap.count;
}

static u64 vs_fault_of(u64 (*fn)(u64), u64 addr, u64 *tval) {
  trap_arm();
  run_vs(fn, addr);
  trap_disarm();
  *tval = mtrap.tval;
  return mtrap.count == 1 ? mtrap.cause : 0x100 + mtrap.count;
}

static void m_mode(void) {
  u64 d = (u64)&data[0], tval, c;
  data[0] = 0x1111222233334444UL;
  check("m.mseccfg-reset", PMM_OF(rcsr(0x747)), 0);
  /* off: the tag is part of the (physical) address */
  c = m_fault_of(x_ld, TAG7(d, 0x55), &tval);
  check("m.off-faults", c, CAUSE_LOAD_ACCESS);
  check("m.off-tval-untransformed", tval, TAG7(d, 0x55));
  /* PMLEN 7 */
  wcsr(0x747, PMM(2));
  check("m.pmm7-reads", PMM_OF(rcsr(0x747)), 2);
  check("m.pmm7-ld", x_ld(TAG7(d, 0x55)), 0x1111222233334444UL);
  x_sd(TAG7(d, 0x7f));
  check("m.pmm7-sd", data[0], 0x5d5d);
  check("m.pmm7-amoadd-old", x_amoadd(TAG7(d, 0x01)), 0x5d5d);
  check("m.pmm7-amoadd-new", data[0], 0x5d62);
  check("m.pmm7-fld", x_fld(TAG7(d, 0x40)), 0x5d62);
  check("m.pmm7-lr-sc-other-tag", lrsc(TAG7(d, 0x11), TAG7(d, 0x22)), 0);
  check("m.pmm7-sc-stored", data[0], 0x5d63);
  for (int i = 0; i < 8; i++) block[i] = ~0UL;
  x_cbo_zero(TAG7((u64)&block[0], 0x33));
  check("m.pmm7-cbo-zero", block[0] | block[7], 0);
  data[1] = 0xabcdef;
  vcopy(TAG7(d, 0x3c), TAG7((u64)&block[2], 0x66));
  check("m.pmm7-vle-vse", (block[2] ^ data[0]) | (block[3] ^ 0xabcdef), 0);
  /* bit 56 survives PMLEN 7 (zero-extension keeps bits 56:0): the fault reports the transformed
   * address */
  c = m_fault_of(x_ld, TAG7(d | (1UL << 56), 0x7f), &tval);
  check("m.pmm7-bit56-faults", c, CAUSE_LOAD_ACCESS);
  check("m.pmm7-tval-transformed", tval, d | (1UL << 56));
  /* PMLEN 16 */
  wcsr(0x747, PMM(3));
  check("m.pmm16-ld", x_ld(TAG16(d, 0xbeef)), 0x5d63);
  c = m_fault_of(x_ld, TAG16(d | (1UL << 47), 0xbeef), &tval);
  check("m.pmm16-bit47-faults", c, CAUSE_LOAD_ACCESS);
  check("m.pmm16-tval-transformed", tval, d | (1UL << 47));
  /* reserved 01: the field keeps 11 */
  wcsr(0x747, PMM(1));
  check("m.pmm-reserved-write-ignored", PMM_OF(rcsr(0x747)), 3);
  /* instruction fetch is not masked */
  c = m_fault_of(x_call, TAG16((u64)x_ret7, 0x1234), &tval);
  check("m.fetch-not-masked", c, CAUSE_FETCH_ACCESS);
  check("m.fetch-tval", tval, TAG16((u64)x_ret7, 0x1234));
  check("m.untagged-call", x_call((u64)x_ret7), 7);
  /* MXR is not in effect for M's own accesses */
  scsr(mstatus, MSTATUS_MXR);
  check("m.mxr-no-effect-in-m", x_ld(TAG16(d, 0x0102)), 0x5d63);
  ccsr(mstatus, MSTATUS_MXR);
  wcsr(0x747, 0);
  c = m_fault_of(x_ld, TAG16(d, 0x0102), &tval);
  check("m.off-again", c, CAUSE_LOAD_ACCESS);
}

static void mprv(void) {
  u64 d = (u64)&data[0], tval, c;
  data[0] = 0x600d;
  /* MPRV with MPP = S: menvcfg.PMM, not mseccfg's */
  wcsr(menvcfg, PMM(3));
  check("mprv.s-pmm16", mprv_ld(TAG16(d, 0xcafe), 1UL << 11), 0x600d);
  /* MXR at the effective mode S disables masking */
  trap_arm();
  mprv_ld(TAG16(d, 0xcafe), (1UL << 11) | MSTATUS_MXR);
  trap_disarm();
  check("mprv.s-mxr-unmasked", mtrap.cause, CAUSE_LOAD_ACCESS);
  check("mprv.s-mxr-tval", mtrap.tval, TAG16(d, 0xcafe));
  wcsr(menvcfg, 0);
  /* MPP = S with MPV: VS, henvcfg.PMM */
  wcsr(0x60a, PMM(2));
  check("mprv.henvcfg-reads", PMM_OF(rcsr(0x60a)), 2);
  check("mprv.vs-henvcfg", mprv_ld(TAG7(d, 0x2b), (1UL << 11) | MPV), 0x600d);
  /* MPP = U with MPV: VU, senvcfg.PMM (henvcfg's does not apply) */
  wcsr(senvcfg, PMM(3));
  check("mprv.vu-senvcfg", mprv_ld(TAG16(d, 0x4321), MPV), 0x600d);
  wcsr(senvcfg, 0);
  trap_arm();
  mprv_ld(TAG16(d, 0x4321), MPV);
  trap_disarm();
  check("mprv.vu-not-henvcfg", mtrap.cause, CAUSE_LOAD_ACCESS);
  wcsr(0x60a, 0);
  (void)c;
  (void)tval;
}

static void s_and_u(void) {
  u64 d = (u64)&data[0], tval, c;
  data[0] = 0x5555;
  /* S, Bare: menvcfg.PMM, zero-extension */
  wcsr(menvcfg, PMM(2));
  check("s.bare-pmm7", run_in_mode(PRV_S, x_ld, TAG7(d, 0x41)), 0x5555);
  c = fault_of(PRV_S, x_ld, TAG7(d | (1UL << 56), 0x41), &tval);
  check("s.bare-zero-extends", c, CAUSE_LOAD_ACCESS);
  check("s.bare-tval", tval, d | (1UL << 56));
  wcsr(menvcfg, 0);
  wcsr(senvcfg, PMM(3)); /* U's, not S's */
  c = fault_of(PRV_S, x_ld, TAG7(d, 0x41), &tval);
  check("s.senvcfg-not-for-s", c, CAUSE_LOAD_ACCESS);
  check("s.off-tval", tval, TAG7(d, 0x41));
  /* U, Bare: senvcfg.PMM */
  check("u.bare-pmm16", run_in_mode(PRV_U, x_ld, TAG16(d, 0xfeed)), 0x5555);
  run_in_mode(PRV_U, x_sd, TAG16(d, 0x0001));
  check("u.sd", data[0], 0x5d5d);
  wcsr(senvcfg, 0);
  c = fault_of(PRV_U, x_ld, TAG16(d, 0xfeed), &tval);
  check("u.off-faults", c, CAUSE_LOAD_ACCESS);
  /* S with Sv39: virtual addresses are sign-extended from bit 56. RAM's 1G at 0x80000000 is
   * mapped twice: identity and at 0xffffffffc0000000 (root entry 511). */
  root[2] = ((0x80000000UL >> 12) << 10) | 0xcf; /* V R W X A D */
  root[511] = ((0x80000000UL >> 12) << 10) | 0xcf;
  wcsr(satp, (8UL << 60) | ((u64)root >> 12));
  asm volatile("sfence.vma" ::: "memory");
  u64 neg = 0xffffffffc0000000UL + (d - 0x80000000UL);
  wcsr(menvcfg, PMM(2));
  check("s.sv39-negative-alias", run_in_mode(PRV_S, x_ld, neg), 0x5d5d);
  check("s.sv39-tagged-negative", run_in_mode(PRV_S, x_ld, TAG7(neg, 0x2a)), 0x5d5d);
  check("s.sv39-tagged-positive", run_in_mode(PRV_S, x_ld, TAG7(d, 0x2a)), 0x5d5d);
  /* an unmapped negative address: the page fault reports the sign-extended address */
  c = fault_of(PRV_S, x_ld, TAG7(0xffffffff80000000UL, 0x15), &tval);
  check("s.sv39-fault", c, CAUSE_LOAD_PAGE);
  check("s.sv39-tval-sign-extended", tval, 0xffffffff80000000UL);
  wcsr(menvcfg, PMM(3));
  check("s.sv39-pmm16", run_in_mode(PRV_S, x_ld, TAG16(neg, 0x7777)), 0x5d5d);
  wcsr(menvcfg, 0);
  wcsr(satp, 0);
  asm volatile("sfence.vma" ::: "memory");
}

static void vs(void) {
  u64 d = (u64)&data[0], tval, c;
  data[0] = 0x7654;
  m_exc_hook = vs_exit_hook;
  /* VS with vsatp and hgatp Bare: henvcfg.PMM, guest-physical (zero-extended) */
  wcsr(0x60a, PMM(2));
  check("vs.henvcfg-pmm7", run_vs(x_ld, TAG7(d, 0x12)), 0x7654);
  c = vs_fault_of(x_ld, TAG7(d | (1UL << 56), 0x12), &tval);
  check("vs.zero-extends", c, CAUSE_LOAD_ACCESS);
  check("vs.tval", tval, d | (1UL << 56));
  /* vsstatus.MXR is in effect in VS: no masking */
  scsr(0x200, MSTATUS_MXR);
  c = vs_fault_of(x_ld, TAG7(d, 0x12), &tval);
  check("vs.vsstatus-mxr-unmasked", c, CAUSE_LOAD_ACCESS);
  ccsr(0x200, MSTATUS_MXR);
  /* senvcfg is VU's, menvcfg HS's: neither applies to VS */
  wcsr(0x60a, 0);
  wcsr(senvcfg, PMM(3));
  wcsr(menvcfg, PMM(3));
  c = vs_fault_of(x_ld, TAG16(d, 0x9999), &tval);
  check("vs.only-henvcfg", c, CAUSE_LOAD_ACCESS);
  wcsr(senvcfg, 0);
  wcsr(menvcfg, 0);
  m_exc_hook = 0;
}

static void hlv(void) {
  u64 d = (u64)&data[0], tval, c;
  data[0] = 0x4242;
  /* from M: SPVP = 1 -> VS -> henvcfg.PMM */
  wcsr(0x600, HSTATUS_SPVP);
  wcsr(0x60a, PMM(2));
  check("hlv.spvp1-henvcfg", x_hlv_d(TAG7(d, 0x70)), 0x4242);
  x_hsv_d(TAG7(d, 0x70));
  check("hsv.spvp1", data[0], 0x4848);
  /* HLVX is never masked */
  c = m_fault_of(x_hlvx_wu, TAG7(d, 0x70), &tval);
  check("hlvx.not-masked", c, CAUSE_LOAD_ACCESS);
  check("hlvx.tval", tval, TAG7(d, 0x70));
  /* SPVP = 0 -> VU; in M/HS senvcfg.PMM */
  wcsr(0x600, 0);
  c = m_fault_of(x_hlv_d, TAG7(d, 0x70), &tval);
  check("hlv.spvp0-not-henvcfg", c, CAUSE_LOAD_ACCESS);
  wcsr(senvcfg, PMM(3));
  check("hlv.spvp0-senvcfg", x_hlv_d(TAG16(d, 0xabcd)), 0x4848);
  /* mstatus.MXR: no masking */
  scsr(mstatus, MSTATUS_MXR);
  c = m_fault_of(x_hlv_d, TAG16(d, 0xabcd), &tval);
  check("hlv.mxr-unmasked", c, CAUSE_LOAD_ACCESS);
  ccsr(mstatus, MSTATUS_MXR);
  /* from U (hstatus.HU): hstatus.HUPMM, not senvcfg.PMM */
  wcsr(0x600, HSTATUS_HU | HUPMM(2));
  check("hstatus.hupmm-reads", (rcsr(0x600) >> 48) & 3, 2);
  wcsr(senvcfg, 0);
  check("hlv.u-hupmm", run_in_mode(PRV_U, x_hlv_d, TAG7(d, 0x33)), 0x4848);
  wcsr(0x600, HSTATUS_HU);
  wcsr(senvcfg, PMM(3));
  c = fault_of(PRV_U, x_hlv_d, TAG16(d, 0x3333), &tval);
  check("hlv.u-not-senvcfg", c, CAUSE_LOAD_ACCESS);
  wcsr(senvcfg, 0);
  wcsr(0x60a, 0);
  wcsr(0x600, 0);
}

static void warl(void) {
  wcsr(menvcfg, PMM(2));
  wcsr(menvcfg, PMM(1));
  check("warl.menvcfg-reserved", PMM_OF(rcsr(menvcfg)), 2);
  wcsr(menvcfg, PMM(3));
  check("warl.menvcfg-16", PMM_OF(rcsr(menvcfg)), 3);
  wcsr(menvcfg, 0);
  wcsr(senvcfg, PMM(3));
  wcsr(senvcfg, PMM(1));
  check("warl.senvcfg-reserved", PMM_OF(rcsr(senvcfg)), 3);
  wcsr(senvcfg, 0);
  wcsr(0x60a, PMM(2));
  wcsr(0x60a, PMM(1));
  check("warl.henvcfg-reserved", PMM_OF(rcsr(0x60a)), 2);
  wcsr(0x60a, 0);
  wcsr(0x600, HUPMM(3));
  wcsr(0x600, HUPMM(1));
  check("warl.hupmm-reserved", (rcsr(0x600) >> 48) & 3, 3);
  wcsr(0x600, 0);
  check("warl.hupmm-cleared", (rcsr(0x600) >> 48) & 3, 0);
}

int main(void) {
  csr_set(mstatus, MSTATUS_FS | (3UL << 9)); /* FS, VS on */
  m_mode();
  mprv();
  s_and_u();
  vs();
  hlv();
  warl();
  finish();
}
