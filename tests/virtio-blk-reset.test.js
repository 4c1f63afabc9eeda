// A guest resets one virtio-blk device (virtio-mmio status = 0) while a read is in flight (held
// by file.x-inject-delay-ms): the vCPUs must not run again before the read's data has landed, so
// nothing reaches guest RAM after the guest saw the reset (QEMU's virtio_blk_reset drains
// synchronously). Real file backends on both AIO engines, the real vCPU scheduler, a scripted hart.
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
import { openDrive } from '../dist/host/node/block.js';
import { ioUringUnavailableReason } from '../dist/host/node/file-aio.js';
import { mainIoUringIfCreated } from '../dist/host/node/io_uring.js';

const RAM = 0x80000000, RAM_SIZE = 1 << 20;
const BUF = 0x8000, LEN = 4096, HELD_MS = 300;
const STATUS = 0x70, F_NEXT = 1, F_WRITE = 2;
const FILE_BYTE = 0xa5, OLD_BYTE = 0xee, GUEST_BYTE = 0x55;

/** Device, queue 0 in RAM (desc +0x1000, avail +0x2000, used +0x3000), one read request. */
function machine(blk, onResetInFlight) {
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  const proxy = new VirtIOMMIOProxy('virtio-mmio@test', { set() {} });
  const vdev = new VirtIOBlock(as, blk, { onResetInFlight });
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
  return { as, proxy, vdev, ram, init, submitRead, usedIdx: () => dv.getUint16(0x3002, true) };
}

/**
 * The hart's script: turn 1 sets up the device, starts the read, resets the device and goes on
 * until its exit is requested (a block boundary); turn 2 is the guest after the reset: it looks
 * at the buffer, reuses it (fills GUEST_BYTE) and ends the run.
 */
class ScriptedHart {
  hartid = 0; pc = 0n; exitRequested = false; turns = 0; seen = null;
  constructor(m, stop) { this.m = m; this.stop = stop; }
  reset() {} setGpr() {} getGpr() { return 0n; }
  hasPendingInterrupt() { return false; }
  setMip(mask, level) { if (level && mask === 0) this.exitRequested = true; }
  run() {
    const m = this.m;
    this.exitRequested = false;
    if (++this.turns === 1) {
      m.init();
      m.ram.fill(OLD_BYTE, BUF, BUF + LEN);
      m.submitRead(8);
      m.proxy.write(STATUS, 4, 0); // the reset; then the rest of this block runs
      if (this.exitRequested) return 0; // CpuExit.BUDGET at the block boundary
    }
    // The guest after the reset: the buffer is its own again.
    this.seen = { inflight: m.vdev.inflight, byte: m.ram[BUF], used: m.usedIdx() };
    m.ram.fill(GUEST_BYTE, BUF, BUF + LEN);
    this.stop();
    return 0;
  }
}

const engines = [['threads', ''], ['io_uring', ioUringUnavailableReason()]];

for (const [aio, unavailable] of engines) {
  test(`virtio-blk reset with a read in flight: harts wait until the data landed (aio=${aio})`, { skip: unavailable || false }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-blkreset-'));
    const file = path.join(dir, 'd.raw');
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, FILE_BYTE));
    const blk = await openDrive(new Map(Object.entries({
      'file.driver': 'file', 'file.filename': file, format: 'raw', aio,
      'file.x-inject-errno': 'EIO', 'file.x-inject-count': '0', 'file.x-inject-op': 'read', 'file.x-inject-delay-ms': String(HELD_MS),
    })));
    let sched;
    const holds = [];
    const m = machine(blk, (drained) => { holds.push(drained); sched.holdUntil(drained); });
    const ring = aio === 'io_uring' ? mainIoUringIfCreated() : null;
    const fixed = ring ? ring.addFixedBuffer(m.ram) : false; // guest RAM as a fixed buffer, as the emulator does
    const fixed0 = ring?.fixedSubmitted ?? 0;
    const clock = new VirtualClock(new HostClock());
    const hart = new ScriptedHart(m, () => sched.stop());
    sched = new VCPUScheduler([hart], new TimerList(clock), clock, { yieldToHost: () => new Promise((r) => setImmediate(r)) }, false);
    const t0 = performance.now();
    await sched.run();
    const resumedAfter = performance.now() - t0;
    assert.equal(holds.length, 1, 'the reset found the read in flight and asked to hold the harts');
    assert.equal(hart.turns, 2, 'the hart left run() at the block boundary after the reset');
    assert.ok(resumedAfter >= HELD_MS - 20, `the harts were held while the read was in flight (${resumedAfter.toFixed(0)} ms)`);
    assert.deepEqual(hart.seen, { inflight: 0, byte: FILE_BYTE, used: 0 }, 'the guest resumed after the read landed; no used entry after the reset');
    if (fixed) assert.ok(ring.fixedSubmitted > fixed0, 'the read went in as READ_FIXED into guest RAM');
    // Nothing lands after the guest reused the buffer.
    await new Promise((r) => setTimeout(r, HELD_MS + 100));
    assert.ok(m.ram.subarray(BUF, BUF + LEN).every((b) => b === GUEST_BYTE), 'guest RAM untouched after the reset');
    assert.equal(m.usedIdx(), 0);
    await blk.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test('virtio-blk reset with nothing in flight does not hold the harts', async () => {
  const held = [];
  const blk = { id: 'd', readOnly: false, getLength: () => 1 << 16, pread: async () => {}, pwrite: async () => {},
    flush: async () => {}, pdiscard: async () => {}, pwriteZeroes: async () => {}, close: async () => {} };
  const m = machine(blk, (p) => held.push(p));
  m.init();
  m.submitRead(0);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(m.usedIdx(), 1);
  m.proxy.write(STATUS, 4, 0);
  assert.equal(held.length, 0);
});
