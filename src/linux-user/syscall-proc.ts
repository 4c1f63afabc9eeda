// Process information and time: ids, uname, sysinfo, rlimits, rusage, clocks, sleeps, random.
import { nowMs } from './clock.js';
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { waitForSignal } from './signal.js';
import { KernelWord, MAX_FDS, TID_STRIDE } from './layout.js';
import { check } from './blocking.js';
import { askHostFd } from './fd-request.js';
import { hostWho } from './syscall-sched.js';
import { EACCES, pgidAskChild } from './pgid-request.js';

/** setpgid on the host's groups; a forked child before its exec is asked to do it itself
 * (pgid-request.ts: the host sees an exec'd Node and says EACCES). */
function setpgid(ts: TaskState, pid: number, pgid: number): number {
  if (!ts.sys) return 0;
  const r = ts.sys.procIds(1, pid, pgid);
  if (r !== EACCES || pid <= 0 || pid === ts.proc.pid) return check(r);
  return check(pgidAskChild(ts, ts.sys, pid, pgid) ?? r);
}

function uname(ts: TaskState, buf: number): number {
  const fields = ['Linux', ts.proc.hostname, ts.proc.release, ts.proc.version ?? '#1 SMP', 'riscv64', '(none)'];
  const b = new Uint8Array(65 * 6);
  const enc = new TextEncoder();
  fields.forEach((f, i) => b.set(enc.encode(f).subarray(0, 64), i * 65));
  ts.mm.write(buf, b);
  return 0;
}

const RLIM_INFINITY = 0xffffffffffffffffn;
/** Limits as a usual Linux session has them: (soft, hard) per resource. */
const RLIMITS: Array<[bigint, bigint]> = [
  [RLIM_INFINITY, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY],
  [8n << 20n, RLIM_INFINITY], [0n, RLIM_INFINITY], [RLIM_INFINITY, RLIM_INFINITY],
  [63338n, 63338n], [1024n, 1024n], [8n << 20n, 8n << 20n], [RLIM_INFINITY, RLIM_INFINITY],
  [RLIM_INFINITY, RLIM_INFINITY], [63338n, 63338n], [819200n, 819200n], [0n, 0n], [0n, 0n],
  [RLIM_INFINITY, RLIM_INFINITY],
];

const RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_NOFILE = 7, RLIMIT_AS = 9;

/** The host's limits (the addon), as QEMU passes them through, except: RLIMIT_NOFILE is the
 * guest fd table's own (from the host's, at most MAX_FDS), and setting AS, DATA or STACK only
 * pretends (they would bound the emulator, not the guest). Without the addon: a usual session's. */
function prlimit(ts: TaskState, pid: number, res: number, newp: number, oldp: number): number {
  if (pid !== 0 && pid !== ts.proc.pid) throw new SyscallError(Errno.EPERM);
  if (res < 0 || res >= RLIMITS.length) throw new SyscallError(Errno.EINVAL);
  const cur = new BigUint64Array(2);
  if (ts.sys) {
    const r = ts.sys.prlimit(res, null, cur);
    if (r < 0) throw new SyscallError(-r);
  } else cur.set(RLIMITS[res]);
  if (res === RLIMIT_NOFILE) {
    if (cur[1] > BigInt(MAX_FDS)) cur[1] = BigInt(MAX_FDS);
    cur[0] = BigInt(ts.fdt.limit);
  }
  const next = newp !== 0 ? [ts.mm.u64(newp), ts.mm.u64(newp + 8)] : null;
  if (next && next[0] > next[1]) throw new SyscallError(Errno.EINVAL);
  if (oldp !== 0) {
    ts.mm.setU64(oldp, cur[0]);
    ts.mm.setU64(oldp + 8, cur[1]);
  }
  if (!next) return 0;
  if (res === RLIMIT_NOFILE) {
    if (next[1] > cur[1]) throw new SyscallError(Errno.EPERM);
    ts.fdt.limit = Number(next[0] > BigInt(MAX_FDS) ? BigInt(MAX_FDS) : next[0]);
  } else if (res === RLIMIT_AS || res === RLIMIT_DATA || res === RLIMIT_STACK || !ts.sys) {
    RLIMITS[res] = [next[0], next[1]];
  } else {
    const r = ts.sys.prlimit(res, BigUint64Array.from(next), null);
    if (r < 0) throw new SyscallError(-r);
  }
  return 0;
}

function writeTimespec(ts: TaskState, addr: number, ns: bigint): void {
  ts.mm.setU64(addr, ns / 1000000000n);
  ts.mm.setU64(addr + 8, ns % 1000000000n);
}

function clockNs(ts: TaskState, clk: number): bigint {
  switch (clk) {
    case 0: case 5: case 8: case 11: return ts.proc.realtimeNs(); // REALTIME(_COARSE), _ALARM, TAI
    case 1: case 4: case 6: case 7: case 9: return ts.proc.monotonicNs(); // MONOTONIC*, BOOTTIME*
    case 2: case 3: return ts.proc.cpuTimeNs(); // PROCESS/THREAD_CPUTIME_ID
  }
  // A CPU clock of a process or thread (clock_getcpuclockid, pthread_getcpuclockid): ~id << 3 |
  // per-thread 4 | PROF 0, VIRT 1, SCHED 2. Ours (id 0, our pid, our threads' tids): the
  // process's CPU time; another process's is not known here.
  if (clk < 0 && (clk & 3) !== 3) {
    const id = ~(clk >> 3), pid = ts.proc.pid;
    if (id === 0 || id === pid || (clk & 4 && id > pid && (id - pid) % TID_STRIDE === 0)) return ts.proc.cpuTimeNs();
  }
  throw new SyscallError(Errno.EINVAL);
}

/** Sleep `ns`; wakes early (EINTR) for a deliverable signal, writing what was left to `rem`. */
function sleepNs(ts: TaskState, ns: bigint, rem: number): number {
  if (ns <= 0n) return 0;
  const ms = Number(ns) / 1e6;
  const start = nowMs();
  if (waitForSignal(ts, ms)) {
    let left = BigInt(Math.max(0, Math.round((ms - (nowMs() - start)) * 1e6)));
    if (left >= ns) left = ns - 1n; // (some time has passed)
    if (rem !== 0) writeTimespec(ts, rem, left);
    throw new SyscallError(Errno.EINTR);
  }
  return 0;
}

function readTimespec(ts: TaskState, addr: number): bigint {
  const sec = BigInt.asIntN(64, ts.mm.u64(addr)), nsec = BigInt.asIntN(64, ts.mm.u64(addr + 8));
  if (sec < 0n || nsec < 0n || nsec >= 1000000000n) throw new SyscallError(Errno.EINVAL);
  return sec * 1000000000n + nsec;
}

function clockNanosleep(ts: TaskState, clk: number, flags: number, req: number, rem: number): number {
  // A thread's CPU clock cannot be slept on: Linux's CLOCK_THREAD_CPUTIME_ID has no nsleep
  // (EOPNOTSUPP; glibc's wrapper says EINVAL), a per-thread clock id is EINVAL.
  if (clk === 3) throw new SyscallError(Errno.EOPNOTSUPP);
  if (clk < 0 && clk & 4) throw new SyscallError(Errno.EINVAL);
  let ns = readTimespec(ts, req);
  if (flags & 1) ns -= clockNs(ts, clk); // TIMER_ABSTIME
  return sleepNs(ts, ns, flags & 1 ? 0 : rem);
}

function sysinfo(ts: TaskState, buf: number): number {
  const b = new Uint8Array(112);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, ts.proc.monotonicNs() / 1000000000n, true);
  dv.setBigUint64(32, 4n << 30n, true); // totalram
  dv.setBigUint64(40, 2n << 30n, true); // freeram
  dv.setUint16(80, 100, true); // procs
  dv.setUint32(104, 1, true); // mem_unit
  ts.mm.write(buf, b);
  return 0;
}

/** The host's getrusage, as QEMU passes it on (the emulator's own RSS and faults: the guest's
 * process is this one); without the addon, only the CPU time of RUSAGE_SELF and _THREAD. */
function getrusage(ts: TaskState, who: number, buf: number): number {
  if (who !== 0 && who !== -1 && who !== 1) throw new SyscallError(Errno.EINVAL);
  const b = new Uint8Array(144);
  if (ts.sys?.rusage) {
    check(ts.sys.rusage(who, b));
  } else if (who !== -1) {
    const dv = new DataView(b.buffer), cpu = ts.proc.cpuTimeNs();
    dv.setBigInt64(0, cpu / 1000000000n, true);
    dv.setBigInt64(8, (cpu % 1000000000n) / 1000n, true);
  }
  ts.mm.write(buf, b);
  return 0;
}

function times(ts: TaskState, buf: number): bigint {
  if (buf !== 0) {
    // struct tms in clock ticks (100 Hz): user, system, waited-for children's user, system.
    const t = [ts.proc.cpuTimeNs() / 10000000n, 0n, 0n, 0n];
    const ru = new Uint8Array(144), dv = new DataView(ru.buffer);
    const ticks = (off: number) => dv.getBigInt64(off, true) * 100n + dv.getBigInt64(off + 8, true) / 10000n;
    if (ts.sys?.rusage && ts.sys.rusage(0, ru) === 0) { t[0] = ticks(0); t[1] = ticks(16); }
    if (ts.sys?.rusage && ts.sys.rusage(-1, ru) === 0) { t[2] = ticks(0); t[3] = ticks(16); }
    for (let i = 0; i < 4; i++) ts.mm.setU64(buf + i * 8, t[i]);
  }
  return ts.proc.monotonicNs() / 10000000n;
}

const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
function getrandom(ts: TaskState, buf: number, len: number, flags: number): number {
  // Linux's flag checks (GRND_INSECURE with GRND_RANDOM is EINVAL too).
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) || (flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) throw new SyscallError(Errno.EINVAL);
  const n = Math.min(len, 33554431);
  for (let done = 0; done < n; done += 65536) {
    const chunk = Math.min(65536, n - done);
    ts.mm.write(buf + done, ts.proc.randomBytes(chunk));
  }
  return n;
}

/** getpriority (op 0: 20 - nice, as the system call returns it) and setpriority (op 1): the
 * host's, as qemu-riscv64 passes them on (nice(3) is these two). The calling thread's own tid
 * is 0 (its host thread); another thread of ours is the host process. Without the addon: nice 0
 * and no change, as before. */
function priority(ts: TaskState, op: number, which: number, who: number, prio: number): number {
  if (!ts.sys?.priority) return op === 0 ? 20 : 0;
  return check(ts.sys.priority(op, which, which === 0 ? hostWho(ts, who) : who, prio));
}

const id = (f: (ts: TaskState) => number) => (ts: TaskState) => f(ts);

/** kcmp: the host's, as QEMU passes it through. Guest pids are host pids (our own threads' tids
 * name this process); KCMP_FILE's fds are each process's guest fds, turned into host fds here
 * (another emulator's by asking it: fd-request.ts). KCMP_EPOLL_TFD takes a pointer: refused. */
function kcmp(ts: TaskState, pid1: number, pid2: number, type: number, idx1: number, idx2: number): number {
  const sys = ts.sys;
  if (!sys?.kcmp) throw new SyscallError(Errno.ENOSYS);
  const KCMP_FILE = 0, KCMP_EPOLL_TFD = 7;
  if (type === KCMP_EPOLL_TFD) throw new SyscallError(Errno.EOPNOTSUPP);
  const who = (pid: number) => (pid > 0 ? hostWho(ts, pid) || ts.proc.pid : pid);
  const p1 = who(pid1), p2 = who(pid2);
  if (type === KCMP_FILE) {
    // An fd the process does not have: -1, which the host finds bad (EBADF) after its pid checks.
    const hostFd = (pid: number, g: number): number => {
      if (pid !== ts.proc.pid) { const h = askHostFd(ts, sys, pid, g); return h < 0 ? -1 : h; }
      try { return ts.fdt.host(g); } catch { return -1; }
    };
    idx1 = hostFd(p1, idx1);
    idx2 = hostFd(p2, idx2);
  }
  return check(sys.kcmp(p1, p2, type, idx1, idx2));
}

/** unshare: the emulator's host process is multi-threaded (Node's threads, as QEMU's are), so the
 * host says EINVAL to a new user namespace and to CLONE_THREAD/SIGHAND/VM, and that is what
 * qemu-riscv64's guest sees (LTP's tst_net then skips: TCONF). Other namespaces would move the
 * whole emulator's host process: refused (EINVAL) too. CLONE_FS, CLONE_FILES and CLONE_SYSVSEM
 * have nothing shared to unshare while the guest has one thread; with more, refused (EINVAL). */
function unshare(ts: TaskState, flags: number): number {
  const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800, CLONE_THREAD = 0x10000;
  const CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_NEWCGROUP = 0x2000000, CLONE_NEWUTS = 0x4000000;
  const CLONE_NEWIPC = 0x8000000, CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_NEWTIME = 0x80;
  const known = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_NEWNS | CLONE_SYSVSEM |
    CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME;
  if (flags & ~known) throw new SyscallError(Errno.EINVAL);
  if (flags & ~(CLONE_FS | CLONE_FILES | CLONE_SYSVSEM)) throw new SyscallError(Errno.EINVAL);
  if (flags !== 0 && Atomics.load(ts.mm.kw, KernelWord.THREAD_COUNT) > 1) throw new SyscallError(Errno.EINVAL);
  return 0;
}

export const PROC_SYSCALLS: SyscallTable = [
  [NR.unshare, (ts, a) => unshare(ts, int(a[0]))],
  [NR.kcmp, (ts, a) => kcmp(ts, int(a[0]), int(a[1]), int(a[2]), int(a[3]), int(a[4]))],
  [NR.getpid, id((ts) => ts.proc.pid)],
  [NR.getppid, id((ts) => ts.proc.ppid)],
  [NR.gettid, id((ts) => ts.tid)],
  [NR.getuid, id((ts) => ts.proc.uid)],
  [NR.geteuid, id((ts) => ts.proc.euid)],
  [NR.getgid, id((ts) => ts.proc.gid)],
  [NR.getegid, id((ts) => ts.proc.egid)],
  // getresuid, getgroups, set*id, capget/capset and prctl: syscall-cred.ts.
  // The host's process groups and sessions (guest pids are host pids); without the addon: the pid.
  [NR.setsid, (ts) => ts.sys ? check(ts.sys.procIds(3, 0, 0)) : ts.proc.pid],
  [NR.getsid, (ts, a) => ts.sys ? check(ts.sys.procIds(2, int(a[0]), 0)) : ts.proc.pid],
  [NR.getpgid, (ts, a) => ts.sys ? check(ts.sys.procIds(0, int(a[0]), 0)) : ts.proc.pid],
  [NR.setpgid, (ts, a) => setpgid(ts, int(a[0]), int(a[1]))],
  [NR.uname, (ts, a) => uname(ts, ptr(a[0]))],
  [NR.sysinfo, (ts, a) => sysinfo(ts, ptr(a[0]))],
  [NR.prlimit64, (ts, a) => prlimit(ts, int(a[0]), int(a[1]), ptr(a[2]), ptr(a[3]))],
  [NR.getrlimit, (ts, a) => prlimit(ts, 0, int(a[0]), 0, ptr(a[1]))],
  [NR.setrlimit, (ts, a) => prlimit(ts, 0, int(a[0]), ptr(a[1]), 0)],
  [NR.getrusage, (ts, a) => getrusage(ts, int(a[0]), ptr(a[1]))],
  [NR.rseq, () => -Errno.ENOSYS],
  [NR.getrandom, (ts, a) => getrandom(ts, ptr(a[0]), ptr(a[1]), int(a[2]))],
  [NR.clock_gettime, (ts, a) => { writeTimespec(ts, ptr(a[1]), clockNs(ts, int(a[0]))); return 0; }],
  [NR.clock_getres, (ts, a) => { clockNs(ts, int(a[0])); if (a[1] !== 0n) writeTimespec(ts, ptr(a[1]), 1n); return 0; }],
  [NR.clock_nanosleep, (ts, a) => clockNanosleep(ts, int(a[0]), int(a[1]), ptr(a[2]), ptr(a[3]))],
  [NR.nanosleep, (ts, a) => sleepNs(ts, readTimespec(ts, ptr(a[0])), ptr(a[1]))],
  [NR.gettimeofday, (ts, a) => {
    if (a[0] !== 0n) {
      const ns = ts.proc.realtimeNs();
      ts.mm.setU64(ptr(a[0]), ns / 1000000000n);
      ts.mm.setU64(ptr(a[0]) + 8, (ns % 1000000000n) / 1000n);
    }
    if (a[1] !== 0n) ts.mm.write(ptr(a[1]), new Uint8Array(8)); // struct timezone: Linux's sys_tz, zeros unless set
    return 0;
  }],
  [NR.times, (ts, a) => times(ts, ptr(a[0]))],
  [NR.sched_yield, () => 0],
  [NR.sched_getaffinity, (ts, a) => {
    const len = ptr(a[1]);
    if (len < 8) throw new SyscallError(Errno.EINVAL);
    ts.mm.setU64(ptr(a[2]), 1n);
    return 8;
  }],
  [NR.sched_setaffinity, () => 0],
  [NR.getpriority, (ts, a) => priority(ts, 0, int(a[0]), int(a[1]), 0)],
  [NR.setpriority, (ts, a) => priority(ts, 1, int(a[0]), int(a[1]), int(a[2]))],
  [NR.personality, () => 0],
  [NR.get_mempolicy, () => -Errno.ENOSYS],
  [NR.getcpu, (ts, a) => { if (a[0] !== 0n) ts.mm.setU32(ptr(a[0]), 0); if (a[1] !== 0n) ts.mm.setU32(ptr(a[1]), 0); return 0; }],
  // QEMU's answer (robust futex lists need the kernel to walk them at thread death).
  [NR.set_robust_list, () => -38],
  [NR.get_robust_list, () => -Errno.ENOSYS],
  [NR.clock_settime, () => -Errno.EPERM],
];
