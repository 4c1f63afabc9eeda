// Privilege-mode filtering of the counters (Sscofpmf's mhpmevent MINH/SINH/UINH/VSINH/VUINH
// and Smcntrpmf's mcyclecfg/minstretcfg, as QEMU 10.2's pmu.c riscv_pmu_update_fixed_ctrs and
// csr.c riscv_pmu_ctr_get_fixed_counters_val): the count each mode (M, S, U, VS, VU) has run is
// accumulated at every change of privilege or of V (riscvPmuModeSwitch, from the trap entry, the
// xRETs and the swaps of V: the only places the mode changes, all TypeScript, where instret is
// exact), and a counter with inhibit bits follows the count minus what the inhibited modes
// ran. With no inhibit bit the count is the plain one, as before (bit-exact with the filter
// unused). The accounting starts the first time a counting counter or mcycle/minstret gets an
// inhibit bit (until then a mode change costs one flag test; OpenSBI's MINH on its idle counters
// does not start it), so, unlike QEMU's, time before that never counts as inhibited.
// Like QEMU, a counter keeps the base it was written at: changing its filter later adds or
// removes what the newly inhibited modes ran since the accounting started.
import type { CPURISCVState } from './cpu-state.js';
import { registerRiscvExtension, riscvCpuHas } from './cpu-cfg.js';
import { riscvResetHooks } from './cpu_helper.js';
import { riscvCounterSource, riscvCsrDefine } from './csr.js';
import { riscvModeHooks } from './cpu-h.js';

registerRiscvExtension({ name: 'smcntrpmf' });

/** MINH 62, SINH 61, UINH 60, VSINH 59, VUINH 58 (the same bits in mhpmevent and xcfg). */
export const PMU_FILTER_MASK = 0x7cn << 56n;
const MINH = 1n << 62n, SINH = 1n << 61n, UINH = 1n << 60n, VSINH = 1n << 59n, VUINH = 1n << 58n;
/** The inhibit bit of each accounting slot: priv (0 U, 1 S, 3 M), plus 4 with V=1. */
const SLOT_BIT = [UINH, SINH, 0n, MINH, VUINH, VSINH, 0n, 0n];

interface ModeCounts { readonly acc: bigint[]; since: bigint }
const counts = new WeakMap<CPURISCVState, ModeCounts>();
let active = false;
function activate(): void {
  active = true;
  riscvModeHooks.beforeSwitch = riscvPmuModeSwitch;
}

/** The unfiltered count (retired instructions, or -icount's clock), as mcycle/minstret's. */
export const pmuPlainBase = (env: CPURISCVState): bigint => (env.icount ? env.icount() : env.get64('instret'));
const slot = (env: CPURISCVState): number => (env.get32('virt') ? 4 : 0) + env.priv;

function modeCounts(env: CPURISCVState): ModeCounts {
  let c = counts.get(env);
  if (!c) counts.set(env, (c = { acc: [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n], since: pmuPlainBase(env) }));
  return c;
}

/** Before the hart's privilege or V changes: the current mode's run is added to its slot. */
export function riscvPmuModeSwitch(env: CPURISCVState): void {
  if (!active) return;
  const c = modeCounts(env);
  const now = pmuPlainBase(env);
  c.acc[slot(env)] += now - c.since;
  c.since = now;
}

/** An inhibit bit was written: from now on the modes are accounted for. */
export function riscvPmuFilterUsed(env: CPURISCVState, cfg: bigint): void {
  if (!(cfg & PMU_FILTER_MASK)) return;
  if (!active) activate();
  modeCounts(env);
}

/** The count a counter whose inhibit bits are `cfg` follows (riscv_pmu_ctr_get_fixed_counters_val). */
export function riscvPmuFilteredBase(env: CPURISCVState, cfg: bigint): bigint {
  const now = pmuPlainBase(env);
  if (!(cfg & PMU_FILTER_MASK)) return now;
  if (!active) activate();
  const c = modeCounts(env);
  const cur = slot(env);
  let off = 0n;
  for (let s = 0; s < 8; s++) {
    if (!(cfg & SLOT_BIT[s])) continue;
    off += c.acc[s] + (s === cur ? now - c.since : 0n);
  }
  return now - off;
}

/** The inhibit bits a write may set: those of the modes the hart has (QEMU's inh_avail_mask). */
export function pmuInhibitMask(): bigint {
  return MINH | SINH | UINH | (riscvCpuHas('h') ? VSINH | VUINH : 0n);
}

// ---- Smcntrpmf: mcyclecfg (0x321) and minstretcfg (0x322) ----------------------------------
interface CfgState { mcyclecfg: bigint; minstretcfg: bigint }
const cfgs = new WeakMap<CPURISCVState, CfgState>();
function cfg(env: CPURISCVState): CfgState {
  let s = cfgs.get(env);
  if (!s) cfgs.set(env, (s = { mcyclecfg: 0n, minstretcfg: 0n }));
  return s;
}
const smcntrpmf = (): boolean => riscvCpuHas('smcntrpmf');
for (const [csrno, key] of [[0x321, 'mcyclecfg'], [0x322, 'minstretcfg']] as const) {
  riscvCsrDefine(csrno, {
    pred: smcntrpmf,
    read: (env) => cfg(env)[key],
    write: (env, _c, v) => {
      // Every bit but the inhibit bits of absent modes is kept (QEMU's write_mcyclecfg).
      const nv = v & (~PMU_FILTER_MASK | pmuInhibitMask()) & 0xffffffffffffffffn;
      cfg(env)[key] = nv;
      riscvPmuFilterUsed(env, nv);
      return 0;
    },
  });
}
// mcycle (mcountinhibit bit 0) and minstret (bit 2) follow their cfg's inhibit bits.
riscvCounterSource.base = (env, bit) => {
  const s = cfgs.get(env);
  return riscvPmuFilteredBase(env, s ? (bit === 1 ? s.mcyclecfg : s.minstretcfg) : 0n);
};

riscvResetHooks.push((env) => {
  counts.delete(env);
  cfgs.delete(env);
});
