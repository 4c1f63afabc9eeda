// The block compiler's front end: decoding a translation block's runs and a region of runs
// (QEMU's translator_loop decode half), with what the code generator (translate-block.ts) asks
// of each row computed once per row.
import type { UserPageTable } from './cpu-state.js';
import { type Args, type Operand, type Row, constArgs, decodeWith } from './decode.js';
import { type RiscvDecodeTrees, riscvDecodeTrees } from './decode-trees.js';
import { mayRaiseIllegal } from './insn32-ext.js';
import { trans as priv } from './trans_privileged.js';
import { type TransFn, trans as rvi } from './trans_rvi.js';
import { trans as rvm } from './trans_rvm.js';
import { trans as rvb } from './trans_rvb.js';
import { transD as rvaD, transW as rvaW } from './trans_rva.js';
import { trans as svinval } from './trans_svinval.js';

/** Longest block (instructions): bounds compile time per block and the loss on early exits. */
export const TB_MAX_INSNS = 64;

const ENDS_BLOCK = new Set<TransFn>([rvi.jal, rvi.jalr, rvi.illegal, priv.mret, priv.sret, priv.ecall, priv.ebreak,
  priv.wfi, priv.fence_i, priv.sfence_vma, svinval.sinval_vma]);
const HAS_STATIC_TARGET = new Set<TransFn>([rvi.jal, rvi.beq, rvi.bne, rvi.blt, rvi.bge, rvi.bltu, rvi.bgeu]);
/** Rows whose emitters may branch to the illegal-instruction label. */
const canBeIllegal = (row: Row<TransFn>) => row.trans === rvi.illegal || isFpRow(row.name) || mayRaiseIllegal.has(row.trans);
/** F/D rows: their rd may name an f register, so it does not count as setting x[rd]. */
const isFpRow = (name: string) => (name.startsWith('f') && !name.startsWith('fence')) || name.startsWith('c.f');
/** Rows that may leave x[rd] as it was (F/D rd names an f register; a trapping CSR access
 * writes nothing, see flushGpr) or read it (amocas): their rd local must hold the entry value. */
const mayKeepRd = (name: string) => isFpRow(name) || name.startsWith('csr') || name.startsWith('amocas'); // amocas reads rd

/** Rows that only compute x[rd] from their register and constant operands: no helper, no
 * memory access, no exit (regionFlow: not an exit site). */
const PURE = new Set<TransFn>([rvi.lui, rvi.auipc, rvi.addi, rvi.slti, rvi.sltiu, rvi.xori, rvi.ori, rvi.andi,
  rvi.slli, rvi.srli, rvi.srai, rvi.add, rvi.sub, rvi.sll, rvi.slt, rvi.sltu, rvi.xor, rvi.srl, rvi.sra, rvi.or,
  rvi.and, rvi.addiw, rvi.slliw, rvi.srliw, rvi.sraiw, rvi.addw, rvi.subw, rvi.sllw, rvi.srlw, rvi.sraw, rvi.fence,
  ...Object.values(rvm)]);
/** Rows that touch no x register but the ones their operands name (regionFlow). Others (V,
 * Zcmp/Zcmt, amocas' register pairs, ...) may read or write any: an entry reaching one loads
 * every register the block holds, and its run's exits store them all. */
const NAMED_ONLY = new Set<TransFn>([...Object.values(rvi), ...Object.values(rvm), ...Object.values(rvb),
  ...Object.values(rvaW), ...Object.values(rvaD)]);
const namedOnly = (row: Row<TransFn>) => NAMED_ONLY.has(row.trans) || isFpRow(row.name) || row.name.startsWith('csr');
/** Loads: x[rd] is set unless the access leaves the block first. */
const LOADS = new Set<TransFn>([rvi.lb, rvi.lh, rvi.lw, rvi.ld, rvi.lbu, rvi.lhu, rvi.lwu]);

/** What the compiler asks of a row at every instruction, computed once per row (translation
 * cost: string tests and Set lookups per instruction and pass added up). */
export const enum RF { FP = 1, KEEP_RD = 2, NAMED_ONLY = 4, CAN_ILLEGAL = 8, PURE = 16, LOAD = 32, STATIC_TARGET = 64, ENDS_BLOCK = 128,
  /** A call whose leaf callee follows inline (see inlineLeaf): sets ra, checks the callee's page. */
  INL_CALL = 256,
  /** The inlined callee's (last) `ret`: emits nothing (the callee does not write ra), control goes on. */
  INL_RET = 512,
  /** An inlined callee's branch to the code after its first `ret` (see decodeLeaf). */
  INL_BR = 1024,
  /** That first `ret`: the end of the branch's not-taken arm. */
  INL_ELSE = 2048 }
const rowFlagCache = new Map<Row<TransFn>, number>();
function rowFlags(row: Row<TransFn>): number {
  let f = rowFlagCache.get(row);
  if (f !== undefined) return f;
  f = (isFpRow(row.name) ? RF.FP : 0) | (mayKeepRd(row.name) ? RF.KEEP_RD : 0) | (namedOnly(row) ? RF.NAMED_ONLY : 0) |
    (canBeIllegal(row) ? RF.CAN_ILLEGAL : 0) | (PURE.has(row.trans) ? RF.PURE : 0) | (LOADS.has(row.trans) ? RF.LOAD : 0) |
    (HAS_STATIC_TARGET.has(row.trans) ? RF.STATIC_TARGET : 0) | (ENDS_BLOCK.has(row.trans) ? RF.ENDS_BLOCK : 0);
  rowFlagCache.set(row, f);
  return f;
}

/** A decoded instruction: its operands as constants are decoded once (args; empty when
 * illegal), with what the region passes ask of it: its row's flags (RF), the registers its
 * rs1/rs2/rs3 name (bit r = x[r]; f registers of F/D rows too: a superset), its rd (0: none)
 * and its static target (branch or jal: pc + imm; else null). */
export interface TbInsn { row: Row<TransFn> | null; word: number; pc: bigint; args: Args; flags: number; srcs: number; rd: number; target: bigint | null;
  /** pc of the instruction after it in program order: pc + length, except an inlined call
   * (its callee's pc) and the callee's `ret` (the call's return address). */
  next: bigint }
const NO_ARGS: Args = Object.freeze({});
/** TbInsn's one shape: `new` of a class is a fast allocation in cold (Ignition/Sparkplug) code,
 * where the object literal went to the runtime (CreateObjectLiteral) for every instruction. */
class DecodedInsn implements TbInsn {
  constructor(public row: Row<TransFn> | null, public word: number, public pc: bigint, public args: Args,
    public flags: number, public srcs: number, public rd: number, public target: bigint | null, public next: bigint) {}
}
export interface TbRun { pc: bigint; insns: TbInsn[] }

/** What the compiler needs to know about one block: its runs in pc order, each an entry. */
export interface TbSource {
  /** A pc in the block's page (the fetch TLB check). */
  pc: bigint;
  runs: TbRun[];
  /** Low 32 bits of the fetch TLB addend the block was translated under. */
  addendLo: number;
  /** The same for the next page, when a run ends with an instruction straddling into it or
   * (user mode) runs lie on it (pc >= page + 4096: a loop across the page boundary stays in
   * one region, as QEMU's TBs span two pages), and that page's host page (tb-cache.ts watches
   * it for writes: the region is dropped when either page is written, unmapped or mprotected). */
  nextAddendLo?: number;
  nextHostPage?: number;
  /** User mode: host pages of leaves inlined at calls (RF.INL_CALL; watched like nextHostPage). */
  leafHostPages?: number[];
  /** Pointer masking was in effect for some hart when it was translated (tb-cache.ts): loads
   * and stores mask their address. Otherwise they do not, and the block leaves for the
   * interpreter (MISS) when it is entered, or a CSR write finds, masking in effect. */
  pm?: boolean;
  /** User mode: a TLB miss leaves for the interpreter (TB_STEP) instead of calling the slow
   * path, so the block's hot paths hold no call (V8 keeps no register across a call: every
   * value live across one is spilled, and the slow path's call is in every load and store). */
  missExits?: boolean;
  /** User mode: the constant data addend (RISCVUserModeHooks.guestBase). */
  guestBase?: number;
  /** User mode: RISCVUserModeHooks.pageTable (a load missing the TLB checks it inline). */
  userPages?: UserPageTable;
}

export const enum RegionTarget { WARM, COLD, TRANSLATED }

/** Bounds of a region: instructions decoded while collecting it, and runs (br_table size). */
export const REGION_MAX_INSNS = 256;
const REGION_MAX_RUNS = 48;

/**
 * Decode a block at `pc` whose bytes are read by `read16(i)` (the halfword at pc + 2*i; -1 past
 * the page, except the next page's first halfword when its mapping is known: an instruction
 * straddling the two pages then ends the run). Returns [] when there is no first instruction.
 */
export function decodeTb(pc: bigint, read16: (i: number) => number, maxInsns = TB_MAX_INSNS,
  stopAt?: ReadonlySet<bigint>, trees: RiscvDecodeTrees = riscvDecodeTrees(), leaf?: LeafDecoder): TbInsn[] {
  const out: TbInsn[] = [];
  const { t32: tree32, t16: tree16 } = trees;
  const inPage = (0x1000 - Number(pc & 0xfffn)) >> 1;
  let h = 0;
  while (out.length < maxInsns && h < inPage) {
    if (h && stopAt?.has(pc + BigInt(h * 2))) break;
    const lo = read16(h);
    if (lo < 0) break;
    let word = lo, len = 1;
    if ((lo & 3) === 3) {
      const hi = read16(h + 1);
      if (hi < 0) break;
      word = (lo | (hi << 16)) >>> 0;
      len = 2;
    }
    const row = len === 2 ? decodeWith(tree32, word) : decodeWith(tree16, word);
    const at = pc + BigInt(h * 2);
    if (row) {
      const args = constArgs(row, word);
      const srcs = regBit(args.rs1) | regBit(args.rs2) | regBit(args.rs3);
      const fl = rowFlags(row);
      const target = fl & RF.STATIC_TARGET ? at + BigInt(args.imm.value) : null;
      const after = at + BigInt(len * 2);
      // jal ra to a small leaf on another page: the callee's code follows inline, then the
      // instructions after the call (the run goes on).
      // A jalr ra (a call through a register) likewise, to the target the interpreter saw
      // last there (call_pred), checked at run time.
      const call = leaf && args.rd?.value === 1 ? (row.trans === rvi.jal ? target : row.trans === rvi.jalr && leaf.predict ? leaf.predict(at) : null) : null;
      const callee = call ? leaf!(call) : null;
      if (callee && out.length + 1 + callee.length <= maxInsns) {
        out.push(new DecodedInsn(row, word, at, args, (fl & ~(RF.ENDS_BLOCK | RF.STATIC_TARGET)) | RF.INL_CALL, srcs, 1, null, call as bigint));
        for (let i = 0; i < callee.length - 1; i++) out.push(callee[i]);
        const r = callee[callee.length - 1];
        out.push(new DecodedInsn(r.row, r.word, r.pc, r.args, (r.flags & ~RF.ENDS_BLOCK) | RF.INL_RET, r.srcs, 0, null, after));
        h += len;
        continue;
      }
      out.push(new DecodedInsn(row, word, at, args, fl, srcs, args.rd?.value ?? 0, target, after));
      h += len;
      if (fl & RF.ENDS_BLOCK) break;
    } else {
      out.push(new DecodedInsn(row, word, at, NO_ARGS, 0, 0, 0, null, at + BigInt((word & 3) === 3 ? 4 : 2)));
      break;
    }
  }
  return out;
}

/** The instruction's last halfword is on the next page. */
export const straddles = (ins: TbInsn) => (ins.word & 3) === 3 && (ins.pc & 0xfffn) === 0xffen;

/** Static target of a branch or jal, else null. */
export const staticTarget = (ins: TbInsn): bigint | null => ins.target;
/** Bit r for x[r] named by an operand (0 for none and x0). */
export const regBit = (op: Operand | undefined) => (op && op.value ? 1 << op.value : 0);
/** pc after a run when it can fall through (it did not end with a jump or system insn). */
export function fallThrough(run: TbInsn[]): bigint | null {
  const last = run[run.length - 1];
  if (!last.row || ((last.row.trans === rvi.jal || last.row.trans === rvi.jalr) && !(last.flags & RF.INL_RET))) return null;
  return last.next;
}

/** The callee of a call at a pc on another page, as decoded instructions ending with its `ret`,
 * or null (not a leaf small enough to inline); `predict`: the target of a `jalr ra` at a pc
 * (the interpreter's last, call_pred), or null. */
export interface LeafDecoder { (target: bigint): TbInsn[] | null; predict?: (pc: bigint) => bigint | null }
/** Longest leaf inlined (instructions, its `ret` included). */
export const LEAF_MAX_INSNS = 16;

/**
 * inlineLeaf's test: the straight-line code at `pc` (read16 as decodeTb's, -1 outside its page)
 * up to a `ret` (jalr x0, 0(ra)), of integer ALU rows and loads only (no store, call, CSR or FP
 * row: nothing that writes memory or leaves but a load's TLB miss) that do not write ra, so the
 * `ret` goes back to the call's return address. At most one conditional branch, forward to
 * right after that `ret`, where a second arm ends with its own `ret`: the arms (after the
 * branch, and after the first `ret`) are pure ALU rows that set the same registers, and the
 * second reads none the first sets before setting it itself (RF.INL_BR, INL_ELSE;
 * translate-block.ts inlineBranch). The
 * caller checks the callee's page mapping at the call and watches that page for writes, as its
 * own.
 */
export function decodeLeaf(pc: bigint, read16: (i: number) => number, trees: RiscvDecodeTrees = riscvDecodeTrees()): TbInsn[] | null {
  const insns = decodeTb(pc, read16, LEAF_MAX_INSNS, undefined, trees);
  if (!insns.length) return null;
  const isRet = (ins: TbInsn) => ins.row !== null && ins.row.trans === rvi.jalr && ins.rd === 0 && ins.args.rs1?.value === 1 && ins.args.imm.value === 0;
  const ok = (ins: TbInsn, pure: boolean) => ins.row !== null && ins.rd !== 1 && !straddles(ins) && !(ins.flags & (RF.FP | RF.CAN_ILLEGAL | RF.KEEP_RD)) &&
    (ins.flags & (pure ? RF.PURE : RF.PURE | RF.LOAD)) !== 0 && (ins.flags & RF.NAMED_ONLY) !== 0;
  const ret = insns[insns.length - 1];
  if (!isRet(ret)) return null;
  let br = -1;
  for (let i = 0; i < insns.length - 1; i++) {
    const ins = insns[i];
    if (br < 0 && ins.target !== null && ins.row !== null && ins.row.trans !== rvi.jal && !(ins.flags & RF.CAN_ILLEGAL) && !straddles(ins)) { br = i; continue; }
    if (!ok(ins, br >= 0)) return null;
  }
  if (br < 0) return insns;
  // The taken arm: from right after the first ret, to its own ret.
  const b = insns[br], l = ret.pc + BigInt((ret.row as Row<TransFn>).ilen);
  if (b.target !== l) return null;
  const skip = Number(l - pc) >> 1;
  const arm = decodeTb(l, (i) => read16(skip + i), LEAF_MAX_INSNS - insns.length, undefined, trees);
  if (!arm.length || !isRet(arm[arm.length - 1])) return null;
  // (srcB: what the taken arm reads before it sets it, which the other arm must not set.)
  let rdA = 0, rdB = 0, srcB = 0;
  for (let i = br + 1; i < insns.length - 1; i++) rdA |= 1 << insns[i].rd;
  for (let i = 0; i < arm.length - 1; i++) {
    if (!ok(arm[i], true)) return null;
    srcB |= arm[i].srcs & ~rdB; rdB |= 1 << arm[i].rd;
  }
  if (((rdA | rdB) & ~1) !== ((rdA & rdB) & ~1) || (srcB & rdA & ~1)) return null;
  const mark = (ins: TbInsn, f: number) => new DecodedInsn(ins.row, ins.word, ins.pc, ins.args, (ins.flags & ~(RF.ENDS_BLOCK | RF.STATIC_TARGET)) | f, ins.srcs, ins.rd, null, ins.next);
  return [...insns.slice(0, br), mark(b, RF.INL_BR), ...insns.slice(br + 1, -1), mark(ret, RF.INL_ELSE), ...arm];
}

/**
 * The region of page-mates `seeds` (hot pcs of one page): their runs, then (breadth first,
 * within `maxInsns` decoded instructions) the runs at static targets, fall-through pcs and
 * return addresses in the same page, each a possible entry. `read16Page(h)` reads the halfword
 * at page offset 2*h (-1 outside the page; h = 2048 may read the next page, see decodeTb).
 * pages = 2: runs may also start on the next page (h up to 4095). A
 * second pass cuts every run before the next run's
 * start, so a loop head inside a run becomes its own run and code is not repeated. Runs are in
 * pc order (most branches between them are then forward). maxInsns <= maxRun (one-insn-per-tb,
 * -d nochain) gives the seeds' runs alone. `target(pc)` says what the profile knows of a pc:
 * TRANSLATED (an entry of a region already translated: not translated again, runs end before
 * it and branches to it leave through the jump cache), COLD (seldom reached: a branch to it is
 * a side exit) or WARM (joins the region).
 */
export function decodeRegion(seeds: readonly bigint[], read16Page: (h: number) => number, maxRun = TB_MAX_INSNS,
  maxInsns = REGION_MAX_INSNS, target: (pc: bigint) => RegionTarget = () => RegionTarget.WARM, pages = 1,
  leaf?: LeafDecoder): TbRun[] {
  const base = seeds[0] & ~0xfffn, end = base + BigInt(pages * 4096);
  // Leaves on the region's own pages are left to the region (their pcs may be run starts).
  const leafOff: LeafDecoder | undefined = leaf && Object.assign((t: bigint) => (t < base || t >= end ? leaf(t) : null), { predict: leaf.predict });
  const reader = (p: bigint) => { const h0 = Number(p - base) >> 1; return (i: number) => read16Page(h0 + i); };
  const leaders = new Set<bigint>(seeds);
  const queue = [...leaders];
  const grow = maxInsns > maxRun;
  let total = 0;
  const ends = new Set<bigint>();
  const trees = riscvDecodeTrees();
  /** First-pass decodes: the final runs are their prefixes (cut before another run's start). */
  const decoded = new Map<bigint, TbInsn[]>();
  const add = (t: bigint | null, onward = false) => {
    if (t === null || leaders.has(t) || (t & 1n) || t < base || t >= end || leaders.size >= REGION_MAX_RUNS) return;
    // Falling through onto the next page: the interpreter does not count that pc as a block
    // start (its profile says COLD), but it runs as often as the run before it.
    const k = onward ? RegionTarget.WARM : target(t);
    if (k === RegionTarget.TRANSLATED) ends.add(t);
    if (k !== RegionTarget.WARM) return;
    leaders.add(t); queue.push(t);
  };
  for (let q = 0; q < queue.length; q++) {
    const p = queue[q];
    const seed = q < seeds.length;
    if (!seed && total >= maxInsns) { leaders.delete(p); continue; }
    const insns = decodeTb(p, reader(p), maxRun, undefined, trees, grow ? leafOff : undefined);
    if (!insns.length) { leaders.delete(p); continue; }
    decoded.set(p, insns);
    total += insns.length;
    if (!grow) continue;
    for (let i = 0; i < insns.length; i++) add(insns[i].target);
    const ft = fallThrough(insns);
    add(ft, ft !== null && ft >= base + 4096n && insns[0].pc < base + 4096n);
    add(returnAddress(insns));
  }
  for (const p of leaders) ends.add(p);
  const runs: TbRun[] = [];
  for (const p of [...leaders].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const first = decoded.get(p) as TbInsn[];
    let n = 1;
    if (grow) while (n < first.length && !ends.has(first[n].pc)) n++;
    else n = first.length;
    runs.push({ pc: p, insns: n === first.length ? first : first.slice(0, n) });
  }
  return runs;
}

/** Where a call (jal/jalr writing ra or t0) at the end of a run comes back. */
function returnAddress(run: TbInsn[]): bigint | null {
  const last = run[run.length - 1];
  if (!last.row || (last.row.trans !== rvi.jal && last.row.trans !== rvi.jalr) || (last.flags & RF.INL_RET)) return null;
  const rd = last.args.rd?.value;
  return rd === 1 || rd === 5 ? last.pc + BigInt(last.row.ilen) : null;
}
