// System calls on open descriptors: read/write and their vector and positional forms, lseek,
// dup, pipe2, fcntl, ioctl (terminals), flock, fsync, ftruncate, fallocate, close.
import { NR } from './syscall-nr.js';
import { signalfdRead } from './signalfd.js';
import { Errno, SyscallError } from './errno.js';
import { int, long, ptr, uint, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { raiseSignal, TARGET_SIGPIPE } from './signal.js';
import { fcntlLock, flock, isLockCmd } from './syscall-lock.js';
import { blockingCall, check, fdinfo, guestNonblock, POLLIN, POLLOUT, readyNow } from './blocking.js';

const O_APPEND = 0o2000;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const S_IFMT = 0o170000n, S_IFREG = 0o100000n, S_IFDIR = 0o40000n, S_IFBLK = 0o60000n;

/** Read `len` bytes at the descriptor's offset (host or explicit) into guest memory. */
export function fdRead(ts: TaskState, fd: number, buf: Uint8Array, pos: number | null): number {
  const h = ts.fdt.host(fd);
  if (pos !== null) return ts.fs.read(h, buf, pos);
  const off = ts.fdt.offset(h);
  if (off === null) {
    const sfd = signalfdRead(ts, h, buf);
    if (sfd !== null) return sfd;
    if (buf.length === 0) return ts.fs.read(h, buf, null);
    // Pipes, sockets, terminals: interruptible; a socket's SO_RCVTIMEO bounds the wait.
    return blockingCall(ts, h, POLLIN, () => ts.fs.read(h, buf, null), true, true);
  }
  const n = ts.fs.read(h, buf, off);
  ts.fdt.setOffset(h, off + n);
  return n;
}

export function fdWrite(ts: TaskState, fd: number, buf: Uint8Array, pos: number | null): number {
  const h = ts.fdt.host(fd);
  try {
    if (pos !== null) return ts.fs.write(h, buf, pos);
    let off = ts.fdt.offset(h);
    if (off === null) return writeAll(ts, h, buf);
    if (hostFlags(ts, h) & O_APPEND) off = Number(ts.fs.fstat(h).size);
    const n = ts.fs.write(h, buf, off);
    ts.fdt.setOffset(h, off + n);
    return n;
  } catch (e) {
    if ((e as { errno?: number }).errno === -Errno.EPIPE) raiseSignal(ts, TARGET_SIGPIPE);
    throw e;
  }
}

/** A write at the host offset. On a guest-blocking fd it returns only when all of `buf` is
 * written, as Linux's pipe_write does (the host fd may be non-blocking and take a part), or
 * with the count so far when a signal or an error comes after some was written. */
function writeAll(ts: TaskState, h: number, buf: Uint8Array): number {
  if (buf.length === 0) return ts.fs.write(h, buf, null);
  let done = 0;
  while (done < buf.length) {
    let n: number;
    try {
      n = blockingCall(ts, h, POLLOUT, () => ts.fs.write(h, buf.subarray(done), null), true, true);
    } catch (e) {
      if (done > 0) return done;
      throw e;
    }
    done += n;
    if (n <= 0 || guestNonblock(ts, h)) break;
  }
  return done;
}

function hostFlags(ts: TaskState, h: number): number { return fdinfo(ts, h).flags; }

function iovecs(ts: TaskState, iov: number, cnt: number): Array<[number, number]> {
  if (cnt < 0 || cnt > 1024) throw new SyscallError(Errno.EINVAL);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < cnt; i++) {
    const len = ts.mm.u64n(iov + i * 16 + 8);
    if (len >= 2 ** 63) throw new SyscallError(Errno.EINVAL); // a negative ssize_t (Linux's check)
    out.push([ts.mm.u64n(iov + i * 16), len]);
  }
  return out;
}

/** The file offset of pread64/pwrite64/preadv/pwritev: a negative one is EINVAL before anything
 * else (Node would take -1 as "the current position"). */
function offset(a: bigint): number {
  const pos = long(a);
  if (pos < 0) throw new SyscallError(Errno.EINVAL);
  return pos;
}

function readv(ts: TaskState, fd: number, iov: number, cnt: number, pos: number | null): number {
  let total = 0;
  for (const [base, len] of iovecs(ts, iov, cnt)) {
    if (len === 0) continue;
    // Past the first buffer, a stream gives what it has: no waiting for more (Linux's readv).
    if (total > 0 && pos === null && !readyNow(ts, ts.fdt.host(fd), POLLIN)) break;
    let n: number;
    try {
      n = fdRead(ts, fd, ts.mm.writableView(base, len), pos === null ? null : pos + total);
    } catch (e) {
      if (total > 0) break;
      throw e;
    }
    total += n;
    if (n < len) break;
  }
  return total;
}

function writev(ts: TaskState, fd: number, iov: number, cnt: number, pos: number | null): number {
  // Gather first: one host write keeps a line written with writev atomic on a pipe.
  const parts = iovecs(ts, iov, cnt).filter(([, len]) => len > 0).map(([b, len]) => ts.mm.readableView(b, len));
  const size = parts.reduce((s, p) => s + p.length, 0);
  const all = new Uint8Array(size);
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  return fdWrite(ts, fd, all, pos);
}

/** vmsplice as a copy (QEMU's host vmsplice of guest pages copies them into the pipe too, or
 * out of it): writev to a pipe's write end, readv from its read end, Linux's checks and errnos;
 * SPLICE_F_NONBLOCK: EAGAIN instead of waiting. */
function vmsplice(ts: TaskState, fd: number, iov: number, cnt: number, flags: number): number {
  const SPLICE_F_NONBLOCK = 2;
  if (flags & ~0xf) throw new SyscallError(Errno.EINVAL);
  const h = ts.fdt.host(fd);
  const acc = (ts.sys ? check(ts.sys.fcntl(h, F_GETFL, 0)) : fdinfo(ts, h).flags) & 3;
  if (acc === 3) throw new SyscallError(Errno.EBADF);
  if (cnt < 0 || cnt > 1024) throw new SyscallError(Errno.EINVAL);
  if ((ts.fs.fstat(h).mode & S_IFMT) !== 0o010000n) throw new SyscallError(Errno.EBADF);
  const out = acc !== 0;
  if ((flags & SPLICE_F_NONBLOCK) && !readyNow(ts, h, out ? POLLOUT : POLLIN)) throw new SyscallError(Errno.EAGAIN);
  if (!out) return readv(ts, fd, iov, cnt, null);
  // Into the pipe: what fits (Linux returns then, a partial count), page by page; only the
  // first page waits for room (a blocking pipe), as a splice does.
  const parts = iovecs(ts, iov, cnt).filter(([, len]) => len > 0);
  let total = 0;
  for (const [base, len] of parts) {
    for (let o = 0; o < len; o += 4096) {
      if (total > 0 && !readyNow(ts, h, POLLOUT)) return total;
      const n = fdWrite(ts, fd, ts.mm.readableView(base + o, Math.min(4096, len - o)), null);
      total += n;
      if (n < Math.min(4096, len - o)) return total;
    }
  }
  return total;
}

function lseek(ts: TaskState, fd: number, off: number, whence: number): number {
  const h = ts.fdt.host(fd);
  const st = ts.fs.fstat(h);
  const type = st.mode & S_IFMT;
  // The real offset, shared (for a directory: the entry index getdents64 keeps there).
  if (ts.sys) return check(ts.sys.lseek(h, off, whence));
  if (type !== S_IFREG && type !== S_IFDIR && type !== S_IFBLK) throw new SyscallError(Errno.ESPIPE);
  const cur = ts.fdt.offset(h) ?? fdinfo(ts, h).pos;
  let n: number;
  switch (whence) {
    case 0: n = off; break;
    case 1: n = cur + off; break;
    case 2: n = Number(st.size) + off; break;
    default: throw new SyscallError(Errno.EINVAL);
  }
  if (n < 0) throw new SyscallError(Errno.EINVAL);
  if (whence === 1 && off === 0 && ts.fdt.offset(h) === null) return cur; // ftell: keep the host offset
  if (type === S_IFDIR) ts.dirStreams.delete(h);
  ts.fdt.setOffset(h, n);
  return n;
}

/** close_range(first, last, flags): close, or mark close-on-exec (CLOSE_RANGE_CLOEXEC), every
 * open guest fd in [first, last]; UNSHARE is a no-op (one table per process). */
function closeRange(ts: TaskState, first: number, last: number, flags: number): number {
  const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last) throw new SyscallError(Errno.EINVAL);
  for (let g = first, end = Math.min(last, ts.fdt.high() - 1); g <= end; g++) {
    if (!ts.fdt.isOpen(g)) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) ts.fdt.setCloexec(g, true);
    else ts.fdt.close(g);
  }
  return 0;
}

function dup3(ts: TaskState, oldfd: number, newfd: number, flags: number): number {
  if (oldfd === newfd) throw new SyscallError(Errno.EINVAL);
  if (flags & ~O_CLOEXEC) throw new SyscallError(Errno.EINVAL);
  ts.fdt.installAt(ts.fdt.host(oldfd), newfd, (flags & O_CLOEXEC) !== 0);
  return newfd;
}

function pipe2(ts: TaskState, fds: number, flags: number): number {
  ts.mm.check(fds, 8, true);
  const O_DIRECT = 0o40000;
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) throw new SyscallError(Errno.EINVAL);
  let r: number, w: number;
  if (ts.sys) {
    const out = new Int32Array(2);
    check(ts.sys.pipe2(flags & ~O_CLOEXEC, out));
    [r, w] = out;
  } else [r, w] = ts.fs.pipe();
  const cloexec = (flags & O_CLOEXEC) !== 0;
  ts.fdt.setNonblock(r, (flags & O_NONBLOCK) !== 0); // the FIFO fallback cannot set it on the host
  ts.fdt.setNonblock(w, (flags & O_NONBLOCK) !== 0);
  const gr = ts.fdt.install(r, cloexec);
  const gw = ts.fdt.install(w, cloexec);
  ts.mm.setU32(fds, gr);
  ts.mm.setU32(fds + 4, gw);
  return 0;
}

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4;
const F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11, F_SETOWN_EX = 15, F_GETOWN_EX = 16;
const F_SETLEASE = 1024, F_GETLEASE = 1025;
const F_DUPFD_CLOEXEC = 1030, F_GETPIPE_SZ = 1032, F_SETPIPE_SZ = 1031, F_ADD_SEALS = 1033, F_GET_SEALS = 1034;

function fcntl(ts: TaskState, fd: number, cmd: number, arg: bigint): number {
  const h = ts.fdt.host(fd);
  if (isLockCmd(cmd)) return fcntlLock(ts, h, cmd, ptr(arg));
  switch (cmd) {
    case F_DUPFD: case F_DUPFD_CLOEXEC:
      if (!(int(arg) >= 0 && int(arg) < ts.fdt.limit)) throw new SyscallError(Errno.EINVAL);
      return ts.fdt.install(h, cmd === F_DUPFD_CLOEXEC, int(arg));
    case F_GETFD: return ts.fdt.cloexec(fd) ? 1 : 0;
    case F_SETFD: ts.fdt.setCloexec(fd, (arg & 1n) !== 0n); return 0;
    case F_GETFL: {
      const nb = guestNonblock(ts, h) ? O_NONBLOCK : 0; // first: the host flag may still be the guest's
      return ((ts.sys ? check(ts.sys.fcntl(h, F_GETFL, 0)) : fdinfo(ts, h).flags) & ~(O_CLOEXEC | O_NONBLOCK)) | nb;
    }
    // Without the addon Node cannot change O_NONBLOCK/O_APPEND of a host descriptor: only the
    // guest's view of O_NONBLOCK changes (EAGAIN is then retried, not returned, or vice versa).
    case F_SETFL: {
      const r = ts.sys ? check(ts.sys.fcntl(h, F_SETFL, int(arg))) : 0;
      ts.fdt.setNonblock(h, (int(arg) & O_NONBLOCK) !== 0);
      return r;
    }
    case F_GETPIPE_SZ: case F_SETPIPE_SZ: return ts.sys ? check(ts.sys.fcntl(h, cmd, int(arg))) : 65536;
    // A memfd's seals are the host memfd's (memfd_create passes MFD_ALLOW_SEALING on).
    case F_ADD_SEALS: case F_GET_SEALS: return ts.sys ? check(ts.sys.fcntl(h, cmd, int(arg))) : -Errno.EINVAL;
    // The host's, as QEMU passes them on: the owner (guest pids are host pids; SIGIO and the
    // F_SETSIG signal come to this process) and leases (the host checks the file's other openers).
    case F_SETOWN: case F_GETOWN: case F_SETSIG: case F_GETSIG: case F_SETLEASE: case F_GETLEASE:
      if (!ts.sys) throw new SyscallError(Errno.EINVAL);
      return check(ts.sys.fcntl(h, cmd, int(arg)));
    // struct f_owner_ex { int type; pid_t pid } over F_GETOWN/F_SETOWN (glibc's F_GETOWN is
    // F_GETOWN_EX): F_OWNER_TID 0 (none set yet), F_OWNER_PID 1, F_OWNER_PGRP 2 (negative).
    case F_GETOWN_EX: {
      if (!ts.sys) throw new SyscallError(Errno.EINVAL);
      const own = check(ts.sys.fcntl(h, F_GETOWN, 0)), p = ptr(arg); // (a process group owner reads as an error here)
      ts.mm.check(p, 8, true);
      ts.mm.setU32(p, own === 0 ? 0 : own > 0 ? 1 : 2);
      ts.mm.setU32(p + 4, Math.abs(own));
      return 0;
    }
    case F_SETOWN_EX: {
      if (!ts.sys) throw new SyscallError(Errno.EINVAL);
      const type = ts.mm.i32at(ptr(arg)), pid = ts.mm.i32at(ptr(arg) + 4);
      if (type < 0 || type > 2) throw new SyscallError(Errno.EINVAL);
      return check(ts.sys.fcntl(h, F_SETOWN, type === 2 ? -pid : pid));
    }
    default: throw new SyscallError(Errno.EINVAL);
  }
}

const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCGPGRP = 0x540f;
const TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b, FIONBIO = 0x5421;
const TIOCSCTTY = 0x540e;
const IFREQ_SIZE = 40;

function ioctl(ts: TaskState, fd: number, req: number, arg: number): number {
  const h = ts.fdt.host(fd);
  // An O_PATH descriptor does no I/O: EBADF, as Linux (open13).
  const O_PATH = 0o10000000;
  const fl = ts.sys ? ts.sys.fcntl(h, F_GETFL, 0) : 0;
  if (fl > 0 && (fl & O_PATH) !== 0) throw new SyscallError(Errno.EBADF);
  if (req === FIONBIO) {
    const on = ts.mm.i32at(arg) !== 0;
    if (ts.sys) {
      const fl = check(ts.sys.fcntl(h, F_GETFL, 0));
      check(ts.sys.fcntl(h, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK));
    }
    ts.fdt.setNonblock(h, on);
    return 0;
  }
  if (req === FIONREAD) {
    const n = new Int32Array(1);
    if (ts.sys) check(ts.sys.ioctlInt(h, FIONREAD, n));
    ts.mm.setU32(arg, n[0]);
    return 0;
  }
  // SIOCGIFNAME..SIOCGIFTXQLEN (if_nametoindex, interface flags/addresses): the host's.
  if (req >= 0x8910 && req <= 0x8942 && ts.sys?.ioctlIfreq) {
    const ifr = ts.mm.read(arg, IFREQ_SIZE);
    const r = ts.sys.ioctlIfreq(h, req, ifr);
    if (r !== -Errno.ENOTTY) { check(r); ts.mm.write(arg, ifr); return r; }
  }
  if (!ts.fs.isatty(h)) throw new SyscallError(Errno.ENOTTY);
  switch (req) {
    case TCGETS: {
      const t = new Uint8Array(36);
      const dv = new DataView(t.buffer);
      dv.setUint32(0, 0x500, true); // ICRNL | IXON
      dv.setUint32(4, 0x5, true); // OPOST | ONLCR
      dv.setUint32(8, 0xbf, true); // B38400 | CS8 | CREAD
      dv.setUint32(12, 0x8a3b, true); // ISIG ICANON ECHO ECHOE ECHOK IEXTEN ECHOCTL ECHOKE
      t.set([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0], 17);
      ts.mm.write(arg, t);
      return 0;
    }
    case TCSETS: case TCSETSW: case TCSETSF: ts.mm.check(arg, 36, false); return 0;
    case TIOCGWINSZ: {
      const w = new Uint8Array(8);
      new DataView(w.buffer).setUint16(0, 24, true);
      new DataView(w.buffer).setUint16(2, 80, true);
      ts.mm.write(arg, w);
      return 0;
    }
    case TIOCSWINSZ: case TIOCSPGRP: case TIOCSCTTY: return 0;
    case TIOCGPGRP: ts.mm.setU32(arg, ts.proc.pid); return 0;
    default: throw new SyscallError(Errno.ENOTTY);
  }
}

function ftruncate(ts: TaskState, fd: number, len: number): number {
  if (len < 0) throw new SyscallError(Errno.EINVAL);
  ts.fs.ftruncate(ts.fdt.host(fd), len);
  return 0;
}

/** fallocate: the host's (every mode, its errno), as qemu-riscv64 passes it on; without the
 * addon only mode 0, as a truncate that grows the file. */
function fallocate(ts: TaskState, fd: number, mode: number, off: number, len: number): number {
  const h = ts.fdt.host(fd);
  if (ts.sys?.fallocate) return check(ts.sys.fallocate(h, mode, off, len));
  if (mode !== 0) throw new SyscallError(Errno.EOPNOTSUPP);
  if (Number(ts.fs.fstat(h).size) < off + len) ts.fs.ftruncate(h, off + len);
  return 0;
}

/** sync_file_range and readahead: the host's (addon), Linux's checks first. */
function fdRange(ts: TaskState, op: number, fd: number, off: bigint, count: bigint, flags: number): number {
  const h = ts.fdt.host(fd);
  if (!ts.sys?.fdRange) throw new SyscallError(Errno.ENOSYS);
  const big = (v: bigint) => v > 0x7fffffffffffffffn ? -1 : Number(v);
  return check(ts.sys.fdRange(op, h, big(off), big(count), flags));
}

/** fadvise64: only advice, so nothing to do beyond Linux's checks: EBADF, ESPIPE for a pipe,
 * EINVAL for a negative length or an unknown advice (POSIX_FADV_NORMAL..NOREUSE are 0-5). */
function fadvise(ts: TaskState, fd: number, len: number, advice: number): number {
  const h = ts.fdt.host(fd);
  if ((ts.fs.fstat(h).mode & 0o170000n) === 0o010000n) throw new SyscallError(Errno.ESPIPE);
  if (len < 0 || advice < 0 || advice > 5) throw new SyscallError(Errno.EINVAL);
  return 0;
}

export const FILE_SYSCALLS: SyscallTable = [
  [NR.read, (ts, a) => fdRead(ts, int(a[0]), ts.mm.writableView(ptr(a[1]), ptr(a[2])), null)],
  [NR.write, (ts, a) => fdWrite(ts, int(a[0]), ts.mm.readableView(ptr(a[1]), ptr(a[2])), null)],
  [NR.pread64, (ts, a) => fdRead(ts, int(a[0]), ts.mm.writableView(ptr(a[1]), ptr(a[2])), offset(a[3]))],
  [NR.pwrite64, (ts, a) => fdWrite(ts, int(a[0]), ts.mm.readableView(ptr(a[1]), ptr(a[2])), offset(a[3]))],
  [NR.readv, (ts, a) => readv(ts, int(a[0]), ptr(a[1]), int(a[2]), null)],
  [NR.writev, (ts, a) => writev(ts, int(a[0]), ptr(a[1]), int(a[2]), null)],
  [NR.preadv, (ts, a) => readv(ts, int(a[0]), ptr(a[1]), int(a[2]), offset(a[3]))],
  [NR.pwritev, (ts, a) => writev(ts, int(a[0]), ptr(a[1]), int(a[2]), offset(a[3]))],
  [NR.lseek, (ts, a) => lseek(ts, int(a[0]), long(a[1]), int(a[2]))],
  [NR.close, (ts, a) => { ts.dirStreams.delete(ts.fdt.host(int(a[0]))); ts.fdt.close(int(a[0])); return 0; }],
  [NR.dup, (ts, a) => ts.fdt.install(ts.fdt.host(int(a[0])), false)],
  [NR.dup3, (ts, a) => dup3(ts, int(a[0]), int(a[1]), int(a[2]))],
  [NR.pipe2, (ts, a) => pipe2(ts, ptr(a[0]), int(a[1]))],
  [NR.fcntl, (ts, a) => fcntl(ts, int(a[0]), int(a[1]), a[2])],
  [NR.ioctl, (ts, a) => ioctl(ts, int(a[0]), uint(a[1]), ptr(a[2]))],
  [NR.close_range, (ts, a) => closeRange(ts, uint(a[0]), uint(a[1]), uint(a[2]))],
  [NR.flock, (ts, a) => flock(ts, ts.fdt.host(int(a[0])), int(a[1]))],
  [NR.fsync, (ts, a) => { ts.fs.fsync(ts.fdt.host(int(a[0]))); return 0; }],
  [NR.fdatasync, (ts, a) => { ts.fs.fdatasync(ts.fdt.host(int(a[0]))); return 0; }],
  [NR.sync, () => 0],
  [NR.syncfs, (ts, a) => { ts.fdt.host(int(a[0])); return 0; }],
  [NR.ftruncate, (ts, a) => ftruncate(ts, int(a[0]), long(a[1]))],
  [NR.vmsplice, (ts, a) => vmsplice(ts, int(a[0]), ptr(a[1]), int(a[2]), int(a[3]))],
  [NR.sync_file_range, (ts, a) => fdRange(ts, 0, int(a[0]), a[1], a[2], int(a[3]))],
  [NR.readahead, (ts, a) => fdRange(ts, 1, int(a[0]), a[1], a[2], 0)],
  [NR.fallocate, (ts, a) => fallocate(ts, int(a[0]), int(a[1]), long(a[2]), long(a[3]))],
  [NR.fadvise64, (ts, a) => fadvise(ts, int(a[0]), long(a[2]), int(a[3]))],
];

export { S_IFMT, S_IFDIR, S_IFREG };
