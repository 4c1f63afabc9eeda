// tsqemu-img's messages and exit codes for bad command lines and bad -o options, line by
// line against real qemu-img (program name aside).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fs, haveQemuImg, ours, path, real, tmpdir } from './img-helpers.js';

const skip = !haveQemuImg() ? 'qemu-img not installed' : false;
const norm = (s) => s.replaceAll('tsqemu-img', 'qemu-img');

test('create errors and output match qemu-img', { skip }, async (t) => {
  const dir = tmpdir('cli');
  const img = path.join(dir, 'h.qcow2');
  const cases = [
    ['-f', 'qcow2', img, '1E'],
    ['-f', 'qcow2', '-o', 'cluster_size=1000', img, '1M'],
    ['-f', 'qcow2', '-o', 'refcount_bits=3', img, '1M'],
    ['-f', 'qcow2', '-o', 'compat=0.10,refcount_bits=8', img, '1M'],
    ['-f', 'qcow2', '-o', 'compat=0.10,lazy_refcounts=on', img, '1M'],
    ['-f', 'qcow2', '-o', 'compat=0.9', img, '1M'],
    ['-f', 'qcow2', '-o', 'preallocation=foo', img, '1M'],
    ['-f', 'qcow2', img, '12Q'],
    ['-f', 'qcow2', img],
    ['-f', 'qcow2', '-o', 'foo=bar', img, '1M'],
    ['-f', 'qcow2', '-b', 'nonexistent.qcow2', '-F', 'qcow2', img],
    ['-f', 'qcow2', '-o', 'cluster_size=4096,refcount_bits=64,lazy_refcounts=on', img, '3G'],
    ['-f', 'raw', img, '1M'],
    ['-f', 'raw', '-o', 'help'],
  ];
  for (const args of cases) {
    await t.test(args.join(' '), () => {
      fs.rmSync(img, { force: true });
      const a = ours(['create', ...args]);
      fs.rmSync(img, { force: true });
      const b = real(['create', ...args]);
      assert.equal(a.status === 0, b.status === 0, `status ${a.status} vs ${b.status}`);
      assert.equal(norm(a.stdout), b.stdout);
      assert.equal(norm(a.stderr), b.stderr);
    });
  }
});

test('commands on missing or non-image files fail like qemu-img', { skip }, async (t) => {
  const dir = tmpdir('cli');
  const missing = path.join(dir, 'missing.qcow2');
  const text = path.join(dir, 'text.qcow2');
  fs.writeFileSync(text, 'QFI\xfb not really');
  for (const args of [['info', missing], ['check', missing], ['map', missing], ['snapshot', '-l', missing],
    ['info', '-f', 'qcow2', text], ['check', '-f', 'raw', text], ['info', '--output=xml', missing]]) {
    await t.test(args.join(' '), () => {
      const a = ours(args), b = real(args);
      assert.equal(a.status, b.status, `${a.stderr} / ${b.stderr}`);
      assert.equal(norm(a.stderr).split('\n')[0].split(':').slice(0, 2).join(':'), b.stderr.split('\n')[0].split(':').slice(0, 2).join(':'));
    });
  }
});
