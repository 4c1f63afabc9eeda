// -netdev socket / stream / dgram (QEMU's net/socket.c, net/stream.c, net/dgram.c): frames over
// host sockets, so that two emulators (ours or real QEMU) share a link.
//  - stream (and socket listen=/connect=): each frame is a 4-byte big-endian length then the
//    frame. A server serves one client at a time (the next ones wait until it leaves); frames
//    sent while nobody is connected are dropped, as on an unplugged cable. A length above NET_BUFSIZE is a broken peer: disconnect.
//  - dgram (and socket udp=/mcast=): one frame per datagram.
// Flow control: while the host socket's buffer is full we cannot receive (the NIC's frames
// queue, then its tx queue stops); while our NIC's queue is full we pause reading the socket.
import { NET_BUFSIZE, NetClientState } from './net.js';
import type { HostDatagramSocket, HostListener, HostStream, NetHost, StreamAddress } from './net-host.js';

const MAX_WAITING_CLIENTS = 4;

export type NetSocketMode =
  | { kind: 'stream'; server: boolean; addr: StreamAddress; reconnectMs?: number }
  | { kind: 'dgram'; local: { host: string; port: number }; remote?: { host: string; port: number }; mcast?: string };

const describe = (a: StreamAddress) => (a.type === 'inet' ? `${a.host}:${a.port}` : a.path);

export class NetSocketState extends NetClientState {
  private stream: HostStream | undefined;
  private listener: HostListener | undefined;
  private dgram: HostDatagramSocket | undefined;
  private rxBuf = new Uint8Array(0);
  private writable = true;
  private paused = false;
  private info = '';
  private closed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Clients accepted while another is connected (server mode). */
  private waiting: HostStream[] = [];
  /** Frames that arrived with a bad length (stream) or oversized (dgram). */
  badFrames = 0;

  constructor(name: string, readonly type: 'socket' | 'stream' | 'dgram', readonly mode: NetSocketMode, private readonly host: NetHost) {
    super(name);
  }

  infoStr(): string {
    return this.info;
  }

  async start(): Promise<void> {
    const m = this.mode;
    if (m.kind === 'dgram') {
      const remote = m.remote;
      this.dgram = await this.host.udpBind(m.local.host, m.local.port, (d, addr, port) => {
        if (m.mcast === undefined && remote && (addr !== remote.host || port !== remote.port)) return;
        this.fromHost(d);
      }, { multicast: m.mcast, reuse: m.mcast !== undefined });
      this.info = m.mcast !== undefined ? `${this.type}: mcast=${m.mcast}:${m.local.port}`
        : `${this.type}: udp=${remote ? `${remote.host}:${remote.port}` : '?'}`;
      return;
    }
    if (m.server) {
      this.listener = await this.host.listen(m.addr, (s) => this.accepted(s));
      this.info = `${this.type}: listening on ${describe(m.addr)}`;
    } else {
      this.connect();
    }
  }

  private connect(): void {
    const m = this.mode;
    if (m.kind !== 'stream' || this.closed) return;
    this.info = `${this.type}: connecting to ${describe(m.addr)}`;
    const s = this.host.connect(m.addr, {
      onConnect: () => {
        this.attach(s);
        this.info = `${this.type}: connected to ${describe(m.addr)}`;
      },
      onData: () => {}, onEnd: () => {}, onClose: () => {}, onDrain: () => {},
      onError: (msg) => {
        this.info = `${this.type}: connection to ${describe(m.addr)} failed: ${msg}`;
        this.scheduleReconnect();
      },
    });
  }

  private scheduleReconnect(): void {
    const m = this.mode;
    if (m.kind !== 'stream' || m.server || !m.reconnectMs || this.closed) return;
    this.reconnectTimer = setTimeout(() => this.connect(), m.reconnectMs);
  }

  /** One client at a time, as QEMU (which stops accepting while connected): later ones wait,
   * paused, until the current one leaves; a few at most, the rest are closed. */
  private accepted(s: HostStream): void {
    if (this.stream) {
      if (this.waiting.length >= MAX_WAITING_CLIENTS) { s.destroy(); return; }
      s.pause();
      const gone = () => { this.waiting = this.waiting.filter((w) => w !== s); };
      s.events = { onData() {}, onEnd: gone, onError: gone, onClose: gone, onDrain() {} };
      this.waiting.push(s);
      return;
    }
    this.attach(s);
    this.info = `${this.type}: connection from ${s.remoteAddress}:${s.remotePort}`;
  }

  private attach(s: HostStream): void {
    this.stream = s;
    this.rxBuf = new Uint8Array(0);
    this.writable = true;
    this.paused = false;
    s.events = {
      onData: (d) => this.streamData(d),
      onEnd: () => this.detach(s),
      onError: () => this.detach(s),
      onClose: () => this.detach(s),
      onDrain: () => { this.writable = true; this.flushQueuedPackets(); },
    };
    this.flushQueuedPackets();
  }

  private detach(s: HostStream): void {
    if (this.stream !== s) return;
    this.stream = undefined;
    s.destroy();
    const m = this.mode;
    if (m.kind === 'stream') this.info = m.server ? `${this.type}: listening on ${describe(m.addr)}` : `${this.type}: disconnected`;
    const next = this.waiting.shift();
    if (next && !this.closed) {
      this.accepted(next);
      next.resume();
      return;
    }
    this.scheduleReconnect();
  }

  /** Stream bytes: cut frames at their 4-byte length prefix. */
  private streamData(d: Uint8Array): void {
    let buf = this.rxBuf.length ? concat(this.rxBuf, d) : d;
    let pos = 0;
    while (buf.length - pos >= 4) {
      const len = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
      if (len > NET_BUFSIZE) {
        this.badFrames++;
        const s = this.stream;
        if (s) this.detach(s);
        return;
      }
      if (buf.length - pos - 4 < len) break;
      this.fromHost(buf.slice(pos + 4, pos + 4 + len));
      pos += 4 + len;
    }
    buf = buf.subarray(pos);
    this.rxBuf = buf.slice();
  }

  private fromHost(frame: Uint8Array): void {
    if (frame.length > NET_BUFSIZE) { this.badFrames++; return; }
    if (frame.length === 0) return;
    if (!this.send(frame) && !this.paused) {
      this.paused = true;
      this.stream?.pause();
    }
  }

  /** Our peer (the NIC) drained our queued frames: read the socket again. */
  override onSendCompleted(): void {
    if (this.paused) {
      this.paused = false;
      this.stream?.resume();
    }
  }

  override canReceive(): boolean {
    return this.mode.kind === 'dgram' || this.stream === undefined || this.writable;
  }

  receive(frame: Uint8Array): boolean {
    const m = this.mode;
    if (m.kind === 'dgram') {
      const to = m.mcast !== undefined ? { host: m.mcast, port: m.local.port } : m.remote;
      if (to && this.dgram) this.dgram.send(frame.slice(), to.host, to.port);
      return true;
    }
    const s = this.stream;
    if (!s) return true; // nobody connected: the frame is lost
    const out = new Uint8Array(4 + frame.length);
    out[0] = frame.length >>> 24; out[1] = (frame.length >>> 16) & 0xff; out[2] = (frame.length >>> 8) & 0xff; out[3] = frame.length & 0xff;
    out.set(frame, 4);
    if (!s.write(out)) this.writable = false;
    return true;
  }

  override cleanup(): void {
    this.closed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.stream?.destroy();
    for (const w of this.waiting) w.destroy();
    this.waiting = [];
    this.listener?.close();
    this.dgram?.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a, 0);
  r.set(b, a.length);
  return r;
}
