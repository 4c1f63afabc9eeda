// -M virt,aia=aplic|aplic-imsic[,aia-guests=N] and aclint=on against real qemu-system-riscv64
// (Debian's 7.2): the dumpdtb decoded by dtc must be equal (rng-seed aside), and the bare-metal
// programs of tests/tcg/aia (APLIC direct and MSI mode, IMSIC and the Smaia/Ssaia CSRs, ACLINT,
// a PCI device's MSI-X into the IMSIC) must print the same trace on both emulators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, GCC, QEMU, TSQEMU, hasTool, build, run, describeRun, firstDifference } from './tcg-bare-helpers.js';

const haveQemu = hasTool(QEMU) && hasTool('dtc');
const haveGcc = hasTool(GCC);
const QEMU_CPU = ['-cpu', 'rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off,sstc=off'];
const AIA_SRC = join(ROOT, 'tests', 'tcg', 'aia');

function dts(file) {
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/rng-seed = <[^>]*>;/, 'rng-seed = <SEED>;');
}

const DTB_CASES = [
  ['aia=aplic', 1], ['aia=aplic', 4],
  ['aia=aplic-imsic', 1], ['aia=aplic-imsic', 4],
  ['aclint=on', 1], ['aclint=on', 4],
  ['aia=aplic,aclint=on', 2], ['aia=aplic-imsic,aclint=on', 2],
  ['aia=aplic-imsic,aia-guests=3', 2],
];

test('dumpdtb equal to QEMU 7.2 for aia=/aclint=', { skip: !haveQemu && 'qemu-system-riscv64 or dtc missing', timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-aia-dtb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [opts, smp] of DTB_CASES) {
    await t.test(`${opts} -smp ${smp}`, async () => {
      const ours = join(dir, 'ours.dtb');
      const theirs = join(dir, 'qemu.dtb');
      const common = ['-smp', String(smp), '-bios', 'none', '-nographic'];
      const r = await run(process.execPath, [TSQEMU, '-M', `virt,${opts},dumpdtb=${ours}`, ...common], 30_000);
      assert.equal(r.status, 0, r.stderr);
      const q = spawnSync(QEMU, ['-M', `virt,${opts},dumpdtb=${theirs}`, ...QEMU_CPU, ...common], { encoding: 'utf8', input: '' });
      assert.equal(q.status, 0, q.stderr);
      assert.equal(dts(ours), dts(theirs));
    });
  }
});

test('bad aia= and aia-guests= are refused with QEMU\'s messages', async () => {
  let r = await run(process.execPath, [TSQEMU, '-M', 'virt,aia=msi', '-bios', 'none', '-nographic'], 30_000);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /Invalid AIA interrupt controller type\nValid values are none, aplic, and aplic-imsic\./);
  r = await run(process.execPath, [TSQEMU, '-M', 'virt,aia=aplic-imsic,aia-guests=8', '-bios', 'none', '-nographic'], 30_000);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /Invalid number of AIA IMSIC guests\nValid values be between 0 and 7\./);
});

const PROGRAMS = [
  ['aplic-direct', ['-M', 'virt,aia=aplic', '-smp', '2']],
  ['aplic-imsic', ['-M', 'virt,aia=aplic-imsic']],
  ['aclint', ['-M', 'virt,aclint=on']],
  ['aclint', ['-M', 'virt,aia=aplic-imsic,aclint=on']],
  ['pci-msix', ['-M', 'virt,aia=aplic-imsic', '-device', 'virtio-rng-pci']],
];

test('AIA/ACLINT bare-metal programs: same trace as QEMU 7.2', { skip: !haveGcc && `${GCC} missing`, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-aia-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, machine] of PROGRAMS) {
    await t.test(`${name} ${machine.join(' ')}`, async () => {
      const elf = build({ name, file: join(AIA_SRC, `${name}.c`) }, dir);
      const args = [...machine, '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];
      const [q, o] = await Promise.all([
        haveQemu ? run(QEMU, [...QEMU_CPU, ...args], 20_000) : null,
        run(process.execPath, [TSQEMU, ...args], 60_000),
      ]);
      assert.ok(o.status === 0 && !o.timedOut, describeRun('tsqemu-system-riscv64', o));
      assert.match(o.stdout, /^PASS \d+ checks$/m);
      if (q) {
        assert.ok(q.status === 0 && !q.timedOut, describeRun(QEMU, q));
        const diff = firstDifference(q.stdout, o.stdout);
        if (diff) assert.fail(diff);
      }
    });
  }
});
