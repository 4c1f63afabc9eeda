// What the machine (hw/riscv/virt.ts, the vCPU scheduler) sees of a RISC-V hart. The CPU
// implementation (target/riscv/cpu.ts) provides it; interrupt controllers drive the mip bits.

/** mip/mie bit numbers (privileged spec). */
export const enum IRQ_BIT {
  S_SOFT = 1,
  M_SOFT = 3,
  S_TIMER = 5,
  M_TIMER = 7,
  S_EXT = 9,
  M_EXT = 11,
}

/** Why run() returned. */
export const enum CpuExit {
  /** The instruction budget was used up (or an async request such as an IRQ change asked the
   * loop to come back). */
  BUDGET = 0,
  /** The hart executed wfi and waits for an interrupt (mip & mie != 0). */
  WFI = 1,
  /** The hart stopped (debug, `-S` style pause or a fatal condition reported elsewhere). */
  HALTED = 2,
  /** User mode (linux-user): ecall in U; pc still points AT the ecall. */
  ECALL = 3,
  /** User mode: a synchronous exception, recorded in scause/stval; pc at the faulting insn. */
  EXCEPTION = 4,
}

export interface RISCVHart {
  readonly hartid: number;
  /** Reset architectural state; pc = resetVector, M mode. */
  reset(resetVector: bigint): void;
  /** Set an integer register (used by the boot ROM's a0/a1/a2 contract and tests). */
  setGpr(index: number, value: bigint): void;
  getGpr(index: number): bigint;
  readonly pc: bigint;
  /** Raise or lower hardware interrupt pending bits (1 << IRQ_BIT.*). Callable from any device
   * callback, also while the hart runs (it takes effect at the next block boundary). */
  setMip(mask: number, level: boolean): void;
  /** Sstc: the board's mtime, timer and STIP line for stimecmp (target/riscv/priv-ext.ts). */
  setTimerService?(svc: import('./priv-ext.js').RISCVTimerService): void;
  /** Execute at most `budget` instructions. */
  run(budget: number): CpuExit;
  /** Instructions retired since reset (-icount counts them). */
  retired?(): bigint;
  /** True when an enabled interrupt is pending (wakes a hart in WFI). */
  hasPendingInterrupt(): boolean;
  /** Execute one instruction, interpreted (GDB stub); `first` at a scheduler turn's start;
   * `noIrq`: no interrupt is taken (gdb's stepi, as QEMU's SSTEP_NOIRQ). */
  stepOne?(first: boolean, noIrq?: boolean): CpuExit;
  /** HMP `info jit`: the translator's state (shared by the harts of one memory). */
  jitInfo?(): string;
}
