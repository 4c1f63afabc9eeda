// Wasm runtime functions for RV64M that have no single wasm opcode: the 128-bit product's high
// half, and division with RISC-V's results for division by zero and overflow (wasm traps).
import { type FunctionBuilder, type Local, type ModuleBuilder, ValType } from '../../tcg/wasm-builder.js';

export interface RvmRuntime {
  mulh: number; mulhsu: number; mulhu: number;
  div: number; divu: number; rem: number; remu: number;
  divw: number; divuw: number; remw: number; remuw: number;
}

const I64 = ValType.I64, I32 = ValType.I32;

/** Push the high 64 bits of the unsigned 128-bit product of i64 locals a and b, from 32-bit
 * partial products (temporaries from fb.local, released). trans_rvm.ts inlines it. */
export function emitMulhu(fb: FunctionBuilder, a: Local, b: Local): void {
  const al = fb.local(I64), ah = fb.local(I64), bl = fb.local(I64), bh = fb.local(I64);
  const lh = fb.local(I64), hl = fb.local(I64), mid = fb.local(I64);
  const lo32 = (x: Local, out: Local) => { fb.get(x); fb.i64Const(0xffffffff); fb.i64And(); fb.set(out); };
  const hi32 = (x: Local, out: Local) => { fb.get(x); fb.i64Const(32); fb.i64ShrU(); fb.set(out); };
  lo32(a, al); hi32(a, ah); lo32(b, bl); hi32(b, bh);
  fb.get(al); fb.get(bh); fb.i64Mul(); fb.set(lh);
  fb.get(ah); fb.get(bl); fb.i64Mul(); fb.set(hl);
  // mid = (al*bl >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff)
  fb.get(al); fb.get(bl); fb.i64Mul(); fb.i64Const(32); fb.i64ShrU();
  fb.get(lh); fb.i64Const(0xffffffff); fb.i64And(); fb.i64Add();
  fb.get(hl); fb.i64Const(0xffffffff); fb.i64And(); fb.i64Add(); fb.set(mid);
  // hi = ah*bh + (lh >> 32) + (hl >> 32) + (mid >> 32)
  fb.get(ah); fb.get(bh); fb.i64Mul();
  fb.get(lh); fb.i64Const(32); fb.i64ShrU(); fb.i64Add();
  fb.get(hl); fb.i64Const(32); fb.i64ShrU(); fb.i64Add();
  fb.get(mid); fb.i64Const(32); fb.i64ShrU(); fb.i64Add();
  fb.release(al, ah, bl, bh, lh, hl, mid);
}
function buildMulhu(fb: FunctionBuilder): void { emitMulhu(fb, fb.param(0), fb.param(1)); }

/** mulhu(a,b) - (a<0 ? b : 0) [- (b<0 ? a : 0) when both signed]. */
function buildMulhSigned(fb: FunctionBuilder, mulhu: number, bothSigned: boolean): void {
  const a = fb.param(0), b = fb.param(1);
  fb.get(a); fb.get(b); fb.call(mulhu);
  fb.get(b); fb.get(a); fb.i64Const(63); fb.i64ShrS(); fb.i64And(); fb.i64Sub();
  if (bothSigned) { fb.get(a); fb.get(b); fb.i64Const(63); fb.i64ShrS(); fb.i64And(); fb.i64Sub(); }
}

/** Division family on width t: b == 0 and MIN / -1 handled before the trapping opcode. */
function buildDiv(fb: FunctionBuilder, t: ValType, signed: boolean, isRem: boolean): void {
  const a = fb.param(0), b = fb.param(1);
  const w64 = t === I64;
  const k = (v: number | bigint) => (w64 ? fb.i64Const(v) : fb.i32Const(Number(v)));
  fb.get(b); if (w64) fb.i64Eqz(); else fb.i32Eqz();
  fb.if_(t); if (isRem) fb.get(a); else k(-1);
  fb.else_();
  if (signed) {
    fb.get(b); k(-1); if (w64) fb.i64Eq(); else fb.i32Eq();
    fb.if_(t);
    // x / -1 = -x (MIN / -1 = MIN wraps), x % -1 = 0.
    if (isRem) k(0); else { k(0); fb.get(a); if (w64) fb.i64Sub(); else fb.i32Sub(); }
    fb.else_();
  }
  fb.get(a); fb.get(b);
  if (w64) { if (isRem) (signed ? fb.i64RemS() : fb.i64RemU()); else (signed ? fb.i64DivS() : fb.i64DivU()); }
  else if (isRem) (signed ? fb.i32RemS() : fb.i32RemU()); else (signed ? fb.i32DivS() : fb.i32DivU());
  if (signed) fb.end();
  fb.end();
}

/** Names and widths of the runtime functions (exported by the interpreter module, imported
 * by translated-block modules so each batch does not carry its own copy). */
export const RVM_FUNCS: readonly [keyof RvmRuntime, ValType][] = [
  ['mulhu', I64], ['mulh', I64], ['mulhsu', I64], ['div', I64], ['divu', I64], ['rem', I64], ['remu', I64],
  ['divw', I32], ['divuw', I32], ['remw', I32], ['remuw', I32],
];

/** Import the runtime from module "rvm" (all imports must precede definitions). */
export function importRvmRuntime(mb: ModuleBuilder): RvmRuntime {
  const r: Partial<RvmRuntime> = {};
  for (const [name, t] of RVM_FUNCS) r[name] = mb.importFunction('rvm', name, [t, t], [t]);
  return r as RvmRuntime;
}

export function addRvmRuntime(mb: ModuleBuilder, exported = false): RvmRuntime {
  let n = 0;
  const f = (t: ValType) => mb.defineFunction([t, t], [t], exported ? RVM_FUNCS[n++][0] : undefined);
  const mulhu = f(I64); buildMulhu(mulhu.fb);
  const mulh = f(I64); buildMulhSigned(mulh.fb, mulhu.index, true);
  const mulhsu = f(I64); buildMulhSigned(mulhsu.fb, mulhu.index, false);
  const div = (t: ValType, s: boolean, r: boolean) => { const d = f(t); buildDiv(d.fb, t, s, r); return d.index; };
  return {
    mulh: mulh.index, mulhsu: mulhsu.index, mulhu: mulhu.index,
    div: div(I64, true, false), divu: div(I64, false, false), rem: div(I64, true, true), remu: div(I64, false, true),
    divw: div(I32, true, false), divuw: div(I32, false, false), remw: div(I32, true, true), remuw: div(I32, false, true),
  };
}
