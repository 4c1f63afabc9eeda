// The vCPU scheduler (QEMU's round-robin TCG mode, rr_cpu_thread_fn): every hart runs in turn
// for a time slice on this thread. Harts in wfi are skipped until an interrupt is pending;
// when all sleep we wait for the next timer deadline or a kick (an interrupt raised by a host
// event), so an idle guest costs ~0% host CPU. We yield to the host event loop regularly so
// console input and disk completions get in.
import { CpuExit, type RISCVHart } from '../target/riscv/hart.js';
import type { TimerList, VirtualClock } from '../main-loop/timer.js';
import type { IcountClock } from './icount.js';
import { ioPollNow, ioRequestsInFlight, ioSettleStats, setIoSubmitHook } from '../main-loop/io-inflight.js';

/** Instructions per hart per turn: small enough for snappy IPIs, large enough to amortise. */
const SLICE = 20_000;
/** Longest we run guest code before letting host events in (ms). */
const YIELD_MS = 8;
/** With guest I/O in flight: longest we run guest code before taking completions (ms). */
const IO_YIELD_MS = 0.25;
/** Longest single idle sleep (ms): bounds latency if a wake-up were missed. */
const MAX_SLEEP_MS = 100;

/** Microtask hops a request's chain may take from the notify to the ring, and from the ring's
 * completion to the interrupt (virtio-blk, block layer, engine: ~10 each). */
const IO_SETTLE_HOPS = 64;

/**
 * Run the microtasks of the requests a slice started, submit them to the host and take the
 * completions already there, then their chains; true when none is left in flight. Awaiting a
 * resolved value runs every microtask queued before it (FIFO), no event-loop turn.
 */
async function settleIo(): Promise<boolean> {
  for (let k = 0; k < IO_SETTLE_HOPS; k++) {
    await undefined;
    if (ioRequestsInFlight() === 0) { await undefined; return true; } // and the interrupt decision queued by the last completion
    if ((k & 7) === 7) ioPollNow();
  }
  return false;
}

export interface SchedulerHost {
  /** Let the host event loop run (setImmediate on Node). */
  yieldToHost(): Promise<void>;
}

export class VCPUScheduler {
  private stopped = false;
  private paused: boolean;
  private readonly sleeping: boolean[];
  private wake: (() => void) | undefined;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Outstanding holdUntil() calls: no hart runs while > 0. */
  private holds = 0;
  /** The GDB stub's runner while breakpoints or a step are active (gdbstub/debug.ts). */
  debugRun: ((index: number, hart: RISCVHart, budget: number) => CpuExit) | undefined;
  /** Called after each round over the harts (the stub stops the VM there, all-stop). */
  debugRoundEnd: (() => void) | undefined;
  /** Wall ms the loop spent sleeping (idle), for measurements. */
  idleMs = 0;

  constructor(
    private readonly harts: readonly RISCVHart[],
    private readonly timers: TimerList,
    private readonly clock: VirtualClock,
    private readonly host: SchedulerHost,
    startPaused: boolean,
    /** -icount: the instruction counter under the virtual clock (icount.ts). */
    private readonly icount?: IcountClock,
  ) {
    this.paused = startPaused;
    this.sleeping = harts.map(() => false);
    if (startPaused) clock.stop();
    timers.onChange = () => this.kick();
  }

  get running(): boolean {
    return !this.paused && !this.stopped;
  }

  /**
   * Keep every hart from running until `done` settles (a device reset waiting for its disk
   * requests, as QEMU's synchronous blk_drain in an MMIO write). The hart that is running
   * leaves run() at its next block boundary, as for an interrupt. The virtual clock goes on.
   */
  holdUntil(done: Promise<void>): void {
    this.holds++;
    for (const h of this.harts) h.setMip(0, true); // no mip change: only the exit request
    const release = (): void => { this.holds--; this.kick(); };
    done.then(release, release);
  }

  /** Something happened (interrupt, timer moved, vm state): come back to the loop. */
  kick(): void {
    const w = this.wake;
    if (w) {
      this.wake = undefined;
      if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
      w();
    }
  }

  stop(): void {
    this.stopped = true;
    this.kick();
  }

  /** The harts were reset (system_reset): none waits in wfi any more. */
  hartsReset(): void {
    this.sleeping.fill(false);
    this.kick();
  }

  /** Hart i waits in wfi (the GDB stub's "halted"). */
  isSleeping(i: number): boolean {
    return this.sleeping[i] === true;
  }

  /** `stop` in the monitor / -S: the virtual clock stops too. */
  pause(): void {
    this.paused = true;
    this.clock.stop();
    this.kick();
  }

  cont(): void {
    this.paused = false;
    this.clock.start();
    this.kick();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      // Paused with nothing else pending (-S, `stop`): a long timer keeps the process alive, as
      // QEMU's main loop waits for a monitor's `cont` (or a signal) however long it takes.
      this.wakeTimer = setTimeout(() => this.kick(), ms === Infinity ? 2 ** 31 - 1 : ms);
    });
  }

  /** Run until stop(). */
  async run(): Promise<void> {
    // A device started a request: end the slice at the next block boundary, so the request
    // reaches the host now rather than after the rest of the slice (io-inflight.ts).
    // (MTTCG's run() has its own loop: its harts are on other threads.)
    const endSlice = (): void => { this.ioStarted = true; for (const h of this.harts) h.setMip(0, true); };
    setIoSubmitHook(endSlice);
    try {
      await this.runLoop();
    } finally {
      setIoSubmitHook(null);
    }
  }

  /** A device started a request since the loop last yielded. */
  private ioStarted = false;

  private async runLoop(): Promise<void> {
    let lastYield = performance.now();
    let lastAdjust = lastYield;
    while (!this.stopped) {
      if (this.paused || this.holds > 0) {
        await this.sleep(Infinity);
        continue;
      }
      this.timers.runExpired();
      const ran = this.runHarts();
      const now = performance.now();
      const ic = this.icount;
      if (ic && now - lastAdjust >= 100) { ic.adjust(); lastAdjust = now; }
      if (ic && ran && ic.aheadMs() > 0) { await this.sleep(ic.aheadMs()); lastYield = performance.now(); continue; }
      if (!ran && !this.stopped) {
        const deadline = this.timers.deadline();
        if (ic && !ic.cfg.sleep && deadline !== Infinity) {
          // sleep=off: idle time costs nothing, the clock jumps to the next deadline.
          ic.warp(deadline - this.clock.now());
          if (now - lastYield >= YIELD_MS) { await this.host.yieldToHost(); lastYield = performance.now(); }
          continue;
        }
        const ms = deadline === Infinity ? MAX_SLEEP_MS : (deadline - this.clock.now()) / 1e6;
        if (ms > 0) {
          await this.sleep(Math.min(ms, MAX_SLEEP_MS));
          this.idleMs += performance.now() - now;
          if (deadline !== Infinity) ic?.warp((performance.now() - now) * 1e6); // sleep=on: idle guest time follows the host's
        } else {
          await this.host.yieldToHost();
        }
        lastYield = performance.now();
      } else if (this.ioStarted) {
        // A new request: its promise chain runs as microtasks; the io_uring ring submits it
        // and takes what the kernel finished inline (cached pages), and the completion's chain
        // (used ring, interrupt) runs as microtasks too, all without a turn of the event loop.
        // A request still in flight then goes the slow way: one turn for early completions.
        this.ioStarted = false;
        const done = await settleIo();
        if (done) ioSettleStats.inline++;
        else {
          ioSettleStats.slow++;
          await this.host.yieldToHost();
          lastYield = performance.now();
        }
      } else if (ioRequestsInFlight() > 0 && now - lastYield >= IO_YIELD_MS) {
        await this.host.yieldToHost(); // completions in, at most IO_YIELD_MS late
        lastYield = performance.now();
      } else if (now - lastYield >= YIELD_MS) {
        await this.host.yieldToHost();
        lastYield = performance.now();
      }
    }
  }

  /** One round over the harts; false when every hart sleeps in wfi. */
  private runHarts(): boolean {
    let ran = false;
    for (let i = 0; i < this.harts.length && !this.stopped && !this.paused && this.holds === 0; i++) {
      const h = this.harts[i];
      if (this.sleeping[i] && !h.hasPendingInterrupt()) continue;
      this.sleeping[i] = false;
      const ic = this.icount;
      const budget = ic ? ic.budget(SLICE, this.timers.deadline(), this.clock.now()) : SLICE;
      ic?.beginRun(h);
      const r = this.debugRun ? this.debugRun(i, h, budget) : h.run(budget);
      ic?.endRun();
      if (r === CpuExit.WFI || r === CpuExit.HALTED) this.sleeping[i] = true;
      if (ic) this.timers.runExpired(); // deadlines fall between two harts' turns, as counted
      ran = true;
    }
    this.debugRoundEnd?.();
    return ran;
  }
}
