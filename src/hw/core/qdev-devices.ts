// Every -device type realized through the registry, in one place. A new type: one
// registerDevice() call here (or in the device's own file, imported from here).
import { QemuError } from '../../qemu/error.js';
import { type DeviceClass, type QDevContext, type QDevProp, parseBoolProp, parseOnOffAuto, registerDevice } from './qdev.js';
import type { PCIBus, PCIDevice } from '../pci/pci.js';
import { PCIERootPort } from '../pci-bridge/pcie-root-port.js';
import { VirtIOBalloon } from '../virtio/virtio-balloon.js';
import { VirtIOBlock } from '../virtio/virtio-blk.js';
import { VirtIORNG } from '../virtio/virtio-rng.js';
import { VirtIOPCIProxy, type VirtIOPCIOptions } from '../virtio/virtio-pci.js';
import { type VirtIODevice, VIRTIO_F_RING_RESET } from '../virtio/virtio.js';
import { registerSDDevices } from '../sd/sd-devices.js';
import { registerVirtioSerialDevices } from '../char/virtio-serial-devices.js';

/** The PCI bus -device's bus= names: pcie.0 (the default) or a bridge's secondary bus (its id). */
export function pciBusOf(ctx: QDevContext, name: string, props: ReadonlyMap<string, string>): PCIBus {
  const bus = props.get('bus');
  if (bus === undefined) return ctx.pci.bus;
  if (/^virtio-mmio-bus\.[0-7]$/.test(bus)) throw new QemuError(`Device '${name}' can't go on virtio-mmio-bus bus`);
  for (const b of ctx.pci.bus.walk()) if (b.name === bus) return b;
  throw new QemuError(`Bus '${bus}' not found`);
}

/** Plug a PCI function at -device's addr= (or the first free slot) on its bus (pcie.0 by default). */
export function plugPci(ctx: QDevContext, name: string, props: ReadonlyMap<string, string>, dev: PCIDevice, bus = pciBusOf(ctx, name, props)): void {
  // QEMU's PCI devices take romfile= and rombar=; `romfile=` (no ROM) is what a host without
  // QEMU's ROM images (ipxe-qemu: efi-virtio.rom) needs for virtio-net-pci. We load no ROMs.
  const romfile = props.get('romfile');
  if (romfile) throw new QemuError(`Property '${name}.romfile': option ROMs are not supported (use romfile= for none)`);
  const rombar = props.get('rombar');
  if (rombar !== undefined && !/^(0x[0-9a-f]+|\d+)$/i.test(rombar)) throw new QemuError(`Parameter 'rombar' expects integer`);
  const multifunction = parseBoolProp(name, 'multifunction', props.get('multifunction'), false);
  const devfn = ctx.pci.allocDevfn(props.get('addr'), name, bus, multifunction);
  dev.id = props.get('id') ?? '';
  if (multifunction) dev.config[0x0e] |= 0x80;
  bus.plug(dev, devfn); // reset with the bus
  const port = bus.parentDev;
  if (port instanceof PCIERootPort) port.linkUp();
}

/** A virtio device on the PCI transport: what virtio-net-pci / virtio-9p-pci need too. */
export function plugVirtioPci(ctx: QDevContext, name: string, props: ReadonlyMap<string, string>, vdev: VirtIODevice,
  o: VirtIOPCIOptions): VirtIOPCIProxy {
  // queue_reset (QEMU's common virtio property, default on): VIRTIO_F_RING_RESET offered.
  if (!parseBoolProp(name, 'queue_reset', props.get('queue_reset'), true)) vdev.hostFeatures &= ~(1n << VIRTIO_F_RING_RESET);
  // QEMU's disable-legacy=auto: modern-only (and a PCIe endpoint) on a PCIe port's bus.
  const bus = pciBusOf(ctx, name, props);
  // virtio-*-pci-non-transitional: QEMU's disable-legacy=on, modern-only on any bus.
  const modernOnly = o.modernOnly === true || name.endsWith('-non-transitional');
  const proxy = new VirtIOPCIProxy(name, vdev, ctx.as, { ...o, modernOnly, express: bus.parentDev !== undefined });
  plugPci(ctx, name, props, proxy, bus);
  ctx.addVirtio(vdev);
  return proxy;
}

const QUEUE_RESET: QDevProp = { name: 'queue_reset', type: 'bool', desc: 'on/off (default: true)' };

const virtioBlkPci: DeviceClass = {
  name: 'virtio-blk-pci', bus: 'PCI', category: 'Storage devices', alias: 'virtio-blk', desc: '',
  props: [
    { name: 'drive', type: 'drive', desc: 'Node name or ID of a block device to use as a backend' },
    { name: 'serial', type: 'str', desc: '' },
    { name: 'event_idx', type: 'bool', desc: 'on/off (default: on)' },
    { name: 'write-cache', type: 'OnOffAuto', desc: 'on/off/auto (default: "auto")' },
    { name: 'num-queues', type: 'uint16', desc: '(default: 65535)' },
    { name: 'bootindex', type: 'int32', desc: '' },
    QUEUE_RESET,
  ],
  realize(ctx, props) {
    // bootindex (libvirt always sets it) orders firmware boot devices; -kernel boots here, as QEMU's virt.
    const bi = props.get('bootindex');
    if (bi !== undefined && !/^-?[0-9]+$/.test(bi)) throw new QemuError(`Parameter 'bootindex' expects an int32 value`);
    const eventIdx = parseBoolProp(this.name, 'event_idx', props.get('event_idx'), true);
    const id = props.get('drive');
    if (id === undefined) throw new QemuError('drive property not set');
    const writeCache = parseOnOffAuto('write-cache', props.get('write-cache'));
    // QEMU's num-queues=auto on PCI: one request queue per vCPU (virtio_pci_optimal_num_queues).
    const nq = props.get('num-queues');
    const numQueues = nq === undefined || Number(nq) === 65535 ? Math.min(ctx.smp, 1024) : Number(nq);
    if (nq !== undefined && !/^(0x[0-9a-f]+|\d+)$/i.test(nq)) throw new QemuError(`Parameter 'num-queues' expects uint16_t`);
    if (numQueues < 1) throw new QemuError('num-queues property must be larger than 0');
    if (numQueues > 1024) throw new QemuError('num-queues property must be <= 1024');
    const d = ctx.takeDrive(id, this.name);
    if (writeCache !== undefined) d.blk.setWriteCache?.(writeCache); // auto: the drive's cache= mode
    const vdev = new VirtIOBlock(ctx.as, d.blk, {
      serial: props.get('serial') ?? d.serial, werror: d.werror, rerror: d.rerror, onIoErrorStop: ctx.onIoErrorStop,
      onResetInFlight: ctx.onBlockResetInFlight, eventIdx, numQueues,
    });
    plugVirtioPci(ctx, this.name, props, vdev, { classCode: 0x010000, configSize: 60, vectors: numQueues + 1 });
  },
};

/** QEMU's virtio-blk-pci-non-transitional (disable-legacy=on on any bus: 1af4:1042, revision 1, no
 * legacy I/O BAR). libvirt 9.0 takes the type's existence for QEMU_CAPS_VIRTIO_PCI_TRANSITIONAL and
 * only then places virtio devices on PCIe root ports (without it: a DMI-to-PCI bridge we lack). */
const nonTransitional = (dc: DeviceClass): DeviceClass => ({ ...dc, name: `${dc.name}-non-transitional`, alias: undefined });
const virtioBlkPciNonTransitional = nonTransitional(virtioBlkPci);

const virtioRngPci: DeviceClass = {
  name: 'virtio-rng-pci', bus: 'PCI', category: 'Misc devices', alias: 'virtio-rng', desc: '',
  props: [QUEUE_RESET],
  realize(ctx, props) {
    plugVirtioPci(ctx, this.name, props, new VirtIORNG(ctx.as, ctx.entropy), { classCode: 0x00ff00, configSize: 0, vectors: 2 });
  },
};

/** A property of an unsigned integer type, QEMU's "Parameter 'x' expects uint8_t". */
function uintProp(props: ReadonlyMap<string, string>, name: string, bits: number, def: number): number {
  const v = props.get(name);
  if (v === undefined) return def;
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!(n < 2 ** bits)) throw new QemuError(`Parameter '${name}' expects uint${bits}_t`);
  return n;
}

const pcieRootPort: DeviceClass = {
  name: 'pcie-root-port', bus: 'PCI', category: 'Controller/Bridge/Hub devices', desc: '',
  props: [
    { name: 'port', type: 'uint8', desc: '(default: 0)' },
    { name: 'chassis', type: 'uint8', desc: '(default: 0)' },
    { name: 'slot', type: 'uint16', desc: '(default: 0)' },
    { name: 'hotplug', type: 'bool', desc: 'on/off (default: true); hot-plug is not supported by tsqemu' },
  ],
  realize(ctx, props, id) {
    const port = uintProp(props, 'port', 8, 0);
    const chassis = uintProp(props, 'chassis', 8, 0);
    const slot = uintProp(props, 'slot', 16, 0);
    parseBoolProp(this.name, 'hotplug', props.get('hotplug'), true);
    const bus = pciBusOf(ctx, this.name, props);
    // pcie_chassis_add_slot: one chassis/slot pair per machine.
    const key = `${chassis}:${slot}`;
    if (ctx.pci.chassisSlots.has(key)) throw new QemuError("Can't add chassis slot, error -16");
    const secName = id ?? `pcie.${ctx.pci.nextBusIndex++}`;
    for (const b of ctx.pci.bus.walk()) if (b.name === secName) throw new QemuError(`Duplicate ID '${secName}' for bus`);
    const multifunction = parseBoolProp(this.name, 'multifunction', props.get('multifunction'), false);
    const rp = new PCIERootPort(ctx.as, secName, { port, chassis, slot, multifunction });
    plugPci(ctx, this.name, props, rp, bus);
    ctx.pci.chassisSlots.add(key);
  },
};

const virtioBalloonPci: DeviceClass = {
  name: 'virtio-balloon-pci', bus: 'PCI', category: 'Misc devices', alias: 'virtio-balloon', desc: '',
  props: [
    { name: 'deflate-on-oom', type: 'bool', desc: 'on/off (default: false)' },
    { name: 'free-page-hint', type: 'bool', desc: 'on/off (default: false)' },
    { name: 'free-page-reporting', type: 'bool', desc: 'on/off (default: false)' },
    QUEUE_RESET,
  ],
  realize(ctx, props) {
    for (const k of ['deflate-on-oom', 'free-page-reporting', 'free-page-hint']) {
      if (parseBoolProp(this.name, k, props.get(k), false)) throw new QemuError(`${this.name}.${k}=on is not supported by tsqemu`);
    }
    const b = new VirtIOBalloon(ctx.as, ctx.ramSize);
    plugVirtioPci(ctx, this.name, props, b, { classCode: 0x00ff00, configSize: 8, vectors: 0 });
    ctx.onBalloon?.(b, props.get('id'));
  },
};

registerDevice(pcieRootPort);
registerDevice(virtioBalloonPci);
registerDevice(virtioBlkPci);
registerDevice(virtioBlkPciNonTransitional);
registerDevice(virtioRngPci);
registerDevice(nonTransitional(virtioRngPci));
registerDevice(nonTransitional(virtioBalloonPci));
registerSDDevices(plugPci);
registerVirtioSerialDevices(plugVirtioPci, QUEUE_RESET, nonTransitional);
