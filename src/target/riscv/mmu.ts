// Address translation (privileged spec 4.3-4.6; QEMU's get_physical_address in
// target/riscv/cpu_helper.c): the Sv39/Sv48/Sv57 page walk, PMP on the page-table reads and on
// the final address, hardware A/D updates, page vs access faults, and the soft-TLB fill/flush.
//
// TLB entry (cpu-state.ts): tag = vaddr & ~0xfff, addend = hostOffset(page) - vpage, entered
// only for RAM pages whose PMP decision is the same for all 4096 bytes; STORE entries only
// after D is set in the PTE, LOAD/FETCH only after A is set (the walk sets them first).
//
// The walk works on 32-bit halves and doubles (a physical address is exact below 2^53; all of
// tsqemu's memory lies there, anything above is reported as an access fault) so a fill does
// not allocate BigInts except for the incoming vaddr and the TLB entry itself.
import { type CPURISCVState, MmuIdx, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, MMU_IDX_COUNT, TLB_OFFSET, TlbKind, TLB_INVALID_TAG, tlbSlot, tlbVictimSlot } from './cpu-state.js';
import { Mstatus, Priv, Pte, RiscvExcp, SatpMode } from './cpu_bits.js';
import { PmpResult, pmpCheck } from './pmp.js';
import { riscvRaiseException } from './cpu_helper.js';
import { riscvHighRamWindow } from './hiram-window.js';
import { MENVCFG_HI_ADUE, MENVCFG_HI_PBMTE, WalkExt, riscvWalkExt } from './walk-ext.js';
/** TLB words of the V=0 mmu indexes (U, S, S_SUM, M); the others are flushed only after use. */
const BASE_TLB_WORDS = (MmuIdx.M + 1) * TLB_KIND_COUNT * TLB_ENTRIES * 2;

/** Result of riscvTlbFill. The returned objects are reused by the next call: read, don't keep. */
export type TlbFillResult = { hostOffset: number } | { mmioPa: number };

const MAX_SAFE_PA = Number.MAX_SAFE_INTEGER;
const TWO32 = 0x1_0000_0000;

const PAGE_FAULT = [RiscvExcp.LOAD_PAGE_FAULT, RiscvExcp.STORE_PAGE_FAULT, RiscvExcp.INST_PAGE_FAULT];
const ACCESS_FAULT = [RiscvExcp.LOAD_ACCESS_FAULT, RiscvExcp.STORE_AMO_ACCESS_FAULT, RiscvExcp.INST_ACCESS_FAULT];

interface MmuCache {
  /** All TLB entries of this hart, as tag/addend pairs. */
  tlb: BigInt64Array;
  /** The same words as 32-bit halves: a flush fills them with -1 (the bits of -1n) several
   * times faster than BigInt64Array.fill. */
  tlb32: Int32Array;
  /** For compare-and-swap of PTE low words. */
  mem32: Int32Array;
  /** A superpage piece was entered since the last full flush; lpAddr/lpMask then cover every
   * superpage entered (QEMU's large_page_addr/mask): a page flush inside that region flushes
   * everything, because the superpage's other 4 KiB pieces sit in other slots. */
  superpages: boolean;
  /** An entry of a two-stage (V=1) mmu index may be valid: the next full flush clears them. */
  virtUsed: boolean;
  lpAddr: bigint;
  lpMask: bigint;
  /** The slow path's TLB for pages of RAM beyond the wasm memory and of devices (never in the inline TLB):
   * per (mmu index, kind, slot) the vpage's halves and the physical page; flushed with it. */
  hiTag: Int32Array;
  hiPa: Float64Array;
  hiUsed: boolean;
}
const HI_TLB_SIZE = MMU_IDX_COUNT * TLB_KIND_COUNT * TLB_ENTRIES;
const caches = new WeakMap<CPURISCVState, MmuCache>();
const NO_HI_TAG = new Int32Array(0), NO_HI_PA = new Float64Array(0);

function cacheOf(env: CPURISCVState): MmuCache {
  let c = caches.get(env);
  if (!c) {
    const buf = env.as.memory.buffer;
    const words = (MMU_IDX_COUNT * TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES) / 8;
    c = {
      tlb: new BigInt64Array(buf, env.base + TLB_OFFSET, words),
      tlb32: new Int32Array(buf, env.base + TLB_OFFSET, words * 2),
      mem32: new Int32Array(buf),
      superpages: false,
      virtUsed: true,
      lpAddr: 0n,
      lpMask: 0n,
      hiTag: NO_HI_TAG, // allocated when first used (most machines have no such RAM)
      hiPa: NO_HI_PA,
      hiUsed: false,
    };
    caches.set(env, c);
  }
  return c;
}

/** Invalidate every TLB entry of every mmu index and kind. */
export function riscvTlbFlush(env: CPURISCVState): void {
  const c = cacheOf(env);
  if (c.virtUsed) c.tlb32.fill(-1);
  else c.tlb32.fill(-1, 0, BASE_TLB_WORDS * 2);
  c.virtUsed = false;
  c.superpages = false;
  if (c.hiUsed) { c.hiTag.fill(-1); c.hiUsed = false; }
}

/** Physical address of va (lo/hi halves) when the slow path's TLB (high RAM, devices) maps its page for this mmu index
 * and kind, else -1. */
export function riscvHighTlbProbe(env: CPURISCVState, lo: number, hi: number, kind: TlbKind, mmuIdx: number): number {
  const c = cacheOf(env);
  if (!c.hiUsed) return -1;
  const i = (mmuIdx * TLB_KIND_COUNT + kind) * TLB_ENTRIES + tlbSlot(lo);
  if (c.hiTag[2 * i] !== (lo & ~0xfff) || c.hiTag[2 * i + 1] !== (hi | 0)) return -1;
  return c.hiPa[i] + (lo & 0xfff);
}

/** Invalidate the entries of one virtual page (sfence.vma rs1), of every mmu index and kind
 * (slot and victim slot); a page inside the region of the superpages entered forces a full flush. */
export function riscvTlbFlushPage(env: CPURISCVState, vaddr: bigint): void {
  const c = cacheOf(env);
  if (c.superpages && (BigInt.asUintN(64, vaddr) & c.lpMask) === c.lpAddr) { riscvTlbFlush(env); return; }
  const tag = BigInt.asIntN(64, vaddr & ~0xfffn);
  const lo = Number(vaddr & 0xffffffffn);
  for (const slot of [tlbSlot(lo), tlbVictimSlot(lo)]) {
    for (let e = 0; e < MMU_IDX_COUNT * TLB_KIND_COUNT; e++) {
      const i = (e * TLB_ENTRIES + slot) * 2;
      if (c.tlb[i] === tag) { c.tlb[i] = -1n; c.tlb[i + 1] = -1n; }
    }
  }
  if (c.hiUsed) {
    for (let e = 0; e < MMU_IDX_COUNT * TLB_KIND_COUNT; e++) {
      const i = e * TLB_ENTRIES + tlbSlot(lo);
      if (c.hiTag[2 * i] === (lo & ~0xfff)) c.hiTag[2 * i] = -1;
    }
  }
}

/** Widen the superpage region to cover the superpage of 2^shift bytes at va. */
function addLargePage(c: MmuCache, va: bigint, shift: number): void {
  let mask = BigInt.asUintN(64, -(1n << BigInt(shift)));
  if (c.superpages) {
    mask &= c.lpMask;
    while ((c.lpAddr ^ va) & mask) mask = BigInt.asUintN(64, mask << 1n);
  }
  c.lpMask = mask;
  c.lpAddr = va & mask;
  c.superpages = true;
}

/** Enter a TLB entry; `superShift` is log2 of the leaf's size when it is a superpage, else 0.
 * A LOAD/STORE entry it evicts moves to the evicted page's victim slot. */
export function tlbSet(env: CPURISCVState, mmuIdx: number, kind: TlbKind, vpage: bigint, hostPage: number, superShift: number): number {
  const c = cacheOf(env);
  const tlb = c.tlb;
  if (mmuIdx > MmuIdx.M) c.virtUsed = true;
  const base = (mmuIdx * TLB_KIND_COUNT + kind) * TLB_ENTRIES * 2;
  const i = base + tlbSlot(Number(vpage & 0xffffffffn)) * 2;
  const tag = BigInt.asIntN(64, vpage);
  const old = tlb[i];
  let moved = -1;
  if (kind !== TlbKind.FETCH && old !== TLB_INVALID_TAG && old !== tag) {
    const v = base + tlbVictimSlot(Number(old & 0xffffffffn)) * 2;
    if (v !== i) { tlb[v] = old; tlb[v + 1] = tlb[i + 1]; moved = v; }
  }
  tlb[i] = tag;
  tlb[i + 1] = BigInt.asIntN(64, BigInt(hostPage) - vpage);
  // Entries of pages in the high-RAM window are found again when the page leaves it.
  const w = env.as.highRamWindow;
  if (w && (hostPage >= w.offset || moved >= 0)) {
    const hw = riscvHighRamWindow(env);
    const at = (env.base + TLB_OFFSET) >> 2;
    if (hw && hostPage >= w.offset) hw.noteEntry(hostPage, at + i * 2);
    if (hw && moved >= 0) hw.noteEntry(Number((old + tlb[moved + 1]) & 0xfffff000n), at + moved * 2);
  }
  if (superShift) addLargePage(c, BigInt.asUintN(64, vpage), superShift);
  return moved;
}

export const hostResult = { hostOffset: 0 };
export const mmioResult = { mmioPa: 0 };

/** H: the fill of a two-stage mmu index (mmu-h.ts installs it). */
export const riscvHypTlb: {
  fill?: (env: CPURISCVState, va: bigint, kind: TlbKind, size: number, mmuIdx: number) => TlbFillResult | null;
  /** The debugger's translation while V=1 (mmu-debug.ts). */
  physDebug?: (env: CPURISCVState, va: bigint) => number;
} = {};

/** Privilege an mmu index translates for. */
function idxPriv(mmuIdx: number): number {
  return mmuIdx === MmuIdx.M ? Priv.M : mmuIdx === MmuIdx.U ? Priv.U : Priv.S;
}

/**
 * Translate vaddr for an access of `size` bytes (not crossing a page) through mmu index
 * `mmuIdx`, check PMP, and fill the TLB entry when the page is cacheable RAM. On a fault, raise
 * the exception (tval = vaddr) and return null.
 */
export function riscvTlbFill(env: CPURISCVState, vaddr: bigint, kind: TlbKind, size: number, mmuIdx: number): TlbFillResult | null {
  const va = BigInt.asUintN(64, vaddr);
  if (env.userMode) return userTlbFill(env, va, kind, size, mmuIdx);
  if (mmuIdx >= MmuIdx.VU) return riscvHypTlb.fill!(env, va, kind, size, mmuIdx);
  const lo = Number(va & 0xffffffffn);
  const hi = Number(va >> 32n);
  const priv = idxPriv(mmuIdx);
  let pa: number;
  let superShift = 0;
  const satpMode = Number(env.get64('satp') >> 60n);
  if (priv === Priv.M || satpMode === SatpMode.BARE) {
    pa = hi >= 0x200000 ? -2 : hi * TWO32 + lo; // >= 2^53: nothing is mapped there
  } else {
    pa = walk(env, lo, hi, kind, priv, mmuIdx === MmuIdx.S_SUM, satpMode);
    superShift = walkSuperShift;
  }
  if (pa < 0) {
    riscvRaiseException(env, pa === -1 ? PAGE_FAULT[kind] : ACCESS_FAULT[kind], va);
    return null;
  }
  const pmp = pmpCheck(env, pa, size, kind, priv);
  if (!(pmp & PmpResult.ALLOWED)) {
    riscvRaiseException(env, ACCESS_FAULT[kind], va);
    return null;
  }
  const write = kind === TlbKind.STORE;
  const host = env.as.ramHostOffset(pa, size, write);
  if (host < 0) {
    if (pmp & PmpResult.PAGE_UNIFORM) {
      if (env.as.hasHostRam && env.as.isHostBufferRam(pa - (lo & 0xfff), 4096, write)) {
        // The page moves into the window of the wasm memory (hiram-window.ts): an ordinary entry.
        const w = riscvHighRamWindow(env);
        const page = w ? w.map(env, pa - (lo & 0xfff), kind) : -1;
        if (page >= 0) {
          tlbSet(env, mmuIdx, kind, va - BigInt(lo & 0xfff), page, superShift);
          hostResult.hostOffset = page + (lo & 0xfff);
          return hostResult;
        }
      }
      // RAM beyond the wasm memory, or a device's page (QEMU's TLB_MMIO entries): the slow path
      // remembers the physical page, so the next access needs no walk and PMP check (a virtio
      // request is several register accesses; each walked the page table).
      const c = cacheOf(env);
      const i = (mmuIdx * TLB_KIND_COUNT + kind) * TLB_ENTRIES + tlbSlot(lo);
      if (c.hiTag === NO_HI_TAG) { c.hiTag = new Int32Array(HI_TLB_SIZE * 2).fill(-1); c.hiPa = new Float64Array(HI_TLB_SIZE); }
      c.hiTag[2 * i] = lo & ~0xfff;
      c.hiTag[2 * i + 1] = hi | 0;
      c.hiPa[i] = pa - (lo & 0xfff);
      c.hiUsed = true;
    }
    mmioResult.mmioPa = pa;
    return mmioResult;
  }
  const pageOff = lo & 0xfff;
  if ((pmp & PmpResult.PAGE_UNIFORM) && env.as.ramHostOffset(pa - pageOff, 4096, write) >= 0) {
    tlbSet(env, mmuIdx, kind, va - BigInt(pageOff), host - pageOff, superShift);
  }
  hostResult.hostOffset = host;
  return hostResult;
}

function userTlbFill(env: CPURISCVState, va: bigint, kind: TlbKind, size: number, mmuIdx: number): TlbFillResult | null {
  const host = env.userMode!.tlbFill(va, kind, size);
  if (host < 0) {
    riscvRaiseException(env, PAGE_FAULT[kind], va);
    return null;
  }
  // A page whose memory is elsewhere than vaddr + guestBase (linux-user's high memory) gets no
  // entry: translated code adds the constant guestBase after a TLB hit.
  const gb = env.userMode!.guestBase;
  if (gb !== undefined && host !== gb + Number(va)) {
    hostResult.hostOffset = host;
    return hostResult;
  }
  const pageOff = Number(va & 0xfffn);
  env.userMode!.tlbFills = (env.userMode!.tlbFills ?? 0) + 1;
  const moved = tlbSet(env, mmuIdx, kind, va - BigInt(pageOff), host - pageOff, 0);
  // Another thread may have changed a page's protection and flushed this TLB (GuestMM: page
  // table first, then the TLBs) after the check above and before these entries were written
  // (the new one, and an old one moved to its victim slot): a full fence, then both are
  // checked again, so either this sees the new protection or the flush comes after the writes.
  const c = cacheOf(env);
  const base = (mmuIdx * TLB_KIND_COUNT + kind) * TLB_ENTRIES * 2;
  const i = base + tlbSlot(Number(va & 0xffffffffn)) * 2;
  Atomics.or(c.mem32, (env.base + TLB_OFFSET + i * 8) >> 2, 0);
  if (env.userMode!.tlbFill(va, kind, size) < 0) c.tlb[i] = TLB_INVALID_TAG;
  if (moved >= 0 && env.userMode!.tlbFill(BigInt.asUintN(64, c.tlb[moved]), kind, 1) < 0) c.tlb[moved] = TLB_INVALID_TAG;
  hostResult.hostOffset = host;
  return hostResult;
}

/** Set by walk(): log2 of the leaf's size when it was a superpage, else 0. */
let walkSuperShift = 0;

/** Index bits [shift+8 : shift] of the 64-bit vaddr hi:lo. */
function vpn(lo: number, hi: number, shift: number): number {
  if (shift >= 32) return (hi >>> (shift - 32)) & 0x1ff;
  if (shift + 9 <= 32) return (lo >>> shift) & 0x1ff;
  return ((lo >>> shift) | (hi << (32 - shift))) & 0x1ff;
}

/** vaddr mod 2^shift, shift in {12, 21, 30, 39, 48}. */
function pageOffset(lo: number, hi: number, shift: number): number {
  if (shift < 32) return lo & ((1 << shift) - 1);
  return (hi & ((1 << (shift - 32)) - 1)) * TWO32 + lo;
}

/**
 * The page walk. Returns the physical address, -1 for a page fault, -2 for an access fault.
 * QEMU order of checks: canonical vaddr, then per level: PMP on the PTE address, the read,
 * reserved bits (63:54; N with Svnapot, PBMT with Svpbmt and menvcfg.PBMTE), V, leaf or pointer.
 */
function walk(env: CPURISCVState, lo: number, hi: number, kind: TlbKind, priv: number, sum: boolean, mode: number): number {
  if (mode < SatpMode.SV39 || mode > SatpMode.SV57) return -1;
  const levels = mode - 5; // Sv39: 3, Sv48: 4, Sv57: 5
  const vaBits = 12 + 9 * levels;
  // Bits 63..vaBits-1 must all equal bit vaBits-1.
  const topMask = (0xffffffff << (vaBits - 1 - 32)) >>> 0;
  const top = (hi & topMask) >>> 0;
  if (top !== 0 && top !== topMask) return -1;
  const mxr = (env.get32('mstatus') & Mstatus.MXR) !== 0;
  // Svnapot, Svpbmt (with menvcfg.PBMTE), Svadu/Svade (menvcfg.ADUE): QEMU's pbmte/adue.
  const ext = riscvWalkExt();
  const envHi = env.get32('menvcfg', 1);
  const attrOk = (ext & WalkExt.SVNAPOT ? 0x80000000 : 0) | (ext & WalkExt.SVPBMT && envHi & MENVCFG_HI_PBMTE ? 0x60000000 : 0);
  const adue = ext & WalkExt.SVADU ? (envHi & MENVCFG_HI_ADUE) !== 0 : !(ext & WalkExt.SVADE);
  const as = env.as;
  const view = as.view;
  const satpPpn = Number(env.get64('satp') & 0xfffffffffffn);
  restart: for (;;) {
    let base = satpPpn * 4096;
    for (let level = levels - 1; level >= 0; level--) {
      const shift = 12 + 9 * level;
      const pteAddr = base + vpn(lo, hi, shift) * 8;
      if (pteAddr > MAX_SAFE_PA) return -2;
      if (!(pmpCheck(env, pteAddr, 8, TlbKind.LOAD, Priv.S) & PmpResult.ALLOWED)) return -2;
      const host = as.ramHostOffset(pteAddr, 8);
      let plo: number;
      let phi: number;
      if (host >= 0) {
        plo = view.getUint32(host, true);
        phi = view.getUint32(host + 4, true);
      } else {
        const v = as.load(pteAddr, 8);
        if (v === undefined) return -2;
        plo = Number(v & 0xffffffffn);
        phi = Number(v >> 32n);
      }
      if (phi & 0xffc00000 & ~attrOk) return -1; // reserved, or N/PBMT without their extension
      if (!(plo & Pte.V)) return -1;
      let ppn = (phi & 0x3fffff) * 0x400000 + (plo >>> 10);
      if (!(plo & (Pte.R | Pte.W | Pte.X))) {
        if (plo & (Pte.D | Pte.A | Pte.U) || phi & 0xe0000000) return -1; // reserved in a pointer
        base = ppn * 4096;
        continue;
      }
      // Leaf.
      if ((plo & (Pte.R | Pte.W)) === Pte.W) return -1; // W without R is reserved
      if (plo & Pte.U) {
        if (priv !== Priv.U && (!sum || kind === TlbKind.FETCH)) return -1;
      } else if (priv !== Priv.S) {
        return -1;
      }
      if (level > 0 && ppn % 2 ** (9 * level) !== 0) return -1; // misaligned superpage
      let ok: boolean;
      if (kind === TlbKind.LOAD) ok = (plo & Pte.R) !== 0 || (mxr && (plo & Pte.X) !== 0);
      else if (kind === TlbKind.STORE) ok = (plo & Pte.W) !== 0;
      else ok = (plo & Pte.X) !== 0;
      if (!ok) return -1;
      const want = (plo | Pte.A | (kind === TlbKind.STORE ? Pte.D : 0)) >>> 0;
      if (want !== plo) {
        if (!adue) return -1; // Svade: software manages A and D
        // Hardware A/D update, atomic against other harts (QEMU: cmpxchg, retry on change).
        const wh = as.ramHostOffset(pteAddr, 8, true);
        if (wh < 0) {
          // RAM beyond the wasm memory (or none: then a page fault, as before).
          const old = as.ramCmpxchg32(pteAddr, plo | 0, want | 0);
          if (old === undefined) return -1;
          if (old !== (plo | 0)) continue restart;
        } else {
          const c = cacheOf(env);
          if (Atomics.compareExchange(c.mem32, wh >>> 2, plo | 0, want | 0) !== (plo | 0)) continue restart;
          as.onRamWrite(pteAddr, 8);
        }
      }
      walkSuperShift = level > 0 ? shift : 0;
      if (phi & 0x80000000) {
        // Svnapot: a 64 KiB range at the last level, ppn[3:0] = 1000b; vpn[3:0] picks the page.
        if (level !== 0 || (ppn & 0xf) !== 8) return -1;
        ppn = ppn - 8 + ((lo >>> 12) & 0xf);
        walkSuperShift = 16;
      }
      const pa = ppn * 4096 + pageOffset(lo, hi, shift);
      return pa > MAX_SAFE_PA ? -2 : pa;
    }
    return -1;
  }
}
