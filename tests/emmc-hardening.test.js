// What a hostile guest or a damaged state file gets from the eMMC, its RPMB and the SDHCI:
// replayed, forged, misaddressed and malformed RPMB frames (also after a restart), commands out
// of order, addresses outside a partition, and ADMA2 descriptor tables pointing outside RAM or
// looping. Each gets the status a real part or controller returns; nothing is written outside
// the partition or guest RAM. No guest boot: the models are driven through their registers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { AddressSpace, allocateGuestMemory } from '../dist/exec/memory.js';
import { qcryptoInitNode } from '../dist/host/node/crypto-node.js';
import { RPMB } from '../dist/hw/sd/rpmb.js';
import { rpmbStateStore } from '../dist/hw/sd/rpmb-state.js';
import { EMMC } from '../dist/hw/sd/emmc.js';
import { SDBus } from '../dist/hw/sd/sd-bus.js';
import { SDHCIState, SDHC_CAPAB_REG_DEFAULT } from '../dist/hw/sd/sdhci.js';

qcryptoInitNode();
const KEY = Buffer.alloc(32, 0x4b);
const RPMB_SIZE = 128 * 1024;

function memBlk(size) {
  const mem = new Uint8Array(size);
  return {
    mem, id: 'mem', readOnly: false, getLength: () => size,
    async pread(off, buf) { if (off < 0 || off + buf.length > size) throw new Error('EIO'); buf.set(mem.subarray(off, off + buf.length)); },
    async pwrite(off, buf) { if (off < 0 || off + buf.length > size) throw new Error('EIO'); mem.set(buf, off); },
    async flush() {}, async pdiscard() {}, async pwriteZeroes() {}, async close() {},
  };
}

function frame(type, { counter = 0, address = 0, count = 1, data, nonce } = {}) {
  const f = Buffer.alloc(512);
  if (data) data.copy(f, 228);
  if (nonce) nonce.copy(f, 484);
  f.writeUInt32BE(counter, 500);
  f.writeUInt16BE(address, 504);
  f.writeUInt16BE(count, 506);
  f.writeUInt16BE(type, 510);
  return f;
}
const sign = (frames, key = KEY) => {
  const mac = crypto.createHmac('sha256', key);
  for (const f of frames) mac.update(f.subarray(228));
  mac.digest().copy(frames[frames.length - 1], 196);
  return frames;
};
const result = (f) => f.readUInt16BE(508);

function memStore() {
  const s = { bytes: null };
  return { s, file: { path: 'mem.rpmb', read: () => s.bytes, write: (d) => { s.bytes = Uint8Array.from(d); } } };
}

test('RPMB: replayed, forged, misaddressed and malformed frames; replay refused after a restart too', async () => {
  const data = new Uint8Array(RPMB_SIZE);
  const area = { size: RPMB_SIZE, read: async (o, l) => data.slice(o, o + l), write: async (o, d) => { data.set(d, o); } };
  const { s, file } = memStore();
  let r = new RPMB(area, rpmbStateStore(file));
  const key = frame(1);
  KEY.copy(key, 196);
  await r.request([key], false); // key programming needs a reliable write
  assert.equal(result(Buffer.from((await r.response(1))[0])), 1);
  assert.equal(r.keyProgrammed, false);
  await r.request([key], true);
  assert.equal(result(Buffer.from((await r.response(1))[0])), 0);

  const write = sign([frame(3, { counter: 0, address: 5, data: Buffer.alloc(256, 0x77) })]);
  await r.request(write, true);
  const resp = Buffer.from((await r.response(1))[0]);
  assert.equal(result(resp), 0);
  assert.equal(resp.readUInt16BE(510), 0x0300);
  assert.equal(resp.readUInt32BE(500), 1);
  const mac = crypto.createHmac('sha256', KEY).update(resp.subarray(228)).digest();
  assert.ok(mac.equals(resp.subarray(196, 228)), 'the response is authenticated');
  assert.ok(data.subarray(5 * 256, 6 * 256).every((b) => b === 0x77));

  const cases = [
    ['replay (counter 0 again)', write, 3],
    ['forged MAC', sign([frame(3, { counter: 1, address: 6, data: Buffer.alloc(256, 1) })], Buffer.alloc(32, 9)), 2],
    ['address past the partition', sign([frame(3, { counter: 1, address: RPMB_SIZE / 256, data: Buffer.alloc(256, 1) })]), 4],
    ['block count not the frames sent', sign([frame(3, { counter: 1, address: 6, count: 2, data: Buffer.alloc(256, 1) })]), 1],
    ['unknown request type', [frame(0x77)], 1],
  ];
  for (const [what, frames, code] of cases) {
    await r.request(frames.map((f) => Buffer.from(f)), true);
    assert.equal(result(Buffer.from((await r.response(1))[0])), code, what);
  }
  assert.equal(r.counter, 1, 'no refused frame moved the counter');
  assert.ok(data.subarray(6 * 256).every((b) => b === 0), 'no refused frame wrote data');

  // Power cycle: the same store, a new part object.
  const persisted = Uint8Array.from(s.bytes);
  r = new RPMB(area, rpmbStateStore(file));
  assert.equal(r.keyProgrammed, true);
  assert.equal(r.counter, 1);
  await r.request(write.map((f) => Buffer.from(f)), true);
  assert.equal(result(Buffer.from((await r.response(1))[0])), 3, 'replayed after the restart: counter failure');
  await r.request([Buffer.from(key)], true);
  assert.equal(result(Buffer.from((await r.response(1))[0])), 5, 'the key is programmed once');
  assert.deepEqual(s.bytes, persisted);

  // A damaged state file is refused, not taken as "no key".
  s.bytes = Uint8Array.from(Buffer.from('garbage'));
  assert.throws(() => new RPMB(area, rpmbStateStore(file)), /not an RPMB state file/);
});

function r1(res) {
  assert.equal(res.kind, 'ok');
  return Buffer.from(res.bytes).readUInt32BE(0);
}

test('eMMC: commands out of order, bad switches, addresses outside the partition', async () => {
  const blk = memBlk(2 * 128 * 1024 + 1024 * 1024);
  const e = new EMMC(blk, { bootPartitionSize: 128 * 1024, rpmbPartitionSize: 0 });
  assert.equal(e.doCommand(17, 0).kind, 'illegal'); // read before bring-up
  assert.equal(e.doCommand(2, 0).kind, 'illegal'); // CID before OCR
  assert.equal(e.doCommand(55, 0).kind, 'illegal'); // SD's APP_CMD: an eMMC stays silent
  assert.equal(e.doCommand(1, 0).kind, 'ok');
  assert.equal(e.doCommand(2, 0).kind, 'ok');
  r1(e.doCommand(3, 0x10000));
  assert.equal(e.doCommand(7, 0x20000).kind, 'none'); // another card's RCA
  r1(e.doCommand(7, 0x10000));
  assert.equal(e.doCommand(2, 0).kind, 'illegal'); // CID in TRAN
  assert.ok(r1(e.doCommand(13, 0x10000)) & (1 << 22), 'ILLEGAL_COMMAND reported once');
  assert.equal(r1(e.doCommand(13, 0x10000)) & (1 << 22), 0);
  r1(e.doCommand(6, (3 << 24) | (179 << 16) | (3 << 8))); // select RPMB: absent
  assert.ok(r1(e.doCommand(13, 0x10000)) & (1 << 7), 'SWITCH_ERROR');
  assert.equal(e.partition, 0);
  r1(e.doCommand(6, (3 << 24) | (192 << 16) | (9 << 8))); // EXT_CSD_REV is read-only
  assert.ok(r1(e.doCommand(13, 0x10000)) & (1 << 7));
  r1(e.doCommand(17, 1024 * 1024)); // one past the user area
  assert.ok(r1(e.doCommand(13, 0x10000)) & (1 << 31), 'OUT_OF_RANGE');
  assert.equal(e.dataReady(), false);
  r1(e.doCommand(6, (3 << 24) | (179 << 16) | (1 << 8))); // boot0
  r1(e.doCommand(18, 128 * 1024 - 512)); // last block of boot0, open-ended
  assert.ok(await e.readBlock(512));
  assert.equal(await e.readBlock(512), null, 'reading past boot0 ends the transfer');
  assert.ok(r1(e.doCommand(13, 0x10000)) & (1 << 31));
  assert.equal(await e.writeBlock(new Uint8Array(512)), false, 'no transfer open');
  assert.ok(blk.mem.subarray(128 * 1024).every((b) => b === 0), 'boot1 and user untouched');
  assert.throws(() => new EMMC(memBlk(3 * 1024 * 1024), { bootPartitionSize: 1000, rpmbPartitionSize: 0 }), /multiple of 128 KiB/);
  assert.throws(() => new EMMC(memBlk(3 * 1024 * 1024), { bootPartitionSize: 0, rpmbPartitionSize: 0 }), /power of 2/);
});

const RAM = 0x80000000, RAM_SIZE = 1 << 20;

function controller() {
  const layout = allocateGuestMemory(4096, 4096, RAM_SIZE);
  const as = new AddressSpace(layout.memory);
  as.addRam('ram', RAM, RAM_SIZE, layout.ramHostOffset);
  const ram = new Uint8Array(layout.memory.buffer, layout.ramHostOffset, RAM_SIZE);
  const blk = memBlk(1024 * 1024);
  blk.mem.fill(0xab);
  const bus = new SDBus('sd-bus');
  bus.attach(new EMMC(blk, { bootPartitionSize: 0, rpmbPartitionSize: 0 }));
  let irq = false;
  const s = new SDHCIState('sdhci', as, bus, (l) => { irq = l; }, { specVersion: 2, capareg: SDHC_CAPAB_REG_DEFAULT, canDma: () => true });
  s.write(0x34, 4, 0xffffffff); // all status enabled
  s.write(0x38, 4, 0xffffffff); // and signalled
  const cmd = (index, arg, flags = 0x1a, trnmod = 0) => { s.write(0x08, 4, arg); s.write(0x0c, 4, ((index << 8 | flags) << 16) | trnmod); };
  cmd(0, 0, 0); cmd(1, 0, 0x02); cmd(2, 0, 0x09); cmd(3, 0x10000); cmd(7, 0x10000, 0x1b);
  s.write(0x30, 4, 0xffffffff);
  return { s, ram, blk, cmd, irq: () => irq };
}
const settle = () => new Promise((r) => setTimeout(r, 20));

test('SDHCI ADMA2: descriptors outside RAM, buffers past its end, link loops: ADMA error, nothing written', async () => {
  const { s, ram, cmd, irq } = controller();
  const desc = (at, attr, len, addr) => { const v = new DataView(ram.buffer, ram.byteOffset + at); v.setUint16(0, attr, true); v.setUint16(2, len, true); v.setUint32(4, addr, true); };
  s.write(0x28, 1, 2 << 3); // ADMA2 32-bit
  s.write(0x04, 4, (1 << 16) | 512);
  const read = async (table) => {
    s.write(0x30, 4, 0xffffffff);
    s.write(0x58, 4, table);
    cmd(17, 0, 0x3a, 0x11); // data, DMA, read
    await settle();
    return { nis: s.read(0x30, 2), eis: s.read(0x32, 2), state: s.read(0x54, 1) };
  };
  // The table itself outside RAM.
  let r = await read(0x1000);
  assert.ok(r.eis & 0x200 && r.nis & 0x8000 && irq(), 'ADMA error raised');
  assert.equal(r.state & 3, 1, 'ST_FDS');
  const recover = () => { s.write(0x2f, 1, 4); cmd(12, 0, 0x1b); }; // reset DAT and stop, as a driver does
  recover();
  // A transfer descriptor whose buffer runs past the end of RAM.
  desc(0x100, 0x23, 512, RAM + RAM_SIZE - 256);
  r = await read(RAM + 0x100);
  assert.ok(r.eis & 0x200);
  assert.equal(r.state & 3, 3, 'ST_TFR');
  assert.ok(ram.subarray(RAM_SIZE - 256).every((b) => b === 0), 'nothing written at the end of RAM');
  recover();
  // A link to itself.
  desc(0x200, 0x31, 0, RAM + 0x200);
  r = await read(RAM + 0x200);
  assert.ok(r.eis & 0x200, 'a descriptor loop ends in an ADMA error');
  recover();
  // A good table still works afterwards.
  desc(0x300, 0x23, 512, RAM + 0x4000);
  r = await read(RAM + 0x300);
  assert.equal(r.eis, 0);
  assert.ok(r.nis & 2, 'transfer complete');
  assert.ok(ram.subarray(0x4000, 0x4200).every((b) => b === 0xab));
  // PIO with a block size the card does not take: data timeout, the port never offers data.
  s.write(0x30, 4, 0xffffffff);
  s.write(0x04, 4, (1 << 16) | 1024);
  cmd(17, 0, 0x3a, 0x10); // data, PIO, read
  await settle();
  assert.equal(s.read(0x32, 2) & 0x10, 0x10, 'data timeout');
  assert.equal(s.read(0x24, 4) & 0x802, 0, 'no data available, data lines free');
  assert.equal(s.read(0x20, 4), 0, 'the data port with nothing to read');
});

test('SDHCI: a command the card refuses is a command timeout; a card-less bus too', async () => {
  const { s, cmd } = controller();
  cmd(8, 0x1aa, 0x1a); // SD's SEND_IF_COND with data: the eMMC in TRAN takes CMD8 as SEND_EXT_CSD
  s.write(0x30, 4, 0xffffffff);
  s.write(0x2f, 1, 4);
  cmd(41, 0, 0x02);
  assert.equal(s.read(0x32, 2) & 1, 1, 'CMDTIMEOUT');
  const empty = new SDHCIState('sdhci', null, new SDBus('sd-bus'), () => {}, { specVersion: 2, capareg: SDHC_CAPAB_REG_DEFAULT, canDma: () => true });
  empty.write(0x34, 4, 0xffffffff);
  empty.write(0x08, 4, 0); empty.write(0x0c, 4, ((0 << 8) << 16));
  assert.equal(empty.read(0x32, 2) & 1, 1);
  assert.equal(empty.read(0x24, 4) & 0x10000, 0, 'no card inserted');
  await settle();
});
