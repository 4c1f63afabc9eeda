// The generic PCIe host bridge (QEMU's hw/pci-host/gpex.c, "pci-host-ecam-generic" in the device
// tree): an ECAM window decoding config space for bus 0, an I/O port window and the 32/64-bit
// memory windows through which the CPU reaches BARs (PCI address = CPU address for memory, I/O
// port 0 at the PIO window's base), and four INTx lines swizzled as (pin + slot) % 4.
import type { AddressSpace, MemoryRegionOps } from '../../exec/memory.js';
import type { IRQ } from '../core/irq.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';
import { QemuError } from '../../qemu/error.js';
import { PCIBus, PCIDevice, PCI_SLOT, PCI_VENDOR_ID_REDHAT, type PCIIORegion } from '../pci/pci.js';

export const PCI_DEVICE_ID_REDHAT_PCIE_HOST = 0x0008;
export const GPEX_NUM_IRQS = 4;
const PCI_CLASS_BRIDGE_HOST = 0x060000;

export interface GPEXWindows {
  ecam: { base: number; size: number };
  pio: { base: number; size: number };
  mmio32: { base: number; size: number };
  mmio64: { base: number; size: number };
}

/** gpex-root: the host bridge's own function at 00:00.0. */
class GPEXRootDevice extends PCIDevice {
  constructor() {
    super('gpex-root', { vendorId: PCI_VENDOR_ID_REDHAT, deviceId: PCI_DEVICE_ID_REDHAT_PCIE_HOST, classCode: PCI_CLASS_BRIDGE_HOST });
  }
}

const ones = (size: number) => (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1);

export class GPEXHost {
  readonly bus: PCIBus;
  readonly root = new GPEXRootDevice();

  constructor(as: AddressSpace, readonly windows: GPEXWindows, irqs: IRQ[]) {
    this.bus = new PCIBus('pcie.0', irqs.slice(0, GPEX_NUM_IRQS), (devfn, pin) => (pin + PCI_SLOT(devfn)) % GPEX_NUM_IRQS);
    this.bus.plug(this.root, 0);
    as.addMmio('pcie-mmcfg-mmio', windows.ecam.base, windows.ecam.size, this.ecamOps());
    as.addMmio('gpex_ioport_window', windows.pio.base, windows.pio.size, this.windowOps(true, 0));
    as.addMmio('gpex_mmio_window', windows.mmio32.base, windows.mmio32.size, this.windowOps(false, windows.mmio32.base));
    as.addMmio('gpex_mmio_window_high', windows.mmio64.base, windows.mmio64.size, this.windowOps(false, windows.mmio64.base));
  }

  /** ECAM: offset = bus << 20 | devfn << 12 | register. Absent functions read all ones. */
  private ecamOps(): MemoryRegionOps {
    const dev = (off: number) => this.bus.findFunction(off >>> 20, (off >>> 12) & 0xff);
    return {
      read: (off, size) => {
        const d = dev(off);
        const reg = off & 0xfff;
        if (!d || reg & (size - 1)) return ones(size);
        return d.configRead(reg, size);
      },
      write: (off, size, value) => {
        const d = dev(off);
        const reg = off & 0xfff;
        if (d && !(reg & (size - 1))) d.configWrite(reg, size, value);
      },
    };
  }

  /** A window onto PCI I/O or memory space: dispatch to the BAR that decodes the address. */
  private windowOps(io: boolean, pciBase: number): MemoryRegionOps {
    const lookup = (off: number, size: number): [PCIIORegion, number] | undefined => {
      const addr = pciBase + off;
      const r = this.bus.find(io, addr, size);
      if (!r || addr + size > r.addr + r.size) {
        qemuLogMask(LogMask.LOG_GUEST_ERROR, `pcie.0: ${io ? 'I/O' : 'memory'} access to unassigned address 0x${addr.toString(16)}\n`);
        return undefined;
      }
      return [r, addr - r.addr];
    };
    return {
      read: (off, size) => {
        const hit = lookup(off, size);
        if (!hit) return io ? ones(size) : 0;
        return hit[0].ops.read(hit[1], size);
      },
      write: (off, size, value) => {
        const hit = lookup(off, size);
        if (hit) hit[0].ops.write(hit[1], size, value);
      },
      read64: (off) => {
        const hit = lookup(off, 8);
        if (!hit) return io ? -1n : 0n;
        const [r, o] = hit;
        if (r.ops.read64) return r.ops.read64(o);
        return BigInt(r.ops.read(o, 4) >>> 0) | (BigInt(r.ops.read(o + 4, 4) >>> 0) << 32n);
      },
      write64: (off, value) => {
        const hit = lookup(off, 8);
        if (!hit) return;
        const [r, o] = hit;
        if (r.ops.write64) { r.ops.write64(o, value); return; }
        r.ops.write(o, 4, Number(value & 0xffffffffn));
        r.ops.write(o + 4, 4, Number((value >> 32n) & 0xffffffffn));
      },
    };
  }

  /** pcie_chassis: chassis/slot pairs of the root ports; the next unnamed port bus's index. */
  readonly chassisSlots = new Set<string>();
  nextBusIndex = 1;

  /** -device X,addr=SLOT[.FN] on `bus`: the devfn to plug at, checked as QEMU's do_pci_register_device
   * and pci_init_multifunction; undefined addr = first free slot. */
  allocDevfn(addr: string | undefined, what: string, bus: PCIBus = this.bus, multifunction = false): number {
    let devfn: number;
    if (addr === undefined) {
      devfn = bus.freeDevfn(bus === this.bus ? 1 : 0);
      if (devfn < 0) throw new QemuError(`PCI: no slot/function available for ${what}, all in use or reserved`);
    } else {
      const m = /^(?:0x)?([0-9a-fA-F]{1,2})(?:\.(?:0x)?([0-7]))?$/.exec(addr);
      if (!m) throw new QemuError(`Property '${what}.addr' doesn't take value '${addr}'`);
      const slot = parseInt(m[1], 16);
      const fn = m[2] === undefined ? 0 : Number(m[2]);
      if (slot > 31) throw new QemuError(`Property '${what}.addr' doesn't take value '${addr}'`);
      devfn = (slot << 3) | fn;
      const taken = bus.devices[devfn];
      if (taken) {
        throw new QemuError(`PCI: slot ${slot} function ${fn} not available for ${what}, in use by ${taken.name},id "${taken.id}"`);
      }
    }
    const slot = PCI_SLOT(devfn), fn = devfn & 7;
    if (bus.parentDev && slot > 0) {
      throw new QemuError(`PCI: slot ${slot} is not valid for ${what}, parent device only allows plugging into slot 0.`);
    }
    const f0 = bus.devices[slot << 3];
    if (fn !== 0 && f0 && !(f0.config[0x0e] & 0x80)) {
      throw new QemuError(`PCI: single function device can't be populated in function ${slot.toString(16)}.${fn.toString(16)}`);
    }
    if (fn === 0 && !multifunction) {
      for (let f = 1; f < 8; f++) {
        if (bus.devices[(slot << 3) | f]) {
          throw new QemuError(`PCI: ${slot.toString(16)}.0 indicates single function, but ${slot.toString(16)}.${f.toString(16)} is already populated.`);
        }
      }
    }
    return devfn;
  }

  reset(): void {
    this.bus.reset();
  }
}
