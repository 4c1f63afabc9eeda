// The PCI core without a guest: ECAM config cycles on the gpex host, BAR sizing and mapping
// through the memory windows, INTx swizzling and INTX_DISABLE, bus mastering, and the MSI-X path
// of virtio-pci (a message is a store of the vector's data to its address).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { GPEXHost } from '../dist/hw/pci-host/gpex.js';
import { VirtIOPCIProxy } from '../dist/hw/virtio/virtio-pci.js';
import { VirtIORNG } from '../dist/hw/virtio/virtio-rng.js';

const RAM = 0x80000000, RAM_SIZE = 1 << 20;
const ECAM = 0x30000000, MMIO = 0x40000000, MMIO64 = 0x400000000;

function board() {
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  const lines = [false, false, false, false];
  const host = new GPEXHost(as, { ecam: { base: ECAM, size: 0x10000000 }, pio: { base: 0x3000000, size: 0x10000 },
    mmio32: { base: MMIO, size: 0x40000000 }, mmio64: { base: MMIO64, size: 0x400000000 } },
  lines.map((_, i) => ({ set: (l) => { lines[i] = l; } })));
  const rng = new VirtIORNG(as, (b) => b.fill(0x5a));
  const dev = new VirtIOPCIProxy('virtio-rng-pci', rng, as, { classCode: 0x00ff00, configSize: 0 });
  host.bus.plug(dev, 2 << 3); // slot 2
  const cfg = (reg, size = 4) => Number(as.load(ECAM + (2 << 15) + reg, size));
  const setCfg = (reg, v, size = 4) => as.store(ECAM + (2 << 15) + reg, size, BigInt(v));
  const view = new DataView(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  return { as, host, dev, rng, lines, cfg, setCfg, view };
}

test('ECAM: IDs, absent functions, BAR sizing, windows and command bits', () => {
  const { as, cfg, setCfg } = board();
  assert.equal(Number(as.load(ECAM, 4)), 0x00081b36, 'host bridge at 00:00.0');
  assert.equal(cfg(0), 0x10051af4);
  assert.equal(Number(as.load(ECAM + (3 << 15), 4)), 0xffffffff, 'no device in slot 3');
  assert.equal(Number(as.load(ECAM + (1 << 20), 4)), 0xffffffff, 'no bus 1');
  assert.equal(cfg(0x100), 0xffffffff, 'a conventional device has no extended config space');
  setCfg(0x10, 0xffffffff);
  assert.equal(cfg(0x10), 0xffffffe1, 'BAR0: 32 bytes of I/O');
  setCfg(0x20, 0xffffffff); setCfg(0x24, 0xffffffff);
  assert.equal(cfg(0x20), 0xffffc00c, 'BAR4: 16 KiB, 64-bit, prefetchable');
  assert.equal(cfg(0x24), 0xffffffff);
  setCfg(0x20, 0x4000); setCfg(0x24, 0x4); // 0x4_0000_4000
  assert.equal(Number(as.load(MMIO64 + 0x4000 + 0x12, 2)), 0, 'memory decoding off: nothing there');
  setCfg(0x04, 0x2, 2); // MEMORY
  assert.equal(Number(as.load(MMIO64 + 0x4000 + 0x12, 2)), 1, 'common cfg num_queues through the 64-bit window');
  setCfg(0x06, 0xffff, 2); // status is read-only but for W1C bits
  assert.equal(cfg(0x06, 2), 0x10, 'capability list bit stays');
  setCfg(0x00, 0, 4);
  assert.equal(cfg(0), 0x10051af4, 'IDs are read-only');
});

test('virtio-pci interrupts: INTx swizzled by slot, INTX_DISABLE, bus mastering, MSI-X messages', () => {
  const { dev, rng, lines, cfg, setCfg, view, as } = board();
  setCfg(0x20, 0x4000); setCfg(0x24, 0x4);
  setCfg(0x14, MMIO + 0x1000); // BAR1: MSI-X at 0x40001000 (PCI address = CPU address)
  setCfg(0x04, 0x2, 2);
  const bar = MMIO64 + 0x4000;
  const common = (off, size, v) => (v === undefined ? Number(as.load(bar + off, size)) : as.store(bar + off, size, BigInt(v)));
  // Driver bring-up of queue 0 with one 16-byte device-writable buffer.
  common(0x14, 1, 1 | 2); common(0x08, 4, 1); common(0x0c, 4, 1); common(0x14, 1, 1 | 2 | 8);
  assert.equal(common(0x14, 1), 11, 'FEATURES_OK kept (VERSION_1 accepted)');
  common(0x16, 2, 0); common(0x18, 2, 8);
  const desc = RAM + 0x1000, avail = RAM + 0x2000, used = RAM + 0x3000;
  common(0x20, 4, desc); common(0x24, 4, 0); common(0x28, 4, avail); common(0x2c, 4, 0); common(0x30, 4, used); common(0x34, 4, 0);
  common(0x1c, 2, 1);
  common(0x14, 1, 15);
  const submit = (n) => {
    view.setBigUint64(0x1000, BigInt(RAM + 0x8000), true); view.setUint32(0x1008, 16, true); view.setUint16(0x100c, 2, true);
    view.setUint16(0x2004 + 2 * ((n - 1) % 8), 0, true); view.setUint16(0x2002, n, true);
    common(0x3000, 2, 0); // notify queue 0 (offset 0 * multiplier)
  };
  submit(1);
  assert.equal(view.getUint16(0x3002, true), 0, 'no bus mastering: the kick is ignored');
  setCfg(0x04, 0x6, 2); // MEMORY | MASTER
  submit(2);
  assert.equal(view.getUint16(0x3002, true), 2, 'both requests served');
  assert.equal(view.getUint8(0x8000), 0x5a);
  assert.deepEqual(lines, [false, false, true, false], 'slot 2 INTA -> line (0 + 2) % 4');
  setCfg(0x04, 0x406, 2); // INTX_DISABLE
  assert.deepEqual(lines, [false, false, false, false]);
  assert.equal(cfg(0x06, 2) & 0x8, 0x8, 'STATUS.INTERRUPT still shows the pending interrupt');
  setCfg(0x04, 0x6, 2);
  assert.equal(lines[2], true);
  assert.equal(common(0x1000, 1), 1, 'ISR: queue interrupt');
  assert.equal(lines[2], false, 'reading ISR deasserts INTx');
  // MSI-X: vector 0 -> store 0x0000abcd at RAM + 0x100.
  const msix = cfg(0x34, 1); // the list's head is MSI-X, as QEMU's
  assert.equal(cfg(msix, 1), 0x11);
  view.setUint32(0x100, 0, true);
  as.store(MMIO + 0x1000, 4, BigInt(RAM + 0x100)); as.store(MMIO + 0x1004, 4, 0n); as.store(MMIO + 0x1008, 4, 0xabcdn);
  as.store(MMIO + 0x100c, 4, 0n); // unmask
  setCfg(msix + 2, 0x8001, 2); // enable
  common(0x1a, 2, 0); // queue 0 -> vector 0
  assert.equal(common(0x1a, 2), 0);
  common(0x1a, 2, 7); // beyond the table: NO_VECTOR
  assert.equal(common(0x1a, 2), 0xffff);
  common(0x1a, 2, 0);
  submit(3);
  assert.equal(view.getUint32(0x100, true), 0xabcd, 'the message landed');
  assert.deepEqual(lines, [false, false, false, false], 'no INTx with MSI-X on');
  assert.equal(rng.broken, false);
  void dev;
});
