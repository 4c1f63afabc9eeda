// helperFp against real QEMU, bit for bit: a riscv64 program (built here with
// riscv64-linux-gnu-gcc) executes every F/D instruction helperFp implements, with inline asm, on
// vectors this file generates (special values, ulp neighbours, ties, near-cancellation, random
// patterns from a fixed seed), in all five static rounding modes and dynamically through frm;
// it runs under qemu-riscv64 and reports result bits and fflags, which must equal what helperFp
// computes on a CPURISCVState.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocateGuestMemory, AddressSpace } from '../dist/exec/memory.js';
import { CPURISCVState, STATE, riscvCpuStateBytes } from '../dist/target/riscv/cpu-state.js';
import { helperFp, FP_OP_NAMES } from '../dist/target/riscv/fpu_helper.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['riscv64-linux-gnu-gcc', 'qemu-riscv64'].filter((c) => !have(c));
const skip = missing.length ? `missing ${missing.join(', ')}` : false;

const RM_NAMES = ['rne', 'rtz', 'rdn', 'rup', 'rmm', '', '', 'dyn'];
const ALL_RM = [0, 1, 2, 3, 4, 7];

/** How each mnemonic is written and which operands it takes. */
function opKind(m) {
  const [base, a, b] = m.split('.');
  if (['fadd', 'fsub', 'fmul', 'fdiv'].includes(base)) return { src: 'ff', dst: 'f', rm: true };
  if (['fmin', 'fmax'].includes(base)) return { src: 'ff', dst: 'f', rm: false };
  if (['fmadd', 'fmsub', 'fnmsub', 'fnmadd'].includes(base)) return { src: 'fff', dst: 'f', rm: true };
  if (['feq', 'flt', 'fle'].includes(base)) return { src: 'ff', dst: 'x', rm: false };
  if (base === 'fclass') return { src: 'f', dst: 'x', rm: false };
  if (base === 'fsqrt') return { src: 'f', dst: 'f', rm: true };
  // fcvt.<dst>.<src>
  const isInt = (t) => ['w', 'wu', 'l', 'lu'].includes(t);
  if (isInt(a)) return { src: 'f', dst: 'x', rm: true, srcFmt: b };
  if (isInt(b)) return { src: 'x', dst: 'f', rm: !(a === 'd' && (b === 'w' || b === 'wu')), intType: b };
  return { src: 'f', dst: 'f', rm: m === 'fcvt.s.d', srcFmt: b };
}

function cProgram() {
  const cases = [];
  FP_OP_NAMES.forEach((m, op) => {
    const k = opKind(m);
    for (const rm of k.rm ? ALL_RM : [0]) {
      const rd = k.dst === 'x' ? '%[r]' : 'ft3';
      const srcs = k.src === 'x' ? ['%[a]'] : ['ft0', 'ft1', 'ft2'].slice(0, k.src.length);
      const ops = [rd, ...srcs, ...(k.rm ? [RM_NAMES[rm]] : [])].join(', ');
      const tail = k.dst === 'f' ? '\\n fmv.x.d %[r], ft3' : '';
      cases.push(`    case ${op * 8 + rm}: FP("${m} ${ops}${tail}"); break;`);
    }
  });
  return `#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
struct vin { uint32_t op, rm, frm, pad; uint64_t a, b, c; };
struct vout { uint64_t r; uint32_t fl, pad; };
#define FP(insn) asm volatile("fsrm %[frm]\\n fmv.d.x ft0, %[a]\\n fmv.d.x ft1, %[b]\\n fmv.d.x ft2, %[c]\\n" \\
  " fsflags zero\\n " insn "\\n frflags %[fl]" : [r] "=&r"(r), [fl] "=&r"(fl) \\
  : [a] "r"(v->a), [b] "r"(v->b), [c] "r"(v->c), [frm] "r"((uint64_t)v->frm) : "ft0", "ft1", "ft2", "ft3")
static void run(const struct vin *v, struct vout *o) {
  uint64_t r = 0, fl = 0;
  switch (v->op * 8 + v->rm) {
${cases.join('\n')}
    default: fl = 0xdead;
  }
  o->r = r; o->fl = (uint32_t)fl; o->pad = 0;
}
int main(void) {
  static struct vin in[4096]; static struct vout out[4096];
  size_t n;
  while ((n = fread(in, sizeof in[0], 4096, stdin)) > 0) {
    for (size_t i = 0; i < n; i++) run(&in[i], &out[i]);
    fwrite(out, sizeof out[0], n, stdout);
  }
  return 0;
}
`;
}

// ---- vectors ----

// TSQEMU_SLOW=1 multiplies the random vectors by 8; TSQEMU_FPU_SEED picks another fixed seed.
const SCALE = process.env.TSQEMU_SLOW ? 8 : 1;
let seed = Number(process.env.TSQEMU_FPU_SEED ?? 0x9e3779b9) >>> 0;
function rnd32() { // mulberry32, fixed seed
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
const rndInt = (n) => rnd32() % n;
const rnd64 = () => (BigInt(rnd32()) << 32n) | BigInt(rnd32());
const f64buf = new Float64Array(1), u64buf = new BigUint64Array(f64buf.buffer);
const f32buf = new Float32Array(1), u32buf = new Uint32Array(f32buf.buffer);
const bitsOf64 = (x) => { f64buf[0] = x; return u64buf[0]; };
const valOf64 = (b) => { u64buf[0] = b; return f64buf[0]; };
const bitsOf32 = (x) => { f32buf[0] = x; return BigInt(u32buf[0]); };
const valOf32 = (b) => { u32buf[0] = Number(b & 0xffffffffn); return f32buf[0]; };
const BOX = 0xffffffff00000000n;

const FMT = {
  s: { p: 24, ebits: 8, bits: 32n, bitsOf: bitsOf32, valOf: valOf32, round: Math.fround },
  d: { p: 53, ebits: 11, bits: 64n, bitsOf: bitsOf64, valOf: valOf64, round: (x) => x },
};

function specials(f) {
  const w = f.bits, fb = BigInt(f.p - 1), em = (1n << BigInt(f.ebits)) - 1n;
  const sign = 1n << (w - 1n);
  const pos = [
    0n, em << fb, (em << fb) | (1n << (fb - 1n)), (em << fb) | 1n, (em << fb) | (1n << (fb - 2n)),
    (em << fb) | (1n << (fb - 1n)) | 0x123n, 1n, 2n, 3n, (1n << fb) - 1n, 1n << fb, (1n << fb) + 1n,
    ((em - 1n) << fb) | ((1n << fb) - 1n), ((em - 1n) << fb) | ((1n << fb) - 2n), ((em - 1n) << fb),
    1n << (fb - 1n), (3n << (fb - 2n)),
  ];
  const nums = [1, 1.5, 2, 3, 0.5, 0.1, 3.141592653589793, 1 / 3, 2147483647.5, 2147483648, 2147483647,
    4294967295.5, 4294967296, 4294967295, 9223372036854775807, 18446744073709551615, 0.49999999999999994, 2.5,
    1e30, 16777217, 9007199254740993, 1e-40, 1e300];
  for (const x of nums) pos.push(f.bitsOf(f.round(x)));
  const one = f.bitsOf(1);
  pos.push(one + 1n, one - 1n);
  return [...pos, ...pos.map((b) => b | sign)];
}

/** A finite random value with exponent in [lo, hi] (unbiased) and `mant` kind of mantissa. */
function randVal(f, lo, hi) {
  const fb = BigInt(f.p - 1), bias = (1 << (f.ebits - 1)) - 1;
  let e = lo + rndInt(hi - lo + 1);
  let m = (rnd64() & ((1n << fb) - 1n));
  if (rndInt(3) === 0) m &= ~((1n << BigInt(rndInt(f.p - 1))) - 1n); // few low bits: ties, exact results
  let be = BigInt(Math.max(0, Math.min(e + bias, 2 * bias)));
  const s = rndInt(2) ? 1n << (f.bits - 1n) : 0n;
  return s | (be << fb) | m;
}
function randAny(f) {
  const k = rndInt(6), emin = 2 - (1 << (f.ebits - 1)), emax = (1 << (f.ebits - 1)) - 1;
  if (k === 0) return rnd64() & ((1n << f.bits) - 1n);
  if (k === 1) return randVal(f, emin - 2, emin + f.p); // subnormal / tiny
  if (k === 2) return randVal(f, emax - f.p, emax); // huge
  return randVal(f, -40, 40);
}

const box = (fmt, b) => (fmt === 's' ? BOX | b : b);

function floatPairs(fmt) {
  const f = FMT[fmt], sp = specials(f), out = [];
  for (const a of sp) for (const b of sp) out.push([a, b]);
  const bias = (1 << (f.ebits - 1)) - 1;
  for (let i = 0; i < 700 * SCALE; i++) {
    const a = randAny(f);
    const k = rndInt(4);
    let b;
    if (k === 0) b = randAny(f);
    else if (k === 1) { // close exponents: cancellation, ties in add
      const ea = Number((a >> BigInt(f.p - 1)) & BigInt((1 << f.ebits) - 1)) - bias;
      b = randVal(f, ea - rndInt(f.p + 3), ea);
    } else if (k === 2) { // products/quotients near the subnormal or overflow boundary
      const emin = 2 - (1 << (f.ebits - 1));
      const ea = Number((a >> BigInt(f.p - 1)) & BigInt((1 << f.ebits) - 1)) - bias;
      b = rndInt(2) ? randVal(f, emin - ea - 3, emin - ea + 3) : randVal(f, bias - ea - 2, bias - ea + 1);
    } else b = randVal(f, -5, 5);
    out.push([a, b]);
  }
  return out.map(([a, b]) => [box(fmt, a), box(fmt, b)]);
}

function floatSingles(fmt) {
  const f = FMT[fmt], out = [...specials(f)];
  for (let i = 0; i < 500 * SCALE; i++) out.push(randAny(f));
  for (let i = 0; i < 200 * SCALE; i++) { // near integer boundaries for fcvt to int
    const x = [2 ** 31, 2 ** 32, 2 ** 63, 2 ** 64, 1, 2 ** 24, 2 ** 53][rndInt(7)] * (rndInt(2) ? -1 : 1);
    const b = f.bitsOf(f.round(x)) + BigInt(rndInt(5)) - 2n;
    out.push(b);
    out.push(f.bitsOf(f.round((rndInt(2000) - 1000) / 4 + (rndInt(2) ? 0.5 : 0))));
  }
  return out.map((b) => box(fmt, b));
}

function floatTriples(fmt) {
  const f = FMT[fmt];
  const sp = specials(f).filter((_, i) => i % 4 === 0).slice(0, 11);
  const out = [];
  for (const a of sp) for (const b of sp) for (const c of sp) out.push([a, b, c]);
  for (let i = 0; i < 3000 * SCALE; i++) {
    const a = rndInt(5) ? randVal(f, -20, 20) : randAny(f), b = rndInt(5) ? randVal(f, -20, 20) : randAny(f);
    let c;
    const k = rndInt(3);
    if (k === 0) c = randAny(f);
    else { // near -(a*b): massive cancellation, exactness and sign-of-zero cases
      const p = f.valOf(a) * f.valOf(b);
      c = f.bitsOf(f.round(k === 1 ? -p : p));
      if (rndInt(2)) c += BigInt(rndInt(7)) - 3n;
      c &= (1n << f.bits) - 1n;
    }
    out.push([a, b, c]);
  }
  return out.map((t) => t.map((x) => box(fmt, x)));
}

function intSingles() {
  const out = [0n, 1n, 2n, 3n, (1n << 64n) - 1n, (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n,
    (1n << 63n) - 1n, 1n << 63n, (1n << 24n) + 1n, (1n << 24n) + 3n, (1n << 53n) + 1n, (1n << 53n) + 3n,
    (1n << 25n) + 2n, (1n << 54n) + 2n, 0xffffffff80000000n, 0xffffffff7fffffffn, 0x00000000ffffff7fn];
  for (let i = 0; i < 700 * SCALE; i++) {
    const k = rndInt(4);
    let v = rnd64();
    if (k === 1) v &= (1n << BigInt(rndInt(64) + 1)) - 1n;
    if (k === 2) v = BigInt.asUintN(64, BigInt(rnd32() | 0));
    if (k === 3) v = BigInt.asUintN(64, (BigInt(rndInt(1 << 20)) << BigInt(rndInt(44))) * (rndInt(2) ? -1n : 1n));
    out.push(v);
  }
  return out;
}

function buildVectors() {
  const vecs = [];
  const cache = {};
  const get = (key, fn) => (cache[key] ??= fn());
  FP_OP_NAMES.forEach((m, op) => {
    const k = opKind(m);
    const fmt = m.split('.').at(-1);
    let operands;
    if (k.src === 'ff') operands = get(`pairs${fmt}`, () => floatPairs(fmt));
    else if (k.src === 'fff') operands = get(`triples${fmt}`, () => floatTriples(fmt));
    else if (k.src === 'x') operands = get('ints', intSingles).map((a) => [a]);
    else operands = get(`singles${fmt}`, () => floatSingles(fmt)).map((a) => [a]);
    // A few operands that are not NaN-boxed singles (read as the canonical NaN).
    if (fmt === 's' && k.src !== 'x') {
      operands = [...operands, [0x3f800000n, BOX | 0x3f800000n, BOX], [0x7ff8000000000000n, BOX | 1n, 0n],
        [0xfffffffe3f800000n, BOX | 0x40000000n, BOX | 0x3f800000n]];
    }
    for (const rm of k.rm ? ALL_RM : [0]) {
      for (const [a, b = 0n, c = 0n] of operands) vecs.push({ op, rm, frm: rndInt(5), a, b, c });
    }
  });
  return vecs;
}

const hex = (b) => '0x' + b.toString(16).padStart(16, '0');

test('helperFp matches qemu-riscv64 bit for bit (results and fflags)', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-fpu-'));
  try {
    writeFileSync(join(dir, 'fpvec.c'), cProgram());
    const cc = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-march=rv64gc', '-o', join(dir, 'fpvec'),
      join(dir, 'fpvec.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);

    const vecs = buildVectors();
    const input = Buffer.alloc(vecs.length * 40);
    vecs.forEach((v, i) => {
      const o = i * 40;
      input.writeUInt32LE(v.op, o);
      input.writeUInt32LE(v.rm, o + 4);
      input.writeUInt32LE(v.frm, o + 8);
      input.writeBigUInt64LE(v.a, o + 16);
      input.writeBigUInt64LE(v.b, o + 24);
      input.writeBigUInt64LE(v.c, o + 32);
    });
    const q = spawnSync('qemu-riscv64', [join(dir, 'fpvec')], { input, maxBuffer: 1 << 30 });
    assert.equal(q.status, 0, String(q.stderr));
    const ref = q.stdout;
    assert.equal(ref.length, vecs.length * 16);

    const layout = allocateGuestMemory(riscvCpuStateBytes(1), 0, 0);
    const env = new CPURISCVState(new AddressSpace(layout.memory), layout.cpuStateOffset, 0);
    const dv = env.view, fpr = env.base + STATE.fpr.offset, gpr = env.base + STATE.gpr.offset;
    const kinds = FP_OP_NAMES.map(opKind);
    const bad = new Map();
    const t0 = performance.now();
    vecs.forEach((v, i) => {
      const k = kinds[v.op];
      dv.setBigUint64(fpr + 8, v.a, true);
      dv.setBigUint64(fpr + 16, v.b, true);
      dv.setBigUint64(fpr + 24, v.c, true);
      dv.setBigUint64(gpr + 5 * 8, v.a, true);
      dv.setBigUint64(fpr + 4 * 8, 0n, true);
      dv.setBigUint64(gpr + 10 * 8, 0n, true);
      env.set32('frm', v.frm);
      env.set32('fflags', 0);
      const rd = k.dst === 'x' ? 10 : 4;
      const ok = helperFp(env, v.op, rd, k.src === 'x' ? 5 : 1, 2, 3, v.rm);
      const got = k.dst === 'x' ? dv.getBigUint64(gpr + 80, true) : dv.getBigUint64(fpr + 32, true);
      const gotFl = env.get32('fflags');
      const want = ref.readBigUInt64LE(i * 16), wantFl = ref.readUInt32LE(i * 16 + 8);
      if (!ok || got !== want || gotFl !== wantFl) {
        const name = FP_OP_NAMES[v.op];
        const list = bad.get(name) ?? [];
        list.push(`${name} rm=${v.rm} frm=${v.frm} a=${hex(v.a)} b=${hex(v.b)} c=${hex(v.c)}: ` +
          `qemu ${hex(want)} fl=${wantFl.toString(16)}, ours ${ok ? hex(got) : 'illegal'} fl=${gotFl.toString(16)}`);
        bad.set(name, list);
      }
    });
    const ms = performance.now() - t0;
    // What the vectors exercised: per instruction, how many raised each flag under QEMU.
    const seen = FP_OP_NAMES.map(() => [0, 0, 0, 0, 0]);
    vecs.forEach((v, i) => {
      const fl = ref.readUInt32LE(i * 16 + 8);
      for (let b = 0; b < 5; b++) if (fl & (1 << b)) seen[v.op][b]++;
    });
    t.diagnostic('flags raised (NX UF OF DZ NV): ' +
      FP_OP_NAMES.map((m, op) => `${m} ${seen[op].join('/')}`).join(', '));
    for (const m of ['fadd', 'fsub', 'fmul', 'fdiv', 'fmadd', 'fnmadd'].flatMap((b) => [`${b}.s`, `${b}.d`])) {
      const c = seen[FP_OP_NAMES.indexOf(m)];
      assert.ok(c[0] > 100 && c[2] > 10 && c[4] > 10, `${m} vectors raise NX, OF and NV`);
      if (!m.startsWith('fadd') && !m.startsWith('fsub')) assert.ok(c[1] > 10, `${m} vectors raise UF`);
    }
    t.diagnostic(`${vecs.length} vectors, ${FP_OP_NAMES.length} instructions, helperFp side ${ms.toFixed(0)} ms`);
    let total = 0;
    for (const [name, list] of bad) {
      total += list.length;
      t.diagnostic(`${name}: ${list.length} mismatches`);
      for (const line of list.slice(0, 20)) t.diagnostic(line);
    }
    assert.equal(total, 0, `${total} of ${vecs.length} vectors differ from QEMU`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
