/*
 * tsqemu_proc: process-level host calls of tsqemu-riscv64 that tsqemu_sys lacks.
 *   residentPages(view, out): which pages of a typed array were ever written, from
 *     /proc/self/pagemap (present or swapped): fork copies those and skips the never-touched
 *     rest of a large reservation without reading it (reading would map it).
 *   pidfdGetfd(pidfd, fd, flags): pidfd_getfd(2).
 * Same conventions as tsqemu_sys.c: results or -errno; lengths are the arrays' own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static int view(napi_env env, napi_value v, uint8_t **p, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t n, off;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &n, &data, &ab, &off) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "Uint8Array expected");
    return -1;
  }
  *p = data;
  *len = n;
  return 0;
}

#define CHUNK 4096

static napi_value ResidentPages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return NULL;
  uint8_t *mem, *out;
  size_t len, outLen;
  if (view(env, argv[0], &mem, &len) || view(env, argv[1], &out, &outLen)) return NULL;
  long ps = sysconf(_SC_PAGESIZE);
  if (ps <= 0 || ((uintptr_t)mem % (uintptr_t)ps) != 0 || len % (size_t)ps != 0) return num(env, -EINVAL);
  size_t pages = len / (size_t)ps;
  if (outLen < pages) return num(env, -EINVAL);
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return num(env, -errno);
  uint64_t ent[CHUNK];
  size_t first = (uintptr_t)mem / (size_t)ps, found = 0;
  for (size_t i = 0; i < pages; i += CHUNK) {
    size_t n = pages - i < CHUNK ? pages - i : CHUNK;
    ssize_t r = pread(fd, ent, n * 8, (off_t)((first + i) * 8));
    if (r != (ssize_t)(n * 8)) { int e = r < 0 ? errno : EIO; close(fd); return num(env, -e); }
    for (size_t j = 0; j < n; j++) {
      int used = (ent[j] >> 62) != 0; /* bit 63 present, bit 62 swapped */
      out[i + j] = (uint8_t)used;
      found += (size_t)used;
    }
  }
  close(fd);
  return num(env, (double)found);
}

static napi_value PidfdGetfd(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t a[3] = { 0, 0, 0 };
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return NULL;
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_int32(env, argv[i], &a[i]) != napi_ok) { napi_throw_type_error(env, NULL, "int expected"); return NULL; }
  }
  long r = syscall(SYS_pidfd_getfd, a[0], a[1], (unsigned)a[2]);
  return num(env, r < 0 ? -errno : (double)r);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "residentPages", NULL, ResidentPages, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdGetfd", NULL, PidfdGetfd, NULL, NULL, NULL, napi_default, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
