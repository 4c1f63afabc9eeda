// tsqemu-img writes its output with writeSync on descriptors 1 and 2 (src/cli/img-main.ts: no
// net.Socket for a pipe, ~25 ms less CPU a run); a descriptor that cannot take the text (a full
// non-blocking pipe: EAGAIN) hands it, and all later text, to Node's stream, in order. Output
// larger than a pipe's buffer arrives whole and in order either way, as qemu-img's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { haveQemuImg, real, TSQEMU_IMG, tmpdir, fs, path } from './img-helpers.js';

const KiB = 1024;

/** A sparse raw file with 4 KiB of data every 128 KiB: thousands of map extents (~0.5 MB of JSON). */
function manyExtents(dir) {
  const img = path.join(dir, 'many.raw');
  const fd = fs.openSync(img, 'w');
  try {
    fs.ftruncateSync(fd, 320 << 20);
    const data = Buffer.alloc(4 * KiB, 0x61);
    for (let off = 0; off < 320 << 20; off += 128 * KiB) fs.writeSync(fd, data, 0, data.length, off);
  } finally { fs.closeSync(fd); }
  return img;
}

const noPython = spawnSync('python3', ['-c', 'import os']).status === 0 ? false : 'python3 missing';

test('map output larger than a pipe arrives whole, through blocking and non-blocking pipes', { skip: (haveQemuImg() ? false : 'qemu-img not installed') || noPython }, () => {
  const dir = tmpdir('img-output');
  try {
    const img = manyExtents(dir);
    const want = real(['map', '--output=json', img]);
    assert.equal(want.status, 0, want.stderr);
    assert.ok(want.stdout.length > 256 * KiB, `${want.stdout.length} bytes of map`);
    const viaPipe = spawnSync(TSQEMU_IMG, ['map', '--output=json', img], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(viaPipe.status, 0, viaPipe.stderr);
    assert.equal(viaPipe.stdout, want.stdout);
    // A non-blocking pipe read only after a pause: writeSync meets EAGAIN once the pipe is full.
    const py = [
      'import os, subprocess, sys, time',
      'r, w = os.pipe()',
      'os.set_blocking(w, False)',
      'p = subprocess.Popen(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)',
      'os.close(w)',
      'time.sleep(0.5)',
      'out = b""',
      'while True:',
      '    b = os.read(r, 65536)',
      '    if not b: break',
      '    out += b',
      'err = p.stderr.read()',
      'sys.stdout.buffer.write(out)',
      'sys.stderr.buffer.write(err)',
      'sys.exit(p.wait())',
    ].join('\n');
    const nb = spawnSync('python3', ['-c', py, TSQEMU_IMG, 'map', '--output=json', img], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(nb.status, 0, nb.stderr);
    assert.equal(nb.stdout, want.stdout);
    const err = spawnSync('python3', ['-c', py, TSQEMU_IMG, 'info', path.join(dir, 'none.qcow2')], { encoding: 'utf8' });
    assert.equal(err.status, 1);
    assert.match(err.stderr, /^tsqemu-img: Could not open '.*none\.qcow2': No such file or directory\n$/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a reader that goes away early (`map | head`): exit status and stderr as qemu-img, no crash', { skip: (haveQemuImg() ? false : 'qemu-img not installed') }, () => {
  const dir = tmpdir('img-output');
  try {
    const img = manyExtents(dir);
    // bash's pipeline: head reads 10 bytes and exits; the writer meets EPIPE on a blocking pipe
    // (SIGPIPE is ignored by Node, and by qemu-img itself).
    const status = (bin) => {
      const r = spawnSync('bash', ['-c', '"$0" map --output=json "$1" 2>"$2" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"', bin, img, path.join(dir, 'err')], { encoding: 'utf8' });
      return { status: r.stdout.trim(), stderr: fs.readFileSync(path.join(dir, 'err'), 'utf8') };
    };
    const q = status('qemu-img');
    const t = status(TSQEMU_IMG);
    assert.equal(t.stderr, q.stderr, 'stderr');
    assert.equal(t.status, q.status, 'exit status');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
