// DisasContext: what an instruction emitter (trans_*.ts) sees. The same emitters build the
// interpreter (operands are fields extracted from the run-time insn word, pc lives in a local)
// and, later, translation blocks (constant operands, constant pc); only this context differs.
//
// Conventions of the generated code:
//   env   i32 local: this hart's state block base (offsets from STATE)
//   pc    the pc of the current instruction; state.pc is written only before a helper call
//         that may trap (so traps see the exact pc) and at exits
//   Helper status: 0 go on, 1 state changed (reload pc from state), >= 2 leave run() with
//         CpuExit = status - 2 (see cpu.ts).
import { type FunctionBuilder, type Label, type Local, ValType, VOID } from '../../tcg/wasm-builder.js';
import { CALL_PRED_ENTRIES, STATE, TLB_BITS, TLB_ENTRIES, TLB_ENTRY_BYTES, TlbKind } from './cpu-state.js';
import { type Field, type Operand, emitField } from './decode.js';
import { riscvPmConfigured } from './pointer-masking.js';

/** Function indexes (imports and module-internal runtime functions) emitters call. */
export interface Helpers {
  /** (addrLo, addrHi, memop) -> status; value in scratch[0]. */
  slowLoad: number;
  /** (addrLo, addrHi, memop) -> status; value taken from scratch[0]. */
  slowStore: number;
  /** (addrLo, addrHi, kind, size) -> host offset, -1 after raising the fault. */
  xlate: number;
  /** (cause, tvalLo, tvalHi) -> void: raise an exception at state.pc. */
  raise: number;
  /** (csrno, rd, op, writes, insn) -> status; source value in scratch[0]. */
  csr: number;
  /** () -> status */
  mret: number; sret: number; wfi: number; fencei: number; ecall: number; ebreak: number;
  /** (rs1, rs2) -> status */
  sfence: number;
  /** H instructions: (insn) -> status (hyp_helper.ts). */
  hyp: number;
  /** (op, rd, rs1, rs2, rs3, rm) -> 1 ok / 0 illegal rm */
  fp: number;
  /** (insn) -> status: every V instruction (trans_rvv.ts, vector_helper.ts) */
  vec: number;
  /** () -> i64: the time CSR (the board's mtime), for the inline `csrr rd, time` */
  rdtime: number;
  // Internal wasm functions (i64,i64)->i64 and (i32,i32)->i32.
  mulh: number; mulhsu: number; mulhu: number;
  div: number; divu: number; rem: number; remu: number;
  divw: number; divuw: number; remw: number; remuw: number;
}

/** Memory operation: log2 size in bits 0-1, sign-extend flag in bit 2. */
export const enum MemOp { UB = 0, UW = 1, UL = 2, UQ = 3, SIGN = 4, SB = 4, SW = 5, SL = 6 }

/** slowStore memop flag: the store is a 2-byte (RVC) instruction. */
export const MEMOP_RVC = 16;
export const SCRATCH = STATE.scratch.offset;
const GPR = STATE.gpr.offset;
const FPR = STATE.fpr.offset;
export const PAGE_MASK = -4096;

/** Statuses a miss path returns are below this; host addresses are not (the CPU state sits
 * below guest RAM in the wasm memory and is larger). */
export const MISS_STATUS_LIMIT = 256;

/** Push the page of the access's last byte (see DisasContext.pushLastBytePage). */
export function emitLastBytePage(fb: FunctionBuilder, a: Local, size: number): void {
  fb.get(a);
  if (size > 1) { fb.i64Const(size - 1); fb.i64Add(); }
  fb.i64Const(PAGE_MASK); fb.i64And();
}
/** The load of `memop` from the host address on the stack (i64 result). */
export function emitLoadOp(fb: FunctionBuilder, memop: MemOp): void {
  switch (memop) {
    case MemOp.UB: fb.i64Load8U(); break;
    case MemOp.SB: fb.i64Load8S(); break;
    case MemOp.UW: fb.i64Load16U(); break;
    case MemOp.SW: fb.i64Load16S(); break;
    case MemOp.UL: fb.i64Load32U(); break;
    case MemOp.SL: fb.i64Load32S(); break;
    default: fb.i64Load(0); break;
  }
}
/** The store of the low bytes of `memop`'s size (host address, value on the stack). */
export function emitStoreOp(fb: FunctionBuilder, memop: MemOp): void {
  switch (memop & 3) {
    case 0: fb.i64Store8(); break;
    case 1: fb.i64Store16(); break;
    case 2: fb.i64Store32(); break;
    default: fb.i64Store(0); break;
  }
}

/** emitTlbSlotBytes of the i64 address in local `a` (no closure: per translated access). */
export function emitTlbSlotBytesOf(fb: FunctionBuilder, a: Local): void {
  fb.get(a); fb.i32WrapI64(); fb.i32Const(12 - Math.log2(TLB_ENTRY_BYTES)); fb.i32ShrU();
  fb.i32Const((TLB_ENTRIES - 1) * TLB_ENTRY_BYTES); fb.i32And();
}
/** Push tlbSlot(lo) * TLB_ENTRY_BYTES (i32), `lo` pushing the address's low 32 bits. */
export function emitTlbSlotBytes(fb: FunctionBuilder, lo: () => void): void {
  lo(); fb.i32Const(12 - Math.log2(TLB_ENTRY_BYTES)); fb.i32ShrU();
  fb.i32Const((TLB_ENTRIES - 1) * TLB_ENTRY_BYTES); fb.i32And();
}
/** Push tlbVictimSlot(lo) * TLB_ENTRY_BYTES (i32), `lo` pushing the low 32 bits (twice). */
export function emitTlbVictimSlotBytes(fb: FunctionBuilder, lo: () => void): void {
  const sh = Math.log2(TLB_ENTRY_BYTES);
  lo(); fb.i32Const(12 - sh); fb.i32ShrU();
  lo(); fb.i32Const(12 + TLB_BITS - sh); fb.i32ShrU(); fb.i32Xor();
  fb.i32Const((TLB_ENTRIES - 1) * TLB_ENTRY_BYTES); fb.i32And();
}

export class DisasContext {
  /** Bytes of the current instruction (2 for RVC rows). */
  ilen: 2 | 4 = 4;
  /** The instruction word in constant mode (there is no insn local then). */
  insnWord = 0;
  constructor(
    readonly fb: FunctionBuilder,
    readonly env: Local,
    readonly h: Helpers,
    /** The instruction word local (dynamic operands); null in constant mode. */
    readonly insn: Local | null,
    /** The i64 local holding the pc of the current instruction. */
    readonly pc: Local,
    /** Data TLB base for the current mmu_idx_data (i32 local: env + TLB_OFFSET + idx*...). */
    readonly tlbData: Local,
    /** Helper status local. */
    readonly status: Local,
    /** Remaining budget (i32 local), and its value at the last instret sync: an i32 local,
     * or the offset of an i32 state field (the interpreter: one value less live round its loop). */
    readonly rem: Local,
    readonly synced: Local | number,
    /** Labels: state.pc is authoritative, reload it; the pc local holds a new target; illegal. */
    readonly restart: Label,
    readonly jumped: Label,
    /** Where illegal encodings go (the block compiler points it at the current instruction's). */
    public illegalLabel: Label,
  ) {}

  // ---- operands ----
  /** Push an operand as i32. */
  i32(op: Operand): void {
    if (op.isConst) this.fb.i32Const(op.value);
    else emitField(this.fb, this.insnLocal(), op.field as Field);
  }
  /** Push an operand (immediate) sign-extended to i64. */
  i64(op: Operand): void {
    if (op.isConst) this.fb.i64Const(op.value);
    else { this.i32(op); this.fb.i64ExtendI32S(); }
  }
  /** Push the instruction word (i32), e.g. as the tval of an illegal-instruction trap. */
  pushInsn(): void {
    if (this.insn) this.fb.get(this.insn); else this.fb.i32Const(this.insnWord);
  }
  private insnLocal(): Local {
    if (!this.insn) throw new Error('dynamic operand in constant mode');
    return this.insn;
  }
  /** Push the i32 address of register file slot `op` (base + op*8); returns the static offset. */
  private regAddr(op: Operand, base: number): number {
    const fb = this.fb;
    fb.get(this.env);
    if (op.isConst) return base + op.value * 8;
    const f = op.field as Field;
    emitField(fb, this.insnLocal(), { segs: f.segs, shl: 3 });
    fb.i32Add();
    return base + (f.add ?? 0) * 8;
  }

  // ---- registers ----
  /** Before a helper that reads x registers from the state block (helperFp): the block
   * compiler writes back the ones it holds in locals; the interpreter keeps none. */
  flushGprs(): void {}
  /** Before a helper that may or may not write x[r] in the state block (csr): the block compiler
   * stores the local holding it, so a reload afterwards is right either way. */
  flushGpr(_r: Operand): void {}
  /** After a helper that may have written x[r] in the state block (csr, helperFp). */
  reloadGpr(_r: Operand): void {}
  getGpr(r: Operand): void {
    if (r.isConst && r.value === 0) { this.fb.i64Const(0); return; }
    this.fb.i64Load(this.regAddr(r, GPR));
  }
  /** x[rd] = value pushed by `emit`. x0 writes are dropped (constant mode) or re-zeroed. */
  setGpr(rd: Operand, emit: () => void): void {
    const off = this.setGprBegin(rd);
    emit();
    this.setGprEnd(rd, off);
  }
  /** setGpr without a closure (the emitters run per translated instruction, mostly in V8's
   * lower tiers): push the value between the two halves; pass setGprEnd what this returned. */
  setGprBegin(rd: Operand): number {
    if (rd.isConst && rd.value === 0) return -1;
    return this.regAddr(rd, GPR);
  }
  setGprEnd(rd: Operand, off: number): void {
    const fb = this.fb;
    if (off === -1) { fb.drop(); return; }
    fb.i64Store(off);
    if (!rd.isConst) { fb.get(this.env); fb.i64Const(0); fb.i64Store(GPR); }
  }
  getFpr(r: Operand): void { this.fb.i64Load(this.regAddr(r, FPR)); }
  setFpr(rd: Operand, emit: () => void): void {
    const off = this.regAddr(rd, FPR);
    emit();
    this.fb.i64Store(off);
  }
  /** setFpr without a closure: push the value, then setFprEnd(what this returned). */
  setFprBegin(rd: Operand): number { return this.regAddr(rd, FPR); }
  setFprEnd(off: number): void { this.fb.i64Store(off); }
  /** Store i64 value to a state field. */
  setState(field: string, emit: () => void): void {
    this.fb.get(this.env); emit(); this.fb.i64Store(STATE[field].offset);
  }
  getState64(field: string): void { this.fb.get(this.env); this.fb.i64Load(STATE[field].offset); }
  getState32(field: string): void { this.fb.get(this.env); this.fb.i32Load(STATE[field].offset); }
  setState32(field: string, emit: () => void): void {
    this.fb.get(this.env); emit(); this.fb.i32Store(STATE[field].offset);
  }

  // ---- pc ----
  pushPc(): void { this.fb.get(this.pc); }
  pushNextPc(): void { this.fb.get(this.pc); this.fb.i64Const(this.ilen); this.fb.i64Add(); }
  /** state.pc = pc of this instruction, and state.instret brought up to date. */
  syncForHelper(): void {
    const fb = this.fb;
    fb.get(this.env); fb.get(this.pc); fb.i64Store(STATE.pc.offset);
    this.syncInstret();
  }
  syncInstret(): void {
    const fb = this.fb;
    fb.get(this.env);
    fb.get(this.env); fb.i64Load(STATE.instret.offset);
    if (typeof this.synced === 'number') { fb.get(this.env); fb.i32Load(this.synced); } else fb.get(this.synced);
    fb.get(this.rem); fb.i32Sub(); fb.i64ExtendI32U(); fb.i64Add();
    fb.i64Store(STATE.instret.offset);
    if (typeof this.synced === 'number') { fb.get(this.env); fb.get(this.rem); fb.i32Store(this.synced); } else { fb.get(this.rem); fb.set(this.synced); }
  }

  // ---- control ----
  /** Continue at the target pushed by `emit` (i64). */
  jump(emit: () => void): void {
    emit();
    this.fb.set(this.pc);
    this.fb.br(this.jumped);
  }
  /** A `jalr` to the target in local t (interpreter): when it writes ra (a call), note its pc
   * and t in call_pred for the block compiler's prediction. The block compiler notes nothing. */
  noteCall(rd: Operand, t: Local): void {
    if (rd.isConst && rd.value !== 1) return;
    const fb = this.fb;
    if (!rd.isConst) { this.i32(rd); fb.i32Const(1); fb.i32Eq(); fb.if_(); }
    const a = fb.local(ValType.I32);
    fb.get(this.env);
    this.pushPc(); fb.i32WrapI64(); fb.i32Const(((CALL_PRED_ENTRIES - 1) << 1) >>> 0); fb.i32And(); fb.i32Const(3); fb.i32Shl();
    fb.i32Add(); fb.set(a);
    fb.get(a); this.pushPc(); fb.i64Store(STATE.call_pred.offset);
    fb.get(a); fb.get(t); fb.i64Store(STATE.call_pred.offset + 8);
    fb.release(a);
    if (!rd.isConst) fb.end();
  }
  /** jump() to pc + imm (jal, branches) without a closure. */
  jumpRel(imm: Operand): void {
    this.pushPc(); this.i64(imm); this.fb.i64Add();
    this.fb.set(this.pc);
    this.fb.br(this.jumped);
  }
  illegal(): void { this.fb.br(this.illegalLabel); }
  /** The status just returned (i32 on the stack): non-zero -> restart (trap or state change). */
  checkStatus(): void {
    const fb = this.fb;
    fb.tee(this.status);
    fb.brIf(this.restart);
  }
  /** Leave for the restart path with `status` set (the block compiler stores registers first). */
  exitRestart(): void { this.fb.br(this.restart); }
  /** The instruction completed but changed state: continue at the next pc after a reload. */
  completeAndRestart(): void {
    const fb = this.fb;
    fb.get(this.env); this.pushNextPc(); fb.i64Store(STATE.pc.offset);
    fb.get(this.rem); fb.i32Const(1); fb.i32Sub(); fb.set(this.rem);
    fb.i32Const(1); fb.set(this.status);
    this.exitRestart();
  }
  /** Raise `cause` with tval (i64 local) at this instruction. */
  raise(cause: number, tval: Local): void {
    const fb = this.fb;
    this.syncForHelper();
    fb.i32Const(cause);
    fb.get(tval); fb.i32WrapI64();
    fb.get(tval); fb.i64Const(32); fb.i64ShrU(); fb.i32WrapI64();
    fb.call(this.h.raise);
    fb.i32Const(1); fb.set(this.status);
    this.exitRestart();
  }

  /** Guard of every F/D instruction: mstatus.FS == Off -> illegal. */
  requireFs(): void {
    const fb = this.fb;
    this.getState64('mstatus'); fb.i64Const(0x6000); fb.i64And(); fb.i64Eqz();
    fb.brIf(this.illegalLabel);
  }
  /** mstatus.FS = Dirty (after writing an f register or fflags). */
  markFsDirty(): void {
    const fb = this.fb;
    fb.get(this.env); this.getState64('mstatus'); fb.i64Const(0x6000); fb.i64Or();
    fb.i64Store(STATE.mstatus.offset);
  }

  // ---- memory ----
  /**
   * Pointer masking of the i64 effective address on the stack (pointer-masking.ts), emitted
   * only in a configuration with Smmpm/Smnpm/Ssnpm:
   *   a = sar(shl(a, pm_shift), pm_shift); a = shr(shl(a, pm_zshift), pm_zshift)
   */
  pmMask(): void {
    if (!this.pmEmitted()) return;
    const fb = this.fb;
    const n = fb.local(ValType.I64);
    this.getState64('pm_shift'); fb.tee(n); fb.i64Shl(); fb.get(n); fb.i64ShrS();
    this.getState64('pm_zshift'); fb.tee(n); fb.i64Shl(); fb.get(n); fb.i64ShrU();
    fb.release(n);
  }
  /** Whether accesses are masked in this code: the configuration has pointer masking (the
   * block compiler also leaves it out of blocks translated while no masking was in effect). */
  protected pmEmitted(): boolean { return riscvPmConfigured(); }
  /** A load or store that misses the TLB leaves the block for the interpreter (exitStep)
   * instead of calling slowLoad/slowStore: no call in the hot path of translated code. */
  protected missExits(): boolean { return false; }
  /** User mode: push an i32, non-zero when a load (store) of `size` bytes at `a` may access
   * guest memory directly (its page's protection allows it), for an access that missed the TLB;
   * false: no such check here (the miss leaves as before). */
  protected pushDirectOk(_a: Local, _size: number, _store: boolean): boolean { return false; }
  /** Push the host address of a TLB hit: wrap(a) + the entry's addend (e: the entry). */
  pushHost(a: Local, e: Local, kindOff: number): void {
    const fb = this.fb;
    fb.get(a); fb.i32WrapI64(); fb.get(e); fb.i32Load(kindOff + 8); fb.i32Add();
  }
  /** Leave for the interpreter, which runs this instruction (state.pc and instret exact). */
  exitStep(): void { throw new Error('exitStep outside translated code'); }
  /** After a helper that may have changed the masking in effect (a CSR write). */
  afterPmChange(): void {}
  /** pmMask on an i64 local. */
  pmMaskLocal(a: Local): void {
    if (!this.pmEmitted()) return;
    this.fb.get(a); this.pmMask(); this.fb.set(a);
  }

  /** Push the TLB entry address for vaddr (i64 local) in the data TLB: tlbData + tlbSlot(a) * 16. */
  private tlbEntry(a: Local): void {
    this.fb.get(this.tlbData);
    emitTlbSlotBytesOf(this.fb, a);
  }

  /**
   * Load: push the i64 result of a `memop` load from the vaddr pushed by `addr`.
   *   a = vaddr; e = &tlb[idx][LOAD][tlbSlot(a)]; page = (a + size-1) & ~0xfff
   *   if (e.tag != page) { e = &tlb[idx][LOAD][tlbVictimSlot(a)]; if (e.tag != page) {
   *     state.pc = pc; status = slowLoad(a, memop); if (status) restart; v = scratch; done } }
   *   v = *(host)(wrap(a) + wrap(e.addend))
   */
  genLoad(addr: () => void, memop: MemOp): void {
    const fb = this.fb;
    const a = fb.local(ValType.I64);
    const e = fb.local(ValType.I32);
    addr();
    this.genLoadAt(a, e, memop);
  }
  /** genLoad from rs1 + imm (the base ISA's loads) without closures. */
  genLoadRegImm(rs1: Operand, imm: Operand, memop: MemOp): void {
    const fb = this.fb;
    const a = fb.local(ValType.I64);
    const e = fb.local(ValType.I32);
    this.getGpr(rs1); this.i64(imm); fb.i64Add();
    this.genLoadAt(a, e, memop);
  }
  /** genLoad after its address was pushed (a, e: its locals). */
  private genLoadAt(a: Local, e: Local, memop: MemOp): void {
    const fb = this.fb;
    const size = 1 << (memop & 3);
    this.pmMask(); fb.set(a);
    const kindOff = TlbKind.LOAD * TLB_ENTRIES * TLB_ENTRY_BYTES;
    const fn = this.missFn(false, memop);
    if (fn >= 0) {
      this.hostOrMissCall(a, e, size, kindOff, fn, null);
      emitLoadOp(fb, memop);
      fb.release(a, e);
      return;
    }
    const done = fb.block(ValType.I64);
    this.tlbLookup(a, e, size, kindOff, () => {
      if (this.missExits()) {
        // A readable page the TLB does not hold: read it here (pushHost adds guestBase) and
        // join after the access, so the hit path has no merge before it.
        if (this.pushDirectOk(a, size, false)) {
          fb.if_(VOID, true); this.pushHost(a, e, kindOff); emitLoadOp(fb, memop); fb.br(done); fb.end();
        }
        this.syncForHelper(); this.exitStep();
        return;
      }
      this.syncForHelper();
      this.pushHalves(a);
      fb.i32Const(memop); fb.call(this.h.slowLoad);
      this.checkStatus();
      fb.get(this.env); fb.i64Load(SCRATCH);
      fb.br(done);
    });
    this.pushHost(a, e, kindOff);
    emitLoadOp(fb, memop);
    fb.end();
    fb.release(a, e);
  }

  /** Store the value pushed by `value` (i64; low bytes used) to the vaddr pushed by `addr`. */
  genStore(addr: () => void, memop: MemOp, value: () => void): void {
    const fb = this.fb;
    const a = fb.local(ValType.I64);
    const v = fb.local(ValType.I64);
    const e = fb.local(ValType.I32);
    addr(); this.pmMask(); fb.set(a);
    value(); fb.set(v);
    this.genStoreAt(a, v, e, memop);
  }
  /** genStore of x[rs2] (f[rs2] when fp) to rs1 + imm (the base ISA's and F/D stores) without
   * closures. */
  genStoreRegImm(rs1: Operand, imm: Operand, memop: MemOp, rs2: Operand, fp = false): void {
    const fb = this.fb;
    const a = fb.local(ValType.I64);
    const v = fb.local(ValType.I64);
    const e = fb.local(ValType.I32);
    this.getGpr(rs1); this.i64(imm); fb.i64Add(); this.pmMask(); fb.set(a);
    if (fp) this.getFpr(rs2); else this.getGpr(rs2);
    fb.set(v);
    this.genStoreAt(a, v, e, memop);
  }
  /** genStore once address and value are in a and v. */
  private genStoreAt(a: Local, v: Local, e: Local, memop: MemOp): void {
    const fb = this.fb;
    const size = 1 << (memop & 3);
    const kindOff = TlbKind.STORE * TLB_ENTRIES * TLB_ENTRY_BYTES;
    const fn = this.missFn(true, (memop & 3) | (this.ilen === 2 ? MEMOP_RVC : 0));
    if (fn >= 0) {
      this.hostOrMissCall(a, e, size, kindOff, fn, v);
      fb.get(v);
      emitStoreOp(fb, memop);
      fb.release(a, v, e);
      return;
    }
    const done = fb.block();
    this.tlbLookup(a, e, size, kindOff, () => {
      if (this.missExits()) {
        // A writable page without code the TLB does not hold: write it here.
        if (this.pushDirectOk(a, size, true)) {
          fb.if_(VOID, true); this.pushHost(a, e, kindOff); fb.get(v); emitStoreOp(fb, memop); fb.br(done); fb.end();
        }
        this.syncForHelper(); this.exitStep();
        return;
      }
      fb.get(this.env); fb.get(v); fb.i64Store(SCRATCH);
      this.syncForHelper();
      this.pushHalves(a);
      // Bit 4: a 2-byte instruction (cpu.ts completes it when the store hit translated code).
      fb.i32Const((memop & 3) | (this.ilen === 2 ? MEMOP_RVC : 0)); fb.call(this.h.slowStore);
      this.checkStatus();
      fb.br(done);
    });
    this.pushHost(a, e, kindOff);
    fb.get(v);
    emitStoreOp(fb, memop);
    fb.end();
    fb.release(a, v, e);
  }

  /** Block compiler: a load's or store's TLB miss path as a call of a function of the module
   * (tb-ldst.ts: the victim slot, then the slow path), shared by the module's accesses of one
   * kind, instead of inline code at every access (half of a block's wasm). -1: inline. */
  protected missFn(_store: boolean, _code: number): number { return -1; }
  /** Push missFn's arguments after env, a (and v): what syncForHelper would store. */
  protected pushMissSync(): void { throw new Error('pushMissSync outside translated code'); }
  /**
   * Push the host address of the access at `a` (i32): the slot's entry, else missFn's call
   * (the victim slot's host address, or after the slow path scratch[0], which holds the value
   * loaded or takes the value stored again; a status < 256 restarts).
   */
  private hostOrMissCall(a: Local, e: Local, size: number, kindOff: number, fn: number, v: Local | null): void {
    const fb = this.fb;
    fb.get(this.tlbData); emitTlbSlotBytesOf(fb, a); fb.i32Add(); fb.tee(e);
    fb.i64Load(kindOff); this.pushLastBytePage(a, size); fb.i64Ne();
    fb.if_(ValType.I32, false);
    fb.get(this.env); fb.get(a); if (v) fb.get(v);
    this.pushMissSync();
    fb.call(fn);
    const host = fb.local(ValType.I32);
    fb.tee(host); fb.i32Const(MISS_STATUS_LIMIT); fb.i32LtU();
    fb.if_(); fb.get(host); fb.set(this.status); this.exitRestart(); fb.end();
    fb.get(host);
    fb.release(host);
    fb.else_();
    fb.get(a); fb.i32WrapI64(); fb.get(e); fb.i32Load(kindOff + 8); fb.i32Add();
    fb.end();
  }

  /**
   * e = the entry of the TLB at kindOff (within the data TLB) that maps the whole access
   * [a, a+size): its slot, else its victim slot; neither -> `miss` (which must branch away).
   */
  private tlbLookup(a: Local, e: Local, size: number, kindOff: number, miss: () => void): void {
    const fb = this.fb;
    const page = fb.local(ValType.I64);
    this.tlbEntryAddr(a, e);
    fb.get(e); fb.i64Load(kindOff);
    this.pushLastBytePage(a, size); fb.tee(page); fb.i64Ne();
    fb.if_(VOID, false);
    fb.get(this.tlbData); emitTlbVictimSlotBytes(fb, () => { fb.get(a); fb.i32WrapI64(); }); fb.i32Add(); fb.tee(e);
    fb.i64Load(kindOff); fb.get(page); fb.i64Ne();
    fb.if_(VOID, false); miss(); fb.end();
    fb.end();
    fb.release(page);
  }

  /** Push the page of the access's last byte. Compared with the tag of the entry indexed by
   * the first byte, it matches only when the whole access lies in that page: misaligned
   * accesses inside a page take the fast path (wasm memory access needs no alignment), page
   * crossing ones the slow path (the next page cannot sit in the same slot). */
  private pushLastBytePage(a: Local, size: number): void { emitLastBytePage(this.fb, a, size); }

  /** e = &tlb entry for a in the data TLB (the kind is a static load offset). */
  tlbEntryAddr(a: Local, e: Local): void {
    const fb = this.fb;
    this.tlbEntry(a);
    fb.i32Add(); fb.set(e);
  }

  /** Push vaddr as (lo, hi) i32 halves. */
  pushHalves(a: Local): void {
    const fb = this.fb;
    fb.get(a); fb.i32WrapI64();
    fb.get(a); fb.i64Const(32); fb.i64ShrU(); fb.i32WrapI64();
  }

  /**
   * Host address (into i32 local `host`) of an aligned atomic access: misaligned raises
   * `misCause`; TLB hit in `kind`, else the xlate helper (faults restart).
   */
  genAtomicHost(a: Local, size: number, kind: TlbKind, misCause: number, host: Local): void {
    const fb = this.fb;
    this.pmMaskLocal(a); // the caller's later uses of `a` (device pages, LR's reservation) see it
    fb.get(a); fb.i32WrapI64(); fb.i32Const(size - 1); fb.i32And();
    fb.if_(); this.raise(misCause, a); fb.end();
    const e = fb.local(ValType.I32);
    this.tlbEntryAddr(a, e);
    const kindOff = kind * TLB_ENTRIES * TLB_ENTRY_BYTES;
    fb.get(e); fb.i64Load(kindOff);
    fb.get(a); fb.i64Const(PAGE_MASK); fb.i64And(); fb.i64Eq();
    fb.if_(ValType.I32);
    fb.get(a); fb.i32WrapI64(); fb.get(e); fb.i32Load(kindOff + 8); fb.i32Add();
    fb.else_();
    this.syncForHelper();
    this.pushHalves(a);
    fb.i32Const(kind); fb.i32Const(size); fb.call(this.h.xlate);
    fb.tee(host); fb.i32Const(-1); fb.i32Eq();
    fb.if_(); fb.i32Const(1); fb.set(this.status); this.exitRestart(); fb.end();
    fb.get(host);
    fb.end();
    fb.set(host);
    fb.release(e);
  }
}

