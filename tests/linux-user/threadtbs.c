/* Translations a guest thread takes to a new worker (src/linux-user/thread-host.ts, issue 18).
 * The reader thread runs generated code (`li a0, K; ret` in an RWX page) and a loop hot on the
 * worker it was cloned on (main's), then writes 8 KiB to a pipe: a call that may block (a write of
 * more than 4 KiB, thread-host.ts: smaller ones to a ready pipe stay), so it moves to a worker of its own, taking that worker's translations. There it runs the same code again,
 * then code main rewrote on the old worker (made visible by riscv_flush_icache), then code main
 * rewrote with no call at all (the reader's own fence.i makes it visible). Every call must give
 * the current K, as under qemu-riscv64. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define HOT 1000000

static uint32_t *code;
static atomic_int phase;
static int fds[2];
static char buf[8192];
static long wrong[4], calls[4];

static uint32_t lui(int rd, uint32_t imm20) { return (imm20 << 12) | (rd << 7) | 0x37; }
static uint32_t addiw(int rd, int rs1, int32_t imm) { return ((uint32_t)imm << 20) | (rs1 << 15) | (rd << 7) | 0x1b; }
static int32_t value(int p) { return 0x12345 * (p + 1); }

static void emit(int32_t k, int flush) {
  int32_t lo = (k << 20) >> 20;
  code[0] = lui(10, (uint32_t)(k - lo) >> 12);
  code[1] = addiw(10, 10, lo);
  code[2] = 0x00008067; /* ret */
  if (flush) __builtin___clear_cache((char *)code, (char *)(code + 3));
}

static void run(int p, long n) {
  int32_t (*fn)(void) = (int32_t (*)(void))code;
  for (long i = 0; i < n; i++) { wrong[p] += fn() != value(p); calls[p]++; }
}

static void wait_phase(int p) { while (atomic_load(&phase) != p) sched_yield(); }

static void *reader(void *arg) {
  (void)arg;
  run(0, HOT);                       /* translated on main's worker */
  if (write(fds[1], buf, sizeof buf) != sizeof buf) return NULL; /* may block: to a worker of its own */
  run(0, HOT);                       /* the same code there */
  atomic_store(&phase, 1);
  wait_phase(2);                     /* main rewrote it and flushed */
  run(2, HOT / 10);
  atomic_store(&phase, 3);
  wait_phase(4);                     /* main rewrote it, no call */
  asm volatile("fence.i" ::: "memory");
  run(3, HOT / 10);
  return NULL;
}

int main(void) {
  code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED || pipe(fds)) return 1;
  emit(value(0), 1);
  pthread_t t;
  pthread_create(&t, NULL, reader, NULL);
  wait_phase(1);
  emit(value(2), 1);
  atomic_store(&phase, 2);
  wait_phase(3);
  emit(value(3), 0);
  atomic_store(&phase, 4);
  pthread_join(t, NULL);
  for (size_t got = 0; got < sizeof buf;) {
    ssize_t n = read(fds[0], buf + got, sizeof buf - got);
    if (n <= 0) return 1;
    got += n;
  }
  printf("moved: calls=%ld wrong=%ld\n", calls[0], wrong[0]);
  printf("riscv_flush_icache: calls=%ld wrong=%ld\n", calls[2], wrong[2]);
  printf("fence.i: calls=%ld wrong=%ld\n", calls[3], wrong[3]);
  return 0;
}
