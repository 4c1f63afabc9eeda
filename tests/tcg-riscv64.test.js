// Bare-metal RISC-V instruction tests (tests/tcg/riscv64, see its README.md).
//
// Each program is built with Debian's riscv64 cross compiler into a temporary
// directory, then run on real qemu-system-riscv64 and on tsqemu-system-riscv64 with
//   -M virt -bios none -kernel prog.elf -nographic -no-reboot
// Both must exit 0 (the programs check themselves and exit through sifive_test)
// and tsqemu's UART output must equal real QEMU's byte for byte.
//
// TSQEMU_TCG_ONLY=name[,name...] runs only those programs.
// TSQEMU_TCG_TIMEOUT=seconds bounds each tsqemu run (default 60).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SRC, GCC, QEMU, TSQEMU, SHARED, hasTool, build, run, machineArgs, describeRun, firstDifference } from './tcg-bare-helpers.js';

// The reference gets the same clock as ours: on a loaded 2-core machine QEMU too can take 20 s.
const QEMU_TIMEOUT_MS = Number(process.env.TSQEMU_TCG_TIMEOUT ?? 60) * 1000;
const TSQEMU_TIMEOUT_MS = Number(process.env.TSQEMU_TCG_TIMEOUT ?? 60) * 1000;
/** TSQEMU_TCG_ACCEL=tcg,thread=multi,jit-threshold=1: the suite under another -accel (ours only). */
const ACCEL = process.env.TSQEMU_TCG_ACCEL ? ['-accel', process.env.TSQEMU_TCG_ACCEL] : [];

function listPrograms() {
  const only = process.env.TSQEMU_TCG_ONLY?.split(',').filter(Boolean);
  const all = readdirSync(SRC)
    .filter((f) => /\.(c|S)$/.test(f) && !SHARED.includes(f))
    .map((f) => ({ name: f.replace(/\.(c|S)$/, ''), file: f }))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (!only) return all;
  for (const n of only) {
    if (!all.some((p) => p.name === n)) throw new Error(`TSQEMU_TCG_ONLY: no program ${n} in ${SRC}`);
  }
  return all.filter((p) => only.includes(p.name));
}

const haveGcc = hasTool(GCC);
const haveQemu = hasTool(QEMU);
const programs = haveGcc ? listPrograms() : [];
let outDir = null;

test('tcg riscv64 instruction tests', { skip: haveGcc ? false : `${GCC} not installed` }, async (t) => {
  outDir = mkdtempSync(join(tmpdir(), 'tsqemu-tcg-'));
  t.after(() => rmSync(outDir, { recursive: true, force: true }));
  for (const prog of programs) {
    await t.test(prog.name, async (t) => {
      const elf = build(prog, outDir);
      // Both emulators run at the same time; the subtests then judge the results.
      const qemuRun = haveQemu ? run(QEMU, machineArgs(elf), QEMU_TIMEOUT_MS) : null;
      const tsqemuRun = existsSync(TSQEMU)
        ? run(process.execPath, [TSQEMU, ...machineArgs(elf), ...ACCEL], TSQEMU_TIMEOUT_MS)
        : null;
      let reference = null;
      await t.test('qemu-system-riscv64', { skip: haveQemu ? false : `${QEMU} not installed` }, async () => {
        const r = await qemuRun;
        assert.ok(r.status === 0 && !r.timedOut, describeRun(QEMU, r));
        assert.match(r.stdout, /^PASS \d+ checks$/m);
        reference = r.stdout;
      });
      await t.test('tsqemu-system-riscv64', async () => {
        assert.ok(tsqemuRun, `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
        const r = await tsqemuRun;
        assert.ok(r.status === 0 && !r.timedOut, describeRun('tsqemu-system-riscv64', r));
        if (reference !== null) {
          const diff = firstDifference(reference, r.stdout);
          if (diff) assert.fail(diff);
        } else {
          assert.match(r.stdout, /^PASS \d+ checks$/m);
        }
      });
    });
  }
});
