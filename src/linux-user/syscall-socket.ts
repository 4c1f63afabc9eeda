// BSD sockets on the host's (native addon): AF_UNIX, AF_INET, AF_INET6, AF_NETLINK and AF_PACKET. The guest's
// sockaddr, option and cmsg layouts are the host's (64-bit little-endian Linux), so they pass
// through; only descriptors are translated (guest fd <-> host fd, SCM_RIGHTS included). Calls
// that may block wait for readiness first, in slices, so signals interrupt or restart them.
// Without the addon every call is ENOSYS.
import { NR } from './syscall-nr.js';
import { currentCwd } from './syscall-path.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, uint, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import type { HostSys } from './host.js';
import { blockingCall, check, POLLIN, POLLOUT } from './blocking.js';
import { raiseSignal, TARGET_SIGPIPE } from './signal.js';

const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;
const SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1, SCM_RIGHTS = 1;
const SUN_PATH_MAX = 108, MAX_ADDR = 128, MAX_OPT = 1024, MAX_CONTROL = 65536, MAX_IOV = 1024;

function sys(ts: TaskState): HostSys {
  if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
  return ts.sys;
}

function socket(ts: TaskState, domain: number, type: number, proto: number): number {
  const s = sys(ts);
  // AF_PACKET's sockaddr_ll and packet_mreq have the same layout on riscv64 as on the host.
  if (![AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET].includes(domain)) throw new SyscallError(Errno.EAFNOSUPPORT);
  const h = check(s.socket(domain, type & ~SOCK_CLOEXEC, proto));
  return ts.fdt.install(h, (type & SOCK_CLOEXEC) !== 0);
}

function socketpair(ts: TaskState, domain: number, type: number, proto: number, sv: number): number {
  const s = sys(ts);
  ts.mm.check(sv, 8, true);
  const out = new Int32Array(2);
  check(s.socketpair(domain, type & ~SOCK_CLOEXEC, proto, out));
  const cloexec = (type & SOCK_CLOEXEC) !== 0;
  ts.mm.setU32(sv, ts.fdt.install(out[0], cloexec));
  ts.mm.setU32(sv + 4, ts.fdt.install(out[1], cloexec));
  return 0;
}

/** A guest sockaddr in (copied; lengths beyond any family's: EINVAL as Linux). A relative
 * AF_UNIX path is made absolute against the guest's cwd (the host process has its own). */
function addrIn(ts: TaskState, addr: number, len: number): Uint8Array {
  if (len < 0 || len > MAX_ADDR) throw new SyscallError(Errno.EINVAL);
  const a = ts.mm.read(addr, len);
  if (len <= 2 || a[0] !== AF_UNIX || a[1] !== 0 || a[2] === 0 || a[2] === 0x2f) return a;
  const end = a.indexOf(0, 2);
  const rel = new TextDecoder().decode(a.subarray(2, end < 0 ? len : end));
  const absPath = currentCwd(ts).replace(/\/$/, '') + '/' + rel;
  relativeNames.set(absPath, rel);
  const abs = new TextEncoder().encode(absPath);
  if (abs.length > SUN_PATH_MAX - 1) throw new SyscallError(Errno.ENAMETOOLONG);
  const out = new Uint8Array(2 + abs.length + 1);
  out.set(a.subarray(0, 2));
  out.set(abs, 2);
  return out;
}

/** Absolute host paths addrIn made from relative guest ones (this thread's; enough for the
 * usual bind-then-getsockname, other threads see the absolute path). */
const relativeNames = new Map<string, string>();

/** The reverse of addrIn for addresses the host reports: the guest's relative path again. */
function unixOut(ts: TaskState, buf: Uint8Array, len: number): number {
  if (len <= 3 || buf[0] !== AF_UNIX || buf[1] !== 0 || buf[2] !== 0x2f) return len;
  const end = buf.indexOf(0, 2);
  const path = new TextDecoder().decode(buf.subarray(2, end < 0 || end > len ? len : end));
  const relPath = relativeNames.get(path);
  if (relPath === undefined) return len;
  const rel = new TextEncoder().encode(relPath);
  buf.fill(0, 2);
  buf.set(rel, 2);
  return 2 + rel.length + 1;
}

/** Copy a host address out to the guest's (addr, *addrlen): truncated, full length reported. */
function addrOut(ts: TaskState, addr: number, lenp: number, buf: Uint8Array, len: number): void {
  if (addr === 0) return;
  len = unixOut(ts, buf, len);
  const room = ts.mm.i32at(lenp);
  ts.mm.write(addr, buf.subarray(0, Math.min(len, room, buf.length)));
  ts.mm.setU32(lenp, len);
}

/** Scratch for an address the host returns, sized by the guest's *addrlen (checked). */
function addrRoom(ts: TaskState, addr: number, lenp: number): Uint8Array | null {
  if (addr === 0) return null;
  const room = ts.mm.i32at(lenp);
  if (room < 0) throw new SyscallError(Errno.EINVAL);
  ts.mm.check(addr, Math.min(room, MAX_ADDR), true);
  return new Uint8Array(MAX_ADDR);
}

/** Linux's errors of an accept that can never succeed, before it waits for a connection (a
 * wait for POLLIN would never end): ENOTSOCK, EOPNOTSUPP (not a connection-mode socket),
 * EINVAL (not listening). */
function acceptable(s: HostSys, h: number): void {
  const SOL_SOCKET = 1, SO_TYPE = 3, SO_ACCEPTCONN = 30, SOCK_STREAM = 1, SOCK_SEQPACKET = 5;
  const v = new Uint8Array(4), len = new Int32Array(1);
  const opt = (o: number) => { len[0] = 4; check(s.getsockopt(h, SOL_SOCKET, o, v, len)); return new DataView(v.buffer).getInt32(0, true); };
  const type = opt(SO_TYPE);
  if (type !== SOCK_STREAM && type !== SOCK_SEQPACKET) throw new SyscallError(Errno.EOPNOTSUPP);
  if (opt(SO_ACCEPTCONN) === 0) throw new SyscallError(Errno.EINVAL);
}

function accept4(ts: TaskState, fd: number, addr: number, lenp: number, flags: number): number {
  const s = sys(ts);
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) throw new SyscallError(Errno.EINVAL);
  const h = ts.fdt.host(fd);
  acceptable(s, h);
  const buf = addrRoom(ts, addr, lenp);
  const len = new Int32Array(1);
  const nh = blockingCall(ts, h, POLLIN, () => check(s.accept4(h, buf, len, flags & ~SOCK_CLOEXEC)), true, true);
  if (buf) addrOut(ts, addr, lenp, buf, len[0]);
  return ts.fdt.install(nh, (flags & SOCK_CLOEXEC) !== 0);
}

function sockName(ts: TaskState, fd: number, addr: number, lenp: number, peer: boolean): number {
  const s = sys(ts);
  const buf = addrRoom(ts, addr, lenp) ?? (() => { throw new SyscallError(Errno.EFAULT); })();
  const len = new Int32Array(1);
  const h = ts.fdt.host(fd);
  check(peer ? s.getpeername(h, buf, len) : s.getsockname(h, buf, len));
  addrOut(ts, addr, lenp, buf, len[0]);
  return 0;
}

/** A send/recv: one try with MSG_DONTWAIT, else blocking as the fd is for the guest. */
function maybeBlocking(ts: TaskState, h: number, events: number, flags: number, call: () => number): number {
  // SO_RCVTIMEO/SO_SNDTIMEO bound the wait (blocking.ts sockDeadline).
  return flags & MSG_DONTWAIT ? call() : blockingCall(ts, h, events, call, true, true);
}

/** EPIPE on a send raises SIGPIPE unless MSG_NOSIGNAL. */
function sent(ts: TaskState, r: number, flags: number): number {
  if (r === -Errno.EPIPE && !(flags & MSG_NOSIGNAL)) raiseSignal(ts, TARGET_SIGPIPE);
  return check(r);
}

function sendto(ts: TaskState, fd: number, buf: number, len: number, flags: number, addr: number, alen: number): number {
  const s = sys(ts);
  const h = ts.fdt.host(fd);
  const data = ts.mm.readableView(buf, len);
  const to = addr === 0 ? null : addrIn(ts, addr, alen);
  return maybeBlocking(ts, h, POLLOUT, flags, () => sent(ts, s.sendto(h, data, flags, to), flags));
}

function recvfrom(ts: TaskState, fd: number, buf: number, len: number, flags: number, addr: number, lenp: number): number {
  const s = sys(ts);
  const h = ts.fdt.host(fd);
  const data = ts.mm.writableView(buf, len);
  const from = addrRoom(ts, addr, lenp);
  const alen = new Int32Array(1);
  const n = maybeBlocking(ts, h, POLLIN, flags, () => check(s.recvfrom(h, data, flags, from, alen)));
  if (from) addrOut(ts, addr, lenp, from, alen[0]);
  return n;
}

/** struct msghdr (riscv64): name, namelen, iov, iovlen, control, controllen, flags. */
interface MsgHdr { name: number; namelen: number; iov: Array<[number, number]>; control: number; controllen: number }

function readMsg(ts: TaskState, p: number): MsgHdr {
  const iovp = ts.mm.u64n(p + 16), iovlen = ts.mm.u64n(p + 24);
  if (iovlen > MAX_IOV) throw new SyscallError(Errno.EMSGSIZE);
  const iov: Array<[number, number]> = [];
  for (let i = 0; i < iovlen; i++) iov.push([ts.mm.u64n(iovp + i * 16), ts.mm.u64n(iovp + i * 16 + 8)]);
  const controllen = ts.mm.u64n(p + 40);
  if (controllen > MAX_CONTROL) throw new SyscallError(Errno.ENOBUFS);
  return { name: ts.mm.u64n(p), namelen: ts.mm.u32(p + 8), iov, control: ts.mm.u64n(p + 32), controllen };
}

/** Walk the cmsgs of a control buffer, rewriting the fds of SCM_RIGHTS with `map`. */
function mapRights(control: Uint8Array, len: number, map: (fd: number) => number): void {
  const dv = new DataView(control.buffer, control.byteOffset, control.byteLength);
  for (let off = 0; off + 16 <= len;) {
    const clen = Number(dv.getBigUint64(off, true));
    if (clen < 16 || off + clen > len) break;
    if (dv.getInt32(off + 8, true) === SOL_SOCKET && dv.getInt32(off + 12, true) === SCM_RIGHTS) {
      for (let q = off + 16; q + 4 <= off + clen; q += 4) dv.setInt32(q, map(dv.getInt32(q, true)), true);
    }
    off += (clen + 7) & ~7;
  }
}

function sendmsg(ts: TaskState, fd: number, msgp: number, flags: number): number {
  const s = sys(ts);
  const h = ts.fdt.host(fd);
  const m = readMsg(ts, msgp);
  const iov = m.iov.map(([b, l]) => ts.mm.readableView(b, l));
  const name = m.name === 0 ? null : addrIn(ts, m.name, m.namelen);
  let control: Uint8Array | null = null;
  if (m.controllen > 0) {
    control = ts.mm.read(m.control, m.controllen);
    mapRights(control, m.controllen, (g) => ts.fdt.host(g));
  }
  return maybeBlocking(ts, h, POLLOUT, flags, () => sent(ts, s.sendmsg(h, iov, name, control, flags), flags));
}

function recvmsg(ts: TaskState, fd: number, msgp: number, flags: number): number {
  const s = sys(ts);
  const h = ts.fdt.host(fd);
  const m = readMsg(ts, msgp);
  const iov = m.iov.map(([b, l]) => ts.mm.writableView(b, l));
  const name = m.name === 0 ? null : new Uint8Array(MAX_ADDR);
  if (m.name !== 0) ts.mm.check(m.name, Math.min(m.namelen, MAX_ADDR), true);
  const control = m.controllen > 0 ? new Uint8Array(m.controllen) : null;
  if (control) ts.mm.check(m.control, m.controllen, true);
  const out = new Int32Array(3);
  const n = maybeBlocking(ts, h, POLLIN, flags, () => check(s.recvmsg(h, iov, name, control, flags & ~MSG_CMSG_CLOEXEC, out)));
  if (name) {
    const nlen = unixOut(ts, name, out[0]);
    ts.mm.write(m.name, name.subarray(0, Math.min(nlen, m.namelen, MAX_ADDR)));
    ts.mm.setU32(msgp + 8, nlen);
  }
  if (control) {
    const cloexec = (flags & MSG_CMSG_CLOEXEC) !== 0;
    mapRights(control, out[1], (hf) => ts.fdt.install(hf, cloexec));
    ts.mm.write(m.control, control.subarray(0, out[1]));
  }
  ts.mm.setU64(msgp + 40, control ? out[1] : 0);
  ts.mm.setU32(msgp + 48, out[2]);
  return n;
}

const MMSGHDR = 64, MSG_WAITFORONE = 0x10000, UIO_MAXIOV = 1024;

/** sendmmsg/recvmmsg: one sendmsg/recvmsg per struct mmsghdr (msghdr + msg_len), as many as go;
 * an error after the first message ends the batch with the count so far, as on Linux.
 * recvmmsg's timeout is Linux's: looked at after each datagram (an expired one ends the batch;
 * a receive still blocks for its datagram), the time left written back when any came. */
function mmsg(ts: TaskState, fd: number, vec: number, vlen: number, flags: number, recv: boolean, tsp = 0): number {
  let done = 0;
  let f = flags & ~MSG_WAITFORONE;
  let end = -1n;
  if (tsp !== 0) {
    const sec = BigInt.asIntN(64, ts.mm.u64(tsp)), nsec = BigInt.asIntN(64, ts.mm.u64(tsp + 8));
    if (sec < 0n || nsec < 0n || nsec >= 1000000000n) throw new SyscallError(Errno.EINVAL);
    end = ts.proc.monotonicNs() + sec * 1000000000n + nsec;
  }
  for (; done < Math.min(vlen, UIO_MAXIOV); done++) {
    const at = vec + done * MMSGHDR;
    let n: number;
    try {
      n = recv ? recvmsg(ts, fd, at, f) : sendmsg(ts, fd, at, f);
    } catch (e) {
      if (done > 0) break;
      throw e;
    }
    ts.mm.setU32(at + 56, n);
    if (recv && flags & MSG_WAITFORONE) f |= MSG_DONTWAIT;
    if (end >= 0n) {
      const left = end - ts.proc.monotonicNs();
      ts.mm.setU64(tsp, left > 0n ? left / 1000000000n : 0n);
      ts.mm.setU64(tsp + 8, left > 0n ? left % 1000000000n : 0n);
      if (left <= 0n) { done++; break; }
    }
  }
  return done;
}

function getsockopt(ts: TaskState, fd: number, level: number, name: number, val: number, lenp: number): number {
  const s = sys(ts);
  const room = ts.mm.i32at(lenp);
  if (room < 0) throw new SyscallError(Errno.EINVAL);
  const buf = new Uint8Array(Math.min(room, MAX_OPT));
  const len = new Int32Array(1);
  check(s.getsockopt(ts.fdt.host(fd), level, name, buf, len));
  ts.mm.write(val, buf.subarray(0, Math.min(len[0], buf.length)));
  ts.mm.setU32(lenp, Math.min(len[0], buf.length));
  return 0;
}

function setsockopt(ts: TaskState, fd: number, level: number, name: number, val: number, len: number): number {
  const s = sys(ts);
  if (len < 0 || len > MAX_OPT) throw new SyscallError(Errno.EINVAL);
  return check(s.setsockopt(ts.fdt.host(fd), level, name, val === 0 ? null : ts.mm.read(val, len)));
}

export const SOCKET_SYSCALLS: SyscallTable = [
  [NR.socket, (ts, a) => socket(ts, int(a[0]), int(a[1]), int(a[2]))],
  [NR.socketpair, (ts, a) => socketpair(ts, int(a[0]), int(a[1]), int(a[2]), ptr(a[3]))],
  [NR.bind, (ts, a) => check(sys(ts).bind(ts.fdt.host(int(a[0])), addrIn(ts, ptr(a[1]), int(a[2]))))],
  [NR.connect, (ts, a) => check(sys(ts).connect(ts.fdt.host(int(a[0])), addrIn(ts, ptr(a[1]), int(a[2]))))],
  [NR.listen, (ts, a) => check(sys(ts).listen(ts.fdt.host(int(a[0])), int(a[1])))],
  [NR.accept, (ts, a) => accept4(ts, int(a[0]), ptr(a[1]), ptr(a[2]), 0)],
  [NR.accept4, (ts, a) => accept4(ts, int(a[0]), ptr(a[1]), ptr(a[2]), int(a[3]))],
  [NR.getsockname, (ts, a) => sockName(ts, int(a[0]), ptr(a[1]), ptr(a[2]), false)],
  [NR.getpeername, (ts, a) => sockName(ts, int(a[0]), ptr(a[1]), ptr(a[2]), true)],
  [NR.sendto, (ts, a) => sendto(ts, int(a[0]), ptr(a[1]), ptr(a[2]), int(a[3]), ptr(a[4]), int(a[5]))],
  [NR.recvfrom, (ts, a) => recvfrom(ts, int(a[0]), ptr(a[1]), ptr(a[2]), int(a[3]), ptr(a[4]), ptr(a[5]))],
  [NR.sendmsg, (ts, a) => sendmsg(ts, int(a[0]), ptr(a[1]), int(a[2]))],
  [NR.sendmmsg, (ts, a) => mmsg(ts, int(a[0]), ptr(a[1]), uint(a[2]), int(a[3]), false)],
  [NR.recvmmsg, (ts, a) => mmsg(ts, int(a[0]), ptr(a[1]), uint(a[2]), int(a[3]), true, ptr(a[4]))],
  [NR.recvmsg, (ts, a) => recvmsg(ts, int(a[0]), ptr(a[1]), int(a[2]))],
  [NR.shutdown, (ts, a) => check(sys(ts).shutdown(ts.fdt.host(int(a[0])), int(a[1])))],
  [NR.getsockopt, (ts, a) => getsockopt(ts, int(a[0]), int(a[1]), int(a[2]), ptr(a[3]), ptr(a[4]))],
  [NR.setsockopt, (ts, a) => setsockopt(ts, int(a[0]), int(a[1]), int(a[2]), ptr(a[3]), uint(a[4]))],
];
