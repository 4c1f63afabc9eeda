// helperVector against hostile encodings: random OP-V / LOAD-FP / STORE-FP words under random
// vtype, vl, vstart and register contents, at every VLEN. Whatever the word, the helper either
// completes (0) or raises an exception (1); it never throws and never writes outside the
// vector register file (the state before and after `vreg` is compared) or the scratch slot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateGuestMemory, AddressSpace } from '../dist/exec/memory.js';
import { CPURISCVState, STATE, riscvCpuStateBytes } from '../dist/target/riscv/cpu-state.js';
import { riscvCpuCfg, riscvDefaultCpuCfg, setRiscvCpuCfg } from '../dist/target/riscv/cpu-cfg.js';
import '../dist/target/riscv/trans_rvv.js';
import { helperVector } from '../dist/target/riscv/vector_helper.js';

let seed = 12345n;
const rnd = () => { seed ^= seed << 13n; seed &= (1n << 64n) - 1n; seed ^= seed >> 7n; seed ^= (seed << 17n) & ((1n << 64n) - 1n); return seed; };
const r32 = () => Number(rnd() & 0xffffffffn);

test('random vector encodings never throw and stay inside the vector state', () => {
  const layout = allocateGuestMemory(riscvCpuStateBytes(1), 0, 0);
  const env = new CPURISCVState(new AddressSpace(layout.memory), layout.cpuStateOffset, 0);
  env.userMode = { tlbFill: () => -1 }; // traps are recorded, not vectored
  const mem = { load: () => 0, store: () => 0, xlate: () => -2 };
  const vregStart = env.base + STATE.vreg.offset, vregEnd = vregStart + STATE.vreg.count * 8;
  // The block compiler's tables before the vector state and the TLB after it.
  const guarded = [[env.base + STATE.tb_threshold.offset, env.base + STATE.vl.offset], [vregEnd, vregEnd + 65536]];
  const bytes = env.as.bytes;
  let done = 0, trapped = 0;
  for (const vlen of [128, 256, 1024]) {
    const cfg = riscvDefaultCpuCfg('rv64'); cfg.ext.add('v'); cfg.vlen = vlen;
    setRiscvCpuCfg(cfg);
    assert.equal(riscvCpuCfg().vlen, vlen);
    for (let n = 0; n < 2500; n++) {
      env.set32('mstatus', 0x6600);
      env.priv = 0;
      env.set64('vtype', n % 50 === 0 ? 1n << 63n : BigInt(r32() & 0xff));
      env.set64('vl', BigInt(r32() % (vlen + 1)));
      env.set32('vstart', n % 7 === 0 ? r32() % vlen : 0);
      env.set32('frm', r32() % 8);
      for (let i = 1; i < 32; i++) env.set64('gpr', rnd(), i);
      for (let i = vregStart; i < vregStart + 32 * (vlen / 8); i += 4) env.view.setUint32(i, r32(), true);
      const before = guarded.map(([a, b]) => Buffer.from(bytes.subarray(a, b)));
      const opc = [0x57, 0x57, 0x57, 0x07, 0x27][n % 5];
      const insn = ((r32() & ~0x7f) | opc) >>> 0;
      const s = helperVector(env, insn, mem);
      assert.ok(s === 0 || s === 1, `status ${s} for ${insn.toString(16)}`);
      if (s) trapped++; else done++;
      guarded.forEach(([a, b], k) => assert.ok(Buffer.from(bytes.subarray(a, b)).equals(before[k]), `${insn.toString(16)} wrote outside`));
      assert.ok(env.get32('vstart') < vlen, 'vstart stays below VLEN');
    }
  }
  assert.ok(vregEnd > vregStart);
  assert.ok(done > 500 && trapped > 500, `${done} completed, ${trapped} trapped`);
});
