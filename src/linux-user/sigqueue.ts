// Queued real-time signals. Linux queues every instance of a signal >= SIGRTMIN (32) with its
// siginfo (sigqueue's value, the sender); standard signals stay one bit. The queue lives in the
// kernel area (every guest thread's worker sees it), guarded by KernelWord.SIG_LOCK, which the
// callers hold; the pending bit of a signal stays set while an entry for it remains.
import { KernelWord, RTQ_ENTRIES, RTQ_ENTRY_BYTES, RTQ_OFFSET } from './layout.js';
import type { GuestMM } from './mmap.js';
import type { SigInfo } from './signal.js';
import { posixTimerDelivered, SI_TIMER } from './posix-timers.js';

export const TARGET_SIGRTMIN = 32;
/** Queue target: the process (kill, sigqueue to the pid) or one thread slot (tgkill). */
export const RTQ_PROCESS = -1;

// A POSIX timer's signal carries the timer id in si_tid and si_overrun where pid and uid go.
// Entry: Int32 [target + 2 (0: free), signo, code, pid, uid, seq], BigUint64 value at 24.
const W = RTQ_ENTRY_BYTES / 4;

function words(mm: GuestMM): Int32Array { return new Int32Array(mm.memory.buffer, RTQ_OFFSET, RTQ_ENTRIES * W); }

/** How many signal instances are queued (with their info) now. */
export function rtQueued(mm: GuestMM): number {
  const q = words(mm);
  let n = 0;
  for (let i = 0; i < RTQ_ENTRIES; i++) if (q[i * W] !== 0) n++;
  return n;
}

/** Append one instance of `info.signo` for `target`; false when the queue is full. */
export function rtEnqueue(mm: GuestMM, target: number, info: SigInfo): boolean {
  const q = words(mm);
  for (let i = 0; i < RTQ_ENTRIES; i++) {
    const o = i * W;
    if (q[o] !== 0) continue;
    const seq = (mm.kw[KernelWord.RTQ_SEQ] + 1) | 0;
    mm.kw[KernelWord.RTQ_SEQ] = seq;
    q[o] = target + 2; q[o + 1] = info.signo; q[o + 2] = info.code; q[o + 3] = info.pid ?? 0;
    q[o + 4] = info.uid ?? 0; q[o + 5] = seq;
    // SIGCHLD's si_status goes where other signals' si_value goes (the same siginfo offset).
    const v = info.value ?? (info.status !== undefined ? BigInt(info.status) : 0n);
    mm.view.setBigUint64(RTQ_OFFSET + i * RTQ_ENTRY_BYTES + 24, BigInt.asUintN(64, v), true);
    return true;
  }
  return false;
}

/** Take the oldest instance of `sig` queued for `target`: its info and whether more remain. */
export function rtDequeue(mm: GuestMM, target: number, sig: number): { info: SigInfo | null; more: boolean } {
  const q = words(mm);
  let best = -1, count = 0;
  for (let i = 0; i < RTQ_ENTRIES; i++) {
    const o = i * W;
    if (q[o] !== target + 2 || q[o + 1] !== sig) continue;
    count++;
    if (best < 0 || ((q[o + 5] - q[best * W + 5]) | 0) < 0) best = i;
  }
  if (best < 0) return { info: null, more: false };
  const o = best * W;
  const info: SigInfo = { signo: sig, code: q[o + 2], pid: q[o + 3], uid: q[o + 4] >>> 0 };
  const value = mm.view.getBigUint64(RTQ_OFFSET + best * RTQ_ENTRY_BYTES + 24, true);
  if (sig === 17 && info.code > 0) info.status = Number(BigInt.asIntN(32, value)); // CLD_*
  else if (info.code !== 0) info.value = value; // SI_USER (kill) carries no value
  if (info.code === SI_TIMER) info.uid = posixTimerDelivered(mm, info.pid ?? -1); // si_overrun
  q[o] = 0;
  return { info, more: count > 1 };
}

/** Forget every queued signal of `target` (a forked child starts with none). */
export function rtClear(mm: GuestMM, target?: number): void {
  const q = words(mm);
  for (let i = 0; i < RTQ_ENTRIES; i++) if (target === undefined || q[i * W] === target + 2) q[i * W] = 0;
}
