// The crypto backend on node:crypto (OpenSSL). Parameter checks happen in src/crypto/ before
// anything reaches here; this file only maps our algorithm names onto OpenSSL's.
import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';
import type {
  QCryptoBackend, QCryptoCipherAlgo, QCryptoCipherImpl, QCryptoCipherMode, QCryptoHashAlgo,
} from '../../crypto/backend.js';
import { qcryptoSetBackend } from '../../crypto/backend.js';

// node:crypto and OpenSSL's algorithm lists are loaded on first use: most runs of the tools and
// the emulator never encrypt, and listing every algorithm costs each start-up otherwise.
let cryptoModule: typeof NodeCrypto | null = null;
let hashes: Set<string> | null = null;
let ciphers: Set<string> | null = null;
function nc(): typeof NodeCrypto {
  return cryptoModule ??= createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto;
}

function opensslCipher(alg: QCryptoCipherAlgo, mode: QCryptoCipherMode): string {
  // XTS names the size of one half: aes-256-xts takes a 64-byte key.
  return `${alg}-${mode}`;
}

class NodeCipher implements QCryptoCipherImpl {
  private readonly key: NodeCrypto.KeyObject;
  private ecb: NodeCrypto.Cipher | NodeCrypto.Decipher | null = null;

  constructor(private readonly name: string, key: Uint8Array, private readonly encrypt: boolean, mode: QCryptoCipherMode) {
    this.key = nc().createSecretKey(key);
    if (mode === 'ecb') this.ecb = this.make(null);
  }

  private make(iv: Uint8Array | null): NodeCrypto.Cipher | NodeCrypto.Decipher {
    const c = this.encrypt
      ? nc().createCipheriv(this.name, this.key, iv)
      : nc().createDecipheriv(this.name, this.key, iv);
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
  cipherSupports: (alg, mode) => (ciphers ??= new Set(nc().getCiphers())).has(opensslCipher(alg, mode)),
  newCipher: (alg, mode, key, encrypt) => new NodeCipher(opensslCipher(alg, mode), key, encrypt, mode),
  hashSupports: (alg: QCryptoHashAlgo) => (hashes ??= new Set(nc().getHashes())).has(alg),
  hash(alg, parts) {
    const h = nc().createHash(alg);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  hmac(alg, key, parts) {
    const h = nc().createHmac(alg, key);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  pbkdf2: (alg, password, salt, iterations, outLen) => new Promise((resolve, reject) => {
    nc().pbkdf2(password, salt, iterations, outLen, alg, (err, key) => {
      if (err) reject(err); else resolve(new Uint8Array(key));
    });
  }),
  randomBytes: (out) => { nc().randomFillSync(out); },
  nowMs: () => globalThis.performance.now(), // Node's global: loads node:perf_hooks on first use, not at start-up
};

/** Install the node:crypto backend (the binaries and tests call this once). */
export function qcryptoInitNode(): void { qcryptoSetBackend(nodeCryptoBackend); }
