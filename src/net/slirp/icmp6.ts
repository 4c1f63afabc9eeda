// ICMPv6 of the user-mode stack (libslirp's icmp6_input/icmp6_send_error): echo requests to the
// router and DNS addresses (global or link-local) are answered with hop limit 255; echo requests
// to other addresses are dropped, as libslirp 4.7 does ("external icmpv6 not supported yet");
// NDP goes to ndp.ts; errors the guest sends are ignored. Errors we send (packet too big, hop
// limit exceeded) come from fe80::2 and quote as much of the offending packet as fits in 1500.
import { ETH_HLEN, wr32 } from './ip.js';
import { IPPROTO_ICMPV6, IP6_HLEN, type IPv6, LINKLOCAL_ROUTER, buildIPv6Frame, ip6IsMulticast, ip6IsZero, ip6Mac, l4ChecksumValid6 } from './ip6.js';
import { Icmp6Type, type Ndp, type NdpStack, icmp6Checksum } from './ndp.js';

export const IF_MTU = 1500;

export class Icmp6 {
  /** Echo requests to addresses other than ours (dropped, as libslirp 4.7). */
  externalEchoDropped = 0;

  constructor(private readonly stack: NdpStack & { stats: { badFrames: number } }, private readonly ndp: Ndp) {}

  input(f: Uint8Array, ip: IPv6): void {
    if (ip.len < 4 || !l4ChecksumValid6(f, ip)) { this.stack.stats.badFrames++; return; }
    const type = f[ip.off];
    if (type === Icmp6Type.ECHO_REQUEST) {
      if (ip.len < 8) return;
      if (!this.ndp.isOurs(ip.dst)) { this.externalEchoDropped++; return; }
      const mac = this.ndp.lookup(ip.src);
      if (!mac) return;
      const r = buildIPv6Frame(mac, ip6Mac(ip.dst), ip.dst, ip.src, IPPROTO_ICMPV6, ip.len);
      const o = ETH_HLEN + IP6_HLEN;
      r.set(f.subarray(ip.off, ip.off + ip.len), o);
      r[o] = Icmp6Type.ECHO_REPLY;
      icmp6Checksum(r);
      this.stack.send6(r);
      return;
    }
    if (type >= Icmp6Type.RS && type <= Icmp6Type.REDIRECT) this.ndp.input(f, ip);
  }

  /** icmp6_send_error for the packet in frame `f` (its IPv6 header at ETH_HLEN). */
  sendError(f: Uint8Array, ip: IPv6, type: Icmp6Type, code: number): void {
    if (ip6IsMulticast(ip.src) || ip6IsZero(ip.src)) return;
    const mac = this.ndp.lookup(ip.src);
    if (!mac) return;
    const quote = Math.min(f.length - ETH_HLEN, IF_MTU - IP6_HLEN - 8);
    const r = buildIPv6Frame(mac, ip6Mac(LINKLOCAL_ROUTER), LINKLOCAL_ROUTER, ip.src, IPPROTO_ICMPV6, 8 + quote);
    const o = ETH_HLEN + IP6_HLEN;
    r[o] = type;
    r[o + 1] = code;
    if (type === Icmp6Type.TOOBIG) wr32(r, o + 4, IF_MTU);
    r.set(f.subarray(ETH_HLEN, ETH_HLEN + quote), o + 8);
    icmp6Checksum(r);
    this.stack.send6(r);
  }
}
