// virtio-serial-pci, virtconsole and virtserialport as -device types (registered from
// hw/core/qdev-devices.ts), with QEMU's property checks and error texts.
import { QemuError } from '../../qemu/error.js';
import { type DeviceClass, type QDevContext, type QDevProp, parseBoolProp, registerDevice } from '../core/qdev.js';
import type { VirtIOPCIOptions, VirtIOPCIProxy } from '../virtio/virtio-pci.js';
import type { VirtIODevice } from '../virtio/virtio.js';
import { VirtIOSerial } from './virtio-serial-bus.js';
import type { AddressSpace } from '../../exec/memory.js';
import { VirtConsole } from './virtio-console.js';

type PlugVirtioPci = (ctx: QDevContext, name: string, props: ReadonlyMap<string, string>, vdev: VirtIODevice,
  o: VirtIOPCIOptions) => VirtIOPCIProxy;

/** VIRTIO_QUEUE_MAX / 2 - 1: every port takes two queues, the control pair two more. */
const MAX_PORTS_LIMIT = 511;

function uint32Prop(props: ReadonlyMap<string, string>, name: string, def: number): number {
  const v = props.get(name);
  if (v === undefined) return def;
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!(n < 2 ** 32)) throw new QemuError(`Parameter '${name}' expects uint32_t`);
  return n;
}

const PORT_PROPS: QDevProp[] = [
  { name: 'chardev', type: 'str', desc: 'ID of a chardev to use as a backend' },
  { name: 'name', type: 'str', desc: '' },
  { name: 'nr', type: 'uint32', desc: ' (default: 4294967295)' },
];

function realizePort(ctx: QDevContext, dc: string, isConsole: boolean, props: ReadonlyMap<string, string>, id: string | undefined): void {
  const want = props.get('bus');
  const bus = want === undefined ? ctx.serialBuses[ctx.serialBuses.length - 1] : ctx.serialBuses.find((b) => b.names.includes(want));
  if (!bus) throw new QemuError(want === undefined ? `No 'virtio-serial-bus' bus found for device '${dc}'` : `Bus '${want}' not found`);
  const nrText = props.get('nr');
  const nrValue = uint32Prop(props, 'nr', 0xffffffff);
  const nr = nrText === undefined || nrValue === 0xffffffff ? undefined : nrValue;
  if (nr === 0 && !isConsole) {
    throw new QemuError('Port number 0 on virtio-serial devices reserved for virtconsole devices for backward compatibility.');
  }
  const chrId = props.get('chardev');
  const chr = chrId === undefined ? undefined : ctx.chardev(chrId, `${dc}.chardev`);
  const port = new VirtConsole(bus.vser, isConsole, props.get('name'), chr, id, ctx.emitEvent);
  try {
    port.plug(nr);
  } catch (e) {
    throw new QemuError((e as Error).message);
  }
}

/** The serial device's own properties (virtio-serial-pci and the virtio-mmio virtio-serial-device), QEMU's checks. */
export function virtioSerialProps(dc: string, props: ReadonlyMap<string, string>): { maxPorts: number; emergencyWrite: boolean } {
  const maxPorts = uint32Prop(props, 'max_ports', 31);
  if (maxPorts === 0) throw new QemuError('Maximum number of serial ports not specified');
  if (maxPorts > MAX_PORTS_LIMIT) throw new QemuError(`maximum ports supported: ${MAX_PORTS_LIMIT}`);
  return { maxPorts, emergencyWrite: parseBoolProp(dc, 'emergency-write', props.get('emergency-write'), true) };
}

export function newVirtioSerial(as: AddressSpace, p: { maxPorts: number; emergencyWrite: boolean }): VirtIOSerial {
  return new VirtIOSerial(as, p.maxPorts, p.emergencyWrite);
}

/** The port bus of a serial device: ID.0, or virtio-serial-bus.N for an unnamed one (qbus_init's naming). */
export function serialBusEntry(buses: QDevContext['serialBuses'], vser: VirtIOSerial, id: string | undefined): QDevContext['serialBuses'][number] {
  const anon = buses.filter((b) => b.anonymous).length;
  return { vser, anonymous: id === undefined, names: [id === undefined ? `virtio-serial-bus.${anon}` : `${id}.0`] };
}

export function registerVirtioSerialDevices(plugVirtioPci: PlugVirtioPci, queueReset: QDevProp,
  nonTransitional: (dc: DeviceClass) => DeviceClass): void {
  const pci: DeviceClass = {
    name: 'virtio-serial-pci', bus: 'PCI', category: 'Input devices', alias: 'virtio-serial', desc: '',
    props: [
      { name: 'max_ports', type: 'uint32', desc: ' (default: 31)' },
      { name: 'emergency-write', type: 'bool', desc: 'on/off (default: true)' },
      queueReset,
    ],
    realize(ctx, props, id) {
      const vser = newVirtioSerial(ctx.as, virtioSerialProps(this.name, props));
      // PCI_CLASS_COMMUNICATION_OTHER; QEMU's vectors=2 (config and one for all queues).
      plugVirtioPci(ctx, this.name, props, vser, { classCode: 0x078000, configSize: 12, vectors: 2 });
      ctx.serialBuses.push(serialBusEntry(ctx.serialBuses, vser, id));
    },
  };
  registerDevice(pci);
  registerDevice(nonTransitional(pci));
  registerDevice({
    name: 'virtconsole', bus: 'virtio-serial-bus', category: 'Input devices', desc: '', props: PORT_PROPS,
    realize(ctx, props, id) { realizePort(ctx, this.name, true, props, id); },
  });
  registerDevice({
    name: 'virtserialport', bus: 'virtio-serial-bus', category: 'Input devices', desc: '', props: PORT_PROPS,
    realize(ctx, props, id) { realizePort(ctx, this.name, false, props, id); },
  });
}
