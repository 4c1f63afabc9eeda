// One TCP connection of the user-mode stack: the guest talks TCP to us, we talk to a host stream
// (slirp's tcp_input/tcp_output, re-thought). Both directions are bounded:
//  - host -> guest: host bytes wait in sndBuf until the guest ACKs them; the host stream is
//    paused while sndBuf holds SND_BUF bytes. We send within the guest's window (scaled), keep
//    one retransmission timer (go-back-N from snd_una on expiry, exponential backoff), fast
//    retransmit on three duplicate ACKs, and probe a zero window.
//  - guest -> host: we advertise RCV_BUF minus what the host has not taken yet (its send
//    buffer) minus the out-of-order bytes we hold, so a slow host reader closes the guest's
//    window; segments beyond the window are trimmed, out-of-order ones kept (bounded by it).
// FIN and RST travel both ways; a host error or a connection refused becomes an RST to the guest.
import type { HostStream, HostStreamEvents } from '../net-host.js';
import { ETH_HLEN, IPPROTO_TCP, buildIPv4Frame, rd16, rd32, wr16, wr32, writeL4Checksum } from './ip.js';
import { IP6_HLEN, type IpAddr, addrKey, buildIPv6Frame, ip6Mac, writeL4Checksum6 } from './ip6.js';

export const enum TcpFlag { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 }

const SND_BUF = 256 * 1024;
const RCV_BUF = 256 * 1024;
const RCV_WSCALE = 3; // 65535 << 3 covers RCV_BUF
const DEFAULT_MSS = 536;
const OUR_MSS = 1460;
const OUR_MSS6 = 1440; // 1500 - 40 - 20
/** No RTT estimate: a guest on a loaded host can take long to answer, and a spurious go-back
 * costs more than a late one (fast retransmit covers real losses). */
const RTO_MIN_MS = 1000;
const RTO_MAX_MS = 8000;
const MAX_RETRIES = 12;
/** Longest a half-open or closing connection may linger without progress. */
const IDLE_CLOSE_MS = 120_000;

const seqLt = (a: number, b: number) => ((a - b) | 0) < 0;
const seqLe = (a: number, b: number) => ((a - b) | 0) <= 0;
const seqDiff = (a: number, b: number) => (a - b) | 0;

export interface TcpSegment {
  seq: number;
  ack: number;
  flags: number;
  win: number;
  data: Uint8Array;
  mss?: number;
  wscale?: number;
}

/** Parse a TCP segment (ip payload at off, len); undefined when malformed. */
export function parseTcp(f: Uint8Array, off: number, len: number): (TcpSegment & { sport: number; dport: number }) | undefined {
  if (len < 20) return undefined;
  const doff = (f[off + 12] >> 4) * 4;
  if (doff < 20 || doff > len) return undefined;
  const seg = {
    sport: rd16(f, off), dport: rd16(f, off + 2), seq: rd32(f, off + 4), ack: rd32(f, off + 8),
    flags: f[off + 13] & 0x3f, win: rd16(f, off + 14), data: f.subarray(off + doff, off + len),
  } as TcpSegment & { sport: number; dport: number };
  // Options (only SYN ones matter: MSS, window scale).
  for (let i = off + 20; i < off + doff;) {
    const kind = f[i];
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    const l = f[i + 1];
    if (l < 2 || i + l > off + doff) break;
    if (kind === 2 && l === 4) seg.mss = rd16(f, i + 2);
    if (kind === 3 && l === 3) seg.wscale = Math.min(f[i + 2], 14);
    i += l;
  }
  return seg;
}

/** What a connection needs from the stack. */
export interface TcpStack {
  emit(frame: Uint8Array): void;
  guestMac(ip: IpAddr): Uint8Array | undefined;
  readonly gatewayMac: Uint8Array;
  /** The NIC takes TCP super-frames (GUEST_TSO4). */
  guestTso(): boolean;
  remove(c: TcpConn): void;
}

export const enum TcpState { CONNECTING, SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSED }

export class TcpConn {
  state: TcpState;
  private iss = (Math.random() * 2 ** 32) >>> 0;
  private sndUna = this.iss;
  private sndNxt = this.iss;
  /** Highest sequence sent so far: ACKs up to it are valid even after a go-back (snd_max). */
  private sndMax = this.iss;
  /** Sequence number of our FIN once sent. */
  private finSeq: number | undefined;
  private sndWnd = 0;
  private sndWscale = 0;
  private rcvWscale = 0;
  private mss = DEFAULT_MSS;
  private rcvNxt = 0;
  private lastAdvWnd = 0;
  /** Host bytes from sndUna on, not yet acknowledged by the guest. */
  private sndBuf: Uint8Array[] = [];
  private sndBufLen = 0;
  private ooo: Array<{ seq: number; data: Uint8Array }> = [];
  private oooBytes = 0;
  private finFromHost = false;
  private finSent = false;
  private finAcked = false;
  private finFromGuest = false;
  private hostPaused = false;
  private ackPending = false;
  /** Bytes taken from the guest since our last ACK. */
  private rcvUnacked = 0;
  private ackScheduled = false;
  private dupAcks = 0;
  private rto = RTO_MIN_MS;
  private retries = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  host: HostStream | undefined;
  /** Bytes each way (info, tests). */
  bytesFromGuest = 0;
  bytesToGuest = 0;

  constructor(
    private readonly stack: TcpStack,
    readonly guestIp: IpAddr, readonly guestPort: number,
    readonly remoteIp: IpAddr, readonly remotePort: number,
    initial: TcpState,
  ) {
    this.state = initial;
    this.touch();
  }

  get key(): string {
    return TcpConn.key(this.guestIp, this.guestPort, this.remoteIp, this.remotePort);
  }

  static key(gip: IpAddr, gport: number, rip: IpAddr, rport: number): string {
    return `${addrKey(gip)}:${gport}:${addrKey(rip)}:${rport}`;
  }

  private get v6(): boolean {
    return typeof this.guestIp !== 'number';
  }

  private get ourMss(): number {
    return this.v6 ? OUR_MSS6 : OUR_MSS;
  }

  /** Events of the host stream, bound to this connection. */
  hostEvents(): HostStreamEvents {
    return {
      onConnect: () => this.hostConnected(),
      onData: (d) => this.hostData(d),
      onEnd: () => { this.finFromHost = true; this.output(); },
      onError: () => this.abort(true),
      onClose: () => { if (!this.finFromHost && this.state !== TcpState.CLOSED) { this.finFromHost = true; this.output(); } },
      onDrain: () => this.windowUpdate(),
    };
  }

  // ---- guest side ----

  /** A SYN from the guest opened us (outbound connection): remember its parameters. */
  guestSyn(seg: TcpSegment): void {
    this.rcvNxt = (seg.seq + 1) >>> 0;
    this.mss = Math.max(64, Math.min(seg.mss ?? DEFAULT_MSS, this.ourMss));
    if (seg.wscale !== undefined) { this.sndWscale = seg.wscale; this.rcvWscale = RCV_WSCALE; }
    this.sndWnd = seg.win; // SYN windows are never scaled
  }

  /** The host side of an outbound connection is up: SYN-ACK to the guest. */
  private hostConnected(): void {
    if (this.state !== TcpState.CONNECTING) return;
    this.state = TcpState.SYN_RCVD;
    this.sendSyn(true);
  }

  /** hostfwd: a host client connected; open towards the guest with a SYN. */
  openToGuest(): void {
    this.state = TcpState.SYN_SENT;
    this.host?.pause();
    this.hostPaused = true;
    this.sendSyn(false);
  }

  private sendSyn(withAck: boolean): void {
    const opts = new Uint8Array(withAck && this.rcvWscale === 0 ? 4 : 8);
    opts[0] = 2; opts[1] = 4; wr16(opts, 2, this.ourMss);
    if (opts.length === 8) { opts[4] = 1; opts[5] = 3; opts[6] = 3; opts[7] = RCV_WSCALE; }
    this.sndNxt = (this.iss + 1) >>> 0;
    this.sndMax = this.sndNxt;
    this.segment(this.iss, TcpFlag.SYN | (withAck ? TcpFlag.ACK : 0), new Uint8Array(0), opts);
    this.armTimer();
  }

  input(seg: TcpSegment): void {
    this.touch();
    if (seg.flags & TcpFlag.RST) {
      if (this.state === TcpState.SYN_SENT ? seg.ack === this.sndNxt : this.inWindow(seg.seq)) this.abort(false);
      return;
    }
    switch (this.state) {
      case TcpState.CONNECTING: return; // a retransmitted SYN while the host connects
      case TcpState.SYN_SENT: {
        if ((seg.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== (TcpFlag.SYN | TcpFlag.ACK) || seg.ack !== this.sndNxt) {
          if (seg.flags & TcpFlag.ACK) this.rst(seg.ack, 0, false);
          return;
        }
        this.rcvNxt = (seg.seq + 1) >>> 0;
        this.mss = Math.max(64, Math.min(seg.mss ?? DEFAULT_MSS, this.ourMss));
        if (seg.wscale !== undefined) this.sndWscale = seg.wscale;
        else this.rcvWscale = 0;
        this.sndWnd = seg.win;
        this.established(seg.ack);
        this.ackPending = true;
        this.output();
        return;
      }
      case TcpState.SYN_RCVD:
        if (seg.flags & TcpFlag.SYN) { if (seg.seq === ((this.rcvNxt - 1) >>> 0)) this.sendSyn(true); return; }
        if (!(seg.flags & TcpFlag.ACK) || seg.ack !== this.sndNxt) { if (seg.flags & TcpFlag.ACK) this.rst(seg.ack, 0, false); return; }
        this.established(seg.ack);
        break;
      case TcpState.CLOSED: return;
    }
    if (seg.flags & TcpFlag.SYN) { this.ackNow(); return; } // a duplicate SYN
    if (seg.flags & TcpFlag.ACK) this.processAck(seg);
    this.processData(seg);
    this.output();
    this.maybeClose();
  }

  private established(ack: number): void {
    this.state = TcpState.ESTABLISHED;
    this.sndUna = ack;
    this.sndNxt = ack;
    this.clearTimer();
    this.retries = 0;
    this.rto = RTO_MIN_MS;
    if (this.hostPaused && this.sndBufLen < SND_BUF) { this.hostPaused = false; this.host?.resume(); }
  }

  private inWindow(seq: number): boolean {
    return seqLe(this.rcvNxt, seq) && seqLt(seq, (this.rcvNxt + Math.max(this.rcvWindow(), 1)) >>> 0);
  }

  private processAck(seg: TcpSegment): void {
    const ack = seg.ack;
    const wnd = seg.win << this.sndWscale;
    if (seqLt(this.sndUna, ack) && seqLe(ack, this.sndMax)) {
      if (seqLt(this.sndNxt, ack)) this.sndNxt = ack; // it had what we sent before a go-back
      let acked = seqDiff(ack, this.sndUna);
      if (this.finSeq !== undefined && seqLt(this.finSeq, ack)) { this.finAcked = true; this.finSent = true; acked--; }
      this.consume(Math.min(acked, this.sndBufLen));
      this.sndUna = ack;
      this.dupAcks = 0;
      this.retries = 0;
      this.rto = RTO_MIN_MS;
      this.clearTimer();
      if (this.sndNxt !== this.sndUna) this.armTimer();
      if (this.hostPaused && this.sndBufLen < SND_BUF / 2) { this.hostPaused = false; this.host?.resume(); }
    } else if (wnd === 0 && ack === this.sndUna) {
      this.retries = 0; // answers to our zero-window probes: the guest is alive, keep probing
    } else if (ack === this.sndUna && seg.data.length === 0 && wnd === this.sndWnd && this.sndNxt !== this.sndUna) {
      if (++this.dupAcks === 3) this.sendData(this.sndUna, Math.min(this.mss, this.sndBufLen), false);
    } else if (seqLt(this.sndMax, ack)) {
      this.ackNow(); // acknowledges what we never sent
      return;
    }
    if (this.sndWnd === 0 && wnd > 0 && ack === this.sndUna && this.sndNxt !== this.sndUna) {
      // The window reopened: what we sent into it (a probe) was dropped; send it again now.
      this.sndNxt = this.sndUna;
      this.finSent = false;
    }
    this.sndWnd = wnd;
  }

  private processData(seg: TcpSegment): void {
    let seq = seg.seq;
    let data = seg.data;
    const fin = (seg.flags & TcpFlag.FIN) !== 0;
    if (this.finFromGuest) { if (data.length > 0 || fin) this.ackNow(); return; }
    // Trim what we already have, and what lies past the window.
    const dup = seqDiff(this.rcvNxt, seq);
    if (dup > 0) {
      if (dup >= data.length + (fin ? 1 : 0)) { if (data.length > 0 || fin) this.ackNow(); return; }
      data = data.subarray(Math.min(dup, data.length));
      seq = this.rcvNxt;
    }
    const room = Math.max(this.rcvWindow(), this.lastAdvWnd - seqDiff(seq, this.rcvNxt));
    let finHere = fin;
    if (seqDiff(seq, this.rcvNxt) + data.length > room) {
      data = data.subarray(0, Math.max(0, room - seqDiff(seq, this.rcvNxt)));
      finHere = false;
    }
    if (seq !== this.rcvNxt) {
      if (data.length > 0) this.keepOutOfOrder(seq, data);
      this.ackNow(); // a duplicate ACK tells the guest what is missing
      return;
    }
    if (data.length > 0) this.toHost(data);
    if (finHere) this.guestFin();
    else this.drainOutOfOrder();
    if (data.length > 0 || finHere) {
      // As Linux: at least every second full-sized segment is acknowledged at once; smaller
      // ones wait for the end of the batch (the microtask runs when the vCPU loop yields).
      this.rcvUnacked += data.length;
      if (finHere || this.rcvUnacked >= 2 * this.mss) this.ackNow();
      else this.ackSoon();
    }
  }

  private toHost(data: Uint8Array): void {
    this.rcvNxt = (this.rcvNxt + data.length) >>> 0;
    this.bytesFromGuest += data.length;
    this.host?.write(data.slice());
  }

  private guestFin(): void {
    this.rcvNxt = (this.rcvNxt + 1) >>> 0;
    this.finFromGuest = true;
    this.ooo = [];
    this.oooBytes = 0;
    this.host?.end();
  }

  private keepOutOfOrder(seq: number, data: Uint8Array): void {
    if (this.ooo.some((s) => s.seq === seq && s.data.length >= data.length)) return;
    this.ooo.push({ seq, data: data.slice() });
    this.ooo.sort((a, b) => seqDiff(a.seq, b.seq));
    this.oooBytes += data.length;
  }

  private drainOutOfOrder(): void {
    while (this.ooo.length > 0) {
      const s = this.ooo[0];
      if (seqLt(this.rcvNxt, s.seq)) break;
      this.ooo.shift();
      this.oooBytes -= s.data.length;
      const skip = seqDiff(this.rcvNxt, s.seq);
      if (skip < s.data.length) this.toHost(s.data.subarray(skip));
    }
  }

  /** The window we can offer: the host's unread bytes and our out-of-order bytes count against it. */
  private rcvWindow(): number {
    const w = RCV_BUF - (this.host?.pending ?? 0) - this.oooBytes;
    return Math.max(0, Math.min(w, 65535 << this.rcvWscale));
  }

  /** The host took bytes: if the guest thinks our window is (nearly) closed, reopen it. */
  private windowUpdate(): void {
    if (this.state !== TcpState.ESTABLISHED || this.finFromGuest) return;
    if (this.lastAdvWnd < 2 * this.mss && this.rcvWindow() >= 2 * this.mss) this.ackNow();
  }

  // ---- host side ----

  private hostData(d: Uint8Array): void {
    if (this.state === TcpState.CLOSED || this.finFromHost) return;
    this.sndBuf.push(d);
    this.sndBufLen += d.length;
    if (this.sndBufLen >= SND_BUF) { this.hostPaused = true; this.host?.pause(); }
    this.output();
  }

  private consume(n: number): void {
    this.sndBufLen -= n;
    while (n > 0) {
      const c = this.sndBuf[0];
      if (c.length <= n) { n -= c.length; this.sndBuf.shift(); } else { this.sndBuf[0] = c.subarray(n); n = 0; }
    }
  }

  /** Copy sndBuf bytes [off, off+len) (relative to sndUna). */
  private peek(off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let pos = 0;
    for (const c of this.sndBuf) {
      if (pos >= len) break;
      if (off >= c.length) { off -= c.length; continue; }
      const n = Math.min(c.length - off, len - pos);
      out.set(c.subarray(off, off + n), pos);
      pos += n;
      off = 0;
    }
    return out;
  }

  /** Send what the window allows, then a FIN when the host is done, else a pending ACK. */
  output(): void {
    if (this.state !== TcpState.ESTABLISHED) return;
    const maxSeg = !this.v6 && this.stack.guestTso() ? Math.floor(62000 / this.mss) * this.mss : this.mss;
    for (;;) {
      const sent = seqDiff(this.sndNxt, this.sndUna) - (this.finSent ? 1 : 0);
      const unsent = this.sndBufLen - sent;
      const usable = this.sndWnd - sent;
      if (unsent <= 0) break;
      if (usable <= 0) {
        if (sent === 0 && this.timer === undefined) this.armTimer(); // zero window: the timer probes
        break;
      }
      const n = Math.min(unsent, usable, maxSeg);
      this.sendData(this.sndNxt, n, true);
    }
    if (this.finFromHost && !this.finSent && seqDiff(this.sndNxt, this.sndUna) === this.sndBufLen) {
      this.finSent = true;
      this.finSeq = this.sndNxt;
      this.segment(this.sndNxt, TcpFlag.FIN | TcpFlag.ACK, new Uint8Array(0));
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
      if (this.timer === undefined) this.armTimer();
    }
    if (this.ackPending) this.ackNow();
    this.maybeClose();
  }

  /** Send `len` bytes from sequence `seq`; advance = new data (else a retransmission). */
  private sendData(seq: number, len: number, advance: boolean): void {
    if (len <= 0) return;
    const data = this.peek(seqDiff(seq, this.sndUna), len);
    this.segment(seq, TcpFlag.ACK | TcpFlag.PSH, data);
    this.bytesToGuest += advance ? len : 0;
    if (advance) {
      this.sndNxt = (seq + len) >>> 0;
      if (seqLt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
    }
    if (this.timer === undefined) this.armTimer();
  }

  private ackSoon(): void {
    this.ackPending = true;
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    // After the NIC's whole tx batch: one ACK for many segments.
    queueMicrotask(() => { this.ackScheduled = false; if (this.ackPending) this.ackNow(); });
  }

  private ackNow(): void {
    if (this.state === TcpState.CLOSED) return;
    this.segment(this.sndNxt, TcpFlag.ACK, new Uint8Array(0));
  }

  private rst(seq: number, ack: number, withAck: boolean): void {
    this.segment(seq, TcpFlag.RST | (withAck ? TcpFlag.ACK : 0), new Uint8Array(0), undefined, ack);
  }

  private segment(seq: number, flags: number, data: Uint8Array, opts?: Uint8Array, ackOverride?: number): void {
    const mac = this.stack.guestMac(this.guestIp);
    if (!mac) return;
    const optLen = opts?.length ?? 0;
    const tlen = 20 + optLen + data.length;
    const f = typeof this.guestIp === 'number'
      ? buildIPv4Frame(mac, this.stack.gatewayMac, this.remoteIp as number, this.guestIp, IPPROTO_TCP, tlen)
      : buildIPv6Frame(mac, ip6Mac(this.remoteIp as Uint8Array), this.remoteIp as Uint8Array, this.guestIp, IPPROTO_TCP, tlen);
    const o = ETH_HLEN + (this.v6 ? IP6_HLEN : 20);
    wr16(f, o, this.remotePort);
    wr16(f, o + 2, this.guestPort);
    wr32(f, o + 4, seq);
    const withAck = (flags & TcpFlag.ACK) !== 0;
    wr32(f, o + 8, withAck ? this.rcvNxt : ackOverride ?? 0);
    f[o + 12] = ((20 + optLen) / 4) << 4;
    f[o + 13] = flags;
    const wnd = flags & TcpFlag.SYN ? Math.min(this.rcvWindow(), 65535) : this.rcvWindow();
    if (withAck) this.lastAdvWnd = wnd;
    wr16(f, o + 14, flags & TcpFlag.SYN ? wnd : wnd >> this.rcvWscale);
    if (opts) f.set(opts, o + 20);
    f.set(data, o + 20 + optLen);
    if (this.v6) writeL4Checksum6(f, 16);
    else writeL4Checksum(f, 16);
    if (withAck) { this.ackPending = false; this.rcvUnacked = 0; }
    this.stack.emit(f);
  }

  // ---- timers and teardown ----

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => this.onTimer(), this.rto);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.state === TcpState.CLOSED) return;
    if (++this.retries > MAX_RETRIES) { this.abort(true); return; }
    this.rto = Math.min(this.rto * 2, RTO_MAX_MS);
    if (this.state === TcpState.SYN_SENT) { this.sendSyn(false); return; }
    if (this.state === TcpState.SYN_RCVD) { this.sendSyn(true); return; }
    if (this.state !== TcpState.ESTABLISHED) return;
    const inFlight = seqDiff(this.sndNxt, this.sndUna);
    if (inFlight === 0 && this.sndBufLen > 0 && this.sndWnd === 0) {
      this.sendData(this.sndUna, 1, true); // zero-window probe: one byte past the window
      this.armTimer();
      return;
    }
    // Go back to the oldest unacknowledged byte and send again (the FIN too, if it was sent).
    this.sndNxt = this.sndUna;
    this.finSent = false;
    this.armTimer();
    this.output();
  }

  private touch(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      // Established connections live as long as they like; half-open or closing ones do not.
      if (this.state !== TcpState.ESTABLISHED || this.finFromGuest || this.finFromHost) this.abort(true);
      else this.touch();
    }, IDLE_CLOSE_MS);
  }

  private maybeClose(): void {
    if (this.finFromGuest && this.finSent && this.finAcked) this.close();
  }

  /** Tear down; `toGuest` sends an RST to the guest (host failure, refused, retries exhausted). */
  abort(toGuest: boolean): void {
    if (this.state === TcpState.CLOSED) return;
    if (toGuest) {
      if (this.state === TcpState.CONNECTING) this.rst(0, (this.rcvNxt) >>> 0, true);
      else this.rst(this.sndNxt, this.rcvNxt, true);
    }
    this.host?.destroy();
    this.close();
  }

  private close(): void {
    if (this.state === TcpState.CLOSED) return;
    this.state = TcpState.CLOSED;
    this.clearTimer();
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.sndBuf = [];
    this.ooo = [];
    this.host?.end();
    this.stack.remove(this);
  }

  describe(): string {
    const st = ['CONNECTING', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'CLOSED'][this.state];
    return `${st} snd_buf=${this.sndBufLen} ooo=${this.oooBytes}`;
  }
}
