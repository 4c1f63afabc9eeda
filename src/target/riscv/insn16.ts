// RVC (the 16-bit encodings, RV64): every row aliases a base instruction's emitter with its own
// field extraction (c.li decodes as addi rd, x0, imm). Reserved encodings are explicit
// `illegal` rows placed first in their overlap group. c.fld/c.fsd/c.fldsp/c.fsdsp are Zcd's
// (on with C and D; -cpu rv64,c=false,zca=true leaves them to Zcmp/Zcmt).
import { type ArgSpec, RowTable, field } from './decode.js';
import { trans as rvi, type TransFn } from './trans_rvi.js';
import { trans as priv } from './trans_privileged.js';
import { transInline as rvf } from './trans_rvf.js';
import { addExtRows16 } from './insn32-ext.js';
import { addZcmopRows } from './trans_rvzmisc.js';
import { addZceRows } from './trans_rvzce.js';

const C = {
  rd: field('7:5'), rs2: field('2:5'),
  rdp: field('2:3', { add: 8 }), rs1p: field('7:3', { add: 8 }),
  addi4spn: field('7:4 11:2 5:1 6:1', { shl: 2 }),
  memW: field('5:1 10:3 6:1', { shl: 2 }),
  memD: field('5:2 10:3', { shl: 3 }),
  ci: field('12:1 2:5', { signed: true }),
  lui: field('12:1 2:5', { signed: true, shl: 12 }),
  addi16sp: field('12:1 3:2 5:1 2:1 6:1', { signed: true, shl: 4 }),
  shamt: field('12:1 2:5'),
  j: field('12:1 8:1 9:2 6:1 7:1 2:1 11:1 3:3', { signed: true, shl: 1 }),
  b: field('12:1 5:2 2:1 10:2 3:2', { signed: true, shl: 1 }),
  lwsp: field('2:2 12:1 4:3', { shl: 2 }),
  ldsp: field('2:3 12:1 5:2', { shl: 3 }),
  swsp: field('7:2 9:4', { shl: 2 }),
  sdsp: field('7:3 10:3', { shl: 3 }),
};
const SP = 2;

/** The table, built when first asked for (as insn32.ts's). */
let table: RowTable<TransFn> | undefined;
export function insn16(): RowTable<TransFn> { return table ??= build(); }

function build(): RowTable<TransFn> {
  const t = new RowTable<TransFn>(2, 10000);
  const ill = rvi.illegal;
  const NONE: ArgSpec = {};

  // Quadrant 0
  t.add('illegal', '000 00000000 000 00', NONE, ill, 'q0');
  t.add('illegal', '000 00000000 --- 00', NONE, ill, 'q0'); // c.addi4spn with nzuimm = 0
  t.add('c.addi4spn', '000 -------- --- 00', { rd: C.rdp, rs1: SP, imm: C.addi4spn }, rvi.addi, 'q0');
  t.add('c.fld', '001 --- --- -- --- 00', { rd: C.rdp, rs1: C.rs1p, imm: C.memD }, rvf.fld, undefined, 'zcd');
  t.add('c.lw', '010 --- --- -- --- 00', { rd: C.rdp, rs1: C.rs1p, imm: C.memW }, rvi.lw);
  t.add('c.ld', '011 --- --- -- --- 00', { rd: C.rdp, rs1: C.rs1p, imm: C.memD }, rvi.ld);
  t.add('c.fsd', '101 --- --- -- --- 00', { rs2: C.rdp, rs1: C.rs1p, imm: C.memD }, rvf.fsd, undefined, 'zcd');
  t.add('c.sw', '110 --- --- -- --- 00', { rs2: C.rdp, rs1: C.rs1p, imm: C.memW }, rvi.sw);
  t.add('c.sd', '111 --- --- -- --- 00', { rs2: C.rdp, rs1: C.rs1p, imm: C.memD }, rvi.sd);

  // Quadrant 1
  t.add('c.addi', '000 - ----- ----- 01', { rd: C.rd, rs1: C.rd, imm: C.ci }, rvi.addi);
  t.add('illegal', '001 - 00000 ----- 01', NONE, ill, 'addiw');
  t.add('c.addiw', '001 - ----- ----- 01', { rd: C.rd, rs1: C.rd, imm: C.ci }, rvi.addiw, 'addiw');
  t.add('c.li', '010 - ----- ----- 01', { rd: C.rd, rs1: 0, imm: C.ci }, rvi.addi);
  addZcmopRows(t); // c.mop.n (Zcmop) before the reserved nzimm = 0 row
  t.add('illegal', '011 0 ----- 00000 01', NONE, ill, 'lui'); // nzimm = 0 reserved
  t.add('c.addi16sp', '011 - 00010 ----- 01', { rd: SP, rs1: SP, imm: C.addi16sp }, rvi.addi, 'lui');
  t.add('c.lui', '011 - ----- ----- 01', { rd: C.rd, imm: C.lui }, rvi.lui, 'lui');
  const rp = { rd: C.rs1p, rs1: C.rs1p };
  t.add('c.srli', '100 - 00 --- ----- 01', { ...rp, shamt: C.shamt }, rvi.srli);
  t.add('c.srai', '100 - 01 --- ----- 01', { ...rp, shamt: C.shamt }, rvi.srai);
  t.add('c.andi', '100 - 10 --- ----- 01', { ...rp, imm: C.ci }, rvi.andi);
  const rr = { ...rp, rs2: C.rdp };
  t.add('c.sub', '100 0 11 --- 00 --- 01', rr, rvi.sub);
  t.add('c.xor', '100 0 11 --- 01 --- 01', rr, rvi.xor);
  t.add('c.or', '100 0 11 --- 10 --- 01', rr, rvi.or);
  t.add('c.and', '100 0 11 --- 11 --- 01', rr, rvi.and);
  t.add('c.subw', '100 1 11 --- 00 --- 01', rr, rvi.subw);
  t.add('c.addw', '100 1 11 --- 01 --- 01', rr, rvi.addw);
  t.add('c.j', '101 ----------- 01', { rd: 0, imm: C.j }, rvi.jal);
  t.add('c.beqz', '110 --- --- ----- 01', { rs1: C.rs1p, rs2: 0, imm: C.b }, rvi.beq);
  t.add('c.bnez', '111 --- --- ----- 01', { rs1: C.rs1p, rs2: 0, imm: C.b }, rvi.bne);

  // Quadrant 2
  t.add('c.slli', '000 - ----- ----- 10', { rd: C.rd, rs1: C.rd, shamt: C.shamt }, rvi.slli);
  t.add('c.fldsp', '001 - ----- ----- 10', { rd: C.rd, rs1: SP, imm: C.ldsp }, rvf.fld, undefined, 'zcd');
  t.add('illegal', '010 - 00000 ----- 10', NONE, ill, 'lwsp');
  t.add('c.lwsp', '010 - ----- ----- 10', { rd: C.rd, rs1: SP, imm: C.lwsp }, rvi.lw, 'lwsp');
  t.add('illegal', '011 - 00000 ----- 10', NONE, ill, 'ldsp');
  t.add('c.ldsp', '011 - ----- ----- 10', { rd: C.rd, rs1: SP, imm: C.ldsp }, rvi.ld, 'ldsp');
  t.add('illegal', '100 0 00000 00000 10', NONE, ill, 'cr'); // c.jr x0
  t.add('c.jr', '100 0 ----- 00000 10', { rd: 0, rs1: C.rd, imm: 0 }, rvi.jalr, 'cr');
  t.add('c.mv', '100 0 ----- ----- 10', { rd: C.rd, rs1: 0, rs2: C.rs2 }, rvi.add, 'cr');
  t.add('c.ebreak', '100 1 00000 00000 10', NONE, priv.ebreak, 'cr');
  t.add('c.jalr', '100 1 ----- 00000 10', { rd: 1, rs1: C.rd, imm: 0 }, rvi.jalr, 'cr');
  t.add('c.add', '100 1 ----- ----- 10', { rd: C.rd, rs1: C.rd, rs2: C.rs2 }, rvi.add, 'cr');
  t.add('c.fsdsp', '101 ------ ----- 10', { rs1: SP, rs2: C.rs2, imm: C.sdsp }, rvf.fsd, undefined, 'zcd');
  t.add('c.swsp', '110 ------ ----- 10', { rs1: SP, rs2: C.rs2, imm: C.swsp }, rvi.sw);
  t.add('c.sdsp', '111 ------ ----- 10', { rs1: SP, rs2: C.rs2, imm: C.sdsp }, rvi.sd);
  addExtRows16(t);
  addZceRows(t); // Zcmp/Zcmt in c.fsdsp's space: only without Zcd
  return t;
}
