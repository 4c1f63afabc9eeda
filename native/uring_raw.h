/*
 * uring_raw.h: the part of io_uring tsqemu uses, on the raw system calls (io_uring_setup,
 * io_uring_enter, io_uring_register) and the kernel's own <linux/io_uring.h>, so the addon
 * builds on any Linux with a C compiler; no liburing needed.
 *
 * The rings are shared with the kernel: we own the SQ tail and the CQ head, the kernel owns the
 * SQ head and the CQ tail. Stores we publish use release order and loads of the kernel's
 * indices use acquire order, as the io_uring ABI requires.
 */
#ifndef TSQEMU_URING_RAW_H
#define TSQEMU_URING_RAW_H

#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct {
  int fd;
  unsigned features;
  /* submission queue */
  unsigned *sq_khead, *sq_ktail, *sq_kflags, *sq_array;
  unsigned sq_mask, sq_entries;
  unsigned sqe_tail;           /* next SQE we hand out (published to the kernel at submit) */
  struct io_uring_sqe *sqes;
  /* completion queue */
  unsigned *cq_khead, *cq_ktail;
  unsigned cq_mask, cq_entries;
  struct io_uring_cqe *cqes;
  /* mappings */
  void *sq_ring, *cq_ring;
  size_t sq_ring_sz, cq_ring_sz, sqes_sz;
} tsq_ring;

#define TSQ_LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define TSQ_STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static inline int tsq_setup(unsigned entries, struct io_uring_params *p) {
  long r = syscall(__NR_io_uring_setup, entries, p);
  return r < 0 ? -errno : (int)r;
}

static inline int tsq_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, (size_t)0);
  return r < 0 ? -errno : (int)r;
}

static inline int tsq_register(int fd, unsigned op, const void *arg, unsigned nr) {
  long r = syscall(__NR_io_uring_register, fd, op, arg, nr);
  return r < 0 ? -errno : (int)r;
}

static inline void tsq_ring_exit(tsq_ring *r) {
  if (r->sqes && r->sqes != MAP_FAILED) munmap(r->sqes, r->sqes_sz);
  if (r->cq_ring && r->cq_ring != MAP_FAILED && r->cq_ring != r->sq_ring) munmap(r->cq_ring, r->cq_ring_sz);
  if (r->sq_ring && r->sq_ring != MAP_FAILED) munmap(r->sq_ring, r->sq_ring_sz);
  if (r->fd >= 0) close(r->fd);
  memset(r, 0, sizeof *r);
  r->fd = -1;
}

/* Set up a ring and map it; returns 0 or -errno. */
static inline int tsq_ring_init(unsigned entries, tsq_ring *r, struct io_uring_params *p) {
  memset(r, 0, sizeof *r);
  r->fd = tsq_setup(entries, p);
  if (r->fd < 0) { int e = r->fd; r->fd = -1; return e; }
  r->features = p->features;
  r->sq_ring_sz = p->sq_off.array + p->sq_entries * sizeof(unsigned);
  r->cq_ring_sz = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
  if (p->features & IORING_FEAT_SINGLE_MMAP) {
    if (r->cq_ring_sz > r->sq_ring_sz) r->sq_ring_sz = r->cq_ring_sz;
    r->cq_ring_sz = r->sq_ring_sz;
  }
  r->sq_ring = mmap(NULL, r->sq_ring_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  if (r->sq_ring == MAP_FAILED) { int e = -errno; tsq_ring_exit(r); return e; }
  if (p->features & IORING_FEAT_SINGLE_MMAP) r->cq_ring = r->sq_ring;
  else {
    r->cq_ring = mmap(NULL, r->cq_ring_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
    if (r->cq_ring == MAP_FAILED) { int e = -errno; tsq_ring_exit(r); return e; }
  }
  r->sqes_sz = p->sq_entries * sizeof(struct io_uring_sqe);
  r->sqes = mmap(NULL, r->sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
  if (r->sqes == MAP_FAILED) { int e = -errno; tsq_ring_exit(r); return e; }
  char *sq = r->sq_ring, *cq = r->cq_ring;
  r->sq_khead = (unsigned *)(sq + p->sq_off.head);
  r->sq_ktail = (unsigned *)(sq + p->sq_off.tail);
  r->sq_kflags = (unsigned *)(sq + p->sq_off.flags);
  r->sq_array = (unsigned *)(sq + p->sq_off.array);
  r->sq_mask = *(unsigned *)(sq + p->sq_off.ring_mask);
  r->sq_entries = *(unsigned *)(sq + p->sq_off.ring_entries);
  r->cq_khead = (unsigned *)(cq + p->cq_off.head);
  r->cq_ktail = (unsigned *)(cq + p->cq_off.tail);
  r->cq_mask = *(unsigned *)(cq + p->cq_off.ring_mask);
  r->cq_entries = *(unsigned *)(cq + p->cq_off.ring_entries);
  r->cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
  /* SQ slot i always names SQE i: the SQEs are used in ring order. */
  for (unsigned i = 0; i < r->sq_entries; i++) r->sq_array[i] = i;
  r->sqe_tail = *r->sq_ktail;
  return 0;
}

/* A zeroed SQE, or NULL when every slot waits for the kernel. */
static inline struct io_uring_sqe *tsq_get_sqe(tsq_ring *r) {
  unsigned head = TSQ_LOAD_ACQ(r->sq_khead);
  if (r->sqe_tail - head >= r->sq_entries) return NULL;
  struct io_uring_sqe *sqe = &r->sqes[r->sqe_tail & r->sq_mask];
  r->sqe_tail++;
  memset(sqe, 0, sizeof *sqe);
  return sqe;
}

/* Publish the SQEs handed out and enter the kernel; returns how many it consumed or -errno. */
static inline int tsq_submit(tsq_ring *r) {
  TSQ_STORE_REL(r->sq_ktail, r->sqe_tail);
  unsigned pending = r->sqe_tail - TSQ_LOAD_ACQ(r->sq_khead);
  unsigned flags = 0;
  /* Completions stuck in the kernel's overflow list are flushed in by a GETEVENTS enter. */
  if (TSQ_LOAD_ACQ(r->sq_kflags) & IORING_SQ_CQ_OVERFLOW) flags |= IORING_ENTER_GETEVENTS;
  if (pending == 0 && flags == 0) return 0;
  return tsq_enter(r->fd, pending, 0, flags);
}

static inline unsigned tsq_cq_ready(tsq_ring *r) {
  return TSQ_LOAD_ACQ(r->cq_ktail) - *r->cq_khead;
}

static inline struct io_uring_cqe *tsq_cqe_at(tsq_ring *r, unsigned i) {
  return &r->cqes[(*r->cq_khead + i) & r->cq_mask];
}

static inline void tsq_cq_advance(tsq_ring *r, unsigned n) {
  TSQ_STORE_REL(r->cq_khead, *r->cq_khead + n);
}

static inline int tsq_cq_has_overflow(tsq_ring *r) {
  return (TSQ_LOAD_ACQ(r->sq_kflags) & IORING_SQ_CQ_OVERFLOW) != 0;
}

static inline int tsq_get_events(tsq_ring *r) {
  int ret = tsq_enter(r->fd, 0, 0, IORING_ENTER_GETEVENTS);
  return ret < 0 ? ret : 0;
}

static inline void tsq_prep_rw(struct io_uring_sqe *sqe, int op, int fd, const void *addr, unsigned len, uint64_t off) {
  sqe->opcode = (uint8_t)op;
  sqe->fd = fd;
  sqe->addr = (uint64_t)(uintptr_t)addr;
  sqe->len = len;
  sqe->off = off;
}

static inline void tsq_prep_fixed(struct io_uring_sqe *sqe, int op, int fd, const void *addr, unsigned len, uint64_t off, int buf_index) {
  tsq_prep_rw(sqe, op, fd, addr, len, off);
  sqe->buf_index = (uint16_t)buf_index;
}

static inline void tsq_prep_fsync(struct io_uring_sqe *sqe, int fd, unsigned flags) {
  tsq_prep_rw(sqe, IORING_OP_FSYNC, fd, NULL, 0, 0);
  sqe->fsync_flags = flags;
}

/* fallocate: the mode travels in len and the length in addr (the ABI's layout). */
static inline void tsq_prep_fallocate(struct io_uring_sqe *sqe, int fd, int mode, uint64_t off, uint64_t len) {
  tsq_prep_rw(sqe, IORING_OP_FALLOCATE, fd, NULL, (unsigned)mode, off);
  sqe->addr = len;
}

static inline void tsq_prep_poll_add(struct io_uring_sqe *sqe, int fd, unsigned mask) {
  tsq_prep_rw(sqe, IORING_OP_POLL_ADD, fd, NULL, 0, 0);
  sqe->poll32_events = mask; /* little-endian hosts (x86-64, arm64, riscv64) */
}

static inline void tsq_prep_poll_remove(struct io_uring_sqe *sqe, uint64_t user_data) {
  tsq_prep_rw(sqe, IORING_OP_POLL_REMOVE, -1, NULL, 0, 0);
  sqe->addr = user_data;
}

#endif
