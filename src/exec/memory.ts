// The physical address space: RAM and ROM living inside one WebAssembly.Memory (so generated
// guest code reaches them with plain loads), and MMIO regions dispatched to device callbacks.
//
// Layout of the WebAssembly.Memory ("host memory"):
//   [0, cpuStateBytes)                CPU state of every hart (target/riscv/cpu-state.ts owns it)
//   [romHostOffset, +romBytes)        ROM regions (MROM with the reset vector)
//   [ramHostOffset, +lowRamBytes)     guest DRAM (as much of it as fits: all of it up to ~4 GiB)
//   [windowOffset, +windowBytes)      only when DRAM does not fit: pages of the DRAM beyond it
//                                     that the CPU uses (resident pages, the CPU manages them)
// Physical address -> host offset is `pa - base + hostOffset` for every RAM-like region.
// DRAM beyond what the wasm memory holds lives in host buffers (host-ram.ts: a RAMRegion with a
// `block` and hostOffset -1). The CPU brings the pages of it that it uses into a window of the
// wasm memory (`resident`, target/riscv/hiram-window.ts): while a page is there, its copy in the
// window is the only one that counts, ramHostOffset() answers it (so the TLB maps it and
// generated code reaches it with plain loads), and the accessors below read and write it there;
// views that may outlive the call (ramSpans: async DMA) first send the page back to its buffer.
import { HostRAMBlock } from './host-ram.js';
import { QemuError } from '../qemu/error.js';

/** Device register callbacks. `size` is 1, 2 or 4; 8-byte accesses use read64/write64 when the
 * device has them and otherwise are split into two 4-byte accesses (low half first). Offsets are
 * relative to the region base. Devices must never throw on guest input. */
export interface MemoryRegionOps {
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
  read64?(offset: number): bigint;
  write64?(offset: number, value: bigint): void;
}

export interface MMIORegion {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly ops: MemoryRegionOps;
}

export interface RAMRegion {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** Byte offset of this region inside the WebAssembly.Memory; -1 for host-buffer RAM. */
  readonly hostOffset: number;
  readonly readonly: boolean;
  /** RAM outside the WebAssembly.Memory (never directly addressable by generated code). */
  readonly block?: HostRAMBlock;
}

export const PAGE_SIZE = 64 * 1024; // WebAssembly page

export interface GuestMemoryLayout {
  memory: WebAssembly.Memory;
  cpuStateOffset: number;
  romHostOffset: number;
  ramHostOffset: number;
  /** Bytes of RAM inside the WebAssembly.Memory (the first ones); the rest goes to host buffers. */
  lowRamBytes: number;
  /** Where resident pages of host-buffer RAM go (0 bytes when all RAM fits). */
  windowOffset: number;
  windowBytes: number;
}

/** Bytes of the wasm memory kept for resident pages of host-buffer RAM (32768 pages) when RAM
 * does not fit (the RAM they take from the wasm memory goes to host buffers instead). */
export const HIGH_RAM_WINDOW_BYTES = 128 << 20;

/** The pages of host-buffer RAM held in the wasm memory (see the header). */
export interface ResidentPages {
  /** Pages held now (the accessors skip all checks at 0). */
  readonly size: number;
  /** Host offset of page number pn (pa / 4096) when it is held, else -1. */
  hostOf(pn: number): number;
  /** Send the held pages of [pa, pa+len) back to their buffers (before views of them escape). */
  release(pa: number, len: number): void;
  /** [pa, pa+len) of the buffers changed behind the window (DMA that landed in views handed out
   * earlier): copy it into the held pages. */
  refresh(pa: number, len: number): void;
}

/** Allocate the one WebAssembly.Memory holding CPU state, ROM and as much RAM as its 4 GiB
 * hold. Shared, so harts on worker threads can map the same bytes. */
export function allocateGuestMemory(cpuStateBytes: number, romBytes: number, ramBytes: number): GuestMemoryLayout {
  const align = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
  const cpuStateOffset = PAGE_SIZE; // page 0 stays unused so a zero host offset is never valid
  const romHostOffset = align(cpuStateOffset + cpuStateBytes);
  const ramHostOffset = align(romHostOffset + romBytes);
  const room = 65536 * PAGE_SIZE - ramHostOffset;
  const windowBytes = ramBytes > room ? HIGH_RAM_WINDOW_BYTES : 0;
  const lowRamBytes = Math.max(0, Math.min(ramBytes, room - windowBytes));
  const windowOffset = ramHostOffset + lowRamBytes;
  const total = align(windowOffset + windowBytes);
  const pages = total / PAGE_SIZE;
  if (pages > 65536) throw new RangeError('guest memory does not fit the 4 GiB of a WebAssembly memory');
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  return { memory, cpuStateOffset, romHostOffset, ramHostOffset, lowRamBytes, windowOffset, windowBytes };
}

export class AddressSpace {
  readonly mmio: MMIORegion[] = [];
  readonly ram: RAMRegion[] = [];
  /** Bytes of the whole WebAssembly.Memory. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Called when a device (DMA) or the loader writes guest RAM, so translated code over it
   * can be invalidated. The CPU installs it. */
  onRamWrite: (pa: number, len: number) => void = () => {};

  constructor(readonly memory: WebAssembly.Memory) {
    this.bytes = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
  }

  addRam(name: string, base: number, size: number, hostOffset: number, readonly = false): RAMRegion {
    const r: RAMRegion = { name, base, size, hostOffset, readonly };
    this.checkOverlap(base, size, name);
    this.ram.push(r);
    return r;
  }

  /** Some RAM lives in host buffers (the CPU's slow path looks for it only then). */
  hasHostRam = false;
  /** Host offset and bytes of the wasm memory kept for resident pages of host-buffer RAM. */
  highRamWindow: { offset: number; bytes: number } | null = null;
  /** Its manager (the CPU's), once there is one. */
  resident: ResidentPages | null = null;

  /** RAM in host buffers (beyond the WebAssembly.Memory). */
  addHostRam(name: string, base: number, block: HostRAMBlock): RAMRegion {
    const r: RAMRegion = { name, base, size: block.size, hostOffset: -1, readonly: false, block };
    this.checkOverlap(base, block.size, name);
    this.ram.push(r);
    this.hasHostRam = true;
    return r;
  }

  addMmio(name: string, base: number, size: number, ops: MemoryRegionOps): MMIORegion {
    const r: MMIORegion = { name, base, size, ops };
    this.checkOverlap(base, size, name);
    this.mmio.push(r);
    this.mmio.sort((a, b) => a.base - b.base);
    return r;
  }

  private checkOverlap(base: number, size: number, name: string): void {
    for (const r of [...this.ram, ...this.mmio]) {
      if (base < r.base + r.size && r.base < base + size) throw new Error(`memory region ${name} overlaps ${r.name}`);
    }
  }

  findRam(pa: number): RAMRegion | undefined {
    for (const r of this.ram) if (pa >= r.base && pa < r.base + r.size) return r;
    return undefined;
  }

  findMmio(pa: number): MMIORegion | undefined {
    for (const r of this.mmio) if (pa >= r.base && pa < r.base + r.size) return r;
    return undefined;
  }

  /** Host offset of [pa, pa+len) when it lies wholly in one RAM-like region of the
   * WebAssembly.Memory, else -1 (also for host-buffer RAM: see ramSpans). */
  ramHostOffset(pa: number, len: number, forWrite = false): number {
    const r = this.findRam(pa);
    if (!r || pa + len > r.base + r.size || len < 0 || (forWrite && r.readonly)) return -1;
    if (r.hostOffset < 0) return this.residentHost(pa, len);
    return pa - r.base + r.hostOffset;
  }

  /** Host offset of host-buffer RAM [pa, pa+len) when its page is resident (within one page). */
  private residentHost(pa: number, len: number): number {
    const w = this.resident;
    if (!w || w.size === 0 || (pa & 0xfff) + len > 4096) return -1;
    const h = w.hostOf(Math.floor(pa / 4096));
    return h < 0 ? -1 : h + (pa & 0xfff);
  }

  /** The RAM region holding all of [pa, pa+len) (either kind), or undefined. */
  private ramRange(pa: number, len: number, forWrite: boolean): RAMRegion | undefined {
    const r = this.findRam(pa);
    if (!r || len < 0 || pa + len > r.base + r.size || (forWrite && r.readonly)) return undefined;
    return r;
  }

  /** The CPU slow path's copy between host-buffer RAM at pa and the wasm memory at host offset
   * `at` (n bytes, within one region); false when pa is not host-buffer RAM (MMIO, nothing). */
  copyHostRam(pa: number, n: number, at: number, toRam: boolean): boolean {
    if (!this.hasHostRam) return false;
    let r = this.lastHostRam;
    if (!r || pa < r.base || pa + n > r.base + r.size) {
      r = this.ramRange(pa, n, toRam);
      if (!r?.block) return false;
      this.lastHostRam = r;
    }
    const h = this.residentHost(pa, n);
    if (h >= 0) {
      if (toRam) { this.onRamWrite(pa, n); this.bytes.copyWithin(h, at, at + n); } else this.bytes.copyWithin(at, h, h + n);
      return true;
    }
    if (n > 0 && this.resident?.size) this.resident.release(pa, n); // crosses pages
    if (toRam) {
      this.onRamWrite(pa, n);
      r.block!.write(pa - r.base, n, this.bytes, at);
    } else {
      r.block!.read(pa - r.base, n, this.bytes, at);
    }
    return true;
  }
  private lastHostRam: RAMRegion | undefined;

  /** Does [pa, pa+len) lie wholly in one region of host-buffer RAM? */
  isHostBufferRam(pa: number, len: number, forWrite = false): boolean {
    return this.ramRange(pa, len, forWrite)?.block !== undefined;
  }

  /** Does [pa, pa+len) lie wholly in RAM (writable RAM when forWrite)? */
  isRam(pa: number, len: number, forWrite = false): boolean {
    if (this.ramRange(pa, len, forWrite)) return true;
    if (len <= 0 || !Number.isSafeInteger(pa) || !Number.isSafeInteger(len)) return false;
    for (let end = pa + len; pa < end;) {
      const r = this.findRam(pa);
      if (!r || (forWrite && r.readonly)) return false;
      pa = r.base + r.size;
    }
    return true;
  }

  /** Zero-copy views covering [pa, pa+len) of RAM: one, or one per region / host buffer it
   * crosses (DRAM's wasm part and its host-buffer part are adjacent); null when any byte is
   * outside RAM. Writers must call onRamWrite themselves, or dmaLanded once the bytes landed:
   * until then (`pin`, forWrite) host-buffer pages of the range stay out of the CPU's window. */
  ramSpans(pa: number, len: number, forWrite = false, pin = forWrite): Uint8Array[] | null {
    if (len < 0 || !Number.isSafeInteger(pa) || !Number.isSafeInteger(len)) return null;
    const pa0 = pa, len0 = len;
    const out: Uint8Array[] = [];
    while (len > 0 || out.length === 0) {
      const r = this.findRam(pa);
      if (!r || (forWrite && r.readonly)) return null;
      const n = Math.min(len, r.base + r.size - pa);
      if (r.block) {
        if (n > 0 && this.resident?.size) this.resident.release(pa, n);
        out.push(...r.block.spans(pa - r.base, n));
      }
      else {
        const off = pa - r.base + r.hostOffset;
        out.push(this.bytes.subarray(off, off + n));
      }
      pa += n;
      len -= n;
    }
    if (pin && this.hasHostRam && len0 > 0) this.pinPages(pa0, len0, 1);
    return out;
  }

  /** Host-buffer RAM pages (pa / 4096) with DMA in flight -> requests: not brought into the window. */
  private readonly pinned = new Map<number, number>();
  isPinned(pn: number): boolean { return this.pinned.size !== 0 && this.pinned.has(pn); }
  private pinPages(pa: number, len: number, d: number): void {
    const h = this.findRam(Math.max(pa, pa + len - 1)); // only the host-buffer region's pages
    if (!h?.block) return;
    for (let pn = Math.floor(Math.max(pa, h.base) / 4096), last = Math.floor((pa + len - 1) / 4096); pn <= last; pn++) {
      const n = (this.pinned.get(pn) ?? 0) + d;
      if (n > 0) this.pinned.set(pn, n); else this.pinned.delete(pn);
    }
  }

  /** As ramSpans, for a copy made before the caller returns: resident pages of host-buffer RAM
   * give their window bytes (one view per page) instead of going back to their buffers. */
  private syncSpans(pa: number, len: number, forWrite: boolean): Uint8Array[] | null {
    const w = this.resident;
    if (!w || w.size === 0 || !this.hasHostRam) return this.ramSpans(pa, len, forWrite, false);
    if (len < 0 || !Number.isSafeInteger(pa) || !Number.isSafeInteger(len) || !this.isRam(pa, Math.max(len, 1), forWrite)) return null;
    const out: Uint8Array[] = [];
    while (len > 0) {
      const r = this.findRam(pa)!;
      let n = Math.min(len, r.base + r.size - pa);
      if (r.block) {
        n = Math.min(n, 4096 - (pa & 0xfff));
        const h = w.hostOf(Math.floor(pa / 4096));
        out.push(h >= 0 ? this.bytes.subarray(h + (pa & 0xfff), h + (pa & 0xfff) + n) : r.block.spans(pa - r.base, n)[0]);
      } else {
        const off = pa - r.base + r.hostOffset;
        out.push(this.bytes.subarray(off, off + n));
      }
      pa += n;
      len -= n;
    }
    return out.length ? out : this.ramSpans(pa, 0, forWrite, false);
  }

  /** DMA through views from ramSpans landed in [pa, pa+len): resident copies of those pages take
   * the new bytes, and translated code over them goes. */
  dmaLanded(pa: number, len: number): void {
    if (this.hasHostRam && len > 0) this.pinPages(pa, len, -1);
    if (this.resident?.size) this.resident.refresh(pa, len);
    this.onRamWrite(pa, len);
  }

  /** A bounds-checked view of guest RAM for device DMA; null when any byte is outside RAM (or
   * the range crosses between host buffers: use dmaRead/dmaWrite/ramSpans for any range). */
  dmaView(pa: number, len: number, forWrite: boolean): Uint8Array | null {
    const s = this.ramSpans(pa, len, forWrite, false);
    if (!s || s.length !== 1) return null;
    if (forWrite) this.onRamWrite(pa, len);
    return s[0];
  }

  /** Device DMA read into dst; false (nothing read) when any byte is outside RAM. */
  dmaReadInto(pa: number, dst: Uint8Array): boolean {
    const s = this.syncSpans(pa, dst.length, false);
    if (!s) return false;
    let o = 0;
    for (const v of s) { dst.set(v, o); o += v.length; }
    return true;
  }

  /** Device DMA read into a fresh copy; null when outside RAM. */
  dmaRead(pa: number, len: number): Uint8Array | null {
    const out = new Uint8Array(Math.max(0, len));
    return this.dmaReadInto(pa, out) ? out : null;
  }

  /** Device DMA write; false (nothing written) when any byte is outside RAM. */
  dmaWrite(pa: number, data: Uint8Array): boolean {
    const s = this.syncSpans(pa, data.length, true);
    if (!s) return false;
    this.onRamWrite(pa, data.length);
    let o = 0;
    for (const v of s) { v.set(data.subarray(o, o + v.length)); o += v.length; }
    return true;
  }

  /** Atomic compare-exchange of the aligned 32-bit RAM word at pa (page-table A/D updates);
   * the old value, or undefined when pa is not writable RAM. */
  ramCmpxchg32(pa: number, expected: number, desired: number): number | undefined {
    const r = this.ramRange(pa, 4, true);
    if (!r || pa % 4) return undefined;
    const host = r.block ? this.residentHost(pa, 4) : pa - r.base + r.hostOffset;
    const old = host < 0 ? r.block!.cmpxchg32(pa - r.base, expected, desired)
      : Atomics.compareExchange(new Int32Array(this.memory.buffer, host, 1), 0, expected | 0, desired | 0);
    if (old === (expected | 0)) this.onRamWrite(pa, 4);
    return old;
  }

  /** Little-endian physical load of 1, 2, 4 or 8 bytes as a bigint (slow path, any region).
   * Returns undefined for an access to unmapped space (an access fault). */
  load(pa: number, size: number): bigint | undefined {
    const off = this.ramHostOffset(pa, size);
    if (off < 0) {
      const h = this.hasHostRam ? this.ramRange(pa, size, false) : undefined;
      if (h?.block) {
        if (this.resident?.size) this.resident.release(pa, size); // crosses pages
        return h.block.load(pa - h.base, size);
      }
    } else {
      switch (size) {
        case 1: return BigInt(this.bytes[off]);
        case 2: return BigInt(this.view.getUint16(off, true));
        case 4: return BigInt(this.view.getUint32(off, true));
        default: return this.view.getBigUint64(off, true);
      }
    }
    const r = this.findMmio(pa);
    if (!r || pa + size > r.base + r.size) return undefined;
    const o = pa - r.base;
    if (size === 8) {
      if (r.ops.read64) return BigInt.asUintN(64, r.ops.read64(o));
      const lo = r.ops.read(o, 4) >>> 0;
      const hi = r.ops.read(o + 4, 4) >>> 0;
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return BigInt(r.ops.read(o, size) >>> 0) & ((1n << BigInt(size * 8)) - 1n);
  }

  /** Little-endian physical store; false for unmapped space or read-only memory. */
  store(pa: number, size: number, value: bigint): boolean {
    const off = this.ramHostOffset(pa, size, true);
    if (off < 0) {
      const h = this.hasHostRam ? this.ramRange(pa, size, true) : undefined;
      if (h?.block) {
        if (this.resident?.size) this.resident.release(pa, size); // crosses pages
        this.onRamWrite(pa, size);
        h.block.store(pa - h.base, size, value);
        return true;
      }
    } else {
      this.onRamWrite(pa, size);
      switch (size) {
        case 1: this.bytes[off] = Number(value & 0xffn); break;
        case 2: this.view.setUint16(off, Number(value & 0xffffn), true); break;
        case 4: this.view.setUint32(off, Number(value & 0xffffffffn), true); break;
        default: this.view.setBigUint64(off, BigInt.asUintN(64, value), true); break;
      }
      return true;
    }
    const r = this.findMmio(pa);
    if (!r || pa + size > r.base + r.size) return false;
    const o = pa - r.base;
    if (size === 8) {
      if (r.ops.write64) r.ops.write64(o, BigInt.asUintN(64, value));
      else {
        r.ops.write(o, 4, Number(value & 0xffffffffn));
        r.ops.write(o + 4, 4, Number((value >> 32n) & 0xffffffffn));
      }
      return true;
    }
    r.ops.write(o, size, Number(value & ((1n << BigInt(size * 8)) - 1n)));
    return true;
  }

  /** Copy a blob into RAM/ROM at pa (loaders). Throws when it does not fit. */
  loadBlob(pa: number, data: Uint8Array, what: string): void {
    const spans = this.syncSpans(pa, data.length, false); // ROM too: loaders fill it
    if (!spans) throw new RangeError(`${what} (${data.length} bytes at 0x${pa.toString(16)}) does not fit in memory`);
    let o = 0;
    for (const v of spans) { v.set(data.subarray(o, o + v.length)); o += v.length; }
    this.onRamWrite(pa, data.length);
  }
}

/** What the host can give guest RAM (the kernel's overcommit heuristic refuses one mapping
 * larger than RAM + swap, which is where QEMU's allocation fails); the host back end sets it. */
let hostRamLimit = Number.MAX_SAFE_INTEGER;
export function setHostRamLimit(bytes: number): void {
  if (bytes > 0) hostRamLimit = bytes;
}

/**
 * Guest DRAM of `size` bytes at `base`: the first layout.lowRamBytes inside the WebAssembly.Memory,
 * the rest in zero-filled host buffers right above it (one guest-visible region either way).
 * Refused as QEMU refuses RAM the host cannot allocate.
 */
export function addSplitRam(as: AddressSpace, name: string, base: number, size: number, layout: GuestMemoryLayout): void {
  const fail = () => new QemuError(`cannot set up guest memory '${name}': Cannot allocate memory`);
  if (size > hostRamLimit) throw fail();
  as.addRam(name, base, layout.lowRamBytes, layout.ramHostOffset);
  if (size <= layout.lowRamBytes) return;
  let block: HostRAMBlock;
  try {
    block = new HostRAMBlock(size - layout.lowRamBytes);
  } catch {
    throw fail();
  }
  as.addHostRam(name, base + layout.lowRamBytes, block);
  if (layout.windowBytes) as.highRamWindow = { offset: layout.windowOffset, bytes: layout.windowBytes };
}
