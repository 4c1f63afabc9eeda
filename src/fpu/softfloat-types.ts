// Shared vocabulary of the soft FPU: rounding modes and exception flags (numbered as RISC-V's
// frm/fflags encode them, so the target helper needs no translation), the status object every
// operation updates, the two format descriptors, and allocation-free bit casts.
//
// Value representation at the API: binary64 values are JS numbers (V8 keeps a NaN's payload
// through typed-array loads and calls, which is how a signalling NaN is recognised); binary32
// values are their 32-bit patterns (a conversion to number would quiet a signalling NaN).
// Every NaN an operation produces is the canonical NaN, so a binary64 result that is NaN always
// means 0x7ff8000000000000.

export const enum FloatRound { NearestEven = 0, ToZero = 1, Down = 2, Up = 3, NearestMaxMag = 4 }

export const enum FloatFlag { Inexact = 1, Underflow = 2, Overflow = 4, DivByZero = 8, Invalid = 16 }

/** QEMU's float_status, reduced to what RISC-V uses (default-NaN mode, tininess after rounding). */
export class FloatStatus {
  roundingMode: number = FloatRound.NearestEven;
  flags = 0;
}

export const F32_DEFAULT_NAN = 0x7fc00000;
export const F32_MIN_NORMAL = 1.1754943508222875e-38; // 2^-126
export const F64_MIN_NORMAL = 2.2250738585072014e-308; // 2^-1022

/** Parameters of an IEEE binary format: precision p (with the hidden bit), exponent range. */
export interface FloatFmt {
  readonly p: number;
  readonly emin: number;
  readonly emax: number;
  readonly bias: number;
  readonly width: number;
  readonly expMask: number; // all-ones biased exponent
  readonly defaultNaN: bigint;
}

export const FMT32: FloatFmt = { p: 24, emin: -126, emax: 127, bias: 127, width: 32, expMask: 0xff, defaultNaN: 0x7fc00000n };
export const FMT64: FloatFmt = {
  p: 53, emin: -1022, emax: 1023, bias: 1023, width: 64, expMask: 0x7ff, defaultNaN: 0x7ff8000000000000n,
};

// Bit-cast scratch (little-endian host: word 0 is the low half).
const s64 = new Float64Array(1);
const w64 = new Uint32Array(s64.buffer);
const b64 = new BigUint64Array(s64.buffer);
const s32 = new Float32Array(1);
const w32 = new Uint32Array(s32.buffer);

/** Value of a binary32 pattern (NaN patterns must be handled before: they come back quieted). */
export function f32Value(bits: number): number {
  w32[0] = bits;
  return s32[0];
}
/** Pattern of a number that is exactly representable in binary32 (NaN gives some NaN). */
export function f32Bits(x: number): number {
  s32[0] = x;
  return w32[0];
}
export function f32IsNaN(bits: number): boolean {
  return (bits & 0x7fffffff) > 0x7f800000;
}
export function f32IsSNaN(bits: number): boolean {
  return (bits & 0x7fc00000) === 0x7f800000 && (bits & 0x003fffff) !== 0;
}

export function f64HighWord(x: number): number {
  s64[0] = x;
  return w64[1];
}
export function f64LowWord(x: number): number {
  s64[0] = x;
  return w64[0];
}
export function f64FromWords(hi: number, lo: number): number {
  w64[0] = lo;
  w64[1] = hi;
  return s64[0];
}
export function f64IsSNaN(x: number): boolean {
  if (x === x) return false;
  s64[0] = x;
  return (w64[1] & 0x00080000) === 0;
}
export function f64ToBigBits(x: number): bigint {
  s64[0] = x;
  return b64[0];
}
export function f64FromBigBits(b: bigint): number {
  b64[0] = b;
  return s64[0];
}

/** The neighbour of finite non-zero x one ulp farther from zero (may be infinite). */
export function f64StepAway(x: number): number {
  s64[0] = x;
  const lo = (w64[0] + 1) >>> 0;
  w64[0] = lo;
  if (lo === 0) w64[1]++;
  return s64[0];
}
/** The neighbour of finite non-zero x one ulp closer to zero. */
export function f64StepToZero(x: number): number {
  s64[0] = x;
  const lo = w64[0];
  w64[0] = (lo - 1) >>> 0;
  if (lo === 0) w64[1]--;
  return s64[0];
}
