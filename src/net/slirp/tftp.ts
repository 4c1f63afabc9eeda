// The user-mode stack's read-only TFTP server (libslirp 4.7's tftp.c semantics), at the gateway
// address, port 69: RRQ in octet mode for files under the tftp= directory, options tsize and
// blksize (at most 1428) answered with an OACK, one DATA block per ACK, replies from port 69.
// Errors as libslirp words them: no tftp= directory or a path with "../" or a trailing "/":
// 2 "Access violation"; a missing file: 1 "File not found"; another mode: 4 "Unsupported
// transfer mode". WRQ is ignored. At most 20 sessions; one idle for 5 s may be reused.
import { rd16, wr16 } from './ip.js';
import { type IpAddr, addrKey } from './ip6.js';

const TFTP_RRQ = 1;
const TFTP_DATA = 3;
const TFTP_ACK = 4;
const TFTP_ERROR = 5;
const TFTP_OACK = 6;
const SESSIONS_MAX = 20;
const SESSION_IDLE_MS = 5000;
const FILENAME_MAX = 512;
export const TFTP_BLKSIZE_MAX = 1428;

/** A read-only file on the host (what the server needs from it). */
export interface TftpFile {
  readonly size: number;
  /** Up to `len` bytes at `pos` (fewer at the end). */
  read(pos: number, len: number): Uint8Array;
  close(): void;
}

export interface TftpHost {
  /** Open `path` for reading, undefined when it cannot be opened (missing, a directory...). */
  openFile(path: string): TftpFile | undefined;
  now(): number;
}

interface Session {
  addr: IpAddr;
  key: string;
  port: number;
  file?: TftpFile;
  blockSize: number;
  /** Blocks sent so far (the last one sent is blockNr, 16-bit wrapped on the wire). */
  blockNr: number;
  stamp: number;
}

/** Counters for tests and `info usernet`. */
export interface TftpStats { requests: number; badPackets: number; blocks: number }

export class TftpServer {
  private readonly sessions: Array<Session | undefined> = new Array(SESSIONS_MAX).fill(undefined);
  readonly stats: TftpStats = { requests: 0, badPackets: 0, blocks: 0 };

  /** `send` emits one UDP payload from the server's port 69 to addr:port. */
  constructor(private readonly prefix: string | undefined, private readonly host: TftpHost,
    private readonly send: (addr: IpAddr, port: number, payload: Uint8Array) => void) {}

  /** A datagram from addr:port (IPv4 or IPv6: libslirp serves both at its router address). */
  input(addr: IpAddr, port: number, msg: Uint8Array): void {
    if (msg.length < 2) { this.stats.badPackets++; return; }
    const op = rd16(msg, 0);
    if (op === TFTP_RRQ) { this.rrq(addr, port, msg.subarray(2)); return; }
    const i = this.find(addr, port);
    if (i < 0) return;
    const s = this.sessions[i] as Session;
    if (op === TFTP_ACK) {
      if (msg.length < 4) { this.stats.badPackets++; return; }
      const n = rd16(msg, 2);
      // The ACK of our last block: the next one; of the one before: ours was lost, send it again.
      if (n === (s.blockNr & 0xffff)) this.sendBlock(i, s);
      else if (n === ((s.blockNr - 1) & 0xffff) && s.blockNr > 0) { s.blockNr--; this.sendBlock(i, s); }
    } else if (op === TFTP_ERROR) {
      this.terminate(i);
    }
  }

  closeAll(): void {
    for (let i = 0; i < SESSIONS_MAX; i++) this.terminate(i);
  }

  get active(): number {
    return this.sessions.filter((s) => s !== undefined).length;
  }

  private find(addr: IpAddr, port: number): number {
    const key = addrKey(addr);
    return this.sessions.findIndex((s) => s !== undefined && s.key === key && s.port === port);
  }

  private terminate(i: number): void {
    this.sessions[i]?.file?.close();
    this.sessions[i] = undefined;
  }

  private allocate(addr: IpAddr, port: number): number {
    const now = this.host.now();
    for (let i = 0; i < SESSIONS_MAX; i++) {
      const s = this.sessions[i];
      if (s !== undefined && now - s.stamp <= SESSION_IDLE_MS) continue;
      this.terminate(i);
      this.sessions[i] = { addr, key: addrKey(addr), port, blockSize: 512, blockNr: 0, stamp: now };
      return i;
    }
    return -1;
  }

  private rrq(addr: IpAddr, port: number, buf: Uint8Array): void {
    this.stats.requests++;
    const old = this.find(addr, port);
    if (old >= 0) this.terminate(old);
    const i = this.allocate(addr, port);
    if (i < 0) return; // no free session: silence, as libslirp
    const s = this.sessions[i] as Session;
    if (this.prefix === undefined) { this.error(i, 2, 'Access violation'); return; }
    const nul = buf.indexOf(0);
    if (nul < 0 || nul >= FILENAME_MAX) { this.badPacket(i); return; }
    const name = latin1(buf.subarray(0, nul));
    let k = nul + 1;
    if (buf.length - k < 6) { this.badPacket(i); return; }
    const modeEnd = buf.indexOf(0, k);
    if (latin1(buf.subarray(k, modeEnd < 0 ? buf.length : modeEnd)).toLowerCase() !== 'octet') {
      this.error(i, 4, 'Unsupported transfer mode');
      return;
    }
    k += 6;
    if (name.includes('../') || name.endsWith('/') || name === '') { this.error(i, 2, 'Access violation'); return; }
    s.file = this.host.openFile(`${this.prefix}/${name}`);
    if (!s.file) { this.error(i, 1, 'File not found'); return; }
    if (buf[buf.length - 1] !== 0) { this.badPacket(i); return; }
    const opts: Array<[string, number]> = [];
    while (k < buf.length && opts.length < 2) {
      const ke = buf.indexOf(0, k);
      const key = latin1(buf.subarray(k, ke)).toLowerCase();
      k = ke + 1;
      if (k >= buf.length) { this.badPacket(i); return; }
      const ve = buf.indexOf(0, k);
      const value = atoi(latin1(buf.subarray(k, ve)));
      k = ve + 1;
      if (key === 'tsize') {
        opts.push(['tsize', value === 0 ? s.file.size : value]);
      } else if (key === 'blksize' && value > 0) {
        s.blockSize = Math.min(value, TFTP_BLKSIZE_MAX);
        opts.push(['blksize', s.blockSize]);
      }
    }
    if (opts.length > 0) {
      const text = opts.map(([n, v]) => `${n}\0${v >>> 0}\0`).join('');
      const r = new Uint8Array(2 + text.length);
      wr16(r, 0, TFTP_OACK);
      for (let j = 0; j < text.length; j++) r[2 + j] = text.charCodeAt(j);
      this.send(addr, port, r);
      return; // the client's ACK of block 0 starts the data
    }
    this.sendBlock(i, s);
  }

  private sendBlock(i: number, s: Session): void {
    const file = s.file as TftpFile;
    const data = file.read(s.blockNr * s.blockSize, s.blockSize);
    const r = new Uint8Array(4 + data.length);
    wr16(r, 0, TFTP_DATA);
    wr16(r, 2, (s.blockNr + 1) & 0xffff);
    r.set(data, 4);
    this.send(s.addr, s.port, r);
    this.stats.blocks++;
    s.blockNr++;
    // A short block is the last: libslirp ends the session at once.
    if (data.length === s.blockSize) s.stamp = this.host.now();
    else this.terminate(i);
  }

  private badPacket(i: number): void {
    this.stats.badPackets++;
    this.error(i, 2, 'Access violation');
  }

  private error(i: number, code: number, msg: string): void {
    const s = this.sessions[i] as Session;
    const r = new Uint8Array(4 + msg.length + 1);
    wr16(r, 0, TFTP_ERROR);
    wr16(r, 2, code);
    for (let j = 0; j < msg.length; j++) r[4 + j] = msg.charCodeAt(j);
    this.send(s.addr, s.port, r);
    this.terminate(i);
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** C's atoi: leading blanks, a sign, digits; 0 when none. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const v = Number(m[1]);
  return v > 2147483647 ? 2147483647 : v < -2147483648 ? -2147483648 : v;
}
