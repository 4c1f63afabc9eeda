// device_add / device_del on riscv64 `virt`: QEMU's buses there (pcie.0 without root ports, the
// virtio-mmio transports, sd-bus) take no hot-plugged device, so QEMU refuses both after
// finding the bus; tsqemu answers the same, with QEMU's checks in QEMU's order, instead of
// CommandNotFound (libvirt's attach-device/detach-device then report QEMU's reason).
import { QmpError, registerCommand } from '../monitor/monitor.js';
import type { JsonValue } from '../monitor/json-stream.js';
import { parseQemuOpts } from '../qemu/option.js';
import { findDevice } from '../hw/core/qdev.js';
import { mmioBusIndex } from '../hw/riscv/virt-mmio-slots.js';
import { VIRTIO_COUNT } from '../hw/riscv/virt-memmap.js';
import { qemuOnlyDevice } from '../system/vl-unsupported.js';

/** A -device with an id, and the bus it sits on (pcie.0, virtio-mmio-bus.N, sd-bus). */
export interface PluggedDevice { id: string; bus: string }

interface HotplugView {
  devices(): PluggedDevice[];
  /** The virtio-mmio transports in use (a device without bus= would take the highest free one). */
  usedMmio(): boolean[];
  /** PCI buses: pcie.0 and the root ports' secondary buses. */
  pciBuses?(): string[];
}

let view: HotplugView = { devices: () => [], usedMmio: () => [] };

export function setHotplugView(v: HotplugView): void {
  view = v;
}

const MMIO = ['virtio-blk-device', 'virtio-rng-device', 'virtio-balloon-device', 'virtio-net-device', 'virtio-9p-device', 'virtio-serial-device'];
const PCI = ['virtio-net-pci', 'virtio-net', 'virtio-9p-pci'];
const SD = ['sd-card', 'emmc'];

const refuse = (bus: string) => new QmpError('GenericError', `Bus '${bus}' does not support hotplugging`);

function deviceAdd(a: Record<string, JsonValue>): never {
  const driver = String(a.driver);
  const bus = a.bus === undefined ? undefined : String(a.bus);
  const gen = (m: string) => new QmpError('GenericError', m);
  if (MMIO.includes(driver)) {
    if (bus !== undefined) {
      try { mmioBusIndex(bus, driver, VIRTIO_COUNT); } catch (e) { throw gen((e as Error).message); }
      throw refuse(bus);
    }
    const free = view.usedMmio().lastIndexOf(false);
    if (free < 0) throw gen(`No 'virtio-bus' bus found for device '${driver}'`);
    throw refuse(`virtio-mmio-bus.${free}`);
  }
  if (SD.includes(driver)) {
    if (!view.devices().some((d) => d.bus === 'sd-bus')) throw gen(`No 'sd-bus' bus found for device '${driver}'`);
    throw refuse('sd-bus');
  }
  const dc = findDevice(driver);
  if (dc?.bus === 'virtio-serial-bus') {
    // QEMU hot-plugs ports onto a virtio-serial bus (PORT_ADD); tsqemu's ports are cold-plugged only.
    throw gen(`Bus '${bus ?? 'virtio-serial-bus'}': hot-plugging a virtio-serial port is not supported by tsqemu`);
  }
  if ((dc && dc.bus === 'PCI') || PCI.includes(driver) || qemuOnlyDevice(driver)) {
    if (bus !== undefined && bus !== 'pcie.0' && view.pciBuses?.().includes(bus)) {
      // QEMU hot-plugs into a root port's slot (pciehp); tsqemu's root ports have no hot-plug controller.
      throw gen(`Bus '${bus}': hot-plug into a pcie-root-port is not supported by tsqemu`);
    }
    if (bus !== undefined && bus !== 'pcie.0') {
      throw gen(/^virtio-mmio-bus\.[0-7]$/.test(bus) ? `Device '${driver}' can't go on virtio-mmio-bus bus` : `Bus '${bus}' not found`);
    }
    throw refuse('pcie.0');
  }
  throw gen(`'${driver}' is not a valid device model name`);
}

registerCommand({
  name: 'device_add', openArgs: true,
  args: [{ name: 'driver', type: 'str' }, { name: 'bus', type: 'str', optional: true }, { name: 'id', type: 'str', optional: true }],
  hmp: {
    names: 'device_add', params: 'driver[,prop=value][,...]', help: 'add device, like -device on the command line',
    parse: (_w, rest) => Object.fromEntries(parseQemuOpts(rest, 'driver')),
  },
  run: (a) => deviceAdd(a),
});

registerCommand({
  name: 'device_del', args: [{ name: 'id', type: 'str' }],
  hmp: { names: 'device_del', params: 'device', help: 'remove device', parse: (w) => ({ id: w[0] ?? '' }) },
  run: (a) => {
    const id = String(a.id);
    const short = id.startsWith('/machine/peripheral/') ? id.slice('/machine/peripheral/'.length) : id;
    const d = view.devices().find((x) => x.id === short);
    if (!d) throw new QmpError('DeviceNotFound', `Device '${id}' not found`);
    throw refuse(d.bus);
  },
});
