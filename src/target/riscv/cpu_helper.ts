// Traps, interrupts, privilege changes and reset (QEMU's riscv_cpu_do_interrupt,
// riscv_cpu_exec_interrupt, riscv_cpu_set_mode and riscv_cpu_reset_hold).
import { type CPURISCVState, MmuIdx } from './cpu-state.js';
import { MSTATUS_XL_FIXED, Mstatus, Priv } from './cpu_bits.js';
import { riscvCpuCfg } from './cpu-cfg.js';
import { misaValue } from './cpu-isa.js';
import { riscvTlbFlush } from './mmu.js';
import { pmpReset } from './pmp.js';
import { hypDoInterrupt, hypEnabled, hypLocalIrqPending, hypUpdateMmuIdx, hypReset, hypVsLocal, MISA_H, riscvModeHooks } from './cpu-h.js';
import { riscvCpuHas } from './cpu-cfg.js';
import { LogMask, qemuLogEnabled, qemuLog } from '../../qemu/log.js';
import { riscvPmUpdate } from './pointer-masking.js';
import { IPRIO_DEFAULT_M, IPRIO_DEFAULT_S, aiaCpuReset, aiaGuestVseip, aiaPendingToIrq, aiaSInjected, aiaState, aiaVirtSIrqs } from './aia_helper.js';

const EXCP_NAMES = [
  'misaligned_fetch', 'fault_fetch', 'illegal_instruction', 'breakpoint', 'misaligned_load', 'fault_load',
  'misaligned_store', 'fault_store', 'user_ecall', 'supervisor_ecall', 'hypervisor_ecall', 'machine_ecall',
  'exec_page_fault', 'load_page_fault', 'reserved', 'store_page_fault', 'double_trap', 'reserved', 'reserved',
  'reserved', 'guest_exec_page_fault', 'guest_load_page_fault', 'reserved', 'guest_store_page_fault',
];
const INTR_NAMES = [
  'u_software', 's_software', 'vs_software', 'm_software', 'u_timer', 's_timer', 'vs_timer', 'm_timer',
  'u_external', 's_external', 'vs_external', 'm_external', 'reserved', 'counter_overflow',
];

function trapName(cause: number, async: boolean): string {
  return (async ? INTR_NAMES[cause] : EXCP_NAMES[cause]) ?? '(unknown)';
}

const hex16 = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(16, '0');

/** Enter privilege `newPriv` (riscv_cpu_set_mode): a mode change drops the LR reservation
 * (as QEMU) and the mmu indexes follow. */
export function riscvCpuSetMode(env: CPURISCVState, newPriv: number): void {
  if (newPriv !== env.priv) {
    env.set32('load_res_valid', 0);
    if (riscvModeHooks.beforeSwitch) riscvModeHooks.beforeSwitch(env);
  }
  env.priv = newPriv;
  riscvUpdateMmuIdx(env);
}

/** Recompute mmu_idx_data (priv, or MPP under MPRV in M; SUM selects S_SUM) and mmu_idx_fetch,
 * and the pointer masking that follows the same effective mode. */
export function riscvUpdateMmuIdx(env: CPURISCVState): void {
  riscvPmUpdate(env);
  if (env.userMode) {
    env.set32('mmu_idx_data', MmuIdx.U);
    env.set32('mmu_idx_fetch', MmuIdx.U);
    return;
  }
  if (hypEnabled(env)) { hypUpdateMmuIdx(env); return; }
  const priv = env.priv;
  const ms = env.get32('mstatus');
  const fetch = priv === Priv.M ? MmuIdx.M : priv === Priv.S ? MmuIdx.S : MmuIdx.U;
  const dataPriv = priv === Priv.M && (ms & Mstatus.MPRV) ? (ms & Mstatus.MPP) >> Mstatus.MPP_SHIFT : priv;
  let data: number;
  if (dataPriv === Priv.M) data = MmuIdx.M;
  else if (dataPriv === Priv.S) data = ms & Mstatus.SUM ? MmuIdx.S_SUM : MmuIdx.S;
  else data = MmuIdx.U;
  env.set32('mmu_idx_data', data);
  env.set32('mmu_idx_fetch', fetch);
}

/**
 * Take exception `cause` at env.pc (the faulting instruction). In user mode (env.userMode) the
 * trap is only recorded: scause/stval, pc unchanged, exit_request set (run() returns
 * CpuExit.EXCEPTION).
 */
export function riscvRaiseException(env: CPURISCVState, cause: number, tval: bigint): void {
  env.exceptions++;
  if (env.userMode) {
    env.set64('scause', BigInt(cause));
    env.set64('stval', tval);
    env.set32('exit_request', 1);
    return;
  }
  riscvCpuDoInterrupt(env, false, cause, tval);
}

/** Trap entry (riscv_cpu_do_interrupt): delegation, xepc/xcause/xtval, xstatus stack, vector. */
export function riscvCpuDoInterrupt(env: CPURISCVState, async: boolean, cause: number, tval: bigint): void {
  const pc = env.pc;
  if (qemuLogEnabled(LogMask.CPU_LOG_INT)) {
    qemuLog(`riscv_cpu_do_interrupt: hart:${env.hartid}, async:${async ? 1 : 0}, cause:${hex16(BigInt(cause))}, ` +
      `epc:0x${hex16(pc)}, tval:0x${hex16(tval)}, desc=${trapName(cause, async)}\n`);
  }
  if (hypEnabled(env)) { hypDoInterrupt(env, async, cause, tval, riscvCpuSetMode, trapVector); return; }
  const priv = env.priv;
  const deleg = async ? env.get32('mideleg') : Number(env.get64('medeleg') & 0xffffffffn);
  const xcause = BigInt(cause) | (async ? 1n << 63n : 0n);
  let ms = env.get32('mstatus');
  if (priv <= Priv.S && cause < 32 && (((deleg >>> cause) & 1) !== 0 || (async && aiaSInjected(env, cause)))) {
    ms = ms & Mstatus.SIE ? ms | Mstatus.SPIE : ms & ~Mstatus.SPIE;
    ms = priv === Priv.S ? ms | Mstatus.SPP : ms & ~Mstatus.SPP;
    ms &= ~Mstatus.SIE;
    env.set32('mstatus', ms);
    env.set64('scause', xcause);
    env.set64('sepc', pc);
    env.set64('stval', tval);
    env.pc = trapVector(env.get64('stvec'), async, cause);
    riscvCpuSetMode(env, Priv.S);
  } else {
    ms = ms & Mstatus.MIE ? ms | Mstatus.MPIE : ms & ~Mstatus.MPIE;
    ms = (ms & ~Mstatus.MPP) | (priv << Mstatus.MPP_SHIFT);
    ms &= ~Mstatus.MIE;
    env.set32('mstatus', ms);
    env.set64('mcause', xcause);
    env.set64('mepc', pc);
    env.set64('mtval', tval);
    env.pc = trapVector(env.get64('mtvec'), async, cause);
    riscvCpuSetMode(env, Priv.M);
  }
}

function trapVector(tvec: bigint, async: boolean, cause: number): bigint {
  const base = tvec & ~3n;
  return async && (tvec & 3n) === 1n ? base + BigInt(cause * 4) : base;
}

/** mip as software sees it: the device-driven bits and SSIP/STIP in the state field, plus the
 * software-written SEIP kept apart from the PLIC's line (QEMU ORs them the same way). */
export function riscvReadMip(env: CPURISCVState): number {
  return env.get32('mip') | (env.get32('software_seip') ? 1 << 9 : 0) | aiaGuestVseip(env);
}

/** Which of several pending interrupts of one level goes first. Without Smaia/Ssaia (QEMU's
 * rv64 CPU has neither) QEMU takes the lowest-numbered one (ctz of the pending bits), not the
 * spec's MEI > MSI > MTI order; checked on qemu-system-riscv64 (SSI before STI before SEI). */
function highestPriority(pending: number): number {
  return 31 - Math.clz32(pending & -pending);
}

/** The interrupt to take now, or -1 (riscv_cpu_local_irq_pending): M-level ones first, each
 * enabled when below that level or at it with xIE set. */
export function riscvCpuLocalIrqPending(env: CPURISCVState): number {
  const pending = riscvReadMip(env) & env.get32('mie');
  const virtS = aiaVirtSIrqs(env); // Smaia's mvien/mvip interrupts for S
  if (pending === 0 && virtS === 0 && (hypVsLocal.pending === null || hypVsLocal.pending(env) === 0n)) return -1;
  if (hypEnabled(env)) return hypLocalIrqPending(env, pending, (irqs, m) => pickIrq(env, irqs, m), virtS);
  const priv = env.priv;
  const ms = env.get32('mstatus');
  const mideleg = env.get32('mideleg');
  const mEnabled = priv < Priv.M || (ms & Mstatus.MIE) !== 0;
  const mIrqs = mEnabled ? pending & ~mideleg : 0;
  if (mIrqs) return pickIrq(env, mIrqs, true);
  const sEnabled = priv < Priv.S || (priv === Priv.S && (ms & Mstatus.SIE) !== 0);
  const sIrqs = sEnabled ? (pending & mideleg) | virtS : 0;
  if (!sIrqs) return -1;
  return pickIrq(env, sIrqs, false);
}

/** One of an M-level or S-level set: by the AIA priorities with Smaia/Ssaia, else the lowest. */
function pickIrq(env: CPURISCVState, irqs: number, mLevel: boolean): number {
  if (mLevel) return riscvCpuHas('smaia') ? aiaPendingToIrq(irqs, 11, IPRIO_DEFAULT_M, aiaState(env).miprio) : highestPriority(irqs);
  return riscvCpuHas('ssaia') ? aiaPendingToIrq(irqs, 9, IPRIO_DEFAULT_S, aiaState(env).siprio) : highestPriority(irqs);
}

/** Take a pending enabled interrupt (EPC = env.pc); true when one was taken. */
export function riscvCpuExecInterrupt(env: CPURISCVState): boolean {
  if (env.userMode) return false;
  const irq = riscvCpuLocalIrqPending(env);
  if (irq < 0) return false;
  riscvCpuDoInterrupt(env, true, irq, 0n);
  return true;
}

/** wfi wakes when any interrupt is pending and enabled in mie, whatever the global enables. */
export function riscvCpuHasWork(env: CPURISCVState): boolean {
  return (riscvReadMip(env) & env.get32('mie')) !== 0 || aiaVirtSIrqs(env) !== 0 ||
    (hypVsLocal.pending !== null && hypVsLocal.pending(env) !== 0n);
}

/** Extensions' own reset steps (priv-ext.ts and the like register theirs). */
export const riscvResetHooks: ((env: CPURISCVState) => void)[] = [];

/** Architectural reset (QEMU's riscv_cpu_reset_hold for this CPU): M mode, mstatus with only
 * SXL/UXL = 64-bit, delegation/enables/counters/satp/PMP cleared, pc = resetVector.
 * Hardware-driven mip bits (timer, software, external lines) are left to their devices. */
export function riscvCpuReset(env: CPURISCVState, resetVector: bigint): void {
  env.set64('mstatus', MSTATUS_XL_FIXED);
  env.set64('misa', misaValue(riscvCpuCfg()));
  env.set64('vtype', 1n << 63n); // vill until the first vsetvl
  env.set64('mhartid', BigInt(env.hartid));
  for (const f of ['medeleg', 'mideleg', 'mie', 'mtvec', 'mepc', 'mcause', 'mtval', 'mscratch', 'stvec', 'sepc',
    'scause', 'stval', 'sscratch', 'satp', 'menvcfg', 'senvcfg', 'mseccfg', 'mcycle_offset', 'minstret_offset']) env.set64(f, 0n);
  env.set64('mip', env.get64('mip') & ~0x22n); // SSIP, STIP: software-only bits
  for (const f of ['mcounteren', 'scounteren', 'mcountinhibit', 'fflags', 'frm', 'load_res_valid', 'wfi', 'exit_request',
    'software_seip']) env.set32(f, 0);
  pmpReset(env);
  for (const h of riscvResetHooks) h(env);
  hypReset(env);
  aiaCpuReset(env);
  env.pc = resetVector;
  env.priv = env.userMode ? Priv.U : Priv.M;
  riscvUpdateMmuIdx(env);
  riscvTlbFlush(env);
}
