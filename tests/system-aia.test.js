// -M virt,aia=aplic|aplic-imsic[,aia-guests=N] and aclint=on against real qemu-system-riscv64
// (Debian's 7.2): the dumpdtb decoded by dtc must be equal (rng-seed aside), and the bare-metal
// programs of tests/tcg/aia (APLIC direct and MSI mode, IMSIC and the Smaia/Ssaia CSRs, ACLINT,
// a PCI device's MSI-X into the IMSIC, its INTx through the APLIC) must print the same trace on both emulators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, GCC, QEMU, TSQEMU, hasTool, build, run, describeRun, firstDifference } from './tcg-bare-helpers.js';

import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { TimerList } from '../dist/main-loop/timer.js';
import { VirtIrqchip } from '../dist/hw/riscv/virt-aia.js';
import { setLogMask, setLogSink } from '../dist/qemu/log.js';

const LOG_GUEST_ERROR = 1 << 11;

const haveQemu = hasTool(QEMU) && hasTool('dtc');
const haveGcc = hasTool(GCC);
const QEMU_CPU = ['-cpu', 'rv64,h=off,zba=off,zbb=off,zbc=off,zbs=off,sstc=off'];
const AIA_SRC = join(ROOT, 'tests', 'tcg', 'aia');

function dts(file) {
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/rng-seed = <[^>]*>;/, 'rng-seed = <SEED>;');
}

/** The cpu nodes' ISA properties follow QEMU 10.2's format (tests/cpu-models.test.js checks
 * them); here they are normalised, as in tests/system-dtb.test.js. */
function dtsNoIsa(file) {
  return dts(file).replace(/\n\s*riscv,(isa-base|isa-extensions|cbo[mpz]-block-size) = [^;]*;/g, '')
    .replace(/riscv,isa = "[^"]*";/g, 'riscv,isa = <ISA>;').replace(/mmu-type = "[^"]*";/g, 'mmu-type = <MMU>;');
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
      const r = await run(process.execPath, [TSQEMU, '-M', `virt,${opts},dumpdtb=${ours}`, ...QEMU_CPU, ...common], 30_000);
      assert.equal(r.status, 0, r.stderr);
      const q = spawnSync(QEMU, ['-M', `virt,${opts},dumpdtb=${theirs}`, ...QEMU_CPU, ...common], { encoding: 'utf8', input: '' });
      assert.equal(q.status, 0, q.stderr);
      assert.equal(dtsNoIsa(ours), dtsNoIsa(theirs));
      // With an IMSIC the harts have Smaia/Ssaia, in riscv,isa as QEMU's.
      const isa = /riscv,isa = "([^"]*)"/.exec(dts(ours))[1];
      assert.equal(/_smaia_ssaia(_|$)/.test(isa), opts.includes('aplic-imsic'), isa);
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
  ['pci-intx', ['-M', 'virt,aia=aplic', '-device', 'virtio-rng-pci']],
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

class FakeHart { mip = 0; setMip(m, l) { this.mip = l ? this.mip | m : this.mip & ~m; } }

test('an APLIC MSI aimed back at the APLIC is dropped, not re-entered without end', () => {
  const layout = allocateGuestMemory(4096, 4096, 1 << 20);
  const as = new AddressSpace(layout.memory);
  const harts = [new FakeHart()];
  const ic = new VirtIrqchip(as, harts, { now: () => 0 }, new TimerList({ now: () => 0 }), { aia: 'aplic-imsic', aiaGuests: 0, aclint: false });
  const M = 0x0c000000;
  as.store(M + 0x1bc0, 4, BigInt((M + 0x2000) >>> 12)); // mmsicfgaddr: the APLIC's own setipnum_le
  as.store(M + 0x0004 + 2 * 4, 4, 4n); // sourcecfg[3] = edge rise
  as.store(M + 0x3004 + 2 * 4, 4, 3n); // target[3]: hart 0, eiid 3
  as.store(M + 0x1edc, 4, 3n); // setienum 3
  as.store(M + 0x0000, 4, 0x100n); // domaincfg.IE
  let logged = '';
  setLogMask(LOG_GUEST_ERROR);
  setLogSink((s) => { logged += s; });
  try {
    as.store(M + 0x1cdc, 4, 3n); // setipnum 3: MSI to setipnum_le 3, which would send it again
  } finally {
    setLogMask(0);
    setLogSink((t) => process.stderr.write(t));
  }
  assert.match(logged, /re-entrant MSI to 0xc002000 dropped/);
  assert.equal(Number(as.load(M + 0x1c00, 4)) & 8, 0, 'sent once, not pending');
  assert.equal(harts[0].mip, 0);
  assert.ok(ic.aplicM);
});

test('an MSI store to the IMSIC raises MEIP through eidelivery/eie (CSR side via rmw)', () => {
  const layout = allocateGuestMemory(4096, 4096, 1 << 20);
  const as = new AddressSpace(layout.memory);
  const harts = [new FakeHart(), new FakeHart()];
  const ic = new VirtIrqchip(as, harts, { now: () => 0 }, new TimerList({ now: () => 0 }), { aia: 'aplic-imsic', aiaGuests: 2, aclint: false });
  const m1 = ic.imsicM[1];
  m1.rmw(0, 0x70, 1n, 1n); // eidelivery
  m1.rmw(0, 0xc0, 1n << 7n, -1n); // eie0: identity 7
  as.store(0x24001000, 4, 7n); // hart 1's M file
  assert.equal(harts[1].mip, 1 << 11);
  assert.equal(harts[0].mip, 0);
  assert.equal(m1.rmw(0, 0x200, 0n, -1n), 0x70007n); // mtopei claim
  assert.equal(harts[1].mip, 0);
  as.store(0x28000000 + 2 * 0x4000 + 0x2000, 4, 9n); // hart 2? no: hart 0 stride 0x4000 with 2 guests -> page 2 of hart 0
  assert.equal(ic.imsicS[0].rmw(2, 0x80, 0n, 0n), 0n, 'beyond the S harts: nothing');
  const guestLines = [];
  ic.onGuestExternal = (hart, guest, level) => guestLines.push([hart, guest, level]);
  ic.imsicS[0].rmw(2, 0x70, 1n, 1n); // guest file 2: eidelivery
  ic.imsicS[0].rmw(2, 0xc0, 1n << 9n, -1n);
  as.store(0x28000000 + 0x2000, 4, 9n); // hart 0, guest file 2
  assert.equal(ic.imsicS[0].rmw(2, 0x80, 0n, 0n), 1n << 9n);
  assert.deepEqual(guestLines.at(-1), [0, 2, true]);
  assert.equal(harts[0].mip, 0, 'a guest file is not SEIP');
  assert.equal(ic.imsicS[0].rmw(3, 0x80, 0n, 0n), undefined, 'no guest file 3');
});

test('MSI mode: setipnum re-raises a level source only while its input is asserted (QEMU 10.2; Linux EOI)', () => {
  // QEMU 7.2 set the pending bit unconditionally: Linux 6.12's MSI-mode APLIC writes setipnum at
  // each level source's EOI, so the UART's interrupt stormed there and the guest never reached init.
  const layout = allocateGuestMemory(4096, 4096, 1 << 20);
  const as = new AddressSpace(layout.memory);
  const harts = [new FakeHart()];
  const ic = new VirtIrqchip(as, harts, { now: () => 0 }, new TimerList({ now: () => 0 }), { aia: 'aplic-imsic', aiaGuests: 0, aclint: false });
  const M = 0x0c000000;
  const m0 = ic.imsicM[0];
  m0.rmw(0, 0x70, 1n, 1n); // eidelivery
  m0.rmw(0, 0xc0, 1n << 10n, -1n); // eie0: identity 10
  const claim = () => m0.rmw(0, 0x200, 0n, -1n); // mtopei
  as.store(M + 0x1bc0, 4, BigInt(0x24000000 >>> 12)); // mmsicfgaddr: hart 0's M file
  as.store(M + 0x0004 + 9 * 4, 4, 6n); // sourcecfg[10] = level high
  as.store(M + 0x3004 + 9 * 4, 4, 10n); // target[10]: hart 0, eiid 10
  as.store(M + 0x1edc, 4, 10n); // setienum 10
  as.store(M + 0x0000, 4, 0x100n); // domaincfg.IE
  as.store(M + 0x1cdc, 4, 10n); // setipnum with the input low: nothing
  assert.equal(harts[0].mip, 0);
  assert.equal(Number(as.load(M + 0x1c00, 4)) & (1 << 10), 0);
  ic.irqs[10].set(true); // asserted: forwarded once
  assert.equal(harts[0].mip, 1 << 11);
  assert.equal(claim(), 0xa000an);
  assert.equal(harts[0].mip, 0, 'a level source is forwarded once per assertion');
  as.store(M + 0x2000, 4, 10n); // setipnum_le while still asserted (Linux's EOI): again
  assert.equal(claim(), 0xa000an);
  ic.irqs[10].set(false);
  as.store(M + 0x2000, 4, 10n); // deasserted: EOI re-raises nothing
  assert.equal(harts[0].mip, 0);
  assert.equal(claim(), 0n);
  // clripnum clears a level source's pending bit in MSI mode (domain IE off so it stays pending).
  as.store(M + 0x0000, 4, 0n);
  ic.irqs[10].set(true);
  assert.equal(Number(as.load(M + 0x1c00, 4)) & (1 << 10), 1 << 10);
  as.store(M + 0x1ddc, 4, 10n);
  assert.equal(Number(as.load(M + 0x1c00, 4)) & (1 << 10), 0);
});
