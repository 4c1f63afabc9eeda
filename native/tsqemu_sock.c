/*
 * tsqemu_sys, its BSD socket calls: socket, bind/connect, accept4, sendto/recvfrom,
 * sendmsg/recvmsg with ancillary data, socket options. Guest sockaddrs and cmsghdrs have the
 * host's layout on a 64-bit little-endian Linux host and pass through unchanged.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "tsqemu_napi.h"

/* A guest sockaddr in; longer than any address family's: EINVAL (as Linux). */
static int sockaddr_in(const Buf *b, struct sockaddr_storage *ss, socklen_t *len) {
  if (b->len > sizeof *ss) return -EINVAL;
  memset(ss, 0, sizeof *ss);
  memcpy(ss, b->p, b->len);
  *len = b->len;
  return 0;
}

/* A host sockaddr out: copy what fits, report the full length (the guest sees truncation). */
static void sockaddr_out(const struct sockaddr_storage *ss, socklen_t len, Buf *b, int32_t *lenp) {
  size_t n = len < b->len ? len : b->len;
  if (b->p) memcpy(b->p, ss, n);
  if (lenp) *lenp = (int32_t)len;
}

static napi_value Socket(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, domain); INT(1, type); INT(2, proto);
  return result(env, socket(domain, type | SOCK_CLOEXEC, proto));
}

static napi_value Socketpair(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, domain); INT(1, type); INT(2, proto);
  int32_t *out;
  if (get_out(env, argv[3], &out, 2)) return NULL;
  int sv[2];
  long r = socketpair(domain, type | SOCK_CLOEXEC, proto, sv);
  if (r == 0) { out[0] = sv[0]; out[1] = sv[1]; }
  return result(env, r);
}

/* bind(fd, addr) and connect(fd, addr). */
static napi_value addr_call(napi_env env, napi_callback_info info, int (*fn)(int, const struct sockaddr *, socklen_t)) {
  ARGS(2); INT(0, fd); BUF(1, a, 0);
  struct sockaddr_storage ss;
  socklen_t len;
  int e = sockaddr_in(&a, &ss, &len);
  if (e) return num(env, e);
  return result(env, fn(fd, (struct sockaddr *)&ss, len));
}
static napi_value Bind(napi_env env, napi_callback_info info) { return addr_call(env, info, bind); }
static napi_value Connect(napi_env env, napi_callback_info info) { return addr_call(env, info, connect); }

static napi_value Listen(napi_env env, napi_callback_info info) {
  ARGS(2); INT(0, fd); INT(1, backlog);
  return result(env, listen(fd, backlog));
}

static napi_value Accept4(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, fd); BUF(1, a, 1); INT(3, flags);
  int32_t *lenp;
  if (get_out(env, argv[2], &lenp, 1)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = accept4(fd, (struct sockaddr *)&ss, &len, flags | SOCK_CLOEXEC);
  if (r >= 0) sockaddr_out(&ss, len, &a, lenp);
  return result(env, r);
}

/* getsockname(fd, addr, lenOut) and getpeername. */
static napi_value name_call(napi_env env, napi_callback_info info, int (*fn)(int, struct sockaddr *, socklen_t *)) {
  ARGS(3); INT(0, fd); BUF(1, a, 0);
  int32_t *lenp;
  if (get_out(env, argv[2], &lenp, 1)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = fn(fd, (struct sockaddr *)&ss, &len);
  if (r == 0) sockaddr_out(&ss, len, &a, lenp);
  return result(env, r);
}
static napi_value Getsockname(napi_env env, napi_callback_info info) { return name_call(env, info, getsockname); }
static napi_value Getpeername(napi_env env, napi_callback_info info) { return name_call(env, info, getpeername); }

static napi_value Sendto(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, fd); BUF(1, b, 0); INT(2, flags); BUF(3, a, 1);
  struct sockaddr_storage ss;
  socklen_t len = 0;
  if (a.p) { int e = sockaddr_in(&a, &ss, &len); if (e) return num(env, e); }
  return result(env, sendto(fd, b.p, b.len, flags, a.p ? (struct sockaddr *)&ss : NULL, len));
}

static napi_value Recvfrom(napi_env env, napi_callback_info info) {
  ARGS(5); INT(0, fd); BUF(1, b, 0); INT(2, flags); BUF(3, a, 1);
  int32_t *lenp;
  if (get_out(env, argv[4], &lenp, 1)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = recvfrom(fd, b.p, b.len, flags, (struct sockaddr *)&ss, &len);
  if (r >= 0) { if (!a.p) len = 0; sockaddr_out(&ss, len, &a, lenp); }
  return result(env, r);
}

/* The iovecs of a JS array of typed arrays. Returns the count, or -1 with an exception. */
static int iovecs(napi_env env, napi_value arr, struct iovec *iov) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return bad_arg(env, "array expected");
  if (n > MAX_IOV) return bad_arg(env, "too many buffers");
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    Buf b;
    if (napi_get_element(env, arr, i, &e) != napi_ok || get_buf(env, e, &b, 0)) return -1;
    iov[i].iov_base = b.p;
    iov[i].iov_len = b.len;
  }
  return (int)n;
}

/* sendmsg(fd, iovs[], name|null, control|null, flags); recvmsg(..., out[namelen, controllen,
 * msg_flags]). Control data passes through (the caller translates SCM_RIGHTS descriptors). */
static napi_value msg_call(napi_env env, napi_callback_info info, int recv) {
  ARGS(recv ? 6 : 5); INT(0, fd); BUF(2, name, 1); BUF(3, control, 1); INT(4, flags);
  static __thread struct iovec iov[MAX_IOV];
  int n = iovecs(env, argv[1], iov);
  if (n < 0) return NULL;
  struct sockaddr_storage ss;
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = iov;
  m.msg_iovlen = n;
  m.msg_control = control.len ? control.p : NULL;
  m.msg_controllen = control.len;
  if (!recv) {
    socklen_t len = 0;
    if (name.p) { int e = sockaddr_in(&name, &ss, &len); if (e) return num(env, e); }
    m.msg_name = name.p ? &ss : NULL;
    m.msg_namelen = len;
    return result(env, sendmsg(fd, &m, flags));
  }
  int32_t *out;
  if (get_out(env, argv[5], &out, 3)) return NULL;
  m.msg_name = name.p ? &ss : NULL;
  m.msg_namelen = name.p ? sizeof ss : 0;
  long r = recvmsg(fd, &m, flags | MSG_CMSG_CLOEXEC);
  if (r >= 0) {
    sockaddr_out(&ss, m.msg_namelen, &name, &out[0]);
    out[1] = (int32_t)m.msg_controllen;
    out[2] = m.msg_flags;
  }
  return result(env, r);
}
static napi_value Sendmsg(napi_env env, napi_callback_info info) { return msg_call(env, info, 0); }
static napi_value Recvmsg(napi_env env, napi_callback_info info) { return msg_call(env, info, 1); }

static napi_value Shutdown(napi_env env, napi_callback_info info) {
  ARGS(2); INT(0, fd); INT(1, how);
  return result(env, shutdown(fd, how));
}

static napi_value Getsockopt(napi_env env, napi_callback_info info) {
  ARGS(5); INT(0, fd); INT(1, level); INT(2, name); BUF(3, v, 0);
  int32_t *lenp;
  if (get_out(env, argv[4], &lenp, 1)) return NULL;
  socklen_t len = v.len;
  long r = getsockopt(fd, level, name, v.p, &len);
  if (r == 0) *lenp = (int32_t)len;
  return result(env, r);
}

static napi_value Setsockopt(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, fd); INT(1, level); INT(2, name); BUF(3, v, 1);
  return result(env, setsockopt(fd, level, name, v.p, v.len));
}


#define FN(name, fn) { name, NULL, fn, NULL, NULL, NULL, napi_default, NULL }

napi_status sys_define_sockets(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    FN("socket", Socket), FN("socketpair", Socketpair), FN("bind", Bind), FN("connect", Connect),
    FN("listen", Listen), FN("accept4", Accept4), FN("getsockname", Getsockname),
    FN("getpeername", Getpeername), FN("sendto", Sendto), FN("recvfrom", Recvfrom),
    FN("sendmsg", Sendmsg), FN("recvmsg", Recvmsg), FN("shutdown", Shutdown),
    FN("getsockopt", Getsockopt), FN("setsockopt", Setsockopt),
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
