// The file protocol's allocation status (SEEK_DATA/SEEK_HOLE through the native addon) and
// fallocate on the thread-pool engine: tsqemu-img map matches real qemu-img on sparse raw
// files and preallocated qcow2, and discard / write-zeroes with MAY_UNMAP really deallocate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haveQemuImg, real, ours, tmpdir, fs, path } from './img-helpers.js';
import { fileCreate } from '../dist/host/node/file-posix.js';
import { loadUserSys } from '../dist/host/node/user-sys.js';

const sys = loadUserSys();
const noAddon = sys && typeof sys.lseekData === 'function' ? false : 'native addon (tsqemu_sys) not built';
const MiB = 1 << 20;

function writeAt(file, offset, data) {
  const fd = fs.openSync(file, 'r+');
  try { fs.writeSync(fd, data, 0, data.length, offset); } finally { fs.closeSync(fd); }
}

function mapBoth(img) {
  const r = real(['map', '--output=json', img]);
  const o = ours(['map', '--output=json', img]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(o.status, 0, o.stderr);
  return { r: JSON.parse(r.stdout), o: JSON.parse(o.stdout) };
}

test('map of a sparse raw file matches qemu-img (holes are zero, not data)', { skip: noAddon || (haveQemuImg() ? false : 'qemu-img not installed') }, () => {
  const dir = tmpdir('seekhole');
  const img = path.join(dir, 'sparse.raw');
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 16 * MiB);
  writeAt(img, 0, new Uint8Array(5000).fill(0x78));
  writeAt(img, 5 * MiB + 7, new Uint8Array([0x79]));
  writeAt(img, 12 * MiB, new Uint8Array(3 * 65536).fill(0x7a));
  const { r, o } = mapBoth(img);
  assert.deepEqual(o, r);
  assert.ok(o.some((e) => e.zero && !e.data), 'some hole is reported');
  assert.ok(o.filter((e) => e.data).length >= 3, 'the written ranges are data');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('map of a preallocation=metadata qcow2 matches qemu-img (zero and data)', { skip: noAddon || (haveQemuImg() ? false : 'qemu-img not installed') }, () => {
  const dir = tmpdir('seekhole');
  const img = path.join(dir, 'pre.qcow2');
  const c = ours(['create', '-q', '-f', 'qcow2', '-o', 'preallocation=metadata', img, '8M']);
  assert.equal(c.status, 0, c.stderr);
  const { r, o } = mapBoth(img);
  assert.deepEqual(o, r);
  assert.ok(o.every((e) => e.zero && e.data), 'preallocated clusters read as zeroes');
  const human = ours(['map', img]);
  assert.equal(human.stdout, real(['map', img]).stdout);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('discard and write-zeroes (MAY_UNMAP) deallocate on the threads engine', { skip: noAddon }, async () => {
  const dir = tmpdir('seekhole');
  const img = path.join(dir, 'd.raw');
  const flags = { readOnly: false, direct: false, noFlush: false, writeThrough: false, aio: 'threads', forceShare: false, noBacking: false };
  const bs = await fileCreate(img, 'off', 8 * MiB, flags);
  try {
    assert.equal(bs.aioEngine, 'threads');
    await bs.pwritev(0, new Uint8Array(8 * MiB).fill(0xa5), 0);
    await bs.flush();
    const full = fs.statSync(img).blocks;
    assert.ok(full * 512 >= 8 * MiB, `written file is allocated (${full} blocks)`);
    await bs.pdiscard(MiB, 4 * MiB);
    const afterDiscard = fs.statSync(img).blocks;
    assert.ok(afterDiscard * 512 <= full * 512 - 4 * MiB, `discard punched 4 MiB (${full} -> ${afterDiscard} blocks)`);
    assert.equal(fs.statSync(img).size, 8 * MiB, 'size kept');
    const st = await bs.blockStatus(MiB, 4 * MiB);
    assert.equal(st.flags & 2, 2, 'the discarded range is a hole (ZERO)');
    await bs.pwriteZeroes(6 * MiB, MiB, 1 /* MAY_UNMAP */);
    assert.ok(fs.statSync(img).blocks * 512 <= afterDiscard * 512 - MiB, 'write-zeroes with MAY_UNMAP punched 1 MiB');
    await bs.pwriteZeroes(0, 4096, 0);
    const back = new Uint8Array(8 * MiB);
    await bs.preadv(0, back);
    const expect = new Uint8Array(8 * MiB).fill(0xa5);
    expect.fill(0, 0, 4096); expect.fill(0, MiB, 5 * MiB); expect.fill(0, 6 * MiB, 7 * MiB);
    assert.ok(Buffer.from(back).equals(Buffer.from(expect)), 'contents after discard / zeroing');
  } finally {
    await bs.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The file protocol keeps the last data run SEEK_DATA/SEEK_HOLE found (QEMU's BlockStatusCache):
// one lseek pair for a long run, and a stale run is never reported after discard, zeroing or
// truncation make holes inside it.
test('the cached data run answers inside it and is forgotten by discard, write-zeroes and truncate', { skip: noAddon }, async () => {
  const dir = tmpdir('seekhole');
  const img = path.join(dir, 'c.raw');
  const flags = { readOnly: false, direct: false, noFlush: false, writeThrough: false, aio: 'threads', forceShare: false, noBacking: false };
  const bs = await fileCreate(img, 'off', 8 * MiB, flags);
  const isHole = async (off, n) => ((await bs.blockStatus(off, n)).flags & 2) === 2;
  try {
    await bs.pdiscard(0, 4096); // create allocated the first block (QEMU's allocate_first_block)
    await bs.pwritev(MiB, new Uint8Array(6 * MiB).fill(0x5a), 0);
    await bs.flush();
    const first = await bs.blockStatus(MiB, 8 * MiB);
    assert.equal(first.pnum, 6 * MiB, 'the data run [1M, 7M)');
    const inner = await bs.blockStatus(3 * MiB + 512, 8 * MiB);
    assert.equal(inner.flags & 2, 0, 'inside the run: data');
    assert.equal(inner.pnum, 4 * MiB - 512, 'up to the run\'s end');
    assert.ok(await isHole(0, MiB), 'before the run: a hole');
    assert.ok(await isHole(7 * MiB, MiB), 'after the run: a hole');
    await bs.blockStatus(MiB, MiB); // the run is cached again
    await bs.pdiscard(2 * MiB, MiB);
    assert.ok(await isHole(2 * MiB, MiB), 'a discarded range inside the cached run is a hole');
    assert.equal((await bs.blockStatus(MiB, 8 * MiB)).pnum, MiB, 'the run now ends at the hole');
    await bs.blockStatus(4 * MiB, MiB);
    await bs.pwriteZeroes(5 * MiB, MiB, 1 /* MAY_UNMAP */);
    assert.ok(await isHole(5 * MiB, MiB), 'a zeroed (unmapped) range inside the cached run is a hole');
    await bs.blockStatus(3 * MiB, MiB);
    await bs.truncate(3 * MiB + 4096, true, 'off', true);
    await bs.truncate(8 * MiB, true, 'off', false);
    assert.ok(await isHole(4 * MiB, MiB), 'truncated away and grown again: a hole');
    // A hole's lookup remembers where data starts: the next lookup there asks only SEEK_HOLE.
    assert.ok(await isHole(0, MiB), 'data [1M, 2M) and [3M, 3M+4K) remain');
    assert.deepEqual([(await bs.blockStatus(MiB, 8 * MiB)).pnum, (await bs.blockStatus(MiB, 8 * MiB)).flags & 2], [MiB, 0]);
    assert.ok(await isHole(0, MiB));
    await bs.pdiscard(MiB, MiB);
    assert.ok(await isHole(MiB, 64 << 10), 'the remembered data start was discarded: a hole');
    assert.equal((await bs.blockStatus(0, 8 * MiB)).pnum, 3 * MiB, 'a hole up to the last data');
    const r = real(['map', '--output=json', img]);
    if (r.status === 0) assert.deepEqual(JSON.parse(ours(['map', '--output=json', img]).stdout), JSON.parse(r.stdout));
  } finally {
    await bs.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
