/*
 * The N-API conventions the tsqemu_sys sources share (see tsqemu_sys.c): typed arrays in as
 * Bufs (their own lengths, so a guest length never reaches past them), results as numbers,
 * -errno for a failed call, a thrown TypeError only for wrong JS arguments.
 */
#ifndef TSQEMU_NAPI_H
#define TSQEMU_NAPI_H
#include <errno.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define MAX_ARGS 8
#define MAX_IOV 1024
#define MAX_EVENTS 1024
#define MAX_POLLFDS 4096

typedef struct { void *p; size_t len; } Buf;

static inline int bad_arg(napi_env env, const char *what) {
  napi_throw_type_error(env, NULL, what);
  return -1;
}

static inline int get_int(napi_env env, napi_value v, int *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : bad_arg(env, "integer expected");
}

static inline int get_double(napi_env env, napi_value v, double *out) {
  return napi_get_value_double(env, v, out) == napi_ok ? 0 : bad_arg(env, "number expected");
}

/* A typed array (any element type, its bytes), or NULL/undefined as an empty Buf. */
static inline int get_buf(napi_env env, napi_value v, Buf *b, int optional) {
  napi_valuetype t;
  b->p = NULL;
  b->len = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return bad_arg(env, "bad value");
  if (optional && (t == napi_null || t == napi_undefined)) return 0;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return bad_arg(env, "typed array expected");
  napi_typedarray_type type;
  size_t count, offset;
  napi_value ab;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &count, &data, &ab, &offset) != napi_ok) return bad_arg(env, "bad typed array");
  size_t esize = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: esize = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: esize = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: esize = 8; break;
    default: break;
  }
  b->p = data;
  b->len = count * esize;
  return 0;
}

/* An Int32Array out-parameter with at least n elements. */
static inline int get_out(napi_env env, napi_value v, int32_t **out, size_t n) {
  Buf b;
  if (get_buf(env, v, &b, 0)) return -1;
  if (b.len < n * 4) return bad_arg(env, "out array too short");
  *out = b.p;
  return 0;
}

static inline napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static inline napi_value result(napi_env env, long r) { return num(env, r < 0 ? -errno : (double)r); }

#define ARGS(n) \
  size_t argc = MAX_ARGS; napi_value argv[MAX_ARGS]; \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < (n)) { \
    napi_throw_type_error(env, NULL, "missing arguments"); return NULL; }
#define INT(i, name) int name; if (get_int(env, argv[i], &name)) return NULL
#define BUF(i, name, opt) Buf name; if (get_buf(env, argv[i], &name, opt)) return NULL

/* The socket calls (tsqemu_sock.c), defined on the addon's exports. */
napi_status sys_define_sockets(napi_env env, napi_value exports);

#endif
