/*
 * tsqemu_proc: process-level host calls of tsqemu-riscv64 that tsqemu_sys lacks.
 *   residentPages(view, out): which pages of a typed array were ever written, from
 *     /proc/self/pagemap (present or swapped): fork copies those and skips the never-touched
 *     rest of a large reservation without reading it (reading would map it).
 *   pidfdGetfd(pidfd, fd, flags): pidfd_getfd(2).
 *   sendFds(sock, fds), recvFds(sock, out), dup2(old, new), fdFlags(fd): the fork server's
 *     descriptor transfer (host/node/user-forkserver.ts): SCM_RIGHTS of up to 250 fds with one
 *     byte of data; received fds are close-on-exec.
 *   cred(op, a, b, c, buf): the credential calls, passed to the host as qemu-riscv64 does
 *     (glibc's set*id change every host thread: the process-wide semantics the guest's own
 *     setxid broadcast asks for); see Cred below.
 *   ioctlIfreq(fd, req, buf): the SIOCGIF* queries on a struct ifreq (40 bytes on riscv64 and
 *     the host alike); only those that read.
 *   prctl(option, a2, a3, a4, a5): the prctl options without pointer arguments
 *     (PR_GET_PDEATHSIG: the signal as the result).
 *   busGuard(mem, guestBase, slot, faultOff, kickOff): a host SIGBUS in the guest space (a
 *     shared file mapping whose file shrank under it) must not kill the emulator: the faulting
 *     page becomes private zeros, the access goes on, and the faulting guest thread (registered
 *     by its host tid) finds the guest address + 1 in its fault word and its exit_request set,
 *     so it raises the guest's SIGBUS (linux-user/shared-map.ts). Other SIGBUSes keep the
 *     previous disposition. Each guest thread's worker calls it once.
 *   faccessat(path, mode, flags): faccessat2(2) at AT_FDCWD (AT_EACCESS: the effective ids, which
 *     Node's access() does not use; AT_SYMLINK_NOFOLLOW), as qemu-riscv64 passes it on.
 *   priority(op, which, who, prio): op 0 the raw getpriority(2) (20 - nice), 1 setpriority(2).
 *   sched(op, pid, a, b, buf): the sched_* calls on the host (see Sched), as qemu-riscv64 makes
 *     them: buf is the struct (sched_param, sched_attr, timespec) in the host's layout.
 *   threadCpuMs(): the calling thread's CPU time in ms (CLOCK_THREAD_CPUTIME_ID): `info jit`'s
 *     translation cost, which wall time inflated several times on a loaded host.
 * Same conventions as tsqemu_sys.c: results or -errno; lengths are the arrays' own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <grp.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
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

static int ints(napi_env env, napi_callback_info info, napi_value *argv, size_t n, int32_t *a) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) { napi_throw_type_error(env, NULL, "arguments expected"); return -1; }
  for (size_t i = 0; i < n; i++) {
    if (napi_get_value_int32(env, argv[i], &a[i]) != napi_ok) a[i] = 0; /* typed arrays: read by the caller */
  }
  return 0;
}

static int i32view(napi_env env, napi_value v, int32_t **p, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t n, off;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &n, &data, &ab, &off) != napi_ok || (type != napi_int32_array && type != napi_uint32_array)) {
    napi_throw_type_error(env, NULL, "Int32Array expected");
    return -1;
  }
  *p = data;
  *len = n;
  return 0;
}

#define MAX_XFER_FDS 250

/* sendFds(sock, fds): one byte of data carrying fds.length (<= 250) descriptors. */
static napi_value SendFds(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t a[2];
  int32_t *fds;
  size_t n;
  if (ints(env, info, argv, 2, a) || i32view(env, argv[1], &fds, &n)) return NULL;
  if (n > MAX_XFER_FDS) return num(env, -EINVAL);
  char byte = (char)n;
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * MAX_XFER_FDS)]; } u;
  memset(&u, 0, sizeof u);
  struct msghdr m = { 0 };
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (n > 0) {
    m.msg_control = u.buf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  }
  ssize_t r;
  do r = sendmsg(a[0], &m, MSG_NOSIGNAL); while (r < 0 && errno == EINTR);
  return num(env, r < 0 ? -errno : (double)r);
}

/* recvFds(sock, out): the next message's descriptors into out (close-on-exec); their count, or
 * -errno (-EPIPE at end of stream, -EMSGSIZE when out was too small: the extra ones are closed). */
static napi_value RecvFds(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t a[2];
  int32_t *out;
  size_t n;
  if (ints(env, info, argv, 2, a) || i32view(env, argv[1], &out, &n)) return NULL;
  char byte;
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * MAX_XFER_FDS)]; } u;
  struct msghdr m = { 0 };
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.buf;
  m.msg_controllen = sizeof u.buf;
  ssize_t r;
  do r = recvmsg(a[0], &m, MSG_CMSG_CLOEXEC); while (r < 0 && errno == EINTR);
  if (r < 0) return num(env, -errno);
  if (r == 0) return num(env, -EPIPE);
  size_t got = 0;
  int over = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *p = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < k; i++) {
      int fd;
      memcpy(&fd, p + i, sizeof fd);
      if (got < n) out[got++] = fd; else { close(fd); over = 1; }
    }
  }
  if (over || (m.msg_flags & MSG_CTRUNC)) return num(env, -EMSGSIZE);
  return num(env, (double)got);
}

static napi_value Dup2(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t a[2];
  if (ints(env, info, argv, 2, a)) return NULL;
  int r = dup2(a[0], a[1]);
  return num(env, r < 0 ? -errno : r);
}

static napi_value FdFlags(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t a[1];
  if (ints(env, info, argv, 1, a)) return NULL;
  int r = fcntl(a[0], F_GETFD);
  return num(env, r < 0 ? -errno : r);
}

/* cred(op, a, b, c, buf): 0 setresuid(a, b, c), 1 setresgid, 2 getresuid -> buf[0..2],
 * 3 getresgid, 4 setgroups(a, buf), 5 getgroups(a, buf), 6 setfsuid(a) (the old id),
 * 7 setfsgid(a), 8 capget(buf[0..1] header, buf[2..7] data or none when a == 0), 9 capset,
 * 10 setreuid(a, b), 11 setregid(a, b), 12 setuid(a), 13 setgid(a). -1 ids are "unchanged"
 * as for the kernel. buf (Uint32Array) bounds every count. */
static napi_value Cred(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t a[5];
  if (ints(env, info, argv, 5, a)) return NULL;
  int32_t *buf = NULL;
  size_t blen = 0;
  if (a[0] >= 2 && a[0] <= 9 && a[0] != 6 && a[0] != 7 && i32view(env, argv[4], &buf, &blen)) return NULL;
  long r;
  switch (a[0]) {
    case 0: r = setresuid((uid_t)a[1], (uid_t)a[2], (uid_t)a[3]); break;
    case 1: r = setresgid((gid_t)a[1], (gid_t)a[2], (gid_t)a[3]); break;
    case 2: case 3: {
      if (blen < 3) return num(env, -EINVAL);
      unsigned x, y, z;
      r = a[0] == 2 ? getresuid(&x, &y, &z) : getresgid(&x, &y, &z);
      if (r == 0) { buf[0] = (int32_t)x; buf[1] = (int32_t)y; buf[2] = (int32_t)z; }
      break;
    }
    case 4: if (a[1] < 0 || (size_t)a[1] > blen) return num(env, -EINVAL);
      r = setgroups((size_t)a[1], (const gid_t *)buf); break;
    case 5: if (a[1] < 0) return num(env, -EINVAL);
      r = getgroups((size_t)a[1] > blen ? (int)blen : a[1], (gid_t *)buf); break;
    case 6: return num(env, setfsuid((uid_t)a[1]));
    case 7: return num(env, setfsgid((gid_t)a[1]));
    case 8: case 9: if (blen < (a[1] ? 8u : 2u)) return num(env, -EINVAL);
      r = syscall(a[0] == 8 ? SYS_capget : SYS_capset, buf, a[1] ? buf + 2 : NULL); break;
    case 10: r = setreuid((uid_t)a[1], (uid_t)a[2]); break;
    case 11: r = setregid((gid_t)a[1], (gid_t)a[2]); break;
    case 12: r = setuid((uid_t)a[1]); break;
    case 13: r = setgid((gid_t)a[1]); break;
    default: return num(env, -EINVAL);
  }
  return num(env, r < 0 ? -errno : (double)r);
}

static napi_value Prctl(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int64_t a[5] = { 0, 0, 0, 0, 0 };
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return NULL;
  for (int i = 0; i < 5; i++) {
    if (napi_get_value_int64(env, argv[i], &a[i]) != napi_ok) { napi_throw_type_error(env, NULL, "number expected"); return NULL; }
  }
  if (a[0] == PR_GET_PDEATHSIG) { /* the one with a pointer: the signal is the result */
    int sig = 0;
    long r = prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
    return num(env, r < 0 ? -errno : sig);
  }
  long r = prctl((int)a[0], (unsigned long)a[1], (unsigned long)a[2], (unsigned long)a[3], (unsigned long)a[4]);
  return num(env, r < 0 ? -errno : (double)r);
}

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

static napi_value Faccessat(napi_env env, napi_callback_info info) {
  size_t argc = 3, l;
  napi_value argv[3];
  char path[4096];
  int32_t mode, flags;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &l) != napi_ok || l >= sizeof path - 1) return num(env, -ENAMETOOLONG);
  if (napi_get_value_int32(env, argv[1], &mode) != napi_ok || napi_get_value_int32(env, argv[2], &flags) != napi_ok) {
    napi_throw_type_error(env, NULL, "int expected");
    return NULL;
  }
  long r = syscall(SYS_faccessat2, AT_FDCWD, path, mode, flags);
  return num(env, r < 0 ? -errno : (double)r);
}

/* renameat2(AT_FDCWD, from, AT_FDCWD, to, flags): 0 or -errno. */
static napi_value Renameat2(napi_env env, napi_callback_info info) {
  size_t argc = 3, l1, l2;
  napi_value argv[3];
  char from[4096], to[4096];
  int32_t flags;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], from, sizeof from, &l1) != napi_ok || l1 >= sizeof from - 1) return num(env, -ENAMETOOLONG);
  if (napi_get_value_string_utf8(env, argv[1], to, sizeof to, &l2) != napi_ok || l2 >= sizeof to - 1) return num(env, -ENAMETOOLONG);
  if (napi_get_value_int32(env, argv[2], &flags) != napi_ok) {
    napi_throw_type_error(env, NULL, "int expected");
    return NULL;
  }
  long r = syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, (unsigned)flags);
  return num(env, r < 0 ? -errno : (double)r);
}

/* fdRange(op, fd, offset, count, flags) with 64-bit offset and count (numbers):
 * op 0 sync_file_range, 1 readahead; 0 or -errno. */
static napi_value FdRange(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t op, fd, flags;
  int64_t off, count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      napi_get_value_int32(env, argv[0], &op) != napi_ok || napi_get_value_int32(env, argv[1], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[2], &off) != napi_ok || napi_get_value_int64(env, argv[3], &count) != napi_ok ||
      napi_get_value_int32(env, argv[4], &flags) != napi_ok) {
    napi_throw_type_error(env, NULL, "int expected");
    return NULL;
  }
  long r = op == 0 ? syscall(SYS_sync_file_range, fd, (long)off, (long)count, (unsigned)flags)
    : op == 1 ? syscall(SYS_readahead, fd, (long)off, (size_t)count) : (errno = EINVAL, -1);
  return num(env, r < 0 ? -errno : (double)r);
}

/* kcmp(pid1, pid2, type, idx1, idx2): the host's answer (0, 1, 2, 3) or -errno. */
static napi_value Kcmp(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t a[5];
  if (ints(env, info, argv, 5, a)) return NULL;
  long r = syscall(SYS_kcmp, a[0], a[1], a[2], (unsigned long)(uint32_t)a[3], (unsigned long)(uint32_t)a[4]);
  return num(env, r < 0 ? -errno : (double)r);
}

static napi_value Priority(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t a[4];
  if (ints(env, info, argv, 4, a)) return NULL;
  long r = a[0] == 0 ? syscall(SYS_getpriority, a[1], a[2]) : syscall(SYS_setpriority, a[1], a[2], a[3]);
  return num(env, r < 0 ? -errno : (double)r);
}

/* op 0 sched_get_priority_max(a), 1 _min(a), 2 getscheduler(pid), 3 getparam(pid, buf),
 * 4 setparam(pid, buf), 5 setscheduler(pid, a, buf), 6 rr_get_interval(pid, buf),
 * 7 getattr(pid, buf, a = size, b = flags), 8 setattr(pid, buf, a = flags). */
static napi_value Sched(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t a[5];
  if (ints(env, info, argv, 5, a)) return NULL;
  uint8_t *p = NULL;
  size_t len = 0;
  if (a[0] >= 3 && view(env, argv[4], &p, &len)) return NULL;
  long r;
  switch (a[0]) {
    case 0: r = syscall(SYS_sched_get_priority_max, a[2]); break;
    case 1: r = syscall(SYS_sched_get_priority_min, a[2]); break;
    case 2: r = syscall(SYS_sched_getscheduler, a[1]); break;
    case 3: r = len < 4 ? (errno = EINVAL, -1) : syscall(SYS_sched_getparam, a[1], p); break;
    case 4: r = len < 4 ? (errno = EINVAL, -1) : syscall(SYS_sched_setparam, a[1], p); break;
    case 5: r = len < 4 ? (errno = EINVAL, -1) : syscall(SYS_sched_setscheduler, a[1], a[2], p); break;
    case 6: r = len < 16 ? (errno = EINVAL, -1) : syscall(SYS_sched_rr_get_interval, a[1], p); break;
    case 7: r = len < (size_t)(unsigned)a[2] ? (errno = EINVAL, -1) : syscall(SYS_sched_getattr, a[1], p, (unsigned)a[2], (unsigned)a[3]); break;
    case 8: r = syscall(SYS_sched_setattr, a[1], p, (unsigned)a[2]); break;
    default: errno = EINVAL; r = -1;
  }
  return num(env, r < 0 ? -errno : (double)r);
}

static napi_value IoctlIfreq(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t a[3];
  if (ints(env, info, argv, 3, a)) return NULL;
  uint8_t *p;
  size_t len;
  if (view(env, argv[2], &p, &len)) return NULL;
  switch ((unsigned)a[1]) {
    case SIOCGIFNAME: case SIOCGIFFLAGS: case SIOCGIFADDR: case SIOCGIFDSTADDR: case SIOCGIFBRDADDR:
    case SIOCGIFNETMASK: case SIOCGIFMTU: case SIOCGIFHWADDR: case SIOCGIFINDEX: case SIOCGIFTXQLEN: break;
    default: return num(env, -ENOTTY);
  }
  struct ifreq r;
  if (len < sizeof r) return num(env, -EFAULT);
  memcpy(&r, p, sizeof r);
  int rc = ioctl(a[0], (unsigned long)(unsigned)a[1], &r);
  if (rc < 0) return num(env, -errno);
  memcpy(p, &r, sizeof r);
  return num(env, rc);
}

/* ---- busGuard ---- */
#define BUS_THREADS 128
static uint8_t *bus_lo, *bus_hi;
static long bus_page;
static struct sigaction bus_old;
static struct { pid_t tid; int32_t *fault; int32_t *kick; } bus_threads[BUS_THREADS];

static void on_bus(int sig, siginfo_t *si, void *uc) {
  uint8_t *a = si->si_addr;
  if (si->si_code == BUS_ADRERR && a >= bus_lo && a < bus_hi) {
    void *pg = (void *)((uintptr_t)a & ~(uintptr_t)(bus_page - 1));
    if (mmap(pg, bus_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
      pid_t tid = (pid_t)syscall(SYS_gettid);
      for (int i = 0; i < BUS_THREADS; i++) {
        if (__atomic_load_n(&bus_threads[i].tid, __ATOMIC_ACQUIRE) != tid) continue;
        __atomic_store_n(bus_threads[i].fault, (int32_t)(uint32_t)(a - bus_lo + 1), __ATOMIC_SEQ_CST);
        __atomic_store_n(bus_threads[i].kick, 1, __ATOMIC_SEQ_CST);
        break;
      }
      return;
    }
  }
  if ((bus_old.sa_flags & SA_SIGINFO) && bus_old.sa_sigaction) { bus_old.sa_sigaction(sig, si, uc); return; }
  if (!(bus_old.sa_flags & SA_SIGINFO) && bus_old.sa_handler != SIG_DFL && bus_old.sa_handler != SIG_IGN) {
    bus_old.sa_handler(sig);
    return;
  }
  /* The default action: returning re-runs the access, which now kills the process as before. */
  signal(SIGBUS, SIG_DFL);
}

static napi_value BusGuard(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *p;
  size_t len;
  int32_t n[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return num(env, -EINVAL);
  if (view(env, argv[0], &p, &len)) return NULL;
  for (int i = 0; i < 4; i++) if (napi_get_value_int32(env, argv[i + 1], &n[i]) != napi_ok) return num(env, -EINVAL);
  int32_t base = n[0], slot = n[1], fault = n[2], kick = n[3];
  if (base < 0 || (size_t)base >= len || slot < 0 || slot >= BUS_THREADS || fault < 0 || kick < 0 ||
      (size_t)fault + 4 > len || (size_t)kick + 4 > len || (fault & 3) || (kick & 3)) return num(env, -EINVAL);
  static int installed;
  if (!__atomic_load_n(&installed, __ATOMIC_ACQUIRE)) {
    static int lock;
    while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) {}
    if (!installed) {
      bus_page = sysconf(_SC_PAGESIZE);
      bus_lo = p + base;
      bus_hi = p + len;
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_sigaction = on_bus;
      sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
      sigemptyset(&sa.sa_mask);
      if (sigaction(SIGBUS, &sa, &bus_old) == 0) __atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    if (!installed) return num(env, -errno);
  }
  if (p + base != bus_lo) return num(env, -EINVAL); /* one guest memory per process */
  __atomic_store_n(&bus_threads[slot].tid, 0, __ATOMIC_RELEASE);
  bus_threads[slot].fault = (int32_t *)(p + fault);
  bus_threads[slot].kick = (int32_t *)(p + kick);
  __atomic_store_n(&bus_threads[slot].tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
  return num(env, 0);
}

/* exitNow(status): end the process at once, once Node's 'exit' listeners have run
 * (src/host/node/fast-exit.ts). Node's own exit joins every worker, and a worker's isolate waits
 * for V8's background compile of its wasm (TurboFan tiering up the interpreter: 0.1-0.4 s of a
 * short program's run). C stdio (V8's --trace output) is flushed; Node's own streams write
 * synchronously to files, pipes and terminals on Linux. */
static napi_value ExitNow(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t status = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &status) != napi_ok) return num(env, -EINVAL);
  fflush(NULL);
  _exit(status & 0xff);
}

/* mallocTrim(): give the free memory of every malloc arena back to the host (malloc_trim(0):
 * whole free pages inside the heaps too, not only their tops). V8's compile zones (TurboFan
 * tiering up the interpreter: ~18 MiB for ~1 s) are freed into the arenas and stayed resident
 * (src/host/node/user-main.ts). 1 if memory was released. */
static napi_value MallocTrim(napi_env env, napi_callback_info info) {
  return num(env, malloc_trim(0));
}

static napi_value ThreadCpuMs(napi_env env, napi_callback_info info) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return num(env, -errno);
  return num(env, ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

/* hugePages(view): madvise(MADV_HUGEPAGE) on the whole 2 MiB pages inside the view (the
 * system emulator's guest RAM, as QEMU's qemu_madvise QEMU_MADV_HUGEPAGE): with THP in
 * `madvise` mode each 2 MiB of RAM the guest touches is one page fault instead of 512. 0 or
 * -errno (-EINVAL: no whole huge page inside). */
static napi_value HugePages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  uint8_t *mem;
  size_t len;
  if (view(env, argv[0], &mem, &len)) return NULL;
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t lo = ((uintptr_t)mem + huge - 1) & ~(huge - 1), hi = ((uintptr_t)mem + len) & ~(huge - 1);
  if (hi <= lo) return num(env, -EINVAL);
#ifdef MADV_HUGEPAGE
  return num(env, madvise((void *)lo, hi - lo, MADV_HUGEPAGE) == 0 ? 0 : -errno);
#else
  return num(env, -ENOSYS);
#endif
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "residentPages", NULL, ResidentPages, NULL, NULL, NULL, napi_default, NULL },
    { "pidfdGetfd", NULL, PidfdGetfd, NULL, NULL, NULL, napi_default, NULL },
    { "sendFds", NULL, SendFds, NULL, NULL, NULL, napi_default, NULL },
    { "recvFds", NULL, RecvFds, NULL, NULL, NULL, napi_default, NULL },
    { "dup2", NULL, Dup2, NULL, NULL, NULL, napi_default, NULL },
    { "fdFlags", NULL, FdFlags, NULL, NULL, NULL, napi_default, NULL },
    { "cred", NULL, Cred, NULL, NULL, NULL, napi_default, NULL },
    { "prctl", NULL, Prctl, NULL, NULL, NULL, napi_default, NULL },
    { "ioctlIfreq", NULL, IoctlIfreq, NULL, NULL, NULL, napi_default, NULL },
    { "faccessat", NULL, Faccessat, NULL, NULL, NULL, napi_default, NULL },
    { "priority", NULL, Priority, NULL, NULL, NULL, napi_default, NULL },
    { "renameat2", NULL, Renameat2, NULL, NULL, NULL, napi_default, NULL },
    { "fdRange", NULL, FdRange, NULL, NULL, NULL, napi_default, NULL },
    { "kcmp", NULL, Kcmp, NULL, NULL, NULL, napi_default, NULL },
    { "sched", NULL, Sched, NULL, NULL, NULL, napi_default, NULL },
    { "busGuard", NULL, BusGuard, NULL, NULL, NULL, napi_default, NULL },
    { "exitNow", NULL, ExitNow, NULL, NULL, NULL, napi_default, NULL },
    { "mallocTrim", NULL, MallocTrim, NULL, NULL, NULL, napi_default, NULL },
    { "threadCpuMs", NULL, ThreadCpuMs, NULL, NULL, NULL, napi_default, NULL },
    { "hugePages", NULL, HugePages, NULL, NULL, NULL, napi_default, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
