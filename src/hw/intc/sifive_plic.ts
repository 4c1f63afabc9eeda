// SiFive PLIC (QEMU's sifive_plic.c as configured by virt): 96 sources, two contexts per
// hart (M then S), priorities 0-7. Inputs are level-triggered: a claimed source whose line is
// still high becomes pending again when the guest completes it.
import type { MemoryRegionOps } from '../../exec/memory.js';
import { type IRQ, irqLine } from '../core/irq.js';
import { IRQ_BIT } from '../../target/riscv/hart.js';
import { LogMask, qemuLogMask } from '../../qemu/log.js';

export const PLIC_PRIORITY_BASE = 0x0;
export const PLIC_PENDING_BASE = 0x1000;
export const PLIC_ENABLE_BASE = 0x2000;
export const PLIC_ENABLE_STRIDE = 0x80;
export const PLIC_CONTEXT_BASE = 0x200000;
export const PLIC_CONTEXT_STRIDE = 0x1000;

export interface PlicHart {
  setMip(mask: number, level: boolean): void;
}

export class SiFivePLIC implements MemoryRegionOps {
  private readonly words: number;
  private readonly priority: Uint32Array;
  private readonly level: Uint32Array; // input line levels, bit array
  private readonly pending: Uint32Array;
  private readonly claimed: Uint32Array;
  private readonly enable: Uint32Array; // [context][words]
  private readonly threshold: Uint32Array;
  private readonly contexts: number;
  /** One input line per source (index 0 is unused, as in the spec). */
  readonly irqs: IRQ[];

  constructor(
    private readonly harts: readonly PlicHart[],
    readonly numSources: number,
    readonly numPriorities: number,
  ) {
    this.words = Math.ceil(numSources / 32);
    this.contexts = harts.length * 2;
    this.priority = new Uint32Array(numSources);
    this.level = new Uint32Array(this.words);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.enable = new Uint32Array(this.contexts * this.words);
    this.threshold = new Uint32Array(this.contexts);
    this.irqs = Array.from({ length: numSources }, (_, i) => irqLine((lvl) => this.setIrq(i, lvl)));
  }

  reset(): void {
    for (const a of [this.priority, this.pending, this.claimed, this.enable, this.threshold]) a.fill(0);
    this.update();
  }

  private bit(a: Uint32Array, i: number): boolean {
    return ((a[i >> 5] >>> (i & 31)) & 1) !== 0;
  }
  private setBit(a: Uint32Array, i: number, v: boolean): void {
    if (v) a[i >> 5] |= 1 << (i & 31);
    else a[i >> 5] &= ~(1 << (i & 31));
  }

  setIrq(source: number, level: boolean): void {
    if (source <= 0 || source >= this.numSources) return;
    this.setBit(this.level, source, level);
    if (!this.bit(this.claimed, source)) this.setBit(this.pending, source, level);
    this.update();
  }

  /** Highest-priority pending, enabled, unclaimed source above the context's threshold (0: none). */
  private best(ctx: number): number {
    let best = 0;
    let bestPrio = this.threshold[ctx];
    for (let w = 0; w < this.words; w++) {
      let m = this.pending[w] & ~this.claimed[w] & this.enable[ctx * this.words + w];
      while (m !== 0) {
        const b = 31 - Math.clz32(m & -m);
        m &= m - 1;
        const src = w * 32 + b;
        if (src < this.numSources && this.priority[src] > bestPrio) {
          best = src;
          bestPrio = this.priority[src];
        }
      }
    }
    return best;
  }

  private update(): void {
    for (let ctx = 0; ctx < this.contexts; ctx++) {
      const hart = this.harts[ctx >> 1];
      hart.setMip(1 << (ctx & 1 ? IRQ_BIT.S_EXT : IRQ_BIT.M_EXT), this.best(ctx) !== 0);
    }
  }

  private claim(ctx: number): number {
    const src = this.best(ctx);
    if (src !== 0) {
      this.setBit(this.pending, src, false);
      this.setBit(this.claimed, src, true);
      this.update();
    }
    return src;
  }

  private complete(ctx: number, src: number): void {
    if (src <= 0 || src >= this.numSources || !this.bit(this.enable.subarray(ctx * this.words), src)) return;
    this.setBit(this.claimed, src, false);
    if (this.bit(this.level, src)) this.setBit(this.pending, src, true);
    this.update();
  }

  read(offset: number, size: number): number {
    if (size !== 4 || offset & 3) return this.bad('read', offset, size);
    if (offset < PLIC_PENDING_BASE) {
      const src = offset >> 2;
      return src < this.numSources ? this.priority[src] : 0;
    }
    if (offset < PLIC_ENABLE_BASE) {
      const w = (offset - PLIC_PENDING_BASE) >> 2;
      return w < this.words ? this.pending[w] : 0;
    }
    if (offset < PLIC_CONTEXT_BASE) {
      const ctx = Math.floor((offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
      const w = ((offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) >> 2;
      return ctx < this.contexts && w < this.words ? this.enable[ctx * this.words + w] : 0;
    }
    const ctx = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
    const reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
    if (ctx >= this.contexts) return this.bad('read', offset, size);
    if (reg === 0) return this.threshold[ctx];
    if (reg === 4) return this.claim(ctx);
    return this.bad('read', offset, size);
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4 || offset & 3) { this.bad('write', offset, size); return; }
    if (offset < PLIC_PENDING_BASE) {
      const src = offset >> 2;
      if (src > 0 && src < this.numSources) this.priority[src] = Math.min(value >>> 0, this.numPriorities);
    } else if (offset < PLIC_ENABLE_BASE) {
      this.bad('write', offset, size); // pending bits are read-only
      return;
    } else if (offset < PLIC_CONTEXT_BASE) {
      const ctx = Math.floor((offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
      const w = ((offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) >> 2;
      if (ctx >= this.contexts || w >= this.words) { this.bad('write', offset, size); return; }
      this.enable[ctx * this.words + w] = w === 0 ? value & ~1 : value; // source 0 does not exist
    } else {
      const ctx = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
      const reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
      if (ctx >= this.contexts) { this.bad('write', offset, size); return; }
      if (reg === 0) this.threshold[ctx] = Math.min(value >>> 0, this.numPriorities);
      else if (reg === 4) { this.complete(ctx, value >>> 0); return; }
      else { this.bad('write', offset, size); return; }
    }
    this.update();
  }

  private bad(what: string, offset: number, size: number): number {
    qemuLogMask(LogMask.LOG_GUEST_ERROR, `sifive_plic: invalid ${what}: 0x${offset.toString(16)} (size ${size})\n`);
    return 0;
  }
}
