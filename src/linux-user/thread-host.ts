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
import { guestNonblock, POLLOUT, readyNow } from './blocking.js';

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
  NR.tgkill, NR.tkill, NR.getrandom, NR.exit, NR.exit_group, NR.getrlimit, NR.prlimit64,
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
  if (nr === NR.write || nr === NR.writev || nr === NR.pwrite64 || nr === NR.pwritev) return writeMayBlock(ts, nr);
  if (nr === NR.clone) return (Number(ts.reg(10) & 0xffffffffn) & (CLONE_VM | CLONE_THREAD)) !== (CLONE_VM | CLONE_THREAD);
  if (nr === NR.clone3) return false; // ENOSYS, as QEMU's
  return true;
}

const S_IFMT = 0o170000n, S_IFREG = 0o100000n, S_IFBLK = 0o60000n, S_IFIFO = 0o10000n, S_IFCHR = 0o20000n, S_IFSOCK = 0o140000n;
/** A write this size or smaller to a pipe that has room is done at once (pipe(7) PIPE_BUF: it
 * takes one free buffer, which POLLOUT promises). */
const PIPE_BUF = 4096;

/** A write (write, writev, pwrite64, pwritev) may wait unless it goes to a regular file or a
 * block device, the guest made the fd non-blocking (EAGAIN rather than a wait), or it is at
 * most PIPE_BUF bytes to a pipe, a character device or a Unix stream socket (what Node's
 * child_process gives as stdout) ready for writing now (a Go program's output: moving its
 * thread to a worker of its own for one line cost an isolate, ~12 MiB). Other sockets keep the
 * move (TCP may take part of a small write and wait for the rest). */
function writeMayBlock(ts: TaskState, nr: number): boolean {
  let h: number;
  try { h = ts.fdt.host(Number(ts.reg(10) & 0xffffffffn) | 0); } catch { return false; } // EBADF at once
  let type: bigint;
  try { type = ts.fs.fstat(h).mode & S_IFMT; } catch { return true; }
  if (type === S_IFREG || type === S_IFBLK) return false;
  if (type === S_IFSOCK ? !unixStream(ts, h) : type !== S_IFIFO && type !== S_IFCHR) return true;
  if (guestNonblock(ts, h)) return false;
  let size = 0;
  if (nr === NR.write || nr === NR.pwrite64) size = Number(ts.reg(12));
  else {
    const iov = Number(ts.reg(11)), cnt = Number(ts.reg(12));
    if (cnt > 1024) return false; // EINVAL at once
    try {
      for (let i = 0; i < cnt && size <= PIPE_BUF; i++) size += Number(ts.mm.u64(iov + i * 16 + 8));
    } catch { return false; } // EFAULT at once
  }
  return size > PIPE_BUF || !readyNow(ts, h, POLLOUT);
}

/** Is host socket `h` AF_UNIX SOCK_STREAM? (Ready for writing, it takes a small write whole:
 * POLLOUT means at most a quarter of its send buffer is in use.) */
function unixStream(ts: TaskState, h: number): boolean {
  if (!ts.sys) return false;
  const v = new Uint8Array(4), len = new Int32Array([4]);
  const opt = (o: number) => (len[0] = 4, ts.sys!.getsockopt(h, SOL_SOCKET, o, v, len) < 0 ? -1 : new DataView(v.buffer).getInt32(0, true));
  return opt(SO_DOMAIN) === AF_UNIX && opt(SO_TYPE) === SOCK_STREAM;
}
const SOL_SOCKET = 1, SO_TYPE = 3, SO_DOMAIN = 39, AF_UNIX = 1, SOCK_STREAM = 1;

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
/** How long (ms of the worker's CPU) that imbalance lasts before the spare for the split is
 * started: an isolate is ~12 MiB of RSS and ~0.1 s of CPU, and a Go program's threads are
 * runnable together in short bursts that never last to a split (it was started at the first
 * one; its load still ends before REBALANCE_MS on the idle core). */
export const SPARE_AFTER_MS = 30;
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
