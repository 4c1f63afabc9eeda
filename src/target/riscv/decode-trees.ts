// The decision trees of the 32- and 16-bit tables for the process's CPU configuration: rows of
// extensions that are off are left out (they decode as illegal instructions). Cached by
// riscvCpuCfgKey(), shared by the interpreter generator, the block compiler and the disassembler.
import { type DecodeNode, buildDecodeTree, enabledRows, forceDecodeTree } from './decode.js';
import { type RISCVCPUConfig, riscvCpuCfg, riscvCpuCfgKey, riscvCpuHas } from './cpu-cfg.js';
import { insn16 } from './insn16.js';
import { insn32 } from './insn32.js';
import type { TransFn } from './trans_rvi.js';

export interface RiscvDecodeTrees { readonly t32: DecodeNode<TransFn>; readonly t16: DecodeNode<TransFn> }

const cache = new Map<string, RiscvDecodeTrees>();
/** The trees of the configuration object seen last (the block compiler asks once per region;
 * riscvCpuCfgKey sorts and joins the extension names: ~0.4 us per translated instruction of
 * cold code). A configuration is replaced, not edited, once harts exist (setRiscvCpuCfg); the
 * extension count is compared as well. */
let last: { cfg: RISCVCPUConfig; size: number; trees: RiscvDecodeTrees } | null = null;

/** The trees, built lazily (each node when a decoded word first reaches it: decode.ts); `full`:
 * every node built (the interpreter generator emits the whole tree). */
export function riscvDecodeTrees(full = false): RiscvDecodeTrees {
  const cfg = riscvCpuCfg();
  let t = last !== null && last.cfg === cfg && last.size === cfg.ext.size ? last.trees : undefined;
  if (!t) {
    const key = riscvCpuCfgKey(cfg);
    t = cache.get(key);
    if (!t) {
      t = { t32: buildDecodeTree(enabledRows(insn32().rows, riscvCpuHas), 3, true), t16: buildDecodeTree(enabledRows(insn16().rows, riscvCpuHas), 0, true) };
      cache.set(key, t);
    }
    last = { cfg, size: cfg.ext.size, trees: t };
  }
  if (full) { forceDecodeTree(t.t32); forceDecodeTree(t.t16); }
  return t;
}
