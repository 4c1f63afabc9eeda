// The file protocol's descriptor wrapper (src/host/node/fd-handle.ts, issue 18: node:fs's
// callback API instead of fs.promises' FileHandle, which costs every start-up its module
// loading). Checked against what FileHandle does: data read and written at positions, stat,
// truncate, and close waiting for the requests in flight (the descriptor is not closed under them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { FdHandle } = await import(path.join(root, 'dist/host/node/fd-handle.js'));

test('FdHandle reads, writes, stats, truncates like FileHandle; close waits for requests in flight', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-fdh-'));
  try {
    const f = path.join(dir, 'a');
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
    fs.writeFileSync(f, data);
    const h = await FdHandle.open(f, fs.constants.O_RDWR, 0o644);
    assert.equal(typeof h.fd, 'number');
    assert.equal((await h.stat()).size, data.length);
    const buf = new Uint8Array(4096);
    assert.equal((await h.read(buf, 0, 4096, 8192)).bytesRead, 4096);
    assert.deepEqual(Buffer.from(buf), data.subarray(8192, 8192 + 4096));
    assert.equal((await h.read(buf, 0, 4096, data.length - 100)).bytesRead, 100, 'short read at EOF');
    assert.equal((await h.write(new Uint8Array([1, 2, 3]), 1, 2, 10)).bytesWritten, 2);
    await h.datasync();
    await h.truncate(4096);
    assert.equal((await h.stat()).size, 4096);
    // Many reads queued on the thread pool, then close: every read completes with its data.
    const bufs = Array.from({ length: 32 }, () => new Uint8Array(128));
    const reads = bufs.map((b, i) => h.read(b, 0, 128, i * 128));
    const closed = h.close();
    const done = await Promise.all(reads);
    await closed;
    assert.ok(done.every((r) => r.bytesRead === 128));
    const want = fs.readFileSync(f);
    bufs.forEach((b, i) => assert.deepEqual(Buffer.from(b), want.subarray(i * 128, (i + 1) * 128)));
    assert.deepEqual([...want.subarray(10, 13)], [2, 3, data[12]]);
    await assert.rejects(h.read(buf, 0, 10, 0), { code: 'EBADF' });
    await h.close(); // twice: the same close
    await assert.rejects(FdHandle.open(path.join(dir, 'none'), fs.constants.O_RDONLY, 0), { code: 'ENOENT' });
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
