// pidfd_getfd on another guest process: its guest fd N is some host fd of its emulator (a fork
// server's child has its descriptors wherever they landed; anything opened after start has the
// host's next free number). Every emulator answers "which host fd is your guest fd N" on an
// abstract unix datagram socket named after its pid, from its main thread; the asker then takes
// that host fd with the host's pidfd_getfd, whose permission checks stay the kernel's. A target
// that does not answer (not an emulator) is asked for N itself.
import type { HostSys } from './host.js';
import type { TaskState } from './qemu.js';
import { Errno } from './errno.js';
import { FD_TABLE_OFFSET, MAX_FDS } from './layout.js';
import { isForkedChild } from './pgid-request.js';
import { peerAddress, peerAsk, peerServe, peerServerSocket } from './peer-request.js';

const ECONNREFUSED = 111;

/** The server's socket (non-blocking), or -errno. */
export function fdServerSocket(sys: HostSys, pid: number): number {
  return peerServerSocket(sys, 'fds', pid);
}

/** Answer every waiting request: an int32 guest fd in, its host fd (or -EBADF) out. */
export function fdServe(sys: HostSys, fd: number, memory: WebAssembly.Memory): void {
  const hostOf = new Int32Array(memory.buffer, FD_TABLE_OFFSET, MAX_FDS);
  peerServe(sys, fd, (g) => {
    const h = g >= 0 && g < MAX_FDS ? Atomics.load(hostOf, g) - 1 : -1;
    return h >= 0 ? h : -Errno.EBADF;
  });
}

/** The host fd behind guest fd `g` of process `pid`: its answer (-EBADF: it has none), or `g`
 * when it does not answer (not an emulator). A forked child still starting is waited for. */
export function askHostFd(ts: TaskState, sys: HostSys, pid: number, g: number): number {
  // Nobody there: not an emulator, or our forked child before its server is up.
  return peerAsk(ts, sys, peerAddress('fds', pid), g, (r) => r === -ECONNREFUSED && isForkedChild(ts, pid)) ?? g;
}
