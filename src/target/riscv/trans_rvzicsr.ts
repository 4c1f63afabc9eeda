// Zicsr: the whole instruction (permission, read into rd, write) is riscvCsrrw in csr.ts;
// generated code passes the source value in scratch[0]. The kernel's interrupt masking
// (csrrc/csrrs/csrw sstatus changing only SIE, ~120k times in a boot) is done inline: the
// helper call, its BigInt work and the restart after it cost ~3 us each (csr-inline.ts).
import type { TransFn } from './trans_rvi.js';
import type { DisasContext } from './translate.js';
import type { Operand } from './decode.js';
import { SCRATCH } from './translate.js';
import { type Label, ValType } from '../../tcg/wasm-builder.js';
import { TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, TLB_OFFSET } from './cpu-state.js';
import { riscvCpuHas } from './cpu-cfg.js';
import { riscvCsrInlineOk, SSTATUS_RBITS, SSTATUS_WBITS } from './csr-inline.js';
import { riscvPmConfigured } from './pointer-masking.js';

const enum CsrOp { RW = 0, RS = 1, RC = 2 }

const SSTATUS = 0x100;
const SIE = 2n;
/** SPIE, SPP and FS change nothing but mstatus (writeMstatus: no TLB flush, no mmu index; F and
 * D check FS at each instruction): Linux's trap entry clears FS (`csrrc ... SR_FS_VS`) and its
 * return writes the saved sstatus back (`csrw sstatus`, SPIE/SPP/FS), twice per system call. */
const SPIE = 0x20n, SPP = 0x100n, FS = 0x6000n;
const SUM = 0x40000n;
const IDX_BYTES = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;
/** MmuIdx.S; S_SUM is S + 1 (cpu-state.ts). */
const MMU_IDX_S = 1;
const SD = 1n << 63n;

type CsrArgs = Readonly<Record<string, Operand>>;

/**
 * sstatus inline, when the access is legal at once (S-mode, V=0, no hidden VS FS) and the write
 * changes no bit but SIE, SUM, SPIE, SPP and FS; an SIE 0 -> 1 with an interrupt pending in mip & mie (or the
 * software SEIP) takes the helper, whose restart delivers it. Anything else branches to `slow`.
 * Without AIA no other source can make an S interrupt pending (riscvCpuLocalIrqPending). SUM
 * moves the data mmu index between S and S_SUM (riscvUpdateMmuIdx in S with V=0) and the data
 * TLB base with it; with pointer masking configured SUM stays with the helper (riscvPmUpdate).
 */
function inlineSstatus(ctx: DisasContext, a: CsrArgs, op: CsrOp, imm: boolean, label: Label): boolean {
  if (riscvCpuHas('smaia') || riscvCpuHas('ssaia')) return false;
  const fb = ctx.fb;
  ctx.getState32('priv'); fb.i32Const(1); fb.i32Ne(); fb.brIf(label);
  ctx.getState32('virt'); ctx.getState32('vs_fs_hidden'); fb.i32Or(); fb.brIf(label);
  const src = fb.local(ValType.I64), old = fb.local(ValType.I64), nv = fb.local(ValType.I64);
  if (imm) { ctx.i32(a.rs1); fb.i64ExtendI32U(); } else ctx.getGpr(a.rs1);
  fb.set(src);
  ctx.getState64('mstatus'); fb.set(old);
  // The bits the write would change, SIE aside (bits outside the write mask change nothing;
  // the test is on a superset, so a VS write without V only goes the slow way).
  fb.get(src);
  if (op === CsrOp.RS) { fb.get(old); fb.i64Const(-1); fb.i64Xor(); fb.i64And(); }
  else if (op === CsrOp.RC) { fb.get(old); fb.i64And(); }
  else { fb.get(old); fb.i64Xor(); }
  const bits = (riscvPmConfigured() ? SIE : SIE | SUM) | SPIE | SPP | FS;
  fb.i64Const(SSTATUS_WBITS & ~bits); fb.i64And(); fb.i64Const(0); fb.i64Ne(); fb.brIf(label);
  // new = old with SIE (and SUM) from the write
  fb.get(old);
  if (op === CsrOp.RS) { fb.get(src); fb.i64Const(bits); fb.i64And(); fb.i64Or(); }
  else if (op === CsrOp.RC) { fb.get(src); fb.i64Const(bits); fb.i64And(); fb.i64Const(-1); fb.i64Xor(); fb.i64And(); }
  else { fb.i64Const(~bits); fb.i64And(); fb.get(src); fb.i64Const(bits); fb.i64And(); fb.i64Or(); }
  fb.set(nv);
  // SIE 0 -> 1 with something pending: the helper (and its restart) takes the interrupt.
  fb.get(nv); fb.get(old); fb.i64Const(-1); fb.i64Xor(); fb.i64And(); fb.i32WrapI64(); fb.i32Const(2); fb.i32And();
  fb.if_();
  ctx.getState64('mip'); ctx.getState64('mie'); fb.i64And(); fb.i64Const(0); fb.i64Ne();
  ctx.getState32('software_seip'); fb.i32Or(); fb.brIf(label);
  fb.end();
  ctx.setState('mstatus', () => fb.get(nv));
  if (bits & SUM) {
    // mmu_idx_data = S + SUM; tlbData = env + TLB_OFFSET + mmu_idx_data * IDX_BYTES
    const idx = fb.local(ValType.I32);
    fb.get(nv); fb.i64Const(18); fb.i64ShrU(); fb.i32WrapI64(); fb.i32Const(1); fb.i32And();
    fb.i32Const(MMU_IDX_S); fb.i32Add(); fb.set(idx);
    ctx.setState32('mmu_idx_data', () => fb.get(idx));
    fb.get(ctx.env); fb.get(idx); fb.i32Const(IDX_BYTES); fb.i32Mul(); fb.i32Add();
    fb.i32Const(TLB_OFFSET); fb.i32Add(); fb.set(ctx.tlbData);
    fb.release(idx);
  }
  // x[rd] = the old sstatus: SD when FS or VS is dirty, then the read mask.
  ctx.setGpr(a.rd, () => {
    fb.get(old); fb.i64Const(SD); fb.i64Or();
    fb.get(old);
    fb.get(old); fb.i64Const(0x6000); fb.i64And(); fb.i64Const(0x6000); fb.i64Eq();
    fb.get(old); fb.i64Const(0x600); fb.i64And(); fb.i64Const(0x600); fb.i64Eq(); fb.i32Or();
    fb.select();
    fb.i64Const(SSTATUS_RBITS); fb.i64And();
  });
  fb.release(src, old, nv);
  return true;
}

/** sscratch, sepc, scause, stval: plain fields (csr.ts's plain rows), inline in S and M with V=0
 * (with H the active copies are in these fields, cpu-h.ts swaps them; V=1 takes the helper). */
const PLAIN: Record<number, [field: string, wmask: bigint]> = {
  0x140: ['sscratch', -1n], 0x141: ['sepc', ~1n], 0x142: ['scause', -1n], 0x143: ['stval', -1n],
};

function inlinePlain(ctx: DisasContext, a: CsrArgs, op: CsrOp, imm: boolean, label: Label, field: string, wmask: bigint): boolean {
  const fb = ctx.fb;
  ctx.getState32('priv'); fb.i32Eqz(); fb.brIf(label);
  ctx.getState32('virt'); fb.brIf(label);
  const src = fb.local(ValType.I64), old = fb.local(ValType.I64);
  if (imm) { ctx.i32(a.rs1); fb.i64ExtendI32U(); } else ctx.getGpr(a.rs1);
  fb.set(src);
  ctx.getState64(field); fb.set(old);
  ctx.setState(field, () => {
    if (op === CsrOp.RW) fb.get(src);
    else if (op === CsrOp.RS) { fb.get(old); fb.get(src); fb.i64Or(); }
    else { fb.get(old); fb.get(src); fb.i64Const(-1); fb.i64Xor(); fb.i64And(); }
    if (wmask !== -1n) { fb.i64Const(wmask); fb.i64And(); }
  });
  ctx.setGpr(a.rd, () => fb.get(old));
  fb.release(src, old);
  return true;
}

/** fflags, frm, fcsr (csr.ts's rows: predicate FS != Off, a write sets FS = Dirty). libm saves
 * and restores fflags round quiet compares and reads frm in sin/cos/log (~3 accesses per call in
 * bench/prog/mix.c's loop): the helper call and the region exit its RELOAD status asks for cost
 * far more than the access. Nothing translated keeps fflags or frm in a local across
 * instructions (the F/D fast paths load both at each instruction), so no reload is needed. V=1
 * takes the helper (its FS check includes vsstatus). Constant CSR numbers only: the
 * interpreter's dynamic row keeps the helper. */
const FFLAGS = 0x001, FRM = 0x002, FCSR = 0x003;

function inlineFp(ctx: DisasContext, a: CsrArgs, op: CsrOp, imm: boolean, label: Label, csrno: number): boolean {
  const fb = ctx.fb;
  ctx.getState64('mstatus'); fb.i64Const(0x6000); fb.i64And(); fb.i64Eqz(); fb.brIf(label);
  ctx.getState32('virt'); fb.brIf(label);
  const old = fb.local(ValType.I64);
  if (csrno !== FRM) { ctx.getState32('fflags'); fb.i32Const(0x1f); fb.i32And(); }
  if (csrno !== FFLAGS) {
    ctx.getState32('frm'); fb.i32Const(7); fb.i32And();
    if (csrno === FCSR) { fb.i32Const(5); fb.i32Shl(); fb.i32Or(); }
  }
  fb.i64ExtendI32U(); fb.set(old);
  // csrrs/csrrc with rs1 = x0 (uimm = 0) do not write (and leave FS as it is).
  const writes = op === CsrOp.RW ? 1 : a.rs1.isConst ? (a.rs1.value !== 0 ? 1 : 0) : -1;
  if (writes !== 0) {
    if (writes < 0) { ctx.i32(a.rs1); fb.if_(); }
    const nv = fb.local(ValType.I32);
    if (imm) ctx.i32(a.rs1); else { ctx.getGpr(a.rs1); fb.i32WrapI64(); }
    if (op === CsrOp.RS) { fb.get(old); fb.i32WrapI64(); fb.i32Or(); }
    else if (op === CsrOp.RC) { fb.i32Const(-1); fb.i32Xor(); fb.get(old); fb.i32WrapI64(); fb.i32And(); }
    fb.set(nv);
    ctx.markFsDirty();
    if (csrno !== FRM) ctx.setState32('fflags', () => { fb.get(nv); fb.i32Const(0x1f); fb.i32And(); });
    if (csrno === FRM) ctx.setState32('frm', () => { fb.get(nv); fb.i32Const(7); fb.i32And(); });
    if (csrno === FCSR) ctx.setState32('frm', () => { fb.get(nv); fb.i32Const(5); fb.i32ShrU(); fb.i32Const(7); fb.i32And(); });
    fb.release(nv);
    if (writes < 0) fb.end();
  }
  ctx.setGpr(a.rd, () => fb.get(old));
  fb.release(old);
  return true;
}

/**
 * `csrr rd, time` (csrrs/csrrc with rs1 = x0): the kernel reads the clock a few times per system
 * call and interrupt (sched_clock, ktime_get), and the generic helper (row lookup, predicates,
 * BigInts, the state write of rd) cost more than the clock. Inline with V=0: in S the
 * mcounteren bit TM must be set, in U also the scounteren bit (csr.ts's `ctr`), and the CPU has
 * Zicntr (priv-ext.ts); anything else
 * (V=1: htimedelta and hcounteren, an illegal access) takes the helper. The board's clock is
 * read by a call of its own (`rdtime`, no status: it cannot trap), after pc and instret are
 * stored as for any helper (an -icount clock follows instret).
 */
const TIME = 0xc01;
const TM = 1 << (TIME & 31);

function inlineTime(ctx: DisasContext, a: CsrArgs, label: Label): boolean {
  if (!riscvCpuHas('zicntr')) return false; // (priv-ext.ts's predicate)
  const fb = ctx.fb;
  ctx.getState32('virt'); fb.brIf(label);
  const priv = fb.local(ValType.I32);
  ctx.getState32('priv'); fb.tee(priv); fb.i32Const(3); fb.i32Ne();
  fb.if_();
  ctx.getState32('mcounteren'); fb.i32Const(TM); fb.i32And(); fb.i32Eqz(); fb.brIf(label);
  fb.get(priv); fb.i32Eqz();
  fb.if_();
  ctx.getState32('scounteren'); fb.i32Const(TM); fb.i32And(); fb.i32Eqz(); fb.brIf(label);
  fb.end();
  fb.end();
  fb.release(priv);
  ctx.syncForHelper();
  ctx.setGpr(a.rd, () => { fb.call(ctx.h.rdtime); });
  return true;
}

/** The CSRs with an inline path, tried in this order when the number is not constant. */
const INLINE: number[] = [SSTATUS, ...Object.keys(PLAIN).map(Number)];
/** Inline only when the instruction names the CSR. */
const INLINE_CONST: number[] = [FFLAGS, FRM, FCSR, TIME];

function emitInline(ctx: DisasContext, a: CsrArgs, op: CsrOp, imm: boolean, csrno: number, next: Label): boolean {
  if (csrno === SSTATUS) return inlineSstatus(ctx, a, op, imm, next);
  if (csrno === TIME) return op !== CsrOp.RW && a.rs1.isConst && a.rs1.value === 0 && inlineTime(ctx, a, next);
  if (INLINE_CONST.includes(csrno)) return inlineFp(ctx, a, op, imm, next, csrno);
  const [field, wmask] = PLAIN[csrno];
  return inlinePlain(ctx, a, op, imm, next, field, wmask);
}

function genCsr(op: CsrOp, imm: boolean): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const done = fb.block();
    for (const csrno of a.csr.isConst ? [...INLINE, ...INLINE_CONST] : INLINE) {
      if ((a.csr.isConst && a.csr.value !== csrno) || !riscvCsrInlineOk(csrno)) continue;
      const next = fb.block();
      if (!a.csr.isConst) { ctx.i32(a.csr); fb.i32Const(csrno); fb.i32Ne(); fb.brIf(next); }
      if (emitInline(ctx, a, op, imm, csrno, next)) fb.br(done);
      fb.end();
    }
    fb.get(ctx.env);
    if (imm) { ctx.i32(a.rs1); fb.i64ExtendI32U(); } else ctx.getGpr(a.rs1);
    fb.i64Store(SCRATCH);
    ctx.syncForHelper();
    // The helper writes x[rd] only when the access is legal: store the current value first, so
    // reloading it after a trap (status 1 also means a completed write that changed state) does
    // not bring back an older one.
    ctx.flushGpr(a.rd);
    ctx.i32(a.csr); ctx.i32(a.rd); fb.i32Const(op);
    // csrrs/csrrc with rs1 = x0 (or uimm = 0) do not write.
    if (op === CsrOp.RW) fb.i32Const(1); else { ctx.i32(a.rs1); fb.i32Const(0); fb.i32Ne(); }
    ctx.pushInsn();
    fb.call(ctx.h.csr);
    // x[rd] was written in the state block, also when the status asks for a reload.
    fb.set(ctx.status);
    ctx.reloadGpr(a.rd);
    fb.get(ctx.status);
    ctx.checkStatus();
    ctx.afterPmChange();
    fb.end();
  };
}

export const trans = {
  csrrw: genCsr(CsrOp.RW, false),
  csrrs: genCsr(CsrOp.RS, false),
  csrrc: genCsr(CsrOp.RC, false),
  csrrwi: genCsr(CsrOp.RW, true),
  csrrsi: genCsr(CsrOp.RS, true),
  csrrci: genCsr(CsrOp.RC, true),
};
