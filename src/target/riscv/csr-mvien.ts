// Smaia's virtual S-level interrupts (AIA 1.0 chapter 5.3, QEMU 10.2's rmw_mvien/rmw_mvip64 and
// their effect on sie/sip): mvien bit i set with mideleg bit i clear makes mvip bit i (SSIP 1, SEIP
// 9, the local interrupts 13-63) a separate pending bit, enabled by a separate sie bit, that traps
// to S (aia_helper.ts aiaVirtSIrqs/aiaSInjected); otherwise mvip aliases mip (STIP too, unless
// Sstc's menvcfg.STCE owns it). The sie/sip wrappers go around whatever rows the other modules
// built (H's csr-h.ts may load later, with the translator): they are (re)installed outermost
// whenever mvien is written, which comes before any of its bits can matter; with mvien 0 (its
// reset value) every row behaves as before.
import type { CPURISCVState } from './cpu-state.js';
import { riscvCpuHas } from './cpu-cfg.js';
import { type RiscvCsrDef, riscvCsrDefine, riscvCsrLookup } from './csr.js';
import { aiaState } from './aia_helper.js';
import { MENVCFG_HI_STCE } from './walk-ext.js';
import { riscvReadMip } from './cpu_helper.js';

const CSR_RELOAD = 1;
const SSIP = 1n << 1n, STIP = 1n << 5n, SEIP = 1n << 9n;
const LOCAL = ~0x1fffn & 0xffffffffffffffffn;
const S_INTS = SSIP | STIP | SEIP;
const MVIEN_WMASK = SSIP | SEIP | LOCAL;
const MVIP_WMASK = SSIP | STIP | SEIP | LOCAL;
const SIP_WMASK = SSIP | LOCAL;
const M64 = 0xffffffffffffffffn;

const smaia = (): boolean => riscvCpuHas('smaia');
const virt = (env: CPURISCVState): boolean => env.get32('virt') !== 0;
const mideleg = (env: CPURISCVState): bigint => env.get64('mideleg');
/** Bits of mvip that are its own (not mip's). */
const nalias = (env: CPURISCVState): bigint => (S_INTS | LOCAL) & ~mideleg(env) & aiaState(env).mvien & M64;
function aliasMask(env: CPURISCVState): bigint {
  let a = ((S_INTS | LOCAL) & (mideleg(env) | (~aiaState(env).mvien & M64))) | STIP;
  if (riscvCpuHas('sstc') && (env.get32('menvcfg', 1) & MENVCFG_HI_STCE) !== 0) a &= ~STIP;
  return a;
}

riscvCsrDefine(0x308, { // mvien
  pred: smaia,
  read: (env) => aiaState(env).mvien,
  write: (env, _n, v) => { ensureWrapped(); aiaState(env).mvien = v & MVIEN_WMASK; return CSR_RELOAD; },
});

const mipRow = riscvCsrLookup(0x344)!;
riscvCsrDefine(0x309, { // mvip
  pred: smaia,
  read: (env) => (BigInt(riscvReadMip(env)) & aliasMask(env)) | (aiaState(env).mvip & nalias(env)),
  write: (env, _n, v, m) => {
    const s = aiaState(env);
    const toMip = m & aliasMask(env) & MVIP_WMASK;
    const toMvip = m & nalias(env) & MVIP_WMASK;
    let r = 0;
    if (toMip) {
      const cur = BigInt(riscvReadMip(env));
      r = mipRow.write!(env, 0x344, (cur & ~toMip) | (v & toMip), toMip);
    }
    s.mvip = (s.mvip & ~toMvip) | (v & toMvip);
    return r | CSR_RELOAD;
  },
});

/** sie / sip (V=0): the bits mvien gives S are sie's own and mvip's. */
const installed = new Map<number, RiscvCsrDef>();
function withVirtual(csrno: number, own: (env: CPURISCVState) => bigint, setOwn: (env: CPURISCVState, v: bigint) => void, wmask: bigint): void {
  const base = riscvCsrLookup(csrno)!;
  if (installed.get(csrno) === base) return; // still outermost
  const row: RiscvCsrDef = {
    ...base,
    read: (env, n) => {
      const r = base.read(env, n);
      return smaia() && !virt(env) ? r | (own(env) & nalias(env)) : r;
    },
    write: (env, n, v, m) => {
      const r = base.write ? base.write(env, n, v, m) : 0;
      if (!smaia() || virt(env)) return r;
      const w = m & nalias(env) & wmask;
      if (w) setOwn(env, (own(env) & ~w) | (v & w));
      return r | (w ? CSR_RELOAD : 0);
    },
  };
  installed.set(csrno, row);
  riscvCsrDefine(csrno, row);
}
function ensureWrapped(): void {
  withVirtual(0x104, (env) => aiaState(env).sie, (env, v) => { aiaState(env).sie = v; }, S_INTS | LOCAL);
  withVirtual(0x144, (env) => aiaState(env).mvip, (env, v) => { aiaState(env).mvip = v; }, SIP_WMASK);
}
