// Zcmp and Zcmt (src/target/riscv/trans_rvzce.ts) on -cpu rv64,c=false,zca=true,zcmp=true,zcmt=true,
// which QEMU 7.2 does not have: tests/tcg/riscv64-ext/zcmp.c (hand-assembled encodings,
// expectations from the Zc specification) in every compiler mode; QEMU 10.2's -cpu checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCC, ROOT, SRC, TSQEMU, describeRun, hasTool, machineArgs, run } from './tcg-bare-helpers.js';
import { DIFF_MODES } from '../tests/tcg/diff/run.mjs';
import { ccSpawnSync } from './helpers/cc-cache.js';

const skip = !hasTool(GCC) ? `${GCC} not installed` : false;
const CPU = 'rv64,c=false,zca=true,zcmp=true,zcmt=true';

test('Zcmp/Zcmt without C: push/pop/popret(z)/moves/table jumps in every compiler mode', { skip }, async (t) => {
  assert.ok(existsSync(TSQEMU), `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-zcmp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // No compressed code of the program's own: its c.fsdsp space belongs to Zcmp here.
  const elf = join(dir, 'zcmp.elf');
  const b = ccSpawnSync(GCC, ['-nostdlib', '-nostartfiles', '-ffreestanding', '-fno-pie', '-no-pie', '-static', '-O2',
    '-march=rv64g', '-mabi=lp64d', '-mcmodel=medany', '-Wall', '-Werror', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments',
    '-T', join(SRC, 'link.ld'), '-I', SRC, join(SRC, 'crt0.S'), join(SRC, 'common.c'),
    join(ROOT, 'tests', 'tcg', 'riscv64-ext', 'zcmp.c'), '-lgcc', '-o', elf], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  for (const [mode, env] of DIFF_MODES) {
    const r = await run(process.execPath, [TSQEMU, ...machineArgs(elf), '-cpu', CPU], 60_000, env);
    assert.ok(r.status === 0 && !r.timedOut, `${mode}: ${describeRun('tsqemu-system-riscv64', r)}`);
    for (const n of ['push.ra-lowest', 'pop.sp', 'popretz.a0', 'popret.s0', 'mva01s', 'cm.jalt', 'c.fld-illegal-without-zcd']) {
      assert.match(r.stdout, new RegExp(`^ok ${n.replace(/\./g, '\\.')}$`, 'm'), `${mode}: ${n}`);
    }
    assert.match(r.stdout, /^PASS \d+ checks$/m, mode);
  }
});

test('Zcmp/Zcmt: QEMU 10.2\'s dependency checks and texts', () => {
  const err = (c) => {
    const r = spawnSync(process.execPath, [TSQEMU, '-cpu', c, '-M', 'virt,dumpdtb=/dev/null', '-bios', 'none', '-nographic'], { encoding: 'utf8' });
    return { status: r.status, text: r.stderr.trim() };
  };
  assert.deepEqual(err('rv64,zcmp=true'), { status: 1, text: 'tsqemu-system-riscv64: Zcmp/Zcmt extensions are incompatible with Zcd extension' });
  assert.deepEqual(err('rv64,zcmt=on'), { status: 1, text: 'tsqemu-system-riscv64: Zcmp/Zcmt extensions are incompatible with Zcd extension' });
  assert.deepEqual(err('rv64,c=false,zca=true,zcd=true,zcmp=true'), { status: 1, text: 'tsqemu-system-riscv64: Zcmp/Zcmt extensions are incompatible with Zcd extension' });
  assert.deepEqual(err('rv64,c=false,zca=false,zcmp=true'), { status: 1, text: 'tsqemu-system-riscv64: Zcf/Zcd/Zcb/Zcmp/Zcmt extensions require Zca extension' });
  assert.match(err('rv64,c=false').text, /CPU property 'c=off' is not supported by tsqemu without zca=on/);
  assert.equal(err('rv64,c=false,zcmp=true').status, 0, 'Zcmp implies Zca');
  assert.equal(err(CPU).status, 0);
});
