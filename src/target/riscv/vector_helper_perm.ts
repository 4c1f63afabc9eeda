// Vector reductions, mask instructions and permutations (RVV 14-16): integer reductions,
// vm* mask logic, vcpop/vfirst/vmsbf/vmsif/vmsof/viota/vid, scalar moves, slides, gathers,
// vcompress and whole-register moves. QEMU 7.2 skips an instruction with vl = 0 entirely
// (no write, vstart kept); the moves that ignore vl (vmv.x.s, vmv<nr>r) do not.
import { Src, type VCtx, fields, illegal, overlap, need, requireAlign, sx, vecCaps, zx } from './vector_helper.js';

/** Reduction of SEW elements (OPM funct6 0..7) into vd[0], starting from vs1[0]. */
function reduce(c: VCtx, f6: number, vd: number, vs2: number, vs1: number): void {
  requireAlign(vs2, c.lmul);
  need(c.vstart === 0); // reductions with vstart != 0 are illegal (QEMU's vext_check_reduction)
  if (c.vl === 0) return;
  const s = c.sew;
  let acc = c.get(vs1, 0);
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    const v = c.get(vs2, i);
    switch (f6) {
      case 0: acc = zx(acc + v, s); break;
      case 1: acc &= v; break;
      case 2: acc |= v; break;
      case 3: acc ^= v; break;
      case 4: if (v < acc) acc = v; break;
      case 5: if (sx(v, s) < sx(acc, s)) acc = v; break;
      case 6: if (v > acc) acc = v; break;
      default: if (sx(v, s) > sx(acc, s)) acc = v; break;
    }
  }
  c.set(vd, 0, acc);
}

/** vwredsumu / vwredsum: 2*SEW sum of the SEW elements. */
function wreduce(c: VCtx, signed: boolean, vd: number, vs2: number, vs1: number): void {
  need(c.sew * 2 <= vecCaps().elen && c.lmul < 3);
  requireAlign(vs2, c.lmul);
  need(c.vstart === 0);
  if (c.vl === 0) return;
  const w = c.sew * 2, we = c.esz * 2;
  let acc = c.get(vs1, 0, we);
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    const v = c.get(vs2, i);
    acc = zx(acc + (signed ? sx(v, c.sew) : v), w);
  }
  c.set(vd, 0, acc, we);
}

/** Slides and gathers; `scalar` is the OFFSET/index (x[rs1] or uimm) for .vx/.vi. */
function slideUp(c: VCtx, vd: number, vs2: number, off: bigint): void {
  requireAlign(vd, c.lmul); requireAlign(vs2, c.lmul);
  if (overlap(vd, c.regs(), vs2, c.regs())) illegal();
  if (!c.vm) need(vd !== 0);
  if (c.vl === 0) return;
  const start = off > BigInt(c.vstart) ? off : BigInt(c.vstart);
  for (let i = Number(start < BigInt(c.vl) ? start : BigInt(c.vl)); i < c.vl; i++) {
    if (c.active(i)) c.set(vd, i, c.get(vs2, i - Number(off)));
  }
}
function slideDown(c: VCtx, vd: number, vs2: number, off: bigint): void {
  requireAlign(vd, c.lmul); requireAlign(vs2, c.lmul);
  if (!c.vm) need(vd !== 0);
  if (c.vl === 0) return;
  const vals: bigint[] = [];
  for (let i = c.vstart; i < c.vl; i++) {
    const j = BigInt(i) + off;
    vals.push(j < BigInt(c.vlmax) ? c.get(vs2, Number(j)) : 0n);
  }
  for (let i = c.vstart; i < c.vl; i++) if (c.active(i)) c.set(vd, i, vals[i - c.vstart]);
}
/** vslide1up/vslide1down (and the vfslide1 forms): x is the scalar, SEW-truncated. */
export function slide1(c: VCtx, up: boolean, vd: number, vs2: number, x: bigint): void {
  requireAlign(vd, c.lmul); requireAlign(vs2, c.lmul);
  if (up && overlap(vd, c.regs(), vs2, c.regs())) illegal();
  if (!c.vm) need(vd !== 0);
  if (c.vl === 0) return;
  const vals: bigint[] = [];
  for (let i = c.vstart; i < c.vl; i++) {
    if (up) vals.push(i === 0 ? x : c.get(vs2, i - 1));
    else vals.push(i === c.vl - 1 ? x : c.get(vs2, i + 1));
  }
  for (let i = c.vstart; i < c.vl; i++) if (c.active(i)) c.set(vd, i, vals[i - c.vstart]);
}
function gather(c: VCtx, vd: number, vs2: number, idx: (i: number) => bigint, idxRegs: number, vs1: number | null): void {
  requireAlign(vd, c.lmul); requireAlign(vs2, c.lmul);
  if (overlap(vd, c.regs(), vs2, c.regs())) illegal();
  if (vs1 !== null && overlap(vd, c.regs(), vs1, idxRegs)) illegal();
  if (!c.vm) need(vd !== 0);
  if (c.vl === 0) return;
  for (let i = c.vstart; i < c.vl; i++) {
    if (!c.active(i)) continue;
    const j = idx(i);
    c.set(vd, i, j < BigInt(c.vlmax) ? c.get(vs2, Number(j)) : 0n);
  }
}

export function opiPerm(c: VCtx, f6: number, kind: Src): void {
  const { vd, vs1, vs2 } = fields(c.insn);
  const scalar = kind === Src.VX ? c.gpr(vs1) : BigInt(vs1);
  switch (f6) {
    case 0x0c:
      if (kind === Src.VV) { requireAlign(vs1, c.lmul); gather(c, vd, vs2, (i) => c.get(vs1, i), c.regs(), vs1); } else gather(c, vd, vs2, () => scalar, 0, null);
      return;
    case 0x0e:
      if (kind === Src.VV) { // vrgatherei16.vv
        const il = 4 - Math.log2(c.sew) + c.lmul;
        need(il >= -3 && il <= 3);
        requireAlign(vs1, il);
        gather(c, vd, vs2, (i) => c.get(vs1, i, 2), il > 0 ? 1 << il : 1, vs1);
      } else slideUp(c, vd, vs2, scalar);
      return;
    case 0x0f:
      if (kind === Src.VV) illegal();
      slideDown(c, vd, vs2, scalar);
      return;
    case 0x30: case 0x31:
      if (kind !== Src.VV) illegal();
      wreduce(c, f6 === 0x31, vd, vs2, vs1);
      return;
    case 0x27: { // vmv<nr>r.v
      if (kind !== Src.VI || !c.vm) illegal();
      const nr = vs1 + 1;
      need(nr === 1 || nr === 2 || nr === 4 || nr === 8);
      requireAlign(vd, Math.log2(nr)); requireAlign(vs2, Math.log2(nr));
      const evl = (nr * c.vlenb) / c.esz;
      if (vd === vs2) return;
      for (let i = c.vstart; i < evl; i++) c.set(vd, i, c.get(vs2, i));
      return;
    }
    default:
      illegal();
  }
}

export function opmPerm(c: VCtx, f6: number, kind: Src): void {
  const { vd, vs1, vs2 } = fields(c.insn);
  const vv = kind === Src.VV;
  if (f6 <= 7) { if (!vv) illegal(); reduce(c, f6, vd, vs2, vs1); return; }
  switch (f6) {
    case 0x0e: case 0x0f:
      if (vv) illegal();
      slide1(c, f6 === 0x0e, vd, vs2, zx(c.gpr(vs1), c.sew));
      return;
    case 0x10:
      if (vv) {
        if (vs1 === 0) { // vmv.x.s
          need(c.vm);
          c.setGprv(vd, sx(c.get(vs2, 0), c.sew));
          return;
        }
        if (vs1 === 0x10 || vs1 === 0x11) { // vcpop.m, vfirst.m
          let n = 0, first = -1;
          for (let i = c.vstart; i < c.vl; i++) {
            if (!c.active(i) || !c.maskBit(vs2, i)) continue;
            n++;
            if (first < 0) first = i;
          }
          c.setGprv(vd, BigInt(vs1 === 0x10 ? n : first));
          return;
        }
        illegal();
      }
      if (vs2 !== 0 || !c.vm) illegal(); // vmv.s.x
      if (c.vl > 0 && c.vstart < c.vl) c.set(vd, 0, zx(c.gpr(vs1), c.sew));
      return;
    case 0x14: { // vmsbf, vmsof, vmsif, viota, vid
      if (!vv) illegal();
      if (vs1 === 0x11) { // vid.v
        need(vs2 === 0); requireAlign(vd, c.lmul); if (!c.vm) need(vd !== 0);
        for (let i = c.vstart; i < c.vl; i++) if (c.active(i)) c.set(vd, i, zx(BigInt(i), c.sew));
        return;
      }
      if (vs1 === 0x10) { // viota.m
        requireAlign(vd, c.lmul);
        if (overlap(vd, c.regs(), vs2, 1) || (!c.vm && vd === 0)) illegal();
        if (c.vl === 0) return;
        let sum = 0n;
        for (let i = c.vstart; i < c.vl; i++) {
          if (!c.active(i)) continue;
          c.set(vd, i, zx(sum, c.sew));
          if (c.maskBit(vs2, i)) sum++;
        }
        return;
      }
      if (vs1 !== 1 && vs1 !== 2 && vs1 !== 3) illegal();
      if (vd === vs2 || (!c.vm && vd === 0)) illegal();
      if (c.vl === 0) return;
      let found = false;
      for (let i = c.vstart; i < c.vl; i++) {
        if (!c.active(i)) continue;
        const b = c.maskBit(vs2, i);
        let r: boolean;
        if (vs1 === 1) r = !found && !b; // vmsbf
        else if (vs1 === 3) r = !found; // vmsif
        else r = !found && b; // vmsof
        if (b) found = true;
        c.setMaskBit(vd, i, r);
      }
      return;
    }
    case 0x17: { // vcompress.vm
      if (!vv || !c.vm) illegal();
      requireAlign(vd, c.lmul); requireAlign(vs2, c.lmul);
      if (overlap(vd, c.regs(), vs2, c.regs()) || overlap(vd, c.regs(), vs1, 1)) illegal();
      if (c.vl === 0) return;
      let k = 0;
      for (let i = 0; i < c.vl; i++) if (c.maskBit(vs1, i)) c.set(vd, k++, c.get(vs2, i));
      return;
    }
    default:
      if (f6 >= 0x18 && f6 <= 0x1f) { // mask logical
        if (!vv || !c.vm) illegal();
        if (c.vl === 0) return;
        for (let i = c.vstart; i < c.vl; i++) {
          const a = c.maskBit(vs2, i), b = c.maskBit(vs1, i);
          let r: boolean;
          switch (f6) {
            case 0x18: r = a && !b; break;
            case 0x19: r = a && b; break;
            case 0x1a: r = a || b; break;
            case 0x1b: r = a !== b; break;
            case 0x1c: r = a || !b; break;
            case 0x1d: r = !(a && b); break;
            case 0x1e: r = !(a || b); break;
            default: r = a === b; break;
          }
          c.setMaskBit(vd, i, r);
        }
        return;
      }
      illegal();
  }
}
