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
/** 256 bytes from 512 hex digits. */
function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
// The S-boxes as constants: computing them (inversion in GF(2^8), 512 inversions) cost ~7 ms of
// CPU in every isolate, the main thread's and each guest thread's worker's (issue 18).
// tests/target-riscv-sbox.test.js derives them again from their algebraic definitions.
/** The AES S-box (multiplicative inverse in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, then the
 * affine map with constant 0x63) and its inverse. */
export const SBOX = hexBytes(
  '637c777bf26b6fc53001672bfed7ab76ca82c97dfa5947f0add4a2af9ca472c0b7fd9326363ff7cc34a5e5f171d8311504c723c31896059a071280e2eb27b275' +
  '09832c1a1b6e5aa0523bd6b329e32f8453d100ed20fcb15b6acbbe394a4c58cfd0efaafb434d338545f9027f503c9fa851a3408f929d38f5bcb6da2110fff3d2' +
  'cd0c13ec5f974417c4a77e3d645d197360814fdc222a908846eeb814de5e0bdbe0323a0a4906245cc2d3ac629195e479e7c8376d8dd54ea96c56f4ea657aae08' +
  'ba78252e1ca6b4c6e8dd741f4bbd8b8a703eb5664803f60e613557b986c11d9ee1f8981169d98e949b1e87e9ce5528df8ca1890dbfe6426841992d0fb054bb16');
export const INV_SBOX = hexBytes(
  '52096ad53036a538bf40a39e81f3d7fb7ce339829b2fff87348e4344c4dee9cb547b9432a6c2233dee4c950b42fac34e082ea16628d924b2765ba2496d8bd125' +
  '72f8f66486689816d4a45ccc5d65b6926c704850fdedb9da5e154657a78d9d8490d8ab008cbcd30af7e45805b8b34506d02c1e8fca3f0f02c1afbd0301138a6b' +
  '3a9111414f67dcea97f2cfcef0b4e67396ac7422e7ad3585e2f937e81c75df6e47f11a711d29c5896fb7620eaa18be1bfc563e4bc6d279209adbc0fe78cd5af4' +
  '1fdda8338807c731b11210592780ec5f60517fa919b54a0d2de57a9f93c99cefa0e03b4dae2af5b0c8ebbb3c83539961172b047eba77d626e169146355210c7d');
/** The SM4 S-box (its algebraic form: inversion in GF(2^8) modulo x^8 + x^7 + x^6 + x^5 + x^4
 * + x^2 + 1 between two applications of the affine map of row 0xa7 and constant 0xd3). */
export const SM4_SBOX = hexBytes(
  'd690e9fecce13db716b614c228fb2c052b679a762abe04c3aa441326498606999c4250f491ef987a33540b43edcfac62e4b31ca9c908e89580df94fa758f3fa6' +
  '4707a7fcf37317ba83593c19e6854fa8686b81b27164da8bf8eb0f4b70569d351e240e5e6358d1a225227c3b01217887d40046579fd327524c3602e7a0c4c89e' +
  'eabf8ad240c738b5a3f7f2cef96115a1e0ae5da49b341a55ad933230f58cb1e31df6e22e8266ca60c02923ab0d534e6fd5db3745defd8e2f03ff6a726d6c5b51' +
  '8d1baf92bbddbc7f11d95c411f105ad80ac13188a5cd7bbd2d74d012b8e5b4b08969974a0c96777e65b9f109c56ec68418f07dec3adc4d2079ee5f3ed7cb3948');
/** The S-boxes by accessor (the vector crypto helpers' interface). */
export function aesSbox(): Uint8Array { return SBOX; }
export function aesInvSbox(): Uint8Array { return INV_SBOX; }
export function sm4Sbox(): Uint8Array { return SM4_SBOX; }
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
