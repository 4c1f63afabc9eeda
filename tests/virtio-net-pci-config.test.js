// virtio-net-pci's config space is QEMU's size for the features offered without host_mtu= (MAC
// and STATUS: 8 bytes), so the legacy I/O BAR is 32 bytes as with real QEMU (Debian's kernel
// showed 64: we offered VIRTIO_NET_F_MTU; scripts/distro-boot-diff.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Console, hasTool } from './system-helpers.js';
import { QEMU_CPU, consoleOn, guestArgs } from './pci-helpers.js';

const haveQemu = hasTool('qemu-system-riscv64');
const DEVS = ['-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0,romfile='];
const CMD = 'head -1 /sys/bus/pci/devices/0000:00:01.0/resource; cut -c4 /sys/bus/virtio/devices/virtio0/features';

async function dump(c) {
  await c.expect(/tsqemu-guest: boot complete/, 110_000);
  await c.sh('dmesg -n 1');
  return c.sh(CMD, 60_000);
}

test('virtio-net-pci: no MTU feature, 32-byte legacy I/O BAR as real QEMU\'s', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 300_000 }, async () => {
  const q = consoleOn('qemu-system-riscv64', [...guestArgs(DEVS), ...QEMU_CPU]);
  let theirs;
  try { theirs = await dump(q); } finally { q.kill(); }
  const [start, end] = theirs.split(/\s+/).map((x) => Number(x));
  assert.equal(end - start + 1, 32, theirs);
  assert.match(theirs, /\n0$/);
  const c = new Console(guestArgs(DEVS));
  try { assert.equal(await dump(c), theirs); } finally { c.kill(); }
});
