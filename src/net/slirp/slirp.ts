// -netdev user: QEMU's user-mode network (libslirp's semantics) in TypeScript. The guest sees
// a network (10.0.2.0/24 by default) with a gateway that is also the host (10.0.2.2), a DNS
// relay (10.0.2.3) and a DHCP server handing out 10.0.2.15 and up. Outbound TCP and UDP are
// NATed onto host sockets: the gateway address means the host's 127.0.0.1. hostfwd rules
// listen on the host and open connections into the guest. Everything the guest sends is parsed
// with bounds checks; what does not parse is dropped (and counted).
import { NetClientState } from '../net.js';
import type { HostListener, HostStream, NetHost } from '../net-host.js';
import { DhcpServer } from './dhcp.js';
import { type GuestFwd, GuestFwdChardev, shellSplit } from './guestfwd.js';
import { IcmpForward, type IcmpStack } from './icmp.js';
import { Icmp6, IF_MTU } from './icmp6.js';
import { IpReassembly, fragmentIPv4 } from './ipfrag.js';
import { TftpServer } from './tftp.js';
import {
  BROADCAST_MAC, ETH_HLEN, ETH_P_ARP, ETH_P_IP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, buildIPv4Frame, csumFinish,
  csumPartial, ipHeaderValid, ipToString, l4ChecksumValid, parseIPv4, parseIp, rd16, rd32, wr16, wr32, writeL4Checksum,
} from './ip.js';
import {
  IPPROTO_ICMPV6, IP6_HLEN, type IpAddr, addrToString, buildIPv6Frame, ip6Equal, ip6InNet, ip6IsLinkLocal,
  ip6IsLoopback, ip6IsMulticast, ip6IsZero, ip6Mac, ip6ToString, l4ChecksumValid6, parseIPv6, parseIp6, writeL4Checksum6,
  ETH_P_IPV6,
} from './ip6.js';
import { Icmp6Type, type Ip6Config, Ndp, type NdpStack } from './ndp.js';
import { DHCPV6_SERVER_PORT, dhcpv6Reply } from './dhcpv6.js';
import { type TcpSegment, TcpConn, TcpFlag, type TcpStack, TcpState, parseTcp } from './tcp.js';
import { UdpForward, UdpNat, type UdpStack } from './udp.js';

/** ff02::1:2, All_DHCP_Relay_Agents_and_Servers. */
const ALL_DHCP = parseIp6('ff02::1:2') as Uint8Array;
/** Connections the guest may hold open at once (a flood gets RSTs beyond this). */
const MAX_TCP_CONNS = 512;
const MAX_ARP_ENTRIES = 64;
/** guestfwd cmd: programs running at once (a SYN flood must not fork without bound). */
const MAX_GUESTFWD_EXECS = 32;

export interface HostFwd {
  proto: 'tcp' | 'udp';
  hostAddr: string;
  hostPort: number;
  guestAddr: number;
  guestPort: number;
}

export interface SlirpConfig {
  net: number;
  mask: number;
  host: number;
  dhcpStart: number;
  dns: number;
  hostname?: string;
  restrict: boolean;
  hostfwd: HostFwd[];
  guestfwd?: GuestFwd[];
  /** tftp=: the directory the TFTP server exports (none: requests get "Access violation"). */
  tftp?: string;
  bootfile?: string;
  tftpServerName?: string;
  domainname?: string;
  /** dnssearch= as DHCP option 119 bytes. */
  dnssearch?: Uint8Array;
  /** ipv6=on (QEMU's default): the IPv6 side; undefined for ipv6=off. */
  ipv6?: Ip6Config;
}

export type { GuestFwd, Ip6Config };

/** Counters for `info usernet`-like output and tests. */
export interface SlirpStats {
  badFrames: number;
  tcpRefused: number;
  /** IPv6 packets with extension headers (MLD's hop-by-hop, fragments...) or other protocols: dropped, as libslirp. */
  ip6Unsupported: number;
}

export class Slirp extends NetClientState implements TcpStack, UdpStack, IcmpStack, NdpStack {
  readonly type = 'user';
  readonly gatewayMac: Uint8Array;
  private readonly arp = new Map<number, Uint8Array>();
  private readonly tcp = new Map<string, TcpConn>();
  private readonly udp: UdpNat;
  private readonly dhcp: DhcpServer;
  private readonly listeners: HostListener[] = [];
  private readonly udpForwards: UdpForward[] = [];
  private readonly tftp: TftpServer;
  private readonly chardevs = new Map<GuestFwd, GuestFwdChardev>();
  readonly frags = new IpReassembly();
  readonly icmp = new IcmpForward(this);
  /** guestfwd programs running. */
  private execs = 0;
  readonly stats: SlirpStats = { badFrames: 0, tcpRefused: 0, ip6Unsupported: 0 };
  /** IPv6: neighbour discovery and ICMPv6 (undefined with ipv6=off). */
  readonly ndp?: Ndp;
  private readonly icmp6?: Icmp6;

  constructor(name: string, readonly cfg: SlirpConfig, readonly host: NetHost) {
    super(name);
    this.gatewayMac = specialMac(cfg.host);
    this.udp = new UdpNat(this);
    this.dhcp = new DhcpServer({
      host: cfg.host, mask: cfg.mask, dns: cfg.dns, dhcpStart: cfg.dhcpStart, hostname: cfg.hostname, restrict: cfg.restrict,
      bootfile: cfg.bootfile, tftpServerName: cfg.tftpServerName, domainname: cfg.domainname, dnssearch: cfg.dnssearch,
    });
    this.tftp = new TftpServer(cfg.tftp, { openFile: (p) => host.openFile(p), now: () => host.now() },
      (addr, port, payload) => this.sendToGuest(typeof addr === 'number' ? cfg.host : this.cfg6.host, 69, addr, port, payload));
    if (cfg.ipv6) {
      this.ndp = new Ndp(this);
      this.icmp6 = new Icmp6(this, this.ndp);
    }
  }

  get cfg6(): Ip6Config {
    return this.cfg.ipv6 as Ip6Config;
  }

  hasDns6(): boolean {
    return this.host.dns6Resolver?.() !== undefined;
  }

  send6(frame: Uint8Array): void {
    this.emit(frame);
  }

  /** Open the hostfwd listeners (QEMU fails at startup when one cannot bind). */
  async start(): Promise<void> {
    this.ndp?.start();
    for (const g of this.cfg.guestfwd ?? []) {
      if (!g.chardev) continue;
      const c = new GuestFwdChardev(g);
      await c.open(this.host);
      this.chardevs.set(g, c);
    }
    for (const f of this.cfg.hostfwd) {
      if (f.proto === 'tcp') {
        this.listeners.push(await this.host.listen({ type: 'inet', host: f.hostAddr, port: f.hostPort }, (s) => this.accept(f, s)));
      } else {
        const u = new UdpForward(this, f.guestAddr, f.guestPort, this.cfg.host);
        await u.open(f.hostAddr, f.hostPort);
        this.udpForwards.push(u);
      }
    }
  }

  infoStr(): string {
    return `net=${ipToString(this.cfg.net)},restrict=${this.cfg.restrict ? 'on' : 'off'}`;
  }

  override acceptsOffloads(): boolean {
    return true;
  }

  guestTso(): boolean {
    return this.peer?.guestAcceptsTso() ?? false;
  }

  override cleanup(): void {
    for (const l of this.listeners) l.close();
    for (const c of [...this.tcp.values()]) c.abort(false);
    for (const u of this.udpForwards) u.close();
    for (const c of this.chardevs.values()) c.close();
    this.udp.closeAll();
    this.tftp.closeAll();
    this.icmp.closeAll();
    this.ndp?.close();
    this.frags.clear();
  }

  /** Ports the listeners got (hostfwd with port 0, for tests). */
  listenerPorts(): number[] {
    return this.listeners.map((l) => l.port);
  }

  get connections(): number {
    return this.tcp.size;
  }

  // ---- input from the guest ----

  receive(f: Uint8Array): boolean {
    if (f.length < ETH_HLEN) { this.stats.badFrames++; return true; }
    const proto = rd16(f, 12);
    if (proto === ETH_P_ARP) this.arpInput(f);
    else if (proto === ETH_P_IP) this.ipInput(f);
    else if (proto === ETH_P_IPV6 && this.ndp) this.ip6Input(f);
    return true;
  }

  private inNet(ip: number): boolean {
    return ((ip ^ this.cfg.net) & this.cfg.mask) === 0;
  }

  private learn(ip: number, mac: Uint8Array): void {
    if (!this.inNet(ip) || ip === this.cfg.host || ip === this.cfg.dns || mac[0] & 1) return;
    if (!this.arp.has(ip) && this.arp.size >= MAX_ARP_ENTRIES) this.arp.delete(this.arp.keys().next().value as number);
    this.arp.set(ip, mac.slice());
  }

  guestMac(ip: IpAddr): Uint8Array | undefined {
    if (typeof ip !== 'number') return this.ndp?.lookup(ip);
    const m = this.arp.get(ip);
    if (!m) this.arpRequest(ip);
    return m;
  }

  private arpInput(f: Uint8Array): void {
    if (f.length < ETH_HLEN + 28 || rd16(f, 14) !== 1 || rd16(f, 16) !== ETH_P_IP || f[18] !== 6 || f[19] !== 4) {
      this.stats.badFrames++;
      return;
    }
    const op = rd16(f, 20);
    const sha = f.subarray(22, 28);
    const spa = rd32(f, 28);
    const tpa = rd32(f, 38);
    this.learn(spa, sha);
    // libslirp answers for its own addresses and the guestfwd ones.
    if (op !== 1 || (tpa !== this.cfg.host && tpa !== this.cfg.dns && !this.cfg.guestfwd?.some((g) => g.addr === tpa))) return;
    const r = new Uint8Array(ETH_HLEN + 28);
    r.set(sha, 0);
    const mac = specialMac(tpa);
    r.set(mac, 6);
    wr16(r, 12, ETH_P_ARP);
    wr16(r, 14, 1); wr16(r, 16, ETH_P_IP); r[18] = 6; r[19] = 4; wr16(r, 20, 2);
    r.set(mac, 22); wr32(r, 28, tpa);
    r.set(sha, 32); wr32(r, 38, spa);
    this.emit(r);
  }

  private arpRequest(ip: number): void {
    const r = new Uint8Array(ETH_HLEN + 28);
    r.set(BROADCAST_MAC, 0);
    r.set(this.gatewayMac, 6);
    wr16(r, 12, ETH_P_ARP);
    wr16(r, 14, 1); wr16(r, 16, ETH_P_IP); r[18] = 6; r[19] = 4; wr16(r, 20, 1);
    r.set(this.gatewayMac, 22); wr32(r, 28, this.cfg.host);
    wr32(r, 38, ip);
    this.emit(r);
  }

  private ipInput(frame: Uint8Array): void {
    let f = frame;
    let ip = parseIPv4(f);
    if (!ip || !ipHeaderValid(f)) { this.stats.badFrames++; return; }
    if (ip.src !== 0) this.learn(ip.src, f.subarray(6, 12));
    // Super-frames (TSO) carry checksums completed by the NIC; others, and reassembled
    // datagrams, are checked here.
    let checkL4 = f.length <= ETH_HLEN + 1500;
    if (ip.fragment) {
      const whole = this.frags.input(f, ip);
      if (!whole) return;
      f = whole;
      ip = parseIPv4(f);
      if (!ip) { this.stats.badFrames++; return; }
      checkL4 = true;
    }
    switch (ip.proto) {
      case IPPROTO_ICMP: this.icmpInput(f, ip.src, ip.dst, ip.off, ip.len); return;
      case IPPROTO_UDP: {
        if (ip.len < 8 || rd16(f, ip.off + 4) < 8 || rd16(f, ip.off + 4) > ip.len) { this.stats.badFrames++; return; }
        if (checkL4 && rd16(f, ip.off + 6) !== 0 && !l4ChecksumValid(f, ip)) { this.stats.badFrames++; return; }
        const ulen = rd16(f, ip.off + 4);
        this.udpInput(ip.src, rd16(f, ip.off), ip.dst, rd16(f, ip.off + 2), f.subarray(ip.off + 8, ip.off + ulen));
        return;
      }
      case IPPROTO_TCP: {
        const seg = parseTcp(f, ip.off, ip.len);
        if (!seg || (checkL4 && !l4ChecksumValid(f, ip))) { this.stats.badFrames++; return; }
        this.tcpInput(ip.src, ip.dst, seg);
        return;
      }
    }
  }

  /** ip6_input: no extension headers (fragments included) are understood, as libslirp. */
  private ip6Input(f: Uint8Array): void {
    const ip = parseIPv6(f);
    if (!ip) { this.stats.badFrames++; return; }
    this.ndp?.learn(ip.src, f.subarray(6, 12)); // as ARP is learnt from IPv4 (NDP also learns, checked)
    if (ip.len + IP6_HLEN > IF_MTU) { this.icmp6?.sendError(f, ip, Icmp6Type.TOOBIG, 0); return; }
    if (ip.hlim === 0) { this.icmp6?.sendError(f, ip, Icmp6Type.TIMXCEED, 0); return; }
    switch (ip.nh) {
      case IPPROTO_ICMPV6: this.icmp6?.input(f, ip); return;
      case IPPROTO_UDP: {
        const ulen = ip.len >= 8 ? rd16(f, ip.off + 4) : 0;
        if (ulen < 8 || ulen > ip.len || !l4ChecksumValid6(f, ip)) { this.stats.badFrames++; return; }
        this.udpInput(ip.src, rd16(f, ip.off), ip.dst, rd16(f, ip.off + 2), f.subarray(ip.off + 8, ip.off + ulen));
        return;
      }
      case IPPROTO_TCP: {
        const seg = parseTcp(f, ip.off, ip.len);
        if (!seg || !l4ChecksumValid6(f, ip)) { this.stats.badFrames++; return; }
        this.tcpInput(ip.src, ip.dst, seg);
        return;
      }
      default: this.stats.ip6Unsupported++; // extension headers, fragments, other protocols
    }
  }

  private icmpInput(f: Uint8Array, src: number, dst: number, off: number, len: number): void {
    // Echo requests to our own addresses are answered here, others go out on host ICMP sockets.
    if (len < 8 || f[off] !== 8) return;
    if (csumPartial(f, off, off + len) !== 0xffff) { this.stats.badFrames++; return; }
    if (dst !== this.cfg.host && dst !== this.cfg.dns) {
      if (this.cfg.restrict || this.inNet(dst) || dst >>> 24 === 0 || dst >>> 28 >= 14) return;
      this.icmp.echo(src, dst, f.slice(off, off + len), f.slice(ETH_HLEN, off + 8));
      return;
    }
    const mac = this.arp.get(src);
    if (!mac) return;
    const r = buildIPv4Frame(mac, specialMac(dst), dst, src, IPPROTO_ICMP, len, 255); // icmp_reflect: MAXTTL
    const o = ETH_HLEN + 20;
    r.set(f.subarray(off, off + len), o);
    r[o] = 0; // echo reply
    r[o + 2] = 0; r[o + 3] = 0;
    wr16(r, o + 2, csumFinish(csumPartial(r, o, o + len)));
    this.emit(r);
  }

  sendIcmp(src: number, dst: number, icmp: Uint8Array): void {
    const mac = this.guestMac(dst);
    if (!mac) return;
    const r = buildIPv4Frame(mac, this.gatewayMac, src, dst, IPPROTO_ICMP, icmp.length, 255);
    const o = ETH_HLEN + 20;
    r.set(icmp, o);
    r[o + 2] = 0; r[o + 3] = 0;
    wr16(r, o + 2, csumFinish(csumPartial(r, o, o + icmp.length)));
    this.emit(r);
  }

  // ---- UDP ----

  private udpInput(src: IpAddr, sport: number, dst: IpAddr, dport: number, data: Uint8Array): void {
    if (typeof src !== 'number' || typeof dst !== 'number') {
      if (typeof dst === 'number' || typeof src === 'number') return;
      if (dport === DHCPV6_SERVER_PORT && (ip6Equal(dst, this.cfg6.host) || ip6Equal(dst, ALL_DHCP))) {
        const r = dhcpv6Reply({ host: this.cfg6.host, dns: this.cfg6.dns, bootfile: this.cfg.bootfile }, data);
        if (r) this.sendToGuest(this.cfg6.host, DHCPV6_SERVER_PORT, src, sport, r);
        return;
      }
      if (ip6IsMulticast(dst)) return; // goes nowhere (libslirp's sendto fails)
      if (dport === 69 && ip6Equal(dst, this.cfg6.host)) { this.tftp.input(src, sport, data); return; } // udp6_input's TFTP
      this.udp.output(src, sport, dst, dport, data);
      return;
    }
    if (dport === 67 && (dst === 0xffffffff || dst === this.cfg.host)) {
      const r = this.dhcp.handle(data);
      if (r) this.sendUdp(this.cfg.host, 67, 0xffffffff, 68, r.reply, BROADCAST_MAC);
      return;
    }
    if (dport === 69 && dst === this.cfg.host) { this.tftp.input(src, sport, data); return; }
    if (dst === 0xffffffff || (dst & ~this.cfg.mask) === (~this.cfg.mask >>> 0) || src === 0) return; // broadcasts
    for (const u of this.udpForwards) if (u.tryReply(src, sport, dst, dport, data)) return;
    this.udp.output(src, sport, dst, dport, data);
  }

  sendToGuest(src: IpAddr, sport: number, dst: IpAddr, dport: number, data: Uint8Array): void {
    const mac = this.guestMac(dst);
    if (!mac) return;
    if (typeof src === 'number' && typeof dst === 'number') { this.sendUdp(src, sport, dst, dport, data, mac); return; }
    if (typeof src === 'number' || typeof dst === 'number' || data.length > 65527) return;
    const f = buildIPv6Frame(mac, ip6Mac(src), src, dst, IPPROTO_UDP, 8 + data.length);
    const o = ETH_HLEN + IP6_HLEN;
    wr16(f, o, sport);
    wr16(f, o + 2, dport);
    wr16(f, o + 4, 8 + data.length);
    f.set(data, o + 8);
    writeL4Checksum6(f, 6);
    this.emit(f);
  }

  private sendUdp(src: number, sport: number, dst: number, dport: number, data: Uint8Array, mac: Uint8Array): void {
    if (data.length > 65507) return;
    const f = buildIPv4Frame(mac, this.gatewayMac, src, dst, IPPROTO_UDP, 8 + data.length);
    const o = ETH_HLEN + 20;
    wr16(f, o, sport);
    wr16(f, o + 2, dport);
    wr16(f, o + 4, 8 + data.length);
    f.set(data, o + 8);
    writeL4Checksum(f, 6);
    this.emit(f);
  }

  /** Where a guest's packet to dst:port goes on the host (undefined: refused). */
  toHost(dst: IpAddr, port: number): { addr: string; port: number } | undefined {
    if (typeof dst !== 'number') return this.toHost6(dst, port);
    if (dst === this.cfg.dns && port === 53) {
      const r = this.host.dnsResolver();
      return r ? { addr: r.host, port: r.port } : undefined;
    }
    if (this.cfg.restrict) return undefined;
    if (dst === this.cfg.host) return { addr: '127.0.0.1', port };
    if (this.inNet(dst) || dst >>> 24 === 127 || dst >>> 24 === 0 || dst >>> 28 >= 14) return undefined;
    return { addr: ipToString(dst), port };
  }

  /** sotranslate_out6: the DNS address goes to the host's resolver (its IPv6 one if it has one,
   * else the IPv4 one, where libslirp would refuse), the prefix's other addresses and ours to
   * the host's ::1, other global addresses to themselves. */
  private toHost6(dst: Uint8Array, port: number): { addr: string; port: number } | undefined {
    const c = this.cfg6;
    if (ip6Equal(dst, c.dns)) {
      if (port !== 53) return undefined;
      const r6 = this.host.dns6Resolver?.();
      if (r6) return { addr: r6.host, port: r6.port };
      const r = this.host.dnsResolver();
      return r ? { addr: `::ffff:${r.host}`, port: r.port } : undefined;
    }
    if (this.cfg.restrict) return undefined;
    if (ip6InNet(dst, c.prefix, c.prefixLen) || this.ndp?.isAddr(dst, c.host)) return { addr: '::1', port };
    if (ip6IsMulticast(dst) || ip6IsZero(dst) || ip6IsLoopback(dst) || ip6IsLinkLocal(dst) || (dst[0] === 0 && dst[10] === 0xff && dst[11] === 0xff)) return undefined;
    return { addr: ip6ToString(dst), port };
  }

  fromHost(addr: string, port: number, v6 = false): { ip: IpAddr; port: number } | undefined {
    if (v6) return this.fromHost6(addr, port);
    const r = this.host.dnsResolver();
    if (r && r.host === addr && r.port === port) return { ip: this.cfg.dns, port: 53 };
    const ip = parseIp(addr.replace(/^::ffff:/, ''));
    if (ip === undefined) return undefined;
    return { ip: ip >>> 24 === 127 ? this.cfg.host : ip, port };
  }

  private fromHost6(addr: string, port: number): { ip: IpAddr; port: number } | undefined {
    const c = this.cfg6;
    const r6 = this.host.dns6Resolver?.();
    const r = this.host.dnsResolver();
    const plain = addr.replace(/^::ffff:(?=\d+\.)/, '');
    if ((r6 && r6.host === addr && r6.port === port) || (r && r.host === plain && r.port === port)) return { ip: c.dns, port: 53 };
    const ip = parseIp6(addr);
    if (!ip || (addr.startsWith('::ffff:') && plain !== addr)) return undefined;
    return { ip: ip6IsLoopback(ip) ? c.host : ip, port };
  }

  // ---- TCP ----

  private tcpInput(src: IpAddr, dst: IpAddr, seg: TcpSegment & { sport: number; dport: number }): void {
    const key = TcpConn.key(src, seg.sport, dst, seg.dport);
    const c = this.tcp.get(key);
    if (c) { c.input(seg); return; }
    if (seg.flags & TcpFlag.RST) return;
    if ((seg.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN) { this.resetUnknown(src, dst, seg); return; }
    const fwd = this.cfg.guestfwd?.find((g) => g.addr === dst && g.port === seg.dport);
    if (fwd && this.tcp.size < MAX_TCP_CONNS) { this.guestFwdConnect(fwd, key, src, dst, seg); return; }
    const to = this.toHost(dst, seg.dport);
    const toDns = typeof dst === 'number' ? dst === this.cfg.dns : ip6Equal(dst, this.cfg6.dns);
    if (!to || toDns || this.tcp.size >= MAX_TCP_CONNS) {
      this.stats.tcpRefused++;
      this.resetUnknown(src, dst, seg);
      return;
    }
    const conn = new TcpConn(this, src, seg.sport, dst, seg.dport, TcpState.CONNECTING);
    conn.guestSyn(seg);
    this.tcp.set(key, conn);
    const ev = conn.hostEvents();
    conn.host = this.host.connect({ type: 'inet', host: to.addr, port: to.port }, ev);
  }

  /** A guest connection to a guestfwd address: a program or the rule's chardev is its host side. */
  private guestFwdConnect(g: GuestFwd, key: string, src: IpAddr, dst: IpAddr, seg: TcpSegment & { sport: number; dport: number }): void {
    const conn = new TcpConn(this, src, seg.sport, dst, seg.dport, TcpState.CONNECTING);
    conn.guestSyn(seg);
    this.tcp.set(key, conn);
    const ev = conn.hostEvents();
    const chardev = this.chardevs.get(g);
    if (chardev) {
      conn.host = chardev.attach();
      conn.host.events = ev;
      return;
    }
    const argv = shellSplit(g.cmd ?? '');
    if (!argv || this.execs >= MAX_GUESTFWD_EXECS) { this.stats.tcpRefused++; this.remove(conn); this.resetUnknown(src, dst, seg); return; }
    this.execs++;
    let counted = true;
    const uncount = () => { if (counted) { counted = false; this.execs--; } };
    conn.host = this.host.exec(argv, { ...ev, onError: (m) => { uncount(); ev.onError(m); }, onClose: () => { uncount(); ev.onClose(); } });
  }

  /** RST for a segment that belongs to no connection (RFC 793's reset generation). */
  private resetUnknown(src: IpAddr, dst: IpAddr, seg: TcpSegment & { sport: number; dport: number }): void {
    const mac = typeof src === 'number' ? this.arp.get(src) : this.ndp?.lookup(src);
    if (!mac) return;
    const f = typeof src === 'number'
      ? buildIPv4Frame(mac, this.gatewayMac, dst as number, src, IPPROTO_TCP, 20)
      : buildIPv6Frame(mac, ip6Mac(dst as Uint8Array), dst as Uint8Array, src, IPPROTO_TCP, 20);
    const o = ETH_HLEN + (typeof src === 'number' ? 20 : IP6_HLEN);
    wr16(f, o, seg.dport);
    wr16(f, o + 2, seg.sport);
    if (seg.flags & TcpFlag.ACK) {
      wr32(f, o + 4, seg.ack);
      f[o + 13] = TcpFlag.RST;
    } else {
      const len = seg.data.length + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0);
      wr32(f, o + 8, (seg.seq + len) >>> 0);
      f[o + 13] = TcpFlag.RST | TcpFlag.ACK;
    }
    f[o + 12] = 5 << 4;
    if (typeof src === 'number') writeL4Checksum(f, 16);
    else writeL4Checksum6(f, 16);
    this.emit(f);
  }

  /** hostfwd: a host client connected to one of our listeners. */
  private accept(f: HostFwd, s: HostStream): void {
    const guestIp = f.guestAddr;
    const rip = parseIp(s.remoteAddress.replace(/^::ffff:/, ''));
    const remote = rip === undefined || rip >>> 24 === 127 ? this.cfg.host : rip;
    const key = TcpConn.key(guestIp, f.guestPort, remote, s.remotePort);
    if (this.tcp.size >= MAX_TCP_CONNS || this.tcp.has(key)) { s.destroy(); return; }
    const conn = new TcpConn(this, guestIp, f.guestPort, remote, s.remotePort, TcpState.SYN_SENT);
    conn.host = s;
    s.events = conn.hostEvents();
    this.tcp.set(key, conn);
    conn.openToGuest();
  }

  remove(c: TcpConn): void {
    if (this.tcp.get(c.key) === c) this.tcp.delete(c.key);
  }

  /** To the guest; an IPv4 datagram (not a TCP super-frame) above the MTU leaves in fragments. */
  emit(frame: Uint8Array): void {
    if (frame.length > ETH_HLEN + 1500 && rd16(frame, 12) === ETH_P_IP && frame[ETH_HLEN + 9] !== IPPROTO_TCP) {
      for (const g of fragmentIPv4(frame, 1500)) this.send(g);
      return;
    }
    this.send(frame);
  }

  /** For `info usernet`. */
  describeConnections(): string[] {
    return [...this.tcp.values()].map((c) =>
      `TCP ${addrToString(c.guestIp)}:${c.guestPort} <-> ${addrToString(c.remoteIp)}:${c.remotePort} ${c.describe()}`);
  }
}

/** slirp's MAC for its own addresses: 52:55 followed by the IPv4 address. */
export function specialMac(ip: number): Uint8Array {
  return new Uint8Array([0x52, 0x55, ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff]);
}
