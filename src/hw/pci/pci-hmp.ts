// HMP `info pci` in QEMU's layout (hmp_info_pci_device over query-pci's records): one block per
// function with its class, IDs, interrupt pin, a bridge's bus numbers and windows, the BARs, and
// after a bridge the functions on its secondary bus. An unmapped BAR prints QEMU's all-ones address;
// an unnamed class prints its number in decimal ("Class %04" PRId64), as QEMU's does.
import type { PCIBus } from './pci.js';
import { qmpQueryPci, type PciDeviceInfo } from './pci-query.js';

const hex = (v: bigint, w: number) => `0x${v.toString(16).padStart(w, '0')}`;
const h4 = (v: number) => v.toString(16).padStart(4, '0');
/** The int64 QMP value as the uint64 QEMU's PRIx64 prints. */
const u64 = (v: number) => BigInt.asUintN(64, BigInt(v));

function device(d: PciDeviceInfo): string {
  let out = `  Bus ${String(d.bus).padStart(2)}, device ${String(d.slot).padStart(3)}, function ${d.function}:\n`;
  out += `    ${d.class_info.desc ?? `Class ${String(d.class_info.class).padStart(4, '0')}`}: PCI device ${h4(d.id.vendor)}:${h4(d.id.device)}\n`;
  if (d.id.subsystem !== undefined && d.id['subsystem-vendor'] !== undefined) {
    out += `      PCI subsystem ${h4(d.id['subsystem-vendor'])}:${h4(d.id.subsystem)}\n`;
  }
  if (d.irq !== undefined) out += `      IRQ ${d.irq}, pin ${String.fromCharCode(64 + d.irq_pin)}\n`;
  const b = d.pci_bridge?.bus;
  if (b) {
    out += `      BUS ${b.number}.\n      secondary bus ${b.secondary}.\n      subordinate bus ${b.subordinate}.\n`;
    out += `      IO range [${hex(u64(b.io_range.base), 4)}, ${hex(u64(b.io_range.limit), 4)}]\n`;
    out += `      memory range [${hex(u64(b.memory_range.base), 8)}, ${hex(u64(b.memory_range.limit), 8)}]\n`;
    out += `      prefetchable memory range [${hex(u64(b.prefetchable_range.base), 8)}, ${hex(u64(b.prefetchable_range.limit), 8)}]\n`;
  }
  for (const r of d.regions) {
    const addr = u64(r.address), limit = BigInt.asUintN(64, addr + BigInt(r.size) - 1n);
    if (r.type === 'io') out += `      BAR${r.bar}: I/O at ${hex(addr, 4)} [${hex(limit, 4)}].\n`;
    else out += `      BAR${r.bar}: ${r.mem_type_64 ? 64 : 32} bit${r.prefetch ? ' prefetchable' : ''} memory at ${hex(addr, 8)} [${hex(limit, 8)}].\n`;
  }
  out += `      id "${d.qdev_id}"\n`;
  for (const c of d.pci_bridge?.devices ?? []) out += device(c);
  return out;
}

export function hmpInfoPci(bus: PCIBus): string {
  return qmpQueryPci(bus).map((b) => b.devices.map(device).join('')).join('');
}
