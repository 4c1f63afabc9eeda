// One int32 question to another guest process's emulator, and its int32 answer, over an abstract
// unix datagram socket named after that process's pid (fd-request.ts: which host fd is your
// guest fd N; pgid-request.ts: setpgid on yourself). The server side is non-blocking and answers
// whatever is queued; the asking side waits for its answer up to 10 s.
import type { HostSys } from './host.js';
import type { TaskState } from './qemu.js';
import { POLLIN } from './blocking.js';

const AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;

/** sockaddr_un of the abstract name `tsqemu-<kind>-<pid>`. */
export function peerAddress(kind: string, pid: number): Uint8Array {
  const name = new TextEncoder().encode(`tsqemu-${kind}-${pid}`);
  const a = new Uint8Array(3 + name.length);
  a[0] = AF_UNIX;
  a.set(name, 3);
  return a;
}

/** The server's socket (non-blocking, bound to its name), or -errno. */
export function peerServerSocket(sys: HostSys, kind: string, pid: number): number {
  const fd = sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fd;
  const r = sys.bind(fd, peerAddress(kind, pid));
  return r < 0 ? r : fd;
}

const int32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; };

/** Answer every waiting request: an int32 in, answer(it) out. */
export function peerServe(sys: HostSys, fd: number, answer: (v: number) => number): void {
  const buf = new Uint8Array(4), from = new Uint8Array(128), len = new Int32Array(1);
  for (;;) {
    len[0] = from.length;
    const n = sys.recvfrom(fd, buf, 0, from, len);
    if (n < 0) return;
    if (n !== 4) continue;
    const out = int32(answer(new DataView(buf.buffer).getInt32(0, true)));
    sys.sendto(fd, out, 0, from.subarray(0, Math.max(2, Math.min(len[0], from.length))));
  }
}

/** Send `req` to `addr` and wait for the answer; null when nobody answers. A refused send is
 * retried (every 25 ms, up to 10 s) while retry(result) says the server may still be starting;
 * the wait for the answer ends early once alive() is false. */
export function peerAsk(ts: TaskState, sys: HostSys, addr: Uint8Array, req: number,
  retry: (r: number) => boolean, alive: () => boolean = () => true): number | null {
  const s = sys.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return null;
  try {
    if (sys.bind(s, new Uint8Array([AF_UNIX, 0])) < 0) return null; // autobind: an address for the answer
    for (let tries = 0; ; tries++) {
      const r = sys.sendto(s, int32(req), 0, addr);
      if (r === 4) break;
      if (tries > 400 || !retry(r)) return null;
      ts.proc.sleepMs(25);
    }
    const pfd = new Uint8Array(8);
    new DataView(pfd.buffer).setInt32(0, s, true);
    new DataView(pfd.buffer).setInt16(4, POLLIN, true);
    for (let waited = 0; sys.poll(pfd, 1, 100) <= 0; waited += 100) if (waited > 10000 || !alive()) return null;
    const ans = new Uint8Array(4);
    if (sys.recvfrom(s, ans, 0, null, new Int32Array(1)) !== 4) return null;
    return new DataView(ans.buffer).getInt32(0, true);
  } finally { ts.fs.close(s); }
}
