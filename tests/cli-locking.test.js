// Image locking against real QEMU: tsqemu-system-riscv64 / tsqemu-img and qemu-system-riscv64 /
// qemu-img / qemu-io exclude each other both ways through the same OFD lock bytes, -U reads,
// read-only users share, file.locking=off opts out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, hasTool, tmpdir } from './system-helpers.js';

const IMG = path.join(ROOT, 'bin', 'tsqemu-img');
const skip = !hasTool('qemu-system-riscv64') || !hasTool('qemu-img') ? 'needs qemu-system-riscv64 and qemu-img' : false;
const dir = tmpdir();
const raw = path.join(dir, 'a.img');
const qcow = path.join(dir, 'b.qcow2');
if (!skip) {
  spawnSync('qemu-img', ['create', '-q', '-f', 'raw', raw, '1M']);
  spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow, '1M']);
}

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Whether any process holds an OFD lock on byte `off` of `file` (from /proc/locks). */
function lockedByte(file, off) {
  const ino = fs.statSync(file).ino;
  return fs.readFileSync('/proc/locks', 'utf8').split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1] === 'OFDLCK' && f[5]?.endsWith(`:${ino}`) && Number(f[6]) <= off && (f[7] === 'EOF' || Number(f[7]) >= off);
  });
}

/** Start a holder of `file` (paused guest) and wait until its lock on `byte` shows. */
async function hold(cmd, args, file, byte) {
  const p = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => p.on('close', r));
  for (let i = 0; i < 1200 && !lockedByte(file, byte); i++) { // up to 60 s: a start on a loaded host
    if (p.exitCode !== null) throw new Error(`holder exited: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(lockedByte(file, byte), `holder never locked byte ${byte}: ${err}`);
  return { stop: async () => { p.kill('SIGKILL'); await exited; } };
}

const paused = (drive) => ['-M', 'virt', '-S', '-display', 'none', '-nodefaults', '-bios', 'none', '-drive', drive];
const WRITE_LOCK = /Failed to get "write" lock\nIs another process using the image \[/;
const SHARED_WRITE_LOCK = /Failed to get shared "write" lock\nIs another process using the image \[/;

test('tsqemu-system holds a qcow2 read-write: real QEMU and both qemu-imgs are refused, -U reads', { skip, timeout: 60_000 }, async () => {
  const h = await hold(BIN, paused(`file=${qcow},format=qcow2,if=virtio`), qcow, 101);
  try {
    let r = sh('qemu-img', ['info', qcow]);
    assert.equal(r.code, 1);
    assert.match(r.err, SHARED_WRITE_LOCK);
    assert.equal(sh('qemu-img', ['info', '-U', qcow]).code, 0);
    r = sh('qemu-system-riscv64', paused(`file=${qcow},format=qcow2,if=virtio`));
    assert.equal(r.code, 1);
    assert.match(r.err, WRITE_LOCK);
    r = sh(BIN, paused(`file=${qcow},format=qcow2,if=virtio`));
    assert.equal(r.code, 1);
    assert.ok(r.err.startsWith(`tsqemu-system-riscv64: -drive file=${qcow},format=qcow2,if=virtio: Failed to get "write" lock\n`), r.err);
    r = sh(IMG, ['info', qcow]);
    assert.equal(r.code, 1);
    assert.match(r.err, SHARED_WRITE_LOCK);
    r = sh(IMG, ['info', '-U', qcow]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /file format: qcow2/);
    r = sh(IMG, ['info', '--force-share', qcow]);
    assert.equal(r.code, 0, r.err);
  } finally { await h.stop(); }
  assert.equal(sh('qemu-img', ['info', qcow]).code, 0, 'released when the holder exits');
});

test('real QEMU holds a raw image read-write: tsqemu is refused, file.locking=off opts out', { skip, timeout: 60_000 }, async () => {
  const h = await hold('qemu-system-riscv64', paused(`file=${raw},format=raw,if=virtio`), raw, 101);
  try {
    let r = sh(BIN, paused(`file=${raw},format=raw,if=virtio`));
    assert.equal(r.code, 1);
    assert.match(r.err, WRITE_LOCK);
    r = sh(BIN, paused(`file=${raw},format=raw,if=virtio,readonly=on`));
    assert.equal(r.code, 1);
    assert.match(r.err, SHARED_WRITE_LOCK);
    r = sh(IMG, ['resize', '-f', 'raw', raw, '2M']);
    assert.equal(r.code, 1);
    assert.match(r.err, WRITE_LOCK);
    r = sh(IMG, ['create', '-f', 'raw', raw, '1M']);
    assert.equal(r.code, 1);
    assert.match(r.err, WRITE_LOCK);
    // qemu-img info of a raw image shares everything (no metadata to protect): both read it.
    assert.equal(sh(IMG, ['info', raw]).code, 0);
    assert.equal(sh('qemu-img', ['info', raw]).code, 0);
    const off = spawnSync(BIN, ['-M', 'virt', '-display', 'none', '-nodefaults', '-bios', 'none', '-drive', `file=${raw},format=raw,if=virtio,file.locking=off`,
      '-M', 'virt,dumpdtb=' + path.join(dir, 'x.dtb')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(off.status, 0, off.stderr);
  } finally { await h.stop(); }
});

test('tsqemu-img vs qemu-img / qemu-io, both directions', { skip: skip || (!hasTool('qemu-io') && 'needs qemu-io'), timeout: 60_000 }, async () => {
  // qemu-io keeps the image open (read-write) while its stdin is open. On qcow2 both sides
  // unshare writes (on raw a qemu-img user shares everything, as QEMU's).
  let h = await hold('qemu-io', ['-f', 'qcow2', qcow], qcow, 101);
  try {
    const r = sh(IMG, ['resize', '-f', 'qcow2', qcow, '2M']);
    assert.equal(r.code, 1);
    assert.match(r.err, WRITE_LOCK);
    assert.equal(sh(IMG, ['info', '-U', '-f', 'qcow2', qcow]).code, 0);
  } finally { await h.stop(); }
  // tsqemu-img bench writes for a while, holding the write lock.
  h = await hold(IMG, ['bench', '-w', '-c', '100000000', '-f', 'qcow2', qcow], qcow, 101);
  try {
    let r = sh('qemu-img', ['resize', '-f', 'qcow2', qcow, '2M']);
    assert.equal(r.code, 1);
    assert.match(r.err, WRITE_LOCK);
    r = sh('qemu-img', ['info', qcow]);
    assert.equal(r.code, 1);
    assert.match(r.err, SHARED_WRITE_LOCK);
    assert.equal(sh('qemu-img', ['info', '-U', qcow]).code, 0);
  } finally { await h.stop(); }
  // A writer killed mid-allocation may leak clusters (refcount raised before the L2 entry
  // points at it; QEMU's order too): qemu-img check exits 3 for leaks only, 2 for corruption.
  const c = sh('qemu-img', ['check', qcow]);
  assert.ok(c.code === 0 || (c.code === 3 && !/ERROR/.test(c.out + c.err)), `released when the holder exits: ${c.code} ${c.out}${c.err}`);
});

test('read-only users share: tsqemu and real QEMU both open readonly=on', { skip, timeout: 60_000 }, async () => {
  const h1 = await hold(BIN, paused(`file=${qcow},format=qcow2,if=virtio,readonly=on`), qcow, 100);
  const h2 = await hold('qemu-system-riscv64', paused(`file=${qcow},format=qcow2,if=virtio,readonly=on`), qcow, 100);
  try {
    const h3 = await hold(BIN, paused(`file=${qcow},format=qcow2,if=virtio,readonly=on`), qcow, 100);
    await h3.stop();
    // A writer is refused while they read.
    const r = sh('qemu-img', ['resize', qcow, '2M']);
    assert.equal(r.code, 1);
    assert.match(r.err, WRITE_LOCK);
  } finally { await h1.stop(); await h2.stop(); }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
