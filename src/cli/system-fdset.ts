// The fd monitor commands (QEMU's monitor/fds.c): query-fdsets, remove-fd, add-fd, getfd and
// closefd on the host's fd sets (src/host/node/fdset.ts), and -add-fd's descriptors taken in at
// start-up. add-fd and getfd take the descriptor the QMP client passed with SCM_RIGHTS on a
// unix socket (the chardev's getMsgFd).
import { QemuError } from '../qemu/error.js';
import { QmpError, registerCommand } from '../monitor/monitor.js';
import type { JsonValue } from '../monitor/json-stream.js';
import type { MgmtConfig } from '../system/vl-mgmt.js';
import * as fs from 'node:fs';
import { fdsetAdd, fdsetAddInherited, fdsetNextId, fdsetQuery, fdsetRemove } from '../host/node/fdset.js';
import type { MonitorContext } from '../monitor/vm.js';

/** getfd's named descriptors (QEMU keeps them per monitor; one table here). */
const named = new Map<string, number>();

function takeMsgFd(ctx: MonitorContext): number {
  const fd = ctx.getMsgFd?.() ?? -1;
  if (fd < 0) throw new QmpError('GenericError', 'No file descriptor supplied via SCM_RIGHTS');
  return fd;
}

const closeFd = (fd: number): void => { try { fs.closeSync(fd); } catch { /* gone */ } };

/** Take in the -add-fd descriptors (before any /dev/fdset/N path is opened). */
export function addInheritedFds(m: MgmtConfig): void {
  for (const f of m.fdsets) {
    if (!fdsetAddInherited(f.set, f.fd, f.opaque)) {
      const text = `fd=${f.fd},set=${f.set}${f.opaque !== undefined ? `,opaque=${f.opaque}` : ''}`;
      throw new QemuError(`-add-fd ${text}: fd is not valid or already in use`);
    }
  }
}

let registered = false;

export function registerFdsetCommands(): void {
  if (registered) return;
  registered = true;
  registerCommand({
    name: 'query-fdsets', returns: 'any',
    run: () => fdsetQuery() as unknown as JsonValue,
  });
  registerCommand({
    name: 'add-fd', args: [{ name: 'fdset-id', type: 'int', optional: true }, { name: 'opaque', type: 'str', optional: true }],
    returns: 'any',
    run: (a, ctx) => {
      const fd = takeMsgFd(ctx);
      const set = a['fdset-id'] === undefined ? fdsetNextId() : Number(a['fdset-id']);
      fdsetAdd(set, fd, a.opaque === undefined ? undefined : String(a.opaque));
      return { fd, 'fdset-id': set };
    },
  });
  registerCommand({
    name: 'getfd', args: [{ name: 'fdname', type: 'str' }],
    run: (a, ctx) => {
      const fd = takeMsgFd(ctx);
      const name = String(a.fdname);
      if (/^[0-9]/.test(name)) {
        closeFd(fd);
        throw new QmpError('GenericError', "Parameter 'fdname' expects a name not starting with a digit");
      }
      const old = named.get(name);
      if (old !== undefined) closeFd(old);
      named.set(name, fd);
      return undefined;
    },
  });
  registerCommand({
    name: 'closefd', args: [{ name: 'fdname', type: 'str' }],
    run: (a) => {
      const name = String(a.fdname);
      const fd = named.get(name);
      if (fd === undefined) throw new QmpError('GenericError', `File descriptor named '${name}' not found`);
      named.delete(name);
      closeFd(fd);
      return undefined;
    },
  });
  registerCommand({
    name: 'remove-fd', args: [{ name: 'fdset-id', type: 'int' }, { name: 'fd', type: 'int', optional: true }],
    run: (a) => {
      const set = Number(a['fdset-id']);
      const fd = a.fd === undefined ? undefined : Number(a.fd);
      if (!fdsetRemove(set, fd)) {
        throw new QmpError('GenericError', `File descriptor named '${fd === undefined ? `fdset-id:${set}` : `fdset-id:${set}, fd:${fd}`}' not found`);
      }
      return undefined;
    },
  });
}
