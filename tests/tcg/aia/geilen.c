/* GEILEN > 0 (-M virt,aia=aplic-imsic,aia-guests=3 with H): MSIs written to the S IMSIC's guest
 * interrupt files drive hgeip (bit g while file g has a deliverable identity), SGEIP follows
 * hgeip & hgeie, VSEIP the file hstatus.VGEIN selects; vsiselect/vsireg/vstopei/vstopi reach
 * that file from M, and VS mode claims through siselect/sireg/stopei (which are the VS ones);
 * an SGEI interrupt is taken in HS while the guest runs. */
#include "imsic-csr.h"

#define CSR_HSTATUS 0x600
#define CSR_HIDELEG 0x603
#define CSR_HIE 0x604
#define CSR_HGEIE 0x607
#define CSR_HIP 0x644
#define CSR_HVIP 0x645
#define CSR_HGEIP 0xe12
#define CSR_VSISELECT 0x250
#define CSR_VSIREG 0x251
#define CSR_VSTOPEI 0x25c
#define CSR_VSTOPI 0xeb0
#define MIP_VSEIP (1UL << 10)
#define MIP_SGEIP (1UL << 12)
#define MSTATUS_MPV (1UL << 39)
#define CAUSE_VS_ECALL 10
#define CAUSE_VIRT_INSN 22
#define GUEST(g) (IMSIC_S + (g) * 0x1000UL)

static void vgein(u64 g) {
  u64 h = CSRR(CSR_HSTATUS);
  CSRW(CSR_HSTATUS, (h & ~(0x3fUL << 12)) | (g << 12));
}
static void vsireg_w(u64 isel, u64 v) { CSRW(CSR_VSISELECT, isel); CSRW(CSR_VSIREG, v); }
static u64 vsireg_r(u64 isel) { CSRW(CSR_VSISELECT, isel); return CSRR(CSR_VSIREG); }
static void lines(const char *what) {
  tprintf("%s: hgeip=%lx mip=%lx hip=%lx hvip=%lx vstopei=%lx\n", what, CSRR(CSR_HGEIP),
          csr_read(mip) & (MIP_SGEIP | MIP_VSEIP), CSRR(CSR_HIP), CSRR(CSR_HVIP), CSRR(CSR_VSTOPEI));
}

/* the VS side's return: an ecall from VS (cause 10) with a7 = the magic number */
static int exc_hook(struct trap_frame *f) {
  if (f->cause == CAUSE_VS_ECALL && f->regs[17] == MAGIC_RETURN_TO_M) {
    extern char return_to_m[];
    f->epc = (u64)return_to_m;
    csr_set(mstatus, MSTATUS_MPP);
    csr_clear(mstatus, MSTATUS_MPV);
    return 1;
  }
  return 0;
}

static u64 run_vs(u64 (*fn)(u64), u64 arg) {
  csr_set(mstatus, MSTATUS_MPV);
  return run_in_mode(PRV_S, fn, arg);
}

static void csrs(void) {
  show("hgeip.idle", CSRR(CSR_HGEIP));
  CSRW(CSR_HGEIE, ~0UL);
  show("hgeie.mask", CSRR(CSR_HGEIE));
  CSRW(CSR_HGEIE, 0);
  CSRW(CSR_VSISELECT, ~0UL);
  show("vsiselect.mask", CSRR(CSR_VSISELECT));
  /* VGEIN 0 and VGEIN > GEILEN name no file: vsireg/vstopei are illegal from M */
  static const u64 bad[] = { 0, 4, 63 };
  for (int i = 0; i < 3; i++) {
    vgein(bad[i]);
    CSRW(CSR_VSISELECT, EIDELIVERY);
    trap_arm();
    (void)CSRR(CSR_VSIREG);
    trap_disarm();
    checkf(mtrap.cause, CAUSE_ILLEGAL, "vsireg.vgein%lu", bad[i]);
    trap_arm();
    (void)CSRR(CSR_VSTOPEI);
    trap_disarm();
    checkf(mtrap.cause, CAUSE_ILLEGAL, "vstopei.vgein%lu", bad[i]);
  }
  show("hstatus.vgein63", (CSRR(CSR_HSTATUS) >> 12) & 0x3f);
}

static void files(void) {
  for (u64 g = 1; g <= 3; g++) {
    vgein(g);
    tprintf("file %lu: eidelivery=%lx eithreshold=%lx eie0=%lx\n", g, vsireg_r(EIDELIVERY),
            vsireg_r(EITHRESHOLD), vsireg_r(EIE0));
  }
  vgein(1);
  vsireg_w(EIDELIVERY, 1);
  vsireg_w(EIE0, (1UL << 5) | (1UL << 7) | (1UL << 9));
  lines("enabled");
  mmio_write32(GUEST(1), 7);
  lines("msi7");
  mmio_write32(GUEST(1), 5);
  mmio_write32(GUEST(1), 40); /* not enabled */
  lines("msi5");
  show("file1.eip0", vsireg_r(EIP0));
  /* file 2: delivery off, the identity only pending */
  mmio_write32(GUEST(2), 9);
  vgein(2);
  show("file2.eip0", vsireg_r(EIP0));
  lines("vgein2");
  vsireg_w(EIE0, 1UL << 9);
  lines("file2.eie");
  vsireg_w(EIDELIVERY, 1);
  lines("file2.deliver");
  /* SGEIP: hgeip & hgeie */
  CSRW(CSR_HGEIE, 1UL << 3);
  lines("hgeie3");
  CSRW(CSR_HGEIE, 1UL << 1);
  lines("hgeie1");
  CSRW(CSR_HGEIE, 0);
  /* VSEIP follows VGEIN's file; vstopi with VSEIE */
  vgein(1);
  lines("vgein1");
  show("vstopi.mie0", CSRR(CSR_VSTOPI));
  csr_set(mie, MIP_VSEIP);
  show("vstopi", CSRR(CSR_VSTOPI));
  csr_clear(mie, MIP_VSEIP);
  /* eithreshold hides identities at or above it */
  vsireg_w(EITHRESHOLD, 5);
  lines("thr5");
  vsireg_w(EITHRESHOLD, 6);
  lines("thr6");
  vsireg_w(EITHRESHOLD, 0);
  /* a claim through vstopei */
  show("vstopei.claim", CSRRW(CSR_VSTOPEI, 0));
  lines("claimed5");
  show("file1.eip0.after", vsireg_r(EIP0));
  /* file 2's 9, then nothing */
  vgein(2);
  show("vstopei.claim2", CSRRW(CSR_VSTOPEI, 0));
  lines("claimed9");
}

static volatile u64 vs_vals[8];

/* In VS mode: siselect/sireg/stopei are VGEIN's file. */
static u64 vs_side(u64 arg) {
  (void)arg;
  CSRW(CSR_SISELECT, EIE0);
  vs_vals[0] = CSRR(CSR_SIREG);
  CSRW(CSR_SISELECT, EIP0);
  vs_vals[1] = CSRR(CSR_SIREG);
  vs_vals[2] = CSRR(CSR_STOPEI);
  vs_vals[3] = CSRRW(CSR_STOPEI, 0);
  vs_vals[4] = CSRR(CSR_STOPEI);
  CSRW(CSR_SISELECT, EIP0);
  vs_vals[5] = CSRR(CSR_SIREG);
  vs_vals[6] = CSRR(CSR_SISELECT);
  asm volatile("li a7, %0\n\tecall" : : "i"(MAGIC_RETURN_TO_M) : "a7", "memory");
  return 0;
}

/* In VS mode with VGEIN naming no file: sireg/stopei are virtual-instruction exceptions. */
static u64 vs_bad(u64 arg) {
  (void)arg;
  CSRW(CSR_SISELECT, EIDELIVERY);
  trap_arm();
  (void)CSRR(CSR_SIREG);
  trap_disarm();
  vs_vals[0] = mtrap.cause;
  trap_arm();
  (void)CSRR(CSR_STOPEI);
  trap_disarm();
  vs_vals[1] = mtrap.cause;
  vs_vals[2] = CSRR(CSR_SISELECT);
  asm volatile("li a7, %0\n\tecall" : : "i"(MAGIC_RETURN_TO_M) : "a7", "memory");
  return 0;
}

/* HS's vector for the SGEI test: record scause and hgeip, mask SGEIE, back to the guest. */
volatile u64 sgei_cause, sgei_hgeip;
extern char sgei_vec[];
asm(".align 4\n"
    "sgei_vec:\n"
    "  csrw sscratch, t0\n"
    "  csrw 0x240, t1\n"
    "  csrr t0, scause\n"
    "  la t1, sgei_cause\n"
    "  sd t0, 0(t1)\n"
    "  csrr t0, 0xe12\n"
    "  la t1, sgei_hgeip\n"
    "  sd t0, 0(t1)\n"
    "  li t0, 0x1000\n"
    "  csrc 0x604, t0\n"
    "  csrr t1, 0x240\n"
    "  csrr t0, sscratch\n"
    "  sret\n");

static u64 vs_wait(u64 arg) {
  (void)arg;
  for (int i = 0; i < 100000 && !sgei_cause; i++) asm volatile("" ::: "memory");
  asm volatile("li a7, %0\n\tecall" : : "i"(MAGIC_RETURN_TO_M) : "a7", "memory");
  return 0;
}

static void vs_mode(void) {
  vgein(1);
  mmio_write32(GUEST(1), 7);
  mmio_write32(GUEST(1), 9);
  CSRW(CSR_SISELECT, 0x30);
  run_vs(vs_side, 0);
  for (int i = 0; i < 7; i++) tprintf("vs[%d] = %lx\n", i, vs_vals[i]);
  show("siselect.hs", CSRR(CSR_SISELECT));
  show("vsiselect", CSRR(CSR_VSISELECT));
  lines("after-vs");
  vgein(0);
  run_vs(vs_bad, 0);
  for (int i = 0; i < 3; i++) tprintf("vsbad[%d] = %lx\n", i, vs_vals[i]);
  /* SGEI: file 1 deliverable, hgeie bit 1, hie.SGEIE: taken in HS while V=1 */
  vgein(1);
  /* SGEIP and the VS bits are delegated whatever is written (QEMU 7.2 only sets them on an
   * access; 10.2 from reset) */
  csr_write(mideleg, 0);
  show("mideleg", csr_read(mideleg));
  csr_write(stvec, (u64)sgei_vec);
  CSRW(CSR_HGEIE, 1UL << 1);
  CSRW(CSR_HIE, MIP_SGEIP);
  lines("sgei.armed");
  run_vs(vs_wait, 0);
  show("sgei.cause", sgei_cause);
  show("sgei.hgeip", sgei_hgeip);
  show("hie.after", CSRR(CSR_HIE));
  CSRW(CSR_HGEIE, 0);
  lines("end");
}

int main(void) {
  m_exc_hook = exc_hook;
  csrs();
  files();
  vs_mode();
  finish();
}
