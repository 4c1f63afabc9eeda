// -icount (QEMU's accel/tcg/icount-common.c): QEMU_CLOCK_VIRTUAL becomes the instruction count
// scaled by 2^shift ns plus a bias, so guest time (the `time`, `cycle` and `instret` CSRs,
// mtime, timer interrupts) follows what the guest executed, not the host. The scheduler runs each
// hart at most up to the next timer deadline, runs timers at those instruction counts, and while
// every hart sleeps in wfi the clock warps to the deadline: at once with sleep=off (the same
// guest then runs the same way every time), after the equivalent host time with sleep=on.
// shift=auto starts at 3 and moves the shift to keep virtual time near real time; align=on
// sleeps when the guest runs ahead of real time.
import type { QEMUClock } from '../main-loop/timer.js';

export interface IcountConfig {
  shift: number | 'auto';
  sleep: boolean;
  align: boolean;
}

/** What the counter needs of a hart: its retired-instruction count. */
export interface IcountHart { retired?(): bigint }

const MAX_ICOUNT_SHIFT = 10;
const ICOUNT_WOBBLE = 1e8; // ns (QEMU's NANOSECONDS_PER_SECOND / 10)
/** align=on: how far the guest may run ahead of real time (QEMU's VM_CLOCK_ADVANCE). */
const VM_CLOCK_ADVANCE_NS = 3e6;

export class IcountClock implements QEMUClock {
  /** Instructions of finished runs, and the shift and bias turning them into ns. */
  private counted = 0;
  shift: number;
  private bias = 0;
  private cur: IcountHart | undefined;
  private curStart = 0n;
  private lastDelta = 0;
  private readonly realStart = performance.now();

  constructor(readonly cfg: IcountConfig) {
    this.shift = cfg.shift === 'auto' ? 3 : cfg.shift;
  }

  /** Instructions executed so far; inside a run, the instruction being executed counts (as in
   * QEMU, where an I/O instruction is the last of its block and already accounted). */
  count(): number {
    const h = this.cur;
    if (!h?.retired) return this.counted;
    return this.counted + Number(h.retired() - this.curStart) + 1;
  }

  now(): number {
    return this.count() * 2 ** this.shift + this.bias;
  }

  beginRun(h: IcountHart): void {
    this.cur = h;
    this.curStart = h.retired?.() ?? 0n;
  }

  endRun(): void {
    const h = this.cur;
    if (h?.retired) this.counted += Number(h.retired() - this.curStart);
    this.cur = undefined;
  }

  /** Instructions one hart may run before the clock reaches `deadlineNs` (at least 1). */
  budget(max: number, deadlineNs: number, nowNs: number): number {
    if (deadlineNs === Infinity) return max;
    const left = Math.ceil((deadlineNs - nowNs) / 2 ** this.shift);
    return Math.max(1, Math.min(max, left));
  }

  /** Move virtual time forward by `ns` (idle harts: QEMU's icount warp). */
  warp(ns: number): void {
    if (ns > 0) this.bias += Math.ceil(ns);
  }

  private realNs(): number {
    return (performance.now() - this.realStart) * 1e6;
  }

  /** shift=auto: QEMU's icount_adjust, called about every 100 ms of host time. */
  adjust(): void {
    if (this.cfg.shift !== 'auto') return;
    const cur = this.now();
    const delta = cur - this.realNs();
    if (delta > 0 && this.lastDelta + ICOUNT_WOBBLE < delta * 2 && this.shift > 0) this.shift--;
    if (delta < 0 && this.lastDelta - ICOUNT_WOBBLE > delta * 2 && this.shift < MAX_ICOUNT_SHIFT) this.shift++;
    this.lastDelta = delta;
    this.bias = cur - this.count() * 2 ** this.shift; // time continues from where it was
  }

  /** align=on: ms to sleep so the guest is not ahead of real time by more than 3 ms, else 0. */
  aheadMs(): number {
    if (!this.cfg.align) return 0;
    const ahead = this.now() - this.realNs();
    return ahead > VM_CLOCK_ADVANCE_NS ? ahead / 1e6 : 0;
  }
}
