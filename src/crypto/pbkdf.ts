// Password-based key derivation (QEMU's crypto/pbkdf.c): PBKDF2 over an HMAC hash, and the
// benchmark that turns a wanted time into an iteration count.
import { QemuError } from '../qemu/error.js';
import { qcryptoBackend } from './backend.js';
import { QCryptoHashAlgo, qcryptoHashAlgoParse } from './hash.js';

/** LUKS and QEMU store iteration counts in 32 bits. */
export const PBKDF2_MAX_ITERATIONS = 0xffffffff;
/** The largest key any LUKS cipher takes (aes-256-xts: 64 bytes), with room to spare. */
export const PBKDF2_MAX_OUTPUT = 1024;

export function qcryptoPbkdf2Supports(alg: QCryptoHashAlgo): boolean {
  return qcryptoBackend().hashSupports(alg);
}

export async function qcryptoPbkdf2(
  alg: QCryptoHashAlgo, password: Uint8Array, salt: Uint8Array, iterations: number, outLen: number,
): Promise<Uint8Array> {
  qcryptoHashAlgoParse(alg);
  if (!qcryptoPbkdf2Supports(alg)) throw new QemuError(`PBKDF does not support hash algorithm '${alg}'`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new QemuError(`PBKDF2 iteration count ${iterations} must be at least 1`);
  if (iterations > PBKDF2_MAX_ITERATIONS) throw new QemuError(`PBKDF2 iteration count ${iterations} must be less than ${PBKDF2_MAX_ITERATIONS + 1}`);
  if (!Number.isInteger(outLen) || outLen < 1 || outLen > PBKDF2_MAX_OUTPUT) {
    throw new QemuError(`PBKDF2 output length ${outLen} must be between 1 and ${PBKDF2_MAX_OUTPUT}`);
  }
  return qcryptoBackend().pbkdf2(alg, password, salt, iterations, outLen);
}

/**
 * Iterations of PBKDF2 that take about `iterTimeMs` on this host (QEMU's
 * qcrypto_pbkdf2_count_iters, scaled by the caller's wanted time).
 */
export async function qcryptoPbkdf2CountIters(
  alg: QCryptoHashAlgo, keyLen: number, saltLen: number, iterTimeMs: number,
): Promise<number> {
  if (!Number.isFinite(iterTimeMs) || iterTimeMs <= 0) throw new QemuError(`iter-time ${iterTimeMs} must be positive`);
  const b = qcryptoBackend();
  const pass = new Uint8Array(8);
  const salt = new Uint8Array(saltLen);
  let iters = 1 << 10;
  // Grow the sample until it takes long enough to measure (or already exceeds the wish).
  for (;;) {
    const t0 = b.nowMs();
    await qcryptoPbkdf2(alg, pass, salt, iters, keyLen);
    const dt = b.nowMs() - t0;
    if (dt >= Math.min(iterTimeMs, 50) || iters >= 1 << 26) {
      const n = Math.floor(iters * iterTimeMs / Math.max(dt, 0.001));
      return Math.min(Math.max(n, 1), PBKDF2_MAX_ITERATIONS);
    }
    iters *= 2;
  }
}
