// Register-level tests of the virt board's devices, without a CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { TimerList } from '../dist/main-loop/timer.js';
import { SiFivePLIC } from '../dist/hw/intc/sifive_plic.js';
import { RISCVAclint } from '../dist/hw/intc/riscv_aclint.js';
import { SerialState } from '../dist/hw/char/serial.js';
import { GoldfishRTC } from '../dist/hw/rtc/goldfish_rtc.js';
import { SiFiveTest } from '../dist/hw/misc/sifive_test.js';
import { VirtIOMMIOProxy } from '../dist/hw/virtio/virtio-mmio.js';
import { VirtIOBlock } from '../dist/hw/virtio/virtio-blk.js';
import { VirtIORNG } from '../dist/hw/virtio/virtio-rng.js';
import { MuxChardev } from '../dist/chardev/char-mux.js';
import { setLogMask, setLogSink } from '../dist/qemu/log.js';

class FakeHart { mip = 0; setMip(m, l) { this.mip = l ? this.mip | m : this.mip & ~m; } }
class FakeClock { t = 0; now() { return this.t; } }
const MEIP = 1 << 11, SEIP = 1 << 9, MTIP = 1 << 7, MSIP = 1 << 3;

test('PLIC: priority, enable, threshold, claim/complete with level-triggered re-pend', () => {
  const harts = [new FakeHart(), new FakeHart()];
  const plic = new SiFivePLIC(harts, 96, 7);
  plic.write(10 * 4, 4, 1); // priority of source 10
  plic.irqs[10].set(true);
  assert.equal(harts[0].mip, 0, 'not enabled yet');
  assert.equal(plic.read(0x1000, 4), 1 << 10, 'pending bit');
  plic.write(0x2000 + 1 * 0x80, 4, 1 << 10); // enable for context 1 (hart 0, S)
  assert.equal(harts[0].mip, SEIP);
  plic.write(0x200000 + 1 * 0x1000, 4, 1); // threshold 1 masks priority 1
  assert.equal(harts[0].mip, 0);
  plic.write(0x200000 + 1 * 0x1000, 4, 0);
  assert.equal(plic.read(0x200000 + 0x1000 + 4, 4), 10, 'claim');
  assert.equal(harts[0].mip, 0, 'claimed: no longer pending');
  assert.equal(plic.read(0x200000 + 0x1000 + 4, 4), 0, 'nothing else to claim');
  plic.write(0x200000 + 0x1000 + 4, 4, 10); // complete while the line is still high
  assert.equal(harts[0].mip, SEIP, 're-pended');
  plic.irqs[10].set(false);
  assert.equal(harts[0].mip, 0);
  plic.write(0x2000 + 2 * 0x80, 4, 1 << 10); // hart 1 M context
  plic.irqs[10].set(true);
  assert.equal(harts[1].mip, MEIP);
  assert.equal(plic.read(0x2000 + 99 * 0x80, 4), 0, 'out-of-range context reads 0');
});

test('ACLINT: msip, mtimecmp timer, mtime at 10 MHz', () => {
  const harts = [new FakeHart(), new FakeHart()];
  const clock = new FakeClock();
  const timers = new TimerList(clock);
  const c = new RISCVAclint(harts, clock, timers, 10_000_000);
  c.write(4, 4, 1);
  assert.equal(harts[1].mip, MSIP);
  assert.equal(c.read(4, 4), 1);
  c.write(4, 4, 0);
  assert.equal(harts[1].mip, 0);
  clock.t = 1_000_000; // 1 ms = 10000 ticks
  assert.equal(c.read64(0xbff8), 10000n);
  c.write64(0x4000, 10500n);
  assert.equal(harts[0].mip, 0);
  assert.equal(timers.deadline(), 1_050_000);
  clock.t = 1_050_000;
  timers.runExpired();
  assert.equal(harts[0].mip, MTIP);
  c.write(0x4000, 4, 0xffffffff); c.write(0x4004, 4, 0xffffffff);
  assert.equal(harts[0].mip, 0);
  assert.equal(c.read(0x4004, 4) >>> 0, 0xffffffff);
});

test('16550A: THR output, THRI, receive FIFO and interrupts, DLAB, loopback', () => {
  const out = [];
  let level = false;
  let fe;
  const chr = { id: 's', write: (d) => out.push(...d), attach: (f) => { fe = f; }, acceptInput() {}, close() {} };
  const u = new SerialState(chr, { set: (l) => { level = l; } });
  u.write(0, 1, 0x41);
  assert.deepEqual(out, [0x41]);
  assert.equal(u.read(5) & 0x60, 0x60, 'THRE|TEMT');
  u.write(1, 1, 0x02); // IER.THRI
  assert.equal(level, true);
  assert.equal(u.read(2) & 0x0f, 0x02, 'IIR = THRI');
  assert.equal(level, false, 'reading IIR acknowledges THRI');
  u.write(1, 1, 0x01); // RDI only
  assert.equal(fe.canReceive(), 1, 'no FIFO: one byte');
  u.write(2, 1, 0x01); // FIFO on, trigger 1
  assert.equal(fe.canReceive(), 16);
  fe.receive(Uint8Array.of(0x61, 0x62));
  assert.equal(level, true);
  assert.equal(u.read(5) & 1, 1);
  assert.equal(u.read(0), 0x61);
  assert.equal(u.read(0), 0x62);
  assert.equal(u.read(5) & 1, 0);
  assert.equal(level, false);
  u.write(3, 1, 0x80); u.write(0, 1, 0x01); u.write(1, 1, 0x00); u.write(3, 1, 0x03);
  assert.equal(out.length, 1, 'divisor writes do not transmit');
  u.write(4, 1, 0x10 | 0x02); // loopback, RTS
  assert.equal(u.read(6) & 0x10, 0x10, 'RTS loops to CTS');
  u.write(0, 1, 0x7a);
  assert.equal(u.read(0), 0x7a, 'loopback');
  assert.equal(out.length, 1);
});

test('goldfish RTC: time latching, alarm interrupt', () => {
  const clock = new FakeClock();
  const timers = new TimerList(clock);
  let level = false;
  let wall = 0x1_2345_6789n * 1000n;
  const rtc = new GoldfishRTC({ set: (l) => { level = l; } }, () => wall, clock, timers);
  const lo = rtc.read(0, 4) >>> 0;
  wall += 1n << 33n;
  const hi = rtc.read(4, 4) >>> 0;
  assert.equal((BigInt(hi) << 32n) | BigInt(lo), 0x1_2345_6789n * 1000n, 'high half latched by the low read');
  rtc.write(0x10, 4, 1);
  const now = (BigInt(rtc.read(0, 4) >>> 0) | (BigInt(rtc.read(4, 4) >>> 0) << 32n));
  const alarm = now + 5000n;
  rtc.write(0x0c, 4, Number(alarm >> 32n));
  rtc.write(0x08, 4, Number(alarm & 0xffffffffn));
  assert.equal(rtc.read(0x18, 4), 1);
  clock.t = 5000; wall += 5000n;
  timers.runExpired();
  assert.equal(level, true);
  rtc.write(0x1c, 4, 1);
  assert.equal(level, false);
});

test('sifive_test: pass, fail with code, reset', () => {
  const ev = [];
  const t = new SiFiveTest({ shutdown: (c) => ev.push(['off', c]), reset: () => ev.push(['reset']) });
  t.write(0, 4, 0x5555);
  t.write(0, 4, (3 << 16) | 0x3333);
  t.write(0, 4, 0x7777);
  t.write(0, 4, 0x1234);
  assert.deepEqual(ev, [['off', 0], ['off', 3], ['reset']]);
});

test('mux: Ctrl-A x quits, C-a C-a sends C-a, C-a c switches frontends', () => {
  const written = [];
  let be;
  const backend = { id: 'b', write: (d) => written.push(Buffer.from(d).toString()), attach: (f) => { be = f; }, acceptInput() {}, close() {} };
  let quit = 0;
  const mux = new MuxChardev('m', backend, { quit: () => quit++ });
  const got = [[], []];
  const fe = (i) => ({ canReceive: () => 100, receive: (d) => got[i].push(...d), focusChanged() {} });
  mux.attach(fe(0));
  mux.attach(fe(1));
  be.receive(Uint8Array.of(0x61, 1, 1, 0x62));
  assert.deepEqual(got[0], [0x61, 1, 0x62]);
  be.receive(Uint8Array.of(1, 0x63, 0x64));
  assert.deepEqual(got[1], [0x64]);
  be.receive(Uint8Array.of(1, 0x78));
  assert.equal(quit, 1);
  assert.match(written.join(''), /QEMU: Terminated/);
});

// --- virtio ---------------------------------------------------------------------------------

const RAM = 0x80000000;
function setup(dev) {
  const layout = allocateGuestMemory(4096, 4096, 1 << 20);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, 1 << 20, layout.ramHostOffset);
  let irq = false;
  const proxy = new VirtIOMMIOProxy('virtio-mmio@test', { set: (l) => { irq = l; } });
  const vdev = dev(as);
  proxy.plug(vdev);
  const dv = new DataView(layout.memory.buffer, layout.ramHostOffset);
  // Queue 0 of 16 entries: desc at +0x1000, avail at +0x2000, used at +0x3000.
  const init = () => {
    proxy.write(0x70, 4, 0);
    proxy.write(0x70, 4, 1 | 2);
    proxy.write(0x24, 4, 1); proxy.write(0x20, 4, 1); // VERSION_1
    proxy.write(0x70, 4, 1 | 2 | 8);
    proxy.write(0x30, 4, 0); proxy.write(0x38, 4, 16);
    proxy.write(0x80, 4, RAM + 0x1000); proxy.write(0x84, 4, 0);
    proxy.write(0x90, 4, RAM + 0x2000); proxy.write(0x94, 4, 0);
    proxy.write(0xa0, 4, RAM + 0x3000); proxy.write(0xa4, 4, 0);
    proxy.write(0x44, 4, 1);
    proxy.write(0x70, 4, 1 | 2 | 8 | 4);
  };
  let availIdx = 0;
  const desc = (i, addr, len, flags, next) => {
    const o = 0x1000 + i * 16;
    dv.setBigUint64(o, BigInt(addr), true); dv.setUint32(o + 8, len, true);
    dv.setUint16(o + 12, flags, true); dv.setUint16(o + 14, next, true);
  };
  const submit = (head) => {
    dv.setUint16(0x2004 + 2 * (availIdx % 16), head, true);
    availIdx++;
    dv.setUint16(0x2002, availIdx, true);
    proxy.write(0x50, 4, 0);
  };
  const usedIdx = () => dv.getUint16(0x3002, true);
  const used = (i) => [dv.getUint32(0x3004 + 8 * i, true), dv.getUint32(0x3008 + 8 * i, true)];
  return { as, proxy, vdev, dv, init, desc, submit, usedIdx, used, irq: () => irq };
}

function memDisk(size) {
  const data = new Uint8Array(size);
  const calls = [];
  return {
    data, calls,
    blk: {
      id: 'd', readOnly: false, getLength: () => size,
      async pread(off, buf) { calls.push(['r', off, buf.length]); buf.set(data.subarray(off, off + buf.length)); },
      async pwrite(off, buf) { calls.push(['w', off, buf.length]); data.set(buf, off); },
      async flush() { calls.push(['f']); },
      async pdiscard(off, n) { calls.push(['d', off, n]); },
      async pwriteZeroes(off, n, unmap) { calls.push(['z', off, n, unmap]); data.fill(0, off, off + n); },
      async close() {},
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 10));
const F_NEXT = 1, F_WRITE = 2;

test('virtio-mmio: identification and features', () => {
  const disk = memDisk(1 << 16);
  const { proxy } = setup((as) => new VirtIOBlock(as, disk.blk));
  assert.equal(proxy.read(0, 4), 0x74726976);
  assert.equal(proxy.read(4, 4), 2);
  assert.equal(proxy.read(8, 4), 2);
  proxy.write(0x14, 4, 1);
  assert.equal(proxy.read(0x10, 4) & 1, 1, 'VERSION_1');
  assert.equal(proxy.read(0x100, 4), (1 << 16) / 512, 'capacity in sectors');
  const empty = new VirtIOMMIOProxy('empty', { set() {} });
  assert.equal(empty.read(8, 4), 0, 'an empty slot has device ID 0');
});

test('virtio-blk: write then read back, flush, get-id, write-zeroes, out-of-range', async () => {
  const disk = memDisk(1 << 16);
  const v = setup((as) => new VirtIOBlock(as, disk.blk, { serial: 'SERIAL42' }));
  v.init();
  const req = (head, type, sector, dataAddr, dataLen, write) => {
    v.dv.setUint32(0x4000 + head * 64, type, true);
    v.dv.setBigUint64(0x4000 + head * 64 + 8, BigInt(sector), true);
    v.desc(head, RAM + 0x4000 + head * 64, 16, F_NEXT, head + 1);
    if (dataLen > 0) {
      v.desc(head + 1, RAM + dataAddr, dataLen, F_NEXT | (write ? F_WRITE : 0), head + 2);
      v.desc(head + 2, RAM + 0x5000 + head, 1, F_WRITE, 0);
    } else {
      v.desc(head + 1, RAM + 0x5000 + head, 1, F_WRITE, 0);
    }
    v.submit(head);
  };
  const status = (head) => v.dv.getUint8(0x5000 + head);
  for (let i = 0; i < 1024; i++) v.dv.setUint8(0x8000 + i, i & 0xff);
  req(0, 1, 4, 0x8000, 1024, false); // OUT
  await settle();
  assert.equal(v.usedIdx(), 1);
  assert.equal(status(0), 0);
  assert.ok(v.irq());
  assert.equal(disk.data[4 * 512 + 7], 7);
  req(3, 0, 4, 0x9000, 512, true); // IN
  await settle();
  assert.equal(status(3), 0);
  assert.deepEqual(v.used(1), [3, 513]);
  assert.equal(v.dv.getUint8(0x9000 + 300), 300 & 0xff);
  req(6, 4, 0, 0, 0, false); // FLUSH
  req(8, 8, 0, 0xa000, 20, true); // GET_ID
  await settle();
  assert.equal(status(6), 0);
  assert.equal(new TextDecoder().decode(new Uint8Array(v.dv.buffer, v.dv.byteOffset + 0xa000, 8)), 'SERIAL42');
  v.dv.setBigUint64(0xb000, 4n, true); v.dv.setUint32(0xb008, 1, true); v.dv.setUint32(0xb00c, 0, true);
  req(11, 13, 0, 0xb000, 16, false); // WRITE_ZEROES one sector at 4
  req(0, 0, 127, 0x9000, 1024, true); // IN past the end (descriptors 0-2 are free again)
  await settle();
  assert.equal(status(11), 0);
  assert.equal(disk.data[4 * 512 + 7], 0);
  assert.equal(status(0), 1, 'IOERR');
  assert.equal(v.usedIdx(), 6);
});

test('virtio: descriptor loop and out-of-RAM buffer mark the device broken, logged as guest error', async () => {
  const logs = [];
  setLogSink((t) => logs.push(t));
  setLogMask(1 << 11);
  try {
    const disk = memDisk(1 << 16);
    const v = setup((as) => new VirtIOBlock(as, disk.blk));
    v.init();
    v.desc(0, RAM + 0x4000, 16, F_NEXT, 1);
    v.desc(1, RAM + 0x4100, 16, F_NEXT, 0); // loops back to 0
    v.submit(0);
    await settle();
    assert.equal(v.usedIdx(), 0);
    assert.ok(v.proxy.read(0x70, 4) & 0x40, 'DEVICE_NEEDS_RESET');
    assert.match(logs.join(''), /virtio-blk: descriptor chain loops/);
    v.init(); // the driver resets the device: it works again
    v.desc(0, 0x1000, 16, 0, 0); // outside RAM (the MROM hole)
    v.submit(0);
    await settle();
    assert.ok(v.proxy.read(0x70, 4) & 0x40);
    assert.match(logs.join(''), /outside RAM/);
    assert.equal(disk.calls.length, 0, 'the disk was never touched');
  } finally {
    setLogMask(0);
  }
});

test('virtio-rng: fills device-writable buffers from the entropy source', async () => {
  const v = setup((as) => new VirtIORNG(as, (b) => b.fill(0xab)));
  v.init();
  v.desc(0, RAM + 0x6000, 64, F_WRITE, 0);
  v.submit(0);
  await settle();
  assert.deepEqual(v.used(0), [0, 64]);
  assert.equal(v.dv.getUint8(0x6000 + 63), 0xab);
});
