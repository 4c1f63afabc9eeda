// query-qmp-schema generated from the command table (QEMU's qapi-introspect output format,
// SchemaInfo): every command the table has, its argument object and return type, the events we
// emit, and each type they reference, so a client such as libvirt can walk any path it finds.
import type { ArgSpec, ArgType, CommandTable } from './commands.js';
import type { JsonObject } from './json-stream.js';

const BUILTINS: Record<string, string> = { str: 'string', int: 'int', bool: 'boolean', number: 'number', size: 'int', any: 'value', null: 'null' };

/** Events tsqemu emits, with their data members. */
export const QMP_EVENTS: Record<string, readonly ArgSpec[]> = {
  STOP: [], RESUME: [], POWERDOWN: [],
  SHUTDOWN: [{ name: 'guest', type: 'bool' }, { name: 'reason', type: { enum: ['host-error', 'host-qmp-quit', 'host-qmp-system-reset', 'host-signal', 'host-ui', 'guest-shutdown', 'guest-reset', 'guest-panic', 'subsystem-reset'], name: 'ShutdownCause' } }],
  RESET: [{ name: 'guest', type: 'bool' }, { name: 'reason', type: { enum: ['host-error', 'host-qmp-quit', 'host-qmp-system-reset', 'host-signal', 'host-ui', 'guest-shutdown', 'guest-reset', 'guest-panic', 'subsystem-reset'], name: 'ShutdownCause' } }],
  BLOCK_IO_ERROR: [{ name: 'device', type: 'str' }, { name: 'node-name', type: 'str', optional: true },
    { name: 'operation', type: { enum: ['read', 'write'], name: 'IoOperationType' } },
    { name: 'action', type: { enum: ['ignore', 'report', 'stop'], name: 'BlockErrorAction' } },
    { name: 'nospace', type: 'bool', optional: true }, { name: 'reason', type: 'str' }],
  BALLOON_CHANGE: [{ name: 'actual', type: 'int' }],
  // libvirt takes QEMU_CAPS_VSERPORT_CHANGE from here: channel states, query-chardev's frontend-open.
  VSERPORT_CHANGE: [{ name: 'id', type: 'str' }, { name: 'open', type: 'bool' }],
};

export function qmpSchema(table: CommandTable): JsonObject[] {
  const out: JsonObject[] = [];
  const seen = new Set<string>();
  const add = (name: string, info: JsonObject): string => {
    if (!seen.has(name)) { seen.add(name); out.push({ name, ...info }); }
    return name;
  };
  const typeRef = (t: ArgType): string => {
    if (typeof t === 'string') return add(t, { 'meta-type': 'builtin', 'json-type': BUILTINS[t] });
    if ('enum' in t) return add(t.name, { 'meta-type': 'enum', members: t.enum.map((n) => ({ name: n })), values: [...t.enum] });
    if ('array' in t) {
      const el = typeRef(t.array);
      return add(`[${el}]`, { 'meta-type': 'array', 'element-type': el });
    }
    return objectRef(t.object, t.members);
  };
  const objectRef = (name: string, members: readonly ArgSpec[]): string => {
    if (seen.has(name)) return name;
    const ms = members.map((m) => (m.optional ? { name: m.name, default: null, type: typeRef(m.type) } : { name: m.name, type: typeRef(m.type) }));
    return add(name, { 'meta-type': 'object', members: ms });
  };
  const empty = objectRef('0', []);
  const cmds = [...table.qmpCommands()].sort((a, b) => a.name.localeCompare(b.name));
  for (const c of cmds) {
    const info: JsonObject = { 'meta-type': 'command', 'arg-type': c.args?.length ? objectRef(`${c.name}-arg`, c.args) : empty,
      'ret-type': c.returns ? typeRef(c.returns) : empty };
    if (c.features?.length) info.features = [...c.features];
    add(c.name, info);
  }
  for (const [ev, members] of Object.entries(QMP_EVENTS)) {
    add(ev, { 'meta-type': 'event', 'arg-type': members.length ? objectRef(`${ev}-data`, members) : empty });
  }
  return out;
}
