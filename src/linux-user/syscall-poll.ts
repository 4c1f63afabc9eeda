// poll, ppoll, pselect6, epoll, eventfd2, timerfd_*, memfd_create.
// With the native addon (ts.sys) readiness is the host's: guest fds are translated to host fds
// and the host is polled in slices so signals get through. Without it, readiness is
// approximated: every valid descriptor is reported ready for what was asked, epoll waits report
// nothing, and eventfd/timerfd are ENOSYS.
import { nowMs } from './clock.js';
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, KEEP_REGS, ptr, uint, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import type { HostSys } from './host.js';
import { returnInterrupted, swapMask, waitForSignal } from './signal.js';
import {
  check, guestNonblock, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM,
  setTimespecMs, timespecMs, waitSliced,
} from './blocking.js';

const O_CLOEXEC = 0o2000000, O_NONBLOCK = 0o4000;
const MAX_POLL = 4096;

function needSys(ts: TaskState): HostSys {
  if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
  return ts.sys;
}

/** Run a wait under the guest's temporary signal mask (0: none). EINTR delivers the signal
 * with the old mask saved in its frame. */
function withMask(ts: TaskState, maskp: number, size: number, run: () => number): number | typeof KEEP_REGS {
  if (maskp === 0) {
    const r = run();
    if (r === -Errno.EINTR) throw new SyscallError(Errno.EINTR);
    return r;
  }
  if (size !== 8) throw new SyscallError(Errno.EINVAL);
  const old = swapMask(ts, ts.mm.u64(maskp));
  let r: number;
  try { r = run(); } catch (e) { swapMask(ts, old); throw e; }
  if (r === -Errno.EINTR) return returnInterrupted(ts, old);
  swapMask(ts, old);
  return r;
}

function sleepOrEintr(ts: TaskState, ms: number): number {
  return ms > 0 && waitForSignal(ts, ms) ? -Errno.EINTR : 0;
}

function ppoll(ts: TaskState, fds: number, nfds: number, tsp: number, maskp: number, size: number): number | typeof KEEP_REGS {
  if (nfds > MAX_POLL) throw new SyscallError(Errno.EINVAL);
  const ms = timespecMs(ts, tsp);
  const guest = ts.mm.writableView(fds, nfds * 8);
  const gv = new DataView(guest.buffer, guest.byteOffset, guest.byteLength);
  const host = new Uint8Array(nfds * 8);
  const hv = new DataView(host.buffer);
  let invalid = 0;
  for (let i = 0; i < nfds; i++) {
    const fd = gv.getInt32(i * 8, true);
    const h = fd < 0 ? -1 : ts.fdt.isOpen(fd) ? ts.fdt.host(fd) : -1;
    if (fd >= 0 && h < 0) invalid++;
    hv.setInt32(i * 8, h, true);
    hv.setInt16(i * 8 + 4, gv.getInt16(i * 8 + 4, true), true);
  }
  const start = nowMs();
  const r = withMask(ts, maskp, size, () => {
    if (!ts.sys) return fakeReady(ts, gv, nfds) || sleepOrEintr(ts, ms);
    const sys = ts.sys;
    return waitSliced(ts, invalid ? 0 : ms, (slice) => sys.poll(host, nfds, slice));
  });
  if (ts.sys && typeof r === 'number') {
    let n = 0;
    for (let i = 0; i < nfds; i++) {
      const fd = gv.getInt32(i * 8, true);
      const rev = fd >= 0 && hv.getInt32(i * 8, true) < 0 ? POLLNVAL : hv.getInt16(i * 8 + 6, true);
      gv.setInt16(i * 8 + 6, rev, true);
      if (rev) n++;
    }
    setTimespecMs(ts, tsp, ms - (nowMs() - start));
    return n;
  }
  return r;
}

/** Without the addon: every valid fd is ready for what it asked. */
function fakeReady(ts: TaskState, gv: DataView, nfds: number): number {
  let ready = 0;
  for (let i = 0; i < nfds; i++) {
    const fd = gv.getInt32(i * 8, true);
    const events = gv.getInt16(i * 8 + 4, true);
    let rev = 0;
    if (fd >= 0) rev = ts.fdt.isOpen(fd) ? events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM) : POLLNVAL;
    gv.setInt16(i * 8 + 6, rev, true);
    if (rev) ready++;
  }
  return ready;
}

const IN_SET = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR;
const OUT_SET = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;

/** pselect6 as a poll over the fds named in the three sets. */
function pselect(ts: TaskState, n: number, sets: number[], tsp: number, sigp: number): number | typeof KEEP_REGS {
  if (n < 0 || n > 1024) throw new SyscallError(Errno.EINVAL);
  const words = Math.ceil(n / 64);
  const bits = sets.map((p) => (p === 0 ? [] : Array.from({ length: words }, (_, w) => ts.mm.u64(p + w * 8))));
  const fds: number[] = [], evs: number[] = [];
  for (let fd = 0; fd < n; fd++) {
    const has = bits.map((b) => b.length > 0 && (b[fd >> 6] & (1n << BigInt(fd & 63))) !== 0n);
    if (!has.some((x) => x)) continue;
    if (!ts.fdt.isOpen(fd)) throw new SyscallError(Errno.EBADF);
    fds.push(fd);
    evs.push((has[0] ? POLLIN : 0) | (has[1] ? POLLOUT : 0) | (has[2] ? POLLPRI : 0));
  }
  const ms = timespecMs(ts, tsp);
  const maskp = sigp === 0 ? 0 : ts.mm.u64n(sigp), size = sigp === 0 ? 8 : ts.mm.u64n(sigp + 8);
  const host = new Uint8Array(fds.length * 8);
  const hv = new DataView(host.buffer);
  fds.forEach((fd, i) => { hv.setInt32(i * 8, ts.fdt.host(fd), true); hv.setInt16(i * 8 + 4, evs[i], true); });
  const start = nowMs();
  const r = withMask(ts, maskp, size, () => {
    if (!ts.sys) {
      fds.forEach((_, i) => hv.setInt16(i * 8 + 6, evs[i] & (POLLIN | POLLOUT), true));
      return fds.length && evs.some((e) => e & (POLLIN | POLLOUT)) ? 1 : sleepOrEintr(ts, ms);
    }
    const sys = ts.sys;
    return waitSliced(ts, ms, (slice) => sys.poll(host, fds.length, slice));
  });
  if (typeof r !== 'number') return r;
  const out = bits.map((b) => b.map(() => 0n));
  let count = 0;
  fds.forEach((fd, i) => {
    const rev = r > 0 ? hv.getInt16(i * 8 + 6, true) : 0;
    const hit = [(evs[i] & POLLIN) && (rev & IN_SET), (evs[i] & POLLOUT) && (rev & OUT_SET), (evs[i] & POLLPRI) && (rev & POLLPRI)];
    hit.forEach((h, s) => { if (h) { out[s][fd >> 6] |= 1n << BigInt(fd & 63); count++; } });
  });
  sets.forEach((p, s) => { for (let w = 0; p !== 0 && w < words; w++) ts.mm.setU64(p + w * 8, out[s][w]); });
  setTimespecMs(ts, tsp, ms - (nowMs() - start));
  return count;
}

let memfdCount = 0;
function memfdCreate(ts: TaskState, namep: number, flags: number): number {
  const MFD_CLOEXEC = 1;
  if (ts.sys) {
    let name: string;
    try { name = ts.mm.cstring(namep, 250); } catch (e) {
      // A name over MFD_NAME_MAX_LEN (249) is EINVAL, not ENAMETOOLONG.
      if (e instanceof SyscallError && e.errno === Errno.ENAMETOOLONG) throw new SyscallError(Errno.EINVAL);
      throw e;
    }
    return ts.fdt.install(check(ts.sys.memfdCreate(name, flags & ~MFD_CLOEXEC)), (flags & MFD_CLOEXEC) !== 0);
  }
  const path = `/tmp/.tsqemu-memfd-${ts.proc.pid}-${ts.tid}-${memfdCount++}`;
  const h = ts.fs.open(path, 0o2 | 0o100 | 0o200, 0o600); // O_RDWR | O_CREAT | O_EXCL
  ts.fs.unlink(path);
  return ts.fdt.install(h, (flags & MFD_CLOEXEC) !== 0);
}

/** Without the addon an epoll instance is a placeholder (/dev/null) and waits see no events:
 * enough for runtimes that only use it for network polling (Go). */
function epollCreate(ts: TaskState, flags: number): number {
  if (flags & ~O_CLOEXEC) throw new SyscallError(Errno.EINVAL);
  const h = ts.sys ? check(ts.sys.epollCreate1(0)) : ts.fs.open('/dev/null', 0, 0);
  return ts.fdt.install(h, (flags & O_CLOEXEC) !== 0);
}

function epollCtl(ts: TaskState, epfd: number, op: number, fd: number, evp: number): number {
  const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
  const hep = ts.fdt.host(epfd), h = ts.fdt.host(fd);
  if (!ts.sys) return 0;
  const events = op === EPOLL_CTL_DEL ? 0 : ts.mm.u32(evp);
  const data = op === EPOLL_CTL_DEL ? 0n : ts.mm.u64(evp + 8);
  const r = ts.sys.epollCtl(hep, op, h, events, data);
  if (r === -Errno.EEXIST && op === EPOLL_CTL_ADD && ts.fdt.hasTwin(fd)) {
    // A dup()ed guest fd shares its twin's host fd, which the set may already hold: Linux tells
    // them apart (by fd number), so give this one a host descriptor of its own and add that.
    const h2 = check(ts.sys.dup(h));
    const nb = guestNonblock(ts, h);
    ts.fdt.installAt(h2, fd, ts.fdt.cloexec(fd));
    ts.fdt.setNonblock(h2, nb);
    return check(ts.sys.epollCtl(hep, op, h2, events, data));
  }
  return check(r);
}

function epollWait(ts: TaskState, epfd: number, events: number, max: number, ms: number, maskp: number, size: number): number | typeof KEEP_REGS {
  const hep = ts.fdt.host(epfd);
  if (max <= 0) throw new SyscallError(Errno.EINVAL);
  const out = ts.mm.writableView(events, Math.min(max, 1024) * 16);
  return withMask(ts, maskp, size, () => {
    if (!ts.sys) return sleepOrEintr(ts, ms);
    const sys = ts.sys;
    return waitSliced(ts, ms, (slice) => sys.epollWait(hep, out, Math.min(max, 1024), slice));
  });
}

function eventfd(ts: TaskState, initval: number, flags: number): number {
  const EFD_SEMAPHORE = 1;
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE)) throw new SyscallError(Errno.EINVAL);
  return ts.fdt.install(check(needSys(ts).eventfd(initval, flags & ~O_CLOEXEC)), (flags & O_CLOEXEC) !== 0);
}

function timerfdCreate(ts: TaskState, clock: number, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) throw new SyscallError(Errno.EINVAL);
  return ts.fdt.install(check(needSys(ts).timerfdCreate(clock, flags & ~O_CLOEXEC)), (flags & O_CLOEXEC) !== 0);
}

function timerfdSettime(ts: TaskState, fd: number, flags: number, nv: number, ov: number): number {
  const sys = needSys(ts);
  const old = ov === 0 ? null : new Uint8Array(32);
  check(sys.timerfdSettime(ts.fdt.host(fd), flags, ts.mm.read(nv, 32), old));
  if (old) ts.mm.write(ov, old);
  return 0;
}

function timerfdGettime(ts: TaskState, fd: number, cur: number): number {
  const buf = new Uint8Array(32);
  check(needSys(ts).timerfdGettime(ts.fdt.host(fd), buf));
  ts.mm.write(cur, buf);
  return 0;
}

/** epoll_pwait2's timeout is a timespec (NULL: forever). */
function epollTimeout(ts: TaskState, tsp: number): number {
  return tsp === 0 ? Infinity : timespecMs(ts, tsp);
}

export const POLL_SYSCALLS: SyscallTable = [
  [NR.epoll_create1, (ts, a) => epollCreate(ts, int(a[0]))],
  [NR.epoll_ctl, (ts, a) => epollCtl(ts, int(a[0]), int(a[1]), int(a[2]), ptr(a[3]))],
  [NR.epoll_pwait, (ts, a) => epollWait(ts, int(a[0]), ptr(a[1]), int(a[2]), int(a[3]) < 0 ? Infinity : int(a[3]), ptr(a[4]), ptr(a[5]))],
  [NR.epoll_pwait2, (ts, a) => epollWait(ts, int(a[0]), ptr(a[1]), int(a[2]), epollTimeout(ts, ptr(a[3])), ptr(a[4]), ptr(a[5]))],
  [NR.ppoll, (ts, a) => ppoll(ts, ptr(a[0]), uint(a[1]), ptr(a[2]), ptr(a[3]), ptr(a[4]))],
  [NR.pselect6, (ts, a) => pselect(ts, int(a[0]), [ptr(a[1]), ptr(a[2]), ptr(a[3])], ptr(a[4]), ptr(a[5]))],
  [NR.memfd_create, (ts, a) => memfdCreate(ts, ptr(a[0]), uint(a[1]))],
  [NR.eventfd2, (ts, a) => eventfd(ts, uint(a[0]), int(a[1]))],
  [NR.timerfd_create, (ts, a) => timerfdCreate(ts, int(a[0]), int(a[1]))],
  [NR.timerfd_settime, (ts, a) => timerfdSettime(ts, int(a[0]), int(a[1]), ptr(a[2]), ptr(a[3]))],
  [NR.timerfd_gettime, (ts, a) => timerfdGettime(ts, int(a[0]), ptr(a[1]))],
];
