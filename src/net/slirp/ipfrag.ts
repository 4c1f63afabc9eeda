// IPv4 fragments for the user-mode stack (slirp's ip_reass and ip_output's fragmentation):
// datagrams the guest sends in fragments (UDP larger than the MTU) are reassembled before UDP,
// ICMP or TCP see them; datagrams we send that exceed the MTU (a large UDP reply, a large echo
// reply) leave in fragments. Reassembly is bounded: at most MAX_QUEUES datagrams in progress and
// MAX_BYTES held in all, each abandoned after 30 s (slirp's IPFRAGTTL); over a cap the oldest
// datagram is dropped, and every drop is counted.
import { ETH_HLEN, type IPv4, csumFinish, csumPartial, rd16, wr16 } from './ip.js';

const MAX_QUEUES = 64;
const MAX_BYTES = 1024 * 1024;
const FRAG_TTL_MS = 30_000;
const MAX_PIECES = 256;
const IP_MAXPACKET = 65535;

interface Queue {
  /** Ethernet + IP header of the fragment at offset 0 (once seen). */
  head?: Uint8Array;
  pieces: Array<{ off: number; data: Uint8Array }>;
  /** Payload length, known once the last fragment (MF clear) came. */
  total?: number;
  bytes: number;
  timer: ReturnType<typeof setTimeout>;
}

export class IpReassembly {
  private readonly queues = new Map<string, Queue>();
  private held = 0;
  /** Fragments dropped: malformed, over the caps, or timed out. */
  dropped = 0;
  /** Datagrams put back together. */
  reassembled = 0;

  get pending(): number {
    return this.queues.size;
  }

  get heldBytes(): number {
    return this.held;
  }

  /** A fragment; the whole datagram's frame (fragment fields cleared) when this completed it. */
  input(f: Uint8Array, ip: IPv4): Uint8Array | undefined {
    const o = ETH_HLEN;
    const frag = rd16(f, o + 6);
    const off = (frag & 0x1fff) * 8;
    const more = (frag & 0x2000) !== 0;
    const ihl = ip.off - o;
    // Non-final fragments carry multiples of 8 bytes; nothing may end past 64 KiB.
    if (ip.len === 0 || (more && ip.len % 8 !== 0) || ihl + off + ip.len > IP_MAXPACKET) { this.dropped++; return undefined; }
    const key = `${ip.src}:${ip.dst}:${rd16(f, o + 4)}:${ip.proto}`;
    let q = this.queues.get(key);
    if (!q) {
      while (this.queues.size >= MAX_QUEUES) this.evictOldest();
      q = { pieces: [], bytes: 0, timer: setTimeout(() => this.drop(key), FRAG_TTL_MS) };
      this.queues.set(key, q);
    }
    if (q.pieces.length >= MAX_PIECES) { this.drop(key); this.dropped++; return undefined; }
    if (!more) {
      const total = off + ip.len;
      if (q.total !== undefined && q.total !== total) { this.drop(key); this.dropped++; return undefined; }
      q.total = total;
    }
    if (off === 0) q.head = f.slice(0, ip.off);
    q.pieces.push({ off, data: f.slice(ip.off, ip.off + ip.len) });
    q.bytes += ip.len;
    this.held += ip.len;
    while (this.held > MAX_BYTES && this.queues.size > 0) this.evictOldest();
    if (!this.queues.has(key)) return undefined;
    return this.tryComplete(key, q);
  }

  private tryComplete(key: string, q: Queue): Uint8Array | undefined {
    if (q.total === undefined || !q.head) return undefined;
    const pieces = [...q.pieces].sort((a, b) => a.off - b.off);
    let covered = 0;
    for (const p of pieces) {
      if (p.off > covered) return undefined; // a hole
      covered = Math.max(covered, p.off + p.data.length);
    }
    if (covered < q.total) return undefined;
    const hl = q.head.length;
    const out = new Uint8Array(hl + q.total);
    out.set(q.head, 0);
    for (const p of pieces) out.set(p.data.subarray(0, Math.max(0, q.total - p.off)), hl + p.off);
    const o = ETH_HLEN;
    wr16(out, o + 2, hl - o + q.total);
    wr16(out, o + 6, 0);
    wr16(out, o + 10, 0);
    wr16(out, o + 10, csumFinish(csumPartial(out, o, hl)));
    this.drop(key);
    this.reassembled++;
    return out;
  }

  private evictOldest(): void {
    const k = this.queues.keys().next().value as string;
    this.dropped += this.queues.get(k)?.pieces.length ?? 0;
    this.drop(k);
  }

  private drop(key: string): void {
    const q = this.queues.get(key);
    if (!q) return;
    clearTimeout(q.timer);
    this.held -= q.bytes;
    this.queues.delete(key);
  }

  clear(): void {
    for (const k of [...this.queues.keys()]) this.drop(k);
  }
}

/** Split an IPv4 frame larger than `mtu` (IP bytes) into fragments; DF is cleared. */
export function fragmentIPv4(f: Uint8Array, mtu: number): Uint8Array[] {
  const o = ETH_HLEN;
  const ihl = (f[o] & 0xf) * 4;
  const payload = f.subarray(o + ihl);
  const step = Math.floor((mtu - ihl) / 8) * 8;
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += step) {
    const n = Math.min(step, payload.length - off);
    const g = new Uint8Array(o + ihl + n);
    g.set(f.subarray(0, o + ihl), 0);
    g.set(payload.subarray(off, off + n), o + ihl);
    wr16(g, o + 2, ihl + n);
    wr16(g, o + 6, (off / 8) | (off + n < payload.length ? 0x2000 : 0));
    wr16(g, o + 10, 0);
    wr16(g, o + 10, csumFinish(csumPartial(g, o, o + ihl)));
    out.push(g);
  }
  return out;
}
