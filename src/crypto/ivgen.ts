// IV generators (QEMU's crypto/ivgen*.c): the per-sector IV of disk encryption.
//   plain    sector number, low 32 bits, little endian, zero padded
//   plain64  sector number, 64 bits, little endian, zero padded
//   essiv    plain64 encrypted (ECB) under hash(volume key): IVs an attacker cannot predict
import { QemuError } from '../qemu/error.js';
import { QCryptoCipher, QCryptoCipherAlgo } from './cipher.js';
import { QCryptoHashAlgo, qcryptoHashBytes, qcryptoHashDigestLen } from './hash.js';

export type QCryptoIVGenAlgo = 'plain' | 'plain64' | 'essiv';

export function qcryptoIVGenAlgoParse(name: string): QCryptoIVGenAlgo {
  if (name !== 'plain' && name !== 'plain64' && name !== 'essiv') throw new QemuError(`Unsupported IV generator '${name}'`);
  return name;
}

/** The AES variant whose key is exactly one digest of `hash` (ESSIV's inner cipher). */
export function qcryptoIVGenEssivCipher(cipher: QCryptoCipherAlgo, hash: QCryptoHashAlgo): QCryptoCipherAlgo {
  const len = qcryptoHashDigestLen(hash);
  const alg = ({ 16: 'aes-128', 24: 'aes-192', 32: 'aes-256' } as Record<number, QCryptoCipherAlgo>)[len];
  if (!alg || !cipher.startsWith('aes-')) throw new QemuError(`Cipher ${cipher} is not supported with essiv:${hash}`);
  return alg;
}

function putSector(iv: Uint8Array, sector: number, bytes: 4 | 8): void {
  if (!Number.isSafeInteger(sector) || sector < 0) throw new QemuError(`Sector number ${sector} is out of range`);
  iv.fill(0);
  const dv = new DataView(iv.buffer, iv.byteOffset, iv.byteLength);
  const n = Math.min(bytes, iv.length);
  const lo = sector % 0x100000000;
  const hi = Math.floor(sector / 0x100000000);
  if (n >= 4) dv.setUint32(0, lo, true);
  if (n >= 8) dv.setUint32(4, hi, true);
}

export class QCryptoIVGen {
  private readonly essiv: QCryptoCipher | null = null;

  constructor(
    readonly algo: QCryptoIVGenAlgo, cipher: QCryptoCipherAlgo, readonly hash: QCryptoHashAlgo | null, key: Uint8Array,
  ) {
    if (algo === 'essiv') {
      if (!hash) throw new QemuError('essiv requires a hash algorithm');
      const salt = qcryptoHashBytes(hash, key);
      this.essiv = new QCryptoCipher(qcryptoIVGenEssivCipher(cipher, hash), 'ecb', salt);
    } else if (hash) {
      throw new QemuError(`IV generator ${algo} does not take a hash algorithm`);
    }
  }

  /** Fill `iv` (its length is the cipher's IV length) for `sector`. */
  calculate(sector: number, iv: Uint8Array): void {
    switch (this.algo) {
      case 'plain': putSector(iv, sector, 4); break;
      case 'plain64': putSector(iv, sector, 8); break;
      case 'essiv': {
        const blk = new Uint8Array(Math.max(iv.length, 16));
        putSector(blk, sector, 8);
        this.essiv!.encrypt(blk.subarray(0, 16));
        iv.set(blk.subarray(0, iv.length));
        break;
      }
    }
  }
}
