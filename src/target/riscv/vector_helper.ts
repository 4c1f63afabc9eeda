// The V extension 1.0 (QEMU's target/riscv/vector_helper.c and the checks of trans_rvv.c.inc):
// generated code calls helperVector(insn) for every vector encoding (trans_rvv.ts); this file
// decodes the class, checks legality, and runs the instruction on the state block (vl, vtype,
// vstart, vxrm, vxsat and 32 registers of VLENB bytes, cpu-state.ts's `vreg`).
//
// Policies as QEMU with its defaults (rvv_ta_all_1s = rvv_ma_all_1s = false): tail and
// masked-off elements are left undisturbed whatever vta/vma say. Loops start at vstart and
// leave vstart = 0; a load/store fault on element k leaves vstart = k (the trap handler
// returns and the instruction resumes there).
import { type CPURISCVState, STATE } from './cpu-state.js';
import { RiscvExcp } from './cpu_bits.js';
import { riscvRaiseException } from './cpu_helper.js';
import { type RISCVCPUConfig, riscvCpuCfg, riscvCpuHas } from './cpu-cfg.js';

export const VREG = STATE.vreg.offset;
const MSTATUS_VS = 0x600;
const VILL = 1n << 63n;

/** Memory hooks the wasm glue gives (cpu.ts): the slow load/store paths (value in scratch). */
export interface VMemHooks {
  /** (lo, hi, memop) -> 0 ok (value in scratch[0]), 1 exception raised. */
  load(lo: number, hi: number, memop: number): number;
  store(lo: number, hi: number, memop: number): number;
  /** Host offset of RAM at (lo, hi) for an access of `kind` (TlbKind), -1 after raising the
   * fault, < -1 for a device page; a store will write `len` bytes from there (same page). */
  xlate(lo: number, hi: number, kind: number, size: number, len: number): number;
}

/** What one vector instruction works with (decoded vtype and the register file). */
export class VCtx {
  env!: CPURISCVState;
  view!: DataView;
  bytes!: Uint8Array;
  /** Absolute byte offset of v0. */
  vr = 0;
  vlenb = 16;
  vl = 0;
  vstart = 0;
  /** SEW in bits and bytes, log2 of LMUL (-3..3), VLMAX. */
  sew = 8;
  esz = 1;
  lmul = 0;
  vlmax = 0;
  vill = false;
  insn = 0;
  mem!: VMemHooks;
  vm = true;
  /** Typed views of the register file from v0 by element width (rebuilt when it moves). */
  private views: (Uint8Array | Uint16Array | Uint32Array | BigUint64Array)[] = [];
  private viewsAt = -1;
  private viewsLen = 0;
  elems(esz: 1): Uint8Array;
  elems(esz: 2): Uint16Array;
  elems(esz: 4): Uint32Array;
  elems(esz: 8): BigUint64Array;
  elems(esz: number): Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
  elems(esz: number): Uint8Array | Uint16Array | Uint32Array | BigUint64Array {
    if (this.viewsAt !== this.vr || this.viewsLen !== this.vlenb || this.views[0]?.buffer !== this.bytes.buffer) {
      const buf = this.bytes.buffer, n = 32 * this.vlenb;
      this.views = [new Uint8Array(buf, this.vr, n), new Uint16Array(buf, this.vr, n / 2),
        new Uint32Array(buf, this.vr, n / 4), new BigUint64Array(buf, this.vr, n / 8)];
      this.viewsAt = this.vr; this.viewsLen = this.vlenb;
    }
    return this.views[esz === 1 ? 0 : esz === 2 ? 1 : esz === 4 ? 2 : 3];
  }

  /** Unsigned element i of the group at register `reg`, `esz` bytes wide. */
  get(reg: number, i: number, esz = this.esz): bigint {
    const o = this.vr + reg * this.vlenb + i * esz;
    switch (esz) {
      case 1: return BigInt(this.bytes[o]);
      case 2: return BigInt(this.view.getUint16(o, true));
      case 4: return BigInt(this.view.getUint32(o, true));
      default: return this.view.getBigUint64(o, true);
    }
  }
  set(reg: number, i: number, v: bigint, esz = this.esz): void {
    const o = this.vr + reg * this.vlenb + i * esz;
    switch (esz) {
      case 1: this.bytes[o] = Number(v & 0xffn); break;
      case 2: this.view.setUint16(o, Number(v & 0xffffn), true); break;
      case 4: this.view.setUint32(o, Number(v & 0xffffffffn), true); break;
      default: this.view.setBigUint64(o, BigInt.asUintN(64, v), true);
    }
  }
  /** Bit i of mask register `reg`. */
  maskBit(reg: number, i: number): boolean {
    return ((this.bytes[this.vr + reg * this.vlenb + (i >> 3)] >> (i & 7)) & 1) !== 0;
  }
  setMaskBit(reg: number, i: number, b: boolean): void {
    const o = this.vr + reg * this.vlenb + (i >> 3);
    this.bytes[o] = b ? this.bytes[o] | (1 << (i & 7)) : this.bytes[o] & ~(1 << (i & 7));
  }
  /** Element i active: unmasked instruction, or v0's bit set. */
  active(i: number): boolean { return this.vm || this.maskBit(0, i); }
  gpr(r: number): bigint { return r === 0 ? 0n : this.env.get64('gpr', r); }
  setGprv(r: number, v: bigint): void { this.env.setGpr(r, BigInt.asUintN(64, v)); }
  /** Registers a group of LMUL 2^l occupies (fractional: 1). */
  regs(l = this.lmul): number { return l > 0 ? 1 << l : 1; }
  /** vlmax for an element width of `esz` bytes and LMUL 2^l. */
  vlmaxOf(esz: number, l: number): number {
    return Math.floor((this.vlenb * 2 ** l) / esz);
  }
}

const ctx = new VCtx();

export function vsEnabled(env: CPURISCVState): boolean {
  return (env.get32('mstatus') & MSTATUS_VS) !== 0;
}

/** Exception thrown inside a helper: the instruction is illegal. */
export class VIllegal extends Error {}
/** Thrown after a load/store raised its exception (vstart already set). */
export class VTrapped extends Error {}

export function illegal(): never { throw new VIllegal(); }
export function need(cond: boolean): void { if (!cond) throw new VIllegal(); }
/** Register `r` aligned to a group of LMUL 2^l and inside the file. */
export function requireAlign(r: number, l: number): void {
  if (l > 0 && (r & ((1 << l) - 1)) !== 0) throw new VIllegal();
}
/** Do register ranges [a, a+na) and [b, b+nb) overlap? */
export function overlap(a: number, na: number, b: number, nb: number): boolean {
  return a < b + nb && b < a + na;
}

/** Largest ELEN the configured extensions give, and whether FP of SEW 32/64 exists. */
interface VCaps { elen: number; f32: boolean; f64: boolean; on: boolean; vlen: number }
let capsCfg: RISCVCPUConfig | null = null;
let capsKey = -1;
let caps: VCaps = { elen: 64, f32: false, f64: false, on: false, vlen: 128 };
/** The configuration's vector capabilities (computed again when -cpu changed it). */
function capsNow(): VCaps {
  const cfg = riscvCpuCfg();
  const key = cfg.ext.size * 1e8 + cfg.vlen * 1e3 + cfg.elen;
  if (cfg !== capsCfg || key !== capsKey) {
    capsCfg = cfg; capsKey = key;
    const on = riscvCpuHas('v') || ['zve32x', 'zve32f', 'zve64x', 'zve64f', 'zve64d'].some((n) => riscvCpuHas(n));
    caps = { ...computeCaps(), on, vlen: riscvCpuHas('v') ? cfg.vlen : Math.max(cfg.vlen, 128) };
  }
  return caps;
}
export function vecCaps(): { elen: number; f32: boolean; f64: boolean } { return capsNow(); }
function computeCaps(): { elen: number; f32: boolean; f64: boolean } {
  const v = riscvCpuHas('v');
  const c = riscvCpuCfg();
  const has = (n: string) => riscvCpuHas(n);
  const e64 = v || has('zve64x') || has('zve64f') || has('zve64d');
  return {
    elen: Math.min(e64 ? 64 : 32, v ? c.elen : 64),
    f32: v || has('zve32f') || has('zve64f') || has('zve64d'),
    f64: v || has('zve64d'),
  };
}
export function vecEnabled(): boolean { return capsNow().on; }
export function vlenOf(): number { return capsNow().vlen; }

type ClassFn = (c: VCtx) => void;
const classes: { ldst?: ClassFn; opi?: ClassFn; opm?: ClassFn; opf?: ClassFn } = {};
/** The instruction classes register themselves (vector_helper_*.ts). */
export function vRegisterClass(name: keyof typeof classes, fn: ClassFn): void { classes[name] = fn; }
/** Vector crypto (Zvbb, Zvbc, Zvk*): answers whether it took the instruction (OP-VE always goes
 * there; an OP-V word only when it is one of its encodings and the extension is on). */
let cryptoClass: ((c: VCtx) => boolean) | null = null;
export function vRegisterCrypto(fn: (c: VCtx) => boolean): void { cryptoClass = fn; }

function load(c: VCtx, env: CPURISCVState, insn: number, mem: VMemHooks): void {
  c.env = env;
  c.view = env.view;
  c.bytes = env.as.bytes;
  c.vr = env.base + VREG;
  c.vlenb = vlenOf() >> 3;
  c.insn = insn;
  c.mem = mem;
  c.vl = env.get32('vl'); // at most VLEN
  c.vstart = env.get32('vstart');
  const vt = env.get32('vtype');
  c.vill = env.get32('vtype', 1) >>> 31 === 1;
  const vsew = (vt >> 3) & 7;
  c.sew = 8 << vsew;
  c.esz = 1 << vsew;
  const lm = vt & 7;
  c.lmul = lm & 4 ? lm - 8 : lm;
  c.vlmax = c.vill ? 0 : c.vlmaxOf(c.esz, c.lmul);
  // vsetvl keeps vl <= VLMAX; a state from elsewhere (a debugger, a snapshot) must not make
  // an element index leave the register group.
  if (c.vl > c.vlmax) c.vl = c.vlmax;
  c.vm = ((insn >>> 25) & 1) === 1;
}

/**
 * Execute vector instruction `insn`. Returns 0 (go on) or 1 (an exception was raised:
 * illegal instruction, or a load/store fault with vstart at the faulting element).
 */
export function helperVector(env: CPURISCVState, insn: number, mem: VMemHooks): number {
  const c = ctx;
  try {
    if (!vecEnabled() || !vsEnabled(env)) illegal();
    load(c, env, insn, mem);
    const opc = insn & 0x7f;
    const f3 = (insn >>> 12) & 7;
    if (opc === 0x07 || opc === 0x27) (classes.ldst as ClassFn)(c);
    else if (f3 === 7 && opc === 0x57) vset(c);
    else {
      if (c.vill) illegal();
      // Vector crypto (vector_helper_crypto.ts): OP-VE, and the OP-V encodings it claims.
      if (opc === 0x77) { if (!cryptoClass?.(c)) illegal(); } else if (cryptoClass?.(c)) { /* done */ } else if (f3 === 0 || f3 === 3 || f3 === 4) (classes.opi as ClassFn)(c);
      else if (f3 === 2 || f3 === 6) (classes.opm as ClassFn)(c);
      else (classes.opf as ClassFn)(c);
    }
    env.set32('vstart', 0);
    env.set32('mstatus', env.get32('mstatus') | MSTATUS_VS);
    return 0;
  } catch (e) {
    if (e instanceof VIllegal) {
      riscvRaiseException(env, RiscvExcp.ILLEGAL_INST, BigInt(insn >>> 0));
      return 1;
    }
    if (e instanceof VTrapped) {
      env.set32('mstatus', env.get32('mstatus') | MSTATUS_VS);
      return 1;
    }
    throw e;
  }
}

/** vsetvli / vsetivli / vsetvl (QEMU's helper_vsetvl). */
function vset(c: VCtx): void {
  const insn = c.insn;
  const rd = (insn >>> 7) & 31, rs1 = (insn >>> 15) & 31;
  let vtype: bigint, avl: bigint;
  const env = c.env;
  if ((insn >>> 31) === 0) {
    vtype = BigInt((insn >>> 20) & 0x7ff);
  } else if (((insn >>> 30) & 3) === 3) {
    vtype = BigInt((insn >>> 20) & 0x3ff);
  } else {
    if (((insn >>> 25) & 0x7f) !== 0x40) illegal();
    vtype = c.gpr((insn >>> 20) & 31);
  }
  if (((insn >>> 30) & 3) === 3) avl = BigInt(rs1);
  else if (rs1 !== 0) avl = c.gpr(rs1);
  else if (rd !== 0) avl = (1n << 64n) - 1n;
  else avl = env.get64('vl');
  const vsew = Number((vtype >> 3n) & 7n);
  const sew = 8 << vsew;
  const lm = Number(vtype & 7n);
  const { elen } = vecCaps();
  let vill = (vtype & VILL) !== 0n || (vtype >> 8n) !== 0n || vsew > 3 || sew > elen || lm === 4;
  if (lm & 4 && elen >> (8 - lm) < sew) vill = true;
  if (vill) {
    env.set64('vtype', VILL);
    env.set64('vl', 0n);
    c.setGprv(rd, 0n);
    return;
  }
  const vlmax = c.vlmaxOf(1 << vsew, lm & 4 ? lm - 8 : lm);
  const vl = avl <= BigInt(vlmax) ? avl : BigInt(vlmax);
  env.set64('vl', vl);
  env.set64('vtype', vtype);
  c.setGprv(rd, vl);
}

// ---- shared pieces of the arithmetic classes -------------------------------------------------

/** Where an arithmetic op's first operand comes from. */
export const enum Src { VV, VX, VI }

/** Sign-extend the low `bits` of v (as a signed BigInt). */
export const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
export const zx = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);

/** Fields of an OP-V word. */
export function fields(insn: number): { f6: number; vd: number; vs1: number; vs2: number; f3: number } {
  return { f6: insn >>> 26, vd: (insn >>> 7) & 31, vs1: (insn >>> 15) & 31, vs2: (insn >>> 20) & 31, f3: (insn >>> 12) & 7 };
}

/** Fixed-point rounding increment (vxrm) for shifting v right by d bits (RVV 3.8.1). */
export function roundBit(vxrm: number, v: bigint, d: number): bigint {
  if (d === 0) return 0n;
  const bit = (x: number) => (v >> BigInt(x)) & 1n;
  const dm1 = bit(d - 1);
  const lowMask = (1n << BigInt(d - 1)) - 1n;
  switch (vxrm) {
    case 0: return dm1; // rnu
    case 1: return dm1 & ((v & lowMask) !== 0n || bit(d) === 1n ? 1n : 0n); // rne
    case 2: return 0n; // rdn
    default: return bit(d) === 0n && (v & ((1n << BigInt(d)) - 1n)) !== 0n ? 1n : 0n; // rod
  }
}
export function setVxsat(c: VCtx): void { c.env.set32('vxsat', 1); }
