// QMP `query-pci` (QEMU's hw/pci/pci-qmp-cmds.c): every function of the root bus, and below each
// bridge whose secondary bus the guest numbered, the functions of that bus. HMP `info pci`
// prints the same records (pci-hmp.ts), as QEMU's does.
import { PCIBarType, PCIConfig, PCI_BAR_UNMAPPED, PCI_FUNC, PCI_SLOT, type PCIBus, type PCIDevice } from './pci.js';
import { PCIBridge, PCIBridgeConfig } from './pci-bridge.js';

/** QEMU's pci_class_descriptions, the entries its virt board's devices can hit. */
const CLASS_NAMES: Record<number, string> = {
  0x0100: 'SCSI controller', 0x0101: 'IDE controller', 0x0106: 'SATA controller', 0x0180: 'Storage controller',
  0x0200: 'Ethernet controller', 0x0280: 'Network controller', 0x0300: 'VGA controller', 0x0600: 'Host bridge',
  0x0601: 'ISA bridge', 0x0604: 'PCI bridge', 0x0c03: 'USB controller',
};

export interface PciMemoryRange { base: number; limit: number }
export interface PciMemoryRegion {
  bar: number; type: 'io' | 'memory'; address: number; size: number; prefetch?: boolean; 'mem_type_64'?: boolean;
}
export interface PciBridgeInfo {
  bus: { number: number; secondary: number; subordinate: number;
    'io_range': PciMemoryRange; 'memory_range': PciMemoryRange; 'prefetchable_range': PciMemoryRange };
  devices?: PciDeviceInfo[];
}
export interface PciDeviceInfo {
  bus: number; slot: number; function: number;
  'class_info': { desc?: string; class: number };
  id: { device: number; vendor: number; subsystem?: number; 'subsystem-vendor'?: number };
  irq?: number; 'irq_pin': number; 'qdev_id': string;
  'pci_bridge'?: PciBridgeInfo;
  regions: PciMemoryRegion[];
}

/** The QMP `int` of a BAR's address: an unmapped BAR is PCI_BAR_UNMAPPED, -1 as int64. */
const barAddress = (addr: number) => (addr === PCI_BAR_UNMAPPED ? -1 : addr);

function regions(d: PCIDevice): PciMemoryRegion[] {
  const out: PciMemoryRegion[] = [];
  d.bars.forEach((r, bar) => {
    if (!r?.size) return;
    if (r.type & PCIBarType.IO) out.push({ bar, type: 'io', address: barAddress(r.addr), size: r.size });
    else {
      out.push({ bar, type: 'memory', address: barAddress(r.addr), size: r.size,
        prefetch: (r.type & PCIBarType.PREFETCH) !== 0, 'mem_type_64': (r.type & PCIBarType.MEM64) !== 0 });
    }
  });
  return out;
}

/** pci_find_bus_nr: the bus numbered `nr` below `root`, depth first (a bus's number is its bridge's secondary). */
function findBusNr(root: PCIBus, nr: number): PCIBus | undefined {
  for (const b of root.walk()) if ((b.parentDev?.secondaryBus ?? 0) === nr) return b;
  return undefined;
}

function bridgeInfo(d: PCIBridge, root: PCIBus): PciBridgeInfo {
  const range = (k: 'io' | 'mem' | 'pref'): PciMemoryRange => { const [base, limit] = d.window(k); return { base, limit }; };
  const info: PciBridgeInfo = {
    bus: { number: d.config[PCIBridgeConfig.PRIMARY_BUS], secondary: d.secondaryBus, subordinate: d.subordinateBus,
      'io_range': range('io'), 'memory_range': range('mem'), 'prefetchable_range': range('pref') },
  };
  const sec = d.secondaryBus;
  const child = sec !== 0 ? findBusNr(root, sec) : undefined;
  if (child) info.devices = devicesOf(child, sec, root);
  return info;
}

function deviceInfo(d: PCIDevice, busNr: number, root: PCIBus): PciDeviceInfo {
  const cls = d.getWord(PCIConfig.CLASS_DEVICE);
  const desc = CLASS_NAMES[cls];
  const info: PciDeviceInfo = {
    bus: busNr, slot: PCI_SLOT(d.devfn), function: PCI_FUNC(d.devfn),
    'class_info': desc ? { desc, class: cls } : { class: cls },
    id: { device: d.getWord(2), vendor: d.getWord(0) },
    'irq_pin': d.config[PCIConfig.INTERRUPT_PIN], 'qdev_id': d.id ?? '', regions: regions(d),
  };
  if (info.irq_pin) info.irq = d.config[PCIConfig.INTERRUPT_LINE];
  if (d instanceof PCIBridge) info.pci_bridge = bridgeInfo(d, root);
  else {
    // Type 0 header only: a bridge's 0x2c..0x2f is its prefetchable limit's upper half.
    info.id.subsystem = d.getWord(PCIConfig.SUBSYSTEM_ID);
    info.id['subsystem-vendor'] = d.getWord(PCIConfig.SUBSYSTEM_VENDOR_ID);
  }
  return info;
}

function devicesOf(bus: PCIBus, busNr: number, root: PCIBus): PciDeviceInfo[] {
  const out: PciDeviceInfo[] = [];
  for (const d of bus.devices) if (d) out.push(deviceInfo(d, busNr, root));
  return out;
}

/** qmp_query_pci: one entry per root bus (the virt board has one, bus 0). */
export function qmpQueryPci(root: PCIBus): Array<{ bus: number; devices: PciDeviceInfo[] }> {
  return [{ bus: 0, devices: devicesOf(root, 0, root) }];
}
