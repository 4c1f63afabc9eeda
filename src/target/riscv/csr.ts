// Control and status registers (privileged spec 2-3; QEMU's target/riscv/csr.c) of an RV64GC
// hart with M, S and U modes, and the whole Zicsr instruction (riscvCsrrw).
//
// Each CSR is a row {pred, read, write}: pred is the extra access condition (FS on, counter
// enabled, TVM), write returns CSR_RELOAD when the write changed state that generated code or
// the interrupt check depends on. WARL masks follow QEMU's rv64 CPU as seen by a guest (checked
// against real qemu-system-riscv64 with -cpu rv64,h=false,v=false).
import { type CPURISCVState } from './cpu-state.js';
import { MSTATUS_SD, MSTATUS_XL_FIXED, Mstatus, Priv, QEMU_MARCHID, RiscvExcp } from './cpu_bits.js';
import { riscvRaiseException, riscvReadMip, riscvUpdateMmuIdx } from './cpu_helper.js';
import { riscvTlbFlush } from './mmu.js';
import { riscvCpuCfg } from './cpu-cfg.js';
import { pmpaddrRead, pmpaddrWrite, pmpcfgRead, pmpcfgWrite } from './pmp.js';
import { HypExcp, hypEnabled } from './cpu-h.js';
import { registerAiaCsrs } from './csr-aia.js';
import { csrInline } from './csr-inline.js';

export const enum CsrOp { RW = 0, RS = 1, RC = 2 }

/** write() result: state changed that needs generated code to reload (and recheck IRQs). */
export const CSR_RELOAD = 1;

export interface CsrDef {
  /** `writes`: the instruction writes the CSR (csrrw, or csrrs/csrrc with a source). */
  pred?: (env: CPURISCVState, csrno: number, writes: boolean) => boolean;
  /** The CSR exists only when this holds (an extension's CSRs: csr-h.ts). */
  exists?: (env: CPURISCVState) => boolean;
  /** With H: 0, or the exception a V=1 access raises (virtual instruction: csr-h.ts). */
  hpred?: (env: CPURISCVState, csrno: number, writes?: boolean) => number;
  read: (env: CPURISCVState, csrno: number) => bigint;
  /** Absent: writes are accepted and ignored. `wmask`: the bits the instruction meant to write
   * (all for csrrw, rs1's bits for csrrs/csrrc); `value` is the whole new value. */
  write?: (env: CPURISCVState, csrno: number, value: bigint, wmask: bigint) => number;
}

const csrTable: (CsrDef | undefined)[] = new Array(4096);
function def(csrno: number, d: CsrDef): void { csrTable[csrno] = d; }
/** Extensions define their CSRs from their own modules (vector_csr.ts), and may wrap a base row. */
export { type CsrDef as RiscvCsrDef };
export function riscvCsrDefine(csrno: number, d: CsrDef | undefined): void { csrTable[csrno] = d; }
export function riscvCsrLookup(csrno: number): CsrDef | undefined { return csrTable[csrno]; }
/** mstatus.VS (bits 10:9): writable when the V extension is on (vector_csr.ts sets it). */
export const csrExt = { vsMask: 0n };
const VS_BITS = 0x600n;
/** CSRs of an extension, defined from its own module (csr-zkr.ts). */
export const riscvDefineCsr = def;

// --- WARL masks -------------------------------------------------------------------------------
/** mstatus: SIE MIE SPIE MPIE SPP MPP FS MPRV SUM MXR TVM TW TSR. */
const MSTATUS_WMASK = 0x7e79aan;
/** sstatus writes: SIE SPIE SPP FS SUM MXR; reads add XS, UXL, SD. */
const SSTATUS_WMASK = 0xc6122n;
const SSTATUS_RMASK = SSTATUS_WMASK | 0x18000n | 0x300000000n | MSTATUS_SD;
/** Exceptions QEMU lets M delegate (measured on QEMU's rv64 with H off). */
const MEDELEG_WMASK = 0xf0bfffn;
/** S-level interrupts: SSIP, STIP, SEIP. */
const S_INTS = 0x222;
const SEIP = 1 << 9;
const ALL_INTS = 0xaaa;
/** The menvcfg/senvcfg bits this CPU has: FIOM, and Zicbom/Zicboz's CBIE, CBCFE, CBZE (QEMU
 * keeps those writable whatever the extensions). */
const ENVCFG_WMASK = 0xf1n;

// --- predicates -------------------------------------------------------------------------------
const fs = (env: CPURISCVState) => (env.get32('mstatus') & Mstatus.FS) !== 0;
/** Counter CSRs below M need the mcounteren bit, and in U also the scounteren bit. */
const ctr = (env: CPURISCVState, csrno: number) => {
  const priv = env.priv;
  if (env.userMode || priv === Priv.M) return true;
  const bit = 1 << (csrno & 31);
  if (!(env.get32('mcounteren') & bit)) return false;
  return priv === Priv.S || (env.get32('scounteren') & bit) !== 0;
};
const notTvm = (env: CPURISCVState) => !(env.priv === Priv.S && (env.get32('mstatus') & Mstatus.TVM));

// --- helpers ----------------------------------------------------------------------------------
function plain(field: string, mask = -1n): CsrDef {
  return {
    read: (env) => env.get64(field),
    write: (env, _n, v) => { env.set64(field, mask === -1n ? v : v & mask); return 0; },
  };
}

function plain32(field: string, mask = 0xffffffff): CsrDef {
  return {
    read: (env) => BigInt(env.get32(field)),
    write: (env, _n, v) => { env.set32(field, Number(v & 0xffffffffn) & mask); return 0; },
  };
}

function markFsDirty(env: CPURISCVState): void {
  env.set32('mstatus', env.get32('mstatus') | Mstatus.FS);
}

export function riscvReadMstatus(env: CPURISCVState): bigint {
  const v = env.get64('mstatus');
  return (v & BigInt(Mstatus.FS)) === BigInt(Mstatus.FS) || (v & VS_BITS) === VS_BITS ? v | MSTATUS_SD : v;
}

/** WARL write of mstatus: MPP keeps its old value for the reserved 2, SXL/UXL stay 64-bit, SD
 * and XS are computed. A change of MXR flushes the TLB; MPRV/MPP/SUM move the mmu indexes. */
export function writeMstatus(env: CPURISCVState, value: bigint, mask: bigint): number {
  const old = env.get64('mstatus');
  mask |= csrExt.vsMask;
  let v = (old & ~mask) | (value & mask);
  if (((value >> 11n) & 3n) === 2n) v = (v & ~BigInt(Mstatus.MPP)) | (old & BigInt(Mstatus.MPP));
  v = (v & ~0x18000n) | MSTATUS_XL_FIXED;
  env.set64('mstatus', v);
  if ((old ^ v) & BigInt(Mstatus.MXR)) riscvTlbFlush(env);
  riscvUpdateMmuIdx(env);
  return CSR_RELOAD;
}

/** Write the software-writable bits `mask` of mip. SEIP goes to software_seip, apart from the
 * PLIC's line in mip (so a csrrs that does not name SEIP cannot latch the line's level). */
export function writeMip(env: CPURISCVState, mask: number, value: bigint, wmask: bigint): number {
  const v = Number(value & 0xffffn);
  if (mask & SEIP & Number(wmask & 0xffffn)) env.set32('software_seip', v & SEIP ? 1 : 0);
  const bits = mask & ~SEIP;
  const mip = env.get32('mip');
  env.updateMip(mip, (mip & ~bits) | (v & bits));
  return CSR_RELOAD;
}

function writeTvec(field: string): CsrDef {
  // Modes 2 and 3 are reserved: QEMU ignores such a write.
  return { read: (env) => env.get64(field), write: (env, _n, v) => { if ((v & 3n) < 2n) env.set64(field, v); return 0; } };
}

function counter(get: (env: CPURISCVState) => bigint, set?: (env: CPURISCVState, v: bigint) => void): CsrDef {
  return { read: get, write: set ? (env, _n, v) => { set(env, v); return 0; } : undefined };
}

/** mcountinhibit bits of the two counters we count (CY, IR). */
const INHIBIT_CY = 1, INHIBIT_IR = 4;

// mcycle/minstret are the instruction count plus an offset; while mcountinhibit stops one, its
// offset field holds the frozen value itself (no extra state, nothing to do per instruction).
/** The count mcycle (bit 1) / minstret (bit 4) follow; Smcntrpmf's filter replaces it (pmu-modes.ts). */
export const riscvCounterSource = {
  base: (env: CPURISCVState, _bit: number): bigint => (env.icount ? env.icount() : env.get64('instret')),
};
function counterRead(env: CPURISCVState, offField: string, bit: number): bigint {
  const off = env.get64(offField);
  return env.get32('mcountinhibit') & bit ? off : BigInt.asUintN(64, riscvCounterSource.base(env, bit) + off);
}
function counterWrite(env: CPURISCVState, offField: string, bit: number, v: bigint): void {
  env.set64(offField, env.get32('mcountinhibit') & bit ? v : v - riscvCounterSource.base(env, bit));
}
const mcycle = (env: CPURISCVState) => counterRead(env, 'mcycle_offset', INHIBIT_CY);
const minstret = (env: CPURISCVState) => counterRead(env, 'minstret_offset', INHIBIT_IR);

/** mcountinhibit: freezing a counter stores its value, releasing it continues from there. */
function writeMcountinhibit(env: CPURISCVState, _n: number, v: bigint): number {
  const nv = Number(v & 0xffffffffn) & ~2; // TM (bit 1) is read-only zero
  for (const [field, bit] of [['mcycle_offset', INHIBIT_CY], ['minstret_offset', INHIBIT_IR]] as const) {
    if (!((env.get32('mcountinhibit') ^ nv) & bit)) continue;
    const value = counterRead(env, field, bit);
    env.set32('mcountinhibit', env.get32('mcountinhibit') ^ bit);
    counterWrite(env, field, bit, value);
  }
  env.set32('mcountinhibit', nv);
  return 0;
}

// --- the table --------------------------------------------------------------------------------
// Unprivileged: FP and counters.
def(0x001, { pred: fs, read: (env) => BigInt(env.get32('fflags') & 0x1f),
  write: (env, _n, v) => { markFsDirty(env); env.set32('fflags', Number(v & 0x1fn)); return CSR_RELOAD; } });
def(0x002, { pred: fs, read: (env) => BigInt(env.get32('frm') & 7),
  write: (env, _n, v) => { markFsDirty(env); env.set32('frm', Number(v & 7n)); return CSR_RELOAD; } });
def(0x003, { pred: fs, read: (env) => BigInt(((env.get32('frm') & 7) << 5) | (env.get32('fflags') & 0x1f)),
  write: (env, _n, v) => {
    markFsDirty(env);
    env.set32('fflags', Number(v & 0x1fn));
    env.set32('frm', Number((v >> 5n) & 7n));
    return CSR_RELOAD;
  } });
for (const n of [0x001, 0x002, 0x003]) csrInline.rows.set(n, csrTable[n]); // inline (trans_rvzicsr.ts)
def(0xc00, { pred: ctr, read: mcycle });
def(0xc01, { pred: ctr, read: (env) => BigInt.asUintN(64, env.rdtime()) });
csrInline.rows.set(0xc01, csrTable[0xc01]); // csrr rd, time is inline with V=0 (trans_rvzicsr.ts)
def(0xc02, { pred: ctr, read: minstret });
for (let n = 3; n < 32; n++) def(0xc00 + n, { pred: ctr, read: () => 0n });

// Supervisor.
def(0x100, { read: (env) => riscvReadMstatus(env) & (SSTATUS_RMASK | csrExt.vsMask), write: (env, _n, v) => writeMstatus(env, v, SSTATUS_WMASK) });
csrInline.lookup = riscvCsrLookup;
csrInline.rows.set(0x100, csrTable[0x100]); // SIE-only writes are inline (trans_rvzicsr.ts)
def(0x104, { read: (env) => BigInt(env.get32('mie') & env.get32('mideleg')),
  write: (env, _n, v) => {
    const mask = env.get32('mideleg') & S_INTS;
    env.set32('mie', (env.get32('mie') & ~mask) | (Number(v & 0xffffn) & mask));
    return CSR_RELOAD;
  } });
def(0x105, writeTvec('stvec'));
def(0x106, plain32('scounteren'));
def(0x10a, plain('senvcfg', ENVCFG_WMASK));
def(0x140, plain('sscratch'));
def(0x141, plain('sepc', ~1n));
def(0x142, plain('scause'));
def(0x143, plain('stval'));
for (const n of [0x140, 0x141, 0x142, 0x143]) csrInline.rows.set(n, csrTable[n]); // inline (trans_rvzicsr.ts)
def(0x144, { read: (env) => BigInt(riscvReadMip(env) & env.get32('mideleg')),
  write: (env, _n, v, m) => writeMip(env, env.get32('mideleg') & (1 << 1), v, m) });
def(0x180, { pred: notTvm, read: (env) => env.get64('satp'), write: writeSatp });

/** satp: Bare, Sv39, Sv48 and Sv57 are accepted (ASID all 16 bits); other modes leave satp
 * unchanged (WARL, as QEMU). Every accepted write flushes the TLB. */
function writeSatp(env: CPURISCVState, _n: number, v: bigint): number {
  const mode = Number(v >> 60n);
  if (mode !== 0 && (mode < 8 || mode > (riscvCpuCfg().satpMax ?? 10))) return 0;
  env.set64('satp', v);
  riscvTlbFlush(env);
  return CSR_RELOAD;
}

// Machine information.
def(0xf11, { read: () => 0n });
def(0xf12, { read: () => QEMU_MARCHID });
def(0xf13, { read: () => QEMU_MARCHID });
def(0xf14, { read: (env) => env.get64('mhartid') });
def(0xf15, { read: () => 0n });

// Machine trap setup and handling.
def(0x300, { read: riscvReadMstatus, write: (env, _n, v) => writeMstatus(env, v, MSTATUS_WMASK) });
def(0x301, { read: (env) => env.get64('misa') }); // writes ignored: the extensions are fixed
def(0x302, plain('medeleg', MEDELEG_WMASK));
def(0x303, { read: (env) => env.get64('mideleg'),
  write: (env, _n, v) => { env.set64('mideleg', v & BigInt(S_INTS)); return CSR_RELOAD; } });
def(0x304, { read: (env) => env.get64('mie'),
  write: (env, _n, v) => { env.set64('mie', v & BigInt(ALL_INTS)); return CSR_RELOAD; } });
def(0x305, writeTvec('mtvec'));
def(0x306, plain32('mcounteren'));
def(0x30a, plain('menvcfg', ENVCFG_WMASK));
def(0x320, { read: (env) => BigInt(env.get32('mcountinhibit')), write: writeMcountinhibit });
def(0x340, plain('mscratch'));
def(0x341, plain('mepc', ~1n));
def(0x342, plain('mcause'));
def(0x343, plain('mtval'));
/** Software may write SSIP, STIP and SEIP; MSIP/MTIP/MEIP come from the ACLINT/PLIC. */
def(0x344, { read: (env) => BigInt(riscvReadMip(env)), write: (env, _n, v, m) => writeMip(env, S_INTS, v, m) });

// PMP: the writes flush the TLB (its entries carry PMP decisions).
for (const reg of [0, 2]) {
  def(0x3a0 + reg, { read: (env) => pmpcfgRead(env, reg),
    write: (env, _n, v) => { if (pmpcfgWrite(env, reg, v)) riscvTlbFlush(env); return CSR_RELOAD; } });
}
for (let i = 0; i < 16; i++) {
  def(0x3b0 + i, { read: (env) => pmpaddrRead(env, i),
    write: (env, _n, v) => { if (pmpaddrWrite(env, i, v)) riscvTlbFlush(env); return CSR_RELOAD; } });
}

// Counters (mcountinhibit CY/IR stop them). HPM counters read 0.
def(0xb00, counter(mcycle, (env, v) => counterWrite(env, 'mcycle_offset', INHIBIT_CY, v)));
def(0xb02, counter(minstret, (env, v) => counterWrite(env, 'minstret_offset', INHIBIT_IR, v)));
for (let n = 3; n < 32; n++) {
  def(0xb00 + n, counter(() => 0n));
  def(0x320 + n, counter(() => 0n));
}

// Debug triggers (Sdtrig): QEMU's visible reset values, none of them armed.
def(0x7a0, counter(() => 0n)); // tselect
def(0x7a1, counter(() => 0x2000000000000000n)); // tdata1: type 2 (mcontrol), disabled
def(0x7a2, counter(() => 0n));
def(0x7a3, counter(() => 0n));
def(0x7a4, { read: () => 0x44n }); // tinfo

// Smaia/Ssaia (their own predicates keep them illegal while the extensions are off).
registerAiaCsrs(def);

// --- the instruction --------------------------------------------------------------------------

/**
 * csrrw/csrrs/csrrc (and the immediate forms): the whole instruction. `src` is rs1's value (or
 * the uimm), `writes` is false for csrrs/csrrc with rs1 = x0 / uimm = 0. `insn` (the encoding)
 * becomes mtval of an illegal-instruction trap, as QEMU reports it.
 * Returns 0 (next instruction), or 1 after a trap (env.pc = the trap vector) or after a write
 * that needs a reload (env.pc left at this instruction: the caller completes it, pc += 4 and
 * instret, as cpu.ts's completed() does).
 */
export function riscvCsrrw(env: CPURISCVState, csrno: number, rd: number, src: bigint, op: CsrOp, writes: boolean, insn = 0): number {
  const d = csrTable[csrno & 0xfff];
  if (hypEnabled(env)) {
    const excp = hypCsrCheck(env, d, csrno & 0xfff, writes);
    if (excp) { riscvRaiseException(env, excp, BigInt(insn >>> 0)); return 1; }
  } else if (!d || (d.exists && !d.exists(env)) || (writes && (csrno >> 10) === 3) || env.priv < ((csrno >> 8) & 3) ||
    (d.pred && !d.pred(env, csrno, writes))) {
    riscvRaiseException(env, RiscvExcp.ILLEGAL_INST, BigInt(insn >>> 0));
    return 1;
  }
  if (!d) return 1; // (hypCsrCheck refused it)
  const old = d.read(env, csrno);
  let status = 0;
  if (writes && d.write) {
    const v = BigInt.asUintN(64, src);
    const nv = op === CsrOp.RW ? v : op === CsrOp.RS ? old | v : old & ~v;
    status = d.write(env, csrno, nv, op === CsrOp.RW ? 0xffffffffffffffffn : v);
  }
  env.setGpr(rd, old);
  return status & CSR_RELOAD ? 1 : 0;
}

/** riscv_csrrw_check with H: HS may use the hypervisor-level CSRs (an effective privilege one
 * above S); a V=1 access to a CSR of HS or VS level is a virtual-instruction exception, as are
 * the hpred cases (hcounteren, VTVM). */
function hypCsrCheck(env: CPURISCVState, d: CsrDef | undefined, csrno: number, writes: boolean): number {
  if (!d || (d.exists && !d.exists(env))) return RiscvExcp.ILLEGAL_INST;
  if (writes && (csrno >> 10) === 3) return RiscvExcp.ILLEGAL_INST;
  if (d.pred && !d.pred(env, csrno, writes)) return RiscvExcp.ILLEGAL_INST;
  const virt = env.get32('virt') !== 0;
  if (d.hpred) {
    const e = d.hpred(env, csrno, writes);
    if (e) return e;
  }
  const priv = env.priv;
  const eff = priv === Priv.S && !virt ? priv + 1 : priv;
  const csrPriv = (csrno >> 8) & 3;
  if (eff < csrPriv) return csrPriv <= 2 && virt ? HypExcp.VIRT_INSTRUCTION : RiscvExcp.ILLEGAL_INST;
  return 0;
}

/** Debugger access (gdbstub, monitor): no privilege checks, no side effects; undefined for a
 * CSR this hart does not have. */
export function riscvCsrReadDebug(env: CPURISCVState, csrno: number): bigint | undefined {
  const d = csrTable[csrno & 0xfff];
  return d && (!d.exists || d.exists(env)) ? d.read(env, csrno) : undefined;
}

/** Debugger write through the CSR's WARL rules; false for a CSR this hart does not have. */
export function riscvCsrWriteDebug(env: CPURISCVState, csrno: number, value: bigint): boolean {
  const d = csrTable[csrno & 0xfff];
  if (!d || (d.exists && !d.exists(env))) return false;
  d.write?.(env, csrno, BigInt.asUintN(64, value), 0xffffffffffffffffn);
  return true;
}
