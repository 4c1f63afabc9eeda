// The GDB remote serial protocol (QEMU's gdbstub/gdbstub.c), over any chardev: packet framing
// and acks (no-ack mode after QStartNoAckMode), qSupported with PacketSize, the target
// description through qXfer:features:read, g/G p/P m/M (virtual through the hart's MMU, or
// physical after Qqemu.PhyMemMode:1), Z0/Z1 breakpoints, Z2-Z4 watchpoints, c/s/vCont, Ctrl-C, one thread per hart
// (multiprocess ids p1.N when gdb offers them; user mode: one per guest thread, p<pid>.<tid>),
// qRcmd (HMP), D and k; user mode: fork-events+ (the fork's hand-off is the target's: Hg,
// D;pid, vCont/vKill of the peer's process) and qSymbol lookups. Attaching stops the VM,
// as QEMU does. No host API here: the chardev and the VM come in through GdbTarget.
import type { Chardev } from '../chardev/char.js';
import { GdbDebugState } from './debug.js';

/** What the stub needs of the machine (cli/system-gdb.ts gives it). */
export interface GdbTarget {
  nharts: number;
  targetXml: string;
  /** Registers in the g packet (0 .. n-1). */
  gRegs: number;
  readReg(hart: number, n: number): Uint8Array | null;
  writeReg(hart: number, n: number, data: Uint8Array): boolean;
  readMem(hart: number, addr: bigint, len: number, phys: boolean): Uint8Array | null;
  writeMem(hart: number, addr: bigint, data: Uint8Array, phys: boolean): boolean;
  running(): boolean;
  /** Hart h waits for an interrupt (wfi). */
  halted(hart: number): boolean;
  /** Stop every hart (vm_stop): RUN_STATE_DEBUG, or RUN_STATE_PAUSED when gdb attaches or
   * interrupts (QEMU's gdb_chr_event and gdb_read_byte). */
  stop(paused?: boolean): void;
  /** Resume the VM (harts run under `debug` while it is active); `sig`: gdb's number of the
   * signal a C/S/vCont;C passes on (user mode delivers it; 0: the stop's signal is dropped). */
  resume(sig?: number, others?: boolean, only?: number): void;
  hmp(line: string): Promise<string>;
  /** `k`: end the emulator. */
  kill(): void;
  /** The stub started the process (user mode): qAttached answers 0, so gdb kills it at its
   * end rather than detaching (QEMU's GDB_ATTACHED). */
  created?: boolean;
  /** Z2-Z4 are not offered (gdb falls back to software watchpoints): tsqemu-riscv64. */
  noWatchpoints?: boolean;
  /** The process's auxiliary vector (qXfer:auxv:read, gdb's `info auxv`, shared-library
   * breakpoints of a dynamic program): tsqemu-riscv64. */
  auxv?: () => Uint8Array;
  /** Ctrl-C only asks the target to stop; it calls reportStop(h, SIGINT) once stopped. */
  asyncStop?: boolean;
  /** User mode: the live threads' indices (readReg's `hart`), their ids (gettid) and the
   * process id, as QEMU's user-mode ids p<pid>.<tid>. Without them: harts 0..nharts-1 are
   * threads 1..nharts of process 1. */
  threads?: () => number[];
  /** qGetTLSAddr: the address of TLS offset `off` of module `lm` (gdb's link map address, 0:
   * the static program's) in thread `index`, or null when the target cannot say. */
  tlsAddr?: (index: number, off: bigint, lm: bigint) => bigint | null;
  tidOf?: (index: number) => number;
  pid?: number;
  /** User mode (QEMU 9.0+'s fork following): qSupported offers fork-events+. */
  forkEvents?: boolean;
  /** H of another process's thread (QEMU's gdb_handle_set_thread_user): the fork's peer
   * takes the connection. What to do once the OK is sent, or null (not the peer: E22). */
  setThreadUser?: (pid: number, tid: number) => (() => void) | null;
  /** D;pid (QEMU's gdb_handle_detach_user): detach the fork's peer, or this process while the
   * peer takes the connection. What to do once the OK is sent, or null (an ordinary D). */
  detachUser?: (pid: number) => (() => void) | null;
  /** A packet for the fork's peer process alone (vCont of its threads, gdb's `set
   * detach-on-fork off`): the peer takes the connection and answers it. */
  forwardUser?: (pid: number, packet: string) => boolean;
  /** Symbols the stub asks gdb for with qSymbol (their values: GdbStub.symbol()). */
  symbols?: string[];
  /** gdb detached or went away (the process runs on undebugged). */
  detached?: () => void;
}

/** What a forked child's stub takes over from its parent's (the same gdb connection). */
export interface GdbConnState { noAck: boolean; multiprocess: boolean; forkEvents: boolean; breakpoints: bigint[]; symbols?: Array<[string, string]> }

/** Our PacketSize (hex digits of a packet body we accept). */
const PACKET_SIZE = 0x4000;
const SIGINT = 2, SIGTRAP = 5;

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const strHex = (s: string): string => hex(new TextEncoder().encode(s));
function unhex(s: string): Uint8Array | null {
  if (s.length % 2 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
const parseHex = (s: string): bigint | null => (/^[0-9a-fA-F]{1,16}$/.test(s) ? BigInt('0x' + s) : null);

export class GdbStub {
  readonly debug: GdbDebugState;
  private buf = '';
  private inPacket = false;
  private noAck = false;
  private multiprocess = false;
  private physMode = false;
  /** Hg (registers, memory) and the hart a stop reports. */
  private gHart = 0;
  /** QEMU's c_cpu: the hart of the last stop (or Hc's); a Ctrl-C stop reports it. */
  private cHart = 0;
  /** We reported running to gdb (a c/s is outstanding). */
  private waiting = false;
  private connected = false;
  /** Symbol values gdb gave through qSymbol, and those asked in the current round. */
  private readonly symbolValues = new Map<string, bigint>();
  private readonly symbolsAsked = new Set<string>();
  /** gdb offered fork-events+ (and the target has them). */
  forkEvents = false;

  constructor(private readonly chr: Chardev, private readonly t: GdbTarget) {
    this.debug = new GdbDebugState((h) => this.stopped(h, SIGTRAP));
    chr.attach({
      canReceive: () => 4096,
      receive: (d) => this.receive(d),
      event: (ev) => {
        if (ev === 'opened') this.open();
        else if (ev === 'closed') this.close();
      },
    });
  }

  private open(): void {
    this.connected = true;
    this.noAck = false;
    this.multiprocess = false;
    this.forkEvents = false;
    this.symbolValues.clear();
    this.physMode = false;
    this.buf = '';
    this.inPacket = false;
    this.waiting = false;
    this.gHart = this.cHart = 0; // a new gdb starts at the first hart (QEMU's gdb_first_attached_cpu)
    this.t.stop(true);
  }

  /** gdb went away: breakpoints are gone and the guest goes on (as after D). */
  private close(): void {
    if (!this.connected) return;
    this.connected = false;
    this.debug.breakpoints.clear();
    this.debug.watchpoints.length = 0;
    this.debug.stepHart = -1;
    this.waiting = false;
    this.t.detached?.();
  }

  /** The connection state a forked child's stub continues with (conn()) / takes (adopt()). */
  conn(): GdbConnState {
    return { noAck: this.noAck, multiprocess: this.multiprocess, forkEvents: this.forkEvents, breakpoints: [...this.debug.breakpoints],
      symbols: [...this.symbolValues].map(([n, v]) => [n, v.toString(16)]) };
  }

  adopt(s: GdbConnState): void {
    this.noAck = s.noAck;
    this.multiprocess = s.multiprocess;
    this.forkEvents = s.forkEvents;
    for (const a of s.breakpoints) this.debug.breakpoints.add(a);
    for (const [n, v] of s.symbols ?? []) if (/^[0-9a-f]{1,16}$/.test(v)) this.symbolValues.set(n, BigInt('0x' + v));
  }

  /** Thread h forked child `pid` (QEMU's gdbserver_fork_end): gdb hears of it with the stop. */
  reportFork(h: number, pid: number): void {
    const p = pid.toString(16).padStart(2, '0');
    this.t.stop(false);
    this.gHart = this.cHart = h;
    this.waiting = false;
    this.send(`T${SIGTRAP.toString(16).padStart(2, '0')}fork:p${p}.${p};thread:${this.tid(h)};`);
  }

  /** A symbol's value gdb gave (qSymbol), if it knew it. */
  symbol(name: string): bigint | undefined { return this.symbolValues.get(name); }

  /** A packet the fork's peer passed on with the connection: handled as if read. */
  inject(packet: string): void {
    void this.handle(packet);
  }

  /** A stop reply may be sent (gdb waits for one): a fork is reported only then. */
  get awaitingStop(): boolean { return this.connected && this.waiting; }

  private receive(d: Uint8Array): void {
    for (const c of d) {
      if (!this.inPacket) {
        if (c === 0x03) { if (this.t.running()) this.interrupt(); continue; }
        if (c === 0x24) { this.inPacket = true; this.buf = ''; }
        continue; // '+', '-' and noise between packets
      }
      this.buf += String.fromCharCode(c);
      const n = this.buf.length;
      if (n >= 3 && this.buf[n - 3] === '#') {
        const body = this.buf.slice(0, n - 3);
        this.inPacket = false;
        let sum = 0;
        for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
        if (!this.noAck) {
          if (sum !== parseInt(this.buf.slice(n - 2), 16)) { this.chr.write(new Uint8Array([0x2d])); continue; }
          this.chr.write(new Uint8Array([0x2b]));
        }
        void this.handle(body);
      } else if (n > PACKET_SIZE + 3) {
        this.inPacket = false; // oversized: dropped
      }
    }
  }

  private send(body: string): void {
    let sum = 0;
    for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
    // One byte a char: binary replies (qXfer) carry bytes 0x80-0xff.
    const frame = `$${body}#${sum.toString(16).padStart(2, '0')}`;
    const out = new Uint8Array(frame.length);
    for (let i = 0; i < frame.length; i++) out[i] = frame.charCodeAt(i);
    this.chr.write(out);
  }

  private tid(h: number): string {
    const t = (this.t.tidOf ? this.t.tidOf(h) : h + 1).toString(16).padStart(2, '0');
    return this.multiprocess ? `p${(this.t.pid ?? 1).toString(16).padStart(2, '0')}.${t}` : t;
  }

  /** The threads gdb may see (qfThreadInfo), in order. */
  private threadList(): number[] {
    return this.t.threads ? this.t.threads() : Array.from({ length: this.t.nharts }, (_, i) => i);
  }

  /** A thread id of gdb's ("p1.2", "2", "-1", "0"): the hart, -1 for all, or undefined if bad
   * (a thread that is not there, another process's). */
  private hartOf(s: string): number | undefined {
    const m = /^(?:p(-1|[0-9a-fA-F]{1,8})\.)?(-1|[0-9a-fA-F]{1,8})$/.exec(s);
    if (!m) return undefined;
    if (m[2] === '-1' || m[1] === '-1') return -1; // all threads (of all processes)
    if (m[1] !== undefined && this.t.pid !== undefined && m[1] !== '0' && parseInt(m[1], 16) !== this.t.pid) return undefined;
    const t = parseInt(m[2], 16);
    if (t === 0) return this.gHart;
    if (!this.t.tidOf) return t <= this.t.nharts ? t - 1 : undefined;
    return this.threadList().find((i) => this.t.tidOf!(i) === t);
  }

  /** gHart still names a live thread (user mode: it may have exited): else the first. */
  private liveHart(h: number): number {
    if (!this.t.threads) return h;
    const l = this.t.threads();
    return l.includes(h) || !l.length ? h : l[0];
  }

  private stopReply(h: number, sig: number, extra = ''): string {
    return `T${sig.toString(16).padStart(2, '0')}thread:${this.tid(h)};${extra}`;
  }

  private stopped(h: number, sig: number): void {
    this.t.stop(sig === SIGINT);
    this.gHart = this.cHart = h;
    if (this.waiting) {
      this.waiting = false;
      this.send(this.stopReply(h, sig, sig === SIGTRAP ? this.debug.watchHit : ''));
    }
  }

  /** The thread a Ctrl-C stop reports (QEMU's c_cpu: the last stop's, or Hc's), if still there. */
  get interruptHart(): number { return this.liveHart(this.cHart); }

  /** A stop the target noticed itself (tsqemu-riscv64's thread at a breakpoint or after a step). */
  reportStop(h: number, sig = SIGTRAP): void {
    this.stopped(h, sig);
  }

  /** The debugged process ended (QEMU's gdb_exit / gdb_signalled): W or X, if gdb listens. */
  reportExit(status: number, signal: number): void {
    if (!this.connected) return;
    this.waiting = false;
    this.send(signal ? `X${(signal & 0xff).toString(16).padStart(2, '0')}` : `W${(status & 0xff).toString(16).padStart(2, '0')}`);
  }

  private interrupt(): void {
    this.debug.stepHart = -1;
    if (this.t.asyncStop) { this.t.stop(true); return; }
    this.stopped(this.cHart, SIGINT);
  }

  /** `others`: the threads not stepped run meanwhile (vCont;s:T;c); else they stay stopped.
   * `only`: vCont;c:T resumes thread T alone (gdb's software single-step of RISC-V). */
  private resume(stepHart: number, sig = 0, others = false, only = -1): void {
    this.debug.resuming(this.t.nharts);
    this.debug.stepHart = stepHart;
    this.waiting = true;
    this.t.resume(sig, others, only);
  }

  private async handle(p: string): Promise<void> {
    let reply: string | null;
    try {
      reply = await this.dispatch(p);
    } catch {
      reply = 'E22'; // a packet we could not handle never takes the emulator down
    }
    if (reply !== null) this.send(reply);
  }

  /** The reply body, or null when the reply comes later (c, s) or not at all (k). */
  private async dispatch(p: string): Promise<string | null> {
    const t = this.t;
    switch (p[0]) {
      case '?': return this.stopReply(this.gHart = this.liveHart(this.gHart), SIGTRAP);
      case 'g': {
        let s = '';
        for (let i = 0; i < t.gRegs; i++) s += hex(t.readReg(this.gHart, i) ?? new Uint8Array(8));
        return s;
      }
      case 'G': {
        const d = unhex(p.slice(1));
        if (!d || d.length < t.gRegs * 8) return 'E22';
        for (let i = 0; i < t.gRegs; i++) t.writeReg(this.gHart, i, d.subarray(i * 8, i * 8 + 8));
        return 'OK';
      }
      case 'p': {
        const n = parseHex(p.slice(1));
        const v = n === null ? null : t.readReg(this.gHart, Number(n));
        return v ? hex(v) : 'E14';
      }
      case 'P': {
        const [ns, vs] = p.slice(1).split('=');
        const n = parseHex(ns), d = unhex(vs ?? '');
        return n !== null && d && t.writeReg(this.gHart, Number(n), d) ? 'OK' : 'E14';
      }
      case 'm': {
        const [as, ls] = p.slice(1).split(',');
        const a = parseHex(as), l = parseHex(ls ?? '');
        if (a === null || l === null) return 'E22';
        if (l > BigInt(PACKET_SIZE / 2)) return 'E22';
        const d = t.readMem(this.gHart, a, Number(l), this.physMode);
        return d ? hex(d) : 'E14';
      }
      case 'M': {
        const m = /^M([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,16}):(.*)$/.exec(p);
        const d = m ? unhex(m[3]) : null;
        if (!m || !d || BigInt('0x' + m[2]) !== BigInt(d.length)) return 'E22';
        return t.writeMem(this.gHart, BigInt('0x' + m[1]), d, this.physMode) ? 'OK' : 'E14';
      }
      case 'X': {
        // Binary write (gdb's `load`, `restore`): '}' escapes the next byte (xor 0x20).
        const m = /^X([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,16}):/.exec(p);
        if (!m) return 'E22';
        const d = unescapeBinary(p.slice(m[0].length));
        if (!d || BigInt('0x' + m[2]) !== BigInt(d.length)) return 'E22';
        if (d.length === 0) return 'OK'; // gdb's probe for X
        return t.writeMem(this.gHart, BigInt('0x' + m[1]), d, this.physMode) ? 'OK' : 'E14';
      }
      case 'Z': case 'z': {
        if (/^[Zz][5-9a-fA-F],/.test(p)) return ''; // a kind we do not have (QEMU: -ENOSYS)
        const m = /^[Zz]([0-4]),([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,16})$/.exec(p);
        if (!m) return 'E22';
        const a = BigInt('0x' + m[2]);
        if (m[1] === '0' || m[1] === '1') {
          if (p[0] === 'Z') this.debug.breakpoints.add(a); else this.debug.breakpoints.delete(a);
          return 'OK';
        }
        if (t.noWatchpoints) return '';
        const type = Number(m[1]) as 2 | 3 | 4, len = BigInt('0x' + m[3]);
        const ws = this.debug.watchpoints;
        const i = ws.findIndex((w) => w.type === type && w.addr === a && w.len === len);
        if (p[0] === 'Z') { if (i < 0) { if (ws.length >= 64) return 'E22'; ws.push({ type, addr: a, len }); } } else if (i >= 0) ws.splice(i, 1);
        return 'OK';
      }
      case 'c': case 's': case 'C': case 'S': {
        const addr = /^[cs]([0-9a-fA-F]{1,16})$/.exec(p);
        if (addr) t.writeReg(this.gHart, 32, u64le(BigInt('0x' + addr[1])));
        const sig = /^[CS]([0-9a-fA-F]{1,2})(;|$)/.exec(p);
        this.resume(p[0] === 's' || p[0] === 'S' ? this.gHart : -1, sig ? parseInt(sig[1], 16) : 0, p[0] === 'c' || p[0] === 'C');
        return null;
      }
      case 'H': {
        const other = /^p([0-9a-fA-F]{1,8})\.([0-9a-fA-F]{1,8})$/.exec(p.slice(2));
        if (other && t.setThreadUser && parseInt(other[1], 16) !== t.pid) {
          const then = t.setThreadUser(parseInt(other[1], 16), parseInt(other[2], 16));
          if (then) { this.send('OK'); then(); return null; }
        }
        const h = this.hartOf(p.slice(2));
        if (h === undefined) return 'E22';
        if (p[1] === 'g' && h >= 0) this.gHart = h;
        if (p[1] === 'c' && h >= 0) this.cHart = h;
        return 'OK';
      }
      case 'T': return (this.hartOf(p.slice(1)) ?? -1) >= 0 ? 'OK' : 'E22'; // one thread, alive
      case 'D': {
        const dp = /^D;([0-9a-fA-F]{1,8})$/.exec(p);
        const then = dp && t.detachUser ? t.detachUser(parseInt(dp[1], 16)) : null;
        if (then) { this.send('OK'); then(); return null; }
        this.debug.breakpoints.clear();
        this.debug.watchpoints.length = 0;
        this.debug.stepHart = -1;
        this.waiting = false;
        t.resume();
        t.detached?.();
        return 'OK';
      }
      case 'k': t.kill(); return null;
      case 'v': return this.vPacket(p);
      case 'q': case 'Q': return this.query(p);
    }
    return '';
  }

  private vPacket(p: string): string | null {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) {
      // Every action for another process (the fork's peer): its packet.
      const pids = p.slice(6).split(';').map((a) => /^p([0-9a-fA-F]{1,8})\./.exec(a.split(':')[1] ?? '')?.[1]);
      const other = pids[0] !== undefined && pids.every((x) => x === pids[0]) ? parseInt(pids[0], 16) : -1;
      if (other > 0 && other !== this.t.pid && this.t.forwardUser?.(other, p)) return null;
      let step = -1, sig = 0, others = false, only = -1;
      for (const action of p.slice(6).split(';')) {
        const [a, th] = action.split(':');
        if (th !== undefined && this.hartOf(th) === undefined) return 'E22';
        if ((a[0] === 'c' || a[0] === 'C') && (th === undefined || this.hartOf(th) === -1)) others = true;
        else if ((a[0] === 'c' || a[0] === 'C') && only < 0) only = this.hartOf(th!)!;
        const cs = /^[CS]([0-9a-fA-F]{1,2})$/.exec(a);
        if (cs && (th === undefined || this.hartOf(th) !== undefined)) sig = parseInt(cs[1], 16);
        if (a[0] === 's' || a[0] === 'S') {
          const h = th === undefined ? this.gHart : this.hartOf(th);
          if (h === undefined) return 'E22';
          step = h < 0 ? this.gHart : h;
        } else if (a[0] !== 'c' && a[0] !== 'C') {
          return 'E22';
        }
      }
      if (step >= 0) this.gHart = step;
      this.resume(step, sig, others, others ? -1 : only);
      return null;
    }
    // vAttach;PID (extended-remote's attach): the VM is already stopped; its stop reply.
    if (/^vAttach;[0-9a-fA-F]+$/.test(p)) { this.gHart = this.cHart = this.liveHart(0); return this.stopReply(this.gHart, SIGTRAP); }
    // vKill;PID (extended-remote's kill): OK, then the emulator ends (QEMU's handle_v_kill).
    if (/^vKill;[0-9a-fA-F]+$/.test(p)) {
      const pid = parseInt(p.slice(6), 16);
      if (pid !== this.t.pid && this.t.forwardUser?.(pid, p)) return null; // the fork's peer's
      this.send('OK'); this.t.kill(); return null;
    }
    return ''; // vMustReplyEmpty, vFile, vRun...: not supported
  }

  private async query(p: string): Promise<string> {
    const t = this.t;
    if (p.startsWith('qSupported')) {
      this.multiprocess = /multiprocess\+/.test(p);
      this.forkEvents = !!t.forkEvents && /fork-events\+/.test(p);
      return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+${t.auxv ? ';qXfer:auxv:read+' : ''};vContSupported+;QStartNoAckMode+${this.multiprocess ? ';multiprocess+' : ''}${t.forkEvents ? ';fork-events+' : ''}`;
    }
    if (p === 'QStartNoAckMode') { this.noAck = true; return 'OK'; }
    if (p.startsWith('qXfer:features:read:')) {
      const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m) return 'E00';
      if (m[1] !== 'target.xml') return 'E00';
      const off = parseInt(m[2], 16), len = Math.min(parseInt(m[3], 16), PACKET_SIZE - 1);
      const xml = t.targetXml;
      if (off > xml.length) return 'E00';
      const chunk = xml.slice(off, off + len);
      return (off + len < xml.length ? 'm' : 'l') + chunk.replace(/[#$}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
    }
    if (p.startsWith('qXfer:auxv:read:')) {
      const m = /^qXfer:auxv:read::([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,16})$/.exec(p);
      if (!m || !t.auxv) return m ? '' : 'E00';
      const data = t.auxv();
      const off = parseInt(m[1], 16), len = Math.min(parseInt(m[2], 16), (PACKET_SIZE - 1) >> 1);
      if (off > data.length) return 'E00';
      const chunk = data.subarray(off, off + len);
      return (off + chunk.length < data.length ? 'm' : 'l') + escapeBinary(chunk);
    }
    if (p === 'qfThreadInfo') return 'm' + this.threadList().map((i) => this.tid(i)).join(',');
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qC') return `QC${this.tid(this.gHart = this.liveHart(this.gHart))}`;
    if (p === 'qAttached' || p.startsWith('qAttached:')) return t.created ? '0' : '1';
    if (p.startsWith('qThreadExtraInfo,')) {
      const h = this.hartOf(p.slice(17));
      if (h === undefined || h < 0) return 'E22';
      return strHex(`CPU#${h} [${t.halted(h) ? 'halted ' : 'running'}]`);
    }
    if (p.startsWith('qGetTLSAddr:')) {
      if (!t.tlsAddr) return '';
      const m = /^qGetTLSAddr:([^,]+),([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,16})$/.exec(p);
      const h = m ? this.hartOf(m[1]) : undefined;
      if (!m || h === undefined || h < 0) return 'E22';
      const a = t.tlsAddr(h, BigInt('0x' + m[2]), BigInt('0x' + m[3]));
      return a === null ? 'E01' : a.toString(16);
    }
    if (p === 'qqemu.PhyMemMode') return this.physMode ? '1' : '0';
    if (p.startsWith('Qqemu.PhyMemMode:')) {
      const v = p.slice(17);
      if (v !== '0' && v !== '1') return 'E22';
      this.physMode = v === '1';
      return 'OK';
    }
    if (p.startsWith('qRcmd,')) {
      const cmd = unhex(p.slice(6));
      if (!cmd || !cmd.length) return 'E22';
      const out = await t.hmp(new TextDecoder().decode(cmd));
      // QEMU's monitor ends lines with CRLF on gdb's console too.
      if (out) this.send('O' + strHex(out.replace(/\r?\n/g, '\r\n')));
      return 'OK';
    }
    if (p.startsWith('qSymbol:')) {
      // gdb offers symbol lookups (after each shared library event): ask for those we lack,
      // one a packet, each once a round (qSymbol:: starts one).
      if (p === 'qSymbol::') this.symbolsAsked.clear();
      const m = /^qSymbol:([0-9a-fA-F]*):([0-9a-fA-F]+)$/.exec(p);
      const name = m ? unhex(m[2]) : null;
      if (m && name && m[1] && m[1].length <= 16) this.symbolValues.set(new TextDecoder().decode(name), BigInt('0x' + m[1]));
      const next = (t.symbols ?? []).find((n) => !this.symbolValues.has(n) && !this.symbolsAsked.has(n));
      if (!next) return 'OK';
      this.symbolsAsked.add(next);
      return 'qSymbol:' + strHex(next);
    }
    return '';
  }
}

/** Bytes as a binary reply body: '#', '$', '}' and '*' escaped as '}' then the byte xor 0x20. */
function escapeBinary(d: Uint8Array): string {
  let s = '';
  for (const b of d) s += b === 0x23 || b === 0x24 || b === 0x7d || b === 0x2a ? '}' + String.fromCharCode(b ^ 0x20) : String.fromCharCode(b);
  return s;
}

/** The bytes of an X packet's data (latin1 chars), or null for a dangling escape. */
function unescapeBinary(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c === 0x7d) {
      if (++i >= s.length) return null;
      c = s.charCodeAt(i) ^ 0x20;
    }
    out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 0; i < 8; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
}
