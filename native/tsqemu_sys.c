/*
 * tsqemu_sys: the raw host system calls tsqemu-riscv64 (linux-user) needs and Node lacks:
 * BSD sockets (tsqemu_sock.c), poll/epoll, eventfd, timerfd, memfd, pipe2, lseek, F_GETFL/F_SETFL and shared
 * file mappings placed inside the guest memory. (N-API, loaded by every guest thread's worker.)
 *
 * Conventions: every function returns the call's result, or -errno (never throws for a failed
 * call; only for wrong JS arguments). Memory comes in as typed arrays (often live views of guest
 * memory); lengths are the arrays' own, so a guest-controlled length can never reach past them.
 * Guest structures (sockaddr, cmsghdr, pollfd, timespec, itimerspec) have the host's layout on a
 * 64-bit little-endian Linux host and pass through; epoll_event is converted (riscv64 does not
 * pack it, x86-64 does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <linux/futex.h>
#include <time.h>
#include <sys/inotify.h>
#include <sys/xattr.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/sem.h>
#include <sys/msg.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>
#include "tsqemu_napi.h"
/* poll(fds: struct pollfd bytes, nfds, timeoutMs). */
static napi_value Poll(napi_env env, napi_callback_info info) {
  ARGS(3); BUF(0, fds, 0); INT(1, nfds); INT(2, ms);
  if (nfds < 0 || nfds > MAX_POLLFDS || (size_t)nfds * sizeof(struct pollfd) > fds.len) return num(env, -EINVAL);
  return result(env, poll(fds.p, nfds, ms));
}

/* Wait up to ms for `events` on a blocking fd: revents, 0 (timeout, or a host signal), or
 * -EAGAIN at once when the fd is non-blocking (the caller then just makes its call). */
static napi_value WaitFd(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, fd); INT(1, events); INT(2, ms);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return num(env, -errno);
  if (fl & O_NONBLOCK) return num(env, -EAGAIN);
  struct pollfd p = { .fd = fd, .events = (short)events };
  int r = poll(&p, 1, ms);
  if (r < 0) return num(env, errno == EINTR ? 0 : -errno);
  return num(env, r == 0 ? 0 : p.revents);
}

static napi_value EpollCreate1(napi_env env, napi_callback_info info) {
  ARGS(1); INT(0, flags);
  return result(env, epoll_create1(flags | EPOLL_CLOEXEC));
}

/* epoll_ctl(epfd, op, fd, events, data: bigint). */
static napi_value EpollCtl(napi_env env, napi_callback_info info) {
  ARGS(5); INT(0, epfd); INT(1, op); INT(2, fd); INT(3, events);
  uint64_t data;
  bool lossless;
  if (napi_get_value_bigint_uint64(env, argv[4], &data, &lossless) != napi_ok) { bad_arg(env, "bigint expected"); return NULL; }
  struct epoll_event ev = { .events = (uint32_t)events, .data.u64 = data };
  return result(env, epoll_ctl(epfd, op, fd, &ev));
}

/* epoll_wait(epfd, out, max, ms): out gets riscv64 epoll_events (16 bytes: u32 events, pad,
 * u64 data). */
static napi_value EpollWait(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, epfd); BUF(1, out, 0); INT(2, max); INT(3, ms);
  if (max <= 0 || max > MAX_EVENTS || (size_t)max * 16 > out.len) return num(env, -EINVAL);
  struct epoll_event ev[MAX_EVENTS];
  int r = epoll_wait(epfd, ev, max, ms);
  if (r < 0) return num(env, errno == EINTR ? 0 : -errno);
  uint8_t *o = out.p;
  for (int i = 0; i < r; i++) {
    uint32_t e = ev[i].events;
    uint64_t d = ev[i].data.u64;
    memset(o + i * 16, 0, 16);
    memcpy(o + i * 16, &e, 4);
    memcpy(o + i * 16 + 8, &d, 8);
  }
  return num(env, r);
}

static napi_value Eventfd(napi_env env, napi_callback_info info) {
  ARGS(2); INT(0, initval); INT(1, flags);
  return result(env, eventfd((unsigned)initval, flags | EFD_CLOEXEC));
}

static napi_value TimerfdCreate(napi_env env, napi_callback_info info) {
  ARGS(2); INT(0, clock); INT(1, flags);
  return result(env, timerfd_create(clock, flags | TFD_CLOEXEC));
}

static napi_value TimerfdSettime(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, fd); INT(1, flags); BUF(2, nv, 0); BUF(3, ov, 1);
  if (nv.len < sizeof(struct itimerspec) || (ov.p && ov.len < sizeof(struct itimerspec))) return num(env, -EFAULT);
  struct itimerspec n, o;
  memcpy(&n, nv.p, sizeof n);
  long r = timerfd_settime(fd, flags, &n, &o);
  if (r == 0 && ov.p) memcpy(ov.p, &o, sizeof o);
  return result(env, r);
}

static napi_value TimerfdGettime(napi_env env, napi_callback_info info) {
  ARGS(2); INT(0, fd); BUF(1, cur, 0);
  if (cur.len < sizeof(struct itimerspec)) return num(env, -EFAULT);
  struct itimerspec c;
  long r = timerfd_gettime(fd, &c);
  if (r == 0) memcpy(cur.p, &c, sizeof c);
  return result(env, r);
}

static napi_value MemfdCreate(napi_env env, napi_callback_info info) {
  ARGS(2); INT(1, flags);
  char name[256];
  size_t n;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n) != napi_ok) { bad_arg(env, "string expected"); return NULL; }
  return result(env, memfd_create(name, (unsigned)flags | MFD_CLOEXEC));
}

static napi_value Pipe2(napi_env env, napi_callback_info info) {
  ARGS(2); INT(0, flags);
  int32_t *out;
  if (get_out(env, argv[1], &out, 2)) return NULL;
  int p[2];
  long r = pipe2(p, flags | O_CLOEXEC);
  if (r == 0) { out[0] = p[0]; out[1] = p[1]; }
  return result(env, r);
}

static napi_value Lseek(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, fd); INT(2, whence);
  double off;
  if (get_double(env, argv[1], &off)) return NULL;
  return result(env, (long)lseek(fd, (off_t)off, whence));
}

/* fcntl(fd, cmd, arg) for F_GETFL, F_SETFL, the pipe sizes, seals, F_SETOWN/F_GETOWN, F_SETSIG/F_GETSIG
 * and leases only (integer arguments). */
static napi_value Fcntl(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, fd); INT(1, cmd); INT(2, arg);
  if (cmd != F_GETFL && cmd != F_SETFL && cmd != F_GETPIPE_SZ && cmd != F_SETPIPE_SZ && cmd != F_ADD_SEALS && cmd != F_GET_SEALS &&
      cmd != F_SETOWN && cmd != F_GETOWN && cmd != F_SETSIG && cmd != F_GETSIG && cmd != F_SETLEASE && cmd != F_GETLEASE) return num(env, -EINVAL);
  return result(env, fcntl(fd, cmd, arg));
}

/* The mapping calls work on a view of whole host pages inside the guest memory. */
static int page_view(const Buf *b) {
  long ps = sysconf(_SC_PAGESIZE);
  return b->len > 0 && ((uintptr_t)b->p % ps) == 0 && (b->len % ps) == 0;
}

/* mapShared(view, fd, offset[, private]): the file's pages replace the view's (read/write,
 * shared). private = 1: a private mapping of the file instead, for a descriptor open read-only
 * (the guest maps it MAP_SHARED without PROT_WRITE): it reads the file's current pages, so it
 * sees later writes by others, and a stray write by the emulator only copies a page, never
 * faults (a PROT_READ host mapping would kill the process). */
static napi_value MapShared(napi_env env, napi_callback_info info) {
  ARGS(3); BUF(0, v, 0); INT(1, fd);
  double off;
  if (get_double(env, argv[2], &off)) return NULL;
  int priv = 0;
  if (argc > 3 && get_int(env, argv[3], &priv)) return NULL;
  if (!page_view(&v)) return num(env, -EINVAL);
  void *p = mmap(v.p, v.len, PROT_READ | PROT_WRITE, (priv ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED, fd, (off_t)off);
  return num(env, p == MAP_FAILED ? -errno : 0);
}

/* unmapShared(view): fresh zeroed private memory in place of a shared mapping. */
static napi_value UnmapShared(napi_env env, napi_callback_info info) {
  ARGS(1); BUF(0, v, 0);
  if (!page_view(&v)) return num(env, -EINVAL);
  void *p = mmap(v.p, v.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  return num(env, p == MAP_FAILED ? -errno : 0);
}

/* discard(view): the view's pages read as zero again and give their host memory back
 * (madvise MADV_DONTNEED on the private anonymous memory of the guest space). */
static napi_value Discard(napi_env env, napi_callback_info info) {
  ARGS(1); BUF(0, v, 0);
  /* discard(view, 1): MADV_REMOVE instead, on a shared mapping (the guest's MADV_REMOVE: the
   * object's backing store is freed, a file gets a hole). */
  int remove = 0;
  if (argc > 1 && get_int(env, argv[1], &remove)) return NULL;
  if (!page_view(&v)) return num(env, -EINVAL);
  return result(env, madvise(v.p, v.len, remove ? MADV_REMOVE : MADV_DONTNEED));
}

static napi_value Msync(napi_env env, napi_callback_info info) {
  ARGS(2); BUF(0, v, 0); INT(1, flags);
  if (!page_view(&v)) return num(env, -EINVAL);
  return result(env, msync(v.p, v.len, flags));
}

/* ioctlInt(fd, req, out): the int-result queries FIONREAD and TIOCOUTQ only. */
static napi_value IoctlInt(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, fd); INT(1, req);
  int32_t *out;
  if (get_out(env, argv[2], &out, 1)) return NULL;
  if (req != FIONREAD && req != TIOCOUTQ) return num(env, -EINVAL);
  int v = 0;
  long r = ioctl(fd, (unsigned long)req, &v);
  if (r == 0) out[0] = v;
  return result(env, r);
}

/* lseekData(fd, offset, whence): SEEK_DATA (3) / SEEK_HOLE (4) only, for the file protocol's block status. */
static napi_value LseekData(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, fd); INT(2, whence);
  double off;
  if (get_double(env, argv[1], &off)) return NULL;
  if (whence != SEEK_DATA && whence != SEEK_HOLE) return num(env, -EINVAL);
  return result(env, (long)lseek(fd, (off_t)off, whence));
}

/* fallocate(fd, mode, offset, len): preallocation, hole punching, zeroing (file protocol, threads engine). */
static napi_value Fallocate(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, fd); INT(1, mode);
  double off, len;
  if (get_double(env, argv[2], &off) || get_double(env, argv[3], &len)) return NULL;
  return result(env, fallocate(fd, mode, (off_t)off, (off_t)len));
}

/* ofdLock(fd, cmd, type, start, len): QEMU file-posix's image locking on open file description
 * locks. cmd 0 = F_OFD_SETLK (type 0 = F_RDLCK, 1 = F_WRLCK, 2 = F_UNLCK), cmd 1 = F_OFD_GETLK
 * (returns 1 when another description holds a conflicting lock of `type`, else 0); -errno. */
static napi_value OfdLock(napi_env env, napi_callback_info info) {
  ARGS(5); INT(0, fd); INT(1, cmd); INT(2, type);
  double start, len;
  if (get_double(env, argv[3], &start) || get_double(env, argv[4], &len)) return NULL;
  static const short types[] = { F_RDLCK, F_WRLCK, F_UNLCK };
  if (type < 0 || type > 2 || (cmd != 0 && cmd != 1)) return num(env, -EINVAL);
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_whence = SEEK_SET;
  fl.l_start = (off_t)start;
  fl.l_len = (off_t)len;
  fl.l_type = types[type];
  if (fcntl(fd, cmd == 0 ? F_OFD_SETLK : F_OFD_GETLK, &fl) < 0) return num(env, -errno);
  return num(env, cmd == 1 && fl.l_type != F_UNLCK ? 1 : 0);
}

/* The system emulator's portable fd monitor (QEMU's fdmon-poll role, on libuv's own poll):
 * fdWatch(fd, events, cb(status, revents)) -> handle; fdWatchSet(handle, events) changes the
 * events (0 stops); fdWatchClose(handle) stops and frees. events/revents: 1 = readable,
 * 2 = writable (UV_READABLE / UV_WRITABLE); status < 0 is a libuv error (-errno). */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  int closed;
} FdWatch;

static void fd_watch_cb(uv_poll_t *h, int status, int events) {
  FdWatch *w = h->data;
  if (w->closed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv, argv[2], res;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &recv);
  napi_create_int32(env, status, &argv[0]);
  napi_create_int32(env, events, &argv[1]);
  napi_make_callback(env, w->actx, recv, cb, 2, argv, &res);
  napi_close_handle_scope(env, scope);
}

static void fd_watch_free(uv_handle_t *h) { free(h->data); }

static FdWatch *get_watch(napi_env env, napi_value v) {
  FdWatch *w = NULL;
  if (napi_get_value_external(env, v, (void **)&w) != napi_ok || !w || w->closed) { bad_arg(env, "fd watch closed or invalid"); return NULL; }
  return w;
}

static napi_value FdWatchStart(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, fd); INT(1, events);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) { bad_arg(env, "no event loop"); return NULL; }
  FdWatch *w = calloc(1, sizeof *w);
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r < 0) { free(w); return num(env, r); }
  w->env = env;
  w->poll.data = w;
  napi_value name, res;
  napi_create_string_utf8(env, "tsqemu:fdwatch", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &res);
  napi_create_reference(env, argv[2], 1, &w->cb);
  napi_async_init(env, res, name, &w->actx);
  if (events) uv_poll_start(&w->poll, events & (UV_READABLE | UV_WRITABLE), fd_watch_cb);
  napi_value ext;
  napi_create_external(env, w, NULL, NULL, &ext);
  return ext;
}

static napi_value FdWatchSet(napi_env env, napi_callback_info info) {
  ARGS(2); INT(1, events);
  FdWatch *w = get_watch(env, argv[0]);
  if (!w) return NULL;
  int r = events ? uv_poll_start(&w->poll, events & (UV_READABLE | UV_WRITABLE), fd_watch_cb) : uv_poll_stop(&w->poll);
  return num(env, r);
}

static napi_value FdWatchClose(napi_env env, napi_callback_info info) {
  ARGS(1);
  FdWatch *w = get_watch(env, argv[0]);
  if (!w) return NULL;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->cb);
  napi_async_destroy(env, w->actx);
  uv_close((uv_handle_t *)&w->poll, fd_watch_free);
  return num(env, 0);
}


/* lock(fd, cmd, flock, op): fcntl record locks (F_GETLK, F_SETLK, F_SETLKW and the OFD ones, with
 * a struct flock of the host's layout, 32 bytes, which is riscv64's), or flock(fd, op) when cmd
 * is -1. Blocking forms are the caller's business (it retries the non-blocking one). */
static napi_value Lock(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, fd); INT(1, cmd); BUF(2, fl, 1); INT(3, op);
  if (cmd == -1) return result(env, flock(fd, op));
  if (cmd != F_GETLK && cmd != F_SETLK && cmd != F_SETLKW && cmd != F_OFD_GETLK && cmd != F_OFD_SETLK && cmd != F_OFD_SETLKW) return num(env, -EINVAL);
  if (!fl.p || fl.len < sizeof(struct flock)) return num(env, -EFAULT);
  return result(env, fcntl(fd, cmd, (struct flock *)fl.p));
}

/* An optional loff_t in/out parameter: a BigInt64Array(1) or null. */
static int get_off(napi_env env, napi_value v, loff_t **out) {
  Buf b;
  if (get_buf(env, v, &b, 1)) return -1;
  if (b.p && b.len < 8) return bad_arg(env, "offset array too short");
  *out = b.p;
  return 0;
}

/* splice(in, offIn, out, offOut, len, flags), copyFileRange(same), sendfile(out, in, off, count):
 * the kernel moves the bytes (Go's io.Copy between files, pipes and sockets). */
static napi_value Splice(napi_env env, napi_callback_info info) {
  ARGS(6); INT(0, in); INT(2, out); INT(5, flags);
  double len;
  loff_t *oi, *oo;
  if (get_off(env, argv[1], &oi) || get_off(env, argv[3], &oo) || get_double(env, argv[4], &len)) return NULL;
  /* SPLICE_TEE (a bit Linux does not use) asks for tee(in, out, len, flags) instead. */
  if (flags & 0x40000000) return result(env, (long)tee(in, out, (size_t)len, (unsigned)flags & ~0x40000000u));
  return result(env, (long)splice(in, oi, out, oo, (size_t)len, (unsigned)flags));
}

static napi_value CopyFileRange(napi_env env, napi_callback_info info) {
  ARGS(6); INT(0, in); INT(2, out); INT(5, flags);
  double len;
  loff_t *oi, *oo;
  if (get_off(env, argv[1], &oi) || get_off(env, argv[3], &oo) || get_double(env, argv[4], &len)) return NULL;
  return result(env, (long)copy_file_range(in, oi, out, oo, (size_t)len, (unsigned)flags));
}

static napi_value Sendfile(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, out); INT(1, in);
  double count;
  loff_t *off;
  if (get_off(env, argv[2], &off) || get_double(env, argv[3], &count)) return NULL;
  return result(env, (long)sendfile(out, in, (off_t *)off, (size_t)count));
}

/* dup(fd): a second host descriptor (close-on-exec, from 3 up) for the same open file. */
static napi_value Dup(napi_env env, napi_callback_info info) {
  ARGS(1); INT(0, fd);
  return result(env, fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

/* procIds(op, a, b): process groups and sessions, which are the host's (guest pids are host
 * pids): 0 getpgid(a), 1 setpgid(a, b), 2 getsid(a), 3 setsid(); 4: a stop or continue of
 * child a not yet reported, as si_code << 8 | si_status (0: none; exits are left to libuv);
 * 5 pidfd_open(a, b); 6 pidfd_send_signal(a, b, NULL, 0). */
static napi_value ProcIds(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, op); INT(1, a); INT(2, b);
  switch (op) {
    case 0: return result(env, getpgid(a));
    case 1: return result(env, setpgid(a, b));
    case 2: return result(env, getsid(a));
    case 3: return result(env, setsid());
    case 4: {
      siginfo_t si;
      memset(&si, 0, sizeof si);
      if (waitid(P_PID, (id_t)a, &si, WSTOPPED | WCONTINUED | WNOHANG) < 0) return num(env, -errno);
      return num(env, si.si_pid == 0 ? 0 : (si.si_code << 8) | (si.si_status & 0xff));
    }
    case 5: return result(env, syscall(SYS_pidfd_open, a, b));
    case 6: return result(env, syscall(SYS_pidfd_send_signal, a, b, NULL, 0));
    default: return num(env, -EINVAL);
  }
}

/* sysv(op, a, b, c, d, buf): the host's System V IPC (guest ids are host ids, so processes
 * share segments, semaphores and queues for real). ops: 0 shmget(a, d, b), 1 shmat(a, view=buf,
 * b) at exactly the view (SHM_REMAP), 2 shmctl(a, b, buf), 3 semget(a, b, c), 4 semop(a, buf, b),
 * 5 semctl(a, b, c, buf or d), 6 msgget(a, b), 7 msgsnd(a, buf, d, b), 8 msgrcv(a, buf, d, c, b).
 * 9 msgctl(a, b, buf). Buffers are the caller's, bounded by their own length; callers make
 * every blocking operation IPC_NOWAIT. */
static napi_value Sysv(napi_env env, napi_callback_info info) {
  ARGS(6); INT(0, op); INT(1, a); INT(2, b); INT(3, c); BUF(5, v, 1);
  double d;
  if (get_double(env, argv[4], &d)) return NULL;
  switch (op) {
    case 0: return result(env, shmget((key_t)a, (size_t)d, b));
    case 1: {
      if (!page_view(&v)) return num(env, -EINVAL);
      struct shmid_ds ds;
      if (shmctl(a, IPC_STAT, &ds) < 0) return num(env, -errno);
      if (ds.shm_segsz > v.len) return num(env, -EINVAL);
      void *p = shmat(a, v.p, (b & SHM_RDONLY) | SHM_REMAP);
      return num(env, p == (void *)-1 ? -errno : (double)ds.shm_segsz);
    }
    case 2: if (v.p && v.len < sizeof(struct shmid_ds)) return num(env, -EFAULT);
      return result(env, shmctl(a, b, v.p));
    case 3: return result(env, semget((key_t)a, b, c));
    case 4: return result(env, semop(a, v.p, v.len / sizeof(struct sembuf) < (size_t)b ? v.len / sizeof(struct sembuf) : (size_t)b));
    case 5: {
      union { int val; void *p; } arg;
      if (v.p) arg.p = v.p; else arg.val = (int)d;
      return result(env, semctl(a, b, c, arg));
    }
    case 6: return result(env, msgget((key_t)a, b));
    case 7: if ((size_t)d + sizeof(long) > v.len) return num(env, -EFAULT);
      return result(env, msgsnd(a, v.p, (size_t)d, b));
    case 8: if ((size_t)d + sizeof(long) > v.len) return num(env, -EFAULT);
      return result(env, (long)msgrcv(a, v.p, (size_t)d, (long)c, b));
    case 9: if (v.p && v.len < sizeof(struct msqid_ds)) return num(env, -EFAULT);
      return result(env, msgctl(a, b, v.p));
    default: return num(env, -EINVAL);
  }
}

/* mknodat(dirfd, path, mode, dev): FIFOs, sockets, regular files (devices need privileges). */
static napi_value Mknodat(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, dirfd); INT(2, mode);
  double dev;
  char path[4096];
  size_t pl;
  if (napi_get_value_string_utf8(env, argv[1], path, sizeof path, &pl) != napi_ok || get_double(env, argv[3], &dev)) { bad_arg(env, "bad arguments"); return NULL; }
  if (pl >= sizeof path - 1) return num(env, -ENAMETOOLONG);
  return result(env, mknodat(dirfd, path, (mode_t)mode, (dev_t)dev));
}

/* xattr(op, how, fd, path, name, buf, flags): op 0 get, 1 set, 2 list, 3 remove; how 0 path
 * (following links), 1 path (not following), 2 fd. buf may be null (size queries). */
static napi_value Xattr(napi_env env, napi_callback_info info) {
  ARGS(7); INT(0, op); INT(1, how); INT(2, fd); BUF(5, b, 1); INT(6, flags);
  char path[4096] = "", name[256] = "";
  size_t l;
  napi_valuetype t;
  if (how != 2 && (napi_get_value_string_utf8(env, argv[3], path, sizeof path, &l) != napi_ok || l >= sizeof path - 1)) return num(env, -ENAMETOOLONG);
  if (op != 2) {
    if (napi_typeof(env, argv[4], &t) != napi_ok || t != napi_string) { bad_arg(env, "name expected"); return NULL; }
    if (napi_get_value_string_utf8(env, argv[4], name, sizeof name, &l) != napi_ok || l >= sizeof name - 1) return num(env, -ERANGE);
  }
  long r;
  switch (op) {
    case 0: r = how == 2 ? fgetxattr(fd, name, b.p, b.len) : how == 1 ? lgetxattr(path, name, b.p, b.len) : getxattr(path, name, b.p, b.len); break;
    case 1: r = how == 2 ? fsetxattr(fd, name, b.p, b.len, flags) : how == 1 ? lsetxattr(path, name, b.p, b.len, flags) : setxattr(path, name, b.p, b.len, flags); break;
    case 2: r = how == 2 ? flistxattr(fd, b.p, b.len) : how == 1 ? llistxattr(path, b.p, b.len) : listxattr(path, b.p, b.len); break;
    case 3: r = how == 2 ? fremovexattr(fd, name) : how == 1 ? lremovexattr(path, name) : removexattr(path, name); break;
    default: return num(env, -EINVAL);
  }
  return result(env, r);
}

/* inotify(op, a, path, mask): op 0 init1(flags a), 1 add_watch(fd a, path, mask), 2 rm_watch(fd a, wd mask). */
static napi_value Inotify(napi_env env, napi_callback_info info) {
  ARGS(4); INT(0, op); INT(1, a); INT(3, mask);
  if (op == 0) return result(env, inotify_init1(a));
  if (op == 2) return result(env, inotify_rm_watch(a, mask));
  char path[4096];
  size_t l;
  if (napi_get_value_string_utf8(env, argv[2], path, sizeof path, &l) != napi_ok || l >= sizeof path - 1) return num(env, -ENAMETOOLONG);
  return result(env, inotify_add_watch(a, path, (uint32_t)mask));
}

/* prlimit(resource, new, old): this process's limits; new and old are BigUint64Array(2) or null. */
static napi_value Prlimit(napi_env env, napi_callback_info info) {
  ARGS(3); INT(0, res); BUF(1, nb, 1); BUF(2, ob, 1);
  if ((nb.p && nb.len < 16) || (ob.p && ob.len < 16)) return num(env, -EINVAL);
  struct rlimit nr, or;
  if (nb.p) { nr.rlim_cur = ((uint64_t *)nb.p)[0]; nr.rlim_max = ((uint64_t *)nb.p)[1]; }
  int r = prlimit(0, res, nb.p ? &nr : NULL, ob.p ? &or : NULL);
  if (r < 0) return num(env, -errno);
  if (ob.p) { ((uint64_t *)ob.p)[0] = or.rlim_cur; ((uint64_t *)ob.p)[1] = or.rlim_max; }
  return num(env, 0);
}

/* rusage(who, buf): getrusage(who) (RUSAGE_SELF, _CHILDREN, _THREAD) into buf as struct rusage,
 * whose 64-bit layout (two timevals, 14 longs: 144 bytes) riscv64's is too. */
static napi_value Rusage(napi_env env, napi_callback_info info) {
  ARGS(2); INT(0, who); BUF(1, b, 1);
  if (!b.p || b.len < sizeof(struct rusage)) return num(env, -EINVAL);
  struct rusage ru;
  if (getrusage(who, &ru) < 0) return num(env, -errno);
  memcpy(b.p, &ru, sizeof ru);
  return num(env, 0);
}

/* dirents(fd, buf): all of directory fd's linux_dirent64 records (riscv64's layout too), in the
 * host's order with "." and "..", read through a fresh open of it (fd's offset is the caller's).
 * Returns the bytes used, or -ENOBUFS when buf may be too small (the caller retries bigger). */
static napi_value Dirents(napi_env env, napi_callback_info info) {
  ARGS(2); INT(0, fd); BUF(1, b, 0);
  int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return num(env, -errno);
  size_t used = 0;
  for (;;) {
    if (b.len - used < 4096) { close(d); return num(env, -ENOBUFS); }
    long n = syscall(SYS_getdents64, d, (char *)b.p + used, b.len - used);
    if (n < 0) { int e = errno; close(d); return num(env, -e); }
    if (n == 0) break;
    used += (size_t)n;
  }
  close(d);
  return num(env, (double)used);
}

/* ---- execve of a host program (the guest exec'd something that is not riscv64) ---- */

#define MAX_EXEC_STRINGS 65536

/* A JS array of strings as a NULL-terminated char* array (malloc'd; free with free_strv). */
static char **get_strv(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || n > MAX_EXEC_STRINGS) { bad_arg(env, "string array expected"); return NULL; }
  char **v = calloc(n + 1, sizeof *v);
  if (!v) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    size_t len;
    if (napi_get_element(env, arr, i, &e) != napi_ok || napi_get_value_string_utf8(env, e, NULL, 0, &len) != napi_ok) {
      bad_arg(env, "string expected");
      goto fail;
    }
    if (!(v[i] = malloc(len + 1))) goto fail;
    napi_get_value_string_utf8(env, e, v[i], len + 1, &len);
  }
  return v;
fail:
  for (uint32_t i = 0; i < n; i++) free(v[i]);
  free(v);
  return NULL;
}

static void free_strv(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

/*
 * hostExec(path, argv, envp, fdmap, nonblock, cwd, sigs): replace this process with a host
 * program, as QEMU's user mode passes such an execve to the host. fdmap[g] is the host fd to
 * put at fd g (-1: closed), nonblock[g] the guest's O_NONBLOCK (1, 0, or -1: leave); sigs is
 * [ignored lo, ignored hi, blocked lo, blocked hi] (signals 1..64, the same numbers on the host).
 * Returns -errno when the file cannot be a host program (nothing changed then); once the
 * descriptors are moved a failure is fatal, as past Linux's point of no return.
 */
static napi_value HostExec(napi_env env, napi_callback_info info) {
  ARGS(7); BUF(3, fdmap, 0); BUF(4, nbb, 0); BUF(6, sigb, 0);
  if (sigb.len < 16) { bad_arg(env, "sigs: 4 words"); return NULL; }
  size_t pl, cl;
  char path[4096], cwd[4096];
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &pl) != napi_ok ||
      napi_get_value_string_utf8(env, argv[5], cwd, sizeof cwd, &cl) != napi_ok) { bad_arg(env, "string expected"); return NULL; }
  if (pl >= sizeof path - 1 || cl >= sizeof cwd - 1) return num(env, -ENAMETOOLONG);
  /* Only what the host kernel can run: an ELF or a #! script (else ENOEXEC, nothing touched). */
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return num(env, -errno);
  unsigned char head[4] = {0};
  ssize_t got = read(f, head, 4);
  close(f);
  if (!(got >= 4 && memcmp(head, "\177ELF", 4) == 0) && !(got >= 2 && head[0] == '#' && head[1] == '!')) return num(env, -ENOEXEC);
  if (access(path, X_OK) < 0) return num(env, -errno);
  char **av = get_strv(env, argv[1]);
  if (!av) return NULL;
  char **ev = get_strv(env, argv[2]);
  if (!ev) { free_strv(av); return NULL; }
  const int32_t *map = fdmap.p, *nb = nbb.p;
  const uint32_t *sigs = sigb.p;
  int n = (int)(fdmap.len / 4);
  /* Every source out of the way of the targets first (F_DUPFD above n), then into place. */
  int *tmp = calloc(n > 0 ? n : 1, sizeof *tmp);
  if (!tmp) { free_strv(av); free_strv(ev); return num(env, -ENOMEM); }
  /* Other threads of this process (libuv, V8) keep running until execve: the emulator's own
   * descriptors are never closed under them, only marked close-on-exec, so the kernel drops them
   * atomically at the exec. The temporary copies are close-on-exec too; dup2 clears the flag on
   * the guest's descriptors it puts in place. */
  for (int g = 0; g < n; g++) tmp[g] = map[g] >= 0 ? fcntl(map[g], F_DUPFD_CLOEXEC, n) : -1;
  for (int g = 0; g < n; g++) {
    if (tmp[g] >= 0) {
      dup2(tmp[g], g);
      if (g < (int)(nbb.len / 4) && nb[g] >= 0) {
        int fl = fcntl(g, F_GETFL);
        if (fl >= 0) fcntl(g, F_SETFL, nb[g] ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
      }
    } else fcntl(g, F_SETFD, FD_CLOEXEC);
  }
  for (int fd = n; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC); /* the emulator's own descriptors */
  if (chdir(cwd) < 0) { /* a vanished cwd: the program starts where it can, as after rmdir */ }
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    int ign = (sigs[(sig - 1) / 32] >> ((sig - 1) % 32)) & 1;
    signal(sig, ign ? SIG_IGN : SIG_DFL);
  }
  sigset_t set;
  sigemptyset(&set);
  for (int sig = 1; sig <= 64; sig++) {
    if ((sigs[2 + (sig - 1) / 32] >> ((sig - 1) % 32)) & 1) sigaddset(&set, sig);
  }
  pthread_sigmask(SIG_SETMASK, &set, NULL);
  execve(path, av, ev);
  char msg[256];
  int len = snprintf(msg, sizeof msg, "tsqemu-riscv64: execve %s: %s\n", path, strerror(errno));
  if (len > 0 && write(2, msg, (size_t)len) < 0) { /* nothing left to tell */ }
  _exit(127);
}

/* openPty(nameOut): a new pseudo-terminal master (non-blocking, close-on-exec) whose slave is in
 * raw mode, as QEMU's qemu_openpty_raw; the slave's path goes to nameOut (NUL-terminated). */
static napi_value OpenPty(napi_env env, napi_callback_info info) {
  ARGS(1); BUF(0, name, 0);
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (m < 0) return num(env, -errno);
  char path[128];
  if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, path, sizeof path) != 0) { int e = errno; close(m); return num(env, -e); }
  int s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) { int e = errno; close(m); return num(env, -e); }
  struct termios t;
  if (tcgetattr(s, &t) == 0) { cfmakeraw(&t); tcsetattr(s, TCSAFLUSH, &t); }
  close(s);
  size_t n = strlen(path);
  if (n + 1 > name.len) { close(m); return num(env, -ENAMETOOLONG); }
  memcpy(name.p, path, n + 1);
  return num(env, m);
}

/* futex(view, op, val, ms): a shared (not FUTEX_PRIVATE) futex on the 4-byte word the view
 * starts at, for guest words in MAP_SHARED memory another process maps too (their waiters are
 * in the host's queue, not V8's). op 0: FUTEX_WAIT for at most ms (<0: no limit), 1: FUTEX_WAKE
 * of val waiters. Returns the host's result or -errno. */
static napi_value Futex(napi_env env, napi_callback_info info) {
  ARGS(4); BUF(0, v, 0); INT(1, op); INT(2, val);
  double ms;
  if (get_double(env, argv[3], &ms)) return NULL;
  if (v.len < 4 || ((uintptr_t)v.p & 3)) return num(env, -EINVAL);
  long r;
  if (op == 0) {
    struct timespec ts = { (time_t)(ms / 1000), (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6) };
    r = syscall(SYS_futex, v.p, FUTEX_WAIT, val, ms < 0 ? NULL : &ts, NULL, 0);
  } else if (op == 1) {
    r = syscall(SYS_futex, v.p, FUTEX_WAKE, val, NULL, NULL, 0);
  } else return num(env, -EINVAL);
  return num(env, r < 0 ? -errno : r);
}

static napi_value PageSize(napi_env env, napi_callback_info info) { return num(env, sysconf(_SC_PAGESIZE)); }

#define FN(name, fn) { name, NULL, fn, NULL, NULL, NULL, napi_default, NULL }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    FN("poll", Poll), FN("waitFd", WaitFd),
    FN("epollCreate1", EpollCreate1), FN("epollCtl", EpollCtl), FN("epollWait", EpollWait),
    FN("eventfd", Eventfd), FN("timerfdCreate", TimerfdCreate), FN("timerfdSettime", TimerfdSettime),
    FN("timerfdGettime", TimerfdGettime), FN("memfdCreate", MemfdCreate), FN("pipe2", Pipe2),
    FN("lseek", Lseek), FN("fcntl", Fcntl), FN("mapShared", MapShared), FN("unmapShared", UnmapShared),
    FN("msync", Msync), FN("pageSize", PageSize), FN("ioctlInt", IoctlInt), FN("openPty", OpenPty),
    FN("lseekData", LseekData), FN("fallocate", Fallocate), FN("ofdLock", OfdLock),
    FN("fdWatch", FdWatchStart), FN("fdWatchSet", FdWatchSet), FN("fdWatchClose", FdWatchClose),
    FN("hostExec", HostExec), FN("prlimit", Prlimit), FN("rusage", Rusage), FN("dirents", Dirents), FN("lock", Lock), FN("dup", Dup), FN("procIds", ProcIds), FN("mknodat", Mknodat), FN("xattr", Xattr), FN("inotify", Inotify), FN("splice", Splice), FN("copyFileRange", CopyFileRange), FN("sendfile", Sendfile), FN("discard", Discard), FN("sysv", Sysv), FN("futex", Futex),
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  if (sys_define_sockets(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
