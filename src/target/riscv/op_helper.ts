// System-instruction helpers called from generated code (QEMU's target/riscv/op_helper.c).
//
// Calling convention (the CPU contract, made precise here):
//   - on entry env.pc is the pc of the instruction itself (generated code syncs it first);
//   - status 0: nothing to reload, go on with the next instruction;
//   - status 1: a trap was taken or state changed: continue at env.pc, which is the trap vector
//     or xepc for xret; for an instruction that completed and only asks for a reload (csrrw
//     with a state-changing write, sfence.vma) env.pc is left AT the instruction and the
//     caller completes it (pc += 4, instret += 1: cpu.ts's completed());
//     an xret that completed has retired: the helper itself counts it in instret (generated
//     code counts nothing for an instruction that ends in status 1);
//   - status 2: wfi sleeps: env.pc = the instruction after the wfi, state field `wfi` = 1,
//     the wfi counted in instret as retired; leave run() with CpuExit.WFI (the scheduler
//     clears `wfi` when it wakes the hart);
//   - status 3: ecall with env.userMode set: leave run() with CpuExit.ECALL, env.pc = the ecall.
//   riscvHelperSfenceVma takes the register numbers rs1/rs2 (as trans_privileged.ts passes
//   them); rs1 != x0 flushes that page for every ASID, rs1 = x0 everything (our TLB has no
//   ASID tags: a superset of what the spec requires; QEMU always flushes everything).
import { type CPURISCVState } from './cpu-state.js';
import { Mstatus, Priv, RiscvExcp } from './cpu_bits.js';
import { riscvCpuHasWork, riscvCpuSetMode, riscvRaiseException } from './cpu_helper.js';
import { riscvTlbFlush, riscvTlbFlushPage } from './mmu.js';
import { pmpGetNumRules } from './pmp.js';
import { HypExcp, Hstatus, hypEnabled, hypMret, hypSret } from './cpu-h.js';

export const enum HelperStatus { NEXT = 0, RELOAD = 1, WFI = 2, ECALL = 3 }

const INSN_MRET = 0x30200073;
const INSN_SRET = 0x10200073;
const INSN_WFI = 0x10500073;
const INSN_SFENCE_VMA = 0x12000073;

/** The instruction at env.pc retired although the helper moved pc (xret, sleeping wfi). */
function retire(env: CPURISCVState): void {
  env.set64('instret', env.get64('instret') + 1n);
}

function illegal(env: CPURISCVState, insn: number): number {
  riscvRaiseException(env, RiscvExcp.ILLEGAL_INST, BigInt(insn >>> 0));
  return HelperStatus.RELOAD;
}

/** H: the virtual-instruction exception (22), tval = the instruction as for illegal ones. */
function virtualInsn(env: CPURISCVState, insn: number): number {
  riscvRaiseException(env, HypExcp.VIRT_INSTRUCTION, BigInt(insn >>> 0));
  return HelperStatus.RELOAD;
}

/** V=1 and the hstatus bit set (VTSR, VTW, VTVM). */
function virtTrap(env: CPURISCVState, bit: number): boolean {
  return env.get32('virt') !== 0 && (env.get32('hstatus') & bit) !== 0;
}

/** mret: MIE = MPIE, MPIE = 1, MPP = U, MPRV cleared when returning below M, pc = mepc. QEMU
 * refuses to return to S/U while no PMP entry is active (instruction access fault). */
export function riscvHelperMret(env: CPURISCVState): number {
  if (env.priv < Priv.M) return illegal(env, INSN_MRET);
  let ms = env.get32('mstatus');
  const prev = (ms & Mstatus.MPP) >> Mstatus.MPP_SHIFT;
  if (prev !== Priv.M && pmpGetNumRules(env) === 0) {
    riscvRaiseException(env, RiscvExcp.INST_ACCESS_FAULT, 0n);
    return HelperStatus.RELOAD;
  }
  ms = ms & Mstatus.MPIE ? ms | Mstatus.MIE : ms & ~Mstatus.MIE;
  ms |= Mstatus.MPIE;
  ms &= ~Mstatus.MPP; // MPP = U
  if (prev !== Priv.M) ms &= ~Mstatus.MPRV;
  env.set32('mstatus', ms);
  retire(env);
  env.pc = env.get64('mepc');
  if (hypEnabled(env)) hypMret(env, prev);
  riscvCpuSetMode(env, prev);
  return HelperStatus.RELOAD;
}

/** sret: illegal in U, and in S when TSR; SIE = SPIE, SPIE = 1, SPP = U, MPRV cleared. */
export function riscvHelperSret(env: CPURISCVState): number {
  const priv = env.priv;
  let ms = env.get32('mstatus');
  if (priv < Priv.S || (priv === Priv.S && (ms & Mstatus.TSR))) return illegal(env, INSN_SRET);
  if (virtTrap(env, Hstatus.VTSR)) return virtualInsn(env, INSN_SRET);
  const prev = ms & Mstatus.SPP ? Priv.S : Priv.U;
  ms = ms & Mstatus.SPIE ? ms | Mstatus.SIE : ms & ~Mstatus.SIE;
  ms |= Mstatus.SPIE;
  ms &= ~(Mstatus.SPP | Mstatus.MPRV);
  env.set32('mstatus', ms);
  retire(env);
  env.pc = env.get64('sepc');
  if (hypEnabled(env)) hypSret(env);
  riscvCpuSetMode(env, prev);
  return HelperStatus.RELOAD;
}

/** wfi: illegal in U (S exists), and in S when TW. Sleeps unless an interrupt is already
 * pending in mip & mie. */
export function riscvHelperWfi(env: CPURISCVState): number {
  const priv = env.priv;
  const virt = env.get32('virt') !== 0;
  if ((priv === Priv.U && !virt) || (priv === Priv.S && (env.get32('mstatus') & Mstatus.TW))) return illegal(env, INSN_WFI);
  if (virt && (priv === Priv.U || (env.get32('hstatus') & Hstatus.VTW))) return virtualInsn(env, INSN_WFI);
  if (riscvCpuHasWork(env)) return HelperStatus.NEXT;
  env.pc = env.pc + 4n;
  retire(env);
  env.set32('wfi', 1);
  return HelperStatus.WFI;
}

/** sfence.vma: illegal in U, and in S when TVM; flushes the page x[rs1], or all. */
export function riscvHelperSfenceVma(env: CPURISCVState, rs1: number, rs2: number): number {
  const priv = env.priv;
  if (priv === Priv.U || (priv === Priv.S && (env.get32('mstatus') & Mstatus.TVM))) {
    return illegal(env, INSN_SFENCE_VMA | ((rs2 & 31) << 20) | ((rs1 & 31) << 15));
  }
  if (virtTrap(env, Hstatus.VTVM)) return virtualInsn(env, INSN_SFENCE_VMA | ((rs2 & 31) << 20) | ((rs1 & 31) << 15));
  // V=1: its entries do not record superpages (mmu-h.ts), so a page flush flushes all.
  if (rs1 !== 0 && !env.get32('virt')) riscvTlbFlushPage(env, env.getGpr(rs1));
  else riscvTlbFlush(env);
  return HelperStatus.RELOAD;
}

/** fence.i: nothing to do on the TypeScript side (translated code invalidation is core's). */
export function riscvHelperFenceI(_env: CPURISCVState): number {
  return HelperStatus.NEXT;
}

/** ecall: environment call from U/S/M (cause 8/9/11, tval 0); in user mode, leave run(). */
export function riscvHelperEcall(env: CPURISCVState): number {
  if (env.userMode) return HelperStatus.ECALL;
  const priv = env.priv;
  const cause = priv === Priv.M ? RiscvExcp.M_ECALL : priv === Priv.S ? RiscvExcp.S_ECALL : RiscvExcp.U_ECALL;
  riscvRaiseException(env, cause, 0n);
  return HelperStatus.RELOAD;
}

/** ebreak (and c.ebreak): breakpoint, tval = pc (as QEMU). */
export function riscvHelperEbreak(env: CPURISCVState): number {
  riscvRaiseException(env, RiscvExcp.BREAKPOINT, env.pc);
  return HelperStatus.RELOAD;
}

