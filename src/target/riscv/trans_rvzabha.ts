// Zabha: byte and halfword AMOs (amo*.b/h, and amocas.b/h when Zacas is on too). Same scheme
// as RV64A's word AMOs (trans_rva.ts): wasm's narrow atomics on RAM, the slow load/store path
// (QEMU's serial path) on a device page. The loaded value is sign-extended into rd; a
// misaligned halfword raises the store/AMO misaligned exception (QEMU's MO_ALIGN).
import { AtomicRmw, type FunctionBuilder, type Local, ValType } from '../../tcg/wasm-builder.js';
import type { RowTable } from './decode.js';
import { registerRiscvExtension } from './cpu-cfg.js';
import { TlbKind } from './cpu-state.js';
import { MEMOP_AMO, MMIO_HOST } from './cpu-ldst.js';
import { R, bits } from './insn32-fields.js';
import type { TransFn } from './trans_rvi.js';
import { PLAIN, type PlainOp } from './trans_rva.js';
import { type DisasContext, MemOp, SCRATCH } from './translate.js';

// QEMU: "Zabha extension requires Zaamo" (Zaamo is always on with A here).
registerRiscvExtension({ name: 'zabha' });

const I64 = ValType.I64, I32 = ValType.I32;
const STORE_MISALIGNED = 6;
type Width = 1 | 2;

/** Sign-extend the narrow value (i64 on the stack) to 64 bits. */
const sext = (fb: FunctionBuilder, w: Width): void => { if (w === 1) fb.i64Extend8S(); else fb.i64Extend16S(); };
/** Zero-extend the narrow value (i64 on the stack). */
const zext = (fb: FunctionBuilder, w: Width): void => { fb.i64Const(w === 1 ? 0xff : 0xffff); fb.i64And(); };

/** old = sign-extended load through the slow path (faults reported as AMO ones). */
function mmioLoadNarrow(ctx: DisasContext, addr: Local, w: Width, old: Local): void {
  const fb = ctx.fb;
  ctx.syncForHelper();
  ctx.pushHalves(addr);
  fb.i32Const((w === 1 ? MemOp.SB : MemOp.SW) | MEMOP_AMO);
  fb.call(ctx.h.slowLoad);
  ctx.checkStatus();
  ctx.getState64('scratch'); fb.set(old);
}

function mmioStoreNarrow(ctx: DisasContext, addr: Local, w: Width, value: () => void): void {
  const fb = ctx.fb;
  fb.get(ctx.env); value(); fb.i64Store(SCRATCH);
  ctx.pushHalves(addr);
  fb.i32Const(w === 1 ? MemOp.UB : MemOp.UW);
  fb.call(ctx.h.slowStore);
  ctx.checkStatus();
}

/** The RAM form: consumes (host i32, src i32) and leaves the old value zero-extended (i32). */
type RamOp = (fb: FunctionBuilder) => void;

function genAmoNarrow(w: Width, ram: RamOp, plain: PlainOp): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(I64), host = fb.local(I32), src = fb.local(I64), old = fb.local(I64);
    ctx.getGpr(a.rs1); fb.set(addr);
    ctx.getGpr(a.rs2); fb.set(src);
    ctx.genAtomicHost(addr, w, TlbKind.STORE, STORE_MISALIGNED, host);
    fb.get(host); fb.i32Const(MMIO_HOST); fb.i32Eq();
    fb.if_();
    mmioLoadNarrow(ctx, addr, w, old);
    mmioStoreNarrow(ctx, addr, w, () => plain(fb, old, src));
    fb.else_();
    fb.get(host); fb.get(src); fb.i32WrapI64();
    ram(fb);
    fb.i64ExtendI32U(); sext(fb, w);
    fb.set(old);
    fb.end();
    ctx.setGpr(a.rd, () => fb.get(old));
    fb.release(addr, host, src, old);
  };
}


const rmw = (op: AtomicRmw, w: Width): TransFn => genAmoNarrow(w, (fb) => fb.i32AtomicRmwNarrow(op, w), PLAIN[op]);

/** min/max: `pickOld` compares two i64s (old, new), both extended as the operation reads them,
 * and leaves 1 when the old one is the result. A compare-exchange loop on RAM. */
function minmax(w: Width, signed: boolean, pickOld: (fb: FunctionBuilder) => void): TransFn {
  const ext = (fb: FunctionBuilder): void => (signed ? sext(fb, w) : zext(fb, w));
  const plain: PlainOp = (fb, o, s) => {
    fb.get(o); fb.get(s);
    fb.get(o); ext(fb); fb.get(s); ext(fb);
    pickOld(fb); fb.select();
  };
  return genAmoNarrow(w, (fb) => {
    const v = fb.local(I32), h = fb.local(I32), old = fb.local(I32);
    fb.set(v); fb.set(h);
    const again = fb.loop(I32);
    fb.get(h); fb.i32AtomicLoadNarrow(w); fb.set(old);
    fb.get(h); fb.get(old);
    fb.get(old); fb.get(v);
    fb.get(old); fb.i64ExtendI32U(); ext(fb); fb.get(v); fb.i64ExtendI32U(); ext(fb);
    pickOld(fb); fb.select();
    fb.i32AtomicCmpxchgNarrow(w);
    fb.get(old); fb.i32Ne();
    fb.brIf(again);
    fb.get(old);
    fb.end();
    fb.release(v, h, old);
  }, plain);
}

/** amocas.b/h: x[rd] = old; memory = old == x[rd] (narrow) ? x[rs2] : old. */
function genAmocasNarrow(w: Width): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(I64), host = fb.local(I32), src = fb.local(I64), cmp = fb.local(I64), old = fb.local(I64);
    ctx.getGpr(a.rs1); fb.set(addr);
    ctx.getGpr(a.rs2); fb.set(src);
    ctx.getGpr(a.rd); fb.set(cmp);
    ctx.genAtomicHost(addr, w, TlbKind.STORE, STORE_MISALIGNED, host);
    fb.get(host); fb.i32Const(MMIO_HOST); fb.i32Eq();
    fb.if_();
    mmioLoadNarrow(ctx, addr, w, old);
    mmioStoreNarrow(ctx, addr, w, () => {
      fb.get(src); fb.get(old);
      fb.get(old); fb.get(cmp); sext(fb, w); fb.i64Eq();
      fb.select();
    });
    fb.else_();
    fb.get(host);
    fb.get(cmp); fb.i32WrapI64(); fb.i32Const(w === 1 ? 0xff : 0xffff); fb.i32And();
    fb.get(src); fb.i32WrapI64();
    fb.i32AtomicCmpxchgNarrow(w);
    fb.i64ExtendI32U(); sext(fb, w);
    fb.set(old);
    fb.end();
    ctx.setGpr(a.rd, () => fb.get(old));
    fb.release(addr, host, src, cmp, old);
  };
}

function ops(w: Width): Record<string, TransFn> {
  const lt = (s: boolean) => (fb: FunctionBuilder) => (s ? fb.i64LtS() : fb.i64LtU());
  const gt = (s: boolean) => (fb: FunctionBuilder) => (s ? fb.i64GtS() : fb.i64GtU());
  return {
    amoswap: rmw(AtomicRmw.XCHG, w), amoadd: rmw(AtomicRmw.ADD, w), amoxor: rmw(AtomicRmw.XOR, w),
    amoand: rmw(AtomicRmw.AND, w), amoor: rmw(AtomicRmw.OR, w),
    amomin: minmax(w, true, lt(true)), amomax: minmax(w, true, gt(true)),
    amominu: minmax(w, false, lt(false)), amomaxu: minmax(w, false, gt(false)),
  };
}

const F5: Readonly<Record<string, number>> = {
  amoswap: 0x01, amoadd: 0x00, amoxor: 0x04, amoand: 0x0c, amoor: 0x08, amomin: 0x10, amomax: 0x14, amominu: 0x18, amomaxu: 0x1c,
};

/** The rows: funct3 000 (.b) and 001 (.h) of the AMO opcode; amocas.b/h need Zacas as well. */
export function addZabhaRows(t: RowTable<TransFn>): void {
  for (const [w, f3, sfx] of [[1, 0, 'b'], [2, 1, 'h']] as const) {
    const o = ops(w);
    for (const [n, f5] of Object.entries(F5)) {
      t.add(`${n}.${sfx}`, `${bits(f5, 5)} -- ----- ----- ${bits(f3, 3)} ----- 0101111`, R, o[n], undefined, 'zabha');
    }
    t.add(`amocas.${sfx}`, `00101 -- ----- ----- ${bits(f3, 3)} ----- 0101111`, R, genAmocasNarrow(w), undefined, 'zabha&zacas');
  }
}
