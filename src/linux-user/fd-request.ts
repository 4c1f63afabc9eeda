// pidfd_getfd on another guest process: its guest fd N is some host fd of its emulator (a fork
// server's child has its descriptors wherever they landed; anything opened after start has the
// host's next free number). Every emulator answers "which host fd is your guest fd N" on an
// abstract unix datagram socket named after its pid, from its main thread; the asker then takes
// that host fd with the host's pidfd_getfd, whose permission checks stay the kernel's. A target
// that does not answer (not an emulator) is asked for N itself.
import type { HostSys } from './host.js';
import type { TaskState } from './qemu.js';
import { Errno } from './errno.js';
import { POLLIN } from './blocking.js';
import { FD_TABLE_OFFSET, MAX_FDS } from './layout.js';
import { isForkedChild } from './pgid-request.js';

const AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const ECONNREFUSED = 111;

function fdsAddress(pid: number): Uint8Array {
  const name = new TextEncoder().encode(`tsqemu-fds-${pid}`);
  const a = new Uint8Array(3 + name.length);
  a[0] = AF_UNIX;
  a.set(name, 3);
  return a;
}

/** The server's socket (non-blocking), or -errno. */
export function fdServerSocket(sys: HostSys, pid: number): number {
  const fd = sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fd;
  const r = sys.bind(fd, fdsAddress(pid));
  return r < 0 ? r : fd;
}

/** Answer every waiting request: an int32 guest fd in, its host fd (or -EBADF) out. */
export function fdServe(sys: HostSys, fd: number, memory: WebAssembly.Memory): void {
  const buf = new Uint8Array(4), from = new Uint8Array(128), len = new Int32Array(1);
  const hostOf = new Int32Array(memory.buffer, FD_TABLE_OFFSET, MAX_FDS);
  for (;;) {
    len[0] = from.length;
    const n = sys.recvfrom(fd, buf, 0, from, len);
    if (n < 0) return;
    if (n !== 4) continue;
    const g = new DataView(buf.buffer).getInt32(0, true);
    const h = g >= 0 && g < MAX_FDS ? Atomics.load(hostOf, g) - 1 : -1;
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, h >= 0 ? h : -Errno.EBADF, true);
    sys.sendto(fd, out, 0, from.subarray(0, Math.max(2, Math.min(len[0], from.length))));
  }
}

/** The host fd behind guest fd `g` of process `pid`: its answer (-EBADF: it has none), or `g`
 * when it does not answer (not an emulator). A forked child still starting is waited for. */
export function askHostFd(ts: TaskState, sys: HostSys, pid: number, g: number): number {
  const s = sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return g;
  try {
    if (sys.bind(s, new Uint8Array([AF_UNIX, 0])) < 0) return g; // autobind: an address for the answer
    const req = new Uint8Array(4);
    new DataView(req.buffer).setInt32(0, g, true);
    for (let tries = 0; ; tries++) {
      const r = sys.sendto(s, req, 0, fdsAddress(pid));
      if (r === 4) break;
      // Nobody there: not an emulator, or our forked child before its server is up.
      if (r !== -ECONNREFUSED || tries > 400 || !isForkedChild(ts, pid)) return g;
      ts.proc.sleepMs(25);
    }
    const pfd = new Uint8Array(8);
    new DataView(pfd.buffer).setInt32(0, s, true);
    new DataView(pfd.buffer).setInt16(4, POLLIN, true);
    for (let waited = 0; sys.poll(pfd, 1, 100) <= 0; waited += 100) if (waited > 10000) return g;
    const ans = new Uint8Array(4);
    if (sys.recvfrom(s, ans, 0, null, new Int32Array(1)) !== 4) return g;
    return new DataView(ans.buffer).getInt32(0, true);
  } finally { ts.fs.close(s); }
}
