// virtio transports as real QEMU's: virtio-mmio is legacy (version 1) by default
// (virtio-mmio.force-legacy=on) and modern with -global virtio-mmio.force-legacy=off; the guest
// negotiates the same features with every mmio device in both modes, and with every virtio-pci
// device (VIRTIO_F_RING_RESET, queue_reset=on). Then our guest does I/O on each mmio device in
// both modes: a disk write read back, DHCP + ping, hwrng, a 9p mount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, Console, hasTool, tmpdir } from './system-helpers.js';
import { QmpClient, startEmu } from './qmp-helpers.js';
import { QEMU_CPU, consoleOn, guestArgs } from './pci-helpers.js';
import { guestDhcp } from './net-helpers.js';

const haveQemu = hasTool('qemu-system-riscv64');
const dir = tmpdir();
fs.writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(4 << 20));
fs.writeFileSync(path.join(dir, 'qemu.img'), Buffer.alloc(4 << 20)); // QEMU's own: ours holds the write lock
fs.mkdirSync(path.join(dir, 'share'));
fs.writeFileSync(path.join(dir, 'share', 'hello'), 'from the host\n');

const MMIO = ['-drive', `if=none,id=d0,file=${path.join(dir, 'disk.img')},format=raw`, '-device', 'virtio-blk-device,drive=d0',
  '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0', '-device', 'virtio-rng-device',
  '-fsdev', `local,id=f0,path=${path.join(dir, 'share')},security_model=none`, '-device', 'virtio-9p-device,fsdev=f0,mount_tag=host0',
  '-device', 'virtio-balloon-device'];
const MODERN = ['-global', 'virtio-mmio.force-legacy=off'];
const PCI = ['-device', 'virtio-rng-pci', '-fsdev', `local,id=f1,path=${path.join(dir, 'share')},security_model=none`,
  '-device', 'virtio-9p-pci,fsdev=f1,mount_tag=host1'];
/** Each virtio device: its ID and the features the driver accepted. */
const FEATURES = 'for d in /sys/bus/virtio/devices/*; do echo $(cat $d/device) $(cat $d/features); done';
/** virtio-net bits that differ on purpose with -netdev user: we offer checksum/TSO offloads
 * (CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4; so no legacy GSO) that QEMU offers only to a
 * vnet-header back end. */
const NET_MASK = [0, 1, 6, 7, 11];

function masked(text) {
  return text.split('\n').map((l) => {
    const [id, f] = l.split(' ');
    return id === '0x0001' ? `${id} ${[...f].map((c, i) => (NET_MASK.includes(i) ? '.' : c)).join('')}` : l;
  }).join('\n');
}

async function features(c) {
  await c.expect(/tsqemu-guest: boot complete/, 200_000);
  await c.sh('dmesg -n 1');
  return c.sh(FEATURES, 60_000);
}

async function qemuFeatures(args) {
  const q = consoleOn('qemu-system-riscv64', [...guestArgs(args.map((a) => a.replace('disk.img', 'qemu.img'))), ...QEMU_CPU]);
  try { return await features(q); } finally { q.kill(); }
}

for (const [mode, extra] of [['legacy (the default)', []], ['modern (force-legacy=off)', MODERN]]) {
  test(`virtio-mmio ${mode}: features as QEMU's, then disk, net, rng and 9p I/O`, { timeout: 900_000 }, async () => {
    const c = new Console(guestArgs([...MMIO, ...extra]));
    // QEMU's guest boots beside ours (the boots' waits overlap); caught here, checked below.
    const theirs = haveQemu ? qemuFeatures([...MMIO, ...extra]).then((f) => ({ f }), (e) => ({ e })) : null;
    try {
      const ours = await features(c);
      const vdev = (id) => ours.split('\n').find((l) => l.startsWith(id))?.split(' ')[1] ?? '';
      // VERSION_1 (bit 32) exactly in modern mode; EVENT_IDX (29) on every device with a driver.
      assert.equal(vdev('0x0002')[32], extra.length ? '1' : '0', ours);
      assert.equal(vdev('0x0004')[29], '1', ours);
      if (theirs) {
        const q = await theirs;
        if (q.e) throw q.e;
        assert.equal(masked(ours), masked(q.f));
      }
      // Disk: a pattern written through the guest's page cache, read back after dropping it.
      assert.equal(await c.sh('seq 1 20000 > /tmp/p; dd if=/tmp/p of=/dev/vda bs=4096 conv=fsync 2>/dev/null; ' +
        'echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=4096 count=$(( ($(wc -c < /tmp/p) + 4095) / 4096 )) 2>/dev/null | ' +
        'head -c $(wc -c < /tmp/p) | cmp - /tmp/p && echo same', 120_000), 'same');
      const disk = fs.readFileSync(path.join(dir, 'disk.img'));
      assert.equal(disk.subarray(0, 9).toString(), '1\n2\n3\n4\n5');
      // Net: a DHCP lease and the gateway answering pings.
      assert.match(await guestDhcp(c), /lease of 10\.0\.2\.15 obtained/);
      assert.match(await c.sh('ping -c 2 -W 5 10.0.2.2', 60_000), /2 packets transmitted, 2 packets received/);
      // rng and 9p.
      assert.equal(await c.sh('head -c 4096 /dev/hwrng | wc -c'), '4096');
      assert.equal(await c.sh('mkdir -p /mnt && mount -t 9p -o trans=virtio host0 /mnt && cat /mnt/hello && echo back > /mnt/new && umount /mnt', 60_000), 'from the host');
      assert.equal(fs.readFileSync(path.join(dir, 'share', 'new'), 'utf8'), 'back\n');
      fs.rmSync(path.join(dir, 'share', 'new'));
    } finally { c.kill(); }
  });
}

test('virtio-pci: the features QEMU offers (RING_RESET, EVENT_IDX) are negotiated; queue_reset=off withdraws RING_RESET',
  { timeout: 600_000 }, async () => {
    // The three guests boot at once (their waits overlap).
    const c = new Console(guestArgs(PCI));
    const off = new Console(guestArgs(['-global', 'virtio-rng-pci.queue_reset=off', ...PCI]));
    const theirs = haveQemu ? qemuFeatures(PCI).then((f) => ({ f }), (e) => ({ e })) : null;
    const offFeatures = features(off).then((f) => ({ f }), (e) => ({ e }));
    try {
      const ours = await features(c);
      c.kill();
      for (const l of ours.split('\n')) assert.equal(l.split(' ')[1].slice(28, 41), '1100100000001', ours); // 28, 29, 32, 40
      if (theirs) {
        const q = await theirs;
        if (q.e) throw q.e;
        assert.equal(ours, q.f);
      }
      const r = await offFeatures;
      if (r.e) throw r.e;
      const f = r.f;
      assert.equal(f.split('\n').find((l) => l.startsWith('0x0004')).split(' ')[1][40], '0', f);
      assert.equal(f.split('\n').find((l) => l.startsWith('0x0009')).split(' ')[1][40], '1', f);
    } finally { c.kill(); off.kill(); }
  });

/** `info qtree`'s force-legacy lines under -S (no guest). */
async function qtreeLegacy(bin, args) {
  const sock = path.join(dir, `${path.basename(bin)}-${process.hrtime.bigint()}.qmp`);
  const emu = startEmu(bin, ['-M', 'virt', '-S', '-display', 'none', '-nodefaults', ...args, '-qmp', `unix:${sock},server=on,wait=off`]);
  let c;
  try {
    c = await QmpClient.connect(sock, 60_000);
    await c.greeting();
    await c.cmd('qmp_capabilities');
    const t = (await c.cmd('human-monitor-command', { 'command-line': 'info qtree' })).return;
    return [...new Set(t.match(/force-legacy = \w+/g))].join(',');
  } finally {
    c?.close();
    emu.p.kill('SIGKILL');
  }
}

test('force-legacy: info qtree tells the value in use; a bad value fails as QEMU\'s', { timeout: 300_000 }, async () => {
  assert.equal(await qtreeLegacy(BIN, []), 'force-legacy = true');
  assert.equal(await qtreeLegacy(BIN, MODERN), 'force-legacy = false');
  assert.equal(await qtreeLegacy(BIN, [...MODERN, '-global', 'virtio-mmio.force-legacy=on']), 'force-legacy = true'); // the last wins
  if (!haveQemu) return;
  assert.equal(await qtreeLegacy('qemu-system-riscv64', MODERN), 'force-legacy = false');
  for (const bad of ['virtio-mmio.force-legacy=maybe', 'virtio-mmio.nosuch=1']) {
    const go = (bin) => spawnSync(bin, ['-M', `virt,dumpdtb=${path.join(dir, 'b.dtb')}`, '-display', 'none', '-nodefaults', '-global', bad], { encoding: 'utf8', timeout: 60_000 });
    const q = go('qemu-system-riscv64'), o = go(BIN);
    assert.equal(o.status, q.status);
    assert.equal(o.stderr.replace(/^[^:]*: /, ''), q.stderr.replace(/^[^:]*: /, ''));
  }
});
