// RV64A with wasm atomics on the shared memory, so harts on several threads stay atomic.
// LR records (load_res, load_val); SC is a compare-exchange of load_val -> new value at the
// reserved address (QEMU's scheme). Misaligned: LR -> load misaligned (4), SC/AMO -> 6.
import { AtomicRmw, type FunctionBuilder, ValType } from '../../tcg/wasm-builder.js';
import { TlbKind } from './cpu-state.js';
import type { TransFn } from './trans_rvi.js';

const LOAD_MISALIGNED = 4, STORE_MISALIGNED = 6;

/** Push the old value (extended to i64) after the RMW; `rmw` consumes (host, value). */
function genAmo(is64: boolean, rmw: (fb: FunctionBuilder) => void): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(ValType.I64), host = fb.local(ValType.I32), src = fb.local(ValType.I64);
    ctx.getGpr(a.rs1); fb.set(addr);
    ctx.getGpr(a.rs2); fb.set(src);
    ctx.genAtomicHost(addr, is64 ? 8 : 4, TlbKind.STORE, STORE_MISALIGNED, host);
    ctx.setGpr(a.rd, () => {
      fb.get(host); fb.get(src); if (!is64) fb.i32WrapI64();
      rmw(fb);
      if (!is64) fb.i64ExtendI32S();
    });
    fb.release(addr, host, src);
  };
}

const rmwOp = (op: AtomicRmw, is64: boolean) => genAmo(is64, (fb) => fb.atomicRmw(op, is64));

/** min/max: a compare-exchange loop (wasm has no atomic min/max). Stack in: host, value. */
function minmax(is64: boolean, pickOld: (fb: FunctionBuilder) => void): TransFn {
  return genAmo(is64, (fb) => {
    const t = is64 ? ValType.I64 : ValType.I32;
    const v = fb.local(t), h = fb.local(ValType.I32), old = fb.local(t);
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
  });
}

function genLr(is64: boolean): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(ValType.I64), host = fb.local(ValType.I32), val = fb.local(ValType.I64);
    ctx.getGpr(a.rs1); fb.set(addr);
    ctx.genAtomicHost(addr, is64 ? 8 : 4, TlbKind.LOAD, LOAD_MISALIGNED, host);
    fb.get(host); if (is64) fb.i64AtomicLoad(); else { fb.i32AtomicLoad(); fb.i64ExtendI32S(); }
    fb.set(val);
    ctx.setState('load_res', () => fb.get(addr));
    ctx.setState('load_val', () => fb.get(val));
    ctx.setState32('load_res_valid', () => fb.i32Const(1));
    ctx.setGpr(a.rd, () => fb.get(val));
    fb.release(addr, host, val);
  };
}

function genSc(is64: boolean): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const addr = fb.local(ValType.I64), host = fb.local(ValType.I32), src = fb.local(ValType.I64);
    const res = fb.local(ValType.I64);
    ctx.getGpr(a.rs1); fb.set(addr);
    ctx.getGpr(a.rs2); fb.set(src);
    fb.i64Const(1); fb.set(res);
    // Misaligned raises even when the reservation is not held.
    fb.get(addr); fb.i32WrapI64(); fb.i32Const(is64 ? 7 : 3); fb.i32And();
    fb.if_(); ctx.raise(STORE_MISALIGNED, addr); fb.end();
    ctx.getState32('load_res_valid');
    ctx.getState64('load_res'); fb.get(addr); fb.i64Eq(); fb.i32And();
    fb.if_();
    ctx.genAtomicHost(addr, is64 ? 8 : 4, TlbKind.STORE, STORE_MISALIGNED, host);
    fb.get(host);
    ctx.getState64('load_val'); if (!is64) fb.i32WrapI64();
    fb.get(src); if (!is64) fb.i32WrapI64();
    if (is64) fb.i64AtomicCmpxchg(); else { fb.i32AtomicCmpxchg(); fb.i64ExtendI32S(); }
    ctx.getState64('load_val'); if (!is64) { fb.i32WrapI64(); fb.i64ExtendI32S(); }
    fb.i64Ne(); fb.i64ExtendI32U(); fb.set(res);
    fb.end();
    ctx.setState32('load_res_valid', () => fb.i32Const(0));
    ctx.setGpr(a.rd, () => fb.get(res));
    fb.release(addr, host, src, res);
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

