// Moving bytes between descriptors inside the kernel: splice, sendfile, copy_file_range
// (Go's io.Copy uses them between files, pipes and sockets). The host does the work (native
// addon); a guest-blocking descriptor is waited on first like a read or write (interruptible),
// and the host call never blocks the worker: pipes get SPLICE_F_NONBLOCK, non-file outputs get
// at most XFER_MAX bytes per call (Linux returns short counts too). Without the addon: ENOSYS,
// which makes Go and others fall back to read/write.
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import type { HostSys } from './host.js';
import { guestNonblock, POLLIN, POLLOUT, waitReady } from './blocking.js';
import { raiseSignal, TARGET_SIGPIPE } from './signal.js';

const SPLICE_F_NONBLOCK = 2, SPLICE_TEE = 0x40000000;
const XFER_MAX = 1 << 20;
const S_IFMT = 0o170000n, S_IFREG = 0o100000n;

function need(ts: TaskState): HostSys {
  if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
  return ts.sys;
}

/** A guest loff_t* as a host offset cell (null for NULL). */
function offIn(ts: TaskState, p: number): BigInt64Array | null {
  if (p === 0) return null;
  const v = BigInt.asIntN(64, ts.mm.u64(p));
  if (v < 0n) throw new SyscallError(Errno.EINVAL);
  return BigInt64Array.of(v);
}

function offOut(ts: TaskState, p: number, cell: BigInt64Array | null): void {
  if (p !== 0 && cell) ts.mm.setU64(p, cell[0]);
}

/** Run `call` with the blocking behaviour of a read on `hIn` and a write on `hOut`. */
function xfer(ts: TaskState, hIn: number, hOut: number, call: (max: number) => number, len: number): number {
  const isFile = (ts.fs.fstat(hOut).mode & S_IFMT) === S_IFREG;
  const max = isFile ? len : Math.min(len, XFER_MAX);
  const blocking = !guestNonblock(ts, hIn) && !guestNonblock(ts, hOut);
  for (;;) {
    waitReady(ts, hIn, POLLIN);
    waitReady(ts, hOut, POLLOUT);
    const r = call(max);
    if (r === -Errno.EAGAIN && blocking) continue;
    if (r === -Errno.EPIPE) raiseSignal(ts, TARGET_SIGPIPE);
    if (r < 0) throw new SyscallError(-r);
    return r;
  }
}

function splice(ts: TaskState, fdIn: number, pIn: number, fdOut: number, pOut: number, len: number, flags: number): number {
  const sys = need(ts);
  const hIn = ts.fdt.host(fdIn), hOut = ts.fdt.host(fdOut);
  const oi = offIn(ts, pIn), oo = offIn(ts, pOut);
  const r = xfer(ts, hIn, hOut, (max) => sys.splice(hIn, oi, hOut, oo, max, flags | SPLICE_F_NONBLOCK), len);
  offOut(ts, pIn, oi);
  offOut(ts, pOut, oo);
  return r;
}

/** tee(in, out, len, flags): duplicate pipe data without consuming it (addon: SPLICE_TEE asks
 * its splice() for the host's tee). */
function tee(ts: TaskState, fdIn: number, fdOut: number, len: number, flags: number): number {
  const sys = need(ts);
  const hIn = ts.fdt.host(fdIn), hOut = ts.fdt.host(fdOut);
  return xfer(ts, hIn, hOut, (max) => sys.splice(hIn, null, hOut, null, max, flags | SPLICE_F_NONBLOCK | SPLICE_TEE), len);
}

function copyFileRange(ts: TaskState, fdIn: number, pIn: number, fdOut: number, pOut: number, len: number, flags: number): number {
  const sys = need(ts);
  const hIn = ts.fdt.host(fdIn), hOut = ts.fdt.host(fdOut);
  const oi = offIn(ts, pIn), oo = offIn(ts, pOut);
  const r = sys.copyFileRange(hIn, oi, hOut, oo, len, flags);
  if (r < 0) throw new SyscallError(-r);
  offOut(ts, pIn, oi);
  offOut(ts, pOut, oo);
  return r;
}

function sendfile(ts: TaskState, fdOut: number, fdIn: number, pOff: number, count: number): number {
  const sys = need(ts);
  const hIn = ts.fdt.host(fdIn), hOut = ts.fdt.host(fdOut);
  const off = offIn(ts, pOff);
  const r = xfer(ts, hIn, hOut, (max) => sys.sendfile(hOut, hIn, off, max), count);
  offOut(ts, pOff, off);
  return r;
}

/** Lengths are size_t: clamp what no descriptor could take at once. */
const size = (v: bigint) => Number(v > 0x7ffff000n ? 0x7ffff000n : v);

export const XFER_SYSCALLS: SyscallTable = [
  [NR.splice, (ts, a) => splice(ts, int(a[0]), ptr(a[1]), int(a[2]), ptr(a[3]), size(a[4]), int(a[5]))],
  [NR.tee, (ts, a) => tee(ts, int(a[0]), int(a[1]), size(a[2]), int(a[3]))],
  [NR.copy_file_range, (ts, a) => copyFileRange(ts, int(a[0]), ptr(a[1]), int(a[2]), ptr(a[3]), size(a[4]), int(a[5]))],
  [NR.sendfile, (ts, a) => sendfile(ts, int(a[0]), int(a[1]), ptr(a[2]), size(a[3]))],
];
