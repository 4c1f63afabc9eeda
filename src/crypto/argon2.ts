// Argon2 (RFC 9106) for LUKS2 keyslots, from hash-wasm (WebAssembly: runs in Node and in
// browsers alike). Parameters are checked against RFC 9106's ranges and LUKS2's own limits
// before the (possibly gigabyte-sized) memory is allocated.
import { QemuError } from '../qemu/error.js';

export type Argon2Type = 'argon2i' | 'argon2id';

export interface Argon2Params {
  type: Argon2Type;
  /** Passes over memory (t). */
  time: number;
  /** Memory in KiB (m). */
  memory: number;
  /** Lanes (p). */
  cpus: number;
}

/** cryptsetup's limits: 4 GiB of memory, 16 lanes (LUKS2 on-disk metadata). */
export const ARGON2_MAX_MEMORY_KIB = 4 * 1024 * 1024;
export const ARGON2_MAX_CPUS = 16;
export const ARGON2_MAX_TIME = 0xffffffff;

export function qcryptoArgon2Validate(p: Argon2Params): void {
  if (p.type !== 'argon2i' && p.type !== 'argon2id') throw new QemuError(`Unsupported KDF type '${String(p.type)}'`);
  if (!Number.isInteger(p.time) || p.time < 1 || p.time > ARGON2_MAX_TIME) throw new QemuError(`Argon2 time cost ${p.time} is out of range (1..${ARGON2_MAX_TIME})`);
  if (!Number.isInteger(p.cpus) || p.cpus < 1 || p.cpus > ARGON2_MAX_CPUS) throw new QemuError(`Argon2 parallel cost ${p.cpus} is out of range (1..${ARGON2_MAX_CPUS})`);
  if (!Number.isInteger(p.memory) || p.memory < 8 * p.cpus || p.memory > ARGON2_MAX_MEMORY_KIB) {
    throw new QemuError(`Argon2 memory cost ${p.memory} KiB is out of range (${8 * p.cpus}..${ARGON2_MAX_MEMORY_KIB})`);
  }
}

export async function qcryptoArgon2(p: Argon2Params, password: Uint8Array, salt: Uint8Array, outLen: number): Promise<Uint8Array> {
  qcryptoArgon2Validate(p);
  if (salt.length < 8) throw new QemuError(`Argon2 salt of ${salt.length} bytes is too short (8 at least)`);
  if (!Number.isInteger(outLen) || outLen < 4 || outLen > 1024) throw new QemuError(`Argon2 output length ${outLen} is out of range (4..1024)`);
  // Loaded on first use: a 280 KB module every tsqemu-img and emulator start would parse.
  const { argon2i, argon2id } = await import('hash-wasm');
  const fn = p.type === 'argon2id' ? argon2id : argon2i;
  return fn({
    password, salt, iterations: p.time, memorySize: p.memory, parallelism: p.cpus,
    hashLength: outLen, outputType: 'binary',
  });
}
