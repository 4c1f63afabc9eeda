// poll, ppoll, pselect6 and memfd_create.
// Node cannot poll a host descriptor, so readiness is approximated: every valid descriptor is
// reported ready for what was asked and the following read/write blocks on the host as needed.
// Calls with no descriptors are sleeps and honour the timeout (and signals).
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, uint, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { waitForSignal } from './signal.js';

const POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLNVAL = 0x20, POLLRDNORM = 0x40, POLLWRNORM = 0x100;

function timeoutMs(ts: TaskState, tsp: number): number {
  if (tsp === 0) return Infinity;
  return Number(ts.mm.u64(tsp)) * 1000 + Number(ts.mm.u64(tsp + 8)) / 1e6;
}

function sleepOrEintr(ts: TaskState, ms: number): number {
  if (ms > 0 && waitForSignal(ts, ms)) throw new SyscallError(Errno.EINTR);
  return 0;
}

function ppoll(ts: TaskState, fds: number, nfds: number, ms: number): number {
  if (nfds > 1024) throw new SyscallError(Errno.EINVAL);
  let ready = 0;
  for (let i = 0; i < nfds; i++) {
    const p = fds + i * 8;
    const fd = ts.mm.i32at(p);
    const events = ts.mm.view.getInt16(ts.mm.check(p + 4, 2, false), true);
    let rev = 0;
    if (fd >= 0) rev = ts.fdt.isOpen(fd) ? events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI) & ~POLLPRI : POLLNVAL;
    ts.mm.view.setInt16(ts.mm.check(p + 6, 2, true), rev, true);
    if (rev) ready++;
  }
  return ready > 0 ? ready : sleepOrEintr(ts, ms);
}

function pselect(ts: TaskState, n: number, rfds: number, wfds: number, efds: number, ms: number): number {
  if (n < 0 || n > 1024) throw new SyscallError(Errno.EINVAL);
  const words = Math.ceil(n / 64);
  let ready = 0;
  for (const [set, isExcept] of [[rfds, false], [wfds, false], [efds, true]] as const) {
    if (set === 0) continue;
    for (let w = 0; w < words; w++) {
      let bits = ts.mm.u64(set + w * 8);
      let out = 0n;
      for (let b = 0; b < 64 && w * 64 + b < n; b++) {
        if (!(bits & (1n << BigInt(b)))) continue;
        if (!ts.fdt.isOpen(w * 64 + b)) throw new SyscallError(Errno.EBADF);
        if (!isExcept) { out |= 1n << BigInt(b); ready++; }
      }
      bits = out;
      ts.mm.setU64(set + w * 8, bits);
    }
  }
  return ready > 0 ? ready : sleepOrEintr(ts, ms);
}

let memfdCount = 0;
function memfdCreate(ts: TaskState, flags: number): number {
  const MFD_CLOEXEC = 1;
  const path = `/tmp/.tsqemu-memfd-${ts.proc.pid}-${ts.tid}-${memfdCount++}`;
  const h = ts.fs.open(path, 0o2 | 0o100 | 0o200, 0o600); // O_RDWR | O_CREAT | O_EXCL
  ts.fs.unlink(path);
  return ts.fdt.install(h, (flags & MFD_CLOEXEC) !== 0);
}

/** epoll without host support: an instance is a placeholder descriptor (/dev/null); waits report
 * no events after the timeout. Enough for runtimes that only use it for network polling (Go). */
function epollCreate(ts: TaskState, flags: number): number {
  const O_CLOEXEC = 0o2000000;
  return ts.fdt.install(ts.fs.open('/dev/null', 0, 0), (flags & O_CLOEXEC) !== 0);
}

function epollWait(ts: TaskState, epfd: number, events: number, max: number, timeout: number): number {
  ts.fdt.host(epfd);
  if (max <= 0) throw new SyscallError(Errno.EINVAL);
  ts.mm.check(events, max * 12, true);
  return sleepOrEintr(ts, timeout < 0 ? Infinity : timeout);
}

export const POLL_SYSCALLS: SyscallTable = [
  [NR.epoll_create1, (ts, a) => epollCreate(ts, int(a[0]))],
  [NR.epoll_ctl, (ts, a) => { ts.fdt.host(int(a[0])); ts.fdt.host(int(a[2])); return 0; }],
  [NR.epoll_pwait, (ts, a) => epollWait(ts, int(a[0]), ptr(a[1]), int(a[2]), int(a[3]))],
  [NR.ppoll, (ts, a) => ppoll(ts, ptr(a[0]), uint(a[1]), timeoutMs(ts, ptr(a[2])))],
  [NR.pselect6, (ts, a) => pselect(ts, int(a[0]), ptr(a[1]), ptr(a[2]), ptr(a[3]), timeoutMs(ts, ptr(a[4])))],
  [NR.memfd_create, (ts, a) => memfdCreate(ts, uint(a[1]))],
];
