// The monitor's one command table (QEMU's qapi/*.json + hmp-commands*.hx in one place): each
// command has a QMP name and typed arguments; the QMP dispatcher checks arguments against the
// types, the HMP front end parses its positional syntax into the same arguments, and
// query-commands / query-qmp-schema are generated from the table, so they list exactly the
// commands that exist. Other files add commands and `info` subcommands with registerCommand()
// and registerInfo().
import type { JsonValue } from './json-stream.js';
import type { MonitorContext } from './vm.js';

/** QAPI builtin and our own type names for argument and return descriptions. */
export type ArgType = 'str' | 'int' | 'bool' | 'number' | 'size' | 'any' | { enum: readonly string[]; name: string }
  | { array: ArgType } | { object: string; members: readonly ArgSpec[] };

export interface ArgSpec {
  name: string;
  type: ArgType;
  optional?: boolean;
}

/** QEMU's error classes (qapi/error.json). */
export type ErrorClass = 'GenericError' | 'CommandNotFound' | 'DeviceNotActive' | 'DeviceNotFound' | 'KVMMissingCap';

export class QmpError extends Error {
  constructor(readonly cls: ErrorClass, desc: string) {
    super(desc);
  }
}

/** How HMP spells a command: its name(s), argument syntax and help line (hmp-commands.hx). */
export interface HmpBinding {
  /** "cont|c" style: the name and its aliases. */
  names: string;
  /** The usage shown by help, e.g. "[-f] device size". */
  params?: string;
  help: string;
  /** Words of the command line (after the name) to QMP arguments; throws QmpError on bad input. */
  parse?(words: string[], rest: string): Record<string, JsonValue>;
  /** The reply as text (default: nothing). */
  format?(ret: JsonValue, ctx: MonitorContext): string;
}

export interface MonitorCommand {
  /** QMP name; commands that exist only in HMP have hmpOnly set and no QMP name is listed. */
  name: string;
  args?: readonly ArgSpec[];
  /** Description of the return value for the schema ('any' when free-form). */
  returns?: ArgType;
  /** Schema features (e.g. json-cli). */
  features?: readonly string[];
  /** Members beyond `args` are the driver's (blockdev-add's union): checked by the command itself. */
  openArgs?: boolean;
  /** Allowed before qmp_capabilities. */
  preCaps?: boolean;
  hmpOnly?: boolean;
  hmp?: HmpBinding;
  /** Run the command; returns the QMP "return" value (undefined = {}). */
  run(args: Record<string, JsonValue>, ctx: MonitorContext): JsonValue | undefined | Promise<JsonValue | undefined>;
}

/** An `info` subcommand: text for HMP (QEMU's hmp-commands-info.hx row). */
export interface InfoCommand {
  name: string;
  params?: string;
  help: string;
  run(args: string[], ctx: MonitorContext): string | Promise<string>;
}

export class CommandTable {
  private readonly cmds = new Map<string, MonitorCommand>();
  private readonly infos = new Map<string, InfoCommand>();

  add(cmd: MonitorCommand): void {
    if (this.cmds.has(cmd.name)) throw new Error(`monitor command ${cmd.name} registered twice`);
    this.cmds.set(cmd.name, cmd);
  }

  /** A second `info` of the same name replaces the first (a new machine in the same process). */
  addInfo(info: InfoCommand): void {
    this.infos.set(info.name, info);
  }

  /** A QMP command by name (never an HMP-only one). */
  qmp(name: string): MonitorCommand | undefined {
    const c = this.cmds.get(name);
    return c && !c.hmpOnly ? c : undefined;
  }

  qmpCommands(): MonitorCommand[] {
    return [...this.cmds.values()].filter((c) => !c.hmpOnly);
  }

  /** The HMP command a word names (name or alias). */
  hmp(word: string): MonitorCommand | undefined {
    for (const c of this.cmds.values()) if (c.hmp && c.hmp.names.split('|').includes(word)) return c;
    return undefined;
  }

  hmpCommands(): MonitorCommand[] {
    return [...this.cmds.values()].filter((c) => c.hmp).sort((a, b) => (a.hmp as HmpBinding).names.localeCompare((b.hmp as HmpBinding).names));
  }

  info(name: string): InfoCommand | undefined {
    return this.infos.get(name);
  }

  infoCommands(): InfoCommand[] {
    return [...this.infos.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** The process's table: built-in commands register at import; devices add theirs at realize. */
export const monitorCommands = new CommandTable();

/** Add a QMP (and optionally HMP) command. */
export function registerCommand(cmd: MonitorCommand): void {
  monitorCommands.add(cmd);
}

/**
 * Add an HMP `info NAME` subcommand, e.g. from the PCI code:
 *   registerInfo({ name: 'pci', help: 'show PCI info', run: () => describeBus(bus) });
 */
export function registerInfo(info: InfoCommand): void {
  monitorCommands.addInfo(info);
}

// ---- argument checking (QEMU's qobject input visitor wording) ----

function typeName(t: ArgType): string {
  if (typeof t === 'string') return t === 'str' ? 'string' : t === 'bool' ? 'boolean' : t === 'int' || t === 'size' ? 'integer' : t;
  if ('enum' in t) return 'string';
  if ('array' in t) return 'array';
  return 'object';
}

/** QEMU 7.2 names only the member itself in these messages ("capability", not "a[0].capability"). */
const leaf = (path: string): string => path.replace(/^.*[.\]]/, '');

function checkValue(path: string, t: ArgType, v: JsonValue): void {
  const bad = () => new QmpError('GenericError', `Invalid parameter type for '${leaf(path)}', expected: ${typeName(t)}`);
  if (typeof t === 'string') {
    switch (t) {
      case 'any': return;
      case 'str': if (typeof v !== 'string') throw bad(); return;
      case 'bool': if (typeof v !== 'boolean') throw bad(); return;
      case 'number': if (typeof v !== 'number') throw bad(); return;
      case 'int': case 'size':
        if (typeof v !== 'number' || !Number.isInteger(v)) throw bad();
        if (t === 'size' && v < 0) throw bad();
        return;
    }
  }
  if ('enum' in t) {
    if (typeof v !== 'string') throw bad();
    if (!t.enum.includes(v)) throw new QmpError('GenericError', `Parameter '${leaf(path)}' does not accept value '${v}'`);
    return;
  }
  if ('array' in t) {
    if (!Array.isArray(v)) throw bad();
    v.forEach((e, i) => checkValue(`${path}[${i}]`, t.array, e));
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad();
  checkArgs(t.members, v as Record<string, JsonValue>, `${path}.`);
}

/** Check a command's arguments: missing, unexpected and mistyped members, as QEMU words them. */
export function checkArgs(spec: readonly ArgSpec[], args: Record<string, JsonValue>, prefix = ''): void {
  for (const a of spec) {
    const v = args[a.name];
    if (v === undefined) {
      if (!a.optional) throw new QmpError('GenericError', `Parameter '${a.name}' is missing`);
      continue;
    }
    checkValue(`${prefix}${a.name}`, a.type, v);
  }
  for (const k of Object.keys(args)) {
    if (!spec.some((a) => a.name === k)) throw new QmpError('GenericError', `Parameter '${k}' is unexpected`);
  }
}
