// Cases from QEMU's qemu-iotests (scripts/iotests.js runs the suite itself) that tsqemu-img
// failed, each compared with real qemu-img 7.2: the program name in error lines (every test's
// filters), 019 (convert -B), 036 (feature names, autoclear bits), 054, 061 (amend downgrade),
// 114 (backing formats required).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TSQEMU_IMG, haveQemuImg, haveQemuIo, ours, real, qemuIo, run, tmpdir } from './img-helpers.js';

const skip = !haveQemuImg() || !haveQemuIo();

/** Both qemu-imgs on a copy of the same setup: [real, ours] results of `args(dir)`. */
function both(setup, args) {
  return [real, ours].map((fn) => {
    const d = tmpdir('iot');
    setup(d);
    const r = fn(args(d), { cwd: d });
    return { ...r, stderr: r.stderr.replace(/^(ts)?qemu-img: /gm, 'PROG: ').replaceAll(d, 'DIR'), dir: d };
  });
}

const setBe64 = (file, off, v) => { const fd = fs.openSync(file, 'r+'); const b = Buffer.alloc(8); b.writeBigUInt64BE(v); fs.writeSync(fd, b, 0, 8, off); fs.closeSync(fd); };
const getBe64 = (file, off) => { const fd = fs.openSync(file, 'r'); const b = Buffer.alloc(8); fs.readSync(fd, b, 0, 8, off); fs.closeSync(fd); return b.readBigUInt64BE(); };

test('error lines start with the base name of argv[0] (a symlink named qemu-img says qemu-img:)', () => {
  const d = tmpdir('iot');
  fs.symlinkSync(TSQEMU_IMG, path.join(d, 'qemu-img'));
  const r = run(path.join(d, 'qemu-img'), ['create', '-f', 'qcow2', path.join(d, 'x'), '1Q']);
  assert.equal(r.stderr, 'qemu-img: Invalid image size specified. You may use k, M, G, T, P or E suffixes for\n' +
    'qemu-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.\n');
  assert.match(ours(['info', path.join(d, 'none')]).stderr, /^tsqemu-img: Could not open/);
});

test('036: unsupported incompatible bits named from the feature table, the rest as one mask', { skip }, () => {
  const entry = (type, bit, name) => { const b = Buffer.alloc(48); b[0] = type; b[1] = bit; b.write(name, 2); return b; };
  for (const [bits, table] of [
    [[61, 62, 63], []],
    [[61, 62, 63], [entry(0, 63, 'Test feature')]],
    [[63], [entry(0, 63, 'Test feature').subarray(0, 14)]], // an entry cut short, as 036 writes it
    [[60, 61, 62, 63], [entry(1, 61, 'test1'), entry(0, 62, 'test2'), entry(2, 63, 'test3'), entry(0, 60, 'test4')]],
  ]) {
    const [a, b] = both((d) => {
      const img = path.join(d, 't.qcow2');
      real(['create', '-f', 'qcow2', img, '64M']);
      setBe64(img, 72, bits.reduce((m, i) => m | (1n << BigInt(i)), 0n));
      // The feature table is the first extension real qemu-img writes (after 112 header bytes).
      const fd = fs.openSync(img, 'r+');
      const hdr = Buffer.alloc(8); fs.readSync(fd, hdr, 0, 8, 112);
      assert.equal(hdr.readUInt32BE(0), 0x6803f857);
      // The table's own length: a short last entry is zero-filled by the reader.
      const t = Buffer.concat(table);
      const l = Buffer.alloc(4); l.writeUInt32BE(t.length);
      fs.writeSync(fd, l, 0, 4, 116);
      fs.writeSync(fd, Buffer.concat([t, Buffer.alloc(hdr.readUInt32BE(4) - t.length)]), 0, hdr.readUInt32BE(4), 120);
      fs.closeSync(fd);
    }, (d) => ['info', path.join(d, 't.qcow2')]);
    assert.equal(b.stderr, a.stderr);
    assert.equal(b.status, a.status);
  }
});

test('036: opening read/write clears unknown autoclear bits (check -r all)', { skip }, () => {
  const [a, b] = both((d) => {
    const img = path.join(d, 't.qcow2');
    real(['create', '-f', 'qcow2', img, '64M']);
    setBe64(img, 88, 1n << 63n);
  }, (d) => ['check', '-r', 'all', path.join(d, 't.qcow2')]);
  assert.equal(b.stdout, a.stdout);
  assert.equal(getBe64(path.join(a.dir, 't.qcow2'), 88), 0n);
  assert.equal(getBe64(path.join(b.dir, 't.qcow2'), 88), 0n);
});

test("054: an image whose L1 index overflows an int is 'Image is too big'", { skip }, () => {
  const [a, b] = both((d) => {
    const img = path.join(d, 't.qcow2');
    real(['create', '-f', 'qcow2', img, '4G']);
    setBe64(img, 24, 1n << 60n);
  }, (d) => ['check', path.join(d, 't.qcow2')]);
  assert.equal(b.stderr, a.stderr);
  assert.match(b.stderr, /Image is too big/);
});

test('061: amend -o compat=0.10 downgrades an image with lazy refcounts', { skip }, () => {
  const [a, b] = both((d) => {
    const img = path.join(d, 't.qcow2');
    real(['create', '-f', 'qcow2', '-o', 'compat=1.1,lazy_refcounts=on', img, '64M']);
    qemuIo(['-f', 'qcow2', '-c', 'write -z 0 128k', '-c', 'write -P 0x2a 1M 64k', img]);
  }, (d) => ['amend', '-o', 'compat=0.10', path.join(d, 't.qcow2')]);
  assert.equal(b.stderr, a.stderr);
  assert.equal(b.status, 0);
  for (const r of [a, b]) {
    const img = path.join(r.dir, 't.qcow2');
    assert.equal(JSON.parse(real(['info', '--output=json', img]).stdout)['format-specific'].data.compat, '0.10');
    assert.equal(real(['check', img]).status, 0);
    assert.equal(qemuIo(['-f', 'qcow2', '-c', 'read -P 0 0 128k', '-c', 'read -P 0x2a 1M 64k', img]).stdout.includes('Pattern verification failed'), false);
  }
  // Asked for explicitly, lazy refcounts with v2 stay an error.
  const [c, e] = both((d) => real(['create', '-f', 'qcow2', path.join(d, 't.qcow2'), '64M']),
    (d) => ['amend', '-o', 'compat=0.10,lazy_refcounts=on', path.join(d, 't.qcow2')]);
  assert.notEqual(c.status, 0);
  assert.notEqual(e.status, 0);
});

test('019: convert -B / -o backing_file= leaves what the backing chain holds to the target backing file', { skip }, () => {
  for (const opt of [['-B', 'base.qcow2'], ['-o', 'backing_file=base.qcow2']]) {
    const [a, b] = both((d) => {
      real(['create', '-f', 'qcow2', path.join(d, 'base.qcow2'), '4M']);
      qemuIo(['-f', 'qcow2', '-c', 'write -P 0x42 1M 64k', '-c', 'write -P 0x42 0 64k', path.join(d, 'base.qcow2')]);
      real(['create', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', path.join(d, 'orig.qcow2')]);
      qemuIo(['-f', 'qcow2', '-c', 'write -P 0x43 2M 64k', '-c', 'write -z 0 64k', path.join(d, 'orig.qcow2')]);
    }, (d) => ['convert', '-f', 'qcow2', '-O', 'qcow2', ...opt, '-o', 'backing_fmt=qcow2', path.join(d, 'orig.qcow2'), path.join(d, 't.qcow2')]);
    assert.equal(b.status, a.status, b.stderr);
    for (const r of [a, b]) {
      const img = path.join(r.dir, 't.qcow2');
      const m = JSON.parse(real(['map', '--output=json', img]).stdout).filter((e) => e.depth === 0 && e.data);
      assert.deepEqual(m.map((e) => [e.start, e.length]), [[2 << 20, 65536]], `${opt}: only the top layer's data is in the target`);
      // The zeroed range over the backing's data reads as zeroes.
      assert.doesNotMatch(qemuIo(['-f', 'qcow2', '-c', 'read -P 0 0 64k', '-c', 'read -P 0x42 1M 64k', '-c', 'read -P 0x43 2M 64k', img]).stdout, /failed/);
      assert.equal(real(['compare', path.join(r.dir, 'orig.qcow2'), img]).status, 0);
    }
  }
});

test('114: convert -B and rebase -u without a backing format are refused, as qemu-img 6.1+', { skip }, () => {
  const [a, b] = both((d) => {
    real(['create', '-f', 'raw', path.join(d, 'orig'), '1M']);
  }, (d) => ['convert', '-O', 'qcow2', '-B', path.join(d, 'orig'), path.join(d, 'orig'), path.join(d, 't.qcow2')]);
  assert.equal(b.stderr, a.stderr);
  assert.equal(b.stderr, 'PROG: Use of backing file requires explicit backing format\n');
  assert.equal(b.status, a.status);
  const [c, e] = both((d) => {
    real(['create', '-f', 'qcow2', path.join(d, 'base.qcow2'), '1M']);
    real(['create', '-f', 'qcow2', path.join(d, 't.qcow2'), '1M']);
  }, (d) => ['rebase', '-u', '-b', path.join(d, 'base.qcow2'), path.join(d, 't.qcow2')]);
  assert.equal(e.stderr, c.stderr);
  assert.notEqual(e.status, 0);
});
