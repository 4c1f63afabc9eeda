// A PCI-to-PCI bridge function (QEMU's hw/pci/pci_bridge.c): the type-1 header with primary,
// secondary and subordinate bus numbers, the I/O (16-bit), memory and 64-bit prefetchable
// windows the guest programs, the bridge control register, and the secondary bus it owns.
// Config cycles for bus numbers in [secondary, subordinate] and accesses inside an enabled
// window (command IO / MEMORY) go through it (PCIBus.findFunction / find).
import { PCIBus, PCICommand, PCIConfig, PCIDevice, type PCIBridgeLike, type PCIDeviceIds } from './pci.js';

export const enum PCIBridgeConfig {
  PRIMARY_BUS = 0x18, SECONDARY_BUS = 0x19, SUBORDINATE_BUS = 0x1a, SEC_LATENCY_TIMER = 0x1b,
  IO_BASE = 0x1c, IO_LIMIT = 0x1d, SEC_STATUS = 0x1e, MEMORY_BASE = 0x20, MEMORY_LIMIT = 0x22,
  PREF_MEMORY_BASE = 0x24, PREF_MEMORY_LIMIT = 0x26, PREF_BASE_UPPER32 = 0x28, PREF_LIMIT_UPPER32 = 0x2c,
  IO_BASE_UPPER16 = 0x30, IO_LIMIT_UPPER16 = 0x32, ROM_ADDRESS1 = 0x38, BRIDGE_CONTROL = 0x3e,
}

const PCI_HEADER_TYPE_BRIDGE = 1;
const PCI_PREF_RANGE_TYPE_64 = 0x1;
/** PCI_BRIDGE_CTL_PARITY | SERR | ISA | VGA | VGA_16BIT | MASTER_ABORT | BUS_RESET | FAST_BACK |
 * DISCARD | SEC_DISCARD | DISCARD_SERR (pci_init_mask_bridge). */
const BRIDGE_CTL_WMASK = 0x0bff;
/** The status bits that clear on a written 1 (PCI_STATUS_*), as in the secondary status. */
const SEC_STATUS_W1C = 0x0100 | 0x0800 | 0x1000 | 0x2000 | 0x4000 | 0x8000;

export class PCIBridge extends PCIDevice implements PCIBridgeLike {
  readonly secBus: PCIBus;

  constructor(name: string, ids: PCIDeviceIds, secBusName: string) {
    super(name, ids);
    const c = this.config, w = this.wmask;
    c[PCIConfig.HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
    this.setLong(PCIConfig.SUBSYSTEM_VENDOR_ID, 0); // type 1: the prefetchable limit's upper half lives there
    // pci_init_mask_bridge
    w.fill(0xff, PCIBridgeConfig.PRIMARY_BUS, PCIBridgeConfig.SEC_LATENCY_TIMER + 1);
    w[PCIBridgeConfig.IO_BASE] = 0xf0;
    w[PCIBridgeConfig.IO_LIMIT] = 0xf0;
    this.setWordMask(w, PCIBridgeConfig.MEMORY_BASE, 0xfff0);
    this.setWordMask(w, PCIBridgeConfig.MEMORY_LIMIT, 0xfff0);
    this.setWordMask(w, PCIBridgeConfig.PREF_MEMORY_BASE, 0xfff0);
    this.setWordMask(w, PCIBridgeConfig.PREF_MEMORY_LIMIT, 0xfff0);
    w.fill(0xff, PCIBridgeConfig.PREF_BASE_UPPER32, PCIBridgeConfig.PREF_LIMIT_UPPER32 + 4);
    this.setWordMask(w, PCIBridgeConfig.BRIDGE_CONTROL, BRIDGE_CTL_WMASK);
    this.setWordMask(this.w1cmask, PCIBridgeConfig.SEC_STATUS, SEC_STATUS_W1C);
    c[PCIBridgeConfig.PREF_MEMORY_BASE] |= PCI_PREF_RANGE_TYPE_64;
    c[PCIBridgeConfig.PREF_MEMORY_LIMIT] |= PCI_PREF_RANGE_TYPE_64;
    this.secBus = PCIBus.secondary(secBusName, this);
  }

  private setWordMask(m: Uint8Array, off: number, v: number): void { m[off] = v & 0xff; m[off + 1] = v >> 8; }

  protected override get barCount(): number { return 2; }

  get secondaryBus(): number { return this.config[PCIBridgeConfig.SECONDARY_BUS]; }
  get subordinateBus(): number { return this.config[PCIBridgeConfig.SUBORDINATE_BUS]; }

  /** pci_bridge_get_base / get_limit: the three windows, inclusive limits (base > limit: closed). */
  window(kind: 'io' | 'mem' | 'pref'): [number, number] {
    if (kind === 'io') {
      return [(this.config[PCIBridgeConfig.IO_BASE] & 0xf0) << 8, ((this.config[PCIBridgeConfig.IO_LIMIT] & 0xf0) << 8) | 0xfff];
    }
    if (kind === 'mem') {
      return [(this.getWord(PCIBridgeConfig.MEMORY_BASE) & 0xfff0) * 0x10000,
        (this.getWord(PCIBridgeConfig.MEMORY_LIMIT) & 0xfff0) * 0x10000 + 0xfffff];
    }
    return [(this.getWord(PCIBridgeConfig.PREF_MEMORY_BASE) & 0xfff0) * 0x10000 + this.getLong(PCIBridgeConfig.PREF_BASE_UPPER32) * 2 ** 32,
      (this.getWord(PCIBridgeConfig.PREF_MEMORY_LIMIT) & 0xfff0) * 0x10000 + 0xfffff + this.getLong(PCIBridgeConfig.PREF_LIMIT_UPPER32) * 2 ** 32];
  }

  forwards(io: boolean, addr: number, size: number): boolean {
    const cmd = this.command;
    const inside = ([b, l]: [number, number]) => addr >= b && addr + size - 1 <= l;
    if (io) return (cmd & PCICommand.IO) !== 0 && inside(this.window('io'));
    return (cmd & PCICommand.MEMORY) !== 0 && (inside(this.window('mem')) || inside(this.window('pref')));
  }

  /** pci_bridge_reset: bus numbers, windows (closed) and bridge control back to power-on. */
  override reset(): void {
    super.reset();
    const c = this.config;
    c.fill(0, PCIBridgeConfig.PRIMARY_BUS, PCIBridgeConfig.SUBORDINATE_BUS + 1);
    c[PCIBridgeConfig.IO_BASE] &= 0x0f;
    c[PCIBridgeConfig.IO_LIMIT] &= 0x0f;
    this.setWord(PCIBridgeConfig.MEMORY_BASE, 0);
    this.setWord(PCIBridgeConfig.MEMORY_LIMIT, 0);
    this.setWord(PCIBridgeConfig.PREF_MEMORY_BASE, PCI_PREF_RANGE_TYPE_64);
    this.setWord(PCIBridgeConfig.PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
    c.fill(0, PCIBridgeConfig.PREF_BASE_UPPER32, PCIBridgeConfig.PREF_LIMIT_UPPER32 + 4);
    this.setWord(PCIBridgeConfig.BRIDGE_CONTROL, 0);
  }
}
