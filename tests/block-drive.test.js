// openDrive / blockdevAdd: the -drive and -blockdev keys virtio-blk uses, checked against
// real qemu-img where the result is an image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDrive, blockdevAdd, blockBackendForNode } from '../dist/host/node/block.js';
import { BlockIOError } from '../dist/block/block-backend.js';
import { fs, haveQemuImg, path, real, tmpdir } from './img-helpers.js';

const skip = !haveQemuImg() ? 'qemu-img not installed' : false;
const drive = (o, warn) => openDrive(new Map(Object.entries(o)), warn);
const pattern = (n, v) => new Uint8Array(n).map((_, i) => (i * 31 + v) & 0xff);

function mapOf(img) {
  return JSON.parse(real(['map', '--output=json', img]).stdout);
}

test('raw probing warns like QEMU and guards block 0', { skip }, async () => {
  const dir = tmpdir('drive');
  const img = path.join(dir, 'r.img');
  fs.writeFileSync(img, Buffer.alloc(1 << 20));
  const warnings = [];
  const blk = await drive({ file: img, if: 'virtio' }, (m) => warnings.push(m));
  assert.match(warnings[0], /^Image format was not specified for '.*r\.img' and probing guessed raw\./);
  const qcowMagic = new Uint8Array(512);
  qcowMagic.set([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]);
  await assert.rejects(blk.pwrite(0, qcowMagic), (e) => e instanceof BlockIOError && e.code === 'EPERM');
  await blk.pwrite(512, pattern(4096, 1));
  await blk.close();
  const blk2 = await drive({ file: img, format: 'raw' }, (m) => warnings.push(m));
  assert.equal(warnings.length, 1, 'no warning with format=raw');
  await blk2.pwrite(0, qcowMagic); // allowed when the format is explicit
  await blk2.close();
});

/** A directory whose file system takes O_DIRECT (tmpfs does not; the checkout's disk does). */
function directDir() {
  const dir = tmpdir('drive');
  try {
    const fd = fs.openSync(path.join(dir, 'probe'), fs.constants.O_CREAT | fs.constants.O_RDWR | fs.constants.O_DIRECT);
    fs.closeSync(fd);
    return dir;
  } catch {
    return fs.mkdtempSync(path.join(new URL('.', import.meta.url).pathname, '.odirect-'));
  }
}

test('cache modes (O_DIRECT bounce buffers), aio engines, read-only, bounds', { skip }, async (t) => {
  const dir = directDir();
  t.after(() => { if (dir.includes('.odirect-')) fs.rmSync(dir, { recursive: true, force: true }); });
  const img = path.join(dir, 'c.qcow2');
  assert.equal(real(['create', '-q', '-f', 'qcow2', img, '4M']).status, 0);
  const data = pattern(70000, 5);
  for (const [cache, aio] of [['writeback', 'threads'], ['none', 'native'], ['directsync', 'io_uring'], ['writethrough', 'threads'], ['unsafe', 'threads']]) {
    const blk = await drive({ file: img, format: 'qcow2', cache, aio });
    const off = 1000 + cache.length * 4099;
    await blk.pwrite(off, data);
    const back = new Uint8Array(data.length);
    await blk.pread(off, back);
    assert.deepEqual(back, data, `cache=${cache}`);
    await blk.close();
    assert.equal(real(['check', img]).status, 0, `real check after cache=${cache}`);
  }
  await assert.rejects(drive({ file: img, format: 'qcow2', aio: 'native' }), /aio=native was specified, but it requires cache.direct=on/);
  const ro = await drive({ file: img, format: 'qcow2', readonly: 'on' });
  assert.equal(ro.readOnly, true);
  await assert.rejects(ro.pwrite(0, data), (e) => e instanceof BlockIOError);
  await assert.rejects(ro.pread(4 * 1024 * 1024 - 10, new Uint8Array(20)), (e) => e instanceof BlockIOError && e.code === 'EIO');
  await ro.close();
});

test('discard and detect-zeroes reach the qcow2 allocation', { skip }, async () => {
  const dir = tmpdir('drive');
  const img = path.join(dir, 'z.qcow2');
  assert.equal(real(['create', '-q', '-f', 'qcow2', img, '4M']).status, 0);
  let blk = await drive({ file: img, format: 'qcow2', discard: 'unmap', 'detect-zeroes': 'unmap' });
  await blk.pwrite(0, pattern(1 << 20, 9));
  await blk.pwrite(0, new Uint8Array(65536)); // detected zeroes, unmapped
  await blk.pdiscard(65536, 65536);
  await blk.close();
  assert.equal(real(['check', img]).status, 0);
  let m = mapOf(img);
  assert.equal(m[0].data, false, 'first cluster no longer holds data');
  assert.equal(m[0].length, 131072);
  assert.equal(m[1].data, true);
  blk = await drive({ file: img, format: 'qcow2', discard: 'ignore' });
  await blk.pdiscard(131072, 65536);
  await blk.close();
  m = mapOf(img);
  assert.equal(m[1].start, 131072);
  assert.equal(m[1].data, true, 'discard=ignore keeps data');
  // -drive takes detect-zeroes=unmap without discard=unmap (QEMU's blockdev_init sets it after
  // the open, unchecked; -blockdev refuses it, tests/cli-qa-compare.test.js): zeroes, no unmap.
  blk = await drive({ file: img, format: 'qcow2', 'detect-zeroes': 'unmap' });
  await blk.pwrite(131072, new Uint8Array(65536));
  const back = new Uint8Array(65536).fill(1);
  await blk.pread(131072, back);
  assert.ok(back.every((b) => b === 0));
  await blk.close();
  assert.equal(real(['check', img]).status, 0);
});

test('snapshot=on writes to a temporary overlay', { skip }, async () => {
  const dir = tmpdir('drive');
  const img = path.join(dir, 's.qcow2');
  assert.equal(real(['create', '-q', '-f', 'qcow2', img, '1M']).status, 0);
  const before = fs.readFileSync(img);
  const blk = await drive({ file: img, format: 'qcow2', snapshot: 'on' });
  await blk.pwrite(4096, pattern(8192, 3));
  const back = new Uint8Array(8192);
  await blk.pread(4096, back);
  assert.deepEqual(back, pattern(8192, 3));
  await blk.close();
  assert.ok(fs.readFileSync(img).equals(before), 'the image itself is untouched');
});

test('-blockdev node graph: file node, format node, backing chain', { skip }, async () => {
  const dir = tmpdir('drive');
  const base = path.join(dir, 'base.qcow2'), top = path.join(dir, 'top.qcow2');
  assert.equal(real(['create', '-q', '-f', 'qcow2', base, '1M']).status, 0);
  const b = await drive({ file: base, format: 'qcow2' });
  await b.pwrite(0, pattern(65536, 7));
  await b.close();
  assert.equal(real(['create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', top]).status, 0);
  await blockdevAdd(new Map([['driver', 'file'], ['node-name', 'f0'], ['filename', top]]));
  await blockdevAdd(new Map([['driver', 'qcow2'], ['node-name', 'q0'], ['file', 'f0']]));
  const blk = blockBackendForNode('q0');
  const back = new Uint8Array(65536);
  await blk.pread(0, back);
  assert.deepEqual(back, pattern(65536, 7), 'reads through the backing chain');
  await blk.pwrite(100, pattern(10, 1));
  await blk.close();
  // The named nodes stay open (and locked, as QEMU's until blockdev-del): read with -U.
  assert.equal(real(['check', '-U', top]).status, 0);
  assert.equal(JSON.parse(real(['map', '-U', '--output=json', top]).stdout)[0].depth, 0);
});

test('concurrent requests with a tiny L2 cache keep every write', { skip }, async () => {
  const dir = tmpdir('drive');
  const img = path.join(dir, 'cc.qcow2'), ref = path.join(dir, 'cc.raw');
  const size = 8 << 20;
  assert.equal(real(['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', img, String(size)]).status, 0);
  const blk = await drive({ file: img, format: 'qcow2', 'l2-cache-size': '1024' });
  const mirror = Buffer.alloc(size);
  let x = 777;
  for (let round = 0; round < 6; round++) {
    const used = new Set();
    const reqs = [];
    for (let i = 0; i < 48; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const blkno = x % (size / 4096);
      if (used.has(blkno)) continue;
      used.add(blkno);
      const data = pattern(4096 - (x % 3) * 512, round * 48 + i);
      data.forEach((v, j) => { mirror[blkno * 4096 + j] = v; });
      reqs.push(blk.pwrite(blkno * 4096, data));
      reqs.push(blk.pread((blkno ^ 1) * 4096, new Uint8Array(4096)));
    }
    await Promise.all(reqs);
  }
  await blk.close();
  fs.writeFileSync(ref, mirror);
  assert.equal(real(['check', img]).status, 0, real(['check', img]).stderr);
  const cmp = real(['compare', '-f', 'qcow2', '-F', 'raw', img, ref]);
  assert.equal(cmp.status, 0, cmp.stdout);
});
