// The system emulator's -chardev backends (socket, null, file, ringbuf, pty, pipe, stdio):
// opened before the machine is built, on the main loop's fd monitor; a server with wait=on
// holds startup until a client connects, as QEMU does. logfile= and mux=on wrap any of them.
import { fdsetResolve } from '../host/node/fdset.js';
import { QemuError, optError } from '../qemu/error.js';
import { PROG, type SystemConfig } from '../system/vl.js';
import type { Chardev } from '../chardev/char.js';
import type { ChardevSpec } from '../chardev/char-opts.js';
import { NullChardev } from '../chardev/char-null.js';
import { FileChardev } from '../chardev/char-file.js';
import { RingbufChardev } from '../chardev/char-ringbuf.js';
import { StdioChardev } from '../chardev/char-stdio.js';
import { MuxChardev } from '../chardev/char-mux.js';
import { NodeOutputFile, NodeTerminal } from '../host/node/terminal.js';
import { strerror } from '../host/node/strerror.js';
import { mainFdMonitor, fdMonStats } from '../host/node/fdmon.js';
import { openSocketChardev } from '../host/node/char-socket.js';
import { openPipeChardev, openPtyChardev } from '../host/node/char-fd.js';

const STDIO_TWICE = 'cannot use stdio by multiple character devices';

/** A second user of stdio besides a -chardev stdio: QEMU's error, naming the later option. */
function checkStdio(cfg: SystemConfig): void {
  const stdio = cfg.chardevs.filter((c) => c.backend === 'stdio');
  if (stdio.length > 1) throw optError(stdio[1].opt, stdio[1].text, STDIO_TWICE);
  if (stdio.length === 0) return;
  if (cfg.mgmt.qmpStdio) throw optError('-qmp', 'stdio', STDIO_TWICE);
  if (cfg.monitorText === 'stdio') throw optError('-monitor', 'stdio', STDIO_TWICE);
  const s = cfg.serial;
  if (s.kind === 'stdio') {
    const text = s.mux ? 'mon:stdio' : 'stdio';
    const loc = s.mux ? '' : '-serial stdio: ';
    throw new QemuError(`${loc}${STDIO_TWICE}\n${PROG}: ${loc}could not connect serial device to character backend '${text}'`);
  }
  if (cfg.monitorOnStdio) throw new QemuError(STDIO_TWICE);
}

async function openOne(spec: ChardevSpec, quit: () => void): Promise<Chardev> {
  switch (spec.backend) {
    case 'null': return new NullChardev(spec.id);
    case 'ringbuf': return new RingbufChardev(spec.id, spec.size);
    case 'stdio': return new StdioChardev(spec.id, new NodeTerminal(), spec.signal, quit);
    case 'file':
      try {
        return new FileChardev(spec.id, new NodeOutputFile(spec.path, spec.append));
      } catch (e) {
        throw new QemuError(`Could not open '${spec.path}': ${strerror(e)}`);
      }
    case 'pipe': return openPipeChardev(spec, mainFdMonitor());
    case 'pty': {
      const chr = openPtyChardev(spec, mainFdMonitor());
      // Printed on stdout, as QEMU's qemu_printf: libvirt reads the path from its log.
      process.stdout.write(`char device redirected to ${chr.path} (label ${spec.id})\n`);
      return chr;
    }
    case 'socket': {
      const chr = await openSocketChardev(spec, mainFdMonitor());
      if (spec.server && spec.wait) {
        process.stderr.write(`${PROG}: ${spec.opt} ${spec.text}: info: QEMU waiting for connection on: ${chr.describe}\n`);
        await chr.waitConnected();
      }
      return chr;
    }
  }
}

/** logfile=PATH: everything the frontends write also goes to the file (qemu_chr_write_log). */
function withLog(chr: Chardev, spec: ChardevSpec): Chardev {
  if (spec.logfile === undefined) return chr;
  let log: NodeOutputFile;
  try {
    // /dev/fdset/N: a descriptor of -add-fd (libvirt passes virtlogd's pipe so for <log>).
    const path = fdsetResolve(spec.logfile, false, 1); // O_WRONLY, as qemu_chr_open_log
    if (typeof path !== 'string') throw Object.assign(new Error(path.code), { code: path.code });
    log = new NodeOutputFile(path, spec.logappend);
  } catch (e) {
    chr.close();
    throw new QemuError(`Could not create '${spec.logfile}': ${strerror(e)}`);
  }
  const write = chr.write.bind(chr), close = chr.close.bind(chr);
  chr.write = (data) => { log.write(data); write(data); };
  chr.close = () => { close(); log.close(); };
  return chr;
}

/** Open every chardev of the command line; map from id. `quit` ends the emulator (stdio's Ctrl-C, the mux's C-a x). */
export async function openChardevs(cfg: SystemConfig, quit: () => void = () => process.exit(0)): Promise<Map<string, Chardev>> {
  checkStdio(cfg);
  const map = new Map<string, Chardev>();
  for (const spec of cfg.chardevs) {
    try {
      const chr = withLog(await openOne(spec, () => quit()), spec);
      map.set(spec.id, spec.mux ? new MuxChardev(spec.id, chr, { quit: () => quit() }) : chr);
    } catch (e) {
      if (!(e instanceof QemuError)) throw e;
      for (const c of map.values()) c.close();
      const more = spec.opt === '-serial' ? `\n${PROG}: -serial ${spec.text}: could not connect serial device to character backend '${spec.text}'` : '';
      throw optError(spec.opt, spec.text, e.message + more);
    }
  }
  if (process.env.TSQEMU_URING_STATS && cfg.chardevs.length > 0) process.once('exit', () => process.stderr.write(`${fdMonStats()}\n`));
  return map;
}
