// The seed of the block compiler: the same trans_* emitters driven with constant operands and a
// constant pc per instruction, producing one wasm function for a straight-line run of guest
// instructions. It proves the emitter API works in constant mode; the TB cache, chaining and
// the execution-count threshold come with the block-compiler issue.
//
// tb(env) -> status: 0 fell through (state.pc = pc after the block), 1 jumped (state.pc =
// target), 2 illegal instruction at state.pc, 3 a helper asked for a reload (state.pc set).
import { ModuleBuilder, ValType } from '../../tcg/wasm-builder.js';
import { STATE, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT, TLB_OFFSET } from './cpu-state.js';
import { buildDecodeTree, constArgs, decodeWith } from './decode.js';
import { insn16 } from './insn16.js';
import { insn32 } from './insn32.js';
import { INTERP_IMPORTS } from './interpreter.js';
import { addRvmRuntime } from './rvm-runtime.js';
import { DisasContext, type Helpers } from './translate.js';

const I32 = ValType.I32, I64 = ValType.I64;
const tree32 = buildDecodeTree(insn32.rows, 3);
const tree16 = buildDecodeTree(insn16.rows);

/** Decode the instruction words (32-bit, or 16-bit for RVC) starting at guest `pc`. */
export function buildStraightLineBlock(words: readonly number[], pc: bigint): Uint8Array {
  const mb = new ModuleBuilder();
  const imp: Record<string, number> = {};
  for (const [name, p, r] of INTERP_IMPORTS) imp[name] = mb.importFunction('env', name, p, r);
  mb.importMemory('env', 'memory');
  const rvm = addRvmRuntime(mb);
  const { fb } = mb.defineFunction([I32], [I32], 'tb');
  const h: Helpers = {
    slowLoad: imp.slowLoad, slowStore: imp.slowStore, xlate: imp.xlate, raise: imp.raise, csr: imp.csr,
    mret: imp.mret, sret: imp.sret, wfi: imp.wfi, fencei: imp.fencei, ecall: imp.ecall, ebreak: imp.ebreak,
    sfence: imp.sfence, fp: imp.fp, ...rvm,
  };
  const env = fb.param(0);
  const pcL = fb.local(I64), tlbData = fb.local(I32), status = fb.local(I32), rem = fb.local(I32), synced = fb.local(I32);
  const idxBytes = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;
  fb.get(env); fb.get(env); fb.i32Load(STATE.mmu_idx_data.offset); fb.i32Const(idxBytes); fb.i32Mul(); fb.i32Add();
  fb.i32Const(TLB_OFFSET); fb.i32Add(); fb.set(tlbData);
  const restart = fb.block();
  const jumped = fb.block();
  const illegal = fb.block();
  const ctx = new DisasContext(fb, env, h, null, pcL, tlbData, status, rem, synced, restart, jumped, illegal);
  let at = pc;
  for (const w of words) {
    const row = (w & 3) === 3 ? decodeWith(tree32, w >>> 0) : decodeWith(tree16, w & 0xffff);
    fb.i64Const(at); fb.set(pcL);
    if (!row) { fb.br(illegal); break; }
    ctx.ilen = row.ilen;
    ctx.insnWord = w;
    row.trans(ctx, constArgs(row, w));
    at += BigInt(row.ilen);
  }
  fb.get(env); fb.i64Const(at); fb.i64Store(STATE.pc.offset);
  fb.i32Const(0); fb.return_();
  fb.end();
  fb.get(env); fb.get(pcL); fb.i64Store(STATE.pc.offset); fb.i32Const(2); fb.return_();
  fb.end();
  fb.get(env); fb.get(pcL); fb.i64Store(STATE.pc.offset); fb.i32Const(1); fb.return_();
  fb.end();
  fb.i32Const(3);
  return mb.bytes();
}
