// Encodings for instructions newer than Debian's binutils 2.40 (Zicond, Zfa, Zcb, Zacas,
// Zimop, Zcmop), written from the ratified specifications. The runner preprocesses a test
// with cpp, replaces these mnemonics by `.insn 0x...` words with rewriteUnknown(), and
// assembles the result, so the suite builds with the distribution's cross toolchain.

const ABI_X = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const ABI_F = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4',
  'fa5', 'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];

/** Register number of an integer or FP register name (x5, t0, fp, f3, fa0). */
export function regNum(name) {
  const n = name.trim().toLowerCase();
  let m = /^[xf](\d+)$/.exec(n);
  if (m && +m[1] < 32) return +m[1];
  if (n === 'fp') return 8;
  let i = ABI_X.indexOf(n);
  if (i >= 0) return i;
  i = ABI_F.indexOf(n);
  if (i >= 0) return i;
  throw new Error(`not a register: ${name}`);
}

/** x8..x15 as the 3-bit register field of compressed instructions. */
function cReg(name) {
  const r = regNum(name);
  if (r < 8 || r > 15) throw new Error(`${name} is not one of x8-x15`);
  return r - 8;
}

const RM = { rne: 0, rtz: 1, rdn: 2, rup: 3, rmm: 4, dyn: 7 };

function rType(opcode, f3, f7, rd, rs1, rs2) {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode) >>> 0;
}

/** Parses a number as gas does for these operands (decimal, hex, negative). */
function imm(text) {
  const t = text.trim();
  const v = Number(t.startsWith('-') ? -Number(t.slice(1)) : Number(t));
  if (!Number.isInteger(v)) throw new Error(`bad immediate ${text}`);
  return v;
}

/** `imm(reg)` or `(reg)` memory operand. */
function mem(text) {
  const m = /^\s*([^()]*)\(\s*([a-z0-9]+)\s*\)\s*$/i.exec(text);
  if (!m) throw new Error(`bad memory operand ${text}`);
  return { off: m[1].trim() === '' ? 0 : imm(m[1]), reg: m[2] };
}

/** Value of a C/hex floating-point literal (1.5, -0x1p+0, 1.52587890625e-05). */
function floatValue(text) {
  const t = text.trim().toLowerCase();
  const m = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([+-]?\d+)$/.exec(t);
  if (m) {
    const frac = m[3] ?? '';
    const mant = parseInt((m[2] || '0') + frac, 16) / 16 ** frac.length;
    return (m[1] === '-' ? -1 : 1) * mant * 2 ** Number(m[4]);
  }
  return Number(t);
}

// Zfa's FLI table (rs1 field -> value); index 1 is the minimum normal, 30 inf, 31 canonical NaN.
const FLI = [-1, 'min', 2 ** -16, 2 ** -15, 2 ** -8, 2 ** -7, 2 ** -4, 2 ** -3, 0.25, 0.3125, 0.375, 0.4375, 0.5,
  0.625, 0.75, 0.875, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 8, 16, 128, 256, 2 ** 15, 2 ** 16, 'inf', 'nan'];

function fliIndex(text) {
  const t = text.trim().toLowerCase();
  if (t === 'min') return 1;
  if (t === 'inf' || t === 'infinity') return 30;
  if (t === 'nan') return 31;
  const v = floatValue(t);
  // The minimum normal of each format also reads as its number in some sources.
  if (v === 2 ** -126 || v === 2 ** -1022 || v === 2 ** -14) return 1;
  const i = FLI.indexOf(v);
  if (i < 0) throw new Error(`fli: ${text} is not in the table`);
  return i;
}

const FP_FMT = { s: 0, d: 1, h: 2, q: 3 };

/** Encoders by mnemonic: operands (strings) -> instruction word (number) and its size. */
const ENCODERS = new Map();
const def = (name, size, fn) => ENCODERS.set(name, { size, fn });

// Zicond
def('czero.eqz', 4, ([rd, rs1, rs2]) => rType(0x33, 5, 0x07, regNum(rd), regNum(rs1), regNum(rs2)));
def('czero.nez', 4, ([rd, rs1, rs2]) => rType(0x33, 7, 0x07, regNum(rd), regNum(rs1), regNum(rs2)));

// Zfa
for (const [fs, fmt] of Object.entries(FP_FMT)) {
  def(`fli.${fs}`, 4, ([rd, v]) => rType(0x53, 0, 0x78 | fmt, regNum(rd), fliIndex(v), 1));
  def(`fminm.${fs}`, 4, ([rd, a, b]) => rType(0x53, 2, 0x14 | fmt, regNum(rd), regNum(a), regNum(b)));
  def(`fmaxm.${fs}`, 4, ([rd, a, b]) => rType(0x53, 3, 0x14 | fmt, regNum(rd), regNum(a), regNum(b)));
  def(`fleq.${fs}`, 4, ([rd, a, b]) => rType(0x53, 4, 0x50 | fmt, regNum(rd), regNum(a), regNum(b)));
  def(`fltq.${fs}`, 4, ([rd, a, b]) => rType(0x53, 5, 0x50 | fmt, regNum(rd), regNum(a), regNum(b)));
  const round = (rs2) => ([rd, a, rm]) => rType(0x53, RM[(rm ?? 'dyn').trim()] ?? imm(rm), 0x20 | fmt, regNum(rd), regNum(a), rs2);
  def(`fround.${fs}`, 4, round(4));
  def(`froundnx.${fs}`, 4, round(5));
}
def('fcvtmod.w.d', 4, ([rd, a, rm]) => {
  if ((rm ?? '').trim() !== 'rtz') throw new Error('fcvtmod.w.d takes only rtz');
  return rType(0x53, 1, 0x61, regNum(rd), regNum(a), 8);
});
def('fmvh.x.d', 4, ([rd, a]) => rType(0x53, 0, 0x71, regNum(rd), regNum(a), 1));
def('fmvh.x.q', 4, ([rd, a]) => rType(0x53, 0, 0x73, regNum(rd), regNum(a), 1));
def('fmvp.d.x', 4, ([rd, a, b]) => rType(0x53, 0, 0x59, regNum(rd), regNum(a), regNum(b)));

// Zacas: amocas.{w,d,q}[.aq|.rl|.aqrl] rd, rs2, (rs1)
for (const [w, f3] of [['w', 2], ['d', 3], ['q', 4]]) {
  for (const [sfx, aqrl] of [['', 0], ['.aq', 2], ['.rl', 1], ['.aqrl', 3]]) {
    def(`amocas.${w}${sfx}`, 4, ([rd, rs2, addr]) => {
      const m = mem(addr);
      if (m.off !== 0) throw new Error('amocas takes (rs1) only');
      return rType(0x2f, f3, (0x05 << 2) | aqrl, regNum(rd), regNum(m.reg), regNum(rs2));
    });
  }
}

// Zimop: mop.r.0..31, mop.rr.0..7 (SYSTEM opcode, funct3 100)
for (let n = 0; n < 32; n++) {
  def(`mop.r.${n}`, 4, ([rd, rs1]) => (((1 << 31) | (((n >> 4) & 1) << 30) | (((n >> 2) & 3) << 26) | (0x7 << 22) |
    ((n & 3) << 20) | (regNum(rs1) << 15) | (4 << 12) | (regNum(rd) << 7) | 0x73) >>> 0));
}
for (let n = 0; n < 8; n++) {
  def(`mop.rr.${n}`, 4, ([rd, rs1, rs2]) => (((1 << 31) | (((n >> 2) & 1) << 30) | ((n & 3) << 26) | (1 << 25) |
    (regNum(rs2) << 20) | (regNum(rs1) << 15) | (4 << 12) | (regNum(rd) << 7) | 0x73) >>> 0));
}
// Zcmop: c.mop.1, 3, ..., 15 (C.LUI with rd = n and a zero immediate)
for (let n = 1; n < 16; n += 2) def(`c.mop.${n}`, 2, () => 0x6081 | ((n - 1) << 7));

// Zcb
def('c.lbu', 2, ([rd, a]) => {
  const m = mem(a);
  if (m.off < 0 || m.off > 3) throw new Error('c.lbu offset out of range');
  return (0x8000 | (cReg(m.reg) << 7) | ((m.off & 1) << 6) | (((m.off >> 1) & 1) << 5) | (cReg(rd) << 2)) >>> 0;
});
const halfLd = (hi) => ([rd, a]) => {
  const m = mem(a);
  if (m.off !== 0 && m.off !== 2) throw new Error('c.lh/c.lhu/c.sh offset must be 0 or 2');
  return (0x8400 | (cReg(m.reg) << 7) | (hi << 6) | (((m.off >> 1) & 1) << 5) | (cReg(rd) << 2)) >>> 0;
};
def('c.lhu', 2, halfLd(0));
def('c.lh', 2, halfLd(1));
def('c.sb', 2, ([rs2, a]) => {
  const m = mem(a);
  if (m.off < 0 || m.off > 3) throw new Error('c.sb offset out of range');
  return (0x8800 | (cReg(m.reg) << 7) | ((m.off & 1) << 6) | (((m.off >> 1) & 1) << 5) | (cReg(rs2) << 2)) >>> 0;
});
def('c.sh', 2, ([rs2, a]) => {
  const m = mem(a);
  if (m.off !== 0 && m.off !== 2) throw new Error('c.sh offset must be 0 or 2');
  return (0x8c00 | (cReg(m.reg) << 7) | (((m.off >> 1) & 1) << 5) | (cReg(rs2) << 2)) >>> 0;
});
for (const [name, f] of [['c.zext.b', 0], ['c.sext.b', 1], ['c.zext.h', 2], ['c.sext.h', 3], ['c.zext.w', 4], ['c.not', 5]]) {
  def(name, 2, ([rd]) => (0x9c61 | (cReg(rd) << 7) | (f << 2)) >>> 0);
}
def('c.mul', 2, ([rd, rs2]) => (0x9c41 | (cReg(rd) << 7) | (cReg(rs2) << 2)) >>> 0);

// Base-ISA equivalents (same architectural effect) of Zcb, Zimop and Zcmop, which QEMU 7.2 lacks:
// a test built with these instead runs on QEMU 7.2 (with Zba/Zbb/M) to give reference signatures.
const EQUIV = new Map();
for (const [c, base] of [['c.lbu', 'lbu'], ['c.lhu', 'lhu'], ['c.lh', 'lh'], ['c.sb', 'sb'], ['c.sh', 'sh']]) {
  EQUIV.set(c, ([r, m]) => `${base} ${r}, ${m}`);
}
EQUIV.set('c.zext.b', ([r]) => `andi ${r}, ${r}, 255`);
EQUIV.set('c.sext.b', ([r]) => `sext.b ${r}, ${r}`);
EQUIV.set('c.zext.h', ([r]) => `zext.h ${r}, ${r}`);
EQUIV.set('c.sext.h', ([r]) => `sext.h ${r}, ${r}`);
EQUIV.set('c.zext.w', ([r]) => `add.uw ${r}, ${r}, zero`);
EQUIV.set('c.not', ([r]) => `xori ${r}, ${r}, -1`);
EQUIV.set('c.mul', ([r, s2]) => `mul ${r}, ${r}, ${s2}`);
for (let n = 1; n < 16; n += 2) EQUIV.set(`c.mop.${n}`, () => 'c.nop');
for (let n = 0; n < 32; n++) EQUIV.set(`mop.r.${n}`, ([rd]) => `addi ${rd}, zero, 0`);
for (let n = 0; n < 8; n++) EQUIV.set(`mop.rr.${n}`, ([rd]) => `addi ${rd}, zero, 0`);
/** Extensions whose instructions rewriteUnknown(text, true) replaces by base equivalents. */
export const EQUIV_EXTS = ['zcb', 'zimop', 'zcmop'];

/** The mnemonics this module encodes, for the extensions binutils `as` does not know. */
export const KNOWN = [...ENCODERS.keys()];

/** Splits operands at top-level commas. */
function splitOperands(text) {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const MNEMONIC_RE = new RegExp(
  `(^|[;:\\s])(${[...ENCODERS.keys()].sort((a, b) => b.length - a.length).map((k) => k.replace(/\./g, '\\.')).join('|')})(?=[\\s;]|$)([^;\\n]*)`,
  'gm');

const ASSERT_RE = /tsqemu_assert\s+([^,;\n]+),\s*([^,;\n]+),\s*([^;\n]+);/g;

function isIntReg(name) {
  const n = name.trim().toLowerCase();
  return /^x\d+$/.test(n) || n === 'fp' || ABI_X.includes(n);
}

/**
 * Expands model_test.h's `tsqemu_assert scratch, reg, value;` lines: for an integer register
 * other than the scratch one, compare and on mismatch store a non-zero word in slot k of
 * tsqemu_assert_slots. Returns the text (with the slot table appended) and the asserts.
 */
function expandAsserts(text) {
  const asserts = [];
  let out = text.replace(ASSERT_RE, (all, sreg, reg, value) => {
    if (!isIntReg(reg) || !isIntReg(sreg) || regNum(sreg) === regNum(reg) || regNum(sreg) === 0) return ';';
    const k = asserts.length;
    asserts.push({ reg: reg.trim(), value: value.trim() });
    return `li ${sreg}, ${value}; beq ${sreg}, ${reg}, .Ltsqemu_ok_${k}; la ${sreg}, tsqemu_assert_slots + ${8 * k}; ` +
      `sd ${sreg}, 0(${sreg}); .Ltsqemu_ok_${k}:;`;
  });
  out += `\n.pushsection .data.tsqemu, "aw", @progbits\n.balign 8\n.global tsqemu_assert_slots\ntsqemu_assert_slots:\n` +
    `.zero ${8 * asserts.length}\n.global tsqemu_assert_end\ntsqemu_assert_end:\n.popsection\n`;
  return { text: out, asserts };
}

/**
 * Replaces the mnemonics listed in KNOWN by `.insn` words in cpp output and expands the
 * assert lines. Returns { text, count (instructions rewritten), asserts }.
 */
export function rewriteUnknown(text, equivalents = false) {
  let count = 0;
  const ex = expandAsserts(text);
  const out = ex.text.replace(MNEMONIC_RE, (all, pre, name, ops) => {
    if (equivalents && EQUIV.has(name)) {
      count++;
      return `${pre}${EQUIV.get(name)(splitOperands(ops))}`;
    }
    const enc = ENCODERS.get(name);
    const word = enc.fn(splitOperands(ops));
    count++;
    const hex = word.toString(16).padStart(enc.size * 2, '0');
    return `${pre}.insn 0x${hex}`;
  });
  return { text: out, count, asserts: ex.asserts };
}
