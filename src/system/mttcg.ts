// -accel tcg,thread=multi (QEMU's MTTCG): every hart runs on its own thread (mttcg-hart.ts) over
// the shared guest memory; this thread keeps the devices, the timers and the host event loop,
// as QEMU's main loop under the BQL. A hart's device access waits in its mailbox until served
// here; interrupt lines are mip bits the devices set atomically in the shared state blocks, and
// kick() wakes a hart in wfi. Code written behind a thread's translations goes through
// tb-share.ts's queues. Pausing (stop, reset, a device reset draining its disk) parks every
// hart at a block boundary before the state is touched.
import { VCPUScheduler, type SchedulerHost } from './cpus.js';
import type { TimerList, VirtualClock } from '../main-loop/timer.js';
import type { AddressSpace } from '../exec/memory.js';
import type { RISCVCPU } from '../target/riscv/cpu.js';
import { STATE } from '../target/riscv/cpu-state.js';
import type { RISCVCPUConfig } from '../target/riscv/cpu-cfg.js';
import type { TcgOptions } from '../accel/tcg/tcg-accel.js';
import { TbShare, tbShareBytes } from '../target/riscv/tb-share.js';
import { Clk, Ctl, ctlBytes, doorbellIndex, MB_LOAD, readMtime, writeMtime } from './mttcg-hart.js';

/** What a hart thread is started with (structured-clonable). */
export interface MttcgWorkerData {
  memory: WebAssembly.Memory;
  ctl: SharedArrayBuffer;
  clk: SharedArrayBuffer;
  share: SharedArrayBuffer;
  hart: number;
  nharts: number;
  cpuStateOffset: number;
  ram: Array<{ name: string; base: number; size: number; hostOffset: number; readonly: boolean }>;
  cpuCfg: RISCVCPUConfig;
  tcg: TcgOptions;
  interp: Array<[string, WebAssembly.Module]>;
  logMask: number;
  /** -D: the log file hart threads append to (else stderr). */
  logFile?: string;
  /** The CLINT's msip words (base, bytes), served on the hart threads (mttcgMswi). */
  mswi?: { base: number; size: number };
}

/** Messages from a hart thread: the thread failed. (Device accesses and parks ring the doorbell
 * word instead; Sstc timers live on the hart threads, HartTimerProxy.) */
export type MttcgMessage = { op: 'error'; message: string };

/** The host's threads (host/node/mttcg-host.ts: worker_threads). */
export interface HartThreadHost {
  start(data: MttcgWorkerData, onMessage: (m: MttcgMessage) => void): { terminate(): void };
  /** Monotonic host nanoseconds, the same clock the hart threads read. */
  nowNs(): bigint;
}

export interface MttcgBoard {
  as: AddressSpace;
  cpuStateOffset: number;
  mtime(): bigint;
  /** Make the CLINT's mtime this clock (RISCVAclint.timeSource). */
  setTimeSource(src: { get(): bigint; set(value: bigint): void }): void;
  timebaseFreq: number;
  cpuCfg: RISCVCPUConfig;
  tcg: TcgOptions;
  interp: Array<[string, WebAssembly.Module]>;
  logMask: number;
  logFile?: string;
  mswi?: { base: number; size: number };
  /** A hart thread failed (an internal error): report and stop. */
  fatal(message: string): void;
}

export class MttcgScheduler extends VCPUScheduler {
  private readonly ctl: Int32Array;
  private readonly clk: BigInt64Array;
  private readonly mem32: Int32Array;
  private readonly shareBuf: SharedArrayBuffer;
  private readonly threads: Array<{ terminate(): void }> = [];
  private serving = 0;
  private settlePending = false;
  private holdCount = 0;
  private wakeMain: (() => void) | undefined;
  private done = false;

  constructor(
    private readonly cpus: readonly RISCVCPU[],
    private readonly tl: TimerList,
    private readonly vclock: VirtualClock,
    host: SchedulerHost,
    startPaused: boolean,
    private readonly board: MttcgBoard,
    private readonly threadHost: HartThreadHost,
  ) {
    super(cpus, tl, vclock, host, startPaused);
    const n = cpus.length;
    this.ctl = new Int32Array(new SharedArrayBuffer(ctlBytes(n)));
    this.clk = new BigInt64Array(new SharedArrayBuffer(Clk.WORDS * 8));
    this.clk[Clk.FREQ] = BigInt(board.timebaseFreq);
    // From now on the CLINT's mtime and the harts' `time` CSR are this one clock.
    writeMtime(this.clk, threadHost.nowNs(), board.mtime(), this.vclock.running);
    board.setTimeSource({
      get: () => readMtime(this.clk, threadHost.nowNs),
      set: (v) => writeMtime(this.clk, threadHost.nowNs(), v, this.vclock.running),
    });
    this.mem32 = new Int32Array(board.as.memory.buffer);
    this.shareBuf = new SharedArrayBuffer(tbShareBytes(board.as.memory.buffer.byteLength, n));
    // This thread's writes into RAM (DMA, loaders) reach the harts' translations.
    const bases = cpus.map((c) => c.env.base);
    cpus[0].tbCache.share = new TbShare(this.shareBuf, board.as.memory, -1, bases);
    for (let h = 0; h < n; h++) this.ctl[h * Ctl.WORDS + Ctl.RUN] = startPaused ? 1 : 0;
  }

  /** The clock block follows the virtual clock's running state (stop/cont), continuing from
   * the mtime it shows now. */
  private publishClock(): void {
    const now = this.threadHost.nowNs();
    const running = this.vclock.running;
    if ((this.clk[Clk.RUNNING] !== 0n) === running) return;
    writeMtime(this.clk, now, readMtime(this.clk, () => now), running);
  }

  /** Serve device accesses whenever a hart rings (Atomics.waitAsync on the doorbell: no
   * message per access). */
  private listen(): void {
    const bell = doorbellIndex(this.cpus.length);
    const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;
    for (;;) {
      if (this.done) return;
      const v = Atomics.load(this.ctl, bell);
      this.serveAll();
      const r = waitAsync(this.ctl, bell, v);
      if (r.async) { (r.value as Promise<string>).then(() => this.listen(), () => {}); return; }
    }
  }

  private startThreads(): void {
    const b = this.board;
    const ram = b.as.ram.map((r) => ({ name: r.name, base: r.base, size: r.size, hostOffset: r.hostOffset, readonly: r.readonly }));
    for (let h = 0; h < this.cpus.length; h++) {
      const data: MttcgWorkerData = {
        memory: b.as.memory, ctl: this.ctl.buffer as SharedArrayBuffer, clk: this.clk.buffer as SharedArrayBuffer,
        share: this.shareBuf, hart: h, nharts: this.cpus.length, cpuStateOffset: b.cpuStateOffset, ram,
        cpuCfg: b.cpuCfg, tcg: { ...b.tcg, asyncCompile: false }, interp: b.interp, logMask: b.logMask, logFile: b.logFile, mswi: b.mswi,
      };
      this.threads.push(this.threadHost.start(data, (m) => this.onMessage(h, m)));
    }
  }

  private onMessage(h: number, m: MttcgMessage): void {
    this.board.fatal(`hart ${h} thread: ${m.message}`);
  }

  private kickHart(h: number): void {
    const ex = (this.cpus[h].env.base + STATE.exit_request.offset) >> 2;
    Atomics.store(this.mem32, ex, 1);
    Atomics.notify(this.mem32, ex);
  }

  /** Answer every waiting device access (the BQL is this thread). */
  private serveAll(): void {
    for (let h = 0; h < this.cpus.length; h++) this.serve(h);
  }

  private serve(h: number): void {
    const c = this.ctl, o = h * Ctl.WORDS;
    if (Atomics.load(c, o + Ctl.MB_STATE) !== 1) return;
    this.serving++;
    const pa = (c[o + Ctl.MB_PA_LO] >>> 0) + (c[o + Ctl.MB_PA_HI] >>> 0) * 2 ** 32;
    const size = c[o + Ctl.MB_SIZE];
    let ok = false;
    try {
      if (c[o + Ctl.MB_OP] === MB_LOAD) {
        const v = this.board.as.load(pa, size);
        if (v !== undefined) {
          ok = true;
          c[o + Ctl.MB_V_LO] = Number(v & 0xffffffffn);
          c[o + Ctl.MB_V_HI] = Number((v >> 32n) & 0xffffffffn);
        }
      } else {
        const v = (BigInt(c[o + Ctl.MB_V_HI] >>> 0) << 32n) | BigInt(c[o + Ctl.MB_V_LO] >>> 0);
        ok = this.board.as.store(pa, size, v);
      }
    } finally {
      this.serving--;
      c[o + Ctl.MB_OK] = ok ? 1 : 0;
      Atomics.store(c, o + Ctl.MB_STATE, 2);
      Atomics.notify(c, o + Ctl.MB_STATE);
    }
    // A pause asked for by this access (a reset, a poweroff with -no-shutdown) completes now
    // that the hart that made it can reach its block boundary.
    if (this.serving === 0 && this.settlePending) this.settle();
  }

  /** Ask every hart to park at its next block boundary. */
  private parkAll(): void {
    for (let h = 0; h < this.cpus.length; h++) {
      Atomics.store(this.ctl, h * Ctl.WORDS + Ctl.RUN, 1);
      this.kickHart(h);
    }
    if (this.threads.length === 0) return; // not started: they start parked
    if (this.serving > 0) this.settlePending = true;
    else this.settle();
  }

  /** Wait (this thread blocks) until every hart parked, answering their device accesses. */
  private settle(): void {
    this.settlePending = false;
    const bell = doorbellIndex(this.cpus.length);
    for (;;) {
      const v = Atomics.load(this.ctl, bell);
      this.serveAll();
      let all = true;
      for (let h = 0; h < this.cpus.length; h++) {
        const o = h * Ctl.WORDS;
        if (Atomics.load(this.ctl, o + Ctl.RUN) !== 0 && Atomics.load(this.ctl, o + Ctl.PARKED) === 0) all = false;
      }
      if (all) break;
      Atomics.wait(this.ctl, bell, v, 20);
    }
    this.publishClock();
  }

  private unparkAll(): void {
    if (this.done || !this.running || this.holdCount > 0) return;
    this.publishClock();
    for (let h = 0; h < this.cpus.length; h++) {
      const i = h * Ctl.WORDS + Ctl.RUN;
      Atomics.store(this.ctl, i, 0);
      Atomics.notify(this.ctl, i);
    }
  }

  override holdUntil(done: Promise<void>): void {
    this.holdCount++;
    this.parkAll();
    const release = (): void => { this.holdCount--; this.unparkAll(); };
    done.then(release, release);
  }

  override kick(): void {
    super.kick();
    // A device changed a hart's mip (or a timer moved): wake harts in wfi; also the main loop.
    if (this.mem32) for (let h = 0; h < this.cpus.length; h++) Atomics.notify(this.mem32, (this.cpus[h].env.base + STATE.exit_request.offset) >> 2);
    const w = this.wakeMain;
    if (w) { this.wakeMain = undefined; w(); }
  }

  override stop(): void {
    super.stop();
    this.done = true;
    if (!this.ctl) return;
    for (let h = 0; h < this.cpus.length; h++) {
      const i = h * Ctl.WORDS + Ctl.RUN;
      Atomics.store(this.ctl, i, 2);
      Atomics.notify(this.ctl, i);
      this.kickHart(h);
    }
  }

  override hartsReset(): void {
    for (let h = 0; h < this.cpus.length; h++) Atomics.store(this.ctl, h * Ctl.WORDS + Ctl.SLEEPING, 0);
    super.hartsReset();
  }

  override isSleeping(i: number): boolean {
    return Atomics.load(this.ctl, i * Ctl.WORDS + Ctl.SLEEPING) !== 0;
  }

  override pause(): void {
    super.pause();
    this.parkAll();
  }

  override cont(): void {
    super.cont();
    this.unparkAll();
  }

  /** The main loop: timers and host events; the harts run on their threads. */
  override async run(): Promise<void> {
    if (!this.done) { this.startThreads(); this.listen(); }
    try {
      while (!this.done) {
        this.tl.runExpired();
        if (this.done) break;
        const deadline = this.tl.deadline();
        const ms = deadline === Infinity ? 100 : Math.min(100, Math.max(0, (deadline - this.vclock.now()) / 1e6));
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => { this.wakeMain = undefined; resolve(); }, ms);
          this.wakeMain = () => { clearTimeout(t); resolve(); };
        });
      }
    } finally {
      const bell = doorbellIndex(this.cpus.length);
      Atomics.add(this.ctl, bell, 1); // the doorbell's listener sees done
      Atomics.notify(this.ctl, bell);
      for (const t of this.threads) t.terminate();
    }
  }
}
