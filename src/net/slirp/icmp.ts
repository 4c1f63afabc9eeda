// ICMP echo to addresses other than the gateway and DNS (libslirp 4.7's icmp_input/icmp_send):
// each request goes out on its own host ICMP socket (an unprivileged datagram socket where
// net.ipv4.ping_group_range allows, else a raw one: the host decides), its reply comes back
// to the guest with the guest's identifier, from the remote address, TTL 255 (icmp_reflect).
// A send error becomes an ICMP "network unreachable" to the guest. Without host ICMP
// sockets (the native addon not built) requests are dropped and counted: libslirp's last
// resort, a UDP datagram to port 7, answers almost nowhere. At most MAX_PENDING requests wait,
// each for at most EXPIRE_MS.
import type { NetHost } from '../net-host.js';
import { ipToString, parseIp, rd16, wr16 } from './ip.js';

const MAX_PENDING = 64;
const EXPIRE_MS = 10_000;

export interface IcmpStack {
  readonly host: NetHost;
  /** Send an ICMP message (type, code... checksum filled in) from src to the guest's dst. */
  sendIcmp(src: number, dst: number, icmp: Uint8Array): void;
}

interface Pending { close(): void }

export class IcmpForward {
  private readonly pending = new Set<Pending>();
  /** Requests dropped: no host ICMP socket, too many waiting. */
  dropped = 0;
  /** Replies relayed to the guest. */
  replies = 0;

  constructor(private readonly stack: IcmpStack) {}

  /** An echo request (the ICMP message) from guest `src` to `dst`; the IP header for errors. */
  echo(src: number, dst: number, icmp: Uint8Array, ipHeaderAnd8: Uint8Array): void {
    if (this.pending.size >= MAX_PENDING || !this.stack.host.icmpSocket) { this.dropped++; return; }
    const id = rd16(icmp, 4);
    const seq = rd16(icmp, 6);
    const addr = ipToString(dst);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock?.close();
      this.pending.delete(entry);
    };
    const sock = this.stack.host.icmpSocket((reply, from) => {
      // A datagram socket only sees its own replies; a raw one sees all: match the echo.
      if (reply.length < 8 || reply[0] !== 0 || from !== addr || rd16(reply, 6) !== seq || (sock?.raw && rd16(reply, 4) !== id)) return;
      const r = reply.slice();
      wr16(r, 4, id); // a datagram socket's kernel rewrote it
      this.replies++;
      this.stack.sendIcmp(parseIp(from) ?? dst, src, r);
      finish();
    }, () => { this.unreachable(src, ipHeaderAnd8); finish(); });
    if (!sock) { this.dropped++; return; }
    const entry: Pending = { close: finish };
    const timer = setTimeout(finish, EXPIRE_MS);
    this.pending.add(entry);
    if (sock.send(icmp, addr) < 0) { this.unreachable(src, ipHeaderAnd8); finish(); }
  }

  /** icmp_send_error(ICMP_UNREACH, ICMP_UNREACH_NET) back to the guest. */
  private unreachable(guest: number, orig: Uint8Array): void {
    const m = new Uint8Array(8 + orig.length);
    m[0] = 3; m[1] = 0;
    m.set(orig, 8);
    const dst = (orig[16] << 24 | orig[17] << 16 | orig[18] << 8 | orig[19]) >>> 0;
    this.stack.sendIcmp(dst, guest, m);
  }

  closeAll(): void {
    for (const p of [...this.pending]) p.close();
  }
}
