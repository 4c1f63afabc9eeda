// VIRTIO_F_RING_RESET (QEMU 7.2+, queue_reset=on): virtio-pci offers it (feature bit 40) and its
// common config queue_reset register resets one queue while the device runs: the queue is
// disabled, its addresses, size and MSI-X vector go back to their reset values, and a request
// taken before the reset completes into nothing (the guest may already reuse the memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { VirtIOPCIProxy } from '../dist/hw/virtio/virtio-pci.js';
import { VirtIORNG } from '../dist/hw/virtio/virtio-rng.js';

const RAM = 0x80000000, RAM_SIZE = 1 << 20;
const C = { DFSELECT: 0x00, DF: 0x04, STATUS: 0x14, Q_SELECT: 0x16, Q_SIZE: 0x18, Q_MSIX: 0x1a, Q_ENABLE: 0x1c,
  Q_DESCLO: 0x20, Q_AVAILLO: 0x28, Q_USEDLO: 0x30, Q_RESET: 0x3a };

function setup() {
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  const rng = new VirtIORNG(as, (b) => b.fill(0x5a));
  const dev = new VirtIOPCIProxy('virtio-rng-pci', rng, as, { classCode: 0x00ff00, configSize: 0 });
  const ops = dev.bars[4].ops; // modern registers: common config at 0
  const dv = new DataView(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  return { rng, dv, r: (o, s) => ops.read(o, s), w: (o, s, v) => ops.write(o, s, v) };
}

test('virtio-pci: RING_RESET offered; queue_reset resets one queue and drops its in-flight request', () => {
  const { rng, dv, r, w } = setup();
  w(C.DFSELECT, 4, 1);
  assert.equal(r(C.DF, 4), 0x101); // VERSION_1 | RING_RESET, as QEMU 7.2's virtio-pci
  w(C.Q_SELECT, 2, 0);
  w(C.Q_SIZE, 2, 4);
  w(C.Q_MSIX, 2, 1);
  w(C.Q_DESCLO, 4, RAM + 0x1000); w(C.Q_AVAILLO, 4, RAM + 0x2000); w(C.Q_USEDLO, 4, RAM + 0x3000);
  w(C.Q_ENABLE, 2, 1);
  w(C.STATUS, 1, 15);
  const vq = rng.vqs[0];
  // A request the device has taken (popped) but not completed.
  dv.setBigUint64(0x1000, BigInt(RAM + 0x8000), true); dv.setUint32(0x1008, 16, true); dv.setUint16(0x100c, 2, true);
  dv.setUint16(0x2004, 0, true); dv.setUint16(0x2002, 1, true);
  const elem = vq.pop();
  assert.ok(elem);
  w(C.Q_RESET, 2, 1);
  assert.equal(r(C.Q_RESET, 2), 0); // done before the write returned
  assert.equal(r(C.Q_ENABLE, 2), 0);
  assert.equal(r(C.Q_DESCLO, 4), 0);
  assert.equal(r(C.Q_SIZE, 2), 8); // the device's size again
  assert.equal(r(C.Q_MSIX, 2), 0xffff);
  assert.equal(rng.broken, false);
  vq.push(elem, 16);
  assert.equal(dv.getUint16(0x3002, true), 0, 'the old used ring is not written');
  // Re-enabled with a new ring, the queue works from index 0.
  w(C.Q_SIZE, 2, 4);
  w(C.Q_DESCLO, 4, RAM + 0x4000); w(C.Q_AVAILLO, 4, RAM + 0x5000); w(C.Q_USEDLO, 4, RAM + 0x6000);
  w(C.Q_ENABLE, 2, 1);
  dv.setBigUint64(0x4000, BigInt(RAM + 0x8000), true); dv.setUint32(0x4008, 16, true); dv.setUint16(0x400c, 2, true);
  dv.setUint16(0x5004, 0, true); dv.setUint16(0x5002, 1, true);
  vq.handleOutput(vq);
  assert.equal(dv.getUint16(0x6002, true), 1);
  assert.equal(dv.getUint32(0x6008, true), 16);
});
