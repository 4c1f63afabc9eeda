// tsqemu-riscv64 -g PORT|PATH (QEMU_GDB): the GDB stub of the system emulator (gdbstub/gdbstub.ts)
// on the main thread, for the process's threads (gdb threads p<pid>.<tid>, as QEMU's). The
// program does not start until gdb attaches and continues or steps (as QEMU's gdbserver_start
// waits). All-stop: a thread's stop (breakpoint, step, signal) stops the others before gdb is
// told (linux-user/gdb-user.ts); registers and memory are read from the shared state while they
// sleep; the process's end is reported with W (exit code) or X (signal). A fork, when gdb
// offered fork-events+ (QEMU 9.0+'s gdbstub/user.c), stops the parent with a fork stop reply and
// hands the connection's fd to the child emulator; the two then pass the connection back and
// forth over the child's IPC channel as gdb says (Hg of the peer's thread: the peer reads;
// D;pid: the detached one closes its fd and runs on undebugged), as QEMU's fork_sockets pair.
import { parseCompatSocket } from '../../chardev/char-opts.js';
import { openSocketChardev } from './char-socket.js';
import { mainFdMonitor } from './fdmon.js';
import { type GdbConnState, GdbStub } from '../../gdbstub/gdbstub.js';
import type { SocketChardev } from '../../chardev/char-socket.js';
import { gdbSignalToTarget, targetSignalToGdb } from '../../gdbstub/signals.js';
import { riscvReadReg, riscvTargetXml, riscvWriteReg, G_REGS } from '../../gdbstub/riscv.js';
import type { CPURISCVState } from '../../target/riscv/cpu-state.js';
import type { GuestMM } from '../../linux-user/mmap.js';
import { GDB_CTL_WORDS, GdbCtl, gdbSlotWord, gdbUserResume } from '../../linux-user/gdb-user.js';
import { highPieces } from '../../linux-user/high-map.js';
import { GUEST_BASE, HIGH_BASE, KernelWord, HIGH_END, PageFlag, TARGET_PAGE_BITS, TARGET_PAGE_SIZE, TASK_SIZE } from '../../linux-user/layout.js';

export interface UserGdbHost {
  memory: WebAssembly.Memory;
  mm: GuestMM;
  /** Thread slot `slot`'s CPU state (shared memory). */
  stateOf(slot: number): CPURISCVState;
  /** The live threads: slot and thread id (gettid), first thread first. */
  threads(): Array<[slot: number, tid: number]>;
  pid: number;
  /** Start the first thread (the first resume). */
  start(): void;
  /** Make thread `slot` leave run() soon (exit_request). */
  poke(slot: number): void;
  kill(): void;
}

const SIGINT = 2, SIGTRAP = 5, PC_REG = 32;
/** glibc's descriptor of link_map.l_tls_modid for libthread_db (in libc.so.6's dynamic symbols). */
const L_TLS_MODID = '_thread_db_link_map_l_tls_modid';

/** What a forked child is told of its parent's gdb connection (env TSQEMU_GDB_FORK). */
export interface GdbForkInfo { fd: number; ppid: number; ptid: number; conn: GdbConnState }

/** Messages between the two ends of a fork over the child's IPC channel (QEMU's GDBForkMessage):
 * ready (the child listens), activate (the receiver reads gdb's connection), enable (it owns it
 * alone from now on), disable (it closes it and runs on undebugged); activate:PACKET also
 * passes on the packet that made us hand over (a vCont of the peer's threads). */
export type GdbForkMessage = 'ready' | 'activate' | 'enable' | 'disable' | `activate:${string}`;

interface ForkPeer { pid: number; tid: number; post(m: GdbForkMessage): void; ready: boolean; queue: GdbForkMessage[] }

export class UserGdb {
  readonly ctl = new Int32Array(new SharedArrayBuffer(GDB_CTL_WORDS * 4));
  private stub!: GdbStub;
  private started = false;
  /** running: threads run; stopping: STOP is up, waiting for threads to leave guest code
   * (then gdb is told `stopping`'s stop); stopped: gdb has the word. */
  private state: 'stopped' | 'running' | 'stopping' = 'stopped';
  private stopping = { slot: 0, sig: 0, fork: 0 };
  private readonly envs = new Map<number, CPURISCVState>();
  private chr!: SocketChardev;
  /** The other process of a fork whose following gdb has not settled yet (QEMU's fork_peer). */
  private peer: ForkPeer | null = null;
  /** We read gdb's connection (not while the fork's peer does). */
  private active = true;
  /** gdb detached (or went away): the process runs on undebugged. */
  private detached = false;

  private constructor(private readonly h: UserGdbHost) {}

  /** Listen on `dev` (a TCP port number, or a unix socket path). */
  static async listen(dev: string, h: UserGdbHost): Promise<UserGdb> {
    const spec = parseCompatSocket(/^[0-9]+$/.test(dev) ? `tcp::${dev}` : `unix:${dev}`, 'gdb');
    if (!spec) throw new Error(`invalid gdb device '${dev}'`);
    const chr = await openSocketChardev({ ...spec, server: true, wait: false, nodelay: true }, mainFdMonitor());
    return new UserGdb(h).attach(chr);
  }

  /** A forked child: the parent's connection (fd `f.fd`), not read until the parent says
   * (QEMU's GDB_FORK_INACTIVE); `post` talks to the parent. */
  static async forked(f: GdbForkInfo, h: UserGdbHost, post: (m: GdbForkMessage) => void): Promise<UserGdb> {
    const chr = await openSocketChardev({ backend: 'socket', id: 'gdb', server: false, wait: false, fd: f.fd, nodelay: true }, mainFdMonitor());
    chr.holdReads(true);
    const g = new UserGdb(h).attach(chr);
    g.stub.adopt(f.conn);
    g.active = false;
    g.peer = { pid: f.ppid, tid: f.ptid, post, ready: true, queue: [] };
    post('ready');
    return g;
  }

  private attach(chr: SocketChardev): this {
    const g = this, h = this.h;
    this.chr = chr;
    g.stub = new GdbStub(chr, {
      nharts: 1, targetXml: riscvTargetXml(g.env(0)), gRegs: G_REGS, noWatchpoints: true, asyncStop: true, created: true, forkEvents: true,
      threads: () => h.threads().map(([slot]) => slot),
      tidOf: (slot) => h.threads().find(([s]) => s === slot)?.[1] ?? 0,
      pid: h.pid,
      readReg: (slot, n) => g.readReg(slot, n),
      writeReg: (slot, n, d) => g.writeReg(slot, n, d),
      // A static program's TLS block starts at tp (RISC-V's TLS variant I: the TCB is before
      // it); a shared library's offset is in its link map, which we do not read.
      tlsAddr: (slot, off, lm) => g.tlsAddr(slot, off, lm),
      symbols: [L_TLS_MODID],
      readMem: (_h, a, l) => g.readMem(a, l),
      writeMem: (_h, a, d) => g.writeMem(a, d),
      running: () => g.state !== 'stopped',
      halted: () => false,
      stop: () => g.stop(),
      resume: (sig, others, only) => g.resume(gdbSignalToTarget(sig ?? 0), others ?? false, only ?? -1),
      hmp: async () => '',
      auxv: () => g.auxv(),
      kill: () => h.kill(),
      setThreadUser: (pid, tid) => g.setThreadUser(pid, tid),
      detachUser: (pid) => g.detachUser(pid),
      forwardUser: (pid, packet) => g.forwardUser(pid, packet),
      detached: () => { g.detached = true; if (!g.started) g.resume(0, true, -1); },
    });
    return g;
  }

  /** qGetTLSAddr: module `lm`'s (its glibc link map) TLS block of thread `slot`, from the
   * thread's DTV (the word before tp, RISC-V's TLS variant I: dtv[modid].pointer.val), with
   * l_tls_modid's place in the link map from glibc's own descriptor for libthread_db
   * (_thread_db_link_map_l_tls_modid: bits, count, offset), which gdb looks up for us
   * (qSymbol). lm 0: a static program's block starts at tp. */
  private tlsAddr(slot: number, off: bigint, lm: bigint): bigint | null {
    const tp = this.env(slot).getGpr(4);
    if (lm === 0n) return BigInt.asUintN(64, tp + off);
    const desc = this.stub.symbol(L_TLS_MODID);
    const d = desc === undefined ? null : this.readMem(desc, 12);
    if (!d) return null;
    const v = new DataView(d.buffer);
    if (v.getUint32(0, true) !== 64) return null; // a size_t field
    const u64 = (a: bigint): bigint | null => { const b = this.readMem(a, 8); return b ? new DataView(b.buffer).getBigUint64(0, true) : null; };
    const modid = u64(lm + BigInt(v.getUint32(8, true)));
    const dtv = u64(BigInt.asUintN(64, tp - 16n));
    if (!modid || !dtv || modid > 0xffffn) return null;
    const block = u64(dtv + 16n * modid);
    if (block === null || block === 0n || block === 0xffffffffffffffffn) return null; // not allocated yet
    return BigInt.asUintN(64, block + off);
  }

  /** A fork's following is not settled yet (the IPC channel to the peer is still needed). */
  get forking(): boolean { return this.peer !== null; }

  /** A fork is about to be made by thread `slot`: the connection the child shares, if gdb
   * follows forks (it offered fork-events+, waits for a stop, and no other fork is unsettled). */
  forkStart(): { fd: number; info: (ptid: number) => string } | null {
    if (!this.stub.forkEvents || !this.stub.awaitingStop || this.state !== 'running' || this.peer || this.detached || this.chr.connectedFd < 0) return null;
    const conn = this.stub.conn();
    return { fd: this.chr.connectedFd, info: (ptid) => JSON.stringify({ ppid: this.h.pid, ptid, conn }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) };
  }

  /** Thread `slot` forked child `pid` (QEMU's gdbserver_fork_end in the parent): stop the
   * world and tell gdb; the child waits for its turn. */
  forkEnd(slot: number, pid: number, post: (m: GdbForkMessage) => void): void {
    this.peer = { pid, tid: pid, post, ready: false, queue: [] };
    this.active = true;
    this.stopWorld(slot, SIGTRAP, pid);
  }

  private tell(m: GdbForkMessage): void {
    const p = this.peer;
    if (!p) return;
    if (p.ready) p.post(m); else p.queue.push(m);
  }

  /** A message of the fork's peer. */
  peerMessage(m: GdbForkMessage): void {
    const p = this.peer;
    if (!p) return;
    switch (m) {
      case 'ready':
        p.ready = true;
        for (const q of p.queue.splice(0)) p.post(q);
        if (this.state === 'stopping') this.settle(0); // the fork stop waited for the child
        break;
      case 'activate': this.active = true; this.chr.holdReads(false); break;
      case 'enable': this.peer = null; this.active = true; this.chr.holdReads(false); break;
      case 'disable': this.peer = null; this.detachSelf(); break;
      default:
        if (m.startsWith('activate:')) { this.active = true; this.chr.holdReads(false); this.stub.inject(m.slice(9)); }
    }
  }

  /** The peer is gone (exited, or its channel closed) before gdb settled the fork: we take the
   * connection (if gdb has gone too, the connection closes and we run on undebugged). */
  peerGone(): void {
    if (!this.peer) return;
    const wasReady = this.peer.ready;
    this.peer = null;
    if (!wasReady && this.state === 'stopping' && this.stopping.fork) {
      // The child died before it could take part: gdb never hears of it, the world goes on.
      this.stopping.fork = 0;
      this.state = 'running';
      gdbUserResume(this.ctl, this.stub.debug.breakpoints, -1, false);
      return;
    }
    // (Unlike QEMU's child, which runs on undebugged: gdb may still talk to us, e.g. kill us
    // after killing the parent under `set detach-on-fork off`.)
    if (!this.active && !this.detached) { this.active = true; this.chr.holdReads(false); }
  }

  /** Hg/Hc of the peer's thread: the peer reads gdb's connection from now on. */
  private setThreadUser(pid: number, tid: number): (() => void) | null {
    const p = this.peer;
    if (!p || !this.active || pid !== p.pid || tid !== p.tid) return null;
    return () => { this.active = false; this.chr.holdReads(true); this.tell('activate'); };
  }

  /** A vCont of the peer's threads only: the peer takes the connection and the packet. */
  private forwardUser(pid: number, packet: string): boolean {
    const p = this.peer;
    if (!p || !this.active || pid !== p.pid) return false;
    this.active = false;
    this.chr.holdReads(true);
    this.tell(`activate:${packet}`);
    return true;
  }

  /** D;pid while a fork is unsettled: the peer detached (we keep gdb alone), or we are (the
   * peer takes gdb's connection over). */
  private detachUser(pid: number): (() => void) | null {
    const p = this.peer;
    if (!p || !this.active) return null;
    if (pid === p.pid) return () => { this.tell('disable'); this.peer = null; };
    if (pid === this.h.pid) return () => { this.tell('enable'); this.peer = null; this.detachSelf(); };
    return null;
  }

  /** Run on without gdb: no breakpoints, every thread resumed, our end of the connection
   * closed (QEMU's disable_gdbstub). A stop of a thread from now on resumes it at once. */
  private detachSelf(): void {
    this.detached = true;
    this.active = false;
    const d = this.stub.debug;
    d.breakpoints.clear();
    d.stepHart = -1;
    this.chr.holdReads(true);
    this.chr.close();
    this.resume(0, true, -1);
  }
  private env(slot: number): CPURISCVState {
    let e = this.envs.get(slot);
    if (!e) this.envs.set(slot, e = this.h.stateOf(slot));
    return e;
  }

  /** A thread in a system call has its pc on the ecall: gdb sees (and sets) the pc past it. */
  private readReg(slot: number, n: number): Uint8Array | null {
    const v = riscvReadReg(this.env(slot), n);
    if (v && n === PC_REG && this.inSyscall(slot)) new DataView(v.buffer, v.byteOffset).setBigUint64(0, new DataView(v.buffer, v.byteOffset).getBigUint64(0, true) + 4n, true);
    return v;
  }

  private writeReg(slot: number, n: number, d: Uint8Array): boolean {
    if (n === PC_REG && this.inSyscall(slot) && d.length === 8) {
      const c = d.slice();
      new DataView(c.buffer).setBigUint64(0, new DataView(c.buffer).getBigUint64(0, true) - 4n, true);
      d = c;
    }
    return riscvWriteReg(this.env(slot), n, d);
  }

  private inSyscall(slot: number): boolean {
    return Atomics.load(this.ctl, gdbSlotWord(slot, GdbCtl.INSYS)) !== 0;
  }

  /** Thread `slot` stopped (a breakpoint, a step, a signal) under resume `seq`. The first stop
   * of a resume wins; a thread whose stop gdb is not told of sees it again after the resume. */
  onStop(slot: number, sig: number, seq: number): void {
    if (this.detached) {
      // Nobody to tell: the thread goes on, with its signal delivered.
      Atomics.store(this.ctl, gdbSlotWord(slot, GdbCtl.SIG), sig === SIGTRAP ? 0 : sig);
      Atomics.store(this.ctl, GdbCtl.REPORTED, slot + 1);
      gdbUserResume(this.ctl, [], -1, false);
      return;
    }
    if (this.state !== 'running' || seq !== Atomics.load(this.ctl, GdbCtl.SEQ)) return;
    this.stopWorld(slot, sig);
  }

  /** Raise STOP, poke every thread out of guest code, then tell gdb (once none runs any). */
  private stopWorld(slot: number, sig: number, fork = 0): void {
    this.state = 'stopping';
    this.stopping = { slot, sig, fork };
    Atomics.store(this.ctl, GdbCtl.STOP, 1);
    for (const [s] of this.h.threads()) this.h.poke(s);
    this.settle(0);
  }

  private settle(tries: number): void {
    if (this.state !== 'stopping') return;
    // Threads in a system call are out of guest code (INCODE 0): a blocking one holds nothing up.
    const busy = this.h.threads().some(([s]) => Atomics.load(this.ctl, gdbSlotWord(s, GdbCtl.INCODE)) !== 0);
    if (busy) {
      if (tries % 256 === 255) for (const [s] of this.h.threads()) this.h.poke(s);
      setTimeout(() => this.settle(tries + 1), tries < 20 ? 0 : 1);
      return;
    }
    // A fork is told once the child listens (it answers gdb's next packets: gdb's 2 s timeout
    // would not wait for a loaded host's Node start).
    if (this.stopping.fork && this.peer && !this.peer.ready) return; // (peerMessage('ready') settles)
    this.state = 'stopped';
    const { slot, sig, fork } = this.stopping;
    Atomics.store(this.ctl, GdbCtl.REPORTED, sig === SIGINT || fork ? 0 : slot + 1);
    if (fork) this.stub.reportFork(slot, fork);
    else this.stub.reportStop(slot, targetSignalToGdb(sig));
  }

  /** The process ends: tell gdb before it goes. */
  onExit(status: number, signal: number): void {
    if (this.detached || !this.active) return;
    this.stub.reportExit(status, signal ? targetSignalToGdb(signal) || signal : 0);
  }

  /** Ctrl-C: the world stops; gdb hears SIGINT on the thread of the last stop. */
  private stop(): void {
    if (this.state !== 'running') return;
    this.stopWorld(this.stub.interruptHart, SIGINT);
  }

  /** `others`: with a step, the other threads run meanwhile (vCont;s:T;c); `only`: the one
   * thread that runs (vCont;c:T), -1: all. */
  private resume(sig: number, others: boolean, only: number): void {
    const d = this.stub.debug;
    const step = d.stepHart;
    d.stepHart = -1;
    // gdb's `C sig` goes to the thread whose stop it answers.
    const rep = Atomics.load(this.ctl, GdbCtl.REPORTED);
    if (rep > 0) Atomics.store(this.ctl, gdbSlotWord(rep - 1, GdbCtl.SIG), sig);
    this.state = 'running';
    gdbUserResume(this.ctl, d.breakpoints, step, !others, only);
    if (!this.started) { this.started = true; this.h.start(); }
  }

  /** Guest memory where the process has a mapping (gdb reads unmapped pages as errors). */
  private span(addr: bigint, len: number): number | null {
    if (len === 0) return 0;
    if (addr >= BigInt(HIGH_BASE) && addr + BigInt(len) <= BigInt(HIGH_END)) {
      // High memory (high-map.ts): where its pages live, when that is one host range.
      const pieces = highPieces(this.h.mm, Number(addr), len, PageFlag.VALID);
      return pieces && pieces.length === 1 ? pieces[0][0] : null;
    }
    if (addr < 0n || addr + BigInt(len) > BigInt(TASK_SIZE)) return null;
    const a = Number(addr);
    for (let p = a >>> TARGET_PAGE_BITS; p <= (a + len - 1) >>> TARGET_PAGE_BITS; p++) {
      if (!(this.h.mm.pageFlags(p * TARGET_PAGE_SIZE) & PageFlag.VALID)) return null;
    }
    return GUEST_BASE + a;
  }

  /** The auxv table on the initial stack (KernelWord.AUXV_START .. AUXV_END, as /proc/self/auxv). */
  private auxv(): Uint8Array {
    const kw = this.h.mm.kw;
    const a = kw[KernelWord.AUXV_START] >>> 0, b = kw[KernelWord.AUXV_END] >>> 0;
    return (b > a ? this.readMem(BigInt(a), b - a) : null) ?? new Uint8Array(0);
  }

  private readMem(addr: bigint, len: number): Uint8Array | null {
    const off = this.span(addr, len);
    return off === null ? null : new Uint8Array(this.h.memory.buffer, off, len).slice();
  }

  private writeMem(addr: bigint, data: Uint8Array): boolean {
    const off = this.span(addr, data.length);
    if (off === null) return false;
    new Uint8Array(this.h.memory.buffer).set(data, off);
    // Code gdb patched: the thread drops what it translated from those pages.
    this.h.mm.noteCodeChange(Number(addr), data.length, -1);
    return true;
  }
}
