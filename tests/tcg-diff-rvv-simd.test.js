// The wasm SIMD fast paths of translated blocks (src/target/riscv/trans_rvv_simd.ts) against
// real qemu-system-riscv64 7.2: gen-rvv.mjs's 'simd' blocks (vsetvli of any SEW/LMUL with AVL 0,
// below, at and above VLMAX, then unit-stride vle/vse of every EEW across the buffer's page
// boundary and off the end of RAM, vadd/vsub/.../vmacc/vmerge/vmv.v/vwmacc/vredsum in vv/vx/vi
// forms, masked and not, vstart written != 0, vtype changed by vsetvl) at threshold 1 and at
// the defaults (the compiler off too with TSQEMU_SLOW=1)
// (threshold 1 translates the second run of each case: the fast paths and their guards'
// fallbacks; every vector register, vl, vtype, vstart, the x operands and the buffer equal).
// More seeds: node tests/tcg/diff/run-rvv.mjs --classes simd --seeds 1-50.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, QEMU, TSQEMU, hasTool } from './tcg-bare-helpers.js';
import { runRvvSeed } from './tcg/diff/run-rvv.mjs';
import { SIMD_CLASS } from './tcg/diff/gen-rvv.mjs';

// Without TSQEMU_SLOW one program of 120 cases per VLEN (as many as three seeds of 40: one build
// and one set of emulator runs instead of three).
const SEEDS = process.env.TSQEMU_SLOW ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [1];
const CASES = process.env.TSQEMU_SLOW ? 40 : 120;
const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool(QEMU) ? `${QEMU} not installed` : false;

for (const vlen of [128, 256]) {
  test(`SIMD fast-path blocks at VLEN ${vlen}: tsqemu equals qemu-system-riscv64 in each compiler mode`, { skip }, async (t) => {
    assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
    const dir = mkdtempSync(join(tmpdir(), 'tsqemu-rvvsimd-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    for (const seed of SEEDS) {
      const bad = await runRvvSeed(dir, { seed, vlen, cases: CASES, blocks: 4, classes: [SIMD_CLASS] });
      assert.deepEqual(bad, [], `seed ${seed}:\n${bad.map((b) => `${b.mode}: ${b.diff}`).join('\n')}`);
    }
  });
}
