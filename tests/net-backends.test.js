// The socket back ends in-process: stream framing (split frames, an oversized length
// disconnects the peer) against a fake host, and multicast / UDP pairs on real loopback sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetClientState, connectPeers } from '../dist/net/net.js';
import { NetSocketState } from '../dist/net/socket.js';
import { nodeNetHost } from '../dist/host/node/net-host.js';
import dgram from 'node:dgram';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net-helpers.js';

class FakeNic extends NetClientState {
  type = 'nic';
  frames = [];
  receive(f) { this.frames.push(f); return true; }
  infoStr() { return 'fake'; }
}

function fakeHost() {
  const h = {
    streams: [],
    connect(addr, events) {
      const s = { addr, events, destroyed: false, pending: 0, write() { return true; }, end() {}, destroy() { this.destroyed = true; }, pause() {}, resume() {} };
      h.streams.push(s);
      return s;
    },
  };
  return h;
}

async function pair(mode) {
  const a = new NetSocketState('a', 'socket', mode(0), nodeNetHost);
  const b = new NetSocketState('b', 'socket', mode(1), nodeNetHost);
  const na = new FakeNic('na'), nb = new FakeNic('nb');
  connectPeers(na, a); connectPeers(nb, b);
  await a.start(); await b.start();
  return { a, b, na, nb };
}

const frame = (tag) => new Uint8Array(Buffer.from(tag.padEnd(60, '.')));
const tags = (nic) => nic.frames.map((f) => Buffer.from(f).toString().split('.')[0]);
/** Poll until `cond()` holds, up to `ms` (loopback delivery is an event, not a fixed delay). */
async function until(cond, ms = 20_000) {
  for (const end = Date.now() + ms; !cond() && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
}

test('stream netdev: a frame length above the limit disconnects the peer; good frames pass', () => {
  const host = fakeHost();
  const ns = new NetSocketState('s0', 'stream', { kind: 'stream', server: false, addr: { type: 'inet', host: '127.0.0.1', port: 9 } }, host);
  const nic = new FakeNic('nic0');
  connectPeers(nic, ns);
  ns.start();
  const st = host.streams[0];
  st.events.onConnect();
  const frame = Buffer.alloc(60, 7);
  const hdr = Buffer.alloc(4); hdr.writeUInt32BE(60);
  st.events.onData(Buffer.concat([hdr, frame.subarray(0, 30)]));
  st.events.onData(frame.subarray(30));
  assert.equal(nic.frames.length, 1);
  assert.ok(Buffer.from(nic.frames[0]).equals(frame));
  const huge = Buffer.alloc(4); huge.writeUInt32BE(0x7fffffff);
  st.events.onData(huge);
  assert.equal(st.destroyed, true);
  assert.equal(ns.badFrames, 1);
  ns.cleanup();
});


test('socket mcast=: two back ends on one multicast group over loopback', async () => {
  const port = await freePort();
  const { a, b, na, nb } = await pair(() => ({ kind: 'dgram', mcast: '239.192.7.7', local: { host: '127.0.0.1', port } }));
  try {
    na.send(frame('from-a'));
    await until(() => nb.frames.length > 0);
    assert.ok(nb.frames.some((f) => Buffer.from(f).toString().startsWith('from-a')));
  } finally {
    a.cleanup(); b.cleanup();
  }
});

test('socket udp= / dgram: a unicast pair, frames both ways, strangers ignored', async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  const { a, b, na, nb } = await pair((i) => ({ kind: 'dgram', local: { host: '127.0.0.1', port: i ? pb : pa }, remote: { host: '127.0.0.1', port: i ? pa : pb } }));
  try {
    na.send(frame('a-to-b'));
    nb.send(frame('b-to-a'));
    const stranger = dgram.createSocket('udp4');
    await new Promise((r) => stranger.send(Buffer.from(frame('stranger')), pb, '127.0.0.1', () => { stranger.close(); r(); }));
    // The stranger's datagram is queued at pb once its send completed (loopback): a frame from a
    // sent after it arrives after it, so when that one is in, the stranger was seen and dropped.
    na.send(frame('a-after'));
    await until(() => nb.frames.length >= 2 && na.frames.length >= 1);
    assert.deepEqual(tags(nb), ['a-to-b', 'a-after']);
    assert.deepEqual(tags(na), ['b-to-a']);
  } finally {
    a.cleanup(); b.cleanup();
  }
});

test('stream over a unix socket: server and client exchange framed frames both ways', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-net-'));
  const addr = { type: 'unix', path: path.join(dir, 'link.sock') };
  const srv = new NetSocketState('srv', 'stream', { kind: 'stream', server: true, addr }, nodeNetHost);
  const cli = new NetSocketState('cli', 'stream', { kind: 'stream', server: false, addr, reconnectMs: 100 }, nodeNetHost);
  const ns = new FakeNic('ns'), nc = new FakeNic('nc');
  connectPeers(ns, srv); connectPeers(nc, cli);
  try {
    await srv.start();
    await cli.start();
    for (let i = 0; i < 500 && !cli.infoStr().includes('connected to'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(cli.infoStr(), /stream: connected to .*link\.sock/);
    const big = new Uint8Array(9000).fill(7);
    for (let i = 0; i < 100; i++) nc.send(frame(`c${i}`));
    ns.send(big);
    for (let i = 0; i < 1000 && (ns.frames.length < 100 || nc.frames.length < 1); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(ns.frames.map((f) => Buffer.from(f).toString().split('.')[0]), Array.from({ length: 100 }, (_, i) => `c${i}`));
    assert.equal(nc.frames[0].length, 9000);
    assert.match(srv.infoStr(), /stream: connection from/);
    // The server vanishes: the client notices, frames sent meanwhile are dropped, it retries.
    srv.cleanup();
    for (let i = 0; i < 500 && /connected to/.test(cli.infoStr()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(cli.infoStr(), /disconnected|connecting to|failed/);
    assert.equal(nc.send(frame('lost')), true);
  } finally {
    srv.cleanup(); cli.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('stream server: a second client waits until the first leaves, then takes over', async () => {
  const port = await freePort();
  const addr = { type: 'inet', host: '127.0.0.1', port };
  const srv = new NetSocketState('srv', 'stream', { kind: 'stream', server: true, addr }, nodeNetHost);
  const ns = new FakeNic('ns');
  connectPeers(ns, srv);
  await srv.start();
  const hdr = (f) => { const h = Buffer.alloc(4); h.writeUInt32BE(f.length); return Buffer.concat([h, f]); };
  const connect = () => new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => r(c)); });
  try {
    const first = await connect();
    await new Promise((r) => setTimeout(r, 100));
    const second = await connect();
    second.write(hdr(Buffer.from(frame('second'))));
    first.write(hdr(Buffer.from(frame('first'))));
    await until(() => ns.frames.length > 0);
    await new Promise((r) => setTimeout(r, 200)); // room for the waiting client's frame to (wrongly) arrive
    assert.deepEqual(ns.frames.map((f) => Buffer.from(f).toString().split('.')[0]), ['first']);
    first.destroy();
    for (let i = 0; i < 500 && ns.frames.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(ns.frames.map((f) => Buffer.from(f).toString().split('.')[0]), ['first', 'second']);
    second.destroy();
  } finally {
    srv.cleanup();
  }
});
