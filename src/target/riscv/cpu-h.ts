// The H extension (privileged spec chapter 9; QEMU's RVH code in target/riscv/cpu_helper.c and
// op_helper.c): the virtualization mode V, the swap of S-level state at every change of V,
// trap entry and return across V, and the interrupt priorities with VS-level interrupts.
//
// Like QEMU, the S-level CSR fields hold the guest's (VS) values while V=1 and the vs* fields
// hold HS's; riscvCpuSwapHypervisorRegs exchanges them. So S-mode code paths (delegated traps,
// sret, satp translation, sstatus) need no change to serve a guest, and V=0 and V=1 use
// separate mmu indexes (cpu-state.ts MmuIdx.VU/VS/VS_SUM), so the TLB never mixes them.
//
// Everything here runs only when misa.H is set (riscvCpuHas('h') at reset): the base hart's
// code paths test that bit and stay as they were otherwise.
import { type CPURISCVState, MmuIdx } from './cpu-state.js';
import { Mstatus, Priv } from './cpu_bits.js';
import { registerRiscvExtension } from './cpu-cfg.js';
import { riscvTrapTinst } from './hyp-tinst.js';
import { aiaSInjected } from './aia_helper.js';

registerRiscvExtension({ name: 'h' });

/** misa.H (bit 7). */
export const MISA_H = 1 << 7;

export const enum HypExcp {
  VS_ECALL = 10,
  INST_GUEST_PAGE_FAULT = 20,
  LOAD_GUEST_PAGE_FAULT = 21,
  VIRT_INSTRUCTION = 22,
  STORE_GUEST_PAGE_FAULT = 23,
}

export const enum Hstatus {
  VSBE = 1 << 5,
  GVA = 1 << 6,
  SPV = 1 << 7,
  SPVP = 1 << 8,
  HU = 1 << 9,
  VTVM = 1 << 20,
  VTW = 1 << 21,
  VTSR = 1 << 22,
}
/** mstatus.GVA (bit 38) and mstatus.MPV (bit 39), in the upper word. */
export const MSTATUS_HI_GVA = 1 << 6;
export const MSTATUS_HI_MPV = 1 << 7;

/** VS-level interrupts VSSIP, VSTIP, VSEIP, and SGEIP. */
export const VS_INTS = 0x444;
export const SGEIP = 1 << 12;

/** mstatus bits that belong to the current S level (swapped with vsstatus at changes of V). */
const SWAP_MSTATUS = Mstatus.SIE | Mstatus.SPIE | Mstatus.SPP | Mstatus.FS | Mstatus.SUM | Mstatus.MXR;
const SWAP_FIELDS = [['stvec', 'vstvec'], ['sscratch', 'vsscratch'], ['sepc', 'vsepc'], ['scause', 'vscause'],
  ['stval', 'vstval'], ['satp', 'vsatp']] as const;

export function hypEnabled(env: CPURISCVState): boolean {
  return (env.get32('misa') & MISA_H) !== 0;
}

export function hypVirt(env: CPURISCVState): boolean {
  return env.get32('virt') !== 0;
}

/** Exchange the S-level state with the vs* copies (QEMU's riscv_cpu_swap_hypervisor_regs). An
 * FS that the guest made dirty also marks HS's FS dirty (generated code sets only the live one). */
export function riscvCpuSwapHypervisorRegs(env: CPURISCVState): void {
  let ms = env.get32('mstatus');
  const hidden = env.get32('vs_fs_hidden');
  if (hidden) {
    ms = (ms & ~Mstatus.FS) | ((hidden - 1) << Mstatus.FS_SHIFT);
    env.set32('vs_fs_hidden', 0);
  }
  let other = Number(env.get64('vsstatus') & 0xffffffffn) & SWAP_MSTATUS;
  if (env.get32('virt') && (ms & Mstatus.FS) === Mstatus.FS && (other & Mstatus.FS)) other |= Mstatus.FS;
  if (!env.get32('virt') && !(ms & Mstatus.FS) && (other & Mstatus.FS)) {
    // Entering V=1 with HS's FS Off: the guest's FS waits aside, the live one reads Off.
    env.set32('vs_fs_hidden', 1 + ((other & Mstatus.FS) >> Mstatus.FS_SHIFT));
    other &= ~Mstatus.FS;
  }
  // Leaving V=1, vsstatus becomes the guest's bits with UXL = 64-bit (as QEMU's swap leaves it).
  env.set64('vsstatus', BigInt(ms & SWAP_MSTATUS) | 0x200000000n);
  env.set32('mstatus', (ms & ~SWAP_MSTATUS) | other);
  for (const [a, b] of SWAP_FIELDS) {
    const t = env.get64(a);
    env.set64(a, env.get64(b));
    env.set64(b, t);
  }
}

/** Called before every change of privilege or V once set (pmu-modes.ts's accounting). */
export const riscvModeHooks: { beforeSwitch: ((env: CPURISCVState) => void) | null } = { beforeSwitch: null };

/** Enter (1) or leave (0) the virtualization mode; the caller swapped the registers. */
export function riscvCpuSetVirt(env: CPURISCVState, v: number): void {
  if (riscvModeHooks.beforeSwitch && v !== env.get32('virt')) riscvModeHooks.beforeSwitch(env);
  env.set32('virt', v);
}

/** The mmu indexes with H (see cpu_helper.ts riscvUpdateMmuIdx): V=1, or M-mode data accesses
 * under MPRV with MPV=1, use the two-stage indexes. */
export function hypUpdateMmuIdx(env: CPURISCVState): void {
  const priv = env.priv;
  const ms = env.get32('mstatus');
  const virt = env.get32('virt') !== 0;
  const fetch = priv === Priv.M ? MmuIdx.M : virt ? (priv === Priv.S ? MmuIdx.VS : MmuIdx.VU)
    : priv === Priv.S ? MmuIdx.S : MmuIdx.U;
  let dataPriv = priv;
  let dataVirt = virt;
  if (priv === Priv.M && (ms & Mstatus.MPRV)) {
    dataPriv = (ms & Mstatus.MPP) >> Mstatus.MPP_SHIFT;
    dataVirt = dataPriv !== Priv.M && (env.get32('mstatus', 1) & MSTATUS_HI_MPV) !== 0;
  }
  let data: number;
  if (dataPriv === Priv.M) data = MmuIdx.M;
  else if (dataVirt) {
    // From V=0 (MPRV with MPV) the guest's SUM is in vsstatus (QEMU 10.2; 7.2 took SUM=1).
    const sum = ((virt ? ms : Number(env.get64('vsstatus') & 0xffffffffn)) & Mstatus.SUM) !== 0;
    data = dataPriv === Priv.S ? (sum ? MmuIdx.VS_SUM : MmuIdx.VS) : MmuIdx.VU;
  } else if (dataPriv === Priv.S) data = ms & Mstatus.SUM ? MmuIdx.S_SUM : MmuIdx.S;
  else data = MmuIdx.U;
  env.set32('mmu_idx_data', data);
  env.set32('mmu_idx_fetch', fetch);
}

/** What the last failed translation left for the trap entry: the guest physical address of
 * a guest-page fault (>> 2 goes to htval/mtval2; 0 otherwise) and whether the access was
 * two-stage (hstatus.GVA / mstatus.GVA for an address exception). */
/** `indirect`: the fault is the G stage's, for a page-table read of the VS-stage walk. */
export const hypFault = { gpa: 0n, twoStage: false, indirect: false };

const ADDR_CAUSES = (1 << 0) | (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 12) | (1 << 13) | (1 << 15) |
  (1 << 20) | (1 << 21) | (1 << 23);

/**
 * Trap entry with H (QEMU's riscv_cpu_do_interrupt, RVH parts): delegation to HS by
 * medeleg/mideleg and from there to VS by hedeleg/hideleg (V=1 only), VS interrupt causes
 * shifted to their S numbers for the guest, hstatus.SPV/SPVP/GVA, mstatus.MPV/GVA,
 * htval/mtval2 = guest physical address >> 2 of a guest-page fault, htinst/mtinst as QEMU 10.2
 * (the transformed instruction, hyp-tinst.ts).
 */
export function hypDoInterrupt(env: CPURISCVState, async: boolean, causeIn: number, tval: bigint,
  setMode: (env: CPURISCVState, priv: number) => void, vector: (tvec: bigint, async: boolean, cause: number) => bigint): void {
  const pc = env.pc;
  const priv = env.priv;
  const virt = env.get32('virt');
  let cause = causeIn;
  if (!async && cause === 9 && virt) cause = HypExcp.VS_ECALL;
  // tval holds a guest virtual address: any address exception from V=1, or a two-stage
  // access from V=0 (HLV/HSV, MPRV with MPV).
  let writeGva = !async && cause < 32 && ((ADDR_CAUSES >>> cause) & 1) !== 0 && (hypFault.twoStage || virt !== 0);
  const gpa = hypFault.gpa;
  const tinst = async ? 0n : riscvTrapTinst(env, causeIn, tval, hypFault.indirect);
  hypFault.gpa = 0n;
  hypFault.twoStage = false;
  hypFault.indirect = false;
  const deleg = async ? env.get32('mideleg') : Number(env.get64('medeleg') & 0xffffffffn);
  let ms: number;
  const vsInjected = async && cause > 12 && hypVsLocal.injected !== null && hypVsLocal.injected(env, cause);
  if (priv <= Priv.S && (vsInjected || (cause < 32 && (((deleg >>> cause) & 1) !== 0 || (async && aiaSInjected(env, cause)))))) {
    const hdeleg = async ? env.get32('hideleg') : Number(env.get64('hedeleg') & 0xffffffffn);
    let htval = 0n;
    let hs = env.get32('hstatus');
    if (virt && (vsInjected || ((hdeleg >>> cause) & 1) !== 0)) {
      if (async && (cause === 2 || cause === 6 || cause === 10)) cause -= 1;
      writeGva = false;
    } else if (virt) {
      riscvCpuSwapHypervisorRegs(env);
      hs = (hs & ~Hstatus.SPVP) | (priv & 1 ? Hstatus.SPVP : 0);
      hs |= Hstatus.SPV;
      htval = gpa;
      riscvCpuSetVirt(env, 0);
    } else {
      hs &= ~Hstatus.SPV;
      htval = gpa;
    }
    hs = writeGva ? hs | Hstatus.GVA : hs & ~Hstatus.GVA;
    env.set32('hstatus', hs);
    ms = env.get32('mstatus');
    ms = ms & Mstatus.SIE ? ms | Mstatus.SPIE : ms & ~Mstatus.SPIE;
    ms = priv === Priv.S ? ms | Mstatus.SPP : ms & ~Mstatus.SPP;
    ms &= ~Mstatus.SIE;
    env.set32('mstatus', ms);
    env.set64('scause', BigInt(cause) | (async ? 1n << 63n : 0n));
    env.set64('sepc', pc);
    env.set64('stval', tval);
    env.set64('htval', htval);
    env.set64('htinst', tinst);
    env.pc = vector(env.get64('stvec'), async, cause);
    setMode(env, Priv.S);
  } else {
    if (virt) riscvCpuSwapHypervisorRegs(env);
    let hi = env.get32('mstatus', 1);
    hi = virt ? hi | MSTATUS_HI_MPV : hi & ~MSTATUS_HI_MPV;
    hi = writeGva ? hi | MSTATUS_HI_GVA : hi & ~MSTATUS_HI_GVA;
    env.set32('mstatus', hi, 1);
    riscvCpuSetVirt(env, 0);
    ms = env.get32('mstatus');
    ms = ms & Mstatus.MIE ? ms | Mstatus.MPIE : ms & ~Mstatus.MPIE;
    ms = (ms & ~Mstatus.MPP) | (priv << Mstatus.MPP_SHIFT);
    ms &= ~Mstatus.MIE;
    env.set32('mstatus', ms);
    env.set64('mcause', BigInt(cause) | (async ? 1n << 63n : 0n));
    env.set64('mepc', pc);
    env.set64('mtval', tval);
    env.set64('mtval2', gpa);
    env.set64('mtinst', tinst);
    env.pc = vector(env.get64('mtvec'), async, cause);
    setMode(env, Priv.M);
  }
}

/** AIA's VS-level interrupts 13-63 that hvien/hvip inject (csr-hvi.ts installs these once a
 * hypervisor writes hvien): `pending`, the injected ones pending and enabled in vsie (QEMU's
 * irqs_f_vs); `pick`, the VS-level interrupt to take among the delegated VS bits (mip numbering)
 * and those (hviprio order, QEMU's riscv_cpu_local_irq_pending); `injected`, whether interrupt
 * `cause` comes from hvip (QEMU's vs_injected). */
export const hypVsLocal: {
  pending: ((env: CPURISCVState) => bigint) | null;
  pick: ((env: CPURISCVState, delegated: number) => number) | null;
  injected: ((env: CPURISCVState, cause: number) => boolean) | null;
} = { pending: null, pick: null, injected: null };

/** QEMU without AIA takes the lowest-numbered pending interrupt of a level. */
function lowest(pending: number): number {
  return 31 - Math.clz32(pending & -pending);
}

/** riscv_cpu_local_irq_pending with H: M level, then HS (mideleg & ~hideleg; always enabled
 * while V=1), then VS (mideleg & hideleg; only while V=1, by the guest's SIE). */
export function hypLocalIrqPending(env: CPURISCVState, pending: number,
  pick: (irqs: number, mLevel: boolean) => number = lowest, virtS = 0): number {
  const priv = env.priv;
  const ms = env.get32('mstatus');
  const virt = env.get32('virt') !== 0;
  const mideleg = env.get32('mideleg');
  const hideleg = env.get32('hideleg');
  const mie = priv < Priv.M || (ms & Mstatus.MIE) !== 0;
  const sEnabled = priv < Priv.S || (priv === Priv.S && (ms & Mstatus.SIE) !== 0);
  const hsie = virt || sEnabled;
  const vsie = virt && sEnabled;
  let irqs = mie ? pending & ~mideleg : 0;
  if (irqs) return pick(irqs, true);
  irqs = hsie ? (pending & mideleg & ~hideleg) | virtS : 0; // virtS: Smaia's mvip interrupts
  if (irqs) return pick(irqs, false);
  irqs = vsie ? pending & mideleg & hideleg : 0;
  if (vsie && hypVsLocal.pick) return hypVsLocal.pick(env, irqs);
  if (irqs) return lowest(irqs);
  return -1;
}

/** sret from HS with H: V = hstatus.SPV (then SPV = 0); the caller did the mstatus part and
 * sets the privilege afterwards. */
export function hypSret(env: CPURISCVState): void {
  if (env.get32('virt')) return;
  const hs = env.get32('hstatus');
  const prevVirt = hs & Hstatus.SPV ? 1 : 0;
  env.set32('hstatus', hs & ~Hstatus.SPV);
  if (prevVirt) {
    riscvCpuSwapHypervisorRegs(env);
    riscvCpuSetVirt(env, 1);
  }
}

/** mret with H: V = mstatus.MPV (then MPV = 0) when returning below M. */
export function hypMret(env: CPURISCVState, prevPriv: number): void {
  const hi = env.get32('mstatus', 1);
  const prevVirt = hi & MSTATUS_HI_MPV && prevPriv !== Priv.M ? 1 : 0;
  env.set32('mstatus', hi & ~MSTATUS_HI_MPV, 1);
  if (prevVirt) {
    riscvCpuSwapHypervisorRegs(env);
    riscvCpuSetVirt(env, 1);
  }
}

/** Reset with H: V = 0, every hypervisor CSR 0. */
export function hypReset(env: CPURISCVState): void {
  env.set32('virt', 0);
  env.set32('vs_fs_hidden', 0);
  for (const f of ['hcounteren', 'hstatus', 'hedeleg', 'hideleg', 'hgeie', 'htval', 'htinst', 'hgatp', 'htimedelta', 'henvcfg', 'vsstatus',
    'vstvec', 'vsscratch', 'vsepc', 'vscause', 'vstval', 'vsatp', 'mtval2', 'mtinst']) env.set64(f, 0n);
  env.set64('hstatus', 0x200000000n); // VSXL = 64-bit
  env.set64('vsstatus', 0xa00000000n); // as QEMU: UXL (and SXL) = 64-bit
}
