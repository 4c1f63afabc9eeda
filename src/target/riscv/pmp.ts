// Physical Memory Protection (privileged spec 3.7; QEMU's target/riscv/pmp.c): 16 entries,
// OFF/TOR/NA4/NAPOT, granularity 4 bytes (G=0), L bit locking.
//
// The pmpcfg bytes and pmpaddr words live in the state block (pmpcfg packs entry i at byte i);
// their decoded [start, end) ranges are cached per hart as doubles (exact below 2^53, where all
// of tsqemu's memory lives; larger bounds only need to compare correctly against small
// addresses) and rebuilt on every pmp CSR write.
import { type CPURISCVState, STATE, TlbKind } from './cpu-state.js';
import { PmpA, PmpCfg, Priv } from './cpu_bits.js';

export const PMP_ENTRIES = 16;

interface PmpRules {
  /** Number of entries with A != OFF. */
  active: number;
  start: Float64Array;
  /** Exclusive end; start >= end means the entry matches nothing (empty TOR). */
  end: Float64Array;
  cfg: Uint8Array;
}

const rulesOf = new WeakMap<CPURISCVState, PmpRules>();

function cfgOffset(env: CPURISCVState, i: number): number {
  return env.base + STATE.pmpcfg.offset + i;
}

export function pmpGetCfg(env: CPURISCVState, i: number): number {
  return env.view.getUint8(cfgOffset(env, i));
}

function decode(env: CPURISCVState): PmpRules {
  const r: PmpRules = rulesOf.get(env) ?? {
    active: 0, start: new Float64Array(PMP_ENTRIES), end: new Float64Array(PMP_ENTRIES), cfg: new Uint8Array(PMP_ENTRIES),
  };
  r.active = 0;
  for (let i = 0; i < PMP_ENTRIES; i++) {
    const cfg = pmpGetCfg(env, i);
    r.cfg[i] = cfg;
    const a = (cfg & PmpCfg.A) >> PmpCfg.A_SHIFT;
    const addr = env.get64('pmpaddr', i);
    let s = 0n;
    let e = 0n; // exclusive
    if (a === PmpA.TOR) {
      s = i === 0 ? 0n : env.get64('pmpaddr', i - 1) << 2n;
      e = addr << 2n;
    } else if (a === PmpA.NA4) {
      s = addr << 2n;
      e = s + 4n;
    } else if (a === PmpA.NAPOT) {
      // Trailing ones of pmpaddr give the size: 2^(ones + 3) bytes.
      let ones = 0n;
      while (ones < 64n && ((addr >> ones) & 1n) === 1n) ones++;
      s = (addr & ~((1n << ones) - 1n)) << 2n;
      e = s + (1n << (ones + 3n));
    }
    if (a !== PmpA.OFF) r.active++;
    r.start[i] = Number(s);
    r.end[i] = a === PmpA.OFF ? 0 : Number(e);
  }
  rulesOf.set(env, r);
  return r;
}

/** Rebuild the decoded rules from the state block (after reset, a pmp write, a snapshot load). */
export function pmpUpdateRules(env: CPURISCVState): void {
  decode(env);
}

function rules(env: CPURISCVState): PmpRules {
  return rulesOf.get(env) ?? decode(env);
}

/** Number of active entries (QEMU's pmp_get_num_rules). */
export function pmpGetNumRules(env: CPURISCVState): number {
  return rules(env).active;
}

/** Result bits of pmpCheck. */
export const enum PmpResult {
  ALLOWED = 1,
  /** Every byte of the access's 4 KiB page gets the same decision (the page may be TLB-cached). */
  PAGE_UNIFORM = 2,
}

const KIND_PERM = [PmpCfg.R, PmpCfg.W, PmpCfg.X];

/**
 * May a `priv`-mode access of kind `kind` touch [pa, pa+size)? The lowest-numbered entry that
 * matches any byte decides and must match all bytes; with no match M is allowed and S/U are
 * denied (16 entries are implemented, privileged spec 3.7.1; QEMU does the same).
 */
export function pmpCheck(env: CPURISCVState, pa: number, size: number, kind: TlbKind, priv: number): number {
  const r = rules(env);
  const last = pa + size;
  const page = pa - (pa % 4096);
  const pageEnd = page + 4096;
  for (let i = 0; i < PMP_ENTRIES; i++) {
    const s = r.start[i];
    const e = r.end[i];
    if (s >= e) continue;
    // Does the entry touch the page at all? If not, it decides nothing here.
    if (e <= page || s >= pageEnd) continue;
    const uniform = s <= page && e >= pageEnd ? PmpResult.PAGE_UNIFORM : 0;
    if (e <= pa || s >= last) {
      // Touches the page but not this access: a lower entry than whatever matches the access
      // decides other bytes of the page.
      return pmpCheckFrom(r, i + 1, pa, last, kind, priv);
    }
    if (s > pa || e < last) return 0; // partial match fails
    return (allowedBy(r.cfg[i], kind, priv) ? PmpResult.ALLOWED : 0) | uniform;
  }
  return (priv === Priv.M ? PmpResult.ALLOWED : 0) | PmpResult.PAGE_UNIFORM;
}

function pmpCheckFrom(r: PmpRules, from: number, pa: number, last: number, kind: TlbKind, priv: number): number {
  for (let i = from; i < PMP_ENTRIES; i++) {
    const s = r.start[i];
    const e = r.end[i];
    if (s >= e || e <= pa || s >= last) continue;
    if (s > pa || e < last) return 0;
    return allowedBy(r.cfg[i], kind, priv) ? PmpResult.ALLOWED : 0;
  }
  return priv === Priv.M ? PmpResult.ALLOWED : 0;
}

function allowedBy(cfg: number, kind: TlbKind, priv: number): boolean {
  if (priv === Priv.M && (cfg & PmpCfg.L) === 0) return true;
  return (cfg & KIND_PERM[kind]) !== 0;
}

/** pmpcfg0 / pmpcfg2 (RV64: 8 entries each). */
export function pmpcfgRead(env: CPURISCVState, reg: number): bigint {
  let v = 0n;
  for (let b = 7; b >= 0; b--) v = (v << 8n) | BigInt(pmpGetCfg(env, reg * 4 + b));
  return v;
}

/** Locked entries keep their configuration. Returns true when anything changed. */
export function pmpcfgWrite(env: CPURISCVState, reg: number, value: bigint): boolean {
  let changed = false;
  for (let b = 0; b < 8; b++) {
    const i = reg * 4 + b;
    const old = pmpGetCfg(env, i);
    if (old & PmpCfg.L) continue;
    const v = Number((value >> BigInt(8 * b)) & 0xffn);
    if (v !== old) {
      env.view.setUint8(cfgOffset(env, i), v);
      changed = true;
    }
  }
  if (changed) decode(env);
  return changed;
}

export function pmpaddrRead(env: CPURISCVState, i: number): bigint {
  return env.get64('pmpaddr', i);
}

/** Ignored when entry i is locked, or when entry i+1 is a locked TOR (its base is pmpaddr i). */
export function pmpaddrWrite(env: CPURISCVState, i: number, value: bigint): boolean {
  if (pmpGetCfg(env, i) & PmpCfg.L) return false;
  if (i + 1 < PMP_ENTRIES) {
    const next = pmpGetCfg(env, i + 1);
    if ((next & PmpCfg.L) && ((next & PmpCfg.A) >> PmpCfg.A_SHIFT) === PmpA.TOR) return false;
  }
  if (env.get64('pmpaddr', i) === BigInt.asUintN(64, value)) return false;
  env.set64('pmpaddr', value, i);
  decode(env);
  return true;
}

/** Reset: all entries OFF and unlocked. */
export function pmpReset(env: CPURISCVState): void {
  for (let i = 0; i < PMP_ENTRIES; i++) {
    env.view.setUint8(cfgOffset(env, i), 0);
    env.set64('pmpaddr', 0n, i);
  }
  decode(env);
}
