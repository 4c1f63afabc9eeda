// helperFp's contract with the translator (beyond the arithmetic, which fpu-qemu.test.js checks
// against QEMU): reserved rounding modes are illegal and change nothing, fflags accrue, x0 is
// never written, operations without an rm field ignore it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { allocateGuestMemory, AddressSpace } from '../dist/exec/memory.js';
import { CPURISCVState, STATE, CPU_STATE_SIZE, riscvCpuStateBytes } from '../dist/target/riscv/cpu-state.js';
import { helperFp, FP_OP_NAMES } from '../dist/target/riscv/fpu_helper.js';

const op = (m) => {
  const i = FP_OP_NAMES.indexOf(m);
  assert.ok(i >= 0, m);
  return i;
};

function makeEnv() {
  const layout = allocateGuestMemory(riscvCpuStateBytes(1), 0, 0);
  const env = new CPURISCVState(new AddressSpace(layout.memory), layout.cpuStateOffset, 0);
  const fpr = (r, bits) => env.set64('fpr', bits, r);
  fpr(1, 0x3ff0000000000000n); // 1.0
  fpr(2, 0x4008000000000000n); // 3.0
  fpr(3, 0xffffffff3f800000n); // 1.0f, NaN-boxed
  fpr(4, 0xffffffff40400000n); // 3.0f
  fpr(5, 0x7ff0000000000001n); // sNaN
  return env;
}
const snapshot = (env) => new Uint8Array(env.view.buffer, env.base, CPU_STATE_SIZE).slice();

test('reserved rounding modes: helperFp returns false and changes no state', () => {
  const env = makeEnv();
  for (const m of ['fadd.d', 'fdiv.s', 'fmadd.d', 'fsqrt.d', 'fcvt.w.d', 'fcvt.s.l', 'fcvt.s.d', 'fcvt.d.s']) {
    for (const [rm, frm] of [[5, 0], [6, 0], [7, 5], [7, 6], [7, 7]]) {
      env.set32('frm', frm);
      env.set32('fflags', 0);
      const before = snapshot(env);
      assert.equal(helperFp(env, op(m), 6, 1, 2, 1, rm), false, `${m} rm=${rm} frm=${frm}`);
      assert.deepEqual(snapshot(env), before, `${m} rm=${rm} frm=${frm} left the state alone`);
    }
  }
});

test('operations without an rm field ignore it', () => {
  const env = makeEnv();
  env.set32('frm', 6);
  assert.equal(helperFp(env, op('fmin.d'), 6, 1, 2, 0, 5), true);
  assert.equal(env.get64('fpr', 6), 0x3ff0000000000000n);
  assert.equal(helperFp(env, op('flt.s'), 7, 3, 4, 0, 7), true);
  assert.equal(env.getGpr(7), 1n);
  assert.equal(helperFp(env, op('fclass.d'), 7, 5, 0, 0, 6), true);
  assert.equal(env.getGpr(7), 1n << 8n, 'signalling NaN class');
});

test('fflags accrue; x0 is never written; singles come out NaN-boxed', () => {
  const env = makeEnv();
  env.set32('frm', 0);
  env.set32('fflags', 1);
  env.set64('gpr', 0n, 0);
  assert.equal(helperFp(env, op('feq.d'), 0, 5, 1, 0, 0), true);
  assert.equal(env.get64('gpr', 0), 0n);
  assert.equal(env.get32('fflags'), 16 | 1, 'invalid ORed into the existing inexact');
  assert.equal(helperFp(env, op('fcvt.l.d'), 0, 2, 0, 0, 1), true);
  assert.equal(env.get64('gpr', 0), 0n);
  assert.equal(helperFp(env, op('fdiv.s'), 8, 3, 4, 0, 7), true); // 1/3 inexact
  assert.equal(env.get64('fpr', 8), 0xffffffff3eaaaaabn);
  // A single that is not NaN-boxed reads as the canonical NaN: no invalid from a quiet NaN.
  env.set32('fflags', 0);
  env.set64('fpr', 0x000000003f800000n, 9);
  assert.equal(helperFp(env, op('fadd.s'), 8, 9, 3, 0, 0), true);
  assert.equal(env.get64('fpr', 8), 0xffffffff7fc00000n);
  assert.equal(env.get32('fflags'), 0);
  // 32-bit integer results are sign-extended, also for the unsigned conversion.
  env.set64('fpr', 0x41e65a0bc0000000n, 10); // 3e9
  assert.equal(helperFp(env, op('fcvt.wu.d'), 11, 10, 0, 0, 1), true);
  assert.equal(env.getGpr(11), 0xffffffffb2d05e00n);
  assert.equal(STATE.fflags.type, 'i32');
});
