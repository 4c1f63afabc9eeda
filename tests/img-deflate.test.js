// Compressed qcow2 clusters are deflated and inflated with one zlib stream each, reset between clusters
// (src/host/node/zlib-raw.ts, on the zlib binding node:zlib itself drives): the bytes must be
// deflateRawSync's, for compressible, incompressible (output longer than input) and zero data
// and every cluster size, and `convert -c` must write the very file qemu-img writes, also where
// the binding is not used (--pending-deprecation: process.binding would warn).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import { haveQemuImg, real, run, TSQEMU_IMG, tmpdir, prng, randomBytes, fs, path } from './img-helpers.js';
import { deflateRawCluster, inflateRawCluster } from '../dist/host/node/zlib-raw.js';

test('deflateRawCluster gives deflateRawSync bytes', () => {
  const rand = prng(5);
  for (const size of [512, 4096, 65536, 2 << 20]) {
    const text = Buffer.alloc(size, 'tsqemu qcow2 cluster ');
    const noise = randomBytes(rand, size);
    const mixed = Buffer.concat([noise.subarray(0, size >> 1), Buffer.alloc(size >> 2), text.subarray(0, size - (size >> 1) - (size >> 2))]);
    for (const data of [text, noise, mixed, Buffer.alloc(size)]) {
      for (let rep = 0; rep < 2; rep++) { // the reused stream gives the same bytes again
        const got = deflateRawCluster(data, 12);
        assert.ok(Buffer.from(got).equals(deflateRawSync(data, { windowBits: 12 })), `size ${size}`);
      }
    }
  }
});

test('inflateRawCluster reads what inflateRawSync reads, and fails where it fails', () => {
  const rand = prng(3);
  const sync = (d, outLen) => inflateRawSync(d, { windowBits: 15, finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: outLen * 2 });
  for (const size of [512, 65536, 2 << 20]) {
    for (const data of [Buffer.alloc(size, 'tsqemu '), randomBytes(rand, size), Buffer.alloc(size)]) {
      // As in an image: the stream, then the rest of its last sector (garbage here).
      const packed = Buffer.concat([deflateRawSync(data, { windowBits: 12 }), randomBytes(rand, 300)]);
      for (let rep = 0; rep < 2; rep++) {
        assert.ok(Buffer.from(inflateRawCluster(packed, size)).equals(sync(packed, size)), `size ${size}`);
        assert.ok(Buffer.from(inflateRawCluster(packed, size)).equals(data));
      }
      // Truncated: the bytes there are (the caller reports the short cluster).
      const cut = packed.subarray(0, packed.length >> 1);
      assert.ok(Buffer.from(inflateRawCluster(cut, size)).equals(sync(cut, size)));
    }
  }
  // More than twice the cluster: refused as inflateRawSync refuses it.
  const big = deflateRawSync(Buffer.alloc(8192, 1));
  assert.throws(() => sync(big, 1024));
  assert.throws(() => inflateRawCluster(big, 1024));
  // Not a deflate stream: the same error, and the next good cluster still reads.
  const bad = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x11]);
  assert.throws(() => sync(bad, 512), (e) => { assert.throws(() => inflateRawCluster(bad, 512), { message: e.message }); return true; });
  const good = deflateRawSync(Buffer.alloc(512, 'x'));
  assert.ok(Buffer.from(inflateRawCluster(good, 512)).equals(Buffer.alloc(512, 'x')));
});

const skip = !haveQemuImg() ? 'qemu-img not installed' : false;

test('convert -c writes qemu-img\'s bytes, with and without the zlib binding', { skip }, () => {
  const dir = tmpdir('deflate');
  try {
    const src = path.join(dir, 'src.raw');
    const rand = prng(9);
    const parts = [];
    for (let m = 0; m < 6; m++) {
      parts.push(randomBytes(rand, 256 << 10), Buffer.alloc(256 << 10), Buffer.alloc(512 << 10, `tsqemu ${m} `));
    }
    fs.writeFileSync(src, Buffer.concat([...parts, Buffer.alloc(1000, 7)])); // a partial last cluster
    const want = path.join(dir, 'want.qcow2');
    assert.equal(real(['convert', '-c', '-f', 'raw', '-O', 'qcow2', src, want]).status, 0);
    for (const env of [{}, { NODE_OPTIONS: '--pending-deprecation' }]) {
      const out = path.join(dir, 'out.qcow2');
      fs.rmSync(out, { force: true });
      const r = run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), TSQEMU_IMG, 'convert', '-c', '-f', 'raw', '-O', 'qcow2', src, out]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.ok(fs.readFileSync(out).equals(fs.readFileSync(want)), JSON.stringify(env));
      // And back: qemu-img's compressed image read (inflated) by tsqemu-img.
      const back = path.join(dir, 'back.raw');
      fs.rmSync(back, { force: true });
      const b = run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), TSQEMU_IMG, 'convert', '-O', 'raw', want, back]);
      assert.equal(b.status, 0, b.stderr);
      assert.equal(b.stderr, '');
      assert.ok(fs.readFileSync(back).subarray(0, fs.statSync(src).size).equals(fs.readFileSync(src)));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
