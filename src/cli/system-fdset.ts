// The fd-set monitor commands (QEMU's monitor/fds.c): query-fdsets and remove-fd, on the host's
// fd sets (src/host/node/fdset.ts), and -add-fd's descriptors taken in at start-up. QMP add-fd
// needs a descriptor passed with SCM_RIGHTS, which our QMP socket does not receive yet: it is not
// registered, so query-commands does not list it.
import { QemuError } from '../qemu/error.js';
import { QmpError, registerCommand } from '../monitor/monitor.js';
import type { JsonValue } from '../monitor/json-stream.js';
import type { MgmtConfig } from '../system/vl-mgmt.js';
import { fdsetAddInherited, fdsetQuery, fdsetRemove } from '../host/node/fdset.js';

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
