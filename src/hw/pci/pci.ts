// PCI devices and the bus they sit on (QEMU's hw/pci/pci.c): a 256-byte type-0 configuration
// space with per-byte write masks (wmask) and write-one-to-clear masks (w1cmask), BARs that the
// bus maps into its I/O and memory spaces when the command register enables them, capability
// lists, INTx pins swizzled by the bus onto its host's interrupt lines, and bus mastering.
// A device declares BARs and its pin; it never computes an interrupt controller number.
import type { MemoryRegionOps } from '../../exec/memory.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

export const enum PCIConfig {
  VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION_ID = 0x08, CLASS_PROG = 0x09,
  CLASS_DEVICE = 0x0a, CACHE_LINE_SIZE = 0x0c, LATENCY_TIMER = 0x0d, HEADER_TYPE = 0x0e, BASE_ADDRESS_0 = 0x10,
  SUBSYSTEM_VENDOR_ID = 0x2c, SUBSYSTEM_ID = 0x2e, ROM_ADDRESS = 0x30, CAPABILITY_LIST = 0x34,
  INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d, CONFIG_SPACE_SIZE = 0x100,
}

export const enum PCICommand { IO = 0x1, MEMORY = 0x2, MASTER = 0x4, PARITY = 0x40, SERR = 0x100, INTX_DISABLE = 0x400 }
export const enum PCIStatus { INTERRUPT = 0x08, CAP_LIST = 0x10, SIG_TARGET_ABORT = 0x0800, REC_TARGET_ABORT = 0x1000,
  REC_MASTER_ABORT = 0x2000, SIG_SYSTEM_ERROR = 0x4000, DETECTED_PARITY = 0x8000, MASTER_PARITY = 0x0100 }
export const enum PCIBarType { IO = 0x1, MEM32 = 0x0, MEM64 = 0x4, PREFETCH = 0x8 }

export const PCI_VENDOR_ID_REDHAT = 0x1b36;
export const PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4;
export const PCI_SUBDEVICE_ID_QEMU = 0x1100;
export const PCI_NUM_REGIONS = 6;
export const PCI_BAR_UNMAPPED = -1;

export const PCI_SLOT = (devfn: number) => devfn >> 3;
export const PCI_FUNC = (devfn: number) => devfn & 7;

export interface PCIIORegion {
  size: number;
  /** PCIBarType bits as they read in the BAR's low nibble. */
  type: number;
  ops: MemoryRegionOps;
  name: string;
  /** Where the bus currently decodes it (PCI address), or PCI_BAR_UNMAPPED. */
  addr: number;
}

/** What a device sees of its bus: interrupt routing and "my BARs or command changed". */
export interface PCIBusHooks {
  setIrq(dev: PCIDevice, pin: number, level: boolean): void;
  mappingsChanged(dev: PCIDevice): void;
}

export interface PCIDeviceIds {
  vendorId: number;
  deviceId: number;
  revision?: number;
  /** 24-bit class code: base class, sub class, programming interface. */
  classCode: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** 1 = INTA# ... 4 = INTD#; 0 = no pin. */
  interruptPin?: number;
  /** PCIe: 4 KiB of configuration space (PCIE_CONFIG_SPACE_SIZE) instead of 256 bytes. */
  express?: boolean;
}

export const PCIE_CONFIG_SPACE_SIZE = 0x1000;

const le = (a: Uint8Array, off: number, size: number) => {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + a[off + i];
  return v;
};

export class PCIDevice {
  readonly config: Uint8Array;
  readonly wmask: Uint8Array;
  readonly w1cmask: Uint8Array;
  /** Bytes claimed by the header and capabilities (pci_find_space). */
  private readonly used: Uint8Array;
  readonly bars: Array<PCIIORegion | undefined> = new Array(PCI_NUM_REGIONS).fill(undefined);
  devfn = -1;
  /** The -device id= (HMP `info pci`). */
  id = '';
  bus: PCIBusHooks | undefined;
  private intxLevel = false;

  constructor(readonly name: string, ids: PCIDeviceIds) {
    const n = ids.express ? PCIE_CONFIG_SPACE_SIZE : PCIConfig.CONFIG_SPACE_SIZE;
    this.config = new Uint8Array(n);
    this.wmask = new Uint8Array(n);
    this.w1cmask = new Uint8Array(n);
    this.used = new Uint8Array(n);
    const c = this.config;
    this.setWord(PCIConfig.VENDOR_ID, ids.vendorId);
    this.setWord(PCIConfig.DEVICE_ID, ids.deviceId);
    c[PCIConfig.REVISION_ID] = ids.revision ?? 0;
    c[PCIConfig.CLASS_PROG] = ids.classCode & 0xff;
    this.setWord(PCIConfig.CLASS_DEVICE, ids.classCode >> 8);
    this.setWord(PCIConfig.SUBSYSTEM_VENDOR_ID, ids.subsystemVendorId ?? PCI_VENDOR_ID_REDHAT_QUMRANET);
    this.setWord(PCIConfig.SUBSYSTEM_ID, ids.subsystemId ?? PCI_SUBDEVICE_ID_QEMU);
    c[PCIConfig.INTERRUPT_PIN] = ids.interruptPin ?? 0;
    this.used.fill(1, 0, 0x40);
    // pci_init_wmask / pci_init_w1cmask
    this.setMask(this.wmask, PCIConfig.COMMAND, 2, PCICommand.IO | PCICommand.MEMORY | PCICommand.MASTER |
      PCICommand.PARITY | PCICommand.SERR | PCICommand.INTX_DISABLE);
    this.wmask[PCIConfig.CACHE_LINE_SIZE] = 0xff;
    this.wmask[PCIConfig.INTERRUPT_LINE] = 0xff;
    this.setMask(this.w1cmask, PCIConfig.STATUS, 2, PCIStatus.MASTER_PARITY | PCIStatus.SIG_TARGET_ABORT |
      PCIStatus.REC_TARGET_ABORT | PCIStatus.REC_MASTER_ABORT | PCIStatus.SIG_SYSTEM_ERROR | PCIStatus.DETECTED_PARITY);
  }

  setWord(off: number, v: number): void { this.config[off] = v & 0xff; this.config[off + 1] = (v >> 8) & 0xff; }
  setLong(off: number, v: number): void { for (let i = 0; i < 4; i++) this.config[off + i] = (v >>> (8 * i)) & 0xff; }
  getWord(off: number): number { return le(this.config, off, 2); }
  getLong(off: number): number { return le(this.config, off, 4); }
  private setMask(m: Uint8Array, off: number, size: number, v: number): void {
    for (let i = 0; i < size; i++) m[off + i] = (v >>> (8 * i)) & 0xff;
  }

  get command(): number { return this.getWord(PCIConfig.COMMAND); }
  /** Bus master enable: a device may DMA only while this is set. */
  get busMaster(): boolean { return (this.command & PCICommand.MASTER) !== 0; }

  /** pci_register_bar: `size` a power of two (>= 4 for I/O, >= 16 for memory). */
  registerBar(index: number, size: number, type: number, ops: MemoryRegionOps, name: string): void {
    this.bars[index] = { size, type, ops, name, addr: PCI_BAR_UNMAPPED };
    const off = PCIConfig.BASE_ADDRESS_0 + 4 * index;
    this.setLong(off, type);
    const mask = type & PCIBarType.IO ? ~(size - 1) & ~3 : ~(size - 1) & ~0xf;
    this.setMask(this.wmask, off, 4, mask);
    if (type & PCIBarType.MEM64) {
      const hiMask = size > 2 ** 32 ? ~(size / 2 ** 32 - 1) : 0xffffffff;
      this.setMask(this.wmask, off + 4, 4, hiMask);
    }
  }

  /** A PCI Express function (4 KiB of configuration space). */
  get express(): boolean { return this.config.length === PCIE_CONFIG_SPACE_SIZE; }

  /** pci_add_capability: at `at`, or (0) the first free run at or after 0x40; linked at the head. */
  addCapability(id: number, size: number, at = 0): number {
    let off = at || 0x40;
    for (; !at && off + size <= PCIConfig.CONFIG_SPACE_SIZE; off += 4) {
      if (this.used.subarray(off, off + size).every((b) => b === 0)) break;
    }
    if (off + size > PCIConfig.CONFIG_SPACE_SIZE) throw new Error(`${this.name}: no room for capability 0x${id.toString(16)}`);
    this.used.fill(1, off, off + ((size + 3) & ~3));
    this.config[off] = id;
    this.config[off + 1] = this.config[PCIConfig.CAPABILITY_LIST];
    this.config[PCIConfig.CAPABILITY_LIST] = off;
    this.config[PCIConfig.STATUS] |= PCIStatus.CAP_LIST;
    return off;
  }

  /** Address a BAR decodes at under the current command register (pci_bar_address). */
  barAddress(index: number): number {
    const r = this.bars[index];
    if (!r) return PCI_BAR_UNMAPPED;
    const off = PCIConfig.BASE_ADDRESS_0 + 4 * index;
    const cmd = this.command;
    if (r.type & PCIBarType.IO) {
      if (!(cmd & PCICommand.IO)) return PCI_BAR_UNMAPPED;
      const a = (this.getLong(off) & ~(r.size - 1)) >>> 0;
      return a === 0 || a + r.size - 1 >= 0xffffffff ? PCI_BAR_UNMAPPED : a;
    }
    if (!(cmd & PCICommand.MEMORY)) return PCI_BAR_UNMAPPED;
    let a = (this.getLong(off) & ~0xf) >>> 0;
    if (r.type & PCIBarType.MEM64) a += this.getLong(off + 4) * 2 ** 32;
    a -= a % r.size;
    return a === 0 || a + r.size > 2 ** 53 ? PCI_BAR_UNMAPPED : a;
  }

  /** pci_default_read_config (config space is little-endian). */
  configRead(addr: number, size: number): number {
    if (addr + size > this.config.length) return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    return le(this.config, addr, size);
  }

  /** pci_default_write_config: masked bytes, W1C status bits, then BAR/command side effects. */
  configWrite(addr: number, size: number, value: number): void {
    if (addr + size > this.config.length) return;
    const oldCmd = this.command;
    for (let i = 0; i < size; i++) {
      const a = addr + i;
      const b = (value >>> (8 * i)) & 0xff;
      const w = this.wmask[a], c = this.w1cmask[a];
      this.config[a] = (this.config[a] & ~w) | (b & w);
      this.config[a] &= ~(b & c);
    }
    const touches = (lo: number, hi: number) => addr < hi && lo < addr + size;
    if (touches(PCIConfig.BASE_ADDRESS_0, PCIConfig.BASE_ADDRESS_0 + 4 * this.barCount) || touches(PCIConfig.COMMAND, PCIConfig.COMMAND + 2)) {
      this.bus?.mappingsChanged(this);
    }
    if ((oldCmd ^ this.command) & PCICommand.INTX_DISABLE) this.routeIntx();
  }

  /** BARs in the header: 6 (type 0), 2 (type 1, a bridge). */
  protected get barCount(): number { return PCI_NUM_REGIONS; }

  /** pci_set_irq on the device's pin (level), masked by INTX_DISABLE; STATUS.INTERRUPT shows it. */
  setIrq(level: boolean): void {
    if (level) this.config[PCIConfig.STATUS] |= PCIStatus.INTERRUPT;
    else this.config[PCIConfig.STATUS] &= ~PCIStatus.INTERRUPT;
    this.routeIntx();
  }

  private routeIntx(): void {
    const pin = this.config[PCIConfig.INTERRUPT_PIN];
    if (!pin || !this.bus) return;
    const level = (this.config[PCIConfig.STATUS] & PCIStatus.INTERRUPT) !== 0 && !(this.command & PCICommand.INTX_DISABLE);
    if (level === this.intxLevel) return;
    this.intxLevel = level;
    this.bus.setIrq(this, pin - 1, level);
  }

  /** pci_device_reset: command, status bits, BARs and interrupt line back to power-on values. */
  reset(): void {
    this.setIrq(false);
    this.setWord(PCIConfig.COMMAND, 0);
    this.config[PCIConfig.STATUS] &= ~PCIStatus.INTERRUPT;
    this.config[PCIConfig.CACHE_LINE_SIZE] = 0;
    this.config[PCIConfig.LATENCY_TIMER] = 0;
    this.config[PCIConfig.INTERRUPT_LINE] = 0;
    for (let i = 0; i < PCI_NUM_REGIONS; i++) {
      const r = this.bars[i];
      if (!r) continue;
      this.setLong(PCIConfig.BASE_ADDRESS_0 + 4 * i, r.type);
      if (r.type & PCIBarType.MEM64) this.setLong(PCIConfig.BASE_ADDRESS_0 + 4 * i + 4, 0);
    }
    this.bus?.mappingsChanged(this);
  }

  protected guestError(why: string): void {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `${this.name}: ${why}\n`);
  }
}

/** What a bus needs of a PCI-to-PCI bridge on it to route config cycles and accesses (pci-bridge.ts). */
export interface PCIBridgeLike extends PCIDevice {
  readonly secBus: PCIBus;
  /** Secondary and subordinate bus numbers as the guest programmed them. */
  readonly secondaryBus: number;
  readonly subordinateBus: number;
  /** Does the bridge forward [addr, addr+size) of this space to its secondary bus? */
  forwards(io: boolean, addr: number, size: number): boolean;
}

const isBridge = (d: PCIDevice | undefined): d is PCIBridgeLike => d !== undefined && 'secBus' in d;

/** One PCI bus: 32 slots x 8 functions. The root bus swizzles INTx onto its host's `nirq` lines;
 * a bridge's secondary bus swizzles onto the bridge's own pins (pci_swizzle_map_irq_fn). */
export class PCIBus implements PCIBusHooks {
  readonly devices: Array<PCIDevice | undefined> = new Array(256).fill(undefined);
  /** BARs currently decoded, per space. */
  readonly ioMapped: PCIIORegion[] = [];
  readonly memMapped: PCIIORegion[] = [];
  private readonly irqCount: number[];
  /** The bridge this bus is the secondary bus of (undefined: a root bus). */
  parentDev: PCIBridgeLike | undefined;

  constructor(readonly name: string, private readonly irqs: Array<{ set(level: boolean): void }>,
    private readonly mapIrq: (devfn: number, pin: number) => number) {
    this.irqCount = irqs.map(() => 0);
  }

  /** A bridge's secondary bus: INTx of device d, pin p comes out of the bridge's pin (p + slot(d)) % 4. */
  static secondary(name: string, bridge: PCIBridgeLike): PCIBus {
    const b = new PCIBus(name, [], (devfn, pin) => (pin + PCI_SLOT(devfn)) % 4);
    b.parentDev = bridge;
    return b;
  }

  /** PCIe: a root bus of a PCIe host or a port's secondary bus (pci_bus_is_express). */
  isExpress = true;

  /** The lowest free slot at or above `from` (function 0), or -1. */
  freeDevfn(from = 0): number {
    for (let slot = from; slot < 32; slot++) if (!this.devices[slot << 3]) return slot << 3;
    return -1;
  }

  plug(dev: PCIDevice, devfn: number): void {
    dev.devfn = devfn;
    dev.bus = this;
    this.devices[devfn] = dev;
  }

  setIrq(dev: PCIDevice, pin: number, level: boolean): void {
    const p = this.parentDev;
    if (p) {
      // pci_change_irq_level: up through the bridge, swizzled, to the root bus's lines.
      p.bus?.setIrq(p, this.mapIrq(dev.devfn, pin), level);
      return;
    }
    const line = this.mapIrq(dev.devfn, pin);
    const before = this.irqCount[line] > 0;
    this.irqCount[line] += level ? 1 : -1;
    const after = this.irqCount[line] > 0;
    if (before !== after) this.irqs[line].set(after);
  }

  mappingsChanged(dev: PCIDevice): void {
    dev.bars.forEach((r, i) => {
      if (!r) return;
      const addr = dev.barAddress(i);
      if (addr === r.addr) return;
      const list = r.type & PCIBarType.IO ? this.ioMapped : this.memMapped;
      const at = list.indexOf(r);
      if (at >= 0) list.splice(at, 1);
      r.addr = addr;
      if (addr !== PCI_BAR_UNMAPPED) list.push(r);
    });
  }

  /** The BAR decoding PCI address `addr` in one space (the most recent mapping wins an overlap);
   * below a bridge only where the bridge's window (and command register) forwards it. */
  find(io: boolean, addr: number, size = 1): PCIIORegion | undefined {
    const list = io ? this.ioMapped : this.memMapped;
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i];
      if (addr >= r.addr && addr < r.addr + r.size) return r;
    }
    for (const d of this.devices) {
      if (isBridge(d) && d.forwards(io, addr, size)) {
        const r = d.secBus.find(io, addr, size);
        if (r) return r;
      }
    }
    return undefined;
  }

  /** The function a type-1 config cycle to bus `busNr` reaches from this (root) bus: through the
   * bridge whose secondary bus it is, or whose [secondary, subordinate] range holds it. */
  findFunction(busNr: number, devfn: number, myNr = 0): PCIDevice | undefined {
    if (busNr === myNr) return this.devices[devfn];
    for (const d of this.devices) {
      if (!isBridge(d)) continue;
      const sec = d.secondaryBus, sub = d.subordinateBus;
      if (sec === 0 || busNr < sec || busNr > sub) continue;
      return d.secBus.findFunction(busNr, devfn, sec);
    }
    return undefined;
  }

  /** Every bus below this one, depth first (this one first). */
  *walk(): Generator<PCIBus> {
    yield this;
    for (const d of this.devices) if (isBridge(d)) yield* d.secBus.walk();
  }

  reset(): void {
    for (const d of this.devices) {
      d?.reset();
      if (isBridge(d)) d.secBus.reset();
    }
  }
}
