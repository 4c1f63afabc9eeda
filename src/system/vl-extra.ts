// The system emulator's options added for issue 10, kept out of vl.ts's core so option
// handlers of parallel work merge: -rtc, -icount, -uuid, -boot, -pidfile, -action, -global,
// -object, -blockdev, -readconfig/-writeconfig. Parsing only; src/cli/system-riscv64.ts acts.
import { QemuError, optError } from '../qemu/error.js';
import { type QemuOptsDict, parseSize } from '../qemu/option.js';
import type { SystemConfig } from './vl.js';
import {
  type ActionConfig, type ObjectSpec, type RtcConfig, parseAction, parseBlockdev, parseBoot, parseIcount, parseObject,
  parsePidfile, parseRtc, parseUuid,
} from './vl-opts.js';

const DEFAULT_RAM_SIZE = 128 * 2 ** 20;
import { assignPflashUnits } from './vl-pflash.js';
import type { IcountConfig } from './icount.js';
import { type GlobalProp, checkNicGlobals } from './vl-global.js';

export interface CliExtras {
  rtc: RtcConfig;
  uuid?: string;
  pidfile?: string;
  action: ActionConfig;
  objects: ObjectSpec[];
  /** -blockdev nodes, in order (opened before the -drive list). */
  blockdevs: Array<{ text: string; opts: QemuOptsDict }>;
  /** -machine pflash0=/pflash1=: -blockdev node names of the flash banks. */
  pflashNodes: Array<string | undefined>;
  /** -global DRIVER.PROP=VALUE, all of them (vl-global.ts). */
  globals: GlobalProp[];
  /** -L DIR: where -bios NAME is looked for before the built-in pc-bios/. */
  dataDirs: string[];
  /** Warnings of option parsing, printed by the binary (QEMU's warn_report). */
  warnings: string[];
  /** -icount shift=...: the instruction-counting virtual clock (icount.ts). */
  icount?: IcountConfig;
  /** -machine memory-backend=ID (resolved against -object memory-backend-ram in finishExtras). */
  memoryBackend?: string;
}

export const EXTRA_WITH_ARG = ['rtc', 'icount', 'uuid', 'boot', 'pidfile', 'action', 'global', 'object', 'blockdev', 'readconfig'];

export function newExtras(): CliExtras {
  return { rtc: { base: 'utc', clock: 'host' }, action: { reboot: 'reset', shutdown: 'poweroff', panic: 'shutdown', watchdog: 'reset' }, objects: [], blockdevs: [], pflashNodes: [], globals: [], warnings: [], dataDirs: [] };
}

export function applyExtraOption(cfg: SystemConfig, name: string, val: string): void {
  const x = cfg.extras;
  switch (name) {
    case 'rtc': x.rtc = parseRtc(val); return;
    case 'icount': x.icount = parseIcount(val); return;
    case 'uuid': x.uuid = parseUuid(val); return;
    case 'boot': parseBoot(val); return;
    case 'pidfile': x.pidfile = parsePidfile(val); return;
    case 'action': parseAction(val, x.action); return;
    case 'global': return; // collected before the other options (vl-global.ts scanGlobals)
    case 'object': {
      const o = parseObject(val);
      if (x.objects.some((p) => p.id === o.id)) throw new QemuError(`attempt to add duplicate property '${o.id}' to object (type 'container')`);
      x.objects.push(o);
      return;
    }
    case 'blockdev': x.blockdevs.push({ text: val, opts: parseBlockdev(val) }); return;
    case 'readconfig': // the binary expands it before parsing (vl-readconfig.ts); not in-process
      throw new QemuError(`-${name} needs the file read by tsqemu-system-riscv64 (expandReadconfig)`);
    default:
      throw new QemuError(`invalid option`);
  }
}

/** Checks needing the whole command line: -action reboot=shutdown is -no-reboot, shutdown=pause is -no-shutdown. */
export function finishExtras(cfg: SystemConfig): void {
  assignPflashUnits(cfg);
  checkNicGlobals(cfg.extras.globals, cfg.net.nics);
  const a = cfg.extras.action;
  if (a.reboot === 'shutdown') cfg.noReboot = true;
  if (a.shutdown === 'pause') cfg.noShutdown = true;
  resolveMemoryBackend(cfg);
  for (const o of cfg.extras.objects) {
    if (o.qomType === 'rng-random') {
      const f = o.opts.get('filename') ?? '/dev/urandom';
      if (f !== '/dev/urandom' && f !== '/dev/random') throw optError('-object', o.text, `rng-random filename '${f}' is not supported by tsqemu (the host's /dev/urandom only)`);
    }
  }
}

/** QEMU's qemu_resolve_machine_memdev: the named backend is the RAM; its size is the RAM size. */
function resolveMemoryBackend(cfg: SystemConfig): void {
  const id = cfg.extras.memoryBackend;
  if (id === undefined) return;
  const o = cfg.extras.objects.find((x) => x.id === id && x.qomType === 'memory-backend-ram');
  if (!o) throw new QemuError(`Memory backend '${id}' not found`);
  const size = parseSize('size', o.opts.get('size') ?? '0');
  // -m is not told apart from its default here: a size other than the default must match.
  if (cfg.ramSize !== DEFAULT_RAM_SIZE && cfg.ramSize !== size) {
    throw new QemuError('Machine memory size does not match the size of the memory backend');
  }
  cfg.ramSize = size;
}
