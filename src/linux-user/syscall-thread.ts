// Threads: clone with CLONE_VM|CLONE_THREAD (a new worker on the same memory), futex on
// Atomics.wait/notify over the guest word, set_tid_address, exit and exit_group.
// Processes (clone without CLONE_VM, fork, vfork) are in syscall-exec.ts.
import { nowMs } from './clock.js';
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, ThreadExit, uint, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import {
  GUEST_BASE, GUEST_PAGES, TID_STRIDE, KernelWord, PageFlag, MAX_THREADS, THREAD_WORDS, THREADS_OFFSET, ThreadState, ThreadWord, stateOffsetOf,
} from './layout.js';
import { CPU_STATE_SIZE, STATE, TLB_OFFSET } from '../target/riscv/cpu-state.js';
import { rtClear } from './sigqueue.js';
import { lockWord, unlockWord } from './mmap.js';
import { hasDeliverable, raiseOn, raiseSignal, setRaiseInThread } from './signal.js';
import { forkProcess } from './syscall-exec.js';
import { forgetTranslations } from './process-image.js';

export const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800;
export const CLONE_VFORK = 0x4000, CLONE_THREAD = 0x10000, CLONE_SETTLS = 0x80000;
export const CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000;

/** Thread ids are pid + k * 2^22 (above any host pid: pid_max <= 2^22), k = 1..TID_STEPS; k
 * grows with each new thread and wraps, skipping live threads' tids, so a new thread does not
 * reuse a live or recently ended thread's id (Linux allocates increasing ids; LTP gettid02). */
const TID_STEPS = 511; // pid + 511 * 2^22 < 2^31

function newTid(ts: TaskState): number {
  const pid = ts.proc.pid, kw = ts.mm.kw;
  for (let tries = 0; tries <= TID_STEPS; tries++) {
    const k = (Atomics.add(kw, KernelWord.NEXT_TID, 1) % TID_STEPS) + 1;
    const tid = pid + k * TID_STRIDE;
    let live = false;
    for (let s = 1; s < MAX_THREADS && !live; s++) {
      const w = threadWords(ts, s);
      live = w[ThreadWord.STATE] !== ThreadState.FREE && w[ThreadWord.TID] === tid;
    }
    if (!live) return tid;
  }
  throw new SyscallError(Errno.EAGAIN);
}

function threadWords(ts: TaskState, slot: number): Int32Array {
  return new Int32Array(ts.mm.memory.buffer, THREADS_OFFSET + slot * THREAD_WORDS * 4, THREAD_WORDS);
}

function allocSlot(ts: TaskState): number {
  for (let s = 1; s < MAX_THREADS; s++) {
    const w = threadWords(ts, s);
    if (Atomics.compareExchange(w, ThreadWord.STATE, ThreadState.FREE, ThreadState.RUNNING) === ThreadState.FREE) return s;
  }
  throw new SyscallError(Errno.EAGAIN);
}

function cloneThread(ts: TaskState, flags: number, newsp: number, ptid: number, tls: bigint, ctid: number): number {
  const need = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
  if ((flags & need) !== need) throw new SyscallError(Errno.EINVAL);
  const tid = newTid(ts);
  const slot = allocSlot(ts);
  const bytes = ts.mm.bytes;
  const from = ts.env.base, to = stateOffsetOf(slot);
  bytes.copyWithin(to, from, from + TLB_OFFSET);
  forgetTranslations(bytes, to);
  bytes.fill(0xff, to + TLB_OFFSET, to + CPU_STATE_SIZE);
  const view = ts.mm.view;
  const gpr = (i: number) => to + STATE.gpr.offset + i * 8;
  view.setBigUint64(gpr(10), 0n, true);
  if (newsp !== 0) view.setBigUint64(gpr(2), BigInt(newsp), true);
  if (flags & CLONE_SETTLS) view.setBigUint64(gpr(4), tls, true);
  const w = threadWords(ts, slot);
  lockWord(ts.mm.kw, KernelWord.SIG_LOCK);
  rtClear(ts.mm, slot); // real-time signals left queued for the slot's previous thread
  unlockWord(ts.mm.kw, KernelWord.SIG_LOCK);
  w.fill(0);
  w[ThreadWord.STATE] = ThreadState.RUNNING;
  w[ThreadWord.TID] = tid;
  w[ThreadWord.MASK_LO] = ts.words[ThreadWord.MASK_LO];
  w[ThreadWord.MASK_HI] = ts.words[ThreadWord.MASK_HI];
  w[ThreadWord.ALTSTACK_FLAGS] = 2; // SS_DISABLE
  if (flags & CLONE_CHILD_CLEARTID) w[ThreadWord.CLEAR_TID] = ctid;
  if (flags & CLONE_PARENT_SETTID) ts.mm.setU32(ptid, tid);
  if (flags & CLONE_CHILD_SETTID) ts.mm.setU32(ctid, tid);
  Atomics.add(ts.mm.kw, KernelWord.THREAD_COUNT, 1);
  // The child starts after the ecall, like the parent returns.
  view.setBigUint64(to + STATE.pc.offset, ts.env.pc + 4n, true);
  ts.rpc.startThread(slot);
  return tid;
}

function clone(ts: TaskState, flags: number, newsp: number, ptid: number, tls: bigint, ctid: number): number {
  // The clear-tid word (and a forked child's set-tid one) is kept in 32 bits: one in high
  // memory (above 4 GiB, high-map.ts) is refused.
  if (ctid >= 2 ** 32 && flags & (CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID)) throw new SyscallError(Errno.ENOMEM);
  if (flags & CLONE_VM && !(flags & CLONE_VFORK)) return cloneThread(ts, flags, newsp, ptid, tls, ctid);
  return forkProcess(ts, flags, newsp, ptid, tls, ctid);
}

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5;
const FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10, FUTEX_PRIVATE_FLAG = 128;

function futexIndex(ts: TaskState, uaddr: number): number {
  if (uaddr & 3) throw new SyscallError(Errno.EINVAL);
  return ts.mm.check(uaddr, 4, false) >>> 2; // high memory: where its page lives
}

/** The host view of a shared futex word: one in host-shared MAP_SHARED memory (PageFlag.SHARED,
 * shared-map.ts) without FUTEX_PRIVATE_FLAG, when the addon has futex. Another process maps the
 * same object, and its waiters and wakers are in the host kernel's queue (LTP's checkpoints:
 * FUTEX_WAIT in a child, FUTEX_WAKE in the parent, counting the woken); null otherwise. */
function sharedFutex(ts: TaskState, uaddr: number, op: number): Uint8Array | null {
  if (op & FUTEX_PRIVATE_FLAG || !ts.sys?.futex) return null;
  const page = Math.floor(uaddr / 4096);
  if (page >= GUEST_PAGES || !(ts.mm.pages[page] & PageFlag.SHARED)) return null;
  const h = futexIndex(ts, uaddr) * 4;
  return ts.mm.bytes.subarray(h, h + 4);
}

/** futexWait on the host's queue (sharedFutex), in slices so signals get through. */
function hostFutexWait(ts: TaskState, view: Uint8Array, val: number, deadline: number): number {
  const futex = ts.sys!.futex!;
  for (;;) {
    const left = deadline - nowMs();
    if (left <= 0) throw new SyscallError(Errno.ETIMEDOUT);
    const r = futex(view, 0, val, Math.min(left, 100));
    if (r === 0 || r === -Errno.EAGAIN) return 0; // woken, or the word changed
    if (r !== -Errno.ETIMEDOUT && r !== -Errno.EINTR) throw new SyscallError(-r);
    if (hasDeliverable(ts)) throw new SyscallError(Errno.EINTR);
  }
}

/** Wait while *uaddr == val, in slices so signals get through; deadline in ms (nowMs()). */
function futexWait(ts: TaskState, uaddr: number, val: number, deadline: number): number {
  const i32 = ts.mm.i32, idx = futexIndex(ts, uaddr);
  for (;;) {
    const left = deadline - nowMs();
    if (left <= 0) throw new SyscallError(Errno.ETIMEDOUT);
    // 'not-equal' after a slice: the word changed while we were not queued; the waker
    // always changes the word before waking, so this is our wakeup.
    if (Atomics.wait(i32, idx, val, Math.min(left, 100)) !== 'timed-out') return 0;
    if (hasDeliverable(ts)) throw new SyscallError(Errno.EINTR);
  }
}

/** A wait's deadline in ms (nowMs()), Infinity without a timeout. */
function futexDeadline(ts: TaskState, a: bigint[], op: number): number {
  if (a[3] === 0n) return Infinity;
  const t = Number(ts.mm.u64(ptr(a[3]))) * 1000 + Number(ts.mm.u64(ptr(a[3]) + 8)) / 1e6;
  if (op === FUTEX_WAIT) return nowMs() + t;
  if (int(a[1]) & 256) return t; // FUTEX_CLOCK_REALTIME: absolute wall time
  return nowMs() + (t - Number(ts.proc.monotonicNs()) / 1e6);
}

/** Waiters parked by a worker that runs other threads (thread-host.ts) are not in the Atomics
 * queue of their word: every wake also moves this process-wide count, which they watch (a
 * wake they were not meant for is a spurious wakeup, which futex users allow). */
export function futexWoke(ts: TaskState): void {
  Atomics.add(ts.mm.kw, KernelWord.FUTEX_GEN, 1);
  Atomics.notify(ts.mm.kw, KernelWord.FUTEX_GEN);
}

/** A FUTEX_WAIT parked instead of blocking its host thread: done when the word is no longer
 * `val` or FUTEX_GEN is no longer `gen` (a wake), at `deadline` (ETIMEDOUT) or on a signal.
 * idx -1: a nanosleep, done at `deadline` (0) or on a signal (EINTR, the time left at `rem`). */
export interface FutexPark { idx: number; val: number; gen: number; deadline: number; rem?: number; reqNs?: bigint }

/** The futex wait at this thread's ecall as a park, or its result now (-errno: EAGAIN when the
 * word differs); null when the call is not a futex wait. */
export function futexWaitPark(ts: TaskState): FutexPark | number | null {
  if (Number(ts.reg(17)) !== NR.futex) return null;
  const a = [ts.reg(10), ts.reg(11), ts.reg(12), ts.reg(13)];
  const op = int(a[1]) & 0x7f;
  if (op !== FUTEX_WAIT && op !== FUTEX_WAIT_BITSET) return null;
  try {
    if (sharedFutex(ts, ptr(a[0]), int(a[1]))) return null; // the host's queue: a blocking wait
    const deadline = futexDeadline(ts, a, op);
    const idx = futexIndex(ts, ptr(a[0])), val = int(a[2]);
    const gen = Atomics.load(ts.mm.kw, KernelWord.FUTEX_GEN); // before the word: see FutexPark
    if (Atomics.load(ts.mm.i32, idx) !== val) return -Errno.EAGAIN;
    if (deadline - nowMs() <= 0) return -Errno.ETIMEDOUT;
    return { idx, val, gen, deadline };
  } catch (e) {
    if (e instanceof SyscallError) return -e.errno;
    throw e;
  }
}

/** The nanosleep at this thread's ecall as a park, or its result now; null: not a nanosleep. */
export function sleepPark(ts: TaskState): FutexPark | number | null {
  if (Number(ts.reg(17)) !== NR.nanosleep) return null;
  try {
    const req = ptr(ts.reg(10)), rem = ptr(ts.reg(11));
    const sec = BigInt.asIntN(64, ts.mm.u64(req)), nsec = BigInt.asIntN(64, ts.mm.u64(req + 8));
    if (sec < 0n || nsec < 0n || nsec >= 1000000000n) return -Errno.EINVAL;
    const ms = Number(sec * 1000000000n + nsec) / 1e6;
    if (ms <= 0) return 0;
    return { idx: -1, val: 0, gen: 0, deadline: nowMs() + ms, rem, reqNs: sec * 1000000000n + nsec };
  } catch (e) {
    if (e instanceof SyscallError) return -e.errno;
    throw e;
  }
}

/** A parked wait's result once it is over (0, -ETIMEDOUT, -EINTR), else null. */
export function futexParkDone(ts: TaskState, p: FutexPark): number | null {
  if (p.idx >= 0 && (Atomics.load(ts.mm.kw, KernelWord.FUTEX_GEN) !== p.gen || Atomics.load(ts.mm.i32, p.idx) !== p.val)) return 0;
  const left = p.deadline - nowMs();
  if (left <= 0) return p.idx >= 0 ? -Errno.ETIMEDOUT : 0;
  if (!hasDeliverable(ts)) return null;
  if (p.rem) {
    // (Some time has passed: less is left than was asked.)
    let ns = BigInt(Math.round(left * 1e6));
    if (p.reqNs !== undefined && ns >= p.reqNs) ns = p.reqNs - 1n;
    try { ts.mm.setU64(p.rem, ns / 1000000000n); ts.mm.setU64(p.rem + 8, ns % 1000000000n); } catch (e) { if (e instanceof SyscallError) return -e.errno; throw e; }
  }
  return -Errno.EINTR;
}

function futex(ts: TaskState, a: bigint[]): number {
  const uaddr = ptr(a[0]), op = int(a[1]) & 0x7f, val = int(a[2]);
  const i32 = ts.mm.i32;
  switch (op) {
    case FUTEX_WAIT: case FUTEX_WAIT_BITSET: {
      const deadline = futexDeadline(ts, a, op);
      if (Atomics.load(i32, futexIndex(ts, uaddr)) !== val) throw new SyscallError(Errno.EAGAIN);
      const shared = sharedFutex(ts, uaddr, int(a[1]));
      return shared ? hostFutexWait(ts, shared, val, deadline) : futexWait(ts, uaddr, val, deadline);
    }
    case FUTEX_WAKE: case FUTEX_WAKE_BITSET: {
      const max = Math.max(0, Math.min(val, 0x7fffffff));
      const shared = sharedFutex(ts, uaddr, int(a[1]));
      const host = shared ? Math.max(0, ts.sys!.futex!(shared, 1, max, 0)) : 0;
      const n = host + Atomics.notify(i32, futexIndex(ts, uaddr), max - host);
      futexWoke(ts);
      return n;
    }
    case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: {
      if (val < 0 || int(a[3]) < 0) throw new SyscallError(Errno.EINVAL); // Linux: nr_wake, nr_requeue
      if (op === FUTEX_CMP_REQUEUE && Atomics.load(i32, futexIndex(ts, uaddr)) !== int(a[5])) {
        throw new SyscallError(Errno.EAGAIN);
      }
      // Waiters cannot be moved between Atomics queues: wake them all (spurious wakeups are
      // allowed; every futex user rechecks its condition).
      const woken = Atomics.notify(i32, futexIndex(ts, uaddr));
      const n = woken + Atomics.notify(i32, futexIndex(ts, ptr(a[4])));
      futexWoke(ts);
      return n;
    }
    case FUTEX_WAKE_OP: {
      const uaddr2 = ptr(a[4]), encoded = uint(a[5]);
      const idx2 = futexIndex(ts, uaddr2);
      const opType = (encoded >>> 28) & 7, cmp = (encoded >>> 24) & 15;
      let oparg = (encoded << 8) >> 20, cmparg = (encoded << 20) >> 20;
      if (opType & 8) oparg = 1 << (oparg & 31);
      const ops = [() => oparg, (o: number) => o + oparg, (o: number) => o | oparg,
        (o: number) => o & ~oparg, (o: number) => o ^ oparg];
      let old: number;
      do { old = Atomics.load(i32, idx2); } while (Atomics.compareExchange(i32, idx2, old, ops[opType & 7]?.(old) ?? old) !== old);
      let n = Atomics.notify(i32, futexIndex(ts, uaddr), val);
      const c = [old === cmparg, old !== cmparg, old < cmparg, old <= cmparg, old > cmparg, old >= cmparg][cmp];
      if (c) n += Atomics.notify(i32, idx2, int(a[3]));
      futexWoke(ts);
      return n;
    }
    default:
      throw new SyscallError(Errno.ENOSYS);
  }
}

/** End this thread: CLONE_CHILD_CLEARTID handling, and the process with the last thread. */
function exitThread(ts: TaskState, status: number): never {
  ts.rpc.threadExiting?.();
  const left = Atomics.sub(ts.mm.kw, KernelWord.THREAD_COUNT, 1) - 1;
  if (left <= 0) ts.proc.exit(status & 0xff, 0);
  const ctid = ts.words[ThreadWord.CLEAR_TID] >>> 0;
  if (ctid !== 0) {
    try {
      ts.mm.setU32(ctid, 0);
      Atomics.notify(ts.mm.i32, (GUEST_BASE + ctid) >>> 2, 1);
      futexWoke(ts);
    } catch { /* unmapped: nothing to clear */ }
  }
  Atomics.store(ts.words, ThreadWord.STATE, ThreadState.EXITED);
  throw new ThreadExit();
}

setRaiseInThread((ts, tid, sig, info) => {
  for (let s = 0; s < MAX_THREADS; s++) {
    const w = threadWords(ts, s);
    if (w[ThreadWord.STATE] === ThreadState.RUNNING && w[ThreadWord.TID] === tid) {
      if (s === ts.slot) { if (!raiseSignal(ts, sig, info)) return -Errno.EAGAIN; }
      else {
        // A real-time signal is queued for that thread slot (the info goes with it).
        if (!raiseOn(ts.mm, w, ThreadWord.PENDING_LO, s, sig, info)) return -Errno.EAGAIN;
        Atomics.store(ts.mm.i32, (stateOffsetOf(s) + STATE.exit_request.offset) >>> 2, 1);
        Atomics.notify(w, ThreadWord.WAKE);
      }
      return 0;
    }
  }
  return -Errno.ESRCH;
});


export const THREAD_SYSCALLS: SyscallTable = [
  [NR.clone, (ts, a) => clone(ts, int(a[0]), ptr(a[1]), ptr(a[2]), a[3], ptr(a[4]))],
  [NR.futex, (ts, a) => futex(ts, a)],
  [NR.set_tid_address, (ts, a) => {
    if (ptr(a[0]) >= 2 ** 32) throw new SyscallError(Errno.EINVAL); // kept in 32 bits (clone above)
    ts.words[ThreadWord.CLEAR_TID] = ptr(a[0]);
    return ts.tid;
  }],
  [NR.exit, (ts, a) => exitThread(ts, int(a[0]))],
  [NR.exit_group, (ts, a) => ts.proc.exit(int(a[0]) & 0xff, 0)],
];
