// -global DRIVER.PROP=VALUE and -global driver=D,property=P,value=V (QEMU's qdev globals):
// default property values for every device of that type, the device's own properties winning.
// They are collected before the other options (a -global after its -device still applies, as in
// QEMU) and merged into each -device line and the devices -drive if=virtio creates; a property
// the device does not take, or a bad value, fails that device with QEMU's "can't apply global".
import { QemuError, optError } from '../qemu/error.js';
import { parseQemuOpts } from '../qemu/option.js';
import { findDevice } from '../hw/core/qdev.js';

export interface GlobalProp { driver: string; prop: string; value: string; text: string }

/** Device types of this machine (registry ones are looked up in hw/core/qdev.ts). */
const OTHER_TYPES = ['virtio-blk-device', 'virtio-rng-device', 'virtio-net-device', 'virtio-net-pci', 'virtio-net', 'virtio-9p-device', 'virtio-9p-pci'];
/** Types whose globals QEMU applies (parent classes, the board's flash) but this machine does not. */
const UNAPPLIED_TYPES = ['virtio-pci', 'virtio-device', 'virtio-pci-base', 'pci-device', 'device', 'cfi.pflash01', 'gpex-pcihost',
  'ns16550a', 'serial', 'goldfish_rtc', 'riscv.aclint.swi', 'riscv.aclint.mtimer', 'riscv.sifive.plic', 'riscv.sifive.test'];

/** One -global's text: either form. */
export function parseGlobalText(text: string): GlobalProp {
  const m = /^([^.=,]+)\.([^=,]+)=(.*)$/s.exec(text);
  if (m) return { driver: m[1], prop: m[2], value: m[3], text };
  if (!text.includes('=')) throw new QemuError(`Invalid parameter '${text.startsWith('no') && !text.includes('.') ? text.slice(2) : text}'`);
  const o = parseQemuOpts(text);
  for (const k of o.keys()) if (!['driver', 'property', 'value'].includes(k)) throw new QemuError(`Invalid parameter '${k}'`);
  for (const k of ['driver', 'property', 'value']) if (!o.has(k)) throw new QemuError(`Parameter '${k}' is missing`);
  return { driver: o.get('driver') as string, prop: o.get('property') as string, value: o.get('value') as string, text };
}

/** Every -global of argv, in order (warnings for types no device here has, as QEMU's for unknown types). */
export function scanGlobals(argv: readonly string[], warn: (m: string) => void): GlobalProp[] {
  const out: GlobalProp[] = [];
  for (let i = 0; i + 1 < argv.length; i++) {
    if (argv[i] !== '-global' && argv[i] !== '--global') continue;
    const text = argv[++i];
    let g: GlobalProp;
    try {
      g = parseGlobalText(text);
    } catch (e) {
      if (e instanceof QemuError) throw optError('-global', text, e.message);
      throw e;
    }
    if (g.driver === 'virtio-mmio') checkVirtioMmioGlobal(g, text);
    if (UNAPPLIED_TYPES.includes(g.driver)) throw optError('-global', text, `a global property of '${g.driver}' is not supported by tsqemu`);
    if (!findDevice(g.driver) && !OTHER_TYPES.includes(g.driver)) warn(`global ${g.driver}.${g.prop} has invalid class name`);
    out.push(g);
  }
  return out;
}

/** virtio-mmio's properties: force-legacy is real (virtio-mmio.ts); format_transport_address
 * (only how QEMU names the transport in device paths) is not taken. */
function checkVirtioMmioGlobal(g: GlobalProp, text: string): void {
  const fail = (m: string) => { throw new QemuError(`can't apply global ${g.driver}.${g.prop}=${g.value}: ${m}`); };
  if (g.prop === 'format_transport_address') throw optError('-global', text, `a global property of '${g.driver}.${g.prop}' is not supported by tsqemu`);
  if (g.prop !== 'force-legacy') fail(`Property '${g.driver}.${g.prop}' not found`);
  if (parseBool(g.value) === undefined) fail(`Parameter '${g.prop}' expects 'on' or 'off'`);
}

function parseBool(v: string): boolean | undefined {
  if (['on', 'yes', 'true', 'y'].includes(v)) return true;
  if (['off', 'no', 'false', 'n'].includes(v)) return false;
  return undefined;
}

/** virtio-mmio.force-legacy from the -global list (the last one wins); QEMU's default is true. */
export function virtioMmioForceLegacy(globals: readonly GlobalProp[]): boolean {
  let legacy = true;
  for (const g of globals) if (g.driver === 'virtio-mmio' && g.prop === 'force-legacy') legacy = parseBool(g.value) ?? legacy;
  return legacy;
}

/** The type names a device of `driver` answers to: itself, its alias, and for virtio-X-pci the virtio-X-device inside. */
function typeNames(driver: string): string[] {
  const dc = findDevice(driver);
  const names = new Set([driver, dc?.name ?? driver]);
  if (dc?.alias) names.add(dc.alias);
  if (driver === 'virtio-net') names.add('virtio-net-pci');
  if (driver === 'virtio-net-pci') names.add('virtio-net');
  for (const n of [...names]) if (/^virtio-.*-pci$/.test(n)) names.add(n.replace(/-pci$/, '-device'));
  return [...names];
}

/** A -device text with the globals for its type added where it sets no value itself. */
export function mergeGlobals(globals: readonly GlobalProp[], text: string): { text: string; applied: GlobalProp[] } {
  if (globals.length === 0) return { text, applied: [] };
  const o = parseQemuOpts(text, 'driver');
  const names = typeNames(o.get('driver') ?? '');
  const applied: GlobalProp[] = [];
  let merged = text;
  for (const g of globals) {
    if (!names.includes(g.driver) || o.has(g.prop) || applied.some((a) => a.prop === g.prop)) continue;
    applied.push(g);
    merged += `,${g.prop}=${g.value.replace(/,/g, ',,')}`;
  }
  return { text: merged, applied };
}

/** Run `parse` on the merged text; an error caused by a global gets QEMU's "can't apply global" form. */
export function withGlobals<T>(globals: readonly GlobalProp[], text: string, parse: (text: string) => T): T {
  const { text: merged, applied } = mergeGlobals(globals, text);
  try {
    return parse(merged);
  } catch (e) {
    if (!(e instanceof QemuError)) throw e;
    const g = applied.find((a) => e.message.includes(`'${a.prop}'`) || e.message.includes(`.${a.prop}'`));
    if (g) throw new QemuError(`can't apply global ${g.driver}.${g.prop}=${g.value}: ${e.message}`);
    throw e;
  }
}

/** The NICs -nic and -net nic create: they set mac and netdev themselves (a global for those has no
 * effect, as in QEMU); any other property is one they do not have. */
export function checkNicGlobals(globals: readonly GlobalProp[], nics: ReadonlyArray<{ model: string; opt: string; text: string }>): void {
  for (const n of nics) {
    if (n.opt === '-device') continue;
    const names = typeNames(n.model);
    const g = globals.find((x) => names.includes(x.driver) && !['mac', 'netdev'].includes(x.prop));
    if (g) throw optError(n.opt, n.text, `can't apply global ${g.driver}.${g.prop}=${g.value}: Property '${n.model}.${g.prop}' not found`);
  }
}
