// htinst/mtinst as QEMU 10.2 writes them (riscv_cpu_do_interrupt, riscv_transformed_insn): for a
// load/store/AMO trap, the trapping instruction "transformed" (a 32-bit form of it with the
// immediate cleared and the rs1 field holding the misalignment of the faulting address within the
// access; compressed forms expanded with bit 1 cleared); for a G-stage fault taken while walking
// the VS-stage tables, the pseudoinstruction 0x3000 (an RV64 implicit read); else 0.
import type { CPURISCVState } from './cpu-state.js';
import { riscvMemoryDebug } from './mmu-debug.js';

/** Causes with a data address (misaligned, access, page and guest-page faults of loads/stores). */
const DATA_CAUSES = new Set([4, 5, 6, 7, 13, 15, 21, 23]);
/** Fetch causes: tinst only for a fault of the VS-stage walk. */
const FETCH_CAUSES = new Set([0, 1, 12, 20]);
const PSEUDO_RV64_READ = 0x3000n;

/** The instruction at pc as the hart fetches it now (null where nothing is mapped). */
function fetchInsn(env: CPURISCVState): number | null {
  const lo = riscvMemoryDebug(env, env.pc, 2, false);
  if (!lo) return null;
  const h = lo[0] | (lo[1] << 8);
  if ((h & 3) !== 3) return h;
  const hi = riscvMemoryDebug(env, env.pc + 2n, 2, false);
  return hi ? (h | (hi[0] << 16) | (hi[1] << 24)) >>> 0 : null;
}

const rs1Of = (i: number): number => (i >>> 15) & 31;

/** QEMU's riscv_transformed_insn for RV64. */
function transformed(env: CPURISCVState, insn: number, taddr: bigint): bigint {
  let x = 0, rs1 = 0, imm = 0, size = 0;
  if ((insn & 3) !== 3) {
    const q = insn & 3, f3 = (insn >>> 13) & 7;
    const rdP = 8 + ((insn >>> 2) & 7), rs1P = 8 + ((insn >>> 7) & 7);
    const immD = (((insn >>> 10) & 7) << 3) | (((insn >>> 5) & 3) << 6);
    const immW = (((insn >>> 10) & 7) << 3) | (((insn >>> 6) & 1) << 2) | (((insn >>> 5) & 1) << 6);
    const rd = (insn >>> 7) & 31, rs2 = (insn >>> 2) & 31;
    const ldspD = (((insn >>> 12) & 1) << 5) | (((insn >>> 5) & 3) << 3) | (((insn >>> 2) & 7) << 6);
    const ldspW = (((insn >>> 12) & 1) << 5) | (((insn >>> 4) & 7) << 2) | (((insn >>> 2) & 3) << 6);
    const sdspD = (((insn >>> 10) & 7) << 3) | (((insn >>> 7) & 7) << 6);
    const sdspW = (((insn >>> 9) & 0xf) << 2) | (((insn >>> 7) & 3) << 6);
    const load = (opc: number, f: number, r: number) => (f << 12) | (r << 7) | opc;
    const store = (opc: number, f: number, r: number) => (f << 12) | (r << 20) | opc;
    if (q === 0) {
      switch (f3) {
        case 1: x = load(0x07, 3, rdP); rs1 = rs1P; imm = immD; size = 8; break; // c.fld
        case 2: x = load(0x03, 2, rdP); rs1 = rs1P; imm = immW; size = 4; break; // c.lw
        case 3: x = load(0x03, 3, rdP); rs1 = rs1P; imm = immD; size = 8; break; // c.ld
        case 5: x = store(0x27, 3, rdP); rs1 = rs1P; imm = immD; size = 8; break; // c.fsd
        case 6: x = store(0x23, 2, rdP); rs1 = rs1P; imm = immW; size = 4; break; // c.sw
        case 7: x = store(0x23, 3, rdP); rs1 = rs1P; imm = immD; size = 8; break; // c.sd
      }
    } else if (q === 2) {
      switch (f3) {
        case 1: x = load(0x07, 3, rd); rs1 = 2; imm = ldspD; size = 8; break; // c.fldsp
        case 2: x = load(0x03, 2, rd); rs1 = 2; imm = ldspW; size = 4; break; // c.lwsp
        case 3: x = load(0x03, 3, rd); rs1 = 2; imm = ldspD; size = 8; break; // c.ldsp
        case 5: x = store(0x27, 3, rs2); rs1 = 2; imm = sdspD; size = 8; break; // c.fsdsp
        case 6: x = store(0x23, 2, rs2); rs1 = 2; imm = sdspW; size = 4; break; // c.swsp
        case 7: x = store(0x23, 3, rs2); rs1 = 2; imm = sdspD; size = 8; break; // c.sdsp
      }
    }
    x &= ~2; // bit 1 clear: the trapping instruction was 16 bits
  } else {
    const opc = insn & 0x7f, f3 = (insn >>> 12) & 7;
    switch (opc) {
      case 0x2f: x = insn; rs1 = rs1Of(insn); size = 1 << f3; break; // AMO
      case 0x03: case 0x07: // loads: I-immediate cleared
        x = insn & 0x000fffff; rs1 = rs1Of(insn); imm = insn >> 20; size = 1 << f3; break;
      case 0x23: case 0x27: // stores: S-immediate cleared
        x = insn & 0x01fff07f; rs1 = rs1Of(insn); imm = ((insn >> 25) << 5) | ((insn >>> 7) & 31); size = 1 << f3; break;
      case 0x73:
        if (f3 === 4) { x = insn; rs1 = rs1Of(insn); size = 1 << (((insn >>> 25) >>> 1) & 3); } // HLV/HSV
        break;
    }
  }
  let out = BigInt(x >>> 0);
  if (size) {
    const base = env.getGpr(rs1) + BigInt(imm);
    const off = BigInt.asUintN(64, taddr - base) & BigInt(size - 1);
    out = (out & ~(31n << 15n)) | (off << 15n);
  }
  return out;
}

/** The tinst value for a synchronous trap (`indirect`: a G-stage fault of the VS-stage walk). */
export function riscvTrapTinst(env: CPURISCVState, cause: number, tval: bigint, indirect: boolean): bigint {
  if (DATA_CAUSES.has(cause)) {
    if (indirect) return PSEUDO_RV64_READ;
    const insn = fetchInsn(env);
    return insn === null ? 0n : transformed(env, insn, tval);
  }
  if (FETCH_CAUSES.has(cause) && indirect) return PSEUDO_RV64_READ;
  return 0n;
}
