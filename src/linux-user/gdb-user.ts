// The guest thread's side of tsqemu-riscv64's GDB stub (QEMU's gdbstub/user.c): the stub runs
// on the main thread (host/node/user-gdb.ts) and talks to the worker that runs the debugged
// thread through a small shared control block. While breakpoints are set or a step is pending
// the thread runs one interpreted instruction at a time with its pc checked before each; at a
// stop it tells the main thread and sleeps until gdb resumes it (registers and memory are in
// shared memory, so the stub reads and writes them meanwhile).
import { CpuExit } from '../target/riscv/hart.js';
import type { CPURISCVState } from '../target/riscv/cpu-state.js';

/** Words of the control block (an Int32Array on a SharedArrayBuffer). */
export const enum GdbCtl {
  /** The main thread asks the running thread to stop (Ctrl-C). */
  STOP_REQ = 0,
  /** Bumped by each resume: the stopped thread waits for it to change. */
  SEQ = 1,
  /** 1: execute one instruction, then stop. */
  STEP = 2,
  /** The (Linux) signal gdb's resume passes on to a signal stop (0: dropped). */
  SIG = 3,
  /** Number of breakpoints, then their addresses as lo/hi word pairs. */
  NBP = 4,
  BP = 5,
}
export const GDB_MAX_BREAKPOINTS = 64;
export const GDB_CTL_WORDS = GdbCtl.BP + 2 * GDB_MAX_BREAKPOINTS;

const SIGINT = 2, SIGTRAP = 5;

/** What the debugged thread needs of its hart. */
export interface DebugHart {
  readonly env: CPURISCVState;
  run(budget: number): number;
  stepOne(first: boolean, noIrq?: boolean): number;
}

/**
 * A run() for cpu_loop that honours the stub: `report(sig)` tells the main thread the thread
 * stopped (the stub then answers gdb's pending c/s with a stop reply).
 */
export function gdbUserRunner(cpu: DebugHart, ctl: Int32Array, report: (sig: number) => void):
{ env: CPURISCVState; run(budget: number): number; handleSig(sig: number): number } {
  let pending = 0;
  let skip = false;
  let seenSeq = -1;
  let bps = new Set<bigint>();
  const wait = (sig: number) => {
    const seq = Atomics.load(ctl, GdbCtl.SEQ);
    report(sig);
    while (Atomics.load(ctl, GdbCtl.SEQ) === seq) Atomics.wait(ctl, GdbCtl.SEQ, seq, 1000);
    skip = true; // the first instruction after a resume may sit on a breakpoint
  };
  const breakpoints = (): Set<bigint> => {
    const seq = Atomics.load(ctl, GdbCtl.SEQ);
    if (seq !== seenSeq) {
      seenSeq = seq;
      bps = new Set();
      const n = Math.min(ctl[GdbCtl.NBP], GDB_MAX_BREAKPOINTS);
      for (let i = 0; i < n; i++) {
        bps.add((BigInt(ctl[GdbCtl.BP + 2 * i + 1] >>> 0) << 32n) | BigInt(ctl[GdbCtl.BP + 2 * i] >>> 0));
      }
    }
    return bps;
  };
  return {
    env: cpu.env,
    /** A signal about to be delivered (QEMU's gdb_handlesig): stop, tell gdb, and deliver what
     * gdb's resume says (`C sig`: that signal; `c`: none). */
    handleSig(sig: number): number {
      wait(sig);
      return Atomics.load(ctl, GdbCtl.SIG);
    },
    run(budget: number): number {
      // A stop decided at the end of the last run (after a step: once its system call is done).
      if (pending) { const s = pending; pending = 0; wait(s); }
      if (Atomics.exchange(ctl, GdbCtl.STOP_REQ, 0)) wait(SIGINT);
      if (Atomics.load(ctl, GdbCtl.STEP)) {
        Atomics.store(ctl, GdbCtl.STEP, 0);
        skip = false;
        pending = SIGTRAP;
        return cpu.stepOne(true, true);
      }
      const set = breakpoints();
      if (set.size === 0) { skip = false; return cpu.run(budget); }
      for (let n = 0; n < budget; n++) {
        if (!skip && set.has(cpu.env.pc)) { pending = SIGTRAP; return CpuExit.BUDGET; }
        skip = false;
        if ((n & 0xfff) === 0xfff && Atomics.load(ctl, GdbCtl.STOP_REQ)) return CpuExit.BUDGET;
        const r = cpu.stepOne(n === 0);
        if (r !== CpuExit.BUDGET) return r;
      }
      return CpuExit.BUDGET;
    },
  };
}

/** The main thread's writes before a resume: breakpoints and step. */
export function gdbUserResume(ctl: Int32Array, breakpoints: Iterable<bigint>, step: boolean, sig = 0): void {
  Atomics.store(ctl, GdbCtl.SIG, sig);
  let n = 0;
  for (const a of breakpoints) {
    if (n === GDB_MAX_BREAKPOINTS) break;
    ctl[GdbCtl.BP + 2 * n] = Number(a & 0xffffffffn) | 0;
    ctl[GdbCtl.BP + 2 * n + 1] = Number((a >> 32n) & 0xffffffffn) | 0;
    n++;
  }
  ctl[GdbCtl.NBP] = n;
  Atomics.store(ctl, GdbCtl.STEP, step ? 1 : 0);
  Atomics.add(ctl, GdbCtl.SEQ, 1);
  Atomics.notify(ctl, GdbCtl.SEQ);
}
