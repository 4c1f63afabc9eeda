// decodetree-style decoder generator. Encodings are rows {pattern, fields, trans}; the generator
// builds a decision tree (switch on a bit field fixed in every remaining row, or a short
// priority chain where rows only differ in bits some of them leave free) and then either emits
// it as wasm (the interpreter: br_table per switch, operands extracted from the insn word at run
// time) or walks it in TypeScript (block compiler, disassembler: operands become constants).
// Rows that overlap must be declared in the same group, in priority order; any other overlap is
// a table error found at generation time.
import type { FunctionBuilder, Label, Local } from '../../tcg/wasm-builder.js';

/** An instruction field: bit segments concatenated (first = most significant), optionally
 * sign-extended, shifted left and offset (c.* compressed registers are x8+). */
export interface Field {
  readonly segs: readonly (readonly [pos: number, len: number])[];
  readonly signed?: boolean;
  readonly shl?: number;
  readonly add?: number;
}

export function field(spec: string, opts: { signed?: boolean; shl?: number; add?: number } = {}): Field {
  // spec like "31:1 12:8" = pos:len segments.
  const segs = spec.trim().split(/\s+/).map((s) => {
    const [p, l] = s.split(':').map(Number);
    return [p, l] as const;
  });
  return { segs, ...opts };
}

export function fieldWidth(f: Field): number {
  return f.segs.reduce((n, s) => n + s[1], 0);
}

/** Value of a field in a concrete instruction word (constant operands). */
export function extractField(f: Field, insn: number): number {
  let v = 0;
  for (const [pos, len] of f.segs) v = v * (1 << len) + ((insn >>> pos) & ((1 << len) - 1));
  const w = fieldWidth(f);
  if (f.signed && v >= 2 ** (w - 1)) v -= 2 ** w;
  return v * 2 ** (f.shl ?? 0) + (f.add ?? 0);
}

/** Emit code leaving the field's value (i32) on the stack, extracted from `insn`. */
export function emitField(fb: FunctionBuilder, insn: Local, f: Field): void {
  const w = fieldWidth(f);
  const shl = f.shl ?? 0;
  if (f.signed) {
    // Assemble the segments at the top of the word, then arithmetic-shift into place.
    let top = 0; // bits assembled so far, from bit 31 down
    for (const [pos, len] of f.segs) {
      fb.get(insn);
      const to = 32 - top - len; // lsb position of this segment in the assembled word
      if (to > pos) { fb.i32Const(to - pos); fb.i32Shl(); } else if (to < pos) { fb.i32Const(pos - to); fb.i32ShrU(); }
      if (f.segs.length > 1) { fb.i32Const((((1 << len) - 1) * 2 ** to) | 0); fb.i32And(); }
      if (top) fb.i32Or();
      top += len;
    }
    fb.i32Const(32 - w); fb.i32ShrS();
    if (shl) { fb.i32Const(shl); fb.i32Shl(); }
  } else {
    let at = w + shl;
    let n = 0;
    for (const [pos, len] of f.segs) {
      at -= len;
      fb.get(insn);
      // ((insn >>> pos) & mask) << at, done as (insn >>> (pos-at)) & (mask << at) when possible.
      const m = ((1 << len) - 1) * 2 ** at;
      if (pos >= at) { if (pos - at) { fb.i32Const(pos - at); fb.i32ShrU(); } } else { fb.i32Const(at - pos); fb.i32Shl(); }
      fb.i32Const(m | 0); fb.i32And();
      if (n++) fb.i32Or();
    }
  }
  if (f.add) { fb.i32Const(f.add); fb.i32Add(); }
}

/** An operand of an emitter: a constant (block compiler) or a field of the run-time insn word
 * (interpreter). */
export class Operand {
  private constructor(readonly field: Field | null, readonly value: number) {}
  static const(v: number): Operand { return new Operand(null, v); }
  static dyn(f: Field): Operand { return new Operand(f, 0); }
  get isConst(): boolean { return this.field === null; }
}

export type Args = Readonly<Record<string, Operand>>;
/** A row's argument map: each name is a field of the word or a fixed value (c.li's rs1 = 0). */
export type ArgSpec = Readonly<Record<string, Field | number>>;

export interface Row<T> {
  readonly name: string;
  readonly mask: number;
  readonly match: number;
  readonly args: ArgSpec;
  readonly trans: T;
  /** Instruction length in bytes (2 for RVC rows). */
  readonly ilen: 2 | 4;
  /** Rows in the same group may overlap; the earlier row wins. */
  readonly group?: string;
  readonly index: number;
  /** The extensions the row needs (cpu-cfg.ts names): '|' separates alternatives, '&' joins
   * requirements ('zbb|zbkb', 'zfa&zfh'). Absent: the base ISA. */
  readonly ext?: string;
}

/** Whether a row's extensions are on (`has` answers for one extension name). */
export function rowEnabled<T>(row: Row<T>, has: (ext: string) => boolean): boolean {
  if (row.ext === undefined) return true;
  return row.ext.split('|').some((alt) => alt.split('&').every(has));
}

/** The rows of a table that exist under `has`: the others decode as illegal instructions. */
export function enabledRows<T>(rows: readonly Row<T>[], has: (ext: string) => boolean): Row<T>[] {
  return rows.filter((r) => rowEnabled(r, has));
}

/** Parse "0000000 ----- ----- 000 ----- 0110011" (msb first, spaces ignored). One pass over
 * the characters: every process parses the ~1000 rows of the tables at load time. */
export function parsePattern(p: string): { mask: number; match: number; bits: number } {
  let mask = 0, match = 0, bits = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    mask <<= 1; match <<= 1; bits++;
    if (c === 0x30 || c === 0x31) {
      mask |= 1;
      if (c === 0x31) match |= 1;
    } else if (c !== 0x2d) throw new Error(`bad pattern char in ${p}`);
  }
  return { mask: mask >>> 0, match: match >>> 0, bits };
}

export type DecodeNode<T> =
  | { kind: 'switch'; pos: number; len: number; children: DecodeNode<T>[]; pending: PendingChildren<T> | null }
  | { kind: 'chain'; rows: Row<T>[]; tested: number };

/** A lazy switch's rows, from which each child is built when a word first reaches it
 * (decodeWith), or all of them by forceDecodeTree. */
interface PendingChildren<T> { rows: Row<T>[]; tested: number; left: number; build: (rs: Row<T>[], t: number) => DecodeNode<T> }

function overlaps<T>(a: Row<T>, b: Row<T>): boolean {
  return ((a.mask & b.mask & (a.match ^ b.match)) >>> 0) === 0;
}

type SwitchNode<T> = Extract<DecodeNode<T>, { kind: 'switch' }>;

/** Child v of a switch, built now if it was not yet. */
function childAt<T>(n: SwitchNode<T>, v: number): DecodeNode<T> {
  const c = n.children[v];
  if (c !== undefined) return c;
  const p = n.pending!;
  const fm = (((1 << n.len) - 1) << n.pos) >>> 0;
  const built = p.build(p.rows.filter((r) => (((r.match & fm) >>> n.pos) === v)), p.tested);
  n.children[v] = built;
  if (--p.left === 0) n.pending = null;
  return built;
}

/** Build every child a lazy tree has not built yet (emitDecodeTree and decode-flat.ts walk the
 * whole tree). Returns the tree. */
export function forceDecodeTree<T>(tree: DecodeNode<T>): DecodeNode<T> {
  const seen = new Set<DecodeNode<T>>();
  const walk = (n: DecodeNode<T>): void => {
    if (n.kind !== 'switch' || seen.has(n)) return;
    seen.add(n);
    for (let v = 0; v < 1 << n.len; v++) walk(childAt(n, v));
  };
  walk(tree);
  return tree;
}

/** Build the decision tree; `tested` are bits the caller already checked. `lazy`: a switch's
 * children are built when first reached (decodeWith; forceDecodeTree builds the rest). The
 * whole tree of the ~1000 rows costs ~7 ms of CPU in a fresh process, where a short program's
 * translations reach a few dozen nodes of it (start-up round 6). */
export function buildDecodeTree<T>(rows: Row<T>[], tested = 0, lazy = false): DecodeNode<T> {
  const memo = new Map<string, DecodeNode<T>>();
  const build = (rs: Row<T>[], t: number): DecodeNode<T> => {
    const key = `${t}:${rs.map((r) => r.index).join(',')}`;
    const m = memo.get(key);
    if (m) return m;
    let node: DecodeNode<T>;
    let common = ~t >>> 0;
    for (const r of rs) common &= r.mask;
    let agree = common;
    for (const r of rs) agree &= ~(r.match ^ rs[0].match);
    const split = (common & ~agree) >>> 0;
    if (rs.length > 1 && split !== 0) {
      let pos = 0;
      while (!((split >>> pos) & 1)) pos++;
      let len = 0;
      while (len < 7 && pos + len < 32 && ((split >>> (pos + len)) & 1)) len++;
      const fm = (((1 << len) - 1) << pos) >>> 0;
      const sw = { kind: 'switch' as const, pos, len, children: new Array<DecodeNode<T>>(1 << len), pending: { rows: rs, tested: (t | fm) >>> 0, left: 1 << len, build } as PendingChildren<T> | null };
      if (!lazy) for (let v = 0; v < 1 << len; v++) childAt(sw, v);
      node = sw;
    } else {
      for (let i = 0; i < rs.length; i++) {
        for (let j = i + 1; j < rs.length; j++) {
          if (overlaps(rs[i], rs[j]) && (rs[i].group === undefined || rs[i].group !== rs[j].group)) {
            throw new Error(`decode: rows ${rs[i].name} and ${rs[j].name} overlap`);
          }
        }
      }
      node = { kind: 'chain', rows: [...rs].sort((a, b) => a.index - b.index), tested: t };
    }
    memo.set(key, node);
    return node;
  };
  return build(rows, tested >>> 0);
}

/** Find the row an instruction word decodes to (null: illegal). */
export function decodeWith<T>(tree: DecodeNode<T>, insn: number): Row<T> | null {
  let n = tree;
  while (n.kind === 'switch') n = childAt(n, (insn >>> n.pos) & ((1 << n.len) - 1));
  for (const r of n.rows) if (((insn & r.mask) >>> 0) === r.match) return r;
  return null;
}

/** A row's operands, compiled once: names, and per name a fixed value or a field's segments
 * (translation cost: constArgs runs for every decoded instruction). */
interface RowArgPlan {
  readonly keys: readonly string[];
  /** Per key: a number (fixed value) or [pos0, len0, pos1, len1, ...], then signed (0/1),
   * width, shl, add. */
  readonly specs: readonly (number | Int32Array)[];
  /** Operands by word (the block compiler asks for the same instruction's operands several
   * times per translation, and the same instructions recur across batches). */
  readonly byWord: Map<number, Args>;
}
const argPlans = new Map<object, RowArgPlan>();
const CONST_ARGS_PER_ROW = 4096;

function argPlan<T>(row: Row<T>): RowArgPlan {
  let p = argPlans.get(row);
  if (p) return p;
  const keys: string[] = [], specs: (number | Int32Array)[] = [];
  for (const [k, f] of Object.entries(row.args)) {
    keys.push(k);
    if (typeof f === 'number') { specs.push(f); continue; }
    const v = new Int32Array(f.segs.length * 2 + 4);
    f.segs.forEach(([pos, len], i) => { v[2 * i] = pos; v[2 * i + 1] = len; });
    const n = f.segs.length * 2;
    v[n] = f.signed ? 1 : 0; v[n + 1] = fieldWidth(f); v[n + 2] = f.shl ?? 0; v[n + 3] = f.add ?? 0;
    specs.push(v);
  }
  argPlans.set(row, (p = { keys, specs, byWord: new Map() }));
  return p;
}

/** extractField over a compiled spec (same arithmetic). */
function extractPlanned(v: Int32Array, insn: number): number {
  const n = v.length - 4;
  let x = 0;
  for (let i = 0; i < n; i += 2) x = x * (1 << v[i + 1]) + ((insn >>> v[i]) & ((1 << v[i + 1]) - 1));
  const w = v[n + 1];
  if (v[n] && x >= 2 ** (w - 1)) x -= 2 ** w;
  return x * 2 ** v[n + 2] + v[n + 3];
}

/** Constant operands are immutable: small values (registers, most immediates) are shared. */
const SMALL_CONST_MIN = -2048, SMALL_CONST_MAX = 4095;
const smallConsts: (Operand | undefined)[] = [];
function constOperand(v: number): Operand {
  if (v >= SMALL_CONST_MIN && v <= SMALL_CONST_MAX && Number.isInteger(v)) {
    const i = v - SMALL_CONST_MIN;
    return smallConsts[i] ??= Operand.const(v);
  }
  return Operand.const(v);
}

/** Operands of a row as constants for a concrete word (shared: read-only). */
export function constArgs<T>(row: Row<T>, insn: number): Args {
  const p = argPlan(row);
  const byWord = p.byWord;
  let a = byWord.get(insn);
  if (a) return a;
  const r: Record<string, Operand> = {};
  const { keys, specs } = p;
  for (let i = 0; i < keys.length; i++) {
    const f = specs[i];
    r[keys[i]] = constOperand(typeof f === 'number' ? f : extractPlanned(f, insn));
  }
  if (byWord.size >= CONST_ARGS_PER_ROW) byWord.clear();
  byWord.set(insn, (a = r));
  return a;
}

/** Operands of a row as run-time extractions. */
export function dynArgs<T>(row: Row<T>): Record<string, Operand> {
  const a: Record<string, Operand> = {};
  for (const [k, f] of Object.entries(row.args)) a[k] = typeof f === 'number' ? Operand.const(f) : Operand.dyn(f);
  return a;
}

/** Emit the tree as wasm. `leaf` emits a row's code, which must end in a branch away;
 * `illegal` is the label undecodable words jump to. */
export function emitDecodeTree<T>(fb: FunctionBuilder, insn: Local, tree: DecodeNode<T>, illegal: Label,
  leaf: (row: Row<T>) => void): void {
  const emit = (n: DecodeNode<T>): void => {
    if (n.kind === 'chain') {
      for (const r of n.rows) {
        const m = (r.mask & ~n.tested) >>> 0;
        if (m === 0) { leaf(r); return; }
        fb.get(insn); fb.i32Const(m | 0); fb.i32And(); fb.i32Const((r.match & m) | 0); fb.i32Eq();
        fb.if_(); leaf(r); fb.end();
      }
      fb.br(illegal);
      return;
    }
    // Distinct non-illegal children each get a block; illegal ones target `illegal` directly.
    const uniq: DecodeNode<T>[] = [];
    for (const c of n.children) if (!isIllegal(c) && !uniq.includes(c)) uniq.push(c);
    const labels: Label[] = [];
    for (let i = uniq.length - 1; i >= 0; i--) labels[i] = fb.block();
    fb.get(insn);
    if (n.pos) { fb.i32Const(n.pos); fb.i32ShrU(); }
    fb.i32Const((1 << n.len) - 1); fb.i32And();
    fb.brTable(n.children.map((c) => (isIllegal(c) ? illegal : labels[uniq.indexOf(c)])), illegal);
    for (let i = 0; i < uniq.length; i++) {
      fb.end();
      emit(uniq[i]);
    }
  };
  emit(tree);
}

function isIllegal<T>(n: DecodeNode<T>): boolean {
  return n.kind === 'chain' && n.rows.length === 0;
}

/** Helper for tables: build rows from compact declarations. */
export class RowTable<T> {
  readonly rows: Row<T>[] = [];
  constructor(private readonly ilen: 2 | 4, private readonly start = 0) {}
  add(name: string, pattern: string, args: ArgSpec, trans: T, group?: string, ext?: string): void {
    const { mask, match } = parsePattern(pattern);
    this.rows.push({ name, mask, match, args, trans, ilen: this.ilen, group, index: this.start + this.rows.length, ext });
  }
}
