// RISCVCPU: one hart = its state block (CPURISCVState) + an instance of the interpreter module
// bound to it. The TypeScript side of the wasm imports lives here: helper wrappers that turn
// priv's statuses into the generated code's (0 next, 1 reload pc, >= 2 leave with CpuExit).
import type { AddressSpace } from '../../exec/memory.js';
import { CPU_STATE_SIZE, CPURISCVState, STATE, TlbKind } from './cpu-state.js';
import { MMIO_HOST, riscvFetchSlow, riscvSlowLoad, riscvSlowStore, riscvXlate } from './cpu-ldst.js';
import { helperFp } from './fpu_helper.js';
import { helperVector } from './vector_helper.js';
import { vectorCsrInit } from './vector_csr.js';
import { riscvCpuCfgKey } from './cpu-cfg.js';
import { CpuExit, type RISCVHart } from './hart.js';
import { buildInterpreter, EXIT_COMPILE } from './interpreter.js';
import { TBCache } from './tb-cache.js';
import { HighRamWindow, riscvSetHighRamWindow } from './hiram-window.js';
import { MEMOP_RVC } from './translate.js';
import { tcgOptions } from '../../accel/tcg/tcg-accel.js';
import { LogMask, qemuLog, qemuLogEnabled } from '../../qemu/log.js';
import { riscvCsrrw } from './csr.js';
import { type RISCVTimerService, riscvSetTimerService } from './priv-ext.js';
import './cpu-models.js';
import { riscvHelperHyp } from './hyp_helper.js';
import { riscvCheckTriggers, riscvTriggersArmed } from './debug.js';
import { riscvPmuCheckOverflow } from './pmu.js';
import { riscvCpuExecInterrupt, riscvCpuReset, riscvRaiseException } from './cpu_helper.js';
import {
  HelperStatus, riscvHelperEbreak, riscvHelperEcall, riscvHelperFenceI, riscvHelperMret, riscvHelperSfenceVma,
  riscvHelperSret, riscvHelperWfi,
} from './op_helper.js';

export interface RISCVCPUOptions {
  as: AddressSpace;
  cpuStateOffset: number;
  nharts: number;
  rdtime: () => bigint;
}

const interpModules = new Map<string, WebAssembly.Module>();

/** Where generated interpreter bytes may be kept between runs (the host's: a disk cache); the
 * bytes depend only on the key (the -cpu configuration, -d exec) and the emulator's own code. */
export interface WasmModuleCache {
  load(key: string): Uint8Array | null;
  store(key: string, bytes: Uint8Array): void;
  /** A module the host already compiled from exactly these bytes (interp-prefetch.ts), if any,
   * and where it came from (info jit). */
  compiled?(bytes: Uint8Array): { module: WebAssembly.Module; origin: string } | null;
  /** The module compiled here from the bytes last loaded or stored (interp-code-cache.ts keeps
   * its compiled code). */
  compiledHere?(bytes: Uint8Array, module: WebAssembly.Module): void;
}
let interpCache: WasmModuleCache | null = null;
/** Where this thread's last interpreter module came from (info jit). */
let interpOrigin = 'not compiled';
export function setRiscvInterpreterCache(c: WasmModuleCache | null): void { interpCache = c; }

/** The interpreter is generated and compiled once per process (thread) and shared by harts;
 * with -d exec, a variant whose dispatcher reports each translated block. Another thread's
 * compiled module can be adopted (riscvAdoptInterpreterModules): generating it costs far more
 * than running a short program. */
export function riscvInterpreterModule(): WebAssembly.Module {
  const logExec = qemuLogEnabled(LogMask.CPU_LOG_EXEC);
  const key = `${logExec ? 'exec' : 'run'}-${riscvCpuCfgKey()}`;
  let m = interpModules.get(key);
  if (!m) interpModules.set(key, (m = compileInterpreter(key, logExec)));
  return m;
}

function compileInterpreter(key: string, logExec: boolean): WebAssembly.Module {
  const cached = interpCache?.load(key);
  if (cached) {
    const pre = interpCache?.compiled?.(cached);
    interpOrigin = pre ? pre.origin : 'from the disk cache';
    if (pre) return pre.module;
    try {
      const m = new WebAssembly.Module(cached);
      interpCache?.compiledHere?.(cached, m);
      return m;
    } catch { /* stale or damaged: generate */ }
  }
  const bytes = buildInterpreter(logExec);
  interpOrigin = 'generated';
  interpCache?.store(key, bytes);
  const m = new WebAssembly.Module(bytes);
  interpCache?.compiledHere?.(bytes, m);
  return m;
}

/** The interpreter modules this thread compiled (for other threads: WebAssembly.Module is
 * shareable between workers, the compiled code too). */
export function riscvInterpreterModules(): Array<[string, WebAssembly.Module]> { return [...interpModules]; }
export function riscvAdoptInterpreterModules(mods: Array<[string, WebAssembly.Module]>): void {
  for (const [k, m] of mods) if (!interpModules.has(k)) { interpModules.set(k, m); interpOrigin = 'another thread\'s'; }
}

/** Helper statuses seen by generated code. */
const enum St { NEXT = 0, RELOAD = 1, EXIT = 2 }
const MIP = STATE.mip.offset;
/** Hot blocks are compiled once this many are collected (or see tcgOptions.batchInsns). */
const HOT_BATCH = 250;
/** Most instructions per entry into the interpreter while the compiler is on. */
const RUN_CHUNK = 50_000;
/** What one vector helper call counts for in a hot batch's wait (interpreted instructions of
 * the same time, roughly): vector loops in the interpreter are helper calls of microseconds, so
 * their blocks are compiled (wasm SIMD, trans_rvv_simd.ts) sooner. */
const VEC_CALL_WEIGHT = 200;

/**
 * What the harts of one guest memory share on this thread: the wasm imports (helpers act on the
 * hart now running, `cur`), the interpreter instance and the translated-block cache.
 */
class TcgRuntime {
  cur: RISCVCPU | null = null;
  readonly envs: CPURISCVState[] = [];
  readonly tbs: TBCache;
  readonly imports: WebAssembly.Imports;
  readonly runFn: (env: number, budget: number) => number;
  /** Pages of RAM beyond the wasm memory held in it (hiram-window.ts), when there is such RAM. */
  readonly hiRam: HighRamWindow | null = null;
  /** The window evicted a page since the interpreter last restarted (it may cache that slot as
   * its fetch page): helpers then return a status that restarts it. */
  private evictions = 0;
  /** Vector helper calls so far (the batch wait weighs them, see VEC_CALL_WEIGHT). */
  vecCalls = 0;
  /** Instructions (weighed) run by all harts of this runtime while some had hot blocks
   * waiting: a hart's batch waits for the others' instructions too, so a block that got hot on
   * a hart that then runs little (a secondary hart spinning on a flag, 20k-instruction slices
   * among -smp N harts) is not left to the interpreter for N times as long. */
  hotClock = 0;

  constructor(as: AddressSpace) {
    this.tbs = new TBCache(as, this.envs, () => this.imports, tcgOptions.tbSizeMiB * 1024 * 1024,
      tcgOptions.oneInsnPerTb ? 1 : undefined, tcgOptions.asyncCompile, tcgOptions.regionInsns);
    this.tbs.inlineLeaves = tcgOptions.inlineLeaves;
    const tbs = this.tbs;
    const hi = as.highRamWindow ? new HighRamWindow(as, as.highRamWindow, this.envs, (h, n) => { tbs.invalidateHostRange(h, n); }) : null;
    if (hi) riscvSetHighRamWindow(as, (this.hiRam = hi));
    const evicted = () => hi !== null && hi.evictions !== this.evictions;
    const cpu = (): RISCVCPU => this.cur as RISCVCPU;
    const helper = (fn: (e: CPURISCVState) => number) => () => cpu().status(fn(cpu().env));
    // Vector elements go through the slow paths; a store into translated code drops it.
    const vmem = {
      load: (lo: number, hi: number, op: number) => riscvSlowLoad(cpu().env, lo, hi, op),
      store: (lo: number, hi: number, op: number) => {
        const env = cpu().env;
        const s = riscvSlowStore(env, lo, hi, op);
        if (s === 0 && tbs.hasCode) tbs.noteStore(env, lo, hi, 1 << (op & 3));
        return s;
      },
      // A page's host offset (whole-page runs of elements); `len` bytes will be written.
      xlate: (lo: number, hi: number, kind: TlbKind, size: number, len: number) => {
        const host = riscvXlate(cpu().env, lo, hi, kind, size);
        if (host >= 0 && kind === TlbKind.STORE && tbs.hasCode) tbs.invalidateHostRange(host, len);
        return host;
      },
    };
    this.imports = {
      env: {
        memory: as.memory,
        tbs: tbs.table,
        // Status 1 with no exception after an eviction: the instruction runs again. An eviction
        // seen before the access restarts first, so a device read is never done twice.
        slowLoad: (lo: number, vhi: number, op: number) => {
          if (evicted()) return 1;
          const s = riscvSlowLoad(cpu().env, lo, vhi, op);
          return s === 0 && evicted() ? 1 : s;
        },
        slowStore: (lo: number, vhi: number, op: number) => {
          const c = cpu(), env = c.env;
          const pc = tbs.hasCode || hi ? env.pc : 0n;
          const s = riscvSlowStore(env, lo, vhi, op);
          // A store into translated code: drop it and leave the block after this instruction.
          if (s === 0 && ((tbs.hasCode && tbs.noteStore(env, lo, vhi, 1 << (op & 3))) || evicted())) {
            return c.completed(pc, op & MEMOP_RVC ? 2 : 4);
          }
          return s;
        },
        xlate: (lo: number, vhi: number, kind: TlbKind, size: number) => {
          const host = riscvXlate(cpu().env, lo, vhi, kind, size);
          // After an eviction an atomic takes the slow path, which restarts (a fetch's check,
          // from a translated block, needs no restart: the dispatcher forgets its fetch page).
          if (host >= 0 && kind !== TlbKind.FETCH && evicted()) return MMIO_HOST;
          if (host >= 0 && kind === TlbKind.STORE && tbs.hasCode) tbs.invalidateHostRange(host, size);
          return host;
        },
        raise: (cause: number, lo: number, hi: number) => riscvRaiseException(cpu().env, cause, vaOf(lo, hi)),
        csr: (csrno: number, rd: number, op: number, writes: number, insn: number) => {
          const c = cpu(), env = c.env;
          const pc = env.pc, exc0 = env.exceptions;
          const s = riscvCsrrw(env, csrno, rd, env.get64('scratch'), op, writes !== 0, insn);
          return s === St.RELOAD ? c.completed(pc, 4, exc0) : c.status(s);
        },
        mret: helper(riscvHelperMret),
        sret: helper(riscvHelperSret),
        wfi: helper(riscvHelperWfi),
        fencei: () => {
          const env = cpu().env;
          const writable = env.userMode?.pageWritable;
          if (writable) tbs.invalidatePagesWhere(writable);
          const c = cpu(), pc = env.pc;
          const s = c.status(riscvHelperFenceI(env));
          // thread=multi: other harts' stores into code this thread translated are dropped now,
          // and the block (maybe among them) is left after the fence.i.
          if (s !== 0 || !tbs.share) return s;
          const drained = tbs.drainShared(), stale = tbs.verifyShared();
          return drained || stale ? c.completed(pc, 4) : s;
        },
        ecall: helper(riscvHelperEcall),
        ebreak: helper(riscvHelperEbreak),
        sfence: (rs1: number, rs2: number) => {
          const c = cpu(), env = c.env;
          const pc = env.pc, exc0 = env.exceptions;
          const s = riscvHelperSfenceVma(env, rs1, rs2);
          return s === St.RELOAD ? c.completed(pc, 4, exc0) : c.status(s);
        },
        hyp: (insn: number) => {
          const c = cpu(), env = c.env;
          const pc = env.pc, exc0 = env.exceptions;
          const s = riscvHelperHyp(env, insn);
          return s === St.RELOAD ? c.completed(pc, 4, exc0) : c.status(s);
        },
        fp: (op: number, rd: number, rs1: number, rs2: number, rs3: number, rm: number) =>
          (helperFp(cpu().env, op, rd, rs1, rs2, rs3, rm) ? 1 : 0),
        fetchSlow: () => {
          const s = riscvFetchSlow(cpu().env);
          return s === 0 && evicted() ? 1 : s;
        },
        vec: (insn: number) => {
          const c = cpu(), env = c.env;
          const pc = hi ? env.pc : 0n;
          this.vecCalls++;
          const s = helperVector(env, insn, vmem);
          return s === 0 && evicted() ? c.completed(pc, 4) : s;
        },
        rdtime: () => cpu().env.rdtime(),
        restart: (status: number) => {
          if (hi) this.evictions = hi.evictions;
          return cpu().onRestart(status);
        },
        // QEMU's "Trace cpu: host-pointer [cs_base/pc/flags/cflags]"; ours: the block's table
        // index (0: the interpreter runs it), flags = the privilege level.
        logExec: (lo: number, hi: number, idx: number) => {
          const env = cpu().env;
          const pc = ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16).padStart(16, '0');
          qemuLog(`Trace ${env.hartid}: 0x${idx.toString(16)} [0000000000000000/${pc}/${env.priv.toString(16).padStart(8, '0')}/00000000] \n`);
        },
      },
    };
    const inst = new WebAssembly.Instance(riscvInterpreterModule(), this.imports);
    this.runFn = inst.exports.run as (env: number, budget: number) => number;
    // Translated blocks call the interpreter's M-extension runtime.
    this.imports.rvm = inst.exports;
    as.onRamWrite = (pa, len) => {
      if (!tbs.hasCode) return;
      const host = as.ramHostOffset(pa, len);
      if (host >= 0) tbs.invalidateHostRange(host, len);
      else if (hi?.size) hi.forResident(pa, len, (h) => { tbs.invalidateHostRange(h, 4096); });
    };
  }
}

const runtimes = new WeakMap<AddressSpace, TcgRuntime>();
function runtimeOf(as: AddressSpace): TcgRuntime {
  let rt = runtimes.get(as);
  if (!rt) runtimes.set(as, (rt = new TcgRuntime(as)));
  return rt;
}

const vaOf = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

export class RISCVCPU implements RISCVHart {
  readonly env: CPURISCVState;
  private readonly rt: TcgRuntime;
  private readonly i32: Int32Array;
  private readonly threshold: number;
  /** rt.hotClock when this hart's first waiting block got hot, or -1 (none waits). */
  private hotSince = -1;
  /** Instructions of the next interpreter chunk while blocks wait: fewer after a chunk of
   * vector helper calls, so the wait is checked about as often in time. */
  private chunkInsns = RUN_CHUNK;
  /** gdb's stepi: pending interrupts wait (QEMU's SSTEP_NOIRQ default). */
  private noIrq = false;
  private readonly batchInsns = qemuLogEnabled(LogMask.CPU_LOG_EXEC) ? 1 : tcgOptions.batchInsns;

  constructor(as: AddressSpace, base: number, readonly hartid: number, rdtime: () => bigint) {
    vectorCsrInit();
    const env = (this.env = new CPURISCVState(as, base, hartid));
    env.rdtime = rdtime;
    this.i32 = new Int32Array(as.memory.buffer);
    this.rt = runtimeOf(as);
    this.rt.envs.push(env);
    // -d exec traces translated blocks: everything is translated then, so the trace is complete.
    this.threshold = !tcgOptions.enabled ? 0 : qemuLogEnabled(LogMask.CPU_LOG_EXEC) ? 1 : tcgOptions.threshold;
    env.set32('tb_threshold', this.threshold);
  }

  /** This hart leaves its memory's runtime (a user-mode thread moved to another worker, or
   * gone): translations are no longer offered to its state block, which may be another's now. */
  detach(): void {
    const i = this.rt.envs.indexOf(this.env);
    if (i >= 0) this.rt.envs.splice(i, 1);
  }

  /** The wasm imports (bound to whichever hart runs), for tests that instantiate blocks. */
  get imports(): WebAssembly.Imports { this.rt.cur = this; return this.rt.imports; }
  /** The translated-block cache this hart uses (shared by the harts of its memory). */
  get tbCache(): TBCache { return this.rt.tbs; }

  jitInfo(): string {
    const insns = this.rt.envs.reduce((n, e) => n + e.get64('instret'), 0n);
    const inTbs = this.rt.envs.reduce((n, e) => n + e.get64('tb_insns'), 0n);
    const pct = insns ? Number((inTbs * 1000n) / insns) / 10 : 0;
    const w = this.rt.hiRam;
    return this.rt.tbs.info() + `${'translated insns'.padEnd(20)}${inTbs} of ${insns} retired (${pct}%)\n` +
      `${'interpreter'.padEnd(20)}${interpOrigin}\n` +
      (w ? `${'high RAM window'.padEnd(20)}${w.size} of ${w.capacity} pages resident (${w.fills} brought in, ${w.evictions} sent back)\n` : '');
  }

  /** A helper's status (op_helper.ts's HelperStatus) as generated code sees it. */
  status(s: number): number {
    if (s === HelperStatus.WFI) return St.EXIT + CpuExit.WFI;
    if (s === HelperStatus.ECALL) return St.EXIT + CpuExit.ECALL;
    return s;
  }

  /** Status 1 after an instruction at `pc` that completed (no exception since `exc0`, the
   * count before it; pc unchanged): go to the next pc. */
  completed(pc: bigint, ilen: number, exc0 = this.env.exceptions): number {
    const env = this.env;
    if (env.pc === pc && env.exceptions === exc0) {
      env.pc = pc + BigInt(ilen);
      env.set64('instret', env.get64('instret') + 1n);
    }
    return St.RELOAD;
  }

  /** At run() entry and after every reload: leave if asked, else take a pending interrupt. */
  onRestart(status: number): number {
    const env = this.env;
    if (status >= St.EXIT) return status - St.EXIT;
    if (env.get32('exit_request')) {
      return env.userMode ? CpuExit.EXCEPTION : CpuExit.BUDGET;
    }
    if (!this.noIrq) riscvCpuExecInterrupt(env);
    return -1;
  }

  get pc(): bigint { return this.env.pc; }
  retired(): bigint { return this.env.get64('instret'); }
  getGpr(i: number): bigint { return this.env.getGpr(i); }
  setGpr(i: number, v: bigint): void { this.env.setGpr(i, v); }

  reset(resetVector: bigint): void {
    const env = this.env;
    // Registers and everything of ours start from zero; device-driven mip bits survive.
    const mip = env.get64('mip');
    env.as.bytes.fill(0, env.base, env.base + CPU_STATE_SIZE);
    env.set64('mip', mip);
    env.set64('mhartid', BigInt(this.hartid));
    env.set32('tb_threshold', this.threshold);
    riscvCpuReset(env, resetVector);
  }

  /** The board's timer for Sstc's stimecmp (priv-ext.ts). */
  setTimerService(svc: RISCVTimerService): void {
    riscvSetTimerService(this.env, svc);
  }

  setMip(mask: number, level: boolean): void {
    const idx = (this.env.base + MIP) >> 2;
    if (level) Atomics.or(this.i32, idx, mask); else Atomics.and(this.i32, idx, ~mask);
    Atomics.store(this.i32, (this.env.base + STATE.exit_request.offset) >> 2, 1);
  }

  hasPendingInterrupt(): boolean {
    const env = this.env;
    return (env.get64('mip') & env.get64('mie')) !== 0n;
  }

  /**
   * Execute exactly one instruction in the interpreter (the GDB stub's stepi and breakpoint
   * checks): translated blocks are bypassed so no instruction runs unchecked. `first` is true
   * at the start of a scheduler turn (as run(), the LR reservation does not survive a turn).
   */
  stepOne(first: boolean, noIrq = false): CpuExit {
    const env = this.env, rt = this.rt;
    this.noIrq = noIrq;
    env.set32('exit_request', 0);
    if (first) env.set32('load_res_valid', 0);
    rt.cur = this;
    // Sdtrig (gdb's steps too): a pending interrupt first, then the triggers look at the pc.
    if (riscvTriggersArmed(env)) {
      if (!noIrq) riscvCpuExecInterrupt(env);
      if (riscvCheckTriggers(env)) { this.noIrq = false; return CpuExit.BUDGET; }
    }
    env.set32('tb_threshold', 0);
    const r = rt.runFn(env.base, 1);
    env.set32('tb_threshold', this.threshold);
    this.noIrq = false;
    return r === EXIT_COMPILE ? CpuExit.BUDGET : r;
  }

  /** Sdtrig armed (debug.ts): one interpreted instruction at a time, each checked first. */
  private runChecked(budget: number): CpuExit {
    const env = this.env;
    for (let n = 0; n < (budget >>> 0 || 1); n++) {
      if (!riscvTriggersArmed(env)) return CpuExit.BUDGET;
      const r = this.stepOne(n === 0);
      if (r !== CpuExit.BUDGET) return r;
    }
    return CpuExit.BUDGET;
  }

  run(budget: number): CpuExit {
    const env = this.env, rt = this.rt;
    env.set32('exit_request', 0);
    env.set32('load_res_valid', 0);
    rt.cur = this;
    env.userMode?.onRun?.();
    riscvPmuCheckOverflow(env);
    if (riscvTriggersArmed(env)) return this.runChecked(budget);
    const instretLo = (env.base + STATE.instret.offset) >> 2;
    let left = budget >>> 0 || 1;
    for (;;) {
      // In chunks, so a partly filled hot queue gets compiled soon even in one long run().
      const chunk = this.threshold ? Math.min(left, this.chunkInsns) : left;
      const i0 = this.i32[instretLo], v0 = rt.vecCalls;
      const r = rt.runFn(env.base, chunk);
      // Batches (see tcgOptions.batchInsns): compile once enough blocks got
      // hot, or when the first of them has waited a while.
      if (r === EXIT_COMPILE) rt.tbs.collect(env);
      // A run that used its whole budget counts as the chunk even when it retired less: restarts
      // (traps) cost budget but no instret, and a trap loop must still end run() (QMP, signals).
      const retired = Math.max(r === CpuExit.BUDGET ? chunk : 1, (this.i32[instretLo] - i0) | 0);
      if (env.get32('tb_hot_n') || rt.tbs.hotCount) {
        const weighed = retired + (rt.vecCalls - v0) * VEC_CALL_WEIGHT;
        if (this.hotSince < 0) this.hotSince = rt.hotClock;
        rt.hotClock += weighed;
        this.chunkInsns = Math.max(1000, Math.floor(RUN_CHUNK * retired / weighed));
        if (rt.hotClock - this.hotSince >= this.batchInsns || rt.tbs.hotCount >= HOT_BATCH) {
          this.hotSince = -1;
          rt.tbs.compileHot(env);
        }
      } else {
        // Nothing waits (another hart may have compiled this one's blocks in its batch).
        this.chunkInsns = RUN_CHUNK;
        this.hotSince = -1;
        rt.hotClock += retired;
      }
      left -= retired;
      if (r !== EXIT_COMPILE && (r !== CpuExit.BUDGET || env.get32('exit_request'))) return r;
      if (left <= 0) return CpuExit.BUDGET;
    }
  }
}

export function createRISCVCPUs(opts: RISCVCPUOptions): RISCVCPU[] {
  const cpus: RISCVCPU[] = [];
  for (let i = 0; i < opts.nharts; i++) {
    cpus.push(new RISCVCPU(opts.as, opts.cpuStateOffset + i * CPU_STATE_SIZE, i, opts.rdtime));
  }
  return cpus;
}
