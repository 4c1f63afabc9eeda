// The H instructions' helper (QEMU's helper_hyp_tlb_flush, helper_hyp_gvma_tlb_flush and the
// hyp_load/hyp_store helpers of op_helper.c), called by trans_rvh.ts with the instruction word.
// Statuses as op_helper.ts: 0 next, 1 trap taken or TLB flushed (pc left at the instruction).
import { riscvPmAdjustHlsv } from './pointer-masking.js';
import type { CPURISCVState } from './cpu-state.js';
import { MmuIdx, TlbKind } from './cpu-state.js';
import { Mstatus, Priv, RiscvExcp } from './cpu_bits.js';
import { riscvRaiseException } from './cpu_helper.js';
import { riscvTlbFlush } from './mmu.js';
import { hypTranslate } from './mmu-h.js';
import { HypExcp, Hstatus, hypFault } from './cpu-h.js';

const NEXT = 0, RELOAD = 1;

/** An access fault on a device page after translation: tval is a guest virtual address. */
function accessFault(env: CPURISCVState, cause: number, va: bigint): number {
  hypFault.twoStage = true;
  riscvRaiseException(env, cause, va);
  return RELOAD;
}

function raise(env: CPURISCVState, cause: number, insn: number): number {
  riscvRaiseException(env, cause, BigInt(insn >>> 0));
  return RELOAD;
}

/** Where the bytes [va, va+n) of one page are: host offset, or -1 with pa in `mmio`. */
const piece = { host: 0, mmio: 0 };
function xlate(env: CPURISCVState, va: bigint, kind: TlbKind, n: number, idx: number, hlvx: boolean): boolean {
  const r = hypTranslate(env, BigInt.asUintN(64, va), kind, n, idx, hlvx);
  if (!r) return false;
  if ('hostOffset' in r) { piece.host = r.hostOffset; piece.mmio = -1; } else { piece.host = -1; piece.mmio = r.mmioPa; }
  return true;
}

export function riscvHelperHyp(env: CPURISCVState, insn: number): number {
  const f7 = insn >>> 25;
  const rs2 = (insn >>> 20) & 31, rs1 = (insn >>> 15) & 31, rd = (insn >>> 7) & 31;
  const f3 = (insn >>> 12) & 7;
  const priv = env.priv;
  const virt = env.get32('virt') !== 0;
  if (f3 === 0) {
    // hfence.vvma / hfence.gvma: HS and M only; TVM traps hfence.gvma in HS.
    if (virt) return raise(env, HypExcp.VIRT_INSTRUCTION, insn);
    if (priv === Priv.U) return raise(env, RiscvExcp.ILLEGAL_INST, insn);
    if (f7 === 0x31 && priv === Priv.S && (env.get32('mstatus') & Mstatus.TVM)) return raise(env, RiscvExcp.ILLEGAL_INST, insn);
    riscvTlbFlush(env);
    return RELOAD;
  }
  const store = (f7 & 1) !== 0;
  const log2 = (f7 >> 1) & 3;
  const size = 1 << log2;
  // Valid: loads rs2 = 0 (signed), 1 (unsigned; not .d), 3 (hlvx, .h/.w only); stores rd = 0.
  if (store ? rd !== 0 : !(rs2 === 0 || (rs2 === 1 && log2 < 3) || (rs2 === 3 && (log2 === 1 || log2 === 2)))) {
    return raise(env, RiscvExcp.ILLEGAL_INST, insn);
  }
  if (virt) return raise(env, HypExcp.VIRT_INSTRUCTION, insn);
  if (priv === Priv.U && !(env.get32('hstatus') & Hstatus.HU)) return raise(env, RiscvExcp.ILLEGAL_INST, insn);
  const hlvx = !store && rs2 === 3;
  const spvp = (env.get32('hstatus') & Hstatus.SPVP) !== 0;
  const vsSum = (Number(env.get64('vsstatus') & 0xffffffffn) & Mstatus.SUM) !== 0;
  // HLVX ignores SUM (QEMU 10.2's check_access_hlsv).
  const idx = spvp ? (vsSum && !hlvx ? MmuIdx.VS_SUM : MmuIdx.VS) : MmuIdx.VU;
  const kind = store ? TlbKind.STORE : TlbKind.LOAD;
  const va = riscvPmAdjustHlsv(env, BigInt.asUintN(64, env.getGpr(rs1)), hlvx);
  const lo = Number(va & 0xfffn);
  const first = Math.min(size, 4096 - lo);
  const as = env.as;
  // Translate both pages first, so a fault on the second leaves memory untouched.
  const aligned = (lo & (size - 1)) === 0;
  if (!xlate(env, va, kind, aligned ? size : 1, idx, hlvx)) return RELOAD;
  const p0 = { ...piece };
  let p1 = { host: -1, mmio: -1 };
  if (first < size) {
    if (!xlate(env, va + BigInt(first), kind, 1, idx, hlvx)) return RELOAD;
    p1 = { ...piece };
  }
  const at = (i: number) => (i < first ? [p0, i] as const : [p1, i - first] as const);
  if (store) {
    const v = env.getGpr(rs2);
    if (p0.host >= 0 && first === size) {
      for (let i = 0; i < size; i++) as.bytes[p0.host + i] = Number((v >> BigInt(8 * i)) & 0xffn);
    } else if (p0.mmio >= 0 && first === size && aligned) {
      if (!as.store(p0.mmio, size, BigInt.asUintN(8 * size, v))) return accessFault(env, RiscvExcp.STORE_AMO_ACCESS_FAULT, va);
    } else {
      for (let i = 0; i < size; i++) {
        const [p, off] = at(i);
        const b = (v >> BigInt(8 * i)) & 0xffn;
        if (p.host >= 0) as.bytes[p.host + off] = Number(b);
        else if (!as.store(p.mmio + off, 1, b)) return accessFault(env, RiscvExcp.STORE_AMO_ACCESS_FAULT, va);
      }
    }
    return NEXT;
  }
  let v = 0n;
  if (p0.mmio >= 0 && first === size && aligned) {
    const r = as.load(p0.mmio, size);
    if (r === undefined) return accessFault(env, RiscvExcp.LOAD_ACCESS_FAULT, va);
    v = r;
  } else {
    for (let i = size - 1; i >= 0; i--) {
      const [p, off] = at(i);
      let b: bigint;
      if (p.host >= 0) b = BigInt(as.bytes[p.host + off]);
      else {
        const r = as.load(p.mmio + off, 1);
        if (r === undefined) return accessFault(env, RiscvExcp.LOAD_ACCESS_FAULT, va);
        b = r;
      }
      v = (v << 8n) | b;
    }
  }
  v = BigInt.asUintN(8 * size, v);
  if (rs2 === 0 && size < 8) v = BigInt.asIntN(8 * size, v);
  env.setGpr(rd, v);
  return NEXT;
}
