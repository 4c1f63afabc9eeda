// The hart side of -accel tcg,thread=multi (QEMU's mttcg_cpu_thread_fn): one hart runs its CPU
// loop on its own thread, over the shared guest memory, with its own soft TLB and translated
// code. Device accesses go to the main thread, which owns every device (QEMU's BQL): the
// request sits in this hart's mailbox and the hart waits on it (Atomics.wait). The main thread
// drives the hart's interrupt lines (mip, atomically, in the shared state block) and wakes it
// from wfi with Atomics.notify on its exit_request word.
import { AddressSpace, type MemoryRegionOps } from '../exec/memory.js';
import { STATE } from '../target/riscv/cpu-state.js';
import { CpuExit } from '../target/riscv/hart.js';
import type { RISCVCPU } from '../target/riscv/cpu.js';
import type { RISCVTimerService } from '../target/riscv/priv-ext.js';

/** Words of one hart's control block (Int32Array over the control SharedArrayBuffer). */
export const enum Ctl {
  /** Mailbox: 0 idle, 1 request posted, 2 answered. */
  MB_STATE = 0, MB_OP = 1, MB_SIZE = 2, MB_PA_LO = 3, MB_PA_HI = 4, MB_V_LO = 5, MB_V_HI = 6, MB_OK = 7,
  /** 0 run, 1 park, 2 exit (set by the main thread). */
  RUN = 8,
  /** 1 while parked (or gone). */
  PARKED = 9,
  /** 1 while the hart waits in wfi (the monitor's "halted"). */
  SLEEPING = 11,
  WORDS = 16,
}
export const MB_LOAD = 1, MB_STORE = 2;
/** The last word of the control buffer: a counter bumped (and notified) at every request and
 * park, which the main thread waits on while it pauses the harts. */
export const ctlBytes = (nharts: number): number => (nharts * Ctl.WORDS + 1) * 4;
export const doorbellIndex = (nharts: number): number => nharts * Ctl.WORDS;

/** The clock block (BigInt64Array): mtime = MTIME0 + (hostNs - HOST0) * freq / 1e9 while
 * RUNNING, else MTIME0, for the harts' `time` CSR and the CLINT's mtime register alike. The
 * main thread rewrites it under a sequence count (SEQ odd while writing). */
export const enum Clk { HOST0 = 0, MTIME0 = 1, RUNNING = 2, FREQ = 3, SEQ = 4, WORDS = 5 }

/** mtime now, from the clock block. */
export function readMtime(clk: BigInt64Array, hostNs: () => bigint): bigint {
  for (;;) {
    const seq = Atomics.load(clk, Clk.SEQ);
    if (seq & 1n) continue;
    const t = clk[Clk.RUNNING] ? clk[Clk.MTIME0] + ((hostNs() - clk[Clk.HOST0]) * clk[Clk.FREQ]) / 1_000_000_000n : clk[Clk.MTIME0];
    if (Atomics.load(clk, Clk.SEQ) === seq) return BigInt.asUintN(64, t);
  }
}

/** Rewrite the clock block: mtime is `mtime0` now, and counts on while `running`. */
export function writeMtime(clk: BigInt64Array, hostNs: bigint, mtime0: bigint, running: boolean): void {
  Atomics.add(clk, Clk.SEQ, 1n);
  clk[Clk.HOST0] = hostNs;
  clk[Clk.MTIME0] = mtime0;
  clk[Clk.RUNNING] = running ? 1n : 0n;
  Atomics.add(clk, Clk.SEQ, 1n);
}

/** Instructions per run() call between checks of the control block. */
const SLICE = 50_000;
/** Longest wfi sleep before looking again (ms): bounds a lost wake-up. */
const WFI_WAIT_MS = 50;

/** Ring the main thread's doorbell: a device access or a park is waiting. */
export type Doorbell = () => void;

/** The physical address space as a hart thread sees it: RAM is the shared memory, everything
 * else (device registers, PCI BARs wherever the guest put them) goes to the main thread. */
export class RemoteAddressSpace extends AddressSpace {
  constructor(memory: WebAssembly.Memory, private readonly ctl: Int32Array, private readonly at: number,
    private readonly bell: Doorbell) {
    super(memory);
  }

  private call(op: number, pa: number, size: number, value: bigint): boolean {
    const c = this.ctl, o = this.at;
    c[o + Ctl.MB_OP] = op;
    c[o + Ctl.MB_SIZE] = size;
    c[o + Ctl.MB_PA_LO] = pa % 2 ** 32;
    c[o + Ctl.MB_PA_HI] = Math.floor(pa / 2 ** 32);
    c[o + Ctl.MB_V_LO] = Number(value & 0xffffffffn);
    c[o + Ctl.MB_V_HI] = Number((value >> 32n) & 0xffffffffn);
    Atomics.store(c, o + Ctl.MB_STATE, 1);
    this.bell();
    while (Atomics.load(c, o + Ctl.MB_STATE) === 1) Atomics.wait(c, o + Ctl.MB_STATE, 1);
    const ok = c[o + Ctl.MB_OK] !== 0;
    Atomics.store(c, o + Ctl.MB_STATE, 0);
    this.afterCall?.();
    return ok;
  }

  /** Run after each round trip to the main thread (which may take long on a busy host): the
   * hart thread checks its own timers there (hartThreadLoop's slices are counted in
   * instructions, and a slice of device accesses may take far longer than a tick). */
  afterCall: (() => void) | null = null;

  /** Device registers this thread handles itself (the CLINT's msip words: mttcgMswi). */
  readonly local: Array<{ base: number; size: number; ops: MemoryRegionOps }> = [];

  private localOps(pa: number, size: number): MemoryRegionOps | undefined {
    for (const r of this.local) if (pa >= r.base && pa + size <= r.base + r.size && size === 4 && (pa & 3) === 0) return r.ops;
    return undefined;
  }

  override load(pa: number, size: number): bigint | undefined {
    if (this.ramHostOffset(pa, size) >= 0) return super.load(pa, size);
    const l = this.local.length ? this.localOps(pa, size) : undefined;
    if (l) return BigInt(l.read(pa - this.local[0].base, size) >>> 0);
    if (!this.call(MB_LOAD, pa, size, 0n)) return undefined;
    const c = this.ctl, o = this.at;
    return (BigInt(c[o + Ctl.MB_V_HI] >>> 0) << 32n) | BigInt(c[o + Ctl.MB_V_LO] >>> 0);
  }

  override store(pa: number, size: number, value: bigint): boolean {
    if (this.ramHostOffset(pa, size, true) >= 0) return super.store(pa, size, value);
    const l = this.local.length ? this.localOps(pa, size) : undefined;
    if (l) { l.write(pa - this.local[0].base, size, Number(value & 0xffffffffn)); return true; }
    return this.call(MB_STORE, pa, size, value);
  }
}

/**
 * The CLINT's MSWI (one msip word per hart, its MSIP bit) straight from a hart thread: an IPI is
 * an atomic change of the target's mip plus a wake-up, which needs nothing of the main thread
 * (each round trip there costs a wake-up of its event loop; OpenSBI sends and clears an IPI
 * with four of them). Words past the harts read 0 and ignore writes, as the device.
 */
export function mttcgMswi(mem32: Int32Array, stateBases: readonly number[]): MemoryRegionOps {
  const MSIP = 1 << 3;
  const mip = (h: number) => (stateBases[h] + STATE.mip.offset) >> 2;
  return {
    read: (offset) => {
      const h = offset >> 2;
      return h < stateBases.length ? (Atomics.load(mem32, mip(h)) & MSIP ? 1 : 0) : 0;
    },
    write: (offset, _size, value) => {
      const h = offset >> 2;
      if (h >= stateBases.length) return;
      if (value & 1) Atomics.or(mem32, mip(h), MSIP); else Atomics.and(mem32, mip(h), ~MSIP);
      const ex = (stateBases[h] + STATE.exit_request.offset) >> 2;
      Atomics.store(mem32, ex, 1);
      Atomics.notify(mem32, ex);
    },
  };
}

/** The hart's mtime (its `time` CSR), from the clock block: never goes back on this thread. */
export function hartMtime(clk: BigInt64Array, hostNs: () => bigint): () => bigint {
  let last = 0n;
  return () => {
    const t = readMtime(clk, hostNs);
    if (t > last) last = t;
    return last;
  };
}

/** Sstc on a hart thread: its timers (stimecmp, vstimecmp) are deadlines in mtime ticks that the
 * hart checks itself at every slice boundary and sleeps in wfi until, so a timer tick costs no
 * message to the main thread and no wake-up of its event loop (two per tick before: the arm
 * message, then the main loop's timer). */
export class HartTimerProxy {
  readonly fires: Array<() => void> = [];
  /** Each timer's deadline (mtime ticks), -1n while disarmed. */
  private readonly due: bigint[] = [];
  constructor(private readonly mtime: () => bigint, private readonly freq: number, private readonly cpu: () => RISCVCPU) {}

  service(): RISCVTimerService {
    return {
      now: this.mtime,
      newTimer: (fire) => {
        const idx = this.fires.push(fire) - 1;
        this.due.push(-1n);
        return { arm: (tick) => { this.due[idx] = tick === null ? -1n : tick; } };
      },
      setMip: (mask, level) => this.cpu().setMip(mask, level),
    };
  }

  /** Whether a timer is due now (the hart should leave its block and poll). */
  isDue(): boolean {
    let now = -1n;
    for (const d of this.due) {
      if (d < 0n) continue;
      if (now < 0n) now = this.mtime();
      if (now >= d) return true;
    }
    return false;
  }

  /** Fire the timers that are due; milliseconds until the next one (Infinity: none armed). */
  poll(): number {
    let next = Infinity;
    let now = -1n;
    for (let i = 0; i < this.due.length; i++) {
      if (this.due[i] < 0n) continue;
      if (now < 0n) now = this.mtime();
      if (now >= this.due[i]) {
        this.due[i] = -1n;
        this.fires[i](); // may arm it again
        if (this.due[i] < 0n) continue;
      }
      next = Math.min(next, (Number(this.due[i] - now) * 1000) / this.freq);
    }
    return next;
  }
}

/** Run hart `cpu` until told to exit. */
export function hartThreadLoop(cpu: RISCVCPU, ctl: Int32Array, at: number, bell: Doorbell, timers: HartTimerProxy): void {
  const env = cpu.env;
  const mem32 = new Int32Array(env.as.memory.buffer);
  const exitIdx = (env.base + STATE.exit_request.offset) >> 2;
  const tbs = cpu.tbCache;
  for (;;) {
    const run = Atomics.load(ctl, at + Ctl.RUN);
    if (run !== 0) {
      if (run === 2) break;
      Atomics.store(ctl, at + Ctl.PARKED, 1);
      bell();
      while (Atomics.load(ctl, at + Ctl.RUN) === 1) Atomics.wait(ctl, at + Ctl.RUN, 1);
      Atomics.store(ctl, at + Ctl.PARKED, 0);
      continue;
    }
    tbs.drainShared();
    const nextMs = timers.poll();
    if (Atomics.load(ctl, at + Ctl.SLEEPING)) {
      // wfi: exit_request is the wake-up word (a device's mip change, a timer, a queue push,
      // a pause all raise it and notify).
      Atomics.store(mem32, exitIdx, 0);
      if (!cpu.hasPendingInterrupt() && Atomics.load(ctl, at + Ctl.RUN) === 0) {
        Atomics.wait(mem32, exitIdx, 0, Math.min(WFI_WAIT_MS, Math.max(0, nextMs)));
        continue;
      }
      Atomics.store(ctl, at + Ctl.SLEEPING, 0);
    }
    const r = cpu.run(SLICE);
    if (r === CpuExit.WFI || r === CpuExit.HALTED) Atomics.store(ctl, at + Ctl.SLEEPING, 1);
  }
  Atomics.store(ctl, at + Ctl.PARKED, 1);
  bell();
}
