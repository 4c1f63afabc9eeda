// `compare` names a mismatch as qemu-img does: the offset of the first differing 512-byte
// sector (qemu-img compares whole sectors from the start of each chunk), and images of
// different sizes print "Warning: Image size mismatch!" before the verdict on the longer tail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haveQemuImg, real, ours, tmpdir, fs, path } from './img-helpers.js';

const skip = !haveQemuImg() ? 'qemu-img not installed' : false;

function poke(file, at, byte = 0x5a) {
  const fd = fs.openSync(file, 'r+');
  try { fs.writeSync(fd, Buffer.from([byte]), 0, 1, at); } finally { fs.closeSync(fd); }
}

function same(args) {
  const r = real(['compare', ...args]), o = ours(['compare', ...args]);
  assert.equal(o.stdout, r.stdout, args.join(' '));
  assert.equal(o.status, r.status, args.join(' '));
  return r;
}

test('compare reports mismatches and size differences as qemu-img', { skip }, () => {
  const dir = tmpdir('cmp-report');
  try {
    const a = path.join(dir, 'a.raw'), b = path.join(dir, 'b.raw');
    const fill = Buffer.alloc(3 << 20, 'tsqemu ');
    for (const at of [0, 5, 511, 512, 700, (1 << 20) + 3, (2 << 20) - 1, (2 << 20) + 4097]) {
      fs.writeFileSync(a, fill);
      fs.writeFileSync(b, fill);
      poke(b, at);
      assert.equal(same([a, b]).status, 1);
      same(['-q', a, b]);
      // Against a qcow2 copy (other chunks: clusters, L2 tables).
      const q = path.join(dir, 'a.qcow2');
      fs.rmSync(q, { force: true });
      assert.equal(real(['convert', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', a, q]).status, 0);
      same(['-f', 'qcow2', '-F', 'raw', q, b]);
    }
    // Sizes differ: zeroes past the shorter image are equal, anything else is not.
    const s1 = path.join(dir, 's1.raw'), s2 = path.join(dir, 's2.raw');
    fs.writeFileSync(s1, Buffer.alloc(1 << 20));
    fs.writeFileSync(s2, Buffer.alloc(2 << 20));
    assert.equal(same([s1, s2]).status, 0);
    same([s2, s1]);
    same(['-q', s1, s2]);
    poke(s2, (1536 << 10) + 700);
    assert.equal(same([s1, s2]).status, 1);
    same([s2, s1]);
    poke(s1, 1000);
    same([s1, s2]); // the common part differs first: no size warning
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
