// Pointer masking (the ratified Zjpm 1.0: Smmpm, Smnpm, Ssnpm, and Supm/Sspm, the names the
// profiles use for "the execution environment gives U/S mode pointer masking").
//
// PMM fields (00 off, 01 reserved: a write of it leaves the field as it was, 10 PMLEN=7,
// 11 PMLEN=16): mseccfg.PMM (M-mode, Smmpm), menvcfg.PMM (S/HS, Smnpm), senvcfg.PMM (U and VU,
// Ssnpm), henvcfg.PMM (VS, Ssnpm), hstatus.HUPMM (HLV/HSV executed in U-mode as VU, Ssnpm).
// Every explicit data access (loads, stores, AMOs, LR/SC, FP, vector, CBO, HLV/HSV) of the
// effective privilege mode (MPRV/MPP/MPV; hstatus.SPVP for HLV/HSV) has its effective address
// transformed: the top PMLEN bits become the sign extension of bit 63-PMLEN when the address
// is virtual (that mode translates: satp, or vsatp for VS/VU, not Bare), zeros when it is
// physical. Not applied: instruction fetch, page-table walks, HLVX, anything while MXR is in
// effect at the effective mode (mstatus.MXR, and vsstatus.MXR for VS/VU), M-mode's own
// accesses without Smmpm. stval/mtval get the transformed address (the access faults there).
//
// Where: the transformation is kept as two shift counts in the state (pm_shift, pm_zshift,
// recomputed with the mmu indexes and at each write of a CSR it depends on), so the generated
// code of every load and store (DisasContext.pmMask, translate.ts) applies it with four
// shifts, and only in a configuration that has one of these extensions (the generated
// modules are cached by riscvCpuCfgKey); TypeScript helpers (vector, HLV/HSV) call
// riscvPmAdjust. QEMU 10.2's own helper (riscv_pm_get_pmm) predates the 2026 fixes that made
// it follow the specification for VU/VS and MXR (its commits 0f64c97d and 40540c8a); this
// implementation follows the specification, the tests derive their expectations from it.
import type { CPURISCVState } from './cpu-state.js';
import { Mstatus, Priv } from './cpu_bits.js';
import { registerRiscvExtension, riscvCpuHas } from './cpu-cfg.js';

registerRiscvExtension({ name: 'smmpm' });
registerRiscvExtension({ name: 'smnpm' });
registerRiscvExtension({ name: 'ssnpm' });
// Supm / Sspm only name the environment's facility: QEMU implies Ssnpm+Smnpm / Smnpm.
registerRiscvExtension({ name: 'supm' });
registerRiscvExtension({ name: 'sspm' });

/** True when the configuration has any pointer masking hardware (generation-time constant). */
export function riscvPmConfigured(): boolean {
  return riscvCpuHas('smmpm') || riscvCpuHas('smnpm') || riscvCpuHas('ssnpm');
}

export const PMM_RESERVED = 1;
/** PMLEN of a PMM value (the reserved 01 never gets stored). */
export function pmLen(pmm: number): number {
  return pmm === 2 ? 7 : pmm === 3 ? 16 : 0;
}

const MSTATUS_HI_MPV = 1 << 7; // mstatus bit 39
const HSTATUS_SPVP = 1 << 8;
const ATP_MODE_SHIFT = 60n;
const pmmOf = (env: CPURISCVState, field: string): number => env.get32(field, 1) & 3; // bits 33:32
const hupmm = (env: CPURISCVState): number => (env.get32('hstatus', 1) >> 16) & 3; // bits 49:48
const translates = (atp: bigint): boolean => (atp >> ATP_MODE_SHIFT) !== 0n;
const vsMxr = (env: CPURISCVState): boolean => (env.get32('vsstatus') & Mstatus.MXR) !== 0;

/** The guest's vsatp: while V=1 it is the live satp (cpu-h.ts swaps them), else vsatp. */
function guestAtp(env: CPURISCVState): bigint {
  return env.get64(env.get32('virt') ? 'satp' : 'vsatp');
}

/** The PMLEN and signedness of ordinary data accesses at the current effective mode. */
function dataPm(env: CPURISCVState): { len: number; virtual: boolean } {
  const off = { len: 0, virtual: false };
  if (env.userMode) {
    // tsqemu-riscv64: PR_SET_TAGGED_ADDR_CTRL keeps the task's senvcfg.PMM (as Linux does).
    return { len: pmLen(pmmOf(env, 'senvcfg')), virtual: true };
  }
  const ms = env.get32('mstatus');
  let priv = env.priv;
  let virt = env.get32('virt') !== 0;
  if (priv === Priv.M && (ms & Mstatus.MPRV)) {
    priv = (ms & Mstatus.MPP) >> Mstatus.MPP_SHIFT;
    virt = priv !== Priv.M && (env.get32('mstatus', 1) & MSTATUS_HI_MPV) !== 0;
  }
  if (priv === Priv.M) {
    return riscvCpuHas('smmpm') ? { len: pmLen(pmmOf(env, 'mseccfg')), virtual: false } : off;
  }
  // MXR in effect at the effective mode: HS's mstatus.MXR, and for VS/VU also vsstatus.MXR
  // (cpu-h.ts keeps whichever is not live in the vsstatus field, so both are checked).
  if (ms & Mstatus.MXR || (virt && vsMxr(env))) return off;
  if (virt) {
    if (!riscvCpuHas('ssnpm')) return off;
    const pmm = priv === Priv.S ? pmmOf(env, 'henvcfg') : pmmOf(env, 'senvcfg');
    return { len: pmLen(pmm), virtual: translates(guestAtp(env)) };
  }
  const pmm = priv === Priv.S ? (riscvCpuHas('smnpm') ? pmmOf(env, 'menvcfg') : 0) : (riscvCpuHas('ssnpm') ? pmmOf(env, 'senvcfg') : 0);
  return { len: pmLen(pmm), virtual: translates(env.get64('satp')) };
}

let csrInstaller: (() => void) | null = null;
/** csr-pm.ts hands over the wrapping of the CSR rows, done at the first update (a hart's reset). */
export function riscvPmSetCsrInstaller(f: () => void): void {
  csrInstaller = f;
}

/** Recompute pm_shift/pm_zshift (with the mmu indexes, and after the CSR writes of csr-pm.ts). */
export function riscvPmUpdate(env: CPURISCVState): void {
  if (!riscvPmConfigured()) return;
  if (csrInstaller) { const f = csrInstaller; csrInstaller = null; f(); }
  const { len, virtual } = dataPm(env);
  env.set64('pm_shift', BigInt(virtual ? len : 0));
  env.set64('pm_zshift', BigInt(virtual ? 0 : len));
}

function transform(va: bigint, len: number, virtual: boolean): bigint {
  if (!len) return va;
  return virtual ? BigInt.asUintN(64, BigInt.asIntN(64 - len, va)) : BigInt.asUintN(64 - len, va);
}

/** The transformed effective address of an ordinary data access (vector elements). */
export function riscvPmAdjust(env: CPURISCVState, va: bigint): bigint {
  const s = Number(env.get64('pm_shift')), z = Number(env.get64('pm_zshift'));
  return s ? transform(va, s, true) : z ? transform(va, z, false) : va;
}

/** HLV/HSV (not HLVX): the mode is VS with hstatus.SPVP, else VU, whose PMM is hstatus.HUPMM
 * when the instruction runs in U-mode and senvcfg.PMM in HS/M; virtual iff vsatp translates. */
export function riscvPmAdjustHlsv(env: CPURISCVState, va: bigint, hlvx: boolean): bigint {
  if (hlvx || !riscvCpuHas('ssnpm')) return va;
  if (env.get32('mstatus') & Mstatus.MXR || vsMxr(env)) return va;
  const pmm = env.get32('hstatus') & HSTATUS_SPVP ? pmmOf(env, 'henvcfg') : env.priv === Priv.U ? hupmm(env) : pmmOf(env, 'senvcfg');
  return transform(va, pmLen(pmm), translates(guestAtp(env)));
}
