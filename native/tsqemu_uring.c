/*
 * tsqemu_uring: the io_uring engine of tsqemu's main loop and block layer (N-API, raw io_uring
 * system calls: uring_raw.h; no liburing).
 *
 * One ring per AioContext. JavaScript batches requests into a Float64Array (one 8-slot record
 * per request) and submits them all with one io_uring_enter. The ring's eventfd is watched by
 * libuv (uv_poll_t on the JS thread's loop), so completions run on the JS loop with no polling
 * thread and no busy wait: the poll callback drains every CQE into a Float64Array and calls the
 * JS completion function once with the count.
 *
 * Request record (8 doubles; offsets and lengths stay below 2^53):
 *   [0] op  [1] fd  [2] buffer index  [3] byte offset in that buffer  [4] length
 *   [5] file offset  [6] user data (returned in the completion)  [7] op flags
 *   (FALLOCATE mode, POLL_ADD mask; READ/WRITE: 1 = IOSQE_ASYNC)
 * Completion record (2 doubles): [0] user data  [1] result (bytes or -errno)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>
#include "uring_raw.h"

enum {
  OP_NOP = 0, OP_READ = 1, OP_WRITE = 2, OP_READ_FIXED = 3, OP_WRITE_FIXED = 4,
  OP_FSYNC = 5, OP_FDATASYNC = 6, OP_FALLOCATE = 7, OP_POLL_ADD = 8, OP_POLL_REMOVE = 9,
};
#define REQ_SLOTS 8
#define CQE_SLOTS 2

typedef struct {
  tsq_ring ring;
  int efd;
  int closed;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_complete;     /* JS function(count) */
  napi_ref cq_array;        /* Float64Array the completions are written to */
  double *cq_out;
  size_t cq_cap;            /* completion records cq_out holds */
  napi_async_context actx;
  struct iovec *fixed;      /* registered buffers, for bounds checks */
  unsigned nfixed;
} Ring;

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value e, code, m;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  napi_create_int32(env, err, &code);
  napi_set_named_property(env, e, "errno", code);
  napi_throw(env, e);
  return NULL;
}

static Ring *get_ring(napi_env env, napi_value v) {
  Ring *r = NULL;
  if (napi_get_value_external(env, v, (void **)&r) != napi_ok || !r || r->closed) {
    napi_throw_error(env, NULL, "io_uring: ring is closed or invalid");
    return NULL;
  }
  return r;
}

/* Move every available CQE to JS in one call. */
static void drain(Ring *r) {
  napi_env env = r->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  for (;;) {
    unsigned ready = tsq_cq_ready(&r->ring), n = 0;
    for (; n < ready && n < r->cq_cap; n++) {
      struct io_uring_cqe *cqe = tsq_cqe_at(&r->ring, n);
      r->cq_out[n * CQE_SLOTS] = (double)cqe->user_data;
      r->cq_out[n * CQE_SLOTS + 1] = (double)cqe->res;
    }
    if (n == 0) {
      /* CQEs that did not fit the CQ ring wait in the kernel's overflow list: flush them in. */
      if (tsq_cq_has_overflow(&r->ring) && tsq_get_events(&r->ring) == 0 && tsq_cq_ready(&r->ring)) continue;
      break;
    }
    tsq_cq_advance(&r->ring, n);
    napi_value cb, recv, argv[1], result;
    napi_get_reference_value(env, r->on_complete, &cb);
    napi_get_global(env, &recv);
    napi_create_uint32(env, n, &argv[0]);
    napi_status st = napi_make_callback(env, r->actx, recv, cb, 1, argv, &result);
    if (st != napi_ok) {
      /* An exception in the JS callback: leave the rest for the next wakeup after it surfaces. */
      break;
    }
    if (r->closed) break;
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  Ring *r = h->data;
  uint64_t v;
  while (read(r->efd, &v, sizeof v) < 0 && errno == EINTR) {}
  if (!r->closed) drain(r);
}

/* reap(ring): hand the completions already in the CQ ring to JS now (a read the kernel
 * finished inline during submit), without waiting for the loop turn that polls the eventfd.
 * The eventfd is left as it is (no system call here): its next poll reads it and finds the
 * CQ ring empty, or holding CQEs posted since, which it then drains. */
static napi_value reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  if (tsq_cq_ready(&r->ring) == 0 && !tsq_cq_has_overflow(&r->ring)) return NULL;
  drain(r);
  return NULL;
}

/* createRing(entries, onComplete(count), completions: Float64Array) -> ring */
static napi_value create_ring(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t entries;
  CHECK(napi_get_value_uint32(env, argv[0], &entries));
  if (entries < 1 || entries > 32768) { napi_throw_range_error(env, NULL, "io_uring: entries must be 1..32768"); return NULL; }
  napi_typedarray_type t; size_t len; void *data; napi_value ab; size_t boff;
  CHECK(napi_get_typedarray_info(env, argv[2], &t, &len, &data, &ab, &boff));
  if (t != napi_float64_array || len < CQE_SLOTS) { napi_throw_type_error(env, NULL, "io_uring: completions must be a Float64Array"); return NULL; }

  Ring *r = calloc(1, sizeof *r);
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  /* A CQ four times the SQ: a batch larger than the SQ still completes without overflow. */
  p.flags = IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  int err = tsq_ring_init(entries, &r->ring, &p);
  if (err < 0) { free(r); return throw_errno(env, "io_uring_queue_init", -err); }
  r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int rerr = r->efd < 0 ? -errno : tsq_register(r->ring.fd, IORING_REGISTER_EVENTFD, &r->efd, 1);
  if (rerr < 0) {
    int e = -rerr; if (r->efd >= 0) close(r->efd); tsq_ring_exit(&r->ring); free(r);
    return throw_errno(env, "io_uring_register_eventfd", e);
  }
  r->env = env;
  r->cq_out = data;
  r->cq_cap = len / CQE_SLOTS;
  CHECK(napi_create_reference(env, argv[1], 1, &r->on_complete));
  CHECK(napi_create_reference(env, argv[2], 1, &r->cq_array));
  napi_value resname;
  napi_create_string_utf8(env, "tsqemu:io_uring", NAPI_AUTO_LENGTH, &resname);
  napi_value resobj;
  napi_create_object(env, &resobj);
  CHECK(napi_async_init(env, resobj, resname, &r->actx));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &r->poll, r->efd);
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_poll);
  uv_unref((uv_handle_t *)&r->poll); /* an idle ring does not keep the process alive */
  napi_value ext;
  CHECK(napi_create_external(env, r, NULL, NULL, &ext));
  return ext;
}

/* registerBuffers(ring, [Uint8Array...]): READ_FIXED/WRITE_FIXED index into this list. The
 * memory must stay alive and unmoved while registered (guest RAM: a WebAssembly.Memory that
 * never grows). */
static napi_value register_buffers(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  uint32_t n;
  CHECK(napi_get_array_length(env, argv[1], &n));
  if (n == 0 || n > 1024) { napi_throw_range_error(env, NULL, "io_uring: 1..1024 buffers"); return NULL; }
  struct iovec *iov = calloc(n, sizeof *iov);
  for (uint32_t i = 0; i < n; i++) {
    napi_value el, ab; napi_typedarray_type t; size_t len, boff; void *data;
    CHECK(napi_get_element(env, argv[1], i, &el));
    if (napi_get_typedarray_info(env, el, &t, &len, &data, &ab, &boff) != napi_ok || t != napi_uint8_array) {
      free(iov); napi_throw_type_error(env, NULL, "io_uring: buffers must be Uint8Arrays"); return NULL;
    }
    iov[i].iov_base = data;
    iov[i].iov_len = len;
  }
  if (r->fixed) { tsq_register(r->ring.fd, IORING_UNREGISTER_BUFFERS, NULL, 0); free(r->fixed); r->fixed = NULL; r->nfixed = 0; }
  int err = tsq_register(r->ring.fd, IORING_REGISTER_BUFFERS, iov, n);
  if (err < 0) { free(iov); return throw_errno(env, "io_uring_register_buffers", -err); }
  r->fixed = iov;
  r->nfixed = n;
  return NULL;
}

static struct io_uring_sqe *next_sqe(Ring *r) {
  struct io_uring_sqe *sqe = tsq_get_sqe(&r->ring);
  while (!sqe) {
    /* SQ full: push what we have to the kernel and retry. */
    int ret = tsq_submit(&r->ring);
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) return NULL;
    if (ret == -EBUSY) drain(r);
    sqe = tsq_get_sqe(&r->ring);
  }
  return sqe;
}

/* Check [off, off+len) lies in buffer `idx`; returns its base address or NULL. */
static char *buf_range(napi_env env, napi_value bufs, Ring *r, int fixed, double idx, double off, double len) {
  if (idx < 0 || off < 0 || len < 0) return NULL;
  if (fixed) {
    if ((unsigned)idx >= r->nfixed || off + len > (double)r->fixed[(unsigned)idx].iov_len) return NULL;
    return (char *)r->fixed[(unsigned)idx].iov_base + (size_t)off;
  }
  napi_value el, ab; napi_typedarray_type t; size_t blen, boff; void *data;
  if (napi_get_element(env, bufs, (uint32_t)idx, &el) != napi_ok) return NULL;
  if (napi_get_typedarray_info(env, el, &t, &blen, &data, &ab, &boff) != napi_ok || t != napi_uint8_array) return NULL;
  if (off + len > (double)blen) return NULL;
  return (char *)data + (size_t)off;
}

/* submit(ring, requests: Float64Array, count, buffers: Uint8Array[]) -> submitted count.
 * Every request of the batch enters the kernel with one io_uring_enter (more only when the
 * SQ is smaller than the batch). */
static napi_value submit(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  napi_typedarray_type t; size_t len; void *data; napi_value ab; size_t boff;
  CHECK(napi_get_typedarray_info(env, argv[1], &t, &len, &data, &ab, &boff));
  uint32_t count;
  CHECK(napi_get_value_uint32(env, argv[2], &count));
  if (t != napi_float64_array || (size_t)count * REQ_SLOTS > len) { napi_throw_range_error(env, NULL, "io_uring: bad request array"); return NULL; }
  const double *q = data;
  /* Validate the whole batch first, so a bad request leaves nothing half-queued. */
  for (uint32_t i = 0; i < count; i++) {
    const double *d = q + (size_t)i * REQ_SLOTS;
    int op = (int)d[0];
    if (op >= OP_READ && op <= OP_WRITE_FIXED && !buf_range(env, argv[3], r, op >= OP_READ_FIXED, d[2], d[3], d[4])) {
      napi_throw_range_error(env, NULL, "io_uring: request outside its buffer");
      return NULL;
    }
  }
  for (uint32_t i = 0; i < count; i++) {
    const double *d = q + (size_t)i * REQ_SLOTS;
    int op = (int)d[0], fd = (int)d[1];
    struct io_uring_sqe *sqe = next_sqe(r);
    if (!sqe) return throw_errno(env, "io_uring_submit", EIO);
    char *p = NULL;
    if (op >= OP_READ && op <= OP_WRITE_FIXED) p = buf_range(env, argv[3], r, op >= OP_READ_FIXED, d[2], d[3], d[4]);
    switch (op) {
      case OP_READ: tsq_prep_rw(sqe, IORING_OP_READ, fd, p, (unsigned)d[4], (uint64_t)d[5]); break;
      case OP_WRITE: tsq_prep_rw(sqe, IORING_OP_WRITE, fd, p, (unsigned)d[4], (uint64_t)d[5]); break;
      case OP_READ_FIXED: tsq_prep_fixed(sqe, IORING_OP_READ_FIXED, fd, p, (unsigned)d[4], (uint64_t)d[5], (int)d[2]); break;
      case OP_WRITE_FIXED: tsq_prep_fixed(sqe, IORING_OP_WRITE_FIXED, fd, p, (unsigned)d[4], (uint64_t)d[5], (int)d[2]); break;
      case OP_FSYNC: tsq_prep_fsync(sqe, fd, 0); break;
      case OP_FDATASYNC: tsq_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC); break;
      case OP_FALLOCATE: tsq_prep_fallocate(sqe, fd, (int)d[7], (uint64_t)d[5], (uint64_t)d[4]); break;
      case OP_POLL_ADD: tsq_prep_poll_add(sqe, fd, (unsigned)d[7]); break;
      case OP_POLL_REMOVE: tsq_prep_poll_remove(sqe, (uint64_t)d[5]); break;
      default: tsq_prep_rw(sqe, IORING_OP_NOP, -1, NULL, 0, 0); break;
    }
    /* READ/WRITE flag 1: straight to an io-wq worker (a buffered write, which the kernel would
     * punt after a failed non-blocking try anyway). */
    if (op >= OP_READ && op <= OP_WRITE_FIXED && ((unsigned)d[7] & 1)) sqe->flags |= IOSQE_ASYNC;
    sqe->user_data = (uint64_t)d[6];
  }
  int ret;
  do { ret = tsq_submit(&r->ring); if (ret == -EBUSY) drain(r); } while (ret == -EINTR || ret == -EAGAIN || ret == -EBUSY);
  if (ret < 0) return throw_errno(env, "io_uring_submit", -ret);
  napi_value out;
  napi_create_uint32(env, count, &out);
  return out;
}

/* close(ring): stop watching, unregister and free. In-flight requests are waited for first so
 * the kernel never writes into memory JS may reuse. */
static void close_cb(uv_handle_t *h) {
  Ring *r = h->data;
  free(r->fixed);
  free(r);
}

static napi_value close_ring(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  r->closed = 1;
  uv_poll_stop(&r->poll);
  tsq_ring_exit(&r->ring); /* the kernel cancels or finishes in-flight I/O when the ring's fd closes */
  close(r->efd);
  napi_delete_reference(env, r->on_complete);
  napi_delete_reference(env, r->cq_array);
  napi_async_destroy(env, r->actx);
  uv_close((uv_handle_t *)&r->poll, close_cb);
  return NULL;
}

/* setRef(ring, on): keep the JS loop alive only while requests are in flight. */
static napi_value set_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  bool on;
  CHECK(napi_get_value_bool(env, argv[1], &on));
  if (on) uv_ref((uv_handle_t *)&r->poll); else uv_unref((uv_handle_t *)&r->poll);
  return NULL;
}

/* addrMod(u8, m) -> (address of u8's first byte) % m: lets JS pick O_DIRECT-aligned views. */
static napi_value addr_mod(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type t; size_t len, boff; void *data; napi_value ab;
  uint32_t m;
  CHECK(napi_get_typedarray_info(env, argv[0], &t, &len, &data, &ab, &boff));
  CHECK(napi_get_value_uint32(env, argv[1], &m));
  if (m == 0) m = 1;
  napi_value out;
  napi_create_uint32(env, (uint32_t)((uintptr_t)data % m), &out);
  return out;
}

/* probe() -> true when io_uring works here (kernel support and not disabled). */
static napi_value probe(napi_env env, napi_callback_info info) {
  tsq_ring ring;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int ok = tsq_ring_init(2, &ring, &p) == 0;
  if (ok) tsq_ring_exit(&ring);
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

/* preadNowait(fd, Uint8Array, offset) -> bytes read, or -errno: preadv2(RWF_NOWAIT), a read that
 * only copies from the page cache and never blocks (-EAGAIN when the data is not all there).
 * aio=threads tries it on the JS thread before handing a read to the thread pool, as io_uring
 * does inline for cached data. The length is the array's own. */
static napi_value pread_nowait(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  double off;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  napi_typedarray_type t; size_t len; void *data; napi_value ab; size_t boff;
  CHECK(napi_get_typedarray_info(env, argv[1], &t, &len, &data, &ab, &boff));
  if (t != napi_uint8_array) { napi_throw_type_error(env, NULL, "preadNowait: buffer must be a Uint8Array"); return NULL; }
  CHECK(napi_get_value_double(env, argv[2], &off));
  double res;
  if (!(off >= 0 && off <= 9007199254740991.0)) res = -EINVAL;
  else {
    struct iovec iov = { data, len };
    ssize_t n;
    do n = preadv2(fd, &iov, 1, (off_t)off, RWF_NOWAIT); while (n < 0 && errno == EINTR);
    res = n < 0 ? -errno : (double)n;
  }
  napi_value out;
  CHECK(napi_create_double(env, res, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "probe", NULL, probe, NULL, NULL, NULL, napi_default, NULL },
    { "createRing", NULL, create_ring, NULL, NULL, NULL, napi_default, NULL },
    { "registerBuffers", NULL, register_buffers, NULL, NULL, NULL, napi_default, NULL },
    { "submit", NULL, submit, NULL, NULL, NULL, napi_default, NULL },
    { "reap", NULL, reap, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, close_ring, NULL, NULL, NULL, napi_default, NULL },
    { "setRef", NULL, set_ref, NULL, NULL, NULL, napi_default, NULL },
    { "addrMod", NULL, addr_mod, NULL, NULL, NULL, napi_default, NULL },
    { "preadNowait", NULL, pread_nowait, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
