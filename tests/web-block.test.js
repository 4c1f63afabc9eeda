// The browser's block protocols, run on Node (fetch, Blob and streams are the same API there):
// HTTP Range reads through the chunk cache and readahead, servers without ranges refused, a
// short answer an I/O error, snapshot=on overlays in memory over a URL, qcow2 from a URL, and
// the "download disk" export checked by the real qemu-img.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { rangeServer } from './web-helpers.js';
import { tmpdir } from './system-helpers.js';
import { openDrive } from '../dist/host/browser/block.js';
import { exportDrive } from '../dist/host/browser/export.js';
import { protocolStats } from '../dist/host/browser/block-protocols.js';

const files = {};
let srv, dir;
before(async () => {
  dir = tmpdir();
  files['a.img'] = crypto.randomBytes(5 * 1024 * 1024 + 1536);
  fs.writeFileSync(path.join(dir, 'b.raw'), Buffer.concat([crypto.randomBytes(300_000), Buffer.alloc(700_000), crypto.randomBytes(48_576)]));
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', '-c', path.join(dir, 'b.raw'), path.join(dir, 'b.qcow2')]);
  files['b.qcow2'] = fs.readFileSync(path.join(dir, 'b.qcow2'));
  srv = await rangeServer(files);
});
after(() => { srv?.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const warn = () => {};

test('raw over HTTP: reads at any offset equal the file, with partial fetches and a cache', async () => {
  const blk = await openDrive(new Map([['file', `${srv.url}a.img`], ['format', 'raw'], ['readonly', 'on'], ['id', 'd0']]), warn);
  assert.equal(blk.getLength(), files['a.img'].length);
  const r0 = protocolStats.httpRequests;
  for (const [off, len] of [[0, 512], [65_000, 4096], [3 * 1024 * 1024 - 7, 200_000], [files['a.img'].length - 1000, 1000]]) {
    const buf = new Uint8Array(len);
    await blk.pread(off, buf);
    assert.ok(Buffer.from(buf).equals(files['a.img'].subarray(off, off + len)), `at ${off}+${len}`);
  }
  const hits = protocolStats.cacheHits;
  await blk.pread(0, new Uint8Array(512));
  assert.equal(protocolStats.cacheHits, hits + 1, 'a cached chunk is not fetched again');
  // A sequential reader earns readahead: far fewer requests than 64 KiB chunks.
  const before = protocolStats.httpRequests;
  const buf = new Uint8Array(64 * 1024);
  for (let off = 1024 * 1024; off < 5 * 1024 * 1024; off += buf.length) await blk.pread(off, buf);
  assert.ok(protocolStats.httpRequests - before < 16, `${protocolStats.httpRequests - before} requests for 64 chunks`);
  assert.ok(protocolStats.httpRequests > r0);
  assert.deepEqual(srv.log.filter((e) => e.method === 'GET' && (e.status !== 206 || !e.range)), []);
  await assert.rejects(blk.pwrite(0, new Uint8Array(512)), /read-only|EROFS|Permission|write/i);
  await blk.close();
});

test('a server without byte ranges is refused; a missing file says so', async () => {
  const plain = http.createServer((req, res) => res.writeHead(200, { 'Content-Length': 4 }).end('abcd'));
  await new Promise((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${plain.address().port}/x.img`;
  await assert.rejects(openDrive(new Map([['file', url], ['format', 'raw'], ['id', 'p']]), warn), /does not support byte ranges \(HTTP 200\)/);
  plain.close();
  await assert.rejects(openDrive(new Map([['file', `${srv.url}nope.img`], ['format', 'raw'], ['id', 'n']]), warn), /No such file or directory/);
  await assert.rejects(openDrive(new Map([['file', '/etc/passwd'], ['format', 'raw'], ['id', 'f']]), warn), /in the browser a file is an http\(s\):\/\/ URL/);
});

test('qcow2 (compressed) from a URL with a snapshot=on overlay in memory; export gives the merged qcow2', async () => {
  const blk = await openDrive(new Map([['file', `${srv.url}b.qcow2`], ['snapshot', 'on'], ['id', 'q']]), warn);
  const raw = fs.readFileSync(path.join(dir, 'b.raw'));
  assert.equal(blk.getLength(), Math.ceil(raw.length / 512) * 512);
  const all = new Uint8Array(raw.length);
  await blk.pread(0, all);
  assert.ok(Buffer.from(all).equals(raw), 'probed qcow2 with compressed clusters reads as the raw file');
  const patch = crypto.randomBytes(8192);
  await blk.pwrite(400_000, patch);
  const back = new Uint8Array(8192);
  await blk.pread(400_000, back);
  assert.ok(Buffer.from(back).equals(patch));
  const posts = srv.log.filter((e) => e.method !== 'GET' && e.method !== 'OPTIONS');
  assert.deepEqual(posts, [], 'writes never reach the server');

  const q = path.join(dir, 'export.qcow2');
  fs.writeFileSync(q, await exportDrive(blk));
  execFileSync('qemu-img', ['check', q]);
  const expect = Buffer.from(raw);
  patch.copy(expect, 400_000);
  fs.writeFileSync(path.join(dir, 'expect.raw'), expect);
  execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', path.join(dir, 'expect.raw'), q]);
  await blk.close();
});
