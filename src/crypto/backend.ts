// The crypto backend: the primitive algorithms (block ciphers, hashes, HMAC, PBKDF2, random
// bytes) come from the host, injected at startup (node:crypto under Node, WebCrypto/wasm in a
// browser). Everything above it (parameter checks, IV generators, AF split, LUKS) is core code.
import { QemuError } from '../qemu/error.js';

export type QCryptoCipherAlgo = 'aes-128' | 'aes-192' | 'aes-256';
export type QCryptoCipherMode = 'ecb' | 'cbc' | 'xts' | 'ctr';
export type QCryptoHashAlgo = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'ripemd160';

/** One keyed cipher direction. `run` transforms whole blocks; iv is null for ECB. */
export interface QCryptoCipherImpl {
  run(src: Uint8Array, dst: Uint8Array, iv: Uint8Array | null): void;
}

export interface QCryptoBackend {
  readonly name: string;
  cipherSupports(alg: QCryptoCipherAlgo, mode: QCryptoCipherMode): boolean;
  /** Key already validated by the caller (length, XTS halves). */
  newCipher(alg: QCryptoCipherAlgo, mode: QCryptoCipherMode, key: Uint8Array, encrypt: boolean): QCryptoCipherImpl;
  hashSupports(alg: QCryptoHashAlgo): boolean;
  hash(alg: QCryptoHashAlgo, parts: readonly Uint8Array[]): Uint8Array;
  hmac(alg: QCryptoHashAlgo, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  pbkdf2(alg: QCryptoHashAlgo, password: Uint8Array, salt: Uint8Array, iterations: number, outLen: number): Promise<Uint8Array>;
  randomBytes(out: Uint8Array): void;
  /** Monotonic milliseconds, for iteration-count benchmarks. */
  nowMs(): number;
}

let backend: QCryptoBackend | null = null;

export function qcryptoSetBackend(b: QCryptoBackend): void { backend = b; }

export function qcryptoBackend(): QCryptoBackend {
  if (!backend) throw new QemuError('No crypto backend available');
  return backend;
}

export function qcryptoRandomBytes(len: number): Uint8Array {
  const out = new Uint8Array(len);
  qcryptoBackend().randomBytes(out);
  return out;
}
