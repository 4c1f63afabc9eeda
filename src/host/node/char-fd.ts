// Host side of -chardev pty and -chardev pipe (QEMU's char-pty.c, char-pipe.c): the pty master
// comes from the tsqemu_sys addon (posix_openpt, grantpt, unlockpt, the slave set raw, as
// qemu_openpty_raw); pipes are opened O_RDWR, so a FIFO never blocks the open and never reads
// end-of-file while we run. Reads and writes are non-blocking, driven by the fd monitor.
import * as fs from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { QemuError } from '../../qemu/error.js';
import { FdChardev, type HostFdOps, PtyChardev } from '../../chardev/char-fd.js';
import type { ChardevPipeSpec, ChardevPtySpec } from '../../chardev/char-opts.js';
import type { FdMonitor } from '../../main-loop/fd-handler.js';
import { loadUserSys } from './user-sys.js';
import { strerror } from './strerror.js';

const POLLHUP = 0x10;

function fdOps(): HostFdOps {
  const sys = loadUserSys();
  const pfd = new Uint8Array(8);
  const dv = new DataView(pfd.buffer);
  return {
    read: (fd, buf) => {
      try {
        return fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EAGAIN' ? null : 0; // EIO: a pty's slave closed
      }
    },
    write: (fd, data) => {
      try {
        return fs.writeSync(fd, data);
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EAGAIN' ? null : -1;
      }
    },
    hungUp: (fd) => {
      if (!sys) return false;
      dv.setInt32(0, fd, true);
      dv.setInt16(4, 0, true); // events: POLLHUP is always reported
      dv.setInt16(6, 0, true);
      return sys.poll(pfd, 1, 0) > 0 && (dv.getInt16(6, true) & POLLHUP) !== 0;
    },
    close: (fd) => { try { fs.closeSync(fd); } catch { /* already gone */ } },
  };
}

/** A new pty chardev; QEMU prints where it went (libvirt reads it, and query-chardev). */
export function openPtyChardev(s: ChardevPtySpec, mon: FdMonitor | null): PtyChardev {
  const sys = loadUserSys();
  if (!sys?.openPty || !mon) throw new QemuError('pty chardevs need the native tsqemu_sys addon (not built at npm install)');
  const name = new Uint8Array(128);
  const fd = sys.openPty(name);
  if (fd < 0) throw new QemuError(`Failed to create PTY: ${getSystemErrorMap().get(fd)?.[1] ?? `error ${-fd}`}`);
  const path = new TextDecoder().decode(name.subarray(0, name.indexOf(0)));
  const chr = new PtyChardev(s.id, fdOps(), mon, fd, path);
  if (s.path !== undefined) {
    try {
      fs.symlinkSync(path, s.path);
    } catch (e) {
      chr.close();
      throw new QemuError(`Failed to create symlink to PTY: ${strerror(e)}`);
    }
    const link = s.path;
    const close = chr.close.bind(chr);
    chr.close = () => { close(); try { fs.unlinkSync(link); } catch { /* gone */ } };
  }
  return chr;
}

function openRdwr(path: string): number {
  return fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK | 0o2000000); // O_CLOEXEC
}

/** PATH.in and PATH.out when both open, else PATH for both directions (qemu_chr_open_pipe). */
export function openPipeChardev(s: ChardevPipeSpec, mon: FdMonitor | null): FdChardev {
  if (!mon) throw new QemuError('pipe chardevs need the native tsqemu_sys addon (not built at npm install)');
  let fdIn = -1, fdOut = -1;
  try { fdIn = openRdwr(`${s.path}.in`); } catch { /* try PATH */ }
  try { fdOut = openRdwr(`${s.path}.out`); } catch { /* try PATH */ }
  if (fdIn < 0 || fdOut < 0) {
    if (fdIn >= 0) fs.closeSync(fdIn);
    if (fdOut >= 0) fs.closeSync(fdOut);
    try {
      fdIn = fdOut = openRdwr(s.path);
    } catch (e) {
      throw new QemuError(`Could not open '${s.path}': ${strerror(e)}`);
    }
  }
  const chr = new FdChardev(s.id, fdOps(), mon, fdIn, fdOut, 'pipe');
  chr.start();
  return chr;
}
