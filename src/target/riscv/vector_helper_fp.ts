// Vector floating point (RVV 13, 14.3, 16.2): OPFVV/OPFVF arithmetic, fused multiply-add,
// min/max, sign injection, compares, classification, conversions (widening and narrowing
// too), FP reductions, scalar moves and slides. SEW 32 and 64, and SEW 16 with Zvfh (Zvfhmin:
// only the widening/narrowing conversions between half and single, as QEMU's require_rvfmin). Computation goes through the exact BigInt soft-float (src/fpu),
// so results and fflags are IEEE-exact with RISC-V's NaN rules; a reserved frm is illegal.
import { FloatRound, FloatStatus, FMT32, FMT64, type FloatFmt, f64FromBigBits } from '../../fpu/softfloat-types.js';
import {
  exactAdd, exactConvert, exactDiv, exactFromInt, exactMul, exactMulAdd, exactSqrt, exactToInt,
} from '../../fpu/softfloat-exact.js';
import {
  float32Class, float32Eq, float32Le, float32Lt, float32MinMax, float64Class, float64Eq, float64Le, float64Lt,
  float64MinMax,
} from '../../fpu/softfloat-compare.js';
import { STATE } from './cpu-state.js';
import {
  type VCtx, fields, illegal, overlap, need, requireAlign, vecCaps, vRegisterClass, zx,
} from './vector_helper.js';
import { checkNarrow, checkSss } from './vector_helper_int.js';
import { slide1 } from './vector_helper_perm.js';
import { FMT16, FMTBF16, compare as cmpGeneric, fclass, minMax as minMaxGeneric } from './fpu_helper_ext.js';
import { registerRiscvExtension, riscvCpuHas } from './cpu-cfg.js';

// Zvfh implies Zvfhmin and Zfhmin, Zvfhmin implies Zve32f (cpu-isa.ts IMPLIED, QEMU's rules).
registerRiscvExtension({ name: 'zvfhmin' });
registerRiscvExtension({ name: 'zvfh' });
// Zvfbfmin (vfwcvtbf16.f.f.v, vfncvtbf16.f.f.w) and Zvfbfwma (vfwmaccbf16), SEW 16 only.
registerRiscvExtension({ name: 'zvfbfmin' });
registerRiscvExtension({ name: 'zvfbfwma' });

const st = new FloatStatus();
const FPR = STATE.fpr.offset;

/** SEW must be an FP width the configuration has (`min`: Zvfhmin's conversions accept 16). */
function requireF(c: VCtx, esz: number, min = false): FloatFmt {
  const caps = vecCaps();
  if (!(c.env.get32('mstatus') & 0x6000)) illegal(); // mstatus.FS off
  if (esz === 2 && (riscvCpuHas('zvfh') || (min && riscvCpuHas('zvfhmin')))) return FMT16;
  if (esz === 4 && caps.f32) return FMT32;
  if (esz === 8 && caps.f64) return FMT64;
  return illegal();
}

/** f[rs1] as an SEW-wide value (halves and singles must be NaN-boxed, else the canonical NaN). */
function fscalar(c: VCtx, r: number, esz: number): bigint {
  const v = c.view.getBigUint64(c.env.base + FPR + r * 8, true);
  if (esz === 8) return v;
  if (esz === 2) return v >> 16n === 0xffffffffffffn ? v & 0xffffn : FMT16.defaultNaN;
  return v >> 32n === 0xffffffffn ? v & 0xffffffffn : 0x7fc00000n;
}

function minmax(f: FloatFmt, a: bigint, b: bigint, max: boolean): bigint {
  if (f === FMT16) return minMaxGeneric(f, a, b, max, false, st);
  if (f === FMT32) return BigInt(float32MinMax(Number(a), Number(b), max, st) >>> 0);
  const r = float64MinMax(f64FromBigBits(a), f64FromBigBits(b), max, st);
  return r !== r ? FMT64.defaultNaN : toBits64(r);
}
const dv = new DataView(new ArrayBuffer(8));
function toBits64(x: number): bigint { dv.setFloat64(0, x, true); return dv.getBigUint64(0, true); }
function cmp(f: FloatFmt, op: 'eq' | 'lt' | 'le', a: bigint, b: bigint): boolean {
  if (f === FMT16) return cmpGeneric(f, a, b, op, op === 'eq', st);
  if (f === FMT32) {
    const x = Number(a), y = Number(b);
    return op === 'eq' ? float32Eq(x, y, st) : op === 'lt' ? float32Lt(x, y, st) : float32Le(x, y, st);
  }
  const x = f64FromBigBits(a), y = f64FromBigBits(b);
  return op === 'eq' ? float64Eq(x, y, st) : op === 'lt' ? float64Lt(x, y, st) : float64Le(x, y, st);
}
function sgnj(f: FloatFmt, a: bigint, b: bigint, k: number): bigint {
  const sb = 1n << BigInt(f.width - 1);
  const sign = k === 0 ? b & sb : k === 1 ? ~b & sb : (a ^ b) & sb;
  return (a & (sb - 1n)) | sign;
}

/** Binary ops by funct6: a = vs2[i], b = vs1[i] or f[rs1]. */
function binop(f: FloatFmt, f6: number, a: bigint, b: bigint): bigint | null {
  switch (f6) {
    case 0x00: return exactAdd(f, a, b, false, st);
    case 0x02: return exactAdd(f, a, b, true, st);
    case 0x04: return minmax(f, a, b, false);
    case 0x06: return minmax(f, a, b, true);
    case 0x08: case 0x09: case 0x0a: return sgnj(f, a, b, f6 - 8);
    case 0x20: return exactDiv(f, a, b, st);
    case 0x21: return exactDiv(f, b, a, st);
    case 0x24: return exactMul(f, a, b, st);
    case 0x27: return exactAdd(f, b, a, true, st);
    default: return null;
  }
}

// The specification's 7-bit estimate tables (RVV 13.9 vfrsqrt7: index = exponent parity and
// 6 significand bits; 13.10 vfrec7: 7 significand bits).
const REC7 = '127 125 123 121 119 117 116 114 112 110 109 107 105 104 102 100 99 97 96 94 93 91 90 88 87 85 84 83 81 80 79 77 76 75 74 72 71 70 69 68 66 65 64 63 62 61 60 59 58 57 56 55 54 53 52 51 50 49 48 47 46 45 44 43 42 41 40 40 39 38 37 36 35 35 34 33 32 31 31 30 29 28 28 27 26 25 25 24 23 23 22 21 21 20 19 19 18 17 17 16 15 15 14 14 13 12 12 11 11 10 9 9 8 8 7 7 6 5 5 4 4 3 3 2 2 1 1 0'.split(' ').map(Number);
const RSQRT7 = '52 51 50 48 47 46 44 43 42 41 40 39 38 36 35 34 33 32 31 30 30 29 28 27 26 25 24 23 23 22 21 20 19 19 18 17 16 16 15 14 14 13 12 12 11 10 10 9 9 8 7 7 6 6 5 4 4 3 3 2 2 1 1 0 127 125 123 121 119 118 116 114 113 111 109 108 106 105 103 102 100 99 97 96 95 93 92 91 90 88 87 86 85 84 83 82 80 79 78 77 76 75 74 73 72 71 70 70 69 68 67 66 65 64 63 63 62 61 60 59 59 58 57 56 56 55 54 53'.split(' ').map(Number);

/** vfrsqrt7.v / vfrec7.v on one element (RVV 13.9, 13.10). */
function estimate(f: FloatFmt, a: bigint, rsqrt: boolean): bigint {
  const mb = BigInt(f.p - 1), w = BigInt(f.width - 1), emax = BigInt(f.expMask);
  const sign = a >> w, e0 = (a >> mb) & emax, m0 = a & ((1n << mb) - 1n);
  const signBit = sign << w;
  const inf = (s: bigint) => (s << w) | (emax << mb);
  if (e0 === emax) {
    if (m0 !== 0n) { // NaN
      if (!(m0 >> (mb - 1n))) st.flags |= 16;
      return f.defaultNaN;
    }
    if (rsqrt) { if (sign) { st.flags |= 16; return f.defaultNaN; } return 0n; }
    return signBit; // 1/inf = 0
  }
  if (e0 === 0n && m0 === 0n) { st.flags |= 8; return inf(sign); }
  if (rsqrt && sign) { st.flags |= 16; return f.defaultNaN; }
  // Normalise a subnormal: exponent = -(leading zeros of the significand field).
  let e = e0, m = m0;
  if (e === 0n) {
    e = 1n;
    while (!(m & (1n << mb))) { m <<= 1n; e--; }
    m &= (1n << mb) - 1n;
  }
  const bias = BigInt(f.bias);
  if (rsqrt) {
    const idx = Number(((e & 1n) << 6n) | (m >> (mb - 6n)));
    const oe = (3n * bias - 1n - e) / 2n;
    return (oe << mb) | (BigInt(RSQRT7[idx]) << (mb - 7n));
  }
  if (e < -1n) { // the reciprocal overflows
    st.flags |= 4 | 1;
    const rm = st.roundingMode;
    const toMax = rm === FloatRound.ToZero || (rm === FloatRound.Down && !sign) || (rm === FloatRound.Up && sign === 1n);
    return toMax ? signBit | (((emax - 1n) << mb) | ((1n << mb) - 1n)) : inf(sign);
  }
  let oe = 2n * bias - 1n - e;
  let sig = BigInt(REC7[Number(m >> (mb - 7n))]) << (mb - 7n);
  if (oe <= 0n) { // subnormal result
    sig = ((1n << mb) | sig) >> (1n - oe);
    oe = 0n;
  }
  return signBit | (oe << mb) | sig;
}

const BINOPS = new Set([0x00, 0x02, 0x04, 0x06, 0x08, 0x09, 0x0a, 0x20, 0x21, 0x24, 0x27]);

/** The vector FP instruction, with st set up (rounding mode, flags cleared). */
function opfInner(c: VCtx): void {
  const { f6, vd, vs1, vs2, f3 } = fields(c.insn);
  const vf = f3 === 5;
  const esz = c.esz;
  // Conversions check their own widths (an integer side may be narrower than any FP format).
  if (f6 === 0x12 && (vs1 === 13 || vs1 === 29) && riscvCpuHas('zvfbfmin')) { bf16Convert(c, vd, vs2, vs1 === 13); return; }
  if (f6 === 0x3b && riscvCpuHas('zvfbfwma')) { bf16Wmacc(c, vd, vs2, vs1, vf); return; }
  const f = f6 === 0x12 ? FMT32 : requireF(c, esz);
  const s1 = (i: number, e = esz) => (vf ? fscalar(c, vs1, e) : c.get(vs1, i, e));
  const loop = (fn: (i: number) => void) => { for (let i = c.vstart; i < c.vl; i++) if (c.active(i)) fn(i); };
  if (vf && (f6 === 0x01 || f6 === 0x03 || f6 === 0x05 || f6 === 0x07 || f6 === 0x12 || f6 === 0x13 || f6 === 0x31 || f6 === 0x33)) illegal();
  if (!vf && (f6 === 0x0e || f6 === 0x0f || f6 === 0x1d || f6 === 0x1f || f6 === 0x21 || f6 === 0x27)) illegal();
  if (BINOPS.has(f6)) {
    checkSss(c, vd, vs2, vs1, !vf);
    if (c.vl === 0) return;
    loop((i) => c.set(vd, i, binop(f, f6, c.get(vs2, i), s1(i)) as bigint));
    return;
  }
  if (f6 >= 0x28 && f6 <= 0x2f) { // fused multiply-add
    checkSss(c, vd, vs2, vs1, !vf);
    if (c.vl === 0) return;
    const neg = (f6 & 1) === 1; // vfnm*: negate the product and the addend
    const sub = (f6 & 2) === 2; // *msub/*msac: subtract the addend
    loop((i) => {
      const d = c.get(vd, i), a = c.get(vs2, i), x = s1(i);
      const r = f6 < 0x2c
        ? exactMulAdd(f, x, d, a, neg, neg !== sub, st)
        : exactMulAdd(f, x, a, d, neg, neg !== sub, st);
      c.set(vd, i, r);
    });
    return;
  }
  switch (f6) {
    case 0x18: case 0x19: case 0x1b: case 0x1c: case 0x1d: case 0x1f: { // compares
      requireAlign(vs2, c.lmul); if (!vf) requireAlign(vs1, c.lmul);
      if (vd !== vs2 && overlap(vd, 1, vs2, c.regs())) illegal();
      if (!vf && vd !== vs1 && overlap(vd, 1, vs1, c.regs())) illegal();
      if (c.vl === 0) return;
      loop((i) => {
        const a = c.get(vs2, i), x = s1(i);
        let r: boolean;
        switch (f6) {
          case 0x18: r = cmp(f, 'eq', a, x); break;
          case 0x19: r = cmp(f, 'le', a, x); break;
          case 0x1b: r = cmp(f, 'lt', a, x); break;
          case 0x1c: r = !cmp(f, 'eq', a, x); break;
          case 0x1d: r = cmp(f, 'lt', x, a); break;
          default: r = cmp(f, 'le', x, a); break;
        }
        c.setMaskBit(vd, i, r);
      });
      return;
    }
    case 0x17: // vfmerge.vfm / vfmv.v.f
      if (!vf) illegal();
      if (c.vm) need(vs2 === 0); else need(vd !== 0);
      requireAlign(vd, c.lmul); requireAlign(vs2, c.lmul);
      if (c.vl === 0) return;
      for (let i = c.vstart; i < c.vl; i++) c.set(vd, i, c.vm || c.maskBit(0, i) ? s1(i) : c.get(vs2, i));
      return;
    case 0x10:
      if (!vf) { // vfmv.f.s
        need(vs1 === 0 && c.vm);
        const v = c.get(vs2, 0);
        c.view.setBigUint64(c.env.base + FPR + vd * 8, esz === 4 ? v | 0xffffffff00000000n : esz === 2 ? v | 0xffffffffffff0000n : v, true);
        c.env.set32('mstatus', c.env.get32('mstatus') | 0x6000);
        return;
      }
      need(vs2 === 0 && c.vm); // vfmv.s.f
      if (c.vl > 0 && c.vstart < c.vl) c.set(vd, 0, s1(0));
      return;
    case 0x0e: case 0x0f:
      slide1(c, f6 === 0x0e, vd, vs2, s1(0));
      return;
    case 0x13: { // vfsqrt, vfrsqrt7, vfrec7, vfclass
      checkSss(c, vd, vs2, 0, false);
      if (vs1 !== 0 && vs1 !== 4 && vs1 !== 5 && vs1 !== 0x10) illegal();
      if (c.vl === 0) return;
      loop((i) => {
        const a = c.get(vs2, i);
        c.set(vd, i, vs1 === 0 ? exactSqrt(f, a, st) : vs1 !== 0x10 ? estimate(f, a, vs1 === 4)
          : BigInt(f === FMT16 ? fclass(f, a) : f === FMT32 ? float32Class(Number(a)) : float64Class(f64FromBigBits(a))));
      });
      return;
    }
    case 0x12:
      if (!(c.env.get32('mstatus') & 0x6000)) illegal();
      convert(c, null, vd, vs2, vs1);
      return;
    case 0x01: case 0x03: case 0x05: case 0x07: { // vfredusum, vfredosum, vfredmin, vfredmax
      requireAlign(vs2, c.lmul);
      need(c.vstart === 0); // as every reduction (QEMU's vext_check_reduction)
      if (c.vl === 0) return;
      let acc = c.get(vs1, 0);
      loop((i) => {
        const a = c.get(vs2, i);
        acc = f6 <= 3 ? exactAdd(f, acc, a, false, st) : minmax(f, acc, a, f6 === 7);
      });
      c.set(vd, 0, acc);
      return;
    }
    case 0x31: case 0x33: { // vfwredusum, vfwredosum
      const wf = requireF(c, esz * 2);
      need(c.lmul < 3);
      requireAlign(vs2, c.lmul);
      need(c.vstart === 0);
      if (c.vl === 0) return;
      let acc = c.get(vs1, 0, esz * 2);
      loop((i) => { acc = exactAdd(wf, acc, exactConvert(wf, f, c.get(vs2, i), st), false, st); });
      c.set(vd, 0, acc, esz * 2);
      return;
    }
    default:
      if (f6 >= 0x30) { widen(c, f, f6, vd, vs2, vs1, vf); return; }
      illegal();
  }
}

/** Widening arithmetic: vfwadd/vfwsub(.w), vfwmul, vfwmacc/vfwnmacc/vfwmsac/vfwnmsac. */
function widen(c: VCtx, f: FloatFmt, f6: number, vd: number, vs2: number, vs1: number, vf: boolean): void {
  if (![0x30, 0x32, 0x34, 0x36, 0x38, 0x3c, 0x3d, 0x3e, 0x3f].includes(f6)) illegal();
  const esz = c.esz, we = esz * 2;
  const wf = requireF(c, we);
  need(c.lmul < 3);
  const wideVs2 = f6 === 0x34 || f6 === 0x36;
  requireAlign(vd, c.lmul + 1); requireAlign(vs2, wideVs2 ? c.lmul + 1 : c.lmul);
  if (!vf) requireAlign(vs1, c.lmul);
  const dn = c.regs(c.lmul + 1), n = c.regs();
  const hiOk = (s: number) => !overlap(vd, dn, s, n) || (c.lmul >= 0 && s === vd + dn - n);
  if (!wideVs2 && !hiOk(vs2)) illegal();
  if (!vf && !hiOk(vs1)) illegal();
  if (!c.vm) need(vd !== 0);
  if (c.vl === 0) return;
  const up = (v: bigint) => exactConvert(wf, f, v, st);
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    const a = wideVs2 ? c.get(vs2, i, we) : up(c.get(vs2, i));
    const b = up(vf ? fscalar(c, vs1, esz) : c.get(vs1, i));
    let r: bigint;
    switch (f6) {
      case 0x30: case 0x34: r = exactAdd(wf, a, b, false, st); break;
      case 0x32: case 0x36: r = exactAdd(wf, a, b, true, st); break;
      case 0x38: r = exactMul(wf, a, b, st); break;
      default: {
        const d = c.get(vd, i, we);
        const neg = f6 === 0x3d || f6 === 0x3f;
        const sub = f6 === 0x3e || f6 === 0x3f;
        r = exactMulAdd(wf, b, a, d, neg, neg !== sub, st);
      }
    }
    c.set(vd, i, r, we);
  }
}

/** Widening at SEW 16 into single (vfwcvtbf16, vfwmaccbf16): QEMU's widening checks. */
function checkWideBf16(c: VCtx, vd: number, vs2: number, vs1: number | null): void {
  need(c.esz === 2);
  requireF(c, 4);
  need(c.lmul < 3);
  requireAlign(vd, c.lmul + 1); requireAlign(vs2, c.lmul);
  if (vs1 !== null) requireAlign(vs1, c.lmul);
  const dn = c.regs(c.lmul + 1), n = c.regs();
  const hiOk = (s: number) => !overlap(vd, dn, s, n) || (c.lmul >= 0 && s === vd + dn - n);
  if (!hiOk(vs2) || (vs1 !== null && !hiOk(vs1))) illegal();
  if (!c.vm) need(vd !== 0);
}

/** vfwcvtbf16.f.f.v (BF16 -> single, exact) and vfncvtbf16.f.f.w (single -> BF16, rounded). */
function bf16Convert(c: VCtx, vd: number, vs2: number, widen: boolean): void {
  if (widen) checkWideBf16(c, vd, vs2, null);
  else { need(c.esz === 2); requireF(c, 4); checkNarrow(c, vd, vs2, 0, false); }
  if (c.vl === 0) return;
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    if (widen) c.set(vd, i, exactConvert(FMT32, FMTBF16, c.get(vs2, i, 2), st), 4);
    else c.set(vd, i, exactConvert(FMTBF16, FMT32, c.get(vs2, i, 4), st), 2);
  }
}

/** vfwmaccbf16.vv/.vf: vd (single) += widen(vs1 or f[rs1]) * widen(vs2), one rounding. */
function bf16Wmacc(c: VCtx, vd: number, vs2: number, vs1: number, vf: boolean): void {
  checkWideBf16(c, vd, vs2, vf ? null : vs1);
  if (c.vl === 0) return;
  const up = (v: bigint) => exactConvert(FMT32, FMTBF16, v, st);
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    const a = up(c.get(vs2, i, 2)), b = up(vf ? fscalar(c, vs1, 2) : c.get(vs1, i, 2));
    c.set(vd, i, exactMulAdd(FMT32, b, a, c.get(vd, i, 4), false, false, st), 4);
  }
}

/** VFUNARY0: vfcvt, vfwcvt, vfncvt (rs1 field selects). */
function convert(c: VCtx, f: FloatFmt | null, vd: number, vs2: number, code: number): void {
  const esz = c.esz;
  const rtz = code === 6 || code === 7 || code === 14 || code === 15 || code === 22 || code === 23;
  const kind = code & 7; // 0 xu.f, 1 x.f, 2 f.xu, 3 f.x, 4 f.f, 5 rod.f.f, 6 rtz.xu.f, 7 rtz.x.f
  const cls = code >> 3; // 0 single width, 1 widening, 2 narrowing
  if (cls > 2 || (cls === 0 && (kind === 4 || kind === 5)) || (cls === 1 && kind === 5)) illegal();
  const toInt = kind === 0 || kind === 1 || kind === 6 || kind === 7;
  const signed = (kind & 1) === 1;
  const saved = st.roundingMode;
  if (rtz) st.roundingMode = FloatRound.ToZero;
  const dEsz = cls === 1 ? esz * 2 : esz;
  const sEsz = cls === 2 ? esz * 2 : esz;
  // The float side of the conversion must be an available FP width.
  const min = kind === 4 && cls !== 0; // vfwcvt.f.f.v / vfncvt.f.f.w: Zvfhmin is enough
  const srcF = toInt || kind >= 4 ? requireF(c, sEsz, min) : null;
  const dstF = !toInt ? requireF(c, dEsz, min) : null;
  void f;
  if (cls === 0) checkSss(c, vd, vs2, 0, false);
  else if (cls === 2) checkNarrow(c, vd, vs2, 0, false);
  else {
    need(c.lmul < 3);
    requireAlign(vd, c.lmul + 1); requireAlign(vs2, c.lmul);
    const dn = c.regs(c.lmul + 1), n = c.regs();
    if (overlap(vd, dn, vs2, n) && !(c.lmul >= 0 && vs2 === vd + dn - n)) illegal();
    if (!c.vm) need(vd !== 0);
  }
  if (c.vl === 0) { st.roundingMode = saved; return; }
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    const a = c.get(vs2, i, sEsz);
    let r: bigint;
    if (toInt) r = zx(exactToInt(srcF as FloatFmt, a, signed, dEsz * 8, st), dEsz * 8);
    else if (kind === 2 || kind === 3) {
      r = exactFromInt(dstF as FloatFmt, signed ? BigInt.asIntN(sEsz * 8, a) : a, st);
    } else if (kind === 5) { // round to odd: truncate, then set the lsb if inexact
      const m = st.roundingMode, fl = st.flags;
      st.roundingMode = FloatRound.ToZero; st.flags = 0;
      r = exactConvert(dstF as FloatFmt, srcF as FloatFmt, a, st);
      const inexact = (st.flags & 1) !== 0;
      st.flags |= fl; st.roundingMode = m;
      const df = dstF as FloatFmt;
      const expAll = ((r >> BigInt(df.p - 1)) & BigInt(df.expMask)) === BigInt(df.expMask);
      if (inexact && !expAll) r |= 1n;
    } else r = exactConvert(dstF as FloatFmt, srcF as FloatFmt, a, st);
    c.set(vd, i, r, dEsz);
  }
  st.roundingMode = saved;
}

function opf(c: VCtx): void {
  const frm = c.env.get32('frm');
  if (frm > 4) illegal();
  st.roundingMode = frm;
  st.flags = 0;
  opfInner(c);
  if (st.flags) c.env.set32('fflags', c.env.get32('fflags') | st.flags);
}

vRegisterClass('opf', opf);
