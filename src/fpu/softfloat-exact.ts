// The exact path: every operation computed with BigInt significands, then rounded once by
// roundPack(). It handles everything (NaN, infinities, subnormals, overflow, fused
// multiply-add); the fast double-based paths in softfloat.ts defer to it for the rare cases they
// cannot decide exactly. Values travel as bit patterns in bigints (binary32 in the low 32 bits).
import { FloatFlag, FloatRound, FloatStatus, FloatFmt } from './softfloat-types.js';

export const enum FloatClass { Zero = 0, Normal = 1, Inf = 2, QNaN = 3, SNaN = 4 }

/** An unpacked value: sig * 2^exp (sig includes the hidden bit; subnormals are not normalised). */
export interface FloatParts { cls: FloatClass; sign: number; exp: number; sig: bigint }

export function unpack(f: FloatFmt, bits: bigint): FloatParts {
  const fracBits = BigInt(f.p - 1);
  const sign = Number(bits >> BigInt(f.width - 1)) & 1;
  const biased = Number((bits >> fracBits) & BigInt(f.expMask));
  const frac = bits & ((1n << fracBits) - 1n);
  if (biased === f.expMask) {
    if (frac === 0n) return { cls: FloatClass.Inf, sign, exp: 0, sig: 0n };
    const quiet = (frac >> (fracBits - 1n)) !== 0n;
    return { cls: quiet ? FloatClass.QNaN : FloatClass.SNaN, sign, exp: 0, sig: 0n };
  }
  if (biased === 0) {
    if (frac === 0n) return { cls: FloatClass.Zero, sign, exp: 0, sig: 0n };
    return { cls: FloatClass.Normal, sign, exp: f.emin - (f.p - 1), sig: frac };
  }
  return { cls: FloatClass.Normal, sign, exp: biased - f.bias - (f.p - 1), sig: frac | (1n << fracBits) };
}

export function bitLength(x: bigint): number {
  let n = 0;
  while (x >= 0x10000000000000000n) {
    x >>= 64n;
    n += 64;
  }
  const hi = Number(x >> 32n);
  if (hi !== 0) return n + 64 - Math.clz32(hi);
  return n + 32 - Math.clz32(Number(x));
}

let lastInexact = false;

/** sig * 2^-shift rounded to an integer in `mode`; sets lastInexact. */
function roundShift(sig: bigint, shift: number, sign: number, mode: number): bigint {
  if (shift <= 0) {
    lastInexact = false;
    return sig << BigInt(-shift);
  }
  const sh = BigInt(shift);
  const m = sig >> sh;
  const rem = sig - (m << sh);
  lastInexact = rem !== 0n;
  if (!lastInexact) return m;
  const half = 1n << (sh - 1n);
  let up: boolean;
  switch (mode) {
    case FloatRound.NearestEven: up = rem > half || (rem === half && (m & 1n) === 1n); break;
    case FloatRound.NearestMaxMag: up = rem >= half; break;
    case FloatRound.ToZero: up = false; break;
    case FloatRound.Down: up = sign === 1; break;
    default: up = sign === 0; break;
  }
  return up ? m + 1n : m;
}

export function signedZero(f: FloatFmt, sign: number): bigint {
  return BigInt(sign) << BigInt(f.width - 1);
}
export function infinity(f: FloatFmt, sign: number): bigint {
  return signedZero(f, sign) | (BigInt(f.expMask) << BigInt(f.p - 1));
}

/** The result of an overflow: infinity or the largest finite value, as the mode dictates. */
function overflowResult(f: FloatFmt, sign: number, mode: number): bigint {
  const toInf = mode === FloatRound.NearestEven || mode === FloatRound.NearestMaxMag ||
    (mode === FloatRound.Up && sign === 0) || (mode === FloatRound.Down && sign === 1);
  const inf = infinity(f, sign);
  return toInf ? inf : inf - 1n;
}

/**
 * Round (-1)^sign * sig * 2^exp (sig > 0, exact) to format f: the one rounding of every
 * operation. Tininess is detected after rounding (RISC-V): tiny when the value rounded to p bits
 * with an unbounded exponent is below 2^emin; underflow is raised when tiny and inexact.
 */
export function roundPack(f: FloatFmt, sign: number, exp: number, sig: bigint, s: FloatStatus): bigint {
  const mode = s.roundingMode;
  const e = exp + bitLength(sig) - 1; // exponent of the leading bit
  const qNorm = e - (f.p - 1);
  const qMin = f.emin - (f.p - 1);
  let q = qNorm > qMin ? qNorm : qMin;
  let m = roundShift(sig, q - exp, sign, mode);
  const inexact = lastInexact;
  const pPow = 1n << BigInt(f.p);
  if (m === pPow) { // carried into the next binade
    m >>= 1n;
    q++;
  }
  let flags = 0;
  if (inexact) {
    flags |= FloatFlag.Inexact;
    let tiny = e < f.emin;
    if (e === f.emin - 1) tiny = roundShift(sig, qNorm - exp, sign, mode) !== pPow;
    if (tiny) flags |= FloatFlag.Underflow;
  }
  const hidden = 1n << BigInt(f.p - 1);
  let bits: bigint;
  if (m >= hidden && q + f.p - 1 > f.emax) {
    flags |= FloatFlag.Overflow | FloatFlag.Inexact;
    bits = overflowResult(f, sign, mode);
  } else if (m >= hidden) {
    bits = signedZero(f, sign) | (BigInt(q + f.p - 1 + f.bias) << BigInt(f.p - 1)) | (m - hidden);
  } else {
    bits = signedZero(f, sign) | m;
  }
  s.flags |= flags;
  return bits;
}

function nanResult(f: FloatFmt, s: FloatStatus, ...parts: FloatParts[]): bigint {
  for (const p of parts) if (p.cls === FloatClass.SNaN) s.flags |= FloatFlag.Invalid;
  return f.defaultNaN;
}
function invalid(f: FloatFmt, s: FloatStatus): bigint {
  s.flags |= FloatFlag.Invalid;
  return f.defaultNaN;
}

/** Exact sum of two finite signed values (either significand may be 0, not both), rounded. */
function addFinite(f: FloatFmt, sa: number, ea: number, ma: bigint, sb: number, eb: number, mb: bigint,
  s: FloatStatus): bigint {
  if (mb === 0n) return roundPack(f, sa, ea, ma, s);
  if (ma === 0n) return roundPack(f, sb, eb, mb, s);
  const e = ea < eb ? ea : eb;
  const va = (ma << BigInt(ea - e)) * (sa ? -1n : 1n);
  const vb = (mb << BigInt(eb - e)) * (sb ? -1n : 1n);
  const sum = va + vb;
  if (sum === 0n) return signedZero(f, s.roundingMode === FloatRound.Down ? 1 : 0);
  return sum < 0n ? roundPack(f, 1, e, -sum, s) : roundPack(f, 0, e, sum, s);
}

function zeroSum(f: FloatFmt, sa: number, sb: number, s: FloatStatus): bigint {
  return signedZero(f, sa === sb ? sa : (s.roundingMode === FloatRound.Down ? 1 : 0));
}

export function exactAdd(f: FloatFmt, abits: bigint, bbits: bigint, negB: boolean, s: FloatStatus): bigint {
  const a = unpack(f, abits), b = unpack(f, bbits);
  const sb = b.sign ^ (negB ? 1 : 0);
  if (a.cls >= FloatClass.QNaN || b.cls >= FloatClass.QNaN) return nanResult(f, s, a, b);
  if (a.cls === FloatClass.Inf) {
    if (b.cls === FloatClass.Inf && a.sign !== sb) return invalid(f, s);
    return infinity(f, a.sign);
  }
  if (b.cls === FloatClass.Inf) return infinity(f, sb);
  if (a.cls === FloatClass.Zero && b.cls === FloatClass.Zero) return zeroSum(f, a.sign, sb, s);
  return addFinite(f, a.sign, a.exp, a.sig, sb, b.exp, b.sig, s);
}

export function exactMul(f: FloatFmt, abits: bigint, bbits: bigint, s: FloatStatus): bigint {
  const a = unpack(f, abits), b = unpack(f, bbits);
  const sign = a.sign ^ b.sign;
  if (a.cls >= FloatClass.QNaN || b.cls >= FloatClass.QNaN) return nanResult(f, s, a, b);
  if (a.cls === FloatClass.Inf || b.cls === FloatClass.Inf) {
    if (a.cls === FloatClass.Zero || b.cls === FloatClass.Zero) return invalid(f, s);
    return infinity(f, sign);
  }
  if (a.cls === FloatClass.Zero || b.cls === FloatClass.Zero) return signedZero(f, sign);
  return roundPack(f, sign, a.exp + b.exp, a.sig * b.sig, s);
}

export function exactDiv(f: FloatFmt, abits: bigint, bbits: bigint, s: FloatStatus): bigint {
  const a = unpack(f, abits), b = unpack(f, bbits);
  const sign = a.sign ^ b.sign;
  if (a.cls >= FloatClass.QNaN || b.cls >= FloatClass.QNaN) return nanResult(f, s, a, b);
  if (a.cls === FloatClass.Inf) return b.cls === FloatClass.Inf ? invalid(f, s) : infinity(f, sign);
  if (b.cls === FloatClass.Inf) return signedZero(f, sign);
  if (b.cls === FloatClass.Zero) {
    if (a.cls === FloatClass.Zero) return invalid(f, s);
    s.flags |= FloatFlag.DivByZero;
    return infinity(f, sign);
  }
  if (a.cls === FloatClass.Zero) return signedZero(f, sign);
  // Quotient with at least p+2 bits, then a sticky bit below it.
  const k = Math.max(0, f.p + 3 + bitLength(b.sig) - bitLength(a.sig));
  const num = a.sig << BigInt(k);
  const q = num / b.sig;
  const sticky = num - q * b.sig !== 0n ? 1n : 0n;
  return roundPack(f, sign, a.exp - b.exp - k - 1, (q << 1n) | sticky, s);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1); // >= sqrt(n)
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function exactSqrt(f: FloatFmt, abits: bigint, s: FloatStatus): bigint {
  const a = unpack(f, abits);
  if (a.cls >= FloatClass.QNaN) return nanResult(f, s, a);
  if (a.cls === FloatClass.Zero) return signedZero(f, a.sign);
  if (a.sign) return invalid(f, s);
  if (a.cls === FloatClass.Inf) return infinity(f, 0);
  let sig = a.sig, exp = a.exp;
  if (exp & 1) {
    sig <<= 1n;
    exp -= 1;
  }
  const k = Math.max(0, f.p + 3 - (bitLength(sig) >> 1));
  sig <<= BigInt(2 * k);
  exp -= 2 * k;
  const root = isqrt(sig);
  const sticky = root * root !== sig ? 1n : 0n;
  return roundPack(f, 0, exp / 2 - 1, (root << 1n) | sticky, s);
}

/**
 * (-1)^negProduct * a * b + (-1)^negC * c with a single rounding (QEMU's float_muladd with the
 * negate_product / negate_c flags). inf * 0 raises invalid even when c is a quiet NaN (RISC-V).
 */
export function exactMulAdd(f: FloatFmt, abits: bigint, bbits: bigint, cbits: bigint, negProduct: boolean,
  negC: boolean, s: FloatStatus): bigint {
  const a = unpack(f, abits), b = unpack(f, bbits), c = unpack(f, cbits);
  const infZero = (a.cls === FloatClass.Inf && b.cls === FloatClass.Zero) ||
    (a.cls === FloatClass.Zero && b.cls === FloatClass.Inf);
  if (a.cls >= FloatClass.QNaN || b.cls >= FloatClass.QNaN || c.cls >= FloatClass.QNaN) {
    if (infZero) s.flags |= FloatFlag.Invalid;
    return nanResult(f, s, a, b, c);
  }
  if (infZero) return invalid(f, s);
  const ps = a.sign ^ b.sign ^ (negProduct ? 1 : 0);
  const cs = c.sign ^ (negC ? 1 : 0);
  if (a.cls === FloatClass.Inf || b.cls === FloatClass.Inf) {
    if (c.cls === FloatClass.Inf && cs !== ps) return invalid(f, s);
    return infinity(f, ps);
  }
  if (c.cls === FloatClass.Inf) return infinity(f, cs);
  const productZero = a.cls === FloatClass.Zero || b.cls === FloatClass.Zero;
  if (productZero && c.cls === FloatClass.Zero) return zeroSum(f, ps, cs, s);
  if (productZero) return roundPack(f, cs, c.exp, c.sig, s);
  return addFinite(f, ps, a.exp + b.exp, a.sig * b.sig, cs, c.exp, c.sig, s);
}

/** Convert between formats (rounding when narrowing); NaN -> default NaN, sNaN raises invalid. */
export function exactConvert(to: FloatFmt, from: FloatFmt, abits: bigint, s: FloatStatus): bigint {
  const a = unpack(from, abits);
  if (a.cls >= FloatClass.QNaN) return nanResult(to, s, a);
  if (a.cls === FloatClass.Inf) return infinity(to, a.sign);
  if (a.cls === FloatClass.Zero) return signedZero(to, a.sign);
  return roundPack(to, a.sign, a.exp, a.sig, s);
}

/** Signed integer v to format f (+0 for 0). */
export function exactFromInt(f: FloatFmt, v: bigint, s: FloatStatus): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? roundPack(f, 1, 0, -v, s) : roundPack(f, 0, 0, v, s);
}

/**
 * Float to integer of `width` bits, RISC-V saturation: NaN -> max, overflow -> min/max by sign,
 * negative to unsigned -> 0; those raise only invalid. Returns the value as a signed bigint in
 * the target range (unsigned results are non-negative).
 */
export function exactToInt(f: FloatFmt, abits: bigint, signed: boolean, width: number, s: FloatStatus): bigint {
  const a = unpack(f, abits);
  const max = signed ? (1n << BigInt(width - 1)) - 1n : (1n << BigInt(width)) - 1n;
  const min = signed ? -(1n << BigInt(width - 1)) : 0n;
  if (a.cls >= FloatClass.QNaN) {
    s.flags |= FloatFlag.Invalid;
    return max;
  }
  if (a.cls === FloatClass.Inf) {
    s.flags |= FloatFlag.Invalid;
    return a.sign ? min : max;
  }
  if (a.cls === FloatClass.Zero) return 0n;
  const m = roundShift(a.sig, -a.exp, a.sign, s.roundingMode);
  const v = a.sign ? -m : m;
  if (v > max || v < min) {
    s.flags |= FloatFlag.Invalid;
    return a.sign ? min : max;
  }
  if (lastInexact) s.flags |= FloatFlag.Inexact;
  return v;
}
