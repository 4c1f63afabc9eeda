// qcow2 extended L2 entries (subclusters, `-o extended_l2=on`) against real qemu-img/qemu-io 7.2:
// writes through openDrive (the path virtio-blk uses) checked by real check/compare, real
// qemu-io writes read by ours, and create/info/map/measure/resize/convert/amend compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDrive } from '../dist/host/node/block.js';
import { applyToRaw, haveQemuImg, haveQemuIo, ours, prng, randomBytes, real, qemuIo, tmpdir } from './img-helpers.js';

const skip = !haveQemuImg() || !haveQemuIo();
const norm = (s) => s.replace(/^(ts)?qemu-img: /gm, 'PROG: ');
const ok = (r, what) => assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
const noInfoLines = (s) => s.replace(/^(disk size|image|Image end offset|.*fragmented.*):.*$/gm, '');

/** Small requests around subcluster edges: unaligned writes, zero writes (some unmapping),
 * discards, whole clusters, spans over cluster ends. */
function subclusterOps(seed, size, cs, count) {
  const rand = prng(seed);
  const sc = cs / 32;
  const ops = [];
  for (let i = 0; i < count; i++) {
    const kind = rand() % 10;
    const base = (rand() % (size / sc)) * sc;
    const off = Math.min(size - 1, base + (rand() % 3 === 0 ? rand() % sc : 0));
    const len = Math.max(1, Math.min(size - off, kind === 9 ? cs * (1 + rand() % 3) : 1 + (rand() % (3 * sc))));
    if (kind < 2) ops.push({ off, len, zero: true, unmap: kind === 1 });
    else if (kind === 2) ops.push({ off: Math.floor(off / cs) * cs, len: cs, discard: true });
    else ops.push({ off, data: randomBytes(rand, len) });
  }
  return ops;
}

async function applyOurs(img, ops, mirror) {
  const blk = await openDrive(new Map([['file', img], ['format', 'qcow2'], ['cache', 'writeback'], ['discard', 'unmap']]));
  for (const op of ops) {
    if (op.discard) {
      await blk.pdiscard(op.off, op.len);
      // What a discard leaves: zeroes (v3, as QEMU's qcow2_cluster_discard without full discard).
      mirror.push({ off: op.off, len: op.len, zero: true });
    } else if (op.zero) { await blk.pwriteZeroes(op.off, op.len, op.unmap); mirror.push(op); } else { await blk.pwrite(op.off, op.data); mirror.push(op); }
  }
  await blk.close();
}

test('extended L2: our writes (openDrive, with and without backing) pass real check and compare', { skip }, async () => {
  const d = tmpdir('subcl');
  for (const [cs, backing] of [[65536, false], [16384, true]]) {
    const size = 24 * cs + 3 * 1024; // not a multiple of the cluster size
    const img = path.join(d, `w${cs}${backing}.qcow2`), raw = path.join(d, `w${cs}${backing}.raw`);
    const base = path.join(d, `base${cs}.raw`);
    fs.writeFileSync(raw, Buffer.alloc(size));
    const opts = [`extended_l2=on,cluster_size=${cs}`];
    if (backing) {
      const b = Buffer.alloc(size, 0xa5);
      fs.writeFileSync(base, b);
      fs.writeFileSync(raw, b);
      opts.push('-b', base, '-F', 'raw');
    }
    ok(ours(['create', '-q', '-f', 'qcow2', '-o', opts[0], ...opts.slice(1), img, String(size)]), 'create');
    const mirror = [];
    await applyOurs(img, subclusterOps(cs + (backing ? 1 : 0), size, cs, 60), mirror);
    // Our snapshot, then more writes: copy on write of clusters shared with it.
    ok(ours(['snapshot', '-c', 'snap1', img]), 'snapshot');
    await applyOurs(img, subclusterOps(cs + 7, size, cs, 40), mirror);
    applyToRaw(raw, size, mirror);
    const chk = real(['check', img]);
    assert.equal(chk.status, 0, `real check ${cs} ${backing}: ${chk.stdout}${chk.stderr}`);
    ok(real(['compare', '-f', 'qcow2', '-F', 'raw', img, raw]), `real compare ${cs} ${backing}`);
    // Real qemu-io reads a few ranges by pattern through its own subcluster code.
    const ref = fs.readFileSync(raw);
    for (const off of [0, cs - 512, 5 * cs + 1024]) {
      const v = ref[off];
      if (ref.subarray(off, off + 512).every((x) => x === v)) ok(qemuIo(['-f', 'qcow2', '-c', `read -P ${v} ${off} 512`, img]), `qemu-io read ${off}`);
    }
    // Ours and real agree on the map (every subcluster run) and on info.
    for (const args of [['map', '--output=json', img], ['check', img]]) {
      const a = real(args), b = ours(args);
      assert.equal(noInfoLines(b.stdout), noInfoLines(a.stdout), args.join(' '));
    }
  }
});

test('extended L2: real qemu-io writes read by ours (compare, check, map, convert both ways)', { skip }, () => {
  const d = tmpdir('subclr');
  const size = 2 * 1024 * 1024;
  const base = path.join(d, 'base.raw'), img = path.join(d, 'a.qcow2'), raw = path.join(d, 'a.raw');
  fs.writeFileSync(base, Buffer.alloc(size, 0x5a));
  fs.writeFileSync(raw, Buffer.alloc(size, 0x5a));
  ok(real(['create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on', '-b', base, '-F', 'raw', img]), 'real create');
  const rand = prng(271);
  const cmds = [], mirror = [];
  for (let i = 0; i < 40; i++) {
    const off = (rand() % (size / 512 - 200)) * 512, len = 512 * (1 + rand() % 100), pat = 1 + (rand() % 250);
    if (i % 5 === 4) { cmds.push(`write -z ${off} ${len}`); mirror.push({ off, len, zero: true }); } else {
      cmds.push(`write -P ${pat} ${off} ${len}`); mirror.push({ off, data: Buffer.alloc(len, pat) });
    }
  }
  cmds.push('write -c -P 7 1048576 65536'); mirror.push({ off: 1048576, data: Buffer.alloc(65536, 7) });
  ok(qemuIo(['-f', 'qcow2', ...cmds.flatMap((c) => ['-c', c]), img]), 'qemu-io');
  applyToRaw(raw, size, mirror);
  ok(ours(['compare', '-f', 'qcow2', '-F', 'raw', img, raw]), 'our compare');
  for (const args of [['check', img], ['map', '--output=json', img], ['map', img], ['info', '--output=json', img]]) {
    const a = real(args), b = ours(args);
    assert.equal(noInfoLines(b.stdout).replace(/"actual-size": \d+/, ''), noInfoLines(a.stdout).replace(/"actual-size": \d+/, ''), args.join(' '));
    assert.equal(b.status, a.status, args.join(' '));
  }
  // convert: ours from it to raw and to a new extended-L2 image; real reads both.
  const out = path.join(d, 'out.raw'), ext = path.join(d, 'ext.qcow2');
  ok(ours(['convert', '-O', 'raw', img, out]), 'convert to raw');
  assert.ok(fs.readFileSync(out).equals(fs.readFileSync(raw)), 'converted raw differs');
  ok(ours(['convert', '-O', 'qcow2', '-o', 'extended_l2=on,cluster_size=32k', img, ext]), 'convert to ext');
  ok(real(['check', ext]), 'real check of converted');
  ok(real(['compare', ext, raw]), 'real compare of converted');
  assert.match(real(['info', ext]).stdout, /extended l2: true/);
});

test('extended L2: create, measure, resize, amend and error texts as qemu-img', { skip }, () => {
  const d = tmpdir('subclc');
  const both = (args) => [real(args, { cwd: d }), ours(args, { cwd: d })].map((r) => ({ ...r, stderr: norm(r.stderr) }));
  for (const args of [
    ['measure', '--size', '512M', '-O', 'qcow2', '-o', 'extended_l2=on'],
    ['measure', '--size', '1M', '-O', 'qcow2', '-o', 'cluster_size=8k,extended_l2=on'],
    ['measure', '--size', '1025T', '-O', 'qcow2', '-o', 'extended_l2=on'],
    ['create', '-f', 'qcow2', '-o', 'extended_l2=on,cluster_size=8k', 'x.qcow2', '1M'],
    ['create', '-f', 'qcow2', '-o', 'extended_l2=on,compat=0.10', 'x.qcow2', '1M'],
  ]) {
    const [a, b] = both(args);
    assert.equal(b.stdout, a.stdout, args.join(' '));
    assert.equal(b.stderr, a.stderr, args.join(' '));
    assert.equal(b.status, a.status, args.join(' '));
  }
  // resize (grow over a longer backing file: the new area reads zeroes; shrink and regrow).
  const base = path.join(d, 'base.raw');
  fs.writeFileSync(base, Buffer.alloc(1 << 20, 0xff));
  for (const pre of ['metadata', 'falloc']) {
    const img = path.join(d, `r-${pre}.qcow2`);
    ok(ours(['create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on', '-b', base, '-F', 'raw', img, '503k']), 'create');
    ok(ours(['resize', `--preallocation=${pre}`, img, '1013k']), `resize ${pre}`);
    ok(qemuIo(['-c', 'read -P 0xff 0 503k', '-c', 'read -P 0 503k 510k', img]), `read after resize ${pre}`);
    ok(real(['check', img]), `check ${pre}`);
    const [a, b] = both(['map', '--output=json', img]);
    assert.equal(b.stdout, a.stdout, `map ${pre}`);
  }
  const img = path.join(d, 's.qcow2');
  ok(ours(['create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on', '-b', base, '-F', 'raw', img, '1M']), 'create');
  ok(qemuIo(['-c', 'write -P 1 0 128k', img]), 'write');
  ok(ours(['resize', '--shrink', img, '64k']), 'shrink');
  ok(ours(['resize', img, '1M']), 'regrow');
  ok(qemuIo(['-c', 'read -P 1 0 64k', '-c', 'read -P 0 64k 960k', img]), 'read after regrow');
  ok(real(['check', img]), 'check after regrow');
  for (const o of ['extended_l2=off', 'compat=0.10']) {
    const [a, b] = both(['amend', '-o', o, img]);
    // QEMU 10.2 prefixes the driver's amend errors ("Error while amending options: "), 7.2 not.
    assert.equal(b.stderr.replace('Error while amending options: ', ''), a.stderr, `amend ${o}`);
    assert.equal(b.status, a.status, `amend ${o}`);
  }
});
