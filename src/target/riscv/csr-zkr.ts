// Zkr: the `seed` CSR (0x015), 16 bits of entropy per read with status ES16, from the host's
// entropy source (virt.ts hands over the one virtio-rng uses; otherwise the platform's
// crypto.getRandomValues). Access rules (QEMU's `seed` predicate, without H): always in M; in S
// with mseccfg.SSEED, in U with mseccfg.USEED; never without a write (csrr seed is illegal).
// mseccfg (0x747) exists with Zkr and holds USEED/SSEED.
import type { CPURISCVState } from './cpu-state.js';
import { Priv } from './cpu_bits.js';
import { riscvDefineCsr } from './csr.js';
import { riscvCpuHas } from './cpu-cfg.js';

const CSR_SEED = 0x015;
const CSR_MSECCFG = 0x747;
export const MSECCFG_USEED = 1n << 8n;
export const MSECCFG_SSEED = 1n << 9n;
/** seed's OPST field: ES16, 16 bits of entropy in the low half. */
const SEED_OPST_ES16 = 2n << 30n;

type Entropy = (buf: Uint8Array) => void;
let entropy: Entropy = (buf) => { globalThis.crypto.getRandomValues(buf); };

/** The host entropy source the seed CSR draws from (system mode: the machine's). */
export function riscvSetEntropySource(src: Entropy): void {
  entropy = src;
}

const two = new Uint8Array(2);

riscvDefineCsr(CSR_SEED, {
  pred: (env: CPURISCVState, _n, writes) => {
    if (!riscvCpuHas('zkr') || !writes) return false;
    if (env.userMode || env.priv === Priv.M) return true;
    const m = env.get64('mseccfg');
    return env.priv === Priv.S ? (m & MSECCFG_SSEED) !== 0n : (m & MSECCFG_USEED) !== 0n;
  },
  read: () => {
    entropy(two);
    return SEED_OPST_ES16 | BigInt(two[0] | (two[1] << 8));
  },
  write: () => 0, // writes are ignored
});

riscvDefineCsr(CSR_MSECCFG, {
  pred: () => riscvCpuHas('zkr'),
  read: (env) => env.get64('mseccfg'),
  write: (env, _n, v) => { env.set64('mseccfg', v & (MSECCFG_USEED | MSECCFG_SSEED)); return 0; },
});
