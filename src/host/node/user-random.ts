// tsqemu-riscv64 -seed N (QEMU_RAND_SEED): the guest's random bytes (AT_RANDOM, getrandom)
// come from a generator seeded with N, so a run can be repeated; else from the host's CSPRNG.
// -r RELEASE (QEMU_UNAME): the release uname() reports. Both travel in the environment so
// worker threads and forked children see them.
import { nodeCrypto } from './lazy-node.js';
import * as os from 'node:os';

/** splitmix64 from the seed and the thread slot (each thread its own stream, as QEMU's). */
export function guestRandom(slot: number): (n: number) => Uint8Array {
  const seed = process.env.QEMU_RAND_SEED;
  if (seed === undefined || !/^-?[0-9]+$/.test(seed)) return (n) => new Uint8Array(nodeCrypto().randomBytes(n));
  let x = BigInt.asUintN(64, BigInt(seed) ^ (BigInt(slot) * 0x9e3779b97f4a7c15n));
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 8) {
      x = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
      let z = x;
      z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      z ^= z >> 31n;
      for (let j = 0; j < 8 && i + j < n; j++) out[i + j] = Number((z >> BigInt(8 * j)) & 0xffn);
    }
    return out;
  };
}

export function unameRelease(): string {
  return process.env.QEMU_UNAME || os.release();
}
