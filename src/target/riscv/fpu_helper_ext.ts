// Zfh/Zfhmin (IEEE binary16) and Zfa: the operations that need more than bit moves, reached
// through helperFp (op >= FP_EXT_BASE). Every value travels as its bit pattern in a bigint and
// is computed by the exact softfloat path (softfloat-exact.ts) with the format's parameters, so
// rounding, subnormals and flags follow the same code as F and D. Halves and singles are
// NaN-boxed in the 64-bit f registers: an improperly boxed operand reads as the canonical NaN.
import { CPURISCVState, STATE } from './cpu-state.js';
import { CRYPTO_BASE, helperCrypto } from './trans_rvk.js';
import { FMT32, FMT64, type FloatFmt, FloatFlag, FloatRound, FloatStatus } from '../../fpu/softfloat-types.js';
import {
  FloatClass, exactAdd, exactConvert, exactDiv, exactFromInt, exactMul, exactMulAdd, exactSqrt, exactToInt, unpack,
} from '../../fpu/softfloat-exact.js';

export const FMT16: FloatFmt = { p: 11, emin: -14, emax: 15, bias: 15, width: 16, expMask: 0x1f, defaultNaN: 0x7e00n };
/** BFloat16 (Zfbfmin, Zvfbf*): single's exponent, 8 significand bits. */
export const FMTBF16: FloatFmt = { p: 8, emin: -126, emax: 127, bias: 127, width: 16, expMask: 0xff, defaultNaN: 0x7fc0n };

/** First helperFp operation number of this module (below it: F and D, fpu_helper.ts). */
export const FP_EXT_BASE = 128;

/** The operations, by format where they have one (H, S, D order: op + fmt). */
export const enum FpExtOp {
  // Zfh: binary16 arithmetic, compares, conversions (Zfhmin: FCVT_S_H .. FCVT_H_D)
  FADD_H = 128, FSUB_H, FMUL_H, FDIV_H, FSQRT_H, FMIN_H, FMAX_H, FMADD_H, FMSUB_H, FNMSUB_H, FNMADD_H,
  FEQ_H, FLT_H, FLE_H, FCLASS_H, FCVT_W_H, FCVT_WU_H, FCVT_L_H, FCVT_LU_H,
  FCVT_H_W, FCVT_H_WU, FCVT_H_L, FCVT_H_LU, FCVT_S_H, FCVT_H_S, FCVT_D_H, FCVT_H_D,
  // Zfa, three formats each (H = +0, S = +1, D = +2)
  FLI = 160, FMINM = 163, FMAXM = 166, FROUND = 169, FROUNDNX = 172, FLEQ = 175, FLTQ = 178, FCVTMOD_W_D = 181,
  // Zfbfmin: BF16 <-> single
  FCVT_BF16_S = 190, FCVT_S_BF16 = 191,
}

export const enum Fmt { H = 0, S = 1, D = 2 }
const FMTS: readonly FloatFmt[] = [FMT16, FMT32, FMT64];
const BOX: readonly bigint[] = [0xffffffffffff0000n, 0xffffffff00000000n, 0n];
const MASK: readonly bigint[] = [0xffffn, 0xffffffffn, 0xffffffffffffffffn];

const FPR = STATE.fpr.offset;
const GPR = STATE.gpr.offset;
const FFLAGS = STATE.fflags.offset;
const FRM = STATE.frm.offset;
const status = new FloatStatus();

function readF(env: CPURISCVState, fmt: Fmt, r: number): bigint {
  const v = env.view.getBigUint64(env.base + FPR + r * 8, true);
  if (fmt === Fmt.D) return v;
  return (v & BOX[fmt]) === BOX[fmt] ? v & MASK[fmt] : FMTS[fmt].defaultNaN;
}
function writeF(env: CPURISCVState, fmt: Fmt, r: number, bits: bigint): void {
  env.view.setBigUint64(env.base + FPR + r * 8, (bits & MASK[fmt]) | BOX[fmt], true);
}
function readX(env: CPURISCVState, r: number): bigint {
  return env.view.getBigInt64(env.base + GPR + r * 8, true);
}
function writeX(env: CPURISCVState, r: number, v: bigint): void {
  if (r !== 0) env.view.setBigInt64(env.base + GPR + r * 8, BigInt.asIntN(64, v), true);
}

function isNaN(p: { cls: FloatClass }): boolean { return p.cls >= FloatClass.QNaN; }
/** The value of a non-NaN pattern as a number (binary16/32 are exact in a double). */
function value(f: FloatFmt, bits: bigint): number {
  const p = unpack(f, bits);
  const mag = p.cls === FloatClass.Inf ? Infinity : p.cls === FloatClass.Zero ? 0 : Number(p.sig) * 2 ** p.exp;
  return p.sign ? -mag : mag;
}

/** Compare: quiet (invalid for sNaN only) or signalling (invalid for any NaN). */
export function compare(f: FloatFmt, a: bigint, b: bigint, kind: 'eq' | 'lt' | 'le', quiet: boolean, s: FloatStatus): boolean {
  const pa = unpack(f, a), pb = unpack(f, b);
  if (isNaN(pa) || isNaN(pb)) {
    if (!quiet || pa.cls === FloatClass.SNaN || pb.cls === FloatClass.SNaN) s.flags |= FloatFlag.Invalid;
    return false;
  }
  const x = value(f, a), y = value(f, b);
  return kind === 'eq' ? x === y : kind === 'lt' ? x < y : x <= y;
}

/** fmin/fmax (minimumNumber: a NaN yields the other operand) and Zfa's fminm/fmaxm (any NaN
 * yields the canonical NaN); -0 < +0. */
export function minMax(f: FloatFmt, a: bigint, b: bigint, isMax: boolean, nanPropagates: boolean, s: FloatStatus): bigint {
  const pa = unpack(f, a), pb = unpack(f, b);
  if (isNaN(pa) || isNaN(pb)) {
    if (pa.cls === FloatClass.SNaN || pb.cls === FloatClass.SNaN) s.flags |= FloatFlag.Invalid;
    if (nanPropagates || (isNaN(pa) && isNaN(pb))) return f.defaultNaN;
    return isNaN(pa) ? b : a;
  }
  const x = value(f, a), y = value(f, b);
  if (x === y) return (pa.sign === 1) === isMax ? b : a;
  return (x < y) !== isMax ? a : b;
}

export function fclass(f: FloatFmt, a: bigint): number {
  const p = unpack(f, a);
  const neg = p.sign === 1;
  switch (p.cls) {
    case FloatClass.SNaN: return 1 << 8;
    case FloatClass.QNaN: return 1 << 9;
    case FloatClass.Inf: return neg ? 1 << 0 : 1 << 7;
    case FloatClass.Zero: return neg ? 1 << 3 : 1 << 4;
    default: {
      const sub = (a >> BigInt(f.p - 1)) & BigInt(f.expMask);
      if (sub === 0n) return neg ? 1 << 2 : 1 << 5;
      return neg ? 1 << 1 : 1 << 6;
    }
  }
}

/** Round to an integral value in the current mode (fround/froundnx); inexact only for nx. */
function roundToInt(f: FloatFmt, a: bigint, nx: boolean, s: FloatStatus): bigint {
  const p = unpack(f, a);
  if (isNaN(p)) {
    if (p.cls === FloatClass.SNaN) s.flags |= FloatFlag.Invalid;
    return f.defaultNaN;
  }
  if (p.cls !== FloatClass.Normal || p.exp >= 0) return a; // zero, inf, or already integral
  const sh = BigInt(-p.exp);
  const m = p.sig >> sh;
  const rem = p.sig - (m << sh);
  if (rem === 0n) return a;
  const half = 1n << (sh - 1n);
  let up: boolean;
  switch (s.roundingMode) {
    case FloatRound.NearestEven: up = rem > half || (rem === half && (m & 1n) === 1n); break;
    case FloatRound.NearestMaxMag: up = rem >= half; break;
    case FloatRound.ToZero: up = false; break;
    case FloatRound.Down: up = p.sign === 1; break;
    default: up = p.sign === 0; break;
  }
  const n = up ? m + 1n : m;
  if (nx) s.flags |= FloatFlag.Inexact;
  const sign = BigInt(p.sign) << BigInt(f.width - 1);
  if (n === 0n) return sign;
  const t = new FloatStatus(); // exact: n has at most p bits
  return exactFromInt(f, n, t) | sign;
}

/** fcvtmod.w.d: truncate, then the integer modulo 2^32 as a signed 32-bit value. Invalid (and
 * result 0) for NaN and infinities; invalid instead of inexact when out of int32 range. */
function fcvtmodWD(a: bigint, s: FloatStatus): bigint {
  const p = unpack(FMT64, a);
  if (p.cls !== FloatClass.Normal) {
    if (p.cls !== FloatClass.Zero) s.flags |= FloatFlag.Invalid;
    return 0n;
  }
  let n: bigint, inexact = false;
  if (p.exp >= 0) n = p.sig << BigInt(p.exp);
  else {
    const sh = BigInt(-p.exp);
    n = p.sig >> sh;
    inexact = (n << sh) !== p.sig;
  }
  const v = p.sign ? -n : n;
  if (v < -0x80000000n || v > 0x7fffffffn) s.flags |= FloatFlag.Invalid;
  else if (inexact) s.flags |= FloatFlag.Inexact;
  return BigInt.asIntN(32, v);
}

/** fli's constants (index = rs1): the values as doubles, rounded into each format. */
const FLI_VALUES: readonly number[] = [
  -1, 0 /* minimum positive normal */, 2 ** -16, 2 ** -15, 2 ** -8, 2 ** -7, 0.0625, 0.125, 0.25, 0.3125, 0.375, 0.4375,
  0.5, 0.625, 0.75, 0.875, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 8, 16, 128, 256, 2 ** 15, 2 ** 16, Infinity, NaN,
];
function fli(fmt: Fmt, idx: number): bigint {
  const f = FMTS[fmt];
  if (idx === 1) return BigInt(1) << BigInt(f.p - 1); // exponent field 1, fraction 0
  const v = FLI_VALUES[idx];
  if (v !== v) return f.defaultNaN;
  const d = new DataView(new ArrayBuffer(8));
  d.setFloat64(0, v);
  return exactConvert(f, FMT64, d.getBigUint64(0), new FloatStatus());
}

/** Operations whose funct3 is not a rounding mode. */
function hasNoRm(op: number): boolean {
  if (op >= FpExtOp.FLI) return op < FpExtOp.FROUND || (op >= FpExtOp.FLEQ && op < FpExtOp.FCVTMOD_W_D);
  return op === FpExtOp.FMIN_H || op === FpExtOp.FMAX_H || op === FpExtOp.FEQ_H || op === FpExtOp.FLT_H ||
    op === FpExtOp.FLE_H || op === FpExtOp.FCLASS_H;
}

/** helperFp for op >= FP_EXT_BASE: false (nothing changed) for a reserved rounding mode. */
export function helperFpExt(env: CPURISCVState, op: number, rd: number, rs1: number, rs2: number, rs3: number,
  rm: number): boolean {
  if (op >= CRYPTO_BASE) return helperCrypto(env, op, rd, rs1, rs2, rs3); // Zkne/Zknd (trans_rvk.ts)
  if (rm === 7) rm = env.view.getUint32(env.base + FRM, true);
  if (rm > 4 && !hasNoRm(op)) return false;
  const s = status;
  s.roundingMode = rm;
  s.flags = 0;
  if (op === FpExtOp.FCVT_BF16_S) writeF(env, Fmt.H, rd, exactConvert(FMTBF16, FMT32, readF(env, Fmt.S, rs1), s));
  else if (op === FpExtOp.FCVT_S_BF16) writeF(env, Fmt.S, rd, exactConvert(FMT32, FMTBF16, readF(env, Fmt.H, rs1), s));
  else if (op >= FpExtOp.FLI) zfa(env, op, rd, rs1, rs2, s);
  else zfh(env, op, rd, rs1, rs2, rs3, s);
  if (s.flags !== 0) {
    const o = env.base + FFLAGS;
    env.view.setUint32(o, env.view.getUint32(o, true) | s.flags, true);
  }
  return true;
}

function zfh(env: CPURISCVState, op: FpExtOp, rd: number, rs1: number, rs2: number, rs3: number, s: FloatStatus): void {
  const H = Fmt.H, f = FMT16;
  const a = () => readF(env, H, rs1), b = () => readF(env, H, rs2);
  const w = (bits: bigint) => writeF(env, H, rd, bits);
  switch (op) {
    case FpExtOp.FADD_H: return w(exactAdd(f, a(), b(), false, s));
    case FpExtOp.FSUB_H: return w(exactAdd(f, a(), b(), true, s));
    case FpExtOp.FMUL_H: return w(exactMul(f, a(), b(), s));
    case FpExtOp.FDIV_H: return w(exactDiv(f, a(), b(), s));
    case FpExtOp.FSQRT_H: return w(exactSqrt(f, a(), s));
    case FpExtOp.FMIN_H: return w(minMax(f, a(), b(), false, false, s));
    case FpExtOp.FMAX_H: return w(minMax(f, a(), b(), true, false, s));
    case FpExtOp.FMADD_H: case FpExtOp.FMSUB_H: case FpExtOp.FNMSUB_H: case FpExtOp.FNMADD_H:
      return w(exactMulAdd(f, a(), b(), readF(env, H, rs3), op === FpExtOp.FNMSUB_H || op === FpExtOp.FNMADD_H,
        op === FpExtOp.FMSUB_H || op === FpExtOp.FNMADD_H, s));
    case FpExtOp.FEQ_H: return writeX(env, rd, compare(f, a(), b(), 'eq', true, s) ? 1n : 0n);
    case FpExtOp.FLT_H: return writeX(env, rd, compare(f, a(), b(), 'lt', false, s) ? 1n : 0n);
    case FpExtOp.FLE_H: return writeX(env, rd, compare(f, a(), b(), 'le', false, s) ? 1n : 0n);
    case FpExtOp.FCLASS_H: return writeX(env, rd, BigInt(fclass(f, a())));
    case FpExtOp.FCVT_W_H: return writeX(env, rd, exactToInt(f, a(), true, 32, s));
    case FpExtOp.FCVT_WU_H: return writeX(env, rd, BigInt.asIntN(32, exactToInt(f, a(), false, 32, s)));
    case FpExtOp.FCVT_L_H: return writeX(env, rd, exactToInt(f, a(), true, 64, s));
    case FpExtOp.FCVT_LU_H: return writeX(env, rd, exactToInt(f, a(), false, 64, s));
    case FpExtOp.FCVT_H_W: return w(exactFromInt(f, BigInt.asIntN(32, readX(env, rs1)), s));
    case FpExtOp.FCVT_H_WU: return w(exactFromInt(f, BigInt.asUintN(32, readX(env, rs1)), s));
    case FpExtOp.FCVT_H_L: return w(exactFromInt(f, readX(env, rs1), s));
    case FpExtOp.FCVT_H_LU: return w(exactFromInt(f, BigInt.asUintN(64, readX(env, rs1)), s));
    case FpExtOp.FCVT_S_H: return writeF(env, Fmt.S, rd, exactConvert(FMT32, f, a(), s));
    case FpExtOp.FCVT_H_S: return w(exactConvert(f, FMT32, readF(env, Fmt.S, rs1), s));
    case FpExtOp.FCVT_D_H: return writeF(env, Fmt.D, rd, exactConvert(FMT64, f, a(), s));
    case FpExtOp.FCVT_H_D: return w(exactConvert(f, FMT64, readF(env, Fmt.D, rs1), s));
    default: return;
  }
}

function zfa(env: CPURISCVState, op: number, rd: number, rs1: number, rs2: number, s: FloatStatus): void {
  if (op === FpExtOp.FCVTMOD_W_D) { writeX(env, rd, fcvtmodWD(readF(env, Fmt.D, rs1), s)); return; }
  const fmt = ((op - FpExtOp.FLI) % 3) as Fmt;
  const base = op - fmt;
  const f = FMTS[fmt];
  const a = () => readF(env, fmt, rs1), b = () => readF(env, fmt, rs2);
  switch (base) {
    case FpExtOp.FLI: return writeF(env, fmt, rd, fli(fmt, rs1));
    case FpExtOp.FMINM: return writeF(env, fmt, rd, minMax(f, a(), b(), false, true, s));
    case FpExtOp.FMAXM: return writeF(env, fmt, rd, minMax(f, a(), b(), true, true, s));
    case FpExtOp.FROUND: return writeF(env, fmt, rd, roundToInt(f, a(), false, s));
    case FpExtOp.FROUNDNX: return writeF(env, fmt, rd, roundToInt(f, a(), true, s));
    case FpExtOp.FLEQ: return writeX(env, rd, compare(f, a(), b(), 'le', true, s) ? 1n : 0n);
    case FpExtOp.FLTQ: return writeX(env, rd, compare(f, a(), b(), 'lt', true, s) ? 1n : 0n);
    default: return;
  }
}
