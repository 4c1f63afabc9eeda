/*
 * A bare-metal hypervisor (H extension), run with -cpu rv64,h=true (see ../riscv64/README.md
 * for the shared start-up; tests/tcg-hyp.test.js runs it on qemu-system-riscv64 and tsqemu).
 *
 * M mode probes the hypervisor CSRs' WARL masks, then runs hs_main in HS mode. HS builds
 * G-stage tables (Sv39x4: GPA 0-1G and 2G-3G identity gigapages, GPA 4G -> one host page,
 * GPA 4G+4K not mapped) and VS-stage tables (Sv39 in guest memory: GVA 0-1G and 2G-3G
 * identity, GVA 1G -> GPA 4G, 1G+4K -> GPA 4G+4K, 1G+8K not mapped), enters the guest (VS
 * mode, two-stage paging) with sret, and logs every trap it gets: guest-page faults with
 * htval, VS ecalls, virtual-instruction exceptions, HS interrupts taken while V=1. The guest
 * takes virtual software/timer interrupts (hvip, hideleg) and delegated exceptions (hedeleg)
 * in its own handler. Then HLV/HLVX/HSV from HS, hfence, MPRV with MPV from M, and an
 * exception from VS straight to M (mstatus.MPV, mret back into VS).
 *
 * Everything printed (CSR values, trap records) must be equal on both emulators. Left out
 * where QEMU 7.2 (the reference here) differs from the spec and QEMU 10.2: a synchronous
 * cause 2/6/10 delegated to VS (7.2 reports cause - 1), tval of HLV in VS (stale), satp under
 * VTVM (7.2 does not trap), vsip.STIP (7.2 reads 0), HLV with SPVP = 0 to an S page and HLVX
 * to a page without X (7.2 allows both), ebreak's mtval, non-canonical hgatp modes (7.2
 * keeps them), vstvec/vsepc written with all ones.
 */
#include "hyp.h"

#define CSR_HSTATUS 0x600
#define HSTATUS_SPV (1UL << 7)
#define HSTATUS_SPVP (1UL << 8)
#define HSTATUS_HU (1UL << 9)
#define HSTATUS_VTVM (1UL << 20)
#define HSTATUS_VTW (1UL << 21)
#define HSTATUS_VTSR (1UL << 22)
#define MIP_VSSIP (1UL << 2)
#define MIP_VSTIP (1UL << 6)
#define MIP_VSEIP (1UL << 10)
#define GCALL_CLEAR_VSTIP 2
#define GCALL_SET_VSSIP 3
#define GCALL_SET_VSTIP 4

#define PTE_V 1UL
#define PTE_R 2UL
#define PTE_W 4UL
#define PTE_X 8UL
#define PTE_U 16UL
#define PTE_A 64UL
#define PTE_D 128UL

#define GVA_DATA 0x40000000UL
#define GPA_DATA 0x100000000UL


extern char __pages_start[];
static u64 *pool_next;
static u64 *alloc_pages(int n, u64 align) {
  u64 p = (u64)pool_next;
  p = (p + align - 1) & ~(align - 1);
  pool_next = (u64 *)(p + 4096UL * n);
  memset((void *)p, 0, 4096UL * n);
  return (u64 *)p;
}
static u64 *host_data;

/* ---- HS trap handler ------------------------------------------------------------------------ */
static volatile int hs_traps, vs_traps;

void hs_handler(u64 *regs) {
  u64 cause = rcsr(scause), epc = rcsr(sepc), tval = rcsr(stval);
  u64 hstatus = rcsr(0x600), htval = rcsr(0x643), htinst = rcsr(0x64a);
  u64 sstatus = rcsr(sstatus);
  hs_traps++;
  if (cause == 10 && regs[17] == MAGIC_GUEST_EXIT) {
    tprintf("HS: guest exit hstatus=%lx\n", hstatus);
    wcsr(sepc, (u64)return_to_hs);
    ccsr(0x600, HSTATUS_SPV); /* sret stays in HS */
    return;
  }
  tprintf("HS trap cause=%lx epc=%lx tval=%lx htval=%lx htinst=%lx hstatus=%lx spp=%lx spie=%lx\n",
          cause, epc, tval, htval, htinst, hstatus, (sstatus >> 8) & 1, (sstatus >> 5) & 1);
  if (cause & CAUSE_INTERRUPT) {
    u64 irq = cause & 63;
    if (irq == 1) ccsr(sip, 2);
    if (irq == 10) ccsr(0x645, MIP_VSEIP);
    tprintf("HS   hvip=%lx hip=%lx\n", rcsr(0x645), rcsr(0x644));
    return;
  }
  if (cause == 10) {
    switch (regs[17]) {
    case GCALL_CLEAR_VSTIP: ccsr(0x645, MIP_VSTIP); break;
    case GCALL_SET_VSSIP: scsr(0x645, MIP_VSSIP); break;
    case GCALL_SET_VSTIP: scsr(0x645, MIP_VSTIP); break;
    default: tprintf("HS   unknown guest call %lx\n", regs[17]);
    }
    tprintf("HS   hvip=%lx vsip.SSIP=%lx\n", rcsr(0x645), rcsr(0x244) & 2);
    wcsr(sepc, epc + 4);
    return;
  }
  if (cause == 20) { /* fetch guest-page fault: back to the caller */
    wcsr(sepc, regs[1]);
    return;
  }
  wcsr(sepc, epc + 4);
}

/* ---- VS (guest) trap handler ---------------------------------------------------------------- */
static inline void gcall(u64 n) {
  register u64 a7 asm("a7") = n;
  asm volatile("ecall" : "+r"(a7) : : "memory");
}

void vs_handler(u64 *regs) {
  u64 cause = rcsr(scause), epc = rcsr(sepc), tval = rcsr(stval), sstatus = rcsr(sstatus);
  (void)regs;
  vs_traps++;
  tprintf("VS trap cause=%lx epc=%lx tval=%lx spp=%lx spie=%lx sie=%lx sip.SSIP=%lx\n", cause, epc, tval,
          (sstatus >> 8) & 1, (sstatus >> 5) & 1, rcsr(sie), rcsr(sip) & 2);
  if (cause & CAUSE_INTERRUPT) {
    u64 irq = cause & 63;
    if (irq == 1) ccsr(sip, 2); /* vsip.SSIP -> hvip.VSSIP */
    if (irq == 5) gcall(GCALL_CLEAR_VSTIP);
    tprintf("VS   sip.SSIP=%lx\n", rcsr(sip) & 2);
    return;
  }
  wcsr(sepc, epc + 4);
}

/* ---- guest code (runs in VS mode, two-stage translated) ------------------------------------- */
#define G_LD(addr) ({ u64 v_ = 0x5a5a; asm volatile(".option push\n.option norvc\nld %0, 0(%1)\n.option pop" : "+r"(v_) : "r"(addr) : "memory"); v_; })
#define G_SD(addr, v) asm volatile(".option push\n.option norvc\nsd %1, 0(%0)\n.option pop" : : "r"(addr), "r"((u64)(v)) : "memory")
#define G_INSN(s) asm volatile(".option push\n.option norvc\n" s "\n.option pop" ::: "memory")

static void guest_basic(void) {
  tprintf("G: sstatus=%lx satp=%lx\n", rcsr(sstatus) & 0x1ff, rcsr(satp));
  tprintf("G: load data=%lx\n", G_LD(GVA_DATA));
  G_SD(GVA_DATA + 8, 0xfeedf00dcafe1234UL);
  tprintf("G: stored\n");
  /* hardware A/D on a VS PTE whose A and D are clear (GVA_DATA + 12K) */
  G_SD(GVA_DATA + 0x3000 + 16, 0x77);
  tprintf("G: load through A/D page=%lx\n", G_LD(GVA_DATA + 0x3000 + 16));
}

static void guest_faults(void) {
  tprintf("G: guest-page faults\n");
  tprintf("G: load unmapped GPA -> %lx\n", G_LD(GVA_DATA + 0x1008));
  G_SD(GVA_DATA + 0x1010, 1);
  {
    void (*f)(void) = (void (*)(void))(GVA_DATA + 0x1000);
    f();
  }
  tprintf("G: VS page faults\n");
  tprintf("G: load unmapped GVA -> %lx\n", G_LD(GVA_DATA + 0x2000)); /* delegated to VS */
  G_SD(GVA_DATA + 0x2008, 2); /* store page fault: HS */
  tprintf("G: virtual instructions\n");
  G_INSN("csrr t0, 0x600");        /* hstatus */
  G_INSN("csrr t0, 0x200");        /* vsstatus */
  G_INSN(".insn r 0x73, 0, 0x11, x0, x0, x0"); /* hfence.vvma */
  G_INSN("csrr t0, mstatus");      /* M CSR: illegal */
  G_INSN("rdtime t0");             /* hcounteren.TM = 0 */
  G_INSN("rdcycle t0");            /* hcounteren.CY = 1: fine */
  tprintf("G: after counters\n");
}

static void guest_vtrap(void) {
  tprintf("G: VTVM/VTW/VTSR\n");
  G_INSN("sfence.vma");
  G_INSN("wfi");
  G_INSN("sret");
}

static void guest_irqs(void) {
  tprintf("G: virtual interrupts\n");
  scsr(sie, (1 << 1) | (1 << 5));
  tprintf("G: sie=%lx\n", rcsr(sie));
  scsr(sstatus, MSTATUS_SIE);
  gcall(GCALL_SET_VSSIP);
  tprintf("G: after VSSI\n");
  gcall(GCALL_SET_VSTIP);
  tprintf("G: after VSTI\n");
  /* pending but masked by the guest's SIE */
  ccsr(sstatus, MSTATUS_SIE);
  gcall(GCALL_SET_VSSIP);
  tprintf("G: masked sip=%lx\n", rcsr(sip));
  scsr(sstatus, MSTATUS_SIE);
  tprintf("G: unmasked\n");
  ccsr(sstatus, MSTATUS_SIE);
}

static void guest_to_m(void) {
  tprintf("G: ebreak to M\n");
  G_INSN("ebreak");
  tprintf("G: back from M\n");
}

static void guest_fp(void) {
  tprintf("G: FP with HS's FS off: sstatus.FS=%lx\n", (rcsr(sstatus) >> 13) & 3);
  G_INSN("csrr t0, fcsr");
  G_INSN("fmv.x.d t0, f0");
  scsr(sstatus, MSTATUS_FS);
  tprintf("G: sstatus.FS=%lx\n", (rcsr(sstatus) >> 13) & 3);
  G_INSN("csrr t0, fcsr");
}

static void guest_hs_irq(void) {
  tprintf("G: running\n");
}

/* ---- HS ------------------------------------------------------------------------------------- */
static u64 pte(u64 pa, u64 flags) { return ((pa >> 12) << 10) | flags; }

static u64 hlv_d(u64 va) { u64 v; asm volatile(".insn r 0x73, 4, 0x36, %0, %1, x0" : "=r"(v) : "r"(va) : "memory"); return v; }
static u64 hlv_b(u64 va) { u64 v; asm volatile(".insn r 0x73, 4, 0x30, %0, %1, x0" : "=r"(v) : "r"(va) : "memory"); return v; }
static u64 hlv_bu(u64 va) { u64 v; asm volatile(".insn r 0x73, 4, 0x30, %0, %1, x1" : "=r"(v) : "r"(va) : "memory"); return v; }
static u64 hlv_h(u64 va) { u64 v; asm volatile(".insn r 0x73, 4, 0x32, %0, %1, x0" : "=r"(v) : "r"(va) : "memory"); return v; }
static u64 hlv_wu(u64 va) { u64 v; asm volatile(".insn r 0x73, 4, 0x34, %0, %1, x1" : "=r"(v) : "r"(va) : "memory"); return v; }
static u64 hlvx_wu(u64 va) { u64 v = 0x5a5a; asm volatile(".option push\n.option norvc\n.insn r 0x73, 4, 0x34, %0, %1, x3\n.option pop" : "+r"(v) : "r"(va) : "memory"); return v; }
static u64 hlv_d_nc(u64 va) { u64 v = 0x5a5a; asm volatile(".option push\n.option norvc\n.insn r 0x73, 4, 0x36, %0, %1, x0\n.option pop" : "+r"(v) : "r"(va) : "memory"); return v; }
static void hsv_w(u64 va, u64 v) { asm volatile(".insn r 0x73, 4, 0x35, x0, %0, %1" : : "r"(va), "r"(v) : "memory"); }
static void hsv_d(u64 va, u64 v) { asm volatile(".insn r 0x73, 4, 0x37, x0, %0, %1" : : "r"(va), "r"(v) : "memory"); }

static u64 hs_main(u64 arg) {
  (void)arg;
  wcsr(stvec, (u64)hs_trap_entry);
  wcsr(sscratch, (u64)(hs_stack + 1024));
  /* G stage: Sv39x4, root 16 KiB (2048 entries). */
  u64 *groot = alloc_pages(4, 16384);
  groot[0] = pte(0, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
  groot[2] = pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
  u64 *g1 = alloc_pages(1, 4096), *g0 = alloc_pages(1, 4096);
  groot[4] = pte((u64)g1, PTE_V);
  g1[0] = pte((u64)g0, PTE_V);
  host_data = alloc_pages(4, 4096);
  g0[0] = pte((u64)host_data, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
  /* g0[1]: GPA 4G+4K not mapped */
  g0[2] = pte((u64)host_data + 0x2000, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
  g0[3] = pte((u64)host_data + 0x3000, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
  host_data[0] = 0x1122334455667788UL;
  host_data[1] = 0;
  /* VS stage: Sv39, tables in guest memory (GPA = HPA in 2G-3G). */
  u64 *vroot = alloc_pages(1, 4096), *v1 = alloc_pages(1, 4096), *v0 = alloc_pages(1, 4096);
  vroot[0] = pte(0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  vroot[2] = pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
  vroot[1] = pte((u64)v1, PTE_V);
  v1[0] = pte((u64)v0, PTE_V);
  v0[0] = pte(GPA_DATA, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  v0[1] = pte(GPA_DATA + 0x1000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
  /* v0[2]: not mapped */
  v0[3] = pte(GPA_DATA + 0x3000, PTE_V | PTE_R | PTE_W); /* A, D clear: hardware sets them */
  v0[4] = pte(GPA_DATA + 0x2000, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D); /* a U page */

  wcsr(0x680, (8UL << 60) | ((u64)groot >> 12));
  tprintf("HS: hgatp=%lx\n", rcsr(0x680) >> 60);
  asm volatile(".insn r 0x73, 0, 0x31, x0, x0, x0" ::: "memory"); /* hfence.gvma */
  wcsr(0x280, (8UL << 60) | ((u64)vroot >> 12));
  wcsr(0x205, (u64)vs_trap_entry);
  wcsr(0x240, (u64)(vs_stack + 1024));
  /* hedeleg: load page fault to VS; hideleg: VSSI and VSTI */
  wcsr(0x602, 1UL << 13);
  wcsr(0x603, MIP_VSSIP | MIP_VSTIP);
  wcsr(0x606, 1); /* hcounteren: CY only */
  wcsr(0x600, HSTATUS_SPVP);
  tprintf("HS: hedeleg=%lx hideleg=%lx hstatus=%lx\n", rcsr(0x602), rcsr(0x603), rcsr(0x600));

  run_guest(guest_basic);
  tprintf("HS: host data[1]=%lx data[3K+16]=%lx vs pte=%lx\n", host_data[1], host_data[0x3000 / 8 + 2], v0[3] & 0xff);
  run_guest(guest_faults);
  wcsr(0x600, rcsr(0x600) | HSTATUS_VTVM | HSTATUS_VTW | HSTATUS_VTSR);
  run_guest(guest_vtrap);
  ccsr(0x600, HSTATUS_VTVM | HSTATUS_VTW | HSTATUS_VTSR);
  run_guest(guest_irqs);
  tprintf("HS: vsie=%lx vsip=%lx hie=%lx hip=%lx\n", rcsr(0x204), rcsr(0x244), rcsr(0x604), rcsr(0x644));

  /* HS interrupts while V=1: SSI pending with HS's SIE clear; VSEI not delegated to VS. */
  scsr(sie, 2);
  scsr(0x604, MIP_VSEIP);
  tprintf("HS: hie=%lx sie=%lx\n", rcsr(0x604), rcsr(sie));
  scsr(sip, 2);
  scsr(0x645, MIP_VSEIP);
  tprintf("HS: sip=%lx hvip=%lx\n", rcsr(sip), rcsr(0x645));
  run_guest(guest_hs_irq);
  ccsr(sie, 2);
  ccsr(0x604, MIP_VSEIP);

  /* HLV/HLVX/HSV as the guest (SPVP = 1: VS) */
  tprintf("HS: hlv.d=%lx hlv.b=%lx hlv.bu=%lx hlv.h=%lx hlv.wu=%lx\n", hlv_d(GVA_DATA), hlv_b(GVA_DATA),
          hlv_bu(GVA_DATA), hlv_h(GVA_DATA + 6), hlv_wu(GVA_DATA + 4));
  hsv_w(GVA_DATA + 16, 0xabcdef01);
  hsv_d(GVA_DATA + 24, 0x0102030405060708UL);
  tprintf("HS: after hsv data[2]=%lx data[3]=%lx\n", host_data[2], host_data[3]);
  tprintf("HS: hlvx.wu code=%lx\n", hlvx_wu((u64)guest_basic) == *(u32 *)guest_basic);
  tprintf("HS: hlv.d guest-page fault\n");
  tprintf("HS:  -> %lx\n", hlv_d_nc(GVA_DATA + 0x1000));
  ccsr(0x600, HSTATUS_SPVP);
  tprintf("HS: hlv.d from VU to a U page=%lx\n", hlv_d_nc(GVA_DATA + 0x4000));
  scsr(0x600, HSTATUS_SPVP);
  asm volatile(".insn r 0x73, 0, 0x11, x0, x0, x0" ::: "memory"); /* hfence.vvma */
  /* Remap GVA_DATA to another page: after hfence.vvma the guest sees it. */
  host_data[0x2000 / 8] = 0x9999;
  v0[0] = pte(GPA_DATA + 0x2000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  asm volatile(".insn r 0x73, 0, 0x11, x0, x0, x0" ::: "memory");
  tprintf("HS: after remap hlv.d=%lx\n", hlv_d(GVA_DATA));
  run_guest(guest_to_m);
  {
    u64 fs = rcsr(sstatus) & MSTATUS_FS;
    wcsr(0x200, (rcsr(0x200) & ~MSTATUS_FS) | (1UL << 13));
    ccsr(sstatus, MSTATUS_FS);
    run_guest(guest_fp);
    tprintf("HS: vsstatus.FS=%lx sstatus.FS=%lx\n", (rcsr(0x200) >> 13) & 3, (rcsr(sstatus) >> 13) & 3);
    scsr(sstatus, fs);
  }
  tprintf("HS: traps=%d guest traps=%d\n", hs_traps, vs_traps);
  return 0;
}

/* ---- M -------------------------------------------------------------------------------------- */
static int m_hook(struct trap_frame *f) {
  u64 mstatus = csr_read(mstatus);
  tprintf("M trap cause=%lx epc=%lx tval=%lx mtval2=%lx mtinst=%lx mpv=%lx gva=%lx mpp=%lx\n", f->cause, f->epc,
          f->cause == 3 ? 0 : f->tval, rcsr(0x34b), rcsr(0x34a), (mstatus >> 39) & 1, (mstatus >> 38) & 1, (mstatus >> 11) & 3);
  f->epc += 4;
  return 1;
}

/* LCOFIP (bit 13, Sscofpmf) in mideleg/mie is not the H extension's: left out. */
#define PROBE_MASK ~(1UL << 13)
#define PROBE(n, name)                                                      \
  do {                                                                      \
    u64 old_ = rcsr(n);                                                     \
    wcsr(n, -1UL);                                                          \
    u64 ones_ = rcsr(n);                                                    \
    wcsr(n, 0);                                                             \
    u64 zero_ = rcsr(n);                                                    \
    wcsr(n, old_);                                                          \
    tprintf("probe %s reset=%lx ones=%lx zero=%lx\n", name, old_ & PROBE_MASK, ones_ & PROBE_MASK, zero_ & PROBE_MASK); \
  } while (0)

int main(void) {
  pool_next = (u64 *)__pages_start;
  tprintf("misa=%lx\n", csr_read(misa));
  PROBE(0x600, "hstatus");
  PROBE(0x602, "hedeleg");
  PROBE(0x603, "hideleg");
  PROBE(0x604, "hie");
  PROBE(0x606, "hcounteren");
  PROBE(0x607, "hgeie");
  PROBE(0x643, "htval");
  PROBE(0x645, "hvip");
  PROBE(0x644, "hip");
  PROBE(0x64a, "htinst");
  PROBE(0x605, "htimedelta");
  PROBE(0x200, "vsstatus");
  PROBE(0x240, "vsscratch");
  PROBE(0x242, "vscause");
  PROBE(0x243, "vstval");
  PROBE(0x34a, "mtinst");
  PROBE(0x34b, "mtval2");
  PROBE(mideleg, "mideleg");
  PROBE(mie, "mie");
  PROBE(0x603, "hideleg");
  wcsr(0x603, 0x444);
  PROBE(0x204, "vsie");
  PROBE(0x244, "vsip");
  wcsr(0x603, 0);
  wcsr(0x680, (9UL << 60) | 0x1234);
  tprintf("hgatp sv48x4=%lx\n", rcsr(0x680));
  wcsr(0x680, 0);
  wcsr(0x280, (8UL << 60) | 0x42);
  tprintf("vsatp=%lx\n", rcsr(0x280));
  wcsr(0x280, 0);
  tprintf("hgeip=%lx\n", rcsr(0xe12));

  /* HS gets guest-page faults, virtual instructions, VS ecalls, page faults, illegal insns */
  csr_write(medeleg, (1UL << 2) | (1UL << 10) | (1UL << 12) | (1UL << 13) | (1UL << 15) | (1UL << 20) |
                         (1UL << 21) | (1UL << 22) | (1UL << 23));
  csr_write(mideleg, 0x222);
  tprintf("medeleg=%lx mideleg=%lx\n", csr_read(medeleg), csr_read(mideleg));
  m_exc_hook = m_hook;
  /* henvcfg.ADUE (61): hardware A/D updates in the VS stage with Svadu (10.2; 7.2, without
   * Svadu, always updates and ignores the bit) */
  asm volatile("csrs 0x60a, %0" : : "r"(1UL << 61));
  run_in_mode(PRV_S, hs_main, 0);

  /* MPRV with MPV: M loads and stores as the guest. */
  {
    u64 v;
    csr_clear(mstatus, MSTATUS_MPP);
    csr_set(mstatus, (1UL << 11) | MSTATUS_MPRV | (1UL << 39));
    asm volatile("ld %0, 0(%1)" : "=r"(v) : "r"(GVA_DATA) : "memory");
    asm volatile("sd %0, 32(%1)" : : "r"(0x4242UL), "r"(GVA_DATA) : "memory");
    csr_clear(mstatus, MSTATUS_MPRV | (1UL << 39));
    tprintf("M: MPRV+MPV load=%lx stored=%lx\n", v, host_data[0x2000 / 8 + 4]);
  }
  tprintf("done\n");
  return 0;
}
