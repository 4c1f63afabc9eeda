// Zcmp (cm.push, cm.pop, cm.popret, cm.popretz, cm.mvsa01, cm.mva01s) and Zcmt (cm.jt, cm.jalt
// with the jvt CSR): 16-bit encodings in the c.fsdsp space (quadrant 2, funct3 101), so they
// exist only without Zcd (QEMU refuses Zcmp/Zcmt with Zcd; -cpu rv64,c=false,zca=true,zcmp=true).
// The register list of push/pop is a generation-time constant: one row per rlist value (and per
// s-register pair for the moves), so the interpreter and the block compiler share the emitters.
//   cm.push {ra, s0-sN}, -adj: the list from the highest register down at sp-8, sp-16, ...;
//     then sp -= adj. cm.pop/popret/popretz: the same slots from sp+adj down; sp += adj; a0 = 0
//     (popretz); pc = ra (popret/popretz). adj = 16-byte aligned size of the list + spimm*16.
//   cm.jt/cm.jalt index: pc = mem64[jvt.base + index*8] & ~1 (jalt: ra = pc + 2 first);
//     jvt.mode != 0 is an illegal instruction. The table entry is read as a data load here
//     (QEMU reads it with instruction-fetch permission).
import { type ArgSpec, type Operand, Operand as Op, type RowTable, field } from './decode.js';
import { MemOp } from './translate.js';
import type { TransFn } from './trans_rvi.js';
import { registerRiscvExtension, riscvCpuHas } from './cpu-cfg.js';
import { riscvDefineCsr } from './csr.js';
import { ValType } from '../../tcg/wasm-builder.js';
import { RiscvExcp } from './cpu_bits.js';

registerRiscvExtension({ name: 'zca' });
registerRiscvExtension({ name: 'zcd' });
registerRiscvExtension({ name: 'zcmp' });
registerRiscvExtension({ name: 'zcmt' });

const SP = 2, RA = 1, A0 = 10, A1 = 11;
/** s0..s11 as x registers. */
const SREG = [8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
const c = (v: number): Operand => Op.const(v);

/** rlist 4..15: the registers, lowest number first. */
function rlistRegs(rlist: number): number[] {
  const n = rlist === 15 ? 12 : rlist - 4;
  return [RA, ...SREG.slice(0, n)];
}
function stackAdjBase(rlist: number): number {
  return Math.ceil((rlistRegs(rlist).length * 8) / 16) * 16;
}

const SPIMM = field('2:2', { shl: 4 });

function genPush(rlist: number): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const regs = rlistRegs(rlist);
    const sp = fb.local(ValType.I64);
    ctx.getGpr(c(SP)); fb.set(sp);
    regs.slice().reverse().forEach((r, i) => {
      ctx.genStore(() => { fb.get(sp); fb.i64Const(-8 * (i + 1)); fb.i64Add(); }, MemOp.UQ, () => ctx.getGpr(c(r)));
    });
    ctx.setGpr(c(SP), () => { fb.get(sp); fb.i64Const(stackAdjBase(rlist)); fb.i64Sub(); ctx.i64(a.spimm); fb.i64Sub(); });
    fb.release(sp);
  };
}

function genPop(rlist: number, kind: 'pop' | 'popret' | 'popretz'): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const regs = rlistRegs(rlist);
    const top = fb.local(ValType.I64);
    ctx.getGpr(c(SP)); fb.i64Const(stackAdjBase(rlist)); fb.i64Add(); ctx.i64(a.spimm); fb.i64Add(); fb.set(top);
    const vals = regs.map(() => fb.local(ValType.I64));
    // Every load first, so a fault leaves the registers as they were.
    regs.slice().reverse().forEach((_r, i) => {
      ctx.genLoad(() => { fb.get(top); fb.i64Const(-8 * (i + 1)); fb.i64Add(); }, MemOp.UQ);
      fb.set(vals[regs.length - 1 - i]);
    });
    regs.forEach((r, i) => ctx.setGpr(c(r), () => fb.get(vals[i])));
    ctx.setGpr(c(SP), () => fb.get(top));
    if (kind === 'popretz') ctx.setGpr(c(A0), () => fb.i64Const(0));
    if (kind !== 'pop') ctx.jump(() => { ctx.getGpr(c(RA)); fb.i64Const(-2); fb.i64And(); });
    fb.release(top, ...vals);
  };
}

/** cm.mvsa01 (s1 = a0, s2 = a1) or cm.mva01s (a0 = s1, a1 = s2), the s registers constant. */
function genMove(r1: number, r2: number, toS: boolean): TransFn {
  return (ctx) => {
    const fb = ctx.fb;
    const t = fb.local(ValType.I64), u = fb.local(ValType.I64);
    if (toS) {
      ctx.getGpr(c(A0)); fb.set(t); ctx.getGpr(c(A1)); fb.set(u);
      ctx.setGpr(c(r1), () => fb.get(t)); ctx.setGpr(c(r2), () => fb.get(u));
    } else {
      ctx.getGpr(c(r1)); fb.set(t); ctx.getGpr(c(r2)); fb.set(u);
      ctx.setGpr(c(A0), () => fb.get(t)); ctx.setGpr(c(A1), () => fb.get(u));
    }
    fb.release(t, u);
  };
}

/** cm.jt / cm.jalt: index = a.index (8 bits). */
function genJt(link: boolean): TransFn {
  return (ctx, a) => {
    const fb = ctx.fb;
    const target = fb.local(ValType.I64);
    // jvt.mode != 0: an illegal instruction (raised here: the block compiler's illegal label is
    // only for the rows it knows may use it).
    ctx.getState64('jvt'); fb.i64Const(63); fb.i64And(); fb.i64Eqz(); fb.i32Eqz();
    fb.if_(); ctx.pushInsn(); fb.i64ExtendI32U(); fb.i64Const(0xffff); fb.i64And(); fb.set(target); ctx.raise(RiscvExcp.ILLEGAL_INST, target); fb.end();
    ctx.genLoad(() => { ctx.getState64('jvt'); fb.i64Const(-64); fb.i64And(); ctx.i64(a.index); fb.i64Const(3); fb.i64Shl(); fb.i64Add(); }, MemOp.UQ);
    fb.i64Const(-2); fb.i64And(); fb.set(target);
    if (link) ctx.setGpr(c(RA), () => ctx.pushNextPc());
    ctx.jump(() => fb.get(target));
    fb.release(target);
  };
}

const bits = (n: number, w: number): string => n.toString(2).padStart(w, '0');

/** The rows (insn16.ts calls this after the base rows). */
export function addZceRows(t: RowTable<TransFn>): void {
  const spimm: ArgSpec = { spimm: SPIMM };
  for (let rlist = 4; rlist <= 15; rlist++) {
    const r = bits(rlist, 4);
    t.add('cm.push', `101 11000 ${r} -- 10`, spimm, genPush(rlist), undefined, 'zcmp');
    t.add('cm.pop', `101 11010 ${r} -- 10`, spimm, genPop(rlist, 'pop'), undefined, 'zcmp');
    t.add('cm.popretz', `101 11100 ${r} -- 10`, spimm, genPop(rlist, 'popretz'), undefined, 'zcmp');
    t.add('cm.popret', `101 11110 ${r} -- 10`, spimm, genPop(rlist, 'popret'), undefined, 'zcmp');
  }
  for (let r1 = 0; r1 < 8; r1++) {
    for (let r2 = 0; r2 < 8; r2++) {
      if (r1 === r2) continue; // reserved: illegal
      t.add('cm.mvsa01', `101 011 ${bits(r1, 3)} 01 ${bits(r2, 3)} 10`, {}, genMove(SREG[r1], SREG[r2], true), undefined, 'zcmp');
      t.add('cm.mva01s', `101 011 ${bits(r1, 3)} 11 ${bits(r2, 3)} 10`, {}, genMove(SREG[r1], SREG[r2], false), undefined, 'zcmp');
    }
  }
  t.add('cm.jt', '101 000 000 ----- 10', { index: field('2:5') }, genJt(false), 'zcmt', 'zcmt');
  t.add('cm.jalt', '101 000 -------- 10', { index: field('2:8') }, genJt(true), 'zcmt', 'zcmt');
}

// jvt (0x017): base (63:6) and mode (5:0), as written (QEMU's write_jvt keeps the value; cm.jt
// checks the mode).
riscvDefineCsr(0x017, {
  pred: () => riscvCpuHas('zcmt'),
  read: (env) => env.get64('jvt'),
  write: (env, _n, v) => { env.set64('jvt', v); return 0; },
});
