// The crypto backend on node:crypto (OpenSSL). Parameter checks happen in src/crypto/ before
// anything reaches here; this file only maps our algorithm names onto OpenSSL's.
import * as nodeCrypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  QCryptoBackend, QCryptoCipherAlgo, QCryptoCipherImpl, QCryptoCipherMode, QCryptoHashAlgo,
} from '../../crypto/backend.js';
import { qcryptoSetBackend } from '../../crypto/backend.js';

const HASHES = new Set(nodeCrypto.getHashes());
const CIPHERS = new Set(nodeCrypto.getCiphers());

function opensslCipher(alg: QCryptoCipherAlgo, mode: QCryptoCipherMode): string {
  // XTS names the size of one half: aes-256-xts takes a 64-byte key.
  return `${alg}-${mode}`;
}

class NodeCipher implements QCryptoCipherImpl {
  private readonly key: nodeCrypto.KeyObject;
  private ecb: nodeCrypto.Cipher | nodeCrypto.Decipher | null = null;

  constructor(private readonly name: string, key: Uint8Array, private readonly encrypt: boolean, mode: QCryptoCipherMode) {
    this.key = nodeCrypto.createSecretKey(key);
    if (mode === 'ecb') this.ecb = this.make(null);
  }

  private make(iv: Uint8Array | null): nodeCrypto.Cipher | nodeCrypto.Decipher {
    const c = this.encrypt
      ? nodeCrypto.createCipheriv(this.name, this.key, iv)
      : nodeCrypto.createDecipheriv(this.name, this.key, iv);
    c.setAutoPadding(false);
    return c;
  }

  run(src: Uint8Array, dst: Uint8Array, iv: Uint8Array | null): void {
    // ECB keeps no chaining state, so one context serves every call.
    const c = this.ecb ?? this.make(iv);
    const out = c.update(src);
    dst.set(out);
  }
}

export const nodeCryptoBackend: QCryptoBackend = {
  name: 'node',
  cipherSupports: (alg, mode) => CIPHERS.has(opensslCipher(alg, mode)),
  newCipher: (alg, mode, key, encrypt) => new NodeCipher(opensslCipher(alg, mode), key, encrypt, mode),
  hashSupports: (alg: QCryptoHashAlgo) => HASHES.has(alg),
  hash(alg, parts) {
    const h = nodeCrypto.createHash(alg);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  hmac(alg, key, parts) {
    const h = nodeCrypto.createHmac(alg, key);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  pbkdf2: (alg, password, salt, iterations, outLen) => new Promise((resolve, reject) => {
    nodeCrypto.pbkdf2(password, salt, iterations, outLen, alg, (err, key) => {
      if (err) reject(err); else resolve(new Uint8Array(key));
    });
  }),
  randomBytes: (out) => { nodeCrypto.randomFillSync(out); },
  nowMs: () => performance.now(),
};

/** Install the node:crypto backend (the binaries and tests call this once). */
export function qcryptoInitNode(): void { qcryptoSetBackend(nodeCryptoBackend); }
