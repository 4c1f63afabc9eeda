// The AIA CSRs (Smaia/Ssaia; QEMU's target/riscv/csr.c as of the AIA 1.0 draft QEMU 7.2 models):
// miselect/mireg and siselect/sireg reach the major-interrupt priority registers (iprio0..15,
// isel 0x30-0x3f) and the IMSIC's registers (isel 0x70-0xff); mtopei/stopei read and claim the
// IMSIC's top identity; mtopi/stopi report the top pending major interrupt with its priority.
import type { CPURISCVState } from './cpu-state.js';
import { Priv } from './cpu_bits.js';
import { riscvCpuHas } from './cpu-cfg.js';
import { riscvReadMip } from './cpu_helper.js';
import {
  type AiaIregRmw, IPRIO_DEFAULT_M, IPRIO_DEFAULT_S, IPRIO_MMAXIPRIO, aiaPendingToIrq, aiaState, aiaVirtSIrqs, riscvDefaultPriority,
} from './aia_helper.js';

export { riscvSetAiaIreg } from './aia_helper.js';

interface CsrDef {
  pred?: (env: CPURISCVState, csrno: number) => boolean;
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

/** xireg: the register xiselect selects, or undefined (illegal instruction). */
function rmwIreg(env: CPURISCVState, priv: number, newVal: bigint, wrMask: bigint): bigint | undefined {
  const s = aiaState(env);
  const isel = priv === Priv.M ? s.miselect : s.siselect;
  if (isel >= ISELECT_IPRIO0 && isel <= ISELECT_IPRIO15) {
    return rmwIprio(isel, priv === Priv.M ? s.miprio : s.siprio, newVal, wrMask, priv === Priv.M ? IRQ_M_EXT : IRQ_S_EXT);
  }
  if (isel >= ISELECT_IMSIC_FIRST && isel <= ISELECT_IMSIC_LAST) {
    const fn: AiaIregRmw | undefined = priv === Priv.M ? s.m : s.s;
    return fn?.(isel, newVal, wrMask, 0);
  }
  return undefined;
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
    read: (env) => BigInt(priv === Priv.M ? get(env).miselect : get(env).siselect),
    write: (env, _n, v) => {
      const n = Number(v & BigInt(ISELECT_MASK));
      if (priv === Priv.M) get(env).miselect = n; else get(env).siselect = n;
      return 0;
    },
  };
}

function xireg(priv: number): CsrDef {
  return {
    // A selection with no register behind it is an illegal instruction, read or write.
    pred: (env) => (priv === Priv.M ? smaia() : ssaia()) && rmwIreg(env, priv, 0n, 0n) !== undefined,
    read: (env) => rmwIreg(env, priv, 0n, 0n) ?? 0n,
    write: (env, _n, v, mask) => { rmwIreg(env, priv, v, mask); return CSR_RELOAD; },
  };
}

function xtopei(priv: number): CsrDef {
  const fn = (env: CPURISCVState) => (priv === Priv.M ? aiaState(env).m : aiaState(env).s);
  // stopei from S while mvien.SEIP is set reads 0 and claims nothing (QEMU's rmw_xtopei).
  const hidden = (env: CPURISCVState) => priv === Priv.S && env.priv === Priv.S && (aiaState(env).mvien & BigInt(1 << IRQ_S_EXT)) !== 0n;
  return {
    pred: (env) => (priv === Priv.M ? smaia() : ssaia()) && fn(env) !== undefined,
    read: (env) => (hidden(env) ? 0n : fn(env)?.(ISELECT_IMSIC_TOPEI, 0n, 0n, 0) ?? 0n),
    write: (env, _n, v, mask) => { if (!hidden(env)) fn(env)?.(ISELECT_IMSIC_TOPEI, v, mask, 0); return CSR_RELOAD; },
  };
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
}
