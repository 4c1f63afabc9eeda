// Small privileged extensions (QEMU's target/riscv/csr.c, time_helper.c, cpu_helper.c for
// these): Sstc (stimecmp and the supervisor timer), Smstateen (mstateen0-3, sstateen0-3),
// Sscofpmf (mhpmevent OF bit, scountovf, the LCOFI interrupt 13), Zicntr/Zihpm (the counter
// CSRs as extensions), menvcfg's PBMTE/ADUE/STCE, and the registrations of Svpbmt, Svnapot,
// Svadu/Svade, Svinval and Svvptc (the page walk in mmu.ts and the instructions in
// trans_svinval.ts ask riscvCpuHas). The H-related CSRs (hstateen, vstimecmp, henvcfg) are
// i17-h's: riscvMstateen and riscvSstcVirtualHook are their hooks.
import { registerRiscvExtension, riscvCpuCfg, riscvCpuHas } from './cpu-cfg.js';
import type { CPURISCVState } from './cpu-state.js';
import { Priv } from './cpu_bits.js';
import { MENVCFG_HI_ADUE, MENVCFG_HI_PBMTE, MENVCFG_HI_STCE } from './walk-ext.js';
import { CSR_RELOAD, type CsrDef, riscvCsrDefine, riscvCsrLookup } from './csr.js';
import { riscvTlbFlush } from './mmu.js';
import { csrInline } from './csr-inline.js';
import { riscvResetHooks } from './cpu_helper.js';

registerRiscvExtension({ name: 'sstc', defaultOn: true });
registerRiscvExtension({ name: 'svadu', defaultOn: true });
registerRiscvExtension({ name: 'svade' });
registerRiscvExtension({ name: 'svvptc', defaultOn: true });
registerRiscvExtension({ name: 'zicntr', defaultOn: true });
registerRiscvExtension({ name: 'zihpm', defaultOn: true });
registerRiscvExtension({ name: 'svinval' });
registerRiscvExtension({ name: 'svpbmt' });
registerRiscvExtension({ name: 'svnapot' });
registerRiscvExtension({ name: 'smstateen' });
registerRiscvExtension({ name: 'sscofpmf' });

/** envcfg low bits: FIOM 0, CBIE 5:4, CBCFE 6, CBZE 7. */
const ENVCFG_FIOM = 1n, ENVCFG_CBIE = 0x30n, ENVCFG_CBCFE = 0x40n, ENVCFG_CBZE = 0x80n;
const MIP_STIP = 1 << 5;
export const MIP_LCOFIP = 1 << 13;

// ---- the machine's timer, for Sstc -------------------------------------------------------------

/** What a hart needs from the board for stimecmp (and, for H, vstimecmp): mtime, timers that
 * fire at a tick, and its mip lines driven through the board so a hart in wfi wakes. */
export interface RISCVTimerService {
  now(): bigint;
  /** A timer calling `fire` when mtime reaches the tick given to arm (null: disarm). */
  newTimer(fire: () => void): { arm(tick: bigint | null): void };
  /** Raise or lower mip bits (STIP here; VSTIP for H) as a device would. */
  setMip(mask: number, level: boolean): void;
}
interface Stimer { svc: RISCVTimerService; timer: { arm(tick: bigint | null): void } }
const stimers = new WeakMap<CPURISCVState, Stimer>();

export function riscvSetTimerService(env: CPURISCVState, svc: RISCVTimerService): void {
  stimers.set(env, { svc, timer: svc.newTimer(() => riscvSstcUpdate(env)) });
}

/** The board's timer service of a hart (i17-h's vstimecmp takes its own timer from it). */
export function riscvTimerService(env: CPURISCVState): RISCVTimerService | undefined {
  return stimers.get(env)?.svc;
}

function setStip(env: CPURISCVState, level: boolean): void {
  const st = stimers.get(env);
  if (st) { st.svc.setMip(MIP_STIP, level); return; }
  const mip = env.get32('mip');
  env.updateMip(mip, level ? mip | MIP_STIP : mip & ~MIP_STIP);
}

const stce = (env: CPURISCVState): boolean => (env.get32('menvcfg', 1) & MENVCFG_HI_STCE) !== 0;

/** riscv_timer_write_timecmp for stimecmp: STIP now if due, else clear it and arm the timer.
 * Nothing happens while menvcfg.STCE is 0 (as QEMU). */
export function riscvSstcUpdate(env: CPURISCVState): void {
  if (!riscvCpuHas('sstc') || !stce(env)) return;
  const st = stimers.get(env);
  const cmp = env.get64('stimecmp');
  const now = st ? st.svc.now() : BigInt.asUintN(64, env.rdtime());
  if (cmp <= now) {
    st?.timer.arm(null);
    setStip(env, true);
    return;
  }
  setStip(env, false);
  st?.timer.arm(cmp);
}

/** H's VS timer (hyp-sstc.ts) follows menvcfg.STCE too. */
export const riscvSstcVirtualHook: { stceChanged?: (env: CPURISCVState, on: boolean) => void } = {};

/** STCE changed (riscv_timer_stce_changed): on, the compare takes over STIP; off, STIP drops. */
function stceChanged(env: CPURISCVState, on: boolean): void {
  riscvSstcVirtualHook.stceChanged?.(env, on);
  if (on) { riscvSstcUpdate(env); return; }
  stimers.get(env)?.timer.arm(null);
  setStip(env, false);
}

// ---- CSRs ------------------------------------------------------------------------------------

/** Counter-enable check below M (QEMU's sstc predicate: mcounteren.TM and menvcfg.STCE). */
function sstcPred(env: CPURISCVState): boolean {
  if (!riscvCpuHas('sstc')) return false;
  if (env.priv === Priv.M) return true;
  return (env.get32('mcounteren') & 2) !== 0 && stce(env);
}
riscvCsrDefine(0x14d, {
  pred: sstcPred,
  read: (env) => env.get64('stimecmp'),
  write: (env, _n, v) => { env.set64('stimecmp', v); riscvSstcUpdate(env); return CSR_RELOAD; },
});

/** menvcfg: FIOM, the Zicbo* bits with those extensions, PBMTE/ADUE/STCE with theirs. */
function menvcfgMask(): bigint {
  let m = ENVCFG_FIOM;
  if (riscvCpuHas('zicbom')) m |= ENVCFG_CBIE | ENVCFG_CBCFE;
  if (riscvCpuHas('zicboz')) m |= ENVCFG_CBZE;
  if (riscvCpuHas('sstc')) m |= 1n << 63n;
  if (riscvCpuHas('svpbmt')) m |= 1n << 62n;
  if (riscvCpuHas('svadu')) m |= 1n << 61n;
  return m;
}
function senvcfgMask(): bigint {
  let m = ENVCFG_FIOM;
  if (riscvCpuHas('zicbom')) m |= ENVCFG_CBIE | ENVCFG_CBCFE;
  if (riscvCpuHas('zicboz')) m |= ENVCFG_CBZE;
  return m;
}
riscvCsrDefine(0x30a, {
  read: (env) => env.get64('menvcfg'),
  write: (env, _n, v) => {
    const old = env.get64('menvcfg');
    const nv = v & menvcfgMask();
    env.set64('menvcfg', nv);
    // PBMTE/ADUE change what the page walk accepts: the TLB's entries were made under the old.
    if ((old ^ nv) & (3n << 61n)) {
      riscvTlbFlush(env);
      // QEMU 10.2 rewrites henvcfg after menvcfg: its PBMTE/ADUE go with menvcfg's.
      env.set64('henvcfg', env.get64('henvcfg') & (~(3n << 61n) | nv));
    }
    if ((old ^ nv) & (1n << 63n)) stceChanged(env, (nv >> 63n) !== 0n);
    return CSR_RELOAD;
  },
});
riscvCsrDefine(0x10a, {
  // Smstateen: mstateen0.ENVCFG (bit 62) gates senvcfg below M.
  pred: (env) => !riscvCpuHas('smstateen') || env.priv === Priv.M || (env.get32('mstateen', 1) & (1 << 30)) !== 0,
  read: (env) => env.get64('senvcfg'),
  write: (env, _n, v) => { env.set64('senvcfg', v & senvcfgMask()); return 0; },
});

/** mip: with Sstc and STCE, STIP belongs to the timer (rmw_mip64); LCOFIP is writable with
 * Sscofpmf. */
const mipBase = riscvCsrLookup(0x344)!;
riscvCsrDefine(0x344, {
  read: (env) => mipBase.read(env, 0x344),
  write: (env, n, v, m) => {
    const before = env.get32('mip');
    const r = mipBase.write!(env, n, v, m);
    const after = env.get32('mip');
    let mip = after;
    if (riscvCpuHas('sstc') && stce(env)) mip = (mip & ~MIP_STIP) | (before & MIP_STIP);
    mip = (mip & ~MIP_LCOFIP) | (riscvCpuHas('sscofpmf') ? Number(v & 0xffffn) & MIP_LCOFIP : before & MIP_LCOFIP);
    env.updateMip(after, mip);
    return r;
  },
});

// Sscofpmf: mie, mideleg, sie and sip take bit 13 (LCOFI; sie/sip when delegated).
function withLcofi(csrno: number, field: 'mie' | 'mideleg' | 'mip', sMode: boolean): void {
  const base = riscvCsrLookup(csrno)!;
  riscvCsrDefine(csrno, {
    pred: base.pred,
    read: base.read,
    write: (env, n, v, m) => {
      const before = env.get32(field) & MIP_LCOFIP;
      const r = base.write ? base.write(env, n, v, m) : 0;
      const allowed = riscvCpuHas('sscofpmf') && (!sMode || (env.get32('mideleg') & MIP_LCOFIP) !== 0);
      const bit = allowed ? Number(v & 0xffffn) & MIP_LCOFIP : before;
      env.set32(field, (env.get32(field) & ~MIP_LCOFIP) | bit);
      return r | (allowed ? CSR_RELOAD : 0);
    },
  });
}
withLcofi(0x304, 'mie', false);
withLcofi(0x303, 'mideleg', false);
withLcofi(0x104, 'mie', true);
withLcofi(0x144, 'mip', true);

// Zicntr / Zihpm: the unprivileged counters exist only with their extension.
for (let n = 0; n < 32; n++) {
  const base = riscvCsrLookup(0xc00 + n);
  if (!base) continue;
  const ext = n < 3 ? 'zicntr' : 'zihpm';
  riscvCsrDefine(0xc00 + n, { ...base, pred: (env, c, w) => riscvCpuHas(ext) && (base.pred ? base.pred(env, c, w) : true) });
}
// The inline `csrr rd, time` (trans_rvzicsr.ts) checks Zicntr when it translates.
csrInline.rows.set(0xc01, riscvCsrLookup(0xc01));

// Sscofpmf: mhpmevent3..31 keep their value (OF and the mode-inhibit bits included), and
// scountovf shows the OF bits of the counters mcounteren gives to S. The counters themselves
// count no events here, so only software sets OF.
/** QEMU 10.2's default pmu-mask: mhpmcounter3..18. */
const PMU_MASK = 0x7fff8;
for (let n = 3; n < 32; n++) {
  const base = riscvCsrLookup(0x320 + n)!;
  riscvCsrDefine(0x320 + n, {
    read: (env, c) => (riscvCpuHas('sscofpmf') ? env.get64('mhpmevent', n) : base.read(env, c)),
    write: (env, _c, v) => {
      if (!riscvCpuHas('sscofpmf') || !((PMU_MASK >> n) & 1)) return 0;
      // OF MINH SINH UINH (VSINH VUINH only with H) and the event selector.
      const inh = riscvCpuHas('h') ? 0xfcn : 0xf0n;
      env.set64('mhpmevent', v & ((inh << 56n) | ((1n << 56n) - 1n)), n);
      return 0;
    },
  });
}
riscvCsrDefine(0xda0, {
  pred: (env) => riscvCpuHas('sscofpmf') && (env.priv === Priv.M || env.priv === Priv.S),
  read: (env) => {
    let v = 0n;
    const en = env.get32('mcounteren'); // in M too (read_scountovf)
    for (let n = 3; n < 32; n++) {
      if ((en >>> n) & 1 && env.get64('mhpmevent', n) >> 63n) v |= 1n << BigInt(n);
    }
    return v;
  },
});

// Smstateen: mstateen0 SE0 (63), ENVCFG (62); mstateen1-3 SE0. sstateenN has no bits of its own
// here (C, FCSR, JVT need extensions tsqemu lacks) and needs mstateenN.SE0 below M.
const smstateen = (): boolean => riscvCpuHas('smstateen');
for (let i = 0; i < 4; i++) {
  riscvCsrDefine(0x30c + i, {
    pred: smstateen,
    read: (env) => env.get64('mstateen', i),
    write: (env, _n, v) => {
      const mask = i === 0 ? (3n << 62n) | (riscvCpuHas('smaia') || riscvCpuHas('ssaia') ? 3n << 58n : 0n) : 1n << 63n;
      env.set64('mstateen', v & mask, i);
      return 0;
    },
  });
  riscvCsrDefine(0x10c + i, {
    pred: (env) => smstateen() && (env.priv === Priv.M || (env.get64('mstateen', i) >> 63n) !== 0n),
    read: (env) => env.get64('sstateen', i),
    write: (env, _n, v) => { env.set64('sstateen', v & env.get64('mstateen', i) & 0n, i); return 0; },
  });
}

/** mstateenN (i17-h's hstateen CSRs and checks read it). */
export function riscvMstateen(env: CPURISCVState, n: number): bigint {
  return env.get64('mstateen', n);
}

/** Reset values (riscv_cpu_reset_hold): menvcfg.PBMTE with Svpbmt, ADUE with Svadu and not
 * Svade; stimecmp, the stateen registers and mhpmevents zero. */
export function riscvPrivExtReset(env: CPURISCVState): void {
  let hi = 0;
  if (riscvCpuHas('svpbmt')) hi |= MENVCFG_HI_PBMTE;
  if (riscvCpuHas('svadu') && !riscvCpuHas('svade')) hi |= MENVCFG_HI_ADUE;
  env.set64('menvcfg', BigInt(hi >>> 0) << 32n);
  env.set64('stimecmp', 0n);
  for (let i = 0; i < 4; i++) { env.set64('mstateen', 0n, i); env.set64('sstateen', 0n, i); }
  for (let i = 0; i < 32; i++) env.set64('mhpmevent', 0n, i);
  stimers.get(env)?.timer.arm(null);
}

/** csr_ops' min_priv_ver: CSRs a priv 1.10 model (sifive-u54) does not have. */
function minPriv(csrno: number, version: string): void {
  const base = riscvCsrLookup(csrno);
  if (!base) return;
  riscvCsrDefine(csrno, { ...base, pred: (env, c, w) => (riscvCpuCfg().privSpec ?? '1.13.0') >= version && (base.pred ? base.pred(env, c, w) : true) });
}
for (const c of [0x30a, 0x10a]) minPriv(c, '1.12.0');
minPriv(0x320, '1.11.0'); // mcountinhibit

riscvResetHooks.push(riscvPrivExtReset);

export type { CsrDef };
