// The io_uring engine against the real kernel: batched submission, fixed buffers (zero copy into
// a WebAssembly.Memory), fsync/fallocate, completions on the JS loop.
import test from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, writeFileSync, readFileSync, mkdtempSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadIoUring, IoUringContext } from '../dist/host/node/io_uring.js';

const { addon, reason } = loadIoUring();
const dir = mkdtempSync(join(tmpdir(), 'tsqemu-uring-'));

test('io_uring: reads and writes, many per io_uring_enter', { skip: addon ? false : reason }, async () => {
  const path = join(dir, 'a.img');
  const data = randomBytes(1 << 20);
  writeFileSync(path, data);
  const fd = openSync(path, 'r+');
  const ctx = new IoUringContext(addon, 64);
  const bufs = Array.from({ length: 256 }, () => new Uint8Array(4096));
  const res = await Promise.all(bufs.map((b, i) => ctx.submit({ op: 1, fd, buf: b, fileOffset: i * 4096 })));
  assert.ok(res.every((r) => r === 4096));
  bufs.forEach((b, i) => assert.deepEqual(Buffer.from(b), data.subarray(i * 4096, (i + 1) * 4096)));
  assert.equal(ctx.enterCount, 1, 'one batch, one submit call');
  const w = new Uint8Array(4096).fill(0xab);
  assert.equal(await ctx.submit({ op: 2, fd, buf: w, fileOffset: 8192 }), 4096);
  assert.equal(await ctx.submit({ op: 6, fd }), 0);
  ctx.close();
  closeSync(fd);
  assert.equal(readFileSync(path)[8192 + 17], 0xab);
});

test('io_uring: fixed buffers in a WebAssembly.Memory (guest RAM)', { skip: addon ? false : reason }, async () => {
  const path = join(dir, 'b.img');
  const data = randomBytes(65536);
  writeFileSync(path, data);
  const fd = openSync(path, 'r+');
  const mem = new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true });
  const ram = new Uint8Array(mem.buffer);
  const ctx = new IoUringContext(addon);
  ctx.registerBuffers([ram]);
  assert.equal(await ctx.submit({ op: 1, fd, buf: ram.subarray(4096, 4096 + 65536), fileOffset: 0 }), 65536);
  assert.deepEqual(Buffer.from(ram.subarray(4096, 4096 + 65536)), data);
  ram.fill(7, 100000, 100000 + 512);
  assert.equal(await ctx.submit({ op: 2, fd, buf: ram.subarray(100000, 100512), fileOffset: 512 }), 512);
  ctx.close();
  closeSync(fd);
  assert.equal(readFileSync(path)[600], 7);
});

test('io_uring: errors come back as -errno; fallocate punches holes', { skip: addon ? false : reason }, async () => {
  const path = join(dir, 'c.img');
  writeFileSync(path, Buffer.alloc(1 << 20, 1));
  const fd = openSync(path, 'r');
  const ctx = new IoUringContext(addon);
  assert.equal(await ctx.submit({ op: 2, fd, buf: new Uint8Array(512), fileOffset: 0 }), -9, 'write to O_RDONLY fd is EBADF');
  closeSync(fd);
  const fd2 = openSync(path, 'r+');
  assert.equal(await ctx.submit({ op: 7, fd: fd2, fileOffset: 0, length: 1 << 20, flags: 0x01 | 0x02 }), 0);
  assert.equal(fstatSync(fd2).size, 1 << 20);
  assert.equal(readFileSync(path)[12345], 0);
  ctx.close();
  closeSync(fd2);
  await assert.rejects(ctx.submit({ op: 0, fd: 0 }), /closed/);
});

// The addon makes the io_uring system calls itself (native/uring_raw.h): CI, which has a C
// compiler but no liburing, must build it, and it must not link liburing.
test('io_uring: the addon is built on a plain Linux + compiler and needs no liburing', { skip: process.env.CI ? false : 'CI only (a developer machine may lack a compiler)' }, async () => {
  assert.ok(addon, `io_uring addon missing: ${reason}`);
  const { execFileSync } = await import('node:child_process');
  const so = new URL('../native/build/Release/tsqemu_uring.node', import.meta.url).pathname;
  assert.doesNotMatch(execFileSync('ldd', [so], { encoding: 'utf8' }), /liburing/);
});
