// The hart's side of AIA (Smaia/Ssaia; QEMU's target/riscv AIA code in cpu_helper.c): the
// per-hart state the AIA CSRs keep (miselect/siselect, the major-interrupt priority arrays) and
// the link to the hart's IMSIC files, plus interrupt selection by priority, which replaces the
// plain lowest-number order once the extension is on.
import type { CPURISCVState } from './cpu-state.js';
import { registerRiscvExtension, riscvCpuHas } from './cpu-cfg.js';

registerRiscvExtension({ name: 'smaia' });
registerRiscvExtension({ name: 'ssaia' });

/** An IMSIC's indirect registers: the old value, or undefined when isel does not exist. */
export type AiaIregRmw = (isel: number, newVal: bigint, wrMask: bigint, vgein: number) => bigint | undefined;

export interface AiaCpuState {
  miselect: number;
  siselect: number;
  /** iprio bytes per major interrupt (0: default order). */
  readonly miprio: Uint8Array;
  readonly siprio: Uint8Array;
  /** Smaia's virtual S-level interrupts (mvien, mvip's own bits, and sie's bits for them). */
  mvien: bigint;
  mvip: bigint;
  sie: bigint;
  /** The machine's IMSIC files for M and S (absent: no IMSIC, xtopei and its registers trap). */
  m?: AiaIregRmw;
  s?: AiaIregRmw;
  /** With H: vsiselect, the number of guest interrupt files (GEILEN, 0: none) and hgeip, bit g
   * set while guest file g has a deliverable identity (kept by the IMSIC's guest lines). */
  vsiselect: number;
  geilen: number;
  hgeip: number;
}

const states = new WeakMap<CPURISCVState, AiaCpuState>();

export function aiaState(env: CPURISCVState): AiaCpuState {
  let s = states.get(env);
  if (!s) {
    states.set(env, (s = { miselect: 0, siselect: 0, miprio: new Uint8Array(64), siprio: new Uint8Array(64), mvien: 0n, mvip: 0n, sie: 0n, vsiselect: 0, geilen: 0, hgeip: 0 }));
    defaultIprio(s);
  }
  return s;
}

/** The machine connects a hart's IMSICs (QEMU's riscv_cpu_set_aia_ireg_rmw_fn). */
export function riscvSetAiaIreg(env: CPURISCVState, files: { m?: AiaIregRmw; s?: AiaIregRmw; geilen?: number }): void {
  const s = aiaState(env);
  s.m = files.m;
  s.s = files.s;
  s.geilen = files.geilen ?? 0;
}

const MIP_VSEIP = 1 << 10;
const MIP_SGEIP = 1 << 12;

/** hstatus.VGEIN: the guest interrupt file VS-level accesses reach. */
export function aiaVgein(env: CPURISCVState): number {
  return Number((env.get64('hstatus') >> 12n) & 0x3fn);
}

/** mip.VSEIP as the VGEIN guest file drives it (QEMU ORs hgeip's VGEIN bit into mip reads). */
export function aiaGuestVseip(env: CPURISCVState): number {
  const s = states.get(env);
  if (!s || !s.hgeip) return 0;
  const g = aiaVgein(env);
  return g < 32 && (s.hgeip >>> g) & 1 ? MIP_VSEIP : 0;
}

/** mip.SGEIP: some guest file both deliverable (hgeip) and enabled (hgeie). */
export function aiaSgeip(env: CPURISCVState): boolean {
  const s = states.get(env);
  return !!s && (BigInt(s.hgeip) & env.get64('hgeie')) !== 0n;
}

/** A guest interrupt file's line (QEMU's riscv_cpu_set_irq for IRQ_LOCAL_MAX + g - 1): hgeip
 * bit g follows it; the caller then sets mip.SGEIP from aiaSgeip(). */
export function aiaSetGuestExternal(env: CPURISCVState, guest: number, level: boolean): void {
  const s = aiaState(env);
  if (guest < 1 || guest > s.geilen || guest > 31) return;
  if (level) s.hgeip |= 1 << guest; else s.hgeip &= ~(1 << guest);
}

export { MIP_SGEIP };

/** Reset (riscv_cpu_reset_hold): selects to zero, the priority arrays to the default order (the
 * external interrupt's own byte 0); the IMSIC link stays. */
export function aiaCpuReset(env: CPURISCVState): void {
  const s = states.get(env);
  if (!s) return;
  s.miselect = s.siselect = s.vsiselect = 0;
  // hgeie is 0 after reset, so SGEIP is too (hgeip is the IMSIC's and stays).
  if (s.geilen) env.set32('mip', env.get32('mip') & ~MIP_SGEIP);
  s.mvien = s.mvip = s.sie = 0n;
  defaultIprio(s);
}

function defaultIprio(s: AiaCpuState): void {
  for (let i = 0; i < 64; i++) {
    const p = riscvDefaultPriority(i);
    s.miprio[i] = i === 11 ? 0 : p;
    s.siprio[i] = i === 9 ? 0 : p;
  }
}

export const IPRIO_MMAXIPRIO = 255;
export const IPRIO_DEFAULT_M = 16;
export const IPRIO_DEFAULT_S = 19;
/** The AIA spec's default priority order of the major interrupts, as numbers (QEMU's
 * default_iprio): 47, 23, 46, 45, 22, 44, 43, 21, 42, 41, 20, 40, then 11, 3, 7, 9, 1, 5, 12, 10,
 * 2, 6, then 39, 19, 38, 37, 18, 36, 35, 17, 34, 33, 16, 32; the custom ones (24-31, 48-63)
 * and the rest count as lowest. */
const DEFAULT_IPRIO: Record<number, number> = {};
[47, 23, 46, 45, 22, 44, 43, 21, 42, 41, 20, 40, 11, 3, 7, 9, 1, 5, 12, 10, 2, 6, 39, 19, 38, 37, 18, 36, 35, 17, 34, 33, 16, 32]
  .forEach((irq, i) => { DEFAULT_IPRIO[irq] = 4 + i; });

export function riscvDefaultPriority(irq: number): number {
  return DEFAULT_IPRIO[irq] ?? IPRIO_MMAXIPRIO;
}

/**
 * The interrupt to take among `pending` (QEMU's riscv_cpu_pending_to_irq with AIA): each one's
 * iprio, or for a zero iprio the external interrupt's default, 1 when the default order puts it
 * above the external interrupt, else 255; the lowest priority value wins, ties go to the higher
 * number (as QEMU's scan does). `pendingHi`: interrupts 32-63 (hvip's, csr-hvi.ts).
 */
export function aiaPendingToIrq(pending: number, extirq: number, extDefPrio: number, iprio: Uint8Array, pendingHi = 0): number {
  let best = -1;
  let bestPrio = Infinity;
  for (let irq = 0; irq < (pendingHi ? 64 : 32); irq++) {
    if (!(((irq < 32 ? pending : pendingHi) >>> (irq & 31)) & 1)) continue;
    let prio = iprio[irq];
    if (!prio) {
      if (irq === extirq) prio = extDefPrio;
      else prio = riscvDefaultPriority(irq) < extDefPrio ? 1 : IPRIO_MMAXIPRIO;
    }
    if (prio <= bestPrio) { best = irq; bestPrio = prio; }
  }
  return best;
}

/** The virtual S-level interrupts pending and enabled (QEMU's irqs_f: mvip & mvien & ~mideleg &
 * sie): taken in S although mideleg does not delegate them. 0 without Smaia. */
export function aiaVirtSIrqs(env: CPURISCVState): number {
  const s = states.get(env);
  if (!s || !riscvCpuHas('smaia')) return 0;
  return Number(s.mvip & s.mvien & s.sie & 0xffffffffn) & ~env.get32('mideleg');
}

/** QEMU's s_injected: interrupt `cause` comes from mvip (mvien set, mideleg clear). */
export function aiaSInjected(env: CPURISCVState, cause: number): boolean {
  const s = states.get(env);
  if (!s || !riscvCpuHas('smaia') || cause >= 32) return false;
  return ((Number(s.mvip & s.mvien & 0xffffffffn) & ~env.get32('mideleg')) >>> cause & 1) !== 0;
}
