// tsqemu-riscv64 -seed N (QEMU_RAND_SEED): the guest's random bytes (AT_RANDOM, getrandom)
// come from a generator seeded with N, so a run can be repeated; else from the host's CSPRNG.
// -r RELEASE (QEMU_UNAME): the release uname() reports. Both travel in the environment so
// worker threads and forked children see them.
import { nodeCrypto } from './lazy-builtin.js';
import * as fs from 'node:fs';
import * as os from 'node:os';

/** n bytes of the host's CSPRNG: read from /dev/urandom (as getrandom(2) gives them), not
 * node:crypto, which costs each isolate ~7 ms of CPU and ~2 MiB to load (the AT_RANDOM of
 * every process, glibc's first malloc calling getrandom in every thread's worker). */
function hostRandom(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let fd = -1;
  try {
    fd = fs.openSync('/dev/urandom', 'r');
    for (let off = 0; off < n;) {
      const r = fs.readSync(fd, out, off, n - off, null);
      if (r <= 0) throw new Error('short read');
      off += r;
    }
    return out;
  } catch {
    return new Uint8Array(nodeCrypto().randomBytes(n));
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** splitmix64 from the seed and the thread slot (each thread its own stream, as QEMU's). */
export function guestRandom(slot: number): (n: number) => Uint8Array {
  const seed = process.env.QEMU_RAND_SEED;
  if (seed === undefined || !/^-?[0-9]+$/.test(seed)) return hostRandom;
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
