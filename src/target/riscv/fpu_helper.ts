// RISC-V F and D instructions that need more than bit moves (QEMU's target/riscv/fpu_helper.c):
// generated code calls helperFp() with the operation and the register numbers; it reads the
// operands from the state block (singles must be NaN-boxed, else they read as the canonical NaN),
// resolves the rounding mode, writes the result (singles NaN-boxed, 32-bit integers
// sign-extended, x0 never) and accrues fflags. Loads/stores, fmv.* and fsgnj* are inlined by
// the translator and never come here.
import { CPURISCVState, STATE } from './cpu-state.js';
import { FP_EXT_BASE, helperFpExt } from './fpu_helper_ext.js';
import {
  FloatStatus, F32_DEFAULT_NAN, float32Add, float32Div, float32MulAdd, float32Mul, float32Sqrt, float32Sub,
  float64Add, float64Div, float64MulAdd, float64Mul, float64Sqrt, float64Sub,
} from '../../fpu/softfloat.js';
import {
  float32Class, float32Eq, float32Le, float32Lt, float32MinMax, float64Class, float64Eq, float64Le,
  float64Lt, float64MinMax,
} from '../../fpu/softfloat-compare.js';
import {
  float32ToFloat64, float32ToInt32, float32ToInt64, float32ToUint32, float32ToUint64, float64ToFloat32,
  float64ToInt32, float64ToInt64, float64ToUint32, float64ToUint64, i64Out, int32ToFloat32,
  int64ToFloat32, int64ToFloat64,
} from '../../fpu/softfloat-conv.js';

/** The operations helperFp implements, named after the mnemonics (fadd.s -> FADD_S). */
export const enum FpOp {
  FADD_S, FSUB_S, FMUL_S, FDIV_S, FSQRT_S, FMIN_S, FMAX_S,
  FMADD_S, FMSUB_S, FNMSUB_S, FNMADD_S, FEQ_S, FLT_S, FLE_S, FCLASS_S,
  FCVT_W_S, FCVT_WU_S, FCVT_L_S, FCVT_LU_S, FCVT_S_W, FCVT_S_WU, FCVT_S_L, FCVT_S_LU,
  FADD_D, FSUB_D, FMUL_D, FDIV_D, FSQRT_D, FMIN_D, FMAX_D,
  FMADD_D, FMSUB_D, FNMSUB_D, FNMADD_D, FEQ_D, FLT_D, FLE_D, FCLASS_D,
  FCVT_W_D, FCVT_WU_D, FCVT_L_D, FCVT_LU_D, FCVT_D_W, FCVT_D_WU, FCVT_D_L, FCVT_D_LU,
  FCVT_S_D, FCVT_D_S,
}

/** Mnemonics in FpOp order (FP_OP_NAMES[FpOp.FADD_S] === 'fadd.s'), for tests and disassembly. */
export const FP_OP_NAMES: readonly string[] = [
  'fadd.s', 'fsub.s', 'fmul.s', 'fdiv.s', 'fsqrt.s', 'fmin.s', 'fmax.s',
  'fmadd.s', 'fmsub.s', 'fnmsub.s', 'fnmadd.s', 'feq.s', 'flt.s', 'fle.s', 'fclass.s',
  'fcvt.w.s', 'fcvt.wu.s', 'fcvt.l.s', 'fcvt.lu.s', 'fcvt.s.w', 'fcvt.s.wu', 'fcvt.s.l', 'fcvt.s.lu',
  'fadd.d', 'fsub.d', 'fmul.d', 'fdiv.d', 'fsqrt.d', 'fmin.d', 'fmax.d',
  'fmadd.d', 'fmsub.d', 'fnmsub.d', 'fnmadd.d', 'feq.d', 'flt.d', 'fle.d', 'fclass.d',
  'fcvt.w.d', 'fcvt.wu.d', 'fcvt.l.d', 'fcvt.lu.d', 'fcvt.d.w', 'fcvt.d.wu', 'fcvt.d.l', 'fcvt.d.lu',
  'fcvt.s.d', 'fcvt.d.s',
];

const FPR = STATE.fpr.offset;
const GPR = STATE.gpr.offset;
const FFLAGS = STATE.fflags.offset;
const FRM = STATE.frm.offset;
const RM_DYN = 7;

const status = new FloatStatus();

/** Operations whose funct3 is not a rounding mode (it selects the operation). */
function hasNoRm(op: FpOp): boolean {
  switch (op) {
    case FpOp.FMIN_S: case FpOp.FMAX_S: case FpOp.FEQ_S: case FpOp.FLT_S: case FpOp.FLE_S: case FpOp.FCLASS_S:
    case FpOp.FMIN_D: case FpOp.FMAX_D: case FpOp.FEQ_D: case FpOp.FLT_D: case FpOp.FLE_D: case FpOp.FCLASS_D:
      return true;
    default:
      return false;
  }
}

function readS(env: CPURISCVState, r: number): number {
  const o = env.base + FPR + r * 8;
  return env.view.getUint32(o + 4, true) === 0xffffffff ? env.view.getUint32(o, true) : F32_DEFAULT_NAN;
}
function readD(env: CPURISCVState, r: number): number {
  return env.view.getFloat64(env.base + FPR + r * 8, true);
}
function writeS(env: CPURISCVState, r: number, bits: number): void {
  const o = env.base + FPR + r * 8;
  env.view.setUint32(o, bits, true);
  env.view.setUint32(o + 4, 0xffffffff, true);
}
function writeD(env: CPURISCVState, r: number, x: number): void {
  const o = env.base + FPR + r * 8;
  if (x !== x) { // the canonical NaN, whatever NaN the host produced
    env.view.setUint32(o, 0, true);
    env.view.setUint32(o + 4, 0x7ff80000, true);
  } else {
    env.view.setFloat64(o, x, true);
  }
}
/** x[r] = sign-extended 32-bit value v (int32 or uint32 range). */
function writeX32(env: CPURISCVState, r: number, v: number): void {
  if (r === 0) return;
  const o = env.base + GPR + r * 8;
  env.view.setInt32(o, v | 0, true);
  env.view.setInt32(o + 4, (v | 0) >> 31, true);
}
function writeX64(env: CPURISCVState, r: number): void {
  if (r === 0) return;
  const o = env.base + GPR + r * 8;
  env.view.setUint32(o, i64Out.lo, true);
  env.view.setUint32(o + 4, i64Out.hi, true);
}
function gprLo(env: CPURISCVState, r: number): number {
  return env.view.getUint32(env.base + GPR + r * 8, true);
}
function gprHi(env: CPURISCVState, r: number): number {
  return env.view.getUint32(env.base + GPR + r * 8 + 4, true);
}

/**
 * Execute one F/D operation. rm is the instruction's rm field (7 = dynamic, from frm); returns
 * false, changing nothing, when the rounding mode is reserved (the caller raises illegal
 * instruction). rm is ignored by operations without a rounding-mode field (fmin, feq, fclass...).
 */
export function helperFp(env: CPURISCVState, op: FpOp, rd: number, rs1: number, rs2: number, rs3: number,
  rm: number): boolean {
  if (op >= FP_EXT_BASE) return helperFpExt(env, op, rd, rs1, rs2, rs3, rm); // Zfh, Zfa
  if (rm === RM_DYN) rm = env.view.getUint32(env.base + FRM, true);
  if (rm > 4 && !hasNoRm(op)) return false;
  const s = status;
  s.roundingMode = rm;
  s.flags = 0;
  if (op <= FpOp.FCVT_S_LU) single(env, op, rd, rs1, rs2, rs3, s);
  else double(env, op, rd, rs1, rs2, rs3, s);
  if (s.flags !== 0) {
    const o = env.base + FFLAGS;
    env.view.setUint32(o, env.view.getUint32(o, true) | s.flags, true);
  }
  return true;
}

function single(env: CPURISCVState, op: FpOp, rd: number, rs1: number, rs2: number, rs3: number,
  s: FloatStatus): void {
  switch (op) {
    case FpOp.FADD_S: return writeS(env, rd, float32Add(readS(env, rs1), readS(env, rs2), s));
    case FpOp.FSUB_S: return writeS(env, rd, float32Sub(readS(env, rs1), readS(env, rs2), s));
    case FpOp.FMUL_S: return writeS(env, rd, float32Mul(readS(env, rs1), readS(env, rs2), s));
    case FpOp.FDIV_S: return writeS(env, rd, float32Div(readS(env, rs1), readS(env, rs2), s));
    case FpOp.FSQRT_S: return writeS(env, rd, float32Sqrt(readS(env, rs1), s));
    case FpOp.FMIN_S: return writeS(env, rd, float32MinMax(readS(env, rs1), readS(env, rs2), false, s));
    case FpOp.FMAX_S: return writeS(env, rd, float32MinMax(readS(env, rs1), readS(env, rs2), true, s));
    case FpOp.FMADD_S: case FpOp.FMSUB_S: case FpOp.FNMSUB_S: case FpOp.FNMADD_S:
      return writeS(env, rd, float32MulAdd(readS(env, rs1), readS(env, rs2), readS(env, rs3),
        op === FpOp.FNMSUB_S || op === FpOp.FNMADD_S, op === FpOp.FMSUB_S || op === FpOp.FNMADD_S, s));
    case FpOp.FEQ_S: return writeX32(env, rd, float32Eq(readS(env, rs1), readS(env, rs2), s) ? 1 : 0);
    case FpOp.FLT_S: return writeX32(env, rd, float32Lt(readS(env, rs1), readS(env, rs2), s) ? 1 : 0);
    case FpOp.FLE_S: return writeX32(env, rd, float32Le(readS(env, rs1), readS(env, rs2), s) ? 1 : 0);
    case FpOp.FCLASS_S: return writeX32(env, rd, float32Class(readS(env, rs1)));
    case FpOp.FCVT_W_S: return writeX32(env, rd, float32ToInt32(readS(env, rs1), s));
    case FpOp.FCVT_WU_S: return writeX32(env, rd, float32ToUint32(readS(env, rs1), s));
    case FpOp.FCVT_L_S: float32ToInt64(readS(env, rs1), s); return writeX64(env, rd);
    case FpOp.FCVT_LU_S: float32ToUint64(readS(env, rs1), s); return writeX64(env, rd);
    case FpOp.FCVT_S_W: return writeS(env, rd, int32ToFloat32(gprLo(env, rs1) | 0, s));
    case FpOp.FCVT_S_WU: return writeS(env, rd, int32ToFloat32(gprLo(env, rs1), s));
    case FpOp.FCVT_S_L: return writeS(env, rd, int64ToFloat32(gprHi(env, rs1) | 0, gprLo(env, rs1), s));
    case FpOp.FCVT_S_LU: return writeS(env, rd, int64ToFloat32(gprHi(env, rs1), gprLo(env, rs1), s));
    default: return;
  }
}

function double(env: CPURISCVState, op: FpOp, rd: number, rs1: number, rs2: number, rs3: number,
  s: FloatStatus): void {
  switch (op) {
    case FpOp.FADD_D: return writeD(env, rd, float64Add(readD(env, rs1), readD(env, rs2), s));
    case FpOp.FSUB_D: return writeD(env, rd, float64Sub(readD(env, rs1), readD(env, rs2), s));
    case FpOp.FMUL_D: return writeD(env, rd, float64Mul(readD(env, rs1), readD(env, rs2), s));
    case FpOp.FDIV_D: return writeD(env, rd, float64Div(readD(env, rs1), readD(env, rs2), s));
    case FpOp.FSQRT_D: return writeD(env, rd, float64Sqrt(readD(env, rs1), s));
    case FpOp.FMIN_D: return writeD(env, rd, float64MinMax(readD(env, rs1), readD(env, rs2), false, s));
    case FpOp.FMAX_D: return writeD(env, rd, float64MinMax(readD(env, rs1), readD(env, rs2), true, s));
    case FpOp.FMADD_D: case FpOp.FMSUB_D: case FpOp.FNMSUB_D: case FpOp.FNMADD_D:
      return writeD(env, rd, float64MulAdd(readD(env, rs1), readD(env, rs2), readD(env, rs3),
        op === FpOp.FNMSUB_D || op === FpOp.FNMADD_D, op === FpOp.FMSUB_D || op === FpOp.FNMADD_D, s));
    case FpOp.FEQ_D: return writeX32(env, rd, float64Eq(readD(env, rs1), readD(env, rs2), s) ? 1 : 0);
    case FpOp.FLT_D: return writeX32(env, rd, float64Lt(readD(env, rs1), readD(env, rs2), s) ? 1 : 0);
    case FpOp.FLE_D: return writeX32(env, rd, float64Le(readD(env, rs1), readD(env, rs2), s) ? 1 : 0);
    case FpOp.FCLASS_D: return writeX32(env, rd, float64Class(readD(env, rs1)));
    case FpOp.FCVT_W_D: return writeX32(env, rd, float64ToInt32(readD(env, rs1), s));
    case FpOp.FCVT_WU_D: return writeX32(env, rd, float64ToUint32(readD(env, rs1), s));
    case FpOp.FCVT_L_D: float64ToInt64(readD(env, rs1), s); return writeX64(env, rd);
    case FpOp.FCVT_LU_D: float64ToUint64(readD(env, rs1), s); return writeX64(env, rd);
    case FpOp.FCVT_D_W: return writeD(env, rd, gprLo(env, rs1) | 0);
    case FpOp.FCVT_D_WU: return writeD(env, rd, gprLo(env, rs1));
    case FpOp.FCVT_D_L: return writeD(env, rd, int64ToFloat64(gprHi(env, rs1) | 0, gprLo(env, rs1), s));
    case FpOp.FCVT_D_LU: return writeD(env, rd, int64ToFloat64(gprHi(env, rs1), gprLo(env, rs1), s));
    case FpOp.FCVT_S_D: return writeS(env, rd, float64ToFloat32(readD(env, rs1), s));
    case FpOp.FCVT_D_S: return writeD(env, rd, float32ToFloat64(readS(env, rs1), s));
    default: return;
  }
}

