// What the page walk (mmu.ts) needs from the configuration, as bit flags recomputed only when
// the configuration object changes: Svnapot, Svpbmt, Svadu, Svade. And menvcfg's bits for them.
import { riscvCpuCfg } from './cpu-cfg.js';

/** menvcfg (high word) bits: STCE 63, PBMTE 62, ADUE 61. */
export const MENVCFG_HI_STCE = 1 << 31, MENVCFG_HI_PBMTE = 1 << 30, MENVCFG_HI_ADUE = 1 << 29;

export const enum WalkExt { SVNAPOT = 1, SVPBMT = 2, SVADU = 4, SVADE = 8 }

let flagsCfg: object | null = null;
let flags = 0;
export function riscvWalkExt(): number {
  const c = riscvCpuCfg();
  if (c !== flagsCfg) {
    flagsCfg = c;
    flags = (c.ext.has('svnapot') ? WalkExt.SVNAPOT : 0) | (c.ext.has('svpbmt') ? WalkExt.SVPBMT : 0) |
      (c.ext.has('svadu') ? WalkExt.SVADU : 0) | (c.ext.has('svade') ? WalkExt.SVADE : 0);
  }
  return flags;
}
