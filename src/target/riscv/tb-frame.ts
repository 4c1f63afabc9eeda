// Block compiler: the fixed parts of a translated region's function (translate-block.ts
// emits the runs between them): the prologue's fetch-mapping checks, the entry loads of the
// registers live at the entry run, and the exit's direct chaining through the jump cache.
import { type FunctionBuilder, type Label, type Local, ValType } from '../../tcg/wasm-builder.js';
import { STATE, TB_JMP_ENTRIES, TB_JMP_HASH_SHIFT, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, TLB_OFFSET, TlbKind, tlbSlot } from './cpu-state.js';
import { TB_MISS } from './interpreter.js';
import type { Helpers } from './translate.js';
import type { TbSource } from './tb-decode.js';

const I32 = ValType.I32;
const GPR = STATE.gpr.offset;
const IDX_BYTES = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;

export const popcount = (m: number) => { let c = 0; for (; m; m &= m - 1) c++; return c; };
export const maskRegs = (m: number) => { const out: number[] = []; for (let r = 1; r < 32; r++) if (m & (1 << r)) out.push(r); return out; };

/** Load the registers live at the entry run `cur` (regionFlow): those live at every entry
 * first, the others per entry (an unknown entry loads them all). With `to` (the label of the
 * top-level unit holding each run, the load code placed where the region's top dispatch would
 * be), each load sequence branches straight to its entries' units instead of joining the
 * others first: at a join TurboFan merges every register in a phi, so a small entry (a return
 * into a big region: 3 registers live) moved a zero or a value into each of the ~19 phis of the
 * registers the other entries load, most of them spill slots. */
export function emitEntryLoads(fb: FunctionBuilder, env: Local, cur: Local, regs: ReadonlyMap<number, Local>, liveIn: readonly number[],
  to?: readonly Label[]): void {
  const all = liveIn.reduce((a, m) => a | m, 0);
  const common = liveIn.reduce((a, m) => a & m, all);
  const load = (m: number) => {
    for (let r = 1; r < 32; r++) if (m & (1 << r)) { fb.get(env); fb.i64Load(GPR + r * 8); fb.set(regs.get(r) as Local); }
  };
  // The top dispatch for the entries in `runs`: the other slots of its table name one of their
  // units too (never taken), so no unit is a successor of two load sequences.
  const dispatch = (runs: number[]) => {
    if (!to) return;
    // No entry takes it (set 0 when every entry has its own): only an unknown entry.
    if (!runs.length) runs = to.map((_, r) => r);
    const mine = new Set(runs);
    const units = new Set(runs.map((r) => to[r]));
    if (units.size === 1) { fb.br(to[runs[0]]); return; }
    fb.get(cur); fb.brTable(to.map((l, r) => (mine.has(r) ? l : to[runs[0]])), to[runs[0]]);
  };
  load(common);
  const n = liveIn.length;
  const every = Array.from({ length: n }, (_, r) => r);
  if (all === common) { dispatch(every); return; }
  // One load sequence per distinct set; an entry needing all but one or two of the registers
  // loads them all (the default, also for an unknown entry).
  const sets = [all];
  const which = liveIn.map((m) => {
    if (popcount(all & ~m) < 3) return 0;
    const k = sets.indexOf(m);
    return k >= 0 ? k : sets.push(m) - 1;
  });
  if (sets.length === 1) { load(all & ~common); dispatch(every); return; }
  const join = to ? null : fb.block();
  const labels: Label[] = [];
  for (let k = sets.length - 1; k >= 0; k--) labels[k] = fb.block();
  fb.get(cur); fb.brTable(which.map((k) => labels[k]), labels[0]);
  for (let k = 0; k < sets.length; k++) {
    fb.end();
    load(sets[k] & ~common);
    if (join) fb.br(join);
    else dispatch(every.filter((r) => which[r] === k));
  }
  if (join) fb.end();
}

/** Push i32: pointer masking is in effect for data accesses (pm_shift | pm_zshift != 0). */
export function emitPmInEffect(fb: FunctionBuilder, env: Local): void {
  fb.get(env); fb.i64Load(STATE.pm_shift.offset); fb.get(env); fb.i64Load(STATE.pm_zshift.offset); fb.i64Or();
  fb.i64Const(0); fb.i64Ne();
}

/** The page mapping the block was translated under must be the fetch TLB's. A missing entry
 * (flushed by sfence.vma or a satp write) is filled here through the xlate helper at state.pc,
 * as the interpreter's fetch would (a fault is raised the same way: status 1); a different
 * mapping returns MISS (the interpreter takes over). tlbData = the data TLB of mmu_idx_data. */
export function emitPrologue(fb: FunctionBuilder, h: Helpers, env: Local, tb: TbSource, tlbData: Local, e: Local,
  entry: Local, split: number): void {
  // User mode's harts are always in U (riscvUpdateMmuIdx; MmuIdx.U = 0): no mmu_idx loads at
  // each entry.
  const user = tb.guestBase !== undefined;
  fb.get(env);
  if (!user) { fb.get(env); fb.i32Load(STATE.mmu_idx_fetch.offset); fb.i32Const(IDX_BYTES); fb.i32Mul(); fb.i32Add(); }
  fb.set(e);
  const tagOnly = tb.guestBase !== undefined;
  const check = (page: bigint, addendLo: number) => emitFetchMappingCheck(fb, h, e, page, tagOnly ? null : addendLo, () => {
    fb.get(env); fb.i32Load(STATE.pc.offset); fb.get(env); fb.i32Load(STATE.pc.offset + 4);
  }, (status) => { fb.i32Const(status); fb.return_(); });
  const page = tb.pc & ~0xfffn;
  if (split < tb.runs.length) {
    // Entered on the next page: that page's mapping (the other is checked when control crosses).
    fb.get(entry); fb.i32Const(split); fb.i32GeS();
    fb.if_(); check(page + 0x1000n, tb.nextAddendLo as number);
    fb.else_(); check(page, tb.addendLo);
    fb.end();
  } else check(page, tb.addendLo);
  fb.get(env);
  if (!user) { fb.get(env); fb.i32Load(STATE.mmu_idx_data.offset); fb.i32Const(IDX_BYTES); fb.i32Mul(); fb.i32Add(); }
  fb.i32Const(TLB_OFFSET); fb.i32Add(); fb.set(tlbData);
}

/** Push i32: the fetch TLB entry of `page` (entries at fetchTlb) is not the mapping (addend)
 * a block was translated under. addendLo null (user mode): the tag alone, as every page's
 * addend there is GUEST_BASE (an entry is only ever filled with it; a flush writes the tag). */
export function emitFetchMismatch(fb: FunctionBuilder, fetchTlb: Local, page: bigint, addendLo: number | null): void {
  const off = TLB_OFFSET + TlbKind.FETCH * TLB_ENTRIES * TLB_ENTRY_BYTES + tlbSlot(Number(page & 0xffffffffn)) * TLB_ENTRY_BYTES;
  fb.get(fetchTlb); fb.i64Load(off); fb.i64Const(BigInt.asIntN(64, page)); fb.i64Ne();
  if (addendLo === null) return;
  fb.get(fetchTlb); fb.i32Load(off + 8); fb.i32Const(addendLo); fb.i32Ne(); fb.i32Or();
}

/**
 * The fetch TLB entry of `page` (entries at fetchTlb, this mmu index's) must hold the mapping
 * (addend) a block was translated under. A missing one is filled through xlate at the address
 * `pushVa` pushes (as i32 halves; a fault is raised as the fetch's: leave(1)); a different one
 * leaves with MISS.
 */
export function emitFetchMappingCheck(fb: FunctionBuilder, h: Helpers, fetchTlb: Local, page: bigint, addendLo: number | null,
  pushVa: () => void, leave: (status: number) => void): void {
  const mismatch = () => emitFetchMismatch(fb, fetchTlb, page, addendLo);
  mismatch();
  fb.if_();
  pushVa(); fb.i32Const(TlbKind.FETCH); fb.i32Const(2); fb.call(h.xlate);
  fb.i32Const(-1); fb.i32Eq();
  fb.if_(); leave(1); fb.end();
  mismatch();
  fb.if_(); leave(TB_MISS); fb.end();
  fb.end();
}

/**
 * Direct chaining (QEMU's goto_tb, through the tb_jmp cache): charge the instructions retired
 * since entry to state.budget, then, budget left and no exit request, tail-call the next block when the
 * cache knows it; otherwise return to the dispatcher (status 0).
 *   b = budget - (instret - entryInstret); if (b > 0 && !exit_request) {
 *     e = &tb_jmp[hash(pc)]; if (e.tag == pc && e.idx) return_call chain(env, e.entry, e.idx) }
 */
export function emitChain(fb: FunctionBuilder, env: Local, nextPc: Local, entryInstret: Local, chainFn: number): void {
  const b = fb.local(I32), e = fb.local(I32);
  fb.get(env);
  fb.get(env); fb.i32Load(STATE.budget.offset);
  fb.get(env); fb.i64Load(STATE.instret.offset); fb.get(entryInstret); fb.i64Sub(); fb.i32WrapI64(); fb.i32Sub();
  fb.tee(b); fb.i32Store(STATE.budget.offset);
  fb.get(b); fb.i32Const(0); fb.i32GtS();
  fb.get(env); fb.i32Load(STATE.exit_request.offset); fb.i32Eqz(); fb.i32And();
  fb.if_();
  fb.get(env);
  fb.get(nextPc); fb.i32WrapI64(); fb.i32Const(3); fb.i32Shl();
  fb.get(nextPc); fb.i32WrapI64(); fb.i32Const(TB_JMP_HASH_SHIFT - 4); fb.i32ShrU(); fb.i32Xor();
  fb.i32Const((TB_JMP_ENTRIES - 1) << 4); fb.i32And(); fb.i32Add(); fb.tee(e);
  fb.i64Load(STATE.tb_jmp.offset); fb.get(nextPc); fb.i64Eq();
  fb.if_();
  fb.get(e); fb.i32Load(STATE.tb_jmp.offset + 8); fb.tee(b);
  fb.if_(); fb.get(env); fb.get(e); fb.i32Load(STATE.tb_jmp.offset + 12); fb.get(b); fb.returnCall(chainFn); fb.end();
  fb.end();
  fb.end();
}
