// virtio-mmio transport (QEMU's hw/virtio/virtio-mmio.c): version 2 (virtio 1.2, 4.2.2 "MMIO
// Device Register Layout") or, with force-legacy=on (QEMU's default), version 1 (4.2.4 "Legacy
// interface": GuestPageSize, QueuePFN, QueueAlign, 32 feature bits, no VERSION_1). A register of
// the other version reads 0 and logs a guest error, as QEMU's does.
// An empty slot (no backend plugged) answers with device ID 0, which drivers skip.
import type { MemoryRegionOps } from '../../exec/memory.js';
import type { IRQ } from '../core/irq.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { type VirtIODevice, VirtioStatus } from './virtio.js';

export const enum VirtioMmioReg {
  MAGIC_VALUE = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
  DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024,
  GUEST_PAGE_SIZE = 0x028, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_ALIGN = 0x03c,
  QUEUE_PFN = 0x040, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050,
  INTERRUPT_STATUS = 0x060, INTERRUPT_ACK = 0x064, STATUS = 0x070,
  QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084, QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094,
  QUEUE_DEVICE_LOW = 0x0a0, QUEUE_DEVICE_HIGH = 0x0a4, SHM_SEL = 0x0ac, SHM_LEN_LOW = 0x0b0, SHM_LEN_HIGH = 0x0b4,
  SHM_BASE_LOW = 0x0b8, SHM_BASE_HIGH = 0x0bc, QUEUE_RESET = 0x0c0, CONFIG_GENERATION = 0x0fc, CONFIG = 0x100,
}

export const VIRT_MAGIC = 0x74726976; // "virt"
export const VIRT_VENDOR = 0x554d4551; // "QEMU"
const VIRT_VERSION = 2;
const VIRT_VERSION_LEGACY = 1;
/** QEMU's VIRTIO_PCI_VRING_ALIGN: a legacy queue's used ring alignment until QueueAlign is written. */
const LEGACY_VRING_ALIGN = 4096;

const LEGACY_ONLY = new Set<number>([VirtioMmioReg.GUEST_PAGE_SIZE, VirtioMmioReg.QUEUE_ALIGN, VirtioMmioReg.QUEUE_PFN]);
const MODERN_ONLY = new Set<number>([VirtioMmioReg.QUEUE_READY, VirtioMmioReg.QUEUE_DESC_LOW, VirtioMmioReg.QUEUE_DESC_HIGH,
  VirtioMmioReg.QUEUE_DRIVER_LOW, VirtioMmioReg.QUEUE_DRIVER_HIGH, VirtioMmioReg.QUEUE_DEVICE_LOW, VirtioMmioReg.QUEUE_DEVICE_HIGH,
  VirtioMmioReg.SHM_SEL, VirtioMmioReg.SHM_LEN_LOW, VirtioMmioReg.SHM_LEN_HIGH, VirtioMmioReg.SHM_BASE_LOW,
  VirtioMmioReg.SHM_BASE_HIGH, VirtioMmioReg.QUEUE_RESET, VirtioMmioReg.CONFIG_GENERATION]);
/** QEMU's VIRTQUEUE_MAX_SIZE: what QueueNumMax says for every queue (the device's own size is
 * only the reset value). */
const VIRTQUEUE_MAX_SIZE = 1024;

const setLo = (v: number, x: number) => Math.floor(v / 2 ** 32) * 2 ** 32 + (x >>> 0);
const setHi = (v: number, x: number) => (x >>> 0) * 2 ** 32 + (v % 2 ** 32);
const lo32 = (v: bigint) => Number(v & 0xffffffffn);

export class VirtIOMMIOProxy implements MemoryRegionOps {
  vdev: VirtIODevice | undefined;
  private hostFeaturesSel = 0;
  private guestFeaturesSel = 0;
  private queueSel = 0;
  /** Legacy: log2 of GuestPageSize (QEMU's guest_page_shift; 0 until the driver writes it). */
  private guestPageShift = 0;
  /** Legacy: each queue's QueueAlign. */
  private align: number[] = [];

  /** `legacy`: the force-legacy property (QEMU's default, on, is the board's: virt.ts). */
  constructor(readonly name: string, private readonly irq: IRQ, readonly legacy = false) {}

  plug(vdev: VirtIODevice): void {
    this.vdev = vdev;
    this.align = vdev.vqs.map(() => LEGACY_VRING_ALIGN);
    vdev.bus = { notifyIsr: () => this.irq.set(vdev.isr !== 0) };
  }

  /** Feature bits this transport offers: a legacy driver sees the low 32 of the legacy set. */
  private get offered(): bigint {
    const d = this.vdev!;
    return this.legacy ? BigInt(lo32(d.hostFeatures | d.legacyFeatures)) : d.hostFeatures;
  }

  /** STATUS=0 or QueuePFN=0 (QEMU's virtio_mmio_soft_reset): the device; GuestPageSize stays. */
  private softReset(): void {
    this.vdev?.reset();
  }

  /** Machine reset (virtio_mmio_reset): every transport register; the machine resets the device. */
  reset(): void {
    this.hostFeaturesSel = this.guestFeaturesSel = this.queueSel = 0;
    this.guestPageShift = 0;
    this.align = this.align.map(() => LEGACY_VRING_ALIGN);
  }

  read(offset: number, size: number): number {
    const d = this.vdev;
    if (offset === VirtioMmioReg.MAGIC_VALUE) return VIRT_MAGIC;
    if (offset === VirtioMmioReg.VERSION) return this.legacy ? VIRT_VERSION_LEGACY : VIRT_VERSION;
    if (offset === VirtioMmioReg.DEVICE_ID) return d ? d.deviceId : 0;
    if (offset === VirtioMmioReg.VENDOR_ID) return VIRT_VENDOR;
    if (!d) return 0;
    if (offset >= VirtioMmioReg.CONFIG) return d.readConfig(offset - VirtioMmioReg.CONFIG, size);
    if (size !== 4) return this.bad('read', offset, size);
    if (this.wrongVersion('read', offset)) return 0;
    const vq = d.vqs[this.queueSel];
    switch (offset) {
      case VirtioMmioReg.DEVICE_FEATURES:
        if (this.legacy) return this.hostFeaturesSel ? 0 : lo32(this.offered);
        return this.hostFeaturesSel > 1 ? 0 : lo32(this.offered >> BigInt(32 * this.hostFeaturesSel));
      case VirtioMmioReg.QUEUE_NUM_MAX: return vq ? VIRTQUEUE_MAX_SIZE : 0;
      case VirtioMmioReg.QUEUE_RESET: return 0; // a queue reset completes before the write returns
      case VirtioMmioReg.QUEUE_PFN: return vq ? Math.floor(vq.descAddr / 2 ** this.guestPageShift) >>> 0 : 0;
      case VirtioMmioReg.QUEUE_READY: return vq?.ready ? 1 : 0;
      case VirtioMmioReg.INTERRUPT_STATUS: return d.isr;
      case VirtioMmioReg.STATUS: return d.status;
      case VirtioMmioReg.CONFIG_GENERATION: return d.configGeneration;
      case VirtioMmioReg.SHM_LEN_LOW: case VirtioMmioReg.SHM_LEN_HIGH:
      case VirtioMmioReg.SHM_BASE_LOW: case VirtioMmioReg.SHM_BASE_HIGH:
        return 0xffffffff; // no shared memory regions
      case VirtioMmioReg.QUEUE_DESC_LOW: return vq ? vq.descAddr >>> 0 : 0;
      case VirtioMmioReg.QUEUE_DESC_HIGH: return vq ? Math.floor(vq.descAddr / 2 ** 32) : 0;
      case VirtioMmioReg.QUEUE_DRIVER_LOW: return vq ? vq.availAddr >>> 0 : 0;
      case VirtioMmioReg.QUEUE_DRIVER_HIGH: return vq ? Math.floor(vq.availAddr / 2 ** 32) : 0;
      case VirtioMmioReg.QUEUE_DEVICE_LOW: return vq ? vq.usedAddr >>> 0 : 0;
      case VirtioMmioReg.QUEUE_DEVICE_HIGH: return vq ? Math.floor(vq.usedAddr / 2 ** 32) : 0;
    }
    return this.bad('read', offset, size);
  }

  write(offset: number, size: number, value: number): void {
    const d = this.vdev;
    if (!d) return;
    if (offset >= VirtioMmioReg.CONFIG) { d.writeConfig(offset - VirtioMmioReg.CONFIG, size, value); return; }
    if (size !== 4) { this.bad('write', offset, size); return; }
    if (this.wrongVersion('write', offset)) return;
    value >>>= 0;
    const vq = d.vqs[this.queueSel];
    switch (offset) {
      case VirtioMmioReg.DEVICE_FEATURES_SEL: this.hostFeaturesSel = value; return;
      case VirtioMmioReg.DRIVER_FEATURES_SEL: this.guestFeaturesSel = value; return;
      case VirtioMmioReg.DRIVER_FEATURES:
        if (this.legacy) {
          if (this.guestFeaturesSel) this.bad('DRIVER_FEATURES_SEL in legacy mode', this.guestFeaturesSel, size);
          else d.guestFeatures = BigInt(value) & this.offered;
        } else if (this.guestFeaturesSel <= 1) {
          const shift = BigInt(32 * this.guestFeaturesSel);
          d.guestFeatures = (d.guestFeatures & ~(0xffffffffn << shift)) | ((BigInt(value) << shift) & this.offered);
        }
        return;
      case VirtioMmioReg.GUEST_PAGE_SIZE: {
        // ctz32, as QEMU: 0 (ctz 32) means byte pages; a non-power of 2 counts its lowest bit.
        const shift = value === 0 ? 32 : 31 - Math.clz32(value & -value);
        this.guestPageShift = shift > 31 ? 0 : shift;
        return;
      }
      case VirtioMmioReg.QUEUE_SEL: this.queueSel = value; return;
      case VirtioMmioReg.QUEUE_NUM:
        if (vq && value > 0 && value <= VIRTQUEUE_MAX_SIZE && (value & (value - 1)) === 0) {
          vq.num = value;
          if (this.legacy) this.legacyRings();
        } else this.bad('QUEUE_NUM value', value, size);
        return;
      case VirtioMmioReg.QUEUE_ALIGN:
        // QEMU ignores 0; any other value aligns the used ring (QEMU_ALIGN_UP takes any).
        if (vq && value) { this.align[this.queueSel] = value; this.legacyRings(); }
        return;
      case VirtioMmioReg.QUEUE_PFN:
        if (!vq) return;
        if (value === 0) { this.softReset(); return; }
        vq.descAddr = value * 2 ** this.guestPageShift;
        this.legacyRings();
        return;
      case VirtioMmioReg.QUEUE_READY: if (vq) vq.ready = (value & 1) === 1; return;
      case VirtioMmioReg.QUEUE_NOTIFY: {
        const q = d.vqs[value & 0xffff];
        if (q && q.ready && d.driverOk) q.handleOutput(q);
        return;
      }
      case VirtioMmioReg.INTERRUPT_ACK:
        d.isr &= ~value;
        d.bus.notifyIsr();
        return;
      case VirtioMmioReg.STATUS:
        if (value === 0) { this.softReset(); return; }
        // FEATURES_OK is a virtio 1 handshake: refused without VERSION_1 (a legacy driver never sets it).
        if (!this.legacy && value & VirtioStatus.FEATURES_OK && !(d.guestFeatures & (1n << 32n))) value &= ~VirtioStatus.FEATURES_OK;
        d.status = value & 0xff;
        return;
      case VirtioMmioReg.QUEUE_DESC_LOW: if (vq) vq.descAddr = setLo(vq.descAddr, value); return;
      case VirtioMmioReg.QUEUE_DESC_HIGH: if (vq) vq.descAddr = setHi(vq.descAddr, value); return;
      case VirtioMmioReg.QUEUE_DRIVER_LOW: if (vq) vq.availAddr = setLo(vq.availAddr, value); return;
      case VirtioMmioReg.QUEUE_DRIVER_HIGH: if (vq) vq.availAddr = setHi(vq.availAddr, value); return;
      case VirtioMmioReg.QUEUE_DEVICE_LOW: if (vq) vq.usedAddr = setLo(vq.usedAddr, value); return;
      case VirtioMmioReg.QUEUE_DEVICE_HIGH: if (vq) vq.usedAddr = setHi(vq.usedAddr, value); return;
      case VirtioMmioReg.SHM_SEL: return;
      case VirtioMmioReg.QUEUE_RESET: if (vq && value === 1) d.queueReset(this.queueSel); return;
    }
    this.bad('write', offset, size);
  }

  /** Legacy ring layout (virtio_queue_update_rings): avail after the descriptors, used at the
   * next QueueAlign boundary after the avail ring; live once QueuePFN is set. */
  private legacyRings(): void {
    const vq = this.vdev?.vqs[this.queueSel];
    if (!vq || !this.legacy || vq.descAddr === 0) return;
    const align = this.align[this.queueSel];
    vq.availAddr = vq.descAddr + 16 * vq.num;
    vq.usedAddr = Math.ceil((vq.availAddr + 4 + 2 * vq.num) / align) * align;
    vq.ready = true;
  }

  /** A register only the other version has: QEMU logs it and reads 0 / ignores the write. */
  private wrongVersion(what: string, offset: number): boolean {
    if (!(this.legacy ? MODERN_ONLY : LEGACY_ONLY).has(offset)) return false;
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `${this.name}: ${what} of ${this.legacy ? 'non-legacy' : 'legacy'} register (0x${offset.toString(16)}) in ${this.legacy ? 'legacy' : 'non-legacy'} mode\n`);
    return true;
  }

  private bad(what: string, offset: number, size: number): number {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `${this.name}: bad ${what} 0x${offset.toString(16)} (size ${size})\n`);
    return 0;
  }
}
