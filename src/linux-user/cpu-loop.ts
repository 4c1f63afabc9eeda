// cpu_loop: run one guest thread's hart; system calls at ECALL exits, guest faults turned into
// signals with QEMU's/Linux's si_code and si_addr, pending signals delivered between runs.
import { CpuExit } from '../target/riscv/hart.js';
import { type CPURISCVState, TlbKind } from '../target/riscv/cpu-state.js';
import type { TaskState } from './qemu.js';
import { doSyscall } from './syscall.js';
import { ThreadExit } from './syscall-types.js';
import {
  forceSignal, hasDeliverable, processPendingSignals, TARGET_SIGBUS, TARGET_SIGILL, TARGET_SIGSEGV, TARGET_SIGTRAP,
} from './signal.js';
import { GUEST_BASE, PageFlag, TARGET_PAGE_BITS, TARGET_PAGE_SIZE, TASK_SIZE } from './layout.js';
import type { GuestMM } from './mmap.js';
import { busFaults, pastEof, takeBusFault } from './shared-map.js';

export interface UserCpu {
  readonly env: CPURISCVState;
  run(budget: number): number;
}

const NO_CAUSE = 0xffffffffffffffffn;
const RUN_BUDGET = 1 << 20;
const NEED: Record<TlbKind, number> = {
  [TlbKind.LOAD]: PageFlag.READ | PageFlag.VALID,
  [TlbKind.STORE]: PageFlag.WRITE | PageFlag.VALID,
  [TlbKind.FETCH]: PageFlag.EXEC | PageFlag.VALID,
};

/** The hart's user-mode translation: guest VA -> host offset through the protection table. */
export function installUserMode(env: CPURISCVState, mm: GuestMM): void {
  const pages = mm.pages;
  env.userMode = {
    tlbFill(vaddr: bigint, kind: TlbKind): number {
      if (vaddr >= BigInt(TASK_SIZE)) return -1;
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
      if (addr < BigInt(TASK_SIZE) && ts.mm.pageFlags(Number(addr)) & PageFlag.EOF) {
        if (pastEof(ts, Number(addr))) forceSignal(ts, { signo: TARGET_SIGBUS, code: 2, addr }); // BUS_ADRERR
        return;
      }
      if (addr < BigInt(TASK_SIZE) && ts.mm.pageFlags(Number(addr)) & PageFlag.LOST) {
        // MAP_SHARED memory this forked child cannot share with its parent (shared-map.ts).
        ts.proc.log(`tsqemu-riscv64: MAP_SHARED memory at 0x${addr.toString(16)} is not shared with this forked child (no host object for it: see src/linux-user/README.md)\n`);
        forceSignal(ts, { signo: TARGET_SIGBUS, code: 2, addr }); // BUS_ADRERR
        return;
      }
      const mapped = addr < BigInt(TASK_SIZE) && (ts.mm.pageFlags(Number(addr)) & PageFlag.VALID) !== 0;
      forceSignal(ts, { signo: TARGET_SIGSEGV, code: mapped ? 2 : 1, addr }); // SEGV_ACCERR : SEGV_MAPERR
    }
  }
}

/** Run until this thread exits (the process's exit never returns here). */
export function cpuLoop(ts: TaskState, cpu: UserCpu): void {
  const env = cpu.env;
  // Code other threads changed (GuestMM.noteCodeChange): dropped before running guest code.
  if (env.userMode) {
    env.userMode.onRun = () => {
      const r = ts.mm.takeCodeChange(ts.slot);
      if (r) ts.mm.onUnmap(r[0], r[1]);
    };
    // fence.i sees code other threads stored (their stores bypass this thread's code tracking).
    env.userMode.pageWritable = (hp) => (ts.mm.pageFlags(hp * TARGET_PAGE_SIZE - GUEST_BASE) & PageFlag.WRITE) !== 0;
  }
  const bus = busFaults(ts.mm);
  try {
    for (;;) {
      env.set64('scause', NO_CAUSE);
      const r = cpu.run(RUN_BUDGET);
      if (r === CpuExit.ECALL) doSyscall(ts);
      else if (r === CpuExit.EXCEPTION) {
        const cause = env.get64('scause');
        if (cause !== NO_CAUSE) raiseFault(ts, Number(cause), env.get64('stval'));
      }
      // A host SIGBUS the native handler took for this thread (a shared file shrank).
      if (bus[ts.slot] !== 0) takeBusFault(ts, Atomics.exchange(bus, ts.slot, 0) >>> 0);
      if (hasDeliverable(ts)) processPendingSignals(ts);
    }
  } catch (e) {
    if (e instanceof ThreadExit) return;
    throw e;
  }
}
