// The block compiler's code generator (QEMU's translator_loop + tcg backend, in one): the same
// trans_* emitters as the interpreter, driven with constant operands and a constant pc, build one
// wasm function per translation block; many blocks go into one module (tb-cache.ts batches).
//
// A block is a run of guest instructions inside one guest page, ending after an unconditional
// jump, a system instruction (xret, ecall, ebreak, wfi, fence.i, sfence.vma), an undecodable
// word, the page end or TB_MAX_INSNS. Conditional branches are side exits, so one block covers
// straight-line code across not-taken branches; a branch back to the block's start is a wasm
// loop (budget and exit_request checked on each iteration).
//
// tb(env) -> status, the dispatcher's contract (interpreter.ts):
//   prologue: if fetchTlb[idx][slot].tag != pc page || addend != compile-time addend: return MISS
//             (the guest mapping changed: the interpreter takes over for this pc)
//             instret0 = state.instret; tlbData = data TLB of mmu_idx_data
//             x[r] -> local for every register an instruction names (rd/rs1/rs2/rs3)
//   body:     registers live in locals; before any helper call the written ones are stored back
//             (helpers and traps see exact state) and state.pc/instret are made exact
//   exits:    0 = state.pc holds the next pc (jump, fall through, loop budget)
//             other = a helper's status (1 reload pc, >= 2 leave run()), state already exact
import { type FunctionBuilder, type Label, type Local, ModuleBuilder, ValType } from '../../tcg/wasm-builder.js';
import { STATE, TB_JMP_ENTRIES, TB_JMP_HASH_SHIFT, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, TLB_OFFSET, TlbKind, tlbSlot } from './cpu-state.js';
import { type Operand, type Row, buildDecodeTree, constArgs, decodeWith } from './decode.js';
import { insn16 } from './insn16.js';
import { insn32 } from './insn32.js';
import { INTERP_IMPORTS, TB_MISS } from './interpreter.js';
import { importRvmRuntime } from './rvm-runtime.js';
import { trans as priv } from './trans_privileged.js';
import { type TransFn, trans as rvi } from './trans_rvi.js';
import { DisasContext, type Helpers } from './translate.js';

const I32 = ValType.I32, I64 = ValType.I64;
const tree32 = buildDecodeTree(insn32.rows, 3);
const tree16 = buildDecodeTree(insn16.rows);
const GPR = STATE.gpr.offset;

/** Longest block (instructions): bounds compile time per block and the loss on early exits. */
export const TB_MAX_INSNS = 64;

const ENDS_BLOCK = new Set<TransFn>([rvi.jal, rvi.jalr, rvi.illegal, priv.mret, priv.sret, priv.ecall, priv.ebreak,
  priv.wfi, priv.fence_i, priv.sfence_vma]);
const HAS_STATIC_TARGET = new Set<TransFn>([rvi.jal, rvi.beq, rvi.bne, rvi.blt, rvi.bge, rvi.bltu, rvi.bgeu]);
const REG_ARGS = ['rs1', 'rs2', 'rs3', 'rd'];
/** Rows whose emitters may branch to the illegal-instruction label. */
const canBeIllegal = (row: Row<TransFn>) => row.trans === rvi.illegal || isFpRow(row.name);
/** The illegal label of rows that never use it: a use is a bug in this table. */
const NO_ILLEGAL: Label = { get depth(): number { throw new Error('translate-block: unexpected illegal exit'); } };
/** F/D rows: their rd may name an f register, so it does not count as setting x[rd]. */
const isFpRow = (name: string) => (name.startsWith('f') && !name.startsWith('fence')) || name.startsWith('c.f');

export interface TbInsn { row: Row<TransFn> | null; word: number; pc: bigint }

/** What the compiler needs to know about one block. */
export interface TbSource {
  pc: bigint;
  insns: TbInsn[];
  /** Low 32 bits of the fetch TLB addend the block was translated under. */
  addendLo: number;
}

/**
 * Decode a block at `pc` whose bytes are read by `read16(i)` (the halfword at pc + 2*i, or -1
 * past the page). Returns [] when not even the first instruction lies wholly in the page.
 */
export function decodeTb(pc: bigint, read16: (i: number) => number, maxInsns = TB_MAX_INSNS): TbInsn[] {
  const out: TbInsn[] = [];
  let h = 0;
  while (out.length < maxInsns) {
    const lo = read16(h);
    if (lo < 0) break;
    let word = lo, len = 1;
    if ((lo & 3) === 3) {
      const hi = read16(h + 1);
      if (hi < 0) break;
      word = (lo | (hi << 16)) >>> 0;
      len = 2;
    }
    const row = len === 2 ? decodeWith(tree32, word) : decodeWith(tree16, word);
    out.push({ row, word, pc: pc + BigInt(h * 2) });
    h += len;
    if (!row || ENDS_BLOCK.has(row.trans)) break;
  }
  return out;
}

/** Instruction-list text for -d in_asm style logs is disas.ts's; this is the size estimate. */
export function tbGuestBytes(tb: TbSource): number {
  return tb.insns.reduce((n, i) => n + (i.row ? i.row.ilen : (i.word & 3) === 3 ? 4 : 2), 0);
}

/** DisasContext for constant operands, a constant pc and registers cached in locals. */
class TbContext extends DisasContext {
  /** pc of the current instruction and its index in the block. */
  curPc = 0n;
  k = 0;
  /** Target of the current branch when it is a constant (pc + imm). */
  staticTarget: bigint | null = null;
  /** Registers stored back at exits and before helpers: every rd the block names (a superset
   * of what it writes; the others still hold the value loaded at entry). */
  readonly written = new Set<number>();
  /** Registers set so far in program order (a superset of those set on any path to here). */
  readonly dirty = new Set<number>();
  /** The block branches back to its start: values set late in one iteration are live early in
   * the next, so flushes store every register in `written`. */
  loops = false;
  constructor(fb: FunctionBuilder, env: Local, h: Helpers, dummyPc: Local, tlbData: Local, status: Local,
    dummy: Local, restart: Label, readonly exitJump: Label, readonly loopTop: Label,
    readonly startPc: bigint, readonly instret0: Local, readonly nextPc: Local,
    readonly regs: ReadonlyMap<number, Local>) {
    super(fb, env, h, null, dummyPc, tlbData, status, dummy, dummy, restart, exitJump, restart);
  }

  override pushPc(): void { this.fb.i64Const(this.curPc); }
  override pushNextPc(): void { this.fb.i64Const(this.curPc + BigInt(this.ilen)); }
  override syncInstret(): void { this.storeInstret(this.k); }
  /** Helpers read no x registers (those that do call flushGprs()): a helper that traps or asks
   * for a reload leaves through the restart exit, which stores them all back. */
  override syncForHelper(): void {
    const fb = this.fb;
    fb.get(this.env); fb.i64Const(this.curPc); fb.i64Store(STATE.pc.offset);
    this.storeInstret(this.k);
  }
  /** state.instret = instret0 + n */
  storeInstret(n: number): void {
    const fb = this.fb;
    fb.get(this.env); fb.get(this.instret0);
    if (n) { fb.i64Const(n); fb.i64Add(); }
    fb.i64Store(STATE.instret.offset);
  }
  /** Store back the registers set so far (every one the block sets, when it loops). */
  override flushGprs(): void {
    const fb = this.fb;
    for (const r of this.loops ? this.written : this.dirty) {
      fb.get(this.env); fb.get(this.regs.get(r) as Local); fb.i64Store(GPR + r * 8);
    }
  }
  override checkStatus(): void {
    const fb = this.fb;
    fb.tee(this.status);
    fb.if_(); this.exitRestart(); fb.end();
  }
  /** A helper trapped or asked for a reload: state.pc/instret are exact; registers go back. */
  override exitRestart(): void {
    this.flushGprs();
    this.fb.get(this.status); this.fb.return_();
  }
  override reloadGpr(r: Operand): void {
    const l = r.isConst ? this.regs.get(r.value) : undefined;
    if (!l) return;
    this.fb.get(this.env); this.fb.i64Load(GPR + r.value * 8); this.fb.set(l);
  }
  override getGpr(r: Operand): void {
    const l = r.isConst ? this.regs.get(r.value) : undefined;
    if (l) this.fb.get(l); else super.getGpr(r);
  }
  override setGpr(rd: Operand, emit: () => void): void {
    const l = rd.isConst ? this.regs.get(rd.value) : undefined;
    if (!l) { super.setGpr(rd, emit); return; }
    emit();
    this.fb.set(l);
    this.dirty.add(rd.value);
  }
  override jump(emit: () => void): void {
    const fb = this.fb;
    if (this.staticTarget === this.startPc) {
      emit(); fb.drop();
      this.backEdge();
      return;
    }
    emit(); fb.set(this.nextPc);
    this.storeInstret(this.k + 1);
    this.flushGprs();
    fb.br(this.exitJump);
  }
  /** Loop to the block start: charge the iteration, leave when the budget is spent or an exit
   * was requested (interrupt), else go round with the registers still in locals. */
  private backEdge(): void {
    const fb = this.fb;
    const n = this.k + 1;
    fb.get(this.instret0); fb.i64Const(n); fb.i64Add(); fb.set(this.instret0);
    fb.get(this.env); fb.get(this.env); fb.i32Load(STATE.budget.offset); fb.i32Const(n); fb.i32Sub();
    fb.i32Store(STATE.budget.offset);
    fb.get(this.env); fb.i32Load(STATE.budget.offset); fb.i32Const(0); fb.i32LeS();
    fb.get(this.env); fb.i32Load(STATE.exit_request.offset); fb.i32Or();
    fb.if_();
    fb.i64Const(this.startPc); fb.set(this.nextPc);
    this.storeInstret(0);
    this.flushGprs();
    fb.br(this.exitJump);
    fb.end();
    fb.br(this.loopTop);
  }
}

/** Build one module whose instantiation stores the blocks of `tbs` at table[tbBase + i]. */
export function buildTbModule(tbs: readonly TbSource[], chain = true): Uint8Array {
  const mb = new ModuleBuilder();
  const imp: Record<string, number> = {};
  for (const [name, p, r] of INTERP_IMPORTS) imp[name] = mb.importFunction('rvm', name, p, r);
  const rvm = importRvmRuntime(mb);
  mb.importMemory('env', 'memory');
  mb.importTable('env', 'tbs');
  const tbType = mb.typeIndex({ params: [I32], results: [I32] });
  const h: Helpers = {
    slowLoad: imp.slowLoad, slowStore: imp.slowStore, xlate: imp.xlate, raise: imp.raise, csr: imp.csr,
    mret: imp.mret, sret: imp.sret, wfi: imp.wfi, fencei: imp.fencei, ecall: imp.ecall, ebreak: imp.ebreak,
    sfence: imp.sfence, fp: imp.fp, ...rvm,
  };
  // No exports (JS wrappers per export are costly): the blocks land in the table at
  // instantiation, at tbs[base + i].
  const base = mb.importGlobal('env', 'tbBase', I32);
  const funcs = tbs.map((tb) => {
    const f = mb.defineFunction([I32], [I32]);
    emitTb(f.fb, h, tb, chain ? tbType : -1);
    return f.index;
  });
  mb.tableElements(base, funcs);
  return mb.bytes();
}

const IDX_BYTES = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;

function emitTb(fb: FunctionBuilder, h: Helpers, tb: TbSource, tbType: number): void {
  const env = fb.param(0);
  const tlbData = fb.local(I32), status = fb.local(I32), dummy = fb.local(I32);
  const instret0 = fb.local(I64), nextPc = fb.local(I64), dummyPc = fb.local(I64);
  // The page mapping the block was translated under must still be the fetch TLB's.
  const page = tb.pc & ~0xfffn;
  const slot = tlbSlot(Number(tb.pc & 0xffffffffn));
  const fetchOff = TLB_OFFSET + TlbKind.FETCH * TLB_ENTRIES * TLB_ENTRY_BYTES + slot * TLB_ENTRY_BYTES;
  const e = fb.local(I32);
  fb.get(env); fb.get(env); fb.i32Load(STATE.mmu_idx_fetch.offset); fb.i32Const(IDX_BYTES); fb.i32Mul(); fb.i32Add();
  fb.tee(e); fb.i64Load(fetchOff); fb.i64Const(BigInt.asIntN(64, page)); fb.i64Ne();
  fb.get(e); fb.i32Load(fetchOff + 8); fb.i32Const(tb.addendLo); fb.i32Ne(); fb.i32Or();
  fb.if_(); fb.i32Const(TB_MISS); fb.return_(); fb.end();
  fb.get(env); fb.get(env); fb.i32Load(STATE.mmu_idx_data.offset); fb.i32Const(IDX_BYTES); fb.i32Mul(); fb.i32Add();
  fb.i32Const(TLB_OFFSET); fb.i32Add(); fb.set(tlbData);
  fb.get(env); fb.i64Load(STATE.instret.offset); fb.set(instret0);

  // Every register an instruction names lives in a local. Loaded at entry: those read before
  // they are set (program order: the block is straight-line code with side exits), or all of
  // them when the block loops (an exit in the second iteration stores every `written` one).
  const loops = tb.insns.some((ins) => ins.row !== null && HAS_STATIC_TARGET.has(ins.row.trans)
    && ins.pc + BigInt(constArgs(ins.row, ins.word).imm.value) === tb.pc);
  const regs = new Map<number, Local>();
  const written = new Set<number>();
  for (const ins of tb.insns) {
    if (!ins.row) continue;
    const a = constArgs(ins.row, ins.word);
    for (const n of REG_ARGS) {
      const r = a[n]?.value;
      if (!r) continue;
      if (!regs.has(r)) {
        const l = fb.local(I64);
        regs.set(r, l);
        if (loops || n !== 'rd' || isFpRow(ins.row.name)) { fb.get(env); fb.i64Load(GPR + r * 8); fb.set(l); }
      }
      if (n === 'rd') written.add(r);
    }
  }

  const exitJump = fb.block();
  const restart = fb.block();
  const top = fb.loop();
  const ctx = new TbContext(fb, env, h, dummyPc, tlbData, status, dummy, restart, exitJump, top, tb.pc, instret0,
    nextPc, regs);
  for (const r of written) ctx.written.add(r);
  ctx.loops = loops;
  let pc = tb.pc;
  let ended = false;
  for (const ins of tb.insns) {
    ctx.curPc = ins.pc;
    if (!ins.row) { emitIllegal(ctx, ins.word, (ins.word & 3) === 3 ? 4 : 2); ended = true; break; }
    const row = ins.row;
    const a = constArgs(row, ins.word);
    ctx.ilen = row.ilen;
    ctx.insnWord = ins.word;
    ctx.staticTarget = HAS_STATIC_TARGET.has(row.trans) ? ins.pc + BigInt(a.imm.value) : null;
    if (canBeIllegal(row)) {
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
    pc = ins.pc + BigInt(row.ilen);
    if (row.trans === rvi.jal || row.trans === rvi.jalr) { ended = true; break; }
  }
  if (!ended) {
    // Fell through (after a system instruction that went on, or at the size/page limit).
    fb.i64Const(pc); fb.set(nextPc);
    ctx.storeInstret(ctx.k);
    ctx.flushGprs();
    fb.br(exitJump);
  }
  fb.end(); // loop
  fb.end(); // restart: every exit to it stored the registers
  fb.get(status); fb.return_();
  fb.end(); // exitJump: registers and instret stored by the jump; state.pc = nextPc
  fb.get(env); fb.get(nextPc); fb.i64Store(STATE.pc.offset);
  if (tbType >= 0) emitChain(fb, env, nextPc, instret0, tbType);
  fb.i32Const(0);
}

/**
 * Direct chaining (QEMU's goto_tb, through the tb_jmp cache): charge this block's instructions
 * to state.budget, then, budget left and no exit request, tail-call the next block when the
 * cache knows it; otherwise return to the dispatcher (status 0).
 *   b = budget - (instret - instret0); if (b > 0 && !exit_request) {
 *     e = &tb_jmp[hash(pc)]; if (e.tag == pc && e.idx) return_call_indirect tbs[e.idx](env) }
 */
function emitChain(fb: FunctionBuilder, env: Local, nextPc: Local, instret0: Local, tbType: number): void {
  const b = fb.local(I32), e = fb.local(I32);
  fb.get(env);
  fb.get(env); fb.i32Load(STATE.budget.offset);
  fb.get(env); fb.i64Load(STATE.instret.offset); fb.get(instret0); fb.i64Sub(); fb.i32WrapI64(); fb.i32Sub();
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
  fb.if_(); fb.get(env); fb.get(b); fb.returnCallIndirect(tbType); fb.end();
  fb.end();
  fb.end();
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
