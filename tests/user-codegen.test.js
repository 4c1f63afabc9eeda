// Code the block compiler emits for hot guest code (src/target/riscv/trans_rvm.ts inline
// division and high multiplies): guest programs under tsqemu-riscv64 in every compiler mode
// (threshold 1 with batch 1, so the compiler really runs; the defaults) print what they print
// under qemu-riscv64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, hasTool, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';
import { ccSpawnSync } from './helpers/cc-cache.js';

const TSQEMU_USER = join(ROOT, 'dist', 'cli', 'riscv64.js');
const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool('qemu-riscv64') ? 'qemu-riscv64 not installed' : false;

async function sameAsQemu(t, prog, firstLine, extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-codegen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, prog);
  const b = ccSpawnSync(GCC, ['-O2', '-static', '-o', exe, join(ROOT, 'tests', 'linux-user', `${prog}.c`)], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const want = spawnSync('qemu-riscv64', [exe], { encoding: 'utf8' });
  assert.equal(want.status, 0, want.stderr);
  assert.match(want.stdout, firstLine);
  for (const [mode, env] of DIFF_MODES) {
    const got = await run(process.execPath, [TSQEMU_USER, exe], 120_000, { ...env, ...extraEnv });
    assert.equal(got.status, 0, `${mode}: ${got.stderr}`);
    assert.equal(got.stdout, want.stdout, mode);
  }
}

test('inline RV64M: division by zero, MIN / -1 and high multiplies as qemu-riscv64', { skip, timeout: 300_000 },
  (t) => sameAsQemu(t, 'muldiv', /^mul {5}[0-9a-f]{16}\n/));

// The TLB behaviour the block compiler must keep (accesses walking into PROT_NONE and read-only
// neighbours, straddling a page, munmap/mmap inside a hot loop), compared with qemu-riscv64.
test('hot loads/stores across page boundaries, PROT_NONE/read-only pages, munmap in a loop', { skip, timeout: 300_000 },
  (t) => sameAsQemu(t, 'tlbreuse', /^walk [0-9a-f]{16} faults \d+\nremap [0-9a-f]{16} faults \d+\n$/));

// Hot loads and stores that miss the soft TLB access their page directly when linux-user's page
// table allows it (translate-block.ts pushDirectOk): walks over 12 MiB with PROT_NONE and
// read-only pages, accesses straddling into them, munmap/mmap and mprotect between walks, a
// shared file's pages past EOF (SIGBUS), addresses above the address space whose low 32 bits
// name accessible pages, and stores rewriting hot code on an RWX page.
test('hot loads/stores missing the TLB: direct accesses fault where qemu-riscv64 faults', { skip, timeout: 300_000 },
  (t) => sameAsQemu(t, 'directmem', /^walk8 {6}sum [0-9a-f]{16} faults \d+ fsum [0-9a-f]{16}\n/));

// Looping regions load at entry only the registers live there and store at each exit only those
// that may be set (translate-block.ts regionFlow): a hot loop left at a call and re-entered at
// the return address, and faults inside a multi-run loop whose handler reads every register.
test('region register flow: re-entry after calls, exact registers at faults in a loop', { skip, timeout: 300_000 },
  (t) => sameAsQemu(t, 'regionflow', /^calls( [0-9a-f]{16}){8}\nhot [0-9a-f]{16} [0-9a-f]{16}\n(fault \d( [0-9a-f]+){12}\n){6}$/));

// Region entries at the return addresses of calls load only the registers live there, each
// load sequence branching straight to its run (tb-frame.ts emitEntryLoads): faults right after
// such an entry and in the loop after it show the handler the exact registers (also those the
// entry never loaded).
test('region entries after calls: exact registers at faults after a partial entry load', { skip, timeout: 300_000 },
  (t) => sameAsQemu(t, 'regionentry', /^hot [0-9a-f]{16}\n(fault \d( [0-9a-f]+){14}\n){4}no fault 4 [0-9a-f]{16}\n$/));

// Regions spanning two pages (user mode: tb-cache.ts decode, translate-block.ts checkRunPage): a
// hot loop across a page boundary (also with an instruction straddling it, and entered on the
// second page), then either page rewritten (with and without a flush), made non-executable,
// unmapped and mapped again, or rewritten by another thread: each change takes effect, and the
// faults' si_addr, pc and registers are qemu-riscv64's.
test('hot code spanning two pages: rewrite, mprotect, munmap of either page take effect', { skip, timeout: 300_000 },
  (t) => sameAsQemu(t, 'pagespan', /^-- span\nhot = 6400000\n/));

// fflags/frm/fcsr accesses done inline in hot code (trans_rvzicsr.ts inlineFp) and the fused
// multiply-adds' zero-product fast path (trans_rvf_fast.ts fusedD), compared with qemu-riscv64.
test('inline fflags/frm/fcsr in every csr form; fused multiply-adds with a zero factor', { skip, timeout: 300_000 },
  (t) => sameAsQemu(t, 'fpcsr', /^csr {6}0 [0-9a-f]{16} fcsr [0-9a-f]{2}\n/));

// Leaves inlined at calls (on by default; tb-decode.ts decodeLeaf, translate-block.ts
// inlineCall): a hot loop's call to a small leaf on another page, the leaf's load faulting on a
// PROT_NONE page (si_addr, pc in the leaf, ra and registers exact); calls through a register
// (jalr, the target predicted) to a leaf with a branch, another target now and then, its loads
// faulting; the leaf rewritten by plain stores (with and without fence.i, from hot loops: one
// whose region stores into the leaf and runs it inline), made non-executable and executable
// again.
test('inlined leaf calls: results, faults inside the leaf, rewrites of the leaf as qemu-riscv64', { skip, timeout: 300_000 },
  (t) => sameAsQemu(t, 'leafinline', /^hot [0-9a-f]{16}\n(fault \d( [0-9a-f]+){9}\n){3}jalr [0-9a-f]{16}\n(jalr fault \d+( [0-9a-f]+){9}\n){4}(patched \d [0-9a-f]{16}\n){4}hot patch [0-9a-f]{16}\n(fetch fault \d( [0-9a-f]+){9}\n){2}again [0-9a-f]{16}\n$/));
