// Blocking on host descriptors without losing signals. A worker blocked in a host call cannot
// be interrupted, so calls that may wait (read from a pipe or socket, accept, recv, poll) first
// wait for readiness with the native addon in short slices, looking at the thread's pending
// signals between slices: a signal then interrupts the call (EINTR) or restarts it after the
// handler (SA_RESTART), as on Linux.
import { Errno, SyscallError } from './errno.js';
import type { TaskState } from './qemu.js';
import { hasDeliverable, interrupted } from './signal.js';

export const POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;
export const POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200;

/** Slice of a wait between looks at pending signals (ms). */
export const WAIT_SLICE_MS = 50;

/** Wait until host fd `h` is ready for `events`, unless it is non-blocking (returns false: the
 * call will say EAGAIN itself). Without the addon there is nothing to wait with: true. */
export function waitReady(ts: TaskState, h: number, events: number, restartable = true): boolean {
  const sys = ts.sys;
  if (!sys) return true;
  for (;;) {
    const r = sys.waitFd(h, events, WAIT_SLICE_MS);
    if (r === -Errno.EAGAIN) return false;
    if (r < 0) throw new SyscallError(-r);
    if (r > 0) return true;
    if (hasDeliverable(ts)) interrupted(ts, restartable);
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
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    const r = attempt(Math.max(0, Math.min(WAIT_SLICE_MS, Math.ceil(left))));
    if (r !== 0) return check(r);
    if (left <= WAIT_SLICE_MS && Date.now() >= deadline) return 0;
    if (hasDeliverable(ts)) return -Errno.EINTR;
  }
}
