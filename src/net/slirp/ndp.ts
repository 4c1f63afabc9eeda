// Neighbor Discovery (RFC 4861) for the user-mode stack, as libslirp's ip6_icmp.c/ndp_table.c
// do it: Router Advertisements (on a Router Solicitation, and unsolicited every 200-600 s) from
// fe80::2 to all nodes with the prefix for SLAAC (L and A set, valid 86400 s, preferred 14400 s),
// router lifetime 1800 s, hop limit 64, a source link-layer option and, only when the host has an
// IPv6 resolver, an RDNSS option (lifetime 1200 s); Neighbor Advertisements (R, S, O) for the
// router and DNS addresses (global and link-local); Neighbor Solicitations when a guest address
// has no known MAC. The guest's MACs are learnt from RS, NS and NA (bounded table).
import { ETH_HLEN, csumFinish, csumPartial, wr16, wr32 } from './ip.js';
import {
  ALLNODES, IPPROTO_ICMPV6, IP6_HLEN, type IPv6, type Ip6, LINKLOCAL_ROUTER, buildIPv6Frame, ip6InNet,
  ip6IsMulticast, ip6IsZero, ip6Key, ip6Mac, ip6MulticastMac, ip6SameHostPart, solicitedNode,
} from './ip6.js';

export const enum Icmp6Type {
  UNREACH = 1, TOOBIG = 2, TIMXCEED = 3, PARAMPROB = 4, ECHO_REQUEST = 128, ECHO_REPLY = 129,
  RS = 133, RA = 134, NS = 135, NA = 136, REDIRECT = 137,
}

/** -netdev user's IPv6 side: ipv6-prefix/ipv6-prefixlen, ipv6-host, ipv6-dns. */
export interface Ip6Config {
  prefix: Ip6;
  prefixLen: number;
  host: Ip6;
  dns: Ip6;
}

const NDP_TABLE_SIZE = 64;
const MAX_RTR_ADV_MS = 600_000;
const MIN_RTR_ADV_MS = MAX_RTR_ADV_MS / 3;
const ADV_DEFAULT_LIFETIME = (3 * MAX_RTR_ADV_MS) / 1000;
const ADV_VALID_LIFETIME = 86400;
const ADV_PREF_LIFETIME = 14400;
const ADV_CUR_HOP_LIMIT = 64;
const RDNSS_LIFETIME = (2 * MAX_RTR_ADV_MS) / 1000;

export interface NdpStack {
  readonly cfg6: Ip6Config;
  /** The host has an IPv6 resolver (libslirp's get_dns6_addr): the RA announces RDNSS. */
  hasDns6(): boolean;
  send6(frame: Uint8Array): void;
}

export class Ndp {
  private readonly table = new Map<string, Uint8Array>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Router advertisements sent (tests, info). */
  raSent = 0;

  constructor(private readonly stack: NdpStack, private readonly random: () => number = Math.random) {}

  /** The unsolicited RA timer: first after 200-600 s, as libslirp's icmp6_init. */
  start(): void {
    this.timer = setTimeout(() => { this.sendRa(); this.start(); },
      MIN_RTR_ADV_MS + Math.floor(this.random() * (MAX_RTR_ADV_MS - MIN_RTR_ADV_MS)));
    (this.timer as { unref?: () => void }).unref?.(); // it must not keep a finished process alive
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** in6_equal_router || in6_equal_dns: our addresses, in the prefix or link-local. */
  isOurs(a: Ip6): boolean {
    return this.isAddr(a, this.stack.cfg6.host) || this.isAddr(a, this.stack.cfg6.dns);
  }

  isAddr(a: Ip6, ours: Ip6): boolean {
    const c = this.stack.cfg6;
    return (ip6InNet(a, c.prefix, c.prefixLen) && ip6SameHostPart(a, ours, c.prefixLen)) ||
      (ip6InNet(a, LINKLOCAL_ROUTER, 64) && ip6SameHostPart(a, ours, 64));
  }

  learn(ip: Ip6, mac: Uint8Array): void {
    if (ip6IsMulticast(ip) || ip6IsZero(ip) || mac[0] & 1 || this.isOurs(ip)) return;
    const k = ip6Key(ip);
    if (!this.table.has(k) && this.table.size >= NDP_TABLE_SIZE) this.table.delete(this.table.keys().next().value as string);
    this.table.set(k, mac.slice());
  }

  /** The MAC for a destination: multicast maps directly; an unknown guest address gets an NS (and the packet is lost). */
  lookup(ip: Ip6): Uint8Array | undefined {
    if (ip6IsMulticast(ip)) return ip6MulticastMac(ip);
    const m = this.table.get(ip6Key(ip));
    if (!m) this.sendNs(ip);
    return m;
  }

  /** An NDP message (ICMPv6 type 133-137) whose checksum was checked. */
  input(f: Uint8Array, ip: IPv6): void {
    const o = ip.off;
    const type = f[o];
    const code = f[o + 1];
    const srcMac = f.subarray(6, 12);
    // RFC 4861: NDP messages carry hop limit 255 (never forwarded), code 0.
    if (ip.hlim !== 255 || code !== 0) return;
    switch (type) {
      case Icmp6Type.RS:
        if (ip.len < 8) return;
        this.learn(ip.src, srcMac);
        this.sendRa();
        return;
      case Icmp6Type.NS: {
        if (ip.len < 24) return;
        const target = f.slice(o + 8, o + 24);
        if (ip6IsMulticast(target)) return;
        if (ip6IsZero(ip.src) && !isSolicitedNode(ip.dst)) return;
        if (!this.isOurs(target)) return;
        this.learn(ip.src, srcMac);
        this.sendNa(ip.src, target);
        return;
      }
      case Icmp6Type.NA: {
        if (ip.len < 24) return;
        const target = f.subarray(o + 8, o + 24);
        const solicited = (f[o + 4] & 0x40) !== 0;
        if (ip6IsMulticast(target) || (ip6IsMulticast(ip.dst) && solicited)) return;
        this.learn(ip.src, srcMac);
        return;
      }
      default: return; // RA and Redirect from a guest: libslirp only logs them
    }
  }

  /** ndp_send_ra: to all nodes from fe80::2. */
  sendRa(): void {
    const c = this.stack.cfg6;
    const rdnss = this.stack.hasDns6();
    const len = 16 + 8 + 32 + (rdnss ? 24 : 0);
    const f = buildIPv6Frame(ip6MulticastMac(ALLNODES), ip6Mac(LINKLOCAL_ROUTER), LINKLOCAL_ROUTER, ALLNODES, IPPROTO_ICMPV6, len);
    let o = ETH_HLEN + IP6_HLEN;
    f[o] = Icmp6Type.RA;
    f[o + 4] = ADV_CUR_HOP_LIMIT; // M = O = 0: no DHCPv6 needed
    wr16(f, o + 6, ADV_DEFAULT_LIFETIME); // reachable time and retrans timer stay 0 (unspecified)
    o += 16;
    f[o] = 1; f[o + 1] = 1; f.set(ip6Mac(LINKLOCAL_ROUTER), o + 2); // source link-layer address
    o += 8;
    f[o] = 3; f[o + 1] = 4; f[o + 2] = c.prefixLen; f[o + 3] = 0xc0; // prefix information, L and A
    wr32(f, o + 4, ADV_VALID_LIFETIME);
    wr32(f, o + 8, ADV_PREF_LIFETIME);
    f.set(c.prefix, o + 16);
    o += 32;
    if (rdnss) {
      f[o] = 25; f[o + 1] = 3;
      wr32(f, o + 4, RDNSS_LIFETIME);
      f.set(c.dns, o + 8);
    }
    icmp6Checksum(f);
    this.raSent++;
    this.stack.send6(f);
  }

  /** ndp_send_na: the target's MAC, as router; to the solicitor (all nodes for an unspecified source). */
  private sendNa(to: Ip6, target: Ip6): void {
    const dst = ip6IsZero(to) ? ALLNODES : to;
    const dstMac = ip6IsMulticast(dst) ? ip6MulticastMac(dst) : this.table.get(ip6Key(dst));
    if (!dstMac) return;
    const f = buildIPv6Frame(dstMac, ip6Mac(target), target, dst, IPPROTO_ICMPV6, 32);
    const o = ETH_HLEN + IP6_HLEN;
    f[o] = Icmp6Type.NA;
    f[o + 4] = ip6IsMulticast(dst) ? 0xa0 : 0xe0; // R, S (solicited unless multicast), O
    f.set(target, o + 8);
    f[o + 24] = 2; f[o + 25] = 1; f.set(ip6Mac(target), o + 26); // target link-layer address
    icmp6Checksum(f);
    this.stack.send6(f);
  }

  /** ndp_send_ns: who has `target` (a guest address we must send to)? */
  private sendNs(target: Ip6): void {
    if (ip6IsZero(target)) return;
    const src = this.stack.cfg6.host;
    const dst = solicitedNode(target);
    const f = buildIPv6Frame(ip6MulticastMac(dst), ip6Mac(src), src, dst, IPPROTO_ICMPV6, 32);
    const o = ETH_HLEN + IP6_HLEN;
    f[o] = Icmp6Type.NS;
    f.set(target, o + 8);
    f[o + 24] = 1; f[o + 25] = 1; f.set(ip6Mac(src), o + 26);
    icmp6Checksum(f);
    this.stack.send6(f);
  }
}

function isSolicitedNode(a: Ip6): boolean {
  return a[0] === 0xff && a[1] === 0x02 && a.subarray(2, 11).every((b) => b === 0) && a[11] === 1 && a[12] === 0xff;
}

/** The ICMPv6 checksum of a frame built by buildIPv6Frame. */
export function icmp6Checksum(f: Uint8Array): void {
  const o = ETH_HLEN + IP6_HLEN;
  const len = f.length - o;
  f[o + 2] = 0; f[o + 3] = 0;
  const sum = csumPartial(f, o, f.length, csumPartial(f, ETH_HLEN + 8, ETH_HLEN + 40) + (len >>> 16) + (len & 0xffff) + IPPROTO_ICMPV6);
  wr16(f, o + 2, csumFinish(sum));
}
