// PCI functions take slots in command-line order as QEMU's qdev_device_add loop gives them:
// -device virtio-net-pci, virtio-9p-pci and -virtfs's device in their places among the other
// -device options, then -drive if=virtio's; `romfile=` (no option ROM) is accepted on PCI
// devices, as a host without QEMU's efi-virtio.rom needs for virtio-net-pci. Checked against
// real QEMU's HMP `info pci` (found with Debian's kernel: scripts/distro-boot-diff.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Console, hasTool, run, tmpdir } from './system-helpers.js';

const haveQemu = hasTool('qemu-system-riscv64');

function devices(dir) {
  return ['-drive', `file=${path.join(dir, 'a.img')},format=raw,if=virtio`, '-device', 'virtio-rng-pci', '-netdev', 'user,id=n0',
    '-virtfs', `local,path=${dir},mount_tag=s,security_model=none,id=v0`, '-device', 'sdhci-pci',
    '-device', 'virtio-net-pci,netdev=n0,romfile=', '-fsdev', `local,id=f1,path=${dir},security_model=none`,
    '-device', 'virtio-9p-pci,fsdev=f1,mount_tag=t', '-device', 'virtio-rng-pci,romfile=,rombar=0'];
}

const slots = (text) => text.replace(/\r/g, '').split('\n').filter((l) => /^ {2}Bus|^ {4}\S.*PCI device/.test(l)).join('\n');

test('PCI slots follow the command line (-virtfs, virtio-net-pci, virtio-9p-pci among -device) as QEMU\'s', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 150_000 }, async () => {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'a.img'), Buffer.alloc(1 << 20));
    const q = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-S', '-display', 'none', '-serial', 'none', '-monitor', 'stdio', ...devices(dir)],
      { input: 'info pci\nquit\n', encoding: 'utf8' });
    const theirs = slots(q.stdout);
    assert.match(theirs, /device {3}4, function 0:\n {4}Ethernet controller: PCI device 1af4:1000/, q.stdout + q.stderr);
    const c = new Console(['-M', 'virt', '-S', '-nographic', '-bios', 'none', ...devices(dir)]);
    try {
      c.send('\x01c');
      await c.expect(/\(qemu\) /, 60_000, 0);
      const from = c.out.length;
      c.send('info pci\r');
      await c.expect(/device {3}7[\s\S]*?\(qemu\) /, 60_000, from);
      assert.equal(slots(c.out.slice(from)), theirs);
      c.send('q\r');
      await c.exit;
    } finally {
      c.kill();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('romfile=FILE is refused clearly (no option ROMs); rombar takes an integer', { timeout: 60_000 }, async () => {
  let r = await run(['-device', 'virtio-rng-pci,romfile=efi-virtio.rom']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /-device virtio-rng-pci,romfile=efi-virtio.rom: Property 'virtio-rng-pci.romfile': option ROMs are not supported/);
  r = await run(['-device', 'virtio-rng-pci,rombar=x']);
  assert.match(r.stderr, /Parameter 'rombar' expects integer/);
});

test('virtio-blk-pci num-queues=0 is refused with QEMU\'s words', { timeout: 60_000 }, async () => {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'a.img'), Buffer.alloc(1 << 20));
    const r = await run(['-bios', 'none', '-drive', `file=${path.join(dir, 'a.img')},format=raw,if=none,id=x`, '-device', 'virtio-blk-pci,drive=x,num-queues=0']);
    assert.match(r.stderr, /-device virtio-blk-pci,drive=x,num-queues=0: num-queues property must be larger than 0/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
