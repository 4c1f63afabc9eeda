/*
 * Guest-side disk load for bench/guest-io.js: THREADS threads (the queue depth the device sees)
 * each read random 4 KiB blocks of DEVICE with O_DIRECT (no guest page cache) for SECONDS,
 * then the program prints the total and the IOPS, timed with the guest's monotonic clock.
 * With MAXREADS it stops as soon as that many reads are done (bench/guest-io.js's warm-up: the
 * same number of reads on every emulator, whatever its speed).
 * Usage: randread DEVICE THREADS SECONDS [MAXREADS]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static int fd;
static uint64_t blocks;
static volatile int stop;
static uint64_t maxreads; /* 0: no limit */
static uint64_t done; /* reads of every thread, with maxreads */

struct worker { pthread_t tid; uint64_t seed; uint64_t reads; int failed; };

static uint64_t xorshift(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  return *s = x;
}

static void *run(void *arg) {
  struct worker *w = arg;
  void *buf;
  if (posix_memalign(&buf, BLOCK, BLOCK)) { w->failed = 1; return NULL; }
  while (!stop) {
    off_t at = (off_t)(xorshift(&w->seed) % blocks) * BLOCK;
    if (pread(fd, buf, BLOCK, at) != BLOCK) { w->failed = 1; break; }
    w->reads++;
    if (maxreads && __atomic_add_fetch(&done, 1, __ATOMIC_RELAXED) >= maxreads) stop = 1;
  }
  free(buf);
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) { fprintf(stderr, "usage: randread DEVICE THREADS SECONDS [MAXREADS]\n"); return 2; }
  int nthreads = atoi(argv[2]);
  double secs = atof(argv[3]);
  if (argc == 5) maxreads = strtoull(argv[4], NULL, 0);
  if (nthreads < 1 || nthreads > 256 || secs <= 0) { fprintf(stderr, "randread: bad arguments\n"); return 2; }
  fd = open(argv[1], O_RDONLY | O_DIRECT);
  uint64_t bytes = 0;
  if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &bytes) < 0) bytes = (uint64_t)lseek(fd, 0, SEEK_END); /* a plain file */
  if (fd < 0 || bytes < BLOCK || bytes == (uint64_t)-1) { perror(argv[1]); return 1; }
  blocks = bytes / BLOCK;
  struct worker *w = calloc(nthreads, sizeof *w);
  double t0 = now();
  for (int i = 0; i < nthreads; i++) {
    w[i].seed = 0x9e3779b97f4a7c15ull * (i + 1);
    pthread_create(&w[i].tid, NULL, run, &w[i]);
  }
  if (maxreads) { /* wake every 10 ms to see whether the workers are done */
    struct timespec tick = { 0, 10000000 };
    while (!stop && now() - t0 < secs) nanosleep(&tick, NULL);
  } else {
    struct timespec d = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };
    nanosleep(&d, NULL);
  }
  stop = 1;
  uint64_t total = 0;
  int failed = 0;
  for (int i = 0; i < nthreads; i++) { pthread_join(w[i].tid, NULL); total += w[i].reads; failed |= w[i].failed; }
  double el = now() - t0;
  printf("RANDREAD threads=%d reads=%llu seconds=%.3f iops=%.0f%s\n", nthreads, (unsigned long long)total, el,
         total / el, failed ? " READFAIL" : "");
  return failed;
}
