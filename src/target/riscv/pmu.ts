// The programmable counters mhpmcounter3..31 / hpmcounter3..31 and their event selectors, as
// QEMU 10.2's target/riscv/pmu.c and csr.c have them:
// - the `pmu-mask` cpu property (default 0x7fff8: counters 3..18) says which counters exist;
//   the others are illegal instructions (mctr/ctr predicates) and their mcountinhibit bits 0;
// - a counter holds what software writes; it counts only while its mhpmevent selects an event
//   QEMU maps to the fixed counters (1 cycles, 2 instructions) and that event was mapped to it
//   (first counter wins; only writing event 0 removes a mapping, as riscv_pmu_update_event_map);
// - mcountinhibit freezes a counting counter and resumes it from its value.
// Here both events count what mcycle/minstret count (retired instructions, or -icount's clock);
// QEMU's count host ticks. The other mapped events (TLB misses) never count in QEMU either.
// mhpmevent's inhibit bits (MINH SINH UINH VSINH VUINH) stop the count in those modes
// (pmu-modes.ts), overflow included.
import { riscvCpuCfg, riscvCpuHas } from './cpu-cfg.js';
import type { CPURISCVState } from './cpu-state.js';
import { riscvResetHooks } from './cpu_helper.js';
import { type CsrDef, riscvCsrDefine, riscvCsrLookup } from './csr.js';
import { riscvPmuFilterUsed, riscvPmuFilteredBase } from './pmu-modes.js';

/** QEMU's default pmu-mask (MAKE_64BIT_MASK(3, 16)). */
export const PMU_MASK_DEFAULT = 0x7fff8;
const EVENT_CYCLES = 1, EVENT_INSTRUCTIONS = 2;
/** Events riscv_pmu_update_event_map accepts (the rest are not mapped). */
const MAPPABLE = new Set([EVENT_CYCLES, EVENT_INSTRUCTIONS, 0x10019, 0x1001b, 0x10021]);
const EVENT_IDX_MASK = 0xfffffn;
/** mhpmevent's MINH SINH UINH VSINH VUINH (MHPMEVENT_FILTER_MASK) and its VS/VU bits. */
const FILTER_MASK = 0x7cn << 56n, VINH = 0x0cn << 56n;

export function riscvPmuMask(): number {
  return riscvCpuCfg().pmuMask ?? PMU_MASK_DEFAULT;
}

/** Each hart's event -> counter map (QEMU's pmu_event_ctr_map). */
const eventMaps = new WeakMap<CPURISCVState, Map<number, number>>();
function eventMap(env: CPURISCVState): Map<number, number> {
  let m = eventMaps.get(env);
  if (!m) eventMaps.set(env, (m = new Map()));
  return m;
}

const present = (n: number): boolean => ((riscvPmuMask() >>> n) & 1) !== 0;
const inhibited = (env: CPURISCVState, n: number): boolean => ((env.get32('mcountinhibit') >>> n) & 1) !== 0;
/** The count counter n follows: mcycle/minstret's, less the modes its mhpmevent inhibits. */
const fixedBase = (env: CPURISCVState, n: number): bigint => riscvPmuFilteredBase(env, env.get64('mhpmevent', n) & FILTER_MASK);

/** riscv_pmu_ctr_monitor_cycles || _instructions for counter n (3..31). */
function counting(env: CPURISCVState, n: number): boolean {
  if (!present(n)) return false;
  const m = eventMap(env);
  return m.get(EVENT_CYCLES) === n || m.get(EVENT_INSTRUCTIONS) === n;
}

export function riscvPmuReadCounter(env: CPURISCVState, n: number): bigint {
  const val = env.get64('hpm_val', n);
  if (inhibited(env, n) || !counting(env, n)) return val;
  return BigInt.asUintN(64, fixedBase(env, n) - env.get64('hpm_prev', n) + val);
}

function writeCounter(env: CPURISCVState, n: number, v: bigint): void {
  env.set64('hpm_val', v, n);
  const runs = !inhibited(env, n) && counting(env, n);
  env.set64('hpm_prev', runs ? fixedBase(env, n) : v, n);
  if (runs) setupOverflow(env, n, v);
}

// ---- Sscofpmf: the overflow of a counting counter (riscv_pmu_setup_timer) ----------------------
// QEMU arms a timer for when the counter passes 2^64; here the hart notes the clock value at
// which that happens, and run() looks at it (riscvPmuCheckOverflow): then OF is set in mhpmevent
// and LCOFIP raised, once, as riscv_pmu_timer_trigger_irq. Counters that do not count never
// overflow (as QEMU's: no timer for them).
const overflowAt = new WeakMap<CPURISCVState, Map<number, bigint>>();
const OF_BIT = 1n << 63n;
const MIP_LCOFIP = 1 << 13;

function setupOverflow(env: CPURISCVState, n: number, value: bigint): void {
  let m = overflowAt.get(env);
  if (!riscvCpuHas('sscofpmf')) { m?.delete(n); return; }
  if (!m) overflowAt.set(env, (m = new Map()));
  m.set(n, fixedBase(env, n) + ((1n << 64n) - value));
}

/** At run() entry: a counting counter that passed 2^64 sets its OF bit and LCOFIP. */
export function riscvPmuCheckOverflow(env: CPURISCVState): void {
  const m = overflowAt.get(env);
  if (!m || m.size === 0) return;
  for (const [n, at] of m) {
    if (inhibited(env, n) || !counting(env, n)) { m.delete(n); continue; }
    if (fixedBase(env, n) < at) continue;
    m.delete(n);
    const ev = env.get64('mhpmevent', n);
    if (ev & OF_BIT) continue;
    env.set64('mhpmevent', ev | OF_BIT, n);
    const mip = env.get32('mip');
    env.updateMip(mip, mip | MIP_LCOFIP);
  }
}

/** riscv_pmu_update_event_map. */
function updateEventMap(env: CPURISCVState, value: bigint, n: number): void {
  if (!present(n)) return;
  const m = eventMap(env);
  const event = Number(value & EVENT_IDX_MASK);
  if (!event) {
    for (const [e, c] of m) if (c === n) m.delete(e);
    return;
  }
  if (m.has(event) || !MAPPABLE.has(event)) return;
  m.set(event, n);
}

// mhpmcounter3..31 (M) and hpmcounter3..31 (the unprivileged views keep their predicates:
// Zihpm, mcounteren/scounteren, H's hcounteren).
for (let n = 3; n < 32; n++) {
  riscvCsrDefine(0xb00 + n, {
    pred: () => present(n),
    read: (env) => riscvPmuReadCounter(env, n),
    write: (env, _c, v) => { writeCounter(env, n, v); return 0; },
  });
  const user = riscvCsrLookup(0xc00 + n) as CsrDef;
  riscvCsrDefine(0xc00 + n, {
    ...user,
    pred: (env, c, w) => present(n) && (user.pred ? user.pred(env, c, w) : true),
    read: (env) => riscvPmuReadCounter(env, n),
  });
  // mhpmevent3..31: every one keeps its value (the mode-inhibit bits of modes the hart has).
  riscvCsrDefine(0x320 + n, {
    read: (env) => env.get64('mhpmevent', n),
    write: (env, _c, v) => {
      const mask = ~FILTER_MASK | (FILTER_MASK & ~VINH) | (riscvCpuHas('h') ? VINH : 0n);
      const nv = BigInt.asUintN(64, v & mask);
      env.set64('mhpmevent', nv, n);
      updateEventMap(env, nv, n);
      // Only a counting counter needs the modes accounted (OpenSBI writes MINH to idle ones).
      if (counting(env, n)) riscvPmuFilterUsed(env, nv);
      return 0;
    },
  });
}

// mcountinhibit: CY and IR (csr.ts freezes mcycle/minstret) and the present counters.
const inhibitBase = riscvCsrLookup(0x320) as CsrDef;
riscvCsrDefine(0x320, {
  ...inhibitBase,
  write: (env, c, v, m) => {
    const old = env.get32('mcountinhibit');
    const nv = Number(v & 0xffffffffn) & (riscvPmuMask() | 5);
    // A counting counter being stopped keeps its value; one released starts from it.
    for (let n = 3; n < 32; n++) {
      if (!(((old ^ nv) >>> n) & 1) || !counting(env, n)) continue;
      if ((nv >>> n) & 1) env.set64('hpm_val', riscvPmuReadCounter(env, n), n);
      else { env.set64('hpm_prev', fixedBase(env, n), n); setupOverflow(env, n, env.get64('hpm_val', n)); }
    }
    inhibitBase.write?.(env, c, BigInt(nv & 5), m);
    env.set32('mcountinhibit', nv >>> 0);
    return 0;
  },
});

riscvResetHooks.push((env) => {
  eventMap(env).clear();
  overflowAt.get(env)?.clear();
  for (let n = 0; n < 32; n++) { env.set64('hpm_val', 0n, n); env.set64('hpm_prev', 0n, n); }
});
