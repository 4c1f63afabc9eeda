// fork: the parent writes its whole process state into one byte image; a new emulator process
// (a real host child) rebuilds the memory from it and resumes the forking thread at the
// instruction after the ecall with a0 = 0.
//
// Image: "TSQFORK1", then u32 fields [exeLen, stateLen, kernelLen, runCount, slot], the exe path,
// the thread's state block (up to the TLB), the kernel area, then runs of mapped pages:
// {firstPage u32, count u32, bytes}.
import { GuestMM } from './mmap.js';
import { GUEST_BASE, GUEST_PAGES, KERNEL_END, KERNEL_OFFSET, PageFlag, TARGET_PAGE_SIZE } from './layout.js';
import { STATE, TLB_OFFSET } from '../target/riscv/cpu-state.js';
import { extents } from './shared-map.js';

const MAGIC = 'TSQFORK1';

export function saveProcessImage(mm: GuestMM, stateBase: number, slot: number, exe: string,
  resident?: (mem: Uint8Array, out: Uint8Array) => number): Uint8Array {
  const enc = new TextEncoder().encode(exe);
  // Mapped pages that hold data: all-zero ones read as zero in the child's fresh memory anyway
  // (their protections travel in the page table), so a Go program's large reservations are not
  // copied. With the host's page map (`resident`), pages never written are not even read
  // (reading them would cost a fault each and map them).
  const runs: Array<[number, number]> = [];
  // Host offsets pass 2 GiB: `>>> 2`, never `>>` (a negative index read undefined, every page
  // above 2 GiB was "not zero", and a fork with a 512 MiB reservation copied all of it: 30 s).
  const words = mm.i32;
  const zero = (page: number): boolean => {
    const w = (GUEST_BASE + page * TARGET_PAGE_SIZE) >>> 2;
    for (let i = w, end = w + TARGET_PAGE_SIZE / 4; i < end; i++) if (words[i] !== 0) return false;
    return true;
  };
  const used = residentMap(mm, resident);
  // Other host-shared pages (PageFlag.SHARED: SysV segments, a file's pages past the table) are
  // read through: their pages not touched yet are the object's, not zeros.
  // Host objects the child maps again itself (shared-map.ts) are not copied.
  const mapped = new Uint8Array(GUEST_PAGES);
  for (const e of extents(mm)) mapped.fill(1, e.first, e.first + e.pages);
  const keep = (page: number): boolean => mm.pages[page] !== 0 && mapped[page] === 0 &&
    (used === null || used[page] !== 0 || (mm.pages[page] & PageFlag.SHARED) !== 0) && !zero(page);
  let p = 0;
  while (p < GUEST_PAGES) {
    if (!keep(p)) { p++; continue; }
    const s = p;
    while (p < GUEST_PAGES && keep(p)) p++;
    runs.push([s, p - s]);
  }
  const kernelLen = KERNEL_END - KERNEL_OFFSET;
  let size = 8 + 20 + enc.length + TLB_OFFSET + kernelLen;
  for (const [, n] of runs) size += 8 + n * TARGET_PAGE_SIZE;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  dv.setUint32(8, enc.length, true);
  dv.setUint32(12, TLB_OFFSET, true);
  dv.setUint32(16, kernelLen, true);
  dv.setUint32(20, runs.length, true);
  dv.setUint32(24, slot, true);
  let o = 28;
  out.set(enc, o); o += enc.length;
  out.set(mm.bytes.subarray(stateBase, stateBase + TLB_OFFSET), o); o += TLB_OFFSET;
  out.set(mm.bytes.subarray(KERNEL_OFFSET, KERNEL_END), o); o += kernelLen;
  for (const [s, n] of runs) {
    dv.setUint32(o, s, true);
    dv.setUint32(o + 4, n, true);
    o += 8;
    const h = GUEST_BASE + s * TARGET_PAGE_SIZE;
    out.set(mm.bytes.subarray(h, h + n * TARGET_PAGE_SIZE), o);
    o += n * TARGET_PAGE_SIZE;
  }
  return out;
}

/** Pages (of the mapped ones) the host ever backed: 1 each, or null when the host cannot say. */
function residentMap(mm: GuestMM, resident?: (mem: Uint8Array, out: Uint8Array) => number): Uint8Array | null {
  if (!resident) return null;
  const used = new Uint8Array(GUEST_PAGES);
  let p = 0;
  while (p < GUEST_PAGES) {
    if (mm.pages[p] === 0) { p++; continue; }
    const s = p;
    while (p < GUEST_PAGES && mm.pages[p] !== 0) p++;
    const h = GUEST_BASE + s * TARGET_PAGE_SIZE;
    if (resident(mm.bytes.subarray(h, h + (p - s) * TARGET_PAGE_SIZE), used.subarray(s, p)) < 0) return null;
  }
  return used;
}

/** Restore an image into fresh memory; the state block goes to `stateBase`. Returns the exe
 * and the thread slot the parent forked from. */
/** A state block copied to another worker (new thread, forked child) must not name the old
 * worker's translated blocks: clear the block compiler's caches (tb_*, except the threshold;
 * table index 0 = not compiled). */
export function forgetTranslations(bytes: Uint8Array, stateBase: number): void {
  for (const [name, f] of Object.entries(STATE)) {
    if (!name.startsWith('tb_') || name === 'tb_threshold') continue;
    const start = stateBase + f.offset;
    bytes.fill(0, start, start + f.count * (f.type === 'i64' ? 8 : 4));
  }
}

/** The same thread going on in another worker (the first thread leaving the main thread): as
 * forgetTranslations, but its jump cache's cold entries keep their execution counts (a block that
 * reached the threshold, queued in tb_hot, which is cleared, counts to it again at its next run),
 * and its statistics (tb_insns) go on; translated entries are emptied (the worker installs the
 * translations it is given: TbCache.adopt). Without the counts every block counted up to the
 * threshold in the interpreter again. */
export function forgetTranslationsKeepCounts(bytes: Uint8Array, stateBase: number, threshold: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const [name, f] of Object.entries(STATE)) {
    if (!name.startsWith('tb_') || name === 'tb_threshold' || name === 'tb_insns') continue;
    const start = stateBase + f.offset, end = start + f.count * (f.type === 'i64' ? 8 : 4);
    if (name !== 'tb_jmp' && name !== 'tb_l2') { bytes.fill(0, start, end); continue; }
    // Entries of 16 bytes: pc tag (i64), table index (i32, 0 = not compiled), count (i32).
    for (let e = start; e < end; e += 16) {
      if (dv.getInt32(e + 8, true) !== 0) { bytes.fill(0, e, e + 16); continue; }
      const n = dv.getUint32(e + 12, true);
      if (threshold > 0 && n >= threshold) dv.setUint32(e + 12, threshold - 1, true);
    }
  }
}

export function loadProcessImage(mm: GuestMM, img: Uint8Array, stateBase: number): { exe: string; slot: number } {
  const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
  if (new TextDecoder().decode(img.subarray(0, 8)) !== MAGIC) throw new Error('not a tsqemu fork image');
  const exeLen = dv.getUint32(8, true), stateLen = dv.getUint32(12, true);
  const kernelLen = dv.getUint32(16, true), nruns = dv.getUint32(20, true);
  if (stateLen !== TLB_OFFSET || kernelLen !== KERNEL_END - KERNEL_OFFSET) throw new Error('fork image from another build');
  const slot = dv.getUint32(24, true);
  let o = 28;
  const exe = new TextDecoder().decode(img.subarray(o, o + exeLen)); o += exeLen;
  mm.bytes.set(img.subarray(o, o + stateLen), stateBase); o += stateLen;
  forgetTranslations(mm.bytes, stateBase);
  mm.bytes.set(img.subarray(o, o + kernelLen), KERNEL_OFFSET); o += kernelLen;
  for (let i = 0; i < nruns; i++) {
    const s = dv.getUint32(o, true), n = dv.getUint32(o + 4, true);
    o += 8;
    if (s + n > GUEST_PAGES || o + n * TARGET_PAGE_SIZE > img.length) throw new Error('corrupt fork image');
    mm.bytes.set(img.subarray(o, o + n * TARGET_PAGE_SIZE), GUEST_BASE + s * TARGET_PAGE_SIZE);
    o += n * TARGET_PAGE_SIZE;
  }
  return { exe, slot };
}
