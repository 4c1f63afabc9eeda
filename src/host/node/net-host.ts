// Node's side of the network back ends (src/net/net-host.ts): TCP and unix streams on node:net,
// UDP on node:dgram, the resolver from /etc/resolv.conf (or TSQEMU_SLIRP_DNS=host:port, which
// tests use to point the DNS relay at their own loopback server), pcap files on node:fs.
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { fdWatchSys } from './fdmon.js';
import { loadUserSys } from './user-sys.js';
import type { HostDatagramSocket, HostListener, HostStream, HostStreamEvents, NetHost, StreamAddress } from '../../net/net-host.js';

/** Host send buffer above which write() reports "full" (the user-mode TCP window shrinks). */
const HIGH_WATER = 64 * 1024;

class NodeStream implements HostStream {
  events: HostStreamEvents;
  private gone = false;

  constructor(private readonly s: net.Socket, events: HostStreamEvents) {
    this.events = events;
    s.setNoDelay(true);
    s.on('data', (d: Buffer) => this.events.onData(new Uint8Array(d.buffer, d.byteOffset, d.length)));
    s.on('end', () => this.events.onEnd());
    s.on('drain', () => this.events.onDrain());
    s.on('error', (e) => { if (!this.gone) { this.gone = true; this.events.onError(e.message); } });
    s.on('close', () => { if (!this.gone) { this.gone = true; this.events.onClose(); } });
  }

  get remoteAddress(): string { return this.s.remoteAddress ?? ''; }
  get remotePort(): number { return this.s.remotePort ?? 0; }
  get pending(): number { return this.s.writableLength; }

  write(data: Uint8Array): boolean {
    if (this.s.destroyed || this.s.writableEnded) return true;
    this.s.write(data);
    return this.s.writableLength < HIGH_WATER;
  }

  end(): void {
    if (!this.s.destroyed && !this.s.writableEnded) this.s.end();
  }

  destroy(): void {
    this.gone = true;
    if (this.s.destroyed) return;
    try {
      this.s.resetAndDestroy(); // an RST for TCP peers
    } catch {
      this.s.destroy(); // unix sockets have no RST
    }
  }

  pause(): void { this.s.pause(); }
  resume(): void { this.s.resume(); }
}

function connectOpts(a: StreamAddress): net.NetConnectOpts {
  return a.type === 'inet' ? { host: a.host, port: a.port } : { path: a.path };
}

function readResolver(): { host: string; port: number } | undefined {
  const env = process.env.TSQEMU_SLIRP_DNS;
  if (env) {
    const m = /^([0-9.]+)(?::([0-9]+))?$/.exec(env);
    if (m) return { host: m[1], port: Number(m[2] ?? 53) };
  }
  try {
    const m = /^\s*nameserver\s+([0-9.]+)\s*$/m.exec(fs.readFileSync('/etc/resolv.conf', 'utf8'));
    if (m) return { host: m[1], port: 53 };
  } catch { /* no resolv.conf: no DNS relay */ }
  return undefined;
}

/** The first IPv6 nameserver (libslirp's get_dns6_addr), or TSQEMU_SLIRP_DNS6=[ADDR]:PORT. */
function readResolver6(): { host: string; port: number } | undefined {
  const env = process.env.TSQEMU_SLIRP_DNS6;
  if (env) {
    const m = /^\[([0-9a-fA-F:.]+)\](?::([0-9]+))?$/.exec(env) ?? /^([0-9a-fA-F:.]+)()$/.exec(env);
    if (m && m[1].includes(':')) return { host: m[1], port: Number(m[2] || 53) };
  }
  try {
    const m = /^\s*nameserver\s+([0-9a-fA-F:.]*:[0-9a-fA-F:.]*)\s*$/m.exec(fs.readFileSync('/etc/resolv.conf', 'utf8'));
    if (m) return { host: m[1], port: 53 };
  } catch { /* no resolv.conf */ }
  return undefined;
}

let resolver: { r: { host: string; port: number } | undefined } | undefined;
let resolver6: { r: { host: string; port: number } | undefined } | undefined;

export const nodeNetHost: NetHost = {
  connect(addr, events) {
    const s = net.connect({ ...connectOpts(addr), allowHalfOpen: true });
    const st = new NodeStream(s, events);
    s.once('connect', () => st.events.onConnect?.());
    return st;
  },

  listen(addr, onAccept) {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
        const st = new NodeStream(s, { onData() {}, onEnd() {}, onError() {}, onClose() {}, onDrain() {} });
        s.resume(); // before onAccept: a consumer that pauses at once (hostfwd) must win
        onAccept(st);
      });
      server.once('error', (e) => reject(new Error((e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'Address already in use' : e.message)));
      const ready = () => {
        const a = server.address();
        const l: HostListener = {
          address: typeof a === 'object' && a ? a.address : String(a),
          port: typeof a === 'object' && a ? a.port : 0,
          close: () => server.close(),
        };
        resolve(l);
      };
      if (addr.type === 'unix') {
        try { if (fs.statSync(addr.path).isSocket()) fs.unlinkSync(addr.path); } catch { /* none yet */ }
        server.listen(addr.path, ready);
      } else {
        server.listen(addr.port, addr.host, ready);
      }
    });
  },

  udpBind(host, port, onMessage, opts) {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: opts?.reuse ?? false });
      s.on('message', (m, r) => onMessage(new Uint8Array(m.buffer, m.byteOffset, m.length), r.address, r.port));
      s.once('error', (e) => reject(e));
      s.bind(port, opts?.multicast !== undefined ? undefined : host, () => {
        s.removeAllListeners('error');
        s.on('error', () => { /* ICMP unreachable and the like: the datagram is lost */ });
        if (opts?.multicast !== undefined) {
          s.addMembership(opts.multicast, host === '0.0.0.0' ? undefined : host);
          s.setMulticastLoopback(true);
          if (host !== '0.0.0.0') s.setMulticastInterface(host);
        }
        const sock: HostDatagramSocket = {
          port: s.address().port,
          send: (d, a, p) => s.send(d, p, a),
          close: () => { try { s.close(); } catch { /* already closed */ } },
        };
        resolve(sock);
      });
    });
  },

  dnsResolver() {
    resolver ??= { r: readResolver() };
    return resolver.r;
  },

  dns6Resolver() {
    resolver6 ??= { r: readResolver6() };
    return resolver6.r;
  },

  openOutputFile(path) {
    const fd = fs.openSync(path, 'w');
    return {
      write: (d) => { fs.writeSync(fd, d); },
      close: () => { try { fs.closeSync(fd); } catch { /* closed */ } },
    };
  },

  now: () => Date.now(),

  exec(argv, events) {
    return new ExecStream(argv, events);
  },

  icmpSocket(onMessage, onError) {
    const sys = loadUserSys();
    const watch = fdWatchSys();
    if (!sys || !watch) return undefined;
    const AF_INET = 2, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_NONBLOCK = 0o4000, IPPROTO_ICMP = 1;
    let raw = false;
    let fd = sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_ICMP);
    if (fd === -13 || fd === -93 || fd === -97) { // EACCES (ping_group_range), EPROTONOSUPPORT, EAFNOSUPPORT
      raw = true;
      fd = sys.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
    }
    if (fd < 0) return undefined;
    const buf = new Uint8Array(65536);
    const from = new Uint8Array(16);
    const flen = new Int32Array(1);
    let closed = false;
    const w = watch.fdWatch(fd, 1, () => {
      for (;;) {
        if (closed) return;
        const n = sys.recvfrom(fd, buf, 0, from, flen);
        if (n === -11) return; // EAGAIN
        if (n < 0) { onError(-n); return; }
        let icmp = buf.subarray(0, n);
        if (raw) {
          const ihl = (icmp[0] & 0xf) * 4;
          if (n < 20 || ihl > n) continue;
          icmp = icmp.subarray(ihl);
        }
        onMessage(icmp.slice(), `${from[4]}.${from[5]}.${from[6]}.${from[7]}`);
      }
    });
    if (typeof w === 'number') { fs.closeSync(fd); return undefined; }
    return {
      raw,
      send(icmp, addr) {
        const sa = new Uint8Array(16);
        sa[0] = AF_INET;
        addr.split('.').forEach((b, i) => { sa[4 + i] = Number(b); });
        return sys.sendto(fd, icmp, 0, sa);
      },
      close() {
        if (closed) return;
        closed = true;
        watch.fdWatchClose(w);
        try { fs.closeSync(fd); } catch { /* closed */ }
      },
    };
  },

  openFile(path) {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
      if (!fs.fstatSync(fd).isFile()) { fs.closeSync(fd); return undefined; }
    } catch {
      return undefined;
    }
    const size = fs.fstatSync(fd).size;
    return {
      size,
      read: (pos, len) => {
        const b = new Uint8Array(Math.max(0, Math.min(len, size - pos)));
        let n = 0;
        try { n = b.length > 0 ? fs.readSync(fd, b, 0, b.length, pos) : 0; } catch { /* a read error ends the file */ }
        return b.subarray(0, n);
      },
      close: () => { try { fs.closeSync(fd); } catch { /* closed */ } },
    };
  },
};

/** A child process as a stream: its stdin is written, its stdout and stderr are read. */
class ExecStream implements HostStream {
  private readonly p: ReturnType<typeof spawn>;
  private gone = false;
  private open = 2;

  constructor(argv: string[], public events: HostStreamEvents) {
    this.p = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.p.once('spawn', () => this.events.onConnect?.());
    this.p.once('error', (e) => { if (!this.gone) { this.gone = true; this.events.onError(e.message); } });
    this.p.stdin?.on('error', () => { /* the program exited without reading */ });
    this.p.stdin?.on('drain', () => this.events.onDrain());
    for (const s of [this.p.stdout, this.p.stderr]) {
      s?.on('data', (d: Buffer) => this.events.onData(new Uint8Array(d.buffer, d.byteOffset, d.length)));
      s?.on('end', () => { if (--this.open === 0 && !this.gone) this.events.onEnd(); });
    }
    this.p.once('close', () => { if (!this.gone) { this.gone = true; this.events.onClose(); } });
  }

  get remoteAddress(): string { return ''; }
  get remotePort(): number { return 0; }
  get pending(): number { return this.p.stdin?.writableLength ?? 0; }

  write(data: Uint8Array): boolean {
    const s = this.p.stdin;
    if (!s || s.destroyed || s.writableEnded) return true;
    s.write(data);
    return s.writableLength < HIGH_WATER;
  }

  end(): void {
    const s = this.p.stdin;
    if (s && !s.destroyed && !s.writableEnded) s.end();
  }

  destroy(): void {
    // onClose still follows when the program is gone (the caller counts running programs).
    this.p.stdin?.destroy();
    if (this.p.exitCode === null) this.p.kill('SIGKILL');
  }

  pause(): void { this.p.stdout?.pause(); this.p.stderr?.pause(); }
  resume(): void { this.p.stdout?.resume(); this.p.stderr?.resume(); }
}
