// TEMPORARY stand-ins for priv's csr.ts / cpu_helper.ts / op_helper.ts / mmu.ts (M mode, bare,
// a handful of CSRs), so the core can be tested before they land. Deleted afterwards.
import { type CPURISCVState, STATE, TlbKind, tlbEntryOffset } from './cpu-state.js';

export function riscvRaiseException(env: CPURISCVState, cause: number, tval: bigint): void {
  env.set64('mepc', env.pc);
  env.set64('mcause', BigInt(cause));
  env.set64('mtval', tval);
  env.pc = env.get64('mtvec') & ~3n;
  env.priv = 3;
}

const CSR_FIELDS: Record<number, string> = {
  0x300: 'mstatus', 0x301: 'misa', 0x304: 'mie', 0x305: 'mtvec', 0x340: 'mscratch', 0x341: 'mepc',
  0x342: 'mcause', 0x343: 'mtval', 0x344: 'mip', 0xf14: 'mhartid', 0xb02: 'instret', 0xc02: 'instret',
  0xb00: 'instret', 0xc00: 'instret',
};

export function riscvCsrrw(env: CPURISCVState, csrno: number, rd: number, src: bigint, op: number, writes: boolean): number {
  const f = CSR_FIELDS[csrno];
  if (!f) { riscvRaiseException(env, 2, 0n); return 1; }
  const old = env.get64(f);
  let v = src;
  if (op === 1) v = old | src; else if (op === 2) v = old & ~src;
  env.setGpr(rd, old);
  if (writes) env.set64(f, v);
  return 0;
}

export function riscvHelperMret(env: CPURISCVState): number { env.pc = env.get64('mepc'); return 1; }
export function riscvHelperSret(env: CPURISCVState): number { riscvRaiseException(env, 2, 0n); return 1; }
export function riscvHelperWfi(_env: CPURISCVState): number { return 2; }
export function riscvHelperSfenceVma(_env: CPURISCVState, _rs1: number, _rs2: number): number { return 0; }
export function riscvHelperFenceI(_env: CPURISCVState): number { return 0; }
export function riscvHelperEcall(env: CPURISCVState): number { riscvRaiseException(env, 11, 0n); return 1; }
export function riscvHelperEbreak(env: CPURISCVState): number { riscvRaiseException(env, 3, env.pc); return 1; }
export function riscvCpuExecInterrupt(_env: CPURISCVState): boolean { return false; }
export function riscvUpdateMmuIdx(env: CPURISCVState): void { env.set32('mmu_idx_data', 3); env.set32('mmu_idx_fetch', 3); }
export function riscvCpuReset(env: CPURISCVState, resetVector: bigint): void {
  env.priv = 3;
  env.pc = resetVector;
  env.set64('mstatus', 0x2000n); // FS = Initial so F/D work in tests
  riscvUpdateMmuIdx(env);
  riscvTlbFlush(env);
}

export function riscvTlbFlush(env: CPURISCVState): void {
  for (let i = 0; i < 4 * 3 * 256; i++) env.view.setBigInt64(env.base + tlbEntryOffset(0, 0, i), -1n, true);
}

export function riscvTlbFill(env: CPURISCVState, vaddr: bigint, kind: TlbKind, size: number, mmuIdx: number):
  { hostOffset: number } | { mmioPa: number } | null {
  const pa = Number(vaddr);
  const page = pa - (pa & 0xfff);
  const host = env.as.ramHostOffset(page, 4096, kind === TlbKind.STORE);
  if (host >= 0) {
    const e = env.base + tlbEntryOffset(mmuIdx, kind, (pa >>> 12) & 255);
    env.view.setBigInt64(e, BigInt(page), true);
    env.view.setBigInt64(e + 8, BigInt(host - page), true);
    return { hostOffset: host + (pa & 0xfff) };
  }
  if (env.as.findMmio(pa)) return { mmioPa: pa };
  riscvRaiseException(env, kind === TlbKind.STORE ? 7 : kind === TlbKind.LOAD ? 5 : 1, vaddr);
  void size; void STATE;
  return null;
}
