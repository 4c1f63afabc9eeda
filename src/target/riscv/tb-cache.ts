// The translation-block cache (QEMU's tb_gen_code / tb_htable / tb_flush / tb_invalidate_phys_*):
// blocks queued hot by the interpreter's dispatcher are translated in batches into one wasm
// module each, entered through the shared function table, and found again through each hart's
// tb_jmp cache. A block is identified by its pc and the host address its code was read from.
//
// Self-modifying code: a page holding translated code is never in any STORE soft-TLB entry, so
// the first guest store to it takes the slow path, where cpu.ts calls noteStore() and the
// page's blocks are dropped (as QEMU's TLB_NOTDIRTY pages). Device DMA comes through
// AddressSpace.onRamWrite. Past the code budget (tb-size) everything is flushed.
import type { AddressSpace } from '../../exec/memory.js';
import { type CPURISCVState, STATE, TB_HOT_MAX, TB_JMP_ENTRIES, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT,
  TLB_OFFSET, TlbKind, MMU_IDX_COUNT } from './cpu-state.js';
import { type TbSource, buildTbModule, decodeTb, TB_MAX_INSNS } from './translate-block.js';

interface TB { key: string; idx: number; hostPage: number }

/** Most functions per module, and live modules before a flush (v86 caps near 900 modules). */
const MAX_LIVE_MODULES = 1500;
const IDX_BYTES = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;
const KIND_BYTES = TLB_ENTRIES * TLB_ENTRY_BYTES;

export interface TbLog {
  /** -d in_asm: the guest instructions of each new block. */
  inAsm?: (tb: TbSource) => void;
  /** -d out_asm: the module generated for a batch. */
  outAsm?: (bytes: Uint8Array, tbs: readonly TbSource[]) => void;
}

export class TBCache {
  readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
  private readonly free: number[] = [];
  private nextIdx = 1;
  private readonly byKey = new Map<string, TB>();
  /** host page (offset >> 12) -> blocks translated from it. */
  private readonly pages = new Map<number, Set<TB>>();
  private codeBytes = 0;
  private liveModules = 0;
  readonly i32: Int32Array;
  /** Statistics (info jit). */
  translated = 0;
  flushes = 0;
  invalidated = 0;
  log: TbLog = {};

  constructor(
    private readonly as: AddressSpace,
    private readonly envs: CPURISCVState[],
    private readonly imports: () => WebAssembly.Imports,
    private readonly maxCodeBytes: number,
    private readonly maxInsns = TB_MAX_INSNS,
  ) {
    this.i32 = new Int32Array(as.memory.buffer);
  }

  get hasCode(): boolean { return this.pages.size !== 0; }

  /** Translate (or find) the blocks env's dispatcher queued; install them in its tb_jmp. */
  compileHot(env: CPURISCVState): void {
    const n = env.get32('tb_hot_n');
    if (n === 0) return;
    env.set32('tb_hot_n', 0);
    const batch: { src: TbSource; key: string; hostPage: number }[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < Math.min(n, TB_HOT_MAX); i++) {
      const pc = env.get64('tb_hot', i);
      const host = this.fetchHost(env, pc);
      if (host < 0) continue;
      const key = `${pc}:${host}`;
      const tb = this.byKey.get(key);
      if (tb) { this.install(env, pc, tb.idx); continue; }
      if (seen.has(key)) continue;
      const src = this.decode(pc, host, this.fetchAddendLo(env, pc));
      if (!src) continue;
      seen.add(key);
      batch.push({ src, key, hostPage: host >>> 12 });
    }
    if (batch.length === 0) return;
    if (this.liveModules >= MAX_LIVE_MODULES || this.codeBytes >= this.maxCodeBytes) this.flush();
    const srcs = batch.map((b) => b.src);
    const bytes = buildTbModule(srcs);
    if (this.log.inAsm) for (const s of srcs) this.log.inAsm(s);
    if (this.log.outAsm) this.log.outAsm(bytes, srcs);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), this.imports());
    this.codeBytes += bytes.length;
    this.liveModules++;
    batch.forEach((b, i) => {
      const idx = this.allocIdx();
      this.table.set(idx, inst.exports[`tb${i}`] as Function);
      const tb: TB = { key: b.key, idx, hostPage: b.hostPage };
      this.byKey.set(b.key, tb);
      let set = this.pages.get(b.hostPage);
      if (!set) {
        this.pages.set(b.hostPage, (set = new Set()));
        this.protectPage(b.hostPage);
      }
      set.add(tb);
      this.install(env, b.src.pc, idx);
      this.translated++;
    });
  }

  /** Host offset of pc's code through env's fetch TLB (as the dispatcher saw it), or -1. */
  private fetchHost(env: CPURISCVState, pc: bigint): number {
    const e = this.fetchEntry(env, pc);
    const page = Number(pc & 0xfffff000n) | 0;
    const tagLo = this.i32[e >> 2], tagHi = this.i32[(e >> 2) + 1];
    if (tagLo !== page || tagHi !== Number(BigInt.asIntN(32, pc >> 32n))) return -1;
    return ((page + this.i32[(e >> 2) + 2]) >>> 0) + Number(pc & 0xfffn);
  }
  private fetchAddendLo(env: CPURISCVState, pc: bigint): number {
    return this.i32[(this.fetchEntry(env, pc) >> 2) + 2];
  }
  private fetchEntry(env: CPURISCVState, pc: bigint): number {
    const slot = Number((pc >> 12n) & BigInt(TLB_ENTRIES - 1));
    return env.base + TLB_OFFSET + env.get32('mmu_idx_fetch') * IDX_BYTES + TlbKind.FETCH * KIND_BYTES + slot * TLB_ENTRY_BYTES;
  }

  private decode(pc: bigint, host: number, addendLo: number): TbSource | null {
    const bytes = this.as.bytes;
    const left = (4096 - (host & 0xfff)) >> 1;
    const insns = decodeTb(pc, (i) => (i < left ? bytes[host + 2 * i] | (bytes[host + 2 * i + 1] << 8) : -1), this.maxInsns);
    return insns.length ? { pc, insns, addendLo } : null;
  }

  private allocIdx(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.nextIdx >= this.table.length) this.table.grow(this.table.length);
    return this.nextIdx++;
  }

  private install(env: CPURISCVState, pc: bigint, idx: number): void {
    const e = this.jmpEntry(env, pc);
    const i = e >> 2;
    if (this.i32[i] !== (Number(pc & 0xffffffffn) | 0) || this.i32[i + 1] !== Number(BigInt.asIntN(32, pc >> 32n))) return;
    this.i32[i + 2] = idx;
  }
  private jmpEntry(env: CPURISCVState, pc: bigint): number {
    return env.base + STATE.tb_jmp.offset + ((Number(pc & 0xffffffffn) << 3) & ((TB_JMP_ENTRIES - 1) << 4));
  }

  /** Drop every STORE TLB entry (all harts, all mmu indexes) that maps host page `hp`. */
  private protectPage(hp: number): void {
    const i32 = this.i32;
    for (const env of this.envs) {
      for (let idx = 0; idx < MMU_IDX_COUNT; idx++) {
        const base = (env.base + TLB_OFFSET + idx * IDX_BYTES + TlbKind.STORE * KIND_BYTES) >> 2;
        for (let s = 0; s < TLB_ENTRIES; s++) {
          const i = base + s * 4;
          const tagLo = i32[i];
          if ((tagLo & 0xfff) !== 0) continue; // invalid (-1)
          if (((tagLo + i32[i + 2]) >>> 12) === hp) { i32[i] = -1; i32[i + 1] = -1; }
        }
      }
    }
  }

  /**
   * A store of `size` bytes at vaddr completed through the slow path: if its page holds
   * translated code, drop that code. Returns true when something was dropped.
   */
  noteStore(env: CPURISCVState, vaddr: bigint, size: number): boolean {
    let hit = this.noteStorePage(env, vaddr);
    const last = vaddr + BigInt(size - 1);
    if ((last ^ vaddr) & ~0xfffn) hit = this.noteStorePage(env, last) || hit;
    return hit;
  }
  private noteStorePage(env: CPURISCVState, va: bigint): boolean {
    const slot = Number((va >> 12n) & BigInt(TLB_ENTRIES - 1));
    const i = (env.base + TLB_OFFSET + env.get32('mmu_idx_data') * IDX_BYTES + TlbKind.STORE * KIND_BYTES + slot * TLB_ENTRY_BYTES) >> 2;
    const page = Number(va & 0xfffff000n) | 0;
    if (this.i32[i] !== page || this.i32[i + 1] !== Number(BigInt.asIntN(32, va >> 32n))) return false;
    return this.invalidatePage((page + this.i32[i + 2]) >>> 12);
  }

  /** RAM written behind the CPU's back (DMA, loader) or by an AMO: drop code on those pages. */
  invalidateHostRange(host: number, len: number): boolean {
    if (this.pages.size === 0 || len <= 0) return false;
    let hit = false;
    for (let p = host >>> 12; p <= (host + len - 1) >>> 12; p++) hit = this.invalidatePage(p) || hit;
    return hit;
  }

  private invalidatePage(hp: number): boolean {
    const set = this.pages.get(hp);
    if (!set) return false;
    this.pages.delete(hp);
    const dead = new Set<number>();
    for (const tb of set) {
      this.byKey.delete(tb.key);
      this.table.set(tb.idx, null);
      dead.add(tb.idx);
      this.invalidated++;
    }
    this.clearJmpCaches(dead);
    for (const i of dead) this.free.push(i);
    return true;
  }

  /** Forget table indexes `dead` (all when null) in every hart's tb_jmp. */
  private clearJmpCaches(dead: Set<number> | null): void {
    const i32 = this.i32;
    for (const env of this.envs) {
      const base = (env.base + STATE.tb_jmp.offset) >> 2;
      for (let e = 0; e < TB_JMP_ENTRIES; e++) {
        const i = base + e * 4 + 2;
        if (i32[i] !== 0 && (dead === null || dead.has(i32[i]))) { i32[i] = 0; i32[i + 1] = 0; }
      }
    }
  }

  /** tb_flush: drop every translated block. */
  flush(): void {
    for (const tb of this.byKey.values()) this.table.set(tb.idx, null);
    this.byKey.clear();
    this.pages.clear();
    this.free.length = 0;
    this.nextIdx = 1;
    this.codeBytes = 0;
    this.liveModules = 0;
    this.clearJmpCaches(null);
    this.flushes++;
  }
}
