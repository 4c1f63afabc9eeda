// virtio-net's QEMU 7.2 feature set beyond the receive filter: CTRL_GUEST_OFFLOADS
// (GUEST_OFFLOADS_SET switches the guest checksum/TSO offloads off and on, refused for
// offloads not negotiated or without a back end that takes them), GUEST_ANNOUNCE (ANNOUNCE_ACK
// refused: nothing announces), and a legacy driver without MRG_RXBUF getting the 10-byte header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { NetClientState } from '../dist/net/net.js';
import { VirtIONet } from '../dist/hw/virtio/virtio-net.js';

const RAM = 0x80000000, RAM_SIZE = 1 << 20;
const bit = (n) => 1n << BigInt(n);

class Peer extends NetClientState {
  type = 'user';
  constructor(offloads) { super('peer'); this.offloads = offloads; }
  receive() { return true; }
  infoStr() { return 'peer'; }
  acceptsOffloads() { return this.offloads; }
}

function setup(offloads = true) {
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  const n = new VirtIONet(as, { name: 'net0', model: 'virtio-net-device', mac: new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]), peer: new Peer(offloads) });
  const dv = new DataView(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  const ram = new Uint8Array(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  // Queue q's ring at RAM + 0x10000 * (q + 1): desc, avail +0x1000, used +0x2000.
  n.vqs.forEach((vq, q) => {
    const b = RAM + 0x10000 * (q + 1);
    vq.num = 8; vq.descAddr = b; vq.availAddr = b + 0x1000; vq.usedAddr = b + 0x2000; vq.ready = true;
  });
  const slots = n.vqs.map(() => 0);
  /** Make one chain available: [addr, len, writable] segments. */
  const offer = (q, segs) => {
    const b = 0x10000 * (q + 1);
    const head = slots[q] % 8;
    segs.forEach(([addr, len, wr], i) => {
      const d = b + 16 * ((head + i) % 8);
      dv.setBigUint64(d, BigInt(addr), true); dv.setUint32(d + 8, len, true);
      dv.setUint16(d + 12, (wr ? 2 : 0) | (i + 1 < segs.length ? 1 : 0), true); dv.setUint16(d + 14, (head + i + 1) % 8, true);
    });
    const idx = dv.getUint16(b + 0x1002, true);
    dv.setUint16(b + 0x1004 + 2 * (idx % 8), head, true);
    dv.setUint16(b + 0x1002, idx + 1, true);
    slots[q] += segs.length;
  };
  /** A control command; returns the ack byte. */
  const ctrl = (cls, cmd, data) => {
    ram.set([cls, cmd, ...data], 0x40000);
    ram[0x40100] = 0xff;
    offer(2, [[RAM + 0x40000, 2 + data.length, false], [RAM + 0x40100, 1, true]]);
    n.vqs[2].handleOutput(n.vqs[2]);
    return ram[0x40100];
  };
  return { n, ram, offer, ctrl };
}

test('virtio-net: CTRL_GUEST_OFFLOADS and GUEST_ANNOUNCE offered; GUEST_OFFLOADS_SET toggles guest TSO', () => {
  const { n, ctrl } = setup();
  for (const b of [2, 21]) assert.ok(n.hostFeatures & bit(b), `bit ${b}`);
  n.guestFeatures = bit(32) | bit(17) | bit(2) | bit(1) | bit(7) | bit(21);
  n.status = 15;
  assert.equal(n.guestTso(), true);
  const u64 = (v) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return [...b]; };
  assert.equal(ctrl(5, 0, u64(0n)), 0); // all guest offloads off (XDP, ethtool -K)
  assert.equal(n.guestTso(), false);
  assert.equal(ctrl(5, 0, u64(bit(1) | bit(7))), 0);
  assert.equal(n.guestTso(), true);
  assert.equal(ctrl(5, 0, u64(bit(11))), 1); // HOST_TSO4 is not a guest offload
  assert.equal(ctrl(5, 0, u64(bit(1)).slice(0, 4)), 1); // short
  assert.equal(ctrl(5, 1, u64(0n)), 1); // no such command
  assert.equal(ctrl(3, 0, []), 1); // ANNOUNCE_ACK without an announce
  assert.equal(n.guestTso(), true);
  n.reset(); // back to every negotiated offload
  n.guestFeatures = bit(32) | bit(17) | bit(2) | bit(1) | bit(7);
  n.status = 15;
  assert.equal(n.guestTso(), true);
});

test('virtio-net: GUEST_OFFLOADS_SET refused without offloads (QEMU without a vnet header)', () => {
  const { n, ctrl } = setup(false);
  n.guestFeatures = bit(32) | bit(17) | bit(2);
  n.status = 15;
  assert.equal(ctrl(5, 0, new Array(8).fill(0)), 1);
});

test('virtio-net: legacy driver without MRG_RXBUF gets a 10-byte header; with it, 12', () => {
  for (const [features, hdr] of [[0n, 10], [bit(15), 12], [bit(32), 12]]) {
    const { n, ram, offer } = setup(false);
    n.guestFeatures = features | bit(5);
    n.status = 7;
    offer(0, [[RAM + 0x50000, 2048, true]]);
    const frame = new Uint8Array(60).fill(0xab);
    frame.set([0x52, 0x54, 0, 0x12, 0x34, 0x56], 0);
    assert.equal(n.receive(frame), true);
    assert.equal(n.vqs[0].usedAddr && new DataView(ram.buffer, ram.byteOffset).getUint32(0x12000 + 8, true), hdr + 60);
    assert.equal(ram[0x50000 + hdr], 0x52);
  }
});
