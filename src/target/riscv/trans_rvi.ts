// RV64I base integer instructions: emitters named like the mnemonics. Each leaves the
// instruction's effect in the generated code; falling off the end means "next instruction".
import { type FunctionBuilder, ValType } from '../../tcg/wasm-builder.js';
import type { Args } from './decode.js';
import { type DisasContext, MemOp } from './translate.js';

export type TransFn = (ctx: DisasContext, a: Args) => void;

/** rd = rs1 OP rs2 (64-bit). */
export function genArith(op: (fb: FunctionBuilder) => void): TransFn {
  return (ctx, a) => {
    const rd = a.rd, off = ctx.setGprBegin(rd);
    ctx.getGpr(a.rs1); ctx.getGpr(a.rs2); op(ctx.fb);
    ctx.setGprEnd(rd, off);
  };
}
/** rd = rs1 OP imm (64-bit). */
export function genArithImm(op: (fb: FunctionBuilder) => void): TransFn {
  return (ctx, a) => {
    const rd = a.rd, off = ctx.setGprBegin(rd);
    ctx.getGpr(a.rs1); ctx.i64(a.imm); op(ctx.fb);
    ctx.setGprEnd(rd, off);
  };
}
/** rd = sext32(rs1 OP rs2) with the operation done on 32 bits. */
export function genArithW(op: (fb: FunctionBuilder) => void): TransFn {
  return (ctx, a) => {
    const rd = a.rd, off = ctx.setGprBegin(rd), fb = ctx.fb;
    ctx.getGpr(a.rs1); fb.i32WrapI64(); ctx.getGpr(a.rs2); fb.i32WrapI64(); op(fb); fb.i64ExtendI32S();
    ctx.setGprEnd(rd, off);
  };
}
function genArithImmW(op: (fb: FunctionBuilder) => void, shamt: boolean): TransFn {
  return (ctx, a) => {
    const rd = a.rd, off = ctx.setGprBegin(rd), fb = ctx.fb;
    ctx.getGpr(a.rs1); fb.i32WrapI64(); ctx.i32(shamt ? a.shamt : a.imm); op(fb); fb.i64ExtendI32S();
    ctx.setGprEnd(rd, off);
  };
}
function genShiftImm(op: (fb: FunctionBuilder) => void): TransFn {
  return (ctx, a) => {
    const rd = a.rd, off = ctx.setGprBegin(rd);
    ctx.getGpr(a.rs1); ctx.i32(a.shamt); ctx.fb.i64ExtendI32U(); op(ctx.fb);
    ctx.setGprEnd(rd, off);
  };
}
const lt = (fb: FunctionBuilder) => { fb.i64LtS(); fb.i64ExtendI32U(); };
const ltu = (fb: FunctionBuilder) => { fb.i64LtU(); fb.i64ExtendI32U(); };

function genBranch(cmp: (fb: FunctionBuilder) => void): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    ctx.getGpr(a.rs1); ctx.getGpr(a.rs2); cmp(fb);
    fb.if_();
    ctx.jumpRel(a.imm);
    fb.end();
  };
}

/** Address rs1 + imm. */
export function genAddr(ctx: DisasContext, a: Args): () => void {
  return () => { ctx.getGpr(a.rs1); ctx.i64(a.imm); ctx.fb.i64Add(); };
}
function genLoadInsn(memop: MemOp): TransFn {
  return (ctx, a) => {
    const rd = a.rd, off = ctx.setGprBegin(rd);
    ctx.genLoadRegImm(a.rs1, a.imm, memop);
    ctx.setGprEnd(rd, off);
  };
}
function genStoreInsn(memop: MemOp): TransFn {
  return (ctx, a) => ctx.genStoreRegImm(a.rs1, a.imm, memop, a.rs2);
}

export const trans = {
  lui: ((ctx, a) => { const rd = a.rd, off = ctx.setGprBegin(rd); ctx.i64(a.imm); ctx.setGprEnd(rd, off); }) as TransFn,
  auipc: ((ctx, a) => {
    const rd = a.rd, off = ctx.setGprBegin(rd);
    ctx.pushPc(); ctx.i64(a.imm); ctx.fb.i64Add();
    ctx.setGprEnd(rd, off);
  }) as TransFn,
  jal: ((ctx, a) => {
    const rd = a.rd, off = ctx.setGprBegin(rd);
    ctx.pushNextPc();
    ctx.setGprEnd(rd, off);
    ctx.jumpRel(a.imm);
  }) as TransFn,
  jalr: ((ctx, a) => {
    const fb = ctx.fb;
    const t = fb.local(ValType.I64);
    ctx.getGpr(a.rs1); ctx.i64(a.imm); fb.i64Add(); fb.i64Const(-2); fb.i64And(); fb.set(t);
    ctx.noteCall(a.rd, t);
    const rd = a.rd, off = ctx.setGprBegin(rd);
    ctx.pushNextPc();
    ctx.setGprEnd(rd, off);
    ctx.jump(() => fb.get(t));
    fb.release(t);
  }) as TransFn,
  beq: genBranch((fb) => fb.i64Eq()),
  bne: genBranch((fb) => fb.i64Ne()),
  blt: genBranch((fb) => fb.i64LtS()),
  bge: genBranch((fb) => fb.i64GeS()),
  bltu: genBranch((fb) => fb.i64LtU()),
  bgeu: genBranch((fb) => fb.i64GeU()),
  lb: genLoadInsn(MemOp.SB),
  lh: genLoadInsn(MemOp.SW),
  lw: genLoadInsn(MemOp.SL),
  ld: genLoadInsn(MemOp.UQ),
  lbu: genLoadInsn(MemOp.UB),
  lhu: genLoadInsn(MemOp.UW),
  lwu: genLoadInsn(MemOp.UL),
  sb: genStoreInsn(MemOp.UB),
  sh: genStoreInsn(MemOp.UW),
  sw: genStoreInsn(MemOp.UL),
  sd: genStoreInsn(MemOp.UQ),
  addi: genArithImm((fb) => fb.i64Add()),
  slti: genArithImm(lt),
  sltiu: genArithImm(ltu),
  xori: genArithImm((fb) => fb.i64Xor()),
  ori: genArithImm((fb) => fb.i64Or()),
  andi: genArithImm((fb) => fb.i64And()),
  slli: genShiftImm((fb) => fb.i64Shl()),
  srli: genShiftImm((fb) => fb.i64ShrU()),
  srai: genShiftImm((fb) => fb.i64ShrS()),
  add: genArith((fb) => fb.i64Add()),
  sub: genArith((fb) => fb.i64Sub()),
  sll: genArith((fb) => fb.i64Shl()),
  slt: genArith(lt),
  sltu: genArith(ltu),
  xor: genArith((fb) => fb.i64Xor()),
  srl: genArith((fb) => fb.i64ShrU()),
  sra: genArith((fb) => fb.i64ShrS()),
  or: genArith((fb) => fb.i64Or()),
  and: genArith((fb) => fb.i64And()),
  addiw: genArithImmW((fb) => fb.i32Add(), false),
  slliw: genArithImmW((fb) => fb.i32Shl(), true),
  srliw: genArithImmW((fb) => fb.i32ShrU(), true),
  sraiw: genArithImmW((fb) => fb.i32ShrS(), true),
  addw: genArithW((fb) => fb.i32Add()),
  subw: genArithW((fb) => fb.i32Sub()),
  sllw: genArithW((fb) => fb.i32Shl()),
  srlw: genArithW((fb) => fb.i32ShrU()),
  sraw: genArithW((fb) => fb.i32ShrS()),
  /** fence, and pause (a fence hint): the interpreter runs one hart at a time in order. */
  fence: (() => {}) as TransFn,
  illegal: ((ctx) => ctx.illegal()) as TransFn,
};
