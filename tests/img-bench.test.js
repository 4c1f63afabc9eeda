// tsqemu-img bench against real qemu-img bench (output lines, option errors, data written), the
// two AIO engines of the file protocol, and injected I/O errors (x-inject-errno) reaching the
// caller on both engines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDrive } from '../dist/host/node/block.js';
import { loadIoUring, mainIoUring } from '../dist/host/node/io_uring.js';
import { fs, haveQemuImg, ours, path, real, tmpdir } from './img-helpers.js';

const skip = !haveQemuImg() ? 'qemu-img not installed' : false;
const uringSkip = loadIoUring().addon ? false : loadIoUring().reason;
const strip = (s) => s.replace(/Run completed in [\d.]+ seconds\./, 'Run completed in X seconds.');

test('bench: same output and data as qemu-img bench, both engines, raw and qcow2', { skip }, () => {
  const dir = tmpdir('bench');
  for (const fmt of ['raw', 'qcow2']) {
    const a = path.join(dir, `a.${fmt}`), b = path.join(dir, `b.${fmt}`);
    assert.equal(real(['create', '-f', fmt, a, '4M']).status, 0);
    assert.equal(real(['create', '-f', fmt, b, '4M']).status, 0);
    for (const aio of ['threads', 'io_uring']) {
      const args = ['bench', '-c', '300', '-d', '8', '-s', '8k', '-S', '12k', '-o', '64k', '-w', '--pattern=171', '--flush-interval=50', '-i', aio, '-f', fmt];
      const r = real([...args, a]), o = ours([...args, b]);
      assert.equal(o.status, 0, o.stderr);
      assert.equal(strip(o.stdout), strip(r.stdout));
      assert.match(o.stdout, /^Run completed in \d+\.\d{3} seconds\.$/m);
      assert.equal(real(['compare', '-f', fmt, '-F', fmt, a, b]).status, 0, `${fmt} ${aio}: images differ`);
      const rd = ours(['bench', '-c', '100', '-d', '4', '--no-drain', '-i', aio, '-f', fmt, b]);
      assert.equal(strip(rd.stdout), strip(real(['bench', '-c', '100', '-d', '4', '--no-drain', '-i', aio, '-f', fmt, a]).stdout));
    }
    if (fmt === 'qcow2') assert.equal(real(['check', b]).status, 0);
  }
});

test('bench: option errors as qemu-img', { skip }, () => {
  const dir = tmpdir('bench');
  const a = path.join(dir, 'a.raw');
  fs.writeFileSync(a, Buffer.alloc(1 << 20));
  for (const bad of [['-c', '-1'], ['-d', 'x'], ['-i', 'foo'], ['--pattern=300'], ['-t', 'bogus'], ['--flush-interval=5'], ['-i', 'native']]) {
    const r = real(['bench', ...bad, '-f', 'raw', a]), o = ours(['bench', ...bad, '-f', 'raw', a]);
    assert.notEqual(o.status, 0);
    assert.equal(o.stderr.replace(/^tsqemu-img/gm, 'qemu-img'), r.stderr, bad.join(' '));
  }
});

for (const aio of ['threads', 'io_uring']) {
  test(`aio=${aio}: injected EIO and ENOSPC reach the caller; the rest of the disk still works`, { skip: aio === 'io_uring' ? uringSkip : false }, async () => {
    const dir = tmpdir('inject');
    const img = path.join(dir, 'd.raw');
    fs.writeFileSync(img, Buffer.alloc(1 << 20, 5));
    for (const [errno, op] of [['EIO', 'read'], ['ENOSPC', 'write']]) {
      const blk = await openDrive(new Map([['file.driver', 'file'], ['file.filename', img], ['driver', 'raw'], ['aio', aio],
        ['file.x-inject-errno', errno], ['file.x-inject-offset', '524288'], ['file.x-inject-op', op]]));
      let f = blk.root; while (f.file) f = f.file;
      assert.equal(f.aioEngine, aio);
      const buf = new Uint8Array(4096);
      await blk.pread(0, buf);
      assert.equal(buf[100], 5);
      await blk.pwrite(4096, buf);
      const bad = op === 'read' ? blk.pread(524288, buf) : blk.pwrite(600000, buf);
      await assert.rejects(bad, (e) => e.code === errno);
      await blk.close();
    }
  });
}

test('io_uring engine: one io_uring_enter for a batch of block requests; fdatasync, discard, write-zeroes', { skip: uringSkip }, async () => {
  const dir = tmpdir('uring');
  const img = path.join(dir, 'd.raw');
  fs.writeFileSync(img, Buffer.alloc(1 << 20, 7));
  const blk = await openDrive(new Map([['file', img], ['format', 'raw'], ['aio', 'io_uring'], ['discard', 'unmap']]));
  const ring = mainIoUring();
  const before = ring.enterCount;
  const bufs = Array.from({ length: 32 }, () => new Uint8Array(4096));
  await Promise.all(bufs.map((b, i) => blk.pread(i * 8192, b)));
  assert.equal(ring.enterCount - before, 1, '32 reads, one submission');
  assert.ok(bufs.every((b) => b[0] === 7 && b[4095] === 7));
  await blk.pwriteZeroes(65536, 65536, false);
  await blk.pdiscard(262144, 65536);
  await blk.flush();
  await blk.close();
  const data = fs.readFileSync(img);
  assert.equal(data.length, 1 << 20);
  assert.equal(data[65536 + 100], 0);
  assert.equal(data[262144 + 100], 0);
  assert.equal(data[65535], 7);
  assert.equal(data[131072], 7);
});
