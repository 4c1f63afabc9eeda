// -chardev socket and the legacy -serial/-monitor unix:/tcp: forms: the default guest's console
// and the HMP monitor over unix and TCP sockets, server and client, wait=on, reconnecting, on
// both main-loop fd monitors (io_uring POLL_ADD, libuv poll); bad options worded as real
// qemu-system-riscv64 words them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, hasTool, tmpdir } from './system-helpers.js';
import { loadIoUring, mainIoUring } from '../dist/host/node/io_uring.js';
import { fdWatchSys } from '../dist/host/node/fdmon.js';
import { FdMonIoUring } from '../dist/host/node/fdmon-io_uring.js';
import { FdMonPoll } from '../dist/host/node/fdmon-poll.js';
import { loadUserSys } from '../dist/host/node/user-sys.js';

const TIMEOUT = 300_000; // generous: a boot on a busy 2-core host can take minutes
const GUEST = ['-M', 'virt', '-m', '256M', '-nographic', '-d', 'unimp'];

/** The emulator with its own environment; stderr collected, exit awaited. */
function start(args, env) {
  const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSQEMU_URING_STATS: '1', ...env } });
  const r = { p, err: '', out: '' };
  p.stdout.on('data', (d) => { r.out += d; });
  p.stderr.on('data', (d) => { r.err += d; });
  r.exit = new Promise((resolve) => p.on('close', (code) => resolve(code)));
  return r;
}

/** An expect-style client on a node:net socket. */
class Client {
  constructor(sock) {
    this.s = sock;
    this.buf = '';
    this.waiters = [];
    this.closed = new Promise((resolve) => sock.on('close', resolve));
    sock.on('data', (d) => { this.buf += d; this.check(); });
    sock.on('error', () => {});
  }
  static async connect(opts, timeoutMs = 20_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const s = await new Promise((resolve, reject) => {
          const c = net.connect(opts, () => resolve(c));
          c.once('error', reject);
        });
        return new Client(s);
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  check() {
    this.waiters = this.waiters.filter((w) => {
      const m = w.re.exec(this.buf.slice(w.from));
      if (!m) return true;
      clearTimeout(w.timer);
      w.resolve(this.buf.slice(w.from, w.from + m.index));
      return false;
    });
  }
  expect(re, timeoutMs = 60_000, from = 0) {
    return new Promise((resolve, reject) => {
      const w = { re, from, resolve };
      w.timer = setTimeout(() => reject(new Error(`timeout waiting for ${re}; got:\n${this.buf.slice(-1500)}`)), timeoutMs);
      this.waiters.push(w);
      this.check();
    });
  }
  send(text) {
    this.s.write(text);
  }
  /** A shell command's output (the marker is split so the echoed command does not match).
   * Kernel messages a busy host makes the guest print (`[   13.07] hrtimer: interrupt took ...`)
   * are dropped, as Console.sh does; the wait is generous for the same reason. */
  async sh(cmd) {
    const from = this.buf.length;
    this.send(`${cmd}; echo @@E""ND@@\n`);
    const before = await this.expect(/\n@@END@@/, 120_000, from);
    const lines = before.replace(/\r/g, '').replace(/\[\s*\d+\.\d+\] [^\n]*\n/g, '').split('\n');
    return lines.slice(lines.findLastIndex((l) => l.includes('@@E""ND@@')) + 1).filter((l) => !/^\[\s*\d+\.\d+\] /.test(l)).join('\n').trim();
  }
  /** HMP command; the text up to the next prompt. */
  async hmp(cmd) {
    const from = this.buf.length;
    this.send(`${cmd}\r`);
    const out = await this.expect(/\(qemu\) /, 60_000, from);
    return out.replace(/\r/g, '').split('\n').slice(1).join('\n').trim();
  }
  close() {
    this.s.end();
    return this.closed;
  }
}

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const uring = loadIoUring().addon !== null;
const sys = fdWatchSys() !== null;

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

for (const fdmon of ['io_uring', 'poll']) {
  const skip = !sys ? 'the tsqemu_sys addon is not built' : fdmon === 'io_uring' && !uring ? 'io_uring is not available here' : false;
  test(`fd monitor ${fdmon}: readable, writable, level-triggered, removed handlers stay quiet`, { skip }, async () => {
    const hs = loadUserSys();
    const mon = fdmon === 'io_uring' ? new FdMonIoUring(mainIoUring()) : new FdMonPoll(fdWatchSys());
    const pair = new Int32Array(2);
    assert.equal(hs.socketpair(1, 1 | 0x800, 0, pair), 0); // AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK
    const [a, b] = pair;
    let reads = 0, writes = 0;
    const buf = new Uint8Array(1);
    mon.setFdHandler(a, () => { reads++; }, null);
    await tick();
    assert.equal(reads, 0, 'nothing to read yet');
    hs.sendto(b, new Uint8Array([7]), 0, null);
    await tick();
    assert.ok(reads >= 2, `still readable while unread: called ${reads} times`); // level-triggered
    mon.setFdHandler(a, () => { reads++; hs.recvfrom(a, buf, 0x40, null, new Int32Array(1)); }, () => { writes++; mon.setFdHandler(a, null, null); });
    await tick();
    assert.equal(buf[0], 7);
    assert.equal(writes, 1, 'a socket with room is writable; the handler removed itself');
    const before = reads;
    hs.sendto(b, new Uint8Array([8]), 0, null);
    await tick();
    assert.equal(reads, before, 'no handler after removal');
    if (mon instanceof FdMonIoUring) assert.ok(mon.pollAdds >= 3 && mon.pollRemoves >= 1, `${mon.pollAdds} ${mon.pollRemoves}`);
    fs.closeSync(a);
    fs.closeSync(b);
  });
}

for (const fdmon of ['io_uring', 'poll']) {
  const skip = !sys ? 'the tsqemu_sys addon is not built' : fdmon === 'io_uring' && !uring ? 'io_uring is not available here' : false;
  test(`serial and HMP monitor on unix sockets, reconnects (fd monitor ${fdmon})`, { timeout: TIMEOUT, skip }, async () => {
    const dir = tmpdir();
    const ser = path.join(dir, 'serial.sock'), mon = path.join(dir, 'mon.sock');
    const vm = start([...GUEST, '-serial', `unix:${ser},server,nowait`, '-monitor', `unix:${mon},server=on,wait=off`], { TSQEMU_FDMON: fdmon });
    try {
      let c = await Client.connect({ path: ser });
      await c.expect(/tsqemu-guest: boot complete/, 200_000);
      assert.equal(await c.sh('echo $((6*7))'), '42');
      await c.close();
      // The server takes the next client; the shell is still there.
      c = await Client.connect({ path: ser });
      assert.equal(await c.sh('echo $((7*8))'), '56');
      await c.close();
      c = await Client.connect({ path: ser });
      assert.equal(await c.sh('cat /proc/cmdline'), 'console=ttyS0');

      let m = await Client.connect({ path: mon });
      await m.expect(/QEMU 10\.2\.0 monitor - type 'help' for more information\r?\n\(qemu\) /, 60_000);
      assert.equal(await m.hmp('info status'), 'VM status: running');
      // The boot translated hot code: info jit reports blocks and the share they ran.
      const jit = await m.hmp('info jit');
      assert.match(jit, /^Translation buffer state:/, jit);
      const tbs = /TB count\s+(\d+)/.exec(jit), ins = /translated insns\s+(\d+) of (\d+) retired/.exec(jit);
      assert.ok(tbs && Number(tbs[1]) > 0 && ins && BigInt(ins[1]) > 0n && BigInt(ins[1]) < BigInt(ins[2]), jit);
      // ... and what translating cost per guest instruction (bench/user-rss.js reads the same line).
      assert.match(jit, /translation cost\s+[0-9.]+ us\/insn \(decode [0-9.]+, emit [0-9.]+, compile [0-9.]+, instantiate [0-9.]+\)/, jit);
      assert.equal(await m.hmp('stop'), '');
      await m.close();
      m = await Client.connect({ path: mon }); // a new client gets the banner again
      await m.expect(/monitor - type 'help'[^]*\(qemu\) /, 60_000);
      assert.equal(await m.hmp('info status'), 'VM status: paused');
      await m.hmp('cont');
      assert.equal(await c.sh('echo still-running'), 'still-running');
      m.send('quit\r');
      assert.equal(await vm.exit, 0, vm.err);
      assert.match(vm.err, new RegExp(`main loop: fd monitor ${fdmon}`));
      const st = /tsqemu-fdmon-stats: monitor=(\S+) poll-adds=(\d+) poll-removes=(\d+)/.exec(vm.err);
      assert.ok(st, vm.err);
      assert.equal(st[1], fdmon);
      if (fdmon === 'io_uring') {
        // Every accept/read/write wakeup came from a POLL_ADD completion on the main ring.
        assert.ok(Number(st[2]) >= 10, `poll-adds=${st[2]}`);
        assert.ok(Number(st[3]) >= 1, `poll-removes=${st[3]}`);
        const ring = /tsqemu-uring-stats: enters=(\d+) submitted=(\d+)/.exec(vm.err);
        assert.ok(ring && Number(ring[2]) >= Number(st[2]), vm.err);
      } else {
        assert.equal(st[2], '0');
        assert.match(vm.err, /tsqemu-uring-stats: enters=0 /);
      }
    } finally {
      vm.p.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('TCP serial with wait=on holds startup; the monitor connects out as a client (-mon chardev=)', { timeout: TIMEOUT, skip: sys ? false : 'no tsqemu_sys addon' }, async () => {
  const dir = tmpdir();
  const mon = path.join(dir, 'mon.sock');
  const monServer = net.createServer();
  const monConn = new Promise((resolve) => monServer.once('connection', (s) => resolve(new Client(s))));
  await new Promise((r) => monServer.listen(mon, r));
  const port = await freePort();
  // Chardevs open in command-line order: the monitor's client connects before s0 waits.
  const vm = start([...GUEST, '-chardev', `socket,id=m0,path=${mon}`, '-mon', 'chardev=m0,mode=readline',
    '-chardev', `socket,id=s0,host=127.0.0.1,port=${port},server=on,wait=on`, '-serial', 'chardev:s0']);
  try {
    const m = await monConn;
    // Nothing runs until the serial client connects.
    const waitLine = `-chardev socket,id=s0,host=127.0.0.1,port=${port},server=on,wait=on: info: QEMU waiting for connection on: disconnected:tcp:127.0.0.1:${port},server=on`;
    for (let i = 0; i < 1200 && !vm.err.includes(waitLine); i++) await new Promise((r) => setTimeout(r, 100)); // up to 120 s: a start under load
    assert.ok(vm.err.includes(`tsqemu-system-riscv64: ${waitLine}`), vm.err);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(m.buf.includes('(qemu)'), false, 'the machine started before the serial client connected');
    const c = await Client.connect({ host: '127.0.0.1', port });
    await c.expect(/OpenSBI v1\.6/, 30_000); // from the very first line: nothing was lost
    await c.expect(/tsqemu-guest: boot complete/, 200_000);
    assert.equal(await c.sh('echo $((6*7))'), '42');
    await m.expect(/QEMU 10\.2\.0 monitor[^]*\(qemu\) /, 60_000);
    assert.equal(await m.hmp('info status'), 'VM status: running');
    m.send('quit\r');
    assert.equal(await vm.exit, 0, vm.err);
  } finally {
    vm.p.kill('SIGKILL');
    monServer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad socket chardev options fail as qemu-system-riscv64 does', { timeout: 60_000, skip: sys ? false : 'no tsqemu_sys addon' }, async (t) => {
  const dir = tmpdir();
  const cases = [
    ['-chardev', 'socket,id=c'],
    ['-chardev', `socket,path=${dir}/a.sock,server=on,wait=off`],
    ['-chardev', 'socket,id=c,host=localhost,server=on,wait=off'],
    ['-chardev', `socket,id=c,path=${dir}/a.sock,server=maybe`],
    ['-chardev', `socket,id=c,path=${dir}/a.sock,foo=1`],
    ['-chardev', 'bogus,id=c'],
    ['-chardev', `socket,id=c,path=${dir}/nodir/a.sock,server=on,wait=off`],
    ['-chardev', `socket,id=c,path=${dir}/none.sock`],
    ['-chardev', `socket,id=c,path=${dir}/a.sock,server=on,wait=off,reconnect=1`],
    ['-chardev', `socket,id=c,path=${dir}/a.sock,wait=off`],
    ['-chardev', `socket,id=c,path=${dir}/a.sock,server=on,wait=off,host=x`],
    ['-chardev', `socket,id=a,path=${dir}/a1,server=on,wait=off`, '-chardev', `socket,id=a,path=${dir}/a2,server=on,wait=off`],
    ['-serial', 'tcp::abc,server,nowait'],
    ['-serial', 'unix:'],
    ['-serial', `unix:${dir}/${'x'.repeat(120)}`],
    ['-serial', 'chardev:nope'],
    ['-monitor', 'chardev:nope'],
    ['-mon', 'chardev=nope'],
    ['-mon', 'mode=readline'],
    ['-chardev', `socket,id=c,path=${dir}/a.sock,server=on,wait=off`, '-mon', 'chardev=c,mode=foo'],
  ];
  const qemu = hasTool('qemu-system-riscv64');
  if (!qemu) t.diagnostic('qemu-system-riscv64 not installed: only checking for a one-line error and status 1');
  for (const c of cases) {
    const args = ['-M', 'virt', '-display', 'none', '-S', ...c, '-monitor', 'none'];
    const ours = spawnSync(BIN, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(ours.status, 1, `${c.join(' ')}: ${ours.stderr}`);
    assert.match(ours.stderr, /^tsqemu-system-riscv64: -(chardev|serial|monitor|mon) /, c.join(' '));
    if (!qemu) continue;
    const real = spawnSync('qemu-system-riscv64', args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(ours.stderr.replaceAll('tsqemu-system-riscv64', 'P'), real.stderr.replaceAll('qemu-system-riscv64', 'P'), c.join(' '));
    assert.equal(real.status, 1, c.join(' '));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
