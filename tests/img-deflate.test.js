// Compressed qcow2 clusters are deflated with one zlib stream reset between clusters
// (src/host/node/zlib-raw.ts, on the zlib binding node:zlib itself drives): the bytes must be
// deflateRawSync's, for compressible, incompressible (output longer than input) and zero data
// and every cluster size, and `convert -c` must write the very file qemu-img writes, also where
// the binding is not used (--pending-deprecation: process.binding would warn).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { haveQemuImg, real, run, TSQEMU_IMG, tmpdir, prng, randomBytes, fs, path } from './img-helpers.js';
import { deflateRawCluster } from '../dist/host/node/zlib-raw.js';

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
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
