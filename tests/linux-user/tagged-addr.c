/* prctl(PR_SET/GET_TAGGED_ADDR_CTRL) with RISC-V pointer masking, expectations from Linux 6.13+
 * (arch/riscv/kernel/process.c) and the pointer masking specification: PMLEN requests round up
 * to 7 or 16; the top PMLEN bits of U-mode data addresses are ignored (sign extension of bit
 * 63-PMLEN: user addresses have it 0); instruction fetch is not masked; PMLEN 0 puts the tag
 * back into the address (SIGSEGV). Prints one line per check; tests/user-tagged-addr.test.js
 * runs it under tsqemu-riscv64 -cpu rva23u64 (and rva22u64, where every prctl is EINVAL). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_TAGGED_ADDR_CTRL
#define PR_SET_TAGGED_ADDR_CTRL 55
#define PR_GET_TAGGED_ADDR_CTRL 56
#define PR_TAGGED_ADDR_ENABLE 1UL
#endif
#define PR_PMLEN_SHIFT 24
#define PMLEN(n) ((unsigned long)(n) << PR_PMLEN_SHIFT)

static sigjmp_buf jb;
static void on_segv(int sig) { (void)sig; siglongjmp(jb, 1); }
static volatile long cell = 0x1234;

static long set(unsigned long arg) { return prctl(PR_SET_TAGGED_ADDR_CTRL, arg, 0, 0, 0) ? -errno : 0; }
static long get(void) { long r = prctl(PR_GET_TAGGED_ADDR_CTRL, 0, 0, 0, 0); return r < 0 ? -errno : r; }
/* Load through p; "segv" when it faults. */
static const char *load(volatile long *p, long *out) {
  if (sigsetjmp(jb, 1)) return "segv";
  *out = *p;
  return "ok";
}

int main(void) {
  signal(SIGSEGV, on_segv);
  long v = 0;
  printf("get-initial %#lx\n", get());
  printf("set-pmlen-17 %ld\n", set(PMLEN(17)));
  printf("set-bad-bits %ld\n", set(PMLEN(7) | 2));
  printf("set-enable-without-pmlen %ld\n", set(PR_TAGGED_ADDR_ENABLE));
  printf("set-extra-arg %ld\n", prctl(PR_SET_TAGGED_ADDR_CTRL, PMLEN(7), 1, 0, 0) ? -errno : 0L);
  printf("set-pmlen-3 %ld\n", set(PMLEN(3) | PR_TAGGED_ADDR_ENABLE));
  printf("get-rounded-to-7 %#lx\n", get());
  uintptr_t a = (uintptr_t)&cell;
  static const char msg[] = "tagged-write ok\n";
  fflush(stdout);
  long w = write(1, (const void *)((uintptr_t)msg | (0x2aUL << 57)), sizeof msg - 1);
  printf("tagged-write-abi-on %ld\n", w);
  const char *r = load((volatile long *)(a | (0x55UL << 57)), &v);
  printf("tag7-load %s %#lx\n", r, v);
  v = 0;
  r = load((volatile long *)(a | (0x1UL << 56)), &v);
  printf("bit56-not-masked-by-pmlen7 %s\n", r);
  printf("set-pmlen-9 %ld\n", set(PMLEN(9)));
  printf("get-16-abi-off %#lx\n", get());
  fflush(stdout);
  w = write(1, (const void *)((uintptr_t)msg | (0x2aUL << 57)), sizeof msg - 1);
  printf("tagged-write-abi-off %ld\n", w < 0 ? -errno : w);
  r = load((volatile long *)(a | (0xbeefUL << 48)), &v);
  printf("tag16-load %s %#lx\n", r, v);
  if (!sigsetjmp(jb, 1)) {
    *(volatile long *)(a | (0xfeedUL << 48)) = 0x777;
    printf("tag16-store %#lx\n", (long)cell);
  } else {
    printf("tag16-store segv\n");
  }
  printf("set-off %ld\n", set(0));
  printf("get-off %#lx\n", get());
  r = load((volatile long *)(a | (0x55UL << 57)), &v);
  printf("off-tagged-load %s\n", r);
  return 0;
}
