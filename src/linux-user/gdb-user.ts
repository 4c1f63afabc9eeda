// The guest threads' side of tsqemu-riscv64's GDB stub (QEMU's gdbstub/user.c): the stub runs
// on the main thread (host/node/user-gdb.ts) and talks to the workers that run the guest
// threads through one shared control block. While breakpoints are set or a step is pending a
// thread runs one interpreted instruction at a time with its pc checked before each. gdb's
// all-stop mode: a thread that stops (breakpoint, step, signal) tells the main thread and
// sleeps; the main thread then raises STOP, which every other thread honours before it next
// runs guest code (a thread in a blocking system call does not run guest code, so it does
// not hold the stop up). Registers and memory are in shared memory: the stub reads and writes
// them while the threads sleep.
import { CpuExit } from '../target/riscv/hart.js';
import type { CPURISCVState } from '../target/riscv/cpu-state.js';
import { MAX_THREADS } from './layout.js';

/** Words of the control block (an Int32Array on a SharedArrayBuffer). */
export const enum GdbCtl {
  /** Bumped by each resume: stopped threads wait for it to change. */
  SEQ = 0,
  /** 1: the world is stopped (or stopping): no thread runs guest code, except STEP's. */
  STOP = 1,
  /** slot + 1 of the thread to execute one instruction, then stop (0: none). */
  STEP = 2,
  /** slot + 1 of the thread whose stop gdb was told of (0: none, e.g. Ctrl-C). */
  REPORTED = 3,
  /** Number of breakpoints, then their addresses as lo/hi word pairs. */
  NBP = 4,
  BP = 5,
  /** slot + 1 of the one thread that runs while STOP holds the others (vCont;c:T). */
  ONLY = BP + 2 * 64,
  /** Per thread (slot * PER_SLOT): INCODE, SIG, INSYS. */
  SLOTS = ONLY + 1,
  /** 1 while the thread may be running guest code (run() or a step). */
  INCODE = 0,
  /** The (Linux) signal gdb's resume passes on to this thread's signal stop (0: dropped). */
  SIG = 1,
  /** 1 while the thread is in a system call (pc still on its ecall: gdb is shown pc + 4, as
   * QEMU's cpu_loop advances pc before do_syscall). */
  INSYS = 2,
  PER_SLOT = 3,
}
export const GDB_MAX_BREAKPOINTS = 64;
export const GDB_CTL_WORDS = GdbCtl.SLOTS + GdbCtl.PER_SLOT * MAX_THREADS;
export const gdbSlotWord = (slot: number, w: GdbCtl.INCODE | GdbCtl.SIG | GdbCtl.INSYS): number => GdbCtl.SLOTS + slot * GdbCtl.PER_SLOT + w;

const SIGTRAP = 5;

/** What the debugged thread needs of its hart. */
export interface DebugHart {
  readonly env: CPURISCVState;
  run(budget: number): number;
  stepOne(first: boolean, noIrq?: boolean): number;
}

/**
 * A run() for cpu_loop that honours the stub: `report(sig, seq)` tells the main thread this
 * thread stopped (`seq`: the resume it ran under; a report from an older one is stale).
 */
export function gdbUserRunner(cpu: DebugHart, ctl: Int32Array, slot: number, report: (sig: number, seq: number) => void):
{ env: CPURISCVState; run(budget: number): number; handleSig(sig: number): number; syscallEnd(): void } {
  const me = slot + 1, incode = gdbSlotWord(slot, GdbCtl.INCODE), insys = gdbSlotWord(slot, GdbCtl.INSYS);
  let pending = 0;
  let skip = false;
  let seenSeq = -1;
  let bps = new Set<bigint>();
  Atomics.store(ctl, incode, 0);
  Atomics.store(ctl, insys, 0);
  /** No world stop holds this thread: it steps, or runs alone, or all run. */
  const mayRun = (): boolean => !Atomics.load(ctl, GdbCtl.STOP) || Atomics.load(ctl, GdbCtl.STEP) === me || Atomics.load(ctl, GdbCtl.ONLY) === me;
  /** Sleep until gdb lets this thread run (sig: this thread's own stop, 0: held by another's).
   * True when gdb was told of this thread's stop (another thread's may have won the race). */
  const park = (sig: number): boolean => {
    let seq = Atomics.load(ctl, GdbCtl.SEQ);
    if (sig) report(sig, seq);
    let seen = false;
    for (;;) {
      while (Atomics.load(ctl, GdbCtl.SEQ) === seq) Atomics.wait(ctl, GdbCtl.SEQ, seq, 1000);
      seq = Atomics.load(ctl, GdbCtl.SEQ);
      if (Atomics.load(ctl, GdbCtl.REPORTED) === me) seen = true;
      // (A step of another thread alone: this one stays stopped.)
      if (mayRun()) return seen;
    }
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
  const runCode = (budget: number): number => {
    if (Atomics.load(ctl, GdbCtl.STEP) === me) {
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
      if ((n & 0xfff) === 0xfff && !mayRun()) return CpuExit.BUDGET;
      const r = cpu.stepOne(n === 0);
      if (r !== CpuExit.BUDGET) return r;
    }
    return CpuExit.BUDGET;
  };
  return {
    env: cpu.env,
    /** A signal about to be delivered (QEMU's gdb_handlesig): stop, tell gdb, and deliver what
     * gdb's resume says (`C sig`: that signal; `c`: none). A signal stop gdb was not told of
     * (another thread's stop came first) is reported again at the next resume. */
    handleSig(sig: number): number {
      Atomics.store(ctl, insys, 0);
      while (!park(sig)) { /* reported again */ }
      return Atomics.load(ctl, gdbSlotWord(slot, GdbCtl.SIG));
    },
    /** A system call ends (its result not written yet): not while the world is stopped. */
    syscallEnd(): void {
      // (Not a step's own system call: its stop comes right after.)
      while (!pending && !mayRun()) park(0);
      Atomics.store(ctl, insys, 0);
    },
    run(budget: number): number {
      Atomics.store(ctl, insys, 0);
      // A stop decided at the end of the last run (after a step: once its system call is
      // done). A step gdb was not told of is forgotten (gdb steps again if it still wants to).
      if (pending) { const s = pending; pending = 0; skip = park(s) && s === SIGTRAP; }
      for (;;) {
        // (Dekker's order with the main thread's STOP-then-INCODE: one of us sees the other.)
        Atomics.store(ctl, incode, 1);
        if (mayRun()) break;
        Atomics.store(ctl, incode, 0);
        park(0);
      }
      let r: number = CpuExit.EXCEPTION;
      try {
        r = runCode(budget);
        return r;
      } finally {
        if (r === CpuExit.ECALL) Atomics.store(ctl, insys, 1);
        Atomics.store(ctl, incode, 0);
      }
    },
  };
}

/** The main thread's writes before a resume: breakpoints, the thread to step (-1: none) and
 * whether the other threads stay stopped meanwhile, or the one thread to run (-1: all). */
export function gdbUserResume(ctl: Int32Array, breakpoints: Iterable<bigint>, stepSlot: number, hold: boolean, only = -1): void {
  let n = 0;
  for (const a of breakpoints) {
    if (n === GDB_MAX_BREAKPOINTS) break;
    ctl[GdbCtl.BP + 2 * n] = Number(a & 0xffffffffn) | 0;
    ctl[GdbCtl.BP + 2 * n + 1] = Number((a >> 32n) & 0xffffffffn) | 0;
    n++;
  }
  ctl[GdbCtl.NBP] = n;
  Atomics.store(ctl, GdbCtl.STEP, stepSlot + 1);
  Atomics.store(ctl, GdbCtl.ONLY, only + 1);
  Atomics.store(ctl, GdbCtl.STOP, (stepSlot >= 0 && hold) || only >= 0 ? 1 : 0);
  Atomics.add(ctl, GdbCtl.SEQ, 1);
  Atomics.notify(ctl, GdbCtl.SEQ);
}
