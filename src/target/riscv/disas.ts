// A disassembler over the same decode tables (for -d in_asm): mnemonic from the row, operands
// from its fields, ABI register names. Format after QEMU's riscv disassembler output.
import { type Row, constArgs, decodeWith } from './decode.js';
import { riscvDecodeTrees } from './decode-trees.js';
import type { TransFn } from './trans_rvi.js';
import { csrName } from './csr-names.js';

const XREG = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const FREG = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4',
  'fa5', 'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];

/** Decode one instruction word (the low 16 bits are used for RVC). */
export function riscvDecode(insn: number): Row<TransFn> | null {
  const trees = riscvDecodeTrees();
  return (insn & 3) === 3 ? decodeWith(trees.t32, insn >>> 0) : decodeWith(trees.t16, insn & 0xffff);
}

/** Which operands of an F/D mnemonic are f registers. */
function fpRegs(name: string): { rd: boolean; rs1: boolean; rs2: boolean } {
  const base = name.replace(/^c\./, '');
  if (!base.startsWith('f') || base.startsWith('fence')) return { rd: false, rs1: false, rs2: false };
  if (/^f(l[wdh]|s[wdh])(sp)?$/.test(base)) return { rd: base.startsWith('fl'), rs1: false, rs2: base.startsWith('fs') };
  if (/^fmv\.x\.|^fclass|^f(eq|lt|le|leq|ltq)\.|^fcvt(mod)?\.(w|wu|l|lu)\./.test(base)) return { rd: false, rs1: true, rs2: true };
  if (/^fmv\.[wdh]\.x|^fcvt\.[sdh]\.(w|wu|l|lu)$/.test(base)) return { rd: true, rs1: false, rs2: false };
  return { rd: true, rs1: true, rs2: true };
}

/** "mnemonic operands" for the instruction at pc (branch/jump targets shown absolute). */
export function riscvDisassemble(insn: number, pc: bigint): string {
  const row = riscvDecode(insn);
  if (!row || row.name === 'illegal') return 'illegal'.padEnd(24); // QEMU's format pads it as one with operands
  const a = Object.fromEntries(Object.entries(constArgs(row, insn)).map(([k, v]) => [k, v.value]));
  const f = fpRegs(row.name);
  const rd = (f.rd ? FREG : XREG)[a.rd], rs1 = (f.rs1 ? FREG : XREG)[a.rs1], rs2 = (f.rs2 ? FREG : XREG)[a.rs2];
  const n = row.name;
  const base = n.replace(/^c\./, '');
  const target = () => `0x${BigInt.asUintN(64, pc + BigInt(a.imm)).toString(16)}`;
  let ops: string[];
  if (/^(l[bhwd]u?|fl[wd])(sp)?$/.test(base)) ops = [rd, `${a.imm}(${rs1})`];
  else if (/^(s[bhwd]|fs[wd])(sp)?$/.test(base)) ops = [rs2, `${a.imm}(${rs1})`];
  else if (/^b(eq|ne|lt|ge|ltu|geu)$|^beqz|^bnez/.test(base)) ops = a.rs2 === undefined || n.startsWith('c.') ? [rs1, target()] : [rs1, rs2, target()];
  else if (base === 'jal' || base === 'j') ops = [rd, target()];
  else if (n === 'jalr' && a.rd === 0 && a.imm === 0) return a.rs1 === 1 ? 'ret' : `${'jr'.padEnd(23)} ${rs1}`; // QEMU's pseudo-instructions
  else if (base === 'jalr' || base === 'jr') ops = [rd, `${a.imm}(${rs1})`];
  else if (/^csrr[wsc]i$/.test(base)) ops = [rd, csrName(a.csr), String(a.rs1)];
  else if (/^csrr[wsc]$/.test(base)) ops = [rd, csrName(a.csr), rs1];
  else if (/^(lr|sc|amo)/.test(base)) ops = base.startsWith('lr') ? [rd, `(${rs1})`] : [rd, rs2, `(${rs1})`];
  else {
    ops = [];
    if (a.rd !== undefined && 'rd' in row.args) ops.push(rd);
    if (a.rs1 !== undefined && typeof row.args.rs1 !== 'number') ops.push(rs1);
    if (a.rs2 !== undefined && typeof row.args.rs2 !== 'number') ops.push(rs2);
    if (a.rs3 !== undefined) ops.push((f.rd ? FREG : XREG)[a.rs3]);
    if (a.shamt !== undefined) ops.push(String(a.shamt));
    if (a.imm !== undefined) ops.push(base === 'lui' || base === 'auipc' ? `${(a.imm >>> 12) & 0xfffff}` : String(a.imm));
  }
  // auipc: QEMU notes the address it forms.
  if (n === 'auipc') return `${n.padEnd(23)} ${ops.join(',').padEnd(23)} # 0x${BigInt.asUintN(64, pc + BigInt(a.imm)).toString(16)}`;
  return ops.length ? `${n.padEnd(23)} ${ops.join(',')}` : n;
}

/** One -d in_asm line: "0x<pc>:  <hex encoding>  <disassembly>". */
export function riscvDisasLine(insn: number, pc: bigint): string {
  const len = (insn & 3) === 3 ? 8 : 4;
  const word = (len === 8 ? insn >>> 0 : insn & 0xffff).toString(16).padStart(len, '0');
  return `0x${pc.toString(16).padStart(16, '0')}:  ${word.padEnd(18)}${riscvDisassemble(insn, pc)}`;
}
