// QCryptoCipher (QEMU's crypto/cipher.c): a block cipher in a mode with a validated key.
// Every parameter is checked here, before the backend sees it: an unknown algorithm or mode,
// a key of the wrong length for the pair, an XTS key whose two halves are equal, an IV of the
// wrong length, data that is not a whole number of blocks. There is no silent fallback.
import { QemuError } from '../qemu/error.js';
import { QCryptoCipherAlgo, QCryptoCipherImpl, QCryptoCipherMode, qcryptoBackend } from './backend.js';

export type { QCryptoCipherAlgo, QCryptoCipherMode } from './backend.js';

const KEY_LEN: Record<QCryptoCipherAlgo, number> = { 'aes-128': 16, 'aes-192': 24, 'aes-256': 32 };
const BLOCK_LEN: Record<QCryptoCipherAlgo, number> = { 'aes-128': 16, 'aes-192': 16, 'aes-256': 16 };
export const CIPHER_MODES: readonly QCryptoCipherMode[] = ['ecb', 'cbc', 'xts', 'ctr'];

export function isCipherAlgo(name: string): name is QCryptoCipherAlgo {
  return Object.prototype.hasOwnProperty.call(KEY_LEN, name);
}

export function isCipherMode(name: string): name is QCryptoCipherMode {
  return (CIPHER_MODES as readonly string[]).includes(name);
}

export function qcryptoCipherAlgoParse(name: string): QCryptoCipherAlgo {
  if (!isCipherAlgo(name)) throw new QemuError(`Unsupported cipher algorithm '${name}'`);
  return name;
}

export function qcryptoCipherModeParse(name: string): QCryptoCipherMode {
  if (!isCipherMode(name)) throw new QemuError(`Unsupported cipher mode '${name}'`);
  return name;
}

export function qcryptoCipherGetBlockLen(alg: QCryptoCipherAlgo): number { return BLOCK_LEN[alg]; }

/** Key bytes the algorithm takes in this mode (XTS takes two keys). */
export function qcryptoCipherGetKeyLen(alg: QCryptoCipherAlgo, mode: QCryptoCipherMode = 'ecb'): number {
  return mode === 'xts' ? 2 * KEY_LEN[alg] : KEY_LEN[alg];
}

/** IV bytes the mode needs (0 for ECB). */
export function qcryptoCipherGetIVLen(alg: QCryptoCipherAlgo, mode: QCryptoCipherMode): number {
  return mode === 'ecb' ? 0 : BLOCK_LEN[alg];
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function qcryptoCipherValidateKey(alg: QCryptoCipherAlgo, mode: QCryptoCipherMode, key: Uint8Array): void {
  const want = qcryptoCipherGetKeyLen(alg, mode);
  if (key.length !== want) {
    throw new QemuError(`Cipher key length ${key.length} bytes is invalid for ${alg}-${mode}, expected ${want}`);
  }
  if (mode === 'xts' && equalBytes(key.subarray(0, want / 2), key.subarray(want / 2))) {
    // IEEE 1619 requires independent keys; equal halves make XTS weak.
    throw new QemuError(`XTS cipher key halves must differ`);
  }
}

export function qcryptoCipherSupports(alg: QCryptoCipherAlgo, mode: QCryptoCipherMode): boolean {
  return qcryptoBackend().cipherSupports(alg, mode);
}

export class QCryptoCipher {
  readonly blockLen: number;
  readonly ivLen: number;
  private readonly enc: QCryptoCipherImpl;
  private readonly dec: QCryptoCipherImpl;
  private iv: Uint8Array | null = null;

  constructor(readonly alg: QCryptoCipherAlgo, readonly mode: QCryptoCipherMode, key: Uint8Array) {
    qcryptoCipherAlgoParse(alg);
    qcryptoCipherModeParse(mode);
    qcryptoCipherValidateKey(alg, mode, key);
    const b = qcryptoBackend();
    if (!b.cipherSupports(alg, mode)) throw new QemuError(`Cipher ${alg}-${mode} is not supported by the '${b.name}' crypto backend`);
    this.blockLen = BLOCK_LEN[alg];
    this.ivLen = qcryptoCipherGetIVLen(alg, mode);
    this.enc = b.newCipher(alg, mode, key, true);
    this.dec = b.newCipher(alg, mode, key, false);
  }

  setIV(iv: Uint8Array): void {
    if (this.ivLen === 0) throw new QemuError(`Cipher mode ${this.mode} does not take an IV`);
    if (iv.length !== this.ivLen) throw new QemuError(`Expected IV size ${this.ivLen} not ${iv.length}`);
    this.iv = iv.slice();
  }

  private check(src: Uint8Array, dst: Uint8Array): Uint8Array | null {
    if (src.length !== dst.length) throw new QemuError('Cipher input and output lengths differ');
    if (this.mode !== 'ctr' && src.length % this.blockLen !== 0) {
      throw new QemuError(`Length ${src.length} must be a multiple of the block size ${this.blockLen}`);
    }
    if (this.ivLen === 0) return null;
    if (!this.iv) throw new QemuError('Cipher IV was not set');
    return this.iv;
  }

  /** Encrypt src into dst (may be the same buffer). */
  encrypt(src: Uint8Array, dst: Uint8Array = src): void {
    const iv = this.check(src, dst);
    if (src.length) this.enc.run(src, dst, iv);
  }

  decrypt(src: Uint8Array, dst: Uint8Array = src): void {
    const iv = this.check(src, dst);
    if (src.length) this.dec.run(src, dst, iv);
  }
}
