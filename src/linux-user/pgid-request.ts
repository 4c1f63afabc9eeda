// setpgid(child, pgid) from a parent on a forked child that has not exec'd yet. The child is a
// new emulator the host started with fork+exec of Node, so the host kernel says EACCES to the
// parent (Linux's rule for a child that has exec'd); the guest child has not. Such a child
// serves the request itself (setpgid(0, pgid) is always its own to make) on an abstract unix
// datagram socket named after its pid; once its guest has exec'd it answers EACCES (Linux's
// answer). The socket stays open after the exec: a refused send means "still starting" to the
// parent, which retries for 10 s.
import type { HostSys } from './host.js';
import type { TaskState } from './qemu.js';
import { Errno } from './errno.js';
import { peerAddress, peerAsk, peerServe, peerServerSocket } from './peer-request.js';

/** sockaddr_un of the abstract name of `pid`'s server. */
export function pgidAddress(pid: number): Uint8Array {
  return peerAddress('setpgid', pid);
}

/** The child's side: bind the socket (non-blocking); returns its host fd, or -errno. */
export function pgidServerSocket(sys: HostSys, pid: number): number {
  return peerServerSocket(sys, 'setpgid', pid);
}

/** Answer every waiting request: an int32 pgid in, setpgid(0, pgid)'s result out (EACCES once
 * the guest has exec'd: `execed` reads the flag its execve sets before it runs the program). */
export function pgidServe(sys: HostSys, fd: number, execed: () => boolean): void {
  peerServe(sys, fd, (pgid) => execed() ? -Errno.EACCES : sys.procIds(1, 0, pgid));
}

/** The parent's side, after the host said EACCES: is `pid` our forked child still before its
 * exec (its emulator's command line has --resume)? Then ask it; its answer, or null. */
export function pgidAskChild(ts: TaskState, sys: HostSys, pid: number, pgid: number): number | null {
  const forked = () => isForkedChild(ts, pid);
  if (!forked()) return null;
  // A child just forked may still be starting: its socket comes within its first second.
  return peerAsk(ts, sys, pgidAddress(pid), pgid, forked, forked);
}

/** Is `pid` our child emulator (a fresh one resuming a fork, or a fork server's)? */
export function isForkedChild(ts: TaskState, pid: number): boolean {
  const t = readProc(ts, `/proc/${pid}/stat`);
  const ppid = Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[1]);
  const argv = readProc(ts, `/proc/${pid}/cmdline`).split('\0');
  return ppid === ts.proc.pid && (argv.includes('--resume') || argv.includes('--fork-server'));
}

function readProc(ts: TaskState, path: string): string {
  try {
    const f = ts.fs.open(path, 0, 0), buf = new Uint8Array(4096);
    try { return new TextDecoder().decode(buf.subarray(0, ts.fs.read(f, buf, 0))); } finally { ts.fs.close(f); }
  } catch { return ''; }
}

export const EACCES = -Errno.EACCES;
