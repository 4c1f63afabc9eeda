// TaskState: one guest thread as the system call layer sees it (QEMU's TaskState), plus the
// process-wide objects every thread shares through the memory (GuestMM, FdTable, signals).
import type { CPURISCVState } from '../target/riscv/cpu-state.js';
import type { HostFs, HostProcess, HostSys } from './host.js';
import { FdTable, normalizePath } from './fdtable.js';
import { GuestMM } from './mmap.js';
import { Errno, SyscallError } from './errno.js';
import { guestFdDir, procNode, type ProcNode } from './proc.js';
import { KernelWord, THREADS_OFFSET, THREAD_WORDS, ThreadWord } from './layout.js';

export const AT_FDCWD = -100;

/** The RPCs a worker asks of the supervising main thread. */
export interface UserRpc {
  /** Start guest thread `slot` (its state block is ready). */
  startThread(slot: number): void;
  /** Stop every other thread (execve, exit_group). */
  stopOtherThreads(slot: number): void;
  /** Tell the main thread the guest's disposition of a host-deliverable signal changed; returns
   * once the host listener is in place (a signal right after sigaction must find it). */
  sigactionChanged(sig: number, kind: 'default' | 'ignore' | 'handler'): void;
  /** A new program image replaced this process (a vfork parent may go on). */
  execed?(): void;
  /** The interval timers in the kernel area changed: re-arm the host timer. */
  itimerChanged?(): void;
  /** This thread is ending (exit), before a joiner can see it gone (CLONE_CHILD_CLEARTID). */
  threadExiting?(): void;
}

export interface UserOptions {
  sysroot?: string;
  strace: boolean;
  unimp: boolean;
  /** -cpu / QEMU_CPU (cpu-models.ts syntax); max when absent, as qemu-riscv64. */
  cpu?: string;
}

export class TaskState {
  /** This thread's words in the shared thread table. */
  readonly words: Int32Array;
  /** Directory streams: host fd -> entries not yet returned (getdents64). */
  readonly dirStreams = new Map<number, { entries: Uint8Array[]; pos: number }>();
  /** Raw host calls (sockets, poll, eventfd...), null without the native addon. */
  sys: HostSys | null = null;
  /** -g: a system call is about to write its result (gdb-user.ts holds the thread there while
   * gdb has the world stopped, so a call that ends meanwhile changes no register). */
  syscallEnd?: () => void;

  constructor(
    readonly mm: GuestMM,
    readonly fdt: FdTable,
    readonly fs: HostFs,
    readonly proc: HostProcess,
    readonly rpc: UserRpc,
    readonly env: CPURISCVState,
    readonly slot: number,
    readonly opts: UserOptions,
    /** Absolute path of the running program (AT_EXECFN, /proc/self/exe). */
    public exe: string,
  ) {
    this.words = new Int32Array(mm.memory.buffer, THREADS_OFFSET + slot * THREAD_WORDS * 4, THREAD_WORDS);
  }

  get tid(): number { return this.words[ThreadWord.TID]; }

  reg(i: number): bigint { return this.env.getGpr(i); }
  setReg(i: number, v: bigint): void { this.env.setGpr(i, v); }

  /** The host path for a guest path: absolute paths go under -L SYSROOT when the file exists
   * there (QEMU's path()), relative ones against dirfd or the guest's cwd; the guest's own
   * /proc entries are rewritten (proc.ts). */
  hostPath(dirfd: number, path: string): string {
    const node = this.procNode(dirfd, path);
    if (node) return node.path;
    if (path.startsWith('/')) return this.sysrootPath(path);
    if (dirfd === AT_FDCWD) return this.cwdHost().replace(/\/$/, '') + '/' + path;
    return `/proc/self/fd/${this.fdt.host(dirfd)}/${path}`;
  }

  /** The guest's cwd for host calls: its open directory (KernelWord.CWD_FD) when there is one
   * (it follows renames; a removed one gives ENOENT), else the path. */
  cwdHost(): string {
    const h = this.mm.kw[KernelWord.CWD_FD] - 1;
    return h >= 0 ? `/proc/self/fd/${h}` : this.fdt.cwd;
  }

  /** The guest's own /proc (or /dev/fd) entry a path names, null for any other path. */
  procNode(dirfd: number, path: string): ProcNode | null {
    if (path === '') throw new SyscallError(Errno.ENOENT);
    if (path.startsWith('/')) return procNode(this, path);
    if (dirfd === AT_FDCWD) return procNode(this, this.fdt.cwd.replace(/\/$/, '') + '/' + path);
    if (!/^\d+(\/|$)/.test(path)) return null;
    // A name inside the guest's fd/ or fdinfo/ directory opened earlier: a guest fd number.
    const dir = guestFdDir(this, this.fdt.host(dirfd));
    return dir ? procNode(this, `/proc/self/${dir}/${path}`) : null;
  }

  sysrootPath(path: string): string {
    const root = this.opts.sysroot;
    if (root && path !== '/' && !path.startsWith('/proc/') && !path.startsWith('/dev/')) {
      const p = root + path;
      try { this.fs.lstat(p); return p; } catch { /* not under the sysroot */ }
    }
    return path;
  }

  /** Resolve the guest's cwd-relative path into an absolute normalized guest path. */
  absolute(path: string): string {
    return path.startsWith('/') ? normalizePath(path) : normalizePath(this.fdt.cwd + '/' + path);
  }
}
