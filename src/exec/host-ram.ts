// Guest RAM that does not fit in the wasm32 WebAssembly.Memory (4 GiB with the CPU state and
// the ROM): zero-filled host buffers of CHUNK bytes each (Node 20 caps one typed array at 4 GiB,
// and a chunk never straddles a small access except at its edges). The OS gives their pages
// lazily, so a guest that touches little of its RAM costs little. Generated code never reaches
// these bytes directly: the TLB never maps such pages, so every access takes the slow path
// (QEMU's TLB_MMIO-style "not directly addressable" pages) and lands in AddressSpace's
// accessors, which call this block.

/** Bytes per host buffer (1 GiB). */
export const HOST_RAM_CHUNK = 2 ** 30;

export class HostRAMBlock {
  readonly chunks: Uint8Array[] = [];
  private readonly views: DataView[] = [];
  private readonly words: Int32Array[] = [];

  /** Throws RangeError when the host cannot give the buffers. */
  constructor(readonly size: number, shared = typeof SharedArrayBuffer === 'function') {
    for (let off = 0; off < size; off += HOST_RAM_CHUNK) {
      const n = Math.min(HOST_RAM_CHUNK, size - off);
      const buf = shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n);
      this.chunks.push(new Uint8Array(buf));
      this.views.push(new DataView(buf));
      this.words.push(new Int32Array(buf, 0, n >>> 2));
    }
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
    const c = Math.floor(off / HOST_RAM_CHUNK);
    this.chunks[c][off - c * HOST_RAM_CHUNK] = b;
  }

  /** Atomic compare-exchange of the aligned 32-bit word at off; returns the old value. */
  cmpxchg32(off: number, expected: number, desired: number): number {
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
