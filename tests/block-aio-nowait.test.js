// aio=threads: a buffered read whose data is all in the page cache is copied on the JS thread
// (preadv2 RWF_NOWAIT in the io_uring addon) instead of a round trip through libuv's thread pool;
// a read the page cache cannot serve (pages dropped by an O_DIRECT write of real dd) goes on
// through the pool. Same bytes either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomFillSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { openDrive } from '../dist/host/node/block.js';
import { aioNowaitStats } from '../dist/host/node/file-posix.js';
import { loadPreadNowait } from '../dist/host/node/io_uring.js';
import { tmpdir } from './system-helpers.js';

const skip = loadPreadNowait() ? false : 'the io_uring addon (preadNowait) is not built';

test('aio=threads reads cached data on the JS thread, the rest through the pool, same bytes', { skip }, async (t) => {
  const dir = tmpdir();
  try {
    const file = path.join(dir, 'disk.raw');
    const data = randomFillSync(Buffer.alloc(65536 + 1000));
    fs.writeFileSync(file, data); // just written: in the page cache
    const blk = await openDrive(new Map(Object.entries({ 'file.driver': 'file', 'file.filename': file, format: 'raw', aio: 'threads' })));
    try {
      const h0 = aioNowaitStats.hits, p0 = aioNowaitStats.toPool;
      const reads = [0, 4096, 12288, 40960, 61440].map(async (off) => {
        const buf = new Uint8Array(4096);
        await blk.pread(off, buf);
        assert.deepEqual(Buffer.from(buf), data.subarray(off, off + 4096), `bytes at ${off}`);
      });
      await Promise.all(reads);
      assert.equal(aioNowaitStats.hits - h0, 5, 'every cached read served at once');
      assert.equal(aioNowaitStats.toPool - p0, 0);
      // Rewrite blocks 4..7 with O_DIRECT (the same bytes): the kernel drops their cached pages,
      // so RWF_NOWAIT answers EAGAIN and the pool reads them from the disk.
      const src = path.join(dir, 'src');
      fs.writeFileSync(src, data.subarray(16384, 32768));
      const dd = spawnSync('dd', [`if=${src}`, `of=${file}`, 'bs=4096', 'seek=4', 'count=4', 'oflag=direct', 'conv=notrunc'], { encoding: 'utf8' });
      if (dd.status !== 0) { t.diagnostic(`no O_DIRECT here (${dd.stderr.trim()}): the pool path is not exercised`); return; }
      const buf = new Uint8Array(8192);
      await blk.pread(20480, buf);
      assert.deepEqual(Buffer.from(buf), data.subarray(20480, 28672));
      assert.ok(aioNowaitStats.toPool - p0 >= 1, 'an uncached read went to the pool');
    } finally {
      await blk.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
