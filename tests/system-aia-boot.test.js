// The default guest (OpenSBI 1.6 + Linux 6.12) under -M virt,aia=aplic-imsic and aia=aplic, two
// harts each: Linux drives the IMSICs (IPIs and MSIs) and the APLIC (MSI mode: wired sources
// forwarded as MSIs; direct mode: its IDCs), a virtio-rng-pci device interrupts through MSI-X
// into the IMSIC (aia=aplic-imsic, two guest files per hart) or through INTx into the APLIC
// (aia=aplic), also once Linux moves it to CPU1 (smp_affinity), and the kernel's
// probe messages of the interrupt controllers equal those it prints on qemu-system-riscv64 7.2
// given the same -bios. (7.2's APLIC re-raises a level source on every setipnum write, so there
// Linux's MSI-mode EOI storms right after the 8250 probe and never reaches init: QEMU fixed that
// later, and only the probe lines are compared for aplic-imsic.) With V off, the vector program
// dies of SIGILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Console, INITRD, ROOT, hasTool, kernelImage, tmpdir } from './system-helpers.js';
import { initrdWith } from './helpers/initrd.js';
import { ccSpawnSync } from './helpers/cc-cache.js';

const QEMU = 'qemu-system-riscv64';
const BIOS = path.join(ROOT, 'pc-bios', 'opensbi-riscv64-generic-fw_dynamic.bin');
const BOOT = 150_000;
const haveGcc = hasTool('riscv64-linux-gnu-gcc');
const haveQemu = hasTool(QEMU);

let dir, initrd;
/** The initramfs plus tests/linux-user/rvv.c (when the cross gcc is there). */
function setup() {
  if (initrd) return initrd;
  dir = tmpdir();
  if (!haveGcc) return (initrd = INITRD);
  const prog = path.join(dir, 'rvv');
  const b = ccSpawnSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', prog, path.join(ROOT, 'tests', 'linux-user', 'rvv.c')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  return (initrd = initrdWith(INITRD, [['rvv', fs.readFileSync(prog)]], path.join(dir, 'initrd.cpio.gz')));
}

const machineArgs = (aia) => ['-M', `virt,aia=${aia}${aia === 'aplic-imsic' ? ',aia-guests=2' : ''}`, '-m', '256M', '-smp', '2', '-nographic', '-bios', BIOS,
  '-kernel', kernelImage(), '-initrd', setup(), '-append', 'console=ttyS0', '-device', 'virtio-rng-pci'];

/** The interrupt controllers' probe lines, timestamps off, in order. */
function aiaLines(out) {
  return out.replace(/\r/g, '').split('\n').map((l) => l.replace(/^\[\s*\d+\.\d+\]\s*/, ''))
    .filter((l) => /^(riscv-intc|riscv-imsic|riscv-aplic|Platform IPI Device)/.test(l));
}

/** qemu-system-riscv64's console up to the APLIC's probe line (it comes after the IMSIC's). */
async function qemuAiaLines(aia) {
  const q = new Console(machineArgs(aia), QEMU);
  try {
    await q.expect(/riscv-aplic \S+: \d+ interrupts[^\n]*\n/, 60_000); // the whole line
    return aiaLines(q.out);
  } finally {
    q.kill();
    await q.exit;
  }
}

/** virtio0's interrupt counts summed over its /proc/interrupts lines. */
function count(lines) {
  return lines.split('\n').reduce((n, l) => n + l.trim().split(/\s+/).slice(1, 3).filter((x) => /^\d+$/.test(x))
    .reduce((a, x) => a + Number(x), 0), 0);
}

// aplic-imsic with two guest interrupt files per hart: hart 1's S file is at 0x28000000 + 0x4000.
for (const [aia, want] of [
  ['aplic-imsic', { ctl: /PCI-MSIX-0000:00:01.0/, line: /virtio0-(requests|input)/, uart: /APLIC-MSI-d000000\.aplic\s+10 Level/,
    aplic: /forwarded to MSI base 0x0*28000000/ }],
  ['aplic', { ctl: /APLIC-DIRECT/, line: /virtio0/, uart: /APLIC-DIRECT\s+10 Level/,
    aplic: /interrupts directly connected to 2 CPUs/ }],
]) {
  test(`-M virt,aia=${aia} -smp 2: Linux boots to a shell, virtio-rng-pci interrupts, probe lines equal to QEMU's`,
    { timeout: BOOT + 90_000 }, async (t) => {
      const c = new Console(machineArgs(aia));
      t.after(() => c.kill());
      await c.expect(/tsqemu-guest: boot complete/, BOOT);
      await c.sh('dmesg -n 1');
      const ours = aiaLines(c.out);
      assert.ok(ours.some((l) => want.aplic.test(l)), ours.join('\n'));
      assert.equal(await c.sh('grep -c processor /proc/cpuinfo'), '2');
      const irqs = () => c.sh('grep virtio0 /proc/interrupts');
      const before = await irqs();
      assert.match(before, want.ctl, before);
      assert.match(before, want.line, before);
      assert.equal(await c.sh('head -c 256 /dev/hwrng | wc -c'), '256');
      const after = await irqs();
      assert.ok(count(after) > count(before), `${before}\n--\n${after}`);
      // Linux moves the device's interrupt to CPU1: the MSI now goes to hart 1's IMSIC file (with
      // the guest files in the address), or the APLIC's target names hart 1's IDC.
      const irq = after.split('\n').find((l) => want.line.test(l)).trim().split(':')[0];
      const onCpu1 = async () => Number((await c.sh(`grep "^ *${irq}:" /proc/interrupts`)).trim().split(/\s+/)[2]);
      await c.sh(`echo 2 > /proc/irq/${irq}/smp_affinity`);
      const cpu1 = await onCpu1();
      assert.equal(await c.sh('head -c 256 /dev/hwrng | wc -c'), '256');
      assert.ok(await onCpu1() > cpu1, await irqs());
      // The console's UART (wired source 10) reaches Linux through the S-level APLIC.
      const uart = await c.sh('grep ttyS0 /proc/interrupts');
      assert.match(uart, want.uart, uart);
      if (aia === 'aplic-imsic') {
        // The IPIs are IMSIC identity 1 (the SBI IPI extension is not used): some were taken.
        const ipi = await c.sh('grep -E "IPI[01]:" /proc/interrupts');
        assert.ok(count(ipi) > 0, ipi);
        const isa = await c.sh("grep -m1 '^isa' /proc/cpuinfo");
        assert.match(isa, /^isa\s*:\s*rv64[a-z]+/, isa);
        assert.doesNotMatch(/rv64([a-z]+)/.exec(isa)[1], /v/, isa); // no single-letter V
        if (haveGcc) assert.match(await c.sh('/rvv; echo status=$?'), /Illegal instruction[\s\S]*status=132/);
      }
      c.send('poweroff -f\n');
      assert.equal(await c.exit, 0);
      if (haveQemu) assert.deepEqual(ours, await qemuAiaLines(aia));
    });
}

test.after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });
