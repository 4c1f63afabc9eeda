// Rows of the unprivileged extensions beyond RV64GC (bit manipulation, Zicond, ...), each with
// the extensions it needs: rows of extensions that are off are left out when the decode trees
// are built (decode-trees.ts), so their encodings stay illegal instructions.
import type { ArgSpec, RowTable } from './decode.js';
import { F, R, SH, SHW, bits } from './insn32-fields.js';
import type { TransFn } from './trans_rvi.js';
import { trans as rvb } from './trans_rvb.js';
import { addZfhRows } from './trans_rvzfh.js';
import { addCryptoRows } from './trans_rvk.js';
import { addZabhaRows } from './trans_rvzabha.js';
import { addVectorCryptoRows } from './vector_helper_crypto.js';
import './cpu-ext-unpriv.js';
import './csr-zkr.js'; // the seed CSR (Zkr)
import { addZcbRows, addZmiscRows32, zmiscMayRaiseIllegal } from './trans_rvzmisc.js';

/** Emitters that may branch to the illegal-instruction label (the block compiler gives their
 * rows an illegal exit of their own). */
export const mayRaiseIllegal = new Set<TransFn>(zmiscMayRaiseIllegal);

const R2: ArgSpec = { rd: F.rd, rs1: F.rs1 };
const OP = '0110011', OPW = '0111011', OPIMM = '0010011', OPIMMW = '0011011';

export function addExtRows32(t: RowTable<TransFn>): void {
  const r = (name: string, f7: number, f3: number, opc: string, trans: TransFn, ext: string, group?: string) =>
    t.add(name, `${bits(f7, 7)} ----- ----- ${bits(f3, 3)} ----- ${opc}`, R, trans, group, ext);
  const unary = (name: string, imm12: number, f3: number, opc: string, trans: TransFn, ext: string) =>
    t.add(name, `${bits(imm12, 12)} ----- ${bits(f3, 3)} ----- ${opc}`, R2, trans, undefined, ext);
  // Zba
  r('sh1add', 0x10, 2, OP, rvb.sh1add, 'zba');
  r('sh2add', 0x10, 4, OP, rvb.sh2add, 'zba');
  r('sh3add', 0x10, 6, OP, rvb.sh3add, 'zba');
  r('add.uw', 0x04, 0, OPW, rvb.add_uw, 'zba');
  r('sh1add.uw', 0x10, 2, OPW, rvb.sh1add_uw, 'zba');
  r('sh2add.uw', 0x10, 4, OPW, rvb.sh2add_uw, 'zba');
  r('sh3add.uw', 0x10, 6, OPW, rvb.sh3add_uw, 'zba');
  t.add('slli.uw', `000010 ------ ----- 001 ----- ${OPIMMW}`, SH, rvb.slli_uw, undefined, 'zba');
  // Zbb (rows shared with Zbkb accept either)
  const bk = 'zbb|zbkb';
  r('andn', 0x20, 7, OP, rvb.andn, bk);
  r('orn', 0x20, 6, OP, rvb.orn, bk);
  r('xnor', 0x20, 4, OP, rvb.xnor, bk);
  unary('clz', 0x600, 1, OPIMM, rvb.clz, 'zbb');
  unary('ctz', 0x601, 1, OPIMM, rvb.ctz, 'zbb');
  unary('cpop', 0x602, 1, OPIMM, rvb.cpop, 'zbb');
  unary('sext.b', 0x604, 1, OPIMM, rvb.sext_b, 'zbb');
  unary('sext.h', 0x605, 1, OPIMM, rvb.sext_h, 'zbb');
  unary('clzw', 0x600, 1, OPIMMW, rvb.clzw, 'zbb');
  unary('ctzw', 0x601, 1, OPIMMW, rvb.ctzw, 'zbb');
  unary('cpopw', 0x602, 1, OPIMMW, rvb.cpopw, 'zbb');
  r('max', 0x05, 6, OP, rvb.max, 'zbb');
  r('maxu', 0x05, 7, OP, rvb.maxu, 'zbb');
  r('min', 0x05, 4, OP, rvb.min, 'zbb');
  r('minu', 0x05, 5, OP, rvb.minu, 'zbb');
  // zext.h is packw rd, rs1, x0: its own row for Zbb, the same result as packw under Zbkb.
  t.add('zext.h', `0000100 00000 ----- 100 ----- ${OPW}`, R2, rvb.zext_h, 'packw', 'zbb');
  r('packw', 0x04, 4, OPW, rvb.packw, 'zbkb', 'packw');
  r('pack', 0x04, 4, OP, rvb.pack, 'zbkb');
  r('packh', 0x04, 7, OP, rvb.packh, 'zbkb');
  r('rol', 0x30, 1, OP, rvb.rol, bk);
  r('ror', 0x30, 5, OP, rvb.ror, bk);
  r('rolw', 0x30, 1, OPW, rvb.rolw, bk);
  r('rorw', 0x30, 5, OPW, rvb.rorw, bk);
  t.add('rori', `011000 ------ ----- 101 ----- ${OPIMM}`, SH, rvb.rori, undefined, bk);
  t.add('roriw', `0110000 ----- ----- 101 ----- ${OPIMMW}`, SHW, rvb.roriw, undefined, bk);
  unary('orc.b', 0x287, 5, OPIMM, rvb.orc_b, 'zbb');
  unary('rev8', 0x6b8, 5, OPIMM, rvb.rev8, bk);
  unary('brev8', 0x687, 5, OPIMM, rvb.brev8, 'zbkb');
  // Zbc / Zbkc
  r('clmul', 0x05, 1, OP, rvb.clmul, 'zbc|zbkc');
  r('clmulh', 0x05, 3, OP, rvb.clmulh, 'zbc|zbkc');
  r('clmulr', 0x05, 2, OP, rvb.clmulr, 'zbc');
  // Zbkx
  r('xperm4', 0x14, 2, OP, rvb.xperm4, 'zbkx');
  r('xperm8', 0x14, 4, OP, rvb.xperm8, 'zbkx');
  // Zbs
  r('bclr', 0x24, 1, OP, rvb.bclr, 'zbs');
  r('bext', 0x24, 5, OP, rvb.bext, 'zbs');
  r('binv', 0x34, 1, OP, rvb.binv, 'zbs');
  r('bset', 0x14, 1, OP, rvb.bset, 'zbs');
  t.add('bclri', `010010 ------ ----- 001 ----- ${OPIMM}`, SH, rvb.bclri, undefined, 'zbs');
  t.add('bexti', `010010 ------ ----- 101 ----- ${OPIMM}`, SH, rvb.bexti, undefined, 'zbs');
  t.add('binvi', `011010 ------ ----- 001 ----- ${OPIMM}`, SH, rvb.binvi, undefined, 'zbs');
  t.add('bseti', `001010 ------ ----- 001 ----- ${OPIMM}`, SH, rvb.bseti, undefined, 'zbs');
  // Zicond
  r('czero.eqz', 0x07, 5, OP, rvb.czero_eqz, 'zicond');
  r('czero.nez', 0x07, 7, OP, rvb.czero_nez, 'zicond');
  addZfhRows(t);
  addZmiscRows32(t);
  addCryptoRows(t);
  addZabhaRows(t);
  addVectorCryptoRows(t);
}

/** The 16-bit rows (Zcb; Zcmop's go into insn16.ts's 'lui' group, see addZcmopRows). */
export function addExtRows16(t: RowTable<TransFn>): void {
  addZcbRows(t);
}
