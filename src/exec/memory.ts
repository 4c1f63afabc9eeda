// The physical address space: RAM and ROM living inside one WebAssembly.Memory (so generated
// guest code reaches them with plain loads), and MMIO regions dispatched to device callbacks.
//
// Layout of the WebAssembly.Memory ("host memory"):
//   [0, cpuStateBytes)                CPU state of every hart (target/riscv/cpu-state.ts owns it)
//   [romHostOffset, +romBytes)        ROM regions (MROM with the reset vector)
//   [ramHostOffset, +ramSize)         guest DRAM
// Physical address -> host offset is `pa - base + hostOffset` for every RAM-like region.

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
  /** Byte offset of this region inside the WebAssembly.Memory. */
  readonly hostOffset: number;
  readonly readonly: boolean;
}

export const PAGE_SIZE = 64 * 1024; // WebAssembly page

export interface GuestMemoryLayout {
  memory: WebAssembly.Memory;
  cpuStateOffset: number;
  romHostOffset: number;
  ramHostOffset: number;
}

/** Allocate the one WebAssembly.Memory holding CPU state, ROM and RAM. Shared, so harts on
 * worker threads can map the same bytes. */
export function allocateGuestMemory(cpuStateBytes: number, romBytes: number, ramBytes: number): GuestMemoryLayout {
  const align = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
  const cpuStateOffset = PAGE_SIZE; // page 0 stays unused so a zero host offset is never valid
  const romHostOffset = align(cpuStateOffset + cpuStateBytes);
  const ramHostOffset = align(romHostOffset + romBytes);
  const total = align(ramHostOffset + ramBytes);
  const pages = total / PAGE_SIZE;
  if (pages > 65536) throw new RangeError('guest memory does not fit the 4 GiB of a WebAssembly memory');
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  return { memory, cpuStateOffset, romHostOffset, ramHostOffset };
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

  /** Host offset of [pa, pa+len) when it lies wholly in one RAM-like region, else -1. */
  ramHostOffset(pa: number, len: number, forWrite = false): number {
    const r = this.findRam(pa);
    if (!r || pa + len > r.base + r.size || len < 0 || (forWrite && r.readonly)) return -1;
    return pa - r.base + r.hostOffset;
  }

  /** A bounds-checked view of guest RAM for device DMA; null when any byte is outside RAM. */
  dmaView(pa: number, len: number, forWrite: boolean): Uint8Array | null {
    const off = this.ramHostOffset(pa, len, forWrite);
    if (off < 0) return null;
    if (forWrite) this.onRamWrite(pa, len);
    return this.bytes.subarray(off, off + len);
  }

  /** Device DMA read into a fresh copy; null when outside RAM. */
  dmaRead(pa: number, len: number): Uint8Array | null {
    const v = this.dmaView(pa, len, false);
    return v ? v.slice() : null;
  }

  /** Device DMA write; false (nothing written) when any byte is outside RAM. */
  dmaWrite(pa: number, data: Uint8Array): boolean {
    const v = this.dmaView(pa, data.length, true);
    if (!v) return false;
    v.set(data);
    return true;
  }

  /** Little-endian physical load of 1, 2, 4 or 8 bytes as a bigint (slow path, any region).
   * Returns undefined for an access to unmapped space (an access fault). */
  load(pa: number, size: number): bigint | undefined {
    const off = this.ramHostOffset(pa, size);
    if (off >= 0) {
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
    if (off >= 0) {
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
    const r = this.findRam(pa);
    if (!r || pa + data.length > r.base + r.size) {
      throw new RangeError(`${what} (${data.length} bytes at 0x${pa.toString(16)}) does not fit in memory`);
    }
    const off = pa - r.base + r.hostOffset;
    this.bytes.set(data, off);
    this.onRamWrite(pa, data.length);
  }
}
