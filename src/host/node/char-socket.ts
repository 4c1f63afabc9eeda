// Host side of -chardev socket: opens the unix/TCP socket with raw system calls (tsqemu_sys),
// non-blocking, and hands its fd to the core SocketChardev, which is driven by the main loop's
// fd monitor (io_uring POLL_ADD or libuv poll). Errors carry QEMU's wording.
import * as fs from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { lazyBuiltin } from './lazy-builtin.js';
import { QemuError } from '../../qemu/error.js';
import { type ChardevSocketSpec, describeSocket } from '../../chardev/char-opts.js';
import { type HostSocketOps, SocketChardev } from '../../chardev/char-socket.js';
import type { FdMonitor } from '../../main-loop/fd-handler.js';
import { loadUserSys } from './user-sys.js';
import type { HostSys } from '../../linux-user/host.js';

const AF_UNIX = 1, AF_INET = 2, SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800;
const IPPROTO_TCP = 6, TCP_NODELAY = 1;
const SOL_SOCKET = 1, SCM_RIGHTS = 1, SO_REUSEADDR = 2, MSG_NOSIGNAL = 0x4000, MSG_DONTWAIT = 0x40;
const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;
const EAGAIN = 11, EINTR = 4;
const UNIX_PATH_MAX = 108;

/** strerror() text, as QEMU prints it ("No such file or directory"). */
function strerror(negErrno: number): string {
  const msg = getSystemErrorMap().get(negErrno)?.[1] ?? `error ${-negErrno}`;
  return msg.charAt(0).toUpperCase() + msg.slice(1);
}

function sockaddrUn(path: string): Uint8Array {
  const p = new TextEncoder().encode(path);
  if (p.length >= UNIX_PATH_MAX) throw new QemuError(`UNIX socket path '${path}' is too long\nPath must be less than ${UNIX_PATH_MAX} bytes`);
  const a = new Uint8Array(2 + p.length + 1);
  a[0] = AF_UNIX;
  a.set(p, 2);
  return a;
}

function sockaddrIn(ip: string, port: number): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = AF_INET;
  a[2] = port >> 8;
  a[3] = port & 0xff;
  ip.split('.').forEach((b, i) => { a[4 + i] = Number(b); });
  return a;
}

const nodeDns = lazyBuiltin<typeof import('node:dns')>('node:dns');

/** host:port to an IPv4 sockaddr (IPv6 is not modelled yet). */
async function resolveTcp(s: ChardevSocketSpec): Promise<{ addr: Uint8Array; name: string }> {
  const host = s.host || (s.server ? '0.0.0.0' : 'localhost');
  const port = s.port ?? '';
  const fail = (why: string) => new QemuError(`address resolution failed for ${s.host ?? ''}:${port}: ${why}`);
  if (!/^[0-9]+$/.test(port) || Number(port) > 65535) throw fail('Servname not supported for ai_socktype');
  let ip: string;
  try {
    // node:dns loaded when needed, by require: the user-mode CLI runs as a vm.Script (code cache),
    // where import() is not available.
    ip = (await nodeDns().promises.lookup(host, { family: 4 })).address;
  } catch {
    throw fail('Name or service not known');
  }
  return { addr: sockaddrIn(ip, Number(port)), name: `${host}:${port}` };
}

/** The descriptors of the SCM_RIGHTS messages in a recvmsg control buffer (struct cmsghdr: a
 * 64-bit length, level, type, then the ints); they arrive close-on-exec (MSG_CMSG_CLOEXEC). */
function takeScmRights(control: Uint8Array, len: number, fds: number[]): void {
  const dv = new DataView(control.buffer, control.byteOffset, Math.min(len, control.length));
  for (let off = 0; off + 16 <= dv.byteLength;) {
    const clen = Number(dv.getBigUint64(off, true));
    if (clen < 16 || off + clen > dv.byteLength) break;
    if (dv.getInt32(off + 8, true) === SOL_SOCKET && dv.getInt32(off + 12, true) === SCM_RIGHTS) {
      for (let p = off + 16; p + 4 <= off + clen; p += 4) fds.push(dv.getInt32(p, true));
    }
    off += (clen + 7) & ~7;
  }
}

function socketOps(sys: HostSys): HostSocketOps {
  const lenOut = new Int32Array(1);
  // Room for QEMU's limit of descriptors per message (TCP_MAX_FDS 16).
  const control = new Uint8Array(16 + 4 * 16 + 8), msgOut = new Int32Array(3);
  const retry = (call: () => number): number => { let r; do r = call(); while (r === -EINTR); return r; };
  return {
    accept: (fd) => { const r = retry(() => sys.accept4(fd, null, lenOut, SOCK_NONBLOCK)); return r >= 0 ? r : null; },
    recv: (fd, buf) => { const r = retry(() => sys.recvfrom(fd, buf, MSG_DONTWAIT, null, lenOut)); return r === -EAGAIN ? null : Math.max(r, 0); },
    recvFds: (fd, buf, fds) => {
      const r = retry(() => sys.recvmsg(fd, [buf], null, control, MSG_DONTWAIT, msgOut));
      if (r >= 0) takeScmRights(control, msgOut[1], fds);
      return r === -EAGAIN ? null : Math.max(r, 0);
    },
    send: (fd, data) => { const r = retry(() => sys.sendto(fd, data, MSG_NOSIGNAL | MSG_DONTWAIT, null)); return r === -EAGAIN ? null : r < 0 ? -1 : r; },
    close: (fd) => { try { fs.closeSync(fd); } catch { /* already gone */ } },
  };
}

/** A unix path that is an old socket is removed first, as QEMU's unix_listen does. */
function unlinkStaleSocket(path: string): void {
  try {
    if (fs.lstatSync(path).isSocket()) fs.unlinkSync(path);
  } catch { /* absent */ }
}

/** Open the socket of `s` and make its chardev (a server listens; a client connects now). */
export async function openSocketChardev(s: ChardevSocketSpec, mon: FdMonitor | null): Promise<SocketChardev> {
  const sys = loadUserSys();
  if (!sys || !mon) throw new QemuError('socket chardevs need the native tsqemu_sys addon (not built at npm install)');
  if (s.fd !== undefined) {
    // An inherited descriptor: a server's is already bound and listening (libvirt made it).
    const flags = sys.fcntl(s.fd, F_GETFL, 0);
    if (flags < 0) throw new QemuError(`Unable to parse FD number ${s.fd}: ${strerror(flags)}`);
    sys.fcntl(s.fd, F_SETFL, flags | O_NONBLOCK);
    return new SocketChardev(s.id, socketOps(sys), mon, s.server ? s.fd : -1, s.server ? -1 : s.fd, describeSocket(s));
  }
  const unix = s.path !== undefined;
  const { addr, name } = unix ? { addr: sockaddrUn(s.path as string), name: s.path as string } : await resolveTcp(s);
  const fd = sys.socket(unix ? AF_UNIX : AF_INET, SOCK_STREAM | (s.server ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) throw new QemuError(`Failed to create socket: ${strerror(fd)}`);
  const ops = socketOps(sys);
  if (s.nodelay && !unix) {
    // Replies go out at once, not held for the ack of the last write (Nagle): gdb's packets
    // are one round trip each.
    const accept = ops.accept;
    ops.accept = (lfd) => {
      const c = accept(lfd);
      if (c !== null) sys.setsockopt(c, IPPROTO_TCP, TCP_NODELAY, new Uint8Array(new Int32Array([1]).buffer));
      return c;
    };
  }
  const fail = (msg: string): never => { ops.close(fd); throw new QemuError(msg); };
  if (s.server) {
    if (unix) unlinkStaleSocket(name);
    else sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, new Uint8Array(new Int32Array([1]).buffer));
    const r = sys.bind(fd, addr);
    if (r < 0) fail(unix ? `Failed to bind socket to ${name}: ${strerror(r)}` : `Failed to find an available port: ${strerror(r)}`);
    const l = sys.listen(fd, 1);
    if (l < 0) fail(`Failed to listen on socket: ${strerror(l)}`);
    const chr = new SocketChardev(s.id, ops, mon, fd, -1, describeSocket(s));
    if (unix) chr.onClosed = () => unlinkStaleSocket(name); // QEMU removes its socket file too
    return chr;
  }
  const r = sys.connect(fd, addr);
  if (r < 0) fail(`Failed to connect to '${name}': ${strerror(r)}`);
  sys.fcntl(fd, F_SETFL, sys.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
  return new SocketChardev(s.id, ops, mon, -1, fd, describeSocket(s));
}
