// qcow2 persistent dirty bitmaps (qemu-iotests 190, qemu-img-bitmaps): `tsqemu-img bitmap`,
// `convert --bitmaps`, `measure`'s bitmaps size, and bitmaps of images real qemu-img made
// surviving our writes. Every result is compared with real qemu-img 7.2: info --output=json,
// check, and the bitmaps' contents as real qemu-nbd exports them (qemu-img map x-dirty-bitmap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { haveQemuImg, haveQemuIo, ours, real, qemuIo, tmpdir } from './img-helpers.js';

const haveNbd = spawnSync('qemu-nbd', ['--version']).status === 0;
const skip = !haveQemuImg() || !haveQemuIo() || !haveNbd;
const norm = (s) => s.replace(/^(ts)?qemu-img: /gm, 'PROG: ').replace(/#block\d+/g, 'NODE');
const ok = (r, what) => assert.equal(r.status, 0, `${what}: ${r.stderr}`);

/** Each bitmap's dirty ranges, read through real qemu-nbd (one server for all of them). */
async function dirtyRanges(img, names) {
  const sock = path.join(path.dirname(img), `nbd-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  const nbd = spawn('qemu-nbd', ['-t', '-r', '-f', 'qcow2', ...names.flatMap((n) => ['-B', n]), '-k', sock, img], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    const out = {};
    for (const n of names) {
      const r = real(['map', '--output=json', '--image-opts', `driver=nbd,server.type=unix,server.path=${sock},x-dirty-bitmap=qemu:dirty-bitmap:${n}`]);
      ok(r, `map ${n}`);
      out[n] = JSON.parse(r.stdout).filter((e) => !e.data).map((e) => [e.start, e.length]);
    }
    return out;
  } finally {
    nbd.kill();
  }
}
const bitmapsOf = (img) => {
  const r = real(['info', '--output=json', img]);
  ok(r, 'info');
  return JSON.parse(r.stdout)['format-specific'].data.bitmaps ?? [];
};

test('bitmap subcommand on an image qemu-img made: same bitmaps, flags and contents as qemu-img; check clean', { skip }, async () => {
  const d = tmpdir('bitmap');
  const base = path.join(d, 'a.qcow2');
  ok(real(['create', '-f', 'qcow2', base, '10M']), 'create');
  for (const a of [['--add', 'b0'], ['--add', '-g', '512k', 'b1'], ['--add', '--disable', 'b2']]) ok(real(['bitmap', ...a.slice(0, -1), base, a.at(-1)]), a.join(' '));
  ok(qemuIo(['-c', 'w 3M 1M', base]), 'qemu-io');
  fs.writeFileSync(path.join(d, 'data.raw'), Buffer.alloc(65536 * 3, 0x5a));
  const steps = [
    ['bitmap', '--add', '-g', '128k', 'IMG', 'b3'],
    ['convert', '-n', '-f', 'raw', '-O', 'qcow2', path.join(d, 'data.raw'), 'IMG'], // 0..192k written: b0, b1, b3 dirty
    ['bitmap', '--clear', 'IMG', 'b1'],
    ['bitmap', '--enable', 'IMG', 'b2'],
    ['bitmap', '--disable', 'IMG', 'b0'],
    ['resize', 'IMG', '12M'],
    ['bitmap', '--add', '--merge', 'b0', 'IMG', 'b4'],
    ['bitmap', '--merge', 'b3', 'IMG', 'b2'],
    ['bitmap', '--remove', 'IMG', 'b1'],
  ];
  const imgs = [real, ours].map((fn, i) => {
    const img = path.join(d, `${i ? 'ours' : 'real'}.qcow2`);
    fs.copyFileSync(base, img);
    for (const s of steps) ok(fn(s.map((x) => (x === 'IMG' ? img : x))), `${i ? 'ours' : 'real'} ${s.join(' ')}`);
    return img;
  });
  // Data written by real qemu-io into the image we changed still lands in the enabled bitmaps.
  for (const img of imgs) ok(qemuIo(['-c', 'w 9M 64k', img]), 'qemu-io');
  const [r, o] = imgs.map(bitmapsOf);
  assert.deepEqual(o, r);
  assert.deepEqual(o.map((b) => b.name), ['b0', 'b2', 'b3', 'b4']);
  const chk = real(['check', imgs[1]]);
  assert.equal(chk.status, 0, chk.stdout + chk.stderr);
  const names = r.map((b) => b.name);
  const [cr, co] = [await dirtyRanges(imgs[0], names), await dirtyRanges(imgs[1], names)];
  assert.deepEqual(co, cr);
  assert.deepEqual(co.b3, [[0, 4 * 65536], [9 * 1048576, 131072]]);
});

test('bitmap: errors as qemu-img (argument checks, missing/duplicate names, v2, raw, granularity, sizes)', { skip }, () => {
  const d = tmpdir('bitmap');
  const q = path.join(d, 'q.qcow2'), v2 = path.join(d, 'v2.qcow2'), raw = path.join(d, 'r.raw'), big = path.join(d, 'big.qcow2');
  ok(real(['create', '-f', 'qcow2', q, '1M']), 'create');
  ok(real(['create', '-f', 'qcow2', '-o', 'compat=0.10', v2, '1M']), 'create');
  ok(real(['create', '-f', 'raw', raw, '1M']), 'create');
  ok(real(['create', '-f', 'qcow2', big, '2M']), 'create');
  ok(real(['bitmap', '--add', q, 'b0']), 'add');
  ok(real(['bitmap', '--add', big, 'b0']), 'add');
  for (const args of [
    ['bitmap', q, 'b0'],
    ['bitmap', '-g', '64k', '--clear', q, 'b0'],
    ['bitmap', '-F', 'qcow2', '--add', q, 'b1'],
    ['bitmap', '-b', q, '--add', q, 'b1'],
    ['bitmap', '--add', q],
    ['bitmap', '--add', q, 'b0'],
    ['bitmap', '--remove', q, 'nope'],
    ['bitmap', '--clear', q, 'nope'],
    ['bitmap', '--add', '-g', '100', q, 'b1'],
    ['bitmap', '--add', '-g', '4G', q, 'b1'],
    ['bitmap', '--add', v2, 'b1'],
    ['bitmap', '--add', '-f', 'raw', raw, 'b1'],
    ['bitmap', '--remove', '-f', 'raw', raw, 'b1'],
    ['bitmap', '--merge', 'b0', '-b', big, '-F', 'qcow2', q, 'b0'],
    ['bitmap', '--merge', 'nope', q, 'b0'],
  ]) {
    const [a, b] = [real(args), ours(args)].map((x) => ({ status: x.status, err: norm(x.stderr) }));
    assert.deepEqual(b, a, args.join(' '));
  }
  assert.deepEqual(bitmapsOf(q).map((b) => b.name), ['b0']);
  assert.equal(real(['check', q]).status, 0);
});

test('convert --bitmaps (and --skip-broken-bitmaps) and measure\'s bitmaps size as qemu-img', { skip }, async () => {
  const d = tmpdir('bitmap');
  const src = path.join(d, 's.qcow2');
  ok(real(['create', '-f', 'qcow2', src, '4M']), 'create');
  ok(real(['bitmap', '--add', '-g', '512k', src, 'b1']), 'add');
  ok(real(['bitmap', '--add', '--disable', src, 'b2']), 'add');
  ok(qemuIo(['-c', 'w 1M 64k', src]), 'qemu-io');
  const outs = [real, ours].map((fn, i) => {
    const out = path.join(d, `o${i}.qcow2`);
    ok(fn(['convert', '--bitmaps', '-O', 'qcow2', src, out]), 'convert --bitmaps');
    return out;
  });
  assert.deepEqual(bitmapsOf(outs[1]), bitmapsOf(outs[0]));
  assert.equal(real(['check', outs[1]]).status, 0);
  assert.deepEqual(await dirtyRanges(outs[1], ['b1', 'b2']), await dirtyRanges(outs[0], ['b1', 'b2']));
  // An inconsistent bitmap (its writer killed): refused, or skipped with a warning.
  qemuIo(['-c', 'abort', src]); // killed by SIGABRT: its bitmaps stay IN_USE
  assert.deepEqual(bitmapsOf(src).map((b) => b.flags.includes('in-use')), [true, true]);
  for (const args of [
    ['convert', '--bitmaps', '-O', 'qcow2', src, path.join(d, 'x.qcow2')],
    ['convert', '--bitmaps', '-O', 'raw', path.join(d, 'o0.qcow2'), path.join(d, 'x.raw')],
    ['convert', '--skip-broken-bitmaps', '-O', 'qcow2', src, path.join(d, 'x.qcow2')],
    ['convert', '--bitmaps', '--skip-broken-bitmaps', '-O', 'qcow2', src, path.join(d, 'x.qcow2')],
    ['measure', '-O', 'qcow2', '-f', 'qcow2', path.join(d, 'o0.qcow2')],
    ['measure', '--output=json', '-O', 'qcow2', '-o', 'cluster_size=2M', '-f', 'qcow2', path.join(d, 'o0.qcow2')],
    ['measure', '-O', 'qcow2', '-o', 'compat=0.10', '-f', 'qcow2', path.join(d, 'o0.qcow2')],
  ]) {
    const [a, b] = [real(args), ours(args)].map((x) => ({ status: x.status, out: x.stdout, err: norm(x.stderr) }));
    assert.deepEqual(b, a, args.join(' '));
    if (args.includes('--skip-broken-bitmaps') && a.status === 0) assert.deepEqual(bitmapsOf(path.join(d, 'x.qcow2')), []);
  }
});
