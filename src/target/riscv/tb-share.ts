// MTTCG's cross-thread code invalidation (QEMU's tb_invalidate_phys_page across vCPU threads).
// Every hart thread keeps its own translated-block cache (tb-cache.ts), so a store by one hart,
// or device DMA on the main thread, into code another thread translated must reach that thread.
// Shared between all threads (one SharedArrayBuffer):
//   code map   one word per 4 KiB host page of the guest memory: bit h = hart h's thread holds
//              translated code from that page. A page with any bit set is in no hart's STORE
//              soft-TLB entry (claim() drops them everywhere), so every store to it reaches a
//              slow path, where stored() clears the other threads' bits and queues the page.
//   queues     per hart: pages to drop, taken at the hart's next block boundary (the writer
//              raises its exit_request) and at fence.i, so a fence.i after a remote store never
//              runs stale code (Linux's flush_icache_all reaches each hart by IPI).
import { STATE, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, TLB_OFFSET, TlbKind, MMU_IDX_COUNT } from './cpu-state.js';

/** Pages one queue holds before it overflows (the owner then drops all its code). */
const QUEUE_PAGES = 4096;
/** Queue words: lock, count, overflow, then the pages. */
const Q_LOCK = 0, Q_COUNT = 1, Q_OVERFLOW = 2, Q_HEAD = 3;
const Q_WORDS = Q_HEAD + QUEUE_PAGES;
const IDX_BYTES = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;
const KIND_BYTES = TLB_ENTRIES * TLB_ENTRY_BYTES;

/** Most harts thread=multi runs (one bit each in a code map word). */
export const MTTCG_MAX_HARTS = 31;

/** Bytes of the shared buffer for a guest memory of `memBytes` and `nharts` harts. */
export function tbShareBytes(memBytes: number, nharts: number): number {
  return (Math.ceil(memBytes / 4096) + nharts * Q_WORDS) * 4;
}

export class TbShare {
  private readonly map: Int32Array;
  private readonly queues: Int32Array;
  private readonly mem32: Int32Array;
  private readonly pages: number;

  constructor(
    buf: SharedArrayBuffer,
    memory: WebAssembly.Memory,
    /** This thread's hart (-1: the main thread, which translates nothing). */
    readonly hart: number,
    /** Every hart's state block offset (their STORE TLBs and exit_request). */
    private readonly stateBases: readonly number[],
  ) {
    this.mem32 = new Int32Array(memory.buffer);
    this.pages = Math.ceil(memory.buffer.byteLength / 4096);
    this.map = new Int32Array(buf, 0, this.pages);
    this.queues = new Int32Array(buf, this.pages * 4, stateBases.length * Q_WORDS);
  }

  private get bit(): number { return this.hart < 0 ? 0 : 1 << this.hart; }

  /** This thread translates code from host page hp: mark it, then drop every hart's STORE TLB
   * entries for it (after the mark, so a racing fill either is dropped here or sees the mark
   * when its store's slow path calls stored()). */
  claim(hp: number): void {
    if (hp >= this.pages || this.bit === 0) return;
    if (Atomics.or(this.map, hp, this.bit) & this.bit) return;
    const i32 = this.mem32;
    for (const b of this.stateBases) {
      for (let idx = 0; idx < MMU_IDX_COUNT; idx++) {
        const base = (b + TLB_OFFSET + idx * IDX_BYTES + TlbKind.STORE * KIND_BYTES) >> 2;
        for (let s = 0; s < TLB_ENTRIES; s++) {
          const i = base + s * 4;
          const tagLo = i32[i];
          if ((tagLo & 0xfff) !== 0) continue; // invalid (-1)
          if (((tagLo + i32[i + 2]) >>> 12) === hp) { Atomics.store(i32, i, -1); Atomics.store(i32, i + 1, -1); }
        }
      }
    }
  }

  /** This thread dropped its code of host page hp. */
  release(hp: number): void {
    if (hp < this.pages && this.bit !== 0) Atomics.and(this.map, hp, ~this.bit);
  }

  /** Host page hp was written (by this thread's hart, or by DMA on the main thread): queue it
   * for every other thread holding code from it. */
  stored(hp: number): void {
    if (hp >= this.pages) return;
    // The store that brought us here may have filled a STORE TLB entry just before claim()
    // marked the page; a full fence orders that fill before the read below.
    Atomics.or(this.mem32, 0, 0);
    const others = Atomics.load(this.map, hp) & ~this.bit;
    if (others === 0) return;
    const had = Atomics.and(this.map, hp, ~others) & others;
    for (let h = 0; h < this.stateBases.length; h++) if (had & (1 << h)) this.push(h, hp);
  }

  private push(h: number, hp: number): void {
    const q = this.queues, o = h * Q_WORDS;
    while (Atomics.compareExchange(q, o + Q_LOCK, 0, 1) !== 0) { /* spin: a few stores' worth */ }
    const n = q[o + Q_COUNT];
    if (n < QUEUE_PAGES) { q[o + Q_HEAD + n] = hp; q[o + Q_COUNT] = n + 1; } else q[o + Q_OVERFLOW] = 1;
    Atomics.store(q, o + Q_LOCK, 0);
    // The hart leaves its block at the next boundary and takes the queue (and wakes from wfi).
    const ex = (this.stateBases[h] + STATE.exit_request.offset) >> 2;
    Atomics.store(this.mem32, ex, 1);
    Atomics.notify(this.mem32, ex);
  }

  /** This thread's queued pages (or null after an overflow: drop everything). */
  take(): number[] | null {
    if (this.hart < 0) return [];
    const q = this.queues, o = this.hart * Q_WORDS;
    if (Atomics.load(q, o + Q_COUNT) === 0 && Atomics.load(q, o + Q_OVERFLOW) === 0) return [];
    while (Atomics.compareExchange(q, o + Q_LOCK, 0, 1) !== 0) { /* spin */ }
    const n = q[o + Q_COUNT], ov = q[o + Q_OVERFLOW];
    const pages = ov ? null : Array.from(q.subarray(o + Q_HEAD, o + Q_HEAD + n));
    q[o + Q_COUNT] = 0; q[o + Q_OVERFLOW] = 0;
    Atomics.store(q, o + Q_LOCK, 0);
    return pages;
  }
}
