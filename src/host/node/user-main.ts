// The main thread of tsqemu-riscv64: it owns the shared memory, loads the program (or resumes a
// forked image), and then only supervises: every guest thread runs on a worker; this thread
// starts and stops workers, spawns forked children and reaps them (wait4), turns host signals
// into guest signals, and ends the process with the guest's exit status or signal.
import { guestRandom } from './user-random.js';
import { internalErrorText } from './fatal.js';
import * as fs from 'node:fs';
import { takeRemovedCwd } from './removed-cwd.js';
import { writeAllSync } from './write-all.js';
import * as os from 'node:os';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { childProcess } from './lazy-builtin.js';
import type { Worker } from 'node:worker_threads';
import { distFile } from './dist-path.js';
import { AddressSpace } from '../../exec/memory.js';
import { CPURISCVState, STATE } from '../../target/riscv/cpu-state.js';
import { riscvCpuReset } from '../../target/riscv/cpu_helper.js';
import { riscvCpuCfg } from '../../target/riscv/cpu-cfg.js';
import { GuestMM } from '../../linux-user/mmap.js';
import { FdTable } from '../../linux-user/fdtable.js';
import { type ElfFile, loadExec } from '../../linux-user/elfload.js';
import { Errno, SyscallError } from '../../linux-user/errno.js';
import { getAction, mapSigtramp, raiseOn, raiseProcessSignal } from '../../linux-user/signal.js';
import { expirePosixTimers, SI_TIMER } from '../../linux-user/posix-timers.js';
import { loadProcessImage } from '../../linux-user/process-image.js';
import { epochMs, ITIMER_SIGNALS, itimerCells } from '../../linux-user/signal-wait.js';
import { fixupForkedChild } from '../../linux-user/syscall-exec.js';
import { takeEarlySignals } from './early-signals.js';
import { loadUserSys } from './user-sys.js';
import { type GdbForkInfo, type GdbForkMessage, UserGdb, type UserGdbHost } from './user-gdb.js';
import { pgidServe, pgidServerSocket } from '../../linux-user/pgid-request.js';
import { fdServe, fdServerSocket } from '../../linux-user/fd-request.js';
import type { FdWatchSys } from './fdmon-poll.js';
import { mainThreadWanted, newUserWorker, prewarmedMemory, prewarmUserWorker, takePrewarmedWorker } from './user-prewarm.js';
import { setSignalfdHost } from '../../linux-user/signalfd.js';
import { adoptIds, ForkServer, forkIds } from './user-forkserver.js';
import { runFirstThreadHere } from './user-first.js';

// signalfds are host eventfds: raising a signal wakes them (signalfd.ts).
const SIGNALFD_ONE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
setSignalfdHost({
  wake: (h) => { try { fs.writeSync(h, SIGNALFD_ONE); } catch { /* counter full */ } },
  ino: (h) => fs.fstatSync(h).ino,
});
import { liveShmAttachments, reattachShm } from '../../linux-user/syscall-sysv.js';
import { loseCopies, mapExtentsInChild } from '../../linux-user/shared-map.js';
import { installUserMode } from '../../linux-user/cpu-loop.js';
import type { UserOptions } from '../../linux-user/qemu.js';
import {
  GUEST_BASE, HOST_MEMORY_PAGES, KernelWord, MAX_THREADS, TASK_SIZE, THREAD_WORDS, THREADS_OFFSET, ThreadState,
  ThreadWord, stateOffsetOf,
} from '../../linux-user/layout.js';

/** node --cpu-prof / --prof: leave SIGPROF to V8 (a listener removed puts back SIG_DFL, which kills the profiled process). */
const PROFILING = process.execArgv.some((a) => a.startsWith('--cpu-prof') || a === '--prof');
import { answerRpc, closeHostFd, fifoPool, MSTATUS_FS_DIRTY, type UserMessage, type UserWorkerData } from './user-host.js';
import { exitProcess } from './fast-exit.js';
import { startMallocTrim } from './malloc-trim.js';
import { writeCodeAtExit } from './interp-code-cache.js';

export interface UserMainOptions {
  /** Path of the program as given (execfn), absolute path (for /proc/self/exe). */
  program: string;
  exe: string;
  argv: string[];
  envp: string[];
  opts: UserOptions;
  logMask: number;
  logFile?: string;
  /** -g PORT|PATH: wait for gdb before the program runs (host/node/user-gdb.ts). */
  gdb?: string;
  /** Resume a forked child from this image file (internal). */
  resume?: string;
  /** argv for re-running this binary for a forked child (before --resume). */
  selfArgs: string[];
  /** A child made by a fork server: the host fd now behind each guest fd (user-forkserver.ts). */
  hostFds?: Int32Array;
  /** A forked child: its parent's ids and groups at the fork (user-forkserver.ts forkIds). */
  ids?: string;
  /** A forked child: the shared objects the image's table names (`parent`) and our fds for
   * them (`fds`, -1: lost), shared-map.ts. */
  maps?: { parent: number[]; fds: number[] };
  /** A forked child: the forking thread's caps, keepcaps... ("a,b,..."; syscall-cred.ts). */
  attrs?: string;
}

const SIGNAL_NAMES = os.constants.signals as Record<string, number>;
/** Signals whose default action ends the process and that the host may send us: a listener
 * keeps them pending while the guest blocks them. (Not SIGPIPE: the emulator's own writes to a
 * closed pipe raise it, Node ignores it; not SIGABRT/SIGTRAP/SIGSYS: the runtime's own.) */
const DEFAULT_TERMINATE = new Set([1, 2, 3, 10, 12, 14, 15, 16, 24, 25, 26, 27, 29, 30]);
const nameOfSignal = (n: number) => Object.keys(SIGNAL_NAMES).find((k) => SIGNAL_NAMES[k] === n);
/** Spare workers kept (a worker whose threads ended waits for the next: thread-host.ts). */
const MAX_SPARES = 2;

class Supervisor {
  readonly memory = prewarmedMemory() ?? new WebAssembly.Memory({ initial: HOST_MEMORY_PAGES, maximum: HOST_MEMORY_PAGES, shared: true });
  readonly mm = new GuestMM(this.memory);
  readonly workers = new Map<number, Worker>();
  /** Workers whose threads all ended, waiting for new ones (thread-host.ts). */
  readonly spares: Worker[] = [];
  /** A spare was started ahead for the process's threads (prewarmSpare: once). */
  private sparePrewarmed = false;
  /** ... and it waits, unused. */
  private ahead?: Worker;
  readonly children = new Map<number, ChildProcess>();
  /** Exited children not waited for: pid, wait status, process group (the last one seen). */
  readonly zombies: Array<[number, number, number]> = [];
  /** Live children's process groups, as last seen (waits for a group: pid 0 and < -1). */
  readonly pgids = new Map<number, number>();
  readonly waiters: Array<{ slot: number; pid: number; nowait?: boolean; states?: number }> = [];
  /** Stops and continues of children not reported yet: pid -> si_code << 8 | si_status. */
  readonly stops = new Map<number, number>();
  stopWatch = false;
  readonly listening = new Map<number, () => void>();
  exe = '';
  gdb?: UserGdb;
  /** The interpreter modules the first thread compiled: later threads start with them. */
  interp: Array<[string, WebAssembly.Module]> = [];
  /** The V8 code cache of the workers' script (user-thread.ts): later threads start with it. */
  codeCache?: Uint8Array;
  /** The spare emulator the next fork becomes (started after the first fork). */
  readonly forkServer: ForkServer;

  constructor(readonly o: UserMainOptions) {
    this.forkServer = new ForkServer(loadUserSys(), o.selfArgs);
  }

  words(slot: number): Int32Array {
    return new Int32Array(this.memory.buffer, THREADS_OFFSET + slot * THREAD_WORDS * 4, THREAD_WORDS);
  }

  /** A fresh process: load the program, slot 0 ready to run at the entry point. */
  boot(): void {
    const mm = this.mm;
    const fdt = new FdTable(mm, closeHostFd);
    for (let fd = 0; fd < 3; fd++) {
      try { fs.fstatSync(fd); fdt.installAt(fd, fd, false); } catch { /* closed on the host too */ }
    }
    fdt.cwd = process.cwd();
    openCwd(mm);
    mm.kw[KernelWord.UMASK] = process.umask(0);
    this.serveFds();
    // The program and its interpreter are read in pieces (elfload.ts ElfFile): the headers, then
    // each segment straight into guest memory; the descriptors are closed once loaded.
    const fds: number[] = [];
    const readFile = (p: string): ElfFile => {
      const fd = fs.openSync(p, 'r');
      fds.push(fd);
      const size = fs.fstatSync(fd).size;
      const readAt = (dst: Uint8Array, off: number): void => {
        for (let done = 0; done < dst.length;) {
          const n = fs.readSync(fd, dst, done, dst.length - done, off + done);
          if (n <= 0) throw new SyscallError(Errno.EIO); // shrank while being loaded
          done += n;
        }
      };
      const head = new Uint8Array(Math.min(size, 64 * 1024));
      readAt(head, 0);
      return { head, size, readAt };
    };
    let img: ReturnType<typeof loadExec>;
    try {
      img = loadOrExplain(this.o.program, () => loadExec(mm, {
        program: readFile(this.o.exe),
        readInterp: (p) => {
          const root = this.o.opts.sysroot;
          try {
            if (root && fs.existsSync(root + p)) return readFile(root + p);
            return readFile(p);
          } catch (e) { throw Object.assign(new Error(`interpreter ${p}`), { interp: p, cause: e }); }
        },
        argv: this.o.argv, envp: this.o.envp, execfn: this.o.program,
        ids: { uid: process.getuid?.() ?? 0, euid: process.geteuid?.() ?? 0, gid: process.getgid?.() ?? 0, egid: process.getegid?.() ?? 0 },
        random: guestRandom(-1)(16),
      }));
    } finally { for (const fd of fds) fs.closeSync(fd); }
    mapSigtramp(mm);
    if (!this.mainThread()) {
      for (const sig of DEFAULT_TERMINATE) this.setListener(sig, 'default');
      this.deliverEarlySignals();
    }
    const w = this.words(0);
    w[ThreadWord.TID] = process.pid;
    w[ThreadWord.STATE] = ThreadState.RUNNING;
    w[ThreadWord.ALTSTACK_FLAGS] = 2;
    mm.kw[KernelWord.THREAD_COUNT] = 1;
    const env = this.stateOf(0);
    riscvCpuReset(env, BigInt(img.entry));
    env.set64('mstatus', env.get64('mstatus') | MSTATUS_FS_DIRTY);
    env.setGpr(2, BigInt(img.sp));
    this.exe = this.o.exe;
  }

  /** A forked child answers its parent's setpgid (pgid-request.ts): done before its exec, EACCES
   * after (a closed socket would leave the parent retrying a child it thinks still starting). */
  pgidServer: { fd: number; watch: object } | null = null;
  servePgid(): void {
    const sys = loadUserSys();
    if (!sys || typeof (sys as { fdWatch?: unknown }).fdWatch !== 'function') return;
    const fd = pgidServerSocket(sys, process.pid);
    if (fd < 0) return;
    const w = (sys as unknown as FdWatchSys).fdWatch(fd, 1, () => pgidServe(sys, fd, () => Atomics.load(this.mm.kw, KernelWord.EXECED) !== 0));
    if (typeof w === 'number') { closeHostFd(fd); return; }
    this.pgidServer = { fd, watch: w };
  }
  /** Answer those asked so far (the first thread on the main thread, between system calls). */
  serveFdsNow?: () => void;
  /** Other emulators' pidfd_getfd ask which host fd is our guest fd N (fd-request.ts). */
  serveFds(): void {
    const sys = loadUserSys();
    if (!sys || typeof (sys as { fdWatch?: unknown }).fdWatch !== 'function') return;
    const fd = fdServerSocket(sys, process.pid);
    if (fd < 0) return;
    const serve = () => fdServe(sys, fd, this.memory);
    const w = (sys as unknown as FdWatchSys).fdWatch(fd, 1, serve);
    if (typeof w === 'number') closeHostFd(fd); // (the process ends by finish(), never idle)
    else this.serveFdsNow = serve;
  }

  /** A forked child: rebuild the parent's image; the forking thread becomes slot 0. */
  resume(file: string): void {
    this.servePgid();
    this.serveFds();
    const img = fs.readFileSync(file);
    fs.unlinkSync(file);
    const { exe, slot } = loadProcessImage(this.mm, img, stateOffsetOf(0));
    const shm = liveShmAttachments(this.mm);
    fixupForkedChild(this.mm, slot, process.pid, this.o.hostFds);
    this.mm.kw[KernelWord.ONCPU] = 0; // the parent's workers (thread-host.ts): ours start from none
    this.mm.kw[KernelWord.SPARES] = 0;
    reattachShm(this.mm, loadUserSys(), shm); // SysV segments are inherited, shared
    this.shareMappings();
    openCwd(this.mm);
    adoptIds(loadUserSys(), this.o.ids ?? ''); // after the cwd: it may not be theirs to open
    this.mm.flushAllTlbs();
    this.exe = exe;
    for (let sig = 1; sig <= 64; sig++) {
      const h = getAction(this.mm, sig).handler;
      this.setListener(sig, h === 0n ? 'default' : h === 1n ? 'ignore' : 'handler');
    }
    this.deliverEarlySignals();
  }

  /** Signals that came before the guest's dispositions were set (early-signals.ts), delivered
   * now through the listener that follows the guest's disposition. */
  deliverEarlySignals(): void {
    for (const sig of takeEarlySignals()) this.listening.get(sig)?.();
  }

  /** A forked child maps its parent's MAP_SHARED objects at the same addresses (shared-map.ts);
   * memory the parent had only as a private copy cannot be shared (LOST pages). */
  shareMappings(): void {
    const sys = loadUserSys(), m = this.o.maps ?? { parent: [], fds: [] };
    loseCopies(this.mm);
    const failed = mapExtentsInChild(this.mm, sys, m.parent, m.fds, (fd) => fs.fstatSync(fd).size, (fd) => fs.closeSync(fd));
    for (const a of failed) process.stderr.write(`tsqemu-riscv64: fork: MAP_SHARED memory at 0x${a.toString(16)} cannot be shared with the child\n`);
  }

  stateOf(slot: number): CPURISCVState {
    const as = new AddressSpace(this.memory);
    as.addRam('guest', 0, TASK_SIZE, GUEST_BASE);
    const env = new CPURISCVState(as, stateOffsetOf(slot), slot);
    installUserMode(env, this.mm);
    return env;
  }

  /** A worker for guest thread `slot` (and `more`, threads another worker gives it: their
   * state blocks are ready; thread-host.ts). */
  startThread(slot: number, attrs?: number[], moved?: { more?: number[]; counted?: boolean; exe?: string; dirs?: UserWorkerData['dirs']; tbs?: UserWorkerData['tbs'] }): void {
    const data: UserWorkerData = { memory: this.memory, slot, attrs, opts: this.o.opts, exe: moved?.exe ?? this.exe, logMask: this.o.logMask, logFile: this.o.logFile, cpuCfg: riscvCpuCfg(),
      gdbCtl: this.gdb?.ctl, interp: this.interp, codeCache: this.codeCache,
      more: moved?.more, counted: moved?.counted, dirs: moved?.dirs, tbs: moved?.tbs, hosting: this.gdb ? false : undefined };
    // The worker cli/riscv64.ts started early (same memory) takes the first thread.
    const pre = takePrewarmedWorker();
    if (pre && pre.memory !== this.memory) void pre.worker.terminate();
    // A spare (a worker whose threads ended: thread-host.ts) takes threads without starting.
    const spare = this.gdb ? undefined : this.spares.pop();
    if (spare === this.ahead) this.ahead = undefined;
    if (spare) this.countSpares();
    const w = spare ?? (pre && pre.memory === this.memory ? pre.worker : newUserWorker(data));
    if (w === pre?.worker || w === spare) w.postMessage(data);
    if (spare) spare.ref();
    this.workers.set(slot, w);
    for (const s of moved?.more ?? []) this.workers.set(s, w);
    if (spare) return; // (its listeners are on)
    w.on('message', (m: UserMessage) => this.onMessage(m, w));
    w.on('error', (e) => {
      writeAllSync(2, internalErrorText('tsqemu-riscv64', e)); // process.stderr.write may still be queued at exit
      this.finish(134, 0);
    });
  }

  /** A worker first ran two threads while a host core idled (thread-host.ts wantSpare): start a
   * worker now, as a spare, for the split to come. A worker takes ~0.1 s of CPU and ~0.3 s or
   * more of wall to start; started only at the split (after REBALANCE_MS of the first worker's
   * CPU), 8 compute threads ran on one core for ~0.5 s of wall (bench/threads.js). Now it loads
   * on the idle core during those REBALANCE_MS, and the split (or a thread moving to block)
   * takes it. Once per process (later spares are workers whose threads ended), not under -g. */
  private prewarmSpare(): void {
    if (this.sparePrewarmed || this.gdb || this.spares.length) return;
    this.sparePrewarmed = true;
    if ((typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length) < 2) return;
    const w = newUserWorker({ prewarmed: true, memory: this.memory, codeCache: this.codeCache });
    w.unref(); // (as every spare: it keeps the process from nothing)
    w.on('message', (m: UserMessage) => this.onMessage(m, w));
    w.on('error', (e) => {
      writeAllSync(2, internalErrorText('tsqemu-riscv64', e));
      this.finish(134, 0);
    });
    this.ahead = w;
    this.spares.push(w);
    if (process.env.TSQEMU_JIT_INFO === '1') writeAllSync(2, `spare worker ${w.threadId} started ahead at ${performance.now().toFixed(0)} ms\n`);
  }

  /** KernelWord.SPARES: workers split sooner while a spare waits (thread-host.ts). */
  private countSpares(): void {
    // (Not the spare started ahead: splits wait their REBALANCE_MS for it, as before, so a program
    // starting its threads in a loop has started them all; it has loaded by then.)
    Atomics.store(this.mm.kw, KernelWord.SPARES, this.spares.filter((w) => w !== this.ahead).length);
  }

  onMessage(m: UserMessage, from?: Worker): void {
    switch (m.op) {
      case 'start': this.codeCache ??= m.codeCache; this.startThread(m.slot, m.attrs, m); break;
      case 'hosted': if (from) this.workers.set(m.slot, from); break; // a clone its worker runs
      case 'spare': this.prewarmSpare(); break;
      case 'threadExit': this.stopThread(m.slot, undefined, m.spare); break;
      case 'stopOthers': {
        // (The asking thread is alone on its worker: execve is made on a worker of its own.)
        const keep = this.workers.get(m.slot);
        for (const slot of [...this.workers.keys()]) if (slot !== m.slot) this.stopThread(slot, keep);
        this.mm.kw[KernelWord.THREAD_COUNT] = 1;
        this.mm.kw[KernelWord.ONCPU] = 0; // the asking worker counts itself again after the call
        answerRpc(this.words(m.slot), 0);
        break;
      }
      case 'spawn':
        try { this.spawn(m.slot, m.imagePath, m.fds, m.cwd, m.vfork, m.maps ?? [], m.mapFds ?? [], m.attrs); } finally {
          for (const fd of m.mapFds ?? []) if (fd >= 0) fs.closeSync(fd); // the child has its own now
        }
        break;
      case 'execed': this.releaseVforkParent(); break; // the pgid server stays: it says EACCES now
      case 'itimer': this.armItimers(); break;
      case 'wait': this.waiters.push({ slot: m.slot, pid: m.pid, nowait: m.nowait, states: m.states }); this.serveWaits(m.nohang); break;
      case 'exit': this.finish(m.status, m.signal); break;
      case 'sigaction': this.setListener(m.sig, m.kind); answerRpc(this.words(m.slot), 0); break;
      case 'gdbStop': this.gdb?.onStop(m.slot, m.sig, m.seq); break;
      case 'interp': if (this.interp.length === 0) this.interp = m.mods; break;
      case 'interpCode': writeCodeAtExit(m.entry, m.wire, m.module); break; // (a worker compiled it)
    }
  }

  /** Thread `slot` ended (or is ended): its worker too once it runs no other thread (never `keep`). */
  stopThread(slot: number, keep?: Worker, spare?: boolean): void {
    const w = this.workers.get(slot);
    this.workers.delete(slot);
    if (w && w !== keep && ![...this.workers.values()].includes(w)) {
      // Kept for the next threads (it waits for them), a few at most; idle, it keeps the
      // process from nothing.
      if (spare && this.spares.length < MAX_SPARES) { w.unref(); this.spares.push(w); this.countSpares(); } else void w.terminate();
    }
    const words = this.words(slot);
    words.fill(0);
  }

  /** A vfork child tells its parent (over the IPC channel) that it exec'd: the parent goes on. */
  releaseVforkParent(): void {
    if (!process.send || !process.connected) return;
    process.send('execed');
    if (!this.gdb?.forking) process.disconnect(); // (gdb's fork following still talks on it)
  }

  spawn(slot: number, imagePath: string, fds: number[], cwd: string, vfork: boolean, maps: number[], mapFds: number[], attrs?: number[]): void {
    const stdio: StdioOptions = fds.map((h) => (h >= 0 ? h : 'ignore'));
    while (stdio.length < 3) stdio.push('ignore');
    // vfork: an IPC channel past the guest's fds says when the child exec'd. A fresh child
    // (no spare) says on it when its JavaScript runs (early-signals.ts keeps SIGUSR1 from
    // then on): fork returns then, so a signal sent at once never meets Node's inspector.
    stdio.push('ipc');
    // Shared objects (shared-map.ts) after those: TSQEMU_FORK_MAPS says which is which.
    const mapAt = maps.map((fd, i) => `${fd}:${mapFds[i] >= 0 ? stdio.push(mapFds[i]) - 1 : -1}`).join();
    // -g and gdb follows forks: the child shares gdb's connection (a fresh child: the spare has
    // no such fd) and hears from us over the IPC channel (host/node/user-gdb.ts).
    const gdbFork = this.gdb?.forkStart();
    const gdbEnv = gdbFork ? { TSQEMU_GDB_FORK: `${stdio.push(gdbFork.fd) - 1},${gdbFork.info(this.words(slot)[ThreadWord.TID])}` } : {};
    let child: ChildProcess;
    let fresh = false;
    try {
      const ids = forkIds(loadUserSys());
      const attrList = (attrs ?? []).join();
      const spare = gdbFork ? null : this.forkServer.take({ imagePath, cwd, vfork, ids, maps, attrs: attrList }, fds, mapFds);
      fresh = !spare;
      const ready = vfork ? {} : { TSQEMU_FORK_READY: '1' };
      child = spare ?? childProcess().spawn(process.execPath, [...process.execArgv, ...this.o.selfArgs, '--resume', imagePath], { stdio, cwd, env: { ...process.env, TSQEMU_FORK_IDS: ids, TSQEMU_FORK_MAPS: mapAt, TSQEMU_FORK_ATTRS: attrList, ...ready, ...gdbEnv } });
    } catch {
      answerRpc(this.words(slot), -11);
      return;
    }
    this.forkServer.prestart(); // for the next fork
    const pid = child.pid ?? -1;
    if (pid < 0) { child.on('error', () => {}); answerRpc(this.words(slot), -11); return; }
    this.children.set(pid, child);
    this.pgids.set(pid, loadUserSys()?.procIds(0, pid, 0) ?? 0);
    this.watchStops();
    if (gdbFork && this.gdb) {
      const gdb = this.gdb;
      child.on('message', (m: unknown) => { const g = (m as { gdb?: GdbForkMessage } | null)?.gdb; if (g) gdb.peerMessage(g); });
      child.on('disconnect', () => gdb.peerGone());
      gdb.forkEnd(slot, pid, (m) => { if (child.connected) child.send({ gdb: m }, undefined, undefined, () => {}); });
    }
    let suspended = vfork || fresh;
    const release = () => { if (suspended) { suspended = false; answerRpc(this.words(slot), pid); } };
    if (suspended) {
      child.on('message', release);
      child.on('disconnect', release);
    }
    child.on('exit', (code, signal) => {
      release();
      const sig = signal ? SIGNAL_NAMES[signal] ?? 9 : 0;
      this.zombies.push([pid, sig ? sig : (code ?? 0) << 8, this.pgids.get(pid) ?? 0]);
      this.children.delete(pid);
      this.pgids.delete(pid);
      this.stops.delete(pid);
      const kw = this.mm.kw; // SIGCHLD's siginfo: CLD_KILLED or CLD_EXITED
      kw[KernelWord.CHLD_PID] = pid;
      kw[KernelWord.CHLD_CODE] = sig ? 2 : 1;
      kw[KernelWord.CHLD_STATUS] = sig ? sig : code ?? 0;
      // The first of several changes keeps its siginfo while SIGCHLD is pending (Linux coalesces).
      raiseProcessSignal(this.mm, 17, { signo: 17, code: kw[KernelWord.CHLD_CODE], pid, uid: process.getuid?.() ?? 0, status: kw[KernelWord.CHLD_STATUS] });
      this.pokeThreads();
      this.serveWaits(false);
    });
    if (!suspended) answerRpc(this.words(slot), pid);
  }

  /** Children stopped or continued by a signal (libuv reports only exits): on each host SIGCHLD,
   * ask the host which children changed (addon waitid WSTOPPED|WCONTINUED, never an exit),
   * note it for wait4/waitid and raise SIGCHLD (CLD_STOPPED/CLD_CONTINUED) unless the guest's
   * SIGCHLD action has SA_NOCLDSTOP. */
  watchStops(): void {
    const sys = loadUserSys();
    if (this.stopWatch || !sys) return;
    this.stopWatch = true;
    process.on('SIGCHLD', () => {
      for (const pid of this.children.keys()) {
        const r = sys.procIds(4, pid, 0);
        if (r <= 0) continue;
        this.stops.set(pid, r);
        const kw = this.mm.kw;
        kw[KernelWord.CHLD_PID] = pid;
        kw[KernelWord.CHLD_CODE] = r >> 8;
        kw[KernelWord.CHLD_STATUS] = r & 0xff;
        if (!(getAction(this.mm, 17).flags & 1n)) { // SA_NOCLDSTOP
          raiseProcessSignal(this.mm, 17, { signo: 17, code: r >> 8, pid, uid: process.getuid?.() ?? 0, status: r & 0xff });
        }
        this.pokeThreads();
      }
      this.serveWaits(false);
    });
  }

  /** Answer waiters whose child is ready; with `nohang`, also the newest waiter with 0. A
   * waiter's pid: -1 any child, > 0 that child, < -1 the children in process group -pid
   * (syscall-exec.ts turns pid 0 into the caller's group). */
  serveWaits(nohang: boolean): void {
    const CLD_STOPPED = 5, CLD_CONTINUED = 6, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8;
    if (this.waiters.some((w) => w.pid < -1)) {
      // Children's groups now (a child may have moved; a gone one keeps its last).
      const sys = loadUserSys();
      for (const pid of this.children.keys()) {
        const g = sys?.procIds(0, pid, 0) ?? -1;
        if (g > 0) this.pgids.set(pid, g);
      }
    }
    const matches = (w: { pid: number }, pid: number, pgid: number) =>
      w.pid === -1 || pid === w.pid || (w.pid < -1 && pgid === -w.pid);
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      const states = w.states ?? WEXITED;
      const z = states & WEXITED ? this.zombies.findIndex(([pid, , g]) => matches(w, pid, g)) : -1;
      const hasChild = [...this.children.keys()].some((pid) => matches(w, pid, this.pgids.get(pid) ?? 0)) ||
        this.zombies.some(([pid, , g]) => matches(w, pid, g));
      const stop = [...this.stops].find(([pid, r]) => matches(w, pid, this.pgids.get(pid) ?? 0) &&
        ((r >> 8 === CLD_STOPPED && (states & WSTOPPED)) || (r >> 8 === CLD_CONTINUED && (states & WCONTINUED))));
      if (z >= 0) {
        // WNOWAIT: report the child and leave it waitable.
        const [pid, status] = w.nowait ? this.zombies[z] : this.zombies.splice(z, 1)[0];
        answerRpc(this.words(w.slot), pid, status);
      } else if (stop) {
        // Wait statuses: stopped (sig << 8 | 0x7f), continued (0xffff).
        if (!w.nowait) this.stops.delete(stop[0]);
        answerRpc(this.words(w.slot), stop[0], stop[1] >> 8 === CLD_STOPPED ? ((stop[1] & 0xff) << 8) | 0x7f : 0xffff);
      } else if (!hasChild) answerRpc(this.words(w.slot), -10); // ECHILD
      else if (nohang && i === this.waiters.length - 1) answerRpc(this.words(w.slot), 0, 0);
      else continue;
      this.waiters.splice(i--, 1);
    }
  }

  itimer: ReturnType<typeof setTimeout> | null = null;

  /** (Re-)arm one host timer for the nearest interval or POSIX timer of the guest
   * (signal-wait.ts, posix-timers.ts); when it fires, raise the expired timers' signals and
   * reload the periodic ones. */
  armItimers(): void {
    if (this.itimer) clearTimeout(this.itimer);
    this.itimer = null;
    const c = itimerCells(this.mm);
    const now = epochMs();
    let next = Infinity;
    for (let i = 0; i < 3; i++) {
      if (c[i * 2] === 0) continue;
      if (c[i * 2] <= now) {
        // Reload (or disarm) first: a thread woken by the signal may look at the timer at once.
        c[i * 2] = c[i * 2 + 1] > 0 ? Math.max(c[i * 2] + c[i * 2 + 1], now + 0.01) : 0;
        raiseProcessSignal(this.mm, ITIMER_SIGNALS[i]);
        this.pokeThreads();
      }
      if (c[i * 2] !== 0) next = Math.min(next, c[i * 2]);
    }
    next = Math.min(next, expirePosixTimers(this.mm, now, (id, signo, tid, value) => {
      const info = { signo, code: SI_TIMER, pid: id, uid: 0, value };
      let ok = false;
      if (tid === 0) ok = raiseProcessSignal(this.mm, signo, info);
      else {
        for (let slot = 0; slot < MAX_THREADS; slot++) {
          const w = this.words(slot);
          if (w[ThreadWord.STATE] === ThreadState.RUNNING && w[ThreadWord.TID] === tid) ok = raiseOn(this.mm, w, ThreadWord.PENDING_LO, slot, signo, info);
        }
      }
      this.pokeThreads();
      return ok;
    }, () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }));
    if (next !== Infinity) {
      this.itimer = setTimeout(() => this.armItimers(), Math.max(0, Math.ceil(next - now)));
      this.itimer.unref();
    }
  }

  /** Make running threads leave their run() soon and look at their pending signals. */
  pokeThreads(): void {
    const i32 = new Int32Array(this.memory.buffer);
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      const w = this.words(slot);
      if (w[ThreadWord.STATE] !== ThreadState.RUNNING) continue;
      Atomics.store(i32, (stateOffsetOf(slot) + STATE.exit_request.offset) >> 2, 1);
      Atomics.store(w, ThreadWord.WAKE, 1);
      Atomics.notify(w, ThreadWord.WAKE);
    }
  }

  /** Host signal dispositions follow the guest's: default = no listener (the host default),
   * except for the signals that terminate (below). */
  setListener(sig: number, kind: 'default' | 'ignore' | 'handler'): void {
    const name = nameOfSignal(sig);
    // SIGSEGV and SIGBUS stay the host's (V8's wasm trap handler, busGuard). SIGILL and SIGFPE
    // from another process (kill) reach a guest handler or are ignored as the guest says (LTP
    // pause01: the child died of the SIGILL); at the default they keep the host's default
    // action (with core), which is Linux's.
    if (!name || sig === 9 || sig === 19 || sig === 17 || sig === 11 || sig === 7) return;
    if (sig === 27 && PROFILING) return; // V8's sampling profiler owns SIGPROF (node --cpu-prof / --prof)
    const old = this.listening.get(sig);
    if (old) { process.off(name as NodeJS.Signals, old); this.listening.delete(sig); }
    if (kind === 'default' && !DEFAULT_TERMINATE.has(sig)) return;
    const fn = kind === 'default' ? () => this.defaultSignal(sig) : kind === 'ignore' ? () => {} : () => { raiseProcessSignal(this.mm, sig); this.pokeThreads(); };
    process.on(name as NodeJS.Signals, fn);
    this.listening.set(sig, fn);
  }

  /** A terminating signal with the default action came from another process: as Linux, it
   * ends the process at once unless every thread blocks it; then it stays pending until a
   * thread unblocks it (that thread's processPendingSignals ends the process then). */
  defaultSignal(sig: number): void {
    const bit = 1 << ((sig - 1) & 31), hi = sig > 32;
    let blocked = false;
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      const w = this.words(slot);
      if (w[ThreadWord.STATE] !== ThreadState.RUNNING) continue;
      blocked = (Atomics.load(w, hi ? ThreadWord.MASK_HI : ThreadWord.MASK_LO) & bit) !== 0;
      if (!blocked) break;
    }
    if (!blocked) { this.finish(0, sig); return; }
    raiseProcessSignal(this.mm, sig);
    this.pokeThreads();
  }

  /** End the emulator as the guest ended: exit status, or the same signal. */
  finish(status: number, signal: number): void {
    this.gdb?.onExit(status, signal);
    fifoPool.dispose();
    for (const w of new Set([...this.workers.values(), ...this.spares])) void w.terminate();
    if (signal) {
      const name = nameOfSignal(signal);
      if (name) {
        for (const [l, fn] of this.listening) process.off(nameOfSignal(l) as NodeJS.Signals, fn);
        this.listening.clear();
        // Node ignores SIGPIPE; a listener added and removed puts back SIG_DFL.
        // (SIGKILL and SIGSTOP take no listener: uv_signal_start fails with EINVAL.)
        if (signal !== 9 && signal !== 19) {
          const noop = () => {};
          process.on(name as NodeJS.Signals, noop);
          process.off(name as NodeJS.Signals, noop);
        }
        process.kill(process.pid, name as NodeJS.Signals);
        setTimeout(() => process.exit(128 + signal), 1000);
        return;
      }
    }
    exitProcess(status);
  }

  run(): void {
    if (this.o.resume) this.resume(this.o.resume);
    else this.boot();
    if (this.o.gdb !== undefined && !this.o.resume) { void this.debug(this.o.gdb); return; }
    const gdbFork = this.o.resume ? process.env.TSQEMU_GDB_FORK : undefined;
    if (gdbFork) { delete process.env.TSQEMU_GDB_FORK; void this.debugForked(gdbFork); return; }
    if (this.mainThread()) { this.runHere(); return; }
    // A forked child's thread keeps the forking thread's caps, keepcaps, slack... (as clone).
    this.startThread(0, this.o.attrs ? this.o.attrs.split(',').map(Number) : undefined);
    startMallocTrim();
  }

  /** A fresh process's first thread runs on this thread (user-first.ts) unless a worker was
   * started for it (cli/riscv64.ts decides: forked children, -g, TSQEMU_MAIN_THREAD=0). */
  mainThread(): boolean {
    return !this.o.resume && this.o.gdb === undefined && mainThreadWanted() && prewarmedMemory() === null;
  }

  /** Thread 0 here until it exits or needs the supervisor's loop; then on to a worker. */
  runHere(): void {
    // Host signals keep their default action meanwhile (the guest's are too): Node's own
    // SIGUSR1 handler (its inspector) goes (a listener added and removed puts back SIG_DFL).
    // One that came before (early-signals.ts) is sent again to meet the default action.
    const early = takeEarlySignals();
    for (const sig of DEFAULT_TERMINATE) {
      const name = nameOfSignal(sig);
      if (!name || (sig === 27 && PROFILING)) continue;
      const noop = () => {};
      process.on(name as NodeJS.Signals, noop);
      process.off(name as NodeJS.Signals, noop);
    }
    for (const sig of early) process.kill(process.pid, sig);
    const m = runFirstThreadHere({
      memory: this.memory, opts: this.o.opts, exe: this.exe, logMask: this.o.logMask, logFile: this.o.logFile,
      finish: (status, signal) => this.finish(status, signal), execed: () => this.releaseVforkParent(),
      serve: this.serveFdsNow,
    });
    if (!m) return; // the process is ending
    for (const sig of DEFAULT_TERMINATE) this.setListener(sig, 'default');
    this.interp = m.interp;
    this.startThread(0, m.attrs, { exe: m.exe, dirs: m.dirs, tbs: m.tbs });
    startMallocTrim();
  }

  /** -g: the first thread starts when gdb first resumes it. */
  async debug(dev: string): Promise<void> {
    try {
      this.gdb = await UserGdb.listen(dev, this.gdbHost());
    } catch (e) {
      process.stderr.write(`tsqemu-riscv64: -g ${dev}: ${(e as Error).message}\n`);
      process.exit(1);
    }
  }

  /** A child forked under gdb's fork following: "FD,{ppid,ptid,conn}" (user-gdb.ts). Its first
   * thread starts when gdb resumes it, or at once if gdb detaches it. */
  async debugForked(arg: string): Promise<void> {
    const comma = arg.indexOf(',');
    const info = { fd: Number(arg.slice(0, comma)), ...(JSON.parse(arg.slice(comma + 1), (k, v) => (k === 'breakpoints' ? (v as string[]).map(BigInt) : v)) as Omit<GdbForkInfo, 'fd'>) };
    const post = (m: GdbForkMessage) => { if (process.send && process.connected) process.send({ gdb: m }, undefined, undefined, () => {}); };
    try {
      this.gdb = await UserGdb.forked(info, this.gdbHost(), post);
    } catch {
      this.startThread(0); // (the connection is gone: undebugged, as QEMU's fail path)
      return;
    }
    const gdb = this.gdb;
    process.on('message', (m: unknown) => { const g = (m as { gdb?: GdbForkMessage } | null)?.gdb; if (g) gdb.peerMessage(g); });
    process.on('disconnect', () => gdb.peerGone());
    if (!process.connected) gdb.peerGone();
  }

  gdbHost(): UserGdbHost {
    const i32 = new Int32Array(this.memory.buffer);
    return {
        memory: this.memory, mm: this.mm, pid: process.pid,
        stateOf: (slot) => this.stateOf(slot),
        threads: () => {
          const live: Array<[number, number]> = [];
          for (let slot = 0; slot < MAX_THREADS; slot++) {
            const w = this.words(slot);
            if (Atomics.load(w, ThreadWord.STATE) === ThreadState.RUNNING) live.push([slot, w[ThreadWord.TID]]);
          }
          return live;
        },
        start: () => this.startThread(0),
        poke: (slot) => Atomics.store(i32, (stateOffsetOf(slot) + STATE.exit_request.offset) >> 2, 1),
        kill: () => { process.stderr.write('tsqemu-riscv64: QEMU: Terminated via GDBstub\n'); this.finish(0, 0); },
    };
  }
}

/** A Go program (the gc toolchain's): its build ID note ("Go", type 4) in the first page. */
export function isGoProgram(exe: string): boolean {
  const head = Buffer.alloc(4096);
  let n = 0;
  try {
    const fd = fs.openSync(exe, 'r');
    try { n = fs.readSync(fd, head, 0, head.length, 0); } finally { fs.closeSync(fd); }
  } catch { return false; }
  // Elf64_Nhdr: namesz 4, descsz, type 4 (NT_GO_BUILDID), then "Go\0\0".
  for (let i = head.indexOf('Go\0\0', 12, 'latin1'); i >= 12 && i + 4 <= n; i = head.indexOf('Go\0\0', i + 1, 'latin1')) {
    if (head.readUInt32LE(i - 12) === 4 && head.readUInt32LE(i - 4) === 4) return true;
  }
  return false;
}

/** The guest's cwd as an open directory (KernelWord.CWD_FD): the host process's own. */
function openCwd(mm: GuestMM): void {
  const removed = takeRemovedCwd(); // (removed-cwd.ts: the host process is in / then)
  if (removed >= 0) { mm.kw[KernelWord.CWD_FD] = removed + 1; return; }
  try { mm.kw[KernelWord.CWD_FD] = fs.openSync('.', 'r') + 1; } catch { /* unreadable: the path alone */ }
}

export function runUserMode(o: UserMainOptions): void {
  // A Go program clones its threads at once (its first signal calls come after ~30 system
  // calls): on the main thread first, it cost ~7 MiB more peak RSS (the main isolate compiles
  // the CPU loop too) and no CPU less. Its worker starts now, while the program loads.
  if (!o.resume && o.gdb === undefined && mainThreadWanted() && prewarmedMemory() === null && isGoProgram(o.exe)) prewarmUserWorker();
  new Supervisor(o).run();
}

export const USER_CLI_PATH = distFile('cli/riscv64.js');

/** Load the first program, or say what is wrong in QEMU's words and exit as it does (no Node
 * stack trace): a missing interpreter, another architecture's ELF, a file that is not ELF. */
function loadOrExplain<T>(program: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    const err = e as { interp?: string; errno?: number; cause?: { code?: string } };
    if (err.interp !== undefined) {
      const why = err.cause?.code === 'ENOENT' ? 'No such file or directory' : err.cause?.code === 'EACCES' ? 'Permission denied' : 'Exec format error';
      process.stderr.write(`tsqemu-riscv64: Could not open '${err.interp}': ${why}\n`);
      process.exit(255);
    }
    if (err.errno === 8) {
      let head = Buffer.alloc(0);
      try { head = fs.readFileSync(program).subarray(0, 4); } catch { /* gone */ }
      if (head.toString('latin1') === '\x7fELF') {
        process.stderr.write(`tsqemu-riscv64: ${program}: Invalid ELF image for this architecture\n`);
        process.exit(255);
      }
      process.stderr.write(`tsqemu-riscv64: Error while loading ${program}: Exec format error\n`);
      process.exit(1);
    }
    throw e;
  }
}
