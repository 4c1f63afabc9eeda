// IPv6 framing for the user-mode stack (libslirp's ip6.h/ip6_input.c/ip6_output.c semantics):
// addresses are 16-byte arrays; parse with bounds checks, build with hop limit 255 as libslirp's
// ip6_output does; the TCP/UDP/ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 8.1).
import { ETH_HLEN, csumFinish, csumPartial, ipToString, rd16, wr16 } from './ip.js';

export const ETH_P_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
export const IP6_HLEN = 40;
/** libslirp's IPV6_HOP_LIMIT: every packet it sends carries it. */
export const IP6_HOP_LIMIT = 255;

export type Ip6 = Uint8Array;

/** fe80::2 (LINKLOCAL_ADDR): the router's link-local address, RA source. */
export const LINKLOCAL_ROUTER: Ip6 = ip6Of([0xfe80, 0, 0, 0, 0, 0, 0, 2]);
export const ALLNODES: Ip6 = ip6Of([0xff02, 0, 0, 0, 0, 0, 0, 1]);

function ip6Of(words: number[]): Ip6 {
  const a = new Uint8Array(16);
  words.forEach((w, i) => wr16(a, i * 2, w));
  return a;
}

/** inet_pton(AF_INET6): text to 16 bytes, undefined when it is not an IPv6 address. */
export function parseIp6(s: string): Ip6 | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let tail: number[] = [];
  let text = s;
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(2).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    text = v4[1].endsWith('::') ? v4[1] : v4[1].slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (h: string) => (h === '' ? [] : h.split(':'));
  const head = part(halves[0]);
  const rest = halves.length === 2 ? part(halves[1]) : [];
  const groups = [...head, ...rest];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const n = groups.length + tail.length;
  if (halves.length === 1 ? n !== 8 : n > 7) return undefined;
  const words = [...head.map((g) => parseInt(g, 16))];
  if (halves.length === 2) for (let i = n; i < 8; i++) words.push(0);
  words.push(...rest.map((g) => parseInt(g, 16)), ...tail);
  return ip6Of(words);
}

/** RFC 5952 text (what inet_ntop prints, without the dotted IPv4 tail). */
export function ip6ToString(a: Ip6): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(rd16(a, i));
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (x: number[]) => x.map((v) => v.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

export function ip6Equal(a: Ip6, b: Ip6): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** in6_equal_net: the first `len` bits are equal. */
export function ip6InNet(a: Ip6, prefix: Ip6, len: number): boolean {
  const whole = len >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== prefix[i]) return false;
  const bits = len & 7;
  if (bits === 0) return true;
  const m = (0xff << (8 - bits)) & 0xff;
  return (a[whole] & m) === (prefix[whole] & m);
}

/** in6_equal_mach: the bits after the first `len` are equal (the interface part). */
export function ip6SameHostPart(a: Ip6, b: Ip6, len: number): boolean {
  for (let bit = len; bit < 128; bit++) {
    const i = bit >> 3, m = 0x80 >> (bit & 7);
    if ((a[i] & m) !== (b[i] & m)) return false;
  }
  return true;
}

export const ip6IsMulticast = (a: Ip6) => a[0] === 0xff;
export const ip6IsZero = (a: Ip6) => a.every((b) => b === 0);
export const ip6IsLinkLocal = (a: Ip6) => a[0] === 0xfe && (a[1] & 0xc0) === 0x80;
export const ip6IsLoopback = (a: Ip6) => a.every((b, i) => b === (i === 15 ? 1 : 0));

/** A map key for an address. */
export const ip6Key = (a: Ip6) => Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');

/** in6_compute_ethaddr: slirp's MAC for one of its IPv6 addresses, 52:56 + the last 4 bytes. */
export function ip6Mac(a: Ip6): Uint8Array {
  return new Uint8Array([0x52, 0x56, a[12], a[13], a[14], a[15]]);
}

/** The Ethernet multicast address of an IPv6 multicast group (RFC 2464 7). */
export function ip6MulticastMac(a: Ip6): Uint8Array {
  return new Uint8Array([0x33, 0x33, a[12], a[13], a[14], a[15]]);
}

/** The solicited-node multicast address of `a` (ff02::1:ffXX:XXXX). */
export function solicitedNode(a: Ip6): Ip6 {
  const s = ip6Of([0xff02, 0, 0, 0, 0, 1, 0xff00, 0]);
  s.set(a.subarray(13, 16), 13);
  return s;
}

/** A parsed IPv6 packet inside a frame (offsets into the frame). */
export interface IPv6 {
  src: Ip6;
  dst: Ip6;
  /** Next header: libslirp handles no extension header (fragments, hop-by-hop...): dropped. */
  nh: number;
  hlim: number;
  off: number;
  len: number;
}

/** Parse the IPv6 header at ETH_HLEN; undefined when malformed (short, wrong version, length past the frame). */
export function parseIPv6(f: Uint8Array): IPv6 | undefined {
  const o = ETH_HLEN;
  if (f.length < o + IP6_HLEN || f[o] >> 4 !== 6) return undefined;
  const pl = rd16(f, o + 4);
  if (o + IP6_HLEN + pl > f.length) return undefined;
  return {
    src: f.slice(o + 8, o + 24), dst: f.slice(o + 24, o + 40), nh: f[o + 6], hlim: f[o + 7],
    off: o + IP6_HLEN, len: pl,
  };
}

/** Frame: Ethernet + IPv6 header, `payloadLen` bytes of payload room at ETH_HLEN + 40. */
export function buildIPv6Frame(dstMac: Uint8Array, srcMac: Uint8Array, src: Ip6, dst: Ip6, nh: number, payloadLen: number): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + IP6_HLEN + payloadLen);
  f.set(dstMac, 0);
  f.set(srcMac, 6);
  wr16(f, 12, ETH_P_IPV6);
  const o = ETH_HLEN;
  f[o] = 0x60;
  wr16(f, o + 4, payloadLen);
  f[o + 6] = nh;
  f[o + 7] = IP6_HOP_LIMIT;
  f.set(src, o + 8);
  f.set(dst, o + 24);
  return f;
}

function pseudoSum6(f: Uint8Array, nh: number, len: number): number {
  return csumPartial(f, ETH_HLEN + 8, ETH_HLEN + 40) + (len >>> 16) + (len & 0xffff) + nh;
}

/** Write the TCP/UDP/ICMPv6 checksum (field at `csumOff` in the payload) of a frame built by buildIPv6Frame. */
export function writeL4Checksum6(f: Uint8Array, csumOff: number): void {
  const o = ETH_HLEN + IP6_HLEN;
  const len = f.length - o;
  f[o + csumOff] = 0;
  f[o + csumOff + 1] = 0;
  let c = csumFinish(csumPartial(f, o, f.length, pseudoSum6(f, f[ETH_HLEN + 6], len)));
  if (c === 0 && f[ETH_HLEN + 6] !== IPPROTO_ICMPV6) c = 0xffff;
  wr16(f, o + csumOff, c);
}

/** Whether the upper-layer checksum of a received packet is right (IPv6 has no "no checksum"). */
export function l4ChecksumValid6(f: Uint8Array, ip: IPv6): boolean {
  return csumPartial(f, ip.off, ip.off + ip.len, pseudoSum6(f, ip.nh, ip.len)) === 0xffff;
}

/** An address of either family: IPv4 as a number, IPv6 as 16 bytes. */
export type IpAddr = number | Ip6;

export const addrKey = (a: IpAddr) => (typeof a === 'number' ? String(a) : ip6Key(a));
export const addrToString = (a: IpAddr) => (typeof a === 'number' ? ipToString(a) : `[${ip6ToString(a)}]`);
