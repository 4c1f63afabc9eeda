// GEILEN > 0: -M virt,aia=aplic-imsic,aia-guests=3 with H. tests/tcg/aia/geilen.c writes MSIs to
// the S IMSIC's guest interrupt files and checks hgeip/hgeie, SGEIP, VSEIP from hstatus.VGEIN's
// file, vsiselect/vsireg/vstopei/vstopi (and their traps for VGEIN 0 or > GEILEN), VS-mode
// siselect/sireg/stopei reaching the guest file (a claim, virtual-instruction traps without a
// file) and an SGEI taken in HS while the guest runs. Its UART trace must equal real
// qemu-system-riscv64's (Debian's 7.2) in every compiler mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, QEMU, ROOT, TSQEMU, build, describeRun, firstDifference, hasTool, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';

const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool(QEMU) ? `${QEMU} not installed` : false;

test('guest interrupt files (GEILEN 3): same trace as QEMU 7.2 in every compiler mode', { skip, timeout: 240_000 }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-geilen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const elf = build({ name: 'geilen', file: join(ROOT, 'tests', 'tcg', 'aia', 'geilen.c') }, dir);
  const args = ['-M', 'virt,aia=aplic-imsic,aia-guests=3', '-cpu', 'rv64,h=true', '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];
  const q = await run(QEMU, args, 20_000);
  assert.ok(q.status === 0 && !q.timedOut, describeRun(QEMU, q));
  assert.match(q.stdout, /^sgei\.cause = 800000000000000c$/m, 'QEMU took the SGEI in HS');
  assert.match(q.stdout, /^PASS \d+ checks$/m);
  for (const [mode, env] of DIFF_MODES) {
    const o = await run(process.execPath, [TSQEMU, ...args], 60_000, env);
    assert.ok(o.status === 0 && !o.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', o)}`);
    const diff = firstDifference(q.stdout, o.stdout);
    if (diff) assert.fail(`${mode}: ${diff}`);
  }
});
