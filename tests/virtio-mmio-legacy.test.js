// virtio-mmio's legacy (version 1) register file, QEMU's force-legacy=on default: GuestPageSize,
// QueueNum/QueueAlign/QueuePFN ring layout, 32 feature bits, and hostile values (QueuePFN
// outside RAM, QueueNum above the maximum, page size 0 or not a power of 2) that must log a
// guest error or break the device, never crash the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { VirtIOMMIOProxy } from '../dist/hw/virtio/virtio-mmio.js';
import { VirtIORNG } from '../dist/hw/virtio/virtio-rng.js';

const RAM = 0x80000000, RAM_SIZE = 1 << 20;
const R = { VERSION: 0x04, DF: 0x10, DFSEL: 0x14, GF: 0x20, GFSEL: 0x24, PAGE: 0x28, SEL: 0x30, NUMMAX: 0x34, NUM: 0x38,
  ALIGN: 0x3c, PFN: 0x40, READY: 0x44, NOTIFY: 0x50, ISR: 0x60, ACK: 0x64, STATUS: 0x70, DESC_LO: 0x80, GEN: 0xfc };

function setup(legacy = true) {
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  const irq = { level: false, set(l) { this.level = l; } };
  const proxy = new VirtIOMMIOProxy('virtio-mmio@test', irq, legacy);
  const vdev = new VirtIORNG(as, (b) => b.fill(0x5a));
  proxy.plug(vdev);
  const dv = new DataView(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  return { proxy, vdev, dv, irq, r: (o) => proxy.read(o, 4), w: (o, v) => proxy.write(o, 4, v) };
}

/** One 16-byte device-writable buffer at RAM+0x8000 in a ring at `base` (RAM offset). */
function request(dv, base, num) {
  dv.setBigUint64(base, BigInt(RAM + 0x8000), true);
  dv.setUint32(base + 8, 16, true);
  dv.setUint16(base + 12, 2, true); // VRING_DESC_F_WRITE
  const avail = base + 16 * num;
  dv.setUint16(avail + 4, 0, true);
  dv.setUint16(avail + 2, 1, true);
}

test('legacy: version 1, 32 feature bits with the legacy-only ones, no VERSION_1; modern registers read 0', () => {
  const { r, w, vdev } = setup();
  assert.equal(r(R.VERSION), 1);
  // QEMU 7.2's virtio-rng-device under force-legacy: NOTIFY_ON_EMPTY, ANY_LAYOUT, INDIRECT_DESC, EVENT_IDX.
  assert.equal(r(R.DF) >>> 0, 0x39000000);
  w(R.DFSEL, 1);
  assert.equal(r(R.DF), 0); // no high word in legacy
  w(R.GFSEL, 1); w(R.GF, 0xffffffff);
  assert.equal(vdev.guestFeatures, 0n); // a write with DriverFeaturesSel != 0 is ignored
  w(R.GFSEL, 0); w(R.GF, 0xffffffff);
  assert.equal(vdev.guestFeatures, 0x39000000n); // masked to what is offered
  assert.equal(r(R.NUMMAX), 1024); // QEMU's VIRTQUEUE_MAX_SIZE for every queue
  assert.equal(r(R.READY), 0);
  assert.equal(r(R.GEN), 0);
  w(R.DESC_LO, RAM); // a version 2 register: ignored
  assert.equal(vdev.vqs[0].descAddr, 0);
});

test('legacy: QueuePFN x GuestPageSize places the ring, QueueAlign the used ring; a request completes', () => {
  const { r, w, vdev, dv, irq } = setup();
  w(R.STATUS, 0);
  w(R.PAGE, 4096);
  w(R.STATUS, 1); w(R.STATUS, 3);
  w(R.GF, 0);
  w(R.SEL, 0); w(R.NUM, 8); w(R.ALIGN, 256); w(R.PFN, (RAM + 0x2000) / 4096);
  assert.equal(r(R.PFN), (RAM + 0x2000) / 4096);
  const vq = vdev.vqs[0];
  assert.equal(vq.availAddr, RAM + 0x2000 + 16 * 8);
  assert.equal(vq.usedAddr, RAM + 0x2100); // avail (0x2080) + 4 + 2 * 8, up to 256
  w(R.STATUS, 7);
  request(dv, 0x2000, 8);
  w(R.NOTIFY, 0);
  assert.equal(dv.getUint16(0x2102, true), 1); // used idx
  assert.equal(dv.getUint32(0x2108, true), 16); // used len
  assert.equal(dv.getUint8(0x8000), 0x5a);
  assert.equal(irq.level, true);
  assert.equal(r(R.ISR), 1);
  w(R.ACK, 1);
  assert.equal(irq.level, false);
  // STATUS = 0 resets the device but keeps GuestPageSize (Linux writes it once, before its reset).
  w(R.STATUS, 0);
  assert.equal(r(R.PFN), 0);
  w(R.NUM, 8); w(R.PFN, (RAM + 0x4000) / 4096);
  assert.equal(vq.descAddr, RAM + 0x4000);
  assert.equal(vq.usedAddr, RAM + 0x4100); // QueueAlign survives the reset, as QEMU's vring.align
});

test('legacy: hostile values log or break the device, never crash', () => {
  const { r, w, vdev, dv } = setup();
  // GuestPageSize 0: ctz32(0) = 32 > 31, so byte pages (QEMU); QueuePFN is then an address.
  w(R.PAGE, 0);
  w(R.SEL, 0); w(R.NUM, 8); w(R.PFN, RAM + 0x2000);
  assert.equal(vdev.vqs[0].descAddr, RAM + 0x2000);
  // Not a power of 2: its lowest set bit (0x3000 -> 4 KiB pages).
  w(R.PAGE, 0x3000); w(R.PFN, (RAM + 0x2000) / 4096);
  assert.equal(vdev.vqs[0].descAddr, RAM + 0x2000);
  // QueueNum above the maximum, zero, or not a power of 2: refused, the size stays.
  for (const n of [2048, 0, 3, 0xffffffff]) { w(R.NUM, n); assert.equal(vdev.vqs[0].num, 8); }
  w(R.NUM, 1024);
  assert.equal(vdev.vqs[0].num, 1024); // up to QEMU's VIRTQUEUE_MAX_SIZE
  w(R.NUM, 8);
  w(R.ALIGN, 0); // ignored, as QEMU's
  assert.equal(vdev.vqs[0].usedAddr, RAM + 0x3000);
  // QueuePFN outside RAM (the highest PFN: 2^44 - 4 KiB): a kick breaks the device, no crash.
  w(R.STATUS, 7);
  w(R.PFN, 0xffffffff);
  assert.equal(r(R.PFN), 0xffffffff);
  w(R.NOTIFY, 0);
  assert.equal(vdev.broken, true);
  assert.equal(r(R.STATUS) & 0x40, 0); // no DEVICE_NEEDS_RESET without VERSION_1
  // Notify of a queue that does not exist, select past the queues: nothing happens.
  w(R.NOTIFY, 7); w(R.SEL, 99); w(R.PFN, 5); w(R.NUM, 8);
  assert.equal(r(R.NUMMAX), 0);
  // The driver's reset brings it back; a ring inside RAM works again.
  w(R.STATUS, 0);
  assert.equal(vdev.broken, false);
  w(R.SEL, 0); w(R.NUM, 8); w(R.PFN, (RAM + 0x2000) / 4096); w(R.STATUS, 7);
  request(dv, 0x2000, 8);
  w(R.NOTIFY, 0);
  assert.equal(dv.getUint16(0x3002, true), 1);
  // QueuePFN 0 resets the device (Linux's vm_del_vq), as QEMU's soft reset.
  w(R.PFN, 0);
  assert.equal(r(R.STATUS), 0);
});

test('modern (force-legacy=off): version 2, VERSION_1 and RING_RESET offered, legacy registers ignored', () => {
  const { r, w, vdev } = setup(false);
  assert.equal(r(R.VERSION), 2);
  assert.equal(r(R.DF) >>> 0, 0x30000000); // no legacy-only bits
  w(R.DFSEL, 1);
  assert.equal(r(R.DF), 0x101); // VERSION_1, RING_RESET (QEMU 7.2's value)
  w(R.SEL, 0); w(R.PAGE, 4096); w(R.PFN, (RAM + 0x2000) / 4096);
  assert.equal(vdev.vqs[0].descAddr, 0);
  assert.equal(r(R.PFN), 0);
});

test('machine reset clears GuestPageSize; queue reset (QueueReset 0xc0) disables one queue', () => {
  const { r, w, vdev, proxy } = setup();
  w(R.PAGE, 4096); w(R.SEL, 0); w(R.NUM, 8); w(R.PFN, 0x80002);
  proxy.reset(); vdev.reset();
  w(R.SEL, 0); w(R.NUM, 8); w(R.PFN, RAM + 0x2000);
  assert.equal(vdev.vqs[0].descAddr, RAM + 0x2000); // byte pages again
  const m = setup(false);
  m.w(R.SEL, 0); m.w(0x80, RAM + 0x1000); m.w(R.READY, 1);
  assert.equal(m.r(R.READY), 1);
  m.w(0xc0, 1);
  assert.equal(m.r(R.READY), 0);
  assert.equal(m.vdev.vqs[0].descAddr, 0);
  assert.equal(m.r(0xc0), 0);
  void r;
});
