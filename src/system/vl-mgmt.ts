// Command-line options of management tools (what libvirt passes): QMP monitors (-qmp, -mon
// mode=control), -name, -msg, -overcommit, -sandbox, -audiodev none, -add-fd, -daemonize,
// -no-user-config, -machine none, -gdb / -s (the GDB stub's device). vl.ts hands these
// options here.
import { QemuError } from '../qemu/error.js';
import { checkKnownKeys, parseBool, parseQemuOpts } from '../qemu/option.js';
import { type ChardevSpec, parseCompatSocket } from '../chardev/char-opts.js';

export interface MgmtConfig {
  /** Chardev ids that carry QMP (-qmp unix:/tcp:, -mon chardev=X,mode=control). */
  qmpChardevs: string[];
  /** -qmp stdio. */
  qmpStdio: boolean;
  /** -qmp stdio's chardev label. */
  qmpStdioId?: string;
  /** Monitors named so far: QEMU labels each -monitor/-qmp chardev compat_monitorN in command-line order. */
  monitorCount: number;
  /** -machine none: no harts, no devices (libvirt's probe). */
  machineNone: boolean;
  name?: string;
  uuid?: string;
  daemonize: boolean;
  msgTimestamp: boolean;
  /** -gdb DEV / -s: where the GDB stub listens. */
  gdb?: string;
  /** -add-fd set=N,fd=M[,opaque=S]. */
  fdsets: { set: number; fd: number; opaque?: string }[];
  noUserConfig: boolean;
  nodefaults: boolean;
}

export function defaultMgmtConfig(): MgmtConfig {
  return { qmpChardevs: [], qmpStdio: false, machineNone: false, daemonize: false, msgTimestamp: false, fdsets: [], noUserConfig: false, nodefaults: false, monitorCount: 0 };
}

export const MGMT_FLAGS = new Set(['no-user-config', 'daemonize', 's', 'nodefaults']);
export const MGMT_WITH_ARG = new Set(['qmp', 'qmp-pretty', 'name', 'msg', 'overcommit', 'sandbox', 'audiodev', 'add-fd', 'gdb']);

/** A flag of ours; false when not. */
export function applyMgmtFlag(m: MgmtConfig, name: string): boolean {
  switch (name) {
    case 'no-user-config': m.noUserConfig = true; return true;
    case 'daemonize': m.daemonize = true; return true;
    case 's': m.gdb = 'tcp::1234'; return true;
    case 'nodefaults': m.nodefaults = true; return true;
  }
  return false;
}

/** An option with an argument; `addChardev` registers a chardev -qmp made. */
export function applyMgmtOption(m: MgmtConfig, name: string, val: string, addChardev: (spec: ChardevSpec) => void): void {
  switch (name) {
    case 'qmp': case 'qmp-pretty': {
      if (val === 'none') return;
      const id = `compat_monitor${m.monitorCount++}`;
      if (val === 'stdio') { m.qmpStdio = true; m.qmpStdioId = id; return; }
      const spec = parseCompatSocket(val, id);
      if (!spec) throw new QemuError(`'${val.split(':')[0]}' is not a valid char driver`);
      addChardev({ ...spec, opt: `-${name}`, text: val });
      m.qmpChardevs.push(id);
      return;
    }
    case 'name': {
      const o = parseQemuOpts(val, 'guest');
      checkKnownKeys(o, ['guest', 'process', 'debug-threads'], '');
      const dt = o.get('debug-threads');
      if (dt !== undefined) parseBool('debug-threads', dt);
      m.name = o.get('guest');
      return;
    }
    case 'msg': {
      const o = parseQemuOpts(val);
      checkKnownKeys(o, ['timestamp', 'guest-name'], '');
      const ts = o.get('timestamp');
      if (ts !== undefined) m.msgTimestamp = parseBool('timestamp', ts);
      const gn = o.get('guest-name');
      if (gn !== undefined) parseBool('guest-name', gn);
      return;
    }
    case 'overcommit': {
      const o = parseQemuOpts(val);
      checkKnownKeys(o, ['mem-lock', 'cpu-pm'], '');
      const ml = o.get('mem-lock');
      if (ml !== undefined && ml !== 'off' && ml !== 'false' && ml !== 'no') {
        if (ml === 'on' || ml === 'on-fault') throw new QemuError('mem-lock=on is not supported by tsqemu (guest RAM is a WebAssembly.Memory)');
        throw new QemuError(`Parameter 'mem-lock' does not accept value '${ml}'`);
      }
      const pm = o.get('cpu-pm');
      if (pm !== undefined && parseBool('cpu-pm', pm)) throw new QemuError('cpu-pm=on is not supported by tsqemu');
      return;
    }
    case 'sandbox': {
      // tsqemu has no seccomp filter: "on" is refused rather than pretending to confine.
      const o = parseQemuOpts(val, 'enable');
      checkKnownKeys(o, ['enable', 'obsolete', 'elevateprivileges', 'spawn', 'resourcecontrol'], '');
      if (parseBool('enable', o.get('enable') ?? 'off')) throw new QemuError('seccomp sandboxing is not supported by tsqemu');
      return;
    }
    case 'audiodev': {
      let driver: string | undefined;
      let id: string | undefined;
      if (val.trimStart().startsWith('{')) {
        let j: unknown;
        try { j = JSON.parse(val); } catch { throw new QemuError('JSON parse error'); }
        const o = j as { driver?: unknown; id?: unknown };
        driver = typeof o.driver === 'string' ? o.driver : undefined;
        id = typeof o.id === 'string' ? o.id : undefined;
      } else {
        const o = parseQemuOpts(val, 'driver');
        driver = o.get('driver');
        id = o.get('id');
      }
      if (driver === undefined) throw new QemuError(`Parameter 'driver' is missing`);
      if (id === undefined) throw new QemuError(`Parameter 'id' is missing`);
      if (driver !== 'none') throw new QemuError(`audiodev driver '${driver}' is not supported by tsqemu (only 'none')`);
      return;
    }
    case 'add-fd': {
      const o = parseQemuOpts(val);
      checkKnownKeys(o, ['fd', 'set', 'opaque'], '');
      const fd = o.get('fd'), set = o.get('set');
      if (fd === undefined) throw new QemuError('fd option is required and must be non-negative');
      if (set === undefined) throw new QemuError('set option is required and must be non-negative');
      if (!/^[0-9]+$/.test(fd) || Number(fd) <= 2) throw new QemuError('fd cannot be a standard I/O stream');
      if (!/^[0-9]+$/.test(set)) throw new QemuError('set option is required and must be non-negative');
      m.fdsets.push({ set: Number(set), fd: Number(fd), opaque: o.get('opaque') });
      return;
    }
    case 'gdb': {
      if (val === 'none') { m.gdb = undefined; return; }
      if (!/^[0-9]+$/.test(val) && !parseCompatSocket(val, 'gdb')) throw new QemuError(`gdbstub: unsupported device '${val}' (tcp:[HOST]:PORT or unix:PATH)`);
      m.gdb = val;
      return;
    }
  }
}
