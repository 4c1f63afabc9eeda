// mmap, munmap, mprotect, mremap, madvise, msync, brk. Private file mappings are copies read at
// mmap time (their pages marked in GuestMM's file-page bitmap). MAP_SHARED memory is a host object mapped over the guest pages when the native addon
// is there (PageFlag.SHARED): the file itself for files open read/write, a memfd for anonymous
// memory and /dev/zero; writes reach the object at once, and a forked child maps the same object
// at the same address (shared-map.ts). munmap/execve/MAP_FIXED put private memory back. Without
// the addon MAP_SHARED is a private copy (PageFlag.SHCOPY): a forked child cannot touch it.
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, long, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { GUEST_PAGES, HIGH_BASE, HIGH_END, KernelWord, MMAP_BASE, PAGE_BACKING, PageFlag, TARGET_PAGE_BITS, TARGET_PAGE_SIZE, TASK_SIZE } from './layout.js';
import { anyBacking, highFindFree, highMap, highMapped, highProtect, highRangeFree, highUnmap, highZero } from './high-map.js';
import { pageAlignUp, protToFlags } from './mmap.js';
import { fdinfo } from './blocking.js';
import { addExtent, canShare, dropExtents, extentAt, extents, mapObject, mapSharedAnon, ShmapKind, type Extent } from './shared-map.js';

const PROT_WRITE = 2, PROT_EXEC = 4;
const MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_LOCKED = 0x2000, MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;
const MMAP_MIN_ADDR = 0x10000;

/** Code in [addr, addr+len) may have changed: drop this thread's translations of it now,
 * other threads' before they run guest code again. */
function codeChanged(ts: TaskState, addr: number, len: number): void {
  ts.mm.onUnmap(addr, len);
  ts.mm.noteCodeChange(addr, len || TASK_SIZE, ts.slot);
}

/** Call `fn` on each run of host-shared pages in [addr, addr+len) with a view of its memory. */
function sharedRuns(ts: TaskState, addr: number, len: number, fn: (view: Uint8Array, first: number, end: number) => void): void {
  const pages = ts.mm.pages;
  const last = Math.min(GUEST_PAGES, Math.ceil((addr + len) / TARGET_PAGE_SIZE));
  for (let p = Math.floor(addr / TARGET_PAGE_SIZE); p < last;) {
    if (!(pages[p] & PageFlag.SHARED)) { p++; continue; }
    const first = p;
    while (p < last && (pages[p] & PageFlag.SHARED)) p++;
    const h = ts.mm.g2h(first * TARGET_PAGE_SIZE);
    fn(ts.mm.bytes.subarray(h, h + (p - first) * TARGET_PAGE_SIZE), first, p);
  }
}

/** Put private (zeroed) memory back under the host-shared pages of a range going away. */
export function unshareRange(ts: TaskState, addr: number, len: number): void {
  sharedRuns(ts, addr, len, (view, first, end) => {
    ts.sys?.unmapShared(view);
    for (let p = first; p < end; p++) ts.mm.pages[p] &= ~PageFlag.SHARED;
  });
  const first = Math.floor(addr / TARGET_PAGE_SIZE);
  dropExtents(ts.mm, first, Math.min(GUEST_PAGES, Math.ceil((addr + len) / TARGET_PAGE_SIZE)), (fd) => ts.fs.close(fd));
  for (let p = first, end = Math.min(GUEST_PAGES, Math.ceil((addr + len) / TARGET_PAGE_SIZE)); p < end; p++) {
    ts.mm.pages[p] &= ~(PageFlag.SHCOPY | PageFlag.LOST | PageFlag.EOF);
  }
}

/** Map the file over [start, start+len) when it can be shared for real: the addon, 4 KiB host
 * pages, a file open read/write. The pages the file has are the host's mapping of it; those
 * past its end are EOF pages (SIGBUS, as on Linux, until the file grows over them). The mapping
 * keeps a descriptor of its own (the guest may close its fd; a forked child gets it). Returns
 * the pages mapped, or -1: not shared (a copy instead). */
function mapSharedFile(ts: TaskState, start: number, len: number, host: number, off: number, prot: number): number {
  const sys = ts.sys;
  if (!canShare(sys)) return -1;
  // A file open read-only (mmap refused PROT_WRITE): a private host mapping of it still reads
  // the file's pages as they are now (writes by others show), where a copy was a snapshot.
  const kind = fileWritable(ts, host) && !writeSealed(ts, host) ? ShmapKind.FILE : ShmapKind.FILE_RO;
  if (!kind) return -1;
  const own = sys.dup(host);
  if (own < 0) return -1;
  const pages = pageAlignUp(len) / TARGET_PAGE_SIZE, first = start / TARGET_PAGE_SIZE;
  const n = mapObject(ts.mm, sys, own, off / TARGET_PAGE_SIZE, first, pages, pageAlignUp(Number(ts.fs.fstat(own).size)), kind);
  if (n >= 0 && addExtent(ts.mm, first, pages, own, off / TARGET_PAGE_SIZE, kind)) return n;
  if (n > 0) sys.unmapShared(ts.mm.bytes.subarray(ts.mm.g2h(start), ts.mm.g2h(start) + n * TARGET_PAGE_SIZE));
  ts.fs.close(own);
  return -1;
}

function fileReadable(ts: TaskState, host: number): boolean {
  const O_ACCMODE = 3, O_WRONLY = 1;
  try {
    return ((ts.sys ? ts.sys.fcntl(host, 3, 0) : fdinfo(ts, host).flags) & O_ACCMODE) !== O_WRONLY;
  } catch { return false; }
}

function fileWritable(ts: TaskState, host: number): boolean {
  const O_ACCMODE = 3, O_RDWR = 2;
  try {
    return ((ts.sys ? ts.sys.fcntl(host, 3, 0) : fdinfo(ts, host).flags) & O_ACCMODE) === O_RDWR;
  } catch { return false; }
}

/** A memfd with F_SEAL_WRITE or F_SEAL_FUTURE_WRITE (the host's F_GET_SEALS; other files: no). */
function writeSealed(ts: TaskState, host: number): boolean {
  const F_GET_SEALS = 1034, F_SEAL_WRITE = 8, F_SEAL_FUTURE_WRITE = 16;
  if (!ts.sys) return false;
  const seals = ts.sys.fcntl(host, F_GET_SEALS, 0);
  return seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) !== 0;
}

/** /dev/zero: MAP_SHARED of it is shared anonymous memory, as on Linux. */
function isDevZero(ts: TaskState, host: number): boolean {
  try {
    const st = ts.fs.fstat(host);
    return (st.mode & 0o170000n) === 0o020000n && st.rdev === 0x105n; // char 1:5
  } catch { return false; }
}

function mmap(ts: TaskState, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  const mm = ts.mm;
  if (len === 0 || (off & (TARGET_PAGE_SIZE - 1)) !== 0 || (addr & (TARGET_PAGE_SIZE - 1)) !== 0) {
    throw new SyscallError(Errno.EINVAL);
  }
  if (!(flags & (MAP_SHARED | MAP_PRIVATE))) throw new SyscallError(Errno.EINVAL);
  const size = pageAlignUp(len);
  if (size > HIGH_END - HIGH_BASE) throw new SyscallError(Errno.ENOMEM);
  // High memory (high-map.ts): a fixed address or a free hint there, or what does not fit low.
  const highOk = (flags & (MAP_SHARED | MAP_PRIVATE)) === MAP_PRIVATE && (flags & MAP_ANONYMOUS) !== 0 && !(prot & PROT_EXEC);
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) ? addr + size > TASK_SIZE : size > TASK_SIZE || (addr >= HIGH_BASE && highOk)) {
    const high = mmapHigh(ts, addr, size, prot, flags, highOk);
    if (high >= 0) return high;
  }
  let host = flags & MAP_ANONYMOUS ? -1 : ts.fdt.host(fd);
  // The file's access mode bounds its mappings, as Linux's do_mmap checks it: any mapping needs
  // it readable, a shared writable one writable (mprotect checks the same later). /dev/zero's
  // too: a shared mapping of it opened read-only is never writable (no VM_MAYWRITE).
  if (host >= 0 && (!fileReadable(ts, host) || (flags & MAP_SHARED && prot & PROT_WRITE && !fileWritable(ts, host)))) {
    throw new SyscallError(Errno.EACCES);
  }
  const anonShared = (flags & MAP_SHARED) !== 0 && (host < 0 || isDevZero(ts, host));
  // A memfd sealed against writes: no writable shared mapping (EPERM, Linux's
  // memfd_check_seals_mmap); a read-only one can never become writable (FILE_RO).
  if (!anonShared && host >= 0 && flags & MAP_SHARED && prot & PROT_WRITE && writeSealed(ts, host)) throw new SyscallError(Errno.EPERM);
  const roZero = anonShared && host >= 0 && !fileWritable(ts, host);
  if (anonShared) host = -1;
  mm.lock();
  try {
    let start: number;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
      if (addr + size > TASK_SIZE) throw new SyscallError(Errno.ENOMEM);
      if (addr < MMAP_MIN_ADDR) throw new SyscallError(Errno.EPERM); // Linux's vm.mmap_min_addr
      // Free to the guest, but lent to high memory: refused rather than taken from it.
      if (anyBacking(mm, addr / TARGET_PAGE_SIZE, (addr + size) / TARGET_PAGE_SIZE)) throw new SyscallError(Errno.ENOMEM);
      if (flags & MAP_FIXED_NOREPLACE && !mm.rangeFree(addr, size)) throw new SyscallError(Errno.EEXIST);
      start = addr;
    } else if (addr !== 0 && addr + size <= MMAP_BASE && mm.rangeFree(addr, size)) {
      start = addr;
    } else {
      start = mm.findFree(size);
      if (start < 0) {
        if (!highOk) throw new SyscallError(Errno.ENOMEM);
        mm.unlock();
        try { return mmapHigh(ts, addr, size, prot, flags, highOk, true); } finally { mm.lock(); }
      }
    }
    // Zero and mark writable while filling; the final protection comes last. Anonymous memory
    // gets host pages given back, not zeroed: they are not resident until touched (mincore).
    unshareRange(ts, start, size);
    mm.setRange(start, size, protToFlags(3), true, host < 0);
    const anon = anonShared && mapSharedAnon(mm, ts.sys, start / TARGET_PAGE_SIZE, size / TARGET_PAGE_SIZE, (f, l) => ts.fs.ftruncate(f, l), (f) => ts.fs.close(f));
    const filePages = !anonShared && host >= 0 && flags & MAP_SHARED ? mapSharedFile(ts, start, len, host, off, prot) : -1;
    // MAP_SHARED memory without a host object: a copy no forked child can share (shared-map.ts).
    // A read-only file's copy is one too: mprotect must refuse PROT_WRITE there, as Linux does
    // (no VM_MAYWRITE), with or without the addon.
    const copy = (anonShared && !anon) || (filePages < 0 && host >= 0 && flags & MAP_SHARED) ? PageFlag.SHCOPY : 0;
    if (host >= 0 && filePages < 0) {
      const view = mm.bytes.subarray(mm.g2h(start), mm.g2h(start) + len);
      let done = 0;
      while (done < len) {
        const n = ts.fs.read(host, view.subarray(done), off + done);
        if (n <= 0) break;
        done += n;
      }
    }
    const pf = protToFlags(prot);
    if (anon) mm.setRange(start, size, pf | PageFlag.SHARED, false);
    else if (filePages >= 0) {
      mm.setRange(start, size, pf | PageFlag.EOF, false);
      mm.setRange(start, filePages * TARGET_PAGE_SIZE, pf | PageFlag.SHARED, false);
    } else mm.setRange(start, size, pf | copy, false);
    // A private file mapping's pages wholly past the file's end: SIGBUS on access (as on Linux
    // and qemu-riscv64, which maps the file itself), not zeros.
    if (host >= 0 && filePages < 0 && !(flags & MAP_SHARED)) {
      let fileSize = -1;
      try {
        const st = ts.fs.fstat(host);
        if ((st.mode & 0o170000n) === 0o100000n) fileSize = Number(st.size); // a regular file
      } catch { /* gone: all mapped */ }
      if (fileSize >= 0) {
        const have = Math.max(0, pageAlignUp(fileSize - off) / TARGET_PAGE_SIZE);
        for (let p = start / TARGET_PAGE_SIZE + have, end = (start + size) / TARGET_PAGE_SIZE; p < end; p++) mm.pages[p] |= PageFlag.EOF;
      }
    }
    mm.setNoRead(start / TARGET_PAGE_SIZE, (start + size) / TARGET_PAGE_SIZE, prot);
    if (flags & MAP_LOCKED) mm.setLocked(start / TARGET_PAGE_SIZE, (start + size) / TARGET_PAGE_SIZE, true);
    // A file no write can reach (a private mapping, a read-only file's copy): MADV_REMOVE is
    // EACCES there, as on Linux.
    if ((host >= 0 && filePages < 0 && !(flags & MAP_SHARED && fileWritable(ts, host))) || roZero) {
      mm.markFilePages(start / TARGET_PAGE_SIZE, (start + size) / TARGET_PAGE_SIZE);
    }
    mm.flushAllTlbs();
    codeChanged(ts, start, size);
    return start;
  } finally { mm.unlock(); }
}

/**
 * mmap in high memory (high-map.ts): private anonymous memory only, no PROT_EXEC (translated
 * code never runs there); anything else there is ENOMEM. -1: the mapping belongs in the low
 * space after all (a hint that is not free, a size that fits); `full`: the low space has no room.
 */
function mmapHigh(ts: TaskState, addr: number, size: number, prot: number, flags: number, highOk: boolean, full = false): number {
  const mm = ts.mm;
  const fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
  if (fixed && (addr < HIGH_BASE || addr + size > HIGH_END)) throw new SyscallError(Errno.ENOMEM);
  if (!highOk) throw new SyscallError(Errno.ENOMEM);
  mm.lock();
  try {
    let start: number;
    if (fixed) {
      if (flags & MAP_FIXED_NOREPLACE && !highRangeFree(mm, addr, size)) throw new SyscallError(Errno.EEXIST);
      start = addr;
    } else if (!full && size <= TASK_SIZE && !highRangeFree(mm, addr, size)) {
      return -1; // a high hint that is taken: the low space, as for any other hint
    } else {
      start = highFindFree(mm, size, addr);
      if (start < 0) throw new SyscallError(Errno.ENOMEM);
    }
    if (!highMap(mm, start, size, protToFlags(prot))) throw new SyscallError(Errno.ENOMEM);
    return start;
  } finally { mm.unlock(); }
}

function munmap(ts: TaskState, addr: number, len: number): number {
  if ((addr & (TARGET_PAGE_SIZE - 1)) !== 0 || len === 0 || addr + len > HIGH_END) throw new SyscallError(Errno.EINVAL);
  const size = pageAlignUp(len), end = addr + size;
  ts.mm.lock();
  if (end > HIGH_BASE && !highUnmap(ts.mm, Math.max(addr, HIGH_BASE), end - Math.max(addr, HIGH_BASE))) {
    ts.mm.unlock();
    throw new SyscallError(Errno.ENOMEM); // splitting would need more high runs than the table has
  }
  if (addr < TASK_SIZE) {
    // The low part, around pages lent to high memory (those stay).
    const first = addr / TARGET_PAGE_SIZE, last = Math.min(end, TASK_SIZE) / TARGET_PAGE_SIZE;
    for (let p = first; p < last;) {
      if (ts.mm.pages[p] === PAGE_BACKING) { p++; continue; }
      let q = p + 1;
      while (q < last && ts.mm.pages[q] !== PAGE_BACKING) q++;
      unshareRange(ts, p * TARGET_PAGE_SIZE, (q - p) * TARGET_PAGE_SIZE);
      ts.mm.setRange(p * TARGET_PAGE_SIZE, (q - p) * TARGET_PAGE_SIZE, 0, false);
      p = q;
    }
    ts.mm.flushAllTlbs();
  }
  ts.mm.unlock();
  if (addr < TASK_SIZE) codeChanged(ts, addr, Math.min(end, TASK_SIZE) - addr);
  return 0;
}

function mprotect(ts: TaskState, addr: number, len: number, prot: number): number {
  if ((addr & (TARGET_PAGE_SIZE - 1)) !== 0) throw new SyscallError(Errno.EINVAL);
  const size = pageAlignUp(len);
  // Mapped pages: a shared file's pages past its end (EOF) or a fork's lost copies are mapped
  // too (an access faults, mprotect works); a hole or an unmapped range is ENOMEM.
  if (!(addr >= HIGH_BASE ? ts.mm.accessOk(addr, size, 0) : allValid(ts, addr, size))) throw new SyscallError(Errno.ENOMEM);
  if (addr >= HIGH_BASE) {
    if (prot & PROT_EXEC) throw new SyscallError(Errno.ENOMEM); // no translated code in high memory
    ts.mm.lock();
    try {
      if (!highProtect(ts.mm, addr, size, protToFlags(prot))) throw new SyscallError(Errno.ENOMEM);
    } finally { ts.mm.unlock(); }
    return 0;
  }
  ts.mm.lock();
  const pages = ts.mm.pages, flags = protToFlags(prot);
  if (prot & PROT_WRITE && readOnlyShared(ts, addr, size)) { ts.mm.unlock(); throw new SyscallError(Errno.EACCES); }
  for (let p = addr >>> TARGET_PAGE_BITS, end = p + size / TARGET_PAGE_SIZE; p < end; p++) {
    pages[p] = flags | (pages[p] & (PageFlag.SHARED | PageFlag.SHCOPY | PageFlag.LOST | PageFlag.EOF));
  }
  ts.mm.setNoRead(addr / TARGET_PAGE_SIZE, (addr + size) / TARGET_PAGE_SIZE, prot);
  ts.mm.flushAllTlbs();
  ts.mm.unlock();
  codeChanged(ts, addr, size);
  return 0;
}

/** Every page of low [addr, addr+size) is mapped (VALID), whatever else it is. */
function allValid(ts: TaskState, addr: number, size: number): boolean {
  if (size === 0) return true;
  if (addr + size > TASK_SIZE) return false;
  const pages = ts.mm.pages;
  for (let p = addr / TARGET_PAGE_SIZE, end = p + size / TARGET_PAGE_SIZE; p < end; p++) if (!(pages[p] & PageFlag.VALID)) return false;
  return true;
}

/** Some page of [addr, addr+size) maps a file open read-only with MAP_SHARED: Linux clears
 * VM_MAYWRITE there, so PROT_WRITE is refused (EACCES). That is a FILE_RO extent with the addon,
 * a copy (SHCOPY) of a file without it. Caller holds the mm lock. */
function readOnlyShared(ts: TaskState, addr: number, size: number): boolean {
  const first = addr / TARGET_PAGE_SIZE, end = first + size / TARGET_PAGE_SIZE, pages = ts.mm.pages;
  for (let p = first; p < end; p++) if (pages[p] & (PageFlag.SHCOPY | PageFlag.SHARED) && ts.mm.anyFilePage(p, p + 1)) return true;
  return extents(ts.mm).some((e) => e.kind === ShmapKind.FILE_RO && e.first < end && e.first + e.pages > first);
}

/** Map pages of extent `e`'s object from object page `off` at [dest, dest+pages) (mremap: both
 * processes keep sharing it, as on Linux). Pages the object does not have (an anonymous one
 * grown, a file's past its end) are EOF pages: SIGBUS, as on Linux. */
function mapExtentPart(ts: TaskState, e: Extent, off: number, dest: number, pages: number): boolean {
  const mm = ts.mm, sys = ts.sys;
  if (!canShare(sys)) return false;
  const first = dest / TARGET_PAGE_SIZE;
  let size = 0;
  try { size = Number(ts.fs.fstat(e.fd).size); } catch { return false; }
  const n = mapObject(mm, sys, e.fd, off, first, pages, pageAlignUp(size), e.kind);
  if (n < 0) return false;
  if (!addExtent(mm, first, pages, e.fd, off, e.kind)) {
    if (n > 0) sys.unmapShared(mm.bytes.subarray(mm.g2h(dest), mm.g2h(dest) + n * TARGET_PAGE_SIZE));
    return false;
  }
  for (let p = first; p < first + pages; p++) {
    mm.pages[p] = (mm.pages[p] & ~PageFlag.SHCOPY) | (p < first + n ? PageFlag.SHARED : PageFlag.EOF);
  }
  return true;
}

function mremap(ts: TaskState, old: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
  const mm = ts.mm;
  const MREMAP_DONTUNMAP = 4;
  // Linux's checks, in its order: flags, FIXED without MAYMOVE, the old address, the lengths;
  // then for FIXED the new address (aligned, within the space, not overlapping the old range).
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) throw new SyscallError(Errno.EINVAL);
  if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) throw new SyscallError(Errno.EINVAL);
  if (flags & MREMAP_DONTUNMAP) throw new SyscallError(Errno.EINVAL); // not implemented: refused
  if ((old & (TARGET_PAGE_SIZE - 1)) !== 0 || newLen === 0) throw new SyscallError(Errno.EINVAL);
  const oldSize = pageAlignUp(oldLen), newSize = pageAlignUp(newLen);
  if (flags & MREMAP_FIXED) {
    if ((newAddr & (TARGET_PAGE_SIZE - 1)) !== 0 || newAddr + newSize > HIGH_END) throw new SyscallError(Errno.EINVAL);
    if (old + oldSize > newAddr && newAddr + newSize > old) throw new SyscallError(Errno.EINVAL);
  }
  if (!mm.accessOk(old, oldSize, 0)) throw new SyscallError(Errno.EFAULT);
  if (old >= HIGH_BASE || (flags & MREMAP_FIXED && newAddr + newSize > TASK_SIZE)) {
    // High memory: shrinking in place only (growing or moving it is not implemented).
    if (flags & MREMAP_FIXED || newSize > oldSize || old < HIGH_BASE) throw new SyscallError(Errno.ENOMEM);
    mm.lock();
    try { if (!highUnmap(mm, old + newSize, oldSize - newSize)) throw new SyscallError(Errno.ENOMEM); } finally { mm.unlock(); }
    return old;
  }
  const flagsOfOld = mm.pageFlags(old);
  const prot = flagsOfOld & ~(PageFlag.SHARED | PageFlag.SHCOPY | PageFlag.LOST | PageFlag.EOF);
  mm.lock();
  try {
    if (newSize <= oldSize && !(flags & MREMAP_FIXED)) {
      unshareRange(ts, old + newSize, oldSize - newSize);
      mm.setRange(old + newSize, oldSize - newSize, 0, false);
      mm.flushAllTlbs();
      codeChanged(ts, old + newSize, oldSize - newSize);
      return old;
    }
    // A private file mapping stays one where it grows or moves (MADV_REMOVE: EACCES).
    const fileOld = mm.anyFilePage(old / TARGET_PAGE_SIZE, old / TARGET_PAGE_SIZE + 1);
    const noReadOld = mm.isNoRead(old / TARGET_PAGE_SIZE);
    if (!(flags & MREMAP_FIXED) && mm.rangeFree(old + oldSize, newSize - oldSize)) {
      mm.setRange(old + oldSize, newSize - oldSize, prot | (flagsOfOld & PageFlag.SHCOPY), true);
      if (fileOld) mm.markFilePages((old + oldSize) / TARGET_PAGE_SIZE, (old + newSize) / TARGET_PAGE_SIZE);
      if (noReadOld) mm.setNoRead((old + oldSize) / TARGET_PAGE_SIZE, (old + newSize) / TARGET_PAGE_SIZE, PROT_WRITE);
      // A shared object grows into the new pages it has (a file's further pages).
      const lastPage = (old + oldSize) / TARGET_PAGE_SIZE - 1, e = extentAt(mm, lastPage);
      if (e) mapExtentPart(ts, e, e.off + lastPage - e.first + 1, old + oldSize, (newSize - oldSize) / TARGET_PAGE_SIZE);
      mm.flushAllTlbs();
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) throw new SyscallError(Errno.ENOMEM);
    const dest = flags & MREMAP_FIXED ? newAddr : mm.findFree(newSize);
    if (dest < 0) throw new SyscallError(Errno.ENOMEM);
    if (anyBacking(mm, dest / TARGET_PAGE_SIZE, (dest + newSize) / TARGET_PAGE_SIZE)) throw new SyscallError(Errno.ENOMEM);
    unshareRange(ts, dest, newSize);
    mm.setRange(dest, newSize, prot | (flagsOfOld & PageFlag.SHCOPY), true);
    if (fileOld) mm.markFilePages(dest / TARGET_PAGE_SIZE, (dest + newSize) / TARGET_PAGE_SIZE);
    if (noReadOld) mm.setNoRead(dest / TARGET_PAGE_SIZE, (dest + newSize) / TARGET_PAGE_SIZE, PROT_WRITE);
    // A moved shared mapping maps the same object at its new place; other memory is copied.
    const e = extentAt(mm, old / TARGET_PAGE_SIZE);
    if (!(e && mapExtentPart(ts, e, e.off + old / TARGET_PAGE_SIZE - e.first, dest, newSize / TARGET_PAGE_SIZE))) {
      mm.bytes.copyWithin(mm.g2h(dest), mm.g2h(old), mm.g2h(old) + Math.min(oldSize, newSize));
    }
    if (oldSize > 0) {
      unshareRange(ts, old, oldSize);
      mm.setRange(old, oldSize, 0, false);
    }
    mm.flushAllTlbs();
    codeChanged(ts, old, oldSize);
    codeChanged(ts, dest, newSize);
    return dest;
  } finally { mm.unlock(); }
}

/** Advice Linux knows (MADV_NORMAL..MADV_COLLAPSE but 5-7); anything else is EINVAL. */
const madviseKnown = (advice: number) => advice >= 0 && advice <= 25 && (advice < 5 || advice > 7);

function madvise(ts: TaskState, addr: number, len: number, advice: number): number {
  const MADV_DONTNEED = 4, MADV_FREE = 8, MADV_REMOVE = 9, MADV_HWPOISON = 100, MADV_SOFT_OFFLINE = 101;
  if ((addr & (TARGET_PAGE_SIZE - 1)) !== 0) throw new SyscallError(Errno.EINVAL);
  if (advice === MADV_HWPOISON || advice === MADV_SOFT_OFFLINE) throw new SyscallError(Errno.EPERM); // CAP_SYS_ADMIN
  if (!madviseKnown(advice)) throw new SyscallError(Errno.EINVAL);
  const size = pageAlignUp(len);
  if (size === 0) return 0;
  if (addr >= HIGH_BASE) {
    // High memory is private anonymous memory.
    if (!highMapped(ts.mm, addr, size)) throw new SyscallError(Errno.ENOMEM);
    if (advice === MADV_REMOVE) throw new SyscallError(Errno.EINVAL);
    if (advice === MADV_DONTNEED || advice === MADV_FREE) {
      ts.mm.lock();
      try { highZero(ts.mm, addr, size); } finally { ts.mm.unlock(); }
    }
    return 0;
  }
  if (addr + size > TASK_SIZE) throw new SyscallError(Errno.ENOMEM);
  const pages = ts.mm.pages, first = addr >>> TARGET_PAGE_BITS, end = first + size / TARGET_PAGE_SIZE;
  // A hole in the range: ENOMEM (with no effect: a 6.18 kernel leaves the mapped part alone).
  for (let p = first; p < end; p++) if (!(pages[p] & PageFlag.VALID)) throw new SyscallError(Errno.ENOMEM);
  const keep = PageFlag.SHARED | PageFlag.SHCOPY;
  if (advice === MADV_REMOVE) {
    // Only shared writable memory can give its object's pages back (Linux's madvise_remove):
    // private anonymous memory is EINVAL, a file mapped privately or a read-only file's shared
    // mapping EACCES (the first such page in the range decides).
    for (let p = first; p < end; p++) {
      if (ts.mm.anyFilePage(p, p + 1)) throw new SyscallError(Errno.EACCES);
      if (!(pages[p] & keep)) throw new SyscallError(Errno.EINVAL);
    }
    ts.mm.lock();
    const ro = readOnlyShared(ts, addr, size);
    ts.mm.unlock();
    if (ro) throw new SyscallError(Errno.EACCES);
  }
  if (advice === MADV_DONTNEED || advice === MADV_FREE || advice === MADV_REMOVE) {
    // Private memory reads back as zeros after MADV_DONTNEED, and its host memory goes back
    // (MADV_FREE may do the same: Go's scavenger uses it). Shared memory (a file, shared
    // anonymous memory) keeps its contents, in this process and the others, as on Linux.
    // MADV_REMOVE of a shared mapping that is only a copy (no addon): the copy reads zeros,
    // as the object's pages would.
    const kept = advice === MADV_REMOVE ? PageFlag.SHARED : keep;
    for (let p = first; p < end;) {
      if (pages[p] & kept) { p++; continue; }
      let q = p + 1;
      while (q < end && !(pages[q] & kept)) q++;
      ts.mm.zeroPages(p, q);
      p = q;
    }
    // MADV_REMOVE on shared memory frees the object's pages (a file or memfd gets a hole: its
    // pages read as zeros everywhere), as Linux does.
    if (advice === MADV_REMOVE && ts.sys) {
      let err = 0;
      sharedRuns(ts, addr, size, (view) => { const r = ts.sys!.discard(view, 1); if (r < 0 && !err) err = r; });
      if (err) return err;
    }
    codeChanged(ts, addr, size);
  }
  return 0;
}

/** munlock: the range's pages are no longer locked (ENOMEM unmapped). */
function munlock(ts: TaskState, addr: number, len: number): number {
  const start = addr - (addr % TARGET_PAGE_SIZE), size = pageAlignUp(addr + len) - start;
  if (size === 0) return 0;
  if (!(start >= HIGH_BASE ? ts.mm.accessOk(start, size, 0) : allValid(ts, start, size))) throw new SyscallError(Errno.ENOMEM);
  if (start < HIGH_BASE) ts.mm.setLocked(start / TARGET_PAGE_SIZE, (start + size) / TARGET_PAGE_SIZE, false);
  return 0;
}

function msync(ts: TaskState, addr: number, len: number, flags: number): number {
  const MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;
  if ((addr & (TARGET_PAGE_SIZE - 1)) !== 0 || flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) throw new SyscallError(Errno.EINVAL);
  if ((flags & MS_ASYNC) && (flags & MS_SYNC)) throw new SyscallError(Errno.EINVAL);
  if (!ts.mm.accessOk(addr, pageAlignUp(len), 0)) throw new SyscallError(Errno.ENOMEM);
  // Linux: MS_INVALIDATE over locked pages is EBUSY.
  if (flags & MS_INVALIDATE && addr < TASK_SIZE && ts.mm.anyLocked(addr / TARGET_PAGE_SIZE, pageAlignUp(addr + len) / TARGET_PAGE_SIZE)) throw new SyscallError(Errno.EBUSY);
  sharedRuns(ts, addr, pageAlignUp(len), (view) => { ts.sys?.msync(view, flags); });
  return 0;
}

/** mincore: private anonymous memory is resident when the host says its page is (pagemap, the
 * native addon: as qemu-riscv64 asks the host, untouched pages say 0); other mappings (files,
 * shared memory, high memory, no addon) read as resident. EINVAL unaligned, ENOMEM unmapped,
 * EFAULT vec. */
function mincore(ts: TaskState, addr: number, len: number, vec: number): number {
  if ((addr & (TARGET_PAGE_SIZE - 1)) !== 0) throw new SyscallError(Errno.EINVAL);
  const pages = pageAlignUp(len) / TARGET_PAGE_SIZE;
  if (pages === 0) return 0;
  if (!ts.mm.accessOk(addr, pages * TARGET_PAGE_SIZE, 0)) throw new SyscallError(Errno.ENOMEM);
  ts.mm.check(vec, pages, true);
  const out = new Uint8Array(pages).fill(1);
  const host = new Uint8Array(pages);
  if (addr + pages * TARGET_PAGE_SIZE <= TASK_SIZE && ts.sys?.residentPages && TARGET_PAGE_SIZE === ts.sys.pageSize()) {
    const h = ts.mm.g2hLow(addr);
    if (ts.sys.residentPages(ts.mm.bytes.subarray(h, h + pages * TARGET_PAGE_SIZE), host) >= 0) {
      const first = addr / TARGET_PAGE_SIZE;
      for (let i = 0; i < pages; i++) {
        const f = ts.mm.pages[first + i];
        if (!(f & (PageFlag.SHARED | PageFlag.SHCOPY)) && !ts.mm.anyFilePage(first + i, first + i + 1)) out[i] = host[i] & 1;
      }
    }
  }
  ts.mm.write(vec, out);
  return 0;
}

/** mlock/mlock2: the pages become resident (touched: the host maps them), as a locked range is on
 * Linux (mincore says 1); they are not pinned. EINVAL for unknown mlock2 flags, ENOMEM unmapped. */
function mlock(ts: TaskState, addr: number, len: number, flags: number): number {
  const MLOCK_ONFAULT = 1;
  if (flags & ~MLOCK_ONFAULT) throw new SyscallError(Errno.EINVAL);
  const start = addr - (addr % TARGET_PAGE_SIZE), size = pageAlignUp(addr + len) - start;
  if (size === 0) return 0;
  if (!(start >= HIGH_BASE ? ts.mm.accessOk(start, size, 0) : allValid(ts, start, size))) throw new SyscallError(Errno.ENOMEM);
  if (start >= HIGH_BASE) return 0;
  ts.mm.setLocked(start / TARGET_PAGE_SIZE, (start + size) / TARGET_PAGE_SIZE, true);
  if (flags & MLOCK_ONFAULT) return 0;
  const pages = ts.mm.pages;
  let sum = 0;
  for (let p = start / TARGET_PAGE_SIZE, end = p + size / TARGET_PAGE_SIZE; p < end; p++) {
    if (!(pages[p] & (PageFlag.EOF | PageFlag.LOST))) sum += ts.mm.bytes[ts.mm.g2hLow(p * TARGET_PAGE_SIZE)];
  }
  return sum * 0;
}

function brk(ts: TaskState, want: number): number {
  const mm = ts.mm;
  const start = mm.kw[KernelWord.BRK_START] >>> 0;
  const cur = mm.kw[KernelWord.BRK_CUR] >>> 0;
  if (want === 0 || want < start) return cur;
  mm.lock();
  try {
    const curTop = pageAlignUp(cur), newTop = pageAlignUp(want);
    if (newTop > curTop) {
      if (!mm.rangeFree(curTop, newTop - curTop)) return cur;
      mm.setRange(curTop, newTop - curTop, protToFlags(3), true);
    } else if (newTop < curTop) {
      mm.setRange(newTop, curTop - newTop, 0, false);
      mm.flushAllTlbs();
    }
    // Bytes between the old break and its page end must read as zero when the break grows.
    if (want > cur) mm.bytes.fill(0, mm.g2h(cur), mm.g2h(Math.min(want, curTop)));
    mm.kw[KernelWord.BRK_CUR] = want;
    return want;
  } finally { mm.unlock(); }
}

/** riscv_flush_icache(start, end, flags): code written to [start, end) must be seen by this
 * thread and, unless flags has SYS_RISCV_FLUSH_ICACHE_LOCAL, by every other. */
function riscvFlushIcache(ts: TaskState, start: number, end: number, flags: number): number {
  const LOCAL = 1;
  if (flags & ~LOCAL) throw new SyscallError(Errno.EINVAL);
  ts.mm.onUnmap(0, 0);
  if (!(flags & LOCAL)) {
    if (end > start) ts.mm.noteCodeChange(start, end - start, ts.slot);
    else ts.mm.noteCodeChange(0, TASK_SIZE, ts.slot);
  }
  return 0;
}

/** membarrier: the SYNC_CORE commands also make code written before them fresh in every thread. */
function membarrier(ts: TaskState, cmd: number): number {
  const PRIVATE_EXPEDITED_SYNC_CORE = 32;
  if (cmd === PRIVATE_EXPEDITED_SYNC_CORE) codeChanged(ts, 0, TASK_SIZE);
  return 0;
}

/** An address argument that must be page aligned: EINVAL when it is not, checked on all 64
 * bits (a Number loses the low bits of an address near 2^64: LTP msync03's RLIM_INFINITY). */
function pageAddr(v: bigint): number {
  if (v & BigInt(TARGET_PAGE_SIZE - 1)) throw new SyscallError(Errno.EINVAL);
  return ptr(v);
}

export const MEM_SYSCALLS: SyscallTable = [
  [NR.mmap, (ts, a) => mmap(ts, ptr(a[0]), ptr(a[1]), int(a[2]), int(a[3]), int(a[4]), long(a[5]))],
  [NR.munmap, (ts, a) => munmap(ts, pageAddr(a[0]), ptr(a[1]))],
  [NR.mprotect, (ts, a) => mprotect(ts, pageAddr(a[0]), ptr(a[1]), int(a[2]))],
  [NR.mremap, (ts, a) => mremap(ts, pageAddr(a[0]), ptr(a[1]), ptr(a[2]), int(a[3]), ptr(a[4]))],
  [NR.madvise, (ts, a) => madvise(ts, pageAddr(a[0]), ptr(a[1]), int(a[2]))],
  [NR.brk, (ts, a) => brk(ts, ptr(a[0]))],
  [NR.msync, (ts, a) => msync(ts, pageAddr(a[0]), ptr(a[1]), int(a[2]))],
  [NR.mincore, (ts, a) => mincore(ts, pageAddr(a[0]), ptr(a[1]), ptr(a[2]))],
  [NR.mlock, (ts, a) => mlock(ts, ptr(a[0]), ptr(a[1]), 0)],
  [NR.mlock2, (ts, a) => mlock(ts, ptr(a[0]), ptr(a[1]), int(a[2]))],
  [NR.munlock, (ts, a) => munlock(ts, ptr(a[0]), ptr(a[1]))],
  [NR.membarrier, (ts, a) => membarrier(ts, int(a[0]))],
  [NR.riscv_flush_icache, (ts, a) => riscvFlushIcache(ts, ptr(a[0]), ptr(a[1]), int(a[2]))],
];
