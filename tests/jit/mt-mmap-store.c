/* Threads and the address space (issue 11): one thread stores and checks a pattern in its
 * own buffer while another maps, protects, advises, remaps and unmaps other regions; then
 * several threads stress malloc/free (large blocks go through mmap/munmap) and check their
 * blocks' contents. Every store must land where it was made, as under qemu-riscv64. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BUF_WORDS 4096
#define ROUNDS 60
#define MAPPER_ROUNDS 300

static atomic_int stop;
static uint64_t *buf;

static void *storer(void *arg) {
  long bad = 0, rounds = 0;
  (void)arg;
  while (!atomic_load(&stop) || rounds < ROUNDS) {
    uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(rounds + 1);
    for (int i = 0; i < BUF_WORDS; i++) buf[i] = seed ^ (uint64_t)i;
    for (int i = 0; i < BUF_WORDS; i++) bad += buf[i] != (seed ^ (uint64_t)i);
    rounds++;
    if (rounds > 100000) break;
  }
  return (void *)bad;
}

static void *mapper(void *arg) {
  (void)arg;
  for (int r = 0; r < MAPPER_ROUNDS; r++) {
    size_t len = (size_t)(1 + r % 7) * 4096 * 4;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(2); }
    memset(p, r, len);
    mprotect(p, 4096, PROT_READ);
    madvise(p + 4096, 4096, MADV_DONTNEED);
    /* (growing with mremap is left out: qemu-riscv64 7.2 may grow over other mappings) */
    char *q = mremap(p, len, len / 2, 0);
    if (q != p) { perror("mremap"); exit(2); }
    munmap(q, len / 2);
  }
  atomic_store(&stop, 1);
  return NULL;
}

#define MALLOC_THREADS 4
#define MALLOC_OPS 4000

static void *mallocer(void *arg) {
  uint64_t x = 88172645463325252ULL + (uintptr_t)arg;
  void *slot[16] = { 0 };
  size_t size[16] = { 0 };
  long bad = 0;
  for (int op = 0; op < MALLOC_OPS; op++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    int k = x % 16;
    if (slot[k]) {
      unsigned char *p = slot[k], v = (unsigned char)(size[k] * 31 + k);
      for (size_t i = 0; i < size[k]; i += 61) bad += p[i] != v;
      bad += p[size[k] - 1] != v;
      if ((x >> 40) % 4 == 0) {
        /* grow or shrink in place or by moving (mremap for mmapped blocks) */
        size_t n = (x >> 44) % 2 ? size[k] * 2 + 1 : size[k] / 2 + 1;
        p = realloc(p, n);
        for (size_t i = 0; i < n && i < size[k]; i += 61) bad += p[i] != v;
        v = (unsigned char)(n * 31 + k);
        memset(p, v, n);
        slot[k] = p;
        size[k] = n;
        continue;
      }
      free(p);
      slot[k] = NULL;
    } else {
      /* Mostly small blocks; one in eight above the mmap threshold (128 KiB). */
      size[k] = (x >> 8) % 8 == 0 ? 130000 + (x >> 20) % 200000 : 16 + (x >> 20) % 4000;
      slot[k] = malloc(size[k]);
      memset(slot[k], (unsigned char)(size[k] * 31 + k), size[k]);
    }
  }
  for (int k = 0; k < 16; k++) free(slot[k]);
  return (void *)bad;
}

int main(void) {
  buf = mmap(NULL, BUF_WORDS * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  pthread_t a, b;
  void *ra;
  pthread_create(&a, NULL, storer, NULL);
  pthread_create(&b, NULL, mapper, NULL);
  pthread_join(b, NULL);
  pthread_join(a, &ra);
  printf("store-while-mapping: wrong=%ld\n", (long)ra);

  pthread_t m[MALLOC_THREADS];
  long bad = 0;
  for (long i = 0; i < MALLOC_THREADS; i++) pthread_create(&m[i], NULL, mallocer, (void *)i);
  for (int i = 0; i < MALLOC_THREADS; i++) { void *r; pthread_join(m[i], &r); bad += (long)r; }
  printf("malloc-stress: wrong=%ld\n", bad);
  return 0;
}
