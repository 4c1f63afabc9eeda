// virtio-mmio transport, version 2 (virtio 1.2, 4.2.2 "MMIO Device Register Layout").
// An empty slot (no backend plugged) answers with device ID 0, which drivers skip.
import type { MemoryRegionOps } from '../../exec/memory.js';
import type { IRQ } from '../core/irq.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { type VirtIODevice, VirtioStatus } from './virtio.js';

export const enum VirtioMmioReg {
  MAGIC_VALUE = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
  DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024,
  QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050,
  INTERRUPT_STATUS = 0x060, INTERRUPT_ACK = 0x064, STATUS = 0x070,
  QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084, QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094,
  QUEUE_DEVICE_LOW = 0x0a0, QUEUE_DEVICE_HIGH = 0x0a4, SHM_SEL = 0x0ac, SHM_LEN_LOW = 0x0b0, SHM_LEN_HIGH = 0x0b4,
  SHM_BASE_LOW = 0x0b8, SHM_BASE_HIGH = 0x0bc, CONFIG_GENERATION = 0x0fc, CONFIG = 0x100,
}

export const VIRT_MAGIC = 0x74726976; // "virt"
export const VIRT_VENDOR = 0x554d4551; // "QEMU"
const VIRT_VERSION = 2;

const setLo = (v: number, x: number) => Math.floor(v / 2 ** 32) * 2 ** 32 + (x >>> 0);
const setHi = (v: number, x: number) => (x >>> 0) * 2 ** 32 + (v % 2 ** 32);

export class VirtIOMMIOProxy implements MemoryRegionOps {
  vdev: VirtIODevice | undefined;
  private hostFeaturesSel = 0;
  private guestFeaturesSel = 0;
  private queueSel = 0;

  constructor(readonly name: string, private readonly irq: IRQ) {}

  plug(vdev: VirtIODevice): void {
    this.vdev = vdev;
    vdev.bus = { notifyIsr: () => this.irq.set(vdev.isr !== 0) };
  }

  private reset(): void {
    this.hostFeaturesSel = this.guestFeaturesSel = this.queueSel = 0;
    this.vdev?.reset();
  }

  read(offset: number, size: number): number {
    const d = this.vdev;
    if (offset === VirtioMmioReg.MAGIC_VALUE) return VIRT_MAGIC;
    if (offset === VirtioMmioReg.VERSION) return VIRT_VERSION;
    if (offset === VirtioMmioReg.DEVICE_ID) return d ? d.deviceId : 0;
    if (offset === VirtioMmioReg.VENDOR_ID) return VIRT_VENDOR;
    if (!d) return 0;
    if (offset >= VirtioMmioReg.CONFIG) return d.readConfig(offset - VirtioMmioReg.CONFIG, size);
    if (size !== 4) return this.bad('read', offset, size);
    const vq = d.vqs[this.queueSel];
    switch (offset) {
      case VirtioMmioReg.DEVICE_FEATURES:
        return this.hostFeaturesSel > 1 ? 0 : Number((d.hostFeatures >> BigInt(32 * this.hostFeaturesSel)) & 0xffffffffn);
      case VirtioMmioReg.QUEUE_NUM_MAX: return vq ? vq.numMax : 0;
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
    value >>>= 0;
    const vq = d.vqs[this.queueSel];
    switch (offset) {
      case VirtioMmioReg.DEVICE_FEATURES_SEL: this.hostFeaturesSel = value; return;
      case VirtioMmioReg.DRIVER_FEATURES_SEL: this.guestFeaturesSel = value; return;
      case VirtioMmioReg.DRIVER_FEATURES:
        if (this.guestFeaturesSel <= 1) {
          const shift = BigInt(32 * this.guestFeaturesSel);
          d.guestFeatures = (d.guestFeatures & ~(0xffffffffn << shift)) | ((BigInt(value) << shift) & d.hostFeatures);
        }
        return;
      case VirtioMmioReg.QUEUE_SEL: this.queueSel = value; return;
      case VirtioMmioReg.QUEUE_NUM:
        if (vq && value <= vq.numMax && (value & (value - 1)) === 0) vq.num = value;
        else this.bad('QUEUE_NUM value', value, size);
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
        if (value === 0) { this.reset(); return; }
        if (value & VirtioStatus.FEATURES_OK && !(d.guestFeatures & (1n << 32n))) value &= ~VirtioStatus.FEATURES_OK;
        d.status = value & 0xff;
        return;
      case VirtioMmioReg.QUEUE_DESC_LOW: if (vq) vq.descAddr = setLo(vq.descAddr, value); return;
      case VirtioMmioReg.QUEUE_DESC_HIGH: if (vq) vq.descAddr = setHi(vq.descAddr, value); return;
      case VirtioMmioReg.QUEUE_DRIVER_LOW: if (vq) vq.availAddr = setLo(vq.availAddr, value); return;
      case VirtioMmioReg.QUEUE_DRIVER_HIGH: if (vq) vq.availAddr = setHi(vq.availAddr, value); return;
      case VirtioMmioReg.QUEUE_DEVICE_LOW: if (vq) vq.usedAddr = setLo(vq.usedAddr, value); return;
      case VirtioMmioReg.QUEUE_DEVICE_HIGH: if (vq) vq.usedAddr = setHi(vq.usedAddr, value); return;
      case VirtioMmioReg.SHM_SEL: return;
    }
    this.bad('write', offset, size);
  }

  private bad(what: string, offset: number, size: number): number {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `${this.name}: bad ${what} 0x${offset.toString(16)} (size ${size})\n`);
    return 0;
  }
}
