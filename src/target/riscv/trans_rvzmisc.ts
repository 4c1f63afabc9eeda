// The small unprivileged extensions: Zacas (amocas.w/d/q), Zimop/Zcmop (may-be-operations),
// Zawrs (wrs.nto/wrs.sto), Zicbom/Zicboz (cache-block operations), Zcb (more compressed forms),
// and the ones with no instruction of their own here: Zicbop (prefetches are ori x0 hints),
// Zihintntl (ntl.* are add x0 hints), Zkt (data-independent timing: every instruction is).
// Caches are not modelled: cbo.clean/flush/inval only check the access (envcfg enables and
// translation); cbo.zero writes zeros to the 64-byte block.
import { type Local, ValType } from '../../tcg/wasm-builder.js';
import { type ArgSpec, type Field, Operand, type RowTable, field } from './decode.js';
import { STATE, TlbKind } from './cpu-state.js';
import { MMIO_HOST } from './cpu-ldst.js';
import { Mstatus, Priv } from './cpu_bits.js';
import { F, R } from './insn32-fields.js';
import { type TransFn, trans as rvi } from './trans_rvi.js';
import { trans as rvm } from './trans_rvm.js';
import { trans as rvb } from './trans_rvb.js';
import { mmioLoad, mmioStore } from './trans_rva.js';
import { type DisasContext, MemOp } from './translate.js';
import { riscvCpuHas } from './cpu-cfg.js';

const I64 = ValType.I64, I32 = ValType.I32;
/** H's virtual-instruction exception (cpu-h.ts HypExcp, not imported: module order). */
const VIRT_INSTRUCTION = 22;
const STORE_MISALIGNED = 6;
/** menvcfg/senvcfg enables: CBIE (2 bits), CBCFE, CBZE. */
export const ENVCFG_CBIE = 0x30, ENVCFG_CBCFE = 0x40, ENVCFG_CBZE = 0x80;
/** Cache block size (QEMU's cbom_blocksize/cboz_blocksize default). */
const CBO_BLOCK = 64;

/** Emitters that may branch to the illegal-instruction label. */
export const zmiscMayRaiseIllegal: TransFn[] = [];

// ---- Zacas ----------------------------------------------------------------------------------

/** amocas.w/d: x[rd] = old; memory = old == x[rd] ? x[rs2] : old (one compare-exchange). */
function genAmocas(is64: boolean): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(I64), host = fb.local(I32), src = fb.local(I64), cmp = fb.local(I64), old = fb.local(I64);
    ctx.getGpr(a.rs1); fb.set(addr);
    ctx.getGpr(a.rs2); fb.set(src);
    ctx.getGpr(a.rd); fb.set(cmp);
    ctx.genAtomicHost(addr, is64 ? 8 : 4, TlbKind.STORE, STORE_MISALIGNED, host);
    fb.get(host); fb.i32Const(MMIO_HOST); fb.i32Eq();
    fb.if_();
    mmioLoad(ctx, addr, is64, true, old);
    mmioStore(ctx, addr, is64, () => {
      fb.get(src); fb.get(old);
      fb.get(old); fb.get(cmp); if (!is64) { fb.i32WrapI64(); fb.i64ExtendI32S(); } fb.i64Eq();
      fb.select();
    });
    fb.else_();
    fb.get(host);
    fb.get(cmp); if (!is64) fb.i32WrapI64();
    fb.get(src); if (!is64) fb.i32WrapI64();
    if (is64) fb.i64AtomicCmpxchg(); else { fb.i32AtomicCmpxchg(); fb.i64ExtendI32S(); }
    fb.set(old);
    fb.end();
    ctx.setGpr(a.rd, () => fb.get(old));
    fb.release(addr, host, src, cmp, old);
  };
}

/** amocas.q: the 128-bit compare-and-swap on the even register pairs rd and rs2 (x0 as a pair
 * reads zero and is not written). Every hart runs on one thread, so the two halves are not
 * torn by another hart. */
const amocasQ: TransFn = (ctx, a) => {
  const fb = ctx.fb;
  const addr = fb.local(I64), host = fb.local(I32), lo = fb.local(I64), hi = fb.local(I64);
  ctx.flushGprs();
  ctx.getGpr(a.rs1); fb.set(addr);
  ctx.genAtomicHost(addr, 16, TlbKind.STORE, STORE_MISALIGNED, host);
  fb.get(host); fb.i32Const(MMIO_HOST); fb.i32Eq();
  fb.if_();
  mmioLoad(ctx, addr, true, true, lo);
  fb.get(addr); fb.i64Const(8); fb.i64Add(); fb.set(addr);
  mmioLoad(ctx, addr, true, true, hi);
  fb.get(addr); fb.i64Const(8); fb.i64Sub(); fb.set(addr);
  fb.else_();
  fb.get(host); fb.i64Load(0); fb.set(lo);
  fb.get(host); fb.i64Load(8); fb.set(hi);
  fb.end();
  fb.get(lo); ctx.getGpr(a.rd); fb.i64Eq(); fb.get(hi); getPairHi(ctx, a.rd); fb.i64Eq(); fb.i32And();
  fb.if_();
  fb.get(host); fb.i32Const(MMIO_HOST); fb.i32Eq();
  fb.if_();
  mmioStore(ctx, addr, true, () => ctx.getGpr(a.rs2));
  fb.get(addr); fb.i64Const(8); fb.i64Add(); fb.set(addr);
  mmioStore(ctx, addr, true, () => getPairHi(ctx, a.rs2));
  fb.else_();
  fb.get(host); ctx.getGpr(a.rs2); fb.i64Store(0);
  fb.get(host); getPairHi(ctx, a.rs2); fb.i64Store(8);
  fb.end();
  fb.end();
  setPairHi(ctx, a.rd, hi);
  ctx.setGpr(a.rd, () => fb.get(lo));
  fb.release(addr, host, lo, hi);
};

/** The odd register of the pair at even register r (x0 as a pair: zero). */
function pairHi(r: Operand): Operand {
  return r.isConst ? Operand.const(r.value + 1) : Operand.dyn({ ...(r.field as Field), add: 1 });
}
/** Read from the state block (amocas.q flushed the block compiler's locals first: a local of
 * a register no instruction reads may not hold its value). */
function getPairHi(ctx: DisasContext, r: Operand): void {
  const fb = ctx.fb;
  if (r.isConst) {
    if (r.value === 0) fb.i64Const(0); else { fb.get(ctx.env); fb.i64Load(STATE.gpr.offset + (r.value + 1) * 8); }
    return;
  }
  ctx.getGpr(pairHi(r)); fb.i64Const(0); ctx.i32(r); fb.select();
}
/** x[r+1] = v unless r is x0. Written to the state block (the block compiler keeps only the
 * registers an instruction names in locals: a local of x[r+1] is reloaded from it). */
function setPairHi(ctx: DisasContext, r: Operand, v: Local): void {
  const fb = ctx.fb;
  if (r.isConst) {
    if (r.value === 0) return;
    fb.get(ctx.env); fb.get(v); fb.i64Store(STATE.gpr.offset + (r.value + 1) * 8);
    ctx.reloadGpr(pairHi(r));
    return;
  }
  ctx.i32(r);
  fb.if_(); ctx.setGpr(pairHi(r), () => fb.get(v)); fb.end();
}

// ---- Zimop / Zcmop / Zawrs ------------------------------------------------------------------

/** mop.r.n / mop.rr.n: x[rd] = 0 (until an extension redefines them). */
const mop: TransFn = (ctx, a) => ctx.setGpr(a.rd, () => ctx.fb.i64Const(0));

/** wrs.nto: illegal below M when mstatus.TW is set; otherwise, as wrs.sto, a pause that drops
 * the reservation (the stall may end at once: QEMU ends it too). */
function genWrs(nto: boolean): TransFn {
  return (ctx) => {
    const fb = ctx.fb;
    if (nto) {
      ctx.getState32('priv'); fb.i32Const(Priv.M); fb.i32Ne();
      ctx.getState64('mstatus'); fb.i64Const(Mstatus.TW); fb.i64And(); fb.i64Const(0); fb.i64Ne(); fb.i32And();
      fb.brIf(ctx.illegalLabel);
    }
    ctx.setState32('load_res_valid', () => fb.i32Const(0));
  };
}

// ---- Zicbom / Zicboz ------------------------------------------------------------------------

/** The envcfg enable checks of a cache-block operation (QEMU's check_zicbo_envcfg): below M it
 * needs menvcfg's bits (else illegal); with V=1, henvcfg's in VS/VU and senvcfg's in VU (else a
 * virtual-instruction exception, tval the instruction); in U also senvcfg's (else illegal). */
function cboCheck(ctx: DisasContext, bits: number): void {
  const fb = ctx.fb;
  ctx.getState32('priv'); fb.i32Const(Priv.M); fb.i32Ne();
  ctx.getState64('menvcfg'); fb.i64Const(bits); fb.i64And(); fb.i64Eqz(); fb.i32And();
  fb.brIf(ctx.illegalLabel);
  if (riscvCpuHas('h')) {
    // V=1 (so priv is S or U): henvcfg's bits, and in VU senvcfg's.
    ctx.getState32('virt');
    fb.if_();
    ctx.getState64('henvcfg'); fb.i64Const(bits); fb.i64And(); fb.i64Eqz();
    ctx.getState32('priv'); fb.i32Const(Priv.U); fb.i32Eq();
    ctx.getState64('senvcfg'); fb.i64Const(bits); fb.i64And(); fb.i64Eqz(); fb.i32And();
    fb.i32Or();
    fb.if_();
    const tval = fb.local(I64);
    ctx.pushInsn(); fb.i64ExtendI32U(); fb.set(tval);
    ctx.raise(VIRT_INSTRUCTION, tval);
    fb.release(tval);
    fb.end();
    fb.end();
  }
  ctx.getState32('priv'); fb.i32Const(Priv.U); fb.i32Eq();
  ctx.getState64('senvcfg'); fb.i64Const(bits); fb.i64And(); fb.i64Eqz(); fb.i32And();
  fb.brIf(ctx.illegalLabel);
}

/** Push the block address: rs1 & ~(block - 1). */
function blockAddr(ctx: DisasContext, rs1: Operand): () => void {
  return () => { ctx.getGpr(rs1); ctx.pmMask(); ctx.fb.i64Const(-CBO_BLOCK); ctx.fb.i64And(); };
}

/** cbo.clean/flush/inval: no cache to act on; the block must translate for a load (faults are
 * raised as the load's: the specification reports them as store faults). */
function genCboCheckOnly(bits: number): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    cboCheck(ctx, bits);
    const addr = fb.local(I64);
    blockAddr(ctx, a.rs1)(); fb.set(addr);
    ctx.syncForHelper();
    ctx.pushHalves(addr);
    fb.i32Const(TlbKind.LOAD); fb.i32Const(1); fb.call(ctx.h.xlate);
    fb.i32Const(-1); fb.i32Eq();
    fb.if_(); fb.i32Const(1); fb.set(ctx.status); ctx.exitRestart(); fb.end();
    fb.release(addr);
  };
}

/** cbo.zero: eight 8-byte stores of zero over the aligned block (a fault reports the block's
 * address, as QEMU's probe of the whole block). */
const cboZero: TransFn = (ctx, a) => {
  const fb = ctx.fb;
  cboCheck(ctx, ENVCFG_CBZE);
  const base = fb.local(I64);
  blockAddr(ctx, a.rs1)(); fb.set(base);
  for (let off = 0; off < CBO_BLOCK; off += 8) {
    ctx.genStore(() => { fb.get(base); if (off) { fb.i64Const(off); fb.i64Add(); } }, MemOp.UQ, () => fb.i64Const(0));
  }
  fb.release(base);
};

const wrsNto = genWrs(true);
const cboClean = genCboCheckOnly(ENVCFG_CBCFE);
const cboFlush = genCboCheckOnly(ENVCFG_CBCFE);
const cboInval = genCboCheckOnly(ENVCFG_CBIE);
zmiscMayRaiseIllegal.push(wrsNto, cboClean, cboFlush, cboInval, cboZero);

// ---- rows ------------------------------------------------------------------------------------

const RS1: ArgSpec = { rs1: F.rs1 };

export function addZmiscRows32(t: RowTable<TransFn>): void {
  // Zacas: rd/rs2 of amocas.q must be even (odd: reserved, illegal).
  t.add('amocas.w', '00101 -- ----- ----- 010 ----- 0101111', R, genAmocas(false), undefined, 'zacas');
  t.add('amocas.d', '00101 -- ----- ----- 011 ----- 0101111', R, genAmocas(true), undefined, 'zacas');
  t.add('illegal', '00101 -- ----1 ----- 100 ----- 0101111', {}, rvi.illegal, 'amocas.q', 'zacas');
  t.add('illegal', '00101 -- ----- ----- 100 ----1 0101111', {}, rvi.illegal, 'amocas.q', 'zacas');
  t.add('amocas.q', '00101 -- ----- ----- 100 ----- 0101111', R, amocasQ, 'amocas.q', 'zacas');
  // Zimop
  t.add('mop.r.n', '1 - 00 -- 0111 -- ----- 100 ----- 1110011', { rd: F.rd, rs1: F.rs1 }, mop, undefined, 'zimop');
  t.add('mop.rr.n', '1 - 00 -- 1 ----- ----- 100 ----- 1110011', R, mop, undefined, 'zimop');
  // Zawrs
  t.add('wrs.nto', '000000001101 00000 000 00000 1110011', {}, wrsNto, undefined, 'zawrs');
  t.add('wrs.sto', '000000011101 00000 000 00000 1110011', {}, genWrs(false), undefined, 'zawrs');
  // Zicbom / Zicboz
  t.add('cbo.inval', '000000000000 ----- 010 00000 0001111', RS1, cboInval, undefined, 'zicbom');
  t.add('cbo.clean', '000000000001 ----- 010 00000 0001111', RS1, cboClean, undefined, 'zicbom');
  t.add('cbo.flush', '000000000010 ----- 010 00000 0001111', RS1, cboFlush, undefined, 'zicbom');
  t.add('cbo.zero', '000000000100 ----- 010 00000 0001111', RS1, cboZero, undefined, 'zicboz');
}

/** Zcmop: c.mop.n sits in c.lui's reserved rd = x1, x3 .. x15, imm = 0 space; added to the
 * 'lui' group before its reserved-encoding row (insn16.ts). */
export function addZcmopRows(t: RowTable<TransFn>): void {
  t.add('c.mop.n', '011 0 0---1 00000 01', {}, rvi.fence, 'lui', 'zcmop');
}

const C = {
  rdp: field('2:3', { add: 8 }), rs1p: field('7:3', { add: 8 }),
  ub: field('5:1 6:1'), uh: field('5:1', { shl: 1 }),
};

/** Zcb (quadrant 0 funct3 100 and quadrant 1's reserved c.subw/c.addw neighbours). */
export function addZcbRows(t: RowTable<TransFn>): void {
  const ld = { rd: C.rdp, rs1: C.rs1p };
  const st = { rs2: C.rdp, rs1: C.rs1p };
  t.add('c.lbu', '100 000 --- -- --- 00', { ...ld, imm: C.ub }, rvi.lbu, undefined, 'zcb');
  t.add('c.lhu', '100 001 --- 0- --- 00', { ...ld, imm: C.uh }, rvi.lhu, undefined, 'zcb');
  t.add('c.lh', '100 001 --- 1- --- 00', { ...ld, imm: C.uh }, rvi.lh, undefined, 'zcb');
  t.add('c.sb', '100 010 --- -- --- 00', { ...st, imm: C.ub }, rvi.sb, undefined, 'zcb');
  t.add('c.sh', '100 011 --- 0- --- 00', { ...st, imm: C.uh }, rvi.sh, undefined, 'zcb');
  const u = { rd: C.rs1p, rs1: C.rs1p };
  t.add('c.zext.b', '100 111 --- 11 000 01', { ...u, imm: 0xff }, rvi.andi, undefined, 'zcb');
  t.add('c.sext.b', '100 111 --- 11 001 01', u, rvb.sext_b, undefined, 'zcb&zbb');
  t.add('c.zext.h', '100 111 --- 11 010 01', u, rvb.zext_h, undefined, 'zcb&zbb');
  t.add('c.sext.h', '100 111 --- 11 011 01', u, rvb.sext_h, undefined, 'zcb&zbb');
  t.add('c.zext.w', '100 111 --- 11 100 01', { ...u, rs2: 0 }, rvb.add_uw, undefined, 'zcb&zba');
  t.add('c.not', '100 111 --- 11 101 01', { ...u, imm: -1 }, rvi.xori, undefined, 'zcb');
  t.add('c.mul', '100 111 --- 10 --- 01', { ...u, rs2: C.rdp }, rvm.mul, undefined, 'zcb');
}
