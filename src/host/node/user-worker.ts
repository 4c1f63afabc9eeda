// Worker entry of tsqemu-riscv64: one guest thread. It builds its own interpreter instance on
// the shared memory, its hart's state block is slot `slot`, and it runs cpu_loop until the
// thread exits (the process's exit is done by the main thread).
import * as fs from 'node:fs';
import { nodeV8 } from './lazy-builtin.js';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { RISCVCPU, riscvAdoptInterpreterModules, riscvInterpreterModules, setRiscvInterpreterCache } from '../../target/riscv/cpu.js';
import { diskWasmCache } from './wasm-cache.js';
import { forwardCodeWrites, prefetchInterpreterCode, USER_INTERP_HINT } from './interp-code-cache.js';
import { codeCacheDir } from './code-cache.js';
import { useThreadTbClock } from './thread-clock.js';
import { setRiscvCpuCfg } from '../../target/riscv/cpu-cfg.js';
import { tcgApplyEnv } from '../../accel/tcg/tcg-accel.js';
import { FdTable } from '../../linux-user/fdtable.js';
import { TaskState } from '../../linux-user/qemu.js';
import { cpuLoop, cpuLoopHosted, installUserMode, type HostedThread } from '../../linux-user/cpu-loop.js';
import { forgetTranslations } from '../../linux-user/process-image.js';
import { CPU_STATE_SIZE, TLB_OFFSET } from '../../target/riscv/cpu-state.js';
import * as os from 'node:os';
import { gdbUserRunner } from '../../linux-user/gdb-user.js';
import { signalGdbHook } from '../../linux-user/signal.js';
import { installThreadHooks, openGuestMemory, startNofile } from './user-thread-hooks.js';
import { KernelWord, THREADS_OFFSET, THREAD_WORDS, stateOffsetOf } from '../../linux-user/layout.js';
import { loadUserSys } from './user-sys.js';
import { adoptThreadAttrs, threadAttrsOf } from '../../linux-user/syscall-cred.js';
import { setSignalfdHost } from '../../linux-user/signalfd.js';

// signalfds are host eventfds: raising a signal wakes them (signalfd.ts).
const SIGNALFD_ONE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
setSignalfdHost({
  wake: (h) => { try { fs.writeSync(h, SIGNALFD_ONE); } catch { /* counter full */ } },
  ino: (h) => fs.fstatSync(h).ino,
});
import { closeHostFd, makeRpc, nodeHostFs, workerHostProcess, type DirStreams, type UserWorkerData } from './user-host.js';
import { riscvParseCpu } from '../../target/riscv/cpu-models.js';


/** This host thread's CPU time in ms (/proc/thread-self/schedstat; 0 where there is none). */
function threadCpuMs(): number {
  try { return Number(fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6; } catch { return 0; }
}
/** Start-up timestamps, only for TSQEMU_JIT_INFO=1 (the global `performance` loads
 * node:perf_hooks, and schedstat is a file read: a few ms of each thread's start-up). */
const JIT_INFO = process.env.TSQEMU_JIT_INFO === '1';
const stamp = () => (JIT_INFO ? { wall: performance.now(), cpu: threadCpuMs() } : { wall: 0, cpu: 0 });
const T_LOADED = stamp();

function main(d: UserWorkerData): void {
  const port = parentPort!;
  const tMain = stamp();
  useThreadTbClock();
  if (d.cpuCfg) setRiscvCpuCfg(d.cpuCfg);
  const { logFd, as, mm } = openGuestMemory(d.memory, d.logFile, d.logMask);
  tcgApplyEnv(process.env); // TSQEMU_TCG / TSQEMU_TCG_THRESHOLD (block compiler mode)
  riscvParseCpu(d.opts.cpu ?? 'max'); // this thread's RISCVCPUConfig: the process's -cpu
  if (d.interp?.length) riscvAdoptInterpreterModules(d.interp);
  else setRiscvInterpreterCache(diskWasmCache(process.env, USER_INTERP_HINT)); // (may take the module compiled below)
  const sys = loadUserSys();
  // Several guest threads on this worker (thread-host.ts), unless -g debugs the process or
  // TSQEMU_THREAD_HOSTING=0 asks for one worker per thread.
  const hosting = !d.gdbCtl && d.hosting !== false && process.env.TSQEMU_THREAD_HOSTING !== '0';
  const threads: HostedThread[] = [];
  let interpSent = !!d.interp?.length;
  // Threads moved here bring their worker's translations (TSQEMU_THREAD_TBS=0: they do not).
  const shareTbs = hosting && process.env.TSQEMU_THREAD_TBS !== '0';

  /** Guest thread `slot` (its state block is ready) as this worker runs it. */
  function makeThread(slot: number, exe: string, dirs?: DirStreams): HostedThread & { ts: TaskState; cpu: RISCVCPU } {
    const words = new Int32Array(d.memory.buffer, THREADS_OFFSET + slot * THREAD_WORDS * 4, THREAD_WORDS);
    const rpc = makeRpc(port, words);
    const proc = workerHostProcess(port, rpc, slot, logFd);
    // A process that never cloned a thread has not made the code cache yet: make it on the way
    // out, for the next process's threads (user-thread.ts writes it to disk; once per build).
    const exitProcess = proc.exit.bind(proc);
    proc.exit = (status, signal) => { takeCodeCache(); return exitProcess(status, signal); };
    const cpu = new RISCVCPU(as, stateOffsetOf(slot), slot, () => proc.monotonicNs() / 100n);
    if (!interpSent) { interpSent = true; port.postMessage({ op: 'interp', mods: riscvInterpreterModules() }); }
    installUserMode(cpu.env, mm);
    // TSQEMU_JIT_INFO=1: this thread's `info jit` (translation statistics and cost) on stderr when
    // the process exits (bench/user-rss.js reads it).
    if (JIT_INFO) {
      const exit = proc.exit.bind(proc);
      proc.exit = (status, signal) => { fs.writeSync(2, cpu.jitInfo()); return exit(status, signal); };
    }
    const fdt = new FdTable(mm, closeHostFd);
    const ts: TaskState = new TaskState(mm, fdt, nodeHostFs, proc, {
      startThread: (s) => {
        if (!hosting) { port.postMessage({ op: 'start', slot: s, attrs: threadAttrsOf(ts.sys), codeCache: takeCodeCache() }); return; }
        // The new thread stays here (thread-host.ts); the supervisor learns where it is.
        // From now on this worker's translations may go to another with moved threads (the
        // pages as decoded are kept for that: none in a process that never clones).
        cpu.tbCache.exportable = shareTbs;
        threads.push(makeThread(s, ts.exe));
        port.postMessage({ op: 'hosted', slot: s });
      },
      stopOtherThreads: (s) => { rpc({ op: 'stopOthers', slot: s }); },
      sigactionChanged: (sig, kind) => { rpc({ op: 'sigaction', slot, sig, kind }); },
      execed: () => port.postMessage({ op: 'execed' }),
      itimerChanged: () => port.postMessage({ op: 'itimer' }),
      threadExiting: () => { if (JIT_INFO) printThreadInfo(slot, cpu); },
    }, cpu.env, slot, d.opts, exe);
    ts.sys = sys;
    for (const [fd, st] of dirs ?? []) ts.dirStreams.set(fd, st);
    if (mm.kw[KernelWord.FD_LIMIT] === 0) fdt.limit = startNofile();
    return { ts, cpu };
  }

  const dirsOf = new Map(d.dirs ?? []);
  const first = makeThread(d.slot, d.exe, dirsOf.get(d.slot));
  first.cpu.tbCache.exportable = shareTbs && (d.tbs !== undefined || mm.kw[KernelWord.THREAD_COUNT] > 1);
  adoptThreadAttrs(sys, d.attrs); // a new thread: the cloning thread's keepcaps, caps...
  installThreadHooks(sys, mm, d.slot);
  // -g: the debugged thread runs under the stub's control (breakpoints, steps, stops).
  const ctl = d.gdbCtl;
  const tRun = stamp();
  if (!hosting) {
    const runner = ctl ? gdbUserRunner(first.cpu, ctl, d.slot, (sig, seq) => port.postMessage({ op: 'gdbStop', slot: d.slot, sig, seq })) : undefined;
    if (runner) {
      signalGdbHook.thread = first.ts;
      signalGdbHook.handle = (sig) => runner.handleSig(sig);
      first.ts.syscallEnd = () => runner.syscallEnd();
    }
    cpuLoop(first.ts, runner ?? first.cpu);
    port.postMessage({ op: 'threadExit', slot: d.slot });
    return;
  }
  threads.push(first);
  for (const s of d.more ?? []) threads.push(makeThread(s, d.exe, dirsOf.get(s)));
  if (!d.counted) Atomics.add(mm.kw, KernelWord.ONCPU, 1);
  if (shareTbs && d.tbs?.length) first.cpu.tbCache.adopt(d.tbs);
  const host = {
    threads, busSlot: d.slot, cores: hostCores(), tainted: false,
    now: threadCpuMs,
    wantSpare: () => port.postMessage({ op: 'spare' }),
    move: (give: HostedThread[]) => {
      for (const t of give) {
        // Its jump cache holds this worker's table indices; its TLB is refilled there.
        const base = stateOffsetOf(t.ts.slot);
        (t.cpu as RISCVCPU).detach();
        forgetTranslations(mm.bytes, base);
        mm.bytes.fill(0xff, base + TLB_OFFSET, base + CPU_STATE_SIZE);
      }
      const [s, ...more] = give.map((t) => t.ts.slot);
      // (TSQEMU_JIT_INFO=1: when, process time and this worker's CPU, README "Round 10".)
      if (JIT_INFO) fs.writeSync(2, `worker ${threadId}: threads ${give.map((t) => `${t.ts.slot} (a7 ${t.ts.reg(17)})`).join(',')} to another worker at ${performance.now().toFixed(0)} ms (cpu ${threadCpuMs().toFixed(0)})\n`);
      // (Directory streams read ahead go with their threads; exe is the process's, one for all.)
      const dirs = give.filter((t) => t.ts.dirStreams.size).map((t): [number, DirStreams] => [t.ts.slot, [...t.ts.dirStreams]]);
      port.postMessage({ op: 'start', slot: s, more, attrs: threadAttrsOf(sys), codeCache: takeCodeCache(), counted: true, exe: give[0].ts.exe, dirs,
        tbs: shareTbs ? first.cpu.tbCache.exportLive() : undefined });
    },
    exited: (t: HostedThread) => {
      (t.cpu as RISCVCPU).detach();
      // Its last thread gone: a worker whose threads only computed (no call that may block or
      // change the host thread) waits for the supervisor's next threads (a spare: no start-up).
      port.postMessage({ op: 'threadExit', slot: t.ts.slot, spare: threads.length === 0 && !host.tainted });
    },
  };
  cpuLoopHosted(host);
  if (!host.tainted) port.once('message', (next: UserWorkerData) => main(next));

  // TSQEMU_JIT_INFO=1: each thread's start-up and run CPU and its `info jit` when it exits
  // (before a joiner can see it gone: the process may end right after).
  function printThreadInfo(slot: number, cpu: RISCVCPU): void {
    const f = (x: number) => x.toFixed(0);
    fs.writeSync(2, `thread ${slot}: worker ${threadId}, loaded at ${f(T_LOADED.wall)} ms (cpu ${f(T_LOADED.cpu)}), main at ${f(tMain.wall)} (cpu ${f(tMain.cpu)}), ` +
      `running at ${f(tRun.wall)} (cpu ${f(tRun.cpu)}), exit at ${f(performance.now())} (cpu ${f(threadCpuMs())}), ` +
      `${heapText()}, code cache ${(globalThis as { tsqemuCodeCacheUse?: string }).tsqemuCodeCacheUse ?? 'module'}\n` + cpu.jitInfo());
  }
}

/** Host cores the guest's threads may keep busy (one worker each at most when none blocks). */
function hostCores(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/** This isolate's JS heap and external memory (what a guest thread costs beyond Node's own). */
function heapText(): string {
  const m = process.memoryUsage(), mb = (x: number) => (x / 1048576).toFixed(1);
  const young = nodeV8().getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  return `heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MiB (young ${mb(young)}), external ${mb(m.external)} MiB`;
}

/** This thread's V8 code cache for the threads it starts (user-thread.ts), the first time. */
function takeCodeCache(): Uint8Array | undefined {
  return (globalThis as { tsqemuCodeCache?: () => Uint8Array | undefined }).tsqemuCodeCache?.();
}

// Started early (user-prewarm.ts): the thread's data comes in one message. Meanwhile the
// interpreter is compiled from V8's code of an earlier process, if there is some
// (interp-code-cache.ts): a forked child's first thread runs here.
// The interpreter's TurboFan code is written at exit by the main thread (interp-code-cache.ts).
forwardCodeWrites((entry, wire, module) => parentPort!.postMessage({ op: 'interpCode', entry, wire, module }));
const wd = workerData as UserWorkerData | { prewarmed: true };
if ('prewarmed' in wd) {
  const interp = prefetchInterpreterCode(codeCacheDir());
  parentPort!.once('message', (d: UserWorkerData) => { if (interp && !d.interp?.length) void interp.then(() => main(d)); else main(d); });
} else main(wd);
