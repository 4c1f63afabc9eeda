// A small file beside a drive's image that a device keeps state in (the eMMC's RPMB key and
// write counter): read whole, replaced atomically (write a temp file, fsync, rename).
import * as fs from 'node:fs';
import type { SidecarFile } from '../../hw/sd/rpmb-state.js';

const MAX_SIDECAR = 4096;

export function nodeSidecar(path: string): SidecarFile {
  return {
    path,
    read() {
      let fd: number;
      try {
        fd = fs.openSync(path, 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      try {
        const buf = Buffer.alloc(MAX_SIDECAR);
        const n = fs.readSync(fd, buf, 0, MAX_SIDECAR, 0);
        return new Uint8Array(buf.subarray(0, n));
      } finally {
        fs.closeSync(fd);
      }
    },
    write(data) {
      const tmp = `${path}.tmp${process.pid}`;
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, path);
    },
  };
}
