/* Code straddling a page boundary (tests/user-codegen.test.js; tb-cache.ts / translate-block.ts:
 * in user mode a translated region may hold runs on the page after its own, as QEMU's TBs span
 * two pages). A hot loop runs across the boundary of two RWX pages, then the code on either
 * page is rewritten, the second page made non-executable or unmapped and mapped again with new
 * code, or rewritten by another thread: each change must take effect (and faults report the
 * right pc, si_addr and registers). Checked against qemu-riscv64.
 *   span  the loop's head at the first page's end, its tail and back edge on the second page
 *   odd   the same with a 4-byte instruction straddling the boundary (at 0xffe)
 *   in2   entered on the second page (a jump back into the loop) */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define PG 4096
static uint8_t *base;

static uint32_t addi(int rd, int rs1, int imm) { return ((uint32_t)(imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13; }
static uint32_t bne(int rs1, int rs2, int off) {
  uint32_t o = (uint32_t)off;
  return (((o >> 12) & 1) << 31) | (((o >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (1 << 12) |
         (((o >> 1) & 0xf) << 8) | (((o >> 11) & 1) << 7) | 0x63;
}
static uint32_t jal0(int off) {
  uint32_t o = (uint32_t)off;
  return (((o >> 20) & 1) << 31) | (((o >> 1) & 0x3ff) << 21) | (((o >> 11) & 1) << 20) | (((o >> 12) & 0xff) << 12) | 0x6f;
}
static void put32(long at, uint32_t w) { memcpy(base + at, &w, 4); } /* at: offset from base */
static void put16(long at, uint16_t w) { memcpy(base + at, &w, 2); }
static void sync_code(void) { __builtin___clear_cache((char *)base, (char *)base + 2 * PG); }

enum { A0 = 10, A1 = 11 };
/* The loop (shift 0: instructions 4-aligned; shift 2: a compressed nop first, so the addi at
 * 0xffe straddles the boundary):
 *   entry:  li a1, 0 ; [c.nop]
 *   loop:   addi a1, a1, k1 ; addi a0, a0, -1 | page 2: addi a1, a1, k2 ; bnez a0, loop
 *           mv a0, a1 ; ret
 *   in2:    li a1, 1000 ; j <page 2's addi>     (entered on the second page) */
static long entry_at, loop_at, k1_at, k2_at, in2_at;
static void build(int shift, int k1, int k2) {
  loop_at = PG - 8 - shift;
  entry_at = loop_at - 4 - (shift ? 2 : 0);
  put32(entry_at, addi(A1, 0, 0));
  if (shift) put16(entry_at + 4, 0x0001);
  k1_at = loop_at;
  put32(loop_at, addi(A1, A1, k1));
  put32(loop_at + 4, addi(A0, A0, -1));
  k2_at = loop_at + 8;
  put32(k2_at, addi(A1, A1, k2));
  put32(k2_at + 4, bne(A0, 0, (int)(loop_at - (k2_at + 4))));
  put32(k2_at + 8, addi(A0, A1, 0));
  put32(k2_at + 12, 0x00008067);
  in2_at = PG + 0x40;
  put32(in2_at, addi(A1, 0, 1000));
  put32(in2_at + 4, jal0((int)(k2_at - (in2_at + 4))));
  sync_code();
}
static long call(long at, long n) { long (*f)(long) = (long (*)(long))(void *)(base + at); return f(n); }

static sigjmp_buf jb;
static volatile long fault_addr, fault_pc, fault_a0, fault_a1;
static void on_segv(int sig, siginfo_t *si, void *ucv) {
  (void)sig;
  const unsigned long *x = ((const ucontext_t *)ucv)->uc_mcontext.__gregs;
  fault_addr = (long)((uint8_t *)si->si_addr - base);
  fault_pc = (long)(x[0] - (uintptr_t)base);
  fault_a0 = (long)x[A0]; fault_a1 = (long)x[A1];
  siglongjmp(jb, 1);
}
/* Call, or report the fault it took. */
static void try_call(const char *what, long at, long n) {
  if (sigsetjmp(jb, 1) == 0) {
    long r = call(at, n);
    printf("%s = %ld\n", what, r);
  } else {
    printf("%s: SIGSEGV addr %+ld pc %+ld a0 %ld a1 %ld\n", what, fault_addr, fault_pc, fault_a0, fault_a1);
  }
}

static atomic_int phase;
static void *writer(void *arg) {
  (void)arg;
  while (atomic_load(&phase) != 1) sched_yield();
  put32(k2_at, addi(A1, A1, 41));
  sync_code(); /* riscv_flush_icache for every thread */
  atomic_store(&phase, 2);
  return NULL;
}

static void series(const char *name, int shift) {
  base = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) { perror("mmap"); return; }
  munmap(base + 2 * PG, PG); /* nothing after the second page */
  printf("-- %s\n", name);
  build(shift, 3, 5);
  long sum = 0;
  for (int i = 0; i < 40; i++) sum += call(entry_at, 20000);
  printf("hot = %ld\n", sum);
  try_call("in2 hot", in2_at, 30000);
  for (int i = 0; i < 20; i++) sum += call(in2_at, 5000);
  printf("in2 sum = %ld\n", sum);
  /* Rewrite the second page's instruction, then the first page's. */
  put32(k2_at, addi(A1, A1, 7)); sync_code();
  try_call("page 2 rewritten", entry_at, 20000);
  try_call("in2 after rewrite", in2_at, 20000);
  put32(k1_at, addi(A1, A1, -2)); sync_code();
  try_call("page 1 rewritten", entry_at, 20000);
  /* A store to the first page alone, no flush: the region's runs on the second page go too
   * (entered there next, through in2, after the interpreter has counted them hot again). */
  for (int i = 0; i < 10; i++) call(entry_at, 20000);
  put32(k1_at, addi(A1, A1, 4));
  for (int i = 0; i < 40; i++) sum += call(in2_at, 5000);
  printf("page 1 stored, in2 sum = %ld\n", sum);
  try_call("page 1 stored", entry_at, 20000);
  /* A store without a flush, from the same thread (QEMU sees it at once; so must we). */
  for (int i = 0; i < 10; i++) call(entry_at, 20000);
  put32(k2_at, addi(A1, A1, 9));
  __asm__ volatile("fence.i" ::: "memory");
  try_call("page 2 stored, fence.i", entry_at, 20000);
  /* The second page not executable, then executable again. */
  for (int i = 0; i < 10; i++) call(entry_at, 20000);
  mprotect(base + PG, PG, PROT_READ | PROT_WRITE);
  try_call("page 2 PROT_RW", entry_at, 20000);
  try_call("in2 PROT_RW", in2_at, 20000);
  mprotect(base + PG, PG, PROT_READ | PROT_EXEC);
  try_call("page 2 PROT_RX", entry_at, 20000);
  /* The first page not executable: entering on the second still runs until the back edge. */
  for (int i = 0; i < 10; i++) call(in2_at, 20000);
  mprotect(base, PG, PROT_READ | PROT_WRITE);
  try_call("page 1 PROT_RW, in2", in2_at, 20000);
  mprotect(base, PG, PROT_READ | PROT_WRITE | PROT_EXEC);
  mprotect(base + PG, PG, PROT_READ | PROT_WRITE | PROT_EXEC);
  /* The second page unmapped, then mapped again with other code. */
  for (int i = 0; i < 10; i++) call(entry_at, 20000);
  munmap(base + PG, PG);
  try_call("page 2 unmapped", entry_at, 20000);
  if (mmap(base + PG, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
    perror("mmap fixed");
    return;
  }
  build(shift, 2, 11);
  try_call("page 2 mapped again", entry_at, 20000);
  /* Another thread rewrites the second page while this one runs the loop. */
  pthread_t t;
  pthread_create(&t, NULL, writer, NULL);
  for (int i = 0; i < 10; i++) call(entry_at, 20000);
  atomic_store(&phase, 1);
  while (atomic_load(&phase) != 2) call(entry_at, 100);
  __asm__ volatile("fence.i" ::: "memory");
  try_call("page 2 rewritten by a thread", entry_at, 20000);
  pthread_join(t, NULL);
  atomic_store(&phase, 0);
  munmap(base, 2 * PG);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  series("span", 0);
  series("odd", 2);
  return 0;
}
