// File locks: fcntl record locks (process-associated and open-file-description ones) and
// flock are the host's own (the native addon), so other processes, emulated or not, see them,
// as with QEMU. A lock that must wait is retried without blocking in short, growing sleeps
// with a look at pending signals in between: only the calling guest thread waits, and a signal
// interrupts it (EINTR, or a restart after the handler with SA_RESTART), as on Linux.
// Without the addon every lock is granted (one emulated process would not notice).
import { Errno, SyscallError } from './errno.js';
import type { TaskState } from './qemu.js';
import { hasDeliverable, interrupted } from './signal.js';

export const F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7;
export const F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
const LOCK_NB = 4, LOCK_UN = 8, F_UNLCK = 2;
const FLOCK_SIZE = 32;
const MAX_SLEEP_MS = 50;

export function isLockCmd(cmd: number): boolean {
  return (cmd >= F_GETLK && cmd <= F_SETLKW) || (cmd >= F_OFD_GETLK && cmd <= F_OFD_SETLKW);
}

/** Call `attempt` until it stops saying "held by someone else" (`busy` errnos). */
function waitFor(ts: TaskState, attempt: () => number, busy: number[]): number {
  for (let sleep = 1; ; sleep = Math.min(sleep * 2, MAX_SLEEP_MS)) {
    const r = attempt();
    if (r >= 0) return r;
    if (!busy.includes(-r)) throw new SyscallError(-r);
    if (hasDeliverable(ts)) interrupted(ts, true);
    ts.proc.sleepMs(sleep);
    if (hasDeliverable(ts)) interrupted(ts, true);
  }
}

/** fcntl F_GETLK/F_SETLK/F_SETLKW and the F_OFD_ forms; `arg` points at a struct flock. */
export function fcntlLock(ts: TaskState, h: number, cmd: number, arg: number): number {
  const write = cmd === F_GETLK || cmd === F_OFD_GETLK;
  const view = write ? ts.mm.writableView(arg, FLOCK_SIZE) : ts.mm.readableView(arg, FLOCK_SIZE);
  const sys = ts.sys;
  if (!sys) {
    if (write) new DataView(view.buffer, view.byteOffset).setInt16(0, F_UNLCK, true);
    return 0;
  }
  // The host writes F_GETLK's answer straight into the guest's struct (same layout).
  const fl = new Uint8Array(view);
  const call = (c: number) => {
    const r = sys.lock(h, c, fl, 0);
    if (r >= 0 && write) ts.mm.write(arg, fl);
    return r;
  };
  if (cmd === F_SETLKW) return waitFor(ts, () => call(F_SETLK), [Errno.EAGAIN, Errno.EACCES]);
  if (cmd === F_OFD_SETLKW) return waitFor(ts, () => call(F_OFD_SETLK), [Errno.EAGAIN, Errno.EACCES]);
  const r = call(cmd);
  if (r < 0) throw new SyscallError(-r);
  return r;
}

export function flock(ts: TaskState, h: number, op: number): number {
  const sys = ts.sys;
  if (!sys) return 0;
  if (op & LOCK_NB || op & LOCK_UN) {
    const r = sys.lock(h, -1, null, op);
    if (r < 0) throw new SyscallError(-r);
    return 0;
  }
  return waitFor(ts, () => sys.lock(h, -1, null, op | LOCK_NB), [Errno.EAGAIN]);
}
