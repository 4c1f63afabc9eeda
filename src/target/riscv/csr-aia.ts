// The AIA CSRs (Smaia/Ssaia; QEMU's target/riscv/csr.c as of the AIA 1.0 draft QEMU 7.2 models):
// miselect/mireg and siselect/sireg reach the major-interrupt priority registers (iprio0..15,
// isel 0x30-0x3f) and the IMSIC's registers (isel 0x70-0xff); mtopei/stopei read and claim the
// IMSIC's top identity; mtopi/stopi report the top pending major interrupt with its priority.
import type { CPURISCVState } from './cpu-state.js';
import { Priv } from './cpu_bits.js';
import { riscvCpuHas } from './cpu-cfg.js';
import { riscvReadMip } from './cpu_helper.js';
import { hypEnabled } from './cpu-h.js';
import {
  type AiaIregRmw, aiaVgein, IPRIO_DEFAULT_M, IPRIO_DEFAULT_S, IPRIO_MMAXIPRIO, aiaPendingToIrq, aiaState, aiaVirtSIrqs, riscvDefaultPriority,
} from './aia_helper.js';

export { riscvSetAiaIreg } from './aia_helper.js';

/** The virtual-instruction exception (cause 22). */
const VIRT_INSTRUCTION = 22;

interface CsrDef {
  pred?: (env: CPURISCVState, csrno: number) => boolean;
  exists?: (env: CPURISCVState) => boolean;
  hpred?: (env: CPURISCVState, csrno: number) => number;
  read: (env: CPURISCVState, csrno: number) => bigint;
  write?: (env: CPURISCVState, csrno: number, value: bigint, wmask: bigint) => number;
}

const CSR_RELOAD = 1;
const ISELECT_MASK = 0x1ff;
const ISELECT_IPRIO0 = 0x30;
const ISELECT_IPRIO15 = 0x3f;
const ISELECT_IMSIC_FIRST = 0x70;
const ISELECT_IMSIC_LAST = 0xff;
const ISELECT_IMSIC_TOPEI = ISELECT_MASK + 1;
const IRQ_M_EXT = 11;
const IRQ_S_EXT = 9;
/** MIP bits that never count for xtopi (VS-level and SGEIP). */
const MIP_VIRT = (1 << 2) | (1 << 6) | (1 << 10) | (1 << 12);

const smaia = () => riscvCpuHas('smaia');
const ssaia = () => riscvCpuHas('ssaia');

/** iprioN (RV64: even N only): 8 priority bytes; the external interrupt's own byte is read-only 0. */
function rmwIprio(isel: number, iprio: Uint8Array, newVal: bigint, wrMask: bigint, extIrq: number): bigint | undefined {
  if (isel < ISELECT_IPRIO0 || isel > ISELECT_IPRIO15 || isel & 1) return undefined;
  const first = ((isel - ISELECT_IPRIO0) >> 1) * 8;
  let old = 0n;
  for (let i = 0; i < 8; i++) old |= BigInt(iprio[first + i]) << BigInt(8 * i);
  if (wrMask) {
    const v = (old & ~wrMask) | (newVal & wrMask);
    for (let i = 0; i < 8; i++) if (first + i !== extIrq) iprio[first + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  }
  return old;
}

/** QEMU's xiselect_aia_range: the priority array and the IMSIC's registers. */
const aiaRange = (isel: number): boolean =>
  (isel >= ISELECT_IPRIO0 && isel <= ISELECT_IPRIO15) || (isel >= ISELECT_IMSIC_FIRST && isel <= ISELECT_IMSIC_LAST);

/** The S-level rows while V=1 are the VS ones (QEMU's aia_xlate_vs_csrno). */
const virtOn = (env: CPURISCVState) => env.get32('virt') !== 0;

/** The guest interrupt file VS-level accesses reach: hstatus.VGEIN when it names one, else
 * undefined (the access traps). */
function guestFile(env: CPURISCVState): number | undefined {
  const g = aiaVgein(env);
  return g && g <= aiaState(env).geilen ? g : undefined;
}

/** xireg (vs: vsireg): the register xiselect selects, or undefined (the access traps). VS level
 * has no priority registers: vsiselect 0x30-0x3f traps, as the AIA spec and QEMU 10.2's
 * rmw_xireg_aia have it (its VS priorities are hviprio1/2, csr-hvi.ts). */
function rmwIreg(env: CPURISCVState, priv: number, newVal: bigint, wrMask: bigint, vs = false): bigint | undefined {
  const s = aiaState(env);
  const isel = priv === Priv.M ? s.miselect : vs ? s.vsiselect : s.siselect;
  if (isel >= ISELECT_IPRIO0 && isel <= ISELECT_IPRIO15) {
    if (vs) return undefined;
    return rmwIprio(isel, priv === Priv.M ? s.miprio : s.siprio, newVal, wrMask, priv === Priv.M ? IRQ_M_EXT : IRQ_S_EXT);
  }
  if (isel >= ISELECT_IMSIC_FIRST && isel <= ISELECT_IMSIC_LAST) {
    const fn: AiaIregRmw | undefined = priv === Priv.M ? s.m : s.s;
    const page = vs ? guestFile(env) : 0;
    return page === undefined ? undefined : fn?.(isel, newVal, wrMask, page);
  }
  return undefined;
}

/** xtopei (vs: vstopei) on its IMSIC file; undefined when there is none. */
function rmwTopei(env: CPURISCVState, priv: number, newVal: bigint, wrMask: bigint, vs = false): bigint | undefined {
  const fn = priv === Priv.M ? aiaState(env).m : aiaState(env).s;
  const page = vs ? guestFile(env) : 0;
  return page === undefined ? undefined : fn?.(ISELECT_IMSIC_TOPEI, newVal, wrMask, page);
}

function xtopi(env: CPURISCVState, priv: number): bigint {
  const s = aiaState(env);
  const mideleg = env.get32('mideleg');
  const all = riscvReadMip(env) & env.get32('mie') & ~MIP_VIRT;
  const m = priv === Priv.M;
  const irq = m ? aiaPendingToIrq(all & ~mideleg, IRQ_M_EXT, IPRIO_DEFAULT_M, s.miprio)
    : aiaPendingToIrq((all & mideleg) | aiaVirtSIrqs(env), IRQ_S_EXT, IPRIO_DEFAULT_S, s.siprio);
  if (irq <= 0) return 0n;
  let prio = (m ? s.miprio : s.siprio)[irq];
  if (!prio && riscvDefaultPriority(irq) > (m ? IPRIO_DEFAULT_M : IPRIO_DEFAULT_S)) prio = IPRIO_MMAXIPRIO;
  return (BigInt(irq) << 16n) | BigInt(prio);
}

function xiselect(priv: number): CsrDef {
  const get = (env: CPURISCVState) => aiaState(env);
  return {
    pred: priv === Priv.M ? smaia : ssaia,
    read: (env) => BigInt(priv === Priv.M ? get(env).miselect : virtOn(env) ? get(env).vsiselect : get(env).siselect),
    write: (env, _n, v) => {
      const n = Number(v & BigInt(ISELECT_MASK));
      if (priv === Priv.M) get(env).miselect = n; else if (virtOn(env)) get(env).vsiselect = n; else get(env).siselect = n;
      return 0;
    },
  };
}

function xireg(priv: number): CsrDef {
  const vs = (env: CPURISCVState) => priv === Priv.S && virtOn(env);
  return {
    // A selection with no register behind it is an illegal instruction, read or write; from VS
    // (sireg is vsireg) a selection in the AIA ranges without a register is a virtual-instruction
    // exception, a reserved one stays illegal (QEMU 10.2's isel_reserved / rmw_xireg).
    pred: (env) => (priv === Priv.M ? smaia() : ssaia()) &&
      (vs(env) ? aiaRange(aiaState(env).vsiselect) : rmwIreg(env, priv, 0n, 0n) !== undefined),
    hpred: (env) => (vs(env) && rmwIreg(env, priv, 0n, 0n, true) === undefined ? VIRT_INSTRUCTION : 0),
    read: (env) => rmwIreg(env, priv, 0n, 0n, vs(env)) ?? 0n,
    write: (env, _n, v, mask) => { rmwIreg(env, priv, v, mask, vs(env)); return CSR_RELOAD; },
  };
}

function xtopei(priv: number): CsrDef {
  const fn = (env: CPURISCVState) => (priv === Priv.M ? aiaState(env).m : aiaState(env).s);
  const vs = (env: CPURISCVState) => priv === Priv.S && virtOn(env);
  // stopei from S while mvien.SEIP is set reads 0 and claims nothing (QEMU's rmw_xtopei).
  const hidden = (env: CPURISCVState) => priv === Priv.S && env.priv === Priv.S && !vs(env) && (aiaState(env).mvien & BigInt(1 << IRQ_S_EXT)) !== 0n;
  return {
    pred: (env) => (priv === Priv.M ? smaia() : ssaia()) && fn(env) !== undefined,
    // From VS, stopei is vstopei: no valid VGEIN file is a virtual-instruction exception.
    hpred: (env) => (vs(env) && rmwTopei(env, priv, 0n, 0n, true) === undefined ? VIRT_INSTRUCTION : 0),
    read: (env) => (hidden(env) ? 0n : rmwTopei(env, priv, 0n, 0n, vs(env)) ?? 0n),
    write: (env, _n, v, mask) => { if (!hidden(env)) rmwTopei(env, priv, v, mask, vs(env)); return CSR_RELOAD; },
  };
}

/** The VS rows HS sees (vsiselect, vsireg, vstopei): hstatus.VGEIN's guest file. */
const vsExists = (env: CPURISCVState) => ssaia() && hypEnabled(env) && aiaState(env).s !== undefined;
function registerVsCsrs(def: (csrno: number, d: CsrDef & { exists?: (env: CPURISCVState) => boolean }) => void): void {
  def(0x250, {
    exists: (env) => ssaia() && hypEnabled(env),
    read: (env) => BigInt(aiaState(env).vsiselect),
    write: (env, _n, v) => { aiaState(env).vsiselect = Number(v & BigInt(ISELECT_MASK)); return 0; },
  });
  def(0x251, {
    exists: vsExists,
    pred: (env) => rmwIreg(env, Priv.S, 0n, 0n, true) !== undefined,
    read: (env) => rmwIreg(env, Priv.S, 0n, 0n, true) ?? 0n,
    write: (env, _n, v, mask) => { rmwIreg(env, Priv.S, v, mask, true); return CSR_RELOAD; },
  });
  def(0x25c, {
    exists: vsExists,
    pred: (env) => rmwTopei(env, Priv.S, 0n, 0n, true) !== undefined,
    read: (env) => rmwTopei(env, Priv.S, 0n, 0n, true) ?? 0n,
    write: (env, _n, v, mask) => { rmwTopei(env, Priv.S, v, mask, true); return CSR_RELOAD; },
  });
}

/** Called by csr.ts with its table's def(). */
export function registerAiaCsrs(def: (csrno: number, d: CsrDef) => void): void {
  def(0x350, xiselect(Priv.M));
  def(0x351, xireg(Priv.M));
  def(0x35c, xtopei(Priv.M));
  def(0xfb0, { pred: smaia, read: (env) => xtopi(env, Priv.M) });
  def(0x150, xiselect(Priv.S));
  def(0x151, xireg(Priv.S));
  def(0x15c, xtopei(Priv.S));
  def(0xdb0, { pred: ssaia, read: (env) => xtopi(env, Priv.S) });
  registerVsCsrs(def);
}
