// The host side of tsqemu-riscv64 on Node: file system calls on node:fs (synchronous, real host
// descriptors), pipes made from FIFOs (Node has no pipe()), and a HostProcess for guest threads
// running on worker threads, whose process-level requests (fork, wait, exit) go to the main
// thread as messages answered through the thread's words in shared memory.
import type { TbExport } from '../../target/riscv/tb-cache.js';
import type { RISCVCPUConfig } from '../../target/riscv/cpu-cfg.js';
import { guestRandom, unameRelease } from './user-random.js';
import * as fs from 'node:fs';
import { writeAllSync } from './write-all.js';
import * as os from 'node:os';
import * as path from 'node:path';
import { childProcess, workerThreads } from './lazy-builtin.js';
import { isatty } from './isatty.js';
import type { MessagePort } from 'node:worker_threads';
import type { HostDirent, HostFs, HostProcess, HostStat, HostStatfs, SpawnRequest } from '../../linux-user/host.js';
import { ThreadWord } from '../../linux-user/layout.js';
import type { UserOptions } from '../../linux-user/qemu.js';

export interface UserWorkerData {
  memory: WebAssembly.Memory;
  slot: number;
  opts: UserOptions;
  exe: string;
  logMask: number;
  logFile?: string;
  /** The -cpu configuration (extensions, vlen) the main thread parsed. */
  cpuCfg?: RISCVCPUConfig;
  /** -g: the GDB stub's control block (linux-user/gdb-user.ts), shared by every thread. */
  gdbCtl?: Int32Array;
  /** Interpreter modules another thread compiled (shared, not generated again). */
  interp?: Array<[string, WebAssembly.Module]>;
  /** The cloning thread's per-thread host attributes (syscall-cred.ts threadAttrsOf). */
  attrs?: number[];
  /** V8 code cache of the worker's script, made by the first thread that started one (user-thread.ts). */
  codeCache?: Uint8Array;
  /** More guest threads this worker runs (moved here: thread-host.ts), their state blocks ready. */
  more?: number[];
  /** Already counted in KernelWord.ONCPU by the worker that moved the threads. */
  counted?: boolean;
  /** The moving worker's translations (tb-cache.ts exportLive): installed before they run. */
  tbs?: TbExport[];
  /** false: one guest thread on this worker (-g). */
  hosting?: boolean;
  /** Moved threads' directory streams (TaskState.dirStreams), by slot. */
  dirs?: Array<[number, DirStreams]>;
}

/** A thread's directory streams read ahead (TaskState.dirStreams), as a message carries them. */
export type DirStreams = Array<[number, { entries: Uint8Array[]; pos: number }]>;

/** FS = Dirty in mstatus: Linux starts every program with the FPU usable. */
/** FS and VS dirty: a Linux process may use the FPU and, when configured, the vector unit. */
export const MSTATUS_FS_DIRTY = 0x6600n;


const DT: Array<[(d: fs.Dirent) => boolean, number]> = [
  [(d) => d.isFIFO(), 1], [(d) => d.isCharacterDevice(), 2], [(d) => d.isDirectory(), 4],
  [(d) => d.isBlockDevice(), 6], [(d) => d.isFile(), 8], [(d) => d.isSymbolicLink(), 10], [(d) => d.isSocket(), 12],
];

/** The host's mkfifo (the guest's PATH is not ours to rely on). */
const MKFIFO = ['/usr/bin/mkfifo', '/bin/mkfifo'].find((p) => fs.existsSync(p)) ?? 'mkfifo';

/** FIFOs are made in batches (one mkfifo process per batch) in a directory of this emulator
 * process, shared by its workers and removed when the process ends. */
class FifoPool {
  private readonly dir = path.join(os.tmpdir(), `tsqemu-fifo-${process.pid}`);
  private free: string[] = [];
  private n = 0;
  take(): string {
    if (this.free.length === 0) {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const names: string[] = [];
      for (let i = 0; i < 16; i++) names.push(path.join(this.dir, `p${workerThreads().threadId}-${this.n++}`));
      childProcess().execFileSync(MKFIFO, ['-m', '600', ...names]);
      this.free.push(...names);
    }
    return this.free.pop()!;
  }
  dispose(): void {
    // (Only when a thread made it: the recursive rmSync loads Node's rimraf, in every run.)
    if (fs.existsSync(this.dir)) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
export const fifoPool = new FifoPool();

export const nodeHostFs: HostFs = {
  open: (p, flags, mode) => fs.openSync(p, flags, mode),
  close: (fd) => fs.closeSync(fd),
  read: (fd, buf, pos) => fs.readSync(fd, buf, 0, buf.length, pos),
  write: (fd, buf, pos) => fs.writeSync(fd, buf, 0, buf.length, pos),
  fstat: (fd) => fs.fstatSync(fd, { bigint: true }) as HostStat,
  stat: (p) => fs.statSync(p, { bigint: true }) as HostStat,
  lstat: (p) => fs.lstatSync(p, { bigint: true }) as HostStat,
  readdir: (p): HostDirent[] => {
    // In the host's order, as getdents64 gives it (fs.readdirSync sorts the names: libuv's scandir).
    const dir = fs.opendirSync(p, { bufferSize: 256 });
    const out: HostDirent[] = [];
    try {
      for (let d = dir.readSync(); d !== null; d = dir.readSync()) out.push({ name: d.name, type: DT.find(([f]) => f(d!))?.[1] ?? 0 });
    } finally {
      dir.closeSync();
    }
    return out;
  },
  readlink: (p) => fs.readlinkSync(p),
  mkdir: (p, mode) => { fs.mkdirSync(p, { mode }); },
  rmdir: (p) => fs.rmdirSync(p),
  unlink: (p) => fs.unlinkSync(p),
  rename: (a, b) => fs.renameSync(a, b),
  link: (a, b) => fs.linkSync(a, b),
  symlink: (t, p) => fs.symlinkSync(t, p),
  chmod: (p, m) => fs.chmodSync(p, m),
  fchmod: (fd, m) => fs.fchmodSync(fd, m),
  chown: (p, u, g, follow) => (follow ? fs.chownSync(p, u, g) : fs.lchownSync(p, u, g)),
  fchown: (fd, u, g) => fs.fchownSync(fd, u, g),
  utimes: (p, a, m, follow) => (follow ? fs.utimesSync(p, a, m) : fs.lutimesSync(p, a, m)),
  futimes: (fd, a, m) => fs.futimesSync(fd, a, m),
  truncate: (p, len) => fs.truncateSync(p, len),
  ftruncate: (fd, len) => fs.ftruncateSync(fd, len),
  fsync: (fd) => fs.fsyncSync(fd),
  fdatasync: (fd) => fs.fdatasyncSync(fd),
  access: (p, mode) => fs.accessSync(p, mode),
  statfs: (p): HostStatfs => {
    const s = fs.statfsSync(p, { bigint: true });
    return { type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
  },
  isatty: (fd) => isatty(fd),
  pipe: () => {
    const p = fifoPool.take();
    const keep = fs.openSync(p, fs.constants.O_RDWR);
    try {
      const r = fs.openSync(p, fs.constants.O_RDONLY);
      const w = fs.openSync(p, fs.constants.O_WRONLY);
      return [r, w];
    } finally {
      fs.closeSync(keep);
      fs.unlinkSync(p);
    }
  },
};

/** Close a host descriptor the guest no longer names. Host 0-2 are refilled with /dev/null at
 * once: libuv asserts it never closes them, and would if one of its own fds landed there. */
export function closeHostFd(fd: number): void {
  fs.closeSync(fd);
  if (fd <= 2) fs.openSync('/dev/null', fs.constants.O_RDWR);
}

/** Messages a worker sends to the main thread. */
export type UserMessage =
  | { op: 'start'; slot: number; attrs?: number[]; codeCache?: Uint8Array; more?: number[]; counted?: boolean; exe?: string; dirs?: Array<[number, DirStreams]>; tbs?: TbExport[] }
  | { op: 'hosted'; slot: number }
  | { op: 'stopOthers'; slot: number }
  | { op: 'spawn'; slot: number; imagePath: string; fds: number[]; cwd: string; vfork: boolean; maps?: number[]; mapFds?: number[]; attrs?: number[] }
  | { op: 'execed' }
  | { op: 'itimer' }
  | { op: 'wait'; slot: number; pid: number; nohang: boolean; nowait?: boolean; states?: number }
  | { op: 'exit'; status: number; signal: number }
  | { op: 'sigaction'; slot: number; sig: number; kind: 'default' | 'ignore' | 'handler' }
  | { op: 'threadExit'; slot: number; spare?: boolean }
  | { op: 'gdbStop'; slot: number; sig: number; seq: number }
  | { op: 'interp'; mods: Array<[string, WebAssembly.Module]> }
  | { op: 'interpCode'; entry: string; wire: Uint8Array; module: WebAssembly.Module }
  | { op: 'spare' };

const hrBase = BigInt(Date.now()) * 1000000n - process.hrtime.bigint();

export type Rpc = (msg: UserMessage) => [number, number];

/** A blocking request to the main thread: post, then sleep until it answers in `words`. */
export function makeRpc(port: MessagePort, words: Int32Array): Rpc {
  return (msg) => {
    Atomics.store(words, ThreadWord.RPC_STATE, 1);
    port.postMessage(msg);
    while (Atomics.load(words, ThreadWord.RPC_STATE) !== 2) Atomics.wait(words, ThreadWord.RPC_STATE, 1, 1000);
    Atomics.store(words, ThreadWord.RPC_STATE, 0);
    return [words[ThreadWord.RPC_R0], words[ThreadWord.RPC_R1]];
  };
}

/** Answer a worker's blocking request (main thread side). */
export function answerRpc(words: Int32Array, r0: number, r1 = 0): void {
  words[ThreadWord.RPC_R0] = r0;
  words[ThreadWord.RPC_R1] = r1;
  Atomics.store(words, ThreadWord.RPC_STATE, 2);
  Atomics.notify(words, ThreadWord.RPC_STATE);
}

/** HostProcess of a guest thread on a worker. */
export function workerHostProcess(port: MessagePort, rpc: Rpc, slot: number, logFd: number): HostProcess {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  return {
    pid: process.pid, ppid: process.ppid,
    // The host's ids now: setresuid and friends change them (syscall-cred.ts).
    get uid() { return process.getuid?.() ?? 0; }, get euid() { return process.geteuid?.() ?? 0; },
    get gid() { return process.getgid?.() ?? 0; }, get egid() { return process.getegid?.() ?? 0; },
    hostname: os.hostname(), release: unameRelease(), version: os.version(),
    spawnChild(req: SpawnRequest): number {
      const imagePath = path.join(os.tmpdir(), `tsqemu-fork-${process.pid}-${slot}-${Date.now()}.img`);
      fs.writeFileSync(imagePath, req.image, { mode: 0o600 });
      const [pid] = rpc({ op: 'spawn', slot, imagePath, fds: req.fds, cwd: req.cwd, vfork: req.vfork ?? false, maps: req.maps, mapFds: req.mapFds, attrs: req.attrs });
      if (pid < 0) throw Object.assign(new Error('spawn failed'), { errno: pid });
      return pid;
    },
    waitChild(pid: number, nohang: boolean, nowait = false, states = 4): [number, number] | null {
      const [r, status] = rpc({ op: 'wait', slot, pid, nohang, nowait, states });
      return r < 0 ? null : [r, status];
    },
    exit(status: number, signal: number): never {
      port.postMessage({ op: 'exit', status, signal } satisfies UserMessage);
      for (;;) Atomics.wait(sleeper, 0, 0);
    },
    kill: (pid, sig) => { process.kill(pid, sig); },
    randomBytes: guestRandom(slot),
    realtimeNs: () => hrBase + process.hrtime.bigint(),
    monotonicNs: () => process.hrtime.bigint(),
    cpuTimeNs: () => { const u = process.cpuUsage(); return BigInt(u.user + u.system) * 1000n; },
    alarmTimerErrno: () => {
      // Linux's alarmtimer takes an RTC that can wake the system (sysfs shows its wakealarm),
      // then CAP_WAKE_ALARM (35) of the caller.
      let rtc = false;
      try { rtc = fs.readdirSync('/sys/class/rtc').some((d) => fs.existsSync(`/sys/class/rtc/${d}/wakealarm`)); } catch { /* none */ }
      if (!rtc) return 95; // EOPNOTSUPP
      try {
        const m = /^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
        return m && (BigInt('0x' + m[1]) >> 35n) & 1n ? 0 : 1; // EPERM
      } catch { return 1; }
    },
    sleepMs: (ms) => { Atomics.wait(sleeper, 0, 0, ms); },
    log: (text) => { writeAllSync(logFd, text); },
  };
}
