// The part of QEMU's object model the monitor shows: the types tsqemu implements (for
// qom-list-types and -list-properties), and the composition tree /machine/... for qom-list and
// qom-get. Only what exists is listed: libvirt decides what to use from these lists.
import { QmpError } from './commands.js';
import type { JsonObject, JsonValue } from './json-stream.js';
import type { MonitorContext } from './vm.js';
import { QEMU_VERSION } from '../system/vl.js';

export { QEMU_VERSION };
/** query-version's "package" (QEMU puts the distribution's version there). */
export const TSQEMU_PACKAGE = 'tsqemu';

type Prop = { name: string; type: string; description?: string; 'default-value'?: JsonValue };
interface QomType { parent?: string; abstract?: boolean; device?: boolean; props: Prop[] }

const p = (name: string, type: string, description?: string): Prop => (description ? { name, description, type } : { name, type });

const TYPES: Record<string, QomType> = {
  object: { abstract: true, props: [p('type', 'string')] },
  machine: { parent: 'object', abstract: true, props: [] },
  'virt-machine': { parent: 'machine', props: [
    p('type', 'string'), p('kernel', 'string', 'Linux kernel image file'), p('initrd', 'string', 'Linux initial ramdisk file'),
    p('append', 'string', 'Linux kernel command line'), p('dtb', 'string', 'Linux kernel device tree file'),
    p('dumpdtb', 'string', 'Dump current dtb to a file and quit'), p('usb', 'bool', 'Set on/off to enable/disable usb'),
    p('dump-guest-core', 'bool', 'Include guest memory in a core dump'), p('smp', 'SMPConfiguration', 'CPU topology'),
  ] },
  'none-machine': { parent: 'machine', props: [p('type', 'string')] },
  accel: { parent: 'object', abstract: true, props: [] },
  'tcg-accel': { parent: 'accel', props: [p('type', 'string'), p('one-insn-per-tb', 'bool'), p('tb-size', 'int')] },
  device: { parent: 'object', abstract: true, props: [] },
  'sys-bus-device': { parent: 'device', abstract: true, props: [] },
  'virtio-mmio': { parent: 'sys-bus-device', device: true, props: [p('format_transport_address', 'bool'), p('force-legacy', 'bool')] },
  'virtio-device': { parent: 'device', abstract: true, props: [] },
  'virtio-blk-device': { parent: 'virtio-device', device: true, props: [
    p('drive', 'str', 'Node name or ID of a block device to use as a backend'), p('serial', 'str'),
    p('werror', 'BlockdevOnError', 'Error handling policy, report/ignore/enospc/stop/auto'),
    p('rerror', 'BlockdevOnError', 'Error handling policy, report/ignore/enospc/stop/auto'),
  ] },
  'virtio-rng-device': { parent: 'virtio-device', device: true, props: [] },
  'virtio-serial-device': { parent: 'virtio-device', device: true, props: [p('max_ports', 'uint32'), p('emergency-write', 'bool', 'on/off')] },
  'virtio-balloon-device': { parent: 'virtio-device', device: true, props: [
    p('guest-stats', 'guest statistics'), p('guest-stats-polling-interval', 'int'),
  ] },
  'pci-device': { parent: 'device', abstract: true, props: [] },
  'base-pci-bridge': { parent: 'pci-device', abstract: true, props: [] },
  'pcie-port': { parent: 'base-pci-bridge', abstract: true, props: [] },
  'pcie-slot': { parent: 'pcie-port', abstract: true, props: [] },
  'pcie-root-port-base': { parent: 'pcie-slot', abstract: true, props: [] },
  'pcie-root-port': { parent: 'pcie-root-port-base', device: true, props: [
    p('port', 'uint8'), p('chassis', 'uint8'), p('slot', 'uint16'), p('multifunction', 'bool', 'on/off'), p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06'),
  ] },
  'virtio-pci': { parent: 'pci-device', abstract: true, props: [] },
  'virtio-blk-pci-base': { parent: 'virtio-pci', abstract: true, props: [] },
  'virtio-net-pci-base': { parent: 'virtio-pci', abstract: true, props: [] },
  'virtio-balloon-pci-base': { parent: 'virtio-pci', abstract: true, props: [] },
  'virtio-blk-pci': { parent: 'virtio-blk-pci-base', device: true, props: [
    p('drive', 'str', 'Node name or ID of a block device to use as a backend'), p('serial', 'str'), p('bootindex', 'int32'),
    p('write-cache', 'OnOffAuto', 'on/off/auto'), p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06'),
    // libvirt reads QEMU_CAPS_VIRTIO_PCI_DISABLE_LEGACY here: virtio-pci devices may go on PCIe ports
    // (behind one they are modern-only, QEMU's disable-legacy=auto; the property itself is not settable here).
    p('disable-legacy', 'OnOffAuto'),
  ] },
  'virtio-blk-pci-non-transitional': { parent: 'virtio-blk-pci-base', device: true, props: [
    p('drive', 'str', 'Node name or ID of a block device to use as a backend'), p('serial', 'str'), p('bootindex', 'int32'),
    p('write-cache', 'OnOffAuto', 'on/off/auto'), p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06'),
  ] },
  'virtio-net-pci': { parent: 'virtio-net-pci-base', device: true, props: [
    p('netdev', 'str', 'ID of a netdev to use as a backend'), p('mac', 'str', 'Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56'),
    p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06'), p('disable-legacy', 'OnOffAuto'),
  ] },
  'virtio-balloon-pci': { parent: 'virtio-balloon-pci-base', device: true, props: [
    p('guest-stats', 'guest statistics'), p('guest-stats-polling-interval', 'int'), p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06'),
    p('disable-legacy', 'OnOffAuto'),
  ] },
  'virtio-serial-pci-base': { parent: 'virtio-pci', abstract: true, props: [] },
  'virtio-serial-pci': { parent: 'virtio-serial-pci-base', device: true, props: [
    p('max_ports', 'uint32'), p('emergency-write', 'bool', 'on/off'), p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06'),
  ] },
  'virtio-serial-pci-non-transitional': { parent: 'virtio-serial-pci-base', device: true, props: [
    p('max_ports', 'uint32'), p('emergency-write', 'bool', 'on/off'), p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06'),
  ] },
  'virtio-balloon-pci-non-transitional': { parent: 'virtio-balloon-pci-base', device: true, props: [
    p('guest-stats', 'guest statistics'), p('guest-stats-polling-interval', 'int'), p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06'),
  ] },
  'virtio-serial-port': { parent: 'device', abstract: true, props: [] },
  virtserialport: { parent: 'virtio-serial-port', device: true, props: [p('chardev', 'str', 'ID of a chardev to use as a backend'), p('name', 'str'), p('nr', 'uint32')] },
  virtconsole: { parent: 'virtserialport', device: true, props: [p('chardev', 'str', 'ID of a chardev to use as a backend'), p('name', 'str'), p('nr', 'uint32')] },
  'sys-bus-device-pcihost': { parent: 'sys-bus-device', abstract: true, props: [] },
  'pcie-host-bridge': { parent: 'sys-bus-device-pcihost', abstract: true, props: [] },
  'gpex-pcihost': { parent: 'pcie-host-bridge', props: [] },
  // With gpex-pcihost and a virtio-pci (non-)transitional type listed, libvirt 9.0 uses QEMU's PCIe layout
  // (pcie-root-port, virtio-*-pci behind them; README libvirt).
  'riscv-cpu': { parent: 'device', abstract: true, props: [] },
  'rv64-riscv-cpu': { parent: 'riscv-cpu', device: true, props: [] },
  'memory-backend': { parent: 'object', abstract: true, props: [] },
};

export function qomListTypes(impl: string | undefined, abstract: boolean): JsonObject[] {
  const isA = (t: string, want: string): boolean => {
    for (let c: string | undefined = t; c; c = TYPES[c]?.parent) if (c === want) return true;
    return false;
  };
  if (impl !== undefined && !TYPES[impl]) return [];
  return Object.entries(TYPES)
    .filter(([n, t]) => (abstract || !t.abstract) && (impl === undefined || isA(n, impl)))
    .map(([name, t]) => {
      const o: JsonObject = { name };
      if (t.parent) o.parent = t.parent;
      if (t.abstract) o.abstract = true;
      return o;
    });
}

/**
 * Properties of a type (qom-list-properties), or of a device type (device-list-properties);
 * undefined when we do not have the type. Abstract types have none (memory-backend-file is not
 * modelled: an empty list, since libvirt 9.0 crashes on an error there).
 */
export function qomTypeProperties(name: string, deviceOnly = false): Prop[] | undefined {
  if (!deviceOnly && (name === 'memory-backend-file' || name === 'memory-backend-memfd')) return [];
  const t = TYPES[name];
  if (!t) return undefined;
  if (deviceOnly && !t.device) {
    if (t.abstract) throw new QmpError('GenericError', `Parameter 'typename' expects a non-abstract device type`);
    return undefined;
  }
  return t.props;
}

/** A -device with an id under /machine/peripheral that is not a disk: its type and QOM properties. */
export interface QomPeripheral {
  id: string;
  type: string;
  props: Array<{ name: string; type: string }>;
  get?(prop: string): JsonValue | undefined;
  /** Throws the QEMU error text of a refused value. */
  set?(prop: string, value: JsonValue): boolean;
}

const peripherals: QomPeripheral[] = [];

export function registerQomPeripheral(d: QomPeripheral): void {
  peripherals.push(d);
}

const peripheralAt = (path: string) => peripherals.find((d) => `/machine/peripheral/${d.id}` === path);

/** qom-set: the few writable properties tsqemu has (the balloon's polling interval). */
export function qomSet(ctx: MonitorContext, path: string, prop: string, value: JsonValue): void {
  const d = peripheralAt(path);
  if (!d) {
    qomChildren(ctx, path); // DeviceNotFound for a path that does not exist
    throw new QmpError('GenericError', `Property '${prop}' of '${path}' cannot be written`);
  }
  if (!d.props.some((x) => x.name === prop)) throw new QmpError('GenericError', `Property '${d.type}.${prop}' not found`);
  try {
    if (d.set?.(prop, value)) return;
  } catch (e) {
    throw new QmpError('GenericError', (e as Error).message);
  }
  throw new QmpError('GenericError', `Property '${d.type}.${prop}' is not writable`);
}

/** Children of a composition-tree path: [{name, type}] as qom-list answers. */
export function qomChildren(ctx: MonitorContext, path: string): JsonObject[] {
  const vm = ctx.vm;
  const base = [{ name: 'type', type: 'string' }];
  switch (path) {
    case '/': return [...base, { name: 'machine', type: `child<${vm.machineType}-machine>` }, { name: 'objects', type: 'child<container>' }];
    case '/machine': return [...base,
      { name: 'peripheral', type: 'child<container>' }, { name: 'peripheral-anon', type: 'child<container>' },
      { name: 'unattached', type: 'child<container>' }, ...(vm.machineType === 'none' ? [] : [{ name: 'soc0', type: 'child<riscv.hart_array>' }])];
    case '/machine/peripheral': return [...base, ...vm.blockDevices().filter((d) => d.qdev.startsWith('/machine/peripheral/'))
      .map((d) => ({ name: d.qdev.split('/')[3], type: 'child<virtio-blk-device>' })),
      ...peripherals.map((d) => ({ name: d.id, type: `child<${d.type}>` }))];
    case '/machine/peripheral-anon': case '/machine/unattached': case '/objects': return base;
    case '/machine/soc0':
      if (vm.machineType === 'none') break;
      return [...base, ...Array.from({ length: vm.smp }, (_, i) => ({ name: `harts[${i}]`, type: 'child<rv64-riscv-cpu>' }))];
  }
  const dev = vm.blockDevices().find((d) => d.qdev.replace(/\/virtio-backend$/, '') === path);
  if (dev) return [...base, { name: 'drive', type: 'str' }, { name: 'serial', type: 'str' }];
  const per = peripheralAt(path);
  if (per) return [...base, ...per.props];
  throw new QmpError('DeviceNotFound', `Device '${path}' not found`);
}

export function qomGet(ctx: MonitorContext, path: string, prop: string): JsonValue {
  const props = qomChildren(ctx, path);
  if (prop === 'type') {
    if (path === '/machine') return `${ctx.vm.machineType}-machine`;
    if (path === '/') return 'container';
  }
  if (!props.some((x) => x.name === prop)) {
    const cls = path === '/machine' ? `${ctx.vm.machineType}-machine` : peripheralAt(path)?.type ?? 'container';
    throw new QmpError('GenericError', `Property '${cls}.${prop}' not found`);
  }
  const dev = ctx.vm.blockDevices().find((d) => d.qdev.replace(/\/virtio-backend$/, '') === path);
  if (dev && prop === 'drive') return dev.device;
  const per = peripheralAt(path);
  if (per && prop === 'type') return per.type;
  const v = per?.get?.(prop);
  if (v !== undefined) return v;
  if (prop === 'type') return 'container';
  throw new QmpError('GenericError', `Property '${prop}' of '${path}' cannot be read`);
}
