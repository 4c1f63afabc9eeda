// The system emulator's -chardev backends (socket, null): opened before the machine is built,
// on the main loop's fd monitor; a server with wait=on holds startup until a client connects,
// as QEMU does.
import { QemuError, optError } from '../qemu/error.js';
import { PROG, type SystemConfig } from '../system/vl.js';
import type { Chardev } from '../chardev/char.js';
import { NullChardev } from '../chardev/char-null.js';
import { FileChardev } from '../chardev/char-file.js';
import { RingbufChardev } from '../chardev/char-ringbuf.js';
import { NodeOutputFile } from '../host/node/terminal.js';
import { strerror } from '../host/node/strerror.js';
import { mainFdMonitor, fdMonStats } from '../host/node/fdmon.js';
import { openSocketChardev } from '../host/node/char-socket.js';

/** Open every chardev of the command line; map from id. */
export async function openChardevs(cfg: SystemConfig): Promise<Map<string, Chardev>> {
  const map = new Map<string, Chardev>();
  for (const spec of cfg.chardevs) {
    if (spec.backend === 'null') { map.set(spec.id, new NullChardev(spec.id)); continue; }
    if (spec.backend === 'ringbuf') { map.set(spec.id, new RingbufChardev(spec.id, spec.size)); continue; }
    if (spec.backend === 'file') {
      try {
        map.set(spec.id, new FileChardev(spec.id, new NodeOutputFile(spec.path, spec.append)));
      } catch (e) {
        throw optError(spec.opt, spec.text, `Could not open '${spec.path}': ${strerror(e)}`);
      }
      continue;
    }
    try {
      const chr = await openSocketChardev(spec, mainFdMonitor());
      map.set(spec.id, chr);
      if (spec.server && spec.wait) {
        process.stderr.write(`${PROG}: ${spec.opt} ${spec.text}: info: QEMU waiting for connection on: ${chr.describe}\n`);
        await chr.waitConnected();
      }
    } catch (e) {
      if (!(e instanceof QemuError)) throw e;
      const more = spec.opt === '-serial' ? `\n${PROG}: -serial ${spec.text}: could not connect serial device to character backend '${spec.text}'` : '';
      throw optError(spec.opt, spec.text, e.message + more);
    }
  }
  if (process.env.TSQEMU_URING_STATS && cfg.chardevs.length > 0) process.once('exit', () => process.stderr.write(`${fdMonStats()}\n`));
  return map;
}
