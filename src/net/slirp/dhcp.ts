// The user-mode stack's DHCP server (slirp's bootp.c semantics): up to 16 leases from
// dhcpstart, keyed by the client's MAC; DISCOVER gets an OFFER, REQUEST an ACK (or a NAK for an
// address that is not the client's); options in libslirp 4.7's order: server id, mask, router and
// DNS (not with restrict=on), lease time, hostname, domain name (15), TFTP server name (66),
// domain search (119); bootfile= goes in the BOOTP file field (what U-Boot and PXE read), as
// libslirp puts it (no option 67), plus vendor class "HTTPClient" for an http:// bootfile.
import { rd16, rd32, wr16, wr32 } from './ip.js';

const NB_LEASES = 16;
const LEASE_SECONDS = 86400;
const MAGIC = 0x63825363;
const BOOTP_MIN = 300; // bytes of BOOTP message, as RFC 951 pads

export const enum DhcpType { DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7 }

export interface DhcpConfig {
  host: number;
  mask: number;
  dns: number;
  dhcpStart: number;
  hostname?: string;
  restrict?: boolean;
  bootfile?: string;
  tftpServerName?: string;
  domainname?: string;
  /** Option 119's payload (RFC 1035 names, uncompressed), already split in 255-byte options. */
  dnssearch?: Uint8Array;
}

export class DhcpServer {
  private readonly leases: Array<Uint8Array | undefined> = new Array(NB_LEASES).fill(undefined);

  constructor(private readonly cfg: DhcpConfig) {}

  private leaseFor(mac: Uint8Array, allocate: boolean): number | undefined {
    const same = (m: Uint8Array | undefined) => m !== undefined && m.every((b, i) => b === mac[i]);
    let i = this.leases.findIndex(same);
    if (i < 0 && allocate) {
      i = this.leases.findIndex((m) => m === undefined);
      if (i < 0) return undefined;
      this.leases[i] = mac.slice();
    }
    return i < 0 ? undefined : (this.cfg.dhcpStart + i) >>> 0;
  }

  /** The BOOTP/DHCP payload of a UDP datagram to port 67; the reply payload and its client MAC, or undefined. */
  handle(msg: Uint8Array): { reply: Uint8Array; mac: Uint8Array } | undefined {
    if (msg.length < 240 || msg[0] !== 1 || msg[1] !== 1 || msg[2] !== 6 || rd32(msg, 236) !== MAGIC) return undefined;
    const mac = msg.slice(28, 34);
    let type = 0;
    let requested: number | undefined;
    for (let i = 240; i < msg.length;) {
      const code = msg[i];
      if (code === 255) break;
      if (code === 0) { i++; continue; }
      if (i + 1 >= msg.length) break;
      const len = msg[i + 1];
      if (i + 2 + len > msg.length) break;
      if (code === 53 && len >= 1) type = msg[i + 2];
      if (code === 50 && len === 4) requested = rd32(msg, i + 2);
      i += 2 + len;
    }
    const ciaddr = rd32(msg, 12);
    if (type === DhcpType.RELEASE) {
      const ip = this.leaseFor(mac, false);
      if (ip !== undefined && ip === ciaddr) this.leases[ip - this.cfg.dhcpStart] = undefined;
      return undefined;
    }
    let replyType: DhcpType;
    let yiaddr: number | undefined;
    if (type === DhcpType.DISCOVER) {
      yiaddr = this.leaseFor(mac, true);
      if (yiaddr === undefined) return undefined; // no address left: stay silent, as slirp does
      replyType = DhcpType.OFFER;
    } else if (type === DhcpType.REQUEST) {
      const want = requested ?? ciaddr;
      let have = this.leaseFor(mac, false);
      const slot = want - this.cfg.dhcpStart;
      if (have === undefined && slot >= 0 && slot < NB_LEASES && this.leases[slot] === undefined) {
        this.leases[slot] = mac.slice(); // a client coming back with its old address
        have = want;
      }
      if (have !== undefined && (want === 0 || want === have)) {
        replyType = DhcpType.ACK;
        yiaddr = have;
      } else {
        replyType = DhcpType.NAK;
      }
    } else {
      return undefined;
    }
    return { reply: this.build(msg, replyType, yiaddr ?? 0), mac };
  }

  private build(req: Uint8Array, type: DhcpType, yiaddr: number): Uint8Array {
    const c = this.cfg;
    const opts: number[] = [53, 1, type];
    const text = (code: number, v: string | undefined) => {
      if (v === undefined) return;
      const b = new TextEncoder().encode(v).subarray(0, 255);
      opts.push(code, b.length, ...b);
    };
    if (type !== DhcpType.NAK) {
      opts.push(54, 4, ...bytes(c.host), 1, 4, ...bytes(c.mask));
      if (!c.restrict) opts.push(3, 4, ...bytes(c.host), 6, 4, ...bytes(c.dns));
      opts.push(51, 4, ...bytes(LEASE_SECONDS));
      text(12, c.hostname || undefined);
      text(15, c.domainname);
      text(66, c.tftpServerName);
      if (c.dnssearch) opts.push(...c.dnssearch);
      if (c.bootfile?.startsWith('http://')) text(60, 'HTTPClient');
    } else {
      text(56, 'requested address not available');
    }
    opts.push(255);
    const r = new Uint8Array(Math.max(BOOTP_MIN, 240 + opts.length));
    r[0] = 2; r[1] = 1; r[2] = 6;
    r.set(req.subarray(4, 8), 4); // xid
    wr16(r, 10, rd16(req, 10)); // flags
    wr32(r, 16, yiaddr);
    wr32(r, 20, c.host); // siaddr
    r.set(req.subarray(28, 44), 28); // chaddr
    if (c.bootfile && type !== DhcpType.NAK) r.set(new TextEncoder().encode(c.bootfile).subarray(0, 127), 108); // file
    wr32(r, 236, MAGIC);
    r.set(opts, 240);
    return r;
  }
}

/** dnssearch= names as option 119 (RFC 3397): labels, each name ending in 0; options of at most
 * 255 bytes, the payload split across them. libslirp compresses repeated suffixes; the guest
 * decodes both to the same list. Undefined for a name that is not a valid domain. */
export function encodeDnsSearch(names: string[]): Uint8Array | undefined {
  const payload: number[] = [];
  for (const n of names) {
    const labels = n.replace(/\.$/, '').split('.');
    for (const l of labels) {
      const b = new TextEncoder().encode(l);
      if (b.length === 0 || b.length > 63) return undefined;
      payload.push(b.length, ...b);
    }
    payload.push(0);
  }
  const out: number[] = [];
  for (let i = 0; i < payload.length; i += 255) {
    const part = payload.slice(i, i + 255);
    out.push(119, part.length, ...part);
  }
  return new Uint8Array(out);
}

function bytes(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
