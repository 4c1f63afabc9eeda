// The decision trees of the 32- and 16-bit tables for the process's CPU configuration: rows of
// extensions that are off are left out (they decode as illegal instructions). Cached by
// riscvCpuCfgKey(), shared by the interpreter generator, the block compiler and the disassembler.
import { type DecodeNode, buildDecodeTree, enabledRows } from './decode.js';
import { riscvCpuCfgKey, riscvCpuHas } from './cpu-cfg.js';
import { insn16 } from './insn16.js';
import { insn32 } from './insn32.js';
import type { TransFn } from './trans_rvi.js';

export interface RiscvDecodeTrees { readonly t32: DecodeNode<TransFn>; readonly t16: DecodeNode<TransFn> }

const cache = new Map<string, RiscvDecodeTrees>();

export function riscvDecodeTrees(): RiscvDecodeTrees {
  const key = riscvCpuCfgKey();
  let t = cache.get(key);
  if (!t) {
    t = { t32: buildDecodeTree(enabledRows(insn32().rows, riscvCpuHas), 3), t16: buildDecodeTree(enabledRows(insn16().rows, riscvCpuHas)) };
    cache.set(key, t);
  }
  return t;
}
