// Hashes and HMAC (QEMU's crypto/hash.c and hmac.c) over the injected backend, with the
// algorithm validated by name first.
import { QemuError } from '../qemu/error.js';
import { QCryptoHashAlgo, qcryptoBackend } from './backend.js';

export type { QCryptoHashAlgo } from './backend.js';

const DIGEST_LEN: Record<QCryptoHashAlgo, number> = {
  md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64, ripemd160: 20,
};

export function isHashAlgo(name: string): name is QCryptoHashAlgo {
  return Object.prototype.hasOwnProperty.call(DIGEST_LEN, name);
}

export function qcryptoHashAlgoParse(name: string): QCryptoHashAlgo {
  if (!isHashAlgo(name)) throw new QemuError(`Unsupported hash algorithm '${name}'`);
  return name;
}

export function qcryptoHashDigestLen(alg: QCryptoHashAlgo): number { return DIGEST_LEN[alg]; }

export function qcryptoHashSupports(alg: QCryptoHashAlgo): boolean {
  return isHashAlgo(alg) && qcryptoBackend().hashSupports(alg);
}

function requireHash(alg: string): QCryptoHashAlgo {
  const a = qcryptoHashAlgoParse(alg);
  const b = qcryptoBackend();
  if (!b.hashSupports(a)) throw new QemuError(`Hash algorithm '${a}' is not supported by the '${b.name}' crypto backend`);
  return a;
}

export function qcryptoHashBytesv(alg: QCryptoHashAlgo, parts: readonly Uint8Array[]): Uint8Array {
  return qcryptoBackend().hash(requireHash(alg), parts);
}

export function qcryptoHashBytes(alg: QCryptoHashAlgo, data: Uint8Array): Uint8Array {
  return qcryptoHashBytesv(alg, [data]);
}

export function qcryptoHmacBytesv(alg: QCryptoHashAlgo, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  return qcryptoBackend().hmac(requireHash(alg), key, parts);
}
