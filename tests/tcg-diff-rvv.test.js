// V 1.0 differential tests (tests/tcg/diff/gen-rvv.mjs, driver-rvv.c, README there): random
// vector instruction blocks of every class (vsetvl* with vill, loads/stores with segments,
// strides, indexes, whole registers, masks, fault-only-first and faults mid-instruction;
// integer, fixed-point, reductions, mask, permutation, FP, widening/narrowing) under random
// vtype/vl/masks, run bare-metal on real qemu-system-riscv64 7.2 (-cpu rv64,v=true,vlen=N) and
// on tsqemu-system-riscv64 at threshold 1 and at the defaults (compiler off: TSQEMU_SLOW=1): every
// vector register, vl, vtype, vstart, vcsr, fflags, the x/f operands and the buffer equal.
// The larger run: TSQEMU_SLOW=1, or node tests/tcg/diff/run-rvv.mjs --seeds 1-50.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { GCC, QEMU, TSQEMU, SRC, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { runRvvSeed } from './tcg/diff/run-rvv.mjs';
import { ccSpawnSync } from './helpers/cc-cache.js';

const SLOW = !!process.env.TSQEMU_SLOW;
// Without TSQEMU_SLOW one program of 60 cases per VLEN (as many as two seeds of 30: one build and
// one set of emulator runs instead of two).
const SEEDS = SLOW ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [1];
const CASES = SLOW ? 30 : 60;
const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool(QEMU) ? `${QEMU} not installed` : false;

for (const vlen of [128, 256]) {
  test(`vector instruction blocks at VLEN ${vlen}: tsqemu equals qemu-system-riscv64 in each compiler mode`, { skip }, async (t) => {
    assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
    const dir = mkdtempSync(join(tmpdir(), 'tsqemu-rvvdiff-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    for (const seed of SEEDS) {
      const bad = await runRvvSeed(dir, { seed, vlen, cases: CASES, blocks: 3 });
      assert.deepEqual(bad, [], `seed ${seed}:\n${bad.map((b) => `${b.mode}: ${b.diff}`).join('\n')}`);
    }
  });
}

test('without V every vector encoding is illegal; with V, vlenb follows vlen=', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-rvv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'probe.c');
  // (mstatus.VS is printed with V only: QEMU 7.2 lets it be written without V, 10.2 does not.)
  // Traps are logged by common.c's M-mode handler through m_exc_hook: count them, skip.
  writeFileSync(src, `#include "common.h"
static u64 traps, last;
static int hook(struct trap_frame *f) { traps++; last = f->cause; f->epc += 4; return 1; }
int main(void) {
  m_exc_hook = hook;
  csr_set(mstatus, 0x600);
  u64 vlenb = 0, vl = 0;
  asm volatile(".option push\\n.option arch, +v\\ncsrr %0, vlenb\\nvsetvli %1, zero, e8, m1, ta, ma\\nvadd.vv v1, v2, v3\\nvle8.v v1, (sp)\\n.option pop" : "+r"(vlenb), "+r"(vl));
  tprintf("vlenb=%lu vl=%lu traps=%lu cause=%lu vs=%lu\\n", vlenb, vl, traps, last, vlenb ? (csr_read(mstatus) >> 9) & 3 : 0);
  m_exc_hook = 0;
  exit_with(0x5555);
}
`);
  const elf = join(dir, 'probe.elf');
  const b = ccSpawnSync(GCC, ['-nostdlib', '-nostartfiles', '-ffreestanding', '-fno-pie', '-no-pie', '-static', '-O2',
    '-march=rv64gc', '-mabi=lp64d', '-mcmodel=medany', '-Wl,--no-warn-rwx-segments', '-T', join(SRC, 'link.ld'), '-I', SRC,
    join(SRC, 'crt0.S'), join(SRC, 'common.c'), src, '-lgcc', '-o', elf], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  for (const [cpu, qcpu] of [['rv64', 'rv64,v=false'], ['rv64,v=true,vlen=256', 'rv64,v=true,vlen=256,elen=64,vext_spec=v1.0'],
    ['rv64,v=true,vlen=1024', 'rv64,v=true,vlen=1024,elen=64,vext_spec=v1.0']]) {
    const want = await run(QEMU, [...machineArgs(elf), '-cpu', qcpu], 30_000);
    const got = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', cpu], 30_000);
    const line = (o) => o.stdout.split('\n').find((l) => l.startsWith('vlenb=')) ?? o.stdout + o.stderr;
    assert.equal(line(got), line(want), `-cpu ${cpu}`);
    if (cpu === 'rv64') assert.match(line(got), /traps=4 cause=2/);
    else assert.match(line(got), /traps=0/);
  }
});
