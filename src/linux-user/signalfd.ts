// signalfd4: a descriptor from which pending signals of a mask are read as signalfd_siginfo
// records. The descriptor is a host eventfd (so poll, select and epoll see it with the host's
// readiness); its mask is kept per host fd in the kernel area. Raising a signal in the mask
// writes the eventfd (through the host writer injected by the thread runtime: raising happens in
// workers and in the supervisor); a read takes the signals (rt_sigtimedwait's way) and leaves
// the eventfd readable only while more are pending.
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { KernelWord, MAX_HOST_FDS, SIGNALFD_INOS_OFFSET, SIGNALFD_MASKS_OFFSET, ThreadWord } from './layout.js';
import type { GuestMM } from './mmap.js';
import { guestNonblock } from './blocking.js';
import { hasDeliverable, interrupted, takeSignal } from './signal.js';

const SFD_NONBLOCK = 0o4000, SFD_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;
const SIGKILL_STOP = (1n << 8n) | (1n << 18n);
const ONE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);

function masks(mm: GuestMM): BigUint64Array { return new BigUint64Array(mm.memory.buffer, SIGNALFD_MASKS_OFFSET, MAX_HOST_FDS); }
function inos(mm: GuestMM): Float64Array { return new Float64Array(mm.memory.buffer, SIGNALFD_INOS_OFFSET, MAX_HOST_FDS); }

/** Host access for waking signalfds: [write 1 to an eventfd, its inode] (injected). */
let host: { wake(h: number): void; ino(h: number): number } | null = null;
export function setSignalfdHost(h: typeof host): void { host = h; }

/** `sig` was made pending: wake the signalfds whose mask has it. */
export function notifySignalfds(mm: GuestMM, sig: number): void {
  if (mm.kw[KernelWord.SIGNALFDS] === 0 || !host) return;
  const m = masks(mm), ino = inos(mm), b = 1n << BigInt(sig - 1);
  for (let h = 0; h < MAX_HOST_FDS; h++) {
    if ((m[h] & b) === 0n) continue;
    try { if (host.ino(h) === ino[h]) host.wake(h); else m[h] = 0n; } catch { m[h] = 0n; }
  }
}

function pendingIn(ts: TaskState, mask: bigint): boolean {
  const w = ts.words, kw = ts.mm.kw;
  const two = (a: Int32Array, i: number) => BigInt(Atomics.load(a, i) >>> 0) | (BigInt(Atomics.load(a, i + 1) >>> 0) << 32n);
  return ((two(w, ThreadWord.PENDING_LO) | two(kw, KernelWord.PENDING_LO)) & mask) !== 0n;
}

/** Empty the eventfd, then make it readable again if signals of the mask are still pending. */
function resync(ts: TaskState, h: number, mask: bigint): void {
  try { ts.fs.read(h, new Uint8Array(8), null); } catch { /* EAGAIN: already empty */ }
  if (pendingIn(ts, mask)) try { ts.fs.write(h, ONE, null); } catch { /* full */ }
}

function signalfd4(ts: TaskState, fd: number, maskp: number, size: number, flags: number): number {
  if (size !== 8 || flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) throw new SyscallError(Errno.EINVAL);
  const mask = ts.mm.u64(maskp) & ~SIGKILL_STOP;
  const m = masks(ts.mm), ino = inos(ts.mm);
  let h: number;
  if (fd === -1) {
    if (!ts.sys) throw new SyscallError(Errno.ENOSYS);
    h = ts.sys.eventfd(0, EFD_NONBLOCK);
    if (h < 0) throw new SyscallError(-h);
    if (h >= MAX_HOST_FDS) { ts.fs.close(h); throw new SyscallError(Errno.EMFILE); }
    ino[h] = Number(ts.fs.fstat(h).ino);
    m[h] = mask;
    Atomics.add(ts.mm.kw, KernelWord.SIGNALFDS, 1);
    const g = ts.fdt.install(h, (flags & SFD_CLOEXEC) !== 0);
    ts.fdt.setNonblock(h, (flags & SFD_NONBLOCK) !== 0);
    resync(ts, h, mask);
    return g;
  }
  h = ts.fdt.host(fd);
  if (!isSignalfd(ts, h)) throw new SyscallError(Errno.EINVAL);
  m[h] = mask || 0n;
  resync(ts, h, mask);
  return fd;
}

function isSignalfd(ts: TaskState, h: number): boolean {
  if (h < 0 || h >= MAX_HOST_FDS || ts.mm.kw[KernelWord.SIGNALFDS] === 0) return false;
  const ino = inos(ts.mm)[h];
  if (ino === 0) return false;
  try { if (Number(ts.fs.fstat(h).ino) === ino) return true; } catch { /* closed */ }
  masks(ts.mm)[h] = 0n;
  inos(ts.mm)[h] = 0;
  return false;
}

/** read() on host fd `h`: signalfd_siginfo records if it is a signalfd, else null. */
export function signalfdRead(ts: TaskState, h: number, buf: Uint8Array): number | null {
  if (!isSignalfd(ts, h)) return null;
  if (buf.length < 128) throw new SyscallError(Errno.EINVAL);
  const mask = masks(ts.mm)[h];
  for (;;) {
    let n = 0;
    while (n + 128 <= buf.length) {
      const info = takeSignal(ts, mask);
      if (!info) break;
      const dv = new DataView(buf.buffer, buf.byteOffset + n, 128);
      new Uint8Array(buf.buffer, buf.byteOffset + n, 128).fill(0);
      dv.setUint32(0, info.signo, true);
      dv.setInt32(8, info.code, true);
      if (info.addr !== undefined) dv.setBigUint64(72, BigInt.asUintN(64, BigInt(info.addr)), true);
      else {
        dv.setUint32(12, info.pid ?? 0, true);
        dv.setUint32(16, info.uid ?? 0, true);
        if (info.code === -2) { dv.setUint32(24, info.pid ?? 0, true); dv.setUint32(32, info.uid ?? 0, true); } // SI_TIMER: tid, overrun
        if (info.status !== undefined) dv.setInt32(40, info.status, true);
        if (info.value !== undefined) { dv.setInt32(44, Number(BigInt.asIntN(32, info.value)), true); dv.setBigUint64(48, BigInt.asUintN(64, info.value), true); }
      }
      n += 128;
    }
    if (n > 0) { resync(ts, h, mask); return n; }
    if (guestNonblock(ts, h)) { resync(ts, h, mask); throw new SyscallError(Errno.EAGAIN); }
    if (hasDeliverable(ts)) interrupted(ts, true);
    Atomics.wait(ts.words, ThreadWord.WAKE, 0, 50);
    Atomics.store(ts.words, ThreadWord.WAKE, 0);
  }
}

/** A forked child's host fds are its guest fd numbers: move the signalfd entries with them. */
export function remapSignalfds(mm: GuestMM, hostOfOld: (g: number) => number, maxFds: number, hostOfNew: (g: number) => number = (g) => g): void {
  if (mm.kw[KernelWord.SIGNALFDS] === 0) return;
  const m = masks(mm), ino = inos(mm);
  const om = BigUint64Array.from(m), oi = Float64Array.from(ino);
  m.fill(0n); ino.fill(0);
  for (let g = 0; g < Math.min(maxFds, MAX_HOST_FDS); g++) {
    const h = hostOfOld(g);
    const n = hostOfNew(g);
    if (h >= 0 && h < MAX_HOST_FDS && om[h] !== 0n && n >= 0 && n < MAX_HOST_FDS) { m[n] = om[h]; ino[n] = oi[h]; }
  }
}

export const SIGNALFD_SYSCALLS: SyscallTable = [
  [NR.signalfd4, (ts, a) => signalfd4(ts, int(a[0]), ptr(a[1]), Number(a[2]), int(a[3]))],
];
