// Vector integer and fixed-point arithmetic (RVV 11 and 12): the OPIVV/OPIVX/OPIVI and the
// integer OPMVV/OPMVX encodings. Elements are BigInts (unsigned SEW-bit values); the signed
// view is taken where the operation needs it. Reductions, mask and permutation instructions
// are in vector_helper_perm.ts.
import {
  Src, type VCtx, fields, illegal, overlap, need, requireAlign, roundBit, setVxsat, sx, vecCaps, vRegisterClass, zx,
} from './vector_helper.js';
import { opiPerm, opmPerm } from './vector_helper_perm.js';

/** The first operand for element i: vs1[i], x[rs1] or the 5-bit immediate (sign-extended, or
 * zero-extended for shifts, slides and gathers). */
export function src1(c: VCtx, kind: Src | number, vs1: number, i: number, esz = c.esz): bigint {
  if (kind === Src.VV) return c.get(vs1, i, esz);
  if (kind === Src.VX) return zx(c.gpr(vs1), esz * 8);
  return zx(BigInt(sx(BigInt(vs1), 5)), esz * 8);
}
export function srcKind(f3: number): Src {
  return f3 === 0 || f3 === 2 ? Src.VV : f3 === 3 ? Src.VI : Src.VX;
}

/** Checks of a plain SEW op (QEMU's opivv_check / opivx_check). */
export function checkSss(c: VCtx, vd: number, vs2: number, vs1: number, vv: boolean): void {
  requireAlign(vd, c.lmul); requireAlign(vs2, c.lmul);
  if (vv) requireAlign(vs1, c.lmul);
  if (!c.vm) need(vd !== 0);
}
/** Mask-producing ops (compares, vmadc, vmsbc): vd is one register, and overlaps a source
 * group only as its first register. */
function checkMss(c: VCtx, vd: number, vs2: number, vs1: number, vv: boolean): void {
  requireAlign(vs2, c.lmul);
  if (vv) requireAlign(vs1, c.lmul);
  const n = c.regs();
  if (vd !== vs2 && overlap(vd, 1, vs2, n)) illegal();
  if (vv && vd !== vs1 && overlap(vd, 1, vs1, n)) illegal();
}
/** Widening: vd is 2*LMUL, sources LMUL (or vs2 2*LMUL for the .w forms). */
export function checkWide(c: VCtx, vd: number, vs2: number, vs1: number, vv: boolean, wideVs2: boolean): void {
  need(c.sew * 2 <= vecCaps().elen && c.lmul < 3);
  requireAlign(vd, c.lmul + 1); requireAlign(vs2, wideVs2 ? c.lmul + 1 : c.lmul);
  if (vv) requireAlign(vs1, c.lmul);
  const dn = c.regs(c.lmul + 1), n = c.regs();
  if (!wideVs2 && !noOverWide(vd, dn, vs2, n)) illegal();
  if (vv && !noOverWide(vd, dn, vs1, n)) illegal();
  if (!c.vm) need(vd !== 0);
}
/** A wider destination may overlap a narrower source only in its highest part. */
function noOverWide(d: number, dn: number, s: number, sn: number): boolean {
  return !overlap(d, dn, s, sn) || (dn > sn && s + sn === d + dn && c0lmulNonNeg(sn, dn));
}
const c0lmulNonNeg = (sn: number, dn: number) => dn >= 2 && sn * 2 === dn;
/** Narrowing: vs2 is 2*LMUL, vd LMUL (may overlap vs2's lowest part). */
export function checkNarrow(c: VCtx, vd: number, vs2: number, vs1: number, vv: boolean): void {
  need(c.sew * 2 <= vecCaps().elen && c.lmul < 3);
  requireAlign(vs2, c.lmul + 1); requireAlign(vd, c.lmul);
  if (vv) requireAlign(vs1, c.lmul);
  const n = c.regs(), wn = c.regs(c.lmul + 1);
  if (vd !== vs2 && overlap(vd, n, vs2, wn)) illegal();
  if (vv && overlap(vd, n, vs1, n) && vd !== vs1) illegal();
  if (!c.vm) need(vd !== 0);
}

type Bin = (a: bigint, b: bigint, sew: number, c: VCtx) => bigint;
const S = sx;
const minS = (sew: number) => -(1n << BigInt(sew - 1));
const maxS = (sew: number) => (1n << BigInt(sew - 1)) - 1n;
const maxU = (sew: number) => (1n << BigInt(sew)) - 1n;

function satS(c: VCtx, v: bigint, sew: number): bigint {
  if (v > maxS(sew)) { setVxsat(c); return maxS(sew); }
  if (v < minS(sew)) { setVxsat(c); return minS(sew); }
  return v;
}
function satU(c: VCtx, v: bigint, sew: number): bigint {
  if (v > maxU(sew)) { setVxsat(c); return maxU(sew); }
  if (v < 0n) { setVxsat(c); return 0n; }
  return v;
}
const vxrm = (c: VCtx) => c.env.get32('vxrm') & 3;
const shiftR = (c: VCtx, v: bigint, d: number) => (v >> BigInt(d)) + roundBit(vxrm(c), v, d);

function divs(a: bigint, b: bigint, sew: number): bigint {
  if (b === 0n) return -1n;
  if (a === minS(sew) && b === -1n) return a;
  return a / b;
}
function rems(a: bigint, b: bigint, sew: number): bigint {
  if (b === 0n) return a;
  if (a === minS(sew) && b === -1n) return 0n;
  return a % b;
}

/** OPI binary ops by funct6 (operands: a = vs2[i], b = the first source). */
const OPI: Record<number, Bin> = {
  0x00: (a, b) => a + b,
  0x02: (a, b) => a - b,
  0x03: (a, b) => b - a,
  0x04: (a, b) => (a < b ? a : b),
  0x05: (a, b, s) => (S(a, s) < S(b, s) ? a : b),
  0x06: (a, b) => (a > b ? a : b),
  0x07: (a, b, s) => (S(a, s) > S(b, s) ? a : b),
  0x09: (a, b) => a & b,
  0x0a: (a, b) => a | b,
  0x0b: (a, b) => a ^ b,
  0x20: (a, b, s, c) => satU(c, a + b, s),
  0x21: (a, b, s, c) => satS(c, S(a, s) + S(b, s), s),
  0x22: (a, b, s, c) => satU(c, a - b, s),
  0x23: (a, b, s, c) => satS(c, S(a, s) - S(b, s), s),
  0x25: (a, b, s) => a << (b & BigInt(s - 1)),
  0x27: (a, b, s, c) => { // vsmul
    const sa = S(a, s), sb = S(b, s);
    if (sa === minS(s) && sb === minS(s)) { setVxsat(c); return maxS(s); }
    return satS(c, shiftR(c, sa * sb, s - 1), s);
  },
  0x28: (a, b, s) => a >> (b & BigInt(s - 1)),
  0x29: (a, b, s) => S(a, s) >> (b & BigInt(s - 1)),
  0x2a: (a, b, s, c) => shiftR(c, a, Number(b & BigInt(s - 1))),
  0x2b: (a, b, s, c) => shiftR(c, S(a, s), Number(b & BigInt(s - 1))),
};
/** OPM binary ops (integer) by funct6. */
const OPM: Record<number, Bin> = {
  0x08: (a, b, _s, c) => shiftR(c, a + b, 1),
  0x09: (a, b, s, c) => shiftR(c, S(a, s) + S(b, s), 1),
  0x0a: (a, b, _s, c) => shiftR(c, a - b, 1),
  0x0b: (a, b, s, c) => shiftR(c, S(a, s) - S(b, s), 1),
  0x20: (a, b) => (b === 0n ? -1n : a / b),
  0x21: (a, b, s) => divs(S(a, s), S(b, s), s),
  0x22: (a, b) => (b === 0n ? a : a % b),
  0x23: (a, b, s) => rems(S(a, s), S(b, s), s),
  0x24: (a, b, s) => (a * b) >> BigInt(s),
  0x25: (a, b) => a * b,
  0x26: (a, b, s) => (S(a, s) * b) >> BigInt(s),
  0x27: (a, b, s) => (S(a, s) * S(b, s)) >> BigInt(s),
};
/** Compares (mask results) by funct6. */
const CMP: Record<number, (a: bigint, b: bigint, s: number) => boolean> = {
  0x18: (a, b) => a === b,
  0x19: (a, b) => a !== b,
  0x1a: (a, b) => a < b,
  0x1b: (a, b, s) => S(a, s) < S(b, s),
  0x1c: (a, b) => a <= b,
  0x1d: (a, b, s) => S(a, s) <= S(b, s),
  0x1e: (a, b) => a > b,
  0x1f: (a, b, s) => S(a, s) > S(b, s),
};
/** Which source kinds each OPI funct6 has (bit 0 VV, 1 VX, 2 VI). */
const OPI_FORMS: Record<number, number> = {
  0x00: 7, 0x02: 3, 0x03: 6, 0x04: 3, 0x05: 3, 0x06: 3, 0x07: 3, 0x09: 7, 0x0a: 7, 0x0b: 7,
  0x20: 7, 0x21: 7, 0x22: 3, 0x23: 3, 0x25: 7, 0x27: 3, 0x28: 7, 0x29: 7, 0x2a: 7, 0x2b: 7,
  0x18: 7, 0x19: 7, 0x1a: 3, 0x1b: 3, 0x1c: 7, 0x1d: 7, 0x1e: 6, 0x1f: 6,
};
/** Unsigned immediates: shifts and the narrowing shifts (slides/gathers are in perm). */
const UIMM = new Set([0x25, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f]);

/** Number versions of the simple ops for SEW <= 32 (results are stored modulo 2^SEW by the
 * typed array): the hot cases of real vector code, without BigInt per element. */
type NBin = (a: number, b: number, sew: number) => number;
const sext = (v: number, sew: number) => (v << (32 - sew)) >> (32 - sew);
const FAST_OPI: Record<number, NBin> = {
  0x00: (a, b) => a + b, 0x02: (a, b) => a - b, 0x03: (a, b) => b - a,
  0x04: (a, b) => (a < b ? a : b), 0x05: (a, b, s) => (sext(a, s) < sext(b, s) ? a : b),
  0x06: (a, b) => (a > b ? a : b), 0x07: (a, b, s) => (sext(a, s) > sext(b, s) ? a : b),
  0x09: (a, b) => a & b, 0x0a: (a, b) => a | b, 0x0b: (a, b) => a ^ b,
  0x25: (a, b, s) => a << (b & (s - 1)), 0x28: (a, b, s) => a >>> (b & (s - 1)),
  0x29: (a, b, s) => sext(a, s) >> (b & (s - 1)),
};
const FAST_OPM: Record<number, NBin> = { 0x25: (a, b) => Math.imul(a, b) };

/** Element array of SEW (<= 32) over the register file, indexed from v0. */
export function elems(c: VCtx, esz: number): Uint8Array | Uint16Array | Uint32Array {
  return c.elems(esz) as Uint8Array | Uint16Array | Uint32Array;
}

function fastLoop(c: VCtx, f: NBin, vd: number, vs2: number, vs1: number, kind: Src, uimm: boolean): void {
  const sew = c.sew, per = c.vlenb / c.esz;
  const e = elems(c, c.esz);
  const d0 = vd * per, a0 = vs2 * per, b0 = vs1 * per;
  const scalar = kind === Src.VV ? 0 : Number(kind === Src.VI && uimm ? BigInt(vs1) : src1(c, kind, vs1, 0));
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.vm && !c.maskBit(0, i)) continue;
    e[d0 + i] = f(e[a0 + i], kind === Src.VV ? e[b0 + i] : scalar, sew);
  }
}

function binLoop(c: VCtx, f: Bin, vd: number, vs2: number, vs1: number, kind: Src, uimm: boolean): void {
  const sew = c.sew;
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    const b = kind === Src.VI && uimm ? BigInt(vs1) : src1(c, kind, vs1, i);
    c.set(vd, i, zx(f(c.get(vs2, i), b, sew, c), sew));
  }
}

function opi(c: VCtx): void {
  const { f6, vd, vs1, vs2, f3 } = fields(c.insn);
  const kind = srcKind(f3);
  const form = 1 << kind;
  const sew = c.sew;
  if (OPI[f6] && (OPI_FORMS[f6] & form)) {
    checkSss(c, vd, vs2, vs1, kind === Src.VV);
    if (sew <= 32 && FAST_OPI[f6]) fastLoop(c, FAST_OPI[f6], vd, vs2, vs1, kind, UIMM.has(f6));
    else binLoop(c, OPI[f6], vd, vs2, vs1, kind, UIMM.has(f6));
    return;
  }
  if (CMP[f6] && (OPI_FORMS[f6] & form)) {
    checkMss(c, vd, vs2, vs1, kind === Src.VV);
    for (let i = c.vstart; i < c.vl; i++) {
      if (!c.active(i)) continue;
      c.setMaskBit(vd, i, CMP[f6](c.get(vs2, i), src1(c, kind, vs1, i), sew));
    }
    return;
  }
  switch (f6) {
    case 0x10: case 0x12: { // vadc, vsbc (always use v0 as carry/borrow)
      if (c.vm || (f6 === 0x12 && kind === Src.VI)) illegal();
      requireAlign(vd, c.lmul); requireAlign(vs2, c.lmul); if (kind === Src.VV) requireAlign(vs1, c.lmul);
      need(vd !== 0);
      for (let i = c.vstart; i < c.vl; i++) {
        const cin = c.maskBit(0, i) ? 1n : 0n;
        const a = c.get(vs2, i), b = src1(c, kind, vs1, i);
        c.set(vd, i, zx(f6 === 0x10 ? a + b + cin : a - b - cin, sew));
      }
      return;
    }
    case 0x11: case 0x13: { // vmadc, vmsbc (carry-in from v0 when vm = 0)
      if (f6 === 0x13 && kind === Src.VI) illegal();
      checkMss(c, vd, vs2, vs1, kind === Src.VV);
      for (let i = c.vstart; i < c.vl; i++) {
        const cin = !c.vm && c.maskBit(0, i) ? 1n : 0n;
        const a = c.get(vs2, i), b = src1(c, kind, vs1, i);
        c.setMaskBit(vd, i, f6 === 0x11 ? a + b + cin > maxU(sew) : a - b - cin < 0n);
      }
      return;
    }
    case 0x17: { // vmerge / vmv.v.*
      if (c.vm) need(vs2 === 0); else need(vd !== 0);
      requireAlign(vd, c.lmul); if (!c.vm) requireAlign(vs2, c.lmul); if (kind === Src.VV) requireAlign(vs1, c.lmul);
      for (let i = c.vstart; i < c.vl; i++) {
        c.set(vd, i, c.vm || c.maskBit(0, i) ? src1(c, kind, vs1, i) : c.get(vs2, i));
      }
      return;
    }
    case 0x2c: case 0x2d: case 0x2e: case 0x2f: { // vnsrl, vnsra, vnclipu, vnclip
      checkNarrow(c, vd, vs2, vs1, kind === Src.VV);
      const w = sew * 2;
      for (let i = c.vstart; i < c.vl; i++) {
        if (!c.active(i)) continue;
        const a = c.get(vs2, i, c.esz * 2);
        const sh = Number((kind === Src.VI ? BigInt(vs1) : src1(c, kind, vs1, i)) & BigInt(w - 1));
        let r: bigint;
        if (f6 === 0x2c) r = a >> BigInt(sh);
        else if (f6 === 0x2d) r = S(a, w) >> BigInt(sh);
        else if (f6 === 0x2e) r = satU(c, shiftR(c, a, sh), sew);
        else r = satS(c, shiftR(c, S(a, w), sh), sew);
        c.set(vd, i, zx(r, sew));
      }
      return;
    }
    default:
      opiPerm(c, f6, kind);
  }
}

/** vwaddu, vwadd, vwmulu, vwmul, vwmaccu, vwmacc without BigInt (SEW <= 16) or with one
 * BigInt product per element (SEW 32). */
const FAST_WIDE = new Set([0x30, 0x31, 0x38, 0x3b, 0x3c, 0x3d]);
function fastWiden(c: VCtx, f6: number, vd: number, vs2: number, vs1: number, kind: Src): boolean {
  const sew = c.sew, per = c.vlenb / c.esz;
  if (sew > 32) return false;
  const e = elems(c, c.esz);
  const signed = (f6 & 1) === 1;
  const a0 = vs2 * per, b0 = vs1 * per, d0 = vd * (per >> 1);
  const get = (v: number) => (signed ? sext(v, sew) : v);
  const scalar = kind === Src.VV ? 0 : get(Number(src1(c, kind, vs1, 0)));
  if (sew <= 16) {
    const w = elems(c, c.esz * 2);
    for (let i = c.vstart; i < c.vl; i++) {
      if (!c.vm && !c.maskBit(0, i)) continue;
      const a = get(e[a0 + i]), b = kind === Src.VV ? get(e[b0 + i]) : scalar;
      const r = f6 <= 0x31 ? a + b : a * b;
      w[d0 + i] = f6 >= 0x3c ? w[d0 + i] + r : r;
    }
    return true;
  }
  const w = c.elems(8);
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.vm && !c.maskBit(0, i)) continue;
    const a = get(e[a0 + i]), b = kind === Src.VV ? get(e[b0 + i]) : scalar;
    const r = f6 <= 0x31 ? BigInt(a + b) : BigInt(a) * BigInt(b);
    w[d0 + i] = BigInt.asUintN(64, f6 >= 0x3c ? w[d0 + i] + r : r);
  }
  return true;
}

/** Widening ops (OPM funct6 0x30..0x3f). */
function widen(c: VCtx, f6: number, vd: number, vs2: number, vs1: number, kind: Src): void {
  const sew = c.sew, w = sew * 2, wesz = c.esz * 2;
  const wideVs2 = f6 >= 0x34 && f6 <= 0x37;
  const mac = f6 >= 0x3c;
  if (f6 === 0x39 || (f6 === 0x3e && kind === Src.VV)) illegal();
  checkWide(c, vd, vs2, vs1, kind === Src.VV, wideVs2);
  if (FAST_WIDE.has(f6) && fastWiden(c, f6, vd, vs2, vs1, kind)) return;
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    const a = wideVs2 ? c.get(vs2, i, wesz) : c.get(vs2, i);
    const b = src1(c, kind, vs1, i);
    const sA = wideVs2 ? S(a, w) : S(a, sew), sB = S(b, sew);
    let r: bigint;
    switch (f6) {
      case 0x30: r = a + b; break;
      case 0x31: r = sA + sB; break;
      case 0x32: r = a - b; break;
      case 0x33: r = sA - sB; break;
      case 0x34: r = a + b; break;
      case 0x35: r = sA + sB; break;
      case 0x36: r = a - b; break;
      case 0x37: r = sA - sB; break;
      case 0x38: r = a * b; break;
      case 0x3a: r = sA * b; break;
      case 0x3b: r = sA * sB; break;
      case 0x3c: r = a * b; break;
      case 0x3d: r = sA * sB; break;
      case 0x3e: r = sA * b; break; // vwmaccus: unsigned rs1 * signed vs2
      default: r = sB * a; break; // 0x3f vwmaccsu: signed vs1 * unsigned vs2
    }
    if (mac) r += c.get(vd, i, wesz);
    c.set(vd, i, zx(r, w), wesz);
  }
}

function opm(c: VCtx): void {
  const { f6, vd, vs1, vs2, f3 } = fields(c.insn);
  const kind = srcKind(f3);
  const sew = c.sew;
  if (OPM[f6]) {
    checkSss(c, vd, vs2, vs1, kind === Src.VV);
    if (sew <= 32 && FAST_OPM[f6]) fastLoop(c, FAST_OPM[f6], vd, vs2, vs1, kind, false);
    else binLoop(c, OPM[f6], vd, vs2, vs1, kind, false);
    return;
  }
  if (f6 === 0x29 || f6 === 0x2b || f6 === 0x2d || f6 === 0x2f) { // vmadd, vnmsub, vmacc, vnmsac
    checkSss(c, vd, vs2, vs1, kind === Src.VV);
    for (let i = c.vstart; i < c.vl; i++) {
      if (!c.active(i)) continue;
      const d = c.get(vd, i), a = c.get(vs2, i), b = src1(c, kind, vs1, i);
      let r: bigint;
      if (f6 === 0x29) r = b * d + a;
      else if (f6 === 0x2b) r = a - b * d;
      else if (f6 === 0x2d) r = b * a + d;
      else r = d - b * a;
      c.set(vd, i, zx(r, sew));
    }
    return;
  }
  if (f6 >= 0x30) { widen(c, f6, vd, vs2, vs1, kind); return; }
  if (f6 === 0x12 && kind === Src.VV) { // vzext / vsext .vf2/4/8
    const code = vs1;
    const frac = code <= 3 ? 8 : code <= 5 ? 4 : 2;
    if (code < 2 || code > 7) illegal();
    const signed = (code & 1) === 1;
    const seesz = c.esz / frac;
    const sl = c.lmul - Math.log2(frac);
    need(seesz >= 1 && sl >= -3);
    requireAlign(vd, c.lmul); requireAlign(vs2, sl);
    if (overlap(vd, c.regs(), vs2, c.regs(sl)) && !(sl >= 0 && vs2 + c.regs(sl) === vd + c.regs())) illegal();
    if (!c.vm) need(vd !== 0);
    for (let i = c.vstart; i < c.vl; i++) {
      if (!c.active(i)) continue;
      const v = c.get(vs2, i, seesz);
      c.set(vd, i, zx(signed ? S(v, seesz * 8) : v, sew));
    }
    return;
  }
  opmPerm(c, f6, kind);
}

vRegisterClass('opi', opi);
vRegisterClass('opm', opm);
