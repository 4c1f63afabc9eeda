// The chardev back ends besides sockets: pty (-serial pty, -chardev pty[,path=]), pipe (PATH.in +
// PATH.out, or one FIFO), stdio, file, null, ringbuf (ringbuf-read/-write), logfile= and mux=on.
// The default guest's shell is reached through a host pty; query-chardev, the ringbuf
// conversation and the option errors are compared with real qemu-system-riscv64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, hasTool, tmpdir } from './system-helpers.js';
import { QmpClient, startEmu, rmrf } from './qmp-helpers.js';
import { loadUserSys } from '../dist/host/node/user-sys.js';

const QEMU = 'qemu-system-riscv64';
const haveQemu = hasTool(QEMU);
const havePty = typeof loadUserSys()?.openPty === 'function';

/** A reader/writer on a pty slave: expect-style. */
class PtyPeer {
  constructor(p) {
    this.fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    this.s = new tty.ReadStream(this.fd);
    this.buf = '';
    this.s.on('data', (d) => { this.buf += d; });
    this.s.on('error', () => {});
  }
  write(text) { fs.writeSync(this.fd, text); }
  /** Type `cmd` until `re` appears in what comes back (the guest may not be at its shell yet). */
  async until(cmd, re, timeoutMs = 90_000) {
    const t0 = Date.now();
    const from = this.buf.length;
    for (;;) {
      this.write(cmd);
      for (let i = 0; i < 20; i++) {
        const m = re.exec(this.buf.slice(from));
        if (m) return m;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${re}; got ${JSON.stringify(this.buf.slice(-500))}`);
    }
  }
  close() { this.s.destroy(); }
}

async function waitOut(r, re, what, timeoutMs = 60_000) {
  const t0 = Date.now();
  while (!re.test(r.out)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${what}; stdout ${r.out} stderr ${r.err}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  return re.exec(r.out);
}

test('the default guest on -chardev pty: shell reached, query-chardev/info chardev name the pty, logfile, reconnect', { skip: !havePty && 'tsqemu_sys addon without openPty', timeout: 180_000 }, async () => {
  const dir = tmpdir();
  const qsock = path.join(dir, 'qmp.sock');
  const log = path.join(dir, 'serial.log');
  const link = path.join(dir, 'console');
  const r = startEmu(BIN, ['-M', 'virt', '-m', '256M', '-display', 'none', '-monitor', 'none',
    '-chardev', `pty,id=con,path=${link},logfile=${log}`, '-serial', 'chardev:con',
    '-qmp', `unix:${qsock},server=on,wait=off`]);
  try {
    const m = await waitOut(r, /char device redirected to (\/dev\/pts\/\d+) \(label con\)\n/, 'the pty line');
    const pts = m[1];
    assert.equal(fs.readlinkSync(link), pts, 'path= is a symlink to the slave');
    const peer = new PtyPeer(link);
    await peer.until('echo @@$((6*7))@@\n', /@@42@@/);
    const q = await QmpClient.connect(qsock);
    await q.greeting();
    await q.cmd('qmp_capabilities');
    const chardevs = (await q.cmd('query-chardev')).return;
    assert.deepEqual(chardevs.find((c) => c.label === 'con'), { 'frontend-open': true, filename: `pty:${pts}`, label: 'con' });
    const info = (await q.cmd('human-monitor-command', { 'command-line': 'info chardev' })).return;
    assert.match(info, new RegExp(`^con: filename=pty:${pts}\\r?$`, 'm'));
    // The reader leaves and another comes: the pty is polled again and the console works.
    peer.close();
    await new Promise((res) => setTimeout(res, 300));
    const peer2 = new PtyPeer(pts);
    await peer2.until('echo @@$((7*8))@@\n', /@@56@@/, 30_000);
    peer2.close();
    // logfile= got what the guest wrote.
    assert.match(fs.readFileSync(log, 'utf8'), /@@42@@[\s\S]*@@56@@/);
    await q.cmd('quit');
    assert.equal((await r.exit).code, 0);
    assert.ok(!fs.existsSync(link), 'the symlink is removed at exit');
  } finally {
    r.p.kill('SIGKILL');
    rmrf(dir);
  }
});

/** Run one QMP conversation against an emulator on -machine none with these chardevs. */
async function conversation(bin, dir, extra) {
  const qsock = path.join(dir, "qmp.sock");
  const r = startEmu(bin, ['-machine', 'none', '-display', 'none', '-nodefaults', ...extra, '-qmp', `unix:${qsock},server=on,wait=off`]);
  try {
    const q = await QmpClient.connect(qsock);
    await q.greeting();
    await q.cmd('qmp_capabilities');
    const replies = [];
    const norm = (v) => JSON.parse(JSON.stringify(v).replace(/\/dev\/pts\/\d+/g, '/dev/pts/N'));
    const chardevs = (await q.cmd('query-chardev')).return.sort((a, b) => a.label.localeCompare(b.label));
    replies.push(norm(chardevs));
    for (const [cmd, args] of [
      ['ringbuf-write', { device: 'rb', data: 'hello' }],
      ['ringbuf-read', { device: 'rb', size: 3 }],
      ['ringbuf-read', { device: 'rb', size: 30 }],
      ['ringbuf-read', { device: 'rb', size: 30 }],
      ['ringbuf-write', { device: 'rb', data: 'abcdefghijkl' }], // wraps: the last 8 bytes stay
      ['ringbuf-read', { device: 'rb', size: 100, format: 'base64' }],
      ['ringbuf-write', { device: 'rb', data: 'aGk=', format: 'base64' }],
      ['ringbuf-read', { device: 'rb', size: 2 }],
      ['ringbuf-read', { device: 'rb', size: 0 }],
      ['ringbuf-read', { device: 'nul', size: 3 }],
      ['ringbuf-read', { device: 'nosuch', size: 3 }],
      ['ringbuf-write', { device: 'rb' }],
      ['human-monitor-command', { 'command-line': 'ringbuf_write rb xyz' }],
      ['human-monitor-command', { 'command-line': 'ringbuf_read rb 10' }],
    ]) replies.push([cmd, args, norm(await q.cmd(cmd, args))]);
    await q.cmd('quit');
    await r.exit;
    return { replies, out: r.out.replace(/\/dev\/pts\/\d+/g, '/dev/pts/N') };
  } finally {
    r.p.kill('SIGKILL');
  }
}

test('query-chardev and ringbuf-read/-write equal to qemu-system-riscv64 (file, null, pipe, pty, ringbuf, socket)', { skip: (!haveQemu && `${QEMU} not installed`) || (!havePty && 'no openPty'), timeout: 60_000 }, async () => {
  const dir = tmpdir();
  try {
    const fifo = path.join(dir, 'p');
    for (const s of ['.in', '.out']) assert.equal(spawnSync('mkfifo', [fifo + s]).status, 0);
    const extra = ['-serial', 'pty', '-chardev', 'ringbuf,id=rb,size=8', '-chardev', 'null,id=nul',
      '-chardev', `file,id=f,path=${path.join(dir, 'f.txt')}`, '-chardev', `pipe,id=pp,path=${fifo}`,
      '-chardev', `socket,id=s,path=${path.join(dir, 'c.sock')},server=on,wait=off`];
    const ours = await conversation(BIN, dir, extra);
    const theirs = await conversation(QEMU, dir, extra);
    // The socket's path differs only by nothing (same dir); the QMP monitor's own chardev is named alike.
    assert.deepEqual(ours.replies, theirs.replies);
    assert.match(ours.out, /^char device redirected to \/dev\/pts\/N \(label serial0\)$/m);
    assert.match(theirs.out, /^char device redirected to \/dev\/pts\/N \(label serial0\)$/m);
  } finally {
    rmrf(dir);
  }
});

test('-chardev pipe: the HMP monitor over PATH.in/PATH.out FIFOs, and over one FIFO PATH', { timeout: 60_000 }, async () => {
  const dir = tmpdir();
  const fifo = path.join(dir, 'mon');
  for (const s of ['.in', '.out']) assert.equal(spawnSync('mkfifo', [fifo + s]).status, 0);
  const r = startEmu(BIN, ['-machine', 'none', '-display', 'none', '-nodefaults', '-chardev', `pipe,id=m,path=${fifo}`, '-mon', 'chardev=m']);
  try {
    // O_RDWR opens never block on a FIFO; the emulator holds both ends too.
    // Non-blocking reads polled here: a read stream's pending thread-pool read on a FIFO we
    // also hold open would never end and keep this test process alive.
    const out = fs.openSync(`${fifo}.out`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const inp = fs.openSync(`${fifo}.in`, fs.constants.O_RDWR);
    let got = '';
    const buf = Buffer.alloc(4096);
    fs.writeSync(inp, 'info status\n');
    const t0 = Date.now();
    while (!/VM status: running/.test(got)) {
      if (Date.now() - t0 > 30_000) throw new Error(`no reply on the pipe: ${JSON.stringify(got)} ${r.err}`);
      try {
        const n = fs.readSync(out, buf, 0, buf.length, null);
        if (n > 0) { got += buf.toString('utf8', 0, n); continue; }
      } catch (e) {
        if (e.code !== 'EAGAIN') throw e;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.match(got, /QEMU 10\.2\.0 monitor - type 'help' for more information/);
    fs.writeSync(inp, 'quit\n');
    assert.equal((await r.exit).code, 0);
    fs.closeSync(out);
    fs.closeSync(inp);
  } finally {
    r.p.kill('SIGKILL');
  }
  // One FIFO for both directions (no PATH.in/.out): it opens, and query-chardev says "pipe".
  const single = path.join(dir, 'one');
  assert.equal(spawnSync('mkfifo', [single]).status, 0);
  const r2 = spawnSync(BIN, ['-machine', 'none', '-display', 'none', '-nodefaults', '-chardev', `pipe,id=p1,path=${single}`, '-qmp', 'stdio'],
    { input: '{"execute":"qmp_capabilities"}\n{"execute":"query-chardev"}\n{"execute":"quit"}\n', encoding: 'utf8', timeout: 30_000 });
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, /\{"frontend-open": false, "filename": "pipe", "label": "p1"\}/);
  rmrf(dir);
});

test('-chardev stdio (+ mux=on): the HMP monitor on stdin/stdout', { timeout: 60_000 }, () => {
  for (const extra of [['-chardev', 'stdio,id=s', '-mon', 'chardev=s'], ['-chardev', 'stdio,id=s,mux=on', '-mon', 'chardev=s']]) {
    const r = spawnSync(BIN, ['-machine', 'none', '-display', 'none', '-nodefaults', ...extra],
      { input: 'info chardev\nquit\n', encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\(qemu\) info chardev\r?\n(.*\r?\n)*s: filename=stdio\r?\n/, extra.join(' '));
  }
});

const ERRORS = [
  ['-chardev', 'pipe,id=x,path=/nonexistent/p'],
  ['-chardev', 'pipe,id=x'],
  ['-serial', 'pipe:/nonexistent/q'],
  ['-chardev', 'stdio,id=x', '-serial', 'stdio'],
  ['-serial', 'stdio', '-chardev', 'stdio,id=x'],
  ['-chardev', 'stdio,id=x', '-monitor', 'stdio'],
  ['-chardev', 'stdio,id=x', '-chardev', 'stdio,id=y'],
  ['-chardev', 'stdio,id=x', '-qmp', 'stdio'],
  ['-chardev', 'ringbuf,id=x,size=3'],
  ['-chardev', 'pty,id=x,bogus=1'],
  ['-chardev', 'file,id=x,path=/nonexistent/f'],
  ['-chardev', 'null,id=x,logfile=/nonexistent/l'],
  ['-chardev', 'stdio,id=x,signal=maybe'],
];

test('chardev option errors worded as qemu-system-riscv64', { skip: !haveQemu && `${QEMU} not installed`, timeout: 60_000 }, () => {
  for (const args of ERRORS) {
    const run = (bin) => {
      const r = spawnSync(bin, ['-machine', 'none', '-display', 'none', ...args], { input: '', encoding: 'utf8', timeout: 10_000 });
      return { status: r.status === 0 ? 0 : 1, err: r.stderr.replace(/^(tsqemu|qemu)-system-riscv64: /gm, '') };
    };
    const ours = run(BIN), theirs = run(QEMU);
    assert.equal(ours.status, 1, args.join(' '));
    assert.deepEqual(ours, theirs, args.join(' '));
  }
});
