// qcow2's L2 table scans (check, map, compare, block status): l2ZeroRunEnd finds the first
// non-zero entry with native zero tests over doubling/halving ranges, and runs of contiguous
// data clusters are walked straight from the cached table. Checked against a plain loop on
// random sparse tables, and end to end against real qemu-img on images whose data runs cross
// L2 table boundaries, break contiguity and mix zero clusters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haveQemuImg, haveQemuIo, real, ours, qemuIo, tmpdir, prng, fs, path } from './img-helpers.js';
import { l2ZeroRunEnd } from '../dist/block/qcow2-cluster.js';
import { setHostBufferIsZero } from '../dist/block/io.js';
import { blockInit } from '../dist/host/node/block.js';

function naive(table, from, to) {
  for (let i = from; i < to; i++) for (let k = 0; k < 8; k++) if (table[i * 8 + k] !== 0) return i;
  return to;
}

function randomTable(rand, entries) {
  const t = new Uint8Array(entries * 8);
  const density = [0, 1, 4, 64, 1000][rand() % 5];
  for (let i = 0; i < entries; i++) {
    if (density && rand() % 1000 < density) t[i * 8 + (rand() % 8)] = 1 + (rand() % 255);
  }
  if (rand() % 4 === 0) t[(entries - 1) * 8 + 7] = 1; // last byte of the last entry only
  return t;
}

for (const native of [false, true]) {
  test(`l2ZeroRunEnd matches a plain scan (${native ? 'native' : 'JavaScript'} zero test)`, () => {
    if (native) blockInit(); else setHostBufferIsZero(null);
    const rand = prng(native ? 7 : 11);
    for (let round = 0; round < 200; round++) {
      const entries = [8192, 512, 2048, 100][round % 4];
      let table = randomTable(rand, entries);
      if (round % 3 === 0) { // not 4-byte aligned
        const b = new Uint8Array(table.length + 1);
        b.set(table, 1);
        table = b.subarray(1);
      }
      for (let q = 0; q < 40; q++) {
        const from = rand() % entries;
        const to = from + (rand() % (entries - from + 1));
        assert.equal(l2ZeroRunEnd(table, from, to), naive(table, from, to), `round ${round} [${from}, ${to})`);
      }
      // The way check walks a table: every non-zero entry in order.
      const seen = [], want = [];
      for (let i = l2ZeroRunEnd(table, 0, entries); i < entries; i = l2ZeroRunEnd(table, i + 1, entries)) seen.push(i);
      for (let i = naive(table, 0, entries); i < entries; i = naive(table, i + 1, entries)) want.push(i);
      assert.deepEqual(seen, want);
    }
  });
}

const skip = !haveQemuImg() || !haveQemuIo() ? 'qemu-img/qemu-io not installed' : false;

test('map, compare, check and convert match qemu-img across L2 boundaries and broken runs', { skip }, () => {
  const dir = tmpdir('l2scan');
  try {
    // 4 KiB clusters: an L2 table covers 2 MiB, so runs cross tables often.
    const img = path.join(dir, 'a.qcow2');
    assert.equal(real(['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', img, '64M']).status, 0);
    const ops = [];
    // Contiguous runs written in order, a run across the 2 MiB table boundary, zero clusters
    // inside a data run, and runs written backwards (guest-contiguous, host-discontiguous).
    ops.push('write -P 0x11 0 40k', 'write -P 0x22 2040k 24k', 'write -z 8k 4k', 'write -P 0x33 20M 4k');
    for (let k = 7; k >= 0; k--) ops.push(`write -P ${0x40 + k} ${30 * 1024 + k * 4}k 4k`);
    ops.push('write -P 0x55 63M 1M', 'write -z 63M 8k', 'discard 63M 4k');
    assert.equal(qemuIo(['-f', 'qcow2', ...ops.flatMap((o) => ['-c', o]), img]).status, 0);
    for (const args of [['map', '--output=json', img], ['map', img], ['check', img]]) {
      const r = real(args), o = ours(args);
      assert.equal(o.stdout, r.stdout, args.join(' '));
      assert.equal(o.status, r.status);
    }
    const raw = path.join(dir, 'a.raw'), mine = path.join(dir, 'b.raw');
    assert.equal(real(['convert', '-f', 'qcow2', '-O', 'raw', img, raw]).status, 0);
    assert.equal(ours(['convert', '-f', 'qcow2', '-O', 'raw', img, mine]).status, 0);
    assert.ok(fs.readFileSync(raw).equals(fs.readFileSync(mine)));
    const cmp = ours(['compare', '-f', 'qcow2', '-F', 'raw', img, raw]);
    assert.equal(cmp.stdout, 'Images are identical.\n');
    // One byte changed inside a coalesced run is found, and named as qemu-img names it.
    const fd = fs.openSync(raw, 'r+');
    fs.writeSync(fd, Buffer.from([0x99]), 0, 1, 2048 * 1024 + 5);
    fs.closeSync(fd);
    const d = ours(['compare', '-f', 'qcow2', '-F', 'raw', img, raw]), dr = real(['compare', '-f', 'qcow2', '-F', 'raw', img, raw]);
    assert.equal(dr.status, 1);
    assert.equal(d.status, 1);
    assert.equal(d.stdout, dr.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
