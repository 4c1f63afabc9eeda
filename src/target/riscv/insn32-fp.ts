// RV64F/D rows of the 32-bit table (helperFp ops are named by FpOp, fpu_helper.ts).
import type { ArgSpec, RowTable } from './decode.js';
import { FpOp } from './fpu_helper.js';
import { F, I, R, S, bits } from './insn32-fields.js';
import type { TransFn } from './trans_rvi.js';
import { transInline as rvf, genFpHelper } from './trans_rvf.js';
import { genFcmp, genFcvtDW, genFpArith } from './trans_rvf_fast.js';

const R4: ArgSpec = { rd: F.rd, rs1: F.rs1, rs2: F.rs2, rs3: F.rs3, rm: F.rm };
const RRM: ArgSpec = { rd: F.rd, rs1: F.rs1, rs2: F.rs2, rm: F.rm };
const R2RM: ArgSpec = { rd: F.rd, rs1: F.rs1, rm: F.rm };
const R2: ArgSpec = { rd: F.rd, rs1: F.rs1 };

const FP_OPS: Readonly<Record<string, number>> = {
  FMADD_S: FpOp.FMADD_S, FMSUB_S: FpOp.FMSUB_S, FNMSUB_S: FpOp.FNMSUB_S, FNMADD_S: FpOp.FNMADD_S,
  FADD_S: FpOp.FADD_S, FSUB_S: FpOp.FSUB_S, FMUL_S: FpOp.FMUL_S, FDIV_S: FpOp.FDIV_S, FSQRT_S: FpOp.FSQRT_S,
  FMIN_S: FpOp.FMIN_S, FMAX_S: FpOp.FMAX_S, FLE_S: FpOp.FLE_S, FLT_S: FpOp.FLT_S, FEQ_S: FpOp.FEQ_S,
  FCLASS_S: FpOp.FCLASS_S, FCVT_W_S: FpOp.FCVT_W_S, FCVT_S_W: FpOp.FCVT_S_W, FCVT_WU_S: FpOp.FCVT_WU_S,
  FCVT_S_WU: FpOp.FCVT_S_WU, FCVT_L_S: FpOp.FCVT_L_S, FCVT_S_L: FpOp.FCVT_S_L, FCVT_LU_S: FpOp.FCVT_LU_S,
  FCVT_S_LU: FpOp.FCVT_S_LU, FMADD_D: FpOp.FMADD_D, FMSUB_D: FpOp.FMSUB_D, FNMSUB_D: FpOp.FNMSUB_D,
  FNMADD_D: FpOp.FNMADD_D, FADD_D: FpOp.FADD_D, FSUB_D: FpOp.FSUB_D, FMUL_D: FpOp.FMUL_D,
  FDIV_D: FpOp.FDIV_D, FSQRT_D: FpOp.FSQRT_D, FMIN_D: FpOp.FMIN_D, FMAX_D: FpOp.FMAX_D, FLE_D: FpOp.FLE_D,
  FLT_D: FpOp.FLT_D, FEQ_D: FpOp.FEQ_D, FCLASS_D: FpOp.FCLASS_D, FCVT_W_D: FpOp.FCVT_W_D,
  FCVT_D_W: FpOp.FCVT_D_W, FCVT_WU_D: FpOp.FCVT_WU_D, FCVT_D_WU: FpOp.FCVT_D_WU, FCVT_L_D: FpOp.FCVT_L_D,
  FCVT_D_L: FpOp.FCVT_D_L, FCVT_LU_D: FpOp.FCVT_LU_D, FCVT_D_LU: FpOp.FCVT_D_LU, FCVT_S_D: FpOp.FCVT_S_D,
  FCVT_D_S: FpOp.FCVT_D_S,
};

export function addFpRows(t: RowTable<TransFn>): void {
  t.add('flw', '------------ ----- 010 ----- 0000111', I, rvf.flw);
  t.add('fld', '------------ ----- 011 ----- 0000111', I, rvf.fld);
  t.add('fsw', '------- ----- ----- 010 ----- 0100111', S, rvf.fsw);
  t.add('fsd', '------- ----- ----- 011 ----- 0100111', S, rvf.fsd);
  for (const [sfx, fmt] of [['s', '00'], ['d', '01']] as const) {
    const D = sfx === 'd';
    const fma = [['fmadd', '1000011'], ['fmsub', '1000111'], ['fnmsub', '1001011'], ['fnmadd', '1001111']] as const;
    for (const [n, opc] of fma) t.add(`${n}.${sfx}`, `----- ${fmt} ----- ----- --- ----- ${opc}`, R4, genFpArith(fpOp(n, sfx), n.slice(1) as 'madd', !D));
    const arith = [['fadd', '00000'], ['fsub', '00001'], ['fmul', '00010'], ['fdiv', '00011']] as const;
    for (const [n, f5] of arith) t.add(`${n}.${sfx}`, `${f5} ${fmt} ----- ----- --- ----- 1010011`, RRM, genFpArith(fpOp(n, sfx), n.slice(1) as 'add', !D));
    t.add(`fsqrt.${sfx}`, `01011 ${fmt} 00000 ----- --- ----- 1010011`, R2RM, genFpArith(fpOp('fsqrt', sfx), 'sqrt', !D));
    const sg = [['fsgnj', '000'], ['fsgnjn', '001'], ['fsgnjx', '010']] as const;
    for (const [n, f3] of sg) t.add(`${n}.${sfx}`, `00100 ${fmt} ----- ----- ${f3} ----- 1010011`, R, rvf[`${n}_${sfx}`]);
    t.add(`fmin.${sfx}`, `00101 ${fmt} ----- ----- 000 ----- 1010011`, R, genFpHelper(fpOp('fmin', sfx), true));
    t.add(`fmax.${sfx}`, `00101 ${fmt} ----- ----- 001 ----- 1010011`, R, genFpHelper(fpOp('fmax', sfx), true));
    const cmp = [['fle', '000'], ['flt', '001'], ['feq', '010']] as const;
    for (const [n, f3] of cmp) t.add(`${n}.${sfx}`, `10100 ${fmt} ----- ----- ${f3} ----- 1010011`, R, genFcmp(fpOp(n, sfx), n.slice(1) as 'eq', !D));
    t.add(`fclass.${sfx}`, `11100 ${fmt} 00000 ----- 001 ----- 1010011`, R2, genFpHelper(fpOp('fclass', sfx), false));
    const ints = ['w', 'wu', 'l', 'lu'] as const;
    ints.forEach((it, i) => {
      t.add(`fcvt.${it}.${sfx}`, `11000 ${fmt} ${bits(i, 5)} ----- --- ----- 1010011`, R2RM, genFpHelper(fpOp(`fcvt_${it}`, sfx), true));
      const toD = D && (it === 'w' || it === 'wu');
      t.add(`fcvt.${sfx}.${it}`, `11010 ${fmt} ${bits(i, 5)} ----- --- ----- 1010011`, R2RM,
        toD ? genFcvtDW(fpOp(`fcvt_${sfx}`, it), it === 'wu') : genFpHelper(fpOp(`fcvt_${sfx}`, it), true));
    });
    t.add(`fmv.x.${D ? 'd' : 'w'}`, `11100 ${fmt} 00000 ----- 000 ----- 1010011`, R2, D ? rvf.fmv_x_d : rvf.fmv_x_w);
    t.add(`fmv.${D ? 'd' : 'w'}.x`, `11110 ${fmt} 00000 ----- 000 ----- 1010011`, R2, D ? rvf.fmv_d_x : rvf.fmv_w_x);
  }
  t.add('fcvt.s.d', '01000 00 00001 ----- --- ----- 1010011', R2RM, genFpHelper(FpOp.FCVT_S_D, true));
  t.add('fcvt.d.s', '01000 01 00000 ----- --- ----- 1010011', R2RM, genFpHelper(FpOp.FCVT_D_S, true));
}

/** FpOp member for mnemonic prefix + suffix ("fadd", "s" -> FpOp.FADD_S). */
function fpOp(name: string, sfx: string): number {
  const key = `${name}_${sfx}`.toUpperCase();
  const v = FP_OPS[key];
  if (v === undefined) throw new Error(`no FpOp ${key}`);
  return v;
}

