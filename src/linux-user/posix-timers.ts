// POSIX per-process timers: timer_create / settime / gettime / getoverrun / delete. They live in
// the kernel area beside the interval timers (signal-wait.ts) as deadlines on the epoch clock;
// the supervising main thread arms one host timer for the nearest of all of them and, at
// expiry, raises the timer's signal (SIGEV_SIGNAL: on the process, SIGEV_THREAD_ID: on that
// thread) with si_code SI_TIMER, the timer id and sigev_value. As on Linux a timer has at most
// one signal pending: expiries meanwhile count as overruns (si_overrun, timer_getoverrun).
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { POSIX_TIMER_BYTES, POSIX_TIMERS, POSIX_TIMERS_OFFSET, TID_STRIDE } from './layout.js';
import type { GuestMM } from './mmap.js';

const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
const INT_MAX = 0x7fffffff;
export const SI_TIMER = -2;
const TIMER_ABSTIME = 1;
const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9;
const CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_TAI = 11;

/** One timer's cells: Float64 [0] deadline ms since the epoch (0: disarmed), [1] interval ms;
 * Int32 [4] used, [5] clock, [6] notify, [7] signo, [8] tid, [9] pending, [10] overrun,
 * [11] overrun of the last delivery; BigUint64 sigev_value at byte 48; Float64 [7] (byte 56):
 * a CPU-time clock's deadline in ms of the process's CPU time ([0] is then when it may come at
 * the earliest: CPU time never runs faster than the wall clock for one busy thread, and the
 * check at [0] moves [0] on by what is left). */
export interface PosixTimer { f: Float64Array; i: Int32Array; valueAt: number }

export function posixTimer(mm: GuestMM, id: number): PosixTimer {
  const o = POSIX_TIMERS_OFFSET + id * POSIX_TIMER_BYTES;
  return { f: new Float64Array(mm.memory.buffer, o, 8), i: new Int32Array(mm.memory.buffer, o, 12), valueAt: o + 48 };
}

/** A CPU-time clock: the two named ones, or a dynamic id (clock_getcpuclockid: ~id << 3 |
 * per-thread 4 | PROF 0, VIRT 1, SCHED 2), which the C library uses for the named ones. */
const isCpuClock = (clock: number) => clock === CLOCK_PROCESS_CPUTIME_ID || clock === CLOCK_THREAD_CPUTIME_ID || (clock < 0 && (clock & 3) !== 3);

/** A dynamic CPU clock id of this process (id 0, our pid, one of our thread ids). */
function ownCpuClock(ts: TaskState, clock: number): boolean {
  if (!(clock < 0 && (clock & 3) !== 3)) return false;
  const id = ~(clock >> 3), pid = ts.proc.pid;
  return id === 0 || id === pid || ((clock & 4) !== 0 && id > pid && (id - pid) % TID_STRIDE === 0);
}

export function epochNow(): number { return performance.timeOrigin + performance.now(); }

function clockNowMs(ts: TaskState, clock: number): number {
  if (clock === CLOCK_REALTIME || clock === CLOCK_REALTIME_ALARM || clock === CLOCK_TAI) return Number(ts.proc.realtimeNs()) / 1e6;
  return Number(ts.proc.monotonicNs()) / 1e6;
}

function timerOf(ts: TaskState, id: number): PosixTimer {
  if (id < 0 || id >= POSIX_TIMERS) throw new SyscallError(Errno.EINVAL);
  const t = posixTimer(ts.mm, id);
  if (!t.i[4]) throw new SyscallError(Errno.EINVAL);
  return t;
}

function timerCreate(ts: TaskState, clock: number, sevp: number, idp: number): number {
  const known = [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM,
    CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_TAI];
  if (!known.includes(clock) && !ownCpuClock(ts, clock)) throw new SyscallError(Errno.EINVAL);
  // struct sigevent: sigval (8), signo (4), notify (4), _tid (4).
  let notify = SIGEV_SIGNAL, signo = 14 /* SIGALRM */, value: bigint | null = null, tid = 0;
  if (sevp !== 0) {
    value = ts.mm.u64(sevp);
    signo = ts.mm.i32at(sevp + 8);
    notify = ts.mm.i32at(sevp + 12);
    tid = ts.mm.i32at(sevp + 16);
    // SIGEV_THREAD is the C library's (a signal to the process for the kernel, as Linux takes it).
    if (notify === SIGEV_THREAD) notify = SIGEV_SIGNAL;
    if (notify !== SIGEV_SIGNAL && notify !== SIGEV_NONE && notify !== SIGEV_THREAD_ID) throw new SyscallError(Errno.EINVAL);
    if (notify !== SIGEV_NONE && (signo < 1 || signo > 64)) throw new SyscallError(Errno.EINVAL);
    if (notify === SIGEV_THREAD_ID && tid <= 0) throw new SyscallError(Errno.EINVAL);
  }
  ts.mm.check(idp, 4, true);
  // The alarm clocks need an RTC that can wake the system (Linux's alarmtimer) and
  // CAP_WAKE_ALARM: EOPNOTSUPP / EPERM as the host's kernel says (and qemu-riscv64 passes on).
  if (clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM) {
    const e = ts.proc.alarmTimerErrno?.() ?? Errno.EOPNOTSUPP;
    if (e) throw new SyscallError(e);
  }
  ts.mm.lock();
  try {
    for (let id = 0; id < POSIX_TIMERS; id++) {
      const t = posixTimer(ts.mm, id);
      if (t.i[4]) continue;
      t.f.fill(0, 0, 2); t.f[7] = 0; t.i.fill(0, 4);
      t.i[4] = 1; t.i[5] = clock; t.i[6] = notify; t.i[7] = signo; t.i[8] = tid;
      // Without a sigevent the value is the timer id, as Linux does.
      ts.mm.view.setBigUint64(t.valueAt, value ?? BigInt(id), true);
      ts.mm.setU32(idp, id);
      return 0;
    }
  } finally { ts.mm.unlock(); }
  throw new SyscallError(Errno.EAGAIN);
}

/** struct itimerspec: {it_interval, it_value}, each a timespec. */
function readSpec(ts: TaskState, p: number): number {
  const sec = BigInt.asIntN(64, ts.mm.u64(p)), nsec = BigInt.asIntN(64, ts.mm.u64(p + 8));
  if (sec < 0n || nsec < 0n || nsec >= 1000000000n) throw new SyscallError(Errno.EINVAL);
  return Number(sec) * 1000 + Number(nsec) / 1e6;
}

/** The timer's struct itimerspec (interval, time left) as bytes. */
function specOf(ts: TaskState, t: PosixTimer): Uint8Array {
  const cpu = isCpuClock(t.i[5]);
  const now = cpu ? Number(ts.proc.cpuTimeNs()) / 1e6 : epochNow();
  const left = t.f[0] === 0 ? 0 : Math.max(1e-6, (cpu ? t.f[7] : t.f[0]) - now);
  const b = new Uint8Array(32), dv = new DataView(b.buffer);
  const put = (o: number, ms: number) => {
    const ns = BigInt(Math.round(ms * 1e6));
    dv.setBigUint64(o, ns / 1000000000n, true);
    dv.setBigUint64(o + 8, ns % 1000000000n, true);
  };
  put(0, t.f[1]);
  put(16, left);
  return b;
}

function writeSpec(ts: TaskState, p: number, t: PosixTimer): void {
  ts.mm.write(p, specOf(ts, t));
}

function timerSettime(ts: TaskState, id: number, flags: number, newp: number, oldp: number): number {
  // Linux's order: no new value EINVAL, reading it EFAULT, its fields EINVAL, the timer EINVAL;
  // the old value is written last (EFAULT after the timer was set).
  if (newp === 0) throw new SyscallError(Errno.EINVAL);
  ts.mm.check(newp, 32, false);
  const interval = readSpec(ts, newp), value = readSpec(ts, newp + 16);
  const t = timerOf(ts, id);
  const old = specOf(ts, t);
  let deadline = 0, cpuDeadline = 0;
  if (value > 0) {
    if (isCpuClock(t.i[5])) {
      const cpuNow = Number(ts.proc.cpuTimeNs()) / 1e6;
      cpuDeadline = flags & TIMER_ABSTIME ? value : cpuNow + value;
      deadline = epochNow() + Math.max(1e-3, cpuDeadline - cpuNow);
    } else {
      deadline = flags & TIMER_ABSTIME ? epochNow() + (value - clockNowMs(ts, t.i[5])) : epochNow() + value;
      // An absolute time already past fires at once; a periodic timer keeps its first expiry
      // in the past, so the expiries since count as overruns (Linux's, timer_settime03).
      if (!(interval > 0)) deadline = Math.max(deadline, epochNow() + 1e-3);
      else deadline = Math.max(deadline, 1e-3);
    }
  }
  t.f[0] = deadline;
  t.f[1] = value > 0 ? interval : 0;
  t.f[7] = cpuDeadline;
  t.i[10] = 0;
  ts.rpc.itimerChanged?.();
  if (oldp !== 0) ts.mm.write(oldp, old);
  return 0;
}

/** Called by the supervisor at each expiry check: raise the signals of the timers whose time has
 * come (`raise(timer id, signo, tid or 0 for the process, value)`, false if it could not be
 * queued), reload the periodic ones; returns the nearest deadline left (Infinity: none). */
export function expirePosixTimers(mm: GuestMM, now: number, raise: (id: number, signo: number, tid: number, value: bigint) => boolean,
  cpuMs: () => number = () => 0): number {
  let next = Infinity;
  for (let id = 0; id < POSIX_TIMERS; id++) {
    const t = posixTimer(mm, id);
    if (!t.i[4] || t.f[0] === 0) continue;
    if (t.f[0] <= now && isCpuClock(t.i[5])) {
      // A CPU-time timer: its time has come when the CPU time has reached it; until then the
      // next look is when it could at the earliest.
      const cpuNow = cpuMs();
      if (cpuNow < t.f[7]) t.f[0] = now + Math.max(0.5, t.f[7] - cpuNow);
      else {
        let runs = 1;
        if (t.f[1] > 0) {
          runs = Math.floor((cpuNow - t.f[7]) / t.f[1]) + 1;
          t.f[7] += runs * t.f[1];
          t.f[0] = now + (t.f[7] - cpuNow);
        } else t.f[0] = 0;
        fire(mm, t, id, runs, raise);
      }
    } else if (t.f[0] <= now) {
      let runs = 1;
      if (t.f[1] > 0) {
        runs = Math.floor((now - t.f[0]) / t.f[1]) + 1;
        t.f[0] += runs * t.f[1];
      } else t.f[0] = 0;
      fire(mm, t, id, runs, raise);
    }
    if (t.f[0] !== 0) next = Math.min(next, t.f[0]);
  }
  return next;
}

/** Timer `t` expired `runs` times: its signal, unless one is still pending (then overruns, at
 * most INT_MAX as Linux's timer_overrun_to_int). */
function fire(mm: GuestMM, t: PosixTimer, id: number, runs: number, raise: (id: number, signo: number, tid: number, value: bigint) => boolean): void {
  const add = (n: number) => { t.i[10] = Math.min(INT_MAX, t.i[10] + n); };
  if (t.i[6] === SIGEV_NONE) return;
  if (Atomics.load(t.i, 9) !== 0) { add(runs); return; } // still pending: overruns
  add(runs - 1);
  Atomics.store(t.i, 9, 1);
  if (!raise(id, t.i[7], t.i[6] === SIGEV_THREAD_ID ? t.i[8] : 0, mm.view.getBigUint64(t.valueAt, true))) Atomics.store(t.i, 9, 0);
}

/** The timer's signal was taken: its overruns so far go in si_overrun and to timer_getoverrun. */
export function posixTimerDelivered(mm: GuestMM, id: number): number {
  if (id < 0 || id >= POSIX_TIMERS) return 0;
  const t = posixTimer(mm, id);
  const o = t.i[10];
  t.i[11] = o;
  t.i[10] = 0;
  Atomics.store(t.i, 9, 0);
  return o;
}

/** execve and fork: the new image or child has no POSIX timers. */
export function clearPosixTimers(mm: GuestMM): void {
  for (let id = 0; id < POSIX_TIMERS; id++) { const t = posixTimer(mm, id); t.f.fill(0, 0, 2); t.f[7] = 0; t.i.fill(0, 4); }
}

export const TIMER_SYSCALLS: SyscallTable = [
  [NR.timer_create, (ts, a) => timerCreate(ts, int(a[0]), ptr(a[1]), ptr(a[2]))],
  [NR.timer_settime, (ts, a) => timerSettime(ts, int(a[0]), int(a[1]), ptr(a[2]), ptr(a[3]))],
  [NR.timer_gettime, (ts, a) => { writeSpec(ts, ptr(a[1]), timerOf(ts, int(a[0]))); return 0; }],
  [NR.timer_getoverrun, (ts, a) => timerOf(ts, int(a[0])).i[11]],
  [NR.timer_delete, (ts, a) => {
    const t = timerOf(ts, int(a[0]));
    t.f.fill(0, 0, 2); t.f[7] = 0; t.i.fill(0, 4);
    ts.rpc.itimerChanged?.();
    return 0;
  }],
];
