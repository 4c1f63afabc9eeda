// The block compiler in each mode, on real workloads (issue 3's "done" list):
//   - the bare-metal instruction suite compared with real QEMU with the compiler off and with a
//     threshold of 1 (everything translated): tests/tcg-riscv64.test.js runs every program in
//     those modes and at the defaults, against one build and one QEMU run;
//   - the reference Linux boot to power-off, compiler off and threshold 1;
//   - self-modifying code in user mode (an RWX mapping rewritten between calls), compared with
//     qemu-riscv64, at threshold 1 and by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, INITRD, kernelImage, hasTool, runNode } from './system-helpers.js';
import { ccSpawnSync } from './helpers/cc-cache.js';


const MODES = [['compiler off', { TSQEMU_TCG: 'off' }], ['threshold 1', { TSQEMU_TCG: 'on', TSQEMU_TCG_THRESHOLD: '1' }]];

function bootArgs(extra = []) {
  return [join(ROOT, 'dist', 'cli', 'system-riscv64.js'), ...extra, '-M', 'virt', '-m', '256M', '-nographic',
    '-bios', join(ROOT, 'pc-bios', 'opensbi-riscv64-generic-fw_dynamic.bin'), '-kernel', kernelImage(), '-initrd', INITRD,
    '-append', 'console=ttyS0 guest.poweroff', '-no-reboot'];
}

for (const [name, env] of MODES) {
  test(`Linux boots to power-off, ${name}`, { timeout: 180_000 }, async () => {
    const r = await runNode(bootArgs(), env, 170_000);
    assert.match(r.out, /tsqemu-guest: boot complete/, r.out.slice(-2000) + r.err);
    assert.match(r.out, /reboot: Power down/);
    assert.equal(r.code, 0);
  });
}

test('Linux boots with a 1 MiB code cache (repeated tb_flush)', { timeout: 180_000 }, async () => {
  const r = await runNode(bootArgs(['-accel', 'tcg,tb-size=1,jit-threshold=20']), {}, 170_000);
  assert.match(r.out, /reboot: Power down/, r.out.slice(-2000) + r.err);
  assert.equal(r.code, 0);
});

const haveCross = hasTool('riscv64-linux-gnu-gcc');
const haveQemuUser = hasTool('qemu-riscv64');

test('self-modifying code in user mode matches qemu-riscv64', { skip: !haveCross || !haveQemuUser, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-jit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'smc-user');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-o', exe, join(ROOT, 'tests', 'jit', 'smc-user.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const want = spawnSync('qemu-riscv64', [exe], { encoding: 'utf8' });
  assert.equal(want.status, 0);
  assert.match(want.stdout, /round 49: f\(1000\) = 1050/);
  for (const env of [{ TSQEMU_TCG_THRESHOLD: '1' }, {}]) {
    const log = join(dir, 'in_asm.log');
    const r = await runNode([join(ROOT, 'dist', 'cli', 'riscv64.js'), '-d', 'in_asm', '-D', log, exe], env, 100_000);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, want.stdout, `output with ${JSON.stringify(env)}`);
    // The rewritten code itself was translated (addi a0,a0,N at the start of a block).
    assert.match(readFileSync(log, 'utf8'), /addi\s+a0,\s*a0,\s*4[0-9]\b/);
  }
});

test('-d exec traces block starts in QEMU\'s format, from the same entry as qemu-riscv64', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-exec-'));
  try {
    const bb = join(dir, 'busybox');
    writeFileSync(bb, gunzipSync(readFileSync(join(ROOT, 'images', 'busybox.gz'))), { mode: 0o755 });
    const log = join(dir, 'exec.log');
    const r = await runNode([join(ROOT, 'dist', 'cli', 'riscv64.js'), '-d', 'exec', '-D', log, bb, 'echo', 'traced'], {}, 60_000);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'traced\n');
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(lines.length > 1000, `${lines.length} trace lines`);
    for (const l of lines) assert.match(l, /^Trace 0: 0x[0-9a-f]+ \[0{16}\/[0-9a-f]{16}\/[0-9a-f]{8}\/0{8}\] $/);
    assert.ok(lines.some((l) => !l.startsWith('Trace 0: 0x0 ')), 'translated blocks are traced too');
    if (hasTool('qemu-riscv64')) {
      const qlog = join(dir, 'qemu.log');
      spawnSync('qemu-riscv64', ['-d', 'exec,nochain', '-D', qlog, bb, 'echo', 'traced']);
      const pcOf = (l) => l.split('/')[1];
      assert.equal(pcOf(lines[0]), pcOf(readFileSync(qlog, 'utf8').split('\n')[0]), 'first block: the ELF entry');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
