// Vector loads and stores (RVV 7): unit-stride, strided, indexed (ordered and unordered),
// segments (nf fields), whole registers, mask (vlm/vsm) and fault-only-first. Every element
// goes through the scalar slow path (cpu-ldst.ts: TLB, page walk, PMP, MMIO, page crossing);
// a fault on element k leaves vstart = k, so the instruction resumes there after the trap.
// While an Sdtrig trigger is armed each active element is checked against the load/store
// triggers before its access (QEMU's watchpoints on its element loop): a match raises the
// breakpoint with vstart = that element, the ones before it done.
import { STATE } from './cpu-state.js';
import { riscvUpdateMmuIdx } from './cpu_helper.js';
import { riscvPmAdjust } from './pointer-masking.js';
import { riscvCheckMemTrigger, riscvTriggersArmed, riscvTriggersUsed } from './debug.js';
import {
  type VCtx, VTrapped, illegal, overlap, need, requireAlign, vecCaps, vRegisterClass,
} from './vector_helper.js';

const SCRATCH = STATE.scratch.offset;
const TLB_LOAD = 0, TLB_STORE = 1;
const WIDTH_EEW: Readonly<Record<number, number>> = { 0: 1, 5: 2, 6: 4, 7: 8 };

/** Trap state a fault-only-first load restores when element k > 0 faults (no trap then). */
const TRAP_FIELDS64 = ['pc', 'mstatus', 'mcause', 'mepc', 'mtval', 'scause', 'sepc', 'stval'] as const;

function addrAt(c: VCtx, base: bigint, off: bigint): [number, number] {
  const a = riscvPmAdjust(c.env, BigInt.asUintN(64, base + off));
  return [Number(a & 0xffffffffn) | 0, Number(a >> 32n) | 0];
}

/** Load esz bytes at base+off into element i of register group `reg`; false after a fault. */
function ldElem(c: VCtx, base: bigint, off: bigint, reg: number, i: number, esz: number): boolean {
  const [lo, hi] = addrAt(c, base, off);
  if (c.mem.load(lo, hi, Math.log2(esz)) !== 0) return false;
  const o = c.vr + reg * c.vlenb + i * esz;
  c.bytes.copyWithin(o, c.env.base + SCRATCH, c.env.base + SCRATCH + esz);
  return true;
}
function stElem(c: VCtx, base: bigint, off: bigint, reg: number, i: number, esz: number): boolean {
  const [lo, hi] = addrAt(c, base, off);
  const o = c.vr + reg * c.vlenb + i * esz;
  c.bytes.copyWithin(c.env.base + SCRATCH, o, o + esz);
  return c.mem.store(lo, hi, Math.log2(esz)) === 0;
}

function fault(c: VCtx, i: number): never {
  c.env.set32('vstart', i);
  throw new VTrapped();
}

/** Triggers armed for the instruction being run (ldst() sets it). */
let trig = false;
/** Element i's access of esz bytes at base+off: a matching trigger raises its breakpoint. */
function trigAt(c: VCtx, base: bigint, off: bigint, esz: number, store: boolean, i: number): void {
  if (riscvCheckMemTrigger(c.env, riscvPmAdjust(c.env, BigInt.asUintN(64, base + off)), esz, !store, store)) fault(c, i);
}

function ldst(c: VCtx): void {
  const insn = c.insn;
  const store = (insn & 0x7f) === 0x27;
  const vd = (insn >>> 7) & 31, rs1 = (insn >>> 15) & 31, rs2 = (insn >>> 20) & 31;
  const width = (insn >>> 12) & 7;
  const nf = ((insn >>> 29) & 7) + 1;
  const mew = (insn >>> 28) & 1;
  const mop = (insn >>> 26) & 3;
  const eew = WIDTH_EEW[width];
  if (mew || eew === undefined) illegal();
  if (eew * 8 > vecCaps().elen) illegal();
  const base = c.gpr(rs1);
  const esz = c.esz;
  trig = riscvTriggersUsed.any && riscvTriggersArmed(c.env);

  if (mop === 0 && rs2 === 8) { // whole registers: vl<nf>re<eew>.v / vs<nf>r.v
    need(nf === 1 || nf === 2 || nf === 4 || nf === 8);
    if (store) need(width === 0);
    requireAlign(vd, Math.log2(nf));
    unitStride(c, base, vd, eew, (c.vlenb / eew) * nf, store, true);
    return;
  }
  if (c.vill) illegal();
  if (mop === 0 && rs2 === 11) { // vlm.v / vsm.v: ceil(vl/8) bytes, unmasked
    need(eew === 1 && nf === 1 && c.vm);
    unitStride(c, base, vd, 1, Math.ceil(c.vl / 8), store, true);
    return;
  }
  const indexed = mop === 1 || mop === 3;
  // Data EMUL: SEW/LMUL for indexed, EEW/SEW*LMUL otherwise; the index vector uses EEW.
  const dl = indexed ? c.lmul : Math.log2(eew) - Math.log2(esz) + c.lmul;
  const il = Math.log2(eew) - Math.log2(esz) + c.lmul;
  need(dl >= -3 && dl <= 3 && (!indexed || (il >= -3 && il <= 3)));
  const dregs = dl > 0 ? 1 << dl : 1;
  need(dregs * nf <= 8 && vd + dregs * nf <= 32);
  requireAlign(vd, dl);
  if (!c.vm && !store) need(vd !== 0);
  const desz = indexed ? esz : eew;
  if (indexed) {
    requireAlign(rs2, il);
    const iregs = il > 0 ? 1 << il : 1;
    if (!store) {
      // Destination and index may overlap only as the spec's widening/narrowing rules allow.
      const ok = (vd === rs2 && eew >= esz) || !overlap(vd, dregs, rs2, iregs) ||
        (dregs > iregs && rs2 + iregs === vd + dregs);
      if (!ok || (nf > 1 && overlap(vd, dregs * nf, rs2, iregs))) illegal();
    }
  }
  if (mop === 0 && rs2 !== 0 && rs2 !== 16) illegal();
  if (store && mop === 0 && rs2 === 16) illegal();
  const ff = !store && mop === 0 && rs2 === 16;
  if (mop === 0 && nf === 1 && !ff) { unitStride(c, base, vd, eew, c.vl, store, c.vm); return; }
  const stride = mop === 2 ? BigInt.asIntN(64, c.gpr(rs2)) : 0n;
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    let off: bigint;
    if (mop === 0) off = BigInt(i * nf * desz);
    else if (mop === 2) off = BigInt(i) * stride;
    else off = c.get(rs2, i, eew);
    for (let f = 0; f < nf; f++) {
      const o = off + BigInt(f * desz);
      const reg = vd + f * dregs;
      if (trig) trigAt(c, base, o, desz, store, i);
      if (store) { if (!stElem(c, base, o, reg, i, desz)) fault(c, i); continue; }
      if (ff && i > 0) {
        if (!probeLoad(c, base, o, reg, i, desz)) { c.env.set64('vl', BigInt(i)); return; }
      } else if (!ldElem(c, base, o, reg, i, desz)) fault(c, i);
    }
  }
}

/**
 * Unit-stride elements vstart..evl-1 of `esz` bytes at base: a page at a time, translated once
 * and copied directly when it is RAM (the first active element of a page that faults gets
 * vstart); elements straddling pages and device pages go element by element.
 */
function unitStride(c: VCtx, base: bigint, vd: number, esz: number, evl: number, store: boolean, vm: boolean): void {
  const kind = store ? TLB_STORE : TLB_LOAD;
  const bytes = c.bytes;
  let i = c.vstart;
  if (trig) { // element by element, each checked first
    for (; i < evl; i++) {
      if (!vm && !c.maskBit(0, i)) continue;
      trigAt(c, base, BigInt(i * esz), esz, store, i);
      const ok = store ? stElem(c, base, BigInt(i * esz), vd, i, esz) : ldElem(c, base, BigInt(i * esz), vd, i, esz);
      if (!ok) fault(c, i);
    }
    return;
  }
  const baseLo = Number(base & 0xfffn);
  while (i < evl) {
    const pageLeft = 4096 - ((baseLo + i * esz) & 0xfff);
    const n = Math.min(evl - i, Math.floor(pageLeft / esz));
    if (n === 0) { // straddles two pages
      if (vm || c.maskBit(0, i)) {
        const ok = store ? stElem(c, base, BigInt(i * esz), vd, i, esz) : ldElem(c, base, BigInt(i * esz), vd, i, esz);
        if (!ok) fault(c, i);
      }
      i++;
      continue;
    }
    let first = i;
    if (!vm) while (first < i + n && !c.maskBit(0, first)) first++;
    if (first < i + n) {
      const [lo, hi] = addrAt(c, base, BigInt(first * esz));
      const host = c.mem.xlate(lo, hi, kind, esz, (i + n - first) * esz);
      if (host === -1) fault(c, first);
      if (host < 0) {
        for (let k = first; k < i + n; k++) {
          if (!vm && !c.maskBit(0, k)) continue;
          const ok = store ? stElem(c, base, BigInt(k * esz), vd, k, esz) : ldElem(c, base, BigInt(k * esz), vd, k, esz);
          if (!ok) fault(c, k);
        }
      } else {
        const reg = c.vr + vd * c.vlenb;
        for (let k = first; k < i + n;) {
          // a run of active elements
          let e = k;
          while (e < i + n && (vm || c.maskBit(0, e))) e++;
          if (e > k) {
            const h = host + (k - first) * esz, r = reg + k * esz, len = (e - k) * esz;
            if (store) bytes.copyWithin(h, r, r + len); else bytes.copyWithin(r, h, h + len);
          }
          k = e;
          while (k < i + n && !vm && !c.maskBit(0, k)) k++;
        }
      }
    }
    i += n;
  }
}

/** A fault-only-first element after the first: a fault trims vl instead of trapping, so the
 * trap the slow path raised is undone (trap CSRs, privilege, pc). */
function probeLoad(c: VCtx, base: bigint, off: bigint, reg: number, i: number, esz: number): boolean {
  const env = c.env;
  const saved = TRAP_FIELDS64.map((f) => env.get64(f));
  const priv = env.priv, exc = env.exceptions, exitReq = env.get32('exit_request');
  if (ldElem(c, base, off, reg, i, esz)) return true;
  TRAP_FIELDS64.forEach((f, k) => env.set64(f, saved[k]));
  env.priv = priv;
  env.exceptions = exc;
  env.set32('exit_request', exitReq);
  riscvUpdateMmuIdx(env);
  return false;
}

vRegisterClass('ldst', ldst);
