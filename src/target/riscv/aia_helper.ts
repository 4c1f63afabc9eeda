// The hart's side of AIA (Smaia/Ssaia; QEMU's target/riscv AIA code in cpu_helper.c): the
// per-hart state the AIA CSRs keep (miselect/siselect, the major-interrupt priority arrays) and
// the link to the hart's IMSIC files, plus interrupt selection by priority, which replaces the
// plain lowest-number order once the extension is on.
import type { CPURISCVState } from './cpu-state.js';
import { registerRiscvExtension } from './cpu-cfg.js';

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
  /** The machine's IMSIC files for M and S (absent: no IMSIC, xtopei and its registers trap). */
  m?: AiaIregRmw;
  s?: AiaIregRmw;
}

const states = new WeakMap<CPURISCVState, AiaCpuState>();

export function aiaState(env: CPURISCVState): AiaCpuState {
  let s = states.get(env);
  if (!s) states.set(env, (s = { miselect: 0, siselect: 0, miprio: new Uint8Array(64), siprio: new Uint8Array(64) }));
  return s;
}

/** The machine connects a hart's IMSICs (QEMU's riscv_cpu_set_aia_ireg_rmw_fn). */
export function riscvSetAiaIreg(env: CPURISCVState, files: { m?: AiaIregRmw; s?: AiaIregRmw }): void {
  const s = aiaState(env);
  s.m = files.m;
  s.s = files.s;
}

/** Reset: selects and priorities to zero (the IMSIC link stays). */
export function aiaCpuReset(env: CPURISCVState): void {
  const s = states.get(env);
  if (!s) return;
  s.miselect = s.siselect = 0;
  s.miprio.fill(0);
  s.siprio.fill(0);
}

export const IPRIO_MMAXIPRIO = 255;
export const IPRIO_DEFAULT_M = 28;
export const IPRIO_DEFAULT_S = 31;
/** The AIA spec's default priority of the standard interrupts (QEMU's default_iprio; the rest
 * count as lowest). */
const DEFAULT_IPRIO: Record<number, number> = { 11: 28, 3: 29, 7: 30, 9: 31, 1: 32, 5: 33, 12: 34, 10: 35, 2: 36, 6: 37 };

export function riscvDefaultPriority(irq: number): number {
  return DEFAULT_IPRIO[irq] ?? IPRIO_MMAXIPRIO;
}

/**
 * The interrupt to take among `pending` (QEMU's riscv_cpu_pending_to_irq with AIA): each one's
 * iprio, or for a zero iprio the external interrupt's default, 1 when the default order puts it
 * above the external interrupt, else 255; the lowest priority value wins, ties go to the higher
 * number (as QEMU's scan does).
 */
export function aiaPendingToIrq(pending: number, extirq: number, extDefPrio: number, iprio: Uint8Array): number {
  let best = -1;
  let bestPrio = Infinity;
  for (let irq = 0; irq < 32; irq++) {
    if (!((pending >>> irq) & 1)) continue;
    let prio = iprio[irq];
    if (!prio) {
      if (irq === extirq) prio = extDefPrio;
      else prio = riscvDefaultPriority(irq) < extDefPrio ? 1 : IPRIO_MMAXIPRIO;
    }
    if (prio <= bestPrio) { best = irq; bestPrio = prio; }
  }
  return best;
}
