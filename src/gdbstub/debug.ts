// The GDB stub's execution control (QEMU's cpu_breakpoint_insert / cpu_single_step): while any
// breakpoint is set or a step is pending, the vCPU scheduler runs harts through this runner,
// one interpreted instruction at a time with the pc checked before each, so no breakpoint is
// skipped by a translated block and a stop leaves the exact pc. Without breakpoints the harts
// run at full speed (run(budget)).
import { CpuExit, type RISCVHart } from '../target/riscv/hart.js';

export class GdbDebugState {
  /** Breakpoint addresses (software and hardware are the same pc check here). */
  readonly breakpoints = new Set<bigint>();
  /** The hart to single-step (-1: none); the other harts stay stopped meanwhile. */
  stepHart = -1;
  /** Harts resuming from a stop: their first instruction is not checked (they sit on the bp). */
  private readonly skipOnce = new Set<number>();
  /** The hart that ran last (Ctrl-C reports it). */
  lastHart = 0;

  /** A hart that hit a breakpoint this round: the VM stops when the round ends (the other
   * harts have their turn first, as in QEMU's round-robin loop). */
  private hit = -1;

  /** `stop(hart)` is called at a breakpoint hit or after a step, with the VM still running. */
  constructor(private readonly onStop: (hart: number) => void) {}

  get active(): boolean { return this.breakpoints.size > 0 || this.stepHart >= 0; }

  /** Before resuming: every hart may leave the breakpoint it stopped at. */
  resuming(nharts: number): void {
    this.hit = -1;
    this.skipOnce.clear();
    for (let i = 0; i < nharts; i++) this.skipOnce.add(i);
  }

  /** The scheduler's end of a round: report the breakpoint hit, if any. */
  roundEnd(): void {
    if (this.hit < 0) return;
    const h = this.hit;
    this.hit = -1;
    this.onStop(h);
  }

  /** The scheduler's runner (VCPUScheduler.debugRun). */
  run(index: number, hart: RISCVHart, budget: number): CpuExit {
    if (!this.active || !hart.stepOne) return hart.run(budget);
    if (this.stepHart >= 0) {
      if (index !== this.stepHart) return CpuExit.BUDGET; // held while another hart steps
      this.lastHart = index;
      const r = hart.stepOne(true);
      this.stepHart = -1;
      this.onStop(index);
      return r;
    }
    this.lastHart = index;
    const skip = this.skipOnce.delete(index);
    for (let n = 0; n < budget; n++) {
      if (!(skip && n === 0) && this.breakpoints.has(hart.pc)) {
        if (this.hit < 0) this.hit = index;
        return CpuExit.BUDGET;
      }
      const r = hart.stepOne(n === 0);
      if (r !== CpuExit.BUDGET) return r;
    }
    return CpuExit.BUDGET;
  }
}
