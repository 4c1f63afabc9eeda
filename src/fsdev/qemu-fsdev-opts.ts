// -fsdev and -virtfs (QEMU's fsdev/qemu-fsdev-opts.c, 9p-local.c local_parse_opts, vl.c's
// -virtfs expansion), and the fsdev/mount_tag properties of -device virtio-9p-*. Parsing only;
// src/cli/system-fsdev.ts opens the host folders.
import { QemuError, optError } from '../qemu/error.js';
import { parseBool, parseQemuOpts } from '../qemu/option.js';
import type { MmioPlace } from '../hw/riscv/virt-mmio-slots.js';

export type SecurityModelName = 'passthrough' | 'mapped-xattr' | 'mapped-file' | 'none';
export type MultidevsName = 'remap' | 'forbid' | 'warn';

export interface FsdevSpec {
  /** The option and its text, for errors found when the folder is opened. */
  opt: '-fsdev' | '-virtfs';
  text: string;
  id: string;
  path: string;
  securityModel: SecurityModelName;
  readonly: boolean;
  fmode?: number;
  dmode?: number;
  multidevs: MultidevsName;
}

export interface V9fsDeviceSpec {
  text: string;
  fsdev: string;
  mountTag: string;
  /** virtio-9p-pci (-virtfs's device on this board, as QEMU's) or virtio-9p-device (virtio-mmio). */
  transport: 'pci' | 'mmio';
  /** -device's own properties (id, bus, addr) for the PCI function. */
  props: ReadonlyMap<string, string>;
  /** -device virtio-9p-device: its place among the virtio-mmio devices (virt-mmio-slots.ts). */
  place?: MmioPlace;
  /** virtio-9p-pci: its position among the -device options (QEMU's realize order). */
  seq?: number;
}

const FSDEV_KEYS = ['fsdriver', 'id', 'path', 'security_model', 'readonly', 'fmode', 'dmode', 'multidevs'];
const REFUSED: Record<string, string> = {
  writeout: 'writeout=immediate', sock_fd: 'the proxy driver', socket: 'the proxy driver',
  throttling: 'fsdev throttling',
};

function hint(): string {
  return '\nValid options are: security_model=[passthrough|mapped-xattr|mapped-file|none]';
}

/** A mode option as QEMU's qemu_opt_get_number reads it (0 prefix: octal; 0x: hex). */
function parseMode(key: string, v: string): number {
  const n = /^0[0-7]*$/.test(v) ? parseInt(v, 8) : /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^[1-9]\d*$/.test(v) ? parseInt(v, 10) : NaN;
  if (!Number.isFinite(n)) throw new QemuError(`Parameter '${key}' expects a number`);
  return n & 0o777;
}

function fsdevFrom(o: Map<string, string>, id: string, opt: '-fsdev' | '-virtfs', text: string): FsdevSpec {
  for (const k of o.keys()) {
    const refused = Object.keys(REFUSED).find((r) => k === r || k.startsWith(`${r}.`));
    if (refused) throw new QemuError(`${REFUSED[refused]} is not supported by tsqemu`);
    if (!FSDEV_KEYS.includes(k) && k !== 'mount_tag') throw new QemuError(`Invalid parameter '${k}'`);
  }
  const driver = o.get('fsdriver');
  if (driver === undefined) throw new QemuError('fsdev: No fsdriver specified');
  if (driver === 'proxy' || driver === 'synth') throw new QemuError(`fsdev: fsdriver '${driver}' is not supported by tsqemu (only 'local')`);
  if (driver !== 'local') throw new QemuError(`fsdev: fsdriver ${driver} not found`);
  const sm = o.get('security_model');
  if (sm === undefined) throw new QemuError(`security_model property not set${hint()}`);
  if (!['passthrough', 'mapped-xattr', 'mapped', 'mapped-file', 'none'].includes(sm)) {
    throw new QemuError(`invalid security_model property '${sm}'${hint()}`);
  }
  const securityModel = (sm === 'mapped' ? 'mapped-xattr' : sm) as SecurityModelName;
  const md = o.get('multidevs') ?? 'warn';
  if (md !== 'remap' && md !== 'forbid' && md !== 'warn') throw new QemuError(`invalid multidevs property '${md}'\nValid options are: multidevs=[remap|forbid|warn]`);
  const path = o.get('path');
  if (path === undefined) throw new QemuError('path property not set');
  const mapped = securityModel.startsWith('mapped');
  for (const k of ['fmode', 'dmode']) {
    if (!mapped && o.has(k)) throw new QemuError(`${k} is only valid for mapped security modes`);
  }
  const ro = o.get('readonly');
  return {
    opt, text, id, path, securityModel, multidevs: md, readonly: ro === undefined ? false : parseBool('readonly', ro),
    fmode: mapped && o.has('fmode') ? parseMode('fmode', o.get('fmode') as string) : undefined,
    dmode: mapped && o.has('dmode') ? parseMode('dmode', o.get('dmode') as string) : undefined,
  };
}

/** -fsdev local,id=ID,path=P,security_model=M[,readonly=on][,fmode=][,dmode=][,multidevs=] */
export function parseFsdev(text: string): FsdevSpec {
  const o = parseQemuOpts(text, 'fsdriver');
  const id = o.get('id');
  if (id === undefined) throw new QemuError('fsdev: No id specified');
  if (o.has('mount_tag')) throw new QemuError(`Invalid parameter 'mount_tag'`);
  return fsdevFrom(o, id, '-fsdev', text);
}

/** -virtfs local,path=P,mount_tag=T,security_model=M[,id=ID]...: an fsdev plus its device. */
export function parseVirtfs(text: string, index: number): { fsdev: FsdevSpec; device: V9fsDeviceSpec } {
  const o = parseQemuOpts(text, 'fsdriver');
  const tag = o.get('mount_tag');
  if (o.get('fsdriver') === undefined || tag === undefined) throw new QemuError('Usage: -virtfs fsdriver,mount_tag=tag');
  const id = o.get('id') ?? tag;
  void index;
  o.delete('mount_tag');
  const fsdev = fsdevFrom(o, id, '-virtfs', text);
  return { fsdev, device: { text, fsdev: id, mountTag: tag, transport: 'pci', props: new Map() } };
}

/** -device virtio-9p-device|virtio-9p-pci,fsdev=ID,mount_tag=T[,id=][,bus=][,addr=] */
export function parseV9fsDevice(text: string): V9fsDeviceSpec {
  const o = parseQemuOpts(text, 'driver');
  const driver = o.get('driver') ?? '';
  const pci = driver === 'virtio-9p-pci';
  const keys = pci ? ['driver', 'fsdev', 'mount_tag', 'id', 'bus', 'addr', 'queue_reset'] : ['driver', 'fsdev', 'mount_tag', 'id', 'bus'];
  for (const k of o.keys()) {
    if (!keys.includes(k)) throw new QemuError(`Property '${driver}.${k}' not found`);
  }
  const fsdev = o.get('fsdev');
  if (fsdev === undefined) throw new QemuError('9pfs device couldn\'t find fsdev with the id = NULL');
  const tag = o.get('mount_tag');
  if (tag === undefined) throw new QemuError(`fsdev with id ${fsdev} needs mount_tag arguments`);
  if (tag.length > 65535) throw new QemuError(`mount tag '${tag.slice(0, 16)}...' (${tag.length} bytes) is longer than maximum (65535 bytes)`);
  const props = new Map([...o].filter(([k]) => ['id', 'bus', 'addr', 'queue_reset'].includes(k)));
  return { text, fsdev, mountTag: tag, transport: pci ? 'pci' : 'mmio', props };
}

/** Each device names an existing fsdev, used once; fsdev ids are unique. */
export function checkFsdevRefs(fsdevs: readonly FsdevSpec[], devices: readonly V9fsDeviceSpec[]): void {
  const seen = new Set<string>();
  for (const f of fsdevs) {
    if (seen.has(f.id)) throw new QemuError(`Duplicate ID '${f.id}' for fsdev`);
    seen.add(f.id);
  }
  const used = new Set<string>();
  for (const d of devices) {
    if (!seen.has(d.fsdev)) throw optError('-device', d.text, `9pfs device couldn't find fsdev with the id = ${d.fsdev}`);
    if (used.has(d.fsdev)) throw optError('-device', d.text, `fsdev '${d.fsdev}' is already in use by another device`);
    used.add(d.fsdev);
  }
}
