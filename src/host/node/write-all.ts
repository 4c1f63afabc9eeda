// Synchronous writes of the emulator's own text (-strace lines, -d logs, fatal messages) to a
// descriptor that may be non-blocking: Node makes the pipes at fds 1 and 2 O_NONBLOCK, so a
// plain fs.writeSync throws EAGAIN (or writes a part) whenever the reader is slower than us and
// the pipe is full. Such a throw inside a system call killed the guest mid-write (exit 134).
import * as fs from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Write all of `data` to `fd`, waiting (1 ms naps) while the descriptor says EAGAIN. Other
 * errors (the reader is gone: EPIPE) drop the rest, as a log must never stop the guest. */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  let buf = typeof data === 'string' ? Buffer.from(data) : data;
  while (buf.length > 0) {
    let n: number;
    try {
      n = fs.writeSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { Atomics.wait(sleeper, 0, 0, 1); continue; }
      return;
    }
    buf = buf.subarray(n);
  }
}
