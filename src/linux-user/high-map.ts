// Guest memory above the 4 GiB WebAssembly.Memory ("high" mappings, guest VA [HIGH_BASE,
// HIGH_END)). The host memory is one 32-bit space, so a high page has no home of its own: a
// committed run of high pages borrows a contiguous run of free low pages (PAGE_BACKING in the
// low page table: the guest cannot reach them there and nothing else is placed on them), and a
// PROT_NONE reservation borrows nothing. That is what programs reserving more than they use
// need (wasmtime's 4 GiB + 2 GiB guard per linear memory, the JVM's heap, V8's cages).
//
// The runs live in shared memory (layout.ts HIGH_OFFSET) so every thread's worker sees them; they
// change under MM_LOCK, readers take a copy guarded by a seqlock (KernelWord.HIGH_GEN). Translated
// code's fast path adds the constant GUEST_BASE after its TLB check, so high pages never get a
// TLB entry (mmu.ts userTlbFill): every access to them takes the slow path through tlbFill.
import {
  GUEST_PAGES, HIGH_BASE, HIGH_END, HIGH_OFFSET, HIGH_RUNS, KernelWord, PAGE_BACKING, PageFlag, TARGET_PAGE_SIZE,
} from './layout.js';
import type { GuestMM } from './mmap.js';

export const HIGH_FIRST_PAGE = HIGH_BASE / TARGET_PAGE_SIZE;
export const HIGH_END_PAGE = HIGH_END / TARGET_PAGE_SIZE;

/** A run of high pages with one protection; `back`: the low page of its first page's memory
 * (the run's memory is contiguous), -1 while it never had any (PROT_NONE so far). */
export interface HighRun { first: number; pages: number; flags: number; back: number }

interface Cache { gen: number; runs: HighRun[] }
const caches = new WeakMap<GuestMM, Cache>();

function table(mm: GuestMM): Int32Array {
  return new Int32Array(mm.memory.buffer, HIGH_OFFSET, HIGH_RUNS * 4);
}

/** The runs, sorted by address (a per-worker copy, reread when the generation moved). */
export function highRuns(mm: GuestMM): HighRun[] {
  let c = caches.get(mm);
  const g0 = Atomics.load(mm.kw, KernelWord.HIGH_GEN);
  if (c && c.gen === g0) return c.runs;
  const t = table(mm);
  for (;;) {
    const g = Atomics.load(mm.kw, KernelWord.HIGH_GEN);
    if (g & 1) continue; // being rewritten (under the lock, briefly)
    const runs: HighRun[] = [];
    for (let i = 0; i < HIGH_RUNS * 4; i += 4) {
      const pages = t[i + 1];
      if (pages > 0) runs.push({ first: t[i], pages, flags: t[i + 2], back: t[i + 3] });
    }
    if (Atomics.load(mm.kw, KernelWord.HIGH_GEN) !== g) continue;
    runs.sort((a, b) => a.first - b.first);
    c = { gen: g, runs };
    caches.set(mm, c);
    return runs;
  }
}

/** Write `runs` back (caller holds the MM lock). False: more runs than the table holds. */
function store(mm: GuestMM, runs: HighRun[]): boolean {
  if (runs.length > HIGH_RUNS) return false;
  const t = table(mm);
  Atomics.add(mm.kw, KernelWord.HIGH_GEN, 1);
  t.fill(0);
  runs.forEach((r, i) => { t[i * 4] = r.first; t[i * 4 + 1] = r.pages; t[i * 4 + 2] = r.flags; t[i * 4 + 3] = r.back; });
  Atomics.add(mm.kw, KernelWord.HIGH_GEN, 1);
  return true;
}

/** The run holding high page `page`, or undefined. */
export function highRunAt(mm: GuestMM, page: number): HighRun | undefined {
  const runs = highRuns(mm);
  let lo = 0, hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1, r = runs[mid];
    if (page < r.first) hi = mid - 1;
    else if (page >= r.first + r.pages) lo = mid + 1;
    else return r;
  }
  return undefined;
}

export function isHigh(addr: number): boolean {
  return addr >= HIGH_BASE;
}

/** PageFlag bits of the high page holding `addr` (0: not mapped). */
export function highFlags(mm: GuestMM, addr: number): number {
  return highRunAt(mm, Math.floor(addr / TARGET_PAGE_SIZE))?.flags ?? 0;
}

/** Host offset of high `addr` when its page has all of `need` (with VALID), else -1. */
export function highHostOf(mm: GuestMM, addr: number, need: number): number {
  const r = highRunAt(mm, Math.floor(addr / TARGET_PAGE_SIZE));
  if (!r || r.back < 0 || (r.flags & need) !== need) return -1;
  return mm.g2hLow((r.back - r.first) * TARGET_PAGE_SIZE + addr);
}

/**
 * The pieces of [addr, addr+len) as host ranges [host, len], when every page has `need`;
 * null: some page does not (EFAULT). One piece unless the range crosses runs whose memory is
 * not adjacent.
 */
export function highPieces(mm: GuestMM, addr: number, len: number, need: number): Array<[number, number]> | null {
  const out: Array<[number, number]> = [];
  let a = addr;
  const end = addr + len;
  if (addr < HIGH_BASE || end > HIGH_END) return null;
  while (a < end) {
    const r = highRunAt(mm, Math.floor(a / TARGET_PAGE_SIZE));
    if (!r || r.back < 0 || (r.flags & need) !== need) return null;
    const n = Math.min(end, (r.first + r.pages) * TARGET_PAGE_SIZE) - a;
    const h = mm.g2hLow((r.back - r.first) * TARGET_PAGE_SIZE + a);
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === h) last[1] += n; else out.push([h, n]);
    a += n;
  }
  return out;
}

/** The runs with [first, end) cut out (pieces of cut runs keep their memory's matching part). */
function without(runs: HighRun[], first: number, end: number): { kept: HighRun[]; cut: HighRun[] } {
  const kept: HighRun[] = [], cut: HighRun[] = [];
  for (const r of runs) {
    const rEnd = r.first + r.pages;
    if (rEnd <= first || r.first >= end) { kept.push(r); continue; }
    const part = (s: number, e: number): HighRun => ({ first: s, pages: e - s, flags: r.flags, back: r.back < 0 ? -1 : r.back + s - r.first });
    if (r.first < first) kept.push(part(r.first, first));
    if (rEnd > end) kept.push(part(end, rEnd));
    cut.push(part(Math.max(first, r.first), Math.min(end, rEnd)));
  }
  return { kept, cut };
}

/** Give the memory of cut runs back to the low space. */
function release(mm: GuestMM, cut: HighRun[]): void {
  for (const r of cut) if (r.back >= 0) mm.setRange(r.back * TARGET_PAGE_SIZE, r.pages * TARGET_PAGE_SIZE, 0, false);
}

/** Borrow `pages` contiguous free low pages (zeroed) for high memory; -1: none. */
function borrow(mm: GuestMM, pages: number): number {
  const at = mm.findFree(pages * TARGET_PAGE_SIZE);
  if (at < 0) return -1;
  mm.setRange(at, pages * TARGET_PAGE_SIZE, PAGE_BACKING, true);
  return at / TARGET_PAGE_SIZE;
}

/** Whether high [addr, addr+len) is all free. */
export function highRangeFree(mm: GuestMM, addr: number, len: number): boolean {
  if (addr < HIGH_BASE || addr + len > HIGH_END) return false;
  const first = addr / TARGET_PAGE_SIZE, end = first + Math.ceil(len / TARGET_PAGE_SIZE);
  return !highRuns(mm).some((r) => r.first < end && r.first + r.pages > first);
}

/** The lowest free high range of `len` bytes (at or above `hint` when that is free), or -1. */
export function highFindFree(mm: GuestMM, len: number, hint = 0): number {
  if (hint >= HIGH_BASE && highRangeFree(mm, hint, len)) return hint;
  const n = Math.ceil(len / TARGET_PAGE_SIZE);
  let p = HIGH_FIRST_PAGE;
  for (const r of highRuns(mm)) {
    if (r.first - p >= n) break;
    p = Math.max(p, r.first + r.pages);
  }
  return p + n <= HIGH_END_PAGE ? p * TARGET_PAGE_SIZE : -1;
}

/** New private anonymous mapping at high [addr, addr+len) with `flags` (replacing what was
 * there). False: no memory for it (nothing changed). Caller holds the MM lock. */
export function highMap(mm: GuestMM, addr: number, len: number, flags: number): boolean {
  const first = addr / TARGET_PAGE_SIZE, pages = Math.ceil(len / TARGET_PAGE_SIZE);
  const { kept, cut } = without(highRuns(mm), first, first + pages);
  const committed = (flags & (PageFlag.READ | PageFlag.WRITE | PageFlag.EXEC)) !== 0;
  const back = committed ? borrow(mm, pages) : -1;
  if (committed && back < 0) return false;
  kept.push({ first, pages, flags, back });
  kept.sort((a, b) => a.first - b.first);
  if (!store(mm, kept)) {
    if (back >= 0) release(mm, [{ first, pages, flags, back }]);
    return false;
  }
  release(mm, cut);
  return true;
}

/** munmap of high [addr, addr+len). Caller holds the MM lock. */
export function highUnmap(mm: GuestMM, addr: number, len: number): boolean {
  const first = addr / TARGET_PAGE_SIZE, end = first + Math.ceil(len / TARGET_PAGE_SIZE);
  const { kept, cut } = without(highRuns(mm), first, end);
  if (cut.length === 0) return true;
  if (!store(mm, kept)) return false;
  release(mm, cut);
  return true;
}

/** Whether every page of high [addr, addr+len) is mapped. */
export function highMapped(mm: GuestMM, addr: number, len: number): boolean {
  if (addr < HIGH_BASE || addr + len > HIGH_END) return false;
  let p = addr / TARGET_PAGE_SIZE;
  const end = p + Math.ceil(len / TARGET_PAGE_SIZE);
  while (p < end) {
    const r = highRunAt(mm, p);
    if (!r) return false;
    p = r.first + r.pages;
  }
  return true;
}

/**
 * mprotect of high [addr, addr+len) (all mapped: the caller checked). Pages getting access for
 * the first time borrow low memory, one contiguous run per piece that had none; pages keep
 * their memory (and bytes) when they go back to PROT_NONE. False: no memory (nothing changed).
 */
export function highProtect(mm: GuestMM, addr: number, len: number, flags: number): boolean {
  const first = addr / TARGET_PAGE_SIZE, end = first + Math.ceil(len / TARGET_PAGE_SIZE);
  const { kept, cut } = without(highRuns(mm), first, end);
  const committed = (flags & (PageFlag.READ | PageFlag.WRITE | PageFlag.EXEC)) !== 0;
  const borrowed: HighRun[] = [];
  for (const r of cut) {
    if (committed && r.back < 0) {
      r.back = borrow(mm, r.pages);
      if (r.back < 0) { release(mm, borrowed); return false; }
      borrowed.push({ ...r });
    }
    r.flags = flags;
  }
  // Neighbours with the same protection and adjacent memory become one run again.
  const all = [...kept, ...cut].sort((a, b) => a.first - b.first);
  const merged: HighRun[] = [];
  for (const r of all) {
    const m = merged[merged.length - 1];
    if (m && m.first + m.pages === r.first && m.flags === r.flags &&
        ((m.back < 0 && r.back < 0) || (m.back >= 0 && m.back + m.pages === r.back))) m.pages += r.pages;
    else merged.push({ ...r });
  }
  if (!store(mm, merged)) { release(mm, borrowed); return false; }
  return true;
}

/** MADV_DONTNEED and friends on high [addr, addr+len): its memory reads as zeros again. */
export function highZero(mm: GuestMM, addr: number, len: number): void {
  const first = addr / TARGET_PAGE_SIZE, end = first + Math.ceil(len / TARGET_PAGE_SIZE);
  for (const r of without(highRuns(mm), first, end).cut) {
    if (r.back >= 0) mm.zeroPages(r.back, r.back + r.pages);
  }
}

/** execve: the new image has no high mappings (the low page table, backing included, is
 * cleared by the caller). */
export function highReset(mm: GuestMM): void {
  if (highRuns(mm).length) store(mm, []);
}

/** Whether low pages [first, end) lend memory to high ones (they look free to the guest: a
 * MAP_FIXED there is refused rather than taking memory a high mapping uses). */
export function anyBacking(mm: GuestMM, first: number, end: number): boolean {
  for (let p = Math.max(0, first), e = Math.min(end, GUEST_PAGES); p < e; p++) if (mm.pages[p] === PAGE_BACKING) return true;
  return false;
}
