// Guest RAM that does not fit in the wasm32 WebAssembly.Memory (4 GiB with the CPU state and
// the ROM): zero-filled host buffers of CHUNK bytes each (Node 20 caps one typed array at 4 GiB,
// and a chunk never straddles a small access except at its edges). The OS gives their pages
// lazily, so a guest that touches little of its RAM costs little. Generated code never reaches
// these bytes directly: the pages the CPU uses move into a window of the wasm memory while it
// uses them (target/riscv/hiram-window.ts); the rest is reached through AddressSpace's
// accessors, which call this block.

/** Bytes per host buffer (1 GiB). */
export const HOST_RAM_CHUNK = 2 ** 30;

export class HostRAMBlock {
  readonly chunks: Uint8Array[] = [];
  private readonly views: DataView[] = [];
  private readonly words: Int32Array[] = [];
  /** Per 4 KiB page: ever written (or handed out as a writable view). A page never written is
   * read as zeros without touching it: the first touch of a host page costs a page fault, and
   * reading a shared buffer's page makes the OS give it. */
  private readonly touched: Uint8Array;

  /** Throws RangeError when the host cannot give the buffers. */
  constructor(readonly size: number, shared = typeof SharedArrayBuffer === 'function') {
    for (let off = 0; off < size; off += HOST_RAM_CHUNK) {
      const n = Math.min(HOST_RAM_CHUNK, size - off);
      const buf = shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n);
      this.chunks.push(new Uint8Array(buf));
      this.views.push(new DataView(buf));
      this.words.push(new Int32Array(buf, 0, n >>> 2));
    }
    this.touched = new Uint8Array(Math.ceil(size / 4096));
  }

  private mark(off: number, n: number): void {
    for (let p = Math.floor(off / 4096), last = Math.floor((off + Math.max(n, 1) - 1) / 4096); p <= last; p++) this.touched[p] = 1;
  }

  /** Copy the 4 KiB page at off (4 KiB aligned) to dst[at...]: zeros for a page never written. */
  pageOut(off: number, dst: Uint8Array, at: number): void {
    if (!this.touched[off / 4096]) { dst.fill(0, at, at + 4096); return; }
    const c = Math.floor(off / HOST_RAM_CHUNK), o = off - c * HOST_RAM_CHUNK;
    dst.set(this.chunks[c].subarray(o, o + 4096), at);
  }

  /** Copy src[at, at+4096) in as the page at off (4 KiB aligned); an all-zero page that was
   * never written stays untouched. */
  pageIn(off: number, src: Uint8Array, at: number): void {
    if (!this.touched[off / 4096]) {
      let nz = false;
      for (let i = at; i < at + 4096; i++) if (src[i] !== 0) { nz = true; break; }
      if (!nz) return;
      this.touched[off / 4096] = 1;
    }
    const c = Math.floor(off / HOST_RAM_CHUNK), o = off - c * HOST_RAM_CHUNK;
    this.chunks[c].set(src.subarray(at, at + 4096), o);
  }

  /** Little-endian load of 1, 2, 4 or 8 bytes at off (inside the block). */
  load(off: number, size: number): bigint {
    const c = Math.floor(off / HOST_RAM_CHUNK), o = off - c * HOST_RAM_CHUNK;
    if (o + size > HOST_RAM_CHUNK) {
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.byteAt(off + i));
      return v;
    }
    const v = this.views[c];
    switch (size) {
      case 1: return BigInt(this.chunks[c][o]);
      case 2: return BigInt(v.getUint16(o, true));
      case 4: return BigInt(v.getUint32(o, true));
      default: return v.getBigUint64(o, true);
    }
  }

  store(off: number, size: number, value: bigint): void {
    this.mark(off, size);
    const c = Math.floor(off / HOST_RAM_CHUNK), o = off - c * HOST_RAM_CHUNK;
    if (o + size > HOST_RAM_CHUNK) {
      for (let i = 0; i < size; i++) this.setByte(off + i, Number((value >> BigInt(8 * i)) & 0xffn));
      return;
    }
    const v = this.views[c];
    switch (size) {
      case 1: this.chunks[c][o] = Number(value & 0xffn); break;
      case 2: v.setUint16(o, Number(value & 0xffffn), true); break;
      case 4: v.setUint32(o, Number(value & 0xffffffffn), true); break;
      default: v.setBigUint64(o, BigInt.asUintN(64, value), true); break;
    }
  }

  byteAt(off: number): number {
    const c = Math.floor(off / HOST_RAM_CHUNK);
    return this.chunks[c][off - c * HOST_RAM_CHUNK];
  }

  setByte(off: number, b: number): void {
    this.touched[Math.floor(off / 4096)] = 1;
    const c = Math.floor(off / HOST_RAM_CHUNK);
    this.chunks[c][off - c * HOST_RAM_CHUNK] = b;
  }

  /** Atomic compare-exchange of the aligned 32-bit word at off; returns the old value. */
  cmpxchg32(off: number, expected: number, desired: number): number {
    this.mark(off, 4);
    const c = Math.floor(off / HOST_RAM_CHUNK), o = off - c * HOST_RAM_CHUNK;
    return Atomics.compareExchange(this.words[c], o >>> 2, expected | 0, desired | 0);
  }

  /** Copy n bytes at off out to dst[at...] (the CPU slow path's small accesses). */
  read(off: number, n: number, dst: Uint8Array, at: number): void {
    const c = Math.floor(off / HOST_RAM_CHUNK), o = off - c * HOST_RAM_CHUNK;
    if (o + n <= HOST_RAM_CHUNK) {
      const ch = this.chunks[c];
      for (let i = 0; i < n; i++) dst[at + i] = ch[o + i];
    } else {
      for (let i = 0; i < n; i++) dst[at + i] = this.byteAt(off + i);
    }
  }

  /** Copy n bytes from src[at...] in at off. */
  write(off: number, n: number, src: Uint8Array, at: number): void {
    this.mark(off, n);
    const c = Math.floor(off / HOST_RAM_CHUNK), o = off - c * HOST_RAM_CHUNK;
    if (o + n <= HOST_RAM_CHUNK) {
      const ch = this.chunks[c];
      for (let i = 0; i < n; i++) ch[o + i] = src[at + i];
    } else {
      for (let i = 0; i < n; i++) this.setByte(off + i, src[at + i]);
    }
  }

  /** Zero-copy views covering [off, off+len): one per chunk it touches. */
  spans(off: number, len: number): Uint8Array[] {
    if (len > 0) this.mark(off, len); // the caller may write them
    const out: Uint8Array[] = [];
    while (len > 0) {
      const c = Math.floor(off / HOST_RAM_CHUNK), o = off - c * HOST_RAM_CHUNK;
      const n = Math.min(len, HOST_RAM_CHUNK - o);
      out.push(this.chunks[c].subarray(o, o + n));
      off += n;
      len -= n;
    }
    return out;
  }
}
