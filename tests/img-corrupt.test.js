// Damaged images: every case gets one clear "tsqemu-img: ..." error line (check: its report)
// and a non-zero status, never a stack trace, and the image file is never written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fs, haveQemuImg, haveQemuIo, ours, path, qemuIo, real, tmpdir, run } from './img-helpers.js';

const skip = !haveQemuImg() || !haveQemuIo() ? 'qemu-img/qemu-io not installed' : false;
const hash = (p) => createHash('sha256').update(fs.readFileSync(p)).digest('hex');

function be64(buf, off, v) { buf.writeBigUInt64BE(BigInt(v), off); }

/** A small valid image: header 0, reftable 64k, refblock 128k, L1 192k, L2 256k, data 320k. */
function baseImage(dir, name = 'base.qcow2') {
  const p = path.join(dir, name);
  fs.rmSync(p, { force: true });
  assert.equal(real(['create', '-q', '-f', 'qcow2', p, '1M']).status, 0);
  assert.equal(qemuIo(['-c', 'write -P 7 0 64k', p]).status, 0);
  return p;
}

function patch(p, fn) {
  const b = fs.readFileSync(p);
  fn(b);
  fs.writeFileSync(p, b);
}

const CASES = {
  'truncated header': (p) => fs.truncateSync(p, 40),
  'truncated image (tables past EOF)': (p) => fs.truncateSync(p, 0x30000),
  'L1 table past EOF': (p) => patch(p, (b) => be64(b, 40, 0x7000000)),
  'refcount table past EOF': (p) => patch(p, (b) => be64(b, 48, 0x9000000)),
  'unaligned L1 table': (p) => patch(p, (b) => be64(b, 40, 0x30008)),
  'huge virtual size': (p) => patch(p, (b) => be64(b, 24, 2n ** 62n)),
  'huge L1 size': (p) => patch(p, (b) => b.writeUInt32BE(0x10000000, 36)),
  'L1 smaller than the disk': (p) => patch(p, (b) => be64(b, 24, 2n ** 40n)),
  'cluster size 2^30': (p) => patch(p, (b) => b.writeUInt32BE(30, 20)),
  'refcount order 7': (p) => patch(p, (b) => b.writeUInt32BE(7, 96)),
  'unknown incompatible feature': (p) => patch(p, (b) => b.writeUInt32BE(0x100, 76)),
  'version 4': (p) => patch(p, (b) => b.writeUInt32BE(4, 4)),
  'snapshot table past EOF': (p) => patch(p, (b) => { b.writeUInt32BE(1, 60); be64(b, 64, 0x8000000); }),
  'backing name past the header cluster': (p) => patch(p, (b) => { be64(b, 8, 0xfff0); b.writeUInt32BE(1000, 16); }),
  'L2 table past EOF': (p) => patch(p, (b) => be64(b, 0x30000, 0x8000000000000000n | 0x7000000n)),
  'L2 table overlapping the header': (p) => patch(p, (b) => be64(b, 0x30000, 0x8000000000000000n)),
  'data cluster past EOF': (p) => patch(p, (b) => be64(b, 0x40000, 0x8000000000000000n | 0x9000000n)),
  'unaligned data cluster': (p) => patch(p, (b) => be64(b, 0x40000, 0x8000000000000000n | 0x50200n)),
  'garbage compressed cluster': (p) => patch(p, (b) => { be64(b, 0x40000, 0x4000000000000000n | (1n << 54n) | 0x50000n); b.fill(0xff, 0x50000, 0x50400); }),
};

function assertCleanFailure(r, what) {
  assert.notEqual(r.status, 0, `${what}: expected failure\n${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|RangeError|ReferenceError|SyntaxError|internal error/, `${what}: stack trace or internal error\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.ok(lines.length >= 1 && lines[0].startsWith('tsqemu-img: '), `${what}: error line: ${r.stderr}`);
}

test('damaged images: one clear error, non-zero status, image untouched', { skip }, async (t) => {
  const dir = tmpdir('corrupt');
  for (const [name, damage] of Object.entries(CASES)) {
    await t.test(name, () => {
      const img = baseImage(dir);
      damage(img);
      const before = hash(img);
      const raw = path.join(dir, 'out.raw');
      // Reading every byte must fail cleanly (or, where metadata is only subtly wrong, succeed).
      const conv = ours(['convert', '-O', 'raw', img, raw]);
      const info = ours(['info', img]);
      const check = ours(['check', img]);
      if (!['L2 table overlapping the header'].includes(name)) assertCleanFailure(conv, `${name}: convert`);
      // A garbage compressed payload is consistent metadata: check passes, reading fails.
      if (name !== 'garbage compressed cluster') {
        assert.notEqual(check.status, 0, `${name}: check must report a problem\n${check.stdout}${check.stderr}`);
      }
      assert.doesNotMatch(check.stderr + info.stderr, /\n\s+at |TypeError|RangeError/, `${name}: stack trace`);
      if (info.status !== 0) assertCleanFailure(info, `${name}: info`);
      assert.equal(hash(img), before, `${name}: the image was written to`);
    });
  }
});

test('backing chain loops are refused', { skip }, () => {
  const dir = tmpdir('loop');
  const a = path.join(dir, 'a.qcow2'), b = path.join(dir, 'b.qcow2');
  assert.equal(real(['create', '-q', '-f', 'qcow2', a, '1M']).status, 0);
  assert.equal(real(['create', '-q', '-f', 'qcow2', '-b', 'a.qcow2', '-F', 'qcow2', b]).status, 0);
  assert.equal(real(['rebase', '-u', '-b', 'b.qcow2', '-F', 'qcow2', a]).status, 0);
  const before = hash(a) + hash(b);
  for (const args of [['convert', '-O', 'raw', b, path.join(dir, 'x.raw')], ['info', '--backing-chain', b], ['compare', a, b]]) {
    const r = ours(args);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /infinite loop|loop/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.equal(hash(a) + hash(b), before);
});

test('writes over metadata set the corrupt bit and are then refused', { skip }, async () => {
  const dir = tmpdir('overlap');
  const img = baseImage(dir);
  // The data cluster of guest offset 0 now points at the L1 table.
  patch(img, (b) => be64(b, 0x40000, 0x8000000000000000n | 0x30000n));
  const helper = new URL('./block-write-helper.js', import.meta.url).pathname;
  const r = run('node', [helper, img, 'qcow2', '1', '5', String(65536)]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /Marking image as corrupt: Preventing invalid write on metadata/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const info = JSON.parse(real(['info', '--output=json', img]).stdout);
  assert.equal(info['format-specific'].data.corrupt, true, 'real qemu-img sees the corrupt bit');
  const again = run('node', [helper, img, 'qcow2', '1', '1', String(65536)]);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /Image is corrupt; cannot be opened read\/write/);
  // Read-only use still works.
  assert.equal(ours(['info', img]).status, 0);
});
