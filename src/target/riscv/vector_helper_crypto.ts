// The vector crypto extensions (RISC-V Vector Cryptography 1.0): Zvbb/Zvkb (bit manipulation),
// Zvbc (carry-less multiply), and on the OP-VE opcode the element-group instructions of Zvkned
// (AES), Zvknha/Zvknhb (SHA-2), Zvkg (GHASH), Zvksed (SM4) and Zvksh (SM3); Zvkt (data-independent
// timing) has no instruction. Element groups are EGS consecutive elements read as little-endian
// words; vl and vstart must be multiples of EGS and LMUL*VLEN must hold one group (QEMU's
// checks). Tail elements are left undisturbed, as every vector instruction here.
import { registerRiscvExtension, riscvCpuHas } from './cpu-cfg.js';
import { type VCtx, fields, illegal, need, overlap, requireAlign, vRegisterCrypto, zx } from './vector_helper.js';
import { checkSss, checkWide } from './vector_helper_int.js';
import { aesInvSbox, aesSbox, RCON, sm4Sbox, mixColumn, subWord } from './trans_rvk.js';
import type { RowTable } from './decode.js';
import { F } from './insn32-fields.js';
import type { TransFn } from './trans_rvi.js';
import { transV } from './trans_rvv.js';

for (const name of ['zvbb', 'zvkb', 'zvbc', 'zvkg', 'zvkned', 'zvknha', 'zvknhb', 'zvksed', 'zvksh', 'zvkt',
  // The shorthands (QEMU's properties; the implied rules of cpu-isa.ts expand them).
  'zvkn', 'zvknc', 'zvkng', 'zvks', 'zvksc', 'zvksg']) {
  registerRiscvExtension({ name });
}

const has = riscvCpuHas;
const rol32 = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;
const ror32 = (x: number, n: number): number => ((x >>> n) | (x << (32 - n))) >>> 0;

// ---- Zvbb / Zvkb / Zvbc (element-wise, OP-V) --------------------------------------------------

function brev8(v: bigint, bytes: number): bigint {
  let r = 0n;
  for (let b = 0; b < bytes; b++) {
    let x = Number((v >> BigInt(8 * b)) & 0xffn), y = 0;
    for (let i = 0; i < 8; i++) if (x & (1 << i)) y |= 0x80 >> i;
    x = y;
    r |= BigInt(x) << BigInt(8 * b);
  }
  return r;
}
function rev8(v: bigint, bytes: number): bigint {
  let r = 0n;
  for (let b = 0; b < bytes; b++) r |= ((v >> BigInt(8 * b)) & 0xffn) << BigInt(8 * (bytes - 1 - b));
  return r;
}
function brev(v: bigint, bits: number): bigint {
  let r = 0n;
  for (let i = 0; i < bits; i++) if ((v >> BigInt(i)) & 1n) r |= 1n << BigInt(bits - 1 - i);
  return r;
}
function clz(v: bigint, bits: number): bigint {
  let n = 0;
  for (let i = bits - 1; i >= 0 && !((v >> BigInt(i)) & 1n); i--) n++;
  return BigInt(n);
}
function ctz(v: bigint, bits: number): bigint {
  let n = 0;
  while (n < bits && !((v >> BigInt(n)) & 1n)) n++;
  return BigInt(n);
}
function cpop(v: bigint): bigint {
  let n = 0n;
  for (; v; v >>= 1n) n += v & 1n;
  return n;
}
function clmul(a: bigint, b: bigint, high: boolean): bigint {
  let r = 0n;
  for (let i = 0n; i < 64n; i++) if ((b >> i) & 1n) r ^= a << i;
  return high ? (r >> 64n) & 0xffffffffffffffffn : r & 0xffffffffffffffffn;
}

/** One element-wise op over vstart..vl (masked-off and tail elements undisturbed). */
function each(c: VCtx, vd: number, fn: (i: number) => bigint, esz = c.esz): void {
  for (let i = c.vstart; i < c.vl; i++) if (c.active(i)) c.set(vd, i, fn(i), esz);
}

/** OP-V: the Zvbb/Zvkb/Zvbc encodings (false: not one of them, or its extension is off). */
function opv(c: VCtx): boolean {
  const { f6, vd, vs1, vs2, f3 } = fields(c.insn);
  const sew = c.sew, bits = BigInt(sew), mask = bits - 1n;
  const vv = f3 === 0 || f3 === 2;
  const op1 = (i: number): bigint => (f3 === 0 || f3 === 2 ? c.get(vs1, i)
    : f3 === 3 ? BigInt(vs1 | (f6 & 1 ? 32 : 0)) : zx(c.gpr(vs1), sew));
  const opi = f3 === 0 || f3 === 3 || f3 === 4;
  const zvkb = has('zvkb') || has('zvbb');
  if (opi && f6 === 0x01 && f3 !== 3 && zvkb) { // vandn
    checkSss(c, vd, vs2, vs1, vv);
    each(c, vd, (i) => c.get(vs2, i) & ~op1(i) & ((1n << bits) - 1n));
    return true;
  }
  if (opi && (f6 === 0x14 || f6 === 0x15) && zvkb && (f3 === 3 || f6 === 0x14 || f6 === 0x15)) { // vror, vrol, vror.vi
    const left = f6 === 0x15 && f3 !== 3;
    checkSss(c, vd, vs2, vs1, vv);
    each(c, vd, (i) => {
      const a = c.get(vs2, i);
      let s = op1(i) & mask;
      if (left) s = (bits - s) & mask;
      return ((a >> s) | (a << (bits - s))) & ((1n << bits) - 1n);
    });
    return true;
  }
  if (opi && f6 === 0x35 && has('zvbb')) { // vwsll
    const wb = bits * 2n;
    checkWide(c, vd, vs2, vs1, vv, false);
    const sh = (i: number): bigint => (f3 === 3 ? BigInt(vs1) : f3 === 4 ? c.gpr(vs1) : c.get(vs1, i)) & (wb - 1n);
    each(c, vd, (i) => (c.get(vs2, i) << sh(i)) & ((1n << wb) - 1n), c.esz * 2);
    return true;
  }
  if (f3 === 2 && f6 === 0x12 && vs1 >= 8 && vs1 <= 14 && vs1 !== 11) { // VXUNARY0's Zvbb/Zvkb forms
    if (vs1 <= 9 ? !zvkb : !has('zvbb')) return false;
    checkSss(c, vd, vs2, 0, false);
    const e = c.esz;
    const fn = [(v: bigint) => brev8(v, e), (v: bigint) => rev8(v, e), (v: bigint) => brev(v, sew), null,
      (v: bigint) => clz(v, sew), (v: bigint) => ctz(v, sew), cpop][vs1 - 8] as (v: bigint) => bigint;
    each(c, vd, (i) => fn(c.get(vs2, i)));
    return true;
  }
  if ((f3 === 2 || f3 === 6) && (f6 === 0x0c || f6 === 0x0d) && has('zvbc')) { // vclmul, vclmulh
    need(sew === 64);
    checkSss(c, vd, vs2, vs1, f3 === 2);
    each(c, vd, (i) => clmul(c.get(vs2, i), f3 === 2 ? c.get(vs1, i) : c.gpr(vs1), f6 === 0x0d));
    return true;
  }
  return false;
}

// ---- element groups (OP-VE) -------------------------------------------------------------------

/** The element group g of register group `reg`: `n` elements of `esz` bytes. */
function eg(c: VCtx, reg: number, g: number, n: number, esz = 4): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(Number(c.get(reg, g * n + k, esz) & 0xffffffffn));
  return out;
}
function setEg(c: VCtx, reg: number, g: number, w: readonly number[]): void {
  for (let k = 0; k < w.length; k++) c.set(reg, g * w.length + k, BigInt(w[k] >>> 0), 4);
}

/** QEMU's element-group checks: unmasked, SEW as given, one group fits LMUL*VLEN, vd (and the
 * .vv sources) aligned, vl and vstart multiples of EGS. `vsForm`: vs2 is one group (in its first
 * register) that vd must not overlap; `noOver`: vd overlaps neither source (SHA-2, SM3). */
function egCheck(c: VCtx, egs: number, sews: readonly number[], o: { vsForm?: boolean; noOver?: readonly number[] } = {}): void {
  const { vd, vs2 } = fields(c.insn);
  need(c.vm);
  need(sews.includes(c.sew));
  need(c.vlenb * 2 ** c.lmul >= egs * c.esz);
  requireAlign(vd, c.lmul);
  const n = c.regs();
  if (o.vsForm) { if (overlap(vd, n, vs2, 1)) illegal(); } else requireAlign(vs2, c.lmul);
  for (const s of o.noOver ?? []) { requireAlign(s, c.lmul); if (overlap(vd, n, s, n)) illegal(); }
  need(c.vl % egs === 0 && c.vstart % egs === 0);
}
function groups(c: VCtx, egs: number, fn: (g: number) => void): void {
  for (let g = c.vstart / egs; g < c.vl / egs; g++) fn(g);
}

// AES (Zvkned): the state is the group's 16 bytes, column c = word c.
const bytesOf = (w: readonly number[]): number[] => w.flatMap((x) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24]);
const wordsOf = (b: readonly number[]): number[] => [0, 1, 2, 3].map((k) => (b[4 * k] | (b[4 * k + 1] << 8) | (b[4 * k + 2] << 16) | (b[4 * k + 3] << 24)) >>> 0);
function shiftRows(w: readonly number[], inv: boolean): number[] {
  const s = bytesOf(w), o = new Array<number>(16);
  for (let col = 0; col < 4; col++) for (let r = 0; r < 4; r++) o[4 * col + r] = s[4 * (inv ? (col - r + 4) & 3 : (col + r) & 3) + r];
  return wordsOf(o);
}
const xorW = (a: readonly number[], b: readonly number[]): number[] => a.map((x, k) => (x ^ b[k]) >>> 0);

/** vaesef/vaesem/vaesdf/vaesdm/vaesz on state s with round key k (vs1 field selects). */
function aesRound(op: number, s: number[], k: readonly number[]): number[] {
  switch (op) {
    case 0x00: return [0, 1, 2, 3].map((i) => mixColumn(xorW(shiftRows(s, true).map((w) => subWord(w, aesInvSbox())), k)[i], true)); // vaesdm
    case 0x01: return xorW(shiftRows(s, true).map((w) => subWord(w, aesInvSbox())), k); // vaesdf
    case 0x02: return xorW(shiftRows(s.map((w) => subWord(w, aesSbox())), false).map((w) => mixColumn(w, false)), k); // vaesem
    case 0x03: return xorW(shiftRows(s.map((w) => subWord(w, aesSbox())), false), k); // vaesef
    default: return xorW(s, k); // vaesz
  }
}

function aes(c: VCtx, f6: number, vd: number, vs2: number, vs1: number): void {
  if (f6 === 0x22 || f6 === 0x2a) { // vaeskf1.vi, vaeskf2.vi
    egCheck(c, 4, [32]);
    groups(c, 4, (g) => {
      const cur = eg(c, vs2, g, 4);
      const w = new Array<number>(4);
      if (f6 === 0x22) {
        const rnd = vs1 > 10 || vs1 === 0 ? vs1 ^ 8 : vs1;
        w[0] = (subWord(ror32(cur[3], 8), aesSbox()) ^ RCON[rnd - 1] ^ cur[0]) >>> 0;
        for (let k = 1; k < 4; k++) w[k] = (w[k - 1] ^ cur[k]) >>> 0;
      } else {
        const rnd = vs1 < 2 || vs1 > 14 ? vs1 ^ 8 : vs1;
        const prev = eg(c, vd, g, 4);
        w[0] = (rnd & 1 ? prev[0] ^ subWord(cur[3], aesSbox()) : prev[0] ^ subWord(ror32(cur[3], 8), aesSbox()) ^ RCON[(rnd >> 1) - 1]) >>> 0;
        for (let k = 1; k < 4; k++) w[k] = (w[k - 1] ^ prev[k]) >>> 0;
      }
      setEg(c, vd, g, w);
    });
    return;
  }
  const vs = f6 === 0x29;
  if (![0, 1, 2, 3].includes(vs1) && !(vs && vs1 === 7)) illegal();
  egCheck(c, 4, [32], { vsForm: vs });
  groups(c, 4, (g) => setEg(c, vd, g, aesRound(vs1, eg(c, vd, g, 4), eg(c, vs2, vs ? 0 : g, 4))));
}

// SHA-2 (Zvknha: SEW 32; Zvknhb: SEW 32 and 64). Words as bigint to serve both widths; the
// round constants are added by the program (vs1 holds W + K).
function sha2(c: VCtx, f6: number, vd: number, vs2: number, vs1: number): void {
  egCheck(c, 4, has('zvknhb') ? [32, 64] : [32], { noOver: [vs2, vs1] });
  const w = c.sew, W = BigInt(w), M = (1n << W) - 1n;
  const ror = (x: bigint, n: number): bigint => ((x >> BigInt(n)) | (x << (W - BigInt(n)))) & M;
  const s32 = w === 32;
  const sig0 = (x: bigint) => (s32 ? ror(x, 7) ^ ror(x, 18) ^ (x >> 3n) : ror(x, 1) ^ ror(x, 8) ^ (x >> 7n));
  const sig1 = (x: bigint) => (s32 ? ror(x, 17) ^ ror(x, 19) ^ (x >> 10n) : ror(x, 19) ^ ror(x, 61) ^ (x >> 6n));
  const sum0 = (x: bigint) => (s32 ? ror(x, 2) ^ ror(x, 13) ^ ror(x, 22) : ror(x, 28) ^ ror(x, 34) ^ ror(x, 39));
  const sum1 = (x: bigint) => (s32 ? ror(x, 6) ^ ror(x, 11) ^ ror(x, 25) : ror(x, 14) ^ ror(x, 18) ^ ror(x, 41));
  const get = (r: number, g: number): bigint[] => [0, 1, 2, 3].map((k) => c.get(r, g * 4 + k));
  groups(c, 4, (g) => {
    const d = get(vd, g), b = get(vs2, g), a = get(vs1, g);
    let out: bigint[];
    if (f6 === 0x2d) { // vsha2ms: {W3..W0} = vd, {W11,W10,W9,W4} = vs2, {W15..W12} = vs1
      const Wt: bigint[] = [];
      Wt[0] = d[0]; Wt[1] = d[1]; Wt[2] = d[2]; Wt[3] = d[3];
      Wt[4] = b[0]; Wt[9] = b[1]; Wt[10] = b[2]; Wt[11] = b[3];
      Wt[12] = a[0]; Wt[13] = a[1]; Wt[14] = a[2]; Wt[15] = a[3];
      for (let t = 16; t < 20; t++) Wt[t] = (sig1(Wt[t - 2]) + Wt[t - 7] + sig0(Wt[t - 15]) + Wt[t - 16]) & M;
      out = [Wt[16], Wt[17], Wt[18], Wt[19]];
    } else { // vsha2ch / vsha2cl: {a,b,e,f} = vs2 (element 3 = a), {c,d,g,h} = vd
      let [f, e, bb, aa] = b;
      let [h, gg, dd, cc] = d;
      const ws = f6 === 0x2e ? [a[2], a[3]] : [a[0], a[1]];
      for (const wi of ws) {
        const t1 = (h + sum1(e) + ((e & f) ^ (~e & M & gg)) + wi) & M;
        const t2 = (sum0(aa) + ((aa & bb) ^ (aa & cc) ^ (bb & cc))) & M;
        h = gg; gg = f; f = e; e = (dd + t1) & M; dd = cc; cc = bb; bb = aa; aa = (t1 + t2) & M;
      }
      out = [f, e, bb, aa];
    }
    for (let k = 0; k < 4; k++) c.set(vd, g * 4 + k, out[k]);
  });
}

// GHASH (Zvkg): 128-bit values, byte 0 least significant, bits reflected within each byte.
function egBig(c: VCtx, reg: number, g: number): bigint {
  let v = 0n;
  for (let k = 3; k >= 0; k--) v = (v << 32n) | c.get(reg, g * 4 + k, 4);
  return v;
}
function setEgBig(c: VCtx, reg: number, g: number, v: bigint): void {
  for (let k = 0; k < 4; k++) c.set(reg, g * 4 + k, (v >> BigInt(32 * k)) & 0xffffffffn, 4);
}
function gfmul(s: bigint, h: bigint): bigint {
  let z = 0n;
  for (let bit = 0n; bit < 128n; bit++) {
    if ((s >> bit) & 1n) z ^= h;
    const reduce = (h >> 127n) & 1n;
    h = (h << 1n) & ((1n << 128n) - 1n);
    if (reduce) h ^= 0x87n;
  }
  return z;
}
function ghash(c: VCtx, f6: number, vd: number, vs2: number, vs1: number): void {
  if (f6 === 0x28 && vs1 !== 0x11) illegal();
  egCheck(c, 4, [32]);
  if (f6 === 0x2c) requireAlign(vs1, c.lmul);
  groups(c, 4, (g) => {
    const y = egBig(c, vd, g), x = f6 === 0x2c ? egBig(c, vs1, g) : 0n;
    const h = brev8(egBig(c, vs2, g), 16);
    setEgBig(c, vd, g, brev8(gfmul(brev8(y ^ x, 16), h), 16));
  });
}

// SM4 (Zvksed).
const SM4_CK = Array.from({ length: 32 }, (_, i) => [0, 1, 2, 3].reduce((w, j) => w | ((((4 * i + j) * 7) & 0xff) << (24 - 8 * j)), 0) >>> 0);
const sm4Sub = (x: number): number => subWord(x, sm4Sbox());
function sm4(c: VCtx, f6: number, vd: number, vs2: number, vs1: number): void {
  if (f6 === 0x21) { // vsm4k.vi
    egCheck(c, 4, [32]);
    const rnd = vs1 & 7;
    groups(c, 4, (g) => {
      const rk = eg(c, vs2, g, 4);
      for (let k = 0; k < 4; k++) {
        const s = sm4Sub((rk[k + 1] ^ rk[k + 2] ^ rk[k + 3] ^ SM4_CK[4 * rnd + k]) >>> 0);
        rk.push((rk[k] ^ s ^ rol32(s, 13) ^ rol32(s, 23)) >>> 0);
      }
      setEg(c, vd, g, rk.slice(4));
    });
    return;
  }
  if (vs1 !== 0x10) illegal();
  const vs = f6 === 0x29;
  egCheck(c, 4, [32], { vsForm: vs });
  groups(c, 4, (g) => {
    const rk = eg(c, vs2, vs ? 0 : g, 4), x = eg(c, vd, g, 4);
    for (let k = 0; k < 4; k++) {
      const s = sm4Sub((x[k + 1] ^ x[k + 2] ^ x[k + 3] ^ rk[k]) >>> 0);
      x.push((x[k] ^ s ^ rol32(s, 2) ^ rol32(s, 10) ^ rol32(s, 18) ^ rol32(s, 24)) >>> 0);
    }
    setEg(c, vd, g, x.slice(4));
  });
}

// SM3 (Zvksh): groups of 8 words, big-endian in memory (byte-swapped on the way in and out).
const bswap = (x: number): number => ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24)) >>> 0;
const p0 = (x: number): number => (x ^ rol32(x, 9) ^ rol32(x, 17)) >>> 0;
const p1 = (x: number): number => (x ^ rol32(x, 15) ^ rol32(x, 23)) >>> 0;
function sm3(c: VCtx, f6: number, vd: number, vs2: number, vs1: number): void {
  egCheck(c, 8, [32], { noOver: [vs2] });
  if (f6 === 0x20) requireAlign(vs1, c.lmul);
  groups(c, 8, (g) => {
    if (f6 === 0x20) { // vsm3me.vv: W[0..7] = vs1, W[8..15] = vs2 -> W[16..23]
      const w = [...eg(c, vs1, g, 8), ...eg(c, vs2, g, 8)].map(bswap);
      for (let j = 16; j < 24; j++) w[j] = (p1(w[j - 16] ^ w[j - 9] ^ rol32(w[j - 3], 15)) ^ rol32(w[j - 13], 7) ^ w[j - 6]) >>> 0;
      setEg(c, vd, g, w.slice(16).map(bswap));
      return;
    }
    // vsm3c.vi: rounds 2*uimm and 2*uimm+1; {A..H} = vd (A = element 0), W[j..j+7] = vs2
    const s = eg(c, vd, g, 8).map(bswap), w = eg(c, vs2, g, 8).map(bswap);
    let [A, B, C, D, E, F, G, H] = s;
    for (let r = 0; r < 2; r++) {
      const j = 2 * vs1 + r;
      const t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
      const ss1 = rol32((rol32(A, 12) + E + rol32(t, j % 32)) >>> 0, 7);
      const ss2 = (ss1 ^ rol32(A, 12)) >>> 0;
      const ff = j < 16 ? A ^ B ^ C : (A & B) | (A & C) | (B & C);
      const gg = j < 16 ? E ^ F ^ G : (E & F) | (~E & G);
      const tt1 = (ff + D + ss2 + (w[r] ^ w[r + 4])) >>> 0;
      const tt2 = (gg + H + ss1 + w[r]) >>> 0;
      D = C; C = rol32(B, 9); B = A; A = tt1; H = G; G = rol32(F, 19); F = E; E = p0(tt2);
    }
    setEg(c, vd, g, [A, B, C, D, E, F, G, H].map(bswap));
  });
}

/** OP-VE: every encoding is OPMVV (funct3 2) with vm = 1. */
function opve(c: VCtx): boolean {
  const { f6, vd, vs1, vs2, f3 } = fields(c.insn);
  if (f3 !== 2) illegal();
  switch (f6) {
    case 0x22: case 0x2a: if (!has('zvkned')) illegal(); aes(c, f6, vd, vs2, vs1); return true;
    case 0x28: case 0x29:
      if (vs1 === 0x10 && has('zvksed')) { sm4(c, f6, vd, vs2, vs1); return true; }
      if (vs1 === 0x11 && f6 === 0x28 && has('zvkg')) { ghash(c, f6, vd, vs2, vs1); return true; }
      if (!has('zvkned')) illegal();
      aes(c, f6, vd, vs2, vs1); return true;
    case 0x2c: if (!has('zvkg')) illegal(); ghash(c, f6, vd, vs2, vs1); return true;
    case 0x2d: case 0x2e: case 0x2f: if (!has('zvknha') && !has('zvknhb')) illegal(); sha2(c, f6, vd, vs2, vs1); return true;
    case 0x21: if (!has('zvksed')) illegal(); sm4(c, f6, vd, vs2, vs1); return true;
    case 0x20: case 0x2b: if (!has('zvksh')) illegal(); sm3(c, f6, vd, vs2, vs1); return true;
    default: return illegal();
  }
}

vRegisterCrypto((c) => ((c.insn & 0x7f) === 0x77 ? opve(c) : opv(c)));

/** The OP-VE row (the OP-V encodings go through trans_rvv.ts's row already). */
export function addVectorCryptoRows(t: RowTable<TransFn>): void {
  t.add('op-ve', '------- ----- ----- --- ----- 1110111', { rd: F.rd }, transV, undefined, 'zvkned|zvknha|zvknhb|zvkg|zvksed|zvksh');
}
