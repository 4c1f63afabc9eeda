// setpgid(child, pgid) from a parent on a forked child that has not exec'd yet. The child is a
// new emulator the host started with fork+exec of Node, so the host kernel says EACCES to the
// parent (Linux's rule for a child that has exec'd); the guest child has not. Such a child
// serves the request itself (setpgid(0, pgid) is always its own to make) on an abstract unix
// datagram socket named after its pid, until its guest execve closes it (then EACCES is right).
import type { HostSys } from './host.js';
import type { TaskState } from './qemu.js';
import { Errno } from './errno.js';
import { POLLIN } from './blocking.js';

const AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;

/** sockaddr_un of the abstract name of `pid`'s server. */
export function pgidAddress(pid: number): Uint8Array {
  const name = new TextEncoder().encode(`tsqemu-setpgid-${pid}`);
  const a = new Uint8Array(3 + name.length);
  a[0] = AF_UNIX;
  a.set(name, 3);
  return a;
}

/** The child's side: bind the socket (non-blocking); returns its host fd, or -errno. */
export function pgidServerSocket(sys: HostSys, pid: number): number {
  const fd = sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fd;
  const r = sys.bind(fd, pgidAddress(pid));
  return r < 0 ? r : fd;
}

/** Answer every waiting request: an int32 pgid in, setpgid(0, pgid)'s result out (EACCES once
 * the guest has exec'd: `execed` reads the flag its execve sets before it runs the program). */
export function pgidServe(sys: HostSys, fd: number, execed: () => boolean): void {
  const buf = new Uint8Array(4), from = new Uint8Array(128), len = new Int32Array(1);
  for (;;) {
    len[0] = from.length;
    const n = sys.recvfrom(fd, buf, 0, from, len);
    if (n < 0) return;
    if (n !== 4) continue;
    const pgid = new DataView(buf.buffer).getInt32(0, true);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, execed() ? -Errno.EACCES : sys.procIds(1, 0, pgid), true);
    sys.sendto(fd, out, 0, from.subarray(0, Math.max(2, Math.min(len[0], from.length))));
  }
}

/** The parent's side, after the host said EACCES: is `pid` our forked child still before its
 * exec (its emulator's command line has --resume)? Then ask it; its answer, or null. */
export function pgidAskChild(ts: TaskState, sys: HostSys, pid: number, pgid: number): number | null {
  const forked = () => isForkedChild(ts, pid);
  if (!forked()) return null;
  const s = sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return null;
  try {
    if (sys.bind(s, new Uint8Array([AF_UNIX, 0])) < 0) return null; // autobind: an address for the answer
    const req = new Uint8Array(4);
    new DataView(req.buffer).setInt32(0, pgid, true);
    // A child just forked may still be starting: its socket comes within its first second.
    for (let tries = 0; ; tries++) {
      const r = sys.sendto(s, req, 0, pgidAddress(pid));
      if (r === 4) break;
      if (tries > 400 || !forked()) return null;
      ts.proc.sleepMs(25);
    }
    const pfd = new Uint8Array(8);
    new DataView(pfd.buffer).setInt32(0, s, true);
    new DataView(pfd.buffer).setInt16(4, POLLIN, true);
    for (let waited = 0; sys.poll(pfd, 1, 100) <= 0; waited += 100) if (waited > 10000 || !forked()) return null;
    const ans = new Uint8Array(4);
    if (sys.recvfrom(s, ans, 0, null, new Int32Array(1)) !== 4) return null;
    return new DataView(ans.buffer).getInt32(0, true);
  } finally { ts.fs.close(s); }
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
