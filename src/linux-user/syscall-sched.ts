// The scheduler calls (sched_get_priority_max/min, sched_getscheduler/setscheduler,
// sched_getparam/setparam, sched_rr_get_interval, sched_getattr/setattr): the host's, through
// the addon, as qemu-riscv64 makes them (its guest threads are host threads; ours are workers'
// host threads). Without the addon: SCHED_OTHER, priority 0 and no change, as before.
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, uint, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { TID_STRIDE } from './layout.js';
import { check } from './blocking.js';

/** A guest pid/tid as the host's: 0 (the calling host thread) for the caller's own tid; the
 * host process for the process or another of its threads; other pids are the host's. */
export function hostWho(ts: TaskState, who: number): number {
  if (who === 0 || who === ts.tid) return 0;
  const pid = ts.proc.pid;
  if (who === pid || (who > pid && (who - pid) % TID_STRIDE === 0)) return pid; // the guest pid is the host process's
  return who;
}

const enum Op { MAX = 0, MIN = 1, GETSCHEDULER = 2, GETPARAM = 3, SETPARAM = 4, SETSCHEDULER = 5, RR_INTERVAL = 6, GETATTR = 7, SETATTR = 8 }

function sched(ts: TaskState, op: Op, pid: number, a: number, b: number, buf: Uint8Array | null): number {
  return check(ts.sys!.sched!(op, hostWho(ts, pid), a, b, buf));
}

/** A call with a struct at `addr` of `len` bytes: read in (EFAULT as Linux), made, written back. */
function withStruct(ts: TaskState, addr: number, len: number, out: boolean, call: (buf: Uint8Array) => number): number {
  const buf = ts.mm.read(addr, len).slice();
  try {
    return call(buf);
  } finally {
    if (out) ts.mm.write(addr, buf); // also on an error (sched_setattr's E2BIG writes the size)
  }
}

function paramCall(ts: TaskState, op: Op, pid: number, policy: number, addr: number): number {
  if (!ts.sys?.sched) {
    if (op === Op.GETPARAM) ts.mm.setU32(addr, 0);
    return 0;
  }
  if (addr === 0 || pid < 0) throw new SyscallError(Errno.EINVAL); // Linux's order: before EFAULT and ESRCH
  return withStruct(ts, addr, 4, op === Op.GETPARAM, (buf) => sched(ts, op, pid, policy, 0, buf));
}

const SCHED_ATTR_SIZE_VER0 = 48;

function getattr(ts: TaskState, pid: number, addr: number, size: number, flags: number): number {
  if (!ts.sys?.sched) throw new SyscallError(Errno.ENOSYS);
  if (addr === 0 || pid < 0 || flags !== 0 || size < SCHED_ATTR_SIZE_VER0 || size > 4096) throw new SyscallError(Errno.EINVAL);
  return withStruct(ts, addr, size, true, (buf) => sched(ts, Op.GETATTR, pid, size, flags, buf));
}

function setattr(ts: TaskState, pid: number, addr: number, flags: number): number {
  if (!ts.sys?.sched) throw new SyscallError(Errno.ENOSYS);
  if (addr === 0 || pid < 0 || flags !== 0) throw new SyscallError(Errno.EINVAL);
  const size = ts.mm.u32(addr);
  // (A size above a page: the host's E2BIG without reading further.)
  const len = size === 0 || size > 4096 ? SCHED_ATTR_SIZE_VER0 : Math.max(size, SCHED_ATTR_SIZE_VER0);
  return withStruct(ts, addr, len, true, (buf) => // (E2BIG writes the size the host takes)
     sched(ts, Op.SETATTR, pid, flags, 0, buf));
}

/** Linux's range per policy without the addon: FIFO and RR 1-99, the others 0; EINVAL else. */
function priorityLimit(ts: TaskState, op: Op, policy: number): number {
  if (ts.sys?.sched) return sched(ts, op, 0, policy, 0, null);
  if (policy === 1 || policy === 2) return op === Op.MAX ? 99 : 1;
  if (policy === 0 || policy === 3 || policy === 5 || policy === 6) return 0;
  throw new SyscallError(Errno.EINVAL);
}

export const SCHED_SYSCALLS: SyscallTable = [
  [NR.sched_get_priority_max, (ts, a) => priorityLimit(ts, Op.MAX, int(a[0]))],
  [NR.sched_get_priority_min, (ts, a) => priorityLimit(ts, Op.MIN, int(a[0]))],
  [NR.sched_getscheduler, (ts, a) => {
    if (int(a[0]) < 0) throw new SyscallError(Errno.EINVAL);
    return ts.sys?.sched ? sched(ts, Op.GETSCHEDULER, int(a[0]), 0, 0, null) : 0;
  }],
  [NR.sched_getparam, (ts, a) => paramCall(ts, Op.GETPARAM, int(a[0]), 0, ptr(a[1]))],
  [NR.sched_setparam, (ts, a) => paramCall(ts, Op.SETPARAM, int(a[0]), 0, ptr(a[1]))],
  [NR.sched_setscheduler, (ts, a) => paramCall(ts, Op.SETSCHEDULER, int(a[0]), int(a[1]), ptr(a[2]))],
  [NR.sched_rr_get_interval, (ts, a) => {
    if (!ts.sys?.sched) throw new SyscallError(Errno.ENOSYS);
    if (int(a[0]) < 0) throw new SyscallError(Errno.EINVAL);
    return withStruct(ts, ptr(a[1]), 16, true, (buf) => sched(ts, Op.RR_INTERVAL, int(a[0]), 0, 0, buf));
  }],
  [NR.sched_getattr, (ts, a) => getattr(ts, int(a[0]), ptr(a[1]), uint(a[2]), uint(a[3]))],
  [NR.sched_setattr, (ts, a) => setattr(ts, int(a[0]), ptr(a[1]), uint(a[2]))],
];
