// Conversions: between binary32 and binary64, and between them and 32/64-bit integers, with
// RISC-V's saturating results for NaN and out-of-range values. Integer <-> float work on doubles
// (every 32-bit integer, and every integral double, is exact) and on the two 32-bit halves of
// 64-bit integers, so no BigInt is made on these paths; the exact path handles the rest.
import {
  FloatFlag, FloatRound, FloatStatus, FMT32, FMT64, F32_DEFAULT_NAN, f32IsNaN, f32IsSNaN, f32Value,
  f64IsSNaN, f64ToBigBits, finish32, round64,
} from './softfloat.js';
import { exactConvert } from './softfloat-exact.js';

const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;
const TWO_64 = 18446744073709551616;

/** The two 32-bit halves of the last 64-bit integer result (hi as unsigned). */
export const i64Out = { hi: 0, lo: 0 };

let roundInexact = false;

/** x (finite) rounded to an integral double in `mode`; sets roundInexact. */
function roundToIntegral(x: number, mode: number): number {
  const t = Math.trunc(x);
  const diff = x - t; // exact, |diff| < 1
  roundInexact = diff !== 0;
  if (!roundInexact) return t;
  const step = diff > 0 ? 1 : -1;
  switch (mode) {
    case FloatRound.ToZero: return t;
    case FloatRound.Down: return diff < 0 ? t - 1 : t;
    case FloatRound.Up: return diff > 0 ? t + 1 : t;
    case FloatRound.NearestEven: {
      const ad = Math.abs(diff);
      return ad > 0.5 || (ad === 0.5 && t % 2 !== 0) ? t + step : t;
    }
    default: return Math.abs(diff) >= 0.5 ? t + step : t;
  }
}

/**
 * x rounded to an integer in [min, max] (doubles; max may stand for 2^63-1 as 2^63 with
 * `maxExclusive`). Saturates with only invalid raised. NaN gives max.
 */
function toIntegerClamped(x: number, min: number, max: number, maxExclusive: boolean, s: FloatStatus): number {
  if (x !== x) {
    s.flags |= FloatFlag.Invalid;
    return max;
  }
  const r = x - x === 0 ? roundToIntegral(x, s.roundingMode) : x;
  if (r < min) {
    s.flags |= FloatFlag.Invalid;
    return min;
  }
  if (maxExclusive ? r >= max : r > max) {
    s.flags |= FloatFlag.Invalid;
    return max;
  }
  if (x - x === 0 && roundInexact) s.flags |= FloatFlag.Inexact;
  return r === 0 ? 0 : r;
}

/** Signed 32-bit result (as a number in int32 range). */
export function float64ToInt32(x: number, s: FloatStatus): number {
  return toIntegerClamped(x, -2147483648, 2147483647, false, s);
}
/** Unsigned 32-bit result (0 .. 2^32-1). */
export function float64ToUint32(x: number, s: FloatStatus): number {
  return toIntegerClamped(x, 0, 4294967295, false, s);
}

function setI64(v: number): void {
  const hi = Math.floor(v / TWO_32);
  i64Out.lo = v - hi * TWO_32;
  i64Out.hi = hi >>> 0;
}

/** Signed 64-bit result into i64Out. */
export function float64ToInt64(x: number, s: FloatStatus): void {
  const v = toIntegerClamped(x, -TWO_63, TWO_63, true, s);
  if (v === TWO_63) {
    i64Out.hi = 0x7fffffff;
    i64Out.lo = 0xffffffff;
  } else {
    setI64(v);
  }
}
/** Unsigned 64-bit result into i64Out. */
export function float64ToUint64(x: number, s: FloatStatus): void {
  const v = toIntegerClamped(x, 0, TWO_64, true, s);
  if (v === TWO_64) {
    i64Out.hi = 0xffffffff;
    i64Out.lo = 0xffffffff;
  } else {
    setI64(v);
  }
}

// binary32 sources: every NaN converts the same way, so the quieted value is fine.
export function float32ToInt32(a: number, s: FloatStatus): number { return float64ToInt32(f32Value(a), s); }
export function float32ToUint32(a: number, s: FloatStatus): number { return float64ToUint32(f32Value(a), s); }
export function float32ToInt64(a: number, s: FloatStatus): void { float64ToInt64(f32Value(a), s); }
export function float32ToUint64(a: number, s: FloatStatus): void { float64ToUint64(f32Value(a), s); }

/** 32-bit integer value (signed or unsigned, as a number) to binary32. */
export function int32ToFloat32(v: number, s: FloatStatus): number {
  return finish32(v, 0, s);
}

/** 64-bit integer given as halves (hi signed or unsigned as the caller read it) to binary64. */
export function int64ToFloat64(hi: number, lo: number, s: FloatStatus): number {
  const a = hi * TWO_32;
  const r = a + lo;
  const bv = r - a;
  const err = (a - (r - bv)) + (lo - bv);
  return err === 0 ? r : round64(r, err, true, s);
}

export function int64ToFloat32(hi: number, lo: number, s: FloatStatus): number {
  const a = hi * TWO_32;
  const r = a + lo;
  const bv = r - a;
  const err = (a - (r - bv)) + (lo - bv);
  return finish32(r, err, s); // never tiny: a non-zero integer is >= 1
}

export function float64ToFloat32(x: number, s: FloatStatus): number {
  if (x !== x) {
    if (f64IsSNaN(x)) s.flags |= FloatFlag.Invalid;
    return F32_DEFAULT_NAN;
  }
  if (x - x === 0) {
    const out = finish32(x, 0, s);
    if (out >= 0) return out;
  }
  return Number(exactConvert(FMT32, FMT64, f64ToBigBits(x), s));
}

export function float32ToFloat64(a: number, s: FloatStatus): number {
  if (f32IsNaN(a)) {
    if (f32IsSNaN(a)) s.flags |= FloatFlag.Invalid;
    return NaN;
  }
  return f32Value(a);
}

