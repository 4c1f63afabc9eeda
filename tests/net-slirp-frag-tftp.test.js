// The user-mode stack in-process against a fake host: IPv4 fragment reassembly and output
// fragmentation, the TFTP server and the new DHCP options, under hostile input (truncated and
// bogus fragments, fragment floods, malformed TFTP requests, session floods): no exception,
// bounded memory, counted drops.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Slirp } from '../dist/net/slirp/slirp.js';
import { GUEST_MAC, GW_MAC, FakeNic } from './net-helpers.js';
import { connectPeers } from '../dist/net/net.js';
import { buildIPv4Frame, writeL4Checksum, parseIp, ETH_HLEN } from '../dist/net/slirp/ip.js';
import { encodeDnsSearch } from '../dist/net/slirp/dhcp.js';
import { fragmentIPv4 } from '../dist/net/slirp/ipfrag.js';
import { shellSplit } from '../dist/net/slirp/guestfwd.js';

const G = parseIp('10.0.2.15'), GW = parseIp('10.0.2.2');

function fakeHost(files = {}) {
  return {
    sent: [],
    connect() { throw new Error('no streams'); },
    async listen() { return { address: '127.0.0.1', port: 1, close() {} }; },
    async udpBind(h, p, onMessage) { const self = this; return { port: 1, send(d, a, pt) { self.sent.push({ d: Buffer.from(d), a, pt, onMessage }); }, close() {} }; },
    dnsResolver: () => undefined,
    openOutputFile() { return { write() {}, close() {} }; },
    now: () => Date.now(),
    exec() { throw new Error('no exec'); },
    openFile(p) {
      const data = files[p];
      if (!data) return undefined;
      return { size: data.length, read: (pos, len) => data.subarray(pos, pos + len), close() {} };
    },
  };
}

const stacks = [];
after(() => { for (const s of stacks) s.cleanup(); });

function setup(extra = {}, files) {
  const host = fakeHost(files);
  const s = new Slirp('n0', { net: parseIp('10.0.2.0'), mask: 0xffffff00, host: GW, dns: parseIp('10.0.2.3'), dhcpStart: G, restrict: false, hostfwd: [], ...extra }, host);
  const nic = new FakeNic('nic0');
  connectPeers(nic, s);
  stacks.push(s);
  return { s, nic, host };
}

function udpFrame(dport, payload, dst = GW, sport = 5000) {
  const f = buildIPv4Frame(GW_MAC, GUEST_MAC, G, dst, 17, 8 + payload.length);
  const o = ETH_HLEN + 20;
  const v = new DataView(f.buffer);
  v.setUint16(o, sport); v.setUint16(o + 2, dport); v.setUint16(o + 4, 8 + payload.length);
  f.set(payload, o + 8);
  writeL4Checksum(f, 6);
  return f;
}

const udpPayload = (f) => f.subarray(ETH_HLEN + 28, ETH_HLEN + 20 + new DataView(f.buffer, f.byteOffset).getUint16(ETH_HLEN + 24));
const tftpReq = (...parts) => Buffer.concat([Buffer.from([0, 1]), ...parts.map((p) => Buffer.from(`${p}\0`, 'latin1'))]);
const ack = (n) => Buffer.from([0, 4, n >> 8, n & 0xff]);

test('a UDP datagram in fragments, any order, is reassembled and forwarded once', async () => {
  const { s, host } = setup();
  const payload = Buffer.alloc(4000, 7);
  const frags = fragmentIPv4(udpFrame(9999, payload), 1500);
  assert.equal(frags.length, 3);
  for (const f of [frags[2], frags[0], frags[0], frags[1]]) s.receive(f);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(host.sent.length, 1);
  assert.deepEqual(host.sent[0].d, payload);
  assert.equal(s.frags.reassembled, 1);
  assert.equal(s.frags.pending, 0);
});

test('a reply above the MTU reaches the guest in fragments of at most 1514 bytes', async () => {
  const { s, nic, host } = setup();
  s.receive(udpFrame(9999, Buffer.from('x')));
  await new Promise((r) => setTimeout(r, 20));
  host.sent[0].onMessage(new Uint8Array(5000).fill(3), '127.0.0.1', 9999);
  const ip = nic.frames.filter((f) => f[12] === 8 && f[13] === 0);
  assert.equal(ip.length, 4);
  assert.ok(ip.every((f) => f.length <= 1514));
  // Our own reassembly puts them back together.
  const r = setup().s.frags;
  let whole;
  for (const f of ip) whole = r.input(f, { src: 0, dst: 0, proto: 17, ttl: 64, off: ETH_HLEN + 20, len: f.length - ETH_HLEN - 20, fragment: true }) ?? whole;
  assert.equal(whole.length, ETH_HLEN + 20 + 8 + 5000);
});

test('fragment floods and bogus fragments: bounded memory, counted drops, no exception', () => {
  const { s } = setup();
  const base = udpFrame(9999, Buffer.alloc(3000, 1));
  // 10000 distinct datagrams' first fragments (different IP ids) never completed.
  for (let id = 0; id < 10000; id++) {
    const f = fragmentIPv4(base, 1500)[0];
    f[ETH_HLEN + 4] = id >> 8; f[ETH_HLEN + 5] = id & 0xff;
    f[ETH_HLEN + 10] = 0; f[ETH_HLEN + 11] = 0;
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (f[ETH_HLEN + i] << 8) | f[ETH_HLEN + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    f[ETH_HLEN + 10] = (~sum >> 8) & 0xff; f[ETH_HLEN + 11] = ~sum & 0xff;
    s.receive(f);
  }
  assert.ok(s.frags.pending <= 64, `${s.frags.pending} queues`);
  assert.ok(s.frags.heldBytes <= 1024 * 1024);
  assert.ok(s.frags.dropped > 9000);
  // Garbage: truncated frames, offsets past 64 KiB, odd lengths, zero-length fragments.
  const bad = fragmentIPv4(base, 1500)[1];
  const mutate = (fn) => { const f = bad.slice(); fn(f); s.receive(f); };
  mutate((f) => { f[ETH_HLEN + 6] = 0x3f; f[ETH_HLEN + 7] = 0xff; });
  mutate((f) => { f[ETH_HLEN + 6] |= 0x20; });
  s.receive(bad.subarray(0, 30));
  s.receive(bad.subarray(0, ETH_HLEN + 19));
  for (let i = 0; i < 2000; i++) s.receive(Buffer.from(bad.map((b, k) => (k >= 14 ? (b ^ (i * 31 + k)) & 0xff : b))));
  assert.ok(s.frags.pending <= 64);
});

test('TFTP: RRQ, OACK with tsize and blksize, data per ACK, errors in libslirp\'s words', () => {
  const file = Buffer.alloc(3000).map((_, i) => i & 0xff);
  const { s, nic } = setup({ tftp: '/srv' }, { '/srv/boot.img': file });
  const last = () => udpPayload(nic.frames[nic.frames.length - 1]);
  s.receive(udpFrame(69, tftpReq('boot.img', 'octet', 'tsize', '0', 'blksize', '2000')));
  assert.deepEqual([...last()], [...Buffer.from('\0\x06tsize\x003000\0blksize\x001428\0', 'latin1')]);
  s.receive(udpFrame(69, ack(0)));
  assert.equal(last().length, 4 + 1428);
  assert.equal(last()[3], 1);
  s.receive(udpFrame(69, ack(0))); // our block 1 was lost: it comes again
  assert.equal(last()[3], 1);
  s.receive(udpFrame(69, ack(1)));
  s.receive(udpFrame(69, ack(2)));
  assert.equal(last().length, 4 + 3000 - 2 * 1428);
  assert.deepEqual(Buffer.from(last().subarray(4)), file.subarray(2856));
  const n = nic.frames.length;
  s.receive(udpFrame(69, ack(3))); // the session ended with the short block
  assert.equal(nic.frames.length, n);
  const err = (req) => { s.receive(udpFrame(69, req)); const p = last(); return `${p[3]} ${Buffer.from(p.subarray(4, p.length - 1)).toString()}`; };
  assert.equal(err(tftpReq('nothere', 'octet')), '1 File not found');
  assert.equal(err(tftpReq('../etc/passwd', 'octet')), '2 Access violation');
  assert.equal(err(tftpReq('boot.img', 'netascii')), '4 Unsupported transfer mode');
  assert.equal(err(Buffer.from([0, 1, 0x41, 0x42])), '2 Access violation'); // no NUL
  assert.equal(err(Buffer.concat([tftpReq('boot.img', 'octet'), Buffer.from('tsize')])), '2 Access violation');
  assert.equal(err(Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(600, 0x61), Buffer.from('\0octet\0')])), '2 Access violation');
  // Without tftp= every request is refused.
  const t2 = setup();
  t2.s.receive(udpFrame(69, tftpReq('boot.img', 'octet')));
  const p = udpPayload(t2.nic.frames[t2.nic.frames.length - 1]);
  assert.equal(`${p[3]} ${Buffer.from(p.subarray(4, p.length - 1)).toString()}`, '2 Access violation');
});

test('TFTP floods: truncated packets, 1000 clients, at most 20 sessions, no exception', () => {
  const file = Buffer.alloc(100_000, 1);
  const { s, nic } = setup({ tftp: '/srv' }, { '/srv/f': file });
  for (const junk of [[], [0], [0, 4], [0, 3, 0, 1], [0, 5], [0, 1], [0, 2, 0x61, 0], [0xff, 0xff]]) s.receive(udpFrame(69, Buffer.from(junk)));
  for (let port = 1000; port < 2000; port++) s.receive(udpFrame(69, tftpReq('f', 'octet'), GW, port));
  // 20 sessions took their first block; the others got nothing (libslirp is silent when full).
  const data = nic.frames.filter((f) => f.length > ETH_HLEN + 28 && udpPayload(f)[1] === 3);
  assert.equal(data.length, 20);
});

test('DHCP: bootfile in the BOOTP file field, domain (15), TFTP server (66) and search (119) options', () => {
  const { s, nic } = setup({ bootfile: 'pxe/boot.img', domainname: 'example.test', tftpServerName: 'tftp.example', dnssearch: encodeDnsSearch(['a.example.test', 'example.org']) });
  const req = Buffer.alloc(300);
  req[0] = 1; req[1] = 1; req[2] = 6; req.writeUInt32BE(0x1234, 4);
  Buffer.from(GUEST_MAC).copy(req, 28);
  req.writeUInt32BE(0x63825363, 236);
  Buffer.from([53, 1, 1, 255]).copy(req, 240);
  const f = buildIPv4Frame(new Uint8Array(6).fill(0xff), GUEST_MAC, 0, 0xffffffff, 17, 8 + req.length);
  const v = new DataView(f.buffer);
  v.setUint16(ETH_HLEN + 20, 68); v.setUint16(ETH_HLEN + 22, 67); v.setUint16(ETH_HLEN + 24, 8 + req.length);
  f.set(req, ETH_HLEN + 28);
  writeL4Checksum(f, 6);
  s.receive(f);
  const r = Buffer.from(udpPayload(nic.frames[nic.frames.length - 1]));
  assert.equal(r.subarray(108, 108 + 13).toString('latin1'), 'pxe/boot.img\0');
  const opts = {};
  for (let i = 240; r[i] !== 255;) { opts[r[i]] = r.subarray(i + 2, i + 2 + r[i + 1]); i += 2 + r[i + 1]; }
  assert.equal(opts[15].toString(), 'example.test');
  assert.equal(opts[66].toString(), 'tftp.example');
  assert.deepEqual([...opts[119]], [1, 97, 7, ...Buffer.from('example'), 4, ...Buffer.from('test'), 0, 7, ...Buffer.from('example'), 3, ...Buffer.from('org'), 0]);
  assert.equal(opts[67], undefined); // libslirp 4.7 sends no option 67
});

test('guestfwd cmd: splits like g_shell_parse_argv', () => {
  assert.deepEqual(shellSplit('echo hello'), ['echo', 'hello']);
  assert.deepEqual(shellSplit(`sh -c 'cat; echo "a b"'`), ['sh', '-c', 'cat; echo "a b"']);
  assert.deepEqual(shellSplit('a\\ b "c\\"d"'), ['a b', 'c"d']);
  assert.equal(shellSplit("echo 'open"), undefined);
  assert.equal(shellSplit('   '), undefined);
});

test('virtio-net receive filter and control commands: QEMU\'s receive_filter, malformed tables refused', async () => {
  const { VirtIONetRxFilter } = await import('../dist/hw/virtio/virtio-net-ctrl.js');
  const mac = new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
  const r = new VirtIONetRxFilter(mac);
  const frame = (dst) => new Uint8Array([...dst, ...mac, 8, 0, 0, 0]);
  const other = [0x52, 0x54, 0, 1, 2, 3];
  assert.ok(r.accepts(frame(other), false)); // promiscuous after reset
  const cmd = (cls, c, data) => r['command'](cls, c, new Uint8Array(data), { rxExtra: true, vlan: true, macAddr: true });
  assert.equal(cmd(0, 0, [0]), 0); // promisc off
  assert.ok(!r.accepts(frame(other), false));
  assert.ok(r.accepts(frame(mac), false));
  assert.ok(r.accepts(frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), false));
  assert.ok(!r.accepts(frame([0x33, 0x33, 0, 0, 0, 1]), false));
  assert.equal(cmd(1, 1, other), 0); // MAC_ADDR_SET
  assert.ok(r.accepts(frame(other), false));
  assert.deepEqual([...mac], other);
  // MAC table: 1 unicast, 1 multicast.
  assert.equal(cmd(1, 0, [1, 0, 0, 0, 2, 2, 2, 2, 2, 2, 1, 0, 0, 0, 0x33, 0x33, 0, 0, 0, 1]), 0);
  assert.ok(r.accepts(frame([2, 2, 2, 2, 2, 2]), false));
  assert.ok(r.accepts(frame([0x33, 0x33, 0, 0, 0, 1]), false));
  // Counts past the data, trailing bytes, a huge count, short commands: refused, table kept.
  for (const bad of [[5, 0, 0, 0, 1, 2], [0, 0, 0, 0, 0, 0, 0, 0, 9], [0xff, 0xff, 0xff, 0xff], [1]]) assert.equal(cmd(1, 0, bad), 1);
  assert.ok(r.accepts(frame([2, 2, 2, 2, 2, 2]), false));
  assert.equal(cmd(0, 0, [1, 1]), 1);
  assert.equal(cmd(2, 0, [0xff, 0xff]), 1); // VLAN id past 4095
  assert.equal(cmd(9, 0, []), 1);
  // VLAN filter: tagged frames pass only for added ids.
  const tagged = new Uint8Array([...other, ...mac, 0x81, 0x00, 0x00, 0x05, 8, 0]);
  assert.ok(!r.accepts(tagged, true));
  assert.equal(cmd(2, 0, [5, 0]), 0);
  assert.ok(r.accepts(tagged, true));
  r.reset();
  assert.ok(r.accepts(frame([9, 9, 9, 9, 9, 9]), false));
});

test('ICMP echo to another address: one host socket per request, reply matched and reflected, send errors unreachable', () => {
  const socks = [];
  const { s, nic, host } = setup();
  host.icmpSocket = (onMessage, onError) => {
    const k = { sent: [], closed: false, raw: true, onMessage, onError, send(d, a) { this.sent.push({ d: Buffer.from(d), a }); return a === '203.0.113.9' ? -101 : d.length; }, close() { this.closed = true; } };
    socks.push(k);
    return k;
  };
  const echo = (dst, id, seq) => {
    const f = buildIPv4Frame(GW_MAC, GUEST_MAC, G, parseIp(dst), 1, 8 + 4);
    const o = ETH_HLEN + 20;
    f[o] = 8; f[o + 4] = id >> 8; f[o + 5] = id & 0xff; f[o + 6] = seq >> 8; f[o + 7] = seq & 0xff;
    f.set([1, 2, 3, 4], o + 8);
    let sum = 0;
    for (let i = o; i < f.length; i += 2) sum += (f[i] << 8) | f[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    f[o + 2] = (~sum >> 8) & 0xff; f[o + 3] = ~sum & 0xff;
    s.receive(f);
  };
  echo('198.51.100.1', 0x1234, 7);
  assert.equal(socks.length, 1);
  assert.equal(socks[0].sent[0].a, '198.51.100.1');
  // Foreign ICMP on a raw socket (another id, another source, a request) is ignored.
  const n = nic.frames.length;
  socks[0].onMessage(new Uint8Array([0, 0, 0, 0, 0x99, 0x99, 0, 7]), '198.51.100.1');
  socks[0].onMessage(new Uint8Array([0, 0, 0, 0, 0x12, 0x34, 0, 7]), '198.51.100.2');
  socks[0].onMessage(new Uint8Array([8, 0, 0, 0, 0x12, 0x34, 0, 7]), '198.51.100.1');
  assert.equal(nic.frames.length, n);
  socks[0].onMessage(new Uint8Array([0, 0, 0, 0, 0x12, 0x34, 0, 7, 1, 2, 3, 4]), '198.51.100.1');
  const r = nic.frames[nic.frames.length - 1];
  assert.equal(r[ETH_HLEN + 8], 255); // TTL, as icmp_reflect
  assert.deepEqual([...r.subarray(ETH_HLEN + 12, ETH_HLEN + 16)], [198, 51, 100, 1]);
  assert.deepEqual([...r.subarray(ETH_HLEN + 20, ETH_HLEN + 32)].filter((_, i) => i !== 2 && i !== 3), [0, 0, 0x12, 0x34, 0, 7, 1, 2, 3, 4]);
  assert.ok(socks[0].closed);
  // A send error: network unreachable back to the guest.
  echo('203.0.113.9', 1, 1);
  const u = nic.frames[nic.frames.length - 1];
  assert.equal(u[ETH_HLEN + 20], 3);
  // A flood: at most 64 requests wait, the rest are dropped and counted.
  for (let i = 0; i < 200; i++) echo('198.51.100.1', 1, i);
  assert.equal(socks.filter((k) => !k.closed).length, 64);
  assert.equal(s.icmp.dropped, 200 - 64);
  s.icmp.closeAll();
  // The gateway answers itself; the guest network's other addresses are not forwarded.
  const before = socks.length;
  echo('10.0.2.2', 5, 5);
  echo('10.0.2.77', 5, 5);
  assert.equal(socks.length, before);
});
