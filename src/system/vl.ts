// The system emulator's command line (QEMU's softmmu/vl.c): option table, parsing into a
// SystemConfig, and QEMU's error wording. No host access here: the binary reads the files.
import { QemuError, optError } from '../qemu/error.js';
import { type QemuOptsDict, checkKnownKeys, parseBool, parseQemuOpts, parseSize } from '../qemu/option.js';
import { LOG_ITEMS, parseLogItems } from '../qemu/log.js';
import { tcgApplyAccelArg } from '../accel/tcg/tcg-accel.js';
import { type ChardevSpec, parseChardev, parseCompatSocket } from '../chardev/char-opts.js';
import { MGMT_FLAGS, MGMT_WITH_ARG, type MgmtConfig, applyMgmtFlag, applyMgmtOption, defaultMgmtConfig } from './vl-mgmt.js';

export const PROG = 'tsqemu-system-riscv64';
export const QEMU_VERSION = '10.2.0';

export type SerialSpec =
  | { kind: 'stdio'; mux: boolean }
  | { kind: 'file'; path: string }
  | { kind: 'null' }
  /** A chardev by id: -serial chardev:ID, or the one -serial unix:/tcp: made. */
  | { kind: 'chardev'; id: string; text: string };

export interface DriveSpec {
  /** The -drive text (for error messages). */
  text: string;
  opts: QemuOptsDict;
  if: 'none' | 'virtio';
  id: string;
}

export interface DeviceSpec {
  text: string;
  driver: 'virtio-blk-device' | 'virtio-rng-device';
  drive?: string;
  serial?: string;
}

export interface SystemConfig {
  machine: string;
  dumpdtb?: string;
  ramSize: number;
  smp: number;
  /** 'default' | 'none' | a path. */
  bios: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  dtb?: string;
  nographic: boolean;
  serial: SerialSpec;
  /** The HMP monitor shares stdio through the mux. */
  monitorOnStdio: boolean;
  drives: DriveSpec[];
  devices: DeviceSpec[];
  /** -chardev, plus those -serial/-monitor unix:/tcp: made (ids serial0, compat_monitor0). */
  chardevs: ChardevSpec[];
  /** The HMP monitor on a chardev (-monitor unix:/tcp:/chardev:ID, -mon chardev=ID). */
  monitorChardev?: { id: string; opt: string; text: string };
  noReboot: boolean;
  noShutdown: boolean;
  startPaused: boolean;
  logMask: number;
  logFile?: string;
  /** -version / -h: print and exit. */
  action?: 'version' | 'help';
  /** Management options: QMP monitors, -name, -daemonize, -gdb ... (vl-mgmt.ts). */
  mgmt: MgmtConfig;
}

/** Options taking an argument, and flags (QEMU's qemu-options.def subset we accept). */
const WITH_ARG = new Set(['M', 'machine', 'm', 'smp', 'bios', 'kernel', 'initrd', 'append', 'dtb', 'serial', 'drive',
  'device', 'd', 'D', 'display', 'monitor', 'chardev', 'mon', 'cpu', 'name', 'accel', 'L', 'rtc', 'icount']);
const FLAGS = new Set(['nographic', 'no-reboot', 'no-shutdown', 'S', 'version', 'h', 'help', 'snapshot', 'nodefaults']);

export const HELP_TEXT = `usage: ${PROG} [options] [disk_image]

Standard options:
-h or -help     display this help and exit
-version        display version information and exit
-machine [type=]virt[,dumpdtb=file]
-M              as -machine
-cpu rv64       the RISC-V CPU (only rv64 is modelled)
-smp [cpus=]n   set the number of harts (1-${512})
-m [size=]megs[M|G]  set the RAM size (default 128M)
-bios file|none|default  firmware (default: OpenSBI fw_dynamic)
-kernel bzImage  use 'bzImage' as kernel image (ELF or raw Image)
-append cmdline  use 'cmdline' as kernel command line
-initrd file    use 'file' as initial ram disk
-dtb file       use 'file' as device tree image
-drive [file=file][,if=virtio|none][,format=raw|qcow2|luks][,id=name][,readonly=on|off]
       [,snapshot=on|off][,cache=writeback|none|writethrough|directsync|unsafe][,serial=s]
-device virtio-blk-device,drive=id[,serial=s]
-device virtio-rng-device
-nographic      no graphical output: serial and monitor on stdio (Ctrl-A h for help)
-serial dev     stdio | mon:stdio | file:path | null | none | chardev:id
                | unix:path[,server][,nowait] | tcp:[host]:port[,server][,nowait]
-monitor dev    stdio | none | chardev:id | unix:... | tcp:...
-chardev socket,id=id,path=path|host=host,port=port[,server=on|off][,wait=on|off]
-chardev null,id=id
-mon [chardev=]id[,mode=readline]
-display none   no display
-no-reboot      exit instead of rebooting
-no-shutdown    stop before shutdown
-S              freeze the CPUs at startup (use 'c' in the monitor to start)
-d item1,...    enable logging of specified items (use '-d help' for a list)
-D logfile      output log to logfile (default stderr)

During emulation, with the mux (-nographic or -serial mon:stdio):
C-a h    print help
C-a x    exit emulator
C-a c    switch between console and monitor
C-a C-a  sends C-a
`;

function parseMachine(text: string, cfg: SystemConfig): void {
  const o = parseQemuOpts(text, 'type');
  for (const k of o.keys()) {
    // usb, dump-guest-core, accel: what libvirt passes (no USB, no core dumps, TCG only).
    if (!['type', 'dumpdtb', 'usb', 'dump-guest-core', 'accel'].includes(k)) throw new QemuError(`Property 'virt-machine.${k}' not found`);
  }
  const accel = o.get('accel');
  if (accel !== undefined && !accel.split(':').includes('tcg')) throw new QemuError(`-machine accel=${accel}: no accelerator found`);
  const type = o.get('type') ?? cfg.machine;
  if (type === 'none') { cfg.mgmt.machineNone = true; cfg.bios = 'none'; return; }
  if (type === 'help' || type === '?') throw new QemuError('Supported machines are:\nvirt                 RISC-V VirtIO board');
  if (type !== 'virt') throw new QemuError('unsupported machine type\nUse -machine help to list supported machines');
  cfg.machine = type;
  if (o.has('dumpdtb')) cfg.dumpdtb = o.get('dumpdtb');
}

function parseMemory(text: string): number {
  const o = parseQemuOpts(text, 'size');
  checkKnownKeys(o, ['size'], '');
  const size = parseSize('size', o.get('size') ?? '128M', 'M');
  if (size === 0) throw new QemuError(`Parameter 'size' expects a non-zero size`);
  if (size % 4096 !== 0) throw new QemuError(`ram size must be a multiple of 4 KiB`);
  if (size > 3 * 2 ** 30) throw new QemuError(`cannot set up guest memory 'riscv_virt_board.ram': more than 3 GiB is not supported`);
  return size;
}

function parseSmp(text: string): number {
  const o = parseQemuOpts(text, 'cpus');
  checkKnownKeys(o, ['cpus', 'maxcpus', 'sockets', 'cores', 'threads', 'clusters', 'dies'], '');
  const n = o.get('cpus') ?? '1';
  if (!/^[0-9]+$/.test(n)) throw new QemuError(`Parameter 'smp.cpus' expects integer`);
  const v = Number(n);
  if (v < 1) throw new QemuError(`Invalid SMP CPUs ${v}: CPU topology parameters must be greater than zero`);
  if (v > 512) throw new QemuError(`Invalid SMP CPUs ${v}. The max CPUs supported by machine 'virt' is 512`);
  return v;
}

function parseSerial(text: string, cfg: SystemConfig): SerialSpec {
  if (text === 'stdio') return { kind: 'stdio', mux: false };
  if (text === 'mon:stdio') return { kind: 'stdio', mux: true };
  if (text === 'null' || text === 'none') return { kind: 'null' };
  if (text.startsWith('file:')) return { kind: 'file', path: text.slice(5) };
  if (text.startsWith('chardev:')) return { kind: 'chardev', id: text.slice(8), text };
  const sock = compatChardev(text, 'serial0', '-serial', cfg, 'could not connect serial device to character backend');
  if (sock) return { kind: 'chardev', id: sock, text };
  const name = text.split(':')[0];
  throw new QemuError(`'${name}' is not a valid char driver`);
}

const DRIVE_KEYS = ['file', 'format', 'if', 'id', 'index', 'media', 'readonly', 'read-only', 'snapshot', 'cache', 'aio',
  'discard', 'detect-zeroes', 'serial', 'werror', 'rerror', 'node-name', 'driver'];

function parseDrive(text: string, index: number): DriveSpec {
  const opts = parseQemuOpts(text);
  for (const k of opts.keys()) {
    if (!DRIVE_KEYS.includes(k) && !/^(file|encrypt|backing)\./.test(k)) throw new QemuError(`Invalid parameter '${k}'`);
  }
  const iface = opts.get('if') ?? 'none';
  if (iface !== 'none' && iface !== 'virtio') {
    if (['ide', 'scsi', 'floppy', 'pflash', 'mtd', 'sd', 'xen'].includes(iface)) {
      throw new QemuError(`machine type does not support if=${iface},bus=0,unit=0`);
    }
    throw new QemuError(`unsupported bus type '${iface}'`);
  }
  const media = opts.get('media');
  if (media !== undefined && media !== 'disk') {
    if (media === 'cdrom') throw new QemuError(`'cdrom' media is not supported by virtio-blk`);
    throw new QemuError(`'${media}' invalid media`);
  }
  for (const k of ['readonly', 'read-only', 'snapshot']) {
    const v = opts.get(k);
    if (v !== undefined) parseBool(k, v);
  }
  const id = opts.get('id') ?? `${iface}${index}`;
  return { text, opts, if: iface, id };
}

function parseDevice(text: string): DeviceSpec {
  const o = parseQemuOpts(text, 'driver');
  const driver = o.get('driver') ?? '';
  if (driver === 'help' || driver === '?') throw new QemuError('Devices: virtio-blk-device, virtio-rng-device');
  if (driver === 'virtio-blk-device' || driver === 'virtio-blk') {
    for (const k of o.keys()) {
      if (!['driver', 'drive', 'serial', 'id'].includes(k)) throw new QemuError(`Property 'virtio-blk-device.${k}' not found`);
    }
    if (!o.has('drive')) throw new QemuError('drive property not set');
    return { text, driver: 'virtio-blk-device', drive: o.get('drive'), serial: o.get('serial') };
  }
  if (driver === 'virtio-rng-device' || driver === 'virtio-rng') {
    for (const k of o.keys()) {
      if (!['driver', 'id'].includes(k)) throw new QemuError(`Property 'virtio-rng-device.${k}' not found`);
    }
    return { text, driver: 'virtio-rng-device' };
  }
  throw new QemuError(`'${driver}' is not a valid device model name`);
}

function parseLog(text: string): number {
  if (text === 'help') throw new QemuError(`Log items (comma separated):\n${LOG_ITEMS.map(([n, , h]) => `${n.padEnd(15)} ${h}`).join('\n')}`);
  try {
    return parseLogItems(text);
  } catch (e) {
    throw new QemuError((e as Error).message);
  }
}

/** Parse argv (without node and script) into a config; throws QemuError with QEMU's wording. */
export function parseSystemArgs(argv: readonly string[]): SystemConfig {
  const cfg: SystemConfig = {
    machine: 'virt', ramSize: 128 * 2 ** 20, smp: 1, bios: 'default', nographic: false,
    serial: { kind: 'stdio', mux: true }, monitorOnStdio: true, drives: [], devices: [],
    noReboot: false, noShutdown: false, startPaused: false, logMask: 0, chardevs: [], mgmt: defaultMgmtConfig(),
  };
  let serialText: string | undefined;
  let monitorText: string | undefined;
  let display: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) {
      // A bare argument is a disk image (QEMU's -hda); the virt board has no IDE.
      throw new QemuError(`${arg}: machine type does not support if=ide,bus=0,unit=0`);
    }
    const name = arg.replace(/^--?/, '');
    if (MGMT_FLAGS.has(name) && applyMgmtFlag(cfg.mgmt, name)) continue;
    if (MGMT_WITH_ARG.has(name)) {
      if (i + 1 >= argv.length) throw optError(arg, undefined, 'requires an argument');
      const val = argv[++i];
      try {
        applyMgmtOption(cfg.mgmt, name, val, (spec) => addChardev(cfg, spec));
      } catch (e) {
        throw e instanceof QemuError ? optError(arg, val, e.message) : e;
      }
      continue;
    }
    if (FLAGS.has(name)) {
      switch (name) {
        case 'nographic': cfg.nographic = true; break;
        case 'no-reboot': cfg.noReboot = true; break;
        case 'no-shutdown': cfg.noShutdown = true; break;
        case 'S': cfg.startPaused = true; break;
        case 'version': cfg.action = 'version'; return cfg;
        case 'h': case 'help': cfg.action = 'help'; return cfg;
        case 'snapshot': break; // every drive gets snapshot=on below
        case 'nodefaults': break;
      }
      if (name === 'snapshot') cfg.drives.forEach((d) => d.opts.set('snapshot', 'on'));
      continue;
    }
    if (!WITH_ARG.has(name)) throw optError(arg, undefined, 'invalid option');
    if (i + 1 >= argv.length) throw optError(arg, undefined, 'requires an argument');
    const val = argv[++i];
    try {
      applyOption(cfg, name, val);
      if (name === 'serial') serialText = val;
      if (name === 'monitor' || name === 'mon') monitorText = val;
      if (name === 'display') display = val;
    } catch (e) {
      if (e instanceof QemuError && !/^(unsupported machine|Supported machines|Property 'virt-machine|Invalid SMP|Parameter 'smp)/.test(e.message)) {
        throw optError(arg, val, e.message);
      }
      throw e;
    }
  }
  resolveConsole(cfg, serialText, monitorText, display);
  checkChardevRefs(cfg);
  return cfg;
}

function addChardev(cfg: SystemConfig, spec: ChardevSpec): void {
  if (cfg.chardevs.some((c) => c.id === spec.id)) throw new QemuError(`Duplicate ID '${spec.id}' for chardev`);
  cfg.chardevs.push(spec);
}

/**
 * unix:/tcp: of -serial and -monitor: a socket chardev with a generated id; its id, or undefined
 * for other texts. `failLine` is QEMU's second error line for -serial.
 */
function compatChardev(text: string, id: string, opt: string, cfg: SystemConfig, failLine?: string): string | undefined {
  let spec;
  try {
    spec = parseCompatSocket(text, id);
  } catch (e) {
    if (failLine && e instanceof QemuError) throw new QemuError(`${e.message}\n${PROG}: ${opt} ${text}: ${failLine} '${text}'`);
    throw e;
  }
  if (!spec) return undefined;
  addChardev(cfg, { ...spec, opt, text });
  return id;
}

function parseMonitor(val: string, cfg: SystemConfig): void {
  if (val === 'stdio' || val === 'none' || val === 'null') return;
  if (val.startsWith('chardev:')) { cfg.monitorChardev = { id: val.slice(8), opt: '-monitor', text: val }; return; }
  const id = compatChardev(val, 'compat_monitor0', '-monitor', cfg);
  if (!id) throw new QemuError(`'${val.split(':')[0]}' is not a valid char driver`);
  cfg.monitorChardev = { id, opt: '-monitor', text: val };
}

/** -mon [chardev=]ID[,mode=readline] (mode=control is QMP, not there yet). */
function parseMon(val: string, cfg: SystemConfig): void {
  const o = parseQemuOpts(val, 'chardev');
  checkKnownKeys(o, ['chardev', 'mode', 'pretty', 'id', 'default'], '');
  const mode = o.get('mode') ?? 'readline';
  if (mode !== 'readline' && mode !== 'control') throw new QemuError(`Parameter 'mode' does not accept value '${mode}'`);
  const id = o.get('chardev');
  if (id === undefined) throw new QemuError(`Parameter 'chardev' is missing`);
  if (mode === 'control') { cfg.mgmt.qmpChardevs.push(id); return; }
  cfg.monitorChardev = { id, opt: '-mon', text: val };
}

/** -serial chardev:ID and the monitor's chardev must name a -chardev (checked after all options). */
function checkChardevRefs(cfg: SystemConfig): void {
  const has = (id: string) => cfg.chardevs.some((c) => c.id === id);
  const s = cfg.serial;
  if (s.kind === 'chardev' && !has(s.id)) throw optError('-serial', s.text, `could not connect serial device to character backend '${s.text}'`);
  const m = cfg.monitorChardev;
  if (m && !has(m.id)) throw optError(m.opt, m.text, `chardev "${m.id}" not found`);
  for (const id of cfg.mgmt.qmpChardevs) if (!has(id)) throw optError('-mon', `chardev=${id}`, `chardev "${id}" not found`);
}

function applyOption(cfg: SystemConfig, name: string, val: string): void {
  switch (name) {
    case 'M': case 'machine': parseMachine(val, cfg); return;
    case 'm': cfg.ramSize = parseMemory(val); return;
    case 'smp': cfg.smp = parseSmp(val); return;
    case 'bios': cfg.bios = val; return;
    case 'kernel': cfg.kernel = val; return;
    case 'initrd': cfg.initrd = val; return;
    case 'append': cfg.append = val; return;
    case 'dtb': cfg.dtb = val; return;
    case 'serial': cfg.serial = parseSerial(val, cfg); return;
    case 'chardev': addChardev(cfg, parseChardev(val)); return;
    case 'mon': parseMon(val, cfg); return;
    case 'drive': cfg.drives.push(parseDrive(val, cfg.drives.length)); return;
    case 'device': cfg.devices.push(parseDevice(val)); return;
    case 'd': cfg.logMask = parseLog(val); return;
    case 'D': cfg.logFile = val; return;
    case 'display':
      if (val.split(',')[0] !== 'none') throw new QemuError(`Display '${val.split(',')[0]}' is not available.`);
      return;
    case 'monitor': parseMonitor(val, cfg); return;
    case 'cpu':
      if (!/^(rv64|any|max)(,|$)/.test(val)) throw new QemuError(`unable to find CPU model '${val.split(',')[0]}'`);
      return;
    case 'accel': tcgApplyAccelArg(val); return;
    case 'name': case 'L': case 'rtc': case 'icount':
      return; // accepted, no effect yet
  }
}

/**
 * Where serial and monitor go. -nographic makes the default serial "mon:stdio"; we have no
 * graphical display, so without -nographic the default is the same (QEMU would open a window).
 */
function resolveConsole(cfg: SystemConfig, serial: string | undefined, monitor: string | undefined, display: string | undefined): void {
  void display;
  if (serial === undefined) cfg.serial = cfg.mgmt.nodefaults ? { kind: 'null' } : { kind: 'stdio', mux: true };
  if (cfg.mgmt.nodefaults && monitor === undefined) monitor = 'none';
  cfg.monitorOnStdio = monitor === 'stdio' || (monitor === undefined && (cfg.serial.kind === 'stdio' ? cfg.serial.mux : cfg.nographic));
  if (cfg.serial.kind === 'stdio' && !cfg.serial.mux && (cfg.monitorOnStdio || cfg.nographic)) {
    throw new QemuError('-serial stdio: cannot use stdio by multiple character devices');
  }
}
