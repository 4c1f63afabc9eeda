// Differential streams of the unprivileged extensions QEMU 7.2 has (tests/tcg/diff/gen-ext.mjs):
// RV64GC streams with half of their instructions from Zba/Zbb/Zbc/Zbs/Zbkb/Zbkc/Zbkx/Zfh/Zk* (random
// registers, every instruction), run bare-metal on real qemu-system-riscv64 and on
// tsqemu-system-riscv64 (threshold 1 with the smallest batch, defaults; compiler off with TSQEMU_SLOW=1): the
// register, trap and memory dumps must be equal. With the extensions off, both must trap every
// one of them as an illegal instruction; in user mode the rv64 defaults (Zba/Zbb/Zbc/Zbs on)
// against qemu-riscv64 with them enabled.
//   long run: TSQEMU_SLOW=1 node --test tests/tcg-diff-ext.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, QEMU, TSQEMU, hasTool } from './tcg-bare-helpers.js';
import { runSeed } from '../tests/tcg/diff/run.mjs';

const SLOW = process.env.TSQEMU_SLOW === '1';
const B = ['zba', 'zbb', 'zbc', 'zbs'];
const BK = ['zbkb', 'zbkc', 'zbkx'];
const K = ['zknh', 'zksh', 'zkne', 'zknd', 'zksed'];
/** QEMU 7.2 spells some properties with a capital. */
const QEMU_NAME = { zfh: 'Zfh', zfhmin: 'Zfhmin' };
const cpu = (exts, v, t = 'true') =>
  `rv64,${exts.map((e) => (t === 'true' ? `${QEMU_NAME[e] ?? e}=${v}` : `${e}=${v === 'true' ? 'on' : 'off'}`)).join(',')}`;
const skip = !hasTool(GCC) ? `${GCC} not installed` : !hasTool(QEMU) ? `${QEMU} not installed` : false;

/** Without TSQEMU_SLOW one program of 16 streams stands for two seeds of 8 (the same number of
 * random instructions, one build and one set of emulator runs instead of two). */
async function check(t, seeds, exts, on, user = false, streams = 8) {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-tcgdiff-ext-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const v = on ? 'true' : 'false';
  for (const seed of seeds) {
    const bad = await runSeed(dir, seed, streams, 80, 60_000, user, {
      exts, qemuCpu: cpu(exts, v), tsqemuCpu: user ? undefined : cpu(exts, v, 'onoff'),
    });
    assert.deepEqual(bad, [], `seed ${seed}:\n${bad.map((b) => `${b.mode}: ${b.diff}`).join('\n')}`);
  }
}

test('Zba/Zbb/Zbc/Zbs/Zbkb/Zbkc/Zbkx streams: tsqemu equals qemu-system-riscv64 in each compiler mode', { skip }, async (t) => {
  await check(t, SLOW ? Array.from({ length: 40 }, (_, i) => 100 + i) : [101], [...B, ...BK], true, false, SLOW ? 8 : 16);
});

test('Zfh and Zfhmin streams (NaN-boxing, every rounding mode, flags): tsqemu equals qemu-system-riscv64', { skip }, async (t) => {
  await check(t, SLOW ? Array.from({ length: 40 }, (_, i) => 400 + i) : [401], ['zfh'], true, false, SLOW ? 8 : 16);
  await check(t, [411], ['zfhmin'], true);
});

test('scalar crypto (Zknh, Zksh, Zkne, Zknd, Zksed) streams: tsqemu equals qemu-system-riscv64', { skip }, async (t) => {
  await check(t, SLOW ? Array.from({ length: 40 }, (_, i) => 500 + i) : [501], K, true);
});

test('the same instructions with the extensions off are illegal on both', { skip }, async (t) => {
  await check(t, [201], [...B, ...BK, ...K, 'zfh'], false);
});

test('user mode: Zba/Zbb/Zbc/Zbs on by default equal qemu-riscv64 with them enabled', {
  skip: skip || (!hasTool('qemu-riscv64') ? 'qemu-riscv64 not installed' : false),
}, async (t) => {
  await check(t, [301], B, true, true);
});
