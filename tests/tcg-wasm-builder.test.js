// The wasm builder under the block compiler: 64-bit constants (encoded from 32-bit halves, not
// BigInt shifts), reused byte buffers (one module's bytes never change when the next is built),
// and translated-block modules that do not import the block table (V8 copies an imported table
// into every instance: that made each module cost milliseconds to instantiate), whose loads and
// stores share one TLB miss path per kind (tb-ldst.ts) in system mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionBuilder, ModuleBuilder } from '../dist/tcg/wasm-builder.js';
import { buildTbModule, decodeRegion } from '../dist/target/riscv/translate-block.js';
import { wasmFunctionsText } from '../dist/tcg/wasm-dis.js';

const I64 = 0x7e;

/** Signed LEB128 of a 64-bit value, the plain BigInt way. */
function sleb64(v) {
  const out = [];
  v = BigInt.asIntN(64, v);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

test('i64.const encodes every 64-bit value as signed LEB128, and runs', () => {
  const vals = [0n, 1n, -1n, 63n, 64n, -64n, -65n, 0x7fffffffn, 0x80000000n, -0x80000000n, -0x80000001n, 0xffffffffn,
    0x100000000n, -(1n << 63n), (1n << 63n) - 1n, 0xffffffff80000000n, 0xffffffff80200000n, 0xfffffffffffff000n,
    0x123456789abcdefn, 1n << 40n, -(1n << 40n), 1n << 62n, -(1n << 62n)];
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < 500; i++) {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    vals.push(BigInt.asIntN(64, x >> BigInt(i % 64)));
  }
  for (const v of vals) {
    const fb = new FunctionBuilder([], [I64]);
    fb.i64Const(v);
    const body = fb.body();
    // body: local declaration count (0), i64.const, LEB128, end
    assert.deepEqual([...body.subarray(2, body.length - 1)], sleb64(v), `encoding of ${v}`);
  }
  // And they execute: one function per value, each returning its constant.
  const mb = new ModuleBuilder();
  const some = vals.slice(0, 40);
  some.forEach((v, i) => mb.defineFunction([], [I64], `c${i}`).fb.i64Const(v));
  const ex = new WebAssembly.Instance(new WebAssembly.Module(mb.bytes())).exports;
  some.forEach((v, i) => assert.equal(ex[`c${i}`](), BigInt.asIntN(64, v)));
});

test('reused buffers: a module\'s bytes stay as they were when later modules are built', () => {
  const build = (k) => {
    const mb = new ModuleBuilder();
    for (let i = 0; i < 3; i++) {
      const fb = mb.defineFunction([], [I64], `f${i}`).fb;
      const l = fb.local(I64);
      fb.i64Const(BigInt(k * 100 + i)); fb.set(l); fb.get(l);
    }
    return mb.bytes();
  };
  const a = build(1);
  const copy = Uint8Array.from(a);
  for (let k = 2; k < 50; k++) build(k);
  assert.deepEqual(a, copy);
  const ex = new WebAssembly.Instance(new WebAssembly.Module(a)).exports;
  assert.equal(ex.f2(), 102n);
  // A function body goes into one module only.
  const mb = new ModuleBuilder();
  mb.defineFunction([], [I64], 'g').fb.i64Const(7n);
  mb.bytes();
  assert.throws(() => mb.bytes(), /already emitted/);
});

test('translated-block modules import memory and wasm functions, not the block table', () => {
  // addi a0,a0,1 ; bne a0,a1,-4 ; jalr x0,0(ra): a loop region that chains out through jalr.
  const words = [0x00150513, 0xfeb51ee3, 0x00008067];
  const page = new Uint8Array(4096);
  words.forEach((w, i) => new DataView(page.buffer).setUint32(0x100 + 4 * i, w, true));
  const read16 = (h) => (h >= 0 && h < 2048 ? page[2 * h] | (page[2 * h + 1] << 8) : -1);
  const runs = decodeRegion([0x80000100n], read16);
  assert.equal(runs.reduce((n, r) => n + r.insns.length, 0), 3);
  const mod = new WebAssembly.Module(buildTbModule([{ pc: 0x80000100n, runs, addendLo: 0 }], true));
  const imports = WebAssembly.Module.imports(mod);
  assert.ok(!imports.some((i) => i.kind === 'table'), 'no table import');
  assert.ok(imports.some((i) => i.module === 'rvm' && i.name === 'chain' && i.kind === 'function'), 'chains through rvm.chain');
  assert.deepEqual(WebAssembly.Module.exports(mod).map((e) => e.name), ['t0']);
});

test('unusedImportsAs: imports no body calls become imports of the stand-in (one signature, one V8 wrapper)', () => {
  const I32 = 0x7f;
  const mb = new ModuleBuilder();
  const used = mb.importFunction('h', 'twice', [I32], [I32]);
  mb.importFunction('h', 'never', [I32, I32, I32, I32, I32], [I32]);
  mb.importFunction('h', 'unused', [], []);
  mb.importFunction('h', 'stand', [I32], [I32]);
  mb.unusedImportsAs('h', 'stand', [I32], [I32]);
  const { fb } = mb.defineFunction([I32], [I32], 'f');
  fb.get(fb.param(0)); fb.call(used); fb.i32Const(1); fb.i32Add();
  const mod = new WebAssembly.Module(mb.bytes());
  assert.deepEqual(WebAssembly.Module.imports(mod).map((i) => i.name), ['twice', 'stand', 'stand', 'stand']);
  // The import object needs no 'never' or 'unused' (with their own signatures) any more.
  const inst = new WebAssembly.Instance(mod, { h: { twice: (x) => 2 * x, stand: (x) => x } });
  assert.equal(inst.exports.f(20), 41);
  // Translated blocks: a system-mode loop region calls xlate (its fetch mapping check) and chains;
  // every other helper index is declared as rvm.chain.
  const words = [0x00150513, 0xfeb51ee3, 0x00008067];
  const page = new Uint8Array(4096);
  words.forEach((w, i) => new DataView(page.buffer).setUint32(0x100 + 4 * i, w, true));
  const read16 = (h) => (h >= 0 && h < 2048 ? page[2 * h] | (page[2 * h + 1] << 8) : -1);
  const runs = decodeRegion([0x80000100n], read16);
  const tb = new WebAssembly.Module(buildTbModule([{ pc: 0x80000100n, runs, addendLo: 0 }], true));
  const fns = WebAssembly.Module.imports(tb).filter((i) => i.kind === 'function');
  assert.ok(fns.length > 20, 'the helper indices are all still declared');
  assert.deepEqual([...new Set(fns.map((i) => `${i.module}.${i.name}`))].sort(), ['rvm.chain', 'rvm.xlate']);
});

test('loads and stores of a module share one miss path per kind (system mode), none in user mode', () => {
  // ld a1,0(a0) ; ld a2,8(a0) ; sd a1,16(a0) ; sd a2,24(a0) ; lbu a3,0(a0) ; jalr x0,0(ra)
  const words = [0x00053583, 0x00853603, 0x00b53823, 0x00c53c23, 0x00054683, 0x00008067];
  const page = new Uint8Array(4096);
  words.forEach((w, i) => new DataView(page.buffer).setUint32(0x100 + 4 * i, w, true));
  const read16 = (h) => (h >= 0 && h < 2048 ? page[2 * h] | (page[2 * h + 1] << 8) : -1);
  const runs = decodeRegion([0x80000100n], read16);
  assert.equal(runs.reduce((n, r) => n + r.insns.length, 0), 6);
  const funcs = (missExits) => {
    const bytes = buildTbModule([{ pc: 0x80000100n, runs, addendLo: 0, missExits }, { pc: 0x80000100n, runs, addendLo: 0, missExits }], true);
    new WebAssembly.Module(bytes); // valid
    return wasmFunctionsText(bytes, (i) => `f${i}`).split('\n').filter((l) => l.startsWith('(func')).length;
  };
  // Two blocks; the miss paths of ld, sd and lbu once each.
  assert.equal(funcs(false), 2 + 3);
  assert.equal(funcs(true), 2);
});

/** Sections of a module: [{ id, name?, body }] (body after the name for custom sections). */
function sections(bytes) {
  const out = [];
  let p = 8;
  const leb = () => { let v = 0, s = 0, b; do { b = bytes[p++]; v |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return v >>> 0; };
  while (p < bytes.length) {
    const id = bytes[p++];
    const len = leb();
    const end = p + len;
    let name;
    if (id === 0) { const n = leb(); name = new TextDecoder().decode(bytes.subarray(p, p + n)); p += n; }
    out.push({ id, name, body: bytes.subarray(p, end) });
    p = end;
  }
  return out;
}

test('branch hints: a metadata.code.branch_hint section before the code, offsets at the hinted if / br_if', () => {
  const mb = new ModuleBuilder();
  const { fb } = mb.defineFunction([0x7f], [0x7f], 'f');
  const t = fb.local(0x7f), u = fb.local(I64); // local declarations before the code: offsets count them
  fb.get(fb.param(0)); fb.set(t);
  fb.i64Const(5n); fb.set(u);
  const out = fb.block();
  fb.get(t); fb.brIf(out, false);
  fb.get(t); fb.i32Const(1); fb.i32Add(); fb.set(t);
  fb.end();
  fb.get(t); fb.i32Const(10); fb.i32GtS();
  fb.if_(0x40, true); fb.get(t); fb.i32Const(100); fb.i32Add(); fb.set(t); fb.end();
  fb.get(t);
  const bytes = mb.bytes().slice();
  const secs = sections(bytes);
  const hi = secs.findIndex((s) => s.name === 'metadata.code.branch_hint');
  const ci = secs.findIndex((s) => s.id === 10);
  assert.ok(hi >= 0 && hi < ci, 'the hint section precedes the code section');
  // One function (index 0), two hints: br_if not taken, if taken, each naming its opcode.
  const h = secs[hi].body, code = secs[ci].body;
  assert.equal(h[0], 1); assert.equal(h[1], 0); assert.equal(h[2], 2);
  const bodyStart = 2; // code: count (1), body size (1 byte here)
  assert.equal(code[0], 1);
  const hints = [[h[3], h[4], h[5]], [h[6], h[7], h[8]]];
  assert.deepEqual(hints.map(([, size, v]) => [size, v]), [[1, 0], [1, 1]]);
  assert.equal(code[bodyStart + hints[0][0]], 0x0d, 'first hint names the br_if');
  assert.equal(code[bodyStart + hints[1][0]], 0x04, 'second hint names the if');
  // Valid and the same results whether or not V8 reads the hints.
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  assert.deepEqual([0, 1, 9, 10, 11].map((x) => instance.exports.f(x)), [1, 1, 9, 10, 111]);
});
