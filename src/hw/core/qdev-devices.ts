// Every -device type realized through the registry, in one place. A new type: one
// registerDevice() call here (or in the device's own file, imported from here).
import { QemuError } from '../../qemu/error.js';
import { type DeviceClass, type QDevContext, type QDevProp, parseBoolProp, parseOnOffAuto, registerDevice } from './qdev.js';
import type { PCIDevice } from '../pci/pci.js';
import { VirtIOBlock } from '../virtio/virtio-blk.js';
import { VirtIORNG } from '../virtio/virtio-rng.js';
import { VirtIOPCIProxy, type VirtIOPCIOptions } from '../virtio/virtio-pci.js';
import { type VirtIODevice, VIRTIO_F_RING_RESET } from '../virtio/virtio.js';
import { registerSDDevices } from '../sd/sd-devices.js';

/** Plug a PCI function at -device's addr= (or the first free slot) on bus pcie.0. */
export function plugPci(ctx: QDevContext, name: string, props: ReadonlyMap<string, string>, dev: PCIDevice): void {
  const bus = props.get('bus');
  if (bus !== undefined && /^virtio-mmio-bus\.[0-7]$/.test(bus)) throw new QemuError(`Device '${name}' can't go on virtio-mmio-bus bus`);
  if (bus !== undefined && bus !== ctx.pci.bus.name) throw new QemuError(`Bus '${bus}' not found`);
  // QEMU's PCI devices take romfile= and rombar=; `romfile=` (no ROM) is what a host without
  // QEMU's ROM images (ipxe-qemu: efi-virtio.rom) needs for virtio-net-pci. We load no ROMs.
  const romfile = props.get('romfile');
  if (romfile) throw new QemuError(`Property '${name}.romfile': option ROMs are not supported (use romfile= for none)`);
  const rombar = props.get('rombar');
  if (rombar !== undefined && !/^(0x[0-9a-f]+|\d+)$/i.test(rombar)) throw new QemuError(`Parameter 'rombar' expects integer`);
  const devfn = ctx.pci.allocDevfn(props.get('addr'), name);
  dev.id = props.get('id') ?? '';
  ctx.pci.bus.plug(dev, devfn); // reset with the bus
}

/** A virtio device on the PCI transport: what virtio-net-pci / virtio-9p-pci need too. */
export function plugVirtioPci(ctx: QDevContext, name: string, props: ReadonlyMap<string, string>, vdev: VirtIODevice,
  o: VirtIOPCIOptions): VirtIOPCIProxy {
  // queue_reset (QEMU's common virtio property, default on): VIRTIO_F_RING_RESET offered.
  if (!parseBoolProp(name, 'queue_reset', props.get('queue_reset'), true)) vdev.hostFeatures &= ~(1n << VIRTIO_F_RING_RESET);
  const proxy = new VirtIOPCIProxy(name, vdev, ctx.as, o);
  plugPci(ctx, name, props, proxy);
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
    QUEUE_RESET,
  ],
  realize(ctx, props) {
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

const virtioRngPci: DeviceClass = {
  name: 'virtio-rng-pci', bus: 'PCI', category: 'Misc devices', alias: 'virtio-rng', desc: '',
  props: [QUEUE_RESET],
  realize(ctx, props) {
    plugVirtioPci(ctx, this.name, props, new VirtIORNG(ctx.as, ctx.entropy), { classCode: 0x00ff00, configSize: 0, vectors: 2 });
  },
};

registerDevice(virtioBlkPci);
registerDevice(virtioRngPci);
registerSDDevices(plugPci);
