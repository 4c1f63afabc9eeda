// The block compiler's code generator (QEMU's translator_loop + tcg backend, in one): the same
// trans_* emitters as the interpreter, driven with constant operands and a constant pc, build one
// wasm function per translation block; many blocks go into one module (tb-cache.ts batches).
//
// A run is a sequence of guest instructions inside one guest page, ending after an unconditional
// jump, a system instruction (xret, ecall, ebreak, wfi, fence.i, sfence.vma), an undecodable
// word, the page end, TB_MAX_INSNS or before another run's start. Conditional branches are side
// exits, so a run covers straight-line code across not-taken branches. A translation block is a
// region: the run at its pc plus the runs at the static branch/jal targets reachable from it in
// the same page (decodeRegion). Branches between its runs stay inside the wasm function with
// the registers in locals: forward ones are a `br` to the target run's label, backward ones go
// round the innermost loop group holding both runs (a wasm loop per guest loop, see emitTb),
// checking budget and exit_request, so every cycle is interruptible. Other targets leave through the jump cache (emitChain).
//
// tb(env, entry) -> status, the dispatcher's contract (interpreter.ts); entry = the run index
// of state.pc (kept in the jump cache entry):
//   prologue: if fetchTlb[idx][slot].tag != pc page || addend != compile-time addend: fill it
//             (xlate); still different: return MISS (the mapping changed: the interpreter
//             takes over for this pc)
//             instret0 = state.instret; tlbData = data TLB of mmu_idx_data
//             x[r] -> local for the registers an instruction names (rd/rs1/rs2/rs3) that are
//             live at the entry run (regionFlow, looping blocks; read before set otherwise)
//   body:     registers live in locals; before any helper call the written ones are stored back
//             (helpers and traps see exact state) and state.pc/instret are made exact
//   exits:    0 = state.pc holds the next pc (jump, fall through, loop budget)
//             other = a helper's status (1 reload pc, >= 2 leave run()), state already exact
import { type FunctionBuilder, type Label, type Local, ModuleBuilder, ValType, VOID } from '../../tcg/wasm-builder.js';
import { STATE, type UserPageTable } from './cpu-state.js';
import { type Operand, type Row } from './decode.js';
import { INTERP_IMPORTS, TB_MISS, TB_STEP } from './interpreter.js';
import { riscvPmConfigured } from './pointer-masking.js';
import { importRvmRuntime } from './rvm-runtime.js';
import { type TransFn, trans as rvi } from './trans_rvi.js';
import { DisasContext, type Helpers } from './translate.js';
import { trans as rvm } from './trans_rvm.js';
import { TbMissFns } from './tb-ldst.js';
import { type RegionLayout, type RegionNode, commonGroup, regionLayout } from './tb-layout.js';
import { type TbInsn, type TbRun, type TbSource, RF, fallThrough, staticTarget, straddles } from './tb-decode.js';
export { type TbInsn, type TbRun, type TbSource, decodeLeaf, decodeRegion, decodeTb, REGION_MAX_INSNS, RegionTarget, straddles, TB_MAX_INSNS } from './tb-decode.js';
import { emitChain, emitEntryLoads, emitFetchMappingCheck, emitFetchMismatch, emitPmInEffect, emitPrologue, maskRegs, popcount } from './tb-frame.js';

const I32 = ValType.I32, I64 = ValType.I64;
const GPR = STATE.gpr.offset;

/** The illegal label of rows that never use it: a use is a bug in this table. */
const NO_ILLEGAL: Label = { get depth(): number { throw new Error('translate-block: unexpected illegal exit'); } };
/** DisasContext for constant operands, a constant pc and registers cached in locals. */
class TbContext extends DisasContext {
  /** pc of the current instruction, its index in its run, and the run's index. */
  curPc = 0n;
  k = 0;
  run = 0;
  /** regs as an array indexed by register (a lookup per operand: no Map probe). */
  readonly regArr: (Local | undefined)[] = [];
  /** Target of the current branch when it is a constant (pc + imm). */
  staticTarget: bigint | null = null;
  /** Registers stored back at exits and before helpers: every rd the block names (a superset
   * of what it writes; the others still hold the value loaded at entry). */
  readonly written = new Set<number>();
  /** Registers set so far in program order (a superset of those set on any path to here). */
  readonly dirty: number[] = [];
  /** dirty as a bit mask (bit r = x[r]). */
  dirtyMask = 0;
  /** Control can reach an instruction again or from several runs: values set late may be live
   * early, so flushes store the current run's `stores` (regionFlow), not `dirty`. */
  loops = false;
  /** Loads and stores mask their address (TbSource.pm). */
  pm = true;
  /** TbSource.missExits */
  missStep = false;
  protected override missExits(): boolean { return this.missStep; }
  /** TbSource.guestBase */
  guestBase: number | undefined;
  /** TbSource.userPages */
  userPages: UserPageTable | undefined;
  /** (a <u limit) & ((table[vpn] & mask) == need) & (the access stays in its page) */
  protected override pushDirectOk(a: Local, size: number, store: boolean): boolean {
    const t = this.userPages;
    if (!t || this.guestBase === undefined) return false;
    const fb = this.fb;
    fb.get(a); fb.i64Const(BigInt(t.limit)); fb.i64LtU();
    fb.get(a); fb.i32WrapI64(); fb.i32Const(12); fb.i32ShrU(); fb.i32Load8U(t.table);
    fb.i32Const(store ? t.storeMask : t.loadMask); fb.i32And(); fb.i32Const(store ? t.storeNeed : t.loadNeed); fb.i32Eq(); fb.i32And();
    if (size > 1) { fb.get(a); fb.i32WrapI64(); fb.i32Const(0xfff); fb.i32And(); fb.i32Const(4096 - size); fb.i32LeU(); fb.i32And(); }
    return true;
  }
  override pushHost(a: Local, e: Local, kindOff: number): void {
    if (this.guestBase === undefined) { super.pushHost(a, e, kindOff); return; }
    this.fb.get(a); this.fb.i32WrapI64(); this.fb.i32Const(this.guestBase); this.fb.i32Add();
  }
  /** The module's shared TLB miss paths (tb-ldst.ts); null: inline. Not with missExits (user
   * mode): its blocks hold no call on their load/store paths (see TbSource.missExits), and a
   * call there cost busybox sha256sum ~15% more CPU. */
  missFns: TbMissFns | null = null;
  protected override missFn(store: boolean, code: number): number {
    return this.missFns && !this.missStep ? this.missFns.get(store, code) : -1;
  }
  protected override pushMissSync(): void {
    const fb = this.fb;
    fb.i64Const(this.curPc); fb.get(this.instret0); fb.i32Const(this.k + this.delta);
  }
  override exitStep(): void {
    this.fb.i32Const(TB_STEP); this.fb.set(this.status);
    this.exitRestart();
  }
  constructor(fb: FunctionBuilder, env: Local, h: Helpers, dummyPc: Local, tlbData: Local, status: Local,
    dummy: Local, restart: Label, readonly exitJump: Label,
    /** instret at the start of the current run, and at entry (the budget is charged from it). */
    readonly instret0: Local, readonly entryInstret: Local, readonly nextPc: Local,
    readonly regs: ReadonlyMap<number, Local>,
    /** Run index by start pc, and where each run's code sits (see RegionLayout). */
    readonly runPcs: readonly bigint[], readonly runIndex: ReadonlyMap<bigint, number>,
    readonly layout: RegionLayout) {
    super(fb, env, h, null, dummyPc, tlbData, status, dummy, dummy, restart, exitJump, restart);
    for (let r = 0; r < 32; r++) this.regArr.push(regs.get(r));
    this.stores = this.written;
    this.runExit = exitJump;
    this.runRestart = restart;
  }

  override pushPc(): void { this.fb.i64Const(this.curPc); }
  protected override pmEmitted(): boolean { return this.pm && riscvPmConfigured(); }
  /** A block translated without masking stops after a CSR write that turned it on: the write
   * completed (state.pc = the next insn, status 1 reloads it). */
  override afterPmChange(): void {
    if (this.pm || !riscvPmConfigured()) return;
    const fb = this.fb;
    emitPmInEffect(fb, this.env);
    fb.if_();
    fb.get(this.env); this.pushNextPc(); fb.i64Store(STATE.pc.offset);
    this.storeInstret(this.k + 1);
    fb.i32Const(1); fb.set(this.status);
    this.exitRestart();
    fb.end();
  }
  override pushNextPc(): void { this.fb.i64Const(this.curPc + BigInt(this.ilen)); }
  override syncInstret(): void { this.storeInstret(this.k); }
  /** Helpers read no x registers (those that do call flushGprs()): a helper that traps or asks
   * for a reload leaves through the restart exit, which stores them all back. */
  override syncForHelper(): void {
    const fb = this.fb;
    fb.get(this.env); fb.i64Const(this.curPc); fb.i64Store(STATE.pc.offset);
    this.storeInstret(this.k);
  }
  /** Static instret offset of the current run: state.instret at its start is instret0 +
   * delta. Runs in the loop of a peeled group (runDelta) falling through to the next count on,
   * so instret0 advances once per iteration, at the back edge. */
  delta = 0;
  runDelta: ReadonlyMap<number, number> | null = null;
  /** state.instret = instret0 + delta + n */
  storeInstret(n: number): void {
    const fb = this.fb;
    n += this.delta;
    fb.get(this.env); fb.get(this.instret0);
    if (n) { fb.i64Const(n); fb.i64Add(); }
    fb.i64Store(STATE.instret.offset);
  }
  /** Store back the registers set so far (when the block loops: those the current run's
   * exits store, see regionFlow). */
  override flushGprs(): void { this.storeRegs(this.loops ? this.stores : this.dirty); }
  storeRegs(regs: Iterable<number>): void {
    const fb = this.fb;
    for (const r of regs) { fb.get(this.env); fb.get(this.regArr[r] as Local); fb.i64Store(GPR + r * 8); }
  }
  /** Looping blocks: what the current run's exits store, and where they go (its own epilogues,
   * or the shared ones storing `written`). */
  stores: Iterable<number>;
  runExit: Label;
  runRestart: Label;
  override checkStatus(): void {
    const fb = this.fb;
    fb.tee(this.status);
    fb.if_(); this.exitRestart(); fb.end();
  }
  /** A helper trapped or asked for a reload: state.pc/instret are exact; registers go back
   * (when the block loops, in the restart epilogue: one copy of the stores per function). */
  override exitRestart(): void {
    if (this.loops) { this.fb.br(this.runRestart); return; }
    this.flushGprs();
    this.fb.get(this.status); this.fb.return_();
  }
  /** Before leaving through exitJump: registers go back (the epilogues do it when looping). */
  flushForExit(): void { if (!this.loops) this.flushGprs(); }
  override flushGpr(r: Operand): void {
    const l = r.isConst ? this.regArr[r.value] : undefined;
    if (!l) return;
    this.fb.get(this.env); this.fb.get(l); this.fb.i64Store(GPR + r.value * 8);
  }
  override reloadGpr(r: Operand): void {
    const l = r.isConst ? this.regArr[r.value] : undefined;
    if (!l) return;
    this.fb.get(this.env); this.fb.i64Load(GPR + r.value * 8); this.fb.set(l);
  }
  override getGpr(r: Operand): void {
    const l = r.isConst ? this.regArr[r.value] : undefined;
    if (l) this.fb.get(l); else super.getGpr(r);
  }
  /** -2: rd lives in a local (setGprEnd sets it). */
  override setGprBegin(rd: Operand): number {
    if (rd.isConst && this.regArr[rd.value]) return -2;
    return super.setGprBegin(rd);
  }
  override setGprEnd(rd: Operand, off: number): void {
    if (off !== -2) { super.setGprEnd(rd, off); return; }
    this.fb.set(this.regArr[rd.value] as Local);
    const bit = 1 << rd.value;
    if (!(this.dirtyMask & bit)) { this.dirtyMask |= bit; this.dirty.push(rd.value); }
  }
  override jump(emit: () => void): void {
    if (this.jumpStatic()) return;
    emit();
    this.jumpTail();
  }
  override jumpRel(imm: Operand): void {
    if (this.inl) { this.fb.br(this.inl.taken); return; } // an inlined leaf's branch
    if (this.jumpStatic()) return;
    this.pushPc(); this.i64(imm); this.fb.i64Add();
    this.jumpTail();
  }
  /** A jump to a run of this region: a branch inside the function. */
  private jumpStatic(): boolean {
    const target = this.staticTarget === null ? undefined : this.runIndex.get(this.staticTarget);
    if (target === undefined) return false;
    this.gotoRun(target, this.k + 1);
    return true;
  }
  /** Leave for the target pc on the stack. */
  private jumpTail(): void {
    const fb = this.fb;
    fb.set(this.nextPc);
    this.storeInstret(this.k + 1);
    this.flushForExit();
    fb.br(this.runExit);
  }
  /**
   * Continue at run `j` after `n` more instructions of this run. Forward: a branch to the label
   * before the unit holding j in the innermost group holding both runs (a loop group: cur names
   * the run its header dispatches to). Backward (always inside a loop group): round the
   * innermost loop holding both, leaving when the budget is spent or an exit was requested
   * (interrupt), so every cycle in the region can be interrupted.
   */
  gotoRun(j: number, n: number): void {
    const fb = this.fb, L = this.layout;
    const d0 = this.delta, dj = (j > this.run && this.runDelta?.get(j)) || 0;
    const add = d0 + n - dj;
    if (add) { fb.get(this.instret0); fb.i64Const(add); fb.i64Add(); fb.set(this.instret0); }
    this.delta = dj; // at run j's start (its page check's exit)
    if ((j >= this.split) !== (this.run >= this.split)) this.checkRunPage(j);
    const [a, u] = commonGroup(L.leaves[this.run], L.leaves[j]);
    if (j > this.run) {
      const unit = a.children[u];
      if (unit.loop) { fb.i32Const(j === unit.first ? -1 : j); fb.set(L.cur); }
      fb.br(a.labels[u]);
      this.delta = d0;
      return;
    }
    if (!a.loopLabel) throw new Error('translate-block: backward branch outside a loop group');
    // budget - (instret0 - entryInstret) <= 0, with entryInstret + budget in a local (no helper
    // writes state.budget while a block runs: only the dispatcher and emitChain at exits).
    if (!this.limit) throw new Error('translate-block: backward branch without a budget limit');
    // Two branches, not one on (budget spent | exit_request): no flag arithmetic in the loop.
    const ok = fb.block(), out = fb.block();
    fb.get(this.instret0); fb.get(this.limit); fb.i64GeS(); fb.brIf(out, false);
    fb.get(this.env); fb.i32Load(STATE.exit_request.offset); fb.i32Eqz(); fb.brIf(ok, true);
    fb.end();
    this.exitToRun(j);
    fb.end();
    if (!a.peel) { fb.i32Const(j === a.first ? -1 : j); fb.set(L.cur); }
    fb.br(a.loopLabel);
    this.delta = d0;
  }
  /**
   * A call whose leaf callee at `callee` follows inline (RF.INL_CALL): ra = the return address;
   * the callee's page must be mapped as at translation (its fetch TLB tag, user mode: every
   * page's addend is the guest base), else leave for the callee's pc after the call retired.
   * A `jalr ra` (its target predicted, call_pred) first compares its target with the callee's
   * pc: another target leaves for it, as the jalr would.
   */
  inlineCall(ins: TbInsn): void {
    const fb = this.fb, a = ins.args, callee = ins.next;
    let t: Local | null = null;
    if ((ins.row as Row<TransFn>).trans === rvi.jalr) {
      t = fb.local(I64);
      this.getGpr(a.rs1); this.i64(a.imm); fb.i64Add(); fb.i64Const(-2); fb.i64And(); fb.set(t);
    }
    const off = this.setGprBegin(a.rd);
    this.pushNextPc();
    this.setGprEnd(a.rd, off);
    if (!this.fetchTlb || this.guestBase === undefined) throw new Error('translate-block: inlined call outside user mode');
    if (t) {
      fb.get(t); fb.i64Const(callee); fb.i64Ne();
      fb.if_(VOID, false);
      fb.get(t); fb.set(this.nextPc);
      this.storeInstret(this.k + 1);
      this.flushForExit();
      fb.br(this.runExit);
      fb.end();
      fb.release(t);
    }
    emitFetchMismatch(fb, this.fetchTlb, callee & ~0xfffn, null);
    // A pending exit_request also leaves here: another thread may have changed code (membarrier,
    // riscv_flush_icache, mprotect: noteCodeChange) and this thread must drop its translations
    // before it runs the callee, as the call would have on leaving the region.
    fb.get(this.env); fb.i32Load(STATE.exit_request.offset); fb.i32Or();
    fb.if_(VOID, false);
    fb.i64Const(callee); fb.set(this.nextPc);
    this.storeInstret(this.k + 1);
    this.flushForExit();
    fb.br(this.runExit);
    fb.end();
  }
  /** An inlined leaf's branch (RF.INL_BR) is open: its taken label, and the join's. */
  private inl: { taken: Label; done: Label; lenA: number; lenB: number } | null = null;
  /**
   * The branch of an inlined leaf (RF.INL_BR, see decodeLeaf): taken, to the arm after the
   * first `ret` (B); not taken, the arm before it (A). Both arms are pure and set the same
   * registers, so the join needs nothing but instret: each arm takes off the other's count.
   */
  inlineBranch(ins: TbInsn, insns: readonly TbInsn[], i: number): void {
    const fb = this.fb;
    let e = i + 1;
    while (!(insns[e].flags & RF.INL_ELSE)) e++;
    let r = e + 1;
    while (!(insns[r].flags & RF.INL_RET)) r++;
    const done = fb.block(), taken = fb.block();
    this.inl = { taken, done, lenA: e - i, lenB: r - e };
    (ins.row as Row<TransFn>).trans(this, ins.args);
  }
  /** The end of arm A (its `ret`): on to the join, B's count taken off. */
  inlineElse(): void {
    const fb = this.fb, inl = this.inl as NonNullable<TbContext['inl']>;
    this.addInstret0(-inl.lenB);
    fb.br(inl.done);
    fb.end();
  }
  /** The end of arm B: A's count taken off; the join. */
  inlineJoin(): void {
    const inl = this.inl;
    if (!inl) return;
    this.addInstret0(-inl.lenA);
    this.fb.end();
    this.inl = null;
  }
  private addInstret0(n: number): void {
    const fb = this.fb;
    fb.get(this.instret0); fb.i64Const(n); fb.i64Add(); fb.set(this.instret0);
  }
  override noteCall(): void {}
  /** entryInstret + state.budget at entry (regions with a loop). */
  limit: Local | null = null;
  /** First run on the next page (runs.length: none), and the block page's addend. */
  split = Infinity;
  addendLo = 0;
  /**
   * Control crosses onto run j's page: the fetch TLB must map it as at translation (no call
   * here: a call would spill what is live). Otherwise leave for run j's pc, state exact (after
   * n instructions, as gotoRun's budget exit): the region entered there fills the entry (or
   * raises the fetch fault at that pc) in its prologue, or the interpreter takes over (MISS).
   */
  checkRunPage(j: number): void {
    const fb = this.fb;
    const page = (this.runPcs[0] & ~0xfffn) + (j >= this.split ? 0x1000n : 0n);
    const addendLo = j >= this.split ? this.nextAddendLo : this.addendLo;
    if (addendLo === undefined || !this.fetchTlb) throw new Error('translate-block: run on the next page without its mapping');
    emitFetchMismatch(fb, this.fetchTlb, page, this.guestBase === undefined ? addendLo : null);
    fb.if_(VOID, false); this.exitToRun(j); fb.end();
  }
  /** Leave for run j's pc with the state exact (no instruction of run j retired). */
  private exitToRun(j: number): void {
    const fb = this.fb;
    fb.i64Const(this.runPcs[j]); fb.set(this.nextPc);
    this.storeInstret(0);
    this.flushForExit();
    fb.br(this.runExit);
  }
  /** env + mmu_idx_fetch's TLB offset (the prologue's), and the next page's addend (straddling
   * instructions). */
  fetchTlb: Local | null = null;
  nextAddendLo: number | undefined;
  /** Before an instruction straddling into the next page: that page must still be mapped as
   * at translation. A missing entry is filled (xlate; a fault is the fetch's, raised at this
   * instruction: status 1); a different mapping leaves for the interpreter (MISS, state exact). */
  checkNextPage(): void {
    const next = (this.curPc & ~0xfffn) + 0x1000n;
    if (this.nextAddendLo === undefined || !this.fetchTlb) throw new Error('translate-block: straddling insn without a next page');
    emitFetchMappingCheck(this.fb, this.h, this.fetchTlb, next, this.guestBase === undefined ? this.nextAddendLo : null, () => {
      this.syncForHelper();
      this.fb.i32Const(Number(next & 0xffffffffn) | 0); this.fb.i32Const(Number(BigInt.asIntN(32, next >> 32n)));
    }, (status) => { this.flushGprs(); this.fb.i32Const(status); this.fb.return_(); });
  }
}

/** Build one module whose instantiation stores the blocks of `tbs` at table[tbBase + i]. */
export function buildTbModule(tbs: readonly TbSource[], chain = true): Uint8Array {
  const mb = new ModuleBuilder();
  const imp: Record<string, number> = {};
  for (const [name, p, r] of INTERP_IMPORTS) imp[name] = mb.importFunction('rvm', name, p, r);
  const rvm = importRvmRuntime(mb);
  const chainFn = mb.importFunction('rvm', 'chain', [I32, I32, I32], [I32]);
  // Helpers a module never calls are imported as `chain` (one signature, one V8 import wrapper).
  mb.unusedImportsAs('rvm', 'chain', [I32, I32, I32], [I32]);
  mb.importMemory('env', 'memory');
  const h: Helpers = {
    slowLoad: imp.slowLoad, slowStore: imp.slowStore, xlate: imp.xlate, raise: imp.raise, csr: imp.csr,
    mret: imp.mret, sret: imp.sret, wfi: imp.wfi, fencei: imp.fencei, ecall: imp.ecall, ebreak: imp.ebreak,
    sfence: imp.sfence, hyp: imp.hyp, fp: imp.fp, vec: imp.vec, rdtime: imp.rdtime, ...rvm,
  };
  const missFns = new TbMissFns(mb, h);
  // Exported (tb-cache.ts puts them in the table), not stored by an element segment into an
  // imported table: V8 copies an imported table into every instance that imports it (~1.5-8 ms
  // per module at 16k entries) and updates every importer on each later table.set.
  // Blocks first (defined functions 0..n-1, as -d out_asm names them), then the miss paths
  // their loads and stores use.
  const fns = tbs.map((tb, i) => {
    const f = mb.defineFunction([I32, I32], [I32], tbExportName(i));
    // Named in the name section: node --cpu-prof and --print-wasm-code show tb_<pc> (a few bytes).
    mb.funcNames.set(f.index, `tb_${tb.pc.toString(16)}`);
    return f.fb;
  });
  tbs.forEach((tb, i) => emitTb(fns[i], h, tb, chain ? chainFn : -1, missFns));
  return mb.bytes();
}

/** Export name of the i-th block of a module built by buildTbModule. */
const exportNames: string[] = [];
export function tbExportName(i: number): string { return exportNames[i] ?? (exportNames[i] = `t${i}`); }


function emitTb(fb: FunctionBuilder, h: Helpers, tb: TbSource, chainFn: number, missFns: TbMissFns | null): void {
  const env = fb.param(0);
  const tlbData = fb.local(I32), status = fb.local(I32), dummy = fb.local(I32);
  const instret0 = fb.local(I64), entryInstret = fb.local(I64), nextPc = fb.local(I64), dummyPc = fb.local(I64);
  const fetchTlb = fb.local(I32);
  const runs = tb.runs;
  const split = nextPageRun(tb);
  emitPrologue(fb, h, env, tb, tlbData, fetchTlb, fb.param(1), split);
  if (!tb.pm && riscvPmConfigured()) { emitPmInEffect(fb, env); fb.if_(); fb.i32Const(TB_MISS); fb.return_(); fb.end(); }
  fb.get(env); fb.i64Load(STATE.instret.offset); fb.tee(instret0); fb.set(entryInstret);

  const runPcs = runs.map((r) => r.pc);
  const runIndex = new Map(runPcs.map((pc, i) => [pc, i]));
  const multi = runs.length > 1;
  // Every register an instruction names lives in a local. Loaded at entry: those read before
  // they are set (program order: one run is straight-line code with side exits), or all of
  // them when control can come round again or from another run.
  const loops = multi || runs[0].insns.some((ins) => staticTarget(ins) === runs[0].pc);
  const regs = new Map<number, Local>();
  const written = new Set<number>();
  let named = 0;
  const hold = (r: number, load: boolean) => {
    const l = fb.local(I64);
    regs.set(r, l);
    named |= 1 << r;
    if (load) { fb.get(env); fb.i64Load(GPR + r * 8); fb.set(l); }
  };
  for (let i = 0; i < runs.length; i++) {
    const insns = runs[i].insns;
    for (let k = 0; k < insns.length; k++) {
      const ins = insns[k];
      if (!ins.row) continue;
      const fresh = ins.srcs & ~named;
      if (fresh) for (let r = 1; r < 32; r++) if (fresh & (1 << r)) hold(r, !loops);
      const rd = ins.rd;
      if (!rd) continue;
      if (!(named & (1 << rd))) hold(rd, !loops && (ins.flags & RF.KEEP_RD) !== 0);
      written.add(rd);
    }
  }

  // Layout: runs in pc order; every backward branch (target run <= source run) lies inside a
  // loop group, the interval of runs [target, source] (partly overlapping intervals merged, so
  // groups nest). A group is a wasm loop whose header dispatches on `cur` (-1: its first run,
  // else the run an entry or a branch named); forward branches are branches to enclosing block
  // labels. TurboFan then sees the guest's loops as loops, and only the registers a loop uses
  // are live round it (one dispatch loop over the whole region kept all of them live).
  const cur = fb.param(1);
  let held = 0;
  for (const r of regs.keys()) held |= 1 << r;
  const flow = loops ? regionFlow(runs, runIndex, held, split) : null;
  // Rows writing registers they do not name (namedOnly) count as writing all the block holds.
  if (flow) for (const r of maskRegs(flow.written)) written.add(r);
  const layout = regionLayout(runs, runIndex, cur);
  // Several top-level units: the entry loads go where the top dispatch is, each set branching
  // to its entries' units (emitEntryLoads); else here, before the region.
  const entryAtTop = flow !== null && layout.top.children.length > 1;
  if (flow && !entryAtTop) emitEntryLoads(fb, env, cur, regs, flow.liveIn);
  let limit: Local | null = null;
  if (layout.top.children.some(function hasLoop(n: RegionNode): boolean { return n.loop || n.children.some(hasLoop); })) {
    limit = fb.local(I64);
    fb.get(entryInstret); fb.get(env); fb.i32Load(STATE.budget.offset); fb.i64ExtendI32S(); fb.i64Add(); fb.set(limit);
  }
  // exitStored: a run's own exit epilogue has stored its registers (see emitNode).
  const exitStored = fb.block();
  const exitJump = fb.block();
  const restart = fb.block();
  const ctx = new TbContext(fb, env, h, dummyPc, tlbData, status, dummy, restart, exitJump, instret0,
    entryInstret, nextPc, regs, runPcs, runIndex, layout);
  ctx.fetchTlb = fetchTlb;
  ctx.limit = limit;
  ctx.nextAddendLo = tb.nextAddendLo;
  ctx.split = split;
  ctx.addendLo = tb.addendLo;
  for (const r of written) ctx.written.add(r);
  ctx.loops = loops;
  ctx.pm = tb.pm ?? true;
  ctx.missStep = tb.missExits ?? false;
  ctx.guestBase = tb.guestBase;
  ctx.userPages = tb.userPages;
  ctx.missFns = missFns;
  let writtenMask = 0;
  for (const r of written) writtenMask |= 1 << r;
  const emitNode = (node: RegionNode) => {
    if (node.run >= 0) {
      ctx.run = node.run;
      const mask = flow ? flow.store[node.run] : writtenMask;
      if (mask === writtenMask) { emitRun(ctx, runs[node.run]); return; }
      // The run's exits go to the epilogue of its store set (regionFlow; see epilogues).
      const epi = epilogues.get(mask) as Epilogue;
      ctx.stores = epi.regs; ctx.runExit = epi.exit; ctx.runRestart = epi.restart;
      emitRun(ctx, runs[node.run]);
      ctx.stores = ctx.written; ctx.runExit = exitJump; ctx.runRestart = restart;
      return;
    }
    const kids = node.children;
    if (node.peel) {
      // Entries after the first run take a copy of the runs from theirs to the group's end,
      // whose back edges (to the first run) enter the loop; the loop has no dispatch.
      const head = fb.block();
      for (let m = kids.length - 1; m >= 1; m--) node.labels[m] = fb.block();
      node.labels[0] = head;
      fb.get(cur);
      if (node.first) { fb.i32Const(node.first); fb.i32Sub(); }
      fb.brTable(node.labels.slice(), head); // units are runs: one target each
      node.loopLabel = head;
      for (let m = 1; m < kids.length; m++) { fb.end(); emitNode(kids[m]); }
      fb.end(); // head
      node.loopLabel = fb.loop();
      for (let m = kids.length - 1; m >= 0; m--) node.labels[m] = fb.block();
      // Only the loop reaches its runs: each counts from the first's instret (TbContext.delta).
      const d = new Map<number, number>();
      for (let r = node.first, acc = 0; r <= node.last; r++) {
        d.set(r, acc);
        const ft = fallThrough(runs[r].insns);
        acc = ft !== null && runIndex.get(ft) === r + 1 ? acc + runs[r].insns.length : 0;
      }
      ctx.runDelta = d;
      kids.forEach((k, m) => { fb.end(); emitNode(k); });
      ctx.runDelta = null;
      fb.end();
      node.loopLabel = undefined;
      return;
    }
    if (node.loop) node.loopLabel = fb.loop();
    // Unit m's code follows the end of label m (label 0 innermost): a unit can branch forward
    // to any later unit's label.
    if (kids.length > 1) {
      for (let m = kids.length - 1; m >= 0; m--) node.labels[m] = fb.block();
      const targets: Label[] = [];
      kids.forEach((k, m) => { for (let r = k.first; r <= k.last; r++) targets.push(node.labels[m]); });
      // A loop's back edges set cur = -1 (its first run): test that before the br_table, which
      // TurboFan lowers to a compare chain or an indirect jump run at every iteration.
      if (node === layout.top && flow && entryAtTop) {
        const to: Label[] = [];
        kids.forEach((k, m) => { for (let r = k.first; r <= k.last; r++) to[r] = node.labels[m]; });
        emitEntryLoads(fb, env, cur, regs, flow.liveIn, to);
        kids.forEach((k, m) => { fb.end(); emitNode(k); });
        return;
      }
      if (node.loop) { fb.get(cur); fb.i32Const(-1); fb.i32Ne(); fb.if_(VOID, false); }
      fb.get(cur);
      if (node.first) { fb.i32Const(node.first); fb.i32Sub(); }
      fb.brTable(targets, node.labels[0]);
      if (node.loop) fb.end();
    }
    kids.forEach((k, m) => { if (kids.length > 1) fb.end(); emitNode(k); });
    if (node.loop) { fb.end(); node.loopLabel = undefined; }
  };
  // One epilogue per distinct store set of the runs whose set is not every register the block
  // writes (those use the shared exits below): it stores the set, then returns the status
  // (restart) or goes on to the chain (status 0). Runs of one region often share a set (a
  // third of the epilogues were copies). Labels for all of them enclose the region.
  interface Epilogue { regs: number[]; stores: Label; exit: Label; restart: Label }
  const epilogues = new Map<number, Epilogue>();
  if (flow) {
    for (const m of flow.store) {
      if (m === writtenMask || epilogues.has(m)) continue;
      const stores = fb.block(), exit = fb.block(), restart = fb.block();
      epilogues.set(m, { regs: maskRegs(m), stores, exit, restart });
    }
  }
  emitNode(layout.top);
  for (const epi of [...epilogues.values()].reverse()) {
    fb.end(); // epi.restart: status set
    fb.br(epi.stores);
    fb.end(); // epi.exit: state.pc in nextPc, instret stored
    fb.i32Const(0); fb.set(status);
    fb.end(); // epi.stores
    ctx.storeRegs(epi.regs);
    fb.get(status); fb.if_(); fb.get(status); fb.return_(); fb.end();
    fb.br(exitStored);
  }
  fb.end(); // restart: a looping block stores its registers here, others before branching
  if (loops) ctx.flushGprs();
  fb.get(status); fb.return_();
  fb.end(); // exitJump: instret stored by the jump (and registers, unless looping); state.pc = nextPc
  if (loops) ctx.flushGprs();
  fb.end(); // exitStored
  fb.get(env); fb.get(nextPc); fb.i64Store(STATE.pc.offset);
  if (chainFn >= 0) emitChain(fb, env, nextPc, entryInstret, chainFn);
  fb.i32Const(0);
}

/**
 * Register flow of a looping region, as bit masks over x1-x31 (bit r = x[r]):
 *   store[R]  registers that may hold a value set in the block at any point of run R (set in R
 *             or in a run with a path to R); every exit from R stores exactly these back
 *   liveIn[R] registers to load when the block is entered at run R: read, or stored at an
 *             exit, on some path from R's start before the block sets them
 * An exit may store a register set on no path to it only if it was loaded at entry: liveness
 * counts every exit of R as a use of store[R], so that holds on every path. A small entry
 * (a return into a loop body) then loads what it needs, not every register the region names.
 */
function regionFlow(runs: readonly TbRun[], runIndex: ReadonlyMap<bigint, number>, held: number, split: number):
  { liveIn: number[]; store: number[]; written: number } {
  const n = runs.length;
  const rdAll: number[] = [], succ: number[][] = [];
  for (let r = 0; r < n; r++) {
    const insns = runs[r].insns;
    let m = 0;
    const out: number[] = [];
    for (let k = 0; k < insns.length; k++) {
      const ins = insns[k];
      m |= (ins.rd ? 1 << ins.rd : 0) | (ins.row && !(ins.flags & RF.NAMED_ONLY) ? held : 0);
      const t = ins.target;
      const j = t === null ? undefined : runIndex.get(t);
      if (j !== undefined) out.push(j);
    }
    const ft = fallThrough(insns);
    const j = ft === null ? undefined : runIndex.get(ft);
    if (j !== undefined) out.push(j);
    rdAll.push(m); succ.push(out);
  }
  const store = rdAll.slice();
  for (let changed = true; changed;) {
    changed = false;
    for (let p = 0; p < n; p++) {
      const sp = succ[p];
      for (let i = 0; i < sp.length; i++) {
        const j = sp[i];
        const m = store[j] | store[p];
        if (m !== store[j]) { store[j] = m; changed = true; }
      }
    }
  }
  // A run whose exits would leave out fewer than two of the registers the block writes uses
  // the shared epilogues (all of them): its own would cost more code than it saves.
  const written = rdAll.reduce((a, m) => a | m, 0);
  for (let r = 0; r < n; r++) if (popcount(written & ~store[r]) < 2) store[r] = written;
  const liveIn = new Array<number>(n).fill(0);
  for (let changed = true; changed;) {
    changed = false;
    for (let r = n - 1; r >= 0; r--) {
      const run = runs[r].insns;
      const last = run[run.length - 1];
      const ft = fallThrough(run);
      const next = ft === null ? undefined : runIndex.get(ft);
      // After the last instruction: the next run, or an exit (a jump's exit is its own).
      let live = next !== undefined ? liveIn[next] : last.row && (last.row.trans === rvi.jal || last.row.trans === rvi.jalr) && !(last.flags & RF.INL_RET) ? 0 : store[r];
      // Falling through onto the other page checks its mapping first, an exit (gotoRun).
      if (next !== undefined && (next >= split) !== (r >= split)) live |= store[r];
      for (let k = run.length - 1; k >= 0; k--) {
        const ins = run[k], row = ins.row;
        if (!row) { live = store[r]; continue; }
        const t = staticTarget(ins);
        const j = t === null ? undefined : runIndex.get(t);
        if (j !== undefined) live |= liveIn[j];
        const fl = ins.flags;
        if (!(fl & RF.NAMED_ONLY)) { live |= held | store[r]; continue; }
        const rd = ins.rd ? 1 << ins.rd : 0;
        const keep = (fl & RF.KEEP_RD) !== 0;
        if (!keep && (fl & (RF.PURE | RF.LOAD))) live &= ~rd;
        live |= ins.srcs | (keep ? rd : 0);
        if (!(fl & RF.PURE) || (fl & RF.CAN_ILLEGAL) || straddles(ins)) live |= store[r];
      }
      if (live !== liveIn[r]) { liveIn[r] = live; changed = true; }
    }
  }
  return { liveIn, store, written };
}

/** Index of the region's first run on the next page (runs.length: none). */
function nextPageRun(tb: TbSource): number {
  if (tb.nextAddendLo === undefined) return tb.runs.length;
  const next = (tb.pc & ~0xfffn) + 0x1000n;
  const i = tb.runs.findIndex((r) => r.pc >= next);
  return i < 0 ? tb.runs.length : i;
}

/** One run's instructions; every path out of it branches (exit, restart or another run). */
function emitRun(ctx: TbContext, run: TbRun): void {
  const fb = ctx.fb;
  ctx.k = 0;
  ctx.delta = ctx.runDelta?.get(ctx.run) ?? 0;
  let pc = run.pc;
  const insns = run.insns;
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i];
    ctx.curPc = ins.pc;
    if (!ins.row) { emitIllegal(ctx, ins.word, (ins.word & 3) === 3 ? 4 : 2); return; }
    const row = ins.row;
    const a = ins.args;
    ctx.ilen = row.ilen;
    ctx.insnWord = ins.word;
    ctx.staticTarget = ins.target;
    if (straddles(ins)) ctx.checkNextPage();
    if (ins.flags & (RF.INL_CALL | RF.INL_RET | RF.INL_ELSE | RF.INL_BR)) {
      if (ins.flags & RF.INL_CALL) ctx.inlineCall(ins);
      else if (ins.flags & RF.INL_BR) ctx.inlineBranch(ins, insns, i);
      else if (ins.flags & RF.INL_ELSE) ctx.inlineElse();
      else ctx.inlineJoin();
      ctx.k++;
      continue;
    }
    if (ins.flags & RF.CAN_ILLEGAL) {
      // Its own illegal exit (FP guards, reserved rounding modes).
      const done = fb.block();
      ctx.illegalLabel = fb.block();
      row.trans(ctx, a);
      fb.br(done);
      fb.end();
      emitIllegal(ctx, ins.word, row.ilen);
      fb.end();
    } else {
      // No block/end pair per instruction: every control-flow merge costs baseline-compiled code
      // (Liftoff spills its register state there).
      ctx.illegalLabel = NO_ILLEGAL;
      row.trans(ctx, a);
    }
    ctx.k++;
    if (row.trans === rvi.jal || row.trans === rvi.jalr) return;
  }
  // Fell through (after a system instruction that went on, at the size/page limit, or into
  // the next run): pc after the last instruction.
  if (insns.length) pc = insns[insns.length - 1].next;
  const next = ctx.runIndex.get(pc);
  if (next !== undefined) { ctx.gotoRun(next, ctx.k); return; }
  fb.i64Const(pc); fb.set(ctx.nextPc);
  ctx.storeInstret(ctx.k);
  ctx.flushForExit();
  fb.br(ctx.runExit);
}

/** Illegal instruction at ctx.curPc: tval = the instruction bits; leave with status 1. */
function emitIllegal(ctx: TbContext, word: number, ilen: number): void {
  const fb = ctx.fb;
  ctx.syncForHelper();
  ctx.flushGprs();
  fb.i32Const(2); fb.i32Const(ilen === 4 ? word | 0 : word & 0xffff); fb.i32Const(0);
  fb.call(ctx.h.raise);
  fb.i32Const(1); fb.return_();
}
