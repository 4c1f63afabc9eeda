// RISCVCPU: one hart = its state block (CPURISCVState) + an instance of the interpreter module
// bound to it. The TypeScript side of the wasm imports lives here: helper wrappers that turn
// priv's statuses into the generated code's (0 next, 1 reload pc, >= 2 leave with CpuExit).
import type { AddressSpace } from '../../exec/memory.js';
import { CPU_STATE_SIZE, CPURISCVState, STATE, TlbKind } from './cpu-state.js';
import { riscvFetchSlow, riscvSlowLoad, riscvSlowStore, riscvXlate } from './cpu-ldst.js';
import { helperFp } from './fpu_helper.js';
import { CpuExit, type RISCVHart } from './hart.js';
import { buildInterpreter } from './interpreter.js';
import { riscvCsrrw } from './csr.js';
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

let interpModule: WebAssembly.Module | null = null;
/** The interpreter is generated and compiled once per process (thread) and shared by harts. */
export function riscvInterpreterModule(): WebAssembly.Module {
  if (!interpModule) interpModule = new WebAssembly.Module(buildInterpreter());
  return interpModule;
}

/** Helper statuses seen by generated code. */
const enum St { NEXT = 0, RELOAD = 1, EXIT = 2 }
const MIP = STATE.mip.offset;

export class RISCVCPU implements RISCVHart {
  readonly env: CPURISCVState;
  private readonly runFn: (env: number, budget: number) => number;
  private readonly i32: Int32Array;
  /** The wasm imports bound to this hart (the interpreter's; translated blocks use the same). */
  readonly imports: WebAssembly.Imports;

  constructor(as: AddressSpace, base: number, readonly hartid: number, rdtime: () => bigint) {
    const env = (this.env = new CPURISCVState(as, base, hartid));
    env.rdtime = rdtime;
    this.i32 = new Int32Array(as.memory.buffer);
    const helper = (fn: (e: CPURISCVState) => number) => () => this.status(fn(env));
    const imports = (this.imports = {
      env: {
        memory: as.memory,
        slowLoad: (lo: number, hi: number, op: number) => riscvSlowLoad(env, lo, hi, op),
        slowStore: (lo: number, hi: number, op: number) => riscvSlowStore(env, lo, hi, op),
        xlate: (lo: number, hi: number, kind: TlbKind, size: number) => riscvXlate(env, lo, hi, kind, size),
        raise: (cause: number, lo: number, hi: number) =>
          riscvRaiseException(env, cause, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)),
        csr: (csrno: number, rd: number, op: number, writes: number, insn: number) => {
          const pc = env.pc;
          const s = riscvCsrrw(env, csrno, rd, env.get64('scratch'), op, writes !== 0, insn);
          return s === St.RELOAD ? this.completed(pc, 4) : this.status(s);
        },
        mret: helper(riscvHelperMret),
        sret: helper(riscvHelperSret),
        wfi: helper(riscvHelperWfi),
        fencei: helper(riscvHelperFenceI),
        ecall: helper(riscvHelperEcall),
        ebreak: helper(riscvHelperEbreak),
        sfence: (rs1: number, rs2: number) => {
          const pc = env.pc;
          const s = riscvHelperSfenceVma(env, rs1, rs2);
          return s === St.RELOAD ? this.completed(pc, 4) : this.status(s);
        },
        fp: (op: number, rd: number, rs1: number, rs2: number, rs3: number, rm: number) =>
          (helperFp(env, op, rd, rs1, rs2, rs3, rm) ? 1 : 0),
        fetchSlow: () => riscvFetchSlow(env),
        restart: (status: number) => this.onRestart(status),
      },
    });
    const inst = new WebAssembly.Instance(riscvInterpreterModule(), imports);
    this.runFn = inst.exports.run as (env: number, budget: number) => number;
  }

  /** A helper's status (op_helper.ts's HelperStatus) as generated code sees it. */
  private status(s: number): number {
    if (s === HelperStatus.WFI) return St.EXIT + CpuExit.WFI;
    if (s === HelperStatus.ECALL) return St.EXIT + CpuExit.ECALL;
    return s;
  }

  /** Status 1 after an instruction that completed (not a trap: pc unchanged): go to next pc. */
  private completed(pc: bigint, ilen: number): number {
    const env = this.env;
    if (env.pc === pc) {
      env.pc = pc + BigInt(ilen);
      env.set64('instret', env.get64('instret') + 1n);
    }
    return St.RELOAD;
  }

  /** At run() entry and after every reload: leave if asked, else take a pending interrupt. */
  private onRestart(status: number): number {
    const env = this.env;
    if (status >= St.EXIT) return status - St.EXIT;
    if (env.get32('exit_request')) {
      return env.userMode ? CpuExit.EXCEPTION : CpuExit.BUDGET;
    }
    riscvCpuExecInterrupt(env);
    return -1;
  }

  get pc(): bigint { return this.env.pc; }
  getGpr(i: number): bigint { return this.env.getGpr(i); }
  setGpr(i: number, v: bigint): void { this.env.setGpr(i, v); }

  reset(resetVector: bigint): void {
    const env = this.env;
    // Registers and everything of ours start from zero; device-driven mip bits survive.
    const mip = env.get64('mip');
    env.as.bytes.fill(0, env.base, env.base + CPU_STATE_SIZE);
    env.set64('mip', mip);
    env.set64('mhartid', BigInt(this.hartid));
    riscvCpuReset(env, resetVector);
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

  run(budget: number): CpuExit {
    const env = this.env;
    env.set32('exit_request', 0);
    env.set32('load_res_valid', 0);
    const r = this.runFn(env.base, budget >>> 0 || 1);
    return r;
  }
}

export function createRISCVCPUs(opts: RISCVCPUOptions): RISCVCPU[] {
  const cpus: RISCVCPU[] = [];
  for (let i = 0; i < opts.nharts; i++) {
    cpus.push(new RISCVCPU(opts.as, opts.cpuStateOffset + i * CPU_STATE_SIZE, i, opts.rdtime));
  }
  return cpus;
}
