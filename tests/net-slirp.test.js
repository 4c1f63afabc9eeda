// The user-mode stack in-process, against a fake host and a fake NIC: malformed and hostile
// input (bogus Ethernet/ARP/IP/UDP/DHCP/TCP headers, floods), and TCP's machinery (handshake,
// out-of-order segments, zero window and probes, back-pressure both ways, retransmission, RST).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Slirp } from '../dist/net/slirp/slirp.js';
import { GUEST_MAC, GW_MAC, FakeNic } from './net-helpers.js';
import { connectPeers } from '../dist/net/net.js';
import { parseHostFwd } from '../dist/net/net-opts.js';
import { buildIPv4Frame, writeL4Checksum, parseIp, ETH_HLEN } from '../dist/net/slirp/ip.js';

const G = parseIp('10.0.2.15'), GW = parseIp('10.0.2.2');

/** A host whose streams are recorded and driven by the test. */
function fakeHost() {
  const h = {
    streams: [],
    connect(addr, events) {
      const s = { addr, events, written: [], pendingBytes: 0, ended: false, destroyed: false, paused: false,
        get pending() { return this.pendingBytes; }, write(d) { this.written.push(Buffer.from(d)); return true; },
        end() { this.ended = true; }, destroy() { this.destroyed = true; }, pause() { this.paused = true; }, resume() { this.paused = false; },
        remoteAddress: addr.host, remotePort: addr.port };
      h.streams.push(s);
      return s;
    },
    async listen() { return { address: '127.0.0.1', port: 1, close() {} }; },
    async udpBind() { return { port: 1, send() {}, close() {} }; },
    dnsResolver: () => undefined,
    openOutputFile() { return { write() {}, close() {} }; },
    now: () => Date.now(),
  };
  return h;
}

const stacks = [];
after(() => { for (const s of stacks) s.cleanup(); });

function setup(extra = {}) {
  const host = fakeHost();
  const s = new Slirp('n0', { net: parseIp('10.0.2.0'), mask: 0xffffff00, host: GW, dns: parseIp('10.0.2.3'), dhcpStart: G, restrict: false, hostfwd: [], ...extra }, host);
  const nic = new FakeNic('nic0');
  connectPeers(nic, s);
  stacks.push(s);
  return { s, nic, host };
}

function tcpFrame({ sport = 40000, dport = 8080, seq, ack = 0, flags, win = 65535, data = new Uint8Array(0), opts = new Uint8Array(0) }) {
  const f = buildIPv4Frame(GW_MAC, GUEST_MAC, G, GW, 6, 20 + opts.length + data.length);
  const o = ETH_HLEN + 20;
  const v = new DataView(f.buffer);
  v.setUint16(o, sport); v.setUint16(o + 2, dport); v.setUint32(o + 4, seq >>> 0); v.setUint32(o + 8, ack >>> 0);
  f[o + 12] = ((20 + opts.length) / 4) << 4; f[o + 13] = flags; v.setUint16(o + 14, win);
  f.set(opts, o + 20); f.set(data, o + 20 + opts.length);
  writeL4Checksum(f, 16);
  return f;
}

function parseOut(f) {
  const o = ETH_HLEN + 20;
  const v = new DataView(f.buffer, f.byteOffset);
  const doff = (f[o + 12] >> 4) * 4;
  return { seq: v.getUint32(o + 4), ack: v.getUint32(o + 8), flags: f[o + 13], win: v.getUint16(o + 14), data: f.subarray(o + doff) };
}

const SYN = 2, ACK = 16, RST = 4, FIN = 1, PSH = 8;

/** Guest SYN -> host connect -> SYN-ACK -> ACK: an established connection. */
function establish(win = 65535) {
  const t = setup();
  const { s, nic, host } = t;
  s.receive(tcpFrame({ seq: 1000, flags: SYN, opts: new Uint8Array([2, 4, 0x05, 0xb4]) , win }));
  assert.equal(host.streams.length, 1);
  assert.deepEqual(host.streams[0].addr, { type: 'inet', host: '127.0.0.1', port: 8080 });
  host.streams[0].events.onConnect();
  const synack = parseOut(nic.frames.at(-1));
  assert.equal(synack.flags, SYN | ACK);
  assert.equal(synack.ack, 1001);
  s.receive(tcpFrame({ seq: 1001, ack: synack.seq + 1, flags: ACK, win }));
  return { ...t, stream: host.streams[0], iss: synack.seq };
}

test('malformed frames of every kind are dropped without a throw', () => {
  const { s, nic } = setup();
  for (let n = 0; n < 3000; n++) {
    const len = crypto.randomInt(0, 200);
    const f = crypto.randomBytes(len);
    if (len > 14 && n % 2) { f[12] = 0x08; f[13] = n % 4 ? 0x00 : 0x06; }
    if (len > 34 && n % 3 === 0) { f[14] = 0x45; f[23] = [1, 6, 17][n % 3]; }
    s.receive(new Uint8Array(f));
  }
  // A valid IP header with bogus lengths inside.
  const f = tcpFrame({ seq: 1, flags: SYN });
  const bad = f.slice();
  bad[ETH_HLEN + 2] = 0xff; // tot_len past the frame
  s.receive(bad);
  const bad2 = f.slice();
  bad2[ETH_HLEN + 20 + 12] = 0xf0; // data offset 60 > segment
  s.receive(bad2);
  assert.ok(s.stats.badFrames > 100);
  // Truncated/garbage DHCP and ARP.
  const dhcp = buildIPv4Frame(GW_MAC, GUEST_MAC, 0, 0xffffffff, 17, 8 + 250);
  new DataView(dhcp.buffer).setUint16(ETH_HLEN + 20, 68); new DataView(dhcp.buffer).setUint16(ETH_HLEN + 22, 67);
  new DataView(dhcp.buffer).setUint16(ETH_HLEN + 24, 258);
  dhcp.fill(0xff, ETH_HLEN + 28);
  writeL4Checksum(dhcp, 6);
  s.receive(dhcp);
  assert.ok(nic.frames.every((x) => x.length >= 42));
});

test('DHCP: discover gets an offer of 10.0.2.15, a second client gets .16', () => {
  const { s, nic } = setup();
  const discover = (mac) => {
    const m = new Uint8Array(300);
    m[0] = 1; m[1] = 1; m[2] = 6; m.set([1, 2, 3, 4], 4); m.set(mac, 28);
    m.set([0x63, 0x82, 0x53, 0x63], 236); m.set([53, 1, 1, 255], 240);
    const f = buildIPv4Frame(new Uint8Array(6).fill(255), mac, 0, 0xffffffff, 17, 8 + m.length);
    const v = new DataView(f.buffer);
    v.setUint16(ETH_HLEN + 20, 68); v.setUint16(ETH_HLEN + 22, 67); v.setUint16(ETH_HLEN + 24, 8 + m.length);
    f.set(m, ETH_HLEN + 28);
    writeL4Checksum(f, 6);
    s.receive(f);
    const r = nic.frames.at(-1);
    return [...r.subarray(ETH_HLEN + 28 + 16, ETH_HLEN + 28 + 20)].join('.');
  };
  assert.equal(discover(GUEST_MAC), '10.0.2.15');
  assert.equal(discover(new Uint8Array([0x52, 0x54, 0, 0, 0, 9])), '10.0.2.16');
  assert.equal(discover(GUEST_MAC), '10.0.2.15');
});

test('TCP: out-of-order segments reach the host in order; duplicates are acknowledged', () => {
  const { s, nic, stream } = establish();
  const a = Buffer.from('AAAA'), b = Buffer.from('BBBB'), c = Buffer.from('CCCC');
  s.receive(tcpFrame({ seq: 1005, ack: 0, flags: ACK | PSH, data: b }));
  const dup = parseOut(nic.frames.at(-1));
  assert.equal(dup.ack, 1001, 'a duplicate ACK for the hole');
  s.receive(tcpFrame({ seq: 1009, flags: ACK | PSH, data: c }));
  assert.equal(stream.written.length, 0);
  s.receive(tcpFrame({ seq: 1001, flags: ACK | PSH, data: a }));
  assert.equal(Buffer.concat(stream.written).toString(), 'AAAABBBBCCCC');
  s.receive(tcpFrame({ seq: 1001, flags: ACK | PSH, data: a })); // a retransmission: not written twice
  assert.equal(Buffer.concat(stream.written).toString(), 'AAAABBBBCCCC');
});

test('TCP: a slow host reader closes the guest\'s window; data past it is not taken', () => {
  const { s, nic, stream } = establish();
  stream.pendingBytes = 256 * 1024; // the host has not read anything
  s.receive(tcpFrame({ seq: 1001, flags: ACK | PSH, data: Buffer.from('x') }));
  const out = parseOut(nic.frames.at(-1));
  assert.equal(out.win, 0, 'zero window advertised');
  const before = Buffer.concat(stream.written).length;
  s.receive(tcpFrame({ seq: 1001 + before, flags: ACK | PSH, data: Buffer.alloc(1000) }));
  assert.equal(Buffer.concat(stream.written).length, before, 'nothing beyond the window');
  stream.pendingBytes = 0;
  stream.events.onDrain();
  assert.ok(parseOut(nic.frames.at(-1)).win > 0, 'window update after the host drained');
});

test('TCP: host data respects the guest window, pauses the host when the send buffer fills, resumes on ACK', () => {
  const { s, nic, stream, iss } = establish(1000);
  const data = crypto.randomBytes(300 * 1024);
  nic.frames.length = 0;
  stream.events.onData(data);
  const sent = nic.frames.map(parseOut).filter((x) => x.data.length > 0);
  assert.equal(sent.reduce((n, x) => n + x.data.length, 0), 1000, 'only the window');
  assert.equal(stream.paused, true, 'host read paused (bounded buffer)');
  // The guest acknowledges and opens a big window: the rest flows, the host resumes.
  let acked = iss + 1;
  let got = Buffer.concat(sent.map((x) => Buffer.from(x.data)));
  while (got.length < data.length) {
    nic.frames.length = 0;
    acked = (iss + 1 + got.length) >>> 0;
    s.receive(tcpFrame({ seq: 1001, ack: acked, flags: ACK, win: 65535 }));
    const segs = nic.frames.map(parseOut).filter((x) => x.data.length > 0);
    if (segs.length === 0) break;
    got = Buffer.concat([got, ...segs.map((x) => Buffer.from(x.data))]);
  }
  assert.ok(got.equals(data));
  assert.equal(stream.paused, false);
});

test('TCP: unacknowledged data is retransmitted after the RTO', async () => {
  const { nic, stream, s } = establish();
  nic.frames.length = 0;
  stream.events.onData(Buffer.from('hello'));
  assert.equal(nic.frames.length, 1);
  await new Promise((r) => setTimeout(r, 1300));
  const again = nic.frames.map(parseOut).filter((x) => Buffer.from(x.data).toString() === 'hello');
  assert.ok(again.length >= 2, 'sent again');
  s.cleanup();
});

test('TCP: FIN both ways, RST from the guest destroys the host stream, a host error sends RST', () => {
  {
    const { s, nic, stream } = establish();
    s.receive(tcpFrame({ seq: 1001, flags: ACK | FIN }));
    assert.equal(stream.ended, true, 'guest FIN -> host end()');
    nic.frames.length = 0;
    stream.events.onEnd();
    const fin = parseOut(nic.frames.at(-1));
    assert.ok(fin.flags & FIN);
    s.receive(tcpFrame({ seq: 1002, ack: fin.seq + 1, flags: ACK }));
    assert.equal(s.connections, 0, 'closed after both FINs');
  }
  {
    const { s, stream } = establish();
    s.receive(tcpFrame({ seq: 1001, flags: RST }));
    assert.equal(stream.destroyed, true);
    assert.equal(s.connections, 0);
  }
  {
    const { s, nic, stream } = establish();
    stream.events.onError('ECONNRESET');
    assert.ok(parseOut(nic.frames.at(-1)).flags & RST);
    assert.equal(s.connections, 0);
  }
  {
    const { s, nic, host } = setup();
    s.receive(tcpFrame({ seq: 5, flags: SYN }));
    host.streams[0].events.onError('connect ECONNREFUSED');
    const r = parseOut(nic.frames.at(-1));
    assert.equal(r.flags, RST | ACK);
    assert.equal(r.ack, 6);
  }
});

test('TCP: a SYN flood is bounded; segments for unknown connections get an RST', () => {
  const { s, nic, host } = setup();
  for (let i = 0; i < 700; i++) s.receive(tcpFrame({ sport: 1024 + i, seq: i, flags: SYN }));
  assert.equal(s.connections, 512);
  assert.equal(host.streams.length, 512);
  assert.ok(s.stats.tcpRefused >= 188);
  nic.frames.length = 0;
  s.receive(tcpFrame({ sport: 999, seq: 77, ack: 1234, flags: ACK, data: Buffer.from('?') }));
  const r = parseOut(nic.frames.at(-1));
  assert.equal(r.flags, RST);
  assert.equal(r.seq, 1234);
  s.cleanup();
});

test('restrict=on: no outbound TCP; hostfwd rules parse with QEMU\'s errors', () => {
  const { s, host, nic } = setup({ restrict: true });
  s.receive(tcpFrame({ seq: 1, flags: SYN }));
  assert.equal(host.streams.length, 0);
  assert.equal(parseOut(nic.frames.at(-1)).flags, RST | ACK);
  assert.deepEqual(parseHostFwd('tcp:127.0.0.1:2222-:22', G), { proto: 'tcp', hostAddr: '127.0.0.1', hostPort: 2222, guestAddr: G, guestPort: 22 });
  assert.deepEqual(parseHostFwd('udp::5555-10.0.2.20:53', G).guestAddr, parseIp('10.0.2.20'));
  assert.throws(() => parseHostFwd('sctp::1-:2', G), /Invalid host forwarding rule 'sctp::1-:2' \(Bad protocol name\)/);
  assert.throws(() => parseHostFwd('tcp::x-:2', G), /Invalid host forwarding rule/);
  assert.throws(() => parseHostFwd('tcp::1-:', G), /Bad guest port/);
});

test('TCP: a zero window is probed, not given up on, and data flows when it opens', async () => {
  const { s, nic, stream, iss } = establish(0);
  nic.frames.length = 0;
  stream.events.onData(Buffer.from('0123456789'));
  assert.equal(nic.frames.filter((f) => parseOut(f).data.length > 0).length, 0, 'nothing sent into a zero window');
  await new Promise((r) => setTimeout(r, 1300));
  const probes = nic.frames.map(parseOut).filter((x) => x.data.length === 1);
  assert.ok(probes.length >= 1, 'a one-byte probe');
  for (let i = 0; i < 20; i++) s.receive(tcpFrame({ seq: 1001, ack: iss + 1, flags: ACK, win: 0 })); // probe answers
  assert.equal(s.connections, 1, 'still open');
  nic.frames.length = 0;
  s.receive(tcpFrame({ seq: 1001, ack: iss + 1, flags: ACK, win: 1000 }));
  const got = Buffer.concat(nic.frames.map(parseOut).map((x) => Buffer.from(x.data))).toString();
  assert.equal(got, '0123456789');
});
