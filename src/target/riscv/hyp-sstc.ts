// Sstc and Smstateen with the H extension (QEMU 10.2's target/riscv/csr.c and time_helper.c):
// - vstimecmp (0x24d; stimecmp while V=1): the VS timer raises VSTIP when time + htimedelta
//   >= vstimecmp, while menvcfg.STCE and henvcfg.STCE are set. mip.VSTIP is the OR of that line
//   and the VSTIP software wrote to hvip (QEMU's vstime_irq | mip); hvip reads the latter only.
//   henvcfg.STCE reads 0 (and is not writable) while menvcfg.STCE is 0; a change of either
//   STCE, a write of htimedelta or vstimecmp re-evaluates the timer. stimecmp from VS needs
//   hcounteren.TM and henvcfg.STCE, else a virtual-instruction exception (QEMU's sstc()), as
//   is a write while hvictl.VTI is set.
// - hstateen0-3 (0x60c-0x60f) and their upper halves (0x61c-0x61f, which QEMU gives rv64 too):
//   only the bits mstateen has, read and written masked by it; reachable below M only with
//   mstateenN.SE0. sstateenN from V=1 needs hstateenN.SE0 (else virtual instruction).
// - smstateen_acc_ok for the CSRs tsqemu has that a stateen bit guards: senvcfg and henvcfg
//   (ENVCFG, 62), the AIA CSRs stopi, vstopi, hvien, hvictl, hviprio1/2 (AIA, 59), stopei and
//   vstopei (IMSIC, 58): mstateen0's bit below M (illegal instruction), hstateen0's with V=1
//   (virtual instruction).
// The base rows are wrapped at the first reset, after every module has built its own.
import type { CPURISCVState } from './cpu-state.js';
import { Priv } from './cpu_bits.js';
import { riscvCpuHas } from './cpu-cfg.js';
import { CSR_RELOAD, type CsrDef, riscvCsrDefine, riscvCsrLookup, riscvCsrReadDebug } from './csr.js';
import { HypExcp, hypEnabled } from './cpu-h.js';
import { riscvResetHooks } from './cpu_helper.js';
import { riscvSstcVirtualHook, riscvTimerService } from './priv-ext.js';

const MIP_VSTIP = 1 << 6;
const STCE = 1n << 63n;
const SE0 = 1n << 63n;
const COUNTEREN_TM = 2;
const SMSTATEEN0_ENVCFG = 1n << 62n;
const SMSTATEEN0_AIA = 1n << 59n;
const SMSTATEEN0_IMSIC = 1n << 58n;

const virt = (env: CPURISCVState): boolean => env.get32('virt') !== 0;
const menvcfgStce = (env: CPURISCVState): boolean => (env.get64('menvcfg') & STCE) !== 0n;
const henvcfgStce = (env: CPURISCVState): boolean => (env.get64('henvcfg') & STCE) !== 0n;

// ---- the VS timer ------------------------------------------------------------------------------
const vstimers = new WeakMap<CPURISCVState, { arm(tick: bigint | null): void }>();
function vstimer(env: CPURISCVState): { arm(tick: bigint | null): void } | undefined {
  let t = vstimers.get(env);
  const svc = riscvTimerService(env);
  if (!t && svc) vstimers.set(env, (t = svc.newTimer(() => riscvVstimerUpdate(env))));
  return t;
}

/** mip.VSTIP = the timer's line | hvip's software VSTIP, driven as the board drives STIP. */
function driveVstip(env: CPURISCVState): void {
  const level = env.get32('vstime_irq') !== 0 || env.get32('hvip_vstip') !== 0;
  const svc = riscvTimerService(env);
  if (svc) { svc.setMip(MIP_VSTIP, level); return; }
  const mip = env.get32('mip');
  env.set32('mip', level ? mip | MIP_VSTIP : mip & ~MIP_VSTIP);
}
function setVstimeIrq(env: CPURISCVState, level: boolean): void {
  env.set32('vstime_irq', level ? 1 : 0);
  driveVstip(env);
}

/** riscv_timer_write_timecmp for vstimecmp: nothing unless both STCE bits are set. */
export function riscvVstimerUpdate(env: CPURISCVState): void {
  if (!hypEnabled(env) || !riscvCpuHas('sstc') || !menvcfgStce(env) || !henvcfgStce(env)) return;
  const svc = riscvTimerService(env);
  const now = svc ? svc.now() : BigInt.asUintN(64, env.rdtime());
  const rtc = BigInt.asUintN(64, now + env.get64('htimedelta'));
  const cmp = env.get64('vstimecmp');
  const t = vstimer(env);
  if (cmp <= rtc) {
    t?.arm(null);
    setVstimeIrq(env, true);
    return;
  }
  setVstimeIrq(env, false);
  t?.arm(now + (cmp - rtc));
}

/** riscv_timer_stce_changed for the VS timer (menvcfg.STCE or henvcfg.STCE). */
function vsStceChanged(env: CPURISCVState, on: boolean): void {
  if (on) { riscvVstimerUpdate(env); return; }
  vstimers.get(env)?.arm(null);
  if (env.get32('vstime_irq')) setVstimeIrq(env, false);
}
riscvSstcVirtualHook.stceChanged = (env, on) => { if (hypEnabled(env)) vsStceChanged(env, on); };

// ---- Smstateen checks -------------------------------------------------------------------------
const smstateen = (): boolean => riscvCpuHas('smstateen');

/** smstateen_acc_ok's illegal-instruction half: mstateenN's bit below M. */
function mstateenOk(env: CPURISCVState, n: number, bit: bigint): boolean {
  return !smstateen() || env.priv === Priv.M || (env.get64('mstateen', n) & bit) !== 0n;
}
/** Its virtual-instruction half: hstateenN's bit while V=1 (and sstateenN's in VU). */
function hstateenExcp(env: CPURISCVState, n: number, bit: bigint): number {
  if (!smstateen() || !virt(env) || env.priv === Priv.M) return 0;
  if (!(env.get64('hstateen', n) & bit)) return HypExcp.VIRT_INSTRUCTION;
  if (env.priv === Priv.U && !(env.get64('sstateen', n) & bit)) return HypExcp.VIRT_INSTRUCTION;
  return 0;
}

function guard(csrno: number, bit: bigint): void {
  const base = riscvCsrLookup(csrno);
  if (!base) return;
  riscvCsrDefine(csrno, {
    ...base,
    pred: (env, n, w) => mstateenOk(env, 0, bit) && (base.pred ? base.pred(env, n, w) : true),
    hpred: (env, n) => hstateenExcp(env, 0, bit) || (base.hpred ? base.hpred(env, n) : 0),
  });
}

/** hstateenN's writable bits: those of mstateenN (priv-ext.ts) that H has. */
function hstateenMask(i: number): bigint {
  if (i !== 0) return SE0;
  return SE0 | SMSTATEEN0_ENVCFG | (riscvCpuHas('ssaia') ? SMSTATEEN0_AIA | SMSTATEEN0_IMSIC : 0n);
}

function hstateenRow(i: number, high: boolean): CsrDef & { exists: (env: CPURISCVState) => boolean } {
  return {
    exists: hypEnabled,
    pred: (env) => smstateen() && (env.priv === Priv.M || (env.get64('mstateen', i) & SE0) !== 0n),
    read: (env) => {
      const v = env.get64('hstateen', i) & env.get64('mstateen', i);
      return high ? v >> 32n : v;
    },
    write: (env, _n, value) => {
      const wmask = high ? hstateenMask(i) & 0xffffffff00000000n : hstateenMask(i);
      const v = (high ? value << 32n : value) & env.get64('mstateen', i);
      env.set64('hstateen', (env.get64('hstateen', i) & ~wmask) | (v & wmask), i);
      return 0;
    },
  };
}
for (let i = 0; i < 4; i++) {
  riscvCsrDefine(0x60c + i, hstateenRow(i, false));
  riscvCsrDefine(0x61c + i, hstateenRow(i, true));
}

// vstimecmp, for HS (QEMU's sstc() with the hmode check).
riscvCsrDefine(0x24d, {
  exists: hypEnabled,
  pred: (env) => riscvCpuHas('sstc') && (env.priv === Priv.M ||
    ((env.get32('mcounteren') & COUNTEREN_TM) !== 0 && menvcfgStce(env))),
  hpred: (env) => (virt(env) && !((env.get32('hcounteren') & COUNTEREN_TM) && henvcfgStce(env)) ? HypExcp.VIRT_INSTRUCTION : 0),
  read: (env) => env.get64('vstimecmp'),
  write: (env, _n, v) => { env.set64('vstimecmp', v); riscvVstimerUpdate(env); return CSR_RELOAD; },
});

/** hvictl.VTI (Ssaia's csr-hvi.ts): a VS write of stimecmp is a virtual-instruction exception. */
const HVICTL_VTI = 0x40000000n;
const hvictlVti = (env: CPURISCVState): boolean => ((riscvCsrReadDebug(env, 0x609) ?? 0n) & HVICTL_VTI) !== 0n;

// ---- wrapping the base rows ---------------------------------------------------------------------
function wrapRows(): void {
  // stimecmp: vstimecmp while V=1, with hcounteren.TM and henvcfg.STCE.
  const stimecmp = riscvCsrLookup(0x14d)!;
  const vst = riscvCsrLookup(0x24d)!;
  riscvCsrDefine(0x14d, {
    ...stimecmp,
    hpred: (env, n, writes) => vst.hpred!(env, n) || (writes && virt(env) && hvictlVti(env) ? HypExcp.VIRT_INSTRUCTION : 0) ||
      (stimecmp.hpred ? stimecmp.hpred(env, n, writes) : 0),
    read: (env, n) => (hypEnabled(env) && virt(env) ? env.get64('vstimecmp') : stimecmp.read(env, n)),
    write: (env, n, v, m) => (hypEnabled(env) && virt(env) ? vst.write!(env, 0x24d, v, m) : stimecmp.write!(env, n, v, m)),
  });

  // htimedelta moves the VS timer.
  const htimedelta = riscvCsrLookup(0x605)!;
  riscvCsrDefine(0x605, {
    ...htimedelta,
    write: (env, n, v, m) => { const r = htimedelta.write!(env, n, v, m); riscvVstimerUpdate(env); return r | CSR_RELOAD; },
  });

  // henvcfg.STCE: writable and readable only while menvcfg.STCE is set.
  const henvcfg = riscvCsrLookup(0x60a)!;
  riscvCsrDefine(0x60a, {
    ...henvcfg,
    read: (env, n) => henvcfg.read(env, n) & (~STCE | (riscvCpuHas('sstc') ? env.get64('menvcfg') : 0n)),
    write: (env, n, v, m) => {
      const old = henvcfgStce(env);
      const r = henvcfg.write!(env, n, v, m);
      const stce = riscvCpuHas('sstc') && menvcfgStce(env) && (v & STCE) !== 0n;
      env.set64('henvcfg', (env.get64('henvcfg') & ~STCE) | (stce ? STCE : 0n));
      if (old !== stce) vsStceChanged(env, stce);
      return r | CSR_RELOAD;
    },
  });

  // mip and hvip: software's VSTIP kept apart from the timer's (from M with menvcfg.STCE it is
  // not writable, as QEMU's rmw_mip64); hvip reads software's only.
  for (const csrno of [0x344, 0x645]) {
    const row = riscvCsrLookup(csrno)!;
    riscvCsrDefine(csrno, {
      ...row,
      read: (env, n) => {
        const v = row.read(env, n);
        if (n !== 0x645 || !hypEnabled(env)) return v;
        return (v & ~BigInt(MIP_VSTIP)) | (env.get32('hvip_vstip') ? BigInt(MIP_VSTIP) : 0n);
      },
      write: (env, n, v, m) => {
        if (!hypEnabled(env) || !row.write) return row.write ? row.write(env, n, v, m) : 0;
        const sw = env.get32('hvip_vstip') !== 0;
        const mip = env.get32('mip');
        env.set32('mip', sw ? mip | MIP_VSTIP : mip & ~MIP_VSTIP);
        const r = row.write(env, n, v, m);
        const locked = riscvCpuHas('sstc') && env.priv === Priv.M && menvcfgStce(env);
        env.set32('hvip_vstip', locked ? (sw ? 1 : 0) : (env.get32('mip') & MIP_VSTIP ? 1 : 0));
        driveVstip(env);
        return r | CSR_RELOAD;
      },
    });
  }

  // sstateenN: hstateenN.SE0 from V=1; reads masked by mstateenN (and hstateenN with V=1).
  for (let i = 0; i < 4; i++) {
    const row = riscvCsrLookup(0x10c + i)!;
    riscvCsrDefine(0x10c + i, {
      ...row,
      hpred: (env, n) => (virt(env) && smstateen() && !(env.get64('hstateen', i) & SE0) ? HypExcp.VIRT_INSTRUCTION
        : row.hpred ? row.hpred(env, n) : 0),
      read: (env, n) => row.read(env, n) & env.get64('mstateen', i) & (virt(env) ? env.get64('hstateen', i) : -1n),
    });
  }

  guard(0x10a, SMSTATEEN0_ENVCFG); // senvcfg
  guard(0x60a, SMSTATEEN0_ENVCFG); // henvcfg
  for (const c of [0xdb0, 0xeb0, 0x608, 0x609, 0x646, 0x647]) guard(c, SMSTATEEN0_AIA);
  for (const c of [0x15c, 0x25c]) guard(c, SMSTATEEN0_IMSIC);
}

let wrapped = false;
riscvResetHooks.push((env) => {
  if (!wrapped) { wrapped = true; wrapRows(); }
  vstimers.get(env)?.arm(null);
  for (let i = 0; i < 4; i++) env.set64('hstateen', 0n, i);
  env.set64('vstimecmp', 0n);
  env.set32('vstime_irq', 0);
  env.set32('hvip_vstip', 0);
  env.set32('mip', env.get32('mip') & ~MIP_VSTIP);
});
