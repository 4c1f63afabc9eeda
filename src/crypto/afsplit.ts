// Anti-forensic split (QEMU's crypto/afsplit.c, the LUKS1 "AF" scheme): a key is stretched
// over `stripes` blocks so that destroying any part of the stored material destroys the key.
//   d_0 = 0;  d_i = H(d_{i-1} xor s_i) for random s_1..s_{n-1};  s_n = d_{n-1} xor key
// H ("diffuse") hashes the block in digest-sized pieces, each prefixed with its big-endian index.
import { QemuError } from '../qemu/error.js';
import { qcryptoRandomBytes } from './backend.js';
import { QCryptoHashAlgo, qcryptoHashBytesv, qcryptoHashDigestLen } from './hash.js';

/** cryptsetup writes 4000 stripes; a header asking for far more is corrupt or hostile. */
export const AFSPLIT_MAX_STRIPES = 65536;
export const AFSPLIT_MAX_BYTES = 64 << 20;

function xorInto(dst: Uint8Array, a: Uint8Array, b: Uint8Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = a[i] ^ b[i];
}

function diffuse(hash: QCryptoHashAlgo, block: Uint8Array): void {
  const dlen = qcryptoHashDigestLen(hash);
  const idx = new Uint8Array(4);
  const dv = new DataView(idx.buffer);
  for (let i = 0, off = 0; off < block.length; i++, off += dlen) {
    const n = Math.min(dlen, block.length - off);
    dv.setUint32(0, i, false);
    const d = qcryptoHashBytesv(hash, [idx, block.subarray(off, off + n)]);
    block.set(d.subarray(0, n), off);
  }
}

export function qcryptoAfsplitCheck(blockLen: number, stripes: number): void {
  if (!Number.isInteger(stripes) || stripes < 1 || stripes > AFSPLIT_MAX_STRIPES) {
    throw new QemuError(`AF stripes ${stripes} is out of range (1..${AFSPLIT_MAX_STRIPES})`);
  }
  if (!Number.isInteger(blockLen) || blockLen < 1 || blockLen * stripes > AFSPLIT_MAX_BYTES) {
    throw new QemuError(`AF split of ${blockLen} bytes x ${stripes} stripes is too large`);
  }
}

export function qcryptoAfsplitEncode(hash: QCryptoHashAlgo, blockLen: number, stripes: number, key: Uint8Array): Uint8Array {
  qcryptoAfsplitCheck(blockLen, stripes);
  if (key.length !== blockLen) throw new QemuError(`AF split key is ${key.length} bytes, expected ${blockLen}`);
  const out = qcryptoRandomBytes(blockLen * stripes);
  const d = new Uint8Array(blockLen);
  for (let i = 0; i < stripes - 1; i++) {
    xorInto(d, d, out.subarray(i * blockLen, (i + 1) * blockLen));
    diffuse(hash, d);
  }
  xorInto(out.subarray((stripes - 1) * blockLen), d, key);
  return out;
}

export function qcryptoAfsplitDecode(hash: QCryptoHashAlgo, blockLen: number, stripes: number, split: Uint8Array): Uint8Array {
  qcryptoAfsplitCheck(blockLen, stripes);
  if (split.length < blockLen * stripes) throw new QemuError(`AF split material is ${split.length} bytes, expected ${blockLen * stripes}`);
  const d = new Uint8Array(blockLen);
  for (let i = 0; i < stripes - 1; i++) {
    xorInto(d, d, split.subarray(i * blockLen, (i + 1) * blockLen));
    diffuse(hash, d);
  }
  const key = new Uint8Array(blockLen);
  xorInto(key, d, split.subarray((stripes - 1) * blockLen));
  return key;
}
