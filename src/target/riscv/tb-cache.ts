// The translation-block cache (QEMU's tb_gen_code / tb_htable / tb_flush / tb_invalidate_phys_*):
// blocks queued hot by the interpreter's dispatcher are translated in batches into one wasm
// module each, entered through the shared function table, and found again through each hart's
// tb_jmp cache. A block is identified by its pc and the host address its code was read from.
//
// Self-modifying code: a page holding translated code is never in any STORE soft-TLB entry, so
// the first guest store to it takes the slow path, where cpu.ts calls noteStore() and the
// page's blocks are dropped (as QEMU's TLB_NOTDIRTY pages). Device DMA comes through
// AddressSpace.onRamWrite. Past the code budget (tb-size) everything is flushed.
import { riscvLastStore } from './cpu-ldst.js';
import type { AddressSpace } from '../../exec/memory.js';
import { CALL_PRED_ENTRIES, type CPURISCVState, STATE, TB_HOT_MAX, TB_JMP_ENTRIES, TB_JMP_HASH_SHIFT, TB_JMP_WAY1, TB_L2_ENTRIES, TLB_ENTRIES, TLB_ENTRY_BYTES, TLB_KIND_COUNT,
  TLB_OFFSET, TlbKind, MMU_IDX_COUNT, type UserPageTable, tlbSlot, tlbVictimSlot } from './cpu-state.js';
import { type TbSource, buildTbModule, decodeLeaf, decodeRegion, REGION_MAX_INSNS, RegionTarget, straddles, TB_MAX_INSNS, tbExportName } from './translate-block.js';
import { riscvDisasLine } from './disas.js';
import { LogMask, qemuLog, qemuLogEnabled } from '../../qemu/log.js';
import { wasmFunctionsText } from '../../tcg/wasm-dis.js';
import type { TbShare } from './tb-share.js';

/** -d in_asm text of a block, in QEMU's layout (one IN: section per run of the region). */
function inAsmText(tb: TbSource): string {
  return tb.runs.map((r) => `----------------\nIN: \n${r.insns.map((i) => riscvDisasLine(i.word, i.pc)).join('\n')}\n\n`).join('');
}

/** An entry of a translated region: table index (0 while its module compiles, async mode) and
 * run index; dead once invalidated or flushed. */
interface TB { key: string; pc: bigint; idx: number; entry: number; hostPage: number; dead: boolean }

/** A compiled module's live regions as another worker's cache takes them (user mode: threads
 * moved to a new worker bring their worker's translations, thread-host.ts). V8 shares the
 * compiled code of a WebAssembly.Module posted between workers: no decode, emit or compile. */
export interface TbExport {
  mod: WebAssembly.Module;
  /** Wasm bytes (the code budget). */
  size: number;
  /** Compiled with pointer masking (TbSource.pm). */
  pm: boolean;
  /** Each region: its export (tbExportName), page, the page's bytes as decoded, its entries. */
  regions: { r: number; pageHost: number; snap: Uint8Array; runs: { pc: bigint; entry: number }[] }[];
}
/** A module this cache may give away: its regions' entries (dead once dropped here). */
interface Exportable { mod: WebAssembly.Module; size: number; pm: boolean; regions: { r: number; pageHost: number; snap: Uint8Array; tbs: TB[] }[] }

/** Milliseconds for the translation cost (info jit). The host may give a cheaper clock (in a
 * Node worker the first use of `performance` loads Node's user-timing code, ~20 ms) or the
 * thread's CPU time (host/node/thread-clock.ts); `kind` names it in `info jit`. */
let nowMs: () => number = () => performance.now();
let clockKind = 'wall';
export function setTbClock(fn: () => number, kind = 'wall'): void { nowMs = fn; clockKind = kind; }

/** Most functions per module, and live modules before a flush (v86 caps near 900 modules). */
const MAX_LIVE_MODULES = 1500;
const IDX_BYTES = TLB_KIND_COUNT * TLB_ENTRIES * TLB_ENTRY_BYTES;
const KIND_BYTES = TLB_ENTRIES * TLB_ENTRY_BYTES;

/** The page table for translated direct accesses once the program made enough TLB fills. */
function directPages(env: CPURISCVState): UserPageTable | undefined {
  const um = env.userMode, t = um?.pageTable;
  return t && (um.tlbFills ?? 0) >= t.afterFills() ? t : undefined;
}

export class TBCache {
  // Only the interpreter imports it (block modules chain through its `chain`), so growing and
  // setting it cost little.
  readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
  private nextIdx = 1;
  private readonly byKey = new Map<string, TB>();
  /** host page (offset >> 12) -> blocks translated from it. */
  private readonly pages = new Map<number, Set<TB>>();
  private codeBytes = 0;
  private liveModules = 0;
  readonly i32: Int32Array;
  /** Statistics (info jit). */
  translated = 0;
  /** Runs (entries) in the translated regions. */
  translatedRuns = 0;
  flushes = 0;
  invalidated = 0;
  /** Hot pcs already translated: their jump cache entry had been reused by another pc, so
   * they ran in the interpreter until hot again. */
  reinstalled = 0;
  /** Pointer masking was in effect at some translation (TbSource.pm). */
  private pmSeen = false;
  /** Modules still compiling. */
  pending = 0;
  /** Translation cost (info jit): guest instructions translated, and milliseconds spent
   * decoding regions, emitting wasm, compiling and instantiating modules (synchronous mode). */
  readonly cost = { insns: 0, decodeMs: 0, emitMs: 0, compileMs: 0, instantiateMs: 0 };
  private hot: bigint[] = [];
  /** User mode: keep what exportLive() gives another worker (each region's page as decoded). */
  exportable = false;
  private readonly exports: Exportable[] = [];

  constructor(
    private readonly as: AddressSpace,
    private readonly envs: CPURISCVState[],
    private readonly imports: () => WebAssembly.Imports,
    private readonly maxCodeBytes: number,
    private readonly maxInsns = TB_MAX_INSNS,
    /** Compile modules on V8's background threads (the caller's event loop must run). */
    private readonly asyncCompile = false,
    /** Instructions a region may gather (<= maxInsns, or -d nochain: one run per block). */
    private readonly regionInsns = REGION_MAX_INSNS,
  ) {
    this.i32 = new Int32Array(as.memory.buffer);
  }

  /** User mode: inline small leaf callees (TcgOptions.inlineLeaves, set from it by cpu.ts). */
  inlineLeaves = false;
  /** thread=multi (tb-share.ts): other threads translate and write guest code too. */
  share: TbShare | null = null;
  /** thread=multi: each code page as it was when first decoded (checked again at fence.i). */
  private readonly codeSnaps = new Map<number, Uint8Array>();

  get hasCode(): boolean { return this.pages.size !== 0 || this.share !== null; }

  /** thread=multi: drop the code other threads' stores (or DMA) hit; at block boundaries and
   * fence.i. True when some was dropped. */
  drainShared(): boolean {
    const s = this.share;
    if (!s) return false;
    const pages = s.take();
    if (pages === null) { this.flush(); return true; }
    let hit = false;
    for (const hp of pages) hit = this.invalidatePage(hp) || hit;
    return hit;
  }

  /** thread=multi, at fence.i: drop the code of every page whose bytes differ from those decoded.
   * A store another hart made while this one claimed the page can land without the slow path
   * (its TLB check passed just before claim()); fence.i is where RISC-V requires it be seen. */
  verifyShared(): boolean {
    let hit = false;
    for (const [hp, snap] of [...this.codeSnaps]) {
      if (!this.samePage(hp * 4096, snap)) hit = this.invalidatePage(hp) || hit;
    }
    return hit;
  }

  private snapPage(hp: number): void {
    if (this.codeSnaps.has(hp)) return;
    const mem = this.i32.buffer;
    if ((hp + 1) * 4096 <= mem.byteLength) this.codeSnaps.set(hp, new Uint8Array(mem, hp * 4096, 4096).slice());
  }


  /** HMP `info jit`, in the layout of QEMU's dump_exec_info. */
  info(): string {
    const pad = (k: string) => k.padEnd(20);
    return 'Translation buffer state:\n' +
      `${pad('gen code size')}${this.codeBytes}/${this.maxCodeBytes}\n` +
      `${pad('TB count')}${this.translated} (${this.translatedRuns} entries)\n` +
      `${pad('live modules')}${this.liveModules}\n` +
      `${pad('code pages')}${this.pages.size}\n` +
      '\nStatistics:\n' +
      `${pad('TB flush count')}${this.flushes}\n` +
      `${pad('TB invalidate count')}${this.invalidated}\n` +
      `${pad('TB reinstall count')}${this.reinstalled}\n` +
      (this.adopted ? `${pad('TB adopted count')}${this.adopted}\n` : '') + this.costInfo(pad);
  }

  /** The time translation took per guest instruction (QEMU's TCG: ~1-2 us), by stage. */
  private costInfo(pad: (k: string) => string): string {
    const c = this.cost;
    if (c.insns === 0) return '';
    const us = (ms: number) => (ms * 1000 / c.insns).toFixed(2);
    const total = c.decodeMs + c.emitMs + c.compileMs + c.instantiateMs;
    return `${pad('translated code')}${c.insns} guest insns\n` +
      `${pad('translation cost')}${us(total)} us/insn (decode ${us(c.decodeMs)}, emit ${us(c.emitMs)}, ` +
      `compile ${us(c.compileMs)}, instantiate ${us(c.instantiateMs)})${this.asyncCompile ? ' [async: compile off-thread]' : ''} [${clockKind} time]\n`;
  }

  /** Move env's queue of hot pcs (filled by its dispatcher) to the batch being collected. */
  collect(env: CPURISCVState): void {
    const n = Math.min(env.get32('tb_hot_n'), TB_HOT_MAX);
    env.set32('tb_hot_n', 0);
    for (let i = 0; i < n; i++) this.hot.push(env.get64('tb_hot', i));
  }

  /** Pcs collected and not compiled yet. */
  get hotCount(): number { return this.hot.length; }

  /** Translate (or find) the collected blocks as one module; install them in env's tb_jmp.
   * Hot pcs of one page become one region (translate-block.ts) whose every run is an entry. */
  compileHot(env: CPURISCVState): void {
    const t0 = nowMs();
    // Blocks leave masking out until a hart is seen with it in effect; then every block gets it
    // (those without it would keep leaving for the interpreter).
    if (!this.pmSeen && (env.get64('pm_shift') !== 0n || env.get64('pm_zshift') !== 0n)) {
      this.pmSeen = true;
      if (this.byKey.size) this.flush();
    }
    this.collect(env);
    const hot = this.hot;
    this.hot = [];
    const groups = new Map<string, { seeds: bigint[]; pageHost: number; addendLo: number }>();
    for (const pc of hot) {
      const e = this.fetchEntry(env, pc);
      if (e < 0) { this.recount(env, pc); continue; }
      const host = this.entryHost(e, pc);
      const tb = this.byKey.get(`${pc}:${host}`);
      if (tb) { if (tb.idx) { this.install(env, pc, tb.idx, tb.entry); this.reinstalled++; } continue; }
      const gk = `${pc >> 12n}:${host >>> 12}`;
      let g = groups.get(gk);
      if (!g) groups.set(gk, (g = { seeds: [], pageHost: host - (host & 0xfff), addendLo: this.i32[(e >> 2) + 2] }));
      if (!g.seeds.includes(pc)) g.seeds.push(pc);
    }
    const batch: { src: TbSource; pageHost: number; snap: Uint8Array | null }[] = [];
    // thread=multi: the pages are marked (and out of every STORE TLB) before they are read.
    if (this.share) for (const g of groups.values()) this.share.claim(g.pageHost >>> 12);
    const snaps: Uint8Array[] = [];
    for (const g of groups.values()) {
      // thread=multi: another hart's store that passed its TLB check just before claim() lands
      // without the slow path; the page as decoded is compared again before install.
      const snap = this.share ? new Uint8Array(this.i32.buffer, g.pageHost, 4096).slice() : null;
      if (this.share) {
        const hp = g.pageHost >>> 12, old = this.codeSnaps.get(hp);
        if (old && !this.samePage(g.pageHost, old)) this.invalidatePage(hp);
        if (!this.codeSnaps.has(hp) && snap) this.codeSnaps.set(hp, snap);
      }
      const src = this.decode(env, g.seeds, g.pageHost, g.addendLo);
      if (src) { batch.push({ src, pageHost: g.pageHost, snap: this.exportable ? this.pageSnap(g.pageHost) : null }); if (snap) snaps.push(snap); }
    }
    const cost = this.cost;
    const t1 = nowMs();
    cost.decodeMs += t1 - t0;
    if (batch.length === 0) return;
    if (this.liveModules >= MAX_LIVE_MODULES || this.codeBytes >= this.maxCodeBytes) this.flush();
    const srcs = batch.map((b) => b.src);
    for (const s of srcs) for (const r of s.runs) cost.insns += r.insns.length;
    const bytes = buildTbModule(srcs, !this.noChain());
    const t2 = nowMs();
    cost.emitMs += t2 - t1;
    if (qemuLogEnabled(LogMask.CPU_LOG_TB_IN_ASM)) for (const s of srcs) qemuLog(inAsmText(s));
    if (qemuLogEnabled(LogMask.CPU_LOG_TB_OUT_ASM)) {
      qemuLog(`OUT: [module of ${srcs.length} blocks, ${bytes.length} bytes]\n` +
        wasmFunctionsText(bytes, (i) => (i < srcs.length ? `$tb_${srcs[i].pc.toString(16)}` : `$tb_miss_${i - srcs.length}`)) + '\n');
    }
    this.codeBytes += bytes.length;
    this.liveModules++;
    // Registered (and their pages write-protected) now, so stores during an async compile
    // still invalidate them.
    const regions = batch.map((b) => b.src.runs.map((run, entry) => this.register(run.pc, b.pageHost, entry, b.src)));
    // A region ending in an instruction that straddles into the next page, or holding runs on
    // it, is dropped when either page is written (or unmapped, mprotected: codeChanged): every
    // entry on both pages (an entry left alive on one page would keep the dead region's table
    // index, and be installed again from byKey).
    batch.forEach((b, r) => {
      const np = b.src.nextHostPage;
      if (np !== undefined) for (const tb of regions[r]) { this.watchPage(np, tb); this.watchPage(b.pageHost >>> 12, tb); }
      // Inlined leaves' pages: a write there drops the region as one to its own page would.
      for (const lp of b.src.leafHostPages ?? []) for (const tb of regions[r]) { this.watchPage(lp, tb); this.watchPage(b.pageHost >>> 12, tb); }
    });
    const install = (mod: WebAssembly.Module) => {
      const t3 = nowMs();
      const base = this.allocRange(regions.length);
      const imports = this.imports();
      const fns = new WebAssembly.Instance(mod, { env: { memory: imports.env.memory }, rvm: imports.rvm }).exports;
      regions.forEach((tbs, r) => {
        if (!tbs[0].dead && snaps.length && !this.samePage(batch[r].pageHost, snaps[r])) this.invalidatePage(batch[r].pageHost >>> 12);
        if (tbs[0].dead) return;
        this.table.set(base + r, fns[tbExportName(r)] as Function);
        for (const tb of tbs) {
          tb.idx = base + r;
          this.install(env, tb.pc, tb.idx, tb.entry);
          for (const other of this.envs) if (other !== env) this.offer(other, tb.pc, tb.idx, tb.entry);
        }
        this.translated++;
        this.translatedRuns += tbs.length;
      });
      if (this.exportable) this.keepExport(mod, bytes.length, batch.some((b) => b.src.pm), 
        regions.flatMap((tbs, r) => (batch[r].src.nextHostPage === undefined && batch[r].src.leafHostPages === undefined ? [{ r, pageHost: batch[r].pageHost, snap: batch[r].snap!, tbs }] : [])));
      cost.instantiateMs += nowMs() - t3;
    };
    if (!this.asyncCompile) {
      const mod = new WebAssembly.Module(bytes);
      cost.compileMs += nowMs() - t2;
      install(mod);
      return;
    }
    this.pending++;
    WebAssembly.compile(bytes).then(install, () => {}).finally(() => { this.pending--; });
  }

  /** Page `host` as decoded now (the last copy again when the page still holds it). */
  private pageSnap(host: number): Uint8Array {
    const hp = host >>> 12, last = this.lastSnaps.get(hp);
    if (last && this.samePage(host, last)) return last;
    const s = new Uint8Array(this.i32.buffer, host, 4096).slice();
    this.lastSnaps.set(hp, s);
    return s;
  }
  private readonly lastSnaps = new Map<number, Uint8Array>();

  private keepExport(mod: WebAssembly.Module, size: number, pm: boolean, regions: Exportable['regions']): void {
    // (Regions straddling into a second page are not given away.)
    const live = regions.filter((g) => !g.tbs[0].dead);
    if (live.length) this.exports.push({ mod, size, pm, regions: live });
    if (this.exports.length % 64 === 0) this.exportLive(); // (forgets modules whose code is all dropped)
  }

  /** The live translations, for a worker that takes some of this one's threads. */
  exportLive(): TbExport[] {
    const out: TbExport[] = [];
    let j = 0;
    for (const m of this.exports) {
      const regions = m.regions.filter((g) => !g.tbs.some((tb) => tb.dead));
      if (regions.length === 0) continue; // all dropped: forgotten here too
      this.exports[j++] = m;
      m.regions = regions;
      out.push({ mod: m.mod, size: m.size, pm: m.pm, regions: regions.map((g) => ({ r: g.r, pageHost: g.pageHost, snap: g.snap, runs: g.tbs.map((tb) => ({ pc: tb.pc, entry: tb.entry })) })) });
    }
    this.exports.length = j;
    return out;
  }

  /**
   * Install another worker's translations (exportLive) as if translated here: each region's page
   * is watched first (out of every STORE TLB, so a later store drops it), then compared with the
   * bytes it was decoded from; a page that changed since is dropped, never run. Returns the
   * regions installed.
   */
  adopt(list: readonly TbExport[]): number {
    const t0 = nowMs();
    let n = 0;
    const imports = this.imports();
    for (const m of list) {
      if (m.pm !== this.pmSeen) continue; // (this cache's blocks all have masking once it is seen, or none)
      if (this.liveModules >= MAX_LIVE_MODULES || this.codeBytes + m.size >= this.maxCodeBytes) break;
      const regions = m.regions.filter((g) => g.runs.every((r) => !this.byKey.has(`${r.pc}:${g.pageHost + Number(r.pc & 0xfffn)}`)));
      if (regions.length === 0) continue;
      const fns = new WebAssembly.Instance(m.mod, { env: { memory: imports.env.memory }, rvm: imports.rvm }).exports;
      const kept: Exportable['regions'] = [];
      for (const g of regions) {
        const tbs = g.runs.map((r) => this.register(r.pc, g.pageHost, r.entry));
        if (!this.samePage(g.pageHost, g.snap)) { this.invalidatePage(g.pageHost >>> 12); continue; }
        const idx = this.allocRange(1);
        this.table.set(idx, fns[tbExportName(g.r)] as Function);
        for (const tb of tbs) {
          tb.idx = idx;
          for (const env of this.envs) this.offer(env, tb.pc, idx, tb.entry);
        }
        this.translated++;
        this.translatedRuns += tbs.length;
        this.adopted++;
        n++;
        kept.push({ r: g.r, pageHost: g.pageHost, snap: g.snap, tbs });
      }
      if (kept.length === 0) continue;
      this.codeBytes += m.size;
      this.liveModules++;
      if (this.exportable) this.exports.push({ mod: m.mod, size: m.size, pm: m.pm, regions: kept });
    }
    this.cost.instantiateMs += nowMs() - t0;
    return n;
  }
  /** Regions installed from another worker's translations (adopt). */
  adopted = 0;

  /** thread=multi: page `host` still holds what was decoded (see compileHot). */
  private samePage(host: number, snap: Uint8Array): boolean {
    const now = new Int32Array(this.i32.buffer, host, 1024), was = new Int32Array(snap.buffer, 0, 1024);
    for (let i = 0; i < 1024; i++) if (now[i] !== was[i]) return false;
    return true;
  }

  /** A run of a region being compiled, as an entry: found by pc and host offset. */
  private register(pc: bigint, pageHost: number, entry: number, src?: TbSource): TB {
    // A run on the next page (TbSource.nextHostPage) is found by its own host address.
    // (Adopted regions never span two pages: keepExport leaves those out.)
    if (src && pc - (src.pc & ~0xfffn) >= 0x1000n) pageHost = (src.nextHostPage as number) * 4096;
    const hostPage = pageHost >>> 12;
    const key = `${pc}:${pageHost + Number(pc & 0xfffn)}`;
    const tb: TB = { key, pc, idx: 0, entry, hostPage, dead: false };
    this.byKey.set(key, tb);
    this.watchPage(hostPage, tb);
    return tb;
  }

  /** Drop tb when host page hp is written (its STORE TLB entries go: see noteStore). */
  private watchPage(hp: number, tb: TB): void {
    let set = this.pages.get(hp);
    if (!set) {
      this.pages.set(hp, (set = new Set()));
      if (this.share) { this.share.claim(hp); this.snapPage(hp); }
      else this.protectPage(hp);
    }
    set.add(tb);
  }

  /**
   * The fetch TLB entry mapping pc: the current mmu index's, else another's (the hart may have
   * changed privilege since it queued pc); -1 when none (flushed since: count pc again).
   */
  private fetchEntry(env: CPURISCVState, pc: bigint): number {
    const slot = tlbSlot(Number(pc & 0xffffffffn));
    const page = Number(pc & 0xfffff000n) | 0, hi = Number(BigInt.asIntN(32, pc >> 32n));
    const cur = env.get32('mmu_idx_fetch');
    for (let k = 0; k < MMU_IDX_COUNT; k++) {
      const idx = k === 0 ? cur : k - (k <= cur ? 1 : 0);
      const e = env.base + TLB_OFFSET + idx * IDX_BYTES + TlbKind.FETCH * KIND_BYTES + slot * TLB_ENTRY_BYTES;
      if (this.i32[e >> 2] === page && this.i32[(e >> 2) + 1] === hi) return e;
    }
    return -1;
  }
  /** Host offset of pc through TLB entry e (found by fetchEntry). From pc's page, not the tag
   * read again: in user mode another thread may invalidate the tag meanwhile (GuestMM's
   * flushAllTlbs), and tag -1 plus the addend made a region decoded from the wrong page. */
  private entryHost(e: number, pc: bigint): number {
    return (((Number(pc & 0xfffff000n) | 0) + this.i32[(e >> 2) + 2]) >>> 0) + Number(pc & 0xfffn);
  }
  /** Start pc's execution count again (it gets queued at the threshold once more). */
  private recount(env: CPURISCVState, pc: bigint): void {
    const i = this.jmpHolding(env, pc);
    if (i >= 0 && this.i32[i + 2] === 0) this.i32[i + 3] = 0;
  }

  private decode(env: CPURISCVState, seeds: bigint[], page: number, addendLo: number): TbSource | null {
    const bytes = this.as.bytes;
    // The next page, for an instruction straddling into it: when the fetch TLB maps it now.
    const nextPc = (seeds[0] & ~0xfffn) + 0x1000n;
    const ne = this.fetchEntry(env, nextPc);
    const nextHost = ne < 0 ? -1 : this.entryHost(ne, nextPc);
    // User mode: a region may hold runs on the next page too (a loop across the boundary).
    // System mode keeps to one page (its mappings change with satp/sfence.vma, not just munmap).
    const regionInsns = qemuLogEnabled(LogMask.CPU_LOG_TB_NOCHAIN) ? 0 : this.regionInsns;
    const span = nextHost >= 0 && env.userMode !== undefined && regionInsns > this.maxInsns;
    const nextBase = Number(nextHost) - 4096;
    const read16 = (h: number) => {
      if (h >= 0 && h < 2048) return bytes[page + 2 * h] | (bytes[page + 2 * h + 1] << 8);
      if (h === 2048 && nextHost >= 0) return bytes[nextHost] | (bytes[nextHost + 1] << 8);
      return span && h > 2048 && h < 4096 ? bytes[nextBase + 2 * h] | (bytes[nextBase + 2 * h + 1] << 8) : -1;
    };
    const nextPage = (seeds[0] & ~0xfffn) + 0x1000n;
    // Warm: reached at least 1/16 as often as a block must be to get translated (the counts
    // are env's jump cache's: block starts the interpreter reached).
    const warm = Math.max(1, env.get32('tb_threshold') >> 4);
    // User mode: a call (jal ra) to a small leaf on another page takes the leaf inline
    // (decodeLeaf), while the fetch TLB maps that page; the region then watches it too.
    const leafPages = new Set<number>();
    const leaf = env.userMode !== undefined && regionInsns > this.maxInsns && this.inlineLeaves ? Object.assign((t: bigint) => {
      const le = this.fetchEntry(env, t);
      if (le < 0) return null;
      const host = this.entryHost(le, t & ~0xfffn);
      const insns = decodeLeaf(t, (i) => {
        const o = Number(t & 0xfffn) + 2 * i;
        return o < 4096 ? bytes[host + o] | (bytes[host + o + 1] << 8) : -1;
      });
      if (insns) leafPages.add(host >>> 12);
      return insns;
    }, {
      // A call through a register: the target the interpreter saw last at that pc.
      predict: (pc: bigint): bigint | null => {
        const e = Number((pc >> 1n) & BigInt(CALL_PRED_ENTRIES - 1));
        return env.get64('call_pred', 2 * e) === pc ? env.get64('call_pred', 2 * e + 1) : null;
      },
    }) : undefined;
    const runs = decodeRegion(seeds, read16, this.maxInsns, regionInsns,
      (pc) => {
        // On the next page, code another region holds joins this one as well: a loop across
        // the boundary then stays inside one region.
        if (pc >= nextPage) return this.byKey.has(`${pc}:${nextHost + Number(pc & 0xfffn)}`) || this.execCount(env, pc) >= warm ? RegionTarget.WARM : RegionTarget.COLD;
        if (this.byKey.has(`${pc}:${page + Number(pc & 0xfffn)}`)) return RegionTarget.TRANSLATED;
        return this.execCount(env, pc) >= warm ? RegionTarget.WARM : RegionTarget.COLD;
      }, span ? 2 : 1, leaf);
    if (!runs.length) return null;
    const straddle = runs.some((r) => r.pc >= nextPage || r.insns.some(straddles));
    return { pc: runs[0].pc, runs, addendLo, pm: this.pmSeen, missExits: env.userMode !== undefined,
      guestBase: env.userMode?.guestBase, userPages: directPages(env), nextAddendLo: straddle ? this.i32[(ne >> 2) + 2] : undefined,
      nextHostPage: straddle ? nextHost >>> 12 : undefined, leafHostPages: leafPages.size ? [...leafPages] : undefined };
  }

  /** -d nochain, or exec (every block entered through the dispatcher, which logs it). */
  private noChain(): boolean {
    return qemuLogEnabled(LogMask.CPU_LOG_TB_NOCHAIN) || qemuLogEnabled(LogMask.CPU_LOG_EXEC);
  }

  /** Times env's interpreter reached pc as a block start (0 when its jump cache forgot it). */
  private execCount(env: CPURISCVState, pc: bigint): number {
    const i = this.jmpHolding(env, pc);
    return i >= 0 && this.i32[i + 2] === 0 ? this.i32[i + 3] : 0;
  }

  /** n consecutive table slots (slots of dropped blocks come back only with a flush). */
  private allocRange(n: number): number {
    while (this.nextIdx + n > this.table.length) this.table.grow(this.table.length);
    const base = this.nextIdx;
    this.nextIdx += n;
    return base;
  }

  /** env's entry for pc runs region idx from run `entry`: the jump cache's (either way) or else
   * pc's tb_l2 slot (taken over: pc was evicted while its batch waited, and finds it there). */
  private install(env: CPURISCVState, pc: bigint, idx: number, entry: number): void {
    let i = this.jmpHolding(env, pc);
    if (i < 0) {
      i = this.l2Slot(env, pc) >> 2;
      this.i32[i] = Number(pc & 0xffffffffn) | 0;
      this.i32[i + 1] = Number(BigInt.asIntN(32, pc >> 32n));
    }
    this.i32[i + 2] = idx;
    this.i32[i + 3] = entry;
  }
  /** The other harts of this thread (thread=single, -smp N) get a new block at once: the entry
   * counting pc, else pc's tb_l2 slot unless that holds a translated pc. Without it each
   * hart ran the kernel's hot code interpreted until hot on that hart too. */
  private offer(env: CPURISCVState, pc: bigint, idx: number, entry: number): void {
    let i = this.jmpHolding(env, pc);
    if (i >= 0 && this.i32[i + 2] !== 0) return; // a translation of its own (maybe another mapping)
    if (i < 0) {
      i = this.l2Slot(env, pc) >> 2;
      if (this.i32[i + 2] !== 0) return;
      this.i32[i] = Number(pc & 0xffffffffn) | 0;
      this.i32[i + 1] = Number(BigInt.asIntN(32, pc >> 32n));
    }
    this.i32[i + 2] = idx;
    this.i32[i + 3] = entry;
  }
  /** i32 index of env's entry holding pc: a jump cache way of pc's set, else its tb_l2 slot;
   * -1 when none does. */
  private jmpHolding(env: CPURISCVState, pc: bigint): number {
    const lo = Number(pc & 0xffffffffn) | 0, hi = Number(BigInt.asIntN(32, pc >> 32n));
    const i = this.jmpEntry(env, pc) >> 2;
    if (this.i32[i] === lo && this.i32[i + 1] === hi) return i;
    const j = i + (TB_JMP_WAY1 >> 2);
    if (this.i32[j] === lo && this.i32[j + 1] === hi) return j;
    const k = this.l2Slot(env, pc) >> 2;
    return this.i32[k] === lo && this.i32[k + 1] === hi ? k : -1;
  }
  /** pc's tb_l2 slot (the jump cache's hash with more bits: see the field). */
  private l2Slot(env: CPURISCVState, pc: bigint): number {
    const lo = Number(pc & 0xffffffffn);
    return env.base + STATE.tb_l2.offset + (((lo << 3) ^ (lo >>> (TB_JMP_HASH_SHIFT - 4))) & ((TB_L2_ENTRIES - 1) << 4));
  }
  /** Way 0 of pc's set (way 1 is TB_JMP_WAY1 bytes on). */
  private jmpEntry(env: CPURISCVState, pc: bigint): number {
    const lo = Number(pc & 0xffffffffn);
    return env.base + STATE.tb_jmp.offset + (((lo << 3) ^ (lo >>> (TB_JMP_HASH_SHIFT - 4))) & ((TB_JMP_ENTRIES - 1) << 4));
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
  noteStore(env: CPURISCVState, lo: number, hi: number, size: number): boolean {
    if (this.share) return this.noteStoreShared();
    let hit = this.noteStorePage(env, lo, hi);
    const last = (lo + size - 1) | 0;
    if (((last ^ lo) & ~0xfff) !== 0) hit = this.noteStorePage(env, last, (last >>> 0) < (lo >>> 0) ? hi + 1 : hi) || hit;
    return hit;
  }
  /** thread=multi: the pages riscvSlowStore just wrote (after the write, so a thread that claims
   * one later reads the new bytes, and one that claimed it earlier is queued here). */
  private noteStoreShared(): boolean {
    let hit = false;
    for (const h of [riscvLastStore.host0, riscvLastStore.host1]) {
      if (h < 0) continue;
      this.share?.stored(h >>> 12);
      hit = this.invalidatePage(h >>> 12) || hit;
    }
    return hit;
  }
  private noteStorePage(env: CPURISCVState, lo: number, hi: number): boolean {
    const base = env.base + TLB_OFFSET + env.get32('mmu_idx_data') * IDX_BYTES + TlbKind.STORE * KIND_BYTES;
    const page = lo & ~0xfff;
    for (const slot of [tlbSlot(lo), tlbVictimSlot(lo)]) {
      const i = (base + slot * TLB_ENTRY_BYTES) >> 2;
      if (this.i32[i] === page && this.i32[i + 1] === (hi | 0)) {
        const hp = (page + this.i32[i + 2]) >>> 12;
        this.share?.stored(hp);
        return this.invalidatePage(hp);
      }
    }
    return false;
  }


  /** RAM written behind the CPU's back (DMA, loader) or by an AMO: drop code on those pages. */
  invalidateHostRange(host: number, len: number): boolean {
    if ((this.pages.size === 0 && !this.share) || len <= 0) return false;
    let hit = false;
    const first = host >>> 12, last = (host + len - 1) >>> 12;
    if (this.share) for (let p = first; p <= last; p++) this.share.stored(p);
    if (last - first > this.pages.size) {
      for (const p of [...this.pages.keys()]) if (p >= first && p <= last) hit = this.invalidatePage(p) || hit;
      return hit;
    }
    for (let p = first; p <= last; p++) hit = this.invalidatePage(p) || hit;
    return hit;
  }

  /** Drop the code of every host page for which `pred` holds (user-mode fence.i). */
  invalidatePagesWhere(pred: (hostPage: number) => boolean): boolean {
    let hit = false;
    for (const p of [...this.pages.keys()]) if (pred(p)) hit = this.invalidatePage(p) || hit;
    return hit;
  }

  private invalidatePage(hp: number): boolean {
    const set = this.pages.get(hp);
    if (!set) return false;
    this.pages.delete(hp);
    this.codeSnaps.delete(hp);
    this.lastSnaps.delete(hp);
    this.share?.release(hp);
    const dead = new Set<number>();
    for (const tb of set) {
      if (tb.dead) continue; // also watched through the other page of a straddling insn
      if (this.byKey.get(tb.key) === tb) this.byKey.delete(tb.key);
      tb.dead = true;
      this.invalidated++;
      if (tb.idx === 0) continue;
      this.table.set(tb.idx, null);
      dead.add(tb.idx);
    }
    this.clearJmpCaches(dead);
    return true;
  }

  /** Forget table indexes `dead` (all when null) in every hart's tb_jmp and tb_l2. */
  private clearJmpCaches(dead: Set<number> | null): void {
    if (dead !== null && dead.size === 0) return;
    const i32 = this.i32;
    for (const env of this.envs) {
      for (const [f, n] of [[STATE.tb_jmp, 2 * TB_JMP_ENTRIES], [STATE.tb_l2, TB_L2_ENTRIES]] as const) {
        const base = (env.base + f.offset) >> 2;
        for (let e = 0; e < n; e++) {
          const i = base + e * 4 + 2;
          if (i32[i] !== 0 && (dead === null || dead.has(i32[i]))) { i32[i] = 0; i32[i + 1] = 0; }
        }
      }
    }
  }

  /** tb_flush: drop every translated block. */
  flush(): void {
    for (const tb of this.byKey.values()) {
      tb.dead = true;
      if (tb.idx) this.table.set(tb.idx, null);
    }
    this.byKey.clear();
    if (this.share) for (const hp of this.pages.keys()) this.share.release(hp);
    this.pages.clear();
    this.codeSnaps.clear();
    this.lastSnaps.clear();
    this.exports.length = 0;
    this.nextIdx = 1;
    this.codeBytes = 0;
    this.liveModules = 0;
    this.clearJmpCaches(null);
    this.flushes++;
  }
}
