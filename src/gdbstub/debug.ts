// The GDB stub's execution control (QEMU's cpu_breakpoint_insert / cpu_watchpoint_insert /
// cpu_single_step): while any breakpoint or watchpoint is set or a step is pending, the vCPU scheduler runs harts through this runner,
// one interpreted instruction at a time with the pc checked before each, so no breakpoint is
// skipped by a translated block and a stop leaves the exact pc. Without breakpoints the harts
// run at full speed (run(budget)).
import { CpuExit, type RISCVHart } from '../target/riscv/hart.js';
import type { InsnAccess } from './riscv.js';

/** Z2 write, Z3 read, Z4 access watchpoint over [addr, addr + len). */
export interface Watchpoint { type: 2 | 3 | 4; addr: bigint; len: bigint }

export class GdbDebugState {
  /** Breakpoint addresses (software and hardware are the same pc check here). */
  readonly breakpoints = new Set<bigint>();
  readonly watchpoints: Watchpoint[] = [];
  /** The access the instruction at hart i's pc makes (the target decodes it). */
  insnAccess: (index: number) => InsnAccess | null = () => null;
  /** The stop reply's extra "watch:ADDR;" of the last watchpoint hit. */
  watchHit = '';
  /** The hart to single-step (-1: none); the other harts stay stopped meanwhile. */
  stepHart = -1;
  /** Harts resuming from a stop: their first instruction is not checked (they sit on the bp). */
  private readonly skipOnce = new Set<number>();

  /** A hart that hit a breakpoint this round: the VM stops when the round ends (the other
   * harts have their turn first, as in QEMU's round-robin loop). */
  private hit = -1;

  /** `stop(hart)` is called at a breakpoint hit or after a step, with the VM still running. */
  constructor(private readonly onStop: (hart: number) => void) {}

  get active(): boolean { return this.breakpoints.size > 0 || this.watchpoints.length > 0 || this.stepHart >= 0; }

  /** Before resuming: every hart may leave the breakpoint it stopped at. */
  resuming(nharts: number): void {
    this.hit = -1;
    this.watchHit = '';
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
      const r = hart.stepOne(true, true);
      this.stepHart = -1;
      this.onStop(index);
      return r;
    }
    const skip = this.skipOnce.delete(index);
    for (let n = 0; n < budget; n++) {
      if (!(skip && n === 0) && this.breakpoints.has(hart.pc)) {
        if (this.hit < 0) this.hit = index;
        return CpuExit.BUDGET;
      }
      // Watchpoints stop BEFORE the access, pc on the instruction (QEMU's riscv does so, and
      // gdb steps over it with its watchpoints removed, then compares the values).
      const acc = this.watchpoints.length ? this.insnAccess(index) : null;
      if (acc) {
        const w = this.watchpoints.find((x) => acc.addr < x.addr + x.len && x.addr < acc.addr + BigInt(acc.len) &&
          (x.type === 4 ? true : x.type === 2 ? acc.write : acc.read));
        if (w) {
          if (this.hit < 0) {
            this.hit = index;
            this.watchHit = `${w.type === 2 ? 'watch' : w.type === 3 ? 'rwatch' : 'awatch'}:${w.addr.toString(16)};`;
          }
          return CpuExit.BUDGET;
        }
      }
      const r = hart.stepOne(n === 0);
      if (r !== CpuExit.BUDGET) return r;
    }
    return CpuExit.BUDGET;
  }
}
