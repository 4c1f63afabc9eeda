// The guest's virtual memory: a per-page protection table in shared memory (every thread's
// worker sees the same bytes), top-down allocation of the mmap area, brk, and checked access to
// guest memory for system calls (EFAULT instead of touching what the guest has not mapped).
//
// A mapping is only flags in the table: the bytes are always there (the guest space is a flat
// range of the WebAssembly.Memory), so mmap zeroes them and munmap only clears the flags.
// Zeroing touches only pages that may hold data (the TOUCHED bitmap): the host memory of a page
// the guest never mapped, or that was given back, is still the kernel's zero page, and writing
// zeros to it would make it resident (Go reserves gigabytes it never touches).
import {
  GUEST_BASE, GUEST_PAGES, HOST_MEMORY_PAGES, KernelWord, KWORDS_COUNT, KWORDS_OFFSET, MAX_THREADS, MMAP_BASE,
  PAGE_TABLE_OFFSET, PageFlag, TARGET_PAGE_BITS, TARGET_PAGE_SIZE, TASK_SIZE, THREAD_WORDS, THREADS_OFFSET,
  ThreadState, ThreadWord, TOUCHED_OFFSET, FILE_PAGES_OFFSET, NO_READ_OFFSET, LOCKED_OFFSET, stateOffsetOf,
} from './layout.js';
import { CPU_STATE_SIZE, STATE, TLB_ENTRY_BYTES, TLB_OFFSET } from '../target/riscv/cpu-state.js';
import { Errno, SyscallError } from './errno.js';
import { highFlags, highHostOf, highMapped, highPieces } from './high-map.js';

/** Ranges from this many pages are discarded rather than filled with zeros. */
const DISCARD_MIN_PAGES = 16;

export const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;

export function protToFlags(prot: number): number {
  let f = PageFlag.VALID;
  if (prot & PROT_READ) f |= PageFlag.READ;
  if (prot & PROT_WRITE) f |= PageFlag.WRITE | PageFlag.READ;
  if (prot & PROT_EXEC) f |= PageFlag.EXEC | PageFlag.READ;
  return f;
}

/** Round down to a page (numbers above 2^31: no bitwise operators). */
export function pageAlignDown(n: number): number {
  return n - (n % TARGET_PAGE_SIZE);
}

export function pageAlignUp(n: number): number {
  return Math.ceil(n / TARGET_PAGE_SIZE) * TARGET_PAGE_SIZE;
}

/** Spin-then-wait lock on an Int32 word of shared memory. */
export function lockWord(words: Int32Array, i: number): void {
  for (let spins = 0; Atomics.compareExchange(words, i, 0, 1) !== 0; spins++) {
    if (spins > 100) Atomics.wait(words, i, 1, 1);
  }
}

export function unlockWord(words: Int32Array, i: number): void {
  Atomics.store(words, i, 0);
  Atomics.notify(words, i, 1);
}

const CODE_LO_NONE = 0x7fffffff;

function atomicMax(a: Int32Array, i: number, v: number): void {
  for (let cur = Atomics.load(a, i); cur < v; cur = Atomics.load(a, i)) {
    if (Atomics.compareExchange(a, i, cur, v) === cur) return;
  }
}

export class GuestMM {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly i32: Int32Array;
  readonly pages: Uint8Array;
  readonly kw: Int32Array;
  /** TOUCHED bitmap (layout.ts), 32 pages per word; changed with atomics (madvise runs unlocked).
   * A clear bit means the page is unmapped and all zeros: every mapping (setRange with flags)
   * sets the bits, and only zeroing a page that is unmapped clears its bit. */
  readonly touched: Int32Array;
  /** FILE_PAGES bitmap (layout.ts): pages mapping a file with no way to write it back. */
  readonly filePages: Int32Array;
  /** NO_READ bitmap (layout.ts): mapped without PROT_READ (what /proc/self/maps shows). */
  readonly noRead: Int32Array;
  /** LOCKED bitmap (layout.ts): mlock'ed pages. */
  readonly locked: Int32Array;
  /** Zero whole host pages by returning them to the host (the native addon), false: could not. */
  discard: ((view: Uint8Array) => boolean) | null = null;
  /** Called after mappings change protection or go away (translated code over them is stale). */
  onUnmap: (addr: number, len: number) => void = () => {};

  constructor(readonly memory: WebAssembly.Memory) {
    const buf = memory.buffer;
    if (buf.byteLength !== HOST_MEMORY_PAGES * 65536) throw new Error('linux-user needs the whole 4 GiB memory');
    this.bytes = new Uint8Array(buf);
    this.view = new DataView(buf);
    this.i32 = new Int32Array(buf);
    this.pages = new Uint8Array(buf, PAGE_TABLE_OFFSET, GUEST_PAGES);
    this.kw = new Int32Array(buf, KWORDS_OFFSET, KWORDS_COUNT);
    this.touched = new Int32Array(buf, TOUCHED_OFFSET, Math.ceil(GUEST_PAGES / 32));
    this.filePages = new Int32Array(buf, FILE_PAGES_OFFSET, Math.ceil(GUEST_PAGES / 32));
    this.noRead = new Int32Array(buf, NO_READ_OFFSET, Math.ceil(GUEST_PAGES / 32));
    this.locked = new Int32Array(buf, LOCKED_OFFSET, Math.ceil(GUEST_PAGES / 32));
  }

  lock(): void { lockWord(this.kw, KernelWord.MM_LOCK); }
  unlock(): void { unlockWord(this.kw, KernelWord.MM_LOCK); }

  /** Host offset of guest address `addr` (no check below TASK_SIZE; a high address must be
   * committed: EFAULT otherwise). Only for ranges within one page or one high mapping. */
  g2h(addr: number): number {
    if (addr < TASK_SIZE) return GUEST_BASE + addr;
    const h = highHostOf(this, addr, PageFlag.VALID);
    if (h < 0) throw new SyscallError(Errno.EFAULT);
    return h;
  }

  /** Host offset of low guest address `addr`. */
  g2hLow(addr: number): number { return GUEST_BASE + addr; }

  pageFlags(addr: number): number {
    if (addr >= TASK_SIZE) return highFlags(this, addr);
    return addr >= 0 ? this.pages[addr >>> TARGET_PAGE_BITS] : 0;
  }

  /** True when every page of [addr, addr+len) has all of `need` (need 0: is mapped). */
  accessOk(addr: number, len: number, need: number): boolean {
    if (len === 0) return true;
    if (addr >= TASK_SIZE && len > 0) {
      return need === 0 ? highMapped(this, addr, len) : highPieces(this, addr, len, need | PageFlag.VALID) !== null;
    }
    if (!(addr >= 0 && len > 0 && addr + len <= TASK_SIZE)) return false;
    const need1 = need | PageFlag.VALID, mask = need1 | PageFlag.LOST | PageFlag.EOF;
    for (let p = addr >>> TARGET_PAGE_BITS, last = (addr + len - 1) >>> TARGET_PAGE_BITS; p <= last; p++) {
      if ((this.pages[p] & mask) !== need1) return false;
    }
    return true;
  }

  rangeFree(addr: number, len: number): boolean {
    if (addr < 0 || addr + len > TASK_SIZE) return false;
    for (let p = addr >>> TARGET_PAGE_BITS, last = (addr + len - 1) >>> TARGET_PAGE_BITS; p <= last; p++) {
      if (this.pages[p] !== 0) return false;
    }
    return true;
  }

  /** Set the flags of whole pages covering [addr, addr+len); zero them first when `zero`.
   * Only pages that may hold data are zeroed (TOUCHED), large runs by giving their host memory
   * back (discard): a big PROT_NONE reservation costs neither time nor memory; unmapping gives
   * large ranges back too. */
  setRange(addr: number, len: number, flags: number, zero: boolean, fresh = false): void {
    if (len <= 0) return;
    const first = addr >>> TARGET_PAGE_BITS;
    const last = (addr + len - 1) >>> TARGET_PAGE_BITS;
    if (zero) this.zeroPages(first, last + 1, fresh ? 1 : DISCARD_MIN_PAGES);
    else if (flags === 0 && last - first + 1 >= DISCARD_MIN_PAGES) this.releasePages(first, last + 1);
    this.pages.fill(flags, first, last + 1);
    if (flags !== 0) this.markTouched(first, last + 1);
    this.updateBits(first, last + 1, false, this.filePages); // a new mapping, or none
    this.updateBits(first, last + 1, false, this.noRead);
    this.updateBits(first, last + 1, false, this.locked);
  }

  /** Pages [first, end) locked (mlock) or unlocked. */
  setLocked(first: number, end: number, on: boolean): void {
    this.updateBits(first, end, on, this.locked);
  }

  /** Whether some page of [first, end) is locked. */
  anyLocked(first: number, end: number): boolean {
    for (let p = first; p < end; p++) if (Atomics.load(this.locked, p >>> 5) & (1 << (p & 31))) return true;
    return false;
  }

  /** Pages [first, end) were given protection `prot` (PROT_* bits): remember whether it lacked
   * PROT_READ while asking for something (PROT_NONE shows ---, as it is). */
  setNoRead(first: number, end: number, prot: number): void {
    this.updateBits(first, end, (prot & 7) !== 0 && !(prot & 1), this.noRead);
  }

  /** Whether page `page` was mapped without PROT_READ. */
  isNoRead(page: number): boolean {
    return (Atomics.load(this.noRead, page >>> 5) & (1 << (page & 31))) !== 0;
  }

  /** Pages [first, end) map a file privately (after setRange made the mapping). */
  markFilePages(first: number, end: number): void {
    this.updateBits(first, end, true, this.filePages);
  }

  /** Whether some page of [first, end) maps a file privately. */
  anyFilePage(first: number, end: number): boolean {
    for (let p = first; p < end; p++) if (Atomics.load(this.filePages, p >>> 5) & (1 << (p & 31))) return true;
    return false;
  }

  private hostPages(first: number, end: number): Uint8Array {
    return this.bytes.subarray(GUEST_BASE + first * TARGET_PAGE_SIZE, GUEST_BASE + end * TARGET_PAGE_SIZE);
  }

  /** Pages [first, end) may hold data from now on. */
  markTouched(first: number, end: number): void {
    this.updateBits(first, end, true);
  }

  /** Whether guest page `page` may hold non-zero bytes. */
  isTouched(page: number): boolean {
    return (Atomics.load(this.touched, page >>> 5) & (1 << (page & 31))) !== 0;
  }

  private updateBits(first: number, end: number, set: boolean, t = this.touched): void {
    for (let p = first; p < end;) {
      const w = p >>> 5, lo = p & 31, hi = Math.min(32, lo + end - p);
      const mask = hi - lo === 32 ? -1 : ((1 << (hi - lo)) - 1) << lo;
      // Words already right are only read: a bitmap page never written stays unallocated.
      const cur = Atomics.load(t, w);
      if (set) { if ((cur & mask) !== mask) Atomics.or(t, w, mask); } else if (cur & mask) Atomics.and(t, w, ~mask);
      p += hi - lo;
    }
  }

  /** The runs of touched pages within [first, end), in order. */
  private touchedRuns(first: number, end: number, fn: (s: number, e: number) => void): void {
    const t = this.touched;
    let p = first;
    while (p < end) {
      // Skip untouched pages, a whole word at a time where possible.
      if ((p & 31) === 0 && Atomics.load(t, p >>> 5) === 0) { p += 32; continue; }
      if (!this.isTouched(p)) { p++; continue; }
      let q = p + 1;
      while (q < end) {
        if ((q & 31) === 0 && q + 32 <= end && Atomics.load(t, q >>> 5) === -1) { q += 32; continue; }
        if (!this.isTouched(q)) break;
        q++;
      }
      fn(p, q);
      p = q;
    }
  }

  /** Zero guest pages [first, end): the touched ones only, large runs by discarding them,
   * small ones by writing. A page still mapped keeps its TOUCHED bit (the guest may write it
   * again with no system call); an unmapped one is known to be zero now. */
  zeroPages(first: number, end: number, minDiscard = DISCARD_MIN_PAGES): void {
    this.touchedRuns(first, end, (s, e) => {
      const view = this.hostPages(s, e);
      if (!(e - s >= minDiscard && this.discard?.(view))) view.fill(0);
      for (let p = s; p < e;) {
        if (this.pages[p] !== 0) { p++; continue; }
        let q = p + 1;
        while (q < e && this.pages[q] === 0) q++;
        this.updateBits(p, q, false);
        p = q;
      }
    });
  }

  /** Give the host memory of the touched pages in [first, end) back where the host can (their
   * bytes no longer matter: they are being unmapped). The bits stay: another thread may still
   * store through a TLB entry until the caller flushes them, so the next mapping zeroes again. */
  private releasePages(first: number, end: number): void {
    if (!this.discard) return;
    this.touchedRuns(first, end, (s, e) => {
      if (e - s >= DISCARD_MIN_PAGES) this.discard?.(this.hostPages(s, e));
    });
  }

  /** Find `len` free bytes, top-down from MMAP_BASE (Linux's default layout). */
  findFree(len: number, below = MMAP_BASE): number {
    const n = Math.ceil(len / TARGET_PAGE_SIZE);
    let run = 0;
    for (let p = (below >>> TARGET_PAGE_BITS) - 1; p >= 16; p--) {
      run = this.pages[p] === 0 ? run + 1 : 0;
      if (run === n) return p * TARGET_PAGE_SIZE;
    }
    // Nothing below the base: look above it (under the stack guard).
    run = 0;
    for (let p = below >>> TARGET_PAGE_BITS; p < GUEST_PAGES; p++) {
      run = this.pages[p] === 0 ? run + 1 : 0;
      if (run === n) return (p - n + 1) * TARGET_PAGE_SIZE;
    }
    return -1;
  }

  /**
   * Invalidate the soft TLB of every thread slot (after munmap/mprotect), while those threads
   * run: their generated code reads an entry's tag, then its addend, with plain loads. So only
   * the low word of each tag is written, with one aligned 32-bit store (all ones: no page tag
   * has low bits set, so the entry can never match again), and the addend is left as it is. A
   * thread that read the tag just before still gets the addend that went with it (in user mode
   * every page's addend is the same, GUEST_BASE): its access is one that raced with the call,
   * as on Linux. Writing whole entries byte by byte (as this did) let an access pair a valid
   * tag with a half-written addend and land elsewhere.
   */
  flushAllTlbs(): void {
    const tlbWords = (CPU_STATE_SIZE - TLB_OFFSET) >> 2;
    const threads = new Int32Array(this.memory.buffer, THREADS_OFFSET, MAX_THREADS * THREAD_WORDS);
    const i32 = this.i32;
    let live = -1, count = 0;
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      // A free slot gets a fresh TLB when clone takes it.
      if (Atomics.load(threads, slot * THREAD_WORDS + ThreadWord.STATE) !== ThreadState.FREE) { live = slot; count++; }
    }
    if (count === 1) {
      // One thread: the caller (this runs in a guest thread's own system call or fault, or
      // before any thread runs), so no access races with the flush and whole entries may be
      // written: fill is native, where the loop below runs cold in a short process (its 21.5k
      // stores cost 2-9 ms of CPU per call until V8 optimizes it; start-up round 6).
      const start = (stateOffsetOf(live) + TLB_OFFSET) >> 2;
      i32.fill(-1, start, start + tlbWords);
      return;
    }
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      if (Atomics.load(threads, slot * THREAD_WORDS + ThreadWord.STATE) === ThreadState.FREE) continue;
      const start = (stateOffsetOf(slot) + TLB_OFFSET) >> 2;
      for (let w = start, end = start + tlbWords; w < end; w += TLB_ENTRY_BYTES >> 2) i32[w] = -1;
    }
  }

  /**
   * Code in [addr, addr+len) may have changed (mmap/munmap/mprotect/mremap/madvise,
   * riscv_flush_icache, membarrier SYNC_CORE): every other live thread must drop its
   * translations of those pages before it runs guest code again (each worker has its own
   * translated-block cache; QEMU's user mode shares one). The range is merged into the
   * thread's pending one (lock-free: min of the first page, max of the end) and the thread is
   * kicked out of its translated code through exit_request, as an IPI would.
   */
  noteCodeChange(addr: number, len: number, selfSlot: number): void {
    if (len <= 0) return;
    const first = Math.max(0, Math.floor(addr / TARGET_PAGE_SIZE));
    const end = Math.min(GUEST_PAGES, Math.ceil((addr + len) / TARGET_PAGE_SIZE));
    if (end <= first) return;
    const threads = new Int32Array(this.memory.buffer, THREADS_OFFSET, MAX_THREADS * THREAD_WORDS);
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      if (slot === selfSlot) continue;
      const w = slot * THREAD_WORDS;
      if (Atomics.load(threads, w + ThreadWord.STATE) !== ThreadState.RUNNING) continue;
      atomicMax(threads, w + ThreadWord.CODE_LO_INV, CODE_LO_NONE - first);
      atomicMax(threads, w + ThreadWord.CODE_HI, end);
      Atomics.store(this.i32, (stateOffsetOf(slot) + STATE.exit_request.offset) >> 2, 1);
    }
  }

  /** The pending code change of thread `slot` as [addr, len] (taken: cleared), or null. A
   * range caught half-merged is widened to start at 0 (the writer kicks the thread again). */
  takeCodeChange(slot: number): [number, number] | null {
    const threads = new Int32Array(this.memory.buffer, THREADS_OFFSET, MAX_THREADS * THREAD_WORDS);
    const w = slot * THREAD_WORDS;
    if (Atomics.load(threads, w + ThreadWord.CODE_HI) === 0) return null;
    const end = Atomics.exchange(threads, w + ThreadWord.CODE_HI, 0);
    const loInv = Atomics.exchange(threads, w + ThreadWord.CODE_LO_INV, 0);
    let first = loInv ? CODE_LO_NONE - loInv : 0;
    if (first >= end) first = 0;
    return [first * TARGET_PAGE_SIZE, (end - first) * TARGET_PAGE_SIZE];
  }

  // ---- checked guest accesses for system calls: throw EFAULT ----

  /** Check [addr, addr+len) (EFAULT) and return its host offset; -1 for a high range whose
   * memory is not one host range (it crosses separately committed mappings): only a check
   * then, read/write/the views copy such ranges. */
  check(addr: number, len: number, write: boolean): number {
    if (addr >= TASK_SIZE) {
      const pieces = this.pieces(addr, len, write);
      return pieces.length === 1 ? pieces[0][0] : -1;
    }
    if (!this.accessOk(addr, len, write ? PageFlag.WRITE : PageFlag.READ)) throw new SyscallError(Errno.EFAULT);
    return GUEST_BASE + addr;
  }

  /** The host pieces of a checked high range (EFAULT unless every page allows the access). */
  private pieces(addr: number, len: number, write: boolean): Array<[number, number]> {
    const pieces = highPieces(this, addr, len, (write ? PageFlag.WRITE : PageFlag.READ) | PageFlag.VALID);
    if (pieces === null) throw new SyscallError(Errno.EFAULT);
    return pieces;
  }

  /** Bounce buffers handed out by writableView for high ranges in several pieces, copied to
   * guest memory by flushBounces (after the system call, syscall.ts). */
  private bounces: Array<[number, Uint8Array]> = [];

  read(addr: number, len: number): Uint8Array {
    if (addr >= TASK_SIZE) {
      const out = new Uint8Array(len);
      let o = 0;
      for (const [h, n] of this.pieces(addr, len, false)) { out.set(this.bytes.subarray(h, h + n), o); o += n; }
      return out;
    }
    const h = this.check(addr, len, false);
    return this.bytes.slice(h, h + len);
  }

  /** A live view (no copy) for host reads straight into guest memory. */
  writableView(addr: number, len: number): Uint8Array {
    if (addr >= TASK_SIZE) {
      const p = this.pieces(addr, len, true);
      if (p.length > 1) {
        const b = new Uint8Array(len);
        this.bounces.push([addr, b]);
        return b;
      }
    }
    const h = this.check(addr, len, true);
    return this.bytes.subarray(h, h + len);
  }

  /** Copy what system calls put into bounce buffers to the guest's high memory. */
  flushBounces(): void {
    if (this.bounces.length === 0) return;
    const list = this.bounces;
    this.bounces = [];
    for (const [addr, b] of list) {
      try { this.write(addr, b); } catch { /* unmapped meanwhile: the guest raced its own call */ }
    }
  }

  readableView(addr: number, len: number): Uint8Array {
    if (addr >= TASK_SIZE) return this.read(addr, len);
    const h = this.check(addr, len, false);
    return this.bytes.subarray(h, h + len);
  }

  write(addr: number, data: Uint8Array): void {
    if (addr >= TASK_SIZE) {
      let o = 0;
      for (const [h, n] of this.pieces(addr, data.length, true)) { this.bytes.set(data.subarray(o, o + n), h); o += n; }
      return;
    }
    const h = this.check(addr, data.length, true);
    this.bytes.set(data, h);
  }

  u32(addr: number): number {
    return addr < TASK_SIZE ? this.view.getUint32(this.check(addr, 4, false), true) : this.highVal(addr, 4).getUint32(0, true);
  }
  i32at(addr: number): number {
    return addr < TASK_SIZE ? this.view.getInt32(this.check(addr, 4, false), true) : this.highVal(addr, 4).getInt32(0, true);
  }
  u64(addr: number): bigint {
    return addr < TASK_SIZE ? this.view.getBigUint64(this.check(addr, 8, false), true) : this.highVal(addr, 8).getBigUint64(0, true);
  }
  /** A 64-bit guest value as a number (pointers and sizes below 2^53). */
  u64n(addr: number): number { return Number(this.u64(addr)); }
  setU32(addr: number, v: number): void {
    const h = this.check(addr, 4, true);
    if (h >= 0) this.view.setUint32(h, v >>> 0, true);
    else { const b = new DataView(new ArrayBuffer(4)); b.setUint32(0, v >>> 0, true); this.write(addr, new Uint8Array(b.buffer)); }
  }
  setU64(addr: number, v: bigint | number): void {
    const h = this.check(addr, 8, true), x = BigInt.asUintN(64, BigInt(v));
    if (h >= 0) this.view.setBigUint64(h, x, true);
    else { const b = new DataView(new ArrayBuffer(8)); b.setBigUint64(0, x, true); this.write(addr, new Uint8Array(b.buffer)); }
  }

  /** A copy of the value at high `addr`. */
  private highVal(addr: number, len: number): DataView {
    const b = this.read(addr, len);
    return new DataView(b.buffer, b.byteOffset, len);
  }

  /** A NUL-terminated string (at most `max` bytes). */
  cstring(addr: number, max = 4096): string {
    const out: number[] = [];
    for (let i = 0; i < max; i++) {
      const a = addr + i;
      if ((i === 0 || a % TARGET_PAGE_SIZE === 0) && !this.accessOk(a, 1, PageFlag.READ)) {
        throw new SyscallError(Errno.EFAULT);
      }
      const b = a < TASK_SIZE ? this.bytes[GUEST_BASE + a] : this.bytes[highHostOf(this, a, PageFlag.READ)];
      if (b === 0) return new TextDecoder().decode(new Uint8Array(out));
      out.push(b);
    }
    throw new SyscallError(Errno.ENAMETOOLONG);
  }

  /** A NULL-terminated array of string pointers (argv, envp). */
  stringArray(addr: number): string[] {
    const out: string[] = [];
    if (addr === 0) return out;
    for (let i = 0; i < 65536; i++) {
      const p = this.u64n(addr + i * 8);
      if (p === 0) return out;
      out.push(this.cstring(p, 131072));
    }
    throw new SyscallError(Errno.E2BIG);
  }
}
