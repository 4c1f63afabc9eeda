// Smaia's mvien/mvip (virtual S-level interrupts, AIA 1.0 section 5.3, as QEMU 10.2): QEMU 7.2
// reads them as 0, so tests/tcg/riscv64-ext/mvien.c checks the specification's behaviour (mvip
// aliasing mip, mvip/sie bits of their own under mvien, the interrupt trapping to S without
// mideleg) in every compiler mode, with and without H, and on -M virt,aia=aplic-imsic. Without
// Smaia mvien is an illegal instruction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, TSQEMU, build, describeRun, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : false;

test('mvien/mvip: virtual S interrupts in every compiler mode, with H and with the IMSIC machine', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-mvien-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'mvien', file: join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'mvien.c') }, dir);
  const runs = [
    ...DIFF_MODES.map(([mode, env, extra = []]) => [mode, env, ['-cpu', 'rv64,smaia=on,ssaia=on', ...extra]]),
    ['with H', {}, ['-cpu', 'rv64,h=on,smaia=on,ssaia=on']],
    ['aia=aplic-imsic', {}, []],
  ];
  for (const [mode, env, extra] of runs) {
    const margs = machineArgs(elf);
    if (mode === 'aia=aplic-imsic') margs[1] = 'virt,aia=aplic-imsic';
    const r = await run(process.execPath, [TSQEMU, ...margs, ...extra], 60_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    assert.match(r.stdout, /^ok virtual-ssi-taken-in-s$/m, mode);
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
  const off = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', 'rv64'], 60_000);
  const m = /unexpected trap mcause=2 mepc=[0-9a-f]+ mtval=([0-9a-f]+)/.exec(off.stdout);
  assert.ok(m, `mvien should be illegal without Smaia:\n${off.stdout.slice(-300)}`);
  assert.equal(Number.parseInt(m[1], 16) >>> 20, 0x308, 'the trapping instruction is the csrw of mvien');
});
