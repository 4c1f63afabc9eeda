// Comparisons, minimumNumber/maximumNumber (RISC-V F/D 2.2 fmin/fmax) and classification.
// None of these round, so none touch the rounding mode; they only raise invalid.
import {
  FloatFlag, FloatStatus, F32_DEFAULT_NAN, f32IsNaN, f32IsSNaN, f32Value, f64HighWord, f64IsSNaN,
} from './softfloat-types.js';

// ---- binary64 (numbers) ----

/** Quiet equality: invalid only for a signalling NaN. */
export function float64Eq(a: number, b: number, s: FloatStatus): boolean {
  if (a !== a || b !== b) {
    if (f64IsSNaN(a) || f64IsSNaN(b)) s.flags |= FloatFlag.Invalid;
    return false;
  }
  return a === b;
}
/** Signalling less-than: invalid for any NaN. */
export function float64Lt(a: number, b: number, s: FloatStatus): boolean {
  if (a !== a || b !== b) {
    s.flags |= FloatFlag.Invalid;
    return false;
  }
  return a < b;
}
export function float64Le(a: number, b: number, s: FloatStatus): boolean {
  if (a !== a || b !== b) {
    s.flags |= FloatFlag.Invalid;
    return false;
  }
  return a <= b;
}

/** minimumNumber (isMax false) / maximumNumber: a NaN operand yields the other; -0 < +0. */
export function float64MinMax(a: number, b: number, isMax: boolean, s: FloatStatus): number {
  if (a !== a || b !== b) {
    if (f64IsSNaN(a) || f64IsSNaN(b)) s.flags |= FloatFlag.Invalid;
    if (a !== a && b !== b) return NaN;
    return a !== a ? b : a;
  }
  if (a === b) { // equal, or zeros of either sign
    const aNeg = a === 0 ? 1 / a < 0 : a < 0;
    return aNeg === isMax ? b : a;
  }
  return (a < b) !== isMax ? a : b;
}

export function float64Class(a: number): number {
  const neg = f64HighWord(a) >>> 31 === 1;
  if (a !== a) return f64IsSNaN(a) ? 1 << 8 : 1 << 9;
  return classOf(Math.abs(a), neg, 2.2250738585072014e-308);
}

// ---- binary32 (patterns) ----

export function float32Eq(a: number, b: number, s: FloatStatus): boolean {
  if (f32IsNaN(a) || f32IsNaN(b)) {
    if (f32IsSNaN(a) || f32IsSNaN(b)) s.flags |= FloatFlag.Invalid;
    return false;
  }
  return f32Value(a) === f32Value(b);
}
export function float32Lt(a: number, b: number, s: FloatStatus): boolean {
  if (f32IsNaN(a) || f32IsNaN(b)) {
    s.flags |= FloatFlag.Invalid;
    return false;
  }
  return f32Value(a) < f32Value(b);
}
export function float32Le(a: number, b: number, s: FloatStatus): boolean {
  if (f32IsNaN(a) || f32IsNaN(b)) {
    s.flags |= FloatFlag.Invalid;
    return false;
  }
  return f32Value(a) <= f32Value(b);
}

export function float32MinMax(a: number, b: number, isMax: boolean, s: FloatStatus): number {
  const an = f32IsNaN(a), bn = f32IsNaN(b);
  if (an || bn) {
    if (f32IsSNaN(a) || f32IsSNaN(b)) s.flags |= FloatFlag.Invalid;
    if (an && bn) return F32_DEFAULT_NAN;
    return an ? b : a;
  }
  const x = f32Value(a), y = f32Value(b);
  if (x === y) return ((a >>> 31) === 1) === isMax ? b : a;
  return (x < y) !== isMax ? a : b;
}

export function float32Class(a: number): number {
  if (f32IsNaN(a)) return f32IsSNaN(a) ? 1 << 8 : 1 << 9;
  return classOf(Math.abs(f32Value(a)), (a >>> 31) === 1, 1.1754943508222875e-38);
}

/** The fclass mask: bits 0-7 are -inf, -normal, -subnormal, -0, +0, +subnormal, +normal, +inf. */
function classOf(mag: number, neg: boolean, minNormal: number): number {
  let k: number;
  if (mag === Infinity) k = 0;
  else if (mag >= minNormal) k = 1;
  else if (mag !== 0) k = 2;
  else k = 3;
  return neg ? 1 << k : 1 << (7 - k);
}
