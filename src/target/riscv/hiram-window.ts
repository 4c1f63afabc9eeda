// Guest RAM beyond the wasm memory (host buffers, exec/host-ram.ts) at the speed of the rest:
// a page of it that the CPU touches (a TLB fill for a load, a store or a fetch) moves into a
// slot of the window (a reserved part of the wasm memory, exec/memory.ts) and stays there as
// the page's only live copy, so its soft-TLB entries are ordinary ones: generated code loads,
// stores and fetches it inline, and the block compiler translates code there like any other
// (a slot is a host page to tb-cache.ts, with the same self-modifying-code handling).
//
// The AddressSpace accessors read and write resident pages in their slots; views that may be
// kept past the call (ramSpans: async DMA) send the page back to its buffer first (release),
// and virtio-blk's reads that land later copy their bytes into a page that came back meanwhile
// (refresh). When every slot is taken the oldest filled page goes back (a page that code was
// fetched from gets a second chance): its TLB entries (every hart, mmu index and kind) and the
// blocks translated from its slot are dropped, its bytes are written back.
//
// A slot can be reused while a caller still holds its host offset: the interpreter's cached
// fetch page (forgotten after every translated block; cpu.ts restarts the interpreter after a
// helper that evicted: `evictions` changed) and the first half of a page-crossing access
// (cpu-ldst.ts translates again). The slot of the running hart's pc is never the victim.
import type { AddressSpace, ResidentPages } from '../../exec/memory.js';
import { type CPURISCVState, MMU_IDX_COUNT, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, TLB_OFFSET, TlbKind, tlbSlot } from './cpu-state.js';

const IDX_BYTES = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;
const KIND_BYTES = TLB_ENTRIES * TLB_ENTRY_BYTES;

export class HighRamWindow implements ResidentPages {
  /** Physical page number (pa / 4096) -> slot. */
  private readonly slotOf = new Map<number, number>();
  /** Slot -> physical page number, -1 when free. */
  private readonly pageOf: Float64Array;
  /** Slot -> code was fetched from it since the hand last passed (second chance). */
  private readonly code: Uint8Array;
  /** Slot -> i32 indexes of the TLB entries that were set to map it (tlbSet reports them; they
   * may have been replaced since); null after too many: a full scan then. */
  private readonly entries: (number[] | null)[];
  private readonly slots: number;
  /** The clock hand: next slot considered for filling. */
  private hand = 0;
  private readonly i32: Int32Array;
  /** Pages sent back to their buffers so far (see the header). */
  evictions = 0;
  /** Pages brought in so far. */
  fills = 0;

  constructor(
    private readonly as: AddressSpace,
    private readonly window: { offset: number; bytes: number },
    private readonly envs: readonly CPURISCVState[],
    /** Drop translated code made from [host, host+len) of the wasm memory (tb-cache.ts). */
    private readonly invalidateHost: (host: number, len: number) => void,
  ) {
    this.slots = Math.floor(window.bytes / 4096);
    this.pageOf = new Float64Array(this.slots).fill(-1);
    this.code = new Uint8Array(this.slots);
    this.entries = Array.from({ length: this.slots }, () => []);
    this.i32 = new Int32Array(as.memory.buffer);
  }

  get size(): number { return this.slotOf.size; }
  get capacity(): number { return this.slots; }

  hostOf(pn: number): number {
    const s = this.slotOf.get(pn);
    return s === undefined ? -1 : this.window.offset + s * 4096;
  }

  /**
   * Host offset of the host-buffer RAM page at pagePa (4 KiB aligned), brought into the window
   * now if needed (env: the hart whose fill asks; its pc's slot stays); -1 when pagePa is not
   * host-buffer RAM.
   */
  map(env: CPURISCVState, pagePa: number, kind: TlbKind): number {
    const pn = pagePa / 4096;
    const have = this.slotOf.get(pn);
    if (have !== undefined) {
      if (kind === TlbKind.FETCH) this.code[have] = 1;
      return this.window.offset + have * 4096;
    }
    const r = this.as.findRam(pagePa);
    if (!r?.block || pagePa + 4096 > r.base + r.size || this.as.isPinned(pn)) return -1; // DMA in flight: stays
    const slot = this.victim(env);
    const host = this.window.offset + slot * 4096;
    r.block.pageOut(pagePa - r.base, this.as.bytes, host);
    this.pageOf[slot] = pn;
    this.code[slot] = kind === TlbKind.FETCH ? 1 : 0;
    this.slotOf.set(pn, slot);
    this.fills++;
    return host;
  }

  /** A free slot, or the one the clock hand stops at, emptied. */
  private victim(env: CPURISCVState): number {
    const keep = this.pcSlot(env);
    for (;;) {
      const s = this.hand;
      this.hand = (s + 1) % this.slots;
      if (this.pageOf[s] < 0) return s;
      if (s === keep) continue;
      if (this.code[s]) { this.code[s] = 0; continue; }
      this.evict(s);
      return s;
    }
  }

  /** The slot env's pc is fetched from (the interpreter may be running there), or -1. */
  private pcSlot(env: CPURISCVState): number {
    const lo = env.get32('pc') | 0, hi = env.get32('pc', 1) | 0;
    const e = (env.base + TLB_OFFSET + env.get32('mmu_idx_fetch') * IDX_BYTES + TlbKind.FETCH * KIND_BYTES + tlbSlot(lo) * TLB_ENTRY_BYTES) >> 2;
    if (this.i32[e] !== (lo & ~0xfff) || this.i32[e + 1] !== hi) return -1;
    const s = ((((lo & ~0xfff) + this.i32[e + 2]) >>> 0) - this.window.offset) / 4096;
    return s >= 0 && s < this.slots ? s : -1;
  }

  release(pa: number, len: number): void {
    if (this.slotOf.size === 0 || len <= 0) return;
    this.forPages(pa, len, (slot) => this.evict(slot));
  }

  refresh(pa: number, len: number): void {
    if (this.slotOf.size === 0 || len <= 0) return;
    const r = this.as.findRam(pa);
    if (!r?.block) return;
    for (let at = pa, end = Math.min(pa + len, r.base + r.size); at < end;) {
      const n = Math.min(end - at, 4096 - (at & 0xfff));
      const h = this.hostOf(Math.floor(at / 4096));
      if (h >= 0) this.as.bytes.set(r.block.spans(at - r.base, n)[0], h + (at & 0xfff));
      at += n;
    }
  }

  /** fn(host offset of the slot) for each resident page of [pa, pa+len). */
  forResident(pa: number, len: number, fn: (host: number) => void): void {
    if (this.slotOf.size === 0 || len <= 0) return;
    this.forPages(pa, len, (slot) => fn(this.window.offset + slot * 4096));
  }

  /** Every resident page goes back (tests; a state that must be in the buffers). */
  releaseAll(): void {
    for (const slot of [...this.slotOf.values()]) this.evict(slot);
  }

  private forPages(pa: number, len: number, fn: (slot: number) => void): void {
    const first = Math.floor(pa / 4096), last = Math.floor((pa + len - 1) / 4096);
    if (last - first > this.slotOf.size) {
      for (const [pn, slot] of [...this.slotOf]) if (pn >= first && pn <= last) fn(slot);
      return;
    }
    for (let pn = first; pn <= last; pn++) {
      const slot = this.slotOf.get(pn);
      if (slot !== undefined) fn(slot);
    }
  }

  /** Send slot's page back to its buffer: unmapped, translations dropped, bytes written back. */
  private evict(slot: number): void {
    const host = this.window.offset + slot * 4096;
    this.unmap(host >>> 12);
    this.invalidateHost(host, 4096);
    const pagePa = this.pageOf[slot] * 4096;
    const r = this.as.findRam(pagePa)!;
    r.block!.pageIn(pagePa - r.base, this.as.bytes, host);
    this.slotOf.delete(this.pageOf[slot]);
    this.pageOf[slot] = -1;
    this.code[slot] = 0;
    this.evictions++;
  }

  /** tlbSet made the TLB entry at i32 index `at` map host page `hostPage` (any page). */
  noteEntry(hostPage: number, at: number): void {
    const s = (hostPage - this.window.offset) / 4096;
    if (s < 0 || s >= this.slots) return;
    const list = this.entries[s];
    if (!list) return;
    if (list.length < 64) { list.push(at); return; }
    // Mostly replaced entries by now: keep the live ones, or give up on the list.
    const hp = hostPage >>> 12;
    const live = list.filter((k) => this.maps(k, hp));
    this.entries[s] = live.length < 48 ? [...live, at] : null;
  }

  private maps(k: number, hp: number): boolean {
    const tagLo = this.i32[k];
    return (tagLo & 0xfff) === 0 && ((tagLo + this.i32[k + 2]) >>> 12) === hp;
  }

  /** Drop every TLB entry (all harts, mmu indexes and kinds) that maps host page `hp`. */
  private unmap(hp: number): void {
    const i32 = this.i32;
    const slot = (hp * 4096 - this.window.offset) / 4096;
    const list = this.entries[slot];
    this.entries[slot] = [];
    if (list) {
      for (const k of list) if (this.maps(k, hp)) { i32[k] = -1; i32[k + 1] = -1; }
      return;
    }
    for (const env of this.envs) {
      const base = (env.base + TLB_OFFSET) >> 2;
      for (let i = base, end = base + MMU_IDX_COUNT * TLB_KIND_COUNT * TLB_ENTRIES * 4; i < end; i += 4) {
        const tagLo = i32[i];
        if ((tagLo & 0xfff) === 0 && ((tagLo + i32[i + 2]) >>> 12) === hp) { i32[i] = -1; i32[i + 1] = -1; }
      }
    }
  }
}

/** The window of each address space that has one (cpu.ts creates it with the TB cache). */
const windows = new WeakMap<AddressSpace, HighRamWindow>();
export function riscvSetHighRamWindow(as: AddressSpace, w: HighRamWindow): void {
  windows.set(as, w);
  as.resident = w;
}
export function riscvHighRamWindow(env: CPURISCVState): HighRamWindow | undefined {
  return env.as.highRamWindow ? windows.get(env.as) : undefined;
}
