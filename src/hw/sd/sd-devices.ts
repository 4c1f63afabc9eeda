// sdhci-pci and emmc as -device types (registered from hw/core/qdev-devices.ts).
import { QemuError } from '../../qemu/error.js';
import { type QDevContext, parseSizeProp, registerDevice } from '../core/qdev.js';
import type { PCIDevice } from '../pci/pci.js';
import { SDHCIPCIState } from './sdhci-pci.js';
import { EMMC } from './emmc.js';
import { SDCard } from './sd.js';
import type { SDBus } from './sd-bus.js';
import { rpmbStateStore } from './rpmb-state.js';

type PlugPci = (ctx: QDevContext, name: string, props: ReadonlyMap<string, string>, dev: PCIDevice) => void;

export function registerSDDevices(plugPci: PlugPci): void {
  registerDevice({
    name: 'sdhci-pci', bus: 'PCI', category: 'Storage devices', desc: '',
    props: [
      { name: 'sd-spec-version', type: 'uint32', desc: 'SD Host Controller spec version: 2 (default) or 3' },
      { name: 'capareg', type: 'uint32', desc: 'capabilities register (64 bits; default 0x057834b4)' },
    ],
    realize(ctx, props, id) {
      const sv = props.get('sd-spec-version') ?? '2';
      if (sv !== '2' && sv !== '3') throw new QemuError(`Unsupported SD Host Controller spec version ${sv}`);
      const cap = props.get('capareg');
      let capareg: bigint | undefined;
      if (cap !== undefined) {
        if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(cap)) throw new QemuError(`Property 'sdhci-pci.capareg' doesn't take value '${cap}'`);
        capareg = BigInt(cap);
      }
      const dev = new SDHCIPCIState(ctx.as, { specVersion: Number(sv), capareg });
      plugPci(ctx, this.name, props, dev);
      ctx.sdBuses.push({ id: id === undefined ? 'sd-bus' : `${id}.0`, bus: dev.sdbus, names: ['sd-bus', ...(id ? [`${id}.0`] : [])] });
    },
  });
  registerDevice({
    name: 'sd-card', bus: 'sd-bus', category: 'Storage devices', desc: '',
    props: [{ name: 'drive', type: 'drive', desc: 'Node name or ID of a block device to use as a backend (none: empty slot)' }],
    realize(ctx, props) {
      const bus = sdBusFor(ctx, props.get('bus'), this.name);
      const id = props.get('drive');
      bus.attach(new SDCard(id === undefined ? undefined : ctx.takeDrive(id, this.name).blk));
    },
  });
  registerDevice({
    name: 'emmc', bus: 'sd-bus', category: 'Storage devices', desc: '',
    props: [
      { name: 'drive', type: 'drive', desc: 'Node name or ID of a block device to use as a backend' },
      { name: 'boot-partition-size', type: 'size', desc: 'size of each of boot0 and boot1 (multiple of 128 KiB; default 0)' },
      { name: 'rpmb-partition-size', type: 'size', desc: 'size of the RPMB partition (multiple of 128 KiB; default 0)' },
      { name: 'boot-config', type: 'uint32', desc: 'EXT_CSD PARTITION_CONFIG at power-on (default 0)' },
    ],
    realize(ctx, props) {
      const bus = sdBusFor(ctx, props.get('bus'), this.name);
      const id = props.get('drive');
      if (id === undefined) throw new QemuError('drive property not set');
      const d = ctx.takeDrive(id, this.name);
      const size = (k: string) => (props.has(k) ? parseSizeProp(this.name, k, props.get(k) as string) : 0);
      const bc = props.get('boot-config');
      if (bc !== undefined && !/^(0x[0-9a-fA-F]{1,2}|[0-9]{1,3})$/.test(bc)) throw new QemuError(`Property 'emmc.boot-config' doesn't take value '${bc}'`);
      const rpmbSize = size('rpmb-partition-size');
      const store = rpmbSize > 0 && d.sidecar ? rpmbStateStore(d.sidecar('.rpmb')) : undefined;
      bus.attach(new EMMC(d.blk, {
        bootPartitionSize: size('boot-partition-size'), rpmbPartitionSize: rpmbSize,
        bootConfig: bc === undefined ? 0 : Number(bc) & 0xff, rpmbStore: store,
      }));
    },
  });
}

/** The sd-bus a card plugs into: bus=ID, or the newest controller's. One card per bus. */
function sdBusFor(ctx: QDevContext, want: string | undefined, what: string): SDBus {
  const slot = want === undefined ? ctx.sdBuses[ctx.sdBuses.length - 1] : ctx.sdBuses.find((b) => b.names.includes(want));
  if (!slot) throw new QemuError(want === undefined ? `No 'sd-bus' bus found for device '${what}'` : `Bus '${want}' not found`);
  if (slot.bus.card) throw new QemuError(`Bus '${slot.id}' does not support hotplugging`);
  return slot.bus;
}
