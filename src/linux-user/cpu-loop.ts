// cpu_loop: run one guest thread's hart; system calls at ECALL exits, guest faults turned into
// signals with QEMU's/Linux's si_code and si_addr, pending signals delivered between runs.
import { nowMs } from './clock.js';
import { CpuExit } from '../target/riscv/hart.js';
import { type CPURISCVState, TLB_ENTRIES, TlbKind } from '../target/riscv/cpu-state.js';
import { tcgOptions } from '../accel/tcg/tcg-accel.js';
import type { TaskState } from './qemu.js';
import { doSyscall } from './syscall.js';
import { ThreadExit } from './syscall-types.js';
import {
  forceSignal, hasDeliverable, processPendingSignals, TARGET_SIGBUS, TARGET_SIGILL, TARGET_SIGSEGV, TARGET_SIGTRAP,
} from './signal.js';
import { GUEST_BASE, HIGH_END, KernelWord, PAGE_TABLE_OFFSET, PageFlag, TARGET_PAGE_BITS, TARGET_PAGE_SIZE, TASK_SIZE } from './layout.js';
import type { GuestMM } from './mmap.js';
import { highHostOf } from './high-map.js';
import { busFaults, pastEof, takeBusFault } from './shared-map.js';
import { mayBlock, onCpuAdd, onCpuCount, PARK_SLICE_MS, REBALANCE_MS, SPARE_AFTER_MS, SPARE_REBALANCE_MS, TURN_CALLS, TURN_MS } from './thread-host.js';
import { futexParkDone, futexWaitPark, sleepPark, type FutexPark } from './syscall-thread.js';

export interface UserCpu {
  readonly env: CPURISCVState;
  run(budget: number): number;
}

const NO_CAUSE = 0xffffffffffffffffn;
const RUN_BUDGET = 1 << 20;
const NR_CLONE = 220, NR_CLONE3 = 435;
const DIRECT_AFTER_FILLS = 4 * TLB_ENTRIES;
const NEED: Record<TlbKind, number> = {
  [TlbKind.LOAD]: PageFlag.READ | PageFlag.VALID,
  [TlbKind.STORE]: PageFlag.WRITE | PageFlag.VALID,
  [TlbKind.FETCH]: PageFlag.EXEC | PageFlag.VALID,
};

/** The hart's user-mode translation: guest VA -> host offset through the protection table. */
export function installUserMode(env: CPURISCVState, mm: GuestMM): void {
  const pages = mm.pages;
  env.userMode = {
    guestBase: GUEST_BASE,
    // Stores write directly only to pages without EXEC: translated code comes from EXEC pages
    // only, and an mprotect that takes EXEC away drops it (stores to code go the slow way).
    pageTable: {
      table: PAGE_TABLE_OFFSET, limit: TASK_SIZE,
      loadMask: NEED[TlbKind.LOAD] | PageFlag.LOST | PageFlag.EOF, loadNeed: NEED[TlbKind.LOAD],
      storeMask: NEED[TlbKind.STORE] | PageFlag.EXEC | PageFlag.LOST | PageFlag.EOF, storeNeed: NEED[TlbKind.STORE],
      // More fills than the TLB has entries: the data outgrew it. Threshold 1 (the test mode
      // translating everything) emits them from the start.
      afterFills: () => (tcgOptions.threshold === 1 ? 0 : DIRECT_AFTER_FILLS),
    },
    tlbFill(vaddr: bigint, kind: TlbKind): number {
      if (vaddr >= BigInt(TASK_SIZE)) {
        // High memory (high-map.ts): no code there (mmap/mprotect refuse PROT_EXEC).
        if (vaddr >= BigInt(HIGH_END) || kind === TlbKind.FETCH) return -1;
        return highHostOf(mm, Number(vaddr), NEED[kind]);
      }
      const a = Number(vaddr);
      const need = NEED[kind];
      return (pages[a >>> TARGET_PAGE_BITS] & (need | PageFlag.LOST | PageFlag.EOF)) === need ? GUEST_BASE + a : -1;
    },
  };
}

/** Turn the recorded exception into its signal (linux-user/riscv/cpu_loop.c's mapping). */
function raiseFault(ts: TaskState, cause: number, tval: bigint): void {
  const pc = Number(ts.env.pc);
  // si_addr is the whole 64-bit fault address, as qemu-riscv64 reports it.
  const addr = BigInt.asUintN(64, tval);
  switch (cause) {
    case 2: forceSignal(ts, { signo: TARGET_SIGILL, code: 1, addr: pc }); return; // ILL_ILLOPC
    case 3: forceSignal(ts, { signo: TARGET_SIGTRAP, code: 1, addr: pc }); return; // TRAP_BRKPT
    case 0: case 4: case 6: forceSignal(ts, { signo: TARGET_SIGBUS, code: 1, addr }); return; // BUS_ADRALN
    default: {
      // A shared file's page past its end: SIGBUS, unless the file grew back (shared-map.ts).
      const valid = addr < BigInt(TASK_SIZE) && (ts.mm.pageFlags(Number(addr)) & PageFlag.VALID) !== 0;
      if (valid && ts.mm.pageFlags(Number(addr)) & PageFlag.EOF) {
        if (pastEof(ts, Number(addr))) forceSignal(ts, { signo: TARGET_SIGBUS, code: 2, addr }); // BUS_ADRERR
        return;
      }
      if (valid && ts.mm.pageFlags(Number(addr)) & PageFlag.LOST) {
        // MAP_SHARED memory this forked child cannot share with its parent (shared-map.ts).
        ts.proc.log(`tsqemu-riscv64: MAP_SHARED memory at 0x${addr.toString(16)} is not shared with this forked child (no host object for it: see src/linux-user/README.md)\n`);
        forceSignal(ts, { signo: TARGET_SIGBUS, code: 2, addr }); // BUS_ADRERR
        return;
      }
      const mapped = addr < BigInt(HIGH_END) && (ts.mm.pageFlags(Number(addr)) & PageFlag.VALID) !== 0;
      forceSignal(ts, { signo: TARGET_SIGSEGV, code: mapped ? 2 : 1, addr }); // SEGV_ACCERR : SEGV_MAPERR
    }
  }
}

/** Hooks a thread needs before it runs guest code on this worker. */
function prepareThread(ts: TaskState, env: CPURISCVState): void {
  // Code other threads changed (GuestMM.noteCodeChange): dropped before running guest code.
  if (env.userMode) {
    env.userMode.onRun = () => {
      const r = ts.mm.takeCodeChange(ts.slot);
      if (r) ts.mm.onUnmap(r[0], r[1]);
    };
    // fence.i sees code other threads stored (their stores bypass this thread's code tracking).
    env.userMode.pageWritable = (hp) => (ts.mm.pageFlags(hp * TARGET_PAGE_SIZE - GUEST_BASE) & PageFlag.WRITE) !== 0;
  }
}

/** Run until this thread exits (the process's exit never returns here): false; or, when
 * `stopAt` says so at a system call, true with the ecall not made (pc still at it). */
export function cpuLoop(ts: TaskState, cpu: UserCpu, stopAt?: () => boolean): boolean {
  const env = cpu.env;
  prepareThread(ts, env);
  const bus = busFaults(ts.mm);
  try {
    for (;;) {
      env.set64('scause', NO_CAUSE);
      const r = cpu.run(RUN_BUDGET);
      if (r === CpuExit.ECALL) {
        if (stopAt?.()) return true;
        doSyscall(ts);
      } else if (r === CpuExit.EXCEPTION) {
        const cause = env.get64('scause');
        if (cause !== NO_CAUSE) raiseFault(ts, Number(cause), env.get64('stval'));
      }
      // A host SIGBUS the native handler took for this thread (a shared file shrank).
      if (bus[ts.slot] !== 0) takeBusFault(ts, Atomics.exchange(bus, ts.slot, 0) >>> 0);
      if (hasDeliverable(ts)) processPendingSignals(ts);
    }
  } catch (e) {
    if (e instanceof ThreadExit) return false;
    throw e;
  }
}

/** A guest thread a worker runs (thread-host.ts). */
export interface HostedThread { readonly ts: TaskState; readonly cpu: UserCpu }

/** What the worker does for cpuLoopHosted. */
export interface ThreadHost {
  /** The guest threads this worker runs; cpuLoopHosted takes them in turn (clone adds). */
  readonly threads: HostedThread[];
  /** The slot whose bus-fault word the host thread's SIGBUS lands in (its first thread's). */
  readonly busSlot: number;
  /** Host cores: the most workers worth keeping busy. */
  readonly cores: number;
  /** Hand these threads (out of `threads` already) to a new worker of their own. */
  move(threads: HostedThread[]): void;
  /** This thread ended (exit): out of `threads` already. */
  exited(t: HostedThread): void;
  /** Two of its threads are runnable while a host core idles (a split may follow): start a
   * spare worker for it now (the supervisor does it once per process). */
  wantSpare(): void;
  /** This worker's CPU time in ms (what a split waits for: REBALANCE_MS). */
  now(): number;
  /** Set once one of its threads made a call that may block or change the host thread
   * (thread-host.ts mayBlock): the worker is not reused for other threads then. */
  tainted: boolean;
}

/** Run this worker's guest threads in turn until none is left (thread-host.ts). One thread
 * alone runs as cpuLoop runs it; a futex wait of one of several is parked (the worker runs the
 * others and looks at the wait between their turns; it sleeps when all are parked). */
export function cpuLoopHosted(host: ThreadHost): void {
  const threads = host.threads;
  const prepared = new WeakSet<HostedThread>();
  const parked = new Map<HostedThread, FutexPark>();
  const bus = threads.length ? busFaults(threads[0].ts.mm) : new Int32Array(0);
  const kw = threads.length ? threads[0].ts.mm.kw : new Int32Array(1);
  let i = 0, since = 0, calls = 0, turnStart = 0, askedSpare = false;
  while (threads.length) {
    if (i >= threads.length) {
      i = 0;
      // Every thread parked: sleep until a futex wake (or a slice passes: deadlines and
      // signals are looked at then).
      if (parked.size === threads.length) {
        const gen = Atomics.load(kw, KernelWord.FUTEX_GEN);
        let soonest = PARK_SLICE_MS;
        for (const [t, p] of parked) {
          if (futexParkDone(t.ts, p) !== null) { soonest = 0; break; }
          soonest = Math.min(soonest, Math.max(0, p.deadline - nowMs()));
        }
        if (soonest > 0) {
          Atomics.sub(kw, KernelWord.ONCPU, 1);
          Atomics.wait(kw, KernelWord.FUTEX_GEN, gen, soonest);
          Atomics.add(kw, KernelWord.ONCPU, 1);
        }
      }
    }
    const t = threads[i];
    if (!prepared.has(t)) { prepareThread(t.ts, t.cpu.env); prepared.add(t); }
    const { ts, cpu } = t, env = cpu.env;
    // A turn goes on after a system call made here (a program starting threads in a loop
    // starts them all in one turn), for up to TURN_CALLS calls or TURN_MS; a used-up slice
    // ends it.
    let turnEnds = true;
    if (calls === 0) turnStart = Date.now();
    try {
      const park = parked.get(t);
      if (park) {
        const r = futexParkDone(ts, park);
        if (r === null) { i++; continue; }
        parked.delete(t);
        finishSyscall(env, r);
        if (hasDeliverable(ts)) processPendingSignals(ts);
      }
      env.set64('scause', NO_CAUSE);
      const r = cpu.run(RUN_BUDGET);
      if (r === CpuExit.ECALL) {
        let done = false;
        if (threads.length > 1 && !ts.opts.strace) {
          const p = futexWaitPark(ts) ?? sleepPark(ts);
          if (typeof p === 'number') { finishSyscall(env, p); done = true; }
          else if (p) { parked.set(t, p); calls = 0; i++; continue; }
        }
        if (!done && threads.length > 1 && mayBlock(ts)) {
          // It would block the others: to a worker of its own, at the ecall still.
          threads.splice(i, 1); // (i is the next thread's now)
          onCpuAdd(ts, 1); // the new worker counts from now (it starts in this call)
          host.move([t]);
          calls = 0;
          continue;
        }
        if (!done) {
          if (!host.tainted && mayBlock(ts)) host.tainted = true;
          onCpuAdd(ts, -1);
          let back = 1;
          const nr = Number(env.getGpr(17)), t0 = Date.now();
          try { doSyscall(ts); } catch (e) { if (e instanceof ThreadExit && threads.length === 1) back = 0; throw e; } finally { onCpuAdd(ts, back); }
          // A clone's own cost (a new hart here: ms) does not end the turn: a program starting
          // its threads in a loop gets on with it rather than waiting a round of the others'
          // slices after each (a split sees more of its threads).
          if (nr === NR_CLONE || nr === NR_CLONE3) turnStart += Date.now() - t0;
        }
        turnEnds = ++calls >= TURN_CALLS || Date.now() - turnStart >= TURN_MS;
      } else if (r === CpuExit.EXCEPTION) {
        const cause = env.get64('scause');
        if (cause !== NO_CAUSE) raiseFault(ts, Number(cause), env.get64('stval'));
      }
      // A host SIGBUS the native handler took on this host thread: the thread that just ran.
      if (bus[ts.slot] !== 0) takeBusFault(ts, Atomics.exchange(bus, ts.slot, 0) >>> 0);
      if (host.busSlot !== ts.slot && bus[host.busSlot] !== 0) takeBusFault(ts, Atomics.exchange(bus, host.busSlot, 0) >>> 0);
      if (hasDeliverable(ts)) processPendingSignals(ts);
    } catch (e) {
      if (!(e instanceof ThreadExit)) throw e;
      i = threads.indexOf(t); // (the next thread's index once it is out)
      threads.splice(i, 1);
      host.exited(t);
      calls = 0;
      continue;
    }
    if (!turnEnds) continue;
    calls = 0;
    i++;
    const runnable = threads.length - parked.size;
    if (runnable < 2) { since = 0; continue; }
    // A host core idle while these wait their turn: half of the runnable ones to a new worker,
    // once the imbalance has lasted (a program starting its threads has started them all by then).
    if (onCpuCount(ts) < host.cores) {
      const now = host.now();
      if (since === 0) since = now;
      else if (!askedSpare && now - since >= SPARE_AFTER_MS) { askedSpare = true; host.wantSpare(); }
      if (since !== now && now - since >= (Atomics.load(kw, KernelWord.SPARES) > 0 ? SPARE_REBALANCE_MS : REBALANCE_MS)) {
        since = 0;
        const free = threads.filter((x) => !parked.has(x));
        const give = free.slice(free.length - (free.length >> 1));
        for (const g of give) threads.splice(threads.indexOf(g), 1);
        onCpuAdd(ts, 1); // the new worker counts from now: no second split before it starts
        host.move(give);
      }
    } else since = 0;
  }
}

/** A system call answered here (a parked futex wait): a0 = result, past the ecall. */
function finishSyscall(env: CPURISCVState, result: number): void {
  env.setGpr(10, BigInt.asUintN(64, BigInt(result)));
  env.pc = env.pc + 4n;
}
