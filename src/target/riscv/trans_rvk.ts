// Scalar cryptography (RV64): Zknh (SHA-256/SHA-512 sigma and sum) and Zksh (SM3 P0/P1) as
// straight wasm rotations; Zkne/Zknd (AES rounds, key schedule) and Zksed (SM4) in TypeScript (crypto_helper
// below), reached through the generated code's helperFp import with operations >= CRYPTO_BASE
// (no FS check: they only read and write x registers).
import { type FunctionBuilder, ValType } from '../../tcg/wasm-builder.js';
import { type ArgSpec, type RowTable, field } from './decode.js';
import { STATE, type CPURISCVState } from './cpu-state.js';
import { F, R } from './insn32-fields.js';
import { type TransFn, trans as rvi } from './trans_rvi.js';

/** First helperFp operation of this module. */
export const CRYPTO_BASE = 200;
export const enum CryptoOp { AES64ES = 200, AES64ESM, AES64DS, AES64DSM, AES64IM, AES64KS1I, AES64KS2, SM4ED, SM4KS }

// ---- Zknh / Zksh ------------------------------------------------------------------------------

/** XOR of rotations right (negative: shifts right) of the 64-bit or 32-bit value in `t`. */
function genSigma(w32: boolean, terms: readonly number[], rotl = false): TransFn {
  return (ctx, a) => ctx.setGpr(a.rd, () => {
    const fb: FunctionBuilder = ctx.fb;
    const t = fb.local(w32 ? ValType.I32 : ValType.I64);
    ctx.getGpr(a.rs1); if (w32) fb.i32WrapI64(); fb.set(t);
    terms.forEach((k, i) => {
      fb.get(t);
      if (k === 0) { /* x itself */ } else if (w32) {
        fb.i32Const(Math.abs(k));
        if (k < 0) fb.i32ShrU(); else if (rotl) fb.i32Rotl(); else fb.i32Rotr();
      } else {
        fb.i64Const(Math.abs(k));
        if (k < 0) fb.i64ShrU(); else fb.i64Rotr();
      }
      if (i) { if (w32) fb.i32Xor(); else fb.i64Xor(); }
    });
    if (w32) fb.i64ExtendI32S();
    fb.release(t);
  });
}

// ---- Zkne / Zknd --------------------------------------------------------------------------------

function xtime(b: number): number { return ((b << 1) ^ (b & 0x80 ? 0x1b : 0)) & 0xff; }
function gmul(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) { if (b & 1) p ^= a; a = xtime(a); b >>= 1; }
  return p;
}
/** a^254: the multiplicative inverse of a in GF(2^8) under `mul` (0 for 0), by square and
 * multiply (14 products). */
function gfInverse(a: number, mul: (a: number, b: number) => number): number {
  let r = 1;
  for (let e = 254, p = a; e; e >>= 1, p = mul(p, p)) if (e & 1) r = mul(r, p);
  return r;
}
/** The AES S-box, its inverse and the SM4 S-box, computed on first use (not at start-up: every
 * emulator and guest thread loads this module, few run a crypto instruction). */
let sboxes: { aes: Uint8Array; aesInv: Uint8Array; sm4: Uint8Array } | null = null;
function buildSboxes(): { aes: Uint8Array; aesInv: Uint8Array; sm4: Uint8Array } {
  // AES: multiplicative inverse in GF(2^8), then the affine map.
  const aes = new Uint8Array(256), aesInv = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const inv = gfInverse(x, gmul);
    let s = inv;
    for (let i = 1; i <= 4; i++) s ^= ((inv << i) | (inv >> (8 - i))) & 0xff;
    s ^= 0x63;
    aes[x] = s;
    aesInv[s] = x;
  }
  // SM4 (its algebraic form): inversion in GF(2^8) modulo x^8 + x^7 + x^6 + x^5 + x^4 + x^2 + 1
  // between two applications of the affine map of row 0xa7 and constant 0xd3.
  const sm4 = new Uint8Array(256);
  const mul = (a: number, b: number) => {
    let p = 0;
    for (let i = 0; i < 8; i++) { if (b & 1) p ^= a; const hi = a & 0x80; a = (a << 1) & 0xff; if (hi) a ^= 0xf5; b >>= 1; }
    return p;
  };
  const affine = (x: number) => {
    let y = 0;
    for (let i = 0; i < 8; i++) {
      let v = ((0xa7 << i) | (0xa7 >> (8 - i))) & 0xff & x, bit = 0;
      while (v) { bit ^= v & 1; v >>= 1; }
      y |= bit << i;
    }
    return y ^ 0xd3;
  };
  for (let x = 0; x < 256; x++) sm4[x] = affine(gfInverse(affine(x), mul));
  return { aes, aesInv, sm4 };
}
export function aesSbox(): Uint8Array { return (sboxes ??= buildSboxes()).aes; }
export function aesInvSbox(): Uint8Array { return (sboxes ??= buildSboxes()).aesInv; }
export function sm4Sbox(): Uint8Array { return (sboxes ??= buildSboxes()).sm4; }
export const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

export function mixColumn(c: number, inv: boolean): number {
  const b = [c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24];
  const m = inv ? [14, 11, 13, 9] : [2, 3, 1, 1];
  let out = 0;
  for (let r = 0; r < 4; r++) {
    let v = 0;
    for (let k = 0; k < 4; k++) v ^= gmul(b[(r + k) & 3], m[k]);
    out |= v << (8 * r);
  }
  return out >>> 0;
}
export function subWord(w: number, box: Uint8Array): number {
  return (box[w & 0xff] | (box[(w >>> 8) & 0xff] << 8) | (box[(w >>> 16) & 0xff] << 16) | (box[w >>> 24] << 24)) >>> 0;
}
/** The low 64 bits (two columns) of (Inv)ShiftRows of the state {rs2:rs1}, as two words. */
function shiftRows(lo: bigint, hi: bigint, inv: boolean): [number, number] {
  const s = new Uint8Array(16);
  for (let i = 0; i < 8; i++) { s[i] = Number((lo >> BigInt(8 * i)) & 0xffn); s[8 + i] = Number((hi >> BigInt(8 * i)) & 0xffn); }
  const out = [0, 0];
  for (let c = 0; c < 2; c++) {
    for (let r = 0; r < 4; r++) {
      const from = inv ? (c - r + 4) & 3 : (c + r) & 3;
      out[c] |= s[from * 4 + r] << (8 * r);
    }
    out[c] >>>= 0;
  }
  return [out[0], out[1]];
}

const GPR = STATE.gpr.offset;
const word64 = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** The AES operations (helperFp with op >= CRYPTO_BASE; imm = aes64ks1i's rnum). */
export function helperCrypto(env: CPURISCVState, op: number, rd: number, rs1: number, rs2: number, imm: number): boolean {
  const v = env.view, base = env.base + GPR;
  const x1 = v.getBigUint64(base + rs1 * 8, true), x2 = v.getBigUint64(base + rs2 * 8, true);
  let r: bigint;
  switch (op) {
    case CryptoOp.AES64ES: case CryptoOp.AES64ESM: case CryptoOp.AES64DS: case CryptoOp.AES64DSM: {
      const dec = op === CryptoOp.AES64DS || op === CryptoOp.AES64DSM;
      const mix = op === CryptoOp.AES64ESM || op === CryptoOp.AES64DSM;
      let [c0, c1] = shiftRows(x1, x2, dec);
      c0 = subWord(c0, dec ? aesInvSbox() : aesSbox()); c1 = subWord(c1, dec ? aesInvSbox() : aesSbox());
      if (mix) { c0 = mixColumn(c0, dec); c1 = mixColumn(c1, dec); }
      r = word64(c0, c1);
      break;
    }
    case CryptoOp.AES64IM:
      r = word64(mixColumn(Number(x1 & 0xffffffffn), true), mixColumn(Number(x1 >> 32n), true));
      break;
    case CryptoOp.AES64KS1I: {
      let t = Number(x1 >> 32n);
      if (imm !== 0xa) t = ((t >>> 8) | (t << 24)) >>> 0;
      t = (subWord(t, aesSbox()) ^ (imm === 0xa ? 0 : RCON[imm])) >>> 0;
      r = word64(t, t);
      break;
    }
    case CryptoOp.AES64KS2: {
      const w0 = (Number(x1 >> 32n) ^ Number(x2 & 0xffffffffn)) >>> 0;
      const w1 = (w0 ^ Number(x2 >> 32n)) >>> 0;
      r = word64(w0, w1);
      break;
    }
    case CryptoOp.SM4ED: case CryptoOp.SM4KS: {
      const x = sm4Sbox()[Number((x2 >> BigInt(imm * 8)) & 0xffn)];
      const y = op === CryptoOp.SM4ED
        ? x ^ (x << 8) ^ (x << 2) ^ (x << 18) ^ ((x & 0x3f) << 26) ^ ((x & 0xc0) << 10)
        : x ^ ((x & 0x07) << 29) ^ ((x & 0xfe) << 7) ^ ((x & 0x01) << 23) ^ ((x & 0xf8) << 13);
      const sh = imm * 8;
      const z = sh ? (y << sh) | (y >>> (32 - sh)) : y;
      r = BigInt.asUintN(64, BigInt((z ^ Number(x1 & 0xffffffffn)) | 0));
      break;
    }
    default: return false;
  }
  if (rd !== 0) v.setBigUint64(base + rd * 8, r, true);
  return true;
}

/** helperFp(op, rd, rs1, rs2, imm, 0) for a crypto operation: x registers only. */
function genCrypto(op: CryptoOp): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    ctx.flushGprs();
    fb.i32Const(op);
    for (const n of ['rd', 'rs1', 'rs2', 'imm']) if (a[n]) ctx.i32(a[n]); else fb.i32Const(0);
    fb.i32Const(0);
    fb.call(ctx.h.fp);
    fb.drop();
    ctx.reloadGpr(a.rd);
  };
}

const R2: ArgSpec = { rd: F.rd, rs1: F.rs1 };

export function addCryptoRows(t: RowTable<TransFn>): void {
  const un = (name: string, imm12: number, trans: TransFn, ext: string) =>
    t.add(name, `${imm12.toString(2).padStart(12, '0')} ----- 001 ----- 0010011`, R2, trans, undefined, ext);
  un('sha256sig0', 0x102, genSigma(true, [7, 18, -3]), 'zknh');
  un('sha256sig1', 0x103, genSigma(true, [17, 19, -10]), 'zknh');
  un('sha256sum0', 0x100, genSigma(true, [2, 13, 22]), 'zknh');
  un('sha256sum1', 0x101, genSigma(true, [6, 11, 25]), 'zknh');
  un('sha512sig0', 0x106, genSigma(false, [1, 8, -7]), 'zknh');
  un('sha512sig1', 0x107, genSigma(false, [19, 61, -6]), 'zknh');
  un('sha512sum0', 0x104, genSigma(false, [28, 34, 39]), 'zknh');
  un('sha512sum1', 0x105, genSigma(false, [14, 18, 41]), 'zknh');
  un('sm3p0', 0x108, genSigma(true, [0, 9, 17], true), 'zksh');
  un('sm3p1', 0x109, genSigma(true, [0, 15, 23], true), 'zksh');
  const r = (name: string, f7: number, trans: TransFn, ext: string) =>
    t.add(name, `${f7.toString(2).padStart(7, '0')} ----- ----- 000 ----- 0110011`, R, trans, undefined, ext);
  r('aes64es', 0x19, genCrypto(CryptoOp.AES64ES), 'zkne');
  r('aes64esm', 0x1b, genCrypto(CryptoOp.AES64ESM), 'zkne');
  r('aes64ds', 0x1d, genCrypto(CryptoOp.AES64DS), 'zknd');
  r('aes64dsm', 0x1f, genCrypto(CryptoOp.AES64DSM), 'zknd');
  r('aes64ks2', 0x3f, genCrypto(CryptoOp.AES64KS2), 'zkne|zknd');
  un('aes64im', 0x300, genCrypto(CryptoOp.AES64IM), 'zknd');
  t.add('sm4ed', '-- 11000 ----- ----- 000 ----- 0110011', { ...R, imm: field('30:2') }, genCrypto(CryptoOp.SM4ED), undefined, 'zksed');
  t.add('sm4ks', '-- 11010 ----- ----- 000 ----- 0110011', { ...R, imm: field('30:2') }, genCrypto(CryptoOp.SM4KS), undefined, 'zksed');
  // aes64ks1i: rnum 0xB-0xF reserved.
  t.add('illegal', '0011000 1 1011 ----- 001 ----- 0010011', {}, rvi.illegal, 'ks1i', 'zkne|zknd');
  t.add('illegal', '0011000 1 11-- ----- 001 ----- 0010011', {}, rvi.illegal, 'ks1i', 'zkne|zknd');
  t.add('aes64ks1i', '0011000 1 ---- ----- 001 ----- 0010011', { ...R2, imm: field('20:4') }, genCrypto(CryptoOp.AES64KS1I), 'ks1i', 'zkne|zknd');
}
