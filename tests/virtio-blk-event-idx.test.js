// VIRTIO_RING_F_EVENT_IDX (virtio 1.2, 2.7.7 and 2.7.10) on virtio-blk: the device publishes
// avail_event after each chain it takes and interrupts only when the used index steps over the
// driver's used_event. First the ring words on a scripted driver (virtio-mmio), then the real
// Linux guest on four disks at once (virtio-blk-pci and virtio-blk-device, each with the feature
// on and with event_idx=off): the feature bits the driver negotiated, and 32 concurrent O_DIRECT
// copies and reads whose content is checked in the guest and on the host afterwards, with two
// harts on their own threads (thread=multi).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomFillSync } from 'node:crypto';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { VirtIOMMIOProxy } from '../dist/hw/virtio/virtio-mmio.js';
import { VirtIOBlock } from '../dist/hw/virtio/virtio-blk.js';
import { openDrive } from '../dist/host/node/block.js';
import { Console, INITRD, kernelImage, tmpdir } from './system-helpers.js';

const RAM = 0x80000000, RAM_SIZE = 1 << 20;
const STATUS = 0x70, F_NEXT = 1, F_WRITE = 2, EVENT_IDX = 29, QSIZE = 16;
const DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000;

/** A virtio-blk on virtio-mmio over a 64 KiB disk, queue 0 of QSIZE entries set up by a scripted driver. */
async function scripted(dir, { offer = true, accept = true } = {}) {
  const file = path.join(dir, `disk-${offer}-${accept}.raw`);
  const content = randomFillSync(Buffer.alloc(65536));
  fs.writeFileSync(file, content);
  const blk = await openDrive(new Map(Object.entries({ 'file.driver': 'file', 'file.filename': file, format: 'raw', aio: 'threads' })));
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  let irqs = 0;
  const proxy = new VirtIOMMIOProxy('virtio-mmio@test', { set(level) { if (level) irqs++; } });
  const vdev = new VirtIOBlock(as, blk, { eventIdx: offer });
  proxy.plug(vdev);
  const dv = new DataView(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  const ram = new Uint8Array(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  proxy.write(STATUS, 4, 0); proxy.write(STATUS, 4, 1); proxy.write(STATUS, 4, 3);
  proxy.write(0x14, 4, 0); const offered = proxy.read(0x10, 4);
  proxy.write(0x24, 4, 0); proxy.write(0x20, 4, accept ? offered & (1 << EVENT_IDX) : 0);
  proxy.write(0x24, 4, 1); proxy.write(0x20, 4, 1); // VERSION_1
  proxy.write(STATUS, 4, 1 | 2 | 8);
  proxy.write(0x30, 4, 0); proxy.write(0x38, 4, QSIZE);
  proxy.write(0x80, 4, RAM + DESC); proxy.write(0x90, 4, RAM + AVAIL); proxy.write(0xa0, 4, RAM + USED);
  proxy.write(0x44, 4, 1);
  proxy.write(STATUS, 4, 1 | 2 | 8 | 4);
  let avail = 0;
  /** Make `n` 512-byte reads of sector k available (chain k uses descriptors 3k..3k+2), then notify. */
  const submit = (n) => {
    for (let j = 0; j < n; j++, avail++) {
      const k = avail % 5, d = 3 * k, hdr = 0x4000 + k * 16, buf = 0x8000 + k * 512;
      dv.setUint32(hdr, 0, true); dv.setBigUint64(hdr + 8, BigInt(k), true);
      const desc = (i, addr, len, flags, next) => {
        const o = DESC + i * 16;
        dv.setBigUint64(o, BigInt(RAM + addr), true); dv.setUint32(o + 8, len, true);
        dv.setUint16(o + 12, flags, true); dv.setUint16(o + 14, next, true);
      };
      desc(d, hdr, 16, F_NEXT, d + 1); desc(d + 1, buf, 512, F_NEXT | F_WRITE, d + 2); desc(d + 2, 0x6000 + k, 1, F_WRITE, 0);
      dv.setUint16(AVAIL + 4 + 2 * (avail % QSIZE), d, true);
    }
    dv.setUint16(AVAIL + 2, avail & 0xffff, true);
    proxy.write(0x50, 4, 0);
  };
  const settle = async () => { await vdev.drain(); await new Promise((r) => setImmediate(r)); };
  return {
    vdev, ram, content, submit, settle, irqs: () => irqs, ackIsr: () => proxy.write(0x64, 4, proxy.read(0x60, 4)),
    features: () => { proxy.write(0x24, 4, 0); return vdev.guestFeatures; },
    usedIdx: () => dv.getUint16(USED + 2, true),
    availEvent: () => dv.getUint16(USED + 4 + 8 * QSIZE, true),
    setUsedEvent: (v) => dv.setUint16(AVAIL + 4 + 2 * QSIZE, v, true),
    close: () => blk.close?.(),
  };
}

test('EVENT_IDX: avail_event follows the chains taken; used_event decides the interrupts', async () => {
  const dir = tmpdir();
  try {
    const m = await scripted(dir);
    assert.ok(m.features() & (1n << BigInt(EVENT_IDX)), 'negotiated');
    m.setUsedEvent(0); // interrupt when used idx passes 0
    m.submit(1);
    assert.equal(m.availEvent(), 1, 'avail_event = the next entry the device will take');
    await m.settle();
    assert.equal(m.usedIdx(), 1);
    assert.equal(m.irqs(), 1, 'the first completion interrupts');
    assert.deepEqual([...m.ram.subarray(0x8000, 0x8200)], [...m.content.subarray(0, 512)], 'read data landed');
    m.ackIsr();
    // used_event 5: completions 2..5 stay silent, the one that makes used idx 6 interrupts.
    m.setUsedEvent(5);
    m.submit(3);
    await m.settle();
    assert.equal(m.usedIdx(), 4);
    assert.equal(m.availEvent(), 4);
    assert.equal(m.irqs(), 1, 'used_event not reached: no interrupt');
    m.submit(2);
    await m.settle();
    assert.equal(m.usedIdx(), 6);
    assert.equal(m.irqs(), 2, 'used idx stepped over used_event 5: one interrupt');
    assert.equal(m.ram[0x6000 + 4], 0, 'status OK');
    assert.deepEqual([...m.ram.subarray(0x8000 + 4 * 512, 0x8000 + 5 * 512)], [...m.content.subarray(4 * 512, 5 * 512)]);
    m.ackIsr();
    // Wrap-around of the 16-bit indices is covered by vring_need_event's arithmetic: used_event
    // behind the used idx (the driver asked long ago) does not interrupt again.
    m.setUsedEvent(2);
    m.submit(1);
    await m.settle();
    assert.equal(m.irqs(), 2, 'used_event already passed before the last interrupt: none');
    await m.close();

    // Offered but refused by the driver, and not offered (event_idx=off): VIRTQ_AVAIL_F_NO_INTERRUPT rules.
    for (const opts of [{ offer: true, accept: false }, { offer: false, accept: true }]) {
      const n = await scripted(dir, opts);
      assert.equal(n.features() & (1n << BigInt(EVENT_IDX)), 0n, JSON.stringify(opts));
      n.setUsedEvent(100);
      n.submit(2);
      await n.settle();
      assert.equal(n.usedIdx(), 2);
      assert.equal(n.availEvent(), 0, 'no avail_event written without the feature');
      assert.ok(n.irqs() >= 1, 'interrupts follow the flags, not used_event');
      await n.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const SIZE = 4 << 20, HALF = SIZE / 2, CHUNK = 256 << 10;
const DISKS = [
  { serial: 'pci-on', dev: 'virtio-blk-pci,drive=%s', on: true },
  { serial: 'pci-off', dev: 'virtio-blk-pci,drive=%s,event_idx=off', on: false },
  { serial: 'mmio-on', dev: 'virtio-blk-device,drive=%s', on: true },
  { serial: 'mmio-off', dev: 'virtio-blk-device,drive=%s,event_idx=off', on: false },
];

// One guest for both halves of the matrix (the feature on and off, virtio-blk-pci and
// virtio-blk-device) and the threads: drivers on two hart threads against the device on the main
// thread, where the avail_event and used_event handshakes depend on the device's barriers (a lost
// kick or interrupt hangs a dd). The -smp 1 boot of the same four disks (a second Linux boot, ~13 s
// of a CI lane) checked nothing this one does not: the device side is the same code, and -smp 1
// guests read and write virtio-blk in block-guest, cli-options and the other boot tests.
test('Linux guest, -smp 2 thread=multi: EVENT_IDX negotiated (or not, event_idx=off); concurrent O_DIRECT copies and reads keep the data', { timeout: 600_000 }, async () => {
  await guestCopies(['-smp', '2', '-accel', 'tcg,thread=multi'], DISKS);
});

async function guestCopies(extra, DISKS) {
  const dir = tmpdir();
  const vm = (() => {
    const args = ['-M', 'virt', '-m', '256M', ...extra, '-nographic', '-kernel', kernelImage(), '-initrd', INITRD,
      '-append', 'console=ttyS0 quiet'];
    DISKS.forEach((d, i) => {
      d.file = path.join(dir, `${d.serial}.raw`);
      d.data = randomFillSync(Buffer.alloc(SIZE));
      d.data.fill(0, HALF); // the second half: where the guest copies the first
      fs.writeFileSync(d.file, d.data);
      args.push('-drive', `file=${d.file},format=raw,if=none,id=d${i},serial=${d.serial},cache=writeback`,
        '-device', d.dev.replace('%s', `d${i}`));
    });
    return new Console(args);
  })();
  try {
    await vm.expect(/tsqemu-guest: boot complete/, 300_000, 0);
    // Which /dev/vdX has which serial, and the feature bits its driver accepted (one '0'/'1' per bit).
    const lines = (await vm.sh('for b in /sys/block/vd*; do echo "$(cat $b/serial) ${b##*/} $(cat $b/device/features)"; done'))
      .split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 3);
    for (const d of DISKS) {
      const l = lines.find((f) => f[0] === d.serial);
      assert.ok(l, `disk ${d.serial} in the guest: ${JSON.stringify(lines)}`);
      d.node = `/dev/${l[1]}`;
      assert.match(l[2], /^[01]{64}$/);
      assert.equal(l[2][EVENT_IDX], d.on ? '1' : '0', `${d.serial}: VIRTIO_RING_F_EVENT_IDX ${d.on ? 'negotiated' : 'not offered'}`);
      // virtio-mmio is legacy by default, as QEMU's (force-legacy=on): no VERSION_1 there.
      assert.equal(l[2][32], d.dev.includes('-pci') ? '1' : '0', 'VERSION_1 on virtio-pci only');
    }
    // 8 concurrent direct copies per disk, 32 in flight over the four queues: the first half onto the second.
    // (Shell loops: the console takes lines of limited length.)
    const n = HALF / CHUNK, bs = 4096, per = CHUNK / bs;
    const nodes = DISKS.map((d) => d.node).join(' ');
    // (The console may wrap the echoed command anywhere: only a line that is exactly the answer counts.)
    const copied = await vm.sh(`for d in ${nodes}; do i=0; while [ $i -lt ${n} ]; do ` +
      `dd if=$d of=$d bs=${bs} skip=$((i*${per})) seek=$((${HALF / bs}+i*${per})) count=${per} iflag=direct oflag=direct conv=notrunc 2>/dev/null & ` +
      'i=$((i+1)); done; done; wait; sync; echo copied', 300_000);
    assert.match(copied, /(^|\n)copied$/);
    // Read every chunk back (both halves) with O_DIRECT, all at once, and checksum it in the guest.
    const out = await vm.sh(`for d in ${nodes}; do i=0; while [ $i -lt ${2 * n} ]; do ` +
      `(echo "$d:$i $(dd if=$d bs=${bs} skip=$((i*${per})) count=${per} iflag=direct 2>/dev/null | md5sum)") & ` +
      'i=$((i+1)); done; done; wait', 300_000);
    const sums = new Map(out.split('\n').map((l) => /(\/dev\/vd[a-z]:\d+) ([0-9a-f]{32})/.exec(l)).filter(Boolean).map((m) => [m[1], m[2]]));
    for (const d of DISKS) {
      for (let i = 0; i < 2 * n; i++) {
        const src = (i % n) * CHUNK;
        const want = createHash('md5').update(d.data.subarray(src, src + CHUNK)).digest('hex');
        assert.equal(sums.get(`${d.node}:${i}`), want, `${d.serial}: chunk ${i} read back as the source chunk ${i % n}`);
      }
    }
    vm.send('poweroff -f\n');
    await vm.exit;
    for (const d of DISKS) {
      const now = fs.readFileSync(d.file);
      assert.ok(now.subarray(0, HALF).equals(d.data.subarray(0, HALF)), `${d.serial}: source half unchanged`);
      assert.ok(now.subarray(HALF).equals(d.data.subarray(0, HALF)), `${d.serial}: the copies landed on the host file`);
    }
  } finally {
    vm.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
