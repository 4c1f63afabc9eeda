// Text form of the function bodies wasm-builder.ts produces (-d out_asm): one instruction per
// line in the WebAssembly text format's names, indented by nesting. It understands exactly the
// opcodes the builder can emit; anything else ends the listing with a note.

const SIMPLE: Record<number, string> = {
  0x00: 'unreachable', 0x01: 'nop', 0x05: 'else', 0x0b: 'end', 0x0f: 'return', 0x1a: 'drop', 0x1b: 'select',
  0x45: 'i32.eqz', 0x46: 'i32.eq', 0x47: 'i32.ne', 0x48: 'i32.lt_s', 0x49: 'i32.lt_u', 0x4a: 'i32.gt_s',
  0x4b: 'i32.gt_u', 0x4c: 'i32.le_s', 0x4d: 'i32.le_u', 0x4e: 'i32.ge_s', 0x4f: 'i32.ge_u',
  0x50: 'i64.eqz', 0x51: 'i64.eq', 0x52: 'i64.ne', 0x53: 'i64.lt_s', 0x54: 'i64.lt_u', 0x55: 'i64.gt_s',
  0x56: 'i64.gt_u', 0x57: 'i64.le_s', 0x58: 'i64.le_u', 0x59: 'i64.ge_s', 0x5a: 'i64.ge_u',
  0x6a: 'i32.add', 0x6b: 'i32.sub', 0x6c: 'i32.mul', 0x6d: 'i32.div_s', 0x6e: 'i32.div_u', 0x6f: 'i32.rem_s',
  0x70: 'i32.rem_u', 0x71: 'i32.and', 0x72: 'i32.or', 0x73: 'i32.xor', 0x74: 'i32.shl', 0x75: 'i32.shr_s',
  0x76: 'i32.shr_u', 0x7c: 'i64.add', 0x7d: 'i64.sub', 0x7e: 'i64.mul', 0x7f: 'i64.div_s', 0x80: 'i64.div_u',
  0x81: 'i64.rem_s', 0x82: 'i64.rem_u', 0x83: 'i64.and', 0x84: 'i64.or', 0x85: 'i64.xor', 0x86: 'i64.shl',
  0x5b: 'f32.eq', 0x5c: 'f32.ne', 0x5d: 'f32.lt', 0x5e: 'f32.gt', 0x5f: 'f32.le', 0x61: 'f64.eq', 0x62: 'f64.ne',
  0x63: 'f64.lt', 0x64: 'f64.gt', 0x65: 'f64.le', 0x8b: 'f32.abs', 0x8c: 'f32.neg', 0x91: 'f32.sqrt', 0x92: 'f32.add',
  0x93: 'f32.sub', 0x94: 'f32.mul', 0x95: 'f32.div', 0x99: 'f64.abs', 0x9a: 'f64.neg', 0x9f: 'f64.sqrt', 0xa0: 'f64.add',
  0xa1: 'f64.sub', 0xa2: 'f64.mul', 0xa3: 'f64.div', 0xb6: 'f32.demote_f64', 0xb7: 'f64.convert_i32_s', 0xb8: 'f64.convert_i32_u', 0xbb: 'f64.promote_f32',
  0xbc: 'i32.reinterpret_f32', 0xbd: 'i64.reinterpret_f64', 0xbe: 'f32.reinterpret_i32', 0xbf: 'f64.reinterpret_i64',
  0x87: 'i64.shr_s', 0x88: 'i64.shr_u', 0xa7: 'i32.wrap_i64', 0xac: 'i64.extend_i32_s', 0xad: 'i64.extend_i32_u',
};
const MEM: Record<number, string> = {
  0x28: 'i32.load', 0x29: 'i64.load', 0x2a: 'f32.load', 0x2b: 'f64.load', 0x2d: 'i32.load8_u', 0x2f: 'i32.load16_u',
  0x30: 'i64.load8_s', 0x31: 'i64.load8_u', 0x32: 'i64.load16_s', 0x33: 'i64.load16_u', 0x34: 'i64.load32_s',
  0x35: 'i64.load32_u', 0x36: 'i32.store', 0x37: 'i64.store', 0x3c: 'i64.store8', 0x3d: 'i64.store16', 0x3e: 'i64.store32',
};
const ATOMIC: Record<number, string> = {
  0x10: 'i32.atomic.load', 0x11: 'i64.atomic.load', 0x1e: 'i32.atomic.rmw.add', 0x1f: 'i64.atomic.rmw.add',
  0x25: 'i32.atomic.rmw.sub', 0x26: 'i64.atomic.rmw.sub', 0x2c: 'i32.atomic.rmw.and', 0x2d: 'i64.atomic.rmw.and',
  0x33: 'i32.atomic.rmw.or', 0x34: 'i64.atomic.rmw.or', 0x3a: 'i32.atomic.rmw.xor', 0x3b: 'i64.atomic.rmw.xor',
  0x41: 'i32.atomic.rmw.xchg', 0x42: 'i64.atomic.rmw.xchg', 0x48: 'i32.atomic.rmw.cmpxchg', 0x49: 'i64.atomic.rmw.cmpxchg',
};
const TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  u8(): number { return this.b[this.pos++]; }
  u32(): number {
    let r = 0, mul = 1, x;
    do { x = this.b[this.pos++]; r += (x & 0x7f) * mul; mul *= 128; } while (x & 0x80);
    return r;
  }
  s64(): bigint {
    let r = 0n, shift = 0n, x;
    do { x = this.b[this.pos++]; r |= BigInt(x & 0x7f) << shift; shift += 7n; } while (x & 0x80);
    if (x & 0x40) r -= 1n << shift;
    return r;
  }
}

/** The text of every defined function of `module` (function bodies only), `names` per index. */
export function wasmFunctionsText(module: Uint8Array, names: (i: number) => string): string {
  const r = new Reader(module);
  r.pos = 8;
  let out = '';
  while (r.pos < module.length) {
    const id = r.u8(), size = r.u32(), end = r.pos + size;
    if (id !== 10) { r.pos = end; continue; }
    const n = r.u32();
    for (let f = 0; f < n; f++) {
      const len = r.u32();
      out += `(func ${names(f)}\n${bodyText(new Reader(module.subarray(r.pos, r.pos + len)))})\n`;
      r.pos += len;
    }
    r.pos = end;
  }
  return out;
}

function bodyText(r: Reader): string {
  const lines: string[] = [];
  const groups = r.u32();
  for (let g = 0; g < groups; g++) {
    const cnt = r.u32(), t = r.u8();
    lines.push(`  (local ${Array(cnt).fill(TYPES[t] ?? '?').join(' ')})`);
  }
  let depth = 1;
  const emit = (s: string) => lines.push('  '.repeat(depth) + s);
  while (r.pos < r.b.length) {
    const op = r.u8();
    if (op === 0x0b) { depth--; if (depth > 0) emit('end'); continue; }
    if (op === 0x05) { depth--; emit('else'); depth++; continue; }
    if (SIMPLE[op]) { emit(SIMPLE[op]); continue; }
    if (MEM[op]) { const a = r.u32(), o = r.u32(); emit(`${MEM[op]} offset=${o} align=${1 << a}`); continue; }
    switch (op) {
      case 0x02: case 0x03: case 0x04: {
        const bt = r.u8();
        emit(`${op === 0x02 ? 'block' : op === 0x03 ? 'loop' : 'if'}${bt === 0x40 ? '' : ` (result ${TYPES[bt]})`}`);
        depth++;
        continue;
      }
      case 0x0c: emit(`br ${r.u32()}`); continue;
      case 0x0d: emit(`br_if ${r.u32()}`); continue;
      case 0x0e: { const n = r.u32(); const t = []; for (let i = 0; i <= n; i++) t.push(r.u32()); emit(`br_table ${t.join(' ')}`); continue; }
      case 0x10: emit(`call ${r.u32()}`); continue;
      case 0x11: emit(`call_indirect (type ${r.u32()}) ${r.u8()}`); continue;
      case 0x13: emit(`return_call_indirect (type ${r.u32()}) ${r.u8()}`); continue;
      case 0x20: emit(`local.get ${r.u32()}`); continue;
      case 0x21: emit(`local.set ${r.u32()}`); continue;
      case 0x22: emit(`local.tee ${r.u32()}`); continue;
      case 0x41: emit(`i32.const ${Number(BigInt.asIntN(32, r.s64()))}`); continue;
      case 0x42: emit(`i64.const ${r.s64()}`); continue;
      case 0x44: emit(`f64.const ${new DataView(r.b.buffer, r.b.byteOffset + r.pos, 8).getFloat64(0, true)}`); r.pos += 8; continue;
      case 0xfe: {
        const sub = r.u32();
        if (sub === 0x03) { r.u8(); emit('atomic.fence'); continue; }
        const a = r.u32(), o = r.u32();
        emit(`${ATOMIC[sub] ?? `atomic.0x${sub.toString(16)}`} offset=${o} align=${1 << a}`);
        continue;
      }
      default:
        emit(`;; unknown opcode 0x${op.toString(16)}`);
        return lines.join('\n') + '\n';
    }
  }
  return lines.join('\n') + '\n';
}
