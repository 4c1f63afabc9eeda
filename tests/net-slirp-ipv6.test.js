// The user-mode stack's IPv6 side in-process, against a fake host and NIC: the Router
// Advertisement byte for byte as libslirp 4.7 sends it (captured from QEMU 7.2 with filter-dump),
// Neighbor Discovery, ICMPv6 echo and errors, TCP and UDP NAT over IPv6, and hostile input
// (short and lying headers, bad checksums, extension headers and fragments, NDP with the wrong
// hop limit, a fuzz run).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Slirp } from '../dist/net/slirp/slirp.js';
import { GUEST_MAC, FakeNic } from './net-helpers.js';
import { connectPeers } from '../dist/net/net.js';
import { parseIp, ETH_HLEN } from '../dist/net/slirp/ip.js';
import { buildIPv6Frame, parseIp6, ip6ToString, solicitedNode, writeL4Checksum6 } from '../dist/net/slirp/ip6.js';
import { Ndp, icmp6Checksum } from '../dist/net/slirp/ndp.js';
import { dhcpv6Reply } from '../dist/net/slirp/dhcpv6.js';

const ip6 = (s) => parseIp6(s);
const G6 = ip6('fec0::5054:ff:fe12:3456'), LL = ip6('fe80::5054:ff:fe12:3456');
const GW6 = ip6('fec0::2'), DNS6 = ip6('fec0::3');
const O = ETH_HLEN + 40;

function fakeHost({ dns6 } = {}) {
  const h = {
    streams: [], udp: [],
    connect(addr, events) {
      const s = { addr, events, written: [], pending: 0, write(d) { this.written.push(Buffer.from(d)); return true; },
        end() {}, destroy() { this.destroyed = true; }, pause() {}, resume() {}, remoteAddress: addr.host, remotePort: addr.port };
      h.streams.push(s);
      return s;
    },
    async listen() { return { address: '127.0.0.1', port: 1, close() {} }; },
    async udpBind(host, port, onMessage) {
      const s = { host, onMessage, sent: [], port: 5555, send(d, a, p) { this.sent.push({ d: Buffer.from(d), a, p }); }, close() {} };
      h.udp.push(s);
      return s;
    },
    dnsResolver: () => ({ host: '10.9.9.9', port: 53 }),
    dns6Resolver: () => dns6,
    openOutputFile() { return { write() {}, close() {} }; },
    now: () => Date.now(),
  };
  return h;
}

const stacks = [];
after(() => { for (const s of stacks) s.cleanup(); });

const IPV6 = { prefix: ip6('fec0::'), prefixLen: 64, host: GW6, dns: DNS6 };
function setup({ restrict = false, dns6 } = {}) {
  const host = fakeHost({ dns6 });
  const s = new Slirp('n0', { net: parseIp('10.0.2.0'), mask: 0xffffff00, host: parseIp('10.0.2.2'), dns: parseIp('10.0.2.3'),
    dhcpStart: parseIp('10.0.2.15'), restrict, hostfwd: [], ipv6: IPV6 }, host);
  const nic = new FakeNic('nic0');
  connectPeers(nic, s);
  stacks.push(s);
  return { s, nic, host };
}

/** An ICMPv6 message from the guest (body after type/code/checksum). */
function icmp6(src, dst, type, body, { hlim = 255, code = 0, dstMac = new Uint8Array([0x33, 0x33, 0, 0, 0, 2]) } = {}) {
  const f = buildIPv6Frame(dstMac, GUEST_MAC, src, dst, 58, 4 + body.length);
  f[ETH_HLEN + 7] = hlim;
  f[O] = type; f[O + 1] = code;
  f.set(body, O + 4);
  icmp6Checksum(f);
  return f;
}

function ns(target, src = G6, opts = {}) {
  const body = new Uint8Array(4 + 16 + 8);
  body.set(target, 4);
  body[20] = 1; body[21] = 1; body.set(GUEST_MAC, 22);
  return icmp6(src, solicitedNode(target), 135, body, opts);
}

const hex = (b) => Buffer.from(b).toString('hex');
const out = (nic) => nic.frames.map((f) => ({ f, type: f[O], nh: f[ETH_HLEN + 6], src: ip6ToString(f.subarray(ETH_HLEN + 8, ETH_HLEN + 24)), dst: ip6ToString(f.subarray(ETH_HLEN + 24, ETH_HLEN + 40)) }));

test('RS gets libslirp\'s Router Advertisement byte for byte; RDNSS only when the host has an IPv6 resolver', () => {
  const { s, nic } = setup();
  s.receive(icmp6(LL, ip6('ff02::2'), 133, new Uint8Array([0, 0, 0, 0, 1, 1, ...GUEST_MAC])));
  assert.equal(nic.frames.length, 1);
  const ra = nic.frames[0];
  assert.equal(hex(ra.subarray(0, 12)), '333300000001525600000002');
  assert.equal(ra[ETH_HLEN + 7], 255);
  assert.equal(ip6ToString(ra.subarray(ETH_HLEN + 8, ETH_HLEN + 24)), 'fe80::2');
  // QEMU 7.2 (libslirp 4.7) on this host, filter-dump: RA ICMPv6 body.
  assert.equal(hex(ra.subarray(O)), '8600155e4000070800000000000000000101525600000002030440c0000151800000384000000000fec00000000000000000000000000000');
  const b = setup({ dns6: { host: '::1', port: 53 } });
  b.s.receive(icmp6(LL, ip6('ff02::2'), 133, new Uint8Array(4)));
  const ra2 = b.nic.frames[0];
  assert.equal(ra2.length, ra.length + 24);
  assert.equal(hex(ra2.subarray(O + 56, O + 64)), '19030000000004b0'); // RDNSS, lifetime 1200 s
  assert.equal(ip6ToString(ra2.subarray(O + 64, O + 80)), 'fec0::3');
});

test('NDP: NS for the router and DNS get NAs (R S O, our MAC); other targets, bad hop limits and DAD for others get nothing', () => {
  const { s, nic } = setup();
  s.receive(ns(GW6));
  s.receive(ns(DNS6));
  s.receive(ns(ip6('fe80::2'), LL));
  let o = out(nic);
  assert.deepEqual(o.map((x) => [x.type, x.src, x.dst]), [[136, 'fec0::2', 'fec0::5054:ff:fe12:3456'], [136, 'fec0::3', 'fec0::5054:ff:fe12:3456'], [136, 'fe80::2', 'fe80::5054:ff:fe12:3456']]);
  // libslirp's NA, as captured from QEMU 7.2.
  assert.equal(hex(nic.frames[0].subarray(O)), '8800c347e0000000fec000000000000000000000000000020201525600000002');
  assert.equal(hex(nic.frames[0].subarray(0, 12)), '525400123456525600000002');
  nic.frames.length = 0;
  s.receive(ns(ip6('fec0::99')));
  s.receive(ns(GW6, G6, { hlim: 64 }));
  s.receive(ns(GW6, G6, { code: 1 }));
  s.receive(ns(ip6('ff02::1')));
  assert.equal(nic.frames.length, 0);
  // An unspecified source (DAD) gets the NA at all nodes, not solicited.
  s.receive(ns(GW6, ip6('::')));
  o = out(nic);
  assert.deepEqual(o.map((x) => [x.type, x.dst, x.f[O + 4]]), [[136, 'ff02::1', 0xa0]]);
  // A guest RA or redirect is ignored.
  nic.frames.length = 0;
  s.receive(icmp6(LL, ip6('ff02::1'), 134, new Uint8Array(12)));
  s.receive(icmp6(LL, GW6, 137, new Uint8Array(36)));
  assert.equal(nic.frames.length, 0);
});

test('ICMPv6 echo: the router and DNS (global and link-local) answer with hop limit 255; other addresses are not forwarded', () => {
  const { s, nic } = setup();
  const echo = (src, dst) => icmp6(src, dst, 128, new Uint8Array([0x12, 0x34, 0, 1, ...crypto.randomBytes(56)]), { hlim: 64, dstMac: new Uint8Array([0x52, 0x56, 0, 0, 0, 2]) });
  for (const [src, dst] of [[G6, GW6], [G6, DNS6], [LL, ip6('fe80::2')]]) {
    const req = echo(src, dst);
    s.receive(req);
    const r = nic.frames.at(-1);
    assert.equal(r[O], 129);
    assert.equal(r[ETH_HLEN + 7], 255);
    assert.equal(hex(r.subarray(O + 4)), hex(req.subarray(O + 4)));
    assert.equal(ip6ToString(r.subarray(ETH_HLEN + 8, ETH_HLEN + 24)), ip6ToString(dst));
  }
  const n = nic.frames.length;
  s.receive(echo(G6, ip6('2001:db8::1')));
  assert.equal(nic.frames.length, n);
});

test('hostile IPv6: short and lying headers, bad checksums, extension headers, fragments, hop limit 0, oversize: no throw, errors as libslirp', () => {
  const { s, nic } = setup();
  s.receive(ns(GW6)); // the guest's MAC is known
  nic.frames.length = 0;
  const before = s.stats.badFrames;
  const base = icmp6(G6, GW6, 128, new Uint8Array(60), { hlim: 64 });
  const v6 = (mut) => { const f = base.slice(); mut(f); return f; };
  const drops = [
    base.subarray(0, 20), base.subarray(0, ETH_HLEN + 39),
    v6((f) => { f[ETH_HLEN] = 0x40; }), // version 4 in an IPv6 ethertype
    v6((f) => { f[ETH_HLEN + 4] = 0xff; }), // payload length past the frame
    v6((f) => { f[O + 10] ^= 1; }), // bad ICMPv6 checksum
    v6((f) => { f[ETH_HLEN + 6] = 0; }), // hop-by-hop header
    v6((f) => { f[ETH_HLEN + 6] = 44; }), // fragment header
    v6((f) => { f[ETH_HLEN + 6] = 43; }), // routing header
    v6((f) => { f[ETH_HLEN + 5] = 2; f[ETH_HLEN + 4] = 0; }), // ICMPv6 of 2 bytes
  ];
  for (const f of drops) s.receive(f);
  assert.equal(nic.frames.length, 0);
  assert.equal(s.stats.badFrames, before + drops.length - 3);
  assert.equal(s.stats.ip6Unsupported, 3);
  // Short UDP and TCP headers.
  for (const [nh, len] of [[17, 4], [17, 8], [6, 12]]) {
    const f = buildIPv6Frame(GUEST_MAC, GUEST_MAC, G6, GW6, nh, len);
    if (nh === 17 && len === 8) { f[O + 5] = 200; writeL4Checksum6(f, 6); } // UDP length past the payload
    s.receive(f);
  }
  assert.equal(nic.frames.length, 0);
  // Hop limit 0: Time Exceeded from fe80::2 quoting the packet.
  s.receive(v6((f) => { f[ETH_HLEN + 7] = 0; }));
  let e = out(nic).at(-1);
  assert.deepEqual([e.type, e.f[O + 1], e.src, e.dst], [3, 0, 'fe80::2', 'fec0::5054:ff:fe12:3456']);
  // Above the 1500-byte MTU: Packet Too Big, MTU 1500, quote cut to fit 1500.
  const big = icmp6(G6, GW6, 128, new Uint8Array(3000), { hlim: 64 });
  s.receive(big);
  e = out(nic).at(-1);
  assert.equal(e.type, 2);
  assert.equal(new DataView(e.f.buffer, e.f.byteOffset).getUint32(O + 4), 1500);
  assert.equal(e.f.length - ETH_HLEN, 1500);
  // Fuzz: random bytes after a valid IPv6 header, random lengths.
  for (let i = 0; i < 3000; i++) {
    const f = base.slice(0, ETH_HLEN + 40 + (i % 90));
    crypto.randomFillSync(f, ETH_HLEN + 4 + (i % 3) * 2);
    f[ETH_HLEN] = 0x60;
    s.receive(f);
  }
});

/** A TCP segment from the guest over IPv6. */
function tcp6(src, dst, { sport = 40000, dport = 8080, seq = 1000, ack = 0, flags, data = new Uint8Array(0), opts = new Uint8Array(0) }) {
  const f = buildIPv6Frame(new Uint8Array([0x52, 0x56, 0, 0, 0, 2]), GUEST_MAC, src, dst, 6, 20 + opts.length + data.length);
  const v = new DataView(f.buffer);
  v.setUint16(O, sport); v.setUint16(O + 2, dport); v.setUint32(O + 4, seq >>> 0); v.setUint32(O + 8, ack >>> 0);
  f[O + 12] = ((20 + opts.length) / 4) << 4; f[O + 13] = flags; v.setUint16(O + 14, 65535);
  f.set(opts, O + 20); f.set(data, O + 20 + opts.length);
  writeL4Checksum6(f, 16);
  return f;
}

test('TCP over IPv6: fec0::2 is the host\'s ::1, MSS 1440, data both ways; DNS port and restrict=on get RSTs', () => {
  const { s, nic, host } = setup();
  s.receive(tcp6(G6, GW6, { flags: 2, opts: new Uint8Array([2, 4, 0x05, 0xa0]) }));
  assert.deepEqual(host.streams[0].addr, { type: 'inet', host: '::1', port: 8080 });
  host.streams[0].events.onConnect();
  const sa = nic.frames.at(-1);
  assert.equal(sa[O + 13], 0x12);
  assert.equal(new DataView(sa.buffer).getUint16(O + 22), 1440);
  assert.equal(hex(sa.subarray(6, 12)), '525600000002');
  const iss = new DataView(sa.buffer).getUint32(O + 4);
  s.receive(tcp6(G6, GW6, { seq: 1001, ack: iss + 1, flags: 0x10 }));
  s.receive(tcp6(G6, GW6, { seq: 1001, ack: iss + 1, flags: 0x18, data: new TextEncoder().encode('hi') }));
  assert.equal(Buffer.concat(host.streams[0].written).toString(), 'hi');
  host.streams[0].events.onData(new TextEncoder().encode('yo'));
  const d = nic.frames.find((f) => f.length > O + 20 && Buffer.from(f.subarray(O + 20)).toString() === 'yo');
  assert.ok(d, 'host data reaches the guest');
  assert.match(s.describeConnections()[0], /^TCP \[fec0::5054:ff:fe12:3456\]:40000 <-> \[fec0::2\]:8080 ESTABLISHED/);
  // Elsewhere on the Internet: the real address; the DNS address takes no TCP.
  s.receive(tcp6(G6, ip6('2001:db8::7'), { sport: 40001, flags: 2 }));
  assert.equal(host.streams[1].addr.host, '2001:db8::7');
  s.receive(tcp6(G6, DNS6, { sport: 40002, dport: 53, flags: 2 }));
  assert.equal(nic.frames.at(-1)[O + 13] & 4, 4);
  const r = setup({ restrict: true });
  r.s.receive(tcp6(G6, GW6, { flags: 2 }));
  assert.equal(r.host.streams.length, 0);
  assert.equal(r.nic.frames.at(-1)[O + 13] & 4, 4);
});

function udp6(src, dst, sport, dport, data) {
  const f = buildIPv6Frame(new Uint8Array([0x52, 0x56, 0, 0, 0, 2]), GUEST_MAC, src, dst, 17, 8 + data.length);
  const v = new DataView(f.buffer);
  v.setUint16(O, sport); v.setUint16(O + 2, dport); v.setUint16(O + 4, 8 + data.length);
  f.set(data, O + 8);
  writeL4Checksum6(f, 6);
  return f;
}

test('UDP over IPv6: to fec0::2 goes to ::1 and replies come from fec0::2; DNS at fec0::3 goes to the host resolver', async () => {
  const { s, nic, host } = setup();
  s.receive(udp6(G6, GW6, 5000, 7777, new TextEncoder().encode('ping')));
  await new Promise((r) => setImmediate(r));
  assert.equal(host.udp[0].host, '::');
  assert.deepEqual(host.udp[0].sent.map((x) => [x.a, x.p, x.d.toString()]), [['::1', 7777, 'ping']]);
  host.udp[0].onMessage(new TextEncoder().encode('pong'), '::1', 7777);
  const r = nic.frames.at(-1);
  assert.equal(ip6ToString(r.subarray(ETH_HLEN + 8, ETH_HLEN + 24)), 'fec0::2');
  assert.equal(Buffer.from(r.subarray(O + 8)).toString(), 'pong');
  // DNS: the IPv4 resolver through a mapped address when the host has no IPv6 one; the reply comes from fec0::3:53.
  s.receive(udp6(G6, DNS6, 5001, 53, new Uint8Array(20)));
  await new Promise((r2) => setImmediate(r2));
  assert.deepEqual(host.udp[1].sent.map((x) => [x.a, x.p]), [['::ffff:10.9.9.9', 53]]);
  host.udp[1].onMessage(new Uint8Array(20), '::ffff:10.9.9.9', 53);
  const d = nic.frames.at(-1);
  assert.equal(ip6ToString(d.subarray(ETH_HLEN + 8, ETH_HLEN + 24)), 'fec0::3');
  assert.equal(new DataView(d.buffer).getUint16(O), 53);
  // Multicast (DHCPv6, mDNS) goes nowhere; a bad checksum is dropped.
  s.receive(udp6(G6, ip6('ff02::1:2'), 546, 547, new Uint8Array(10)));
  const bad = udp6(G6, GW6, 5002, 9, new Uint8Array(4)); bad[O + 6] ^= 0xff;
  s.receive(bad);
  await new Promise((r3) => setImmediate(r3));
  assert.equal(host.udp.length, 2);
});

test('ipv6=off: IPv6 frames are ignored', () => {
  const host = fakeHost();
  const s = new Slirp('n1', { net: parseIp('10.0.2.0'), mask: 0xffffff00, host: parseIp('10.0.2.2'), dns: parseIp('10.0.2.3'),
    dhcpStart: parseIp('10.0.2.15'), restrict: false, hostfwd: [] }, host);
  const nic = new FakeNic('nic1');
  connectPeers(nic, s);
  stacks.push(s);
  s.receive(icmp6(LL, ip6('ff02::2'), 133, new Uint8Array(4)));
  s.receive(ns(GW6));
  assert.equal(nic.frames.length, 0);
});

test('parseIp6 / ip6ToString: inet_pton\'s forms, RFC 5952 output, garbage refused', () => {
  for (const [a, b] of [['fec0::', 'fec0::'], ['::1', '::1'], ['::', '::'], ['fe80:0:0:0:0:0:0:2', 'fe80::2'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::ffff:1.2.3.4', '::ffff:102:304'], ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1']]) {
    assert.equal(ip6ToString(parseIp6(a)), b, a);
  }
  for (const bad of ['', ':', 'fec0', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::', '[::1]', '::1%eth0', '1.2.3.4']) assert.equal(parseIp6(bad), undefined, bad);
});

test('unsolicited Router Advertisements every 200-600 s (libslirp\'s NDP_MinRtrAdvInterval..NDP_MaxRtrAdvInterval)', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const sent = [];
  for (const [r, first] of [[0, 200_000], [0.999999, 599_999]]) {
    sent.length = 0;
    const ndp = new Ndp({ cfg6: IPV6, hasDns6: () => false, send6: (f) => sent.push(f) }, () => r);
    ndp.start();
    t.mock.timers.tick(first - 1);
    assert.equal(sent.length, 0);
    t.mock.timers.tick(1);
    assert.equal(sent.length, 1);
    assert.equal(sent[0][O], 134);
    t.mock.timers.tick(first);
    assert.equal(sent.length, 2);
    ndp.close();
    t.mock.timers.tick(first * 2);
    assert.equal(sent.length, 2);
  }
});

test('TFTP over IPv6 at fec0::2:69 (udp6_input\'s TFTP): without tftp= an "Access violation" from fec0::2', async () => {
  const { s, nic, host } = setup();
  const rrq = new Uint8Array([0, 1, ...new TextEncoder().encode('boot.img'), 0, ...new TextEncoder().encode('octet'), 0]);
  s.receive(udp6(G6, GW6, 3333, 69, rrq));
  await new Promise((r) => setImmediate(r));
  assert.equal(host.udp.length, 0); // not sent to the host's ::1:69
  const e = nic.frames.at(-1);
  const v = new DataView(e.buffer);
  assert.equal(ip6ToString(e.subarray(ETH_HLEN + 8, ETH_HLEN + 24)), 'fec0::2');
  assert.deepEqual([v.getUint16(O), v.getUint16(O + 2), v.getUint16(O + 8), v.getUint16(O + 10)], [69, 3333, 5, 2]);
  assert.match(Buffer.from(e.subarray(O + 12)).toString(), /^Access violation/);
});

test('DHCPv6: an information request gets libslirp\'s reply (client id, DNS, boot URL) from fec0::2:547; bad requests none', async () => {
  const { s, nic } = setup();
  // udhcpc6 -l -O dns -O 59's request and libslirp 4.7's reply with bootfile=pxe/x.img (QEMU 7.2, filter-dump), UDP payloads.
  const req = Buffer.from('0b6d4f580008000200000006000600170018003b0027000200000001000a00030001525400123456', 'hex');
  const want = '076d4f580001000a0003000152540012345600170010fec00000000000000000000000000003003b003a746674703a2f2f5b666563303a303030303a303030303a303030303a303030303a303030303a303030303a303030325d2f7078652f782e696d67';
  assert.equal(hex(dhcpv6Reply({ host: GW6, dns: DNS6, bootfile: 'pxe/x.img' }, req)), want);
  s.receive(udp6(LL, ip6('ff02::1:2'), 546, 547, req));
  await new Promise((r) => setImmediate(r));
  const r = nic.frames.at(-1);
  const v = new DataView(r.buffer);
  assert.deepEqual([ip6ToString(r.subarray(ETH_HLEN + 8, ETH_HLEN + 24)), ip6ToString(r.subarray(ETH_HLEN + 24, ETH_HLEN + 40)), v.getUint16(O), v.getUint16(O + 2)],
    ['fec0::2', 'fe80::5054:ff:fe12:3456', 547, 546]);
  assert.equal(hex(r.subarray(O + 8, O + 12)), '07' + req.subarray(1, 4).toString('hex'));
  // No bootfile=: glibc's "(null)", as libslirp prints it.
  assert.match(Buffer.from(dhcpv6Reply({ host: GW6, dns: DNS6 }, req)).toString('latin1'), /\/\(null\)$/);
  const bad = (h) => dhcpv6Reply({ host: GW6, dns: DNS6 }, Buffer.from(h, 'hex'));
  assert.equal(bad('0b00'), undefined); // short
  assert.equal(bad('01000001000100'), undefined); // a solicit
  assert.equal(bad('0b0000010006000300170018'), undefined); // odd ORO
  assert.equal(bad('0b000001000100ff00'), undefined); // option past the end
  assert.equal(bad('0b000001000500040000000000'), undefined); // IA address
  assert.equal(bad('0b0000010001010100'), undefined); // client id above 256 bytes (and past the end)
  for (let i = 0; i < 2000; i++) dhcpv6Reply({ host: GW6, dns: DNS6 }, crypto.randomBytes(i % 64));
});
