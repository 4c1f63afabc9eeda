// Signals: dispositions (shared by all threads, in the kernel area), per-thread masks and pending
// sets, delivery at block boundaries with the riscv64 rt_sigframe (siginfo + ucontext) and
// rt_sigreturn through a trampoline page (Linux uses its vDSO; we map "li a7,139; ecall").
import { nowMs } from './clock.js';
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, KEEP_REGS, ptr, RestartSyscall, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { KernelWord, SIGACTION_OFFSET, SIGTRAMP_PAGE, ThreadWord } from './layout.js';
import { lockWord, unlockWord, protToFlags, type GuestMM } from './mmap.js';
import { straceSignal } from './strace.js';
import { rtDequeue, rtEnqueue, rtQueued, RTQ_PROCESS, TARGET_SIGRTMIN } from './sigqueue.js';
import { notifySignalfds } from './signalfd.js';
import { restoreExtState, saveExtState, sigframeExtraSize } from './signal-v.js';

export const TARGET_SIGHUP = 1, TARGET_SIGINT = 2, TARGET_SIGILL = 4, TARGET_SIGTRAP = 5, TARGET_SIGABRT = 6;
export const TARGET_SIGBUS = 7, TARGET_SIGFPE = 8, TARGET_SIGKILL = 9, TARGET_SIGSEGV = 11, TARGET_SIGPIPE = 13;
export const TARGET_SIGTERM = 15, TARGET_SIGCHLD = 17, TARGET_SIGSTOP = 19;
const SIG_DFL = 0n, SIG_IGN = 1n;
const SA_RESTART = 0x10000000n, SA_ONSTACK = 0x08000000n, SA_RESETHAND = 0x80000000n, SA_NODEFER = 0x40000000n;
const SS_ONSTACK = 1, SS_DISABLE = 2, SI_TKILL = -6;

/** Signals whose default action is to do nothing, and the stop signals. */
const DEFAULT_IGNORE = new Set([17, 18, 23, 28]);
const STOP_SIGNALS = new Set([19, 20, 21, 22]);

export interface SigInfo { signo: number; code: number; /** si_addr (bigint: a fault address may be any 64-bit value) */ addr?: number | bigint; pid?: number; uid?: number; status?: number; value?: bigint }

function actionAddr(sig: number): number { return SIGACTION_OFFSET + (sig - 1) * 24; }

export function getAction(mm: GuestMM, sig: number): { handler: bigint; flags: bigint; mask: bigint } {
  const o = actionAddr(sig);
  return { handler: mm.view.getBigUint64(o, true), flags: mm.view.getBigUint64(o + 8, true), mask: mm.view.getBigUint64(o + 16, true) };
}

function setAction(mm: GuestMM, sig: number, handler: bigint, flags: bigint, mask: bigint): void {
  const o = actionAddr(sig);
  mm.view.setBigUint64(o, handler, true);
  mm.view.setBigUint64(o + 8, flags, true);
  mm.view.setBigUint64(o + 16, mask, true);
}

/** The trampoline rt_sigreturn page: addi a7, x0, 139; ecall. */
export function mapSigtramp(mm: GuestMM): void {
  mm.setRange(SIGTRAMP_PAGE, 4096, protToFlags(5), true);
  mm.view.setUint32(mm.g2h(SIGTRAMP_PAGE), 0x08b00893, true);
  mm.view.setUint32(mm.g2h(SIGTRAMP_PAGE + 4), 0x00000073, true);
}

const bit = (sig: number): bigint => 1n << BigInt(sig - 1);

function get2(w: Int32Array, lo: number): bigint {
  return BigInt(Atomics.load(w, lo) >>> 0) | (BigInt(Atomics.load(w, lo + 1) >>> 0) << 32n);
}
function set2(w: Int32Array, lo: number, v: bigint): void {
  Atomics.store(w, lo, Number(v & 0xffffffffn) | 0);
  Atomics.store(w, lo + 1, Number((v >> 32n) & 0xffffffffn) | 0);
}

export function threadMask(ts: TaskState): bigint { return get2(ts.words, ThreadWord.MASK_LO); }
function setThreadMask(ts: TaskState, m: bigint): void {
  set2(ts.words, ThreadWord.MASK_LO, m & ~(bit(TARGET_SIGKILL) | bit(TARGET_SIGSTOP)));
}

/** Pending info of synchronous signals (faults), by signal number, for the siginfo. */
const pendingInfo = new Map<number, SigInfo>();

/** Make `sig` pending on this thread. A real-time signal is queued with its info (false: the
 * queue is full, Linux's EAGAIN); a standard one keeps the info of its first instance. */
export function raiseSignal(ts: TaskState, sig: number, info?: SigInfo): boolean {
  if (sig >= TARGET_SIGRTMIN) {
    return raiseOn(ts.mm, ts.words, ThreadWord.PENDING_LO, ts.slot, sig, info ?? { signo: sig, code: 0, pid: ts.proc.pid, uid: ts.proc.uid });
  }
  // Only this thread takes it: the info (a fault's address too) stays in this worker.
  if (info && (get2(ts.words, ThreadWord.PENDING_LO) & bit(sig)) === 0n) pendingInfo.set(sig, info);
  return raiseOn(ts.mm, ts.words, ThreadWord.PENDING_LO, ts.slot, sig);
}

/** A real-time signal the guest sends to itself with tgkill/tkill/sigqueue finds
 * RLIMIT_SIGPENDING (the host's, where setrlimit put it) reached by the signals queued: Linux's
 * __sigqueue_alloc fails and __send_signal_locked says EAGAIN (kill's SI_USER goes through). */
export function sigpendingFull(ts: TaskState, sig: number): boolean {
  const RLIMIT_SIGPENDING = 11;
  if (sig < TARGET_SIGRTMIN || !ts.sys) return false;
  const cur = new BigUint64Array(2);
  if (ts.sys.prlimit(RLIMIT_SIGPENDING, null, cur) < 0) return false;
  return BigInt(rtQueued(ts.mm)) >= cur[0];
}

/** Make `sig` pending on the process (kill to ourselves, host signals, timers). */
export function raiseProcessSignal(mm: GuestMM, sig: number, info?: SigInfo): boolean {
  return raiseOn(mm, mm.kw, KernelWord.PENDING_LO, RTQ_PROCESS, sig, info);
}

/** Make `sig` pending in the set at `w[lo]` (thread slot or RTQ_PROCESS `target`), its info
 * queued: every real-time instance, the first instance of a standard signal. */
export function raiseOn(mm: GuestMM, w: Int32Array, lo: number, target: number, sig: number, info?: SigInfo): boolean {
  lockWord(mm.kw, KernelWord.SIG_LOCK);
  try {
    if (sig >= TARGET_SIGRTMIN) {
      if (!rtEnqueue(mm, target, { ...(info ?? { code: 0 }), signo: sig })) return false;
    } else if (info && (get2(w, lo) & bit(sig)) === 0n) rtEnqueue(mm, target, { ...info, signo: sig });
    set2(w, lo, get2(w, lo) | bit(sig));
  } finally { unlockWord(mm.kw, KernelWord.SIG_LOCK); }
  notifySignalfds(mm, sig);
  return true;
}

export function hasDeliverable(ts: TaskState): boolean {
  const pend = get2(ts.words, ThreadWord.PENDING_LO) | get2(ts.mm.kw, KernelWord.PENDING_LO);
  return (pend & ~threadMask(ts)) !== 0n;
}

/** Take the lowest signal of `set` pending on the thread or the process (the thread's instance
 * first, as Linux's handlers see them), with the info of a queued real-time instance (its bit
 * stays while more are queued); sig 0: none. */
function dequeueSet(ts: TaskState, set: bigint): { sig: number; info: SigInfo | null } {
  lockWord(ts.mm.kw, KernelWord.SIG_LOCK);
  try {
    const mine = get2(ts.words, ThreadWord.PENDING_LO) & set, shared = get2(ts.mm.kw, KernelWord.PENDING_LO) & set;
    if ((mine | shared) === 0n) return { sig: 0, info: null };
    let sig = 1;
    while (!((mine | shared) & bit(sig))) sig++;
    const [w, lo, target] = mine & bit(sig) ? [ts.words, ThreadWord.PENDING_LO, ts.slot] : [ts.mm.kw, KernelWord.PENDING_LO, RTQ_PROCESS];
    const { info, more } = rtDequeue(ts.mm, target, sig);
    if (!more || sig < TARGET_SIGRTMIN) set2(w, lo, get2(w, lo) & ~bit(sig));
    return { sig, info };
  } finally { unlockWord(ts.mm.kw, KernelWord.SIG_LOCK); }
}

function infoOf(ts: TaskState, sig: number, queued: SigInfo | null): SigInfo {
  const info = queued ?? pendingInfo.get(sig) ?? defaultInfo(ts, sig);
  if (!queued) pendingInfo.delete(sig);
  return info;
}

/** The siginfo of a signal raised without one: SIGCHLD tells the last child's change (the
 * supervisor notes it in the kernel words), others look sent by ourselves (SI_USER). */
function defaultInfo(ts: TaskState, sig: number): SigInfo {
  const kw = ts.mm.kw;
  if (sig === TARGET_SIGCHLD && kw[KernelWord.CHLD_PID] !== 0) {
    return { signo: sig, code: kw[KernelWord.CHLD_CODE], pid: kw[KernelWord.CHLD_PID], uid: ts.proc.uid, status: kw[KernelWord.CHLD_STATUS] };
  }
  return { signo: sig, code: 0, pid: ts.proc.pid, uid: ts.proc.uid };
}

/** Take the lowest pending signal of `set` (blocked or not) off the thread's or the process's
 * pending set, with its info (rt_sigtimedwait, signalfd-like consumers); null when none. */
export function takeSignal(ts: TaskState, set: bigint): SigInfo | null {
  const { sig, info } = dequeueSet(ts, set);
  return sig === 0 ? null : infoOf(ts, sig, info);
}

/** tsqemu-riscv64 -g: the debugged thread's signals go to gdb first (gdb-user.ts). */
export const signalGdbHook: { thread?: TaskState; handle?: (sig: number) => number } = {};

/** Deliver every deliverable signal: default actions end the process; handlers get a frame. */
export function processPendingSignals(ts: TaskState): void {
  for (;;) {
    const d = dequeueSet(ts, ~threadMask(ts));
    let sig = d.sig;
    if (sig === 0) return;
    if (signalGdbHook.handle && signalGdbHook.thread === ts && sig !== TARGET_SIGKILL) {
      // gdb saw it stop: it passes the signal on (`handle ... pass`), another one, or none.
      const to = signalGdbHook.handle(sig);
      if (to === 0) continue;
      if (to !== sig) { sig = to; d.info = null; }
    }
    const info = infoOf(ts, sig, d.info);
    const act = getAction(ts.mm, sig);
    const ignored = act.handler === SIG_IGN || (act.handler === SIG_DFL && DEFAULT_IGNORE.has(sig));
    if (ts.opts.strace && !ignored) ts.proc.log(straceSignal(info));
    if (act.handler === SIG_IGN && sig !== TARGET_SIGKILL) continue;
    if (act.handler === SIG_DFL || sig === TARGET_SIGKILL) {
      // Stop signals stop the whole emulator for real (the host's default action), so the
      // parent's wait sees it stopped and SIGCONT from anyone resumes it.
      if (STOP_SIGNALS.has(sig)) { ts.proc.kill(ts.proc.pid, sig); continue; }
      if (DEFAULT_IGNORE.has(sig)) continue;
      ts.proc.exit(0, sig);
    }
    setupFrame(ts, sig, info, act.handler, act.flags, act.mask);
    return; // one frame at a time: the next signal is delivered when the handler runs
  }
}

/** A synchronous signal (a fault) that the guest cannot block or ignore away. */
export function forceSignal(ts: TaskState, info: SigInfo): void {
  const act = getAction(ts.mm, info.signo);
  const blocked = (threadMask(ts) & bit(info.signo)) !== 0n;
  if (blocked || act.handler === SIG_IGN) setAction(ts.mm, info.signo, SIG_DFL, 0n, 0n);
  if (blocked) setThreadMask(ts, threadMask(ts) & ~bit(info.signo));
  raiseSignal(ts, info.signo, info);
  processPendingSignals(ts);
}

const FRAME_INFO = 0, FRAME_UC = 128, UC_STACK = 16, UC_SIGMASK = 40, UC_MCONTEXT = 176;
const FRAME_SIZE = 128 + UC_MCONTEXT + 256 + 528;

export function encodeSiginfo(info: SigInfo): Uint8Array {
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, info.signo, true);
  dv.setInt32(8, info.code, true);
  if (info.addr !== undefined) dv.setBigUint64(16, BigInt.asUintN(64, BigInt(info.addr)), true);
  else {
    dv.setInt32(16, info.pid ?? 0, true);
    dv.setUint32(20, info.uid ?? 0, true);
    if (info.status !== undefined) dv.setInt32(24, info.status, true);
    if (info.value !== undefined) dv.setBigUint64(24, BigInt.asUintN(64, info.value), true);
  }
  return b;
}

function setupFrame(ts: TaskState, sig: number, info: SigInfo, handler: bigint, flags: bigint, mask: bigint): void {
  const env = ts.env;
  let sp = Number(env.getGpr(2));
  const altSp = ts.words[ThreadWord.ALTSTACK_SP] >>> 0, altSize = ts.words[ThreadWord.ALTSTACK_SIZE] >>> 0;
  const altOn = ts.words[ThreadWord.ALTSTACK_FLAGS] !== SS_DISABLE && altSize !== 0;
  const onAlt = altOn && sp > altSp && sp <= altSp + altSize;
  if ((flags & SA_ONSTACK) && altOn && !onAlt) sp = altSp + altSize;
  // The extension contexts (V) follow the sigcontext (signal-v.ts).
  const size = FRAME_SIZE + sigframeExtraSize(env);
  const frame = sp - size - ((sp - size) % 16);
  const mm = ts.mm;
  try {
    mm.check(frame, size, true);
  } catch {
    ts.proc.exit(0, TARGET_SIGSEGV); // no room for the frame: Linux forces SIGSEGV
  }
  mm.write(frame, new Uint8Array(size)); // high memory may be in pieces
  mm.write(frame + FRAME_INFO, encodeSiginfo(info));
  const uc = frame + FRAME_UC;
  mm.setU64(uc + UC_STACK, altSp);
  mm.setU32(uc + UC_STACK + 8, altOn ? (onAlt ? SS_ONSTACK : 0) : SS_DISABLE);
  mm.setU64(uc + UC_STACK + 16, altSize);
  mm.setU64(uc + UC_SIGMASK, threadMask(ts));
  const mc = uc + UC_MCONTEXT;
  mm.setU64(mc, env.pc);
  for (let i = 1; i < 32; i++) mm.setU64(mc + i * 8, env.getGpr(i));
  for (let i = 0; i < 32; i++) mm.setU64(mc + 256 + i * 8, env.get64('fpr', i));
  mm.setU32(mc + 256 + 256, (env.get32('frm') << 5) | env.get32('fflags'));
  saveExtState(mm, env, mc);
  let newMask = threadMask(ts) | mask;
  if (!(flags & SA_NODEFER)) newMask |= bit(sig);
  setThreadMask(ts, newMask);
  // SA_RESETHAND: the handler only goes back to SIG_DFL; flags and mask stay (Linux's get_signal).
  if (flags & SA_RESETHAND) setAction(mm, sig, SIG_DFL, flags, mask);
  env.setGpr(1, BigInt(SIGTRAMP_PAGE));
  env.setGpr(2, BigInt(frame));
  env.setGpr(10, BigInt(sig));
  // Linux (and QEMU) pass the siginfo and ucontext pointers to every handler.
  env.setGpr(11, BigInt(frame + FRAME_INFO));
  env.setGpr(12, BigInt(uc));
  env.pc = handler;
}

function rtSigreturn(ts: TaskState): typeof KEEP_REGS {
  const env = ts.env;
  const frame = Number(env.getGpr(2));
  const uc = frame + FRAME_UC, mc = uc + UC_MCONTEXT;
  try {
    setThreadMask(ts, ts.mm.u64(uc + UC_SIGMASK));
    env.pc = ts.mm.u64(mc);
    for (let i = 1; i < 32; i++) env.setGpr(i, ts.mm.u64(mc + i * 8));
    for (let i = 0; i < 32; i++) env.set64('fpr', ts.mm.u64(mc + 256 + i * 8), i);
    const fcsr = ts.mm.u32(mc + 512);
    env.set32('fflags', fcsr & 0x1f);
    env.set32('frm', (fcsr >> 5) & 7);
    restoreExtState(ts.mm, env, mc);
  } catch {
    ts.proc.exit(0, TARGET_SIGSEGV);
  }
  return KEEP_REGS;
}

function rtSigaction(ts: TaskState, sig: number, act: number, oact: number, size: number): number {
  if (sig < 1 || sig > 64 || size !== 8) throw new SyscallError(Errno.EINVAL);
  if (act !== 0 && (sig === TARGET_SIGKILL || sig === TARGET_SIGSTOP)) throw new SyscallError(Errno.EINVAL);
  const old = getAction(ts.mm, sig);
  if (act !== 0) {
    const handler = ts.mm.u64(act), flags = ts.mm.u64(act + 8), mask = ts.mm.u64(act + 16);
    setAction(ts.mm, sig, handler, flags, mask);
    const kind = (h: bigint) => (h === SIG_DFL ? 'default' : h === SIG_IGN ? 'ignore' : 'handler');
    if (kind(handler) !== kind(old.handler)) ts.rpc.sigactionChanged(sig, kind(handler));
  }
  if (oact !== 0) {
    ts.mm.setU64(oact, old.handler);
    ts.mm.setU64(oact + 8, old.flags);
    ts.mm.setU64(oact + 16, old.mask);
  }
  return 0;
}

function rtSigprocmask(ts: TaskState, how: number, set: number, oset: number): number {
  const old = threadMask(ts);
  if (set !== 0) {
    const s = ts.mm.u64(set);
    if (how === 0) setThreadMask(ts, old | s);
    else if (how === 1) setThreadMask(ts, old & ~s);
    else if (how === 2) setThreadMask(ts, s);
    else throw new SyscallError(Errno.EINVAL);
  }
  if (oset !== 0) ts.mm.setU64(oset, old);
  return 0;
}

/** Wait (in slices, so host signals and other threads get through) until a signal is
 * deliverable; returns -EINTR with the mask already restored by the frame. */
export function waitForSignal(ts: TaskState, untilMs = Infinity): boolean {
  const start = nowMs();
  while (!hasDeliverable(ts)) {
    if (nowMs() - start >= untilMs) return false;
    Atomics.wait(ts.words, ThreadWord.WAKE, 0, Math.min(50, untilMs - (nowMs() - start)));
    Atomics.store(ts.words, ThreadWord.WAKE, 0);
  }
  return true;
}

function rtSigsuspend(ts: TaskState, set: number): number {
  const old = threadMask(ts);
  setThreadMask(ts, ts.mm.u64(set));
  waitForSignal(ts);
  returnInterrupted(ts, old);
  return -1;
}

/** Install a temporary signal mask (ppoll, pselect6, epoll_pwait); returns the old one. */
export function swapMask(ts: TaskState, mask: bigint): bigint {
  const old = threadMask(ts);
  setThreadMask(ts, mask);
  return old;
}

/** Return -EINTR from a call that ran under a temporary mask: deliver the signal now, then
 * put the old mask in the handler's frame (it comes back at sigreturn), else restore it. */
export function returnInterrupted(ts: TaskState, oldMask: bigint): typeof KEEP_REGS {
  const sp0 = Number(ts.env.getGpr(2));
  ts.env.setGpr(10, BigInt(-Errno.EINTR));
  ts.env.pc = ts.env.pc + 4n;
  processPendingSignals(ts);
  if (Number(ts.env.getGpr(2)) !== sp0) ts.mm.setU64(Number(ts.env.getGpr(2)) + FRAME_UC + UC_SIGMASK, oldMask);
  else setThreadMask(ts, oldMask);
  return KEEP_REGS;
}

/** A blocking call saw a deliverable signal: restart it after the handler when the signal's
 * action allows (SA_RESTART, or no handler), else fail with EINTR. */
export function interrupted(ts: TaskState, restartable: boolean): never {
  if (restartable) {
    const pend = (get2(ts.words, ThreadWord.PENDING_LO) | get2(ts.mm.kw, KernelWord.PENDING_LO)) & ~threadMask(ts);
    let sig = 1;
    while (sig < 64 && !(pend & bit(sig))) sig++;
    const act = getAction(ts.mm, sig);
    if (act.handler === SIG_DFL || act.handler === SIG_IGN || (act.flags & SA_RESTART)) throw new RestartSyscall();
  }
  throw new SyscallError(Errno.EINTR);
}

function sigaltstack(ts: TaskState, ss: number, oss: number): number {
  const altSp = ts.words[ThreadWord.ALTSTACK_SP] >>> 0, altSize = ts.words[ThreadWord.ALTSTACK_SIZE] >>> 0;
  const sp = Number(ts.env.getGpr(2));
  const onAlt = altSize !== 0 && sp > altSp && sp <= altSp + altSize;
  // Linux's do_sigaltstack: the old stack is written back only when the call succeeds; its
  // flags say whether this thread runs on it now.
  const old = [altSp, altSize === 0 ? SS_DISABLE : onAlt ? SS_ONSTACK : 0, altSize];
  if (ss !== 0) {
    const newSp = ts.mm.u64n(ss), fl = ts.mm.i32at(ss + 8), size = ts.mm.u64n(ss + 16);
    if (onAlt) throw new SyscallError(Errno.EPERM);
    // SS_AUTODISARM is refused as by QEMU's do_sigaltstack (not implemented: no silent accept).
    if (fl !== 0 && fl !== SS_ONSTACK && fl !== SS_DISABLE) throw new SyscallError(Errno.EINVAL);
    if (fl === SS_DISABLE) {
      ts.words[ThreadWord.ALTSTACK_SP] = 0;
      ts.words[ThreadWord.ALTSTACK_SIZE] = 0;
      ts.words[ThreadWord.ALTSTACK_FLAGS] = SS_DISABLE;
    } else {
      if (size < 2048) throw new SyscallError(Errno.ENOMEM);
      // The stack's words are kept in 32 bits: one in high memory (high-map.ts) is refused.
      if (newSp + size > 2 ** 32) throw new SyscallError(Errno.EINVAL);
      ts.words[ThreadWord.ALTSTACK_SP] = newSp;
      ts.words[ThreadWord.ALTSTACK_SIZE] = size;
      ts.words[ThreadWord.ALTSTACK_FLAGS] = 0;
    }
  }
  if (oss !== 0) {
    ts.mm.setU64(oss, old[0]);
    ts.mm.setU32(oss + 8, old[1]);
    ts.mm.setU64(oss + 16, old[2]);
  }
  return 0;
}

/** Our descendants now (host pids) with their process groups, from /proc's stat lines. */
function descendants(ts: TaskState): Array<[number, number]> {
  const parent = new Map<number, [number, number]>(); // pid -> [ppid, pgrp]
  let names: string[] = [];
  try { names = ts.fs.readdir('/proc').map((d) => d.name).filter((n) => /^\d+$/.test(n)); } catch { /* none */ }
  for (const n of names) {
    let text = '';
    try {
      const f = ts.fs.open(`/proc/${n}/stat`, 0, 0), buf = new Uint8Array(1024);
      try { text = new TextDecoder().decode(buf.subarray(0, ts.fs.read(f, buf, 0))); } finally { ts.fs.close(f); }
    } catch { continue; }
    const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // state ppid pgrp ...
    parent.set(Number(n), [Number(f[1]), Number(f[2])]);
  }
  const out: Array<[number, number]> = [];
  for (const [pid, [, pgrp]] of parent) {
    for (let p = parent.get(pid)?.[0] ?? 0, hops = 0; p > 1 && hops < 64; p = parent.get(p)?.[0] ?? 0, hops++) {
      if (p === ts.proc.pid) { out.push([pid, pgrp]); break; }
    }
  }
  return out;
}

/** kill: a pid > 0 is the host's process. The broadcasts (0: our group, -1: everyone, -pgid: a
 * group) never go to the host as such: the host's group or "everyone" holds processes that are
 * not the guest's (the shell or test runner that started the emulator, other programs). They
 * reach this process and its descendants only (a fork is a child emulator), those in the group
 * for 0 and -pgid, all but the caller for -1; ESRCH when none is found, as Linux. */
function kill(ts: TaskState, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) throw new SyscallError(Errno.EINVAL);
  const self = () => {
    // kill's SI_USER is never refused for RLIMIT_SIGPENDING (Linux loses the info instead).
    if (sig !== 0 && !raiseProcessSignal(ts.mm, sig, { signo: sig, code: 0, pid: ts.proc.pid, uid: ts.proc.uid })) throw new SyscallError(Errno.EAGAIN);
  };
  if (pid === ts.proc.pid) { self(); return 0; }
  if (pid > 0) { ts.proc.kill(pid, sig); return 0; }
  if (pid === -0x80000000) throw new SyscallError(Errno.ESRCH);
  const own = ts.sys ? ts.sys.procIds(0, 0, 0) : ts.proc.pid;
  const group = pid === 0 ? own : -pid;
  const targets = descendants(ts).filter(([, g]) => pid === -1 || g === group).map(([p]) => p);
  let found = 0;
  for (const p of targets) {
    try { ts.proc.kill(p, sig); found++; } catch { /* gone, or not ours to signal */ }
  }
  if (pid !== -1 && group === own) { self(); found++; }
  if (found === 0) throw new SyscallError(Errno.ESRCH);
  return 0;
}

function tgkill(ts: TaskState, tgid: number, tid: number, sig: number): number {
  // tgid -1 is tkill's; Linux: a pid or tgid <= 0 is EINVAL (never the host's kill(0)/kill(-1)).
  if (tid <= 0 || tgid === 0 || tgid < -1) throw new SyscallError(Errno.EINVAL);
  if (tgid !== -1 && tgid !== ts.proc.pid) { ts.proc.kill(tgid, sig); return 0; }
  if (sig === 0) return 0;
  if (sigpendingFull(ts, sig)) throw new SyscallError(Errno.EAGAIN);
  if (tid === ts.tid) {
    if (!raiseSignal(ts, sig, { signo: sig, code: SI_TKILL, pid: ts.proc.pid, uid: ts.proc.uid })) throw new SyscallError(Errno.EAGAIN);
    return 0;
  }
  return raiseInThread(ts, tid, sig, { signo: sig, code: SI_TKILL, pid: ts.proc.pid, uid: ts.proc.uid });
}

/** Set by the thread runtime: make `sig` pending on the thread `tid` of this process. */
export let raiseInThread: (ts: TaskState, tid: number, sig: number, info: SigInfo) => number = () => -Errno.ESRCH;
export function setRaiseInThread(fn: typeof raiseInThread): void { raiseInThread = fn; }

export const SIGNAL_SYSCALLS: SyscallTable = [
  [NR.rt_sigaction, (ts, a) => rtSigaction(ts, int(a[0]), ptr(a[1]), ptr(a[2]), ptr(a[3]))],
  [NR.rt_sigprocmask, (ts, a) => {
    if (a[3] !== 8n) throw new SyscallError(Errno.EINVAL); // sigsetsize (LTP rt_sigprocmask02)
    return rtSigprocmask(ts, int(a[0]), ptr(a[1]), ptr(a[2]));
  }],
  [NR.rt_sigreturn, (ts) => rtSigreturn(ts)],
  [NR.rt_sigsuspend, (ts, a) => { rtSigsuspend(ts, ptr(a[0])); return KEEP_REGS; }],
  [NR.rt_sigpending, (ts, a) => {
    ts.mm.setU64(ptr(a[0]), (get2(ts.words, ThreadWord.PENDING_LO) | get2(ts.mm.kw, KernelWord.PENDING_LO)) & threadMask(ts));
    return 0;
  }],
  [NR.sigaltstack, (ts, a) => sigaltstack(ts, ptr(a[0]), ptr(a[1]))],
  [NR.kill, (ts, a) => kill(ts, int(a[0]), int(a[1]))],
  [NR.tgkill, (ts, a) => tgkill(ts, int(a[0]) === -1 ? 0 : int(a[0]), int(a[1]), int(a[2]))],
  [NR.tkill, (ts, a) => tgkill(ts, -1, int(a[0]), int(a[1]))],
];
