// The interpreter: one generated wasm module whose run() fetches (through a cached fetch page,
// refilled from the FETCH soft TLB), decodes with the generated decision tree and executes each
// instruction with the code the trans_* emitters produce for dynamic operands.
//
// run(env, budget) -> CpuExit:
//   status = 1
//   restart: sync instret; r = restart(status); if r >= 0 return r     // interrupts, exits
//            if rem == 0 return BUDGET; rem-- (not counted in instret)
//            pc = state.pc; invalidate fetch page; tlbData/tlbFetch from mmu_idx_*
//            boundary (translated blocks run from here, see emitBoundary)
//   next:    insn = fetch(pc)   // cached page hit; TLB hit: refill the page, goto next;
//                               // else fetchSlow() (faults restart)
//            dispatch(insn)     // one br_table on bits 0-6 and 12-15 (decode-flat.ts), then
//                               // the rest of the decision tree
//              -> done4 (pc += 4) | done2 (pc += 2) | illegal (raise, restart)
//               | jumped (pc set; exit_request? restart; rem--; boundary) | restart (status != 0)
//            done4/done2: if (--rem) goto next; state.pc = pc; sync; return BUDGET
// The instret sync point (`synced`) is a state field, not a local: each loop-carried local is one
// more value TurboFan's allocator shuffles between stack slots at every merge of this huge loop.
import { ModuleBuilder, ValType, type FunctionBuilder, type Label, type Local } from '../../tcg/wasm-builder.js';
import { STATE, TB_HOT_MAX, TB_JMP_ENTRIES, TB_JMP_HASH_SHIFT, TB_JMP_WAY1, TB_L2_ENTRIES, TLB_OFFSET, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, TlbKind } from './cpu-state.js';
import { type Row, dynArgs, emitDecodeTree } from './decode.js';
import { riscvDecodeTrees } from './decode-trees.js';
import { emitFlatDecode, flatDecodeApplies } from './decode-flat.js';
import { addRvmRuntime } from './rvm-runtime.js';
import type { TransFn } from './trans_rvi.js';
import { DisasContext, type Helpers, PAGE_MASK, SCRATCH, emitTlbSlotBytes } from './translate.js';

/** Status of a translated block whose page mapping changed (translate-block.ts). */
export const TB_MISS = 64;
/** A translated block's status: run the instruction at state.pc in the interpreter (a load or
 * store that missed the TLB, left from user-mode translated code without a helper call). */
export const TB_STEP = 65;

const I32 = ValType.I32, I64 = ValType.I64;
const TLB_KIND_BYTES = TLB_ENTRIES * TLB_ENTRY_BYTES;
const TLB_IDX_BYTES = TLB_KIND_COUNT * TLB_KIND_BYTES;

/** Names of the functions the interpreter imports from module "env" (cpu.ts supplies them). */
export const INTERP_IMPORTS: readonly [string, ValType[], ValType[]][] = [
  ['slowLoad', [I32, I32, I32], [I32]],
  ['slowStore', [I32, I32, I32], [I32]],
  ['xlate', [I32, I32, I32, I32], [I32]],
  ['raise', [I32, I32, I32], []],
  ['csr', [I32, I32, I32, I32, I32], [I32]],
  ['mret', [], [I32]], ['sret', [], [I32]], ['wfi', [], [I32]], ['fencei', [], [I32]],
  ['ecall', [], [I32]], ['ebreak', [], [I32]],
  ['sfence', [I32, I32], [I32]],
  ['hyp', [I32], [I32]],
  ['fp', [I32, I32, I32, I32, I32, I32], [I32]],
  ['fetchSlow', [], [I32]],
  // V: (insn) -> status (vector_helper.ts)
  ['vec', [I32], [I32]],
  ['restart', [I32], [I32]],
  // () -> the time CSR's value (csrr rd, time inline: trans_rvzicsr.ts)
  ['rdtime', [], [I64]],
  // -d exec: (pc lo, pc hi, table index; 0 = interpreted) at every block start.
  ['logExec', [I32, I32, I32], []],
];

/** run()'s return value when the hot queue is full: cpu.ts compiles it and calls run() again. */
export const EXIT_COMPILE = 100;

/** logExec: the dispatcher reports every block start, translated or not (-d exec). */
export function buildInterpreter(logExec = false): Uint8Array {
  const mb = new ModuleBuilder();
  const imp: Record<string, number> = {};
  for (const [name, p, r] of INTERP_IMPORTS) imp[name] = mb.importFunction('env', name, p, r);
  mb.importMemory('env', 'memory');
  mb.importTable('env', 'tbs');
  const tbType = mb.typeIndex({ params: [I32, I32], results: [I32] });
  const rvm = addRvmRuntime(mb, true);
  // Wasm thunks of the JS helpers, exported for translated-block modules: a module importing
  // them from here needs no JS-call wrappers of its own (V8 builds those per module).
  for (const [name, p, r] of INTERP_IMPORTS) {
    const t = mb.defineFunction(p, r, name).fb;
    for (let i = 0; i < p.length; i++) t.get(t.param(i));
    t.call(imp[name]);
  }
  // Chaining for translated blocks: chain(env, entry, idx) tail-calls tbs[idx](env, entry). A
  // block module importing this instead of the table stays cheap to instantiate (V8 copies an
  // imported table into every instance that imports it, and updates them all on each set).
  {
    const t = mb.defineFunction([I32, I32, I32], [I32], 'chain').fb;
    t.get(t.param(0)); t.get(t.param(1)); t.get(t.param(2)); t.returnCallIndirect(tbType);
  }
  const { fb } = mb.defineFunction([I32, I32], [I32], 'run');
  const h: Helpers = {
    slowLoad: imp.slowLoad, slowStore: imp.slowStore, xlate: imp.xlate, raise: imp.raise, csr: imp.csr,
    mret: imp.mret, sret: imp.sret, wfi: imp.wfi, fencei: imp.fencei, ecall: imp.ecall, ebreak: imp.ebreak,
    sfence: imp.sfence, hyp: imp.hyp, fp: imp.fp, vec: imp.vec, rdtime: imp.rdtime, ...rvm,
  };
  emitRun(fb, h, imp.fetchSlow, imp.restart, tbType, logExec ? imp.logExec : -1);
  return mb.bytes();
}

function emitRun(fb: FunctionBuilder, h: Helpers, fetchSlow: number, restartFn: number, tbType: number,
  logExec: number): void {
  const env = fb.param(0), budget = fb.param(1);
  const pc = fb.local(I64), insn = fb.local(I32), rem = fb.local(I32);
  // In the state block, not a local: it changes only at syncs, and as a local it was one more
  // value TurboFan moved between stack slots at every merge of the loop.
  const synced = STATE.interp_synced.offset;
  const status = fb.local(I32), fpage = fb.local(I64), fbase = fb.local(I32);
  const tlbData = fb.local(I32), tlbFetch = fb.local(I32), off = fb.local(I32), e = fb.local(I32);
  const r = fb.local(I32);

  // +1: the entry pass through restart is charged like any other.
  fb.get(env); fb.get(budget); fb.i32Const(1); fb.i32Add(); fb.tee(rem); fb.i32Store(synced);
  fb.i32Const(1); fb.set(status);
  const restart = fb.loop();
  const ctx0 = new DisasContext(fb, env, h, insn, pc, tlbData, status, rem, synced, restart, restart, restart);
  ctx0.syncInstret();
  fb.get(status); fb.call(restartFn); fb.tee(r); fb.i32Const(0); fb.i32GeS();
  fb.if_(); fb.get(r); fb.return_(); fb.end();
  // A restart costs one unit of budget (not of instret), so trap loops still end run().
  fb.get(rem); fb.i32Eqz();
  fb.if_(); fb.i32Const(0); fb.return_(); fb.end();
  fb.get(rem); fb.i32Const(1); fb.i32Sub(); fb.set(rem);
  fb.get(env); fb.get(env); fb.i32Load(synced); fb.i32Const(1); fb.i32Sub(); fb.i32Store(synced);
  fb.get(env); fb.i64Load(STATE.pc.offset); fb.set(pc);
  fb.i64Const(-1); fb.set(fpage);
  tlbBase(fb, env, 'mmu_idx_data', 0, tlbData);
  tlbBase(fb, env, 'mmu_idx_fetch', TlbKind.FETCH * TLB_KIND_BYTES, tlbFetch);
  // Block boundaries (here and after taken jumps) are handled where they happen, not by a flag
  // tested before every instruction: one less value live round the hot loop.
  const d = { fb, env, pc, rem, synced, status, restart, tbType, ctx: ctx0, logExec, fpage };
  emitBoundary(d);

  // rem > 0 at every entry to `next` (emitBoundary and the count path check it).
  const next = fb.loop();
  emitFetch(fb, env, pc, insn, fpage, fbase, tlbFetch, off, e, status, restart, next, fetchSlow, ctx0);

  const count = fb.block();
  const jumped = fb.block();
  const done2 = fb.block();
  const done4 = fb.block();
  const illegal16 = fb.block();
  const illegal32 = fb.block();
  const ctx = new DisasContext(fb, env, h, insn, pc, tlbData, status, rem, synced, restart, jumped, illegal32);
  const leaf = (row: Row<TransFn>) => {
    ctx.ilen = row.ilen;
    // Guards inside the emitters (requireFs...) branch to the row's own length's label.
    ctx.illegalLabel = row.ilen === 4 ? illegal32 : illegal16;
    row.trans(ctx, dynArgs(row));
    fb.br(row.ilen === 4 ? done4 : done2);
  };
  const trees = riscvDecodeTrees(true);
  if (flatDecodeApplies(trees.t32, trees.t16)) {
    emitFlatDecode(fb, insn, trees.t32, trees.t16, illegal32, illegal16, leaf);
  } else {
    fb.get(insn); fb.i32Const(3); fb.i32And(); fb.i32Const(3); fb.i32Eq();
    fb.if_();
    emitDecodeTree(fb, insn, trees.t32, illegal32, leaf);
    fb.else_();
    emitDecodeTree(fb, insn, trees.t16, illegal16, leaf);
    fb.end();
  }
  const tv = fb.local(I64);
  fb.end(); // illegal32: tval = the instruction bits
  fb.get(insn); fb.i64ExtendI32U(); fb.set(tv);
  ctx.raise(2, tv);
  fb.end(); // illegal16: tval = the 16 instruction bits
  fb.get(insn); fb.i32Const(0xffff); fb.i32And(); fb.i64ExtendI32U(); fb.set(tv);
  ctx.raise(2, tv);
  // Each length counts and loops on its own: no merge of the two (one set of moves less).
  fb.end(); // done4
  fb.get(pc); fb.i64Const(4); fb.i64Add(); fb.set(pc);
  fb.get(rem); fb.i32Const(1); fb.i32Sub(); fb.tee(rem); fb.brIf(next); fb.br(count);
  fb.end(); // done2
  fb.get(pc); fb.i64Const(2); fb.i64Add(); fb.set(pc);
  fb.get(rem); fb.i32Const(1); fb.i32Sub(); fb.tee(rem); fb.brIf(next); fb.br(count);
  fb.end(); // jumped: honour exit_request at taken branches (loops always take one)
  fb.get(env); fb.i32Load(STATE.exit_request.offset);
  fb.if_();
  fb.get(rem); fb.i32Const(1); fb.i32Sub(); fb.set(rem);
  fb.get(env); fb.get(pc); fb.i64Store(STATE.pc.offset);
  fb.i32Const(1); fb.set(status); fb.br(restart);
  fb.end();
  fb.get(rem); fb.i32Const(1); fb.i32Sub(); fb.set(rem);
  emitBoundary(d);
  fb.br(next);
  fb.end(); // count: the budget is checked at done4/done2, not at the top of every instruction
  // Budget used up: leave with an exact pc.
  fb.get(env); fb.get(pc); fb.i64Store(STATE.pc.offset);
  ctx0.syncInstret();
  fb.i32Const(0); fb.return_();
  fb.end(); // next
  fb.end(); // restart
  fb.unreachable();
}

/** if (rem == 0) { state.pc = pc; sync instret; return 0 } */
function budgetExit(fb: FunctionBuilder, env: Local, pc: Local, rem: Local, ctx: DisasContext): void {
  fb.get(rem); fb.i32Eqz();
  fb.if_();
  fb.get(env); fb.get(pc); fb.i64Store(STATE.pc.offset);
  ctx.syncInstret();
  fb.i32Const(0); fb.return_();
  fb.end();
}

/** dst = env + TLB_OFFSET + state[field] * (bytes per mmu idx) + extra. */
function tlbBase(fb: FunctionBuilder, env: Local, field: string, extra: number, dst: Local): void {
  fb.get(env);
  fb.get(env); fb.i32Load(STATE[field].offset); fb.i32Const(TLB_IDX_BYTES); fb.i32Mul(); fb.i32Add();
  fb.i32Const(TLB_OFFSET + extra); fb.i32Add();
  fb.set(dst);
}

/**
 * insn = word at pc:
 *   off = pc & 0xfff
 *   if ((pc & ~0xfff) == fpage && off <= 0xffc) insn = load32(fbase + off)
 *   else if (tlbFetch[(pc>>12)&255].tag == pc & ~0xfff && off <= 0xffc) refill fpage/fbase, goto next
 *   else fetchSlow() (page crossing, MMIO, TLB miss, faults)
 */
function emitFetch(fb: FunctionBuilder, env: Local, pc: Local, insn: Local, fpage: Local, fbase: Local,
  tlbFetch: Local, off: Local, e: Local, status: Local, restart: Label, next: Label, fetchSlow: number,
  ctx: DisasContext): void {
  const fetched = fb.block();
  fb.get(pc); fb.i32WrapI64(); fb.i32Const(0xfff); fb.i32And(); fb.tee(off);
  fb.i32Const(0xffc); fb.i32LeU();
  fb.if_();
  fb.get(pc); fb.i64Const(PAGE_MASK); fb.i64And(); fb.get(fpage); fb.i64Eq();
  fb.if_(); fb.get(fbase); fb.get(off); fb.i32Add(); fb.i32Load(0, 0); fb.set(insn); fb.br(fetched); fb.end();
  fb.get(tlbFetch); emitTlbSlotBytes(fb, () => { fb.get(pc); fb.i32WrapI64(); });
  fb.i32Add(); fb.tee(e); fb.i64Load(0);
  fb.get(pc); fb.i64Const(PAGE_MASK); fb.i64And(); fb.i64Eq();
  fb.if_();
  fb.get(pc); fb.i64Const(PAGE_MASK); fb.i64And(); fb.set(fpage);
  fb.get(pc); fb.i32WrapI64(); fb.i32Const(PAGE_MASK); fb.i32And(); fb.get(e); fb.i32Load(8); fb.i32Add(); fb.set(fbase);
  // Fetch again through the cached page: fpage and fbase then change only round the loop,
  // not at the merge below (TurboFan moved both between stack slots there every instruction).
  fb.br(next);
  fb.end();
  fb.end();
  ctx.syncForHelper();
  fb.call(fetchSlow); fb.tee(status); fb.brIf(restart);
  fb.get(env); fb.i32Load(SCRATCH); fb.set(insn);
  fb.end();
}

interface DispatchLocals {
  fb: FunctionBuilder; env: Local; pc: Local; rem: Local; synced: number; status: Local;
  restart: Label; tbType: number; ctx: DisasContext;
  /** Import index of logExec, or -1. */
  logExec: number;
  /** The fetch page cache, forgotten after a translated block (hiram-code.ts: the copy of a
   * high-RAM code page it points at may have been dropped meanwhile). */
  fpage: Local;
}

/**
 * At a block boundary (after a jump, a restart or a translated block): QEMU's tb_jmp_cache
 * lookup, translated blocks run back to back from here without returning to JavaScript.
 *   if (state.tb_threshold) {
 *     e = &tb_jmp[set(pc)].way0; if (e.tag != pc) {    // way 0 holds the set's most recent pc
 *       if (way1.tag == pc) swap(way0, way1) else { way1 = way0; *e = { pc, idx 0, count 0 } } }
 *     while (e.idx) {                       // a translated block
 *       state.pc = pc; state.budget = rem; st = tbs[e.idx](env, e.entry); rem -= retired; pc = state.pc
 *       if (st == 0) { exit_request ? restart : next boundary }
 *       if (st == TB_MISS) { e.idx = e.count = 0; interpret }  else restart(st)
 *     }
 *     if (++e.count == threshold) queue pc in tb_hot; full -> return EXIT_COMPILE
 *   }
 */
/** -d exec: report the block about to run at pc (table index, 0 = interpreted). */
function logExec(d: DispatchLocals, idx: Local): void {
  if (d.logExec < 0) return;
  const fb = d.fb;
  fb.get(d.pc); fb.i32WrapI64(); fb.get(d.pc); fb.i64Const(32); fb.i64ShrU(); fb.i32WrapI64(); fb.get(idx);
  fb.call(d.logExec);
}

/** A block boundary: translated blocks run back to back (emitDispatch) until one leaves the pc
 * in code to interpret, which falls out of this loop. The budget is checked before each. */
function emitBoundary(d: DispatchLocals): void {
  const again = d.fb.loop();
  budgetExit(d.fb, d.env, d.pc, d.rem, d.ctx);
  emitDispatch(d, again);
  d.fb.end();
}

/**
 * pc is in neither way of its tb_jmp set (at jc): way 0 takes pc's tb_l2 entry (moved out: the
 * slot is left empty) or a new one, and way 1's entry (about to be dropped) moves to its tb_l2
 * slot unless that holds something worth more: a translated entry beats a cold one, and of two
 * cold ones the higher count stays.
 *   s = &tb_l2[slot(pc)]; way0.data = s.tag == pc ? take(s.data) : 0
 *   v = way1; if (v.data) { s = &tb_l2[slot(v.tag)]; if (v.idx || (!s.idx && v.count >= s.count)) *s = v }
 */
function emitL2Miss(d: DispatchLocals, jc: Local): void {
  const { fb, env, pc } = d;
  const j0 = STATE.tb_jmp.offset, j1 = j0 + TB_JMP_WAY1, l2 = STATE.tb_l2.offset;
  const s = fb.local(I32), v = fb.local(I64);
  const slotOf = (lo: () => void) => {
    fb.get(env); lo(); fb.i32Const(3); fb.i32Shl(); lo(); fb.i32Const(TB_JMP_HASH_SHIFT - 4); fb.i32ShrU(); fb.i32Xor();
    fb.i32Const((TB_L2_ENTRIES - 1) << 4); fb.i32And(); fb.i32Add(); fb.set(s);
  };
  slotOf(() => { fb.get(pc); fb.i32WrapI64(); });
  fb.get(s); fb.i64Load(l2); fb.get(pc); fb.i64Eq();
  fb.if_();
  fb.get(jc); fb.get(s); fb.i64Load(l2 + 8); fb.i64Store(j0 + 8);
  fb.get(s); fb.i64Const(0); fb.i64Store(l2 + 8);
  fb.else_();
  fb.get(jc); fb.i64Const(0); fb.i64Store(j0 + 8);
  fb.end();
  fb.get(jc); fb.i64Load(j1 + 8); fb.tee(v); fb.i64Eqz(); fb.i32Eqz();
  fb.if_();
  slotOf(() => { fb.get(jc); fb.i32Load(j1); });
  fb.get(v); fb.i32WrapI64();
  fb.get(s); fb.i32Load(l2 + 8); fb.i32Eqz();
  fb.get(v); fb.i64Const(32); fb.i64ShrU(); fb.i32WrapI64(); fb.get(s); fb.i32Load(l2 + 12); fb.i32GeU(); fb.i32And();
  fb.i32Or();
  fb.if_();
  fb.get(s); fb.get(jc); fb.i64Load(j1); fb.i64Store(l2);
  fb.get(s); fb.get(v); fb.i64Store(l2 + 8);
  fb.end();
  fb.end();
  fb.release(s, v);
}

function emitDispatch(d: DispatchLocals, again: Label): void {
  const { fb, env, pc, rem, synced, status } = d;
  const jc = fb.local(I32), idx = fb.local(I32), st = fb.local(I32), n = fb.local(I32);
  const i0 = fb.local(I64), t0 = fb.local(I64), t1 = fb.local(I64);
  fb.get(env); fb.i32Load(STATE.tb_threshold.offset);
  fb.if_();
  const interp = fb.block();
  fb.get(env);
  fb.get(pc); fb.i32WrapI64(); fb.i32Const(3); fb.i32Shl();
  fb.get(pc); fb.i32WrapI64(); fb.i32Const(TB_JMP_HASH_SHIFT - 4); fb.i32ShrU(); fb.i32Xor();
  fb.i32Const((TB_JMP_ENTRIES - 1) << 4); fb.i32And();
  fb.i32Add(); fb.tee(jc); fb.i64Load(STATE.tb_jmp.offset); fb.get(pc); fb.i64Ne();
  fb.if_();
  const j0 = STATE.tb_jmp.offset, j1 = j0 + TB_JMP_WAY1;
  // Way 0 goes to way 1 either way; way 0 gets way 1's entry when that is pc, else a new one.
  fb.get(jc); fb.i64Load(j0); fb.set(t0);
  fb.get(jc); fb.i64Load(j0 + 8); fb.set(t1);
  fb.get(jc); fb.i64Load(j1); fb.get(pc); fb.i64Eq();
  fb.if_();
  fb.get(jc); fb.get(jc); fb.i64Load(j1 + 8); fb.i64Store(j0 + 8);
  fb.else_();
  emitL2Miss(d, jc);
  fb.end();
  fb.get(jc); fb.get(pc); fb.i64Store(j0);
  fb.get(jc); fb.get(t0); fb.i64Store(j1);
  fb.get(jc); fb.get(t1); fb.i64Store(j1 + 8);
  fb.end();
  fb.get(jc); fb.i32Load(STATE.tb_jmp.offset + 8); fb.tee(idx);
  fb.if_();
  d.ctx.syncInstret();
  fb.get(env); fb.get(pc); fb.i64Store(STATE.pc.offset);
  fb.get(env); fb.get(rem); fb.i32Store(STATE.budget.offset);
  fb.get(env); fb.i64Load(STATE.instret.offset); fb.set(i0);
  logExec(d, idx);
  // A translated entry keeps its run index in the count field (counting is over for it).
  fb.get(env); fb.get(jc); fb.i32Load(STATE.tb_jmp.offset + 12); fb.get(idx); fb.callIndirect(d.tbType); fb.set(st);
  fb.i64Const(-1); fb.set(d.fpage);
  fb.get(env); fb.i64Load(STATE.instret.offset); fb.get(i0); fb.i64Sub(); fb.set(i0);
  fb.get(env); fb.get(env); fb.i64Load(STATE.tb_insns.offset); fb.get(i0); fb.i64Add(); fb.i64Store(STATE.tb_insns.offset);
  fb.get(rem); fb.get(i0); fb.i32WrapI64(); fb.i32Sub();
  fb.tee(rem); fb.i32Const(0); fb.i32LtS();
  fb.if_(); fb.i32Const(0); fb.set(rem); fb.end();
  fb.get(env); fb.get(rem); fb.i32Store(synced);
  fb.get(env); fb.i64Load(STATE.pc.offset); fb.set(pc);
  fb.get(st); fb.i32Eqz();
  fb.if_();
  fb.get(env); fb.i32Load(STATE.exit_request.offset);
  fb.if_(); fb.i32Const(1); fb.set(status); fb.br(d.restart); fb.end();
  fb.br(again);
  fb.end();
  fb.get(st); fb.i32Const(TB_STEP); fb.i32Eq();
  fb.brIf(interp);
  fb.get(st); fb.i32Const(TB_MISS); fb.i32Eq();
  fb.if_();
  fb.get(jc); fb.i64Const(0); fb.i64Store(STATE.tb_jmp.offset + 8);
  fb.br(interp);
  fb.end();
  fb.get(st); fb.set(status); fb.br(d.restart);
  fb.end();
  // Cold: count, and queue the pc for compilation at the threshold.
  logExec(d, idx);
  fb.get(jc); fb.get(jc); fb.i32Load(STATE.tb_jmp.offset + 12); fb.i32Const(1); fb.i32Add(); fb.tee(n);
  fb.i32Store(STATE.tb_jmp.offset + 12);
  fb.get(n); fb.get(env); fb.i32Load(STATE.tb_threshold.offset); fb.i32Eq();
  fb.if_();
  fb.get(env); fb.i32Load(STATE.tb_hot_n.offset); fb.tee(n); fb.i32Const(TB_HOT_MAX); fb.i32LtU();
  fb.if_();
  fb.get(env); fb.get(n); fb.i32Const(3); fb.i32Shl(); fb.i32Add(); fb.get(pc); fb.i64Store(STATE.tb_hot.offset);
  fb.get(env); fb.get(n); fb.i32Const(1); fb.i32Add(); fb.tee(n); fb.i32Store(STATE.tb_hot_n.offset);
  fb.get(n); fb.i32Const(TB_HOT_MAX); fb.i32Eq();
  fb.if_();
  fb.get(env); fb.get(pc); fb.i64Store(STATE.pc.offset);
  d.ctx.syncInstret();
  fb.i32Const(EXIT_COMPILE); fb.return_();
  fb.end();
  fb.end();
  fb.end();
  fb.end(); // interp
  fb.end();
  fb.release(jc, idx, st, n, i0);
}
