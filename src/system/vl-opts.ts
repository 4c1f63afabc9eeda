// Command-line options beyond the core of vl.ts, each checked as QEMU 10.2 checks it: -smp
// topology, -m size/slots/maxmem, -cpu properties, -accel, -machine properties, -rtc, -icount,
// -uuid, -boot, -pidfile, -action, -global, -object. What tsqemu does not model is refused
// with "... is not supported by tsqemu", never accepted and ignored. No host access here.
import type { IcountConfig } from './icount.js';
import { QemuError } from '../qemu/error.js';
import { type QemuOptsDict, parseBool, parseQemuOpts, parseSize } from '../qemu/option.js';
import { CpuModelError, RISCV_CPU_MODELS, riscvCpuHelp, riscvParseCpu } from '../target/riscv/cpu-models.js';
import '../target/riscv/cpu-ext-unpriv.js'; // registers Zba, Zbb, ... for -cpu

/** An error QEMU reports without the option's location ("prog: message"). */
export class QemuErrorNoLoc extends QemuError {}

const unsupported = (what: string): QemuError => new QemuError(`${what} is not supported by tsqemu`);

// ---- -smp -------------------------------------------------------------------------------------

export interface SmpConfig { cpus: number; maxcpus: number; sockets: number; cores: number; threads: number }

/** QEMU's machine_parse_smp_config for a machine without dies/clusters (the virt board). */
export function parseSmpTopology(text: string, maxCpus: number): SmpConfig {
  const o = parseQemuOpts(text, 'cpus');
  for (const k of o.keys()) {
    if (!['cpus', 'maxcpus', 'sockets', 'cores', 'threads', 'clusters', 'dies', 'books', 'drawers', 'modules'].includes(k)) {
      throw new QemuError(`Invalid parameter '${k}'`);
    }
  }
  const num = (k: string): number | undefined => {
    const v = o.get(k);
    if (v === undefined) return undefined;
    if (!/^[0-9]+$/.test(v) || Number(v) > 2 ** 32) throw new QemuErrorNoLoc(`Parameter 'smp.${k}' expects integer`);
    return Number(v);
  };
  const given = ['cpus', 'maxcpus', 'sockets', 'cores', 'threads', 'clusters', 'dies', 'books', 'drawers', 'modules'].map((k) => [k, num(k)] as const);
  if (given.some(([, v]) => v === 0)) throw new QemuErrorNoLoc('Invalid CPU topology: CPU topology parameters must be greater than zero');
  for (const [k, v] of given) {
    if (['clusters', 'dies', 'books', 'drawers', 'modules'].includes(k) && v !== undefined && v > 1) {
      throw new QemuErrorNoLoc(`${k} not supported by this machine's CPU topology`);
    }
  }
  let cpus = num('cpus') ?? 0, maxcpus = num('maxcpus') ?? 0;
  let sockets = num('sockets') ?? 0, cores = num('cores') ?? 0, threads = num('threads') ?? 0;
  if (cpus === 0 && maxcpus === 0) {
    sockets ||= 1; cores ||= 1; threads ||= 1;
  } else {
    maxcpus ||= cpus;
    // Cores are preferred over sockets (QEMU 6.2 and later).
    if (cores === 0) {
      sockets ||= 1; threads ||= 1;
      cores = Math.floor(maxcpus / (sockets * threads));
    } else if (sockets === 0) {
      threads ||= 1;
      sockets = Math.floor(maxcpus / (cores * threads));
    }
  }
  if (threads === 0) threads = Math.floor(maxcpus / (sockets * cores));
  const total = sockets * cores * threads;
  maxcpus ||= total;
  cpus ||= maxcpus;
  const topo = `sockets (${sockets}) * cores (${cores}) * threads (${threads})`;
  if (total !== maxcpus) throw new QemuErrorNoLoc(`Invalid CPU topology: product of the hierarchy must match maxcpus: ${topo} != maxcpus (${maxcpus})`);
  if (maxcpus < cpus) throw new QemuErrorNoLoc(`Invalid CPU topology: maxcpus must be equal to or greater than smp: ${topo} == maxcpus (${maxcpus}) < smp_cpus (${cpus})`);
  if (maxcpus > maxCpus) throw new QemuErrorNoLoc(`Invalid SMP CPUs ${maxcpus}. The max CPUs supported by machine 'virt' is ${maxCpus}`);
  if (maxcpus !== cpus) throw unsupported(`CPU hotplug (maxcpus ${maxcpus} > cpus ${cpus})`);
  return { cpus, maxcpus, sockets, cores, threads };
}

// ---- -m ---------------------------------------------------------------------------------------

/** -m [size=]N[,slots=N,maxmem=N] as QEMU's parse_memory_options; the RAM size in bytes. */
export function parseMemoryOpts(text: string): number {
  const o = parseQemuOpts(text, 'size');
  for (const k of o.keys()) if (!['size', 'slots', 'maxmem'].includes(k)) throw new QemuError(`Invalid parameter '${k}'`);
  let size = parseSize('size', o.get('size') ?? '128M', 'M');
  if (size === 0) size = 128 * 2 ** 20; // QEMU: 0 means the default
  size = Math.ceil(size / 8192) * 8192; // QEMU aligns RAM to 8 KiB
  const slots = o.get('slots');
  const maxmem = o.get('maxmem');
  if (slots !== undefined && !/^[0-9]+$/.test(slots)) throw new QemuError(`Parameter 'slots' expects integer`);
  if (slots !== undefined && maxmem === undefined) throw new QemuErrorNoLoc('slots specified but no max-size');
  if (maxmem !== undefined) {
    const max = parseSize('maxmem', maxmem);
    const hex = (n: number) => `0x${n.toString(16)}`;
    if (max < size) throw new QemuErrorNoLoc(`invalid value of maxmem: maximum memory size (${hex(max)}) must be at least the initial memory size (${hex(size)})`);
    if (max === size && Number(slots ?? '0') > 0) {
      throw new QemuErrorNoLoc(`invalid value of maxmem: memory slots were specified but maximum memory size (${hex(max)}) is equal to the initial memory size (${hex(size)})`);
    }
    if (max > size && Number(slots ?? '0') > 0) throw unsupported('memory hotplug (maxmem larger than the RAM size with slots)');
  }
  return size;
}

// ---- -cpu -------------------------------------------------------------------------------------

/** -cpu MODEL[,prop=value...]: the models and properties of src/target/riscv/cpu-models.ts.
 * Sets the process's RISCVCPUConfig. */
export function parseCpu(text: string): void {
  try {
    riscvParseCpu(text);
  } catch (e) {
    if (e instanceof CpuModelError) throw new QemuErrorNoLoc(e.message);
    throw e;
  }
}

export const CPU_MODELS = Object.keys(RISCV_CPU_MODELS);
export const CPU_HELP = riscvCpuHelp();

// ---- -accel / -machine accel= -------------------------------------------------------------------

export const ACCEL_HELP = 'Accelerators supported in QEMU binary:\ntcg\n';

/** tcg only; thread=single (the scheduler runs every hart on the main thread) or thread=multi
 * (system/mttcg.ts: a thread per hart). */
export function checkAccel(text: string): void {
  const o = parseQemuOpts(text, 'accel');
  const a = o.get('accel') ?? '';
  if (a !== 'tcg') throw new QemuError(`invalid accelerator ${a}`);
  const t = o.get('thread');
  if (t !== undefined && t !== 'single' && t !== 'multi') throw new QemuError(`Invalid 'thread' setting ${t}`);
}

// ---- -machine ---------------------------------------------------------------------------------

export const MACHINE_HELP = `Supported machines are:\nnone                 empty machine\nvirt                 RISC-V VirtIO board (default)\n`;

/** `-machine virt,help`: QEMU's property list for the board, with what tsqemu does with each. */
export const VIRT_PROPS_HELP = `virt-machine options:
  accel=<string>         - Accelerator list (tcg only)
  aclint=<bool>          - Set on/off to enable/disable emulating ACLINT devices
  aia-guests=<string>    - Set number of guest MMIO pages for AIA IMSIC. Valid value should be between 0 and 7.
  aia=<string>           - Set type of AIA interrupt conttoller. Valid values are none, aplic, and aplic-imsic.
  append=<string>        - Linux kernel command line
  dtb=<string>           - Linux kernel device tree file
  dump-guest-core=<bool> - Include guest memory in a core dump
  dumpdtb=<string>       - Dump current dtb to a file and quit
  initrd=<string>        - Linux initial ramdisk file
  kernel=<string>        - Linux kernel image file
  mem-merge=<bool>       - Enable/disable memory merge support
  usb=<bool>             - Set on/off to enable/disable usb (off only)
  graphics=<bool>        - Set on/off to enable/disable graphics emulation
  suppress-vmdesc=<bool> - Set on to disable self-describing migration
  pflash0=<str>          - Node name or ID of a block device to use as a backend
  pflash1=<str>          - Node name or ID of a block device to use as a backend
`;

/** virt-machine properties QEMU has that tsqemu does not model. */
const MACHINE_UNSUPPORTED = ['boot', 'confidential-guest-support', 'dt-compatible', 'firmware',
  'memory-encryption', 'memory', 'phandle-start', 'smp', 'acpi', 'iommu-sys', 'hmat', 'nvdimm',
  'spcr', 'x-remote', 'audiodev'];

export interface MachineProps {
  dumpdtb?: string; kernel?: string; initrd?: string; append?: string; dtb?: string; pflash0?: string; pflash1?: string;
  /** The interrupt controllers (hw/riscv/virt-aia.ts). */
  aia?: 'none' | 'aplic' | 'aplic-imsic'; aiaGuests?: number; aclint?: boolean;
  /** memory-backend=ID: the -object memory-backend-ram that is the board's RAM (libvirt uses it). */
  memoryBackend?: string;
}

/** One -machine's properties besides type (several -machine options add up, as QEMU's). */
export function parseMachineProps(o: QemuOptsDict, out: MachineProps): void {
  for (const [k, v] of o) {
    switch (k) {
      case 'type': break;
      case 'dumpdtb': out.dumpdtb = v; break;
      case 'kernel': out.kernel = v; break;
      case 'initrd': out.initrd = v; break;
      case 'append': out.append = v; break;
      case 'dtb': out.dtb = v; break;
      case 'pflash0': out.pflash0 = v; break;
      case 'pflash1': out.pflash1 = v; break;
      case 'memory-backend': out.memoryBackend = v; break;
      case 'accel':
        for (const a of v.split(':')) if (a !== 'tcg') throw new QemuError(a === 'kvm' || a === 'xen' || a === 'qtest' ? `accel=${a} is not supported by tsqemu` : `invalid accelerator ${a}`);
        break;
      case 'dump-guest-core': case 'mem-merge': case 'graphics': case 'suppress-vmdesc':
        parseBool(k, v); break; // host-side hints with nothing to do here (no core dumps, KSM, display or migration)
      case 'usb':
        if (parseBool(k, v)) throw unsupported(`virt-machine.${k}=on`);
        break;
      case 'aclint': out.aclint = parseBool(k, v); break;
      case 'aia':
        if (v !== 'none' && v !== 'aplic' && v !== 'aplic-imsic') throw new QemuErrorNoLoc('Invalid AIA interrupt controller type\nValid values are none, aplic, and aplic-imsic.');
        out.aia = v;
        break;
      case 'aia-guests': { // atoi, as QEMU's
        const n = Number.parseInt(v, 10) || 0;
        if (n < 0 || n > 7) throw new QemuErrorNoLoc('Invalid number of AIA IMSIC guests\nValid values be between 0 and 7.');
        out.aiaGuests = n;
        break;
      }
      default:
        if (MACHINE_UNSUPPORTED.includes(k)) throw unsupported(`virt-machine.${k}`);
        throw new QemuErrorNoLoc(`Property 'virt-machine.${k}' not found`);
    }
  }
}

// ---- -rtc -------------------------------------------------------------------------------------

export interface RtcConfig {
  /** 'utc' | 'localtime' | epoch milliseconds of a fixed start date. */
  base: 'utc' | 'localtime' | number;
  clock: 'host' | 'rt' | 'vm';
}

/** -rtc [base=utc|localtime|DATE][,clock=host|rt|vm][,driftfix=none|slew] as QEMU's configure_rtc. */
export function parseRtc(text: string): RtcConfig {
  const o = parseQemuOpts(text);
  for (const k of o.keys()) if (!['base', 'clock', 'driftfix'].includes(k)) throw new QemuError(`Invalid parameter '${k}'`);
  const cfg: RtcConfig = { base: 'utc', clock: 'host' };
  const base = o.get('base');
  if (base === 'utc' || base === undefined) cfg.base = 'utc';
  else if (base === 'localtime') cfg.base = 'localtime';
  else {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$/.exec(base);
    const t = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)) : NaN;
    if (!m || Number.isNaN(t) || +m[1] < 1900) throw new QemuErrorNoLoc("invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'");
    cfg.base = t;
  }
  const clock = o.get('clock');
  if (clock !== undefined) {
    if (clock !== 'host' && clock !== 'rt' && clock !== 'vm') throw new QemuErrorNoLoc(`invalid option value '${clock}'`);
    cfg.clock = clock;
  }
  const drift = o.get('driftfix');
  if (drift !== undefined && drift !== 'none' && drift !== 'slew') throw new QemuErrorNoLoc(`invalid option value '${drift}'`);
  // driftfix=slew only concerns the x86 mc146818 RTC: QEMU ignores it on this board too.
  return cfg;
}

/** The guest RTC's clock in ns since the epoch, from the host's wall clock and monotonic time. */
export function rtcWallClock(cfg: RtcConfig, hostNowMs: () => number, monoNs: () => bigint, vmNs: () => bigint): () => bigint {
  const startMs = hostNowMs();
  const offsetMin = new Date(startMs).getTimezoneOffset();
  const startNs = (typeof cfg.base === 'number' ? BigInt(cfg.base) : BigInt(startMs) - (cfg.base === 'localtime' ? BigInt(offsetMin * 60_000) : 0n)) * 1_000_000n;
  if (cfg.clock === 'host' && typeof cfg.base !== 'number') {
    const shift = cfg.base === 'localtime' ? BigInt(offsetMin * 60_000) * 1_000_000n : 0n;
    return () => BigInt(hostNowMs()) * 1_000_000n - shift;
  }
  const since = cfg.clock === 'vm' ? vmNs : monoNs;
  const t0 = since();
  return () => startNs + (since() - t0);
}

// ---- -icount ----------------------------------------------------------------------------------

/** -icount [shift=]N|auto[,align=on|off][,sleep=on|off]: QEMU's icount_configure checks; no
 * shift= means no instruction counting at all (QEMU's too). rr= (record/replay) is refused. */
export function parseIcount(text: string): IcountConfig | undefined {
  const o = parseQemuOpts(text, 'shift');
  for (const k of o.keys()) if (!['shift', 'align', 'sleep', 'rr', 'rrfile', 'rrsnapshot'].includes(k)) throw new QemuError(`Invalid parameter '${k}'`);
  const s = o.get('shift');
  const b = (k: string, d: boolean) => { const v = o.get(k); return v === undefined ? d : parseBool(k, v); };
  const align = b('align', false), sleep = b('sleep', true);
  if (o.has('rr') || o.has('rrfile') || o.has('rrsnapshot')) throw unsupported('-icount rr= (record/replay)');
  if (s === undefined) {
    if (o.has('align')) throw new QemuError('Please specify shift option when using align');
    return undefined;
  }
  if (s !== 'auto' && !(/^[0-9]+$/.test(s) && Number(s) <= 10)) throw new QemuErrorNoLoc('icount: Invalid shift value');
  if (align && !sleep) throw new QemuError('align=on and sleep=off are incompatible');
  return { shift: s === 'auto' ? 'auto' : Number(s), sleep, align };
}

// ---- -uuid, -boot, -pidfile, -action, -global, -object ----------------------------------------

export function parseUuid(text: string): string {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text)) throw new QemuError('failed to parse UUID string: wrong format'); // QEMU's words
  return text.toLowerCase();
}

/**
 * -boot [order=drives][,once=drives][,menu=on|off][,splash=...][,splash-time=ms][,reboot-timeout=ms][,strict=on|off].
 * The virt board has no boot-device firmware interface (fw_cfg bootorder is for EDK2): QEMU
 * accepts and checks it; the order letters are checked the same way here.
 */
export function parseBoot(text: string): void {
  const o = parseQemuOpts(text, 'order');
  for (const k of o.keys()) if (!['order', 'once', 'menu', 'splash', 'splash-time', 'reboot-timeout', 'strict'].includes(k)) throw new QemuError(`Invalid parameter '${k}'`);
  for (const k of ['order', 'once']) {
    const v = o.get(k);
    if (v === undefined) continue;
    for (const c of v) {
      if (c < 'a' || c > 'p') throw new QemuErrorNoLoc(`Invalid boot device '${c}'`);
    }
    if (new Set(v).size !== v.length) throw new QemuErrorNoLoc(`Boot device '${[...v].find((c, i) => v.indexOf(c) !== i)}' was given twice`);
  }
  for (const k of ['menu', 'strict']) { const v = o.get(k); if (v !== undefined) parseBool(k, v); }
  const rt = o.get('reboot-timeout');
  if (rt !== undefined && !/^-?[0-9]+$/.test(rt)) throw new QemuError(`Parameter 'reboot-timeout' expects integer`);
  // splash-time is also the boot menu's timeout (fw_cfg boot-menu-wait): taken like menu=, with QEMU's checks.
  const st = o.get('splash-time');
  if (st !== undefined) {
    if (!/^-?[0-9]+$/.test(st)) throw new QemuErrorNoLoc(`Parameter 'boot.splash-time' expects integer`);
    if (Number(st) < 0 || Number(st) > 0xffff) throw new QemuErrorNoLoc('splash-time is invalid,it should be a value between 0 and 65535');
  }
  if (o.has('splash')) throw unsupported('-boot splash (no display)');
  if (o.has('once')) throw unsupported('-boot once=');
}

export interface ActionConfig { reboot: 'reset' | 'shutdown'; shutdown: 'poweroff' | 'pause'; panic: 'none' | 'pause' | 'shutdown' | 'exit-failure'; watchdog: string }

/** -action reboot=reset|shutdown,shutdown=poweroff|pause,panic=...,watchdog=... */
export function parseAction(text: string, out: ActionConfig): void {
  const o = parseQemuOpts(text);
  const choices: Record<string, string[]> = {
    reboot: ['reset', 'shutdown'], shutdown: ['poweroff', 'pause'], panic: ['none', 'pause', 'shutdown', 'exit-failure'],
    watchdog: ['reset', 'shutdown', 'poweroff', 'pause', 'debug', 'none', 'inject-nmi'],
  };
  for (const [k, v] of o) {
    const c = choices[k];
    if (!c) throw new QemuError(`Invalid parameter '${k}'`);
    if (!c.includes(v)) throw new QemuError(`Parameter '${k}' does not accept value '${v}'`);
    if (k === 'panic' && v !== 'none' && v !== 'shutdown') throw unsupported(`-action panic=${v} (no pvpanic device)`);
    (out as unknown as Record<string, string>)[k] = v;
  }
}

export interface ObjectSpec { qomType: string; id: string; opts: QemuOptsDict; text: string }

/** User-creatable object types QEMU has; the ones accepted here are handled, the rest refused. */
const OBJECT_TYPES_OK = ['secret', 'rng-random', 'rng-builtin', 'memory-backend-ram', 'iothread'];
const OBJECT_KEYS: Record<string, string[]> = {
  secret: ['data', 'file', 'format', 'keyid', 'iv', 'loaded'],
  'rng-random': ['filename', 'opened'],
  'rng-builtin': ['opened'],
  'memory-backend-ram': ['size', 'merge', 'dump', 'prealloc', 'share', 'reserve', 'host-nodes', 'policy', 'prealloc-threads', 'x-use-canonical-path-for-ramblock-id'],
  iothread: ['poll-max-ns', 'poll-grow', 'poll-shrink', 'aio-max-batch', 'thread-pool-min', 'thread-pool-max'],
};
const OBJECT_TYPES_OTHER = ['secret_keyring', 'memory-backend-file', 'memory-backend-memfd', 'rng-egd', 'tls-creds-x509', 'tls-creds-psk',
  'tls-creds-anon', 'tls-cipher-suites', 'authz-simple', 'authz-list', 'authz-listfile', 'authz-pam', 'throttle-group', 'cryptodev-backend-builtin',
  'cryptodev-backend-lkcf', 'cryptodev-vhost-user', 'filter-buffer', 'filter-dump', 'filter-mirror', 'filter-redirector', 'filter-rewriter',
  'colo-compare', 'input-barrier', 'input-linux', 'main-loop', 'pr-manager-helper', 'dbus-vmstate', 'can-bus', 'can-host-socketcan',
  'acpi-generic-initiator', 'acpi-generic-port', 'sev-guest', 'thread-context', 'x-remote-object', 'iommufd'];

export const OBJECT_HELP = `List of user creatable objects:\n${OBJECT_TYPES_OK.map((t) => `  ${t}\n`).join('')}`;

/** -object TYPE,id=ID,... (dotted form; JSON form `{"qom-type": ...}` too). */
export function parseObject(text: string): ObjectSpec {
  const o = text.trimStart().startsWith('{') ? jsonToOpts(text) : parseQemuOpts(text, 'qom-type');
  const t = o.get('qom-type') ?? '';
  if (t === 'help' || t === '?') throw new PrintAndExit(OBJECT_HELP);
  if (!OBJECT_TYPES_OK.includes(t)) {
    if (OBJECT_TYPES_OTHER.includes(t) || t.startsWith('filter-')) throw unsupported(`object type '${t}'`);
    throw new QemuError(`Parameter 'qom-type' does not accept value '${t}'`);
  }
  const id = o.get('id');
  if (id === undefined) throw new QemuError(`Parameter 'id' is missing`);
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) throw new QemuError(`Parameter 'id' expects an identifier`);
  for (const k of o.keys()) {
    if (k === 'qom-type' || k === 'id') continue;
    if (!OBJECT_KEYS[t].includes(k)) throw new QemuError(`Property '${t}.${k}' not found`);
  }
  if (t === 'secret' && !o.has('data') && !o.has('file')) throw new QemuError(`Either 'data' or 'file' must be provided`);
  if (t === 'secret' && o.has('data') && o.has('file')) throw new QemuError(`'data' and 'file' are mutually exclusive`);
  if (t === 'memory-backend-ram') {
    if (!o.has('size')) throw new QemuError(`can't create backend with size 0`);
    parseSize('size', o.get('size') as string);
    for (const k of ['merge', 'dump', 'prealloc', 'share', 'reserve']) { const v = o.get(k); if (v !== undefined) parseBool(k, v); }
    if (o.has('host-nodes') || (o.get('policy') ?? 'default') !== 'default') throw unsupported('memory-backend-ram NUMA policy');
  }
  if (t === 'iothread') {
    for (const k of OBJECT_KEYS.iothread) { const v = o.get(k); if (v !== undefined && !/^[0-9]+$/.test(v)) throw new QemuError(`Parameter '${k}' expects integer`); }
  }
  return { qomType: t, id, opts: o, text };
}

/** A flat JSON object of -object/-blockdev as dotted QemuOpts ({"file": {"filename": "x"}} -> file.filename=x). */
export function jsonToOpts(text: string): QemuOptsDict {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new QemuError(`JSON parse error, ${(e as Error).message.replace(/^JSON\.parse: |^Unexpected /, 'unexpected ')}`); }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new QemuError('JSON value must be an object');
  const out: QemuOptsDict = new Map();
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, x] of Object.entries(obj)) {
      if (x !== null && typeof x === 'object' && !Array.isArray(x)) walk(x as Record<string, unknown>, `${prefix}${k}.`);
      else if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out.set(`${prefix}${k}`, typeof x === 'boolean' ? (x ? 'on' : 'off') : String(x));
      else throw new QemuError(`Parameter '${prefix}${k}' has an unsupported JSON type`);
    }
  };
  walk(v as Record<string, unknown>, '');
  return out;
}

/** -blockdev (dotted or JSON): checked here, opened with the drives (src/host/node/block.ts). */
export function parseBlockdev(text: string): QemuOptsDict {
  const o = text.trimStart().startsWith('{') ? jsonToOpts(text) : parseQemuOpts(text);
  if (!o.has('driver')) throw new QemuError(`Parameter 'driver' is missing`);
  if (!o.has('node-name')) throw new QemuError("'node-name' must be specified for the root node");
  return o;
}

export function parsePidfile(text: string): string {
  if (text === '') throw new QemuError('empty pid file name');
  return text;
}

/** A help text (-M help, -cpu help ...): printed on stdout, exit status 0, as QEMU does. */
export class PrintAndExit extends Error {
  constructor(readonly text: string) { super('help'); }
}
