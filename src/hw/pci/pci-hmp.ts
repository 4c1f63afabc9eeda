// HMP `info pci` in QEMU's layout (hmp_info_pci_device): one block per function with its class,
// IDs, interrupt pin and BARs. An unmapped BAR prints QEMU's all-ones address.
import { PCIBarType, PCIConfig, PCI_BAR_UNMAPPED, PCI_FUNC, PCI_SLOT, type PCIBus } from './pci.js';

/** QEMU's pci_class_descriptions, the entries its virt board's devices can hit. */
const CLASS_NAMES: Record<number, string> = {
  0x0100: 'SCSI controller', 0x0101: 'IDE controller', 0x0106: 'SATA controller', 0x0180: 'Storage controller',
  0x0200: 'Ethernet controller', 0x0280: 'Network controller', 0x0300: 'VGA controller', 0x0600: 'Host bridge',
  0x0601: 'ISA bridge', 0x0604: 'PCI bridge', 0x0c03: 'USB controller',
};

const hex = (v: bigint, w: number) => `0x${v.toString(16).padStart(w, '0')}`;

export function hmpInfoPci(bus: PCIBus): string {
  let out = '';
  bus.devices.forEach((d, devfn) => {
    if (!d) return;
    const cls = d.getWord(PCIConfig.CLASS_DEVICE);
    out += `  Bus  0, device ${String(PCI_SLOT(devfn)).padStart(3)}, function ${PCI_FUNC(devfn)}:\n`;
    out += `    ${CLASS_NAMES[cls] ?? `Class ${String(cls).padStart(4, '0')}`}: PCI device ${d.getWord(0).toString(16).padStart(4, '0')}:${d.getWord(2).toString(16).padStart(4, '0')}\n`;
    out += `      PCI subsystem ${d.getWord(PCIConfig.SUBSYSTEM_VENDOR_ID).toString(16).padStart(4, '0')}:${d.getWord(PCIConfig.SUBSYSTEM_ID).toString(16).padStart(4, '0')}\n`;
    const pin = d.config[PCIConfig.INTERRUPT_PIN];
    if (pin) out += `      IRQ ${d.config[PCIConfig.INTERRUPT_LINE]}, pin ${String.fromCharCode(64 + pin)}\n`;
    d.bars.forEach((r, i) => {
      if (!r) return;
      const addr = r.addr === PCI_BAR_UNMAPPED ? (1n << 64n) - 1n : BigInt(r.addr);
      const limit = BigInt.asUintN(64, addr + BigInt(r.size) - 1n);
      if (r.type & PCIBarType.IO) out += `      BAR${i}: I/O at ${hex(addr, 4)} [${hex(limit, 4)}].\n`;
      else {
        out += `      BAR${i}: ${r.type & PCIBarType.MEM64 ? 64 : 32} bit${r.type & PCIBarType.PREFETCH ? ' prefetchable' : ''} memory at ` +
          `${hex(addr, 8)} [${hex(limit, 8)}].\n`;
      }
    });
    out += `      id "${d.id}"\n`;
  });
  return out;
}
