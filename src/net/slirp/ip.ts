// Ethernet, ARP and IPv4 framing for the user-mode stack: parse with bounds checks, build with
// checksums. Addresses are 32-bit unsigned numbers in host order.

export const ETH_HLEN = 14;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export const rd16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
export const rd32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function ipToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Ones-complement sum of bytes [from, to), folded to 16 bits, plus `init`. */
export function csumPartial(b: Uint8Array, from: number, to: number, init = 0): number {
  let sum = init;
  let i = from;
  for (; i + 1 < to; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < to) sum += b[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function csumFinish(sum: number): number {
  return ~sum & 0xffff;
}

/** The TCP/UDP pseudo-header sum. */
export function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/** A parsed IPv4 packet inside a frame (offsets into the frame). */
export interface IPv4 {
  src: number;
  dst: number;
  proto: number;
  ttl: number;
  /** Offset of the payload (after the IP header) and its length. */
  off: number;
  len: number;
  /** More fragments or a fragment offset: we do not reassemble. */
  fragment: boolean;
}

/** Parse the IPv4 header at ETH_HLEN; undefined for anything malformed. */
export function parseIPv4(f: Uint8Array): IPv4 | undefined {
  const o = ETH_HLEN;
  if (f.length < o + 20 || f[o] >> 4 !== 4) return undefined;
  const ihl = (f[o] & 0xf) * 4;
  const tot = rd16(f, o + 2);
  if (ihl < 20 || tot < ihl || o + tot > f.length) return undefined;
  const frag = rd16(f, o + 6);
  return {
    src: rd32(f, o + 12), dst: rd32(f, o + 16), proto: f[o + 9], ttl: f[o + 8],
    off: o + ihl, len: tot - ihl, fragment: (frag & 0x3fff) !== 0,
  };
}

/** Checks the IPv4 header checksum. */
export function ipHeaderValid(f: Uint8Array): boolean {
  const ihl = (f[ETH_HLEN] & 0xf) * 4;
  return csumPartial(f, ETH_HLEN, ETH_HLEN + ihl) === 0xffff;
}

let ipId = 1;

/**
 * A frame: Ethernet (dst, src) + IPv4 (src, dst, proto) with `payloadLen` bytes of payload room
 * at ETH_HLEN + 20. The IP checksum is written; the caller fills the payload.
 */
export function buildIPv4Frame(dstMac: Uint8Array, srcMac: Uint8Array, src: number, dst: number, proto: number, payloadLen: number, ttl = 64): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + 20 + payloadLen);
  f.set(dstMac, 0);
  f.set(srcMac, 6);
  wr16(f, 12, ETH_P_IP);
  const o = ETH_HLEN;
  f[o] = 0x45;
  wr16(f, o + 2, 20 + payloadLen);
  wr16(f, o + 4, ipId);
  ipId = (ipId + 1) & 0xffff;
  f[o + 6] = 0x40; // DF
  f[o + 8] = ttl;
  f[o + 9] = proto;
  wr32(f, o + 12, src);
  wr32(f, o + 16, dst);
  wr16(f, o + 10, csumFinish(csumPartial(f, o, o + 20)));
  return f;
}

/** Write the TCP or UDP checksum of a frame built by buildIPv4Frame (field at `csumOff` in the payload). */
export function writeL4Checksum(f: Uint8Array, csumOff: number): void {
  const o = ETH_HLEN + 20;
  const len = f.length - o;
  f[o + csumOff] = 0;
  f[o + csumOff + 1] = 0;
  let c = csumFinish(csumPartial(f, o, f.length, pseudoSum(rd32(f, ETH_HLEN + 12), rd32(f, ETH_HLEN + 16), f[ETH_HLEN + 9], len)));
  if (c === 0 && f[ETH_HLEN + 9] === IPPROTO_UDP) c = 0xffff;
  wr16(f, o + csumOff, c);
}

/** Whether the TCP/UDP checksum of a received packet is right (0 means "none" for UDP). */
export function l4ChecksumValid(f: Uint8Array, ip: IPv4): boolean {
  return csumPartial(f, ip.off, ip.off + ip.len, pseudoSum(ip.src, ip.dst, ip.proto, ip.len)) === 0xffff;
}
