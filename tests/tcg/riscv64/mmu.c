/* Sv39 and Sv48 translation: 4K/2M/1G pages built in C, U/S rules, SUM, MXR,
 * hardware A/D updates (PTE checked after the access), page faults 12/13/15 with
 * stval/mtval, delegated page faults, misaligned and page-crossing accesses,
 * sfence.vma (of RAM and device pages), MPRV, and satp WARL behaviour. Each test runs once per mode. */
#include "common.h"

#define PTE_V 0x01UL
#define PTE_R 0x02UL
#define PTE_W 0x04UL
#define PTE_X 0x08UL
#define PTE_U 0x10UL
#define PTE_G 0x20UL
#define PTE_A 0x40UL
#define PTE_D 0x80UL
#define RAM_BASE 0x80000000UL

#define VA_4K 0x40000000UL   /* 4K pages under a level-1 and a level-0 table */
#define VA_2M 0xc0000000UL   /* 2M pages */
#define VA_1G 0x100000000UL  /* a 1G page over RAM */

extern u8 __pages_start[], __pages_end[];
static u8 *pool_next;
static int levels;      /* 3 = Sv39, 4 = Sv48 */
static const char *mode_name;
static u64 *root_s;     /* RAM identity mapped for S (U = 0) */
static u64 *root_u;     /* RAM identity mapped for U (U = 1) */
static u8 *p1, *p2, *p3; /* data pages */
static u8 s_stack[4096] __attribute__((aligned(16)));

static void *alloc_page(void) {
  u8 *p = pool_next;
  pool_next += 4096;
  if (pool_next > __pages_end) {
    fail("page pool exhausted");
    finish();
  }
  memset(p, 0, 4096);
  return p;
}

static void flush(void) { asm volatile("sfence.vma" ::: "memory"); }

/* Returns the PTE slot for va at leaf level `leaf` (0 = 4K), creating tables. */
static u64 *pte_slot(u64 *root, u64 va, int leaf) {
  u64 *table = root;
  for (int lvl = levels - 1; lvl > leaf; lvl--) {
    u64 idx = (va >> (12 + 9 * lvl)) & 511;
    if (!(table[idx] & PTE_V)) table[idx] = (((u64)alloc_page() >> 12) << 10) | PTE_V;
    table = (u64 *)((table[idx] >> 10) << 12);
  }
  return &table[(va >> (12 + 9 * leaf)) & 511];
}

static u64 *map(u64 *root, u64 va, u64 pa, int leaf, u64 flags) {
  u64 *slot = pte_slot(root, va, leaf);
  *slot = ((pa >> 12) << 10) | flags;
  return slot;
}

static u64 satp_for(u64 *root) {
  return ((u64)(levels == 3 ? 8 : 9) << 60) | ((u64)root >> 12);
}

static void use_root(u64 *root) {
  csr_write(satp, satp_for(root));
  flush();
}

/* name with the mode prefix */
#define CHECK(name, got, want) checkf((got), (want), "%s-%s", mode_name, name)

/* Helpers running in S or U: a0 = address. */
#define FN(name, body) asm(".text\n.globl " #name "\n" #name ":\n" body "\n  ret\n"); u64 name(u64);
FN(x_ld, "ld a0, 0(a0)")
FN(x_lbu, "lbu a0, 0(a0)")
FN(x_sd, "li t0, 0x5a5a\n  sd t0, 0(a0)\n  li a0, 1")
FN(x_call, "addi sp, sp, -16\n  sd ra, 0(sp)\n  jalr a0\n  ld ra, 0(sp)\n  addi sp, sp, 16")
FN(x_ld_misaligned, "ld a0, 0(a0)")
FN(x_sd_misaligned, "li t0, 0x1122334455667788\n  sd t0, 0(a0)\n  li a0, 1")

/* A page of code returning 0x77 (for fetch/A-bit tests). */
asm(".text\n.balign 4096\n.globl code_page\ncode_page:\n  li a0, 0x77\n  ret\n.balign 4096\n");
extern char code_page[];

struct fault {
  u64 count, cause, tval;
};

static struct fault run_fault(int mode, u64 (*fn)(u64), u64 arg, u64 *result) {
  trap_arm();
  u64 r = run_in_mode(mode, fn, arg);
  trap_disarm();
  if (result) *result = r;
  struct fault f = {mtrap.count, mtrap.cause, mtrap.tval};
  return f;
}

static void expect_fault(const char *name, int mode, u64 (*fn)(u64), u64 arg, u64 cause, u64 tval) {
  struct fault f = run_fault(mode, fn, arg, 0);
  checkf(f.count, 1, "%s-%s-count", mode_name, name);
  checkf(f.cause, cause, "%s-%s-cause", mode_name, name);
  checkf(f.tval, tval, "%s-%s-tval", mode_name, name);
}

static void expect_ok(const char *name, int mode, u64 (*fn)(u64), u64 arg, u64 want) {
  u64 r = 0;
  struct fault f = run_fault(mode, fn, arg, &r);
  checkf(f.count, 0, "%s-%s-no-fault", mode_name, name);
  checkf(r, want, "%s-%s-value", mode_name, name);
}

static void setup(void) {
  pool_next = __pages_start;
  p1 = alloc_page();
  p2 = alloc_page();
  p3 = alloc_page();
  for (int i = 0; i < 4096; i++) {
    p1[i] = (u8)(i * 7 + 1);
    p2[i] = (u8)(i * 13 + 2);
    p3[i] = (u8)(i * 5 + 3);
  }
  root_s = alloc_page();
  root_u = alloc_page();
  /* RAM: 1G identity leaves, A/D preset so code and stack never fault */
  map(root_s, RAM_BASE, RAM_BASE, 2, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
  map(root_u, RAM_BASE, RAM_BASE, 2, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
}

static u64 rd64(const u8 *p) { return *(const volatile u64 *)p; }

static void test_4k_ad(void) {
  u64 *pte = map(root_s, VA_4K, (u64)p1, 0, PTE_V | PTE_R | PTE_W);
  use_root(root_s);
  expect_ok("4k-load", PRV_S, x_ld, VA_4K + 8, rd64(p1 + 8));
  CHECK("4k-load-sets-a", *pte, (((u64)p1 >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A);
  expect_ok("4k-store", PRV_S, x_sd, VA_4K + 16, 1);
  CHECK("4k-store-sets-d", *pte, (((u64)p1 >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  CHECK("4k-store-value", rd64(p1 + 16), 0x5a5a);
  /* a store to a clean page with A already set */
  u64 *pte2 = map(root_s, VA_4K + 0x1000, (u64)p2, 0, PTE_V | PTE_R | PTE_W | PTE_A);
  flush();
  expect_ok("4k-store-first", PRV_S, x_sd, VA_4K + 0x1000, 1);
  CHECK("4k-store-first-sets-d", *pte2 & (PTE_A | PTE_D), PTE_A | PTE_D);
  /* fetch sets A on an execute-only page */
  u64 *pte3 = map(root_s, VA_4K + 0x2000, (u64)code_page, 0, PTE_V | PTE_X);
  flush();
  expect_ok("4k-fetch", PRV_S, x_call, VA_4K + 0x2000, 0x77);
  CHECK("4k-fetch-sets-a", *pte3 & (PTE_A | PTE_D), PTE_A);
  /* page-table entries themselves are not given A/D (non-leaf) */
  u64 *l1 = pte_slot(root_s, VA_4K, 1);
  CHECK("nonleaf-no-ad", *l1 & (PTE_A | PTE_D | PTE_R | PTE_W | PTE_X), 0);
}

static void test_superpages(void) {
  u64 base2m = (u64)p1 & ~0x1fffffUL;
  map(root_s, VA_2M, base2m, 1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  map(root_s, VA_1G, RAM_BASE, 2, PTE_V | PTE_R | PTE_A);
  use_root(root_s);
  expect_ok("2m-load", PRV_S, x_ld, VA_2M + ((u64)p1 - base2m) + 24, rd64(p1 + 24));
  expect_ok("1g-load", PRV_S, x_ld, VA_1G + ((u64)p2 - RAM_BASE) + 32, rd64(p2 + 32));
  expect_fault("1g-store-readonly", PRV_S, x_sd, VA_1G + ((u64)p2 - RAM_BASE), CAUSE_STORE_PAGE,
               VA_1G + ((u64)p2 - RAM_BASE));
  /* misaligned superpage (PPN[0] != 0) */
  map(root_s, VA_2M + 0x200000, base2m + 0x1000, 1, PTE_V | PTE_R | PTE_A);
  flush();
  expect_fault("2m-misaligned-ppn", PRV_S, x_ld, VA_2M + 0x200000, CAUSE_LOAD_PAGE, VA_2M + 0x200000);
}

static void test_faults(void) {
  use_root(root_s);
  u64 va = VA_4K + 0x10000; /* never mapped */
  expect_fault("unmapped-load", PRV_S, x_ld, va + 5, CAUSE_LOAD_PAGE, va + 5);
  expect_fault("unmapped-store", PRV_S, x_sd, va + 8, CAUSE_STORE_PAGE, va + 8);
  expect_fault("unmapped-fetch", PRV_S, x_call, va, CAUSE_FETCH_PAGE, va);
  map(root_s, VA_4K + 0x3000, (u64)p3, 0, PTE_V | PTE_R | PTE_A);
  map(root_s, VA_4K + 0x4000, (u64)p3, 0, PTE_V | PTE_W | PTE_A | PTE_D); /* reserved W without R */
  map(root_s, VA_4K + 0x5000, (u64)p3, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D); /* no X */
  map(root_s, VA_4K + 0x6000, (u64)p3, 0, PTE_R | PTE_W | PTE_A | PTE_D);         /* V = 0 */
  map(root_s, VA_4K + 0x7000, (u64)p3, 0, PTE_V);                                 /* pointer at level 0 */
  flush();
  expect_fault("readonly-store", PRV_S, x_sd, VA_4K + 0x3008, CAUSE_STORE_PAGE, VA_4K + 0x3008);
  expect_ok("readonly-load", PRV_S, x_ld, VA_4K + 0x3008, rd64(p3 + 8));
  expect_fault("w-without-r-load", PRV_S, x_ld, VA_4K + 0x4000, CAUSE_LOAD_PAGE, VA_4K + 0x4000);
  expect_fault("w-without-r-store", PRV_S, x_sd, VA_4K + 0x4000, CAUSE_STORE_PAGE, VA_4K + 0x4000);
  expect_fault("no-x-fetch", PRV_S, x_call, VA_4K + 0x5000, CAUSE_FETCH_PAGE, VA_4K + 0x5000);
  expect_fault("invalid-load", PRV_S, x_ld, VA_4K + 0x6010, CAUSE_LOAD_PAGE, VA_4K + 0x6010);
  expect_fault("level0-pointer-load", PRV_S, x_ld, VA_4K + 0x7000, CAUSE_LOAD_PAGE, VA_4K + 0x7000);
  /* non-canonical addresses */
  u64 nc = levels == 3 ? 0x4000000000UL : 0x800000000000UL;
  expect_fault("noncanonical-load", PRV_S, x_ld, nc, CAUSE_LOAD_PAGE, nc);
  expect_fault("noncanonical-store", PRV_S, x_sd, nc + 8, CAUSE_STORE_PAGE, nc + 8);
  /* a mapping in the upper (negative) half */
  u64 hi = levels == 3 ? 0xffffffc000000000UL : 0xffff800000000000UL;
  map(root_s, hi, (u64)p3, 0, PTE_V | PTE_R | PTE_A);
  flush();
  expect_ok("negative-half-load", PRV_S, x_ld, hi + 40, rd64(p3 + 40));
}

static void test_user_rules(void) {
  /* S root: U pages need SUM for loads/stores and are never executable by S */
  map(root_s, VA_4K + 0x8000, (u64)p2, 0, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
  map(root_s, VA_4K + 0x9000, (u64)code_page, 0, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A);
  use_root(root_s);
  csr_clear(mstatus, MSTATUS_SUM);
  expect_fault("s-load-u-page-nosum", PRV_S, x_ld, VA_4K + 0x8000, CAUSE_LOAD_PAGE, VA_4K + 0x8000);
  expect_fault("s-store-u-page-nosum", PRV_S, x_sd, VA_4K + 0x8008, CAUSE_STORE_PAGE, VA_4K + 0x8008);
  csr_set(mstatus, MSTATUS_SUM);
  expect_ok("s-load-u-page-sum", PRV_S, x_ld, VA_4K + 0x8010, rd64(p2 + 16));
  expect_ok("s-store-u-page-sum", PRV_S, x_sd, VA_4K + 0x8018, 1);
  expect_fault("s-fetch-u-page-sum", PRV_S, x_call, VA_4K + 0x9000, CAUSE_FETCH_PAGE, VA_4K + 0x9000);
  csr_clear(mstatus, MSTATUS_SUM);
  /* MXR: execute-only pages become readable */
  map(root_s, VA_4K + 0xa000, (u64)p3, 0, PTE_V | PTE_X | PTE_A);
  flush();
  expect_fault("xonly-load-nomxr", PRV_S, x_ld, VA_4K + 0xa000, CAUSE_LOAD_PAGE, VA_4K + 0xa000);
  csr_set(mstatus, MSTATUS_MXR);
  expect_ok("xonly-load-mxr", PRV_S, x_ld, VA_4K + 0xa000, rd64(p3));
  expect_fault("xonly-store-mxr", PRV_S, x_sd, VA_4K + 0xa000, CAUSE_STORE_PAGE, VA_4K + 0xa000);
  csr_clear(mstatus, MSTATUS_MXR);

  /* U root: U pages are accessible from U, S pages are not */
  map(root_u, VA_4K, (u64)p1, 0, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
  map(root_u, VA_4K + 0x1000, (u64)p2, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  map(root_u, VA_4K + 0x2000, (u64)code_page, 0, PTE_V | PTE_X | PTE_A);
  map(root_u, VA_4K + 0x3000, (u64)code_page, 0, PTE_V | PTE_X | PTE_U | PTE_A);
  use_root(root_u);
  expect_ok("u-load-u-page", PRV_U, x_ld, VA_4K + 48, rd64(p1 + 48));
  expect_fault("u-load-s-page", PRV_U, x_ld, VA_4K + 0x1000, CAUSE_LOAD_PAGE, VA_4K + 0x1000);
  csr_set(mstatus, MSTATUS_SUM); /* SUM does not matter for U */
  expect_fault("u-store-s-page", PRV_U, x_sd, VA_4K + 0x1008, CAUSE_STORE_PAGE, VA_4K + 0x1008);
  csr_clear(mstatus, MSTATUS_SUM);
  expect_fault("u-fetch-s-page", PRV_U, x_call, VA_4K + 0x2000, CAUSE_FETCH_PAGE, VA_4K + 0x2000);
  expect_ok("u-fetch-u-page", PRV_U, x_call, VA_4K + 0x3000, 0x77);
}

/* S function: read VA, remap it to p2 (PTE address in a1... passed via globals), sfence, read again. */
static volatile u64 *sf_pte;
static volatile u64 sf_new_pte;
static u64 s_sfence(u64 va) {
  u64 a = *(volatile u64 *)va;
  *sf_pte = sf_new_pte;
  asm volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
  u64 b = *(volatile u64 *)va;
  *sf_pte = sf_new_pte ^ (((u64)p2 ^ (u64)p3) >> 12 << 10);
  asm volatile("sfence.vma" ::: "memory");
  u64 c = *(volatile u64 *)va;
  return (a == rd64(p1) ? 1 : 0) | (b == rd64(p2) ? 2 : 0) | (c == rd64(p3) ? 4 : 0);
}

static void test_sfence(void) {
  u64 va = VA_4K + 0xb000;
  sf_pte = map(root_s, va, (u64)p1, 0, PTE_V | PTE_R | PTE_A);
  sf_new_pte = (((u64)p2 >> 12) << 10) | PTE_V | PTE_R | PTE_A;
  use_root(root_s);
  CHECK("sfence-remap", run_in_mode(PRV_S, s_sfence, va), 7);
}

/* A virtual page over a device: remapped to another device, the next access reaches the new
 * one (sfence.vma of the page), and back (full sfence.vma). PLIC priority[1] and CLINT
 * mtimecmp[0] hold values set here. */
#define PLIC_BASE 0x0c000000UL
static u64 s_mmio_remap(u64 va) {
  u32 a = *(volatile u32 *)(va + 4);
  *sf_pte = sf_new_pte;
  asm volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
  u32 b = *(volatile u32 *)va;
  *sf_pte = (PLIC_BASE >> 12 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
  asm volatile("sfence.vma" ::: "memory");
  u32 c = *(volatile u32 *)(va + 4);
  return (a == 3 ? 1 : 0) | (b == 0x1234 ? 2 : 0) | (c == 3 ? 4 : 0);
}

static void test_sfence_mmio(void) {
  u64 va = VA_4K + 0x30000;
  *(volatile u32 *)(PLIC_BASE + 4) = 3;
  *(volatile u64 *)CLINT_MTIMECMP = 0xffffffff00001234UL; /* far in the future */
  sf_pte = map(root_s, va, PLIC_BASE, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  sf_new_pte = ((CLINT_MTIMECMP >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
  use_root(root_s);
  CHECK("sfence-remap-mmio", run_in_mode(PRV_S, s_mmio_remap, va), 7);
  *(volatile u32 *)(PLIC_BASE + 4) = 0;
  *(volatile u64 *)CLINT_MTIMECMP = ~0UL;
}

static void test_misaligned(void) {
  /* two virtual pages backed by non-adjacent physical pages */
  u64 va = VA_4K + 0xc000;
  map(root_s, va, (u64)p3, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  map(root_s, va + 0x1000, (u64)p1, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  use_root(root_s);
  u64 want = 0;
  for (int i = 7; i >= 0; i--) want = (want << 8) | (i < 3 ? p3[4093 + i] : p1[i - 3]);
  expect_ok("misaligned-cross-page-load", PRV_S, x_ld_misaligned, va + 0xffd, want);
  expect_ok("misaligned-cross-page-store", PRV_S, x_sd_misaligned, va + 0xffb, 1);
  CHECK("misaligned-cross-page-store-lo", rd64(p3 + 0xff8) >> 24, 0x4455667788UL);
  CHECK("misaligned-cross-page-store-hi", rd64(p1) & 0xffffff, 0x112233);
  expect_ok("misaligned-in-page-load", PRV_S, x_ld_misaligned, va + 0x101, rd64(p3 + 0x101));
  /* second page unmapped: the fault address is shown, not checked (implementation choice) */
  u64 vb = VA_4K + 0xe000;
  map(root_s, vb, (u64)p3, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  flush();
  struct fault f = run_fault(PRV_S, x_ld_misaligned, vb + 0xffc, 0);
  CHECK("misaligned-cross-unmapped-cause", f.cause, CAUSE_LOAD_PAGE);
  tprintf("%s-misaligned-cross-unmapped-tval-offset = %lx\n", mode_name, f.tval - vb);
  f = run_fault(PRV_S, x_sd_misaligned, vb + 0xffe, 0);
  CHECK("misaligned-cross-unmapped-store-cause", f.cause, CAUSE_STORE_PAGE);
  tprintf("%s-misaligned-cross-unmapped-store-tval-offset = %lx\n", mode_name, f.tval - vb);
  tprintf("%s-misaligned-cross-unmapped-store-first-page = %lx\n", mode_name, rd64(p3 + 0xff8));
}

static void test_mprv(void) {
  map(root_s, VA_4K + 0xd000, (u64)p2, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  use_root(root_s);
  /* M with MPRV = 1, MPP = S: loads and stores translate; fetches do not. One asm
   * statement, so no compiler-generated access runs with MPRV set. */
  csr_clear(mstatus, MSTATUS_MPP);
  csr_set(mstatus, (u64)PRV_S << 11);
  u64 v = 0;
  asm volatile("csrs mstatus, %1\n\tld %0, 0(%2)\n\tcsrc mstatus, %1"
               : "+&r"(v) : "r"(MSTATUS_MPRV), "r"(VA_4K + 0xd000 + 56) : "memory");
  CHECK("mprv-s-load", v, rd64(p2 + 56));
  /* MPRV with MPP = U on an S page faults (the trap sets MPP = M, so the handler
   * runs untranslated; its mret leaves MPP = U, MPRV still set until the csrc) */
  csr_clear(mstatus, MSTATUS_MPP);
  trap_arm();
  asm volatile("csrs mstatus, %1\n\tld %0, 0(%2)\n\tcsrc mstatus, %1"
               : "+&r"(v) : "r"(MSTATUS_MPRV), "r"(VA_4K + 0xd000) : "memory");
  trap_disarm();
  CHECK("mprv-u-s-page-cause", mtrap.cause, CAUSE_LOAD_PAGE);
  CHECK("mprv-u-s-page-tval", mtrap.tval, VA_4K + 0xd000);
  CHECK("mprv-u-s-page-priv", mtrap.prev_priv, PRV_M);
}

static void test_delegated(void) {
  use_root(root_s);
  csr_write(stvec, (u64)s_trap_entry);
  csr_write(sscratch, (u64)(s_stack + sizeof(s_stack)));
  csr_write(medeleg, (1UL << CAUSE_LOAD_PAGE) | (1UL << CAUSE_STORE_PAGE) | (1UL << CAUSE_FETCH_PAGE));
  u64 va = VA_4K + 0x20000;
  trap_arm();
  run_in_mode(PRV_S, x_ld, va + 3);
  trap_disarm();
  CHECK("deleg-load-pf-scause", strap.cause, CAUSE_LOAD_PAGE);
  CHECK("deleg-load-pf-stval", strap.tval, va + 3);
  CHECK("deleg-load-pf-mcount", mtrap.count, 0);
  trap_arm();
  run_in_mode(PRV_S, x_sd, va + 16);
  trap_disarm();
  CHECK("deleg-store-pf-scause", strap.cause, CAUSE_STORE_PAGE);
  CHECK("deleg-store-pf-stval", strap.tval, va + 16);
  trap_arm();
  run_in_mode(PRV_S, x_call, va);
  trap_disarm();
  CHECK("deleg-fetch-pf-scause", strap.cause, CAUSE_FETCH_PAGE);
  CHECK("deleg-fetch-pf-stval", strap.tval, va);
  CHECK("deleg-fetch-pf-sepc", strap.epc, va);
  csr_write(medeleg, 0);
}

static void test_satp(void) {
  csr_write(satp, 0);
  u64 good = satp_for(root_s);
  csr_write(satp, good);
  CHECK("satp-readback", csr_read(satp) & ~(0xffffUL << 44), good);
  /* unsupported MODE values are not written (WARL) */
  csr_write(satp, (5UL << 60) | 1);
  CHECK("satp-reserved-mode-ignored", csr_read(satp) & ~(0xffffUL << 44), good);
  csr_write(satp, 0);
  CHECK("satp-bare", csr_read(satp), 0);
  flush();
}

static void run_all(int lv) {
  levels = lv;
  mode_name = lv == 3 ? "sv39" : "sv48";
  setup();
  test_4k_ad();
  test_superpages();
  test_faults();
  test_user_rules();
  test_sfence();
  test_sfence_mmio();
  test_misaligned();
  test_mprv();
  test_delegated();
  test_satp();
  csr_write(satp, 0);
  flush();
}

int main(void) {
  /* M-mode misaligned accesses on RAM (no translation) */
  static u8 buf[32] __attribute__((aligned(16)));
  for (int i = 0; i < 32; i++) buf[i] = (u8)(0xa0 + i);
  u64 v;
  asm volatile("ld %0, 1(%1)" : "=r"(v) : "r"(buf));
  check("m-misaligned-ld", v, 0xa8a7a6a5a4a3a2a1UL);
  asm volatile("lw %0, 3(%1)" : "=r"(v) : "r"(buf));
  check("m-misaligned-lw", v, 0xffffffffa6a5a4a3UL);
  asm volatile("lhu %0, 7(%1)" : "=r"(v) : "r"(buf));
  check("m-misaligned-lhu", v, 0xa8a7);
  asm volatile("sd %1, 9(%0)\n\tsw %1, 21(%0)\n\tsh %1, 27(%0)" : : "r"(buf), "r"(0x0102030405060708UL) : "memory");
  asm volatile("ld %0, 8(%1)" : "=r"(v) : "r"(buf));
  check("m-misaligned-sd", v, 0x02030405060708a8UL);
  asm volatile("ld %0, 16(%1)" : "=r"(v) : "r"(buf));
  check("m-misaligned-sd-sw", v, 0x060708b4b3b2b101UL);
  asm volatile("ld %0, 24(%1)" : "=r"(v) : "r"(buf));
  check("m-misaligned-sw-sh", v, 0xbfbebd0708bab905UL);
  run_all(3);
  run_all(4);
  return 0;
}
