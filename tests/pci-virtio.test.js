// PCIe on the virt board: real qemu-system-riscv64 and ours boot the same kernel and initramfs
// with virtio-blk-pci, virtio-rng-pci, sdhci-pci with an sd-card, -drive if=virtio and libvirt's
// PCIe layout (pcie-root-ports with virtio-blk-pci and virtio-balloon-pci behind them); the
// guest's lspci, BAR resources, config spaces (capabilities, MSI-X, virtio vendor caps, swizzled
// IRQs) and the card's type, name, CID, SCR, size and contents must be equal. Then our guest uses the devices (disk read/write seen from the host, hwrng) and the
// command line is checked (-device help, addr=, errors), and HMP `info pci` (also after the
// guest numbered the root ports' buses) and QMP `query-pci` against QEMU's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, Console, hasTool, run, tmpdir } from './system-helpers.js';
import { PCI_DUMP, QEMU_CPU, consoleOn, guestArgs } from './pci-helpers.js';
import { QmpClient, startEmu } from './qmp-helpers.js';

const haveQemu = hasTool('qemu-system-riscv64');

function devices(dir) {
  return ['-drive', `file=${path.join(dir, 'a.img')},format=raw,if=none,id=d0`, '-device', 'virtio-blk-pci,drive=d0',
    '-device', 'virtio-rng-pci', '-device', 'sdhci-pci', '-drive', `file=${path.join(dir, 'b.img')},format=raw,if=virtio`,
    '-drive', `file=${path.join(dir, 'c.img')},format=raw,if=none,id=s0`, '-device', 'sd-card,drive=s0',
    // libvirt's PCIe layout: root ports (functions of one slot), a disk and the balloon behind them, one port empty.
    '-device', 'pcie-root-port,port=8,chassis=1,id=pci.1,bus=pcie.0,multifunction=true,addr=0x5',
    '-device', 'pcie-root-port,port=9,chassis=2,id=pci.2,bus=pcie.0,addr=0x5.0x1',
    '-device', 'pcie-root-port,port=10,chassis=3,id=pci.3,bus=pcie.0,addr=0x5.0x2',
    '-drive', `file=${path.join(dir, 'd.img')},format=raw,if=none,id=d1`, '-device', 'virtio-blk-pci,bus=pci.1,addr=0x0,drive=d1,id=virtio-disk0,bootindex=1',
    '-device', 'virtio-balloon-pci,id=balloon0,bus=pci.2,addr=0x0'];
}

/** The guest's PCI view, and the SD card's identity as Linux decoded it (CSD aside: ours has no erase class). */
async function dumpPci(c) {
  await c.expect(/tsqemu-guest: boot complete/, 110_000);
  await c.sh('dmesg -n 1');
  const sd = 'cd /sys/block/mmcblk0/device && cat type name cid scr /sys/block/mmcblk0/size && sha256sum /dev/mmcblk0 | cut -d" " -f1; cd /';
  return `${await c.sh(PCI_DUMP, 60_000)}\n${await c.sh(sd, 60_000)}\n${await hmpInfoPci(c)}`;
}

/** HMP `info pci` (through -nographic's mux: Ctrl-A c) once the guest numbered the root ports'
 * buses: each bridge's bus numbers and windows, then the functions behind it (QEMU's recursion). */
async function hmpInfoPci(c) {
  const at = c.out.length;
  c.send('\x01c');
  await c.expect(/\(qemu\) /, 30_000, at);
  const from = c.out.length;
  c.send('info pci\r');
  await c.expect(/id "balloon0"\r?\n[\s\S]*?\(qemu\) /, 30_000, from);
  const text = c.out.slice(from).replace(/\r/g, '').split('\n').filter((l) => l.startsWith('  ')).join('\n');
  c.send('\x01c');
  await c.sh('true');
  return text;
}

test('guest PCI view equals real QEMU\'s; the devices work', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 300_000 }, async () => {
  const dir = tmpdir();
  const data = crypto.randomBytes(1 << 20);
  fs.writeFileSync(path.join(dir, 'a.img'), data);
  fs.writeFileSync(path.join(dir, 'b.img'), Buffer.alloc(1 << 20));
  fs.writeFileSync(path.join(dir, 'c.img'), crypto.randomBytes(4 << 20));
  fs.writeFileSync(path.join(dir, 'd.img'), Buffer.concat([Buffer.from('behind-the-root-port'), Buffer.alloc((1 << 20) - 20)]));
  const q = consoleOn('qemu-system-riscv64', [...guestArgs(devices(dir)), ...QEMU_CPU]);
  let theirs;
  try {
    theirs = await dumpPci(q);
  } finally {
    q.kill();
  }
  const c = new Console(guestArgs(devices(dir)));
  try {
    const ours = await dumpPci(c);
    assert.match(ours, /00:01\.0 Class 0100: 1af4:1001/);
    assert.match(ours, /00:02\.0 Class 00ff: 1af4:1005/);
    assert.match(ours, /00:03\.0 Class 0805: 1b36:0007/);
    assert.match(ours, /00:04\.0 Class 0100: 1af4:1001/);
    assert.match(ours, /00:05\.0 Class 0604: 1b36:000c/);
    assert.match(ours, /01:00\.0 Class 0100: 1af4:1042/);
    assert.match(ours, /02:00\.0 Class 00ff: 1af4:1045/);
    assert.match(ours, /\nSD\nQEMU!\naa585951454d552101deadbeef0062/);
    assert.match(ours, /PCI bridge: PCI device 1b36:000c\n {6}IRQ \d+, pin A\n {6}BUS 0\.\n {6}secondary bus 1\.\n {6}subordinate bus 1\.\n[\s\S]*id "pci\.1"\n {2}Bus  1, device   0, function 0:\n {4}SCSI controller: PCI device 1af4:1042/);
    assert.equal(ours, theirs);
    // The devices: INTx-driven virtio-pci disk (both), hwrng, sdhci without a card.
    const sha = crypto.createHash('sha256').update(data).digest('hex');
    assert.equal(await c.sh('sha256sum /dev/vda | cut -d" " -f1'), sha);
    assert.equal(await c.sh('echo pci-disk-wrote-this | dd of=/dev/vdb bs=512 seek=3 conv=sync 2>/dev/null; sync; echo ok'), 'ok');
    assert.equal(await c.sh('head -c 64 /dev/hwrng | wc -c'), '64');
    // The disk behind pci.1: config cycles, BARs and INTx through the root port.
    assert.equal(await c.sh('for b in /sys/bus/pci/devices/0000:01:00.0/virtio*/block/*; do head -c 20 /dev/${b##*/}; done; echo'), 'behind-the-root-port');
    assert.match(await c.sh('grep -E "virtio|mmc" /proc/interrupts'), /PLIC\s+33 .*virtio0[\s\S]*PLIC\s+34/);
    c.send('poweroff -f\n');
    assert.equal(await c.exit, 0);
    assert.equal(fs.readFileSync(path.join(dir, 'b.img')).subarray(1536, 1556).toString(), 'pci-disk-wrote-this\n');
  } finally {
    c.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('HMP info pci equals real QEMU\'s', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 150_000 }, async () => {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'a.img'), Buffer.alloc(1 << 20));
    fs.writeFileSync(path.join(dir, 'b.img'), Buffer.alloc(1 << 20));
    const devs = ['-drive', `file=${path.join(dir, 'a.img')},format=raw,if=none,id=d0`, '-device', 'virtio-blk-pci,drive=d0,id=blk0',
      '-device', 'virtio-rng-pci,addr=0x6', '-device', 'sdhci-pci,addr=05.0',
      // libvirt's model='virtio-non-transitional' (and its probe for PCIe placement): modern-only, 1af4:1042.
      '-drive', `file=${path.join(dir, 'b.img')},format=raw,if=none,id=d1`, '-device', 'virtio-blk-pci-non-transitional,drive=d1,addr=0x7',
      '-device', 'virtio-rng-pci-non-transitional', '-device', 'virtio-balloon-pci-non-transitional',
      '-device', 'virtio-serial-pci-non-transitional', '-device', 'virtio-serial-pci'];
    const q = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-S', '-display', 'none', '-serial', 'none', '-monitor', 'stdio', ...devs],
      { input: 'info pci\nquit\n', encoding: 'utf8' });
    const theirs = q.stdout.replace(/\r/g, '').split('\n').filter((l) => l.startsWith('  ')).join('\n');
    const c = new Console(['-M', 'virt', '-S', '-nographic', '-bios', 'none', ...devs]);
    try {
      c.send('\x01c');
      await c.expect(/\(qemu\) /, 60_000, 0); // an emulator start under load
      const from = c.out.length;
      c.send('info pci\r');
      await c.expect(/id ""\r?\n[\s\S]*?\(qemu\) /, 60_000, from);
      const ours = c.out.slice(from).replace(/\r/g, '').split('\n').filter((l) => l.startsWith('  ')).join('\n');
      assert.ok(theirs.includes('Bus  0, device   6') && theirs.includes('1af4:1042'), theirs);
      assert.equal(ours, theirs);
      c.send('q\r');
      await c.exit;
    } finally {
      c.kill();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Keys sorted at every level: QEMU 7.2's QMP prints an object's members in hash order. */
const sorted = (v) => (Array.isArray(v) ? v.map(sorted)
  : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v);

test('QMP query-pci equals real QEMU\'s (bridges, their windows, class names, unmapped BARs)', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 120_000 }, async () => {
  const dir = tmpdir();
  const devs = ['-device', 'pcie-root-port,id=pci.1,bus=pcie.0,chassis=1,port=8,addr=0x1,multifunction=on',
    '-device', 'pcie-root-port,id=pci.2,bus=pcie.0,chassis=2,port=9,addr=0x1.1', '-device', 'virtio-balloon-pci,bus=pci.2',
    '-device', 'virtio-rng-pci,id=r', '-device', 'sdhci-pci'];
  try {
    const replies = [];
    for (const bin of ['qemu-system-riscv64', BIN]) {
      const sock = path.join(dir, `${replies.length}.qmp`);
      const emu = startEmu(bin, ['-M', 'virt', '-S', '-display', 'none', '-nodefaults', ...devs, '-qmp', `unix:${sock},server=on,wait=off`]);
      const c = await QmpClient.connect(sock);
      await c.greeting();
      await c.cmd('qmp_capabilities');
      replies.push(sorted((await c.cmd('query-pci')).return));
      await c.cmd('quit');
      await emu.exit;
    }
    assert.equal(replies[0][0].devices.length, 5, JSON.stringify(replies[0]));
    assert.deepEqual(replies[1], replies[0]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-device help lists the PCI devices; property help; bad PCI lines are refused', { timeout: 60_000 }, async () => {
  let r = await run(['-device', 'help']);
  assert.equal(r.code, 0);
  for (const d of ['virtio-blk-pci', 'virtio-rng-pci', 'sdhci-pci', 'sd-card', 'emmc', 'virtio-blk-device']) assert.match(r.stdout, new RegExp(`name "${d}"`));
  assert.match(r.stdout, /name "virtio-blk-pci", bus PCI, alias "virtio-blk"/);
  r = await run(['-device', 'emmc,help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /boot-partition-size=<size>/);
  const P = path.basename(BIN);
  const bad = [
    [['-device', 'virtio-rng-pci,addr=0'], /-device virtio-rng-pci,addr=0: PCI: slot 0 function 0 not available for virtio-rng-pci, in use by gpex-root/],
    [['-device', 'virtio-rng-pci,addr=32'], /Property 'virtio-rng-pci.addr' doesn't take value '32'/],
    [['-device', 'virtio-rng-pci,bus=pcie.1'], /Bus 'pcie.1' not found/],
    // Root ports: QEMU's texts (checked against qemu-system-riscv64 7.2; the slot-0 rule is 10.2's).
    [['-device', 'pcie-root-port,id=pci.1,chassis=1', '-device', 'pcie-root-port,id=pci.2,chassis=1'], /-device pcie-root-port,id=pci.2,chassis=1: Can't add chassis slot, error -16$/m],
    [['-device', 'pcie-root-port,id=pci.1,chassis=1,port=300'], /Parameter 'port' expects uint8_t/],
    [['-device', 'pcie-root-port,id=pci.1,chassis=1', '-device', 'virtio-rng-pci,bus=pci.9'], /Bus 'pci.9' not found/],
    [['-device', 'pcie-root-port,id=pci.1,chassis=1,addr=1', '-device', 'virtio-rng-pci,addr=1'], /PCI: slot 1 function 0 not available for virtio-rng-pci, in use by pcie-root-port/],
    [['-device', 'pcie-root-port,id=pci.1,chassis=1,addr=1.0', '-device', 'pcie-root-port,id=pci.2,chassis=2,addr=1.1'], /PCI: single function device can't be populated in function 1.1$/m],
    [['-device', 'pcie-root-port,id=pci.1,chassis=1,addr=1.1', '-device', 'pcie-root-port,id=pci.2,chassis=2,addr=1.0'], /PCI: 1.0 indicates single function, but 1.1 is already populated.$/m],
    [['-device', 'pcie-root-port,id=pci.1,chassis=1', '-device', 'virtio-rng-pci,bus=pci.1,addr=1'], /PCI: slot 1 is not valid for virtio-rng-pci, parent device only allows plugging into slot 0./],
    [['-device', 'virtio-rng-pci,foo=1'], /Property 'virtio-rng-pci.foo' not found/],
    [['-device', 'virtio-blk-pci'], /drive property not set/],
    [['-device', 'virtio-blk-pci,drive=nope'], /Property 'virtio-blk-pci.drive' can't find value 'nope'/],
    [['-device', 'emmc,drive=x'], /No 'sd-bus' bus found for device 'emmc'/],
  ];
  for (const [args, re] of bad) {
    r = await run(['-M', 'virt', '-nographic', '-bios', 'none', ...args], { input: '' });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^${P}: `));
    assert.match(r.stderr, re);
  }
});
