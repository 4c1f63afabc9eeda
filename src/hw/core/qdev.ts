// The -device registry (QEMU's qdev type registration, reduced to what the command line needs):
// a device type is a name, the bus it plugs into, its properties with help text, and a realize
// function given the machine's pieces. `-device help` and `-device X,help` are generated from it;
// new device types register in src/hw/core/qdev-devices.ts (one line each).
import type { AddressSpace } from '../../exec/memory.js';
import type { BlockBackend } from '../../block/block-backend.js';
import type { BlockdevOnError } from '../virtio/virtio-blk.js';
import type { EntropySource } from '../virtio/virtio-rng.js';
import type { VirtIODevice } from '../virtio/virtio.js';
import type { VirtIOBalloon } from '../virtio/virtio-balloon.js';
import type { GPEXHost } from '../pci-host/gpex.js';
import type { SDBus } from '../sd/sd-bus.js';
import type { SidecarFile } from '../sd/rpmb-state.js';
import type { VirtIOSerial } from '../char/virtio-serial-bus.js';
import type { Chardev } from '../../chardev/char.js';
import { QemuError } from '../../qemu/error.js';

export type BusKind = 'PCI' | 'sd-bus' | 'virtio-bus' | 'virtio-serial-bus' | 'System';
export type PropType = 'str' | 'drive' | 'size' | 'uint8' | 'uint16' | 'uint32' | 'int32' | 'bool' | 'pci-devfn' | 'OnOffAuto';

export interface QDevProp { name: string; type: PropType; desc: string }

/** A -drive as a device gets it. */
export interface DriveRef {
  blk: BlockBackend;
  serial?: string;
  werror?: BlockdevOnError;
  rerror?: BlockdevOnError;
  /** A small state file beside the drive's image (IMAGE + suffix), when the image is a host file. */
  sidecar?(suffix: string): SidecarFile;
}

/** What realize() may use of the machine. */
export interface QDevContext {
  as: AddressSpace;
  pci: GPEXHost;
  entropy: EntropySource;
  /** Take the -drive with this id for the device `what` (QEMU's wording when absent or in use). */
  takeDrive(id: string, what: string): DriveRef;
  /** A virtio device model the machine resets, drains and counts with the others. */
  addVirtio(vdev: VirtIODevice): void;
  /** SD buses by id, newest last (a card without bus= goes to the newest). */
  sdBuses: Array<{ id: string; bus: SDBus; names: string[] }>;
  /** virtio-serial buses by name, newest last (a port without bus= goes to the newest). */
  serialBuses: Array<{ vser: VirtIOSerial; anonymous: boolean; names: string[] }>;
  /** The -chardev with this id for property `prop` ("virtconsole.chardev"), QEMU's errors when
   * absent or held by another frontend. */
  chardev(id: string, prop: string): Chardev;
  /** A QMP event from a device (VSERPORT_CHANGE). */
  emitEvent(ev: string, data: Record<string, unknown>): void;
  /** -smp's CPU count (QEMU's virtio_pci_optimal_num_queues). */
  smp: number;
  /** Guest RAM bytes (the balloon's reference). */
  ramSize: number;
  /** A virtio balloon was realized (the monitor's `balloon` / `query-balloon` / QOM side). */
  onBalloon?: (b: VirtIOBalloon, id: string | undefined) => void;
  onIoErrorStop?: () => void;
  onBlockResetInFlight?: (drained: Promise<void>) => void;
}

export interface DeviceClass {
  name: string;
  bus: BusKind;
  desc: string;
  /** QEMU's help category ("Storage devices", "Misc devices", ...). */
  category: string;
  alias?: string;
  props: QDevProp[];
  realize(ctx: QDevContext, props: ReadonlyMap<string, string>, id: string | undefined): void;
}

/** Properties every device takes from the -device line itself. */
const COMMON_PROPS = ['driver', 'id', 'bus'];
const PCI_PROPS: QDevProp[] = [
  { name: 'addr', type: 'pci-devfn', desc: 'Slot and optional function number, example: 06.0 or 06' },
  { name: 'romfile', type: 'str', desc: 'empty only: no option ROM (none of our devices has one)' },
  { name: 'rombar', type: 'uint32', desc: '' },
  { name: 'multifunction', type: 'bool', desc: 'on/off (default: false)' },
];

const registry = new Map<string, DeviceClass>();

export function registerDevice(dc: DeviceClass): void {
  registry.set(dc.name, dc);
}

export function findDevice(name: string): DeviceClass | undefined {
  const dc = registry.get(name);
  if (dc) return dc;
  for (const d of registry.values()) if (d.alias === name) return d;
  return undefined;
}

export function allProps(dc: DeviceClass): QDevProp[] {
  return dc.bus === 'PCI' ? [...dc.props, ...PCI_PROPS] : dc.props;
}

/** Check the -device keys against the class (QEMU's "Property 'X.k' not found"). */
export function checkDeviceProps(dc: DeviceClass, keys: Iterable<string>): void {
  const known = new Set([...COMMON_PROPS, ...allProps(dc).map((p) => p.name)]);
  for (const k of keys) if (!known.has(k)) throw new QemuError(`Property '${dc.name}.${k}' not found`);
}

/** `-device help`: the registered types, with the built-in ones the caller adds. */
export function deviceHelp(extra: Array<{ name: string; bus: string; category: string; alias?: string; desc?: string }>): string {
  const all = [...extra, ...registry.values()];
  const cats = [...new Set(all.map((d) => d.category))].sort();
  return cats.map((c) => `${c}:\n` + all.filter((d) => d.category === c).sort((a, b) => a.name.localeCompare(b.name))
    .map((d) => `name "${d.name}", bus ${d.bus}${d.alias ? `, alias "${d.alias}"` : ''}${d.desc ? `, desc "${d.desc}"` : ''}`).join('\n'))
    .join('\n\n');
}

/** `-device X,help`: its properties. */
export function devicePropsHelp(dc: DeviceClass): string {
  const props = allProps(dc);
  if (props.length === 0) return `There are no options for ${dc.name}.`;
  return `${dc.name} options:\n` + props.map((p) => `  ${`${p.name}=<${p.type}>`.padEnd(24)}${p.desc ? ` - ${p.desc}` : ''}`).join('\n');
}

/** Parse a size property (QEMU's qemu_strtosz: k/M/G/T suffixes, base 1024). */
export function parseSizeProp(dc: string, name: string, v: string): number {
  const m = /^(\d+)([kKmMgGtT]?)[bB]?$/.exec(v);
  if (!m) throw new QemuError(`Property '${dc}.${name}' doesn't take value '${v}'`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * mult;
}

/** An OnOffAuto property (write-cache=): undefined for auto, QEMU's wording for anything else. */
export function parseOnOffAuto(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined || v === 'auto') return undefined;
  if (v === 'on' || v === 'off') return v === 'on';
  throw new QemuError(`Parameter '${name}' does not accept value '${v}'`);
}

export function parseBoolProp(dc: string, name: string, v: string | undefined, def: boolean): boolean {
  if (v === undefined) return def;
  if (['on', 'yes', 'true', 'y'].includes(v)) return true;
  if (['off', 'no', 'false', 'n'].includes(v)) return false;
  throw new QemuError(`Property '${dc}.${name}' doesn't take value '${v}'`);
}
