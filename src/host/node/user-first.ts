// The first guest thread on the main thread (issue 18: start-up and memory). A program that stays
// single-threaded and never needs the supervisor's event loop runs with no worker at all: a
// worker's isolate costs ~0.1 s of CPU and ~13 MiB, as much as the rest of a /bin/true. The
// supervisor's services that need its event loop (children and wait4, guest signal handlers and
// masks, interval timers, other threads) are not there while the guest runs here: the thread
// stops at the ecall of the first system call that may need them (mayNeedWorker), still
// unexecuted, and moves to a worker (as thread-host.ts moves threads), which executes it.
// Host signals meanwhile keep their default action, as the guest's own are (a SIGINT or a
// SIGTERM from another process ends the process with that signal). TSQEMU_MAIN_THREAD=0: a
// worker from the start, as before.
import * as fs from 'node:fs';
import { RISCVCPU, riscvInterpreterModules, setRiscvInterpreterCache } from '../../target/riscv/cpu.js';
import type { TbExport } from '../../target/riscv/tb-cache.js';
import { diskWasmCache } from './wasm-cache.js';
import { raiseCodeCacheLevel, skipCodeCacheWrite } from './code-cache.js';
import { USER_INTERP_HINT } from './interp-code-cache.js';
import { useThreadTbClock } from './thread-clock.js';
import { tcgApplyEnv } from '../../accel/tcg/tcg-accel.js';
import { FdTable } from '../../linux-user/fdtable.js';
import { TaskState, type UserOptions } from '../../linux-user/qemu.js';
import { cpuLoop, installUserMode } from '../../linux-user/cpu-loop.js';
import { forgetTranslationsKeepCounts } from '../../linux-user/process-image.js';
import { CPU_STATE_SIZE, TLB_OFFSET } from '../../target/riscv/cpu-state.js';
import { installThreadHooks, openGuestMemory, startNofile } from './user-thread-hooks.js';
import { KernelWord, stateOffsetOf } from '../../linux-user/layout.js';
import { loadUserSys } from './user-sys.js';
import { threadAttrsOf } from '../../linux-user/syscall-cred.js';
import type { HostProcess } from '../../linux-user/host.js';
import { closeHostFd, nodeHostFs, workerHostProcess, type DirStreams } from './user-host.js';
import type { MessagePort } from 'node:worker_threads';
import { SYSCALL_NAMES } from '../../linux-user/syscall-nr.js';

/** riscv64 system calls that may need the supervisor's event loop or another host thread:
 * clone/clone3 (threads, fork), execve(at), wait4/waitid, rt_sigaction with a new action,
 * rt_sigprocmask that blocks (a blocked host signal must stay pending: only the supervisor's
 * listeners keep it), rt_sigsuspend/rt_sigtimedwait/signalfd4 (waiting for signals), kill and
 * friends (a signal to ourselves would meet the host's default action), setitimer and
 * timer_create (the supervisor's timers). */
export function mayNeedWorker(nr: number, a1: bigint, a0: bigint): boolean {
  switch (nr) {
    case 220: case 435: case 221: case 281: case 260: case 95:
    case 133: case 137: case 74: case 129: case 130: case 131: case 138: case 240: case 424:
    case 103: case 107:
      return true;
    case 134: return a1 !== 0n; // rt_sigaction(sig, act, oact)
    case 135: return a1 !== 0n && a0 !== 1n; // rt_sigprocmask(how, set, oset): not SIG_UNBLOCK
    default: return false;
  }
}

/** What the supervisor gives the first thread here. */
export interface FirstThreadHost {
  memory: WebAssembly.Memory;
  opts: UserOptions;
  exe: string;
  logMask: number;
  logFile?: string;
  /** End the process as the guest ended (Supervisor.finish; returns only for a signal's death). */
  finish(status: number, signal: number): void;
  /** A vfork child's exec (Supervisor.releaseVforkParent). */
  execed(): void;
  /** Answer other emulators' questions (pidfd_getfd: fd-request.ts), at each system call: the
   * event loop that answers them does not run while the guest runs here. */
  serve?: () => void;
}

/** The thread left the main thread: what its worker needs (UserWorkerData's fields). */
export interface FirstThreadMove {
  attrs?: number[];
  exe: string;
  dirs?: Array<[number, DirStreams]>;
  interp: Array<[string, WebAssembly.Module]>;
  /** This thread's translations, installed by the worker (TbCache.adopt) instead of made again. */
  tbs?: TbExport[];
}

/**
 * TSQEMU_MAIN_THREAD_INSNS=N: the thread also moves at its first system call after N guest
 * instructions (unset: only for the calls above). For measurements of what running first here
 * costs a long program that moves anyway (README "Translation, round 15": Python moves at its
 * first rt_sigaction, ~55 M instructions in, and every JavaScript function hot on both threads
 * warms up, and goes to TurboFan, in both isolates), against what a worker costs one that never
 * would have moved. Returns the limit (null: none); a bad value is an error.
 */
export function mainThreadInsnLimit(env: NodeJS.ProcessEnv = process.env): bigint | null {
  const v = env.TSQEMU_MAIN_THREAD_INSNS;
  if (v === undefined || v === '') return null;
  if (!/^[0-9]{1,15}$/.test(v)) throw new Error(`TSQEMU_MAIN_THREAD_INSNS: '${v}' is not a number of instructions`);
  return BigInt(v);
}

/** TSQEMU_JIT_INFO=1 also says where the first thread ran (tests/user-main-thread.test.js). */
const JIT_INFO = process.env.TSQEMU_JIT_INFO === '1';

/** Unwinds the guest's stack after the process's end was set off (a death by signal). */
class MainExit extends Error {}

/** Run guest thread 0 here until it exits (the process ends: returns null) or makes a system
 * call that needs a worker (returns what the worker needs; the ecall is still to be made). */
export function runFirstThreadHere(h: FirstThreadHost): FirstThreadMove | null {
  useThreadTbClock();
  const { logFd, as, mm } = openGuestMemory(h.memory, h.logFile, h.logMask);
  tcgApplyEnv(process.env);
  // The interpreter's entry is named for the next process's start (cli/riscv64.ts), which may
  // have compiled it from its code kept on disk (interp-code-cache.ts).
  // A process that generates the interpreter (the first after a build, or under a new -cpu)
  // writes no main code cache entry: the entry holds every function the run compiled, and the
  // generator's (never run again) made every later process deserialize more (an entry of 835
  // instead of 780 KB; a dynamic `true` 207 against 177 ms of CPU, sha256sum of 1 MiB 348
  // against 323, medians of 10; start-up round 6). The next process writes it.
  const disk = diskWasmCache(process.env, USER_INTERP_HINT);
  setRiscvInterpreterCache(disk && { ...disk, store: (key, bytes) => { skipCodeCacheWrite(); disk.store(key, bytes); } });
  const sys = loadUserSys();
  const slot = 0;
  // The worker's HostProcess, less what needs the supervisor's loop (never called here:
  // mayNeedWorker moves the thread first) and with the process's end done at once.
  const base = workerHostProcess(null as unknown as MessagePort, () => { throw new Error('tsqemu-riscv64: internal error: supervisor request on the main thread'); }, slot, logFd);
  const cpuRef: { cpu?: RISCVCPU } = {};
  const proc: HostProcess = base;
  proc.exit = (status: number, signal: number): never => {
    if (JIT_INFO && cpuRef.cpu) fs.writeSync(2, `thread 0: on the main thread to the end\n${cpuRef.cpu.jitInfo()}`);
    // The translator ran: the main code cache entry should hold its functions (code-cache.ts).
    if (cpuRef.cpu && cpuRef.cpu.tbCache.translated > 0) raiseCodeCacheLevel(1);
    h.finish(status, signal);
    throw new MainExit();
  };
  const cpu = new RISCVCPU(as, stateOffsetOf(slot), slot, () => proc.monotonicNs() / 100n);
  cpuRef.cpu = cpu;
  // Translations go with the thread when it moves (as between workers: user-worker.ts shareTbs),
  // so the worker neither counts their blocks up to the threshold in its interpreter again nor
  // translates them again (Python: 43 M more instructions interpreted, 4.9k translated twice).
  cpu.tbCache.exportable = process.env.TSQEMU_THREAD_TBS !== '0' && process.env.TSQEMU_THREAD_HOSTING !== '0';
  installUserMode(cpu.env, mm);
  const fdt = new FdTable(mm, closeHostFd);
  const none = (what: string) => () => { throw new Error(`tsqemu-riscv64: internal error: ${what} on the main thread`); };
  const ts: TaskState = new TaskState(mm, fdt, nodeHostFs, proc, {
    startThread: none('clone'),
    stopOtherThreads: () => {}, // (alone)
    sigactionChanged: none('sigaction'),
    execed: () => h.execed(),
    itimerChanged: none('setitimer'),
  }, cpu.env, slot, h.opts, h.exe);
  ts.sys = sys;
  if (mm.kw[KernelWord.FD_LIMIT] === 0) fdt.limit = startNofile();
  installThreadHooks(sys, mm, slot);
  const env = cpu.env;
  const insnLimit = mainThreadInsnLimit();
  let moved: boolean;
  try {
    const serve = h.serve;
    moved = cpuLoop(ts, cpu, () => {
      serve?.();
      return mayNeedWorker(Number(env.getGpr(17)), env.getGpr(11), env.getGpr(10)) || (insnLimit !== null && env.get64('instret') >= insnLimit);
    });
  } catch (e) {
    if (e instanceof MainExit) return null;
    throw e;
  }
  if (!moved) return null; // (the process's end never returns here)
  if (JIT_INFO) { const nr = Number(env.getGpr(17)); fs.writeSync(2, `thread 0: on the main thread until ${SYSCALL_NAMES[nr] ?? nr}\nthread 0: left the main thread at ${performance.now().toFixed(0)} ms\n`); }
  // As thread-host.ts moves a thread: its jump cache holds this thread's table indices, its
  // TLB is refilled there.
  const mods = riscvInterpreterModules();
  const tbs = cpu.tbCache.exportable ? cpu.tbCache.exportLive() : undefined;
  const threshold = env.get32('tb_threshold');
  cpu.detach();
  const b = stateOffsetOf(slot);
  forgetTranslationsKeepCounts(mm.bytes, b, threshold);
  mm.bytes.fill(0xff, b + TLB_OFFSET, b + CPU_STATE_SIZE);
  return { attrs: threadAttrsOf(sys), exe: ts.exe, dirs: ts.dirStreams.size ? [[slot, [...ts.dirStreams]]] : undefined, interp: mods, tbs };
}

