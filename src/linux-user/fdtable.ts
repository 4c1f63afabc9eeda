// Guest file descriptors. A guest fd names a real host descriptor (guest fd -> host fd in shared
// memory, so every thread sees one table). dup() makes a second guest fd for the SAME host fd:
// the open file description (offset, flags) is then truly shared, also with forked children,
// which get each host fd placed at the guest's number. Node can neither dup nor lseek a host fd,
// so the table is the only place where these exist; a host fd is closed with its last guest fd.
import {
  CWD_BYTES, CWD_OFFSET, FD_FLAGS_OFFSET, FD_TABLE_OFFSET, FdFlag, HOST_NONBLOCK_OFFSET, HOST_OFFSETS_OFFSET,
  KernelWord, MAX_FDS, MAX_HOST_FDS, NbState,
} from './layout.js';
import { GuestMM, lockWord, unlockWord } from './mmap.js';
import { Errno, SyscallError } from './errno.js';

export class FdTable {
  private readonly hostOf: Int32Array; // host fd + 1; 0 = free
  private readonly flags: Uint8Array;
  private readonly offsets: Float64Array;
  private readonly cwdBytes: Uint8Array;
  private readonly nb: Uint8Array;

  constructor(readonly mm: GuestMM, private readonly closeHost: (fd: number) => void) {
    const buf = mm.memory.buffer;
    this.hostOf = new Int32Array(buf, FD_TABLE_OFFSET, MAX_FDS);
    this.flags = new Uint8Array(buf, FD_FLAGS_OFFSET, MAX_FDS);
    this.offsets = new Float64Array(buf, HOST_OFFSETS_OFFSET, MAX_HOST_FDS);
    this.cwdBytes = new Uint8Array(buf, CWD_OFFSET, CWD_BYTES);
    this.nb = new Uint8Array(buf, HOST_NONBLOCK_OFFSET, MAX_HOST_FDS);
  }

  private lock(): void { lockWord(this.mm.kw, KernelWord.FD_LOCK); }
  private unlock(): void { unlockWord(this.mm.kw, KernelWord.FD_LOCK); }

  /** Host fd of guest fd `fd`, EBADF when not open. */
  host(fd: number): number {
    if (!(fd >= 0 && fd < MAX_FDS)) throw new SyscallError(Errno.EBADF);
    const h = Atomics.load(this.hostOf, fd);
    if (h === 0) throw new SyscallError(Errno.EBADF);
    return h - 1;
  }

  isOpen(fd: number): boolean { return fd >= 0 && fd < MAX_FDS && Atomics.load(this.hostOf, fd) !== 0; }

  /** The guest's RLIMIT_NOFILE: fds must stay below it. */
  get limit(): number {
    const l = Atomics.load(this.mm.kw, KernelWord.FD_LIMIT);
    return l > 0 && l < MAX_FDS ? l : MAX_FDS;
  }
  set limit(n: number) { Atomics.store(this.mm.kw, KernelWord.FD_LIMIT, Math.max(1, Math.min(n, MAX_FDS))); }

  /** One past the highest guest fd that may be open. */
  high(): number { return Math.min(MAX_FDS, Atomics.load(this.mm.kw, KernelWord.FD_HIGH) || 1024); }
  private used(g: number): void {
    if (g >= Atomics.load(this.mm.kw, KernelWord.FD_HIGH)) Atomics.store(this.mm.kw, KernelWord.FD_HIGH, Math.max(g + 1, 1024));
  }

  /** Install host fd at the lowest free guest number >= min. */
  install(hostFd: number, cloexec: boolean, min = 0): number {
    this.lock();
    try {
      for (let g = Math.max(0, min), lim = this.limit; g < lim; g++) {
        if (this.hostOf[g] === 0) {
          this.used(g);
          this.hostOf[g] = hostFd + 1;
          this.flags[g] = FdFlag.USED | (cloexec ? FdFlag.CLOEXEC : 0);
          return g;
        }
      }
    } finally { this.unlock(); }
    throw new SyscallError(Errno.EMFILE);
  }

  /** Place host fd at exactly guest fd `g` (dup2/dup3), closing what was there. */
  installAt(hostFd: number, g: number, cloexec: boolean): void {
    if (!(g >= 0 && g < this.limit)) throw new SyscallError(Errno.EBADF);
    this.lock();
    this.used(g);
    const old = this.hostOf[g];
    this.hostOf[g] = hostFd + 1;
    this.flags[g] = FdFlag.USED | (cloexec ? FdFlag.CLOEXEC : 0);
    this.unlock();
    if (old !== 0 && old - 1 !== hostFd) this.releaseHost(old - 1);
  }

  close(fd: number): void {
    const h = this.host(fd);
    this.lock();
    this.hostOf[fd] = 0;
    this.flags[fd] = 0;
    this.unlock();
    this.releaseHost(h);
  }

  /** Close the host fd when no guest fd names it any more. */
  private releaseHost(h: number): void {
    for (let g = 0, n = this.high(); g < n; g++) if (Atomics.load(this.hostOf, g) === h + 1) return;
    if (h < MAX_HOST_FDS) { this.offsets[h] = 0; Atomics.store(this.nb, h, NbState.UNKNOWN); }
    try { this.closeHost(h); } catch { /* already gone */ }
  }

  /** Does another guest fd than `fd` name the same host fd? */
  hasTwin(fd: number): boolean {
    const h = this.host(fd) + 1;
    for (let g = 0, n = this.high(); g < n; g++) if (g !== fd && Atomics.load(this.hostOf, g) === h) return true;
    return false;
  }

  cloexec(fd: number): boolean { this.host(fd); return (this.flags[fd] & FdFlag.CLOEXEC) !== 0; }
  setCloexec(fd: number, on: boolean): void {
    this.host(fd);
    this.flags[fd] = FdFlag.USED | (on ? FdFlag.CLOEXEC : 0);
  }

  /** Close every close-on-exec descriptor (execve). */
  closeOnExec(): void {
    for (let g = 0, n = this.high(); g < n; g++) if (this.hostOf[g] !== 0 && (this.flags[g] & FdFlag.CLOEXEC)) this.close(g);
  }

  /** The guest's O_NONBLOCK of host fd `h` (UNKNOWN past the table: looked up every time). */
  nbState(h: number): NbState { return h < MAX_HOST_FDS ? Atomics.load(this.nb, h) as NbState : NbState.UNKNOWN; }
  setNonblock(h: number, on: boolean): void {
    if (h < MAX_HOST_FDS) Atomics.store(this.nb, h, on ? NbState.NONBLOCK : NbState.BLOCKING);
  }

  /** Explicit offset of a host fd after lseek, or null while the host offset is in use. */
  offset(h: number): number | null {
    const v = h < MAX_HOST_FDS ? this.offsets[h] : 0;
    return v === 0 ? null : v - 1;
  }
  setOffset(h: number, off: number): void {
    if (h >= MAX_HOST_FDS) throw new SyscallError(Errno.ESPIPE);
    this.offsets[h] = off + 1;
  }

  /** Guest fd -> host fd for every open guest fd (-1 for a hole), up to the highest. */
  snapshot(): number[] {
    const out: number[] = [];
    for (let g = 0, n = this.high(); g < n; g++) out.push(this.hostOf[g] - 1);
    while (out.length && out[out.length - 1] < 0) out.pop();
    return out;
  }

  /** Explicit offsets of the open host fds, for a forked child. */
  offsetsSnapshot(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let g = 0, n = this.high(); g < n; g++) {
      const h = this.hostOf[g] - 1;
      if (h >= 0 && h < MAX_HOST_FDS && this.offsets[h] !== 0) out.push([g, this.offsets[h] - 1]);
    }
    return out;
  }

  get cwd(): string {
    const n = this.cwdBytes.indexOf(0);
    return new TextDecoder().decode(this.cwdBytes.slice(0, n < 0 ? 0 : n));
  }
  set cwd(path: string) {
    const b = new TextEncoder().encode(path);
    if (b.length >= CWD_BYTES) throw new SyscallError(Errno.ENAMETOOLONG);
    this.cwdBytes.fill(0);
    this.cwdBytes.set(b);
  }
}

/** Normalize an absolute path: collapse "//", "." and ".." (lexically, as a prefix would). */
export function normalizePath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}
