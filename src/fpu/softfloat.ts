// IEEE-754 binary32/binary64 arithmetic with the five RISC-V rounding modes and exact flags.
//
// Fast path: the host computes the round-to-nearest-even result r in binary64; an error-free
// transformation gives the exact error (TwoSum for add, Dekker's TwoProduct for mul, the exact
// remainder for div/sqrt); its sign says whether r is exact and on which side the true value
// lies, so directed modes step r by one ulp. binary32 results are the binary64 result rounded
// again (innocuous for + - * / sqrt since 53 >= 2*24+2) with the same error bookkeeping
// (finish32). Whatever the fast path cannot decide cheaply (NaN/inf operands, overflow of r,
// tiny inexact results, operands where the splitting could over/underflow) goes to the exact
// BigInt path in softfloat-exact.ts. See softfloat-types.ts for how values are represented.
import {
  F32_DEFAULT_NAN, F32_MIN_NORMAL, F64_MIN_NORMAL, FloatFlag, FloatRound, FloatStatus, FMT32, FMT64,
  f32Bits, f32Value, f64FromBigBits, f64LowWord, f64StepAway, f64StepToZero, f64ToBigBits,
} from './softfloat-types.js';
import { exactAdd, exactDiv, exactMul, exactMulAdd, exactSqrt } from './softfloat-exact.js';

export * from './softfloat-types.js';

const SPLITTER = 134217729; // 2^27 + 1 (Veltkamp)
const TWO_M960 = 2 ** -960; // 2^-960: below, TwoProduct's low parts may underflow
const TWO_P995 = 2 ** 995; // 2^995: above, the split or its products may overflow
const TWO_P128 = 2 ** 128;

/** Exact a*b - p for p = RN(a*b), when no part over- or underflows (Dekker). */
function twoProductError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/**
 * Final binary64 result from r = RN(exact) and err whose sign is that of exact - r (err !== 0).
 * With exactErr, err is the exact error, which lets round-to-max-magnitude see ties.
 */
export function round64(r: number, err: number, exactErr: boolean, s: FloatStatus): number {
  s.flags |= FloatFlag.Inexact;
  let out = r;
  switch (s.roundingMode) {
    case FloatRound.NearestEven: return r;
    case FloatRound.ToZero:
      if ((err < 0) !== (r < 0)) out = f64StepToZero(r);
      break;
    case FloatRound.Down:
      if (err < 0) out = r > 0 ? f64StepToZero(r) : f64StepAway(r);
      break;
    case FloatRound.Up:
      if (err > 0) out = r > 0 ? f64StepAway(r) : f64StepToZero(r);
      break;
    default: // NearestMaxMag differs from RNE only on a tie RNE resolved toward zero
      if (exactErr && (err < 0) === (r < 0)) {
        const t = f64StepAway(r);
        if (Math.abs(t - r) === 2 * Math.abs(err)) out = t;
      }
      break;
  }
  if (out === Infinity || out === -Infinity) s.flags |= FloatFlag.Overflow;
  return out;
}

/**
 * binary32 pattern of the exact value x + err, where x is a finite double and err has the sign
 * of (exact - x) (exact when err is 0). Returns -1 when the result would be tiny and inexact:
 * the caller then takes the exact path.
 */
export function finish32(x: number, err: number, s: FloatStatus): number {
  const r = Math.fround(x);
  const mode = s.roundingMode;
  if (err === 0 && (r === x || (mode === FloatRound.NearestEven && Math.abs(r) > F32_MIN_NORMAL &&
    Math.abs(r) < Infinity))) { // x is the exact value: fround is the answer for RNE
    if (r !== x) s.flags |= FloatFlag.Inexact;
    return f32Bits(r);
  }
  if (r === Infinity || r === -Infinity) {
    // RNE overflowed; other modes keep MAX when the value rounds below 2^128 for them.
    const big = r > 0 ? TWO_P128 : -TWO_P128;
    const d = x - big;
    const beyond = d !== 0 ? (d > 0) === (x > 0) : (err === 0 || (err > 0) === (x > 0));
    const toInf = mode === FloatRound.NearestEven || mode === FloatRound.NearestMaxMag ||
      (mode === FloatRound.Up && x > 0) || (mode === FloatRound.Down && x < 0);
    s.flags |= FloatFlag.Inexact | (toInf || beyond ? FloatFlag.Overflow : 0);
    return f32Bits(toInf ? r : (x > 0 ? 3.4028234663852886e+38 : -3.4028234663852886e+38));
  }
  if (Math.abs(r) <= F32_MIN_NORMAL) return -1;
  const d = x - r; // exact; exact - r has the sign of d, or of err when d is 0
  const up = d !== 0 ? d > 0 : err > 0; // true value above r
  const away = up === (r > 0);
  const rb = f32Bits(r);
  const nb = away ? rb + 1 : rb - 1; // neighbour of r toward the true value
  let take: boolean;
  switch (mode) {
    case FloatRound.NearestEven:
    case FloatRound.NearestMaxMag: {
      const half = Math.abs(f32Value(nb) - r) / 2;
      const ad = Math.abs(d);
      if (ad < half) take = false;
      else if (err !== 0) take = (err > 0) === (d > 0); // beyond the midpoint, or short of it
      else take = mode === FloatRound.NearestMaxMag && away; // exact tie
      break;
    }
    case FloatRound.ToZero: take = !away; break;
    case FloatRound.Down: take = !up; break;
    default: take = up; break;
  }
  s.flags |= FloatFlag.Inexact;
  if (!take) return rb;
  if ((nb & 0x7fffffff) === 0x7f800000) s.flags |= FloatFlag.Overflow;
  return nb >>> 0;
}

// ---- binary64 ----

function slow64(r: bigint): number {
  return f64FromBigBits(r);
}

export function float64Add(a: number, b: number, s: FloatStatus): number {
  const r = a + b;
  if (r - r !== 0) return slow64(exactAdd(FMT64, f64ToBigBits(a), f64ToBigBits(b), false, s));
  const bv = r - a;
  const err = (a - (r - bv)) + (b - bv);
  if (err !== 0) return round64(r, err, true, s);
  if (r === 0 && s.roundingMode === FloatRound.Down && !(1 / a > 0 && 1 / b > 0)) return -0;
  return r;
}

export function float64Sub(a: number, b: number, s: FloatStatus): number {
  const r = a - b;
  if (r - r !== 0) return slow64(exactAdd(FMT64, f64ToBigBits(a), f64ToBigBits(b), true, s));
  const bv = r - a;
  const err = (a - (r - bv)) - (b + bv);
  if (err !== 0) return round64(r, err, true, s);
  if (r === 0 && s.roundingMode === FloatRound.Down && !(1 / a > 0 && 1 / b < 0)) return -0;
  return r;
}

export function float64Mul(a: number, b: number, s: FloatStatus): number {
  const r = a * b;
  const ar = Math.abs(r), aa = Math.abs(a), ab = Math.abs(b);
  if (ar >= TWO_M960 && ar <= TWO_P995 && aa <= TWO_P995 && ab <= TWO_P995 &&
    aa >= F64_MIN_NORMAL && ab >= F64_MIN_NORMAL) {
    const err = twoProductError(a, b, r);
    return err === 0 ? r : round64(r, err, true, s);
  }
  if (r === 0 && (a === 0 || b === 0)) return r;
  return slow64(exactMul(FMT64, f64ToBigBits(a), f64ToBigBits(b), s));
}

export function float64Div(a: number, b: number, s: FloatStatus): number {
  const r = a / b;
  const ar = Math.abs(r), aa = Math.abs(a), ab = Math.abs(b);
  if (ar >= F64_MIN_NORMAL && ar <= TWO_P995 && ab >= F64_MIN_NORMAL && ab <= TWO_P995 &&
    aa >= TWO_M960 && aa <= TWO_P995) {
    const p = r * b;
    const rem = (a - p) - twoProductError(r, b, p); // exact a - r*b
    if (rem === 0) return r;
    return round64(r, (rem < 0) === (b < 0) ? 1 : -1, false, s); // quotients never tie
  }
  if (a === 0 && r === 0) return r;
  return slow64(exactDiv(FMT64, f64ToBigBits(a), f64ToBigBits(b), s));
}

export function float64Sqrt(a: number, s: FloatStatus): number {
  if (a >= TWO_M960 && a <= TWO_P995) {
    const r = Math.sqrt(a);
    const p = r * r;
    const rem = (a - p) - twoProductError(r, r, p);
    return rem === 0 ? r : round64(r, rem, false, s);
  }
  if (a === 0) return a;
  return slow64(exactSqrt(FMT64, f64ToBigBits(a), s));
}

const TWO_M1020 = 2 ** -1020;

/**
 * Fused multiply-add: (-1)^negProduct*a*b + (-1)^negC*c with one rounding. Fast path: Boldo and
 * Melquiond's emulation, RN(th + RO(tl + ul)) with a*b = uh + ul exactly, c + uh = th + tl
 * exactly and RO rounding to odd; the exact error of the last sum (plus the sign of the
 * rounding-to-odd error) then drives the directed modes. Anything near the edges of the
 * exponent range, zeros and specials take the exact path.
 */
export function float64MulAdd(a: number, b: number, c: number, negProduct: boolean, negC: boolean,
  s: FloatStatus): number {
  const x = negProduct ? -a : a, z = negC ? -c : c;
  const uh = x * b;
  const au = Math.abs(uh), aa = Math.abs(a), ab = Math.abs(b);
  if (au >= TWO_M960 && au <= TWO_P995 && aa >= F64_MIN_NORMAL && aa <= TWO_P995 &&
    ab >= F64_MIN_NORMAL && ab <= TWO_P995 && Math.abs(z) <= TWO_P995) {
    const ul = twoProductError(x, b, uh);
    const th = z + uh;
    let bv = th - z;
    const tl = (z - (th - bv)) + (uh - bv);
    let v = tl + ul;
    bv = v - tl;
    const w = (tl - (v - bv)) + (ul - bv);
    let stepped = false;
    if (w !== 0 && (f64LowWord(v) & 1) === 0) { // round to odd
      v = (w > 0) === (v > 0) ? f64StepAway(v) : f64StepToZero(v);
      stepped = true;
    }
    const r = th + v;
    const ar = Math.abs(r);
    if (ar >= TWO_M1020 && ar <= TWO_P995) {
      bv = r - th;
      const e1 = (th - (r - bv)) + (v - bv);
      if (w === 0) return e1 === 0 ? r : round64(r, e1, true, s);
      // exact - r = e1 + d, d the rounding-to-odd error: |d| < ulp(v) <= |e1| unless e1 is 0
      const dSign = (w > 0) !== stepped ? 1 : -1;
      return round64(r, e1 !== 0 ? e1 : dSign, false, s);
    }
  }
  return slow64(exactMulAdd(FMT64, f64ToBigBits(a), f64ToBigBits(b), f64ToBigBits(c), negProduct, negC, s));
}

// ---- binary32 (patterns in, patterns out) ----

function special32(bits: number): boolean {
  return (bits & 0x7f800000) === 0x7f800000;
}

export function float32Add(a: number, b: number, s: FloatStatus): number {
  return addSub32(a, b, false, s);
}
export function float32Sub(a: number, b: number, s: FloatStatus): number {
  return addSub32(a, b, true, s);
}

function addSub32(a: number, b: number, negB: boolean, s: FloatStatus): number {
  if (!special32(a) && !special32(b)) {
    const x = f32Value(a), y = negB ? -f32Value(b) : f32Value(b);
    const r = x + y;
    const bv = r - x;
    const err = (x - (r - bv)) + (y - bv);
    if (r === 0 && err === 0) {
      const neg = s.roundingMode === FloatRound.Down ? !(1 / x > 0 && 1 / y > 0) : (1 / x < 0 && 1 / y < 0);
      return neg ? 0x80000000 : 0;
    }
    const out = finish32(r, err, s);
    if (out >= 0) return out;
  }
  return Number(exactAdd(FMT32, BigInt(a >>> 0), BigInt(b >>> 0), negB, s));
}

export function float32Mul(a: number, b: number, s: FloatStatus): number {
  if (!special32(a) && !special32(b)) {
    const out = finish32(f32Value(a) * f32Value(b), 0, s); // the product is exact in binary64
    if (out >= 0) return out;
  }
  return Number(exactMul(FMT32, BigInt(a >>> 0), BigInt(b >>> 0), s));
}

export function float32Div(a: number, b: number, s: FloatStatus): number {
  if (!special32(a) && !special32(b) && (b & 0x7fffffff) !== 0) {
    const x = f32Value(a), y = f32Value(b);
    const r = x / y;
    const p = r * y;
    const rem = (x - p) - twoProductError(r, y, p);
    const out = finish32(r, rem === 0 ? 0 : ((rem < 0) === (y < 0) ? 1 : -1), s);
    if (out >= 0) return out;
  }
  return Number(exactDiv(FMT32, BigInt(a >>> 0), BigInt(b >>> 0), s));
}

export function float32Sqrt(a: number, s: FloatStatus): number {
  if (!special32(a) && (a >>> 31) === 0) {
    const x = f32Value(a);
    const r = Math.sqrt(x);
    const p = r * r;
    const rem = (x - p) - twoProductError(r, r, p);
    const out = finish32(r, rem, s);
    if (out >= 0) return out;
  }
  return Number(exactSqrt(FMT32, BigInt(a >>> 0), s));
}

/** binary32 fused multiply-add: the product is exact in binary64, TwoSum makes the sum exact. */
export function float32MulAdd(a: number, b: number, c: number, negProduct: boolean, negC: boolean,
  s: FloatStatus): number {
  if (!special32(a) && !special32(b) && !special32(c)) {
    const p = negProduct ? -(f32Value(a) * f32Value(b)) : f32Value(a) * f32Value(b);
    const z = negC ? -f32Value(c) : f32Value(c);
    const r = p + z;
    const bv = r - p;
    const err = (p - (r - bv)) + (z - bv);
    if (r !== 0 || err !== 0) {
      const out = finish32(r, err, s);
      if (out >= 0) return out;
    }
  }
  return Number(exactMulAdd(FMT32, BigInt(a >>> 0), BigInt(b >>> 0), BigInt(c >>> 0), negProduct, negC, s));
}

export { F32_DEFAULT_NAN };
