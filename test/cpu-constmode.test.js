// The emitters in constant-operand mode (what the block compiler will use) produce the same
// results as the interpreter for a straight-line block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, haveToolchain, makeHart, RAM_BASE } from './cpu-helpers.js';
import { buildStraightLineBlock } from '../dist/target/riscv/translate-block.js';

/** Split the code into instruction words (RVC-aware). */
function words(code) {
  const out = [];
  for (let i = 0; i < code.length;) {
    const lo = code[i] | (code[i + 1] << 8);
    if ((lo & 3) === 3) { out.push((lo | (code[i + 2] << 16) | (code[i + 3] << 24)) >>> 0); i += 4; } else { out.push(lo); i += 2; }
  }
  return out;
}

test('a block compiled with constant operands matches the interpreter', { skip: !haveToolchain() }, () => {
  const src = `
    li s0, 0x80000800
    li a0, -5
    addi a1, a0, 7
    c.slli a1, 3
    mul a2, a1, a0
    div a3, a0, zero
    sd a2, 0(s0)
    lw a4, 0(s0)
    lbu a5, 3(s0)
    sltu a6, a0, a1
    sraiw a7, a0, 1
    c.mv t0, a2
    c.add t0, a1
    auipc t1, 0
    sub t2, zero, a0
    addi x0, a0, 1`;
  const code = assemble(src);
  const interp = makeHart(code);
  for (let i = 0; i < 2000 && interp.cpu.pc < BigInt(RAM_BASE + code.length); i++) interp.cpu.run(1);
  const blk = makeHart(code);
  const mod = new WebAssembly.Module(buildStraightLineBlock(words(code), BigInt(RAM_BASE)));
  const inst = new WebAssembly.Instance(mod, blk.cpu.imports);
  assert.equal(inst.exports.tb(blk.cpu.env.base), 0);
  assert.equal(BigInt.asIntN(64, interp.cpu.getGpr(12)), -80n, 'the interpreter ran the block');
  for (let r = 0; r < 32; r++) assert.equal(blk.cpu.getGpr(r), interp.cpu.getGpr(r), `x${r}`);
  assert.equal(blk.cpu.pc, interp.cpu.pc);
  const h = (c) => c.as.findRam(RAM_BASE).hostOffset + 0x800;
  assert.equal(blk.as.view.getBigUint64(h(blk), true), interp.as.view.getBigUint64(h(interp), true));
});
