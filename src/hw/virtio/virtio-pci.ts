// virtio-pci transport (virtio 1.2, 4.1; QEMU's hw/virtio/virtio-pci.c) for any VirtIODevice,
// as virtio-mmio.ts is the other. Shaped as QEMU's default on a PCIe root bus: a transitional
// device (ID 0x1000 + n, revision 0, subsystem = virtio ID) with
//   BAR0  legacy I/O registers (virtio 0.9.5), BAR1 MSI-X (table + PBA), BAR4 64-bit prefetchable
//   modern registers: common cfg @0, ISR @0x1000, device cfg @0x2000, notify @0x3000 (x4 per queue)
// and the vendor capabilities (common, ISR, device, notify, pci-cfg) then MSI-X, at the config
// offsets QEMU gives them. Interrupts go over INTx (pin A) unless the guest enables MSI-X.
import type { AddressSpace, MemoryRegionOps } from '../../exec/memory.js';
import { PCIBarType, PCIConfig, PCIDevice, PCI_VENDOR_ID_REDHAT_QUMRANET } from '../pci/pci.js';
import { MSIXState, VIRTIO_NO_VECTOR } from '../pci/msix.js';
import { type VirtIODevice, VirtioStatus } from './virtio.js';

const PCI_CAP_ID_VNDR = 0x09;
const enum VirtioPCICap { COMMON = 1, NOTIFY = 2, ISR = 3, DEVICE = 4, PCI = 5 }
const enum Bar { LEGACY = 0, MSIX = 1, MODERN = 4 }
const MODERN_REGION = 0x1000;
const NOTIFY_MULT = 4;

/** Transitional PCI device IDs (virtio 1.2, 4.1.2.3); others get 0x1040 + ID. */
const TRANSITIONAL_ID: Record<number, number> = { 1: 0x1000, 2: 0x1001, 5: 0x1002, 3: 0x1003, 8: 0x1004, 4: 0x1005, 9: 0x1009 };

const enum Common {
  DFSELECT = 0x00, DF = 0x04, GFSELECT = 0x08, GF = 0x0c, MSIX = 0x10, NUMQ = 0x12, STATUS = 0x14, CFGGEN = 0x15,
  Q_SELECT = 0x16, Q_SIZE = 0x18, Q_MSIX = 0x1a, Q_ENABLE = 0x1c, Q_NOFF = 0x1e, Q_DESCLO = 0x20, Q_DESCHI = 0x24,
  Q_AVAILLO = 0x28, Q_AVAILHI = 0x2c, Q_USEDLO = 0x30, Q_USEDHI = 0x34, Q_NDATA = 0x38, Q_RESET = 0x3a,
}

const enum Legacy { HOST_FEATURES = 0, GUEST_FEATURES = 4, QUEUE_PFN = 8, QUEUE_NUM = 12, QUEUE_SEL = 14,
  QUEUE_NOTIFY = 16, STATUS = 18, ISR = 19, MSI_CONFIG_VECTOR = 20, MSI_QUEUE_VECTOR = 22 }

export interface VirtIOPCIOptions {
  /** 24-bit PCI class code (virtio-blk: 0x010000, net: 0x020000, rng: 0x00ff00). */
  classCode: number;
  /** Bytes of the device's config structure (sizes the legacy I/O BAR as QEMU does). */
  configSize: number;
  /** MSI-X vectors (QEMU: queues + 1 for blk, 2 for most others; 0: no MSI-X, as virtio-balloon-pci). */
  vectors?: number;
  /** Behind a PCIe port (QEMU's disable-legacy=auto there): a modern-only PCIe endpoint, ID 0x1040 + n,
   * revision 1, no legacy I/O BAR, with the PCI Express (v2, endpoint) and power management capabilities. */
  express?: boolean;
  /** virtio-*-pci-non-transitional (QEMU's disable-legacy=on): modern-only on any bus; a PCIe
   * endpoint only behind a port (`express`). */
  modernOnly?: boolean;
}

const PCI_CAP_ID_PM = 0x01;
const PCI_CAP_ID_EXP = 0x10;

const setLo = (v: number, x: number) => Math.floor(v / 2 ** 32) * 2 ** 32 + (x >>> 0);
const setHi = (v: number, x: number) => (x >>> 0) * 2 ** 32 + (v % 2 ** 32);
const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(n, 4)));

export class VirtIOPCIProxy extends PCIDevice {
  private readonly msix: MSIXState | undefined;
  private dfselect = 0;
  private gfselect = 0;
  private queueSel = 0;
  private configVector = VIRTIO_NO_VECTOR;
  private queueVectors: number[];
  private readonly cfgCap: number;

  constructor(name: string, readonly vdev: VirtIODevice, as: AddressSpace, private readonly o: VirtIOPCIOptions) {
    const modernOnly = o.express === true || o.modernOnly === true;
    super(name, {
      vendorId: PCI_VENDOR_ID_REDHAT_QUMRANET,
      deviceId: modernOnly ? 0x1040 + vdev.deviceId : TRANSITIONAL_ID[vdev.deviceId] ?? 0x1040 + vdev.deviceId,
      revision: modernOnly ? 1 : 0, classCode: o.classCode, subsystemVendorId: PCI_VENDOR_ID_REDHAT_QUMRANET,
      subsystemId: modernOnly ? undefined : vdev.deviceId, interruptPin: 1, express: o.express === true,
    });
    this.queueVectors = vdev.vqs.map(() => VIRTIO_NO_VECTOR);
    if (o.express) this.expressEndpointCaps();
    if (!modernOnly) this.registerBar(Bar.LEGACY, pow2(24 + o.configSize), PCIBarType.IO, this.legacyOps(), 'virtio-pci-legacy');
    this.registerBar(Bar.MODERN, 4 * MODERN_REGION, PCIBarType.MEM64 | PCIBarType.PREFETCH, this.modernOps(), 'virtio-pci');
    this.addVirtioCap(VirtioPCICap.COMMON, 0);
    this.addVirtioCap(VirtioPCICap.ISR, MODERN_REGION);
    this.addVirtioCap(VirtioPCICap.DEVICE, 2 * MODERN_REGION);
    const notify = this.addVirtioCap(VirtioPCICap.NOTIFY, 3 * MODERN_REGION, 4);
    this.setLong(notify + 16, NOTIFY_MULT);
    this.cfgCap = this.addVirtioCap(VirtioPCICap.PCI, 0, 4);
    this.cfgCapWritable();
    const vectors = o.vectors ?? 2;
    this.msix = vectors > 0 ? new MSIXState(this, as, vectors, Bar.MSIX) : undefined;
    vdev.bus = { notifyIsr: () => this.notify() };
  }

  /** pcie_endpoint_cap_init (v2, endpoint: FLR, RBER; link x1 2.5 GT/s) and the PM capability (D0 only). */
  private expressEndpointCaps(): void {
    const e = this.addCapability(PCI_CAP_ID_EXP, 0x3c);
    this.setWord(e + 2, 0x0002);
    this.setLong(e + 4, 0x10008000);
    this.setLong(e + 0x0c, 0x00000411);
    this.setWord(e + 0x12, 0x0011);
    this.setLong(e + 0x24, 0x00300000);
    this.wmask[e + 8] = 0x0f; // error reporting enables
    this.wmask[e + 0x10] = 0x43; // ASPM, RCB
    const pm = this.addCapability(PCI_CAP_ID_PM, 8);
    this.setWord(pm + 2, 0x0003);
    this.wmask[pm + 4] = 0x03; // power state
  }

  /** struct virtio_pci_cap (+ `extra` bytes): vndr, next, len, cfg_type, bar, id, pad, offset, length. */
  private addVirtioCap(type: number, offset: number, extra = 0): number {
    const len = 16 + extra;
    const at = this.addCapability(PCI_CAP_ID_VNDR, len);
    this.config[at + 2] = len;
    this.config[at + 3] = type;
    if (type !== VirtioPCICap.PCI) {
      this.config[at + 4] = Bar.MODERN;
      this.setLong(at + 8, offset);
      this.setLong(at + 12, MODERN_REGION);
    }
    return at;
  }

  private cfgCapWritable(): void {
    const c = this.cfgCap;
    this.wmask[c + 4] = 0xff; // bar
    this.wmask.fill(0xff, c + 8, c + 20); // offset, length, pci_cfg_data
  }

  /** VIRTIO_PCI_CAP_PCI_CFG: pci_cfg_data is a window onto the selected BAR (4.1.4.9). */
  override configRead(addr: number, size: number): number {
    const d = this.cfgCap + 16;
    if (addr === d && size === 4) {
      const r = this.cfgWindow();
      if (r) this.setLong(d, r[0].read(r[1], r[2]));
    }
    return super.configRead(addr, size);
  }

  override configWrite(addr: number, size: number, value: number): void {
    const wasMaster = this.busMaster;
    super.configWrite(addr, size, value);
    const d = this.cfgCap + 16;
    if (addr === d && size === 4) {
      const r = this.cfgWindow();
      if (r) r[0].write(r[1], r[2], value);
    }
    // QEMU: clearing bus mastering stops the device (DRIVER_OK dropped).
    if (wasMaster && !this.busMaster) this.vdev.status &= ~VirtioStatus.DRIVER_OK;
  }

  private cfgWindow(): [MemoryRegionOps, number, number] | undefined {
    const c = this.cfgCap;
    const len = this.getLong(c + 12);
    const off = this.getLong(c + 8);
    const bar = this.bars[this.config[c + 4]];
    if (!bar || ![1, 2, 4].includes(len) || off % len !== 0 || off + len > bar.size) return undefined;
    return [bar.ops, off, len];
  }

  private notify(): void {
    const d = this.vdev;
    if (this.msix?.enabled) {
      // One shared "something happened" hook: vectors of every queue and of the config.
      if (d.isr & 2) this.msix.notify(this.configVector);
      if (d.isr & 1) for (const v of new Set(this.queueVectors)) this.msix.notify(v);
      d.isr = 0;
      return;
    }
    this.setIrq(d.isr !== 0);
  }

  private resetTransport(): void {
    this.dfselect = this.gfselect = this.queueSel = 0;
    this.configVector = VIRTIO_NO_VECTOR;
    this.queueVectors = this.vdev.vqs.map(() => VIRTIO_NO_VECTOR);
    this.vdev.reset();
  }

  /** Bus reset: PCI state and transport registers; the machine resets the virtio device itself. */
  override reset(): void {
    super.reset();
    this.msix?.reset();
    this.dfselect = this.gfselect = this.queueSel = 0;
    this.configVector = VIRTIO_NO_VECTOR;
    this.queueVectors = this.vdev.vqs.map(() => VIRTIO_NO_VECTOR);
  }

  private setStatus(value: number): void {
    const d = this.vdev;
    if (value === 0) { this.resetTransport(); return; }
    if (value & VirtioStatus.FEATURES_OK && !(d.guestFeatures & (1n << 32n))) value &= ~VirtioStatus.FEATURES_OK;
    d.status = value & 0xff;
  }

  private kick(q: number): void {
    const vq = this.vdev.vqs[q];
    if (!this.busMaster) { this.guestError(`queue ${q} notified without bus mastering`); return; }
    if (vq && vq.ready && this.vdev.driverOk) vq.handleOutput(vq);
  }

  private modernOps(): MemoryRegionOps {
    return {
      read: (off, size) => {
        const region = Math.floor(off / MODERN_REGION), o = off % MODERN_REGION;
        switch (region) {
          case 0: return this.commonRead(o, size);
          case 1: { const v = this.vdev.isr; this.vdev.isr = 0; this.setIrq(false); return v; }
          case 2: return this.vdev.readConfig(o, size);
        }
        return 0;
      },
      write: (off, size, value) => {
        const region = Math.floor(off / MODERN_REGION), o = off % MODERN_REGION;
        switch (region) {
          case 0: this.commonWrite(o, size, value); return;
          case 2: this.vdev.writeConfig(o, size, value); return;
          case 3: this.kick(Math.floor(o / NOTIFY_MULT)); return;
        }
      },
    };
  }

  private commonRead(off: number, size: number): number {
    const d = this.vdev;
    const vq = d.vqs[this.queueSel];
    const f = (sel: number) => (sel > 1 ? 0 : Number((d.hostFeatures >> BigInt(32 * sel)) & 0xffffffffn));
    switch (off) {
      case Common.DFSELECT: return this.dfselect;
      case Common.DF: return f(this.dfselect);
      case Common.GFSELECT: return this.gfselect;
      case Common.GF: return this.gfselect > 1 ? 0 : Number((d.guestFeatures >> BigInt(32 * this.gfselect)) & 0xffffffffn);
      case Common.MSIX: return this.configVector;
      case Common.NUMQ: return d.vqs.length;
      case Common.STATUS: return d.status;
      case Common.CFGGEN: return d.configGeneration & 0xff;
      case Common.Q_SELECT: return this.queueSel;
      case Common.Q_SIZE: return vq ? vq.num : 0;
      case Common.Q_MSIX: return vq ? this.queueVectors[this.queueSel] : VIRTIO_NO_VECTOR;
      case Common.Q_ENABLE: return vq?.ready ? 1 : 0;
      case Common.Q_NOFF: return this.queueSel;
      case Common.Q_DESCLO: return vq ? vq.descAddr >>> 0 : 0;
      case Common.Q_DESCHI: return vq ? Math.floor(vq.descAddr / 2 ** 32) : 0;
      case Common.Q_AVAILLO: return vq ? vq.availAddr >>> 0 : 0;
      case Common.Q_AVAILHI: return vq ? Math.floor(vq.availAddr / 2 ** 32) : 0;
      case Common.Q_USEDLO: return vq ? vq.usedAddr >>> 0 : 0;
      case Common.Q_USEDHI: return vq ? Math.floor(vq.usedAddr / 2 ** 32) : 0;
      case Common.Q_RESET: return 0; // a queue reset completes before the write returns
    }
    void size;
    return 0;
  }

  private commonWrite(off: number, size: number, value: number): void {
    const d = this.vdev;
    const vq = d.vqs[this.queueSel];
    value >>>= 0;
    const vector = (v: number) => (v < (this.msix?.nvectors ?? 0) ? v : VIRTIO_NO_VECTOR);
    switch (off) {
      case Common.DFSELECT: this.dfselect = value; return;
      case Common.GFSELECT: this.gfselect = value; return;
      case Common.GF:
        if (this.gfselect <= 1) {
          const shift = BigInt(32 * this.gfselect);
          d.guestFeatures = (d.guestFeatures & ~(0xffffffffn << shift)) | ((BigInt(value) << shift) & d.hostFeatures);
        }
        return;
      case Common.MSIX: this.configVector = vector(value & 0xffff); return;
      case Common.STATUS: this.setStatus(value & 0xff); return;
      case Common.Q_SELECT: this.queueSel = value & 0xffff; return;
      case Common.Q_SIZE:
        if (vq && value > 0 && value <= vq.numMax && (value & (value - 1)) === 0) vq.num = value;
        else this.guestError(`bad queue size ${value}`);
        return;
      case Common.Q_MSIX: if (vq) this.queueVectors[this.queueSel] = vector(value & 0xffff); return;
      case Common.Q_ENABLE: if (vq) vq.ready = (value & 1) === 1; return;
      case Common.Q_DESCLO: if (vq) vq.descAddr = setLo(vq.descAddr, value); return;
      case Common.Q_DESCHI: if (vq) vq.descAddr = setHi(vq.descAddr, value); return;
      case Common.Q_AVAILLO: if (vq) vq.availAddr = setLo(vq.availAddr, value); return;
      case Common.Q_AVAILHI: if (vq) vq.availAddr = setHi(vq.availAddr, value); return;
      case Common.Q_USEDLO: if (vq) vq.usedAddr = setLo(vq.usedAddr, value); return;
      case Common.Q_USEDHI: if (vq) vq.usedAddr = setHi(vq.usedAddr, value); return;
      case Common.Q_RESET:
        // virtio_queue_reset: the ring, its requests and its MSI-X vector (QEMU's Q_RESET write).
        if (vq && (value & 0xffff) === 1) {
          d.queueReset(this.queueSel);
          this.queueVectors[this.queueSel] = VIRTIO_NO_VECTOR;
        }
        return;
    }
    this.guestError(`write to read-only common config 0x${off.toString(16)} (size ${size})`);
  }

  /** Legacy (virtio 0.9.5) registers; the device config follows them (after the MSI-X vectors when enabled). */
  private legacyOps(): MemoryRegionOps {
    const cfgBase = () => (this.msix?.enabled ? 24 : 20);
    const vector = (v: number) => (v < (this.msix?.nvectors ?? 0) ? v : VIRTIO_NO_VECTOR);
    return {
      read: (off, size) => {
        const d = this.vdev;
        const vq = d.vqs[this.queueSel];
        if (off >= cfgBase()) return d.readConfig(off - cfgBase(), size);
        switch (off) {
          case Legacy.HOST_FEATURES: return Number((d.hostFeatures | d.legacyFeatures) & 0xffffffffn);
          case Legacy.GUEST_FEATURES: return Number(d.guestFeatures & 0xffffffffn);
          case Legacy.QUEUE_PFN: return vq ? Math.floor(vq.descAddr / 4096) : 0;
          case Legacy.QUEUE_NUM: return vq ? vq.numMax : 0;
          case Legacy.QUEUE_SEL: return this.queueSel;
          case Legacy.STATUS: return d.status;
          case Legacy.ISR: { const v = d.isr; d.isr = 0; this.setIrq(false); return v; }
          case Legacy.MSI_CONFIG_VECTOR: return this.configVector;
          case Legacy.MSI_QUEUE_VECTOR: return vq ? this.queueVectors[this.queueSel] : VIRTIO_NO_VECTOR;
        }
        return 0;
      },
      write: (off, size, value) => {
        const d = this.vdev;
        const vq = d.vqs[this.queueSel];
        if (off >= cfgBase()) { d.writeConfig(off - cfgBase(), size, value); return; }
        switch (off) {
          case Legacy.GUEST_FEATURES: d.guestFeatures = BigInt(value >>> 0) & (d.hostFeatures | d.legacyFeatures) & 0xffffffffn; return;
          case Legacy.QUEUE_PFN:
            if (!vq) return;
            if (value === 0) { this.resetTransport(); return; }
            vq.num = vq.numMax;
            vq.descAddr = (value >>> 0) * 4096;
            vq.availAddr = vq.descAddr + 16 * vq.num;
            vq.usedAddr = Math.ceil((vq.availAddr + 6 + 2 * vq.num) / 4096) * 4096;
            vq.ready = true;
            return;
          case Legacy.QUEUE_SEL: this.queueSel = value & 0xffff; return;
          case Legacy.QUEUE_NOTIFY: this.kick(value & 0xffff); return;
          case Legacy.STATUS: if ((value & 0xff) === 0) this.resetTransport(); else d.status = value & 0xff; return;
          case Legacy.MSI_CONFIG_VECTOR: this.configVector = vector(value); return;
          case Legacy.MSI_QUEUE_VECTOR: if (vq) this.queueVectors[this.queueSel] = vector(value); return;
        }
        this.guestError(`legacy write 0x${off.toString(16)} (size ${size})`);
      },
    };
  }
}

