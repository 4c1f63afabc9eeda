// Processes: fork/vfork (a real host child emulator resuming a copy of this process), execve
// of riscv64 programs and #! scripts (inside this emulator: no binfmt_misc), wait4, waitid.
import { highReset } from './high-map.js';
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, KEEP_REGS, ptr, type SyscallTable } from './syscall-types.js';
import { AT_FDCWD, type TaskState } from './qemu.js';
import type { HostFs } from './host.js';
import {
  FD_TABLE_OFFSET, GUEST_PAGES, PageFlag, HOST_NONBLOCK_OFFSET, HOST_OFFSETS_OFFSET, KernelWord, KWORDS_OFFSET, MAX_FDS, MAX_THREADS, PIDFD_PIDS_OFFSET,
  MAX_HOST_FDS, NbState, SIGACTION_OFFSET, THREAD_WORDS, THREADS_OFFSET, ThreadState, ThreadWord,
} from './layout.js';
import { saveProcessImage } from './process-image.js';
import { guestNonblock } from './blocking.js';
import { unshareRange } from './syscall-mem.js';
import { isRiscv64Elf, loadExec, parseElf } from './elfload.js';
import { getAction, mapSigtramp, raiseProcessSignal } from './signal.js';
import { rtClear } from './sigqueue.js';
import { clearPosixTimers } from './posix-timers.js';
import { forgetShm } from './syscall-sysv.js';
import { extentFds } from './shared-map.js';
import { threadAttrsOf } from './syscall-cred.js';
import { currentCwd } from './syscall-path.js';
import { askHostFd } from './fd-request.js';
import { remapSignalfds } from './signalfd.js';
import type { GuestMM } from './mmap.js';

const CLONE_VFORK = 0x4000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000, CLONE_PARENT_SETTID = 0x100000;

export function readWholeFile(fs: HostFs, path: string): Uint8Array {
  const fd = fs.open(path, 0, 0);
  try {
    const size = Number(fs.fstat(fd).size);
    const buf = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = fs.read(fd, buf.subarray(done), done);
      if (n <= 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally { fs.close(fd); }
}

/** fork: the child gets a0 = 0 at the next instruction, our fds at the same numbers. */
export function forkProcess(ts: TaskState, flags: number, newsp: number, ptid: number, _tls: bigint, ctid: number): number {
  const env = ts.env;
  const savedPc = env.pc, savedA0 = env.getGpr(10), savedSp = env.getGpr(2);
  const savedClear = ts.words[ThreadWord.CLEAR_TID];
  // Prepare the child's view of this thread, snapshot, then restore ours.
  env.pc = savedPc + 4n;
  env.setGpr(10, 0n);
  if (newsp !== 0) env.setGpr(2, BigInt(newsp));
  ts.words[ThreadWord.CLEAR_TID] = flags & CLONE_CHILD_CLEARTID ? ctid : 0;
  // CLONE_CHILD_SETTID: the child's own tid (its pid) goes to ctid; the child does it at resume.
  ts.mm.kw[KernelWord.EXIT_STATUS] = flags & CLONE_CHILD_SETTID ? ctid : 0;
  let image: Uint8Array;
  // Shared objects (shared-map.ts) go to the child as descriptors of their own, taken with the
  // image under the mm lock (another thread's munmap may close the mapping's own at once).
  let maps: number[] = [], mapFds: number[] = [];
  ts.mm.lock();
  try {
    image = saveProcessImage(ts.mm, env.base, ts.slot, ts.exe, ts.sys?.residentPages);
    maps = extentFds(ts.mm);
    mapFds = maps.map((fd) => ts.sys?.dup(fd) ?? -1);
  } finally {
    ts.mm.unlock();
    env.pc = savedPc;
    env.setGpr(10, savedA0);
    env.setGpr(2, savedSp);
    ts.words[ThreadWord.CLEAR_TID] = savedClear;
    ts.mm.kw[KernelWord.EXIT_STATUS] = 0;
  }
  const pid = ts.proc.spawnChild({ image, fds: ts.fdt.snapshot(), cwd: cwdForChild(ts), vfork: (flags & CLONE_VFORK) !== 0, maps, mapFds, attrs: threadAttrsOf(ts.sys) });
  if (flags & CLONE_PARENT_SETTID) ts.mm.setU32(ptid, pid);
  return pid;
}

/** The cwd a child or host program starts in: the directory's current name; once removed, the
 * directory itself through our descriptor of it (the child's chdir follows /proc's link; on
 * Linux a child shares the removed cwd: getcwd ENOENT, no new files), else its old name or /. */
function cwdForChild(ts: TaskState): string {
  try { return currentCwd(ts); } catch {
    const h = ts.mm.kw[KernelWord.CWD_FD] - 1;
    return h >= 0 ? `/proc/${ts.proc.pid}/fd/${h}` : ts.fdt.cwd || '/';
  }
}

/** In a forked child, after the image is loaded: one thread (slot 0 = tid pid), fds at their
 * guest numbers (or where `hostFds` says: a fork server's child), no pending signals.
 * `parentSlot` is the slot the parent forked from. */
export function fixupForkedChild(mm: GuestMM, parentSlot: number, pid: number, hostFds?: Int32Array): void {
  const buf = mm.memory.buffer;
  const hostOf = new Int32Array(buf, FD_TABLE_OFFSET, MAX_FDS);
  const offsets = new Float64Array(buf, HOST_OFFSETS_OFFSET, MAX_HOST_FDS);
  const old = Float64Array.from(offsets);
  const oldHost = Int32Array.from(hostOf);
  const nb = new Uint8Array(buf, HOST_NONBLOCK_OFFSET, MAX_HOST_FDS);
  const oldNb = Uint8Array.from(nb);
  offsets.fill(0);
  nb.fill(NbState.UNKNOWN);
  const newHost = (g: number) => (hostFds ? (g < hostFds.length ? hostFds[g] : -1) : g);
  for (let g = 0; g < MAX_FDS; g++) {
    if (oldHost[g] === 0) continue;
    const n = newHost(g);
    hostOf[g] = n + 1; // 0 (closed) if the fork server lost it
    if (n < 0) continue;
    const h = oldHost[g] - 1;
    if (h < old.length && old[h] !== 0 && n < offsets.length) offsets[n] = old[h];
    // The guest's O_NONBLOCK moves with the fd; the parent's inherited 0-2 were blocking.
    if (h < oldNb.length && n < nb.length) nb[n] = oldNb[h] !== NbState.UNKNOWN || h > 2 ? oldNb[h] : NbState.BLOCKING;
  }
  const words = new Int32Array(buf, THREADS_OFFSET, MAX_THREADS * THREAD_WORDS);
  const mine = words.slice(parentSlot * THREAD_WORDS, (parentSlot + 1) * THREAD_WORDS);
  words.fill(0);
  words.set(mine, 0);
  words[ThreadWord.TID] = pid;
  words[ThreadWord.STATE] = ThreadState.RUNNING;
  words[ThreadWord.PENDING_LO] = 0;
  words[ThreadWord.PENDING_HI] = 0;
  words[ThreadWord.RPC_STATE] = 0;
  const kw = new Int32Array(buf, KWORDS_OFFSET, 16);
  const setTid = kw[KernelWord.EXIT_STATUS] >>> 0;
  for (const w of [KernelWord.MM_LOCK, KernelWord.FD_LOCK, KernelWord.SIG_LOCK, KernelWord.PENDING_LO,
    KernelWord.PENDING_HI, KernelWord.EXIT_STATUS, KernelWord.EXITING]) kw[w] = 0;
  kw[KernelWord.THREAD_COUNT] = 1;
  new Int32Array(buf, KWORDS_OFFSET, KernelWord.CWD_FD + 1)[KernelWord.CWD_FD] = 0; // the parent's host fd
  pidfdPids(mm).fill(0); // host fd numbers change in the child
  mm.kw[KernelWord.EXECED] = 0; // a new child has not exec'd (its parent may have)
  remapSignalfds(mm, (g) => oldHost[g] - 1, MAX_FDS, hostFds ? newHost : undefined);
  rtClear(mm); // a child starts with no pending signals, and no POSIX timers
  clearPosixTimers(mm);
  // Interval timers are not inherited by a child (they are across execve).
  new Int32Array(buf, KWORDS_OFFSET + KernelWord.ITIMERS * 4, KernelWord.CHLD_STATUS - KernelWord.ITIMERS + 1).fill(0);
  if (setTid !== 0 && mm.accessOk(setTid, 4, 2)) mm.setU32(setTid, pid);
  // Host-shared pages are not the parent's objects here until the caller maps them again
  // (SysV: reattachShm; MAP_SHARED: shared-map.ts mapExtentsInChild).
  for (let p = 0; p < GUEST_PAGES; p++) mm.pages[p] &= ~PageFlag.SHARED;
}

/** Read a program for execve, following one #! line. Returns the ELF bytes and final argv. */
type Resolved = { bytes: Uint8Array; argv: string[]; exe: string } | { hostPath: string };

function resolveExec(ts: TaskState, path: string, argv: string[]): Resolved {
  const host = ts.hostPath(AT_FDCWD, path);
  ts.fs.access(host, 1);
  const bytes = readWholeFile(ts.fs, host);
  if (bytes[0] === 0x23 && bytes[1] === 0x21) {
    const end = bytes.indexOf(10);
    const line = new TextDecoder().decode(bytes.subarray(2, end < 0 ? Math.min(bytes.length, 256) : end)).trim();
    const sp = line.search(/[ \t]/);
    const interp = sp < 0 ? line : line.slice(0, sp);
    const arg = sp < 0 ? '' : line.slice(sp).trim();
    if (interp === '') throw new SyscallError(Errno.ENOEXEC);
    const ibytes = readWholeFile(ts.fs, ts.hostPath(AT_FDCWD, interp));
    if (!isRiscv64Elf(ibytes)) return { hostPath: host }; // a host interpreter runs it
    return { bytes: ibytes, argv: [interp, ...(arg ? [arg] : []), path, ...argv.slice(1)], exe: interp };
  }
  if (!isRiscv64Elf(bytes)) return { hostPath: host };
  return { bytes, argv, exe: path };
}

function execve(ts: TaskState, pathp: number, argvp: number, envpp: number): typeof KEEP_REGS {
  const path = ts.mm.cstring(pathp);
  const argv = ts.mm.stringArray(argvp);
  const envp = ts.mm.stringArray(envpp);
  const r = resolveExec(ts, path, argv);
  if ('hostPath' in r) {
    // The cwd's descriptor is closed by the exec: a host #! interpreter needs a real path.
    const h = ts.mm.kw[KernelWord.CWD_FD] - 1, viaCwd = `/proc/self/fd/${h}/`;
    const hp = h >= 0 && r.hostPath.startsWith(viaCwd) ? cwdForChild(ts).replace(/\/$/, '') + '/' + r.hostPath.slice(viaCwd.length) : r.hostPath;
    return hostExec(ts, hp, argv, envp);
  }
  parseElf(r.bytes);
  // Point of no return: this process image goes away.
  ts.rpc.stopOtherThreads(ts.slot);
  const mm = ts.mm;
  mm.lock();
  unshareRange(ts, 0, GUEST_PAGES * 4096);
  mm.pages.fill(0, 0, GUEST_PAGES);
  highReset(mm); // its memory was in the low pages just cleared
  mm.flushAllTlbs();
  mm.unlock();
  mm.onUnmap(0, 0);
  ts.fdt.closeOnExec();
  ts.dirStreams.clear();
  for (let sig = 1; sig <= 64; sig++) {
    const act = getAction(mm, sig);
    if (act.handler > 1n) mm.view.setBigUint64(STATE_SIGACTION(sig), 0n, true);
  }
  clearPosixTimers(mm);
  forgetShm(mm);
  ts.words[ThreadWord.ALTSTACK_SIZE] = 0;
  ts.words[ThreadWord.ALTSTACK_FLAGS] = 2;
  ts.words[ThreadWord.CLEAR_TID] = 0;
  const link = ts.procNode(AT_FDCWD, r.exe);
  const exe = link?.kind === 'link' ? link.target : ts.absolute(r.exe);
  const img = loadExec(mm, {
    program: r.bytes,
    readInterp: (p) => readWholeFile(ts.fs, ts.sysrootPath(p)),
    argv: r.argv, envp, execfn: r.exe,
    ids: { uid: ts.proc.uid, euid: ts.proc.euid, gid: ts.proc.gid, egid: ts.proc.egid },
    random: ts.proc.randomBytes(16),
  });
  mapSigtramp(mm);
  resetRegisters(ts, BigInt(img.entry), BigInt(img.sp));
  ts.exe = exe;
  Atomics.store(mm.kw, KernelWord.EXECED, 1);
  ts.rpc.execed?.();
  return KEEP_REGS;
}

/** execve of a host program or a script for a host interpreter: the host runs it in this
 * process (QEMU passes such an execve to the host kernel), with the guest's descriptors at the
 * guest's numbers, its cwd, ignored signals and blocked mask. Returns only on failure. */
function hostExec(ts: TaskState, path: string, argv: string[], envp: string[]): never {
  if (!ts.sys) throw new SyscallError(Errno.ENOEXEC);
  const snap = ts.fdt.snapshot();
  const fdmap = new Int32Array(snap.length), nb = new Int32Array(snap.length);
  snap.forEach((h, g) => {
    const keep = h >= 0 && !ts.fdt.cloexec(g);
    fdmap[g] = keep ? h : -1;
    nb[g] = keep ? (guestNonblock(ts, h) ? 1 : 0) : -1;
  });
  const sigs = new Uint32Array(4);
  for (let sig = 1; sig <= 64; sig++) {
    if (getAction(ts.mm, sig).handler === 1n) sigs[(sig - 1) >> 5] |= 1 << ((sig - 1) & 31);
  }
  sigs[2] = ts.words[ThreadWord.MASK_LO];
  sigs[3] = ts.words[ThreadWord.MASK_HI];
  // A vfork parent goes on when the host closes our IPC channel at the exec.
  const r = ts.sys.hostExec(path, argv, envp, fdmap, nb, cwdForChild(ts), sigs);
  throw new SyscallError(-r);
}

/** Fresh user registers for a new image (the FPU on, as Linux starts programs). */
export let resetRegisters: (ts: TaskState, pc: bigint, sp: bigint) => void = (ts, pc, sp) => {
  for (let i = 1; i < 32; i++) ts.env.setGpr(i, 0n);
  for (let i = 0; i < 32; i++) ts.env.set64('fpr', 0n, i);
  ts.env.setGpr(2, sp);
  ts.env.pc = pc;
};
export function setResetRegisters(fn: typeof resetRegisters): void { resetRegisters = fn; }

function STATE_SIGACTION(sig: number): number {
  return SIGACTION_OFFSET + (sig - 1) * 24;
}

const WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;

const WNOTHREAD = 0x20000000, WALL = 0x40000000, WCLONE = 0x80000000 | 0;

/** The caller's process group as a waiter's pid (-pgid: user-main.ts serveWaits). */
function ownGroup(ts: TaskState): number {
  const g = ts.sys ? ts.sys.procIds(0, 0, 0) : ts.proc.pid;
  return g > 1 ? -g : -1;
}

function wait4(ts: TaskState, pid: number, statusp: number, options: number): number {
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL)) throw new SyscallError(Errno.EINVAL);
  if (pid === -0x80000000) throw new SyscallError(Errno.ESRCH); // -INT_MIN is not a group
  if (statusp !== 0) ts.mm.check(statusp, 4, true);
  const r = ts.proc.waitChild(pid === 0 ? ownGroup(ts) : pid, (options & WNOHANG) !== 0, false, WEXITED | (options & (WUNTRACED | WCONTINUED)));
  if (r === null) throw new SyscallError(Errno.ECHILD);
  if (r[0] > 0 && statusp !== 0) ts.mm.setU32(statusp, r[1]);
  return r[0];
}

function waitid(ts: TaskState, idtype: number, id: number, infop: number, options: number): number {
  const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
  if (options & ~(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL)) throw new SyscallError(Errno.EINVAL);
  const states = options & (WUNTRACED | WEXITED | WCONTINUED);
  if (states === 0) throw new SyscallError(Errno.EINVAL);
  let who: number;
  if (idtype === P_ALL) who = -1;
  else if (idtype === P_PID || idtype === P_PIDFD) {
    if (id <= 0 && !(idtype === P_PIDFD && id === 0)) throw new SyscallError(Errno.EINVAL);
    who = idtype === P_PIDFD ? pidOfPidfd(ts, id) : id;
  } else if (idtype === P_PGID) {
    if (id < 0) throw new SyscallError(Errno.EINVAL);
    who = id === 0 ? ownGroup(ts) : id === 1 ? -1 : -id;
  } else throw new SyscallError(Errno.EINVAL);
  // A PIDFD_NONBLOCK pidfd: no wait; a child still running is EAGAIN unless WNOHANG said 0.
  const O_NONBLOCK = 0o4000;
  const fl = idtype === P_PIDFD && ts.sys ? ts.sys.fcntl(ts.fdt.host(id), 3 /* F_GETFL */, 0) : 0;
  const nonblockFd = fl > 0 && (fl & O_NONBLOCK) !== 0;
  const r = ts.proc.waitChild(who, (options & WNOHANG) !== 0 || nonblockFd, (options & WNOWAIT) !== 0, states);
  if (r === null) throw new SyscallError(Errno.ECHILD);
  if (r[0] === 0 && nonblockFd && !(options & WNOHANG)) throw new SyscallError(Errno.EAGAIN);
  if (infop !== 0) {
    const b = new Uint8Array(128);
    const dv = new DataView(b.buffer);
    if (r[0] > 0) {
      const st = r[1], sig = st & 0x7f;
      // si_code: CLD_EXITED 1, CLD_KILLED 2, CLD_DUMPED 3, CLD_STOPPED 5, CLD_CONTINUED 6.
      const [code, status] = st === 0xffff ? [6, 18] : (st & 0xff) === 0x7f ? [5, (st >> 8) & 0xff]
        : sig ? [st & 0x80 ? 3 : 2, sig] : [1, (st >> 8) & 0xff];
      dv.setInt32(0, 17, true); // SIGCHLD
      dv.setInt32(8, code, true);
      dv.setInt32(16, r[0], true);
      dv.setUint32(20, ts.proc.uid, true);
      dv.setInt32(24, status, true);
    }
    ts.mm.write(infop, b);
  }
  return 0;
}

function pidfdPids(mm: GuestMM): Int32Array { return new Int32Array(mm.memory.buffer, PIDFD_PIDS_OFFSET, MAX_HOST_FDS); }

/** The process a pidfd refers to (guest pids are host pids): its fdinfo's "Pid:" line. */
function pidOfPidfd(ts: TaskState, fd: number): number {
  const h = ts.fdt.host(fd);
  let info = '';
  try {
    const f = ts.fs.open(`/proc/self/fdinfo/${h}`, 0, 0), buf = new Uint8Array(4096);
    try { info = new TextDecoder().decode(buf.subarray(0, ts.fs.read(f, buf, 0))); } finally { ts.fs.close(f); }
  } catch { /* gone */ }
  const m = /^Pid:\s*(-?\d+)/m.exec(info);
  if (!m) throw new SyscallError(Errno.EINVAL); // not a pidfd
  const opened = h < MAX_HOST_FDS ? pidfdPids(ts.mm)[h] : 0;
  const pid = opened > 0 ? opened : Number(m[1]);
  if (pid <= 0) throw new SyscallError(Errno.ECHILD); // the process is gone
  return pid;
}

function pidfdOpen(ts: TaskState, pid: number, flags: number): number {
  if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
  const h = ts.sys.procIds(5, pid, flags);
  if (h < 0) throw new SyscallError(-h);
  if (h < MAX_HOST_FDS) pidfdPids(ts.mm)[h] = pid;
  return ts.fdt.install(h, true); // pidfds are always close-on-exec
}

function pidfdSendSignal(ts: TaskState, fd: number, sig: number, info: number, flags: number): number {
  if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
  // Linux's order: flags (the scope flags are not implemented: refused), the fd (EBADF, a file
  // that is no pidfd too), the siginfo (EFAULT, its signal EINVAL, a code only the kernel may
  // use to another process EPERM), then the signal itself.
  if (flags !== 0) throw new SyscallError(Errno.EINVAL);
  if (sig < 0 || sig > 64) throw new SyscallError(Errno.EINVAL);
  let pid: number;
  try { pid = pidOfPidfd(ts, fd); } catch (e) {
    if (!(e instanceof SyscallError && e.errno === Errno.EINVAL)) throw e;
    // A /proc/<pid> directory does as a pidfd here (Linux's tgid_pidfd_to_pid); else EBADF.
    let m: RegExpExecArray | null = null;
    try { m = /^\/proc\/(\d+)$/.exec(ts.fs.readlink(`/proc/self/fd/${ts.fdt.host(fd)}`)); } catch { /* not a link */ }
    if (!m) throw new SyscallError(Errno.EBADF);
    pid = Number(m[1]);
  }
  let queued: { code: number; value: bigint } | null = null;
  if (info !== 0) {
    const si = ts.mm.read(info, 128), dv = new DataView(si.buffer, si.byteOffset, 128);
    const SI_TKILL = -6;
    if (dv.getInt32(0, true) !== sig) throw new SyscallError(Errno.EINVAL);
    const code = dv.getInt32(8, true);
    if (pid !== ts.proc.pid && (code >= 0 || code === SI_TKILL)) throw new SyscallError(Errno.EPERM);
    queued = { code, value: dv.getBigUint64(24, true) };
  }
  if (pid === ts.proc.pid) {
    const si = queued ? { signo: sig, code: queued.code, pid: ts.proc.pid, uid: ts.proc.uid, value: queued.value }
      : { signo: sig, code: 0, pid: ts.proc.pid, uid: ts.proc.uid };
    if (sig !== 0 && !raiseProcessSignal(ts.mm, sig, si)) throw new SyscallError(Errno.EAGAIN);
    return 0;
  }
  // Another process: the host's pidfd_send_signal (the siginfo's value does not go with it).
  const r = ts.sys.procIds(6, ts.fdt.host(fd), sig);
  if (r < 0) throw new SyscallError(-r);
  return 0;
}

/** pidfd_getfd: the host's, on the host fd behind the target's descriptor: ours through our
 * table, another emulator's as it says (fd-request.ts), another program's is its number. */
function pidfdGetfd(ts: TaskState, fd: number, target: number, flags: number): number {
  const sys = ts.sys;
  if (!sys?.pidfdGetfd) throw new SyscallError(Errno.ENOSYS);
  const pid = pidOfPidfd(ts, fd);
  const h = pid === ts.proc.pid ? ts.fdt.host(target) : askHostFd(ts, sys, pid, target);
  if (h < 0) throw new SyscallError(-h);
  const r = sys.pidfdGetfd(ts.fdt.host(fd), h, flags);
  if (r < 0) throw new SyscallError(-r);
  return ts.fdt.install(r, true); // always close-on-exec
}

export const EXEC_SYSCALLS: SyscallTable = [
  [NR.pidfd_getfd, (ts, a) => pidfdGetfd(ts, int(a[0]), int(a[1]), int(a[2]))],
  [NR.pidfd_open, (ts, a) => pidfdOpen(ts, int(a[0]), int(a[1]))],
  [NR.pidfd_send_signal, (ts, a) => pidfdSendSignal(ts, int(a[0]), int(a[1]), ptr(a[2]), int(a[3]))],
  [NR.execve, (ts, a) => execve(ts, ptr(a[0]), ptr(a[1]), ptr(a[2]))],
  [NR.wait4, (ts, a) => wait4(ts, int(a[0]), ptr(a[1]), int(a[2]))],
  [NR.waitid, (ts, a) => waitid(ts, int(a[0]), int(a[1]), ptr(a[2]), int(a[3]))],
];
