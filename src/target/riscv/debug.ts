// Sdtrig, the trigger module of QEMU 10.2's target/riscv/debug.c: two triggers selected by
// tselect, reset to type 2 (mcontrol); tdata1 takes type 2, 6 (mcontrol6) or 3 (icount) with
// QEMU's WARL rules (match, chain, action, timing, select, hit and dmode always 0), tdata3 is
// textra (mhvalue, mhselect 0 or 4 against mcontext), tinfo says types 2 and 6.
// An armed address trigger raises a breakpoint exception (cause 3) before the instruction at
// tdata2 executes (tval = pc), or before a load/store that overlaps [tdata2, tdata2 + len)
// (tval = the higher of the two start addresses, QEMU's watchpoint hitaddr), when the current
// mode's bit is set (type 2 never fires with V=1; type 6 uses VS/VU then). The accesses are
// those QEMU's watchpoints see: scalar loads/stores/AMOs, cbo.zero's block, HLV/HSV, and each
// active element of a vector load/store (there the elements before the matching one are done
// and vstart names it, as QEMU's element loop leaves them).
// While a trigger is armed the hart runs one interpreted instruction at a time, each checked
// first (cpu.ts): translated blocks never run unchecked code.
// icount triggers (type 3) are kept and read back but never fire: QEMU 10.2's do_trigger_action
// finds no action for type 3 (get_trigger_action: "not supported"), so QEMU's never fire either.
import { riscvCpuCfg, riscvCpuHas } from './cpu-cfg.js';
import type { CPURISCVState } from './cpu-state.js';
import { Priv, RiscvExcp } from './cpu_bits.js';
import { riscvRaiseException, riscvResetHooks } from './cpu_helper.js';
import { type CsrDef, riscvCsrDefine } from './csr.js';
import { riscvMemoryDebug } from './mmu-debug.js';
import { riscvInsnAccess } from '../../gdbstub/riscv.js';

export const RV_MAX_TRIGGERS = 2;
const TYPE_AD_MATCH = 2n, TYPE_INST_CNT = 3n, TYPE_AD_MATCH6 = 6n;
const TYPE_SHIFT = 60n;
// mcontrol (type 2) / mcontrol6 (type 6) bits this port keeps.
const T_LOAD = 1n, T_STORE = 2n, T_EXEC = 4n, T_U = 8n, T_S = 0x10n, T_M = 0x40n;
const T2_SIZELO = 3n << 16n, T2_SIZEHI = 3n << 21n;
const T6_SIZE = 0xfn << 16n, T6_VU = 1n << 23n, T6_VS = 1n << 24n;
// icount (type 3): count 23:10, M 9, S 7, U 6, VS 26, VU 25.
const IT_KEEP = (0x3fffn << 10n) | (1n << 9n) | (1n << 7n) | (1n << 6n) | (1n << 26n) | (1n << 25n);
/** Valid size encodings (1, 2, 4, 8 bytes and any); QEMU drops the others to "any". */
const SIZE_OK = new Set([0, 1, 2, 3, 5]);
// textra64: mhvalue 63:51, mhselect 50:48.
const MHVALUE_SHIFT = 51n, MHSELECT_SHIFT = 48n;

const debugOn = (): boolean => riscvCpuCfg().debug ?? true;
const typeOf = (tdata1: bigint): bigint => (tdata1 >> TYPE_SHIFT) & 0xfn;
const cur = (env: CPURISCVState): number => env.get32('trigger_cur');

function validate(type: bigint, v: bigint): bigint {
  let val = type << TYPE_SHIFT;
  if (type === TYPE_AD_MATCH) {
    const size = Number(((v >> 21n) & 3n) << 2n | ((v >> 16n) & 3n));
    if (SIZE_OK.has(size)) val |= v & (T2_SIZELO | T2_SIZEHI);
    val |= v & (T_U | T_S | T_M | T_LOAD | T_STORE | T_EXEC);
  } else if (type === TYPE_AD_MATCH6) {
    if (SIZE_OK.has(Number((v >> 16n) & 0xfn))) val |= v & T6_SIZE;
    val |= v & (T6_VU | T6_VS | T_U | T_S | T_M | T_LOAD | T_STORE | T_EXEC);
  } else {
    val |= v & IT_KEEP;
  }
  return val;
}

function textraValidate(v: bigint): bigint {
  const mhvalue = (v >> MHVALUE_SHIFT) & 0x1fffn;
  const mhselect = (v >> MHSELECT_SHIFT) & 7n;
  return (mhvalue << MHVALUE_SHIFT) | ((mhselect >= 4n ? 4n : 0n) << MHSELECT_SHIFT);
}

/** tdata_mapping: which tdataN exist for the selected trigger's type. */
function tdataAvailable(env: CPURISCVState, i: number): boolean {
  const t = typeOf(env.get64('tdata1', cur(env)));
  if (t === 0n) return false;
  if (t === TYPE_INST_CNT) return i !== 1;
  if (t === 7n) return i === 0;
  return true;
}

function tdataWrite(env: CPURISCVState, i: number, v: bigint): void {
  const idx = cur(env);
  const type = i === 0 ? typeOf(v) : typeOf(env.get64('tdata1', idx));
  if (type !== TYPE_AD_MATCH && type !== TYPE_AD_MATCH6 && type !== TYPE_INST_CNT) return; // logged by QEMU, ignored
  if (i === 0) env.set64('tdata1', validate(type, v), idx);
  else if (i === 1) { if (type !== TYPE_INST_CNT) env.set64('tdata2', v, idx); }
  else env.set64('tdata3', textraValidate(v), idx);
  // A trigger armed: leave translated code, the next run() checks every instruction.
  if (riscvTriggersArmed(env)) env.set32('exit_request', 1);
}

const dbg = (d: CsrDef): CsrDef => ({ ...d, pred: debugOn });
riscvCsrDefine(0x7a0, dbg({
  read: (env) => BigInt(cur(env)),
  write: (env, _c, v) => { if (v < BigInt(RV_MAX_TRIGGERS)) env.set32('trigger_cur', Number(v)); return 0; },
}));
for (let i = 0; i < 3; i++) {
  riscvCsrDefine(0x7a1 + i, {
    // An unavailable tdata is an illegal instruction (read_tdata/write_tdata).
    pred: (env) => debugOn() && tdataAvailable(env, i),
    read: (env) => env.get64(i === 0 ? 'tdata1' : i === 1 ? 'tdata2' : 'tdata3', cur(env)),
    write: (env, _c, v) => { tdataWrite(env, i, v); return 1; },
  });
}
riscvCsrDefine(0x7a4, dbg({ read: () => (1n << TYPE_AD_MATCH) | (1n << TYPE_AD_MATCH6) }));
riscvCsrDefine(0x7a8, dbg({
  read: (env) => env.get64('mcontext'),
  write: (env, _c, v) => { env.set64('mcontext', v & 0x1fffn); return 0; },
}));

riscvResetHooks.push((env) => {
  for (let i = 0; i < RV_MAX_TRIGGERS; i++) {
    env.set64('tdata1', TYPE_AD_MATCH << TYPE_SHIFT, i);
    env.set64('tdata2', 0n, i);
    env.set64('tdata3', 0n, i);
  }
  env.set32('trigger_cur', 0);
  env.set64('mcontext', 0n);
});

// ---- matching ----------------------------------------------------------------------------------

/** type*_breakpoint_enabled: an address trigger with a mode and one of load/store/exec. */
function addrArmed(t: bigint): boolean {
  const type = typeOf(t);
  if (type !== TYPE_AD_MATCH && type !== TYPE_AD_MATCH6) return false;
  const modes = T_U | T_S | T_M | (type === TYPE_AD_MATCH6 ? T6_VU | T6_VS : 0n);
  return (t & modes) !== 0n && (t & (T_LOAD | T_STORE | T_EXEC)) !== 0n;
}

/** Set once some trigger has been armed (on any hart): a cheap test before riscvTriggersArmed
 * on paths that run often (each vector load/store). */
export const riscvTriggersUsed = { any: false };

/** True while some trigger may fire: the hart then runs checked, one instruction at a time. */
export function riscvTriggersArmed(env: CPURISCVState): boolean {
  if (!debugOn()) return false;
  for (let i = 0; i < RV_MAX_TRIGGERS; i++) if (addrArmed(env.get64('tdata1', i))) return (riscvTriggersUsed.any = true);
  return false;
}

/** trigger_common_match: the mode bits (trigger_priv_match) and textra's mcontext. */
function commonMatch(env: CPURISCVState, i: number): boolean {
  const t = env.get64('tdata1', i);
  const type = typeOf(t);
  const priv = BigInt(env.priv);
  const virt = env.get32('virt') !== 0;
  let ok: boolean;
  if (type === TYPE_AD_MATCH) ok = !virt && ((t >> 3n) & (1n << priv)) !== 0n;
  else if (type === TYPE_AD_MATCH6) ok = ((t >> (virt ? 23n : 3n)) & (1n << priv)) !== 0n;
  else return false;
  if (!ok) return false;
  const x = env.get64('tdata3', i);
  if (((x >> MHSELECT_SHIFT) & 7n) === 4n && ((x >> MHVALUE_SHIFT) & 0x1fffn) !== env.get64('mcontext')) return false;
  return true;
}

/** The watchpoint length QEMU inserts: the size encoding itself, or 8 for "any". */
function watchLen(t: bigint): bigint {
  const size = typeOf(t) === TYPE_AD_MATCH ? ((t >> 21n) & 3n) << 2n | ((t >> 16n) & 3n) : (t >> 16n) & 0xfn;
  return size === 0n ? 8n : size;
}

/** Before the instruction at env.pc: an execute trigger on it raises the breakpoint. */
export function riscvCheckExecTrigger(env: CPURISCVState): boolean {
  const pc = env.pc;
  for (let i = 0; i < RV_MAX_TRIGGERS; i++) {
    const t = env.get64('tdata1', i);
    if (!addrArmed(t) || !(t & T_EXEC) || env.get64('tdata2', i) !== pc || !commonMatch(env, i)) continue;
    riscvRaiseException(env, RiscvExcp.BREAKPOINT, pc);
    return true;
  }
  return false;
}

/** Before a load/store of `len` bytes at `addr`: a matching trigger raises the breakpoint. */
export function riscvCheckMemTrigger(env: CPURISCVState, addr: bigint, len: number, read: boolean, write: boolean): boolean {
  for (let i = 0; i < RV_MAX_TRIGGERS; i++) {
    const t = env.get64('tdata1', i);
    if (!addrArmed(t) || !((read && t & T_LOAD) || (write && t & T_STORE))) continue;
    const a = env.get64('tdata2', i);
    const end = BigInt.asUintN(64, a + watchLen(t));
    if (!(addr < end && a < addr + BigInt(len)) || !commonMatch(env, i)) continue;
    riscvRaiseException(env, RiscvExcp.BREAKPOINT, addr > a ? addr : a);
    return true;
  }
  return false;
}

const ENVCFG_CBZE = 0x80n;
const CBO_BLOCK = 64n;

/** The accesses QEMU's watchpoints see that riscvInsnAccess (the RV64GC loads, stores and AMOs)
 * does not decode: flh/fsh, Zabha's AMOs and amocas.q, cbo.zero, a store of its whole block (probe_write) when the envcfg bits let
 * it run; HLV (a load) and HSV (a store) of 1-8 bytes at rs1 where they are legal (HS/M, or U
 * with hstatus.HU). Not cbo.clean/flush/inval (QEMU probes them without checking watchpoints)
 * nor HLVX (read through the instruction-fetch path, which watchpoints do not see). Vector
 * loads and stores check each element in vector_helper_ldst.ts. */
function extraAccess(env: CPURISCVState): { addr: bigint; len: number; read: boolean; write: boolean } | null {
  const b = riscvMemoryDebug(env, env.pc, 4, false);
  if (!b || (b[0] & 3) !== 3) return null;
  const insn = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  const op = insn & 0x7f, f3 = (insn >>> 12) & 7, rd = (insn >>> 7) & 31, rs1 = (insn >>> 15) & 31, rs2 = (insn >>> 20) & 31;
  const f7 = insn >>> 25;
  const priv = env.priv;
  if (op === 0x0f && f3 === 2 && rd === 0 && insn >>> 20 === 4 && riscvCpuHas('zicboz')) {
    const allowed = priv === Priv.M || ((env.get64('menvcfg') & ENVCFG_CBZE) !== 0n &&
      (priv !== Priv.U || (env.get64('senvcfg') & ENVCFG_CBZE) !== 0n));
    return allowed ? { addr: env.getGpr(rs1) & ~(CBO_BLOCK - 1n), len: Number(CBO_BLOCK), read: false, write: true } : null;
  }
  // flh/fsh (Zfhmin, Zfbfmin) while FS is on; the byte/halfword AMOs (Zabha), amocas.q (Zacas).
  if ((op === 0x07 || op === 0x27) && f3 === 1 && (riscvCpuHas('zfhmin') || riscvCpuHas('zfbfmin')) &&
    (env.get32('mstatus') & (3 << 13)) !== 0) {
    const imm = op === 0x07 ? insn >> 20 : ((insn >> 25) << 5) | rd;
    const addr = BigInt.asUintN(64, env.getGpr(rs1) + BigInt(imm));
    return { addr, len: 2, read: op === 0x07, write: op === 0x27 };
  }
  if (op === 0x2f && (f3 <= 1 || f3 === 4)) {
    const f5 = insn >>> 27;
    const cas = f5 === 5 && riscvCpuHas('zacas');
    const ok = f3 === 4 ? cas && ((rd | rs2) & 1) === 0 : riscvCpuHas('zabha') && (cas || (f5 & 3) === 0 || f5 === 1);
    return ok ? { addr: env.getGpr(rs1), len: f3 === 4 ? 16 : 1 << f3, read: true, write: true } : null;
  }
  if (op === 0x73 && f3 === 4 && f7 >= 0x30 && f7 <= 0x37 && (env.get32('misa') & (1 << 7)) !== 0) {
    if (env.get32('virt') || (priv === Priv.U && !(env.get32('hstatus') & (1 << 9)))) return null;
    const len = 1 << ((f7 >>> 1) & 3);
    if (f7 & 1) return rd === 0 ? { addr: env.getGpr(rs1), len, read: false, write: true } : null;
    const ok = rs2 === 0 || (rs2 === 1 && len < 8);
    return ok ? { addr: env.getGpr(rs1), len, read: true, write: false } : null;
  }
  return null;
}

/** Before the instruction at env.pc (debug.ts's checked run): an execute trigger on it, or a
 * load/store trigger on the access it is about to make, raises the breakpoint. */
export function riscvCheckTriggers(env: CPURISCVState): boolean {
  if (riscvCheckExecTrigger(env)) return true;
  const acc = riscvInsnAccess(env, (a, l) => riscvMemoryDebug(env, a, l, false)) ?? extraAccess(env);
  return acc !== null && riscvCheckMemTrigger(env, acc.addr, acc.len, acc.read, acc.write);
}
