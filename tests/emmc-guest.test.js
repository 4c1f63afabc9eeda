// sdhci-pci + emmc with the default guest: an image built by scripts/mkemmc.sh (boot partitions,
// RPMB, an MBR-partitioned user area); in the guest an ext2 made on /dev/mmcblk0p1, boot0
// written, and RPMB driven with mmc-utils (write-key, read-counter, write-block, read-block, a
// wrong key). Checked from the host after power-off (e2fsck/debugfs, the image's partition
// offsets, the IMAGE.rpmb record), then a second boot finds the key and the counter kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Console, ROOT, hasTool, tmpdir } from './system-helpers.js';
import { guestArgs } from './pci-helpers.js';

const MiB = 1 << 20;
const BOOT = MiB, RPMB_SIZE = 256 * 1024, USER = 64 * MiB;
const KEY = 'abcdefghijklmnopqrstuvwxyz012345';

/** A 64 MiB user area with one Linux partition from sector 2048 (MBR). */
function userImage(file) {
  const b = Buffer.alloc(512);
  const e = 446;
  b[e + 4] = 0x83;
  b.writeUInt32LE(2048, e + 8);
  b.writeUInt32LE(USER / 512 - 2048, e + 12);
  b[510] = 0x55; b[511] = 0xaa;
  fs.writeFileSync(file, b);
}

const emmcArgs = (img) => ['-device', 'sdhci-pci', '-drive', `file=${img},if=none,format=raw,id=e0`,
  '-device', `emmc,drive=e0,boot-partition-size=${BOOT},rpmb-partition-size=${RPMB_SIZE}`];

async function boot(img) {
  const c = new Console(guestArgs(emmcArgs(img)));
  await c.expect(/tsqemu-guest: boot complete/, 110_000);
  await c.expect(/mmcblk0rpmb: mmc0:0001/, 30_000, 0);
  await c.sh('dmesg -n 1'); // no kernel messages between command outputs
  return c;
}

const rpmb = (c, args) => c.sh(`mmc rpmb ${args} 2>&1; echo rc=$?`, 60_000);

test('eMMC: filesystem, boot partition and RPMB in the guest; key and counter survive a restart', { skip: !hasTool('debugfs') && 'debugfs missing', timeout: 300_000 }, async () => {
  const dir = tmpdir();
  const img = path.join(dir, 'emmc.img');
  try {
    userImage(path.join(dir, 'user.img'));
    fs.writeFileSync(path.join(dir, 'boot.bin'), 'boot0-from-the-host\n');
    const mk = spawnSync(path.join(ROOT, 'scripts', 'mkemmc.sh'), ['-b', `${path.join(dir, 'boot.bin')}:1M`, '-r', ':256K',
      `${path.join(dir, 'user.img')}:64M`, img], { encoding: 'utf8' });
    assert.equal(mk.status, 0, mk.stderr);
    assert.match(mk.stdout, new RegExp(`boot-partition-size=${BOOT},rpmb-partition-size=${RPMB_SIZE}`));
    assert.equal(fs.statSync(img).size, 2 * BOOT + RPMB_SIZE + USER);

    let c = await boot(img);
    try {
      assert.equal(await c.sh('cat /sys/block/mmcblk0/size /sys/block/mmcblk0boot0/size /sys/block/mmcblk0/mmcblk0p1/size'),
        `${USER / 512}\n${BOOT / 512}\n${USER / 512 - 2048}`);
      assert.equal(await c.sh('head -c 20 /dev/mmcblk0boot0'), 'boot0-from-the-host');
      // boot1 is read-only until force_ro is cleared (Linux's rule for boot partitions).
      assert.equal(await c.sh('echo 0 > /sys/block/mmcblk0boot1/force_ro; echo boot1-from-guest | dd of=/dev/mmcblk0boot1 bs=512 conv=sync 2>/dev/null; sync; echo ok'), 'ok');
      assert.equal(await c.sh('mkfs.ext2 -q /dev/mmcblk0p1 >/dev/null 2>&1; echo $?'), '0');
      assert.equal(await c.sh('mkdir -p /mnt && mount -t ext2 /dev/mmcblk0p1 /mnt && echo written-in-the-guest > /mnt/hello.txt && umount /mnt && echo ok'), 'ok');
      assert.equal(await c.sh('mount -t ext2 /dev/mmcblk0p1 /mnt && cat /mnt/hello.txt && umount /mnt'), 'written-in-the-guest');
      // RPMB with mmc-utils.
      await c.sh(`printf '${KEY}' > /tmp/key; printf 'wrongkeywrongkeywrongkeywrongkey' > /tmp/bad; dd if=/dev/zero bs=256 count=1 2>/dev/null | tr '\\0' 'R' > /tmp/data`);
      assert.match(await rpmb(c, 'read-counter /dev/mmcblk0rpmb'), /retcode 0x0007[\s\S]*rc=1/); // no key yet
      assert.match(await rpmb(c, 'write-key /dev/mmcblk0rpmb /tmp/key'), /rc=0/);
      assert.match(await rpmb(c, 'read-counter /dev/mmcblk0rpmb'), /Counter value: 0x00000000/);
      assert.match(await rpmb(c, 'write-block /dev/mmcblk0rpmb 0x03 /tmp/data /tmp/key'), /rc=0/);
      assert.match(await rpmb(c, 'read-counter /dev/mmcblk0rpmb'), /Counter value: 0x00000001/);
      assert.match(await rpmb(c, 'write-block /dev/mmcblk0rpmb 0x04 /tmp/data /tmp/bad'), /retcode 0x0002[\s\S]*rc=1/); // auth failure
      assert.match(await rpmb(c, 'read-counter /dev/mmcblk0rpmb'), /Counter value: 0x00000001/); // unchanged
      assert.match(await rpmb(c, 'read-block /dev/mmcblk0rpmb 0x03 1 /tmp/out /tmp/key'), /rc=0/); // MAC checked by mmc
      assert.equal(await c.sh('head -c 8 /tmp/out; echo'), 'RRRRRRRR');
      c.send('poweroff -f\n');
      assert.equal(await c.exit, 0);
    } finally {
      c.kill();
    }

    // From the host: partitions at QEMU 10.2's offsets, the filesystem, the state record.
    const im = fs.readFileSync(img);
    assert.equal(im.subarray(BOOT, BOOT + 17).toString(), 'boot1-from-guest\n');
    const rpmbData = 2 * BOOT + 3 * 256;
    assert.ok(im.subarray(rpmbData, rpmbData + 256).every((b) => b === 0x52));
    assert.ok(im.subarray(rpmbData + 256, rpmbData + 512).every((b) => b === 0)); // the wrong-key write changed nothing
    const user = 2 * BOOT + RPMB_SIZE;
    const part = path.join(dir, 'p1.img');
    fs.writeFileSync(part, im.subarray(user + 2048 * 512, user + USER));
    assert.equal(spawnSync('e2fsck', ['-fn', part]).status, 0);
    assert.equal(spawnSync('debugfs', ['-R', 'cat /hello.txt', part], { encoding: 'utf8' }).stdout, 'written-in-the-guest\n');
    const st = fs.readFileSync(`${img}.rpmb`);
    assert.equal(st.subarray(0, 8).toString(), 'TSQRPMB1');
    assert.equal(st.readUInt32BE(12), 1);
    assert.equal(st.subarray(32, 64).toString(), KEY);

    // Power on again: the part still has its key and its counter.
    c = await boot(img);
    try {
      assert.match(await rpmb(c, 'read-counter /dev/mmcblk0rpmb'), /Counter value: 0x00000001/);
      await c.sh(`printf '${KEY}' > /tmp/key; dd if=/dev/zero bs=256 count=1 2>/dev/null | tr '\\0' 'S' > /tmp/data`);
      assert.match(await rpmb(c, 'write-key /dev/mmcblk0rpmb /tmp/key'), /retcode 0x0005[\s\S]*rc=1/); // programmed once only
      assert.match(await rpmb(c, 'read-block /dev/mmcblk0rpmb 0x03 1 /tmp/out /tmp/key'), /rc=0/);
      assert.equal(await c.sh('head -c 8 /tmp/out; echo'), 'RRRRRRRR');
      assert.match(await rpmb(c, 'write-block /dev/mmcblk0rpmb 0x03 /tmp/data /tmp/key'), /rc=0/);
      assert.match(await rpmb(c, 'read-counter /dev/mmcblk0rpmb'), /Counter value: 0x00000002/);
      c.send('poweroff -f\n');
      assert.equal(await c.exit, 0);
    } finally {
      c.kill();
    }
    assert.equal(fs.readFileSync(`${img}.rpmb`).readUInt32BE(12), 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
