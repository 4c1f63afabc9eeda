// A small typed WebAssembly binary builder (v86 style): one method per opcode, typed locals
// drawn from free lists, labels as values (branch depths are computed, never written by hand),
// and module assembly with the shared guest memory imported. Encodings follow the WebAssembly
// core spec (binary format, section 5) plus the threads proposal's atomic opcodes (0xfe prefix).

export const enum ValType { I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b }
/** Block type: no result, or one value. */
export type BlockType = ValType | 0x40;
export const VOID = 0x40;

/** A local variable slot with its type. */
export interface Local { readonly index: number; readonly type: ValType }

/** A branch target. Loops are targeted at their start, blocks/ifs at their end. */
export interface Label { readonly depth: number }

/** Non-ASCII names, encoded once (ASCII ones are copied: see ByteSink.name). */
const encodedNames = new Map<string, Uint8Array>();

class ByteSink {
  buf: Uint8Array;
  len = 0;
  constructor(cap = 256) { this.buf = new Uint8Array(Math.max(16, cap)); }
  /** Room for n more bytes (doubling). */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }
  byte(b: number): void {
    if (this.len === this.buf.length) this.reserve(1);
    this.buf[this.len++] = b;
  }
  /** Bulk copies: function bodies and sections are copied whole (translation cost). */
  bytes(bs: ArrayLike<number>): void {
    const n = bs.length;
    this.reserve(n);
    if (bs instanceof Uint8Array) this.buf.set(bs, this.len);
    else for (let i = 0; i < n; i++) this.buf[this.len + i] = bs[i];
    this.len += n;
  }
  /** Two bytes (block, loop, if: opcode and block type). */
  byte2(a: number, b: number): void {
    if (this.len + 2 > this.buf.length) this.reserve(2);
    const buf = this.buf, p = this.len;
    buf[p] = a; buf[p + 1] = b;
    this.len = p + 2;
  }
  /** An opcode then an unsigned LEB128 (get, set, br, call, ...): one room check and no call
   * per byte (the translator runs cold in Ignition in every new process: calls are its cost). */
  opU32(op: number, v: number): void {
    if (this.len + 6 > this.buf.length) this.reserve(6);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = op;
    v >>>= 0;
    while (v >= 0x80) { buf[p++] = (v & 0x7f) | 0x80; v >>>= 7; }
    buf[p++] = v;
    this.len = p;
  }
  /** An opcode then two unsigned LEB128s (loads and stores: alignment, offset). */
  opMem(op: number, align: number, offset: number): void {
    if (this.len + 11 > this.buf.length) this.reserve(11);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = op; buf[p++] = align; // alignment < 128
    let v = offset >>> 0;
    while (v >= 0x80) { buf[p++] = (v & 0x7f) | 0x80; v >>>= 7; }
    buf[p++] = v;
    this.len = p;
  }
  /** An opcode then a signed LEB128 of a 32-bit value (i32.const, i64.const of small values). */
  opS32(op: number, v: number): void {
    if (this.len + 6 > this.buf.length) this.reserve(6);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = op;
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { buf[p++] = b; break; }
      buf[p++] = b | 0x80;
    }
    this.len = p;
  }
  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  s64(v: bigint): void {
    // Small values (most constants) without BigInt arithmetic; the rest as two 32-bit halves
    // (translated blocks hold many 64-bit pcs: BigInt shifts allocate).
    if (v >= -0x80000000n && v <= 0x7fffffffn) { this.s32(Number(v)); return; }
    let lo = Number(BigInt.asUintN(32, v)), hi = Number(BigInt.asIntN(32, v >> 32n));
    for (;;) {
      const b = lo & 0x7f;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi >>= 7;
      if ((hi === 0 && lo === 0 && (b & 0x40) === 0) || (hi === -1 && lo === 0xffffffff && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  /** Signed LEB128 of a 64-bit constant given as a JS number that fits in 53 bits. */
  s64n(v: number): void {
    if (v >= -0x80000000 && v <= 0x7fffffff) { this.s32(v); return; }
    this.s64(BigInt(v));
  }
  name(s: string): void {
    // ASCII (every name the translator writes; tb_<pc> is new for every block): its bytes
    // straight in. A TextEncoder per name and a cache entry per block cost more than the block.
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) { ascii = false; break; }
    if (ascii) {
      this.u32(n);
      this.reserve(n);
      const buf = this.buf;
      let p = this.len;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      this.len = p;
      return;
    }
    let enc = encodedNames.get(s);
    if (!enc) encodedNames.set(s, (enc = new TextEncoder().encode(s)));
    this.u32(enc.length);
    this.bytes(enc);
  }
  section(id: number, body: ByteSink): void {
    this.byte(id);
    this.u32(body.len);
    this.bytes(body.buf.subarray(0, body.len));
  }
  result(): Uint8Array { return this.buf.slice(0, this.len); }
}

/** Reused sinks (translation cost: a block compiler builds thousands of functions; fresh
 * buffers growing by doubling cost more than the emission itself). */
const sinkPool: ByteSink[] = [];
function takeSink(): ByteSink {
  const s = sinkPool.pop();
  if (!s) return new ByteSink(4096);
  s.len = 0;
  return s;
}
function giveSink(s: ByteSink): void {
  if (sinkPool.length < 32 && s.buf.length <= 1 << 20) sinkPool.push(s);
}
/** The code section and the whole module of ModuleBuilder.bytes: kept at their largest size
 * across modules (growing pooled sinks to a module's ~100-300 KB again at every module cost
 * fresh zeroed backing stores, and their external memory drove extra GCs). */
const asmCode = new ByteSink(1 << 16), asmOut = new ByteSink(1 << 16);

/** Emit the branch hints functions carry (a custom section V8 reads only with
 * --experimental-wasm-branch-hinting, which host/node/v8-tuning.ts sets; others skip it). */
let branchHints = true;
export function setBranchHints(on: boolean): void { branchHints = on; }

/** One function body under construction. */
export class FunctionBuilder {
  private code = takeSink();
  /** Its body went into a module (ModuleBuilder.bytes) and its sink back to the pool. */
  private disposed = false;
  private readonly localTypes: ValType[] = [];
  private readonly free = new Map<ValType, Local[]>();
  /** Open control constructs; a label's depth is its index here. */
  private ctl = 0;

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[]) {}

  /** Code bytes emitted so far. */
  get size(): number { return this.code.len; }
  param(i: number): Local { return { index: i, type: this.params[i] }; }

  /** A fresh or recycled local of type t. Return it with release() when done. */
  local(t: ValType): Local {
    const l = this.free.get(t)?.pop();
    if (l) return l;
    this.localTypes.push(t);
    return { index: this.params.length + this.localTypes.length - 1, type: t };
  }
  release(...ls: Local[]): void {
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      let f = this.free.get(l.type);
      if (!f) this.free.set(l.type, (f = []));
      f.push(l);
    }
  }

  // Control flow.
  block(t: BlockType = VOID): Label { this.code.byte2(0x02, t); return { depth: this.ctl++ }; }
  loop(t: BlockType = VOID): Label { this.code.byte2(0x03, t); return { depth: this.ctl++ }; }
  /** `likely`: a branch hint for the condition (the metadata.code.branch_hint section). */
  if_(t: BlockType = VOID, likely?: boolean): Label {
    if (likely !== undefined) this.hint(likely);
    this.code.byte2(0x04, t); return { depth: this.ctl++ };
  }
  else_(): void { this.code.byte(0x05); }
  end(): void { this.code.byte(0x0b); this.ctl--; }
  private rel(l: Label): number {
    const d = this.ctl - 1 - l.depth;
    if (d < 0) throw new Error('branch to a closed label');
    return d;
  }
  br(l: Label): void { this.code.opU32(0x0c, this.rel(l)); }
  brIf(l: Label, likely?: boolean): void {
    if (likely !== undefined) this.hint(likely);
    this.code.opU32(0x0d, this.rel(l));
  }
  /** Branch hints: code offset and taken (1) / not taken (0), in code order. */
  private hints: number[] = [];
  private hint(likely: boolean): void { this.hints.push(this.code.len, likely ? 1 : 0); }
  /** Append this function's hints (offsets from its body's start: the local declarations
   * count) as one entry of a branch hint section; false: it has none. */
  hintEntry(out: ByteSink, index: number): boolean {
    if (!this.hints.length) return false;
    const decl = takeSink();
    this.writeLocals(decl);
    out.u32(index); out.u32(this.hints.length / 2);
    for (let i = 0; i < this.hints.length; i += 2) { out.u32(decl.len + this.hints[i]); out.u32(1); out.byte(this.hints[i + 1]); }
    giveSink(decl);
    return true;
  }
  brTable(targets: readonly Label[], dflt: Label): void {
    this.code.byte(0x0e);
    this.code.u32(targets.length);
    for (let i = 0; i < targets.length; i++) this.code.u32(this.rel(targets[i]));
    this.code.u32(this.rel(dflt));
  }
  return_(): void { this.code.byte(0x0f); }
  unreachable(): void { this.code.byte(0x00); }
  call(fn: number): void { this.code.opU32(0x10, fn); this.called.push(fn); }
  /** Call through table 0 with the function index on the stack; `type` from ModuleBuilder.typeIndex. */
  callIndirect(type: number): void { this.code.byte(0x11); this.code.u32(type); this.code.byte(0); }
  /** Tail call of function `fn` (the tail-call proposal, on by default since V8 11.2). */
  returnCall(fn: number): void { this.code.opU32(0x12, fn); this.called.push(fn); }
  /** Function indices this body calls (ModuleBuilder.unusedImportsAs), repeats included. */
  readonly called: number[] = [];
  /** Tail call through table 0 (the tail-call proposal, on by default since V8 11.2). */
  returnCallIndirect(type: number): void { this.code.byte(0x13); this.code.u32(type); this.code.byte(0); }
  drop(): void { this.code.byte(0x1a); }
  select(): void { this.code.byte(0x1b); }

  // Variables.
  get(l: Local): void { this.code.opU32(0x20, l.index); }
  set(l: Local): void { this.code.opU32(0x21, l.index); }
  tee(l: Local): void { this.code.opU32(0x22, l.index); }

  // Memory. `align` is log2 of the alignment hint.
  private mem(op: number, align: number, offset: number): void { this.code.opMem(op, align, offset); }
  i32Load(offset = 0, align = 2): void { this.mem(0x28, align, offset); }
  i64Load(offset = 0, align = 3): void { this.mem(0x29, align, offset); }
  f32Load(offset = 0): void { this.mem(0x2a, 2, offset); }
  f64Load(offset = 0): void { this.mem(0x2b, 3, offset); }
  i32Load8U(offset = 0): void { this.mem(0x2d, 0, offset); }
  i32Load16U(offset = 0): void { this.mem(0x2f, 1, offset); }
  i64Load8S(offset = 0): void { this.mem(0x30, 0, offset); }
  i64Load8U(offset = 0): void { this.mem(0x31, 0, offset); }
  i64Load16S(offset = 0): void { this.mem(0x32, 1, offset); }
  i64Load16U(offset = 0): void { this.mem(0x33, 1, offset); }
  i64Load32S(offset = 0): void { this.mem(0x34, 2, offset); }
  i64Load32U(offset = 0): void { this.mem(0x35, 2, offset); }
  i32Store(offset = 0, align = 2): void { this.mem(0x36, align, offset); }
  i64Store(offset = 0, align = 3): void { this.mem(0x37, align, offset); }
  i64Store8(offset = 0): void { this.mem(0x3c, 0, offset); }
  i64Store16(offset = 0): void { this.mem(0x3d, 1, offset); }
  i64Store32(offset = 0): void { this.mem(0x3e, 2, offset); }

  // Constants.
  i32Const(v: number): void { this.code.opS32(0x41, v); }
  i64Const(v: number | bigint): void {
    if (typeof v === 'bigint') {
      if (v >= -0x80000000n && v <= 0x7fffffffn) { this.code.opS32(0x42, Number(v)); return; }
      this.code.byte(0x42); this.code.s64(v);
    } else if (v >= -0x80000000 && v <= 0x7fffffff) this.code.opS32(0x42, v);
    else { this.code.byte(0x42); this.code.s64n(v); }
  }

  // i32 comparisons / arithmetic.
  i32Eqz(): void { this.code.byte(0x45); }
  i32Eq(): void { this.code.byte(0x46); }
  i32Ne(): void { this.code.byte(0x47); }
  i32LtS(): void { this.code.byte(0x48); }
  i32LtU(): void { this.code.byte(0x49); }
  i32GtS(): void { this.code.byte(0x4a); }
  i32GtU(): void { this.code.byte(0x4b); }
  i32LeU(): void { this.code.byte(0x4d); }
  i32LeS(): void { this.code.byte(0x4c); }
  i32GeS(): void { this.code.byte(0x4e); }
  i32GeU(): void { this.code.byte(0x4f); }
  i64Eqz(): void { this.code.byte(0x50); }
  i64Eq(): void { this.code.byte(0x51); }
  i64Ne(): void { this.code.byte(0x52); }
  i64LtS(): void { this.code.byte(0x53); }
  i64LtU(): void { this.code.byte(0x54); }
  i64GtS(): void { this.code.byte(0x55); }
  i64GtU(): void { this.code.byte(0x56); }
  i64LeS(): void { this.code.byte(0x57); }
  i64GeS(): void { this.code.byte(0x59); }
  i64GeU(): void { this.code.byte(0x5a); }
  i32Add(): void { this.code.byte(0x6a); }
  i32Sub(): void { this.code.byte(0x6b); }
  i32Mul(): void { this.code.byte(0x6c); }
  i32DivS(): void { this.code.byte(0x6d); }
  i32DivU(): void { this.code.byte(0x6e); }
  i32RemS(): void { this.code.byte(0x6f); }
  i32RemU(): void { this.code.byte(0x70); }
  i32And(): void { this.code.byte(0x71); }
  i32Or(): void { this.code.byte(0x72); }
  i32Xor(): void { this.code.byte(0x73); }
  i32Shl(): void { this.code.byte(0x74); }
  i32ShrS(): void { this.code.byte(0x75); }
  i32ShrU(): void { this.code.byte(0x76); }
  i64Add(): void { this.code.byte(0x7c); }
  i64Sub(): void { this.code.byte(0x7d); }
  i64Mul(): void { this.code.byte(0x7e); }
  i64DivS(): void { this.code.byte(0x7f); }
  i64DivU(): void { this.code.byte(0x80); }
  i64RemS(): void { this.code.byte(0x81); }
  i64RemU(): void { this.code.byte(0x82); }
  i64And(): void { this.code.byte(0x83); }
  i64Or(): void { this.code.byte(0x84); }
  i64Xor(): void { this.code.byte(0x85); }
  i64Shl(): void { this.code.byte(0x86); }
  i64ShrS(): void { this.code.byte(0x87); }
  i64ShrU(): void { this.code.byte(0x88); }
  // Bit manipulation (Zbb/Zbkb).
  i64Rotl(): void { this.code.byte(0x89); }
  i64Rotr(): void { this.code.byte(0x8a); }
  i64Clz(): void { this.code.byte(0x79); }
  i64Ctz(): void { this.code.byte(0x7a); }
  i64Popcnt(): void { this.code.byte(0x7b); }
  i32Clz(): void { this.code.byte(0x67); }
  i32Ctz(): void { this.code.byte(0x68); }
  i32Popcnt(): void { this.code.byte(0x69); }
  i32Rotl(): void { this.code.byte(0x77); }
  i32Rotr(): void { this.code.byte(0x78); }
  i64Extend8S(): void { this.code.byte(0xc2); }
  i64Extend16S(): void { this.code.byte(0xc3); }
  // Floating point (IEEE 754, round to nearest even; NaN results are not canonical).
  f64Const(v: number): void {
    this.code.byte(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    this.code.bytes(b);
  }
  f32Eq(): void { this.code.byte(0x5b); }
  f32Ne(): void { this.code.byte(0x5c); }
  f32Lt(): void { this.code.byte(0x5d); }
  f32Gt(): void { this.code.byte(0x5e); }
  f32Le(): void { this.code.byte(0x5f); }
  f64Eq(): void { this.code.byte(0x61); }
  f64Ne(): void { this.code.byte(0x62); }
  f64Lt(): void { this.code.byte(0x63); }
  f64Gt(): void { this.code.byte(0x64); }
  f64Le(): void { this.code.byte(0x65); }
  f32Abs(): void { this.code.byte(0x8b); }
  f32Neg(): void { this.code.byte(0x8c); }
  f32Sqrt(): void { this.code.byte(0x91); }
  f32Add(): void { this.code.byte(0x92); }
  f32Sub(): void { this.code.byte(0x93); }
  f32Mul(): void { this.code.byte(0x94); }
  f32Div(): void { this.code.byte(0x95); }
  f64Abs(): void { this.code.byte(0x99); }
  f64Neg(): void { this.code.byte(0x9a); }
  f64Sqrt(): void { this.code.byte(0x9f); }
  f64Add(): void { this.code.byte(0xa0); }
  f64Sub(): void { this.code.byte(0xa1); }
  f64Mul(): void { this.code.byte(0xa2); }
  f64Div(): void { this.code.byte(0xa3); }
  f32DemoteF64(): void { this.code.byte(0xb6); }
  f64ConvertI32S(): void { this.code.byte(0xb7); }
  f64ConvertI32U(): void { this.code.byte(0xb8); }
  f64PromoteF32(): void { this.code.byte(0xbb); }
  i32ReinterpretF32(): void { this.code.byte(0xbc); }
  i64ReinterpretF64(): void { this.code.byte(0xbd); }
  f32ReinterpretI32(): void { this.code.byte(0xbe); }
  f64ReinterpretI64(): void { this.code.byte(0xbf); }
  i32WrapI64(): void { this.code.byte(0xa7); }
  i64ExtendI32S(): void { this.code.byte(0xac); }
  i64ExtendI32U(): void { this.code.byte(0xad); }

  // Atomics (threads proposal). Alignment must be the natural one.
  private atomic(sub: number, align: number, offset: number): void {
    this.code.byte(0xfe); this.code.u32(sub); this.code.u32(align); this.code.u32(offset);
  }
  atomicFence(): void { this.code.byte(0xfe); this.code.u32(0x03); this.code.byte(0); }
  i32AtomicLoad(offset = 0): void { this.atomic(0x10, 2, offset); }
  i64AtomicLoad(offset = 0): void { this.atomic(0x11, 3, offset); }
  /** RMW ops: base 0x1e add, 0x25 sub, 0x2c and, 0x33 or, 0x3a xor, 0x41 xchg; +0 i32, +1 i64. */
  atomicRmw(base: AtomicRmw, is64: boolean, offset = 0): void { this.atomic(base + (is64 ? 1 : 0), is64 ? 3 : 2, offset); }
  i32AtomicCmpxchg(offset = 0): void { this.atomic(0x48, 2, offset); }
  /** Narrow (1- or 2-byte) i32 atomics (Zabha): results zero-extended, operands wrapped. */
  i32AtomicLoadNarrow(bytes: 1 | 2, offset = 0): void { this.atomic(bytes === 1 ? 0x12 : 0x13, bytes - 1, offset); }
  i32AtomicRmwNarrow(base: AtomicRmw, bytes: 1 | 2, offset = 0): void { this.atomic(base + bytes + 1, bytes - 1, offset); }
  i32AtomicCmpxchgNarrow(bytes: 1 | 2, offset = 0): void { this.atomic(0x48 + bytes + 1, bytes - 1, offset); }
  i64AtomicCmpxchg(offset = 0): void { this.atomic(0x49, 3, offset); }

  // Bulk memory: memory.copy (memory 0 to memory 0; overlapping ranges as memmove).
  memoryCopy(): void { this.code.byte(0xfc); this.code.u32(10); this.code.byte(0); this.code.byte(0); }

  // Fixed-width SIMD (0xfd prefix; `simd(op)` for lane arithmetic, see SimdOp).
  simd(op: number): void { this.code.byte(0xfd); this.code.u32(op); }
  v128Load(offset = 0): void { this.code.byte(0xfd); this.code.u32(0x00); this.code.u32(0); this.code.u32(offset); }
  v128Store(offset = 0): void { this.code.byte(0xfd); this.code.u32(0x0b); this.code.u32(0); this.code.u32(offset); }
  /** v128.const from 16 little-endian bytes. */
  v128Const(bytes: ArrayLike<number>): void {
    this.code.byte(0xfd); this.code.u32(0x0c);
    for (let i = 0; i < 16; i++) this.code.byte(bytes[i] & 0xff);
  }
  /** extract_lane (op 0x15-0x1e) of lane `lane`. */
  extractLane(op: number, lane: number): void { this.code.byte(0xfd); this.code.u32(op); this.code.byte(lane); }

  /** The encoded body: local declarations then code. */
  body(): Uint8Array {
    const s = new ByteSink();
    this.writeLocals(s);
    s.bytes(this.code.buf.subarray(0, this.code.len));
    s.byte(0x0b);
    return s.result();
  }
  private writeLocals(s: ByteSink): void {
    if (this.disposed) throw new Error('function body already emitted');
    if (this.ctl !== 0) throw new Error(`unbalanced control flow (${this.ctl} open)`);
    // Runs of one type share a declaration.
    let runs = 0;
    for (let i = 0; i < this.localTypes.length; i++) if (i === 0 || this.localTypes[i] !== this.localTypes[i - 1]) runs++;
    s.u32(runs);
    for (let i = 0; i < this.localTypes.length;) {
      let j = i + 1;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      s.u32(j - i); s.byte(this.localTypes[i]);
      i = j;
    }
  }
  /** Append the size-prefixed body to a code section, then recycle this builder's buffer. */
  emitInto(out: ByteSink): void {
    const decl = takeSink();
    this.writeLocals(decl);
    out.u32(decl.len + this.code.len + 1);
    out.bytes(decl.buf.subarray(0, decl.len));
    out.bytes(this.code.buf.subarray(0, this.code.len));
    out.byte(0x0b);
    giveSink(decl);
    giveSink(this.code);
    this.code = new ByteSink(16);
    this.disposed = true;
  }
}

/** SIMD opcodes (after 0xfd) FunctionBuilder.simd takes. */
export const enum SimdOp {
  I8x16Swizzle = 0x0e, I8x16Splat = 0x0f, I16x8Splat = 0x10, I32x4Splat = 0x11, I64x2Splat = 0x12,
  I8x16ExtractU = 0x16, I16x8ExtractU = 0x19, I32x4Extract = 0x1b, I64x2Extract = 0x1d,
  I8x16Eq = 0x23, I8x16GtS = 0x27, I16x8Eq = 0x2d, I32x4Eq = 0x37, I64x2Eq = 0xd6,
  V128Not = 0x4d, V128And = 0x4e, V128AndNot = 0x4f, V128Or = 0x50, V128Xor = 0x51, V128Bitselect = 0x52,
  I8x16Shl = 0x6b, I8x16ShrS = 0x6c, I8x16ShrU = 0x6d, I8x16Add = 0x6e, I8x16Sub = 0x71,
  I8x16MinS = 0x76, I8x16MinU = 0x77, I8x16MaxS = 0x78, I8x16MaxU = 0x79,
  I16x8Shl = 0x8b, I16x8ShrS = 0x8c, I16x8ShrU = 0x8d, I16x8Add = 0x8e, I16x8Sub = 0x91, I16x8Mul = 0x95,
  I16x8MinS = 0x96, I16x8MinU = 0x97, I16x8MaxS = 0x98, I16x8MaxU = 0x99,
  I16x8ExtMulLowS = 0x9c, I16x8ExtMulHighS = 0x9d, I16x8ExtMulLowU = 0x9e, I16x8ExtMulHighU = 0x9f,
  I32x4Shl = 0xab, I32x4ShrS = 0xac, I32x4ShrU = 0xad, I32x4Add = 0xae, I32x4Sub = 0xb1, I32x4Mul = 0xb5,
  I32x4MinS = 0xb6, I32x4MinU = 0xb7, I32x4MaxS = 0xb8, I32x4MaxU = 0xb9,
  I32x4ExtMulLowS = 0xbc, I32x4ExtMulHighS = 0xbd, I32x4ExtMulLowU = 0xbe, I32x4ExtMulHighU = 0xbf,
  I64x2Shl = 0xcb, I64x2ShrS = 0xcc, I64x2ShrU = 0xcd, I64x2Add = 0xce, I64x2Sub = 0xd1, I64x2Mul = 0xd5,
  I64x2ExtMulLowS = 0xdc, I64x2ExtMulHighS = 0xdd, I64x2ExtMulLowU = 0xde, I64x2ExtMulHighU = 0xdf,
}

export const enum AtomicRmw { ADD = 0x1e, SUB = 0x25, AND = 0x2c, OR = 0x33, XOR = 0x3a, XCHG = 0x41 }

export interface FuncType { params: readonly ValType[]; results: readonly ValType[] }

/** Module assembly: function imports, one imported shared memory, defined functions, exports. */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly imports: { module: string; name: string; type: number }[] = [];
  private readonly funcs: { type: number; fb: FunctionBuilder | null; exportName?: string }[] = [];
  private memoryImport: { module: string; name: string; maxPages: number } | null = null;
  private tableImport: { module: string; name: string } | null = null;
  private globalImports: { module: string; name: string; type: ValType }[] = [];
  /** One active element segment: functions stored into table 0 from the imported i32 global. */
  private elems: { global: number; funcs: number[] } | null = null;

  /** Index of a function type (added when new), for call_indirect. */
  typeIndex(t: FuncType): number {
    const key = (x: FuncType) => `${x.params.join(',')}:${x.results.join(',')}`;
    const k = key(t);
    const i = this.types.findIndex((x) => key(x) === k);
    if (i >= 0) return i;
    this.types.push(t);
    return this.types.length - 1;
  }

  importMemory(module: string, name: string, maxPages = 65536): void {
    this.memoryImport = { module, name, maxPages };
  }

  /** Import a funcref table (table 0, growable) for call_indirect. */
  importTable(module: string, name: string): void {
    this.tableImport = { module, name };
  }

  /** Import an immutable global; returns its global index. */
  importGlobal(module: string, name: string, type: ValType): number {
    this.globalImports.push({ module, name, type });
    return this.globalImports.length - 1;
  }

  /** At instantiation, table[global + i] = funcs[i] (an active element segment). */
  tableElements(global: number, funcs: number[]): void {
    this.elems = { global, funcs };
  }

  /** Import a host function; returns its function index. All imports must precede defines. */
  importFunction(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): number {
    if (this.funcs.length) throw new Error('imports must be declared before functions');
    this.imports.push({ module, name, type: this.typeIndex({ params, results }) });
    return this.imports.length - 1;
  }

  /** Declare a function (its body may be built later); returns its index and builder. */
  defineFunction(params: readonly ValType[], results: readonly ValType[], exportName?: string): { index: number; fb: FunctionBuilder } {
    const fb = new FunctionBuilder(params, results);
    this.funcs.push({ type: this.typeIndex({ params, results }), fb, exportName });
    return { index: this.imports.length + this.funcs.length - 1, fb };
  }

  /** Function imports no body calls are written as imports of this one (see unusedImportsAs). */
  private stubImport: { module: string; name: string; type: number } | null = null;
  /**
   * Write every function import that no function body calls (nor an element segment names) as
   * an import of `module`.`name` with this type, which the import object must supply: indices
   * stay as declared, but V8 (11.x) compiles a JS-call wrapper for each distinct signature of a
   * module's imports when it compiles the module, used or not, per module (~1 ms of a
   * translated-block module importing every helper; README "Python, round 8").
   */
  unusedImportsAs(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): void {
    this.stubImport = { module, name, type: this.typeIndex({ params, results }) };
  }

  /** Names of functions (the name section: profilers show them). */
  readonly funcNames = new Map<number, string>();
  bytes(): Uint8Array {
    const out = asmOut;
    out.len = 0;
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const types = takeSink();
    types.u32(this.types.length);
    for (const t of this.types) {
      types.byte(0x60);
      types.u32(t.params.length); for (const p of t.params) types.byte(p);
      types.u32(t.results.length); for (const r of t.results) types.byte(r);
    }
    out.section(1, types);
    const imps = takeSink();
    imps.u32(this.imports.length + (this.memoryImport ? 1 : 0) + (this.tableImport ? 1 : 0) + this.globalImports.length);
    let used: Uint8Array | null = null;
    if (this.stubImport) {
      used = new Uint8Array(this.imports.length);
      const n = this.imports.length;
      for (const f of this.funcs) for (const c of (f.fb as FunctionBuilder).called) if (c < n) used[c] = 1;
      if (this.elems) for (const c of this.elems.funcs) if (c < n) used[c] = 1;
    }
    this.imports.forEach((im, i) => {
      const w = used && !used[i] ? this.stubImport as { module: string; name: string; type: number } : im;
      imps.name(w.module); imps.name(w.name); imps.byte(0x00); imps.u32(w.type);
    });
    if (this.tableImport) {
      imps.name(this.tableImport.module); imps.name(this.tableImport.name);
      imps.byte(0x01); imps.byte(0x70); imps.byte(0x00); imps.u32(0); // funcref, min 0, no max
    }
    for (const g of this.globalImports) { imps.name(g.module); imps.name(g.name); imps.byte(0x03); imps.byte(g.type); imps.byte(0); }
    if (this.memoryImport) {
      imps.name(this.memoryImport.module); imps.name(this.memoryImport.name);
      imps.byte(0x02); imps.byte(0x03); imps.u32(0); imps.u32(this.memoryImport.maxPages); // shared, min 0, max
    }
    out.section(2, imps);
    const fns = takeSink();
    fns.u32(this.funcs.length);
    for (const f of this.funcs) fns.u32(f.type);
    out.section(3, fns);
    const exps = takeSink();
    const exported = this.funcs.map((f, i) => ({ f, i })).filter((x) => x.f.exportName !== undefined);
    exps.u32(exported.length);
    for (const { f, i } of exported) { exps.name(f.exportName as string); exps.byte(0x00); exps.u32(this.imports.length + i); }
    out.section(7, exps);
    if (this.elems) {
      const el = takeSink();
      el.u32(1);
      el.u32(0); // active, table 0, offset expression, function indexes
      el.byte(0x23); el.u32(this.elems.global); el.byte(0x0b);
      el.u32(this.elems.funcs.length);
      for (const f of this.elems.funcs) el.u32(f);
      out.section(9, el);
      giveSink(el);
    }
    if (branchHints) {
      // metadata.code.branch_hint (before the code section): functions in index order.
      const hs = takeSink();
      let n = 0;
      this.funcs.forEach((f, i) => { if ((f.fb as FunctionBuilder).hintEntry(hs, this.imports.length + i)) n++; });
      if (n) {
        const sec = takeSink();
        sec.name('metadata.code.branch_hint'); sec.u32(n); sec.bytes(hs.buf.subarray(0, hs.len));
        out.section(0, sec);
        giveSink(sec);
      }
      giveSink(hs);
    }
    const code = asmCode;
    code.len = 0;
    code.u32(this.funcs.length);
    for (const f of this.funcs) (f.fb as FunctionBuilder).emitInto(code);
    out.section(10, code);
    if (this.funcNames.size) {
      const ns = takeSink();
      ns.name('name');
      const sub = takeSink();
      sub.u32(this.funcNames.size);
      for (const [i, n] of [...this.funcNames].sort((a, b) => a[0] - b[0])) { sub.u32(i); sub.name(n); }
      ns.section(1, sub);
      out.section(0, ns);
      giveSink(sub); giveSink(ns);
    }
    for (const t of [types, imps, fns, exps]) giveSink(t);
    return out.result();
  }
}
