// UDP through the user-mode stack: each guest source (address, port) gets one host UDP socket
// (slirp's udp_attach), datagrams to the gateway go to the host's loopback, those to the DNS
// address go to the host's resolver, and replies come back with the guest-visible source.
// Sessions expire when idle; their count and the datagrams waiting for a socket are bounded.
import type { HostDatagramSocket, NetHost } from '../net-host.js';
import { ipToString, parseIp } from './ip.js';
import { type IpAddr, addrKey } from './ip6.js';

const MAX_SESSIONS = 256;
const MAX_WAITING = 16;
const EXPIRE_MS = 240_000;
const DNS_EXPIRE_MS = 10_000;

export interface UdpStack {
  readonly host: NetHost;
  /** Guest-visible address/port -> host address/port, or undefined when not allowed. */
  toHost(dst: IpAddr, port: number): { addr: string; port: number } | undefined;
  /** Host address/port -> the guest-visible source (of the guest's family: `v6`). */
  fromHost(addr: string, port: number, v6: boolean): { ip: IpAddr; port: number } | undefined;
  /** Emit a datagram to the guest. */
  sendToGuest(src: IpAddr, sport: number, dst: IpAddr, dport: number, data: Uint8Array): void;
}

interface Session {
  sock?: HostDatagramSocket;
  waiting: Array<{ data: Uint8Array; addr: string; port: number }>;
  timer?: ReturnType<typeof setTimeout>;
  closed: boolean;
}

export class UdpNat {
  private readonly sessions = new Map<string, Session>();
  /** Datagrams dropped (no session room, queue full). */
  dropped = 0;

  constructor(private readonly stack: UdpStack) {}

  get size(): number {
    return this.sessions.size;
  }

  output(src: IpAddr, sport: number, dst: IpAddr, dport: number, data: Uint8Array): void {
    const to = this.stack.toHost(dst, dport);
    if (!to) { this.dropped++; return; }
    const key = `${addrKey(src)}:${sport}`;
    let s = this.sessions.get(key);
    if (!s) {
      if (this.sessions.size >= MAX_SESSIONS) { this.dropped++; return; }
      s = { waiting: [], closed: false };
      this.sessions.set(key, s);
      const sess = s;
      this.stack.host.udpBind(typeof src === 'number' ? '0.0.0.0' : '::', 0, (d, addr, port) => this.reply(src, sport, d, addr, port, sess)).then(
        (sock) => {
          if (sess.closed) { sock.close(); return; }
          sess.sock = sock;
          for (const w of sess.waiting) sock.send(w.data, w.addr, w.port);
          sess.waiting = [];
        },
        () => this.close(key),
      );
    }
    this.touch(key, s, dport === 53 ? DNS_EXPIRE_MS : EXPIRE_MS);
    if (s.sock) s.sock.send(data.slice(), to.addr, to.port);
    else if (s.waiting.length < MAX_WAITING) s.waiting.push({ data: data.slice(), addr: to.addr, port: to.port });
    else this.dropped++;
  }

  private reply(gip: IpAddr, gport: number, data: Uint8Array, addr: string, port: number, s: Session): void {
    const from = this.stack.fromHost(addr, port, typeof gip !== 'number');
    if (!from || s.closed) return;
    this.stack.sendToGuest(from.ip, from.port, gip, gport, data);
  }

  private touch(key: string, s: Session, ms: number): void {
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = setTimeout(() => this.close(key), ms);
  }

  private close(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    s.closed = true;
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.sock?.close();
    this.sessions.delete(key);
  }

  closeAll(): void {
    for (const k of [...this.sessions.keys()]) this.close(k);
  }
}

/** A udp hostfwd: host clients' datagrams go to the guest, the guest's replies go back. */
export class UdpForward {
  private sock?: HostDatagramSocket;
  /** Recent host clients by their port (the guest sees them as gateway:port). */
  private readonly clients = new Map<number, string>();

  constructor(private readonly stack: UdpStack, readonly guestIp: number, readonly guestPort: number, private readonly gateway: number) {}

  async open(hostAddr: string, hostPort: number): Promise<void> {
    this.sock = await this.stack.host.udpBind(hostAddr, hostPort, (d, addr, port) => {
      if (this.clients.size >= MAX_SESSIONS && !this.clients.has(port)) this.clients.clear();
      this.clients.set(port, addr);
      const ip = parseIp(addr);
      const src = ip !== undefined && ip >>> 24 !== 127 ? ip : this.gateway;
      this.stack.sendToGuest(src, port, this.guestIp, this.guestPort, d);
    });
  }

  /** A guest datagram that answers one of our clients; true when taken. */
  tryReply(src: number, sport: number, dst: number, dport: number, data: Uint8Array): boolean {
    if (src !== this.guestIp || sport !== this.guestPort || !this.sock) return false;
    const addr = this.clients.get(dport);
    if (addr === undefined) return false;
    const ip = parseIp(addr);
    if (dst !== (ip !== undefined && ip >>> 24 !== 127 ? ip : this.gateway)) return false;
    this.sock.send(data.slice(), addr, dport);
    return true;
  }

  close(): void {
    this.sock?.close();
  }

  describe(): string {
    return `udp ${ipToString(this.guestIp)}:${this.guestPort}`;
  }
}
