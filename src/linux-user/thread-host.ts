// Several guest threads on one host thread (issue 18): every guest thread used to be a worker
// (a V8 isolate: ~100 ms of CPU and ~14 MiB to start), so 8 compute threads on 2 host cores
// spent most of their time starting. Now a thread a worker clones stays on that worker, which
// runs its threads in turn (each cpu.run is one slice, as -smp N with thread=single), and:
//   - a futex wait or a nanosleep of a thread that shares its worker is parked there
//     (cpu-loop.ts cpuLoopHosted): the worker runs the others and looks at the wait between
//     their turns, and sleeps on KernelWord.FUTEX_GEN (moved by every futex wake) when all of
//     its threads are parked;
//   - a thread about to make another system call that may block (read, wait4, anything not in
//     the list below) while it shares its worker leaves it first: the worker hands it, still
//     at its ecall, to a new worker of its own (it blocks there alone, as before);
//   - a worker whose threads stayed runnable for REBALANCE_MS while fewer workers than host
//     cores run guest code gives half of them to a new worker (started as a spare when that
//     wait began: ThreadHost.wantSpare, so it has loaded by then).
// So each host core gets a worker, and only threads that block cost one of their own.
// What a hosted thread shares with the others on its worker: the host thread's attributes
// (caps, keepcaps: inherited at clone, and changing them is not in the list), the translated
// blocks (one cache per memory: runtimeOf), the host SIGBUS slot (bus faults are taken for the
// thread that ran, one slice late at most).
import { NR } from './syscall-nr.js';
import type { TaskState } from './qemu.js';
import { KernelWord } from './layout.js';

const CLONE_VM = 0x100, CLONE_THREAD = 0x10000;
const FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5, FUTEX_WAKE_BITSET = 10;

/** Calls that never block and only touch the guest's memory, the kernel area or this thread's
 * state block: a thread sharing its worker makes them there. */
const NEVER_BLOCK = new Set<number>([
  NR.getpid, NR.getppid, NR.gettid, NR.getuid, NR.geteuid, NR.getgid, NR.getegid,
  NR.clock_gettime, NR.clock_getres, NR.gettimeofday, NR.times, NR.uname,
  NR.brk, NR.mmap, NR.munmap, NR.mprotect, NR.madvise, NR.mremap, NR.membarrier, NR.riscv_flush_icache,
  NR.riscv_hwprobe, NR.set_tid_address, NR.set_robust_list, NR.get_robust_list, NR.rseq,
  NR.rt_sigprocmask, NR.rt_sigreturn, NR.sigaltstack, NR.sched_yield, NR.sched_getaffinity,
  NR.tgkill, NR.tkill, NR.getrandom, NR.exit, NR.exit_group,
]);
const FUTEX_NEVER_BLOCK = new Set([FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_WAKE_BITSET]);
/** fcntl F_GETFD, F_SETFD, F_GETFL, F_SETFL (not the lock commands: they wait). */
const FCNTL_NEVER_BLOCK = new Set([1, 2, 3, 4]);

/** The system call at this thread's ecall (a7, a0...) may block, or changes what its host
 * thread is: it must be made by a worker running no other guest thread. */
export function mayBlock(ts: TaskState): boolean {
  const nr = Number(ts.reg(17));
  if (NEVER_BLOCK.has(nr)) return false;
  if (nr === NR.futex) return !FUTEX_NEVER_BLOCK.has(Number(ts.reg(11) & 0x7fn));
  if (nr === NR.fcntl) return !FCNTL_NEVER_BLOCK.has(Number(ts.reg(11) & 0xffffffffn));
  if (nr === NR.clone) return (Number(ts.reg(10) & 0xffffffffn) & (CLONE_VM | CLONE_THREAD)) !== (CLONE_VM | CLONE_THREAD);
  if (nr === NR.clone3) {
    try {
      const flags = Number(ts.mm.u64(Number(ts.reg(10))) & 0xffffffffn);
      return (flags & (CLONE_VM | CLONE_THREAD)) !== (CLONE_VM | CLONE_THREAD);
    } catch { return true; } // a bad pointer: its EFAULT comes from the thread's own worker
  }
  return true;
}

/** Workers running guest code now, plus those asked for and not started (KernelWord.ONCPU):
 * a worker adds itself when it starts and leaves while it is in a system call. */
export function onCpuAdd(ts: TaskState, n: number): void {
  Atomics.add(ts.mm.kw, KernelWord.ONCPU, n);
}

export function onCpuCount(ts: TaskState): number {
  return Atomics.load(ts.mm.kw, KernelWord.ONCPU);
}

/** How much CPU (ms) a worker spends running several threads while a host core idles before
 * it gives half of them to a new worker: about what starting one costs, so a split that was
 * not worth it (the threads were about to end) wastes at most as much again; and a program that
 * starts its threads in a loop has started them all by then (an even split). */
export const REBALANCE_MS = 100;
/** ... when a spare worker waits, loaded (KernelWord.SPARES): the split costs a few ms then
 * (the threads' state blocks and the translations move), so it comes sooner. */
export const SPARE_REBALANCE_MS = 10;

/** System calls a thread makes in one turn before the next thread's (a slice ends a turn). */
export const TURN_CALLS = 256;
/** ... or for this long (ms): a thread making costly calls (mmap, munmap of large ranges)
 * leaves the others their share. */
export const TURN_MS = 2;

/** A worker whose threads are all parked in futex waits wakes this often (at most) to look at
 * their deadlines and signals (a wake ends its sleep at once). */
export const PARK_SLICE_MS = 20;
