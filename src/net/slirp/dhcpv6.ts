// Stateless DHCPv6 (RFC 8415 Information-request/Reply), as libslirp's dhcpv6.c answers at the
// router address and ff02::1:2 port 547: the client's id echoed, the DNS address (option 23) and
// a tftp://[router]/bootfile URL (option 59) when the client asks for them in its option request
// option. Requests carrying an IA address, an odd ORO, a client id above 256 bytes or an option
// running past the message get no reply; other message types are ignored.
import { wr16 } from './ip.js';
import type { Ip6 } from './ip6.js';

export const DHCPV6_SERVER_PORT = 547;
const MSG_REPLY = 7;
const MSG_INFO_REQUEST = 11;
const OPT_CLIENTID = 1;
const OPT_IAADDR = 5;
const OPT_ORO = 6;
const OPT_DNS_SERVERS = 23;
const OPT_BOOTFILE_URL = 59;
const MAX_URL = 1400;

export interface Dhcpv6Config {
  host: Ip6;
  dns: Ip6;
  bootfile?: string;
}

/** The reply to a DHCPv6 message (the UDP payload), or undefined for none. */
export function dhcpv6Reply(cfg: Dhcpv6Config, msg: Uint8Array): Uint8Array | undefined {
  if (msg.length < 4 || msg[0] !== MSG_INFO_REQUEST) return undefined;
  let clientId: Uint8Array | undefined;
  let wantDns = false;
  let wantUrl = false;
  for (let o = 4; msg.length - o > 4;) {
    const code = (msg[o] << 8) | msg[o + 1];
    const len = (msg[o + 2] << 8) | msg[o + 3];
    if (o + 4 + len > msg.length) return undefined;
    if (code === OPT_IAADDR) return undefined; // RFC 3315: discard requests with an IA
    if (code === OPT_CLIENTID) {
      if (len > 256) return undefined;
      clientId = msg.subarray(o + 4, o + 4 + len);
    } else if (code === OPT_ORO) {
      if (len & 1) return undefined;
      for (let i = 0; i < len; i += 2) {
        const want = (msg[o + 4 + i] << 8) | msg[o + 5 + i];
        if (want === OPT_DNS_SERVERS) wantDns = true;
        if (want === OPT_BOOTFILE_URL) wantUrl = true;
      }
    }
    o += 4 + len;
  }
  const parts: Uint8Array[] = [new Uint8Array([MSG_REPLY, msg[1], msg[2], msg[3]])];
  const option = (code: number, body: Uint8Array) => {
    const h = new Uint8Array(4);
    wr16(h, 0, code);
    wr16(h, 2, body.length);
    parts.push(h, body);
  };
  if (clientId) option(OPT_CLIENTID, clientId);
  if (wantDns) option(OPT_DNS_SERVERS, cfg.dns);
  if (wantUrl) {
    // libslirp prints every byte of the address (no :: shortening), and "(null)" for no bootfile= (glibc's %s of NULL).
    const a = Array.from({ length: 8 }, (_, i) => Array.from(cfg.host.subarray(i * 2, i * 2 + 2), (b) => b.toString(16).padStart(2, '0')).join(''));
    option(OPT_BOOTFILE_URL, new TextEncoder().encode(`tftp://[${a.join(':')}]/${cfg.bootfile ?? '(null)'}`).subarray(0, MAX_URL));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
