// The TLB miss paths of a translated module's loads and stores (translate-block.ts): one wasm
// function per access kind in the module, called where the access misses its TLB slot,
// instead of the victim-slot probe and the slow-path call inline at every access (they were
// about half of a block's wasm: ~140 bytes per load or store, ~85 now). System mode only: user
// mode's blocks leave at a miss (TbSource.missExits) and hold no call on these paths.
//
//   miss(env, a[, v], pc, instret0, k) -> host address, or a status (< MISS_STATUS_LIMIT)
//     e = the victim slot's entry; it maps [a, a+size): return wrap(a) + e.addend
//     state.pc = pc; state.instret = instret0 + k            (syncForHelper)
//     store: scratch[0] = v; s = slowStore(a, code) / load: s = slowLoad(a, code)
//     s != 0: return s; else return &scratch[0] (a load reads its value there; a store writes
//     its value there again, harmlessly)
import { type ModuleBuilder, ValType } from '../../tcg/wasm-builder.js';
import { STATE, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, TLB_OFFSET, TlbKind } from './cpu-state.js';
import { type Helpers, SCRATCH, emitLastBytePage, emitTlbVictimSlotBytes } from './translate.js';

const I32 = ValType.I32, I64 = ValType.I64;
const IDX_BYTES = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;

export class TbMissFns {
  private readonly fns = new Map<number, number>();
  constructor(private readonly mb: ModuleBuilder, private readonly h: Helpers) {}

  /** Index of the miss function of a load (`code` = its MemOp) or store (`code` = slowStore's
   * memop: size | MEMOP_RVC), defined on first use. */
  get(store: boolean, code: number): number {
    const key = (store ? 1 : 0) | (code << 1);
    let fn = this.fns.get(key);
    if (fn === undefined) { fn = this.define(store, code); this.fns.set(key, fn); }
    return fn;
  }

  private define(store: boolean, code: number): number {
    const params = store ? [I32, I64, I64, I64, I64, I32] : [I32, I64, I64, I64, I32];
    const { index, fb } = this.mb.defineFunction(params, [I32]);
    this.mb.funcNames.set(index, `tb_${store ? 'st' : 'ld'}_miss_${code}`);
    const env = fb.param(0), a = fb.param(1), v = fb.param(2);
    const pc = fb.param(store ? 3 : 2), instret0 = fb.param(store ? 4 : 3), k = fb.param(store ? 5 : 4);
    const size = 1 << (code & 3);
    const kindOff = (store ? TlbKind.STORE : TlbKind.LOAD) * TLB_ENTRIES * TLB_ENTRY_BYTES;
    const e = fb.local(I32), s = fb.local(I32);
    fb.get(env); fb.get(env); fb.i32Load(STATE.mmu_idx_data.offset); fb.i32Const(IDX_BYTES); fb.i32Mul(); fb.i32Add();
    fb.i32Const(TLB_OFFSET); fb.i32Add();
    emitTlbVictimSlotBytes(fb, () => { fb.get(a); fb.i32WrapI64(); }); fb.i32Add(); fb.tee(e);
    fb.i64Load(kindOff); emitLastBytePage(fb, a, size); fb.i64Eq();
    fb.if_();
    fb.get(a); fb.i32WrapI64(); fb.get(e); fb.i32Load(kindOff + 8); fb.i32Add(); fb.return_();
    fb.end();
    fb.get(env); fb.get(pc); fb.i64Store(STATE.pc.offset);
    fb.get(env); fb.get(instret0); fb.get(k); fb.i64ExtendI32U(); fb.i64Add(); fb.i64Store(STATE.instret.offset);
    if (store) { fb.get(env); fb.get(v); fb.i64Store(SCRATCH); }
    fb.get(a); fb.i32WrapI64();
    fb.get(a); fb.i64Const(32); fb.i64ShrU(); fb.i32WrapI64();
    fb.i32Const(code); fb.call(store ? this.h.slowStore : this.h.slowLoad);
    fb.tee(s);
    fb.if_(); fb.get(s); fb.return_(); fb.end();
    fb.get(env); fb.i32Const(SCRATCH); fb.i32Add();
    return index;
  }
}
