// MSI-X (QEMU's hw/pci/msix.c, PCI 3.0 6.8.2) in an exclusive BAR: the capability, the vector
// table at BAR offset 0 and the pending-bit array at 0x800. A message is a 32-bit store of the
// entry's data to its address in the system address space, as on real hardware. The virt board
// without an AIA IMSIC has no MSI controller, so Linux leaves MSI-X disabled there and devices
// interrupt through INTx; the capability is still present, as under QEMU, so `lspci` agrees.
import type { AddressSpace, MemoryRegionOps } from '../../exec/memory.js';
import { PCIBarType, type PCIDevice } from './pci.js';

export const PCI_CAP_ID_MSIX = 0x11;
const MSIX_CAP_LENGTH = 12;
const MSIX_ENTRY_SIZE = 16;
const PBA_OFFSET = 0x800;
const BAR_SIZE = 0x1000;
const CTRL_ENABLE = 0x8000;
const CTRL_MASKALL = 0x4000;
const VECTOR_MASKED = 1;
export const VIRTIO_NO_VECTOR = 0xffff;

export class MSIXState {
  private readonly table: Uint8Array;
  private readonly pba: Uint8Array;
  private readonly table32: DataView;
  readonly cap: number;

  constructor(private readonly dev: PCIDevice, private readonly as: AddressSpace, readonly nvectors: number, bar: number, capOffset = 0) {
    this.table = new Uint8Array(nvectors * MSIX_ENTRY_SIZE);
    this.table32 = new DataView(this.table.buffer);
    this.pba = new Uint8Array(Math.ceil(nvectors / 8));
    this.cap = dev.addCapability(PCI_CAP_ID_MSIX, MSIX_CAP_LENGTH, capOffset);
    dev.setWord(this.cap + 2, nvectors - 1);
    dev.setLong(this.cap + 4, bar); // table at offset 0 of `bar`
    dev.setLong(this.cap + 8, PBA_OFFSET | bar);
    dev.wmask[this.cap + 3] = (CTRL_ENABLE | CTRL_MASKALL) >> 8;
    dev.registerBar(bar, BAR_SIZE, PCIBarType.MEM32, this.ops(), 'msix');
    this.reset();
  }

  private get ctrl(): number { return this.dev.getWord(this.cap + 2); }
  get enabled(): boolean { return (this.ctrl & CTRL_ENABLE) !== 0; }

  reset(): void {
    this.table.fill(0);
    this.pba.fill(0);
    for (let v = 0; v < this.nvectors; v++) this.table32.setUint32(v * MSIX_ENTRY_SIZE + 12, VECTOR_MASKED, true);
    this.dev.setWord(this.cap + 2, this.nvectors - 1);
  }

  private masked(v: number): boolean {
    return (this.ctrl & CTRL_MASKALL) !== 0 || (this.table32.getUint32(v * MSIX_ENTRY_SIZE + 12, true) & VECTOR_MASKED) !== 0;
  }

  /** msix_notify: deliver vector `v`, or leave it pending while masked. */
  notify(v: number): void {
    if (v >= this.nvectors || !this.enabled) return;
    if (this.masked(v)) { this.pba[v >> 3] |= 1 << (v & 7); return; }
    this.send(v);
  }

  private send(v: number): void {
    if (!this.dev.busMaster) return;
    const e = v * MSIX_ENTRY_SIZE;
    const addr = this.table32.getUint32(e, true) + this.table32.getUint32(e + 4, true) * 2 ** 32;
    this.as.store(addr, 4, BigInt(this.table32.getUint32(e + 8, true)));
  }

  /** A vector was unmasked: deliver what was pending (msix_handle_mask_update). */
  private unmasked(v: number): void {
    if (this.pba[v >> 3] & (1 << (v & 7)) && !this.masked(v) && this.enabled) {
      this.pba[v >> 3] &= ~(1 << (v & 7));
      this.send(v);
    }
  }

  private ops(): MemoryRegionOps {
    const rd = (a: Uint8Array, off: number, size: number) => {
      let x = 0;
      for (let i = size - 1; i >= 0; i--) x = x * 256 + (a[off + i] ?? 0);
      return x;
    };
    return {
      read: (off, size) => {
        if (off < this.table.length) return rd(this.table, off, size);
        if (off >= PBA_OFFSET && off - PBA_OFFSET < this.pba.length) return rd(this.pba, off - PBA_OFFSET, size);
        return 0;
      },
      write: (off, size, value) => {
        if (off + size > this.table.length) return; // the PBA is read-only
        for (let i = 0; i < size; i++) this.table[off + i] = (value >>> (8 * i)) & 0xff;
        this.unmasked(Math.floor(off / MSIX_ENTRY_SIZE));
      },
    };
  }
}
