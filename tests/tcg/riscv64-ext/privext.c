/* Privileged extensions against real QEMU (run by tests/cpu-models.test.js with Sstc, Svinval,
 * Svpbmt and Svnapot on): stimecmp and the S timer interrupt (menvcfg.STCE, mcounteren.TM,
 * STIP read-only in mip), sinval.vma / sfence.w.inval / sfence.inval.ir, PBMT bits with and
 * without menvcfg.PBMTE (leaf and pointer), 64 KiB NAPOT pages and malformed ones. */
#include "common.h"

#define PTE_V 0x01UL
#define PTE_R 0x02UL
#define PTE_W 0x04UL
#define PTE_X 0x08UL
#define PTE_U 0x10UL
#define PTE_A 0x40UL
#define PTE_D 0x80UL
#define PTE_PBMT_NC (1UL << 61)
#define PTE_PBMT_IO (2UL << 61)
#define PTE_N (1UL << 63)
#define RAM_BASE 0x80000000UL
#define VA_4K 0x40000000UL
#define MENVCFG_STCE (1UL << 63)
#define MENVCFG_PBMTE (1UL << 62)
#define MIP_STIP (1UL << 5)
#define CSR_STIMECMP 0x14d

extern u8 __pages_start[], __pages_end[];
static u8 *pool_next;
static u64 *root;

static void *alloc_page(void) {
  u8 *p = pool_next;
  pool_next += 4096;
  memset(p, 0, 4096);
  return p;
}
static void *alloc_aligned(u64 align) {
  pool_next = (u8 *)(((u64)pool_next + align - 1) & ~(align - 1));
  return alloc_page();
}

static u64 *pte_slot(u64 va, int leaf) {
  u64 *table = root;
  for (int lvl = 2; lvl > leaf; lvl--) {
    u64 idx = (va >> (12 + 9 * lvl)) & 511;
    if (!(table[idx] & PTE_V)) table[idx] = (((u64)alloc_page() >> 12) << 10) | PTE_V;
    table = (u64 *)((table[idx] >> 10) << 12);
  }
  return &table[(va >> (12 + 9 * leaf)) & 511];
}
static u64 *map(u64 va, u64 pa, int leaf, u64 flags) {
  u64 *slot = pte_slot(va, leaf);
  *slot = ((pa >> 12) << 10) | flags;
  return slot;
}
static void flush(void) { asm volatile("sfence.vma" ::: "memory"); }

#define FN(name, body) asm(".text\n.globl " #name "\n" #name ":\n" body "\n  ret\n"); u64 name(u64);
FN(x_ld, "ld a0, 0(a0)")
FN(x_stimecmp_read, "csrr a0, 0x14d")
FN(x_stimecmp_write, "csrw 0x14d, a0\n  li a0, 1")
FN(x_sinval, ".word 0x16050073\n  li a0, 2")
FN(x_sinval_ld, "ld t0, 0(a0)\n  li t1, 0x40000000\n  .word 0x16030073\n  ld a0, 0(a0)")
FN(x_sfence_w_inval, ".word 0x18000073\n  li a0, 3")
FN(x_sfence_inval_ir, ".word 0x18100073\n  li a0, 4")

static struct trap_rec last;
static u64 in_mode(int mode, u64 (*fn)(u64), u64 arg) {
  trap_arm();
  u64 satp = csr_read(satp);
  if (mode == PRV_U) csr_write(satp, 0); /* U runs untranslated: RAM is mapped for S only */
  u64 r = run_in_mode(mode, fn, arg);
  csr_write(satp, satp);
  asm volatile("sfence.vma" ::: "memory");
  trap_disarm();
  last = *(struct trap_rec *)&mtrap;
  return r;
}

static volatile u64 irq_count, irq_cause;
static void irq_hook(struct trap_frame *f) {
  irq_count++;
  irq_cause = f->cause;
  csr_write(0x14d, ~0UL); /* quiet the timer: STIP drops */
}

static void test_sstc(void) {
  csr_write(menvcfg, MENVCFG_STCE);
  check("menvcfg-stce", csr_read(menvcfg) >> 63, 1);
  csr_write(0x14d, ~0UL);
  check("stimecmp-max-no-stip", csr_read(mip) & MIP_STIP, 0);
  csr_write(0x14d, 0);
  check("stimecmp-zero-stip", csr_read(mip) & MIP_STIP, MIP_STIP);
  csr_clear(mip, MIP_STIP);
  check("stip-not-writable-with-stce", csr_read(mip) & MIP_STIP, MIP_STIP);
  csr_write(0x14d, ~0UL);
  check("stimecmp-back-no-stip", csr_read(mip) & MIP_STIP, 0);
  check("stimecmp-readback", csr_read(0x14d), ~0UL);
  /* the interrupt: mtime + 0.3 s (room for a loaded host between the write and the check),
   * taken in M (not delegated) */
  m_irq_hook = irq_hook;
  irq_count = 0;
  csr_set(mie, MIP_STIP);
  u64 t = mmio_read64(CLINT_MTIME);
  csr_write(0x14d, t + 3000000);
  check("stip-not-yet", csr_read(mip) & MIP_STIP, 0);
  csr_set(mstatus, MSTATUS_MIE);
  while (!irq_count && mmio_read64(CLINT_MTIME) < t + 50000000) asm volatile("nop"); /* up to 5 s */
  csr_clear(mstatus, MSTATUS_MIE);
  csr_clear(mie, MIP_STIP);
  check("sti-taken", irq_count, 1);
  check("sti-cause", irq_cause, CAUSE_INTERRUPT | 5);
  check("sti-mtime-reached", mmio_read64(CLINT_MTIME) >= t + 3000000, 1);
  m_irq_hook = 0;
  /* access from S: needs mcounteren.TM (and STCE) */
  csr_write(mcounteren, 7);
  check("s-read-stimecmp", in_mode(PRV_S, x_stimecmp_read, 0), ~0UL);
  check("s-read-no-trap", last.count, 0);
  in_mode(PRV_S, x_stimecmp_write, 12345);
  check("s-write-no-trap", last.count, 0);
  check("s-write-value", csr_read(0x14d), 12345);
  csr_write(mcounteren, 5);
  in_mode(PRV_S, x_stimecmp_read, 0);
  check("s-read-without-tm", last.cause, CAUSE_ILLEGAL);
  csr_write(mcounteren, 7);
  in_mode(PRV_U, x_stimecmp_read, 0);
  check("u-read", last.cause, CAUSE_ILLEGAL);
  csr_write(0x14d, ~0UL);
}

static void test_svinval(void) {
  u8 *a = alloc_page(), *b = alloc_page();
  *(u64 *)a = 0xaaaa;
  *(u64 *)b = 0xbbbb;
  u64 *pte = map(VA_4K, (u64)a, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  flush();
  /* sinval.vma drops the cached translation: the second load sees the new PTE */
  *pte = (((u64)b >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
  check("sinval-before", in_mode(PRV_S, x_ld, VA_4K), 0xbbbb); /* not cached yet: walks */
  *pte = (((u64)a >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
  in_mode(PRV_S, x_sinval, VA_4K);
  check("sinval-s-no-trap", last.count, 0);
  check("sinval-after", in_mode(PRV_S, x_ld, VA_4K), 0xaaaa);
  check("sfence-w-inval-s", in_mode(PRV_S, x_sfence_w_inval, 0), 3);
  check("sfence-w-inval-s-no-trap", last.count, 0);
  check("sfence-inval-ir-s", in_mode(PRV_S, x_sfence_inval_ir, 0), 4);
  check("sfence-inval-ir-s-no-trap", last.count, 0);
  check("sfence-w-inval-m", in_mode(PRV_M, x_sfence_w_inval, 0), 3);
  in_mode(PRV_U, x_sinval, 0);
  check("sinval-u", last.cause, CAUSE_ILLEGAL);
  csr_set(mstatus, MSTATUS_TVM);
  in_mode(PRV_S, x_sinval, 0);
  check("sinval-s-tvm", last.cause, CAUSE_ILLEGAL);
  csr_clear(mstatus, MSTATUS_TVM);
}

static void test_svpbmt(void) {
  u8 *a = alloc_page();
  *(u64 *)a = 0x1234;
  u64 *pte = map(VA_4K + 0x10000, (u64)a, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_PBMT_NC);
  csr_write(menvcfg, MENVCFG_STCE | MENVCFG_PBMTE);
  flush();
  check("pbmt-nc", in_mode(PRV_S, x_ld, VA_4K + 0x10000), 0x1234);
  check("pbmt-nc-no-trap", last.count, 0);
  *pte = (*pte & ~(3UL << 61)) | PTE_PBMT_IO;
  flush();
  check("pbmt-io", in_mode(PRV_S, x_ld, VA_4K + 0x10000), 0x1234);
  check("pbmt-io-no-trap", last.count, 0);
  csr_write(menvcfg, MENVCFG_STCE);
  flush();
  in_mode(PRV_S, x_ld, VA_4K + 0x10000);
  check("pbmt-without-pbmte", last.cause, CAUSE_LOAD_PAGE);
  check("pbmt-without-pbmte-tval", last.tval, VA_4K + 0x10000);
  csr_write(menvcfg, MENVCFG_STCE | MENVCFG_PBMTE);
  /* PBMT in a pointer PTE is reserved */
  u64 *ptr = &root[(VA_4K >> 30) & 511];
  *ptr |= PTE_PBMT_NC;
  flush();
  in_mode(PRV_S, x_ld, VA_4K + 0x10000);
  check("pbmt-in-pointer", last.cause, CAUSE_LOAD_PAGE);
  *ptr &= ~(3UL << 61);
  /* reserved bits 60:54 */
  *pte = (*pte & ~(3UL << 61)) | (1UL << 55);
  flush();
  in_mode(PRV_S, x_ld, VA_4K + 0x10000);
  check("pte-reserved-bit", last.cause, CAUSE_LOAD_PAGE);
}

static void test_svnapot(void) {
  u8 *region = alloc_aligned(0x10000);
  for (int i = 1; i < 16; i++) alloc_page();
  for (int i = 0; i < 16; i++) *(u64 *)(region + i * 4096 + 8) = 0x5000 + i;
  const u64 va = VA_4K + 0x100000;
  /* every PTE of the 64 KiB range says ppn[3:0] = 1000 */
  u64 napot_ppn = (((u64)region >> 12) & ~0xfUL) | 8;
  for (int i = 0; i < 16; i++) *pte_slot(va + i * 4096, 0) = (napot_ppn << 10) | PTE_N | PTE_V | PTE_R | PTE_A | PTE_D;
  flush();
  for (int i = 0; i < 16; i++) checkf(in_mode(PRV_S, x_ld, va + i * 4096 + 8), 0x5000 + i, "napot-page-%d", i);
  check("napot-no-trap", last.count, 0);
  /* ppn[3:0] = 0100 (a 32 KiB NAPOT) is reserved */
  *pte_slot(va, 0) = (((napot_ppn & ~0xfUL) | 4) << 10) | PTE_N | PTE_V | PTE_R | PTE_A | PTE_D;
  flush();
  in_mode(PRV_S, x_ld, va + 8);
  check("napot-32k-reserved", last.cause, CAUSE_LOAD_PAGE);
  /* N on a 2 MiB leaf is reserved */
  u8 *big = alloc_aligned(0x200000);
  map(VA_4K + 0x200000 * 4, (u64)big, 1, PTE_N | PTE_V | PTE_R | PTE_A | PTE_D);
  flush();
  in_mode(PRV_S, x_ld, VA_4K + 0x200000 * 4);
  check("napot-2m-reserved", last.cause, CAUSE_LOAD_PAGE);
}

static void test_envcfg(void) {
  csr_write(senvcfg, ~0UL);
  show("senvcfg-all-ones", csr_read(senvcfg) & ~0xf0UL); /* Zicbo* bits: not this test's */
  csr_write(senvcfg, 0);
  u64 old = csr_read(menvcfg);
  csr_write(menvcfg, ~0UL & ~(1UL << 61)); /* leave ADUE (Svadu, not in QEMU 7.2) alone */
  show("menvcfg-all-ones", csr_read(menvcfg) & ~(1UL << 61) & ~0xf0UL);
  csr_write(menvcfg, old);
}

int main(void) {
  pool_next = __pages_start;
  root = alloc_page();
  /* RAM identity mapped for S by a 1 GiB leaf */
  map(RAM_BASE, RAM_BASE, 2, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
  csr_write(satp, (8UL << 60) | ((u64)root >> 12));
  flush();
  test_sstc();
  test_svinval();
  test_svpbmt();
  test_svnapot();
  test_envcfg();
  finish();
}
