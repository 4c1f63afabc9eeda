// MAP_SHARED memory that outlives a fork. Each guest process is its own host process, so the
// only way parent and child see each other's stores is one host object mapped MAP_SHARED under
// the same guest pages in both: a memfd for MAP_SHARED|MAP_ANONYMOUS (and /dev/zero), the file
// itself (a descriptor of our own, dup'ed from the guest's) for file mappings. The mappings are
// extents in the kernel area, [first page, pages, host fd, object offset in pages, kind], so the
// fork image carries them; the forking process hands the fds to the child (beside the guest's),
// and the child maps each object again at the same address (mapExtentsInChild).
//
// MAP_SHARED memory that could not be given a host object (no native addon, host pages other
// than 4 KiB, the table full) is a private copy marked PageFlag.SHCOPY. A forked child cannot
// share it, so there its writable pages become PageFlag.LOST: any access ends in SIGBUS with a
// message on stderr, rather than parent and child silently diverging (fork + exec still works).
import {
  BUS_FAULTS_OFFSET, GUEST_PAGES, MAX_THREADS, PageFlag, SHMAP_OFFSET, SHMAP_WORDS, SHMAPS, TARGET_PAGE_SIZE,
} from './layout.js';
import type { GuestMM } from './mmap.js';
import type { HostSys } from './host.js';
import type { TaskState } from './qemu.js';
import { forceSignal, TARGET_SIGBUS } from './signal.js';

/** FILE_RO: a file open read-only, mapped MAP_SHARED without PROT_WRITE: the host maps it
 * privately (HostSys.mapShared's `priv`), which reads the file's current pages. */
export const enum ShmapKind { ANON = 1, FILE = 2, FILE_RO = 3 }

export interface Extent { index: number; first: number; pages: number; fd: number; off: number; kind: number }

function table(mm: GuestMM): Int32Array {
  return new Int32Array(mm.memory.buffer, SHMAP_OFFSET, SHMAPS * SHMAP_WORDS);
}

/** The live extents (caller holds the mm lock, or is the only thread). */
export function extents(mm: GuestMM): Extent[] {
  const t = table(mm), out: Extent[] = [];
  for (let i = 0; i < SHMAPS; i++) {
    const w = i * SHMAP_WORDS;
    if (t[w + 1] !== 0) out.push({ index: i, first: t[w], pages: t[w + 1], fd: t[w + 2], off: t[w + 3], kind: t[w + 4] });
  }
  return out;
}

/** The extent holding guest page `page`, or null. */
export function extentAt(mm: GuestMM, page: number): Extent | null {
  return extents(mm).find((e) => page >= e.first && page < e.first + e.pages) ?? null;
}

/** Record an extent; false when the table is full. */
export function addExtent(mm: GuestMM, first: number, pages: number, fd: number, off: number, kind: number): boolean {
  const t = table(mm);
  for (let i = 0; i < SHMAPS; i++) {
    const w = i * SHMAP_WORDS;
    if (t[w + 1] !== 0) continue;
    t.set([first, pages, fd, off, kind, 0, 0, 0], w);
    return true;
  }
  return false;
}

function fdUsed(mm: GuestMM, fd: number): boolean {
  return extents(mm).some((e) => e.fd === fd);
}

/** Pages [first, end) stop being host-shared (munmap, MAP_FIXED over them, mremap, execve):
 * trim or split the extents over them and close the objects nothing maps any more. The pages
 * themselves are the caller's (unshareRange puts private memory back). */
export function dropExtents(mm: GuestMM, first: number, end: number, close: (fd: number) => void): void {
  const t = table(mm), gone: number[] = [];
  for (const e of extents(mm)) {
    const last = e.first + e.pages;
    if (last <= first || e.first >= end) continue;
    const w = e.index * SHMAP_WORDS;
    if (e.first >= first && last <= end) {
      t.fill(0, w, w + SHMAP_WORDS);
      gone.push(e.fd);
    } else if (e.first < first) {
      t[w + 1] = first - e.first;
      // The tail past the hole keeps its object (a table full leaves it unrecorded: the pages
      // stay shared here, and a child gets a copy).
      if (last > end) addExtent(mm, end, last - end, e.fd, e.off + (end - e.first), e.kind);
    } else {
      t[w] = end;
      t[w + 1] = last - end;
      t[w + 3] = e.off + (end - e.first);
    }
  }
  for (const fd of new Set(gone)) if (!fdUsed(mm, fd)) close(fd);
}

/** Map `pages` of object `fd` from page `off` over guest page `first` (whole pages the object
 * has: a host access past its end would be a host SIGBUS). The pages mapped, or -errno. */
export function mapObject(mm: GuestMM, sys: HostSys, fd: number, off: number, first: number, pages: number, size: number, kind = ShmapKind.FILE): number {
  const have = Math.min(pages, Math.floor(size / TARGET_PAGE_SIZE) - off);
  if (have <= 0) return 0;
  const h = mm.g2h(first * TARGET_PAGE_SIZE);
  const view = mm.bytes.subarray(h, h + have * TARGET_PAGE_SIZE);
  const r = kind === ShmapKind.FILE_RO ? sys.mapShared(view, fd, off * TARGET_PAGE_SIZE, 1) : sys.mapShared(view, fd, off * TARGET_PAGE_SIZE);
  return r < 0 ? r : have;
}

/** Whether this host can back MAP_SHARED memory with host objects. */
export function canShare(sys: HostSys | null): sys is HostSys {
  return !!sys && sys.pageSize() === TARGET_PAGE_SIZE;
}

/** MAP_SHARED|MAP_ANONYMOUS: a memfd of the mapping's size mapped over [first, first+pages).
 * False: no host object (the caller makes a private copy, PageFlag.SHCOPY). */
export function mapSharedAnon(mm: GuestMM, sys: HostSys | null, first: number, pages: number,
  ftruncate: (fd: number, len: number) => void, close: (fd: number) => void): boolean {
  if (!canShare(sys)) return false;
  const fd = sys.memfdCreate('dev/zero', 0); // Linux names shared anonymous memory /dev/zero
  if (fd < 0) return false;
  try { ftruncate(fd, pages * TARGET_PAGE_SIZE); } catch { close(fd); return false; }
  if (mapObject(mm, sys, fd, 0, first, pages, pages * TARGET_PAGE_SIZE) !== pages || !addExtent(mm, first, pages, fd, 0, ShmapKind.ANON)) {
    const h = mm.g2h(first * TARGET_PAGE_SIZE);
    sys.unmapShared(mm.bytes.subarray(h, h + pages * TARGET_PAGE_SIZE));
    close(fd);
    return false;
  }
  return true;
}

/** The distinct host objects a forked child must receive, in table order. */
export function extentFds(mm: GuestMM): number[] {
  return [...new Set(extents(mm).map((e) => e.fd))];
}

/**
 * A forked child, after fixupForkedChild: `fds[i]` is our descriptor for the parent's object
 * `parentFds[i]` (extentFds at the fork). Map every extent again at its address and mark its
 * pages SHARED; an extent whose object did not arrive or cannot be mapped loses its pages (LOST,
 * as SHCOPY pages do). Returns the guest addresses of extents that failed.
 */
export function mapExtentsInChild(mm: GuestMM, sys: HostSys | null, parentFds: number[], fds: number[],
  size: (fd: number) => number, close: (fd: number) => void): number[] {
  const t = table(mm), failed: number[] = [];
  const sizes = new Map<number, number>();
  for (const e of extents(mm)) {
    const i = parentFds.indexOf(e.fd);
    const fd = i >= 0 && i < fds.length ? fds[i] : -1;
    const w = e.index * SHMAP_WORDS;
    let ok = fd >= 0 && canShare(sys);
    if (ok && sys) {
      if (!sizes.has(fd)) sizes.set(fd, size(fd));
      const r = mapObject(mm, sys, fd, e.off, e.first, e.pages, pageAlignUp(sizes.get(fd) ?? 0), e.kind);
      ok = r >= 0;
      if (ok) {
        for (let p = e.first; p < e.first + r; p++) mm.pages[p] |= PageFlag.SHARED;
        // Pages past the file's end now (truncated since): SIGBUS, as in the parent.
        for (let p = e.first + r; p < e.first + e.pages; p++) if (mm.pages[p]) mm.pages[p] |= PageFlag.EOF;
        t[w + 2] = fd;
      }
    }
    if (!ok) {
      failed.push(e.first * TARGET_PAGE_SIZE);
      t.fill(0, w, w + SHMAP_WORDS);
      markCopy(mm, e.first, e.first + e.pages);
    }
  }
  for (const fd of fds) if (fd >= 0 && !fdUsed(mm, fd)) close(fd);
  return failed;
}

function pageAlignUp(n: number): number { return Math.ceil(n / TARGET_PAGE_SIZE) * TARGET_PAGE_SIZE; }

function markCopy(mm: GuestMM, first: number, end: number): void {
  for (let p = first; p < end; p++) if (mm.pages[p]) mm.pages[p] |= PageFlag.SHCOPY | PageFlag.LOST;
}

/** A forked child: writable MAP_SHARED memory the parent had only as a private copy cannot be
 * shared. (A read-only copy stays readable: the parent's snapshot, as the parent sees it.) */
export function loseCopies(mm: GuestMM): boolean {
  let any = false;
  const both = PageFlag.SHCOPY | PageFlag.WRITE;
  for (let p = 0; p < GUEST_PAGES; p++) {
    if ((mm.pages[p] & both) === both) { mm.pages[p] |= PageFlag.LOST; any = true; }
  }
  return any;
}

// ---- a shared file shrinking under its mapping ----

/** The per-slot words the native SIGBUS handler writes (guest address + 1). */
export function busFaults(mm: GuestMM): Int32Array {
  return new Int32Array(mm.memory.buffer, BUS_FAULTS_OFFSET, MAX_THREADS);
}

function fileSize(ts: TaskState, fd: number): number {
  try { return Number(ts.fs.fstat(fd).size); } catch { return 0; }
}

/**
 * The native handler took a host SIGBUS at guest address `v - 1` for this thread: a file mapped
 * shared shrank (another process, or this one, truncated it) and the page is private zeros now.
 * The extent's pages past the file's end become EOF pages (every later access faults in the
 * page table: a precise SIGBUS, or the file's page again if it grew back) and the guest gets
 * SIGBUS BUS_ADRERR at the address, after the access that faulted (it read zeros or stored into
 * the private page: the host cannot undo it).
 */
export function takeBusFault(ts: TaskState, v: number): void {
  const addr = v - 1, page = Math.floor(addr / TARGET_PAGE_SIZE), mm = ts.mm;
  mm.lock();
  try {
    const e = extentAt(mm, page);
    if (e && ts.sys) {
      const end = Math.ceil(fileSize(ts, e.fd) / TARGET_PAGE_SIZE) - e.off; // pages the file has
      for (let p = Math.max(e.first, e.first + end); p < e.first + e.pages; p++) {
        if (mm.pages[p] & PageFlag.SHARED) {
          const h = mm.g2h(p * TARGET_PAGE_SIZE);
          ts.sys.unmapShared(mm.bytes.subarray(h, h + TARGET_PAGE_SIZE));
        }
        if (mm.pages[p]) mm.pages[p] = (mm.pages[p] & ~PageFlag.SHARED) | PageFlag.EOF;
      }
      mm.flushAllTlbs();
    }
  } finally { mm.unlock(); }
  forceSignal(ts, { signo: TARGET_SIGBUS, code: 2, addr: BigInt(addr) }); // BUS_ADRERR
}

/** An access faulted on an EOF page: true when the page is still past the file's end (SIGBUS);
 * false when the file grew back over it (the file's page is mapped again: retry the access). */
export function pastEof(ts: TaskState, addr: number): boolean {
  const mm = ts.mm, page = Math.floor(addr / TARGET_PAGE_SIZE);
  mm.lock();
  try {
    const e = extentAt(mm, page), sys = ts.sys;
    if (!e || !canShare(sys) || !(mm.pages[page] & PageFlag.EOF)) return (mm.pages[page] & PageFlag.EOF) !== 0;
    const objPage = e.off + page - e.first;
    if (mapObject(mm, sys, e.fd, objPage, page, 1, pageAlignUp(fileSize(ts, e.fd)), e.kind) !== 1) return true;
    mm.pages[page] = (mm.pages[page] & ~PageFlag.EOF) | PageFlag.SHARED;
    mm.flushAllTlbs();
    return false;
  } finally { mm.unlock(); }
}
