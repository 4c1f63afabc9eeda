// mmap, munmap, mprotect, mremap, madvise, brk. File mappings are private copies read at
// mmap time (MAP_SHARED of a file is copied too; writes are not carried back to the file).
import { NR } from './syscall-nr.js';
import { Errno, SyscallError } from './errno.js';
import { int, long, ptr, type SyscallTable } from './syscall-types.js';
import type { TaskState } from './qemu.js';
import { KernelWord, MMAP_BASE, TARGET_PAGE_SIZE, TASK_SIZE } from './layout.js';
import { pageAlignUp, protToFlags } from './mmap.js';

const MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;

function mmap(ts: TaskState, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  const mm = ts.mm;
  if (len === 0 || (off & (TARGET_PAGE_SIZE - 1)) !== 0 || (addr & (TARGET_PAGE_SIZE - 1)) !== 0) {
    throw new SyscallError(Errno.EINVAL);
  }
  if (!(flags & (MAP_SHARED | MAP_PRIVATE))) throw new SyscallError(Errno.EINVAL);
  const size = pageAlignUp(len);
  if (size > TASK_SIZE) throw new SyscallError(Errno.ENOMEM);
  const host = flags & MAP_ANONYMOUS ? -1 : ts.fdt.host(fd);
  mm.lock();
  try {
    let start: number;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
      if (addr + size > TASK_SIZE) throw new SyscallError(Errno.ENOMEM);
      if (flags & MAP_FIXED_NOREPLACE && !mm.rangeFree(addr, size)) throw new SyscallError(Errno.EEXIST);
      start = addr;
    } else if (addr !== 0 && addr + size <= MMAP_BASE && mm.rangeFree(addr, size)) {
      start = addr;
    } else {
      start = mm.findFree(size);
      if (start < 0) throw new SyscallError(Errno.ENOMEM);
    }
    // Zero and mark writable while filling; the final protection comes last.
    mm.setRange(start, size, protToFlags(3), true);
    if (host >= 0) {
      const view = mm.bytes.subarray(mm.g2h(start), mm.g2h(start) + len);
      let done = 0;
      while (done < len) {
        const n = ts.fs.read(host, view.subarray(done), off + done);
        if (n <= 0) break;
        done += n;
      }
    }
    mm.setRange(start, size, protToFlags(prot), false);
    mm.flushAllTlbs();
    mm.onUnmap(start, size);
    return start;
  } finally { mm.unlock(); }
}

function munmap(ts: TaskState, addr: number, len: number): number {
  if ((addr & (TARGET_PAGE_SIZE - 1)) !== 0 || len === 0 || addr + len > TASK_SIZE) throw new SyscallError(Errno.EINVAL);
  const size = pageAlignUp(len);
  ts.mm.lock();
  ts.mm.setRange(addr, size, 0, false);
  ts.mm.flushAllTlbs();
  ts.mm.unlock();
  ts.mm.onUnmap(addr, size);
  return 0;
}

function mprotect(ts: TaskState, addr: number, len: number, prot: number): number {
  if ((addr & (TARGET_PAGE_SIZE - 1)) !== 0) throw new SyscallError(Errno.EINVAL);
  const size = pageAlignUp(len);
  if (!ts.mm.accessOk(addr, size, 0)) throw new SyscallError(Errno.ENOMEM);
  ts.mm.lock();
  ts.mm.setRange(addr, size, protToFlags(prot), false);
  ts.mm.flushAllTlbs();
  ts.mm.unlock();
  ts.mm.onUnmap(addr, size);
  return 0;
}

function mremap(ts: TaskState, old: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
  const mm = ts.mm;
  if ((old & (TARGET_PAGE_SIZE - 1)) !== 0 || newLen === 0) throw new SyscallError(Errno.EINVAL);
  const oldSize = pageAlignUp(oldLen), newSize = pageAlignUp(newLen);
  if (!mm.accessOk(old, oldSize, 0)) throw new SyscallError(Errno.EFAULT);
  const flagsOfOld = mm.pageFlags(old);
  mm.lock();
  try {
    if (newSize <= oldSize && !(flags & MREMAP_FIXED)) {
      mm.setRange(old + newSize, oldSize - newSize, 0, false);
      mm.flushAllTlbs();
      return old;
    }
    if (!(flags & MREMAP_FIXED) && mm.rangeFree(old + oldSize, newSize - oldSize)) {
      mm.setRange(old + oldSize, newSize - oldSize, flagsOfOld, true);
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) throw new SyscallError(Errno.ENOMEM);
    const dest = flags & MREMAP_FIXED ? newAddr : mm.findFree(newSize);
    if (dest < 0) throw new SyscallError(Errno.ENOMEM);
    mm.setRange(dest, newSize, flagsOfOld, true);
    mm.bytes.copyWithin(mm.g2h(dest), mm.g2h(old), mm.g2h(old) + Math.min(oldSize, newSize));
    mm.setRange(old, oldSize, 0, false);
    mm.flushAllTlbs();
    return dest;
  } finally { mm.unlock(); }
}

function madvise(ts: TaskState, addr: number, len: number, advice: number): number {
  const MADV_DONTNEED = 4;
  if (advice === MADV_DONTNEED && ts.mm.accessOk(addr, len, 0)) {
    // Private anonymous memory reads back as zeros after MADV_DONTNEED.
    ts.mm.bytes.fill(0, ts.mm.g2h(addr), ts.mm.g2h(addr) + pageAlignUp(len));
  }
  return 0;
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

export const MEM_SYSCALLS: SyscallTable = [
  [NR.mmap, (ts, a) => mmap(ts, ptr(a[0]), ptr(a[1]), int(a[2]), int(a[3]), int(a[4]), long(a[5]))],
  [NR.munmap, (ts, a) => munmap(ts, ptr(a[0]), ptr(a[1]))],
  [NR.mprotect, (ts, a) => mprotect(ts, ptr(a[0]), ptr(a[1]), int(a[2]))],
  [NR.mremap, (ts, a) => mremap(ts, ptr(a[0]), ptr(a[1]), ptr(a[2]), int(a[3]), ptr(a[4]))],
  [NR.madvise, (ts, a) => madvise(ts, ptr(a[0]), ptr(a[1]), int(a[2]))],
  [NR.brk, (ts, a) => brk(ts, ptr(a[0]))],
  [NR.msync, () => 0],
  [NR.mlock, () => 0],
  [NR.munlock, () => 0],
  [NR.membarrier, () => 0],
  [NR.riscv_flush_icache, (ts) => { ts.mm.onUnmap(0, 0); return 0; }],
];
