// virtio-blk's feature bits and config as QEMU's virtio_blk_get_features gives them: GEOMETRY
// (hd_geometry_guess: the MBR's logical CHS, else 16 heads x 63 sectors) and CONFIG_WCE (the
// guest's cache_type switches the drive's write cache). Debian's kernel showed both missing
// (scripts/distro-boot-diff.js). The guest's view is compared with real QEMU's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Console, hasTool, tmpdir } from './system-helpers.js';
import { QEMU_CPU, consoleOn, guestArgs } from './pci-helpers.js';
import { hdGeometryGuess } from '../dist/hw/virtio/virtio-blk.js';

const haveQemu = hasTool('qemu-system-riscv64');

/** An MBR with one partition ending at head `endHead`, sector `endSec`. */
function mbr(endHead, endSec) {
  const b = Buffer.alloc(512);
  b[0x1be + 5] = endHead; b[0x1be + 6] = endSec; b.writeUInt32LE(2048, 0x1be + 8); b.writeUInt32LE(4096, 0x1be + 12);
  b[510] = 0x55; b[511] = 0xaa;
  return b;
}

test('hd_geometry_guess: MBR logical CHS up to 16 heads, else 16/63', () => {
  assert.deepEqual(hdGeometryGuess(Buffer.alloc(512), 8192), { cyls: 8, heads: 16, secs: 63 });
  assert.deepEqual(hdGeometryGuess(Buffer.alloc(512), 100), { cyls: 2, heads: 16, secs: 63 });
  assert.deepEqual(hdGeometryGuess(Buffer.alloc(512), 1 << 30), { cyls: 16383, heads: 16, secs: 63 });
  assert.deepEqual(hdGeometryGuess(mbr(3, 32), 8192), { cyls: 64, heads: 4, secs: 32 });
  assert.deepEqual(hdGeometryGuess(mbr(254, 63), 8192 * 64), { cyls: 520, heads: 16, secs: 63 });
});

const DUMP = 'cut -c1-32 /sys/bus/virtio/devices/virtio*/features; hdparm -g /dev/vda /dev/vdb; cat /sys/block/vda/cache_type;'
  + ' echo "write through" > /sys/block/vda/cache_type; cat /sys/block/vda/cache_type; echo "write back" > /sys/block/vda/cache_type; cat /sys/block/vda/cache_type';

async function dump(c) {
  await c.expect(/tsqemu-guest: boot complete/, 110_000);
  await c.sh('dmesg -n 1');
  return c.sh(DUMP, 60_000);
}

test('guest sees virtio-blk-pci GEOMETRY and CONFIG_WCE as with real QEMU', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 300_000 }, async () => {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'a.img'), Buffer.alloc(8 << 20));
    fs.writeFileSync(path.join(dir, 'b.img'), Buffer.concat([mbr(3, 32), Buffer.alloc((8 << 20) - 512)]));
    const devs = ['-drive', `file=${path.join(dir, 'a.img')},format=raw,if=none,id=d0`, '-device', 'virtio-blk-pci,drive=d0',
      '-drive', `file=${path.join(dir, 'b.img')},format=raw,if=none,id=d1`, '-device', 'virtio-blk-pci,drive=d1'];
    const q = consoleOn('qemu-system-riscv64', [...guestArgs(devs), ...QEMU_CPU]);
    let theirs;
    try { theirs = await dump(q); } finally { q.kill(); }
    assert.match(theirs, /geometry\t= 128\/4\/32/);
    assert.match(theirs, /write back\nwrite through\nwrite back/);
    const c = new Console(guestArgs(devs));
    try { assert.equal(await dump(c), theirs); } finally { c.kill(); }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('virtio-blk-pci has one request queue per vCPU (MQ, MSI-X vectors) as with real QEMU', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 300_000 }, async () => {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'a.img'), Buffer.alloc(8 << 20));
    fs.writeFileSync(path.join(dir, 'b.img'), Buffer.alloc(8 << 20));
    const devs = ['-smp', '2', '-drive', `file=${path.join(dir, 'a.img')},format=raw,if=none,id=d0`, '-device', 'virtio-blk-pci,drive=d0',
      '-drive', `file=${path.join(dir, 'b.img')},format=raw,if=none,id=d1`, '-device', 'virtio-blk-pci,drive=d1,num-queues=3'];
    const cmd = 'cut -c1-32 /sys/bus/virtio/devices/virtio*/features; echo /sys/block/vda/mq/* /sys/block/vdb/mq/*; grep -c virtio /proc/interrupts;'
      + ' hexdump -C /sys/bus/pci/devices/0000:00:01.0/config | head -8; dd if=/dev/vdb of=/dev/null bs=4k count=64 2>/dev/null && echo read-ok';
    const run1 = async (c) => { await c.expect(/tsqemu-guest: boot complete/, 110_000); await c.sh('dmesg -n 1'); return c.sh(cmd, 60_000); };
    const q = consoleOn('qemu-system-riscv64', [...guestArgs(devs), ...QEMU_CPU]);
    let theirs;
    try { theirs = await run1(q); } finally { q.kill(); }
    assert.match(theirs, /vda\/mq\/0 \/sys\/block\/vda\/mq\/1 /);
    assert.match(theirs, /read-ok/);
    const c = new Console(guestArgs(devs));
    try { assert.equal(await run1(c), theirs); } finally { c.kill(); }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
