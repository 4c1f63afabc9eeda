// The 32-bit encodings of RV64GC (decodetree style): fields, argument sets, one row per
// instruction. The interpreter and the block compiler are both generated from these rows.
import { RowTable } from './decode.js';
import { B, CSR, I, J, NONE, R, S, SH, SHW, U, F, bits } from './insn32-fields.js';
import { trans as rvi, type TransFn } from './trans_rvi.js';
import { trans as rvm } from './trans_rvm.js';
import { transW as rvaW, transD as rvaD } from './trans_rva.js';
import { trans as zicsr } from './trans_rvzicsr.js';
import { trans as priv } from './trans_privileged.js';
import { trans as svinval } from './trans_svinval.js';
import { addFpRows } from './insn32-fp.js';
import { addVectorRows } from './trans_rvv.js';
import { addExtRows32 } from './insn32-ext.js';
import { addHypRows } from './trans_rvh.js';

/** The table, built when first asked for (decode-trees.ts: the first translation, or generating
 * the interpreter when no disk cache has it): building it costs ~5-10 ms of CPU at start-up,
 * which a short program that only runs the cached interpreter never needs (start-up round 6). */
let table: RowTable<TransFn> | undefined;
export function insn32(): RowTable<TransFn> { return table ??= build(); }

function build(): RowTable<TransFn> {
  const t = new RowTable<TransFn>(4);
  // RV64I
  t.add('lui', '-------------------- ----- 0110111', U, rvi.lui);
  t.add('auipc', '-------------------- ----- 0010111', U, rvi.auipc);
  t.add('jal', '-------------------- ----- 1101111', J, rvi.jal);
  t.add('jalr', '------------ ----- 000 ----- 1100111', I, rvi.jalr);
  const br = ['beq', 'bne', '', '', 'blt', 'bge', 'bltu', 'bgeu'] as const;
  br.forEach((n, f3) => { if (n) t.add(n, `------- ----- ----- ${bits(f3, 3)} ----- 1100011`, B, rvi[n]); });
  const ld = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu'] as const;
  ld.forEach((n, f3) => t.add(n, `------------ ----- ${bits(f3, 3)} ----- 0000011`, I, rvi[n]));
  const st = ['sb', 'sh', 'sw', 'sd'] as const;
  st.forEach((n, f3) => t.add(n, `------- ----- ----- ${bits(f3, 3)} ----- 0100011`, S, rvi[n]));
  const opi = ['addi', '', 'slti', 'sltiu', 'xori', '', 'ori', 'andi'] as const;
  opi.forEach((n, f3) => { if (n) t.add(n, `------------ ----- ${bits(f3, 3)} ----- 0010011`, I, rvi[n]); });
  t.add('slli', '000000 ------ ----- 001 ----- 0010011', SH, rvi.slli);
  t.add('srli', '000000 ------ ----- 101 ----- 0010011', SH, rvi.srli);
  t.add('srai', '010000 ------ ----- 101 ----- 0010011', SH, rvi.srai);
  const op = [['add', 0, 0], ['sub', 0x20, 0], ['sll', 0, 1], ['slt', 0, 2], ['sltu', 0, 3], ['xor', 0, 4],
    ['srl', 0, 5], ['sra', 0x20, 5], ['or', 0, 6], ['and', 0, 7]] as const;
  for (const [n, f7, f3] of op) t.add(n, `${bits(f7, 7)} ----- ----- ${bits(f3, 3)} ----- 0110011`, R, rvi[n]);
  t.add('addiw', '------------ ----- 000 ----- 0011011', I, rvi.addiw);
  t.add('slliw', '0000000 ----- ----- 001 ----- 0011011', SHW, rvi.slliw);
  t.add('srliw', '0000000 ----- ----- 101 ----- 0011011', SHW, rvi.srliw);
  t.add('sraiw', '0100000 ----- ----- 101 ----- 0011011', SHW, rvi.sraiw);
  const opw = [['addw', 0, 0], ['subw', 0x20, 0], ['sllw', 0, 1], ['srlw', 0, 5], ['sraw', 0x20, 5]] as const;
  for (const [n, f7, f3] of opw) t.add(n, `${bits(f7, 7)} ----- ----- ${bits(f3, 3)} ----- 0111011`, R, rvi[n]);
  t.add('fence', '---- ---- ---- ----- 000 ----- 0001111', NONE, rvi.fence);
  t.add('fence.i', '------------ ----- 001 ----- 0001111', NONE, priv.fence_i);
  t.add('ecall', '000000000000 00000 000 00000 1110011', NONE, priv.ecall);
  t.add('ebreak', '000000000001 00000 000 00000 1110011', NONE, priv.ebreak);
  t.add('sret', '0001000 00010 00000 000 00000 1110011', NONE, priv.sret);
  t.add('mret', '0011000 00010 00000 000 00000 1110011', NONE, priv.mret);
  t.add('wfi', '0001000 00101 00000 000 00000 1110011', NONE, priv.wfi);
  t.add('sfence.vma', '0001001 ----- ----- 000 00000 1110011', { rs1: F.rs1, rs2: F.rs2 }, priv.sfence_vma);
  t.add('sinval.vma', '0001011 ----- ----- 000 00000 1110011', { rs1: F.rs1, rs2: F.rs2 }, svinval.sinval_vma);
  t.add('sfence.w.inval', '0001100 00000 00000 000 00000 1110011', NONE, svinval.sfence_w_inval);
  t.add('sfence.inval.ir', '0001100 00001 00000 000 00000 1110011', NONE, svinval.sfence_inval_ir);
  // Zicsr
  const csr = ['', 'csrrw', 'csrrs', 'csrrc', '', 'csrrwi', 'csrrsi', 'csrrci'] as const;
  csr.forEach((n, f3) => { if (n) t.add(n, `------------ ----- ${bits(f3, 3)} ----- 1110011`, CSR, zicsr[n]); });
  // RV64M
  const m = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'] as const;
  m.forEach((n, f3) => t.add(n, `0000001 ----- ----- ${bits(f3, 3)} ----- 0110011`, R, rvm[n]));
  const mw = [['mulw', 0], ['divw', 4], ['divuw', 5], ['remw', 6], ['remuw', 7]] as const;
  for (const [n, f3] of mw) t.add(n, `0000001 ----- ----- ${bits(f3, 3)} ----- 0111011`, R, rvm[n]);
  // RV64A (aq/rl bits 26:25 accepted and ignored)
  const amo = [['lr', 0x02], ['sc', 0x03], ['amoswap', 0x01], ['amoadd', 0x00], ['amoxor', 0x04], ['amoand', 0x0c],
    ['amoor', 0x08], ['amomin', 0x10], ['amomax', 0x14], ['amominu', 0x18], ['amomaxu', 0x1c]] as const;
  for (const [n, f5] of amo) {
    const rs2 = n === 'lr' ? '00000' : '-----';
    t.add(`${n}.w`, `${bits(f5, 5)} -- ${rs2} ----- 010 ----- 0101111`, R, rvaW[n]);
    t.add(`${n}.d`, `${bits(f5, 5)} -- ${rs2} ----- 011 ----- 0101111`, R, rvaD[n]);
  }

  addFpRows(t);
  addVectorRows(t);
  addExtRows32(t);
  addHypRows(t);
  return t;
}
