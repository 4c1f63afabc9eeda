// The AES and SM4 S-boxes of the scalar and vector crypto extensions (src/target/riscv/trans_rvk.ts)
// are constants (computing them cost every isolate ~7 ms at start-up, issue 18): derive them
// again from their algebraic definitions and compare, with the AES inverse as the inverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INV_SBOX, SBOX, SM4_SBOX } from '../dist/target/riscv/trans_rvk.js';

/** Product in GF(2^8) modulo the polynomial `poly` (its low 8 bits). */
const gmul = (a, b, poly) => {
  let p = 0;
  for (let i = 0; i < 8; i++) { if (b & 1) p ^= a; const hi = a & 0x80; a = (a << 1) & 0xff; if (hi) a ^= poly; b >>= 1; }
  return p;
};
/** The multiplicative inverse by search (0 for 0). */
const inverse = (a, poly) => { if (!a) return 0; for (let x = 1; x < 256; x++) if (gmul(a, x, poly) === 1) return x; throw new Error('no inverse'); };
const rotl8 = (x, i) => ((x << i) | (x >> (8 - i))) & 0xff;

test('AES S-box: affine map of the GF(2^8) inverse (x^8+x^4+x^3+x+1), and its inverse', () => {
  for (let x = 0; x < 256; x++) {
    const inv = inverse(x, 0x1b);
    const s = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
    assert.equal(SBOX[x], s, `SBOX[${x}]`);
    assert.equal(INV_SBOX[s], x, `INV_SBOX[${s}]`);
  }
});

test('SM4 S-box: affine(inverse(affine(x))), x^8+x^7+x^6+x^5+x^4+x^2+1, row 0xa7, constant 0xd3', () => {
  const affine = (x) => {
    let y = 0;
    for (let i = 0; i < 8; i++) {
      let v = rotl8(0xa7, i) & x, bit = 0;
      while (v) { bit ^= v & 1; v >>= 1; }
      y |= bit << i;
    }
    return y ^ 0xd3;
  };
  for (let x = 0; x < 256; x++) assert.equal(SM4_SBOX[x], affine(inverse(affine(x), 0xf5)), `SM4_SBOX[${x}]`);
  // Two published values (GB/T 32907-2016): S(0x00) = 0xd6, S(0xff) = 0x48.
  assert.equal(SM4_SBOX[0], 0xd6);
  assert.equal(SM4_SBOX[0xff], 0x48);
});
