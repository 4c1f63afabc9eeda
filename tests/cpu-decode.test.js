// The decode tables against binutils: every instruction of an assembled program (all RV64GC
// mnemonics, compressed forms included) decodes to the mnemonic objdump -M no-aliases prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveToolchain } from './cpu-helpers.js';
import { riscvDecode, riscvDisasLine } from '../dist/target/riscv/disas.js';

const R = ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw',
  'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw'];
const I = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'];
const SH = ['slli', 'srli', 'srai', 'slliw', 'srliw', 'sraiw'];
const LD = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu'];
const ST = ['sb', 'sh', 'sw', 'sd'];
const BR = ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'];
const AMO = ['amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu'];
const F3 = ['fadd', 'fsub', 'fmul', 'fdiv', 'fmin', 'fmax', 'fsgnj', 'fsgnjn', 'fsgnjx'];
const FCMP = ['feq', 'flt', 'fle'];
const FMA = ['fmadd', 'fmsub', 'fnmsub', 'fnmadd'];

function program() {
  const l = ['lui a0, 0x12345', 'auipc t1, 0x10', 'jal ra, 1f', '1: jalr s1, 8(t2)', 'fence rw, w', 'fence.i',
    'ecall', 'ebreak', 'mret', 'sret', 'wfi', 'sfence.vma a0, a1', 'csrrw a0, mscratch, a1', 'csrrs a0, mstatus, zero',
    'csrrc a0, mie, a2', 'csrrwi a0, mscratch, 5', 'csrrsi a0, mstatus, 8', 'csrrci a0, mie, 1',
    'flw fa0, 4(a1)', 'fld fa1, 8(a2)', 'fsw fa2, 12(a3)', 'fsd fa3, 16(a4)',
    'fcvt.s.d fa0, fa1', 'fcvt.d.s fa0, fa1', 'fmv.x.w a0, fa1', 'fmv.w.x fa0, a1', 'fmv.x.d a0, fa1', 'fmv.d.x fa0, a1',
    'fclass.s a0, fa1', 'fclass.d a0, fa1', 'fsqrt.s fa0, fa1', 'fsqrt.d fa0, fa1'];
  for (const o of R) l.push(`${o} a0, a1, a2`);
  for (const o of I) l.push(`${o} a0, a1, -37`);
  for (const o of SH) l.push(`${o} a0, a1, ${o.endsWith('w') ? 17 : 45}`);
  for (const o of LD) l.push(`${o} a0, -8(a1)`);
  for (const o of ST) l.push(`${o} a0, 24(a1)`);
  for (const o of BR) l.push(`${o} a0, a1, 1b`);
  for (const s of ['w', 'd']) {
    l.push(`lr.${s} a0, (a1)`, `sc.${s}.aq a0, a2, (a1)`);
    for (const o of AMO) l.push(`${o}.${s}.rl a0, a2, (a1)`);
  }
  for (const s of ['s', 'd']) {
    for (const o of F3) l.push(`${o}.${s} fa0, fa1, fa2`);
    for (const o of FCMP) l.push(`${o}.${s} a0, fa1, fa2`);
    for (const o of FMA) l.push(`${o}.${s} fa0, fa1, fa2, fa3`);
    for (const t of ['w', 'wu', 'l', 'lu']) l.push(`fcvt.${t}.${s} a0, fa1, rtz`, `fcvt.${s}.${t} fa0, a1`);
  }
  // RVC
  l.push('c.addi4spn a0, sp, 16', 'c.fld fa0, 8(a1)', 'c.lw a0, 4(a1)', 'c.ld a0, 8(a1)', 'c.fsd fa0, 8(a1)',
    'c.sw a0, 4(a1)', 'c.sd a0, 8(a1)', 'c.nop', 'c.addi a0, -3', 'c.addiw a0, 5', 'c.li a0, -7', 'c.addi16sp sp, -64',
    'c.lui a0, 0x1f', 'c.srli a0, 33', 'c.srai a1, 3', 'c.andi a2, -1', 'c.sub a0, a1', 'c.xor a0, a1', 'c.or a0, a1',
    'c.and a0, a1', 'c.subw a0, a1', 'c.addw a0, a1', '2: c.j 2b', 'c.beqz a0, 2b', 'c.bnez a1, 2b', 'c.slli a0, 63',
    'c.fldsp fa0, 16(sp)', 'c.lwsp a0, 12(sp)', 'c.ldsp a0, 24(sp)', 'c.jr ra', 'c.mv a0, a1', 'c.ebreak',
    'c.jalr a0', 'c.add a0, a1', 'c.fsdsp fa0, 16(sp)', 'c.swsp a0, 12(sp)', 'c.sdsp a0, 24(sp)');
  return l.join('\n');
}

test('every RV64GC mnemonic decodes as binutils disassembles it', { skip: !haveToolchain() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-decode-'));
  let dump;
  try {
    writeFileSync(join(dir, 'a.S'), `.option norelax\n.text\n${program()}\n`);
    execFileSync('riscv64-linux-gnu-as', ['-march=rv64gc', '-o', join(dir, 'a.o'), join(dir, 'a.S')]);
    dump = execFileSync('riscv64-linux-gnu-objdump', ['-d', '-M', 'no-aliases', join(dir, 'a.o')], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let n = 0;
  for (const line of dump.split('\n')) {
    const m = /^\s+[0-9a-f]+:\s+([0-9a-f]{4,8})\s+(\S+)/.exec(line);
    if (!m) continue;
    const word = parseInt(m[1], 16);
    const want = m[2].replace(/\.(aqrl|aq|rl)$/, '');
    const row = riscvDecode(word);
    assert.equal(row?.name, want, `${m[1]}: ${line.trim()} / ${riscvDisasLine(word, 0x1000n)}`);
    n++;
  }
  assert.ok(n > 190, `checked ${n} instructions`);
});

test('reserved encodings decode as illegal', () => {
  for (const w of [0x0000, 0x0001 /* c.nop is legal */, 0x8002, 0x4002, 0x6002, 0x2001, 0x6001, 0x9c41, 0xffffffff]) {
    const row = riscvDecode(w);
    const legal = w === 0x0001;
    assert.equal(row !== null && row.name !== 'illegal', legal, `0x${w.toString(16)} -> ${row?.name}`);
  }
});

// The block compiler asks for the trees once per region and takes the configuration object's
// trees without recomputing its key (decode-trees.ts): a new configuration, and one whose
// extension set grew in place (virt-aia.ts adds Smaia/Ssaia), must still be seen.
test('riscvDecodeTrees follows the CPU configuration', async () => {
  const { riscvDecodeTrees } = await import('../dist/target/riscv/decode-trees.js');
  const { decodeWith } = await import('../dist/target/riscv/decode.js');
  const { insn32 } = await import('../dist/target/riscv/insn32.js');
  const cfgMod = await import('../dist/target/riscv/cpu-cfg.js');
  const before = cfgMod.riscvCpuCfg();
  const row = insn32().rows.find((r) => r.ext === 'zbb' && r.name === 'cpop');
  assert.ok(row, 'a zbb row');
  try {
    const without = { ...before, ext: new Set([...before.ext].filter((e) => e !== 'zbb')) };
    cfgMod.setRiscvCpuCfg(without);
    assert.equal(decodeWith(riscvDecodeTrees().t32, row.match), null, 'cpop without Zbb');
    assert.equal(decodeWith(riscvDecodeTrees().t32, row.match), null, 'again (the same object)');
    without.ext.add('zbb');
    assert.equal(decodeWith(riscvDecodeTrees().t32, row.match)?.name, 'cpop', 'Zbb added in place');
    cfgMod.setRiscvCpuCfg({ ...before, ext: new Set([...before.ext].filter((e) => e !== 'zbb')) });
    assert.equal(decodeWith(riscvDecodeTrees().t32, row.match), null, 'a new configuration without Zbb');
  } finally {
    cfgMod.setRiscvCpuCfg(before);
  }
  assert.equal(decodeWith(riscvDecodeTrees().t32, row.match)?.name, 'cpop');
});
