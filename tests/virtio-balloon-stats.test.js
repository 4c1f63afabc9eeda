// virtio-balloon's stats queue (VIRTIO_BALLOON_F_STATS_VQ, QEMU's virtio-balloon.c), driven as
// Linux's driver does it (the reference guest has no balloon driver): the driver hands in one
// buffer of {le16 tag, le64 value} records; the device reads them into QOM's guest-stats, keeps
// the buffer, and gives it back when guest-stats-polling-interval expires so the driver refills
// it. Interval values out of range get QEMU's errors. Over virtio-balloon-pci behind a port
// (modern-only PCIe endpoint, no MSI-X).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { VirtIOPCIProxy } from '../dist/hw/virtio/virtio-pci.js';
import { VirtIOBalloon, BALLOON_STAT_NAMES } from '../dist/hw/virtio/virtio-balloon.js';

const RAM = 0x80000000, RAM_SIZE = 1 << 20;
const C = { DFSELECT: 0x00, DF: 0x04, GFSELECT: 0x08, GF: 0x0c, NUMQ: 0x12, STATUS: 0x14, Q_SELECT: 0x16, Q_SIZE: 0x18,
  Q_ENABLE: 0x1c, Q_DESCLO: 0x20, Q_AVAILLO: 0x28, Q_USEDLO: 0x30 };
const ALL_ONES = 0xffffffffffffffffn;

function setup() {
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  const timers = [];
  let clock = 1_700_000_000;
  const b = new VirtIOBalloon(as, 256 << 20, (ms, cb) => { const t = { ms, cb, live: true }; timers.push(t); return () => { t.live = false; }; }, () => clock);
  const dev = new VirtIOPCIProxy('virtio-balloon-pci', b, as, { classCode: 0x00ff00, configSize: 8, vectors: 0, express: true });
  const ops = dev.bars[4].ops;
  const dv = new DataView(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  return { b, dev, dv, timers, tick: (s) => { clock += s; }, r: (o, s) => ops.read(o, s), w: (o, s, v) => ops.write(o, s, v) };
}

test('virtio-balloon STATS_VQ: stats read into guest-stats, buffer held until the polling interval gives it back', () => {
  const { b, dev, dv, timers, tick, r, w } = setup();
  assert.equal(dev.getWord(2), 0x1045); // modern-only behind a port, as QEMU's
  assert.equal(dev.bars[1], undefined, 'no MSI-X BAR');
  assert.equal(r(C.NUMQ, 2), 3, 'inflate, deflate, stats');
  w(C.DFSELECT, 4, 0);
  assert.equal(r(C.DF, 4) & 2, 2, 'STATS_VQ offered');
  assert.deepEqual(b.guestStats(), { stats: Object.fromEntries(BALLOON_STAT_NAMES.map((n) => [n, ALL_ONES])), 'last-update': 0 });
  w(C.GFSELECT, 4, 0); w(C.GF, 4, 2); w(C.GFSELECT, 4, 1); w(C.GF, 4, 1); // STATS_VQ | VERSION_1
  w(C.Q_SELECT, 2, 2); w(C.Q_SIZE, 2, 4);
  w(C.Q_DESCLO, 4, RAM + 0x1000); w(C.Q_AVAILLO, 4, RAM + 0x2000); w(C.Q_USEDLO, 4, RAM + 0x3000);
  w(C.Q_ENABLE, 2, 1);
  dev.configWrite(4, 2, 0x6); // memory + bus master
  w(C.STATUS, 1, 15);
  const put = (slot, records) => {
    const at = 0x8000 + slot * 0x100;
    records.forEach(([tag, v], i) => { dv.setUint16(at + 10 * i, tag, true); dv.setBigUint64(at + 10 * i + 2, v, true); });
    dv.setBigUint64(0x1000 + 16 * slot, BigInt(RAM + at), true); dv.setUint32(0x1008 + 16 * slot, 10 * records.length, true);
    dv.setUint16(0x100c + 16 * slot, 0, true); // device-readable
    const idx = dv.getUint16(0x2002, true);
    dv.setUint16(0x2004 + 2 * (idx % 4), slot, true); dv.setUint16(0x2002, idx + 1, true);
    w(0x3000 + 2 * 4, 2, 2); // notify queue 2 (notify_off_multiplier 4)
  };
  // Linux's first buffer, at probe: free, total and available memory (tags 4, 5, 6) and a tag it does not know.
  put(0, [[4, 100n << 20n], [5, 256n << 20n], [6, 150n << 20n], [42, 7n]]);
  let s = b.guestStats();
  assert.equal(s.stats['stat-free-memory'], 100n << 20n);
  assert.equal(s.stats['stat-total-memory'], 256n << 20n);
  assert.equal(s.stats['stat-available-memory'], 150n << 20n);
  assert.equal(s.stats['stat-swap-in'], ALL_ONES, 'not reported: all ones');
  assert.equal(s['last-update'], 1_700_000_000);
  assert.equal(dv.getUint16(0x3002, true), 0, 'the buffer is held');
  assert.equal(timers.filter((t) => t.live).length, 0, 'no polling without an interval');
  // qom-set guest-stats-polling-interval: the held buffer goes back when it expires.
  assert.throws(() => b.setPollInterval(-1), /timer value must be greater than zero/);
  assert.throws(() => b.setPollInterval(2 ** 32), /timer value is too big/);
  b.setPollInterval(2);
  const t = timers.filter((x) => x.live);
  assert.equal(t.length, 1);
  assert.equal(t[0].ms, 2000);
  t[0].live = false;
  t[0].cb();
  assert.equal(dv.getUint16(0x3002, true), 1, 'used: the driver may refill it');
  assert.equal(dv.getUint32(0x3004, true), 0, 'the first descriptor');
  assert.equal(dv.getUint32(0x3008, true), 0, 'nothing written');
  assert.equal(b.isr & 1, 1, 'queue interrupt');
  tick(2);
  put(1, [[4, 90n << 20n], [3, 12345n]]);
  s = b.guestStats();
  assert.equal(s.stats['stat-free-memory'], 90n << 20n);
  assert.equal(s.stats['stat-minor-faults'], 12345n);
  assert.equal(s.stats['stat-total-memory'], 256n << 20n, 'kept from the last report');
  assert.equal(s['last-update'], 1_700_000_002);
  assert.equal(timers.filter((x) => x.live).length, 1, 'the next poll is armed');
  b.setPollInterval(0);
  assert.equal(timers.filter((x) => x.live).length, 0, 'interval 0 stops polling');
});

test('virtio-balloon STATS_VQ: a driver that did not accept the feature is not polled', () => {
  const { b, timers } = setup();
  b.setPollInterval(1);
  const t = timers.find((x) => x.live);
  t.live = false;
  t.cb(); // nothing held: re-armed, nothing pushed
  assert.equal(timers.filter((x) => x.live).length, 1);
  assert.equal(b.pollInterval, 1);
});
