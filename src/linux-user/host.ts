// What the user-mode emulator needs from the host, injected by src/host/node/user-host.ts.
// The shapes follow node:fs so the Node side is a thin adapter; failures throw objects with a
// negative `errno` (as Node's do), which the dispatcher turns into -errno for the guest.

export interface HostStat {
  dev: bigint; ino: bigint; mode: bigint; nlink: bigint; uid: bigint; gid: bigint; rdev: bigint;
  size: bigint; blksize: bigint; blocks: bigint;
  atimeNs: bigint; mtimeNs: bigint; ctimeNs: bigint; birthtimeNs: bigint;
}

export interface HostDirent { name: string; type: number /* DT_* */ }

export interface HostStatfs { type: bigint; bsize: bigint; blocks: bigint; bfree: bigint; bavail: bigint; files: bigint; ffree: bigint }

export interface HostFs {
  open(path: string, flags: number, mode: number): number;
  close(fd: number): void;
  /** pos null: at (and moving) the descriptor's offset. */
  read(fd: number, buf: Uint8Array, pos: number | null): number;
  write(fd: number, buf: Uint8Array, pos: number | null): number;
  fstat(fd: number): HostStat;
  stat(path: string): HostStat;
  lstat(path: string): HostStat;
  readdir(path: string): HostDirent[];
  readlink(path: string): string;
  mkdir(path: string, mode: number): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  rename(from: string, to: string): void;
  link(from: string, to: string): void;
  symlink(target: string, path: string): void;
  chmod(path: string, mode: number): void;
  fchmod(fd: number, mode: number): void;
  chown(path: string, uid: number, gid: number, follow: boolean): void;
  fchown(fd: number, uid: number, gid: number): void;
  utimes(path: string, atime: number, mtime: number, follow: boolean): void;
  futimes(fd: number, atime: number, mtime: number): void;
  truncate(path: string, len: number): void;
  ftruncate(fd: number, len: number): void;
  fsync(fd: number): void;
  fdatasync(fd: number): void;
  access(path: string, mode: number): void;
  statfs(path: string): HostStatfs;
  isatty(fd: number): boolean;
  /** A new pipe: [read end, write end] (blocking descriptors). */
  pipe(): [number, number];
}

export interface SpawnRequest {
  /** Serialized process image for the child to resume from. */
  image: Uint8Array;
  /** Host fd to place at each guest fd number in the child (-1: closed). */
  fds: number[];
  cwd: string;
  /** vfork: return only when the child has exec'd or exited (the parent is suspended). */
  vfork?: boolean;
  /** Shared objects (shared-map.ts): the fds the image's table names, and a descriptor for
   * each to hand to the child (closed by the spawner; -1: none). */
  maps?: number[];
  mapFds?: number[];
  /** The forking thread's per-thread host attributes (syscall-cred.ts threadAttrsOf): caps,
   * keepcaps, no_new_privs, timer slack, securebits, which a fork keeps. */
  attrs?: number[];
}

export interface HostProcess {
  pid: number; ppid: number; uid: number; euid: number; gid: number; egid: number;
  hostname: string; release: string;
  /** uname's version: the host's (qemu-riscv64 passes uname through). */
  version?: string;
  /** Start a child emulator that resumes `image`; returns its pid. */
  spawnChild(req: SpawnRequest): number;
  /** Block until a child changes state: [pid, wait status] or null when there is none
   * (`pid` -1 any child, else that one); `nohang`: return [0, 0] when none is ready;
   * `nowait`: leave the child waitable (WNOWAIT); `states`: which changes count, Linux's
   * WEXITED (4, the default), WSTOPPED (2) and WCONTINUED (8) bits. */
  waitChild(pid: number, nohang: boolean, nowait?: boolean, states?: number): [number, number] | null;
  /** Finish the whole process: exit status, or death by signal. */
  exit(status: number, signal: number): never;
  kill(pid: number, sig: number): void;
  randomBytes(n: number): Uint8Array;
  /** Nanoseconds since the epoch (CLOCK_REALTIME) and of a monotonic clock. */
  realtimeNs(): bigint;
  monotonicNs(): bigint;
  cpuTimeNs(): bigint;
  /** What the host's kernel says to a timer on an alarm clock: 0, EOPNOTSUPP (no RTC that can
   * wake the system) or EPERM (no CAP_WAKE_ALARM). */
  alarmTimerErrno?(): number;
  sleepMs(ms: number): void;
  /** Log text (the -D file or stderr). */
  log(text: string): void;
}

/** Raw host system calls Node lacks (the optional native addon tsqemu_sys). Every call returns
 * its result or -errno. Buffers are live views (of guest memory or scratch): the addon never
 * goes past a view's length. Guest structures pass through in the host's (same) layout, except
 * epoll_event, which epollWait writes in the riscv64 layout (16 bytes). */
export interface HostSys {
  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number, out: Int32Array): number;
  bind(fd: number, addr: Uint8Array): number;
  connect(fd: number, addr: Uint8Array): number;
  listen(fd: number, backlog: number): number;
  /** The peer address goes to `addr` (truncated), its full length to lenOut[0]. */
  accept4(fd: number, addr: Uint8Array | null, lenOut: Int32Array, flags: number): number;
  getsockname(fd: number, addr: Uint8Array, lenOut: Int32Array): number;
  getpeername(fd: number, addr: Uint8Array, lenOut: Int32Array): number;
  sendto(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array | null): number;
  recvfrom(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array | null, lenOut: Int32Array): number;
  sendmsg(fd: number, iov: Uint8Array[], name: Uint8Array | null, control: Uint8Array | null, flags: number): number;
  /** out: [name length, control length, msg_flags]. */
  recvmsg(fd: number, iov: Uint8Array[], name: Uint8Array | null, control: Uint8Array | null, flags: number, out: Int32Array): number;
  shutdown(fd: number, how: number): number;
  getsockopt(fd: number, level: number, name: number, val: Uint8Array, lenOut: Int32Array): number;
  setsockopt(fd: number, level: number, name: number, val: Uint8Array | null): number;
  /** struct pollfd[] with host fds. */
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  /** Wait for events on a blocking fd: revents, 0 on timeout, -EAGAIN when it is non-blocking. */
  waitFd(fd: number, events: number, timeoutMs: number): number;
  epollCreate1(flags: number): number;
  epollCtl(epfd: number, op: number, fd: number, events: number, data: bigint): number;
  epollWait(epfd: number, out: Uint8Array, max: number, timeoutMs: number): number;
  eventfd(initval: number, flags: number): number;
  timerfdCreate(clock: number, flags: number): number;
  timerfdSettime(fd: number, flags: number, value: Uint8Array, old: Uint8Array | null): number;
  timerfdGettime(fd: number, cur: Uint8Array): number;
  memfdCreate(name: string, flags: number): number;
  pipe2(flags: number, out: Int32Array): number;
  lseek(fd: number, off: number, whence: number): number;
  /** F_GETFL / F_SETFL / F_GETPIPE_SZ / F_SETPIPE_SZ / F_ADD_SEALS / F_GET_SEALS only. */
  fcntl(fd: number, cmd: number, arg: number): number;
  /** Replace the view's (page-aligned) memory with a shared read/write mapping of the file. */
  mapShared(view: Uint8Array, fd: number, offset: number, priv?: number): number;
  /** Put fresh private zeroed memory back in place of a shared mapping. */
  unmapShared(view: Uint8Array): number;
  msync(view: Uint8Array, flags: number): number;
  /** Zero whole pages by giving their host memory back (madvise MADV_DONTNEED). */
  discard(view: Uint8Array, remove?: number): number;
  pageSize(): number;
  /** A host (shared) futex on the word at view[0..3]: op 0 FUTEX_WAIT (ms < 0: no limit), 1
   * FUTEX_WAKE; the result or -errno. Optional: an addon built before it has none. */
  futex?(view: Uint8Array, op: number, val: number, ms: number): number;
  /** native/tsqemu_proc (optional): out[i] = 1 for each page of `mem` ever written (present or
   * swapped: /proc/self/pagemap); the count, or -errno. */
  residentPages?(mem: Uint8Array, out: Uint8Array): number;
  /** native/tsqemu_proc (optional): pidfd_getfd(2); the new host fd or -errno. */
  pidfdGetfd?(pidfd: number, fd: number, flags: number): number;
  /** native/tsqemu_proc (optional): SCM_RIGHTS of up to 250 fds; the bytes sent or -errno. */
  sendFds?(sock: number, fds: Int32Array): number;
  /** native/tsqemu_proc (optional): the next message's fds (close-on-exec) into out; count or -errno. */
  recvFds?(sock: number, out: Int32Array): number;
  dup2?(oldFd: number, newFd: number): number;
  /** fcntl(F_GETFD) or -errno. */
  fdFlags?(fd: number): number;
  /** native/tsqemu_proc (optional): the host's credential calls (op: see tsqemu_proc.c Cred). */
  cred?(op: number, a: number, b: number, c: number, buf: Int32Array | null): number;
  /** native/tsqemu_proc (optional): a SIOCGIF* query on a 40-byte struct ifreq (updated). */
  ioctlIfreq?(fd: number, req: number, ifreq: Uint8Array): number;
  /** native/tsqemu_proc (optional): catch host SIGBUS in the guest space for this thread
   * (slot): its fault word and exit_request are byte offsets in `mem` (tsqemu_proc.c). */
  busGuard?(mem: Uint8Array, guestBase: number, slot: number, faultOff: number, kickOff: number): number;
  /** native/tsqemu_proc (optional): faccessat2(AT_FDCWD, path, mode, flags); 0 or -errno. */
  faccessat?(path: string, mode: number, flags: number): number;
  /** native/tsqemu_proc (optional): renameat2(AT_FDCWD, from, AT_FDCWD, to, flags); 0 or -errno. */
  renameat2?(from: string, to: string, flags: number): number;
  /** native/tsqemu_proc (optional): op 0 sync_file_range(fd, off, count, flags), 1 readahead(fd, off, count). */
  fdRange?(op: number, fd: number, off: number, count: number, flags: number): number;
  /** native/tsqemu_proc (optional): the host's kcmp(pid1, pid2, type, idx1, idx2) or -errno. */
  kcmp?(pid1: number, pid2: number, type: number, idx1: number, idx2: number): number;
  /** native/tsqemu_proc (optional): op 0 getpriority(which, who) (20 - nice), 1 setpriority(which, who, prio). */
  priority?(op: number, which: number, who: number, prio: number): number;
  /** native/tsqemu_proc (optional): the sched_* calls (op: see tsqemu_proc.c Sched). */
  sched?(op: number, pid: number, a: number, b: number, buf: Uint8Array | null): number;
  /** tsqemu_sys: fallocate(2); 0 or -errno. */
  fallocate?(fd: number, mode: number, off: number, len: number): number;
  /** native/tsqemu_proc (optional): prctl for the options without pointer arguments. */
  prctl?(option: number, a2: number, a3: number, a4: number, a5: number): number;
  /** Replace the process with a host program (execve of a non-riscv64 file): fdmap[g] is the
   * host fd for fd g (-1 closed), nonblock[g] its O_NONBLOCK (-1 leave), sigs [ignored lo, hi,
   * blocked lo, hi]. Returns -errno only when nothing was changed (e.g. -ENOEXEC). */
  hostExec(path: string, argv: string[], envp: string[], fdmap: Int32Array, nonblock: Int32Array, cwd: string, sigs: Uint32Array): number;
  /** fcntl record locks (cmd F_GETLK...: `flock` is a struct flock, host layout = riscv64's), or
   * flock(fd, op) when cmd is -1. */
  lock(fd: number, cmd: number, flock: Uint8Array | null, op: number): number;
  /** splice / copy_file_range / sendfile; offsets are BigInt64Array(1) (updated) or null. */
  splice(fdIn: number, offIn: BigInt64Array | null, fdOut: number, offOut: BigInt64Array | null, len: number, flags: number): number;
  copyFileRange(fdIn: number, offIn: BigInt64Array | null, fdOut: number, offOut: BigInt64Array | null, len: number, flags: number): number;
  sendfile(fdOut: number, fdIn: number, off: BigInt64Array | null, count: number): number;
  /** Process groups and sessions: op 0 getpgid(a), 1 setpgid(a, b), 2 getsid(a), 3 setsid(). */
  procIds(op: number, a: number, b: number): number;
  mknodat(dirfd: number, path: string, mode: number, dev: number): number;
  /** The host's System V IPC (syscall-sysv.ts lists the ops). */
  sysv(op: number, a: number, b: number, c: number, d: number, buf: Uint8Array | null): number;
  /** Extended attributes: op 0 get, 1 set, 2 list, 3 remove; how 0 path, 1 lpath, 2 fd. */
  xattr(op: number, how: number, fd: number, path: string | null, name: string | null, buf: Uint8Array | null, flags: number): number;
  /** op 0 inotify_init1(a), 1 inotify_add_watch(a, path, mask), 2 inotify_rm_watch(a, mask). */
  inotify(op: number, a: number, path: string | null, mask: number): number;
  /** A second host descriptor for the same open file (close-on-exec). */
  dup(fd: number): number;
  /** This process's limits: new and old [soft, hard] (either null). */
  prlimit(resource: number, newLimit: BigUint64Array | null, old: BigUint64Array | null): number;
  /** All linux_dirent64 records of directory fd in the host's order (with . and ..); bytes used or -ENOBUFS. */
  dirents?(fd: number, buf: Uint8Array): number;
  /** getrusage(who) as struct rusage (144 bytes, riscv64's layout) into buf. */
  rusage?(who: number, buf: Uint8Array): number;
  /** FIONREAD / TIOCOUTQ: the count goes to out[0]. */
  ioctlInt(fd: number, req: number, out: Int32Array): number;
  /** A pty master (non-blocking) with its slave in raw mode; the slave's path to nameOut (NUL-terminated). */
  openPty?(nameOut: Uint8Array): number;
}
