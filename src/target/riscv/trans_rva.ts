// RV64A with wasm atomics on the shared memory, so harts on several threads stay atomic.
// LR records (load_res, load_val); SC is a compare-exchange of load_val -> new value at the
// reserved address (QEMU's scheme). Misaligned: LR -> load misaligned (4), SC/AMO -> 6.
// On a device page (MMIO) QEMU runs the instruction in its serial path as a plain load, op
// and store; the xlate helper answers MMIO_HOST there and we do the same through the
// slowLoad/slowStore helpers.
import { AtomicRmw, type FunctionBuilder, type Local, ValType } from '../../tcg/wasm-builder.js';
import { TlbKind } from './cpu-state.js';
import { MEMOP_AMO, MMIO_HOST } from './cpu-ldst.js';
import type { TransFn } from './trans_rvi.js';
import { type DisasContext, MemOp, SCRATCH } from './translate.js';

const LOAD_MISALIGNED = 4, STORE_MISALIGNED = 6;
const I64 = ValType.I64, I32 = ValType.I32;

/** Push the new value (i64; low bytes count) from the old value and rs2. */
export type PlainOp = (fb: FunctionBuilder, old: Local, src: Local) => void;

/** Push (i32) whether the access hit a device page (host holds MMIO_HOST). */
function isMmio(fb: FunctionBuilder, host: Local): void {
  fb.get(host); fb.i32Const(MMIO_HOST); fb.i32Eq();
}

/** old = load(addr) through the slow path (faults reported as `amo` ones); restart on a fault. */
export function mmioLoad(ctx: DisasContext, addr: Local, is64: boolean, amo: boolean, old: Local): void {
  const fb = ctx.fb;
  ctx.syncForHelper();
  ctx.pushHalves(addr);
  fb.i32Const((is64 ? MemOp.UQ : MemOp.SL) | (amo ? MEMOP_AMO : 0));
  fb.call(ctx.h.slowLoad);
  ctx.checkStatus();
  ctx.getState64('scratch'); fb.set(old);
}

/** store(addr) = the i64 pushed by `value`, through the slow path; restart on a fault. */
export function mmioStore(ctx: DisasContext, addr: Local, is64: boolean, value: () => void): void {
  const fb = ctx.fb;
  fb.get(ctx.env); value(); fb.i64Store(SCRATCH);
  ctx.pushHalves(addr);
  fb.i32Const(is64 ? MemOp.UQ : MemOp.UL);
  fb.call(ctx.h.slowStore);
  ctx.checkStatus();
}

/** x[rd] = old value (extended to i64) after the RMW; `rmw` consumes (host, value). */
function genAmo(is64: boolean, rmw: (fb: FunctionBuilder) => void, plain: PlainOp): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(I64), host = fb.local(I32), src = fb.local(I64), old = fb.local(I64);
    ctx.getGpr(a.rs1); fb.set(addr);
    ctx.getGpr(a.rs2); fb.set(src);
    ctx.genAtomicHost(addr, is64 ? 8 : 4, TlbKind.STORE, STORE_MISALIGNED, host);
    isMmio(fb, host);
    fb.if_();
    mmioLoad(ctx, addr, is64, true, old);
    mmioStore(ctx, addr, is64, () => plain(fb, old, src));
    fb.else_();
    fb.get(host); fb.get(src); if (!is64) fb.i32WrapI64();
    rmw(fb);
    if (!is64) fb.i64ExtendI32S();
    fb.set(old);
    fb.end();
    ctx.setGpr(a.rd, () => fb.get(old));
    fb.release(addr, host, src, old);
  };
}

/** The read-modify-write of each AMO on plain values (device memory; narrow AMOs share it). */
export const PLAIN: Record<AtomicRmw, PlainOp> = {
  [AtomicRmw.ADD]: (fb, o, s) => { fb.get(o); fb.get(s); fb.i64Add(); },
  [AtomicRmw.SUB]: (fb, o, s) => { fb.get(o); fb.get(s); fb.i64Sub(); },
  [AtomicRmw.AND]: (fb, o, s) => { fb.get(o); fb.get(s); fb.i64And(); },
  [AtomicRmw.OR]: (fb, o, s) => { fb.get(o); fb.get(s); fb.i64Or(); },
  [AtomicRmw.XOR]: (fb, o, s) => { fb.get(o); fb.get(s); fb.i64Xor(); },
  [AtomicRmw.XCHG]: (fb, _o, s) => { fb.get(s); },
};

const rmwOp = (op: AtomicRmw, is64: boolean) => genAmo(is64, (fb) => fb.atomicRmw(op, is64), PLAIN[op]);

/** min/max: a compare-exchange loop (wasm has no atomic min/max). `pickOld` compares two values
 * of the access width (i32 or i64) and leaves 1 when the old one is the result. */
function minmax(is64: boolean, pickOld: (fb: FunctionBuilder) => void): TransFn {
  const plain: PlainOp = (fb, o, s) => {
    fb.get(o); fb.get(s);
    fb.get(o); if (!is64) fb.i32WrapI64();
    fb.get(s); if (!is64) fb.i32WrapI64();
    pickOld(fb); fb.select();
  };
  return genAmo(is64, (fb) => {
    const t = is64 ? I64 : I32;
    const v = fb.local(t), h = fb.local(I32), old = fb.local(t);
    fb.set(v); fb.set(h);
    const again = fb.loop(t);
    fb.get(h); if (is64) fb.i64AtomicLoad(); else fb.i32AtomicLoad(); fb.set(old);
    fb.get(h); fb.get(old);
    // new = pickOld(old, v) ? old : v
    fb.get(old); fb.get(v); fb.get(old); fb.get(v); pickOld(fb); fb.select();
    if (is64) fb.i64AtomicCmpxchg(); else fb.i32AtomicCmpxchg();
    fb.get(old); if (is64) fb.i64Ne(); else fb.i32Ne();
    fb.brIf(again);
    fb.get(old);
    fb.end();
    fb.release(v, h, old);
  }, plain);
}

function genLr(is64: boolean): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(I64), host = fb.local(I32), val = fb.local(I64);
    ctx.getGpr(a.rs1); fb.set(addr);
    ctx.genAtomicHost(addr, is64 ? 8 : 4, TlbKind.LOAD, LOAD_MISALIGNED, host);
    isMmio(fb, host);
    fb.if_();
    mmioLoad(ctx, addr, is64, false, val);
    fb.else_();
    fb.get(host); if (is64) fb.i64AtomicLoad(); else { fb.i32AtomicLoad(); fb.i64ExtendI32S(); }
    fb.set(val);
    fb.end();
    ctx.setState('load_res', () => fb.get(addr));
    ctx.setState('load_val', () => fb.get(val));
    ctx.setState32('load_res_valid', () => fb.i32Const(1));
    ctx.setGpr(a.rd, () => fb.get(val));
    fb.release(addr, host, val);
  };
}

/** SC: fails without touching memory (and without any alignment or permission check, as QEMU)
 * unless the reservation is held for this very address; then a compare-exchange. */
function genSc(is64: boolean): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(I64), host = fb.local(I32), src = fb.local(I64);
    const res = fb.local(I64), cur = fb.local(I64);
    ctx.getGpr(a.rs1); ctx.pmMask(); fb.set(addr); // compared with LR's (masked) reservation
    ctx.getGpr(a.rs2); fb.set(src);
    fb.i64Const(1); fb.set(res);
    ctx.getState32('load_res_valid');
    ctx.getState64('load_res'); fb.get(addr); fb.i64Eq(); fb.i32And();
    fb.if_();
    ctx.genAtomicHost(addr, is64 ? 8 : 4, TlbKind.STORE, STORE_MISALIGNED, host);
    isMmio(fb, host);
    fb.if_(I64);
    // QEMU's serial compare-exchange: load, then store the new or the old value back.
    mmioLoad(ctx, addr, is64, true, cur);
    mmioStore(ctx, addr, is64, () => {
      fb.get(src); fb.get(cur);
      fb.get(cur); ctx.getState64('load_val'); fb.i64Eq();
      fb.select();
    });
    fb.get(cur);
    fb.else_();
    fb.get(host);
    ctx.getState64('load_val'); if (!is64) fb.i32WrapI64();
    fb.get(src); if (!is64) fb.i32WrapI64();
    if (is64) fb.i64AtomicCmpxchg(); else { fb.i32AtomicCmpxchg(); fb.i64ExtendI32S(); }
    fb.end();
    ctx.getState64('load_val'); if (!is64) { fb.i32WrapI64(); fb.i64ExtendI32S(); }
    fb.i64Ne(); fb.i64ExtendI32U(); fb.set(res);
    fb.end();
    ctx.setState32('load_res_valid', () => fb.i32Const(0));
    ctx.setGpr(a.rd, () => fb.get(res));
    fb.release(addr, host, src, res, cur);
  };
}

function amoSet(is64: boolean) {
  const lt = (s: boolean) => (fb: FunctionBuilder) => (is64 ? (s ? fb.i64LtS() : fb.i64LtU()) : (s ? fb.i32LtS() : fb.i32LtU()));
  const gt = (s: boolean) => (fb: FunctionBuilder) => (is64 ? (s ? fb.i64GtS() : fb.i64GtU()) : (s ? fb.i32GtS() : fb.i32GtU()));
  return {
    lr: genLr(is64), sc: genSc(is64),
    amoswap: rmwOp(AtomicRmw.XCHG, is64), amoadd: rmwOp(AtomicRmw.ADD, is64),
    amoxor: rmwOp(AtomicRmw.XOR, is64), amoand: rmwOp(AtomicRmw.AND, is64), amoor: rmwOp(AtomicRmw.OR, is64),
    amomin: minmax(is64, lt(true)), amomax: minmax(is64, gt(true)),
    amominu: minmax(is64, lt(false)), amomaxu: minmax(is64, gt(false)),
  };
}

export const transW = amoSet(false);
export const transD = amoSet(true);
