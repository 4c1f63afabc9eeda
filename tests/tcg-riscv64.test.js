// Bare-metal RISC-V instruction tests (tests/tcg/riscv64, see its README.md).
//
// Each program is built with Debian's riscv64 cross compiler into a temporary
// directory, then run on real qemu-system-riscv64 and on tsqemu-system-riscv64 with
//   -M virt -bios none -kernel prog.elf -nographic -no-reboot
// Both must exit 0 (the programs check themselves and exit through sifive_test)
// and tsqemu's UART output must equal real QEMU's byte for byte.
//
// tsqemu runs each program against the one QEMU run at the defaults and with everything
// translated (threshold 1), and with TSQEMU_SLOW=1 also with the block compiler off (issue 3's
// compiler modes; one build and one reference run serve all).
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

/** [subtest name, extra environment] of each tsqemu run (undefined: the caller's environment).
 * The compiler-off run only with TSQEMU_SLOW=1: at the defaults every check runs in the
 * interpreter first (a block is translated after 5000 runs: 7 of the 15 programs run wholly
 * interpreted, the others their loops' first passes), so it mostly repeated the default run
 * (tests/tcg/diff/run.mjs COMPILER_OFF_MODE). */
const MODES = [['tsqemu-system-riscv64', undefined],
  ...(process.env.TSQEMU_SLOW === '1' ? [['tsqemu-system-riscv64, compiler off', { TSQEMU_TCG: 'off' }]] : []),
  ['tsqemu-system-riscv64, threshold 1', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1' }]];

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
      // QEMU and tsqemu run at the same time, tsqemu's modes one after the other (each with the
      // whole timeout); the subtests then judge the results.
      const qemuRun = haveQemu ? run(QEMU, machineArgs(elf), QEMU_TIMEOUT_MS) : null;
      let last = null;
      const tsqemuRuns = MODES.map(([, env]) => {
        if (!existsSync(TSQEMU)) return null;
        const go = () => run(process.execPath, [TSQEMU, ...machineArgs(elf), ...ACCEL], TSQEMU_TIMEOUT_MS, env);
        last = last ? last.then(go) : go();
        return last;
      });
      let reference = null;
      await t.test('qemu-system-riscv64', { skip: haveQemu ? false : `${QEMU} not installed` }, async () => {
        const r = await qemuRun;
        assert.ok(r.status === 0 && !r.timedOut, describeRun(QEMU, r));
        assert.match(r.stdout, /^PASS \d+ checks$/m);
        reference = r.stdout;
      });
      for (const [i, [name]] of MODES.entries()) {
        await t.test(name, async () => {
          assert.ok(tsqemuRuns[i], `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
          const r = await tsqemuRuns[i];
          assert.ok(r.status === 0 && !r.timedOut, describeRun(name, r));
          if (reference !== null) {
            const diff = firstDifference(reference, r.stdout);
            if (diff) assert.fail(diff);
          } else {
            assert.match(r.stdout, /^PASS \d+ checks$/m);
          }
        });
      }
    });
  }
});
