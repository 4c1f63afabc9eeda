/* Code the interpreter and the block compiler may have cached, changed under them:
 *  1. a function rewritten in place in an RWX page (fence.i via __builtin___clear_cache);
 *  2. straight-line code that patches the instruction right after itself, then runs into it
 *     (the same fetch page stays cached while it runs);
 *  3. the same virtual page remapped (MAP_FIXED) to another file page holding other code;
 *  4. the page unmapped and mapped again, anonymous, with other code written into it;
 *  5. a page made non-executable and back (mprotect), rewritten meanwhile.
 * Each step runs its code often enough to be translated at low thresholds. Prints every result. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>

#define ADDI_A0_A0(imm) (0x00050513u | ((uint32_t)(imm) & 0xfff) << 20)
#define LI_A0(imm) (0x00000513u | ((uint32_t)(imm) & 0xfff) << 20)
#define RET 0x00008067u

typedef long (*fn_t)(long);

static void put_fn(uint32_t *p, int add1, int add2) {
  p[0] = ADDI_A0_A0(add1);
  p[1] = ADDI_A0_A0(add2);
  p[2] = RET;
  __builtin___clear_cache((char *)p, (char *)(p + 3));
}

static long run(fn_t f, int n) {
  long s = 0;
  for (int i = 0; i < n; i++) s += f(i);
  return s;
}

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  /* 1. In place. */
  uint32_t *code = mmap(0, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap"); return 1; }
  for (int round = 0; round < 6; round++) {
    put_fn(code, round * 7, 1);
    printf("inplace %d: %ld %ld\n", round, run((fn_t)code, 100), ((fn_t)code)(1000));
  }
  /* 2. Code that patches the instruction two after its store (the word comes in a1), in the
   * RWX page (this program's own text is read-only). */
  {
    uint32_t *p = code + 64;
    for (int round = 0; round < 6; round++) {
      p[0] = 0x00000297u;           /* auipc t0, 0 */
      p[1] = 0x00b2a823u;           /* sw a1, 16(t0) */
      p[2] = 0x0000100fu;           /* fence.i */
      p[3] = 0x00000013u;           /* nop */
      p[4] = LI_A0(1);              /* li a0, 1: overwritten by the sw */
      p[5] = RET;
      __builtin___clear_cache((char *)p, (char *)(p + 6));
      long (*g)(long, uint32_t) = (long (*)(long, uint32_t))p;
      long s = 0;
      for (int i = 0; i < 50; i++) s += g(0, LI_A0(round * 3 + (i & 1)));
      printf("patch-next %d: %ld\n", round, s);
    }
  }
  /* 3. Remap the same virtual page to other file pages (a memfd with two code pages). */
  int fd = memfd_create("smc-remap", 0);
  if (fd < 0 || ftruncate(fd, 2 * page) != 0) { perror("memfd"); return 1; }
  uint32_t *w = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (w == MAP_FAILED) { perror("mmap w"); return 1; }
  put_fn(w, 100, 1);
  put_fn(w + page / 4, 200, 2);
  uint32_t *x = mmap(0, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  if (x == MAP_FAILED) { perror("mmap x"); return 1; }
  for (int round = 0; round < 6; round++) {
    if (mmap(x, page, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, (round & 1) * page) != x) { perror("remap"); return 1; }
    printf("remap %d: %ld %ld\n", round, run((fn_t)x, 100), ((fn_t)x)(1000));
    /* The other page's code changes through the writable alias meanwhile. */
    put_fn(w + ((round + 1) & 1) * page / 4, 300 + round, round & 1 ? 2 : 1);
  }
  /* 4. Unmapped, then mapped again anonymous with other code at the same address. */
  for (int round = 0; round < 4; round++) {
    munmap(x, page);
    uint32_t *y = mmap(x, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (y != x) { perror("mmap again"); return 1; }
    put_fn(y, 400 + round * 11, 3);
    printf("again %d: %ld %ld\n", round, run((fn_t)y, 100), ((fn_t)y)(1000));
  }
  /* 5. mprotect off and on around a rewrite. */
  for (int round = 0; round < 4; round++) {
    mprotect(code, page, PROT_READ | PROT_WRITE);
    code[0] = ADDI_A0_A0(500 + round);
    mprotect(code, page, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *)code, (char *)(code + 3));
    printf("mprotect %d: %ld %ld\n", round, run((fn_t)code, 100), ((fn_t)code)(1000));
    mprotect(code, page, PROT_READ | PROT_WRITE | PROT_EXEC);
  }
  return 0;
}
