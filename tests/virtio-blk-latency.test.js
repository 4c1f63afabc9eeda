// The vCPUs, the devices and the host's event loop share one thread: a virtio-blk request
// reaches the host, and its completion the guest, only when the vCPU loop lets the event loop
// turn. A busy guest used to hold both for a whole YIELD_MS slice (8 ms: ~1000 IOPS at depth 8,
// whatever the disk). Now a new request ends the running hart's slice (an exit request at the
// next block boundary) and the loop yields right after that round, and while requests are in
// flight it yields every IO_YIELD_MS (0.25 ms) (src/main-loop/io-inflight.ts). A request the
// host finishes at once (io_uring's inline read of a cached page, the thread pool's
// RWF_NOWAIT read) completes with no turn of the event loop at all: its promise chains run as
// microtasks right after the round, and the ring is submitted and reaped in between (cpus.ts
// settleIo). A scripted hart that never sleeps (the busy guest) submits a read and counts its
// turns until the used ring shows the completion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { HostClock, TimerList, VirtualClock } from '../dist/main-loop/timer.js';
import { VirtIOMMIOProxy } from '../dist/hw/virtio/virtio-mmio.js';
import { VirtIOBlock } from '../dist/hw/virtio/virtio-blk.js';
import { VCPUScheduler } from '../dist/system/cpus.js';
import { ioRequestsInFlight } from '../dist/main-loop/io-inflight.js';
import { openDrive } from '../dist/host/node/block.js';
import { ioUringUnavailableReason } from '../dist/host/node/file-aio.js';

const RAM = 0x80000000, RAM_SIZE = 1 << 20;
const BUF = 0x8000, LEN = 4096;
const STATUS = 0x70, F_NEXT = 1, F_WRITE = 2;

/** Device, queue 0 in RAM (desc +0x1000, avail +0x2000, used +0x3000), one read request. */
function machine(blk) {
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  const proxy = new VirtIOMMIOProxy('virtio-mmio@test', { set() {} });
  const vdev = new VirtIOBlock(as, blk, {});
  proxy.plug(vdev);
  const dv = new DataView(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  const ram = new Uint8Array(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  const init = () => {
    for (const s of [0, 1, 3]) proxy.write(STATUS, 4, s);
    proxy.write(0x24, 4, 1); proxy.write(0x20, 4, 1); // VERSION_1
    proxy.write(STATUS, 4, 1 | 2 | 8);
    proxy.write(0x30, 4, 0); proxy.write(0x38, 4, 16);
    proxy.write(0x80, 4, RAM + 0x1000); proxy.write(0x90, 4, RAM + 0x2000); proxy.write(0xa0, 4, RAM + 0x3000);
    proxy.write(0x44, 4, 1);
    proxy.write(STATUS, 4, 1 | 2 | 8 | 4);
  };
  const desc = (i, addr, len, flags, next) => {
    const o = 0x1000 + i * 16;
    dv.setBigUint64(o, BigInt(addr), true); dv.setUint32(o + 8, len, true);
    dv.setUint16(o + 12, flags, true); dv.setUint16(o + 14, next, true);
  };
  const submitRead = (sector) => {
    dv.setUint32(0x4000, 0, true); dv.setBigUint64(0x4008, BigInt(sector), true); // IN
    desc(0, RAM + 0x4000, 16, F_NEXT, 1);
    desc(1, RAM + BUF, LEN, F_NEXT | F_WRITE, 2);
    desc(2, RAM + 0x5000, 1, F_WRITE, 0);
    dv.setUint16(0x2004, 0, true); dv.setUint16(0x2002, 1, true);
    proxy.write(0x50, 4, 0); // QUEUE_NOTIFY
  };
  return { ram, init, submitRead, usedIdx: () => dv.getUint16(0x3002, true), status: () => ram[0x5000] };
}

/** A guest that never waits in wfi: turn 1 submits the read, later turns poll the used ring. */
class BusyHart {
  hartid = 0; pc = 0n; turns = 0; exitAtSubmit = false; exitRequested = false; doneAtTurn = 0;
  /** Event-loop turns between the submission and the completion (`yields` counts them all). */
  yieldsInFlight = -1; yields = 0; yieldsAtSubmit = 0;
  constructor(m, stop) { this.m = m; this.stop = stop; }
  reset() {} setGpr() {} getGpr() { return 0n; }
  hasPendingInterrupt() { return false; }
  setMip(mask, level) { if (level && mask === 0) this.exitRequested = true; }
  run() {
    this.exitRequested = false;
    if (++this.turns === 1) {
      this.m.init();
      this.m.submitRead(1);
      this.exitAtSubmit = this.exitRequested; // the request asked the hart to leave its slice
      this.yieldsAtSubmit = this.yields;
      return 0;
    }
    if (this.m.usedIdx() === 1) { this.doneAtTurn = this.turns; this.yieldsInFlight = this.yields - this.yieldsAtSubmit; this.stop(); return 0; }
    // A slice of busy guest code: 0.2 ms (the scheduler's yield thresholds are in host time).
    const t = performance.now();
    while (performance.now() - t < 0.2) { /* the guest computes */ }
    return 0; // CpuExit.BUDGET: the guest stays busy
  }
}

async function runBusy(blk) {
  const m = machine(blk);
  let sched;
  const hart = new BusyHart(m, () => sched.stop());
  let yields = 0;
  const clock = new VirtualClock(new HostClock());
  sched = new VCPUScheduler([hart], new TimerList(clock), clock, { yieldToHost: () => { yields++; hart.yields++; return new Promise((r) => setImmediate(r)); } }, false);
  await sched.run();
  return { hart, yields, m };
}

test('a busy guest gets its read completed within a few rounds (request from the event loop, no slice wait)', async () => {
  // A backend that completes on the next turn of the event loop (as the thread pool or io_uring would).
  const blk = { id: 'd', readOnly: false, getLength: () => 1 << 16,
    pread: (_off, buf) => new Promise((r) => setImmediate(() => { buf.fill(0x5a); r(); })),
    pwrite: async () => {}, flush: async () => {}, pdiscard: async () => {}, pwriteZeroes: async () => {}, close: async () => {} };
  const { hart, yields, m } = await runBusy(blk);
  assert.ok(hart.exitAtSubmit, 'the new request ended the hart\'s slice');
  // Before: the loop yielded after 8 ms of guest code (40 turns of 0.2 ms); now the request
  // goes out right after its turn and the completion comes in within IO_YIELD_MS (0.25 ms).
  assert.ok(hart.doneAtTurn <= 20, `completed at turn ${hart.doneAtTurn}`);
  assert.ok(yields >= 1, `${yields} yields in ${hart.turns} turns`);
  assert.equal(m.status(), 0, 'VIRTIO_BLK_S_OK');
  assert.equal(m.ram[BUF], 0x5a, 'the data landed');
  assert.equal(ioRequestsInFlight(), 0, 'nothing left counted in flight');
});

test('a read the backend finishes at once completes before the next round, with no event-loop turn', async () => {
  const blk = { id: 'd', readOnly: false, getLength: () => 1 << 16,
    pread: async (_off, buf) => { buf.fill(0x3c); },
    pwrite: async () => {}, flush: async () => {}, pdiscard: async () => {}, pwriteZeroes: async () => {}, close: async () => {} };
  const { hart, yields, m } = await runBusy(blk);
  assert.ok(hart.exitAtSubmit);
  assert.equal(hart.doneAtTurn, 2, 'the used ring shows the completion at the next turn');
  assert.equal(hart.yieldsInFlight, 0, 'no turn of the event loop was needed');
  assert.equal(m.status(), 0);
  assert.equal(m.ram[BUF], 0x3c);
  assert.equal(ioRequestsInFlight(), 0);
});

for (const [aio, unavailable] of [['threads', ''], ['io_uring', ioUringUnavailableReason()]]) {
  test(`a busy guest on a real file (aio=${aio}): the loop keeps yielding while the read is in flight`, { skip: unavailable || false }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-blklat-'));
    const file = path.join(dir, 'd.raw');
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 0xa5));
    const blk = await openDrive(new Map(Object.entries({ 'file.driver': 'file', 'file.filename': file, format: 'raw', aio })));
    try {
      const { hart, yields, m } = await runBusy(blk);
      assert.ok(hart.exitAtSubmit);
      // io_uring reads a cached page inline in io_uring_enter: submitted and reaped right after
      // the round, the guest sees it at its next turn with no turn of the event loop.
      if (aio === 'io_uring') assert.deepEqual([hart.doneAtTurn, hart.yieldsInFlight], [2, 0], 'completed at turn 2, no yield');
      // At least one yield per ~IO_YIELD_MS of the 0.2 ms turns while the read was in flight
      // (how many turns the host's read takes depends on the host: no bound on that).
      else if (yields > 0) assert.ok(yields >= 1 + Math.floor((hart.doneAtTurn - 2) * 0.2 / 0.25 / 2), `${yields} yields, completion seen at turn ${hart.doneAtTurn}`);
      assert.equal(m.ram[BUF], 0xa5, 'the data landed');
      assert.equal(ioRequestsInFlight(), 0);
    } finally {
      await blk.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
