// The interpreter's first decode step as one br_table: the 32- and 16-bit trees' top two levels
// (quadrant + major opcode, then funct3) folded into a single 2048-way switch on bits 0-6 and
// 12-15 of the word. The tree walk would take a compare on the quadrant and two br_tables for
// most instructions; this takes one indirect jump, then the subtree's own tests (funct7 etc.).
import type { FunctionBuilder, Label, Local } from '../../tcg/wasm-builder.js';
import { type DecodeNode, type Row, emitDecodeTree } from './decode.js';

/** Bits 0-6 and 12-15 of the word as an 11-bit key. */
export const FLAT_KEY_BITS = 11;

function isIllegal<T>(n: DecodeNode<T>): boolean {
  return n.kind === 'chain' && n.rows.length === 0;
}

/** The node a (32-bit root, 16-bit root) pair leads to for one key: the level under the
 * quadrant/opcode switch is skipped when it switches on funct3, else that level is the node
 * (its own tests still check every bit, so taking it for all funct3 values is exact). */
function nodeFor<T>(t32: DecodeNode<T>, t16: DecodeNode<T>, k: number): DecodeNode<T> | null {
  const bits1215 = (k >>> 7) & 0xf;
  const word = (k & 0x7f) | (bits1215 << 12);
  const root = (word & 3) === 3 ? t32 : t16;
  if (root.kind !== 'switch') return null;
  // The root must switch within bits 0-6 (the key holds them).
  if (root.pos + root.len > 7) return null;
  const c = root.children[(word >>> root.pos) & ((1 << root.len) - 1)];
  if (c.kind === 'switch' && c.pos >= 12 && c.pos + c.len <= 16) {
    return c.children[(word >>> c.pos) & ((1 << c.len) - 1)];
  }
  return c;
}

/** Whether the flat form applies to these trees (else use emitDecodeTree per tree). */
export function flatDecodeApplies<T>(t32: DecodeNode<T>, t16: DecodeNode<T>): boolean {
  return nodeFor(t32, t16, 3) !== null && nodeFor(t32, t16, 0) !== null;
}

/** Emit the flat switch; `leaf` as for emitDecodeTree. Undecodable words of each length go to
 * their own label (the trap's tval differs). */
export function emitFlatDecode<T>(fb: FunctionBuilder, insn: Local, t32: DecodeNode<T>, t16: DecodeNode<T>,
  illegal32: Label, illegal16: Label, leaf: (row: Row<T>) => void): void {
  const n = 1 << FLAT_KEY_BITS;
  const nodes: (DecodeNode<T> | null)[] = [];
  const uniq: DecodeNode<T>[] = [];
  const index = new Map<DecodeNode<T>, number>();
  const firstKey: number[] = [];
  const illegalOf = (k: number) => ((k & 3) === 3 ? illegal32 : illegal16);
  for (let k = 0; k < n; k++) {
    const node = nodeFor(t32, t16, k);
    if (!node) throw new Error('flat decode: unexpected tree shape');
    if (isIllegal(node)) { nodes.push(null); continue; }
    nodes.push(node);
    if (!index.has(node)) { index.set(node, uniq.length); uniq.push(node); firstKey.push(k); }
  }
  // A node reached from both lengths would need both illegal labels: trees never share nodes.
  const labels: Label[] = [];
  for (let i = uniq.length - 1; i >= 0; i--) labels[i] = fb.block();
  fb.get(insn); fb.i32Const(0x7f); fb.i32And();
  fb.get(insn); fb.i32Const(5); fb.i32ShrU(); fb.i32Const(0x780); fb.i32And(); fb.i32Or();
  fb.brTable(nodes.map((nd, k) => (nd ? labels[index.get(nd) as number] : illegalOf(k))), illegal32);
  for (let i = 0; i < uniq.length; i++) {
    fb.end();
    emitDecodeTree(fb, insn, uniq[i], illegalOf(firstKey[i]), leaf);
  }
}
