// Signals taken synchronously or queued with data, and interval timers: rt_sigtimedwait,
// rt_sigqueueinfo / rt_tgsigqueueinfo (sigqueue, pthread_sigqueue), setitimer / getitimer
// (alarm). The interval timers live in the kernel area (every thread sees them) as deadlines
// on the epoch clock; the supervising main thread arms a host timer for the nearest one and
// raises the signal in the process when it expires (UserRpc.itimerChanged). All three timers
// count wall-clock time (ITIMER_VIRTUAL and ITIMER_PROF too: the guest's CPU time is not
// measured apart from the emulator's).
import { nowMs } from './clock.js';
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { KernelWord, ThreadWord, TID_STRIDE } from './layout.js';
import { encodeSiginfo, hasDeliverable, raiseInThread, raiseProcessSignal, raiseSignal, sigpendingFull, takeSignal } from './signal.js';
import { TARGET_SIGRTMIN } from './sigqueue.js';
import { timespecMs } from './blocking.js';
import type { GuestMM } from './mmap.js';

const SIGKILL = 9, SIGSTOP = 19;
export const ITIMER_SIGNALS = [14 /* SIGALRM */, 26 /* SIGVTALRM */, 27 /* SIGPROF */];

/** The timers' [deadline ms since the epoch (0: disarmed), interval ms] cells. */
export function itimerCells(mm: GuestMM): Float64Array {
  return new Float64Array(mm.kw.buffer, mm.kw.byteOffset + KernelWord.ITIMERS * 4, 6);
}

function rtSigtimedwait(ts: TaskState, setp: number, infop: number, tsp: number): number {
  const set = ts.mm.u64(setp) & ~((1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1)));
  const ms = timespecMs(ts, tsp);
  const deadline = nowMs() + ms;
  for (;;) {
    const info = takeSignal(ts, set);
    if (info) {
      if (infop !== 0) ts.mm.write(infop, encodeSiginfo(info));
      return info.signo;
    }
    if (hasDeliverable(ts)) throw new SyscallError(Errno.EINTR); // another signal's handler runs
    const left = deadline - nowMs();
    if (left <= 0) throw new SyscallError(Errno.EAGAIN);
    Atomics.wait(ts.words, ThreadWord.WAKE, 0, Math.min(50, left));
    Atomics.store(ts.words, ThreadWord.WAKE, 0);
  }
}

/** rt_sigqueueinfo / rt_tgsigqueueinfo: to ourselves the info (si_value) goes with the signal;
 * to another process only the signal gets there (the host's kill). */
function sigqueue(ts: TaskState, pid: number, tid: number, sig: number, infop: number): number {
  if (sig < 0 || sig > 64) throw new SyscallError(Errno.EINVAL);
  // Never the host's kill(-1)/kill(0) (every process / the group): Linux looks one pid up.
  if (tid !== -1 && (pid <= 0 || tid <= 0)) throw new SyscallError(Errno.EINVAL);
  const code = ts.mm.i32at(infop + 8);
  if (code >= 0) throw new SyscallError(Errno.EPERM); // only negative codes (SI_QUEUE...) from userspace
  if (pid <= 0) throw new SyscallError(Errno.ESRCH);
  // rt_sigqueueinfo to one of our threads' ids is to the process (Linux: its thread group).
  const own = (id: number) => id === ts.proc.pid || (id > ts.proc.pid && (id - ts.proc.pid) % TID_STRIDE === 0);
  if (tid === -1 && own(pid)) pid = ts.proc.pid;
  if (pid !== ts.proc.pid) { ts.proc.kill(pid, sig); return 0; }
  if (sig === 0) return 0;
  const info = { signo: sig, code, pid: ts.proc.pid, uid: ts.proc.uid, value: ts.mm.u64(infop + 24) };
  if (sigpendingFull(ts, sig)) throw new SyscallError(Errno.EAGAIN);
  if (tid !== -1 && tid !== ts.tid) { // another thread of ours (LTP rt_tgsigqueueinfo01)
    const r = raiseInThread(ts, tid, sig, info);
    if (r < 0) throw new SyscallError(-r);
    return 0;
  }
  // A real-time signal to the process is queued there (any thread may take it); the others
  // keep their info on this thread.
  const ok = tid === -1 && sig >= TARGET_SIGRTMIN ? raiseProcessSignal(ts.mm, sig, info) : raiseSignal(ts, sig, info);
  if (!ok) throw new SyscallError(Errno.EAGAIN);
  return 0;
}

/** struct itimerval: {interval, value}, each a timeval. */
function readTimeval(ts: TaskState, p: number): number {
  const sec = Number(BigInt.asIntN(64, ts.mm.u64(p))), usec = Number(BigInt.asIntN(64, ts.mm.u64(p + 8)));
  if (sec < 0 || usec < 0 || usec >= 1000000) throw new SyscallError(Errno.EINVAL);
  return sec * 1000 + usec / 1000;
}

function writeItimerval(ts: TaskState, p: number, which: number): void {
  const c = itimerCells(ts.mm);
  const left = c[which * 2] === 0 ? 0 : Math.max(0.001, c[which * 2] - epochMs());
  const tv = (ms: number) => [BigInt(Math.floor(ms / 1000)), BigInt(Math.round((ms % 1000) * 1000))];
  const [is, ius] = tv(c[which * 2 + 1]), [vs, vus] = tv(left);
  ts.mm.setU64(p, is); ts.mm.setU64(p + 8, ius); ts.mm.setU64(p + 16, vs); ts.mm.setU64(p + 24, vus);
}

export function epochMs(): number { return performance.timeOrigin + performance.now(); }

function setitimer(ts: TaskState, which: number, newp: number, oldp: number): number {
  if (which < 0 || which > 2) throw new SyscallError(Errno.EINVAL);
  if (oldp !== 0) writeItimerval(ts, oldp, which);
  if (newp === 0) return 0;
  const interval = readTimeval(ts, newp), value = readTimeval(ts, newp + 16);
  const c = itimerCells(ts.mm);
  c[which * 2] = value > 0 ? epochMs() + value : 0;
  c[which * 2 + 1] = value > 0 ? interval : 0;
  ts.rpc.itimerChanged?.();
  return 0;
}

export const SIGNAL_WAIT_SYSCALLS: SyscallTable = [
  [NR.rt_sigtimedwait, (ts, a) => rtSigtimedwait(ts, ptr(a[0]), ptr(a[1]), ptr(a[2]))],
  [NR.rt_sigqueueinfo, (ts, a) => sigqueue(ts, int(a[0]), -1, int(a[1]), ptr(a[2]))],
  [NR.rt_tgsigqueueinfo, (ts, a) => sigqueue(ts, int(a[0]), int(a[1]) === -1 ? 0 : int(a[1]), int(a[2]), ptr(a[3]))],
  [NR.setitimer, (ts, a) => setitimer(ts, int(a[0]), ptr(a[1]), ptr(a[2]))],
  [NR.getitimer, (ts, a) => setitimer(ts, int(a[0]), 0, ptr(a[1]))],
];
