// tsqemu-img and the qcow2 driver against real qemu-img, both directions: images we write
// must pass real `qemu-img check` and compare equal to a raw mirror; images real qemu-img
// writes (every create option) must read back as real qemu-img reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyToRaw, fs, haveQemuImg, haveQemuIo, ours, path, qemuIo, randomOps, real, tmpdir, run,
} from './img-helpers.js';
import { openDrive } from '../dist/host/node/block.js';

const SIZE = 8 * 1024 * 1024;
const skip = !haveQemuImg() || !haveQemuIo() ? 'qemu-img/qemu-io not installed' : false;

/** Random writes through openDrive (the path virtio-blk uses), what block-write-helper.js does in
 * a child process, here in the test's own (one module load instead of a node start per image). */
async function ourWrite(img, seed, count, size) {
  const blk = await openDrive(new Map([['file', img], ['format', 'qcow2'], ['cache', 'writeback']]));
  let n = 0;
  for (const op of randomOps(Number(seed), Number(size), Number(count))) {
    if (op.zero) await blk.pwriteZeroes(op.off, op.len, n % 2 === 0);
    else await blk.pwrite(op.off, op.data);
    n++;
  }
  await blk.close();
}

function ok(r, what) {
  assert.equal(r.status, 0, `${what} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r;
}

/** Write random data through openDrive (our driver) and mirror it into ref.raw. */
async function writeOurs(dir, img, seed, count = 40) {
  await ourWrite(img, seed, count, SIZE);
  const ref = path.join(dir, `ref-${seed}.raw`);
  fs.rmSync(ref, { force: true });
  applyToRaw(ref, SIZE, randomOps(seed, SIZE, count));
  return ref;
}

/** Real qemu-img's reading of an image as raw bytes, and ours. */
function bothRaw(dir, img, extra = []) {
  const a = path.join(dir, 'real.raw'), b = path.join(dir, 'ours.raw');
  fs.rmSync(a, { force: true }); fs.rmSync(b, { force: true });
  ok(real(['convert', ...extra, '-O', 'raw', img, a]), 'real convert');
  ok(ours(['convert', ...extra, '-O', 'raw', img, b]), 'our convert');
  return [fs.readFileSync(a), fs.readFileSync(b)];
}

/** info --output=json text without the host-dependent actual-size line (field order included). */
const infoJson = (r) => { ok(r, 'info'); return r.stdout.replace(/.*"actual-size".*\n/, ''); };

test('images tsqemu creates and writes pass real qemu-img check and compare', { skip }, async (t) => {
  const dir = tmpdir('interop-w');
  const cases = [];
  for (const bits of [1, 2, 4, 8, 16, 32, 64]) cases.push(`refcount_bits=${bits}`);
  for (const cs of ['512', '4096', '65536', '1M', '2M']) cases.push(`cluster_size=${cs}`);
  cases.push('compat=0.10', 'compat=1.1,lazy_refcounts=on', 'preallocation=metadata', 'preallocation=falloc',
    'preallocation=full,cluster_size=4096', 'compat=0.10,cluster_size=1024');
  let seed = 1;
  for (const o of cases) {
    await t.test(o, async () => {
      const img = path.join(dir, 'w.qcow2');
      fs.rmSync(img, { force: true });
      ok(ours(['create', '-q', '-f', 'qcow2', '-o', o, img, String(SIZE)]), 'create');
      const ref = await writeOurs(dir, img, seed++);
      ok(real(['check', img]), `real check (${o})`);
      ok(real(['compare', '-f', 'qcow2', '-F', 'raw', img, ref]), 'real compare');
      assert.equal(infoJson(ours(['info', '--output=json', img])), infoJson(real(['info', '--output=json', img])));
      // Preallocated clusters: real qemu-img asks the host file for holes (SEEK_HOLE), which
      // node:fs cannot; the allocation map is compared where it does not depend on that.
      if (!o.includes('preallocation')) {
        assert.equal(ours(['map', '--output=json', img]).stdout, real(['map', '--output=json', img]).stdout);
      }
    });
  }
});

test('images real qemu-img writes read back as real qemu-img reads them', { skip }, async (t) => {
  const dir = tmpdir('interop-r');
  const cases = [];
  for (const bits of [1, 2, 4, 8, 16, 32, 64]) cases.push(`refcount_bits=${bits}`);
  for (const cs of ['512', '2048', '65536', '2M']) cases.push(`cluster_size=${cs}`);
  cases.push('compat=0.10', 'lazy_refcounts=on', 'preallocation=metadata', 'preallocation=full', 'compat=0.10,preallocation=falloc');
  for (const o of cases) {
    await t.test(o, () => {
      const img = path.join(dir, 'r.qcow2');
      fs.rmSync(img, { force: true });
      ok(real(['create', '-q', '-f', 'qcow2', '-o', o, img, String(SIZE)]), 'real create');
      ok(qemuIo(['-f', 'qcow2', '-c', 'write -P 0x11 0 100k', '-c', 'write -P 0x22 1M 64k', '-c', 'write -z 1M 4k',
        '-c', 'write -P 0x33 3000k 333k', '-c', 'write -z -u 4M 128k', '-c', 'discard 3100k 64k', img]), 'qemu-io');
      const [a, b] = bothRaw(dir, img);
      assert.ok(a.equals(b), 'raw contents differ');
      ok(ours(['check', img]), 'our check');
      assert.equal(infoJson(ours(['info', '--output=json', img])), infoJson(real(['info', '--output=json', img])));
      if (!o.includes('preallocation')) {
        assert.equal(ours(['map', '--output=json', img]).stdout, real(['map', '--output=json', img]).stdout);
      }
      assert.equal(ours(['compare', img, path.join(dir, 'real.raw')]).stdout, 'Images are identical.\n');
    });
  }
});

test('compressed clusters: real convert -c reads back, ours passes real check', { skip }, async () => {
  const dir = tmpdir('interop-c');
  const src = path.join(dir, 'src.raw');
  const text = Buffer.alloc(3 * 1024 * 1024 + 4096);
  for (let i = 0; i < text.length; i++) text[i] = (i % 4096 < 2048) ? (i * 7) & 0x3f : 0x41 + (i % 13);
  text.fill(0, 1024 * 1024, 1200 * 1024);
  fs.writeFileSync(src, text);
  for (const cs of ['4096', '65536']) {
    const r = path.join(dir, `real-${cs}.qcow2`), o = path.join(dir, `ours-${cs}.qcow2`);
    ok(real(['convert', '-c', '-O', 'qcow2', '-o', `cluster_size=${cs}`, src, r]), 'real convert -c');
    ok(ours(['convert', '-c', '-O', 'qcow2', '-o', `cluster_size=${cs}`, src, o]), 'our convert -c');
    ok(ours(['compare', src, r]), 'we read real compressed image');
    ok(real(['check', o]), 'real check of our compressed image');
    ok(real(['compare', src, o]), 'real reads our compressed image');
    const info = JSON.parse(real(['check', '--output=json', o]).stdout);
    assert.ok(info['compressed-clusters'] > 0, 'our image has compressed clusters');
    // Clusters compress in parallel but are written in order: the same bytes every run.
    const o2 = path.join(dir, `ours2-${cs}.qcow2`);
    ok(ours(['convert', '-c', '-O', 'qcow2', '-o', `cluster_size=${cs}`, src, o2]), 'our convert -c again');
    assert.ok(fs.readFileSync(o).equals(fs.readFileSync(o2)), 'convert -c output is deterministic');
    assert.equal(JSON.parse(ours(['check', '--output=json', r]).stdout)['compressed-clusters'],
      JSON.parse(real(['check', '--output=json', r]).stdout)['compressed-clusters']);
    // Overwriting compressed clusters in place (copy-on-write out of the compressed cluster).
    await ourWrite(o, '7', '20', String(text.length - 4096));
    ok(real(['check', o]), 'real check after overwriting compressed clusters');
  }
});

test('zstd-compressed images from real qemu-img read back', { skip }, () => {
  const dir = tmpdir('interop-z');
  const src = path.join(dir, 'src.raw');
  const b = Buffer.alloc(2 * 1024 * 1024 + 1536);
  for (let i = 0; i < b.length; i++) b[i] = (i >> 9) % 3 === 0 ? 0 : 0x30 + ((i * i) >> 11) % 40;
  fs.writeFileSync(src, b);
  for (const cs of ['4096', '65536']) {
    const img = path.join(dir, `z-${cs}.qcow2`);
    const r = real(['convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o', `compression_type=zstd,cluster_size=${cs}`, src, img]);
    if (r.status !== 0 && /zstd/.test(r.stderr)) return; // real qemu-img built without zstd
    ok(r, 'real convert zstd');
    ok(ours(['compare', '-f', 'qcow2', '-F', 'raw', img, src]), 'we read zstd clusters');
    ok(ours(['check', img]), 'our check');
    assert.equal(JSON.parse(ours(['info', '--output=json', img]).stdout)['format-specific'].data['compression-type'], 'zstd');
  }
});

test('internal snapshots both ways', { skip }, async () => {
  const dir = tmpdir('interop-s');
  const img = path.join(dir, 's.qcow2');
  ok(real(['create', '-q', '-f', 'qcow2', img, '4M']), 'create');
  ok(qemuIo(['-c', 'write -P 1 0 1M', img]), 'io');
  ok(real(['snapshot', '-c', 'one', img]), 'real snapshot');
  ok(qemuIo(['-c', 'write -P 2 512k 1M', img]), 'io2');
  ok(real(['snapshot', '-c', 'two', img]), 'real snapshot 2');
  ok(qemuIo(['-c', 'write -P 3 0 64k', img]), 'io3');
  assert.equal(ours(['snapshot', '-l', img]).stdout, real(['snapshot', '-l', img]).stdout);
  for (const sn of ['one', 'two']) {
    const [a, b] = bothRaw(dir, img, ['-l', sn]);
    assert.ok(a.equals(b), `snapshot ${sn} content`);
  }
  ok(ours(['check', img]), 'our check with snapshots');
  // Our snapshot operations, checked by real qemu-img.
  ok(ours(['snapshot', '-c', 'three', img]), 'our snapshot -c');
  ok(real(['check', img]), 'real check after our snapshot -c');
  await ourWrite(img, '3', '20', String(4 * 1024 * 1024));
  ok(real(['check', img]), 'real check after writes over a snapshot');
  const [a3, b3] = bothRaw(dir, img, ['-l', 'three']);
  assert.ok(a3.equals(b3), 'snapshot three content');
  ok(ours(['snapshot', '-a', 'one', img]), 'our snapshot -a');
  ok(real(['check', img]), 'real check after apply');
  const one = path.join(dir, 'one.raw');
  ok(real(['convert', '-l', 'one', '-O', 'raw', img, one]), 'real convert -l one');
  ok(real(['compare', img, one]), 'applied snapshot reads as snapshot one');
  ok(ours(['snapshot', '-d', 'two', img]), 'our snapshot -d');
  ok(real(['check', img]), 'real check after delete');
  assert.equal(ours(['snapshot', '-l', img]).stdout, real(['snapshot', '-l', img]).stdout);
  assert.match(ours(['snapshot', '-a', 'nope', img]).stderr, /Could not apply snapshot 'nope'/);
});

test('backing chains: read, create, rebase, commit', { skip }, async () => {
  const dir = tmpdir('interop-b');
  const p = (n) => path.join(dir, n);
  ok(real(['create', '-q', '-f', 'raw', p('base.raw'), '4M']), 'base');
  ok(qemuIo(['-f', 'raw', '-c', 'write -P 1 0 4M', p('base.raw')]), 'io base');
  ok(real(['create', '-q', '-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', p('mid.qcow2')]), 'mid');
  ok(qemuIo(['-c', 'write -P 2 1M 1M', '-c', 'write -z 3M 64k', p('mid.qcow2')]), 'io mid');
  ok(real(['create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', '-b', 'mid.qcow2', '-F', 'qcow2', p('top.qcow2')]), 'top');
  ok(qemuIo(['-c', 'write -P 3 1536k 64k', p('top.qcow2')]), 'io top');
  const [a, b] = bothRaw(dir, p('top.qcow2'));
  assert.ok(a.equals(b), 'chain content');
  assert.equal(ours(['map', '--output=json', p('top.qcow2')]).stdout, real(['map', '--output=json', p('top.qcow2')]).stdout);
  assert.deepEqual(JSON.parse(ours(['info', '--backing-chain', '--output=json', p('top.qcow2')]).stdout).map((x) => x.filename),
    JSON.parse(real(['info', '--backing-chain', '--output=json', p('top.qcow2')]).stdout).map((x) => x.filename));
  // Our overlay on a real chain.
  ok(ours(['create', '-q', '-f', 'qcow2', '-b', 'top.qcow2', '-F', 'qcow2', p('ours.qcow2')]), 'our overlay');
  await ourWrite(p('ours.qcow2'), '5', '20', String(4 << 20));
  ok(real(['check', p('ours.qcow2')]), 'real check overlay');
  const before = p('before.raw');
  ok(real(['convert', '-O', 'raw', p('ours.qcow2'), before]), 'snapshot of content');
  // Safe rebase onto the base: content must not change.
  ok(ours(['rebase', '-b', 'base.raw', '-F', 'raw', p('ours.qcow2')]), 'our rebase');
  ok(real(['check', p('ours.qcow2')]), 'real check after rebase');
  ok(real(['compare', p('ours.qcow2'), before]), 'content kept by rebase');
  assert.equal(JSON.parse(real(['info', '--output=json', p('ours.qcow2')]).stdout)['backing-filename'], 'base.raw');
  // Commit into the base, then the base alone has the content.
  ok(ours(['commit', p('ours.qcow2')]), 'our commit');
  ok(real(['check', p('ours.qcow2')]), 'real check after commit');
  ok(real(['compare', '-f', 'raw', p('base.raw'), before]), 'base has committed content');
  ok(real(['compare', p('ours.qcow2'), before]), 'overlay still reads the same');
  // Unsafe rebase only rewrites the name.
  ok(ours(['rebase', '-u', '-b', '', p('ours.qcow2')]), 'rebase -u');
  assert.equal(JSON.parse(real(['info', '--output=json', p('ours.qcow2')]).stdout)['backing-filename'], undefined);
});

test('resize, amend, measure, dd against real qemu-img', { skip }, async () => {
  const dir = tmpdir('interop-m');
  const img = path.join(dir, 'm.qcow2');
  ok(ours(['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096', img, '1M']), 'create');
  await ourWrite(img, '9', '10', String(1 << 20));
  ok(ours(['resize', img, '+600M']), 'grow');
  ok(real(['check', img]), 'check after grow (L1 growth)');
  assert.equal(JSON.parse(real(['info', '--output=json', img]).stdout)['virtual-size'], (1 << 20) + 600 * 1024 * 1024);
  assert.notEqual(ours(['resize', img, '1M']).status, 0, 'shrink needs --shrink');
  ok(ours(['resize', '--shrink', img, '1M']), 'shrink');
  ok(real(['check', img]), 'check after shrink');
  ok(ours(['amend', '-o', 'compat=0.10', img]), 'amend to v2');
  assert.equal(JSON.parse(real(['info', '--output=json', img]).stdout)['format-specific'].data.compat, '0.10');
  ok(real(['check', img]), 'check after amend v2');
  ok(ours(['amend', '-o', 'compat=1.1,lazy_refcounts=on', img]), 'amend to v3');
  assert.equal(JSON.parse(real(['info', '--output=json', img]).stdout)['format-specific'].data['lazy-refcounts'], true);
  for (const args of [['-O', 'qcow2', img], ['-O', 'qcow2', '-o', 'cluster_size=512,refcount_bits=1', img], ['-O', 'raw', img],
    ['-O', 'qcow2', '--size', '10G'], ['-O', 'qcow2', '-o', 'cluster_size=2M', '--size', '3T'], ['--output=json', '-O', 'qcow2', img]]) {
    assert.equal(ours(['measure', ...args]).stdout, real(['measure', ...args]).stdout, `measure ${args.join(' ')}`);
  }
  const d1 = path.join(dir, 'd1.raw'), d2 = path.join(dir, 'd2.raw');
  ok(ours(['dd', 'bs=4k', 'skip=3', 'count=50', `if=${img}`, `of=${d1}`]), 'our dd');
  ok(real(['dd', 'bs=4k', 'skip=3', 'count=50', `if=${img}`, `of=${d2}`]), 'real dd');
  assert.ok(fs.readFileSync(d1).equals(fs.readFileSync(d2)), 'dd output');
});

test('amend compat=0.10 with internal snapshots: zero clusters expanded in the active table and the snapshot', { skip }, () => {
  const dir = tmpdir('interop-sn');
  const img = path.join(dir, 's.qcow2');
  const make = (zeroBeforeSnapshot) => {
    ok(real(['create', '-q', '-f', 'qcow2', img, '4M']), 'create');
    ok(qemuIo(['-c', 'write -P 0x5a 0 2M', img]), 'write');
    if (zeroBeforeSnapshot) ok(qemuIo(['-c', 'write -z 64k 128k', img]), 'zero write');
    ok(real(['snapshot', '-c', 's1', img]), 'snapshot');
    ok(qemuIo(['-c', 'write -z 1M 256k', '-c', 'write -P 0x33 3M 64k', img]), 'writes after the snapshot');
  };
  const active = () => { const r = path.join(dir, 'a.raw'); ok(real(['convert', '-O', 'raw', img, r]), 'convert'); return fs.readFileSync(r); };
  const snap = () => { const r = path.join(dir, 'sn.raw'); ok(real(['convert', '-l', 's1', '-O', 'raw', img, r]), 'convert -l'); return fs.readFileSync(r); };
  make(false);
  const [a0, s0] = [active(), snap()];
  ok(ours(['amend', '-o', 'compat=0.10', img]), 'amend to v2 with a snapshot');
  assert.equal(JSON.parse(real(['info', '--output=json', img]).stdout)['format-specific'].data.compat, '0.10');
  ok(real(['check', img]), 'check after amend');
  assert.ok(active().equals(a0), 'active layer reads the same');
  assert.ok(snap().equals(s0), 'snapshot reads the same');
  fs.rmSync(img);
  make(true);
  const [a1, s1] = [active(), snap()];
  ok(ours(['amend', '-o', 'compat=0.10', img]), 'amend to v2 with zero clusters in a snapshot');
  assert.equal(JSON.parse(real(['info', '--output=json', img]).stdout)['format-specific'].data.compat, '0.10');
  ok(real(['check', img]), 'check after amend');
  assert.ok(active().equals(a1) && snap().equals(s1), 'both read the same');
});

test('create output, info text and check repair match qemu-img', { skip }, () => {
  const dir = tmpdir('interop-t');
  const a = path.join(dir, 'a.qcow2');
  for (const o of [[], ['-o', 'compat=0.10,cluster_size=4096,preallocation=metadata']]) {
    const r1 = ours(['create', '-f', 'qcow2', ...o, a, '1M']);
    const r2 = real(['create', '-f', 'qcow2', ...o, a, '1M']);
    assert.equal(r1.stdout.replace(/^Formatting/, ''), r2.stdout.replace(/^Formatting/, ''));
    const h1 = ours(['info', a]).stdout.replace(/disk size: .*\n/, '');
    const h2 = real(['info', a]).stdout.replace(/disk size: .*\n/, '');
    assert.equal(h1, h2);
  }
  const r = path.join(dir, 'r.raw');
  for (const o of [[], ['-o', 'preallocation=falloc']]) {
    const r1 = ours(['create', '-f', 'raw', ...o, r, '1M']);
    const r2 = real(['create', '-f', 'raw', ...o, r, '1M']);
    assert.equal(r1.stdout, r2.stdout, `raw create ${o.join(' ')}`);
  }
  // convert -c to a zstd target is refused before the target exists (we cannot write zstd).
  const z = path.join(dir, 'z.qcow2');
  const rz = ours(['convert', '-c', '-O', 'qcow2', '-o', 'compression_type=zstd', r, z]);
  assert.notEqual(rz.status, 0);
  assert.match(rz.stderr, /^tsqemu-img: Writing zstd-compressed clusters is not supported/);
  assert.equal(fs.existsSync(z), false, 'no half-written target left');
  // Leak a cluster by hand; both tools find it; our repair satisfies real check.
  ok(real(['create', '-q', '-f', 'qcow2', a, '1M']), 'create');
  ok(qemuIo(['-c', 'write -P 1 0 64k', a]), 'io');
  const fd = fs.openSync(a, 'r+');
  const len = fs.fstatSync(fd).size;
  fs.ftruncateSync(fd, len + 65536);
  fs.writeSync(fd, Buffer.from([0, 1]), 0, 2, 0x20000 + 2 * (len / 65536));
  fs.closeSync(fd);
  const rc = ours(['check', a]);
  assert.equal(rc.status, 3);
  assert.equal(rc.stdout, real(['check', a]).stdout);
  assert.equal(rc.stderr, real(['check', a]).stderr);
  ok(ours(['check', '-r', 'leaks', a]), 'repair leaks');
  ok(real(['check', a]), 'real check after our repair');
});

test('qcow2 with encrypt.format=luks both ways (LUKS internals: luks suite)', { skip }, () => {
  const dir = tmpdir('interop-e');
  const img = path.join(dir, 'e.qcow2');
  const sec = ['--object', 'secret,id=sec0,data=tsqemu-pass'];
  const io = ['--image-opts', `driver=qcow2,file.filename=${img},encrypt.key-secret=sec0`];
  ok(ours(['create', '-q', '-f', 'qcow2', ...sec, '-o', 'encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10', img, '4M']), 'our create');
  ok(real(['check', ...sec, ...io]), 'real check of our encrypted image');
  const pat = path.join(dir, 'pat.raw');
  const b = Buffer.alloc(4 << 20);
  for (let i = 0; i < b.length; i += 4096) b.fill((i >> 12) & 0xff, i, i + 2048);
  fs.writeFileSync(pat, b);
  ok(ours(['convert', '-n', ...sec, '-f', 'raw', pat, '--target-image-opts', io[1]]), 'our encrypted writes');
  ok(real(['check', ...sec, ...io]), 'real check after our writes');
  const back = path.join(dir, 'back.raw');
  ok(real(['convert', ...sec, ...io, '-O', 'raw', back]), 'real decrypts');
  assert.ok(fs.readFileSync(back).equals(b), 'real qemu-img reads what we encrypted');
  // Real qemu writes encrypted data; we read it.
  ok(qemuIo([...sec, ...io, '-c', 'write -P 0x5a 1M 300k']), 'real encrypted write');
  const mine = path.join(dir, 'mine.raw'), theirs = path.join(dir, 'theirs.raw');
  ok(ours(['convert', ...sec, ...io, '-O', 'raw', mine]), 'our decrypt');
  ok(real(['convert', ...sec, ...io, '-O', 'raw', theirs]), 'real decrypt');
  assert.ok(fs.readFileSync(mine).equals(fs.readFileSync(theirs)));
  // Add a keyslot with a new passphrase (amend); real qemu-img opens the image with it.
  ok(ours(['amend', ...sec, '--object', 'secret,id=sec1,data=second-pass', '-o',
    'encrypt.new-secret=sec1,encrypt.state=active,encrypt.keyslot=1,encrypt.iter-time=10', ...io]), 'our amend');
  const io1 = ['--image-opts', `driver=qcow2,file.filename=${img},encrypt.key-secret=sec1`];
  ok(real(['check', '--object', 'secret,id=sec1,data=second-pass', ...io1]), 'real opens with the new keyslot');
  const bad = ours(['convert', '--object', 'secret,id=sec0,data=wrong', ...io, '-O', 'raw', mine]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^tsqemu-img: Could not open .*Invalid password/);
});

test('lazy refcounts: a dirty image left by a crashed real qemu-io is repaired on open', { skip }, async () => {
  const dir = tmpdir('interop-l');
  const img = path.join(dir, 'l.qcow2');
  ok(real(['create', '-q', '-f', 'qcow2', '-o', 'lazy_refcounts=on', img, '8M']), 'create');
  qemuIo(['-c', 'write -P 3 0 1M', '-c', 'write -P 4 2M 300k', '-c', 'abort', img]); // simulated crash
  assert.equal(JSON.parse(real(['info', '--output=json', img]).stdout)['dirty-flag'], true);
  const rc = real(['check', img]).status;
  assert.equal(ours(['check', img]).status, rc, 'our check agrees on the dirty image');
  assert.notEqual(rc, 0, 'refcounts are stale before repair');
  await ourWrite(img, '11', '3', String(1 << 20));
  assert.equal(JSON.parse(real(['info', '--output=json', img]).stdout)['dirty-flag'], false);
  ok(real(['check', img]), 'real check after our repair-on-open');
  ok(qemuIo(['-r', '-c', 'read -P 4 2M 300k', img]), 'data written before the crash kept');
});

test('images with persistent bitmaps: checked clean; our writes keep them (stored at close, real check clean)', { skip }, async () => {
  const dir = tmpdir('interop-bm');
  const img = path.join(dir, 'bm.qcow2');
  ok(real(['create', '-q', '-f', 'qcow2', img, '8M']), 'create');
  ok(real(['bitmap', '--add', img, 'b0']), 'bitmap add');
  ok(real(['bitmap', '--add', '-g', '128k', '--disable', img, 'second']), 'bitmap add 2');
  ok(qemuIo(['-c', 'write 0 1M', '-c', 'write 5M 64k', img]), 'io with bitmap');
  const strip = (t) => t.replace(/.*"actual-size".*\n/, '');
  assert.equal(strip(ours(['info', '--output=json', img]).stdout), strip(real(['info', '--output=json', img]).stdout));
  assert.equal(ours(['check', img]).status, real(['check', img]).status);
  ok(ours(['check', img]), 'our check counts bitmap clusters');
  await ourWrite(img, '4', '5', String(8 << 20));
  const r = real(['check', img]);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /lacking bitmap support/);
  const bm = JSON.parse(real(['info', '--output=json', img]).stdout)['format-specific'].data.bitmaps;
  assert.deepEqual(bm.map((b) => [b.name, b.flags]), [['b0', ['auto']], ['second', []]]);
});

test('huge sparse images: map, convert and compare stay fast and agree with real qemu-img', { skip, timeout: 60000 }, () => {
  const dir = tmpdir('interop-h');
  const img = path.join(dir, 'huge.qcow2'), out = path.join(dir, 'out.qcow2');
  ok(real(['create', '-q', '-f', 'qcow2', img, '4T']), 'create');
  ok(qemuIo(['-c', 'write -P 1 1T 64k', '-c', 'write -P 2 3T 1M', img]), 'io');
  assert.equal(ours(['map', '--output=json', img]).stdout, real(['map', '--output=json', img]).stdout);
  ok(ours(['convert', '-O', 'qcow2', img, out]), 'convert');
  ok(real(['compare', img, out]), 'real compare');
  ok(ours(['compare', img, out]), 'our compare');
  ok(real(['check', out]), 'real check');
});
