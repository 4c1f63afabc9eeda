/*
 * tsqemu_fsdev: the host file calls the 9p local back end (src/host/node/9p-local.ts) needs and
 * Node lacks: extended attributes, mknod, utimensat with nanoseconds and UTIME_OMIT, and a
 * stat that also reads QEMU's mapped-xattr ownership (user.virtfs.*) in the same trip.
 *
 * One entry point: fsCall(op, path, name, buf, a, b, c, d) -> Promise<number>. It runs on the
 * libuv thread pool (the main loop never waits on the disk) and resolves with the call's result
 * or -errno; it only throws for wrong JS arguments. fsCallSync (same arguments, the stat ops
 * only) returns the same number at once: a stat of a local file costs a few microseconds, a trip
 * to the pool and back ~40 us of CPU and, for the 9p server, a reply the guest must sleep for. Paths and names arrive as byte arrays and
 * are copied (a NUL inside one is EINVAL); `buf` is kept referenced until the call completes
 * and its length bounds every transfer.
 *
 * Every path the back end passes is "/proc/self/fd/<dirfd>/<name>" or "/proc/self/fd/<fd>":
 * the l* calls never follow the last component, so a symlink placed in the export is never
 * followed out of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

enum {
  OP_LGETXATTR = 1, OP_LSETXATTR = 2, OP_LLISTXATTR = 3, OP_LREMOVEXATTR = 4,
  OP_MKNOD = 5, OP_UTIMENSAT = 6, OP_LSTAT = 7, OP_FSTAT = 8, OP_FGETXATTR = 9, OP_FSETXATTR = 10, OP_WALKDIR = 11, OP_LSTATAT = 12, OP_SETMAPPED = 13,
};

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref bufref;
  int op;
  char *path;
  char *name;
  void *buf;
  size_t len;
  int64_t a, b, c, d;
  long result;
} FsReq;

/* stat fields out, as int64 (the layout 9p-local.ts reads). */
enum { ST_MODE, ST_UID, ST_GID, ST_NLINK, ST_RDEV, ST_SIZE, ST_BLKSIZE, ST_BLOCKS, ST_ATIME, ST_ATIME_NS, ST_MTIME,
       ST_MTIME_NS, ST_CTIME, ST_CTIME_NS, ST_INO, ST_DEV, ST_COUNT };

/* QEMU's mapped-xattr ownership: little-endian u32 uid/gid/mode, u64 rdev. */
static void mapped(int fd, const char *path, int64_t *o) {
  uint32_t v32;
  uint64_t v64;
#define GET(n, p, s) (fd >= 0 ? fgetxattr(fd, n, p, s) : lgetxattr(path, n, p, s))
  if (GET("user.virtfs.uid", &v32, sizeof v32) > 0) o[ST_UID] = le32toh(v32);
  if (GET("user.virtfs.gid", &v32, sizeof v32) > 0) o[ST_GID] = le32toh(v32);
  if (GET("user.virtfs.mode", &v32, sizeof v32) > 0) o[ST_MODE] = le32toh(v32);
  if (GET("user.virtfs.rdev", &v64, sizeof v64) > 0) o[ST_RDEV] = (int64_t)le64toh(v64);
#undef GET
}

static long do_stat(FsReq *r) {
  struct stat st;
  int64_t *o = r->buf;
  if (r->len < ST_COUNT * sizeof(int64_t)) { errno = EINVAL; return -1; }
  int fd = (int)r->b;
  if ((r->op == OP_FSTAT ? fstat(fd, &st) : lstat(r->path, &st)) < 0) return -1;
  o[ST_MODE] = st.st_mode; o[ST_UID] = st.st_uid; o[ST_GID] = st.st_gid; o[ST_NLINK] = st.st_nlink;
  o[ST_RDEV] = st.st_rdev; o[ST_SIZE] = st.st_size; o[ST_BLKSIZE] = st.st_blksize; o[ST_BLOCKS] = st.st_blocks;
  o[ST_ATIME] = st.st_atim.tv_sec; o[ST_ATIME_NS] = st.st_atim.tv_nsec;
  o[ST_MTIME] = st.st_mtim.tv_sec; o[ST_MTIME_NS] = st.st_mtim.tv_nsec;
  o[ST_CTIME] = st.st_ctim.tv_sec; o[ST_CTIME_NS] = st.st_ctim.tv_nsec;
  o[ST_INO] = (int64_t)st.st_ino; o[ST_DEV] = (int64_t)st.st_dev;
  /* a = 1: overlay user.virtfs.* (never on a symlink: Linux has no user xattrs there). */
  if (r->a && !S_ISLNK(st.st_mode)) mapped(r->op == OP_FSTAT ? fd : -1, r->path, o);
  return 0;
}

/* Open directory "a/b/c" below descriptor `dirfd` one component at a time, never following a
 * link (O_PATH|O_DIRECTORY|O_NOFOLLOW), in one trip to the thread pool. The names were checked
 * by the server (no '/', not '.' or '..'); the path is split on '/'. Returns the last descriptor. */
static long walk_dir(int dirfd, char *path) {
  int fd = dirfd;
  for (char *name = path, *next; name && *name; name = next) {
    next = strchr(name, '/');
    if (next) *next++ = 0;
    int nfd = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    if (fd != dirfd) close(fd);
    if (nfd < 0) { errno = saved; return -1; }
    fd = nfd;
  }
  return fd == dirfd ? fcntl(dirfd, F_DUPFD_CLOEXEC, 0) : fd;
}

/* lstat of "a/b/c" below descriptor `b`: walk to "a/b" as walk_dir does, then the last name,
 * not followed (with the mapped xattrs when `a`). One trip instead of two. */
static long lstat_at(FsReq *r) {
  char *slash = strrchr(r->path, '/');
  int dfd = (int)r->b;
  if (slash) {
    *slash = 0;
    long fd = walk_dir(dfd, r->path);
    if (fd < 0) return -1;
    dfd = (int)fd;
  }
  const char *name = slash ? slash + 1 : r->path;
  char buf[64 + 4096];
  if (strlen(name) > 4096) { if (slash) close(dfd); errno = ENAMETOOLONG; return -1; }
  snprintf(buf, sizeof buf, "/proc/self/fd/%d/%s", dfd, name);
  char *saved = r->path;
  r->path = buf;
  int op = r->op;
  r->op = OP_LSTAT;
  long ret = do_stat(r);
  int e = errno;
  r->op = op;
  r->path = saved;
  if (slash) close(dfd);
  errno = e;
  return ret;
}

/* QEMU's local_set_xattrat: user.virtfs.uid/gid/mode (LE u32) and rdev (LE u64), each unless -1. */
static long set_mapped(FsReq *r) {
  uint32_t v;
  uint64_t d;
  if (r->a != -1 && (v = htole32((uint32_t)r->a), lsetxattr(r->path, "user.virtfs.uid", &v, 4, 0) < 0)) return -1;
  if (r->b != -1 && (v = htole32((uint32_t)r->b), lsetxattr(r->path, "user.virtfs.gid", &v, 4, 0) < 0)) return -1;
  if (r->c != -1 && (v = htole32((uint32_t)r->c), lsetxattr(r->path, "user.virtfs.mode", &v, 4, 0) < 0)) return -1;
  if (r->d != -1 && (d = htole64((uint64_t)r->d), lsetxattr(r->path, "user.virtfs.rdev", &d, 8, 0) < 0)) return -1;
  return 0;
}

static void fs_execute(napi_env env, void *data) {
  FsReq *r = data;
  long ret;
  errno = 0;
  switch (r->op) {
    case OP_LGETXATTR: ret = lgetxattr(r->path, r->name, r->buf, r->len); break;
    case OP_FGETXATTR: ret = fgetxattr((int)r->a, r->name, r->buf, r->len); break;
    case OP_LSETXATTR: ret = lsetxattr(r->path, r->name, r->buf, r->len, (int)r->a); break;
    case OP_FSETXATTR: ret = fsetxattr((int)r->b, r->name, r->buf, r->len, (int)r->a); break;
    case OP_LLISTXATTR: ret = llistxattr(r->path, r->buf, r->len); break;
    case OP_LREMOVEXATTR: ret = lremovexattr(r->path, r->name); break;
    case OP_MKNOD: ret = mknod(r->path, (mode_t)r->a, (dev_t)r->b); break;
    case OP_UTIMENSAT: {
      struct timespec ts[2] = { { (time_t)r->a, (long)r->b }, { (time_t)r->c, (long)r->d } };
      ret = utimensat(AT_FDCWD, r->path, ts, AT_SYMLINK_NOFOLLOW);
      break;
    }
    case OP_LSTAT: case OP_FSTAT: ret = do_stat(r); break;
    case OP_LSTATAT: ret = r->path ? lstat_at(r) : (errno = EINVAL, -1); break;
    case OP_SETMAPPED: ret = r->path ? set_mapped(r) : (errno = EINVAL, -1); break;
    case OP_WALKDIR: ret = r->path ? walk_dir((int)r->a, r->path) : (errno = EINVAL, -1); break;
    default: errno = ENOSYS; ret = -1;
  }
  r->result = ret < 0 ? -(errno ? errno : EIO) : ret;
}

static void fs_complete(napi_env env, napi_status status, void *data) {
  FsReq *r = data;
  napi_value v;
  napi_create_double(env, status == napi_ok ? (double)r->result : -EIO, &v);
  napi_resolve_deferred(env, r->deferred, v);
  if (r->bufref) napi_delete_reference(env, r->bufref);
  napi_delete_async_work(env, r->work);
  free(r->path);
  free(r->name);
  free(r);
}

/* A byte array as a C string: NULL (and *bad set) when it holds a NUL. */
static char *cstr(napi_env env, napi_value v, int *bad) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) return NULL;
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) { *bad = 2; return NULL; }
  napi_typedarray_type type;
  size_t n, off;
  void *p;
  napi_value ab;
  napi_get_typedarray_info(env, v, &type, &n, &p, &ab, &off);
  if (type != napi_uint8_array || memchr(p, 0, n)) { *bad = 1; return NULL; }
  char *s = malloc(n + 1);
  memcpy(s, p, n);
  s[n] = 0;
  return s;
}

static napi_value FsCall(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 8) { napi_throw_type_error(env, NULL, "fsCall: 8 arguments"); return NULL; }
  FsReq *r = calloc(1, sizeof *r);
  int bad = 0;
  int32_t op;
  if (napi_get_value_int32(env, argv[0], &op) != napi_ok) bad = 2;
  r->op = op;
  r->path = cstr(env, argv[1], &bad);
  r->name = cstr(env, argv[2], &bad);
  int64_t *ints[4] = { &r->a, &r->b, &r->c, &r->d };
  for (int i = 0; i < 4; i++) if (napi_get_value_int64(env, argv[4 + i], ints[i]) != napi_ok) bad = 2;
  napi_valuetype t;
  napi_typeof(env, argv[3], &t);
  if (t != napi_null && t != napi_undefined) {
    bool is = false;
    napi_is_typedarray(env, argv[3], &is);
    if (!is) bad = 2;
    else {
      napi_typedarray_type type;
      size_t n, off;
      napi_value ab;
      napi_get_typedarray_info(env, argv[3], &type, &n, &r->buf, &ab, &off);
      size_t es = type == napi_bigint64_array || type == napi_biguint64_array || type == napi_float64_array ? 8 : 1;
      r->len = n * es;
      napi_create_reference(env, argv[3], 1, &r->bufref);
    }
  }
  if (bad == 2) {
    if (r->bufref) napi_delete_reference(env, r->bufref);
    free(r->path); free(r->name); free(r);
    napi_throw_type_error(env, NULL, "fsCall: bad argument");
    return NULL;
  }
  napi_value promise;
  napi_create_promise(env, &r->deferred, &promise);
  if (bad) {
    napi_value v;
    napi_create_double(env, -EINVAL, &v);
    napi_resolve_deferred(env, r->deferred, v);
    if (r->bufref) napi_delete_reference(env, r->bufref);
    free(r->path); free(r->name); free(r);
    return promise;
  }
  napi_value name;
  napi_create_string_utf8(env, "tsqemu:fsdev", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, fs_execute, fs_complete, r, &r->work);
  napi_queue_async_work(env, r->work);
  return promise;
}

/* The stat ops on the calling thread: fsCall's arguments, the result (or -errno) returned. The
 * buffer is the caller's and used only during the call. */
static napi_value FsCallSync(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 8) { napi_throw_type_error(env, NULL, "fsCallSync: 8 arguments"); return NULL; }
  FsReq r;
  memset(&r, 0, sizeof r);
  int bad = 0;
  int32_t op = 0;
  if (napi_get_value_int32(env, argv[0], &op) != napi_ok) bad = 2;
  r.op = op;
  int64_t *ints[4] = { &r.a, &r.b, &r.c, &r.d };
  for (int i = 0; i < 4; i++) if (napi_get_value_int64(env, argv[4 + i], ints[i]) != napi_ok) bad = 2;
  bool is = false;
  napi_is_typedarray(env, argv[3], &is);
  if (is) {
    napi_typedarray_type type;
    size_t n, off;
    napi_value ab;
    napi_get_typedarray_info(env, argv[3], &type, &n, &r.buf, &ab, &off);
    if (type != napi_bigint64_array) bad = 2;
    r.len = n * 8;
  } else bad = 2;
  if (op != OP_LSTAT && op != OP_FSTAT && op != OP_LSTATAT) bad = 2;
  if (!bad) r.path = cstr(env, argv[1], &bad);
  if (bad == 2) {
    free(r.path);
    napi_throw_type_error(env, NULL, "fsCallSync: bad argument");
    return NULL;
  }
  if (bad) r.result = -EINVAL;
  else fs_execute(env, &r);
  free(r.path);
  napi_value v;
  napi_create_double(env, (double)r.result, &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "fsCall", NULL, FsCall, NULL, NULL, NULL, napi_default, NULL },
    { "fsCallSync", NULL, FsCallSync, NULL, NULL, NULL, napi_default, NULL },
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
