// Blocking on host descriptors without losing signals. A worker blocked in a host call cannot
// be interrupted, so calls that may wait (read from a pipe or socket, accept, recv, poll) first
// wait for readiness with the native addon in short slices, looking at the thread's pending
// signals between slices: a signal then interrupts the call (EINTR) or restarts it after the
// handler (SA_RESTART), as on Linux.
//
// Whether a call may block is the guest's view of O_NONBLOCK (FdTable.nbState), not the host
// descriptor's: Node makes the pipes and ttys at host fds 0-2 non-blocking, so a guest writing
// to a slow reader of its stdout would see EAGAIN where Linux blocks. A guest-blocking call
// that gets EAGAIN from the host waits for readiness again and retries.
import { nowMs } from './clock.js';
import { Errno, errnoOf, SyscallError } from './errno.js';
import type { TaskState } from './qemu.js';
import { NbState } from './layout.js';
import { hasDeliverable, interrupted } from './signal.js';

export const POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;
export const POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200;

/** Slice of a wait between looks at pending signals (ms). */
export const WAIT_SLICE_MS = 50;

/** Retry interval of a guest-blocking call without the addon (nothing to poll with). */
const RETRY_MS = 5;
const O_NONBLOCK = 0o4000;

/** The host descriptor's open flags and position, from /proc/self/fdinfo. */
export function fdinfo(ts: TaskState, h: number): { pos: number; flags: number } {
  const fd = ts.fs.open(`/proc/self/fdinfo/${h}`, 0, 0);
  try {
    const buf = new Uint8Array(512);
    const n = ts.fs.read(fd, buf, null);
    const text = new TextDecoder().decode(buf.subarray(0, n));
    const pos = /pos:\s*(\d+)/.exec(text);
    const flags = /flags:\s*([0-7]+)/.exec(text);
    return { pos: pos ? Number(pos[1]) : 0, flags: flags ? parseInt(flags[1], 8) : 0 };
  } finally { ts.fs.close(fd); }
}

/** Does the guest consider host fd `h` non-blocking? First look: the host flag, which open,
 * socket, pipe2, accept4, eventfd... set as the guest asked; host fds 0-2 were inherited and
 * Node has made them non-blocking since, so they count as blocking. */
export function guestNonblock(ts: TaskState, h: number): boolean {
  const st = ts.fdt.nbState(h);
  if (st !== NbState.UNKNOWN) return st === NbState.NONBLOCK;
  let nb = false;
  if (h > 2) {
    const fl = ts.sys ? ts.sys.fcntl(h, 3 /* F_GETFL */, 0) : fdinfo(ts, h).flags;
    nb = fl >= 0 && (fl & O_NONBLOCK) !== 0;
  }
  ts.fdt.setNonblock(h, nb);
  return nb;
}

/** Wait until host fd `h` is ready for `events`, unless the guest made it non-blocking
 * (returns false: the call will say EAGAIN itself). Without the addon there is nothing to
 * wait with: true. */
export function waitReady(ts: TaskState, h: number, events: number, restartable = true, deadline: number | (() => number) = Infinity): boolean {
  if (guestNonblock(ts, h)) return false;
  const sys = ts.sys;
  if (!sys) return true;
  const pfd = pollfd(h, events);
  if (typeof deadline === 'function') {
    // Asked only when the call would block (a getsockopt each time is not free).
    if (sys.poll(pfd, 1, 0) > 0) return true;
    deadline = deadline();
    // A timed socket call is not restarted after a handler: EINTR (socket(7)).
    if (deadline !== Infinity) restartable = false;
  }
  for (;;) {
    const left = deadline - nowMs();
    // A socket's SO_RCVTIMEO/SO_SNDTIMEO ran out: EAGAIN, as Linux.
    if (left <= 0) throw new SyscallError(Errno.EAGAIN);
    const r = sys.poll(pfd, 1, Math.min(WAIT_SLICE_MS, Math.ceil(left)));
    if (r < 0 && r !== -Errno.EINTR) throw new SyscallError(-r);
    if (r > 0) return true;
    if (hasDeliverable(ts)) interrupted(ts, restartable);
  }
}

const SOL_SOCKET = 1, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21;

/** The deadline of host fd `h`'s SO_RCVTIMEO (POLLIN) or SO_SNDTIMEO from now (Infinity: none,
 * or not a socket). */
export function sockDeadline(ts: TaskState, h: number, events: number): number {
  const tv = new Uint8Array(16), len = new Int32Array([16]);
  if (!ts.sys || ts.sys.getsockopt(h, SOL_SOCKET, events === POLLIN ? SO_RCVTIMEO : SO_SNDTIMEO, tv, len) < 0 || len[0] < 16) return Infinity;
  const dv = new DataView(tv.buffer);
  const ms = Number(dv.getBigInt64(0, true)) * 1000 + Number(dv.getBigInt64(8, true)) / 1000;
  return ms > 0 ? nowMs() + ms : Infinity;
}

/** Is host fd `h` ready for `events` at once? (Without the addon: assumed.) */
export function readyNow(ts: TaskState, h: number, events: number): boolean {
  return !ts.sys || ts.sys.poll(pollfd(h, events), 1, 0) > 0;
}

/** One struct pollfd. */
function pollfd(h: number, events: number): Uint8Array {
  const pfd = new Uint8Array(8);
  const dv = new DataView(pfd.buffer);
  dv.setInt32(0, h, true);
  dv.setInt16(4, events, true);
  return pfd;
}

/** Make `call` on host fd `h` with blocking semantics when the guest sees the fd blocking:
 * wait for `events` first, and when the host says EAGAIN anyway (its descriptor is
 * non-blocking, or another reader was first) wait again and retry. */
export function blockingCall(ts: TaskState, h: number, events: number, call: () => number, restartable = true, timed = false): number {
  // timed: a socket's SO_RCVTIMEO/SO_SNDTIMEO bound the wait, from the first time it blocks.
  let deadline: number | (() => number) = timed ? () => (deadline = sockDeadline(ts, h, events)) : Infinity;
  for (;;) {
    const blocking = waitReady(ts, h, events, restartable && (typeof deadline === 'function' || deadline === Infinity), deadline);
    try {
      return call();
    } catch (e) {
      if (!blocking || errnoOf(e) !== Errno.EAGAIN) throw e;
    }
    if (!ts.sys) {
      ts.proc.sleepMs(RETRY_MS);
      if (hasDeliverable(ts)) interrupted(ts, restartable);
    }
  }
}

/** A host call's result: negative values are -errno. */
export function check(r: number): number {
  if (r < 0) throw new SyscallError(-r);
  return r;
}

/** Milliseconds of a guest struct timespec, Infinity for a NULL pointer. */
export function timespecMs(ts: TaskState, tsp: number): number {
  if (tsp === 0) return Infinity;
  const sec = ts.mm.u64(tsp), nsec = ts.mm.u64(tsp + 8);
  if (BigInt.asIntN(64, sec) < 0n || nsec >= 1000000000n) throw new SyscallError(Errno.EINVAL);
  return Number(sec) * 1000 + Number(nsec) / 1e6;
}

/** Write the time left back to a guest timespec (ppoll, pselect6 do). */
export function setTimespecMs(ts: TaskState, tsp: number, ms: number): void {
  if (tsp === 0 || !Number.isFinite(ms)) return;
  const left = Math.max(0, ms);
  ts.mm.setU64(tsp, Math.floor(left / 1000));
  ts.mm.setU64(tsp + 8, Math.floor((left % 1000) * 1e6));
}

/** Repeat `attempt(sliceMs)` (a host wait returning > 0 when something is ready) until it
 * reports, the timeout passes (0) or a signal comes (EINTR: throws, or `onSignal`). */
export function waitSliced(ts: TaskState, timeoutMs: number, attempt: (ms: number) => number): number {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const left = deadline - nowMs();
    const r = attempt(Math.max(0, Math.min(WAIT_SLICE_MS, Math.ceil(left))));
    if (r !== 0) return check(r);
    if (left <= WAIT_SLICE_MS && nowMs() >= deadline) return 0;
    if (hasDeliverable(ts)) return -Errno.EINTR;
  }
}
