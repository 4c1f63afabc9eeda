// The system emulator's command line (QEMU's softmmu/vl.c): option table, parsing into a
// SystemConfig, and QEMU's error wording. No host access here: the binary reads the files.
import { parseBalloonDevice } from './vl-balloon.js';
import { qemuOnlyDevice, qemuOnlyOption } from './vl-unsupported.js';
import { QemuError, optError } from '../qemu/error.js';
import { type QemuOptsDict, checkKnownKeys, parseBool, parseQemuOpts, parseSize } from '../qemu/option.js';
import { LOG_ITEMS, parseLogItems } from '../qemu/log.js';
import { tcgApplyAccelArg } from '../accel/tcg/tcg-accel.js';
import { type ChardevSpec, parseChardev, parseCompatBackend, parseCompatSocket } from '../chardev/char-opts.js';
import { type CliExtras, EXTRA_WITH_ARG, applyExtraOption, finishExtras, newExtras } from './vl-extra.js';
import { PFLASH_DRIVE_KEYS } from './vl-pflash.js';
import { scanGlobals, withGlobals } from './vl-global.js';
import type { VirtIrqchipConfig } from '../hw/riscv/virt-aia.js';
import { ACCEL_HELP, CPU_HELP, MACHINE_HELP, type MachineProps, PrintAndExit, QemuErrorNoLoc, VIRT_PROPS_HELP, checkAccel, parseCpu, parseMachineProps, parseMemoryOpts, parseSmpTopology } from './vl-opts.js';
import { checkDeviceProps, deviceHelp, devicePropsHelp, findDevice, parseOnOffAuto } from '../hw/core/qdev.js';
import { type MmioPlace, mmioBusIndex } from '../hw/riscv/virt-mmio-slots.js';
import { VIRTIO_COUNT } from '../hw/riscv/virt-memmap.js';
import '../hw/core/qdev-devices.js';
import {
  type NetConfig, NetRefError, checkNetConfig, newNetConfig, parseNetDevice, parseNetObject, parseNetOption, parseNetdevOption,
  parseNicOption,
} from '../net/net-opts.js';
import { type FsdevSpec, type V9fsDeviceSpec, checkFsdevRefs, parseFsdev, parseV9fsDevice, parseVirtfs } from '../fsdev/qemu-fsdev-opts.js';
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
  if: 'none' | 'virtio' | 'pflash';
  id: string;
}

export interface DeviceSpec {
  text: string;
  /** virtio-blk-device / virtio-rng-device (virtio-mmio), or a registry type (hw/core/qdev.ts) with its props. */
  driver: string;
  drive?: string;
  serial?: string;
  /** virtio-blk-device event_idx=off (VIRTIO_RING_F_EVENT_IDX not offered). */
  eventIdx?: boolean;
  /** virtio-blk-device write-cache=on|off (undefined: auto, the drive's cache mode). */
  writeCache?: boolean;
  props?: QemuOptsDict;
  /** A virtio-mmio device's place on the command line and its bus= (virt-mmio-slots.ts). */
  place?: MmioPlace;
  /** Position among the -device options (and -virtfs's): QEMU realizes PCI functions in that order. */
  seq?: number;
}

export interface SystemConfig {
  machine: string;
  dumpdtb?: string;
  /** -M virt,aia=,aia-guests=,aclint= */
  irqchip?: VirtIrqchipConfig;
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
  /** -monitor's text when given (errors name it). */
  monitorText?: string;
  drives: DriveSpec[];
  devices: DeviceSpec[];
  /** -fsdev / -virtfs, and the virtio-9p devices (-device virtio-9p-device, -virtfs). */
  fsdevs: FsdevSpec[];
  v9fsDevices: V9fsDeviceSpec[];
  /** -chardev, plus those -serial/-monitor unix:/tcp: made (ids serial0, compat_monitor0). */
  chardevs: ChardevSpec[];
  /** The HMP monitor on a chardev (-monitor unix:/tcp:/chardev:ID, -mon chardev=ID). */
  monitorChardev?: { id: string; opt: string; text: string };
  noReboot: boolean;
  noShutdown: boolean;
  startPaused: boolean;
  logMask: number;
  logFile?: string;
  /** Options of src/system/vl-extra.ts (-rtc, -uuid, -object, -blockdev, -pidfile ...). */
  extras: CliExtras;
  /** -netdev, -nic, -net, -device virtio-net-*, -object filter-dump. */
  net: NetConfig;
  /** -version / -h: print and exit; 'print': a help text of an option (-M help, -device help ...). */
  action?: 'version' | 'help' | 'print';
  printText?: string;
  /** Management options: QMP monitors, -name, -daemonize, -gdb ... (vl-mgmt.ts). */
  mgmt: MgmtConfig;
}

/** Options taking an argument, and flags (QEMU's qemu-options.def subset we accept). */
const WITH_ARG = new Set(['M', 'machine', 'm', 'smp', 'bios', 'kernel', 'initrd', 'append', 'dtb', 'serial', 'drive',
  'device', 'd', 'D', 'display', 'monitor', 'chardev', 'mon', 'cpu', 'name', 'accel', 'L', ...EXTRA_WITH_ARG,
  'netdev', 'nic', 'net', 'fsdev', 'virtfs']);
const FLAGS = new Set(['nographic', 'no-reboot', 'no-shutdown', 'S', 'version', 'h', 'help', 'snapshot', 'nodefaults']);

export const HELP_TEXT = `usage: ${PROG} [options] [disk_image]

Standard options:
-h or -help     display this help and exit
-version        display version information and exit
-machine [type=]virt[,accel=tcg][,dumpdtb=file][,kernel=,initrd=,append=,dtb=]
                (-machine help, -machine virt,help: the list)
-M              as -machine
-cpu rv64[,prop=on...]  the RISC-V CPU (rv64imafdc_zicsr_zifencei_zihintpause; -cpu help)
-accel tcg[,thread=single|multi][,tb-size=n][,one-insn-per-tb=on]  (-accel help)
-smp [cpus=]n[,maxcpus=n][,sockets=n][,cores=n][,threads=n]
                set the number of harts (1-512) and their topology
-m [size=]megs[M|G][,slots=n,maxmem=size]  set the RAM size (default 128M, at most 4094M)
-bios file|none|default  firmware (default: OpenSBI fw_dynamic)
-kernel bzImage  use 'bzImage' as kernel image (ELF or raw Image)
-append cmdline  use 'cmdline' as kernel command line
-initrd file    use 'file' as initial ram disk
-dtb file       use 'file' as device tree image
                Without -kernel, -bios, -initrd, -drive and -blockdev the built-in guest boots.
-drive [file=file][,if=virtio|none|pflash][,format=raw|qcow2|luks][,id=name][,readonly=on|off]
       [,snapshot=on|off][,cache=writeback|none|writethrough|directsync|unsafe][,serial=s]
       [,aio=threads|native|io_uring][,discard=][,detect-zeroes=][,file.locking=on|off|auto]
-blockdev driver=...,node-name=...[,...]  or a JSON object: a block node (-device drive=node)
-snapshot       write to temporary files instead of disk image files
-device virtio-blk-device,drive=id[,serial=s][,event_idx=on|off]
-device virtio-rng-device
-device driver[,prop[=value][,...]]  a registered device (use '-device help' for a list)
-device virtio-net-device,netdev=id[,mac=52:54:00:12:34:56]
-netdev user,id=id[,net=addr[/mask]][,host=addr][,dhcpstart=addr][,dns=addr][,hostname=name]
         [,restrict=on|off][,hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport]
-netdev socket,id=id[,listen=[host]:port|connect=host:port|mcast=maddr:port[,localaddr=addr]
         |udp=host:port,localaddr=host:port]
-netdev stream,id=id[,server=on|off],addr.type=inet,addr.host=host,addr.port=port|addr.type=unix,addr.path=path
-netdev dgram,id=id,remote.type=inet,remote.host=h,remote.port=p[,local.type=inet,local.host=h,local.port=p]
-netdev hubport,id=id,hubid=n[,netdev=id]
-nic user|socket|stream|dgram[,model=virtio][,mac=addr][,options]  a NIC and its back end
-net nic[,model=virtio][,macaddr=addr] | -net user|socket[,options] | -net none  legacy (hub 0)
-object filter-dump,id=id,netdev=id,file=f.pcap[,maxlen=n]  dump the netdev's frames (pcap)
-device virtio-9p-device,fsdev=id,mount_tag=tag
-fsdev local,id=id,path=path,security_model=mapped-xattr|mapped-file|passthrough|none
       [,readonly=on][,fmode=mode][,dmode=mode][,multidevs=remap|forbid|warn]
-virtfs local,path=path,mount_tag=tag,security_model=...[,id=id][,readonly=on][,fmode=][,dmode=][,multidevs=]
-object secret|rng-random|rng-builtin|memory-backend-ram|iothread,id=id[,...]
-rtc [base=utc|localtime|date][,clock=host|rt|vm][,driftfix=none|slew]
-uuid %08x-%04x-%04x-%04x-%012x  specify machine UUID
-boot [order=drives][,menu=on|off][,strict=on|off][,reboot-timeout=ms]
-pidfile file   write PID to 'file'
-action reboot=reset|shutdown,shutdown=poweroff|pause,panic=none|shutdown
-nographic      no graphical output: serial and monitor on stdio (Ctrl-A h for help)
-serial dev     stdio | mon:stdio | file:path | null | none | pty | pipe:path | chardev:id
                | unix:path[,server][,nowait] | tcp:[host]:port[,server][,nowait]
-monitor dev    stdio | none | chardev:id | unix:... | tcp:...
-chardev socket,id=id,path=path|host=host,port=port[,server=on|off][,wait=on|off]
-chardev null,id=id
-chardev file,id=id,path=path[,append=on]
-chardev ringbuf,id=id[,size=n]
-chardev stdio,id=id[,signal=on|off]
-chardev pty,id=id[,path=link]
-chardev pipe,id=id,path=path
                (every -chardev also takes logfile=path[,logappend=on] and mux=on)
-mon [chardev=]id[,mode=readline]
-display none   no display
-no-reboot      exit instead of rebooting
-no-shutdown    stop before shutdown
-S              freeze the CPUs at startup (use 'c' in the monitor to start)
-gdb dev        accept a gdb connection on dev (tcp:[HOST]:PORT, unix:PATH,server=on)
-s              shorthand for -gdb tcp::1234
-d item1,...    enable logging of specified items (use '-d help' for a list)
-D logfile      output log to logfile (default stderr)
-nodefaults     don't create default devices (serial, monitor)

-drive if=pflash,[unit=0|1,]file=...  a CFI flash bank (32 MiB image); -machine pflash0=,pflash1= a -blockdev node
-icount [shift=]N|auto[,sleep=on|off][,align=on|off]  guest time from the instruction count (2^N ns each)
-global driver.prop=value | driver=d,property=p,value=v  default property of every such device
-readconfig file  options from an ini-style file ([drive "id"], [device "id"], [netdev "id"], [machine] ...)
Not supported (refused): -icount rr=,
CPU extensions beyond RV64GC.

During emulation, with the mux (-nographic or -serial mon:stdio):
C-a h    print help
C-a x    exit emulator
C-a c    switch between console and monitor
C-a C-a  sends C-a
`;

function parseMachine(text: string, cfg: SystemConfig): void {
  const o = parseQemuOpts(text, 'type');
  const type = o.get('type') ?? cfg.machine;
  if (type === 'none') { cfg.mgmt.machineNone = true; cfg.bios = 'none'; return; }
  if (type === 'help' || type === '?') throw new PrintAndExit(MACHINE_HELP);
  if (type !== 'virt') throw new QemuErrorNoLoc('unsupported machine type\nUse -machine help to list supported machines');
  if (o.has('help')) throw new PrintAndExit(VIRT_PROPS_HELP);
  cfg.machine = type;
  const props: MachineProps = {};
  parseMachineProps(o, props);
  if (props.dumpdtb !== undefined) cfg.dumpdtb = props.dumpdtb;
  if (props.kernel !== undefined) cfg.kernel = props.kernel;
  if (props.initrd !== undefined) cfg.initrd = props.initrd;
  if (props.append !== undefined) cfg.append = props.append;
  if (props.dtb !== undefined) cfg.dtb = props.dtb;
  if (props.pflash0 !== undefined) cfg.extras.pflashNodes[0] = props.pflash0;
  if (props.pflash1 !== undefined) cfg.extras.pflashNodes[1] = props.pflash1;
  if (props.memoryBackend !== undefined) cfg.extras.memoryBackend = props.memoryBackend;
  if (props.aia !== undefined || props.aiaGuests !== undefined || props.aclint !== undefined) {
    const ic = (cfg.irqchip ??= { aia: 'none', aiaGuests: 0, aclint: false });
    ic.aia = props.aia ?? ic.aia;
    ic.aiaGuests = props.aiaGuests ?? ic.aiaGuests;
    ic.aclint = props.aclint ?? ic.aclint;
  }
}

function parseMemory(text: string): number {
  return parseMemoryOpts(text);
}

function parseSmp(text: string): number {
  return parseSmpTopology(text, 512).cpus;
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
  // A host device path is QEMU's tty (or parallel port) back end.
  if (text.startsWith('/dev/')) throw new QemuError(`character backend '${text.startsWith('/dev/parport') ? 'parallel' : 'serial'}' is not supported by tsqemu`);
  if (['vc', 'udp', 'telnet', 'tty', 'msmouse', 'braille', 'chardev'].includes(name)) {
    throw new QemuError(`character backend '${name}' is not supported by tsqemu`);
  }
  throw new QemuError(`'${name}' is not a valid char driver`);
}

const DRIVE_KEYS = ['file', 'format', 'if', 'id', 'index', 'media', 'readonly', 'read-only', 'snapshot', 'cache', 'aio',
  'discard', 'detect-zeroes', 'serial', 'werror', 'rerror', 'node-name', 'driver'];

function parseDrive(text: string, index: number): DriveSpec {
  const opts = parseQemuOpts(text);
  const iface = opts.get('if') ?? 'none';
  for (const k of opts.keys()) {
    if (!DRIVE_KEYS.includes(k) && !/^(file|encrypt|backing)\./.test(k) && !(iface === 'pflash' && PFLASH_DRIVE_KEYS.includes(k))) throw new QemuError(`Invalid parameter '${k}'`);
  }
  if (iface !== 'none' && iface !== 'virtio' && iface !== 'pflash') {
    if (['ide', 'scsi', 'floppy', 'mtd', 'sd', 'xen'].includes(iface)) {
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

/** The virtio-mmio devices parsed here (not in the registry). */
const MMIO_DEVICES = [
  { name: 'virtio-blk-device', bus: 'virtio-bus', category: 'Storage devices' },
  { name: 'virtio-rng-device', bus: 'virtio-bus', category: 'Misc devices' },
  { name: 'virtio-balloon-device', bus: 'virtio-bus', category: 'Misc devices' },
  { name: 'virtio-net-device', bus: 'virtio-bus', category: 'Network devices' },
  { name: 'virtio-net-pci', bus: 'PCI', category: 'Network devices', alias: 'virtio-net' },
  { name: 'virtio-9p-device', bus: 'virtio-bus', category: 'Storage devices' },
  { name: 'virtio-9p-pci', bus: 'PCI', category: 'Storage devices' },
  { name: 'virtio-serial-device', bus: 'virtio-bus', category: 'Input devices' },
];

/** `-device X,help` of the devices parsed here: the properties tsqemu takes, in QEMU's layout. */
const p = (name: string, type: string, desc = '') => `  ${`${name}=<${type}>`.padEnd(22)}${desc ? ` - ${desc}` : ''}`;
const NETDEV = p('netdev', 'str', 'ID of a netdev to use as a backend');
const MAC = p('mac', 'str', 'Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56');
const ADDR = p('addr', 'int32', 'Slot and optional function number, example: 06.0 or 06 (default: -1)');
const MMIO_PROPS_HELP: Record<string, string> = {
  'virtio-blk-device': [p('bootindex', 'int32'), p('drive', 'str', 'Node name or ID of a block device to use as a backend'), p('event_idx', 'bool', 'on/off (default: true)'), p('serial', 'str'),
    p('write-cache', 'OnOffAuto', 'on/off/auto (default: "auto")')].join('\n'),
  'virtio-balloon-device': [p('deflate-on-oom', 'bool', 'on/off (default: false)'), p('free-page-hint', 'bool', 'on/off (default: false)'), p('free-page-reporting', 'bool', 'on/off (default: false)')].join('\n'),
  'virtio-net-device': [MAC, NETDEV].join('\n'),
  'virtio-net-pci': [ADDR, MAC, NETDEV].join('\n'),
  'virtio-9p-device': [p('fsdev', 'str'), p('mount_tag', 'str')].join('\n'),
  'virtio-9p-pci': [ADDR, p('fsdev', 'str'), p('mount_tag', 'str')].join('\n'),
  'virtio-serial-device': [p('emergency-write', 'bool', 'on/off (default: true)'), p('max_ports', 'uint32', ' (default: 31)')].join('\n'),
};

/** Position of the next -device among all of them (net, 9p and the rest are kept apart). */
function deviceSeq(cfg: SystemConfig): number {
  return cfg.devices.length + cfg.v9fsDevices.length + cfg.net.nics.length;
}


/** -device X,help for the devices parsed here, before any of their parsers sees `help`. */
function mmioDeviceHelp(text: string): void {
  const o = parseQemuOpts(text, 'driver');
  if (!o.has('help')) return;
  const d = MMIO_DEVICES.find((x) => x.name === o.get('driver') || x.alias === o.get('driver'));
  if (!d) return;
  const h = MMIO_PROPS_HELP[d.name];
  throw new PrintAndExit(h ? `${d.name} options:\n${h}\n` : `There are no options for ${d.name}.\n`);
}

/** The -device's place, with its bus= checked (a virtio-mmio device's). */
function mmioPlace(text: string, seq: number): MmioPlace {
  const o = parseQemuOpts(text, 'driver');
  const driver = o.get('driver') ?? '';
  const bus = o.get('bus');
  if (bus !== undefined) mmioBusIndex(bus, driver, VIRTIO_COUNT);
  return { seq, driver, text, bus };
}

function parseDevice(text: string, cfg: SystemConfig): DeviceSpec | undefined {
  const o = parseQemuOpts(text, 'driver');
  const driver = o.get('driver') ?? '';
  if (driver === 'help' || driver === '?') throw new PrintAndExit(`${deviceHelp(MMIO_DEVICES)}\n`);
  const dc = findDevice(driver);
  if (dc) {
    if (o.has('help')) throw new PrintAndExit(`${devicePropsHelp(dc)}\n`);
    checkDeviceProps(dc, o.keys());
    return { text, driver: dc.name, props: o, seq: deviceSeq(cfg) };
  }
  const place = MMIO_DEVICES.some((d) => d.name === driver) ? mmioPlace(text, deviceSeq(cfg)) : undefined;
  if (driver === 'virtio-blk-device') {
    for (const k of o.keys()) {
      if (!['driver', 'drive', 'serial', 'id', 'bootindex', 'event_idx', 'bus', 'write-cache'].includes(k)) throw new QemuError(`Property 'virtio-blk-device.${k}' not found`);
    }
    // bootindex (libvirt always sets it) orders firmware boot devices; -kernel boots here, as QEMU's virt.
    const bi = o.get('bootindex');
    if (bi !== undefined && !/^-?[0-9]+$/.test(bi)) throw new QemuError(`Parameter 'bootindex' expects an int32 value`);
    if (!o.has('drive')) throw new QemuError('drive property not set');
    const ev = o.get('event_idx');
    const writeCache = parseOnOffAuto('write-cache', o.get('write-cache'));
    return { text, driver: 'virtio-blk-device', drive: o.get('drive'), serial: o.get('serial'), ...(ev !== undefined ? { eventIdx: parseBool('event_idx', ev) } : {}), writeCache, place };
  }
  if (driver === 'virtio-balloon-device') return { ...parseBalloonDevice(text, o), place };
  if (driver === 'virtio-serial-device') {
    for (const k of o.keys()) {
      if (!['driver', 'id', 'bus', 'max_ports', 'emergency-write'].includes(k)) throw new QemuError(`Property 'virtio-serial-device.${k}' not found`);
    }
    return { text, driver: 'virtio-serial-device', place };
  }
  if (driver === 'virtio-rng-device') {
    for (const k of o.keys()) {
      if (!['driver', 'id', 'bus'].includes(k)) throw new QemuError(`Property 'virtio-rng-device.${k}' not found`);
    }
    return { text, driver: 'virtio-rng-device', place };
  }
  throw new QemuError(qemuOnlyDevice(driver) ? `device '${driver}' is not supported by tsqemu` : `'${driver}' is not a valid device model name`);
}

function parseLog(text: string): number {
  if (text === 'help') throw new PrintAndExit(`Log items (comma separated):\n${LOG_ITEMS.map(([n, , h]) => `${n.padEnd(15)} ${h}`).join("\n")}\n`);
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
    serial: { kind: 'stdio', mux: true }, monitorOnStdio: true, drives: [], devices: [], fsdevs: [], v9fsDevices: [],
    noReboot: false, noShutdown: false, startPaused: false, logMask: 0, chardevs: [], extras: newExtras(), net: newNetConfig(), mgmt: defaultMgmtConfig(),
  };
  let serialText: string | undefined;
  let monitorText: string | undefined;
  /** -serial stdio|mon:stdio and -monitor stdio given: QEMU lets one chardev have stdio. */
  const stdioSerials: string[] = [];
  let stdioMonitors = 0;
  let display: string | undefined;
  let snapshot = false;
  let nodefaults = false;
  cfg.extras.globals = scanGlobals(argv, (m) => cfg.extras.warnings.push(m));
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
        case 'snapshot': snapshot = true; break; // every drive gets snapshot=on at the end
        case 'nodefaults': nodefaults = true; break;
      }
      continue;
    }
    if (!WITH_ARG.has(name)) {
      const q = qemuOnlyOption(name); // QEMU has it: not supported rather than invalid
      if (q === 'arg' && i + 1 < argv.length) throw optError(arg, argv[i + 1], 'this option is not supported by tsqemu');
      throw optError(arg, undefined, q ? 'this option is not supported by tsqemu' : 'invalid option');
    }
    if (i + 1 >= argv.length) throw optError(arg, undefined, 'requires an argument');
    const val = argv[++i];
    try {
      applyOption(cfg, name, val);
      if (cfg.action === 'print') return cfg;
      if (name === 'serial') serialText = val;
      if (name === 'monitor' || name === 'mon') monitorText = val;
      if (name === 'serial' && (val === 'stdio' || val === 'mon:stdio')) stdioSerials.push(val);
      if (name === 'monitor' && val === 'stdio') stdioMonitors++;
      if (name === 'display') display = val;
    } catch (e) {
      if (e instanceof PrintAndExit) { cfg.action = 'print'; cfg.printText = e.text; return cfg; }
      // -chardev help, -netdev help: a list on stdout, exit 0 (as QEMU's)
      if (e instanceof QemuError && /^Available (\w+ backend types|NIC models for this configuration):/.test(e.message)) { cfg.action = 'print'; cfg.printText = `${e.message}\n`; return cfg; }
      if (e instanceof QemuError && !(e instanceof QemuErrorNoLoc)) {
        throw optError(arg, val, e.message);
      }
      throw e;
    }
  }
  // -snapshot applies to every drive, given before or after it (a drive's own snapshot=off wins).
  if (snapshot) cfg.drives.forEach((d) => { if (!d.opts.has('snapshot')) d.opts.set('snapshot', 'on'); });
  // -nodefaults (anywhere): no default serial and no default monitor, as QEMU's.
  if (nodefaults && serialText === undefined) { serialText = 'none'; cfg.serial = { kind: 'null' }; }
  if (nodefaults && monitorText === undefined) monitorText = 'none';
  checkStdioUsers(cfg, stdioSerials, stdioMonitors, serialText === undefined && !nodefaults && !cfg.mgmt.nodefaults);
  resolveConsole(cfg, serialText, monitorText, display);
  checkChardevRefs(cfg);
  finishExtras(cfg);
  try {
    checkNetConfig(cfg.net);
  } catch (e) {
    if (e instanceof NetRefError) throw optError(e.opt, e.text, e.message);
    throw e;
  }
  checkFsdevRefs(cfg.fsdevs, cfg.v9fsDevices);
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
    spec = parseCompatSocket(text, id) ?? parseCompatBackend(text, id);
  } catch (e) {
    if (failLine && e instanceof QemuError) throw new QemuError(`${e.message}\n${PROG}: ${opt} ${text}: ${failLine} '${text}'`);
    throw e;
  }
  if (!spec) return undefined;
  addChardev(cfg, { ...spec, opt, text });
  return id;
}

function parseMonitor(val: string, cfg: SystemConfig): void {
  if (val === 'none') return;
  const label = `compat_monitor${cfg.mgmt.monitorCount++}`;
  if (val === 'stdio' || val === 'null') return;
  if (val.startsWith('chardev:')) { cfg.monitorChardev = { id: val.slice(8), opt: '-monitor', text: val }; return; }
  const id = compatChardev(val, label, '-monitor', cfg);
  if (!id) {
    const name = val.split(':')[0];
    if (val.startsWith('/dev/') || ['vc', 'udp', 'telnet', 'tty', 'msmouse', 'braille'].includes(name)) throw new QemuError(`character backend '${val.startsWith('/dev/') ? 'serial' : name}' is not supported by tsqemu`);
    throw new QemuError(`'${name}' is not a valid char driver`);
  }
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
    case 'device': withGlobals(cfg.extras.globals, val, (val) => {
      mmioDeviceHelp(val);
      const seq = deviceSeq(cfg);
      if (parseNetDevice(cfg.net, val)) {
        const nic = cfg.net.nics[cfg.net.nics.length - 1];
        if (nic.model === 'virtio-net-device') nic.place = mmioPlace(val, seq);
        else nic.seq = seq;
        return;
      }
      if (/^(driver=)?virtio-9p-(device|pci)(,|$)/.test(val)) {
        const d = parseV9fsDevice(val);
        cfg.v9fsDevices.push(d.transport === 'mmio' ? { ...d, place: mmioPlace(val, seq) } : { ...d, seq });
        return;
      }
      const d = parseDevice(val, cfg);
      if (d) cfg.devices.push(d);
    }); return;
    case 'netdev': parseNetdevOption(cfg.net, val); return;
    case 'nic': parseNicOption(cfg.net, val); return;
    case 'net': parseNetOption(cfg.net, val); return;
    case 'object':
      if (!parseNetObject(cfg.net, val)) applyExtraOption(cfg, name, val);
      return;
    case 'fsdev': cfg.fsdevs.push(parseFsdev(val)); return;
    case 'virtfs': {
      const v = parseVirtfs(val, cfg.fsdevs.length);
      // QEMU's -virtfs adds a -device virtio-9p-pci option in its place on the command line.
      const seq = deviceSeq(cfg);
      cfg.fsdevs.push(v.fsdev);
      cfg.v9fsDevices.push({ ...v.device, seq });
      return;
    }
    case 'd': cfg.logMask = parseLog(val); return;
    case 'D': cfg.logFile = val; return;
    case 'display':
      if (val.split(',')[0] !== 'none') throw new QemuError(`Display '${val.split(',')[0]}' is not available.`);
      return;
    case 'monitor': parseMonitor(val, cfg); return;
    case 'cpu':
      if (val === 'help' || val === '?') throw new PrintAndExit(CPU_HELP);
      parseCpu(val);
      return;
    case 'accel':
      if (val === 'help' || val === '?') throw new PrintAndExit(ACCEL_HELP);
      checkAccel(val);
      tcgApplyAccelArg(val);
      return;
    case 'L': cfg.extras.dataDirs.push(val); return; // firmware search path (-bios NAME)
    case 'name':
      return; // handled by vl-mgmt.ts
    default:
      applyExtraOption(cfg, name, val);
  }
}

const STDIO_TWICE = 'cannot use stdio by multiple character devices';

/**
 * One chardev may own stdio, as QEMU's: monitors are created first (a second -monitor stdio
 * fails), then the serial ports (-serial stdio/mon:stdio after a stdio monitor or another one
 * fails); -nographic with -monitor stdio makes the default serial plain stdio, which fails too.
 */
function checkStdioUsers(cfg: SystemConfig, serials: readonly string[], monitors: number, defaultSerial: boolean): void {
  if (monitors > 1) throw optError('-monitor', 'stdio', STDIO_TWICE);
  const allowed = monitors > 0 ? 0 : 1;
  if (serials.length > allowed) throw optError('-serial', serials[allowed], STDIO_TWICE);
  if (cfg.nographic && defaultSerial && monitors > 0) throw new QemuErrorNoLoc(STDIO_TWICE);
}

/**
 * Where serial and monitor go. -nographic makes the default serial "mon:stdio"; we have no
 * graphical display, so without -nographic the default is the same (QEMU would open a window).
 */
function resolveConsole(cfg: SystemConfig, serial: string | undefined, monitor: string | undefined, display: string | undefined): void {
  void display;
  if (monitor !== undefined) cfg.monitorText = monitor;
  if (serial === undefined) cfg.serial = cfg.mgmt.nodefaults ? { kind: 'null' } : { kind: 'stdio', mux: true };
  if (cfg.mgmt.nodefaults && monitor === undefined) monitor = 'none';
  cfg.monitorOnStdio = monitor === 'stdio' || (monitor === undefined && (cfg.serial.kind === 'stdio' ? cfg.serial.mux : cfg.nographic));
  if (cfg.serial.kind === 'stdio' && !cfg.serial.mux && (cfg.monitorOnStdio || cfg.nographic)) {
    throw new QemuError(`-serial stdio: ${STDIO_TWICE}`);
  }
}
