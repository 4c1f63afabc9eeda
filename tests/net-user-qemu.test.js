// -netdev user against real QEMU 7.2 (libslirp 4.7): tsqemu and qemu-system-riscv64 boot the same
// kernel and initrd with the same -netdev options (tftp=, bootfile=, tftp-server-name=,
// domainname=, dnssearch=, guestfwd= cmd: and tcp: chardev; QEMU's IPv6 defaults: ipv6=on,
// fec0::/64), the guest runs the same commands on both, and their outputs must be equal.
// One boot of each emulator serves both parts (they were two files, each booting both):
// - IPv6 (first: the IPv4 part's last test changes the MAC, and with it the SLAAC address): the
//   SLAAC address and routes from the Router Advertisement, the neighbour entries, ping to
//   fec0::2, fe80::2 and fec0::3, TCP and UDP to host servers on [::1] through fec0::2, echo to
//   outside addresses (not forwarded by either), TFTP from fec0::2, a DHCPv6 information request,
//   DNS relayed by fec0::3 (tsqemu); the -netdev IPv6 options' error messages are compared with
//   QEMU's too (hostfwd takes no IPv6 address in QEMU 10.2);
// - IPv4: the DHCP lease's fields, TFTP downloads and errors, guestfwd connections, fragmented
//   ICMP and UDP, the virtio-net control queue's feature bits and a MAC change from the guest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Console, INITRD, hasTool, kernelImage, run, tmpdir } from './system-helpers.js';
import { dnsServer, sideBySide } from './net-helpers.js';

const skip = !hasTool('qemu-system-riscv64') && 'qemu-system-riscv64 is not installed';
const hasLo6 = Object.values(os.networkInterfaces()).flat().some((a) => a?.address === '::1');
const skip6 = skip || (!hasLo6 && 'the host has no ::1');
const BOOT = ['-M', 'virt', '-m', '256M', '-nographic'];
// Every field udhcpc hands its script that slirp's reply can carry.
const LEASE_SCRIPT = '#!/bin/sh\\n[ "$1" = bound ] || exit 0\\nifconfig $interface $ip netmask $subnet && route add default gw $router\\n' +
  'for v in ip subnet router dns serverid hostname domain search tftp boot_file bootfile siaddr sname lease opt60; do eval echo $v=\\\\$$v; done > /tmp/lease\\nexit 0\\n';

let dir;
const emu = {}; // name -> { c, chardevGot, echoSizes, chardevPort, echoPort, tcpPort, udpPort, tcpGot }
let dns;
const servers = [];

async function chardevServer(rec) {
  const s = net.createServer((sock) => {
    sock.write('from-host\n');
    // The reply comes after the guest's nc has half-closed (it sends its FIN at stdin's end): the
    // connection stays open toward the guest, as QEMU's does, so the reply still arrives.
    sock.on('data', (d) => { rec.chardevGot += d; if (String(d).includes('\n')) setTimeout(() => sock.write(`got:${String(d).trim()}\n`), 500); });
    sock.on('error', () => {});
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return s.address().port;
}

async function udpEcho(rec) {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => { rec.echoSizes.push(m.length); s.send(m, r.port, r.address); });
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  servers.push(s);
  return s.address().port;
}

async function servers6(rec) {
  const t = net.createServer((s) => {
    s.on('data', (d) => { rec.tcpGot += d; });
    s.on('end', () => s.end(`got ${rec.tcpGot.length} bytes\n`));
    s.on('error', () => {});
  });
  await new Promise((r) => t.listen(0, '::1', r));
  const u = dgram.createSocket('udp6');
  u.on('message', (m, r) => u.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
  await new Promise((r) => u.bind(0, '::1', r));
  servers.push(t, u);
  rec.tcpPort = t.address().port;
  rec.udpPort = u.address().port;
}

before(async () => {
  if (skip) return;
  dns = await dnsServer({ 'v6.example.test': '10.1.2.3' });
  dir = tmpdir();
  fs.mkdirSync(path.join(dir, 'tftp', 'pxe'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tftp', 'pxe', 'boot.img'), crypto.randomBytes(100_000 + 77));
  fs.writeFileSync(path.join(dir, 'tftp', 'exact.bin'), crypto.randomBytes(2048)); // a multiple of 512: an empty last block
  fs.writeFileSync(path.join(dir, 'tftp', 'f.bin'), crypto.randomBytes(5000 + 3)); // (the IPv6 download)
  fs.writeFileSync(path.join(dir, 'secret'), 'not exported\n');
  for (const name of ['tsqemu', 'qemu']) {
    const rec = { chardevGot: '', echoSizes: [], tcpGot: '' };
    rec.chardevPort = await chardevServer(rec);
    rec.echoPort = await udpEcho(rec);
    if (hasLo6) await servers6(rec);
    const netdev = `user,id=n0,hostname=g1,tftp=${dir}/tftp,bootfile=pxe/boot.img,tftp-server-name=tftp.example,` +
      'domainname=example.test,dnssearch=a.example.test,dnssearch=example.org,' +
      'guestfwd=tcp:10.0.2.100:1234-cmd:echo hello-guestfwd,' +
      `guestfwd=tcp:10.0.2.101:4321-tcp:127.0.0.1:${rec.chardevPort}`;
    const args = [...BOOT, '-netdev', netdev, '-device', 'virtio-net-device,netdev=n0'];
    if (name === 'tsqemu') {
      // Our slirp relays DNS (fec0::3, 10.0.2.3) to the test's server.
      const saved = process.env.TSQEMU_SLIRP_DNS;
      process.env.TSQEMU_SLIRP_DNS = `127.0.0.1:${dns.address().port}`;
      rec.c = new Console(args);
      if (saved === undefined) delete process.env.TSQEMU_SLIRP_DNS; else process.env.TSQEMU_SLIRP_DNS = saved;
    } else {
      rec.c = new Console([...args, '-bios', 'default', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0'], 'qemu-system-riscv64');
    }
    emu[name] = rec;
  }
  await Promise.all(Object.values(emu).map((e) => e.c.expect(/tsqemu-guest: boot complete/, 240_000)));
  for (const e of Object.values(emu)) await e.c.sh('dmesg -n 1');
  if (!skip6) badRuns = badOptionRuns(); // (never rejects: its test reports)
});

after(() => {
  for (const e of Object.values(emu)) e.c.kill();
  for (const s of servers) s.close();
  dns?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Run `cmd` in both guests (net-helpers.js). */
const { both, same } = sideBySide(emu);

// ---- IPv6 (was tests/net-user-ipv6-qemu.test.js) ----

/** Lifetimes count down: compare them as N. */
const NORM = "sed -E 's/[0-9]+sec/Nsec/g'";

test('SLAAC from the Router Advertisement: the same address, routes and router neighbours as QEMU', { skip: skip6, timeout: 240_000 }, async () => {
  // The kernel solicits at link up; wait (bounded) for the global address to leave tentative state.
  await both('ifconfig eth0 up; for i in $(seq 60); do ip -6 addr show dev eth0 | grep -q "scope site dynamic" && ! ip -6 addr show dev eth0 | grep -q tentative && break; sleep 1; done', 120_000);
  const addr = await same(`ip -6 addr show dev eth0 | ${NORM}`);
  assert.match(addr, /inet6 fec0::5054:ff:fe12:3456\/64 scope site dynamic/);
  assert.match(addr, /valid_lft Nsec preferred_lft Nsec/);
  const routes = await same(`ip -6 route | ${NORM}`);
  assert.match(routes, /^fec0::\/64 dev eth0 +metric 256 +expires Nsec/m);
  assert.match(routes, /^default via fe80::2 dev eth0 +metric 1024 +expires Nsec/m);
  assert.equal(await same('cat /proc/sys/net/ipv6/conf/eth0/hop_limit'), '64'); // the RA's current hop limit
});

test('ping -6: fec0::2, fe80::2 and fec0::3 answer with hop limit 255; outside addresses do not', { skip: skip6, timeout: 180_000 }, async () => {
  for (const a of ['fec0::2', 'fe80::2%eth0', 'fec0::3']) {
    const out = await same(`ping -6 -c 2 -W 10 ${a} | grep -E 'transmitted|bytes from' | sed 's/ time=.*//'`, 60_000);
    assert.match(out, /64 bytes from [0-9a-f:]+: seq=0 ttl=255\n64 bytes from [0-9a-f:]+: seq=1 ttl=255\n2 packets transmitted, 2 packets received/);
  }
  assert.match(await same('ping -6 -c 1 -W 3 2001:db8::1 | grep transmitted', 60_000), /1 packets transmitted, 0 packets received/);
  const neigh = await same("ip -6 neigh show dev eth0 | awk '$1 ~ /^(fec0::2|fec0::3|fe80::2)$/ {print $1, $3, $4}' | sort");
  assert.equal(neigh, 'fe80::2 52:56:00:00:00:02 router\nfec0::2 52:56:00:00:00:02 router\nfec0::3 52:56:00:00:00:03 router');
});

test('TCP and UDP to host servers on [::1] through fec0::2', { skip: skip6, timeout: 180_000 }, async () => {
  const [ts, q] = await Promise.all(['tsqemu', 'qemu'].map((n) => emu[n].c.sh(
    `dd if=/dev/zero bs=1000 count=300 2>/dev/null | nc fec0::2 ${emu[n].tcpPort}; echo rc=$?`, 120_000)));
  assert.equal(ts, q);
  assert.equal(ts, 'got 300000 bytes\nrc=0');
  const [tu, qu] = await Promise.all(['tsqemu', 'qemu'].map((n) => emu[n].c.sh(
    `echo hello6 | nc -u -w 3 fec0::2 ${emu[n].udpPort}`, 60_000)));
  assert.equal(tu, qu);
  assert.equal(tu, 'echo:hello6');
  // Nothing listens on port 1 of the host's ::1: the connection is refused on both.
  assert.match(await same('nc -w 5 fec0::2 1 < /dev/null 2>&1; echo rc=$?'), /rc=1$/);
});

test('TFTP over IPv6 from fec0::2: a download and an error', { skip: skip6, timeout: 120_000 }, async () => {
  const sum = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'tftp', 'f.bin'))).digest('hex');
  assert.equal(await same('tftp -g -r f.bin -l /tmp/t6 fec0::2 2>/dev/null; echo rc=$?; sha256sum /tmp/t6 | cut -c1-64', 90_000), `rc=0\n${sum}`);
  assert.match(await same('tftp -g -r nothere -l /tmp/t7 fec0::2 2>&1; echo rc=$?'), /File not found[\s\S]*rc=1/);
});

test('DHCPv6 information request: a reply arrives (BusyBox udhcpc6 ignores it: libslirp sends no server ID)', { skip: skip6, timeout: 120_000 }, async () => {
  const out = await same('udhcpc6 -i eth0 -l -n -q -t 2 -T 2 -s /bin/true -O dns -O 59 2>&1; echo rc=$?', 90_000);
  assert.match(out, /no server ID, ignoring packet[\s\S]*rc=1/);
});

test('DNS over IPv6: fec0::3 relays to the host resolver (tsqemu; QEMU needs an IPv6 nameserver on the host)', { skip: skip6, timeout: 60_000 }, async () => {
  const out = await emu.tsqemu.c.sh('nslookup v6.example.test fec0::3 2>&1', 30_000);
  assert.match(out, /Server:\s+fec0::3/);
  assert.match(out, /Address: 10\.1\.2\.3/);
  assert.ok(dns.queries.includes('v6.example.test/1'));
});

// Both emulators refuse these the same way (QEMU 7.2's messages, program name aside).
const BAD = [
  'ipv6-prefixlen=127', 'ipv6-prefixlen=-1', 'ipv6-prefixlen=x', 'ipv6-net=fec0::/200', 'ipv6-net=zz', 'ipv6-net=fec0::/x',
  'ipv6-net=/64', 'ipv6-prefix=zz', 'ipv6-host=fec1::2', 'ipv6-host=zz', 'ipv6-dns=zz', 'ipv6-dns=fec1::3,restrict=on',
  'ipv6=off,ipv6-host=fec0::2', 'ipv6=off,ipv6-net=fec0::/64', 'ipv6=off,ipv4=off', 'ipv6=maybe', 'hostfwd=tcp:[::1]:2222-:22',
  'ipv4=off,net=10.0.0.0/8',
];

/** QEMU's and our refusal of each BAD option, one after the other; started when the guests are up,
 * so that these runs (CPU) fill the guests' waits (pings, timeouts) instead of adding to them. */
async function badOptionRuns() {
  const out = [];
  for (const o of BAD) {
    const netdev = `user,id=n0,${o}`;
    try {
      const [q, t] = await Promise.all([
        new Promise((resolve) => {
          const p = spawn('qemu-system-riscv64', ['-M', 'virt', '-nographic', '-bios', 'none', '-S', '-monitor', 'none', '-serial', 'none', '-netdev', netdev],
            { stdio: ['pipe', 'ignore', 'pipe'] });
          let stderr = '';
          p.stderr.on('data', (d) => { stderr += d; });
          const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
          p.on('close', (status) => { clearTimeout(timer); resolve({ status, stderr }); });
          p.stdin.end('');
        }),
        run(['-M', 'virt', '-nographic', '-S', '-monitor', 'none', '-serial', 'none', '-netdev', netdev], { input: '', timeoutMs: 120_000 }),
      ]);
      out.push({ o, q, t });
    } catch (e) {
      out.push({ o, error: e });
    }
  }
  return out;
}
let badRuns;

// ---- IPv4 ----

test('DHCP: bootfile, tftp-server-name, domainname and dnssearch as QEMU sends them', { skip, timeout: 180_000 }, async () => {
  await both(`printf '${LEASE_SCRIPT}' > /tmp/dhcp.sh; chmod +x /tmp/dhcp.sh; ifconfig eth0 up`);
  await same('udhcpc -i eth0 -s /tmp/dhcp.sh -n -q -t 5 -O search -O tftp -O bootfile >/dev/null 2>&1; echo rc=$?', 120_000);
  const lease = await same('cat /tmp/lease');
  assert.match(lease, /^ip=10\.0\.2\.15$/m);
  assert.match(lease, /^domain=example\.test$/m);
  assert.match(lease, /^search=a\.example\.test example\.org$/m);
  assert.match(lease, /^tftp=tftp\.example$/m);
  assert.match(lease, /^boot_file=pxe\/boot\.img$/m);
});

test('TFTP: downloads (512-byte and 1428-byte blocks, an empty last block) and errors', { skip, timeout: 240_000 }, async () => {
  const img = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'tftp', 'pxe', 'boot.img'))).digest('hex');
  const out = await same('tftp -g -r pxe/boot.img -l /tmp/t1 10.0.2.2 2>/dev/null; echo rc=$?; sha256sum /tmp/t1 | cut -c1-64', 180_000);
  assert.equal(out, `rc=0\n${img}`);
  assert.equal(await same('tftp -b 1428 -g -r pxe/boot.img -l /tmp/t2 10.0.2.2 2>/dev/null; echo rc=$?; sha256sum /tmp/t2 | cut -c1-64', 180_000), `rc=0\n${img}`);
  assert.match(await same('tftp -b 4000 -g -r exact.bin -l /tmp/t3 10.0.2.2 2>/dev/null; echo rc=$?; wc -c < /tmp/t3'), /rc=0\n2048$/);
  assert.match(await same('tftp -g -r nothere -l /tmp/t4 10.0.2.2 2>&1; echo rc=$?'), /File not found[\s\S]*rc=1/);
  assert.match(await same('tftp -g -r ../secret -l /tmp/t5 10.0.2.2 2>&1; echo rc=$?'), /Access violation[\s\S]*rc=1/);
  assert.match(await same('tftp -g -r pxe/ -l /tmp/t6 10.0.2.2 2>&1; echo rc=$?'), /Access violation[\s\S]*rc=1/);
});

test('guestfwd: cmd: runs a program per connection; a tcp: chardev carries bytes both ways', { skip, timeout: 120_000 }, async () => {
  assert.equal(await same('nc 10.0.2.100 1234 < /dev/null'), 'hello-guestfwd');
  assert.equal(await same('nc 10.0.2.100 1234 < /dev/null'), 'hello-guestfwd');
  assert.equal(await same('echo to-host | nc -w 3 10.0.2.101 4321'), 'from-host\ngot:to-host');
  assert.equal(emu.tsqemu.chardevGot, 'to-host\n');
  assert.equal(emu.qemu.chardevGot, 'to-host\n');
  // Other addresses of the guest network do not answer.
  assert.match(await same('nc -w 3 10.0.2.102 1234 < /dev/null 2>&1; echo rc=$?'), /rc=1/);
});

test('IP fragments: ping -s 3000 and a 3000-byte UDP datagram, both ways', { skip, timeout: 120_000 }, async () => {
  assert.match(await same("ping -c 2 -s 3000 -W 10 10.0.2.2 | grep -E 'transmitted|bytes from' | sed 's/ time=.*//'", 60_000),
    /3008 bytes from 10\.0\.2\.2: seq=0 ttl=\d+\n3008 bytes from 10\.0\.2\.2: seq=1 ttl=\d+\n2 packets transmitted, 2 packets received/);
  const [ts, q] = await Promise.all(['tsqemu', 'qemu'].map((n) =>
    emu[n].c.sh(`dd if=/dev/zero bs=3000 count=1 2>/dev/null | nc -u -w 3 10.0.2.2 ${emu[n].echoPort} | wc -c`, 60_000)));
  assert.equal(ts, q);
  assert.deepEqual(emu.tsqemu.echoSizes, emu.qemu.echoSizes);
});

// The host's own non-loopback address answers echo requests from its kernel.
const hostIp = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

test('ICMP echo to a host address other than the gateway goes out on a host ICMP socket', { skip: skip || (!hostIp && 'no non-loopback IPv4 address'), timeout: 120_000 }, async () => {
  const out = await same(`ping -c 2 -W 10 ${hostIp} | grep -E 'transmitted|bytes from' | sed 's/ time=.*//'`, 60_000);
  assert.match(out, /2 packets transmitted, 2 packets received/);
  // The guest network's other addresses are not forwarded.
  assert.match(await same('ping -c 1 -W 3 10.0.2.77 | grep transmitted', 60_000), /1 packets transmitted, 0 packets received/);
});

test('virtio-net control queue: feature bits, promiscuous mode and a MAC change from the guest', { skip, timeout: 180_000 }, async () => {
  // Bits 17 CTRL_VQ, 18 CTRL_RX, 19 CTRL_VLAN, 20 CTRL_RX_EXTRA, 23 CTRL_MAC_ADDR of what the driver took
  // (the kernel shows the negotiated set).
  const bits = await same("f=$(cat /sys/bus/virtio/devices/*/features | head -1); echo ${f:17:4}${f:23:1}");
  assert.equal(bits, '11101'); // Linux does not take CTRL_RX_EXTRA
  await same('ip link set eth0 promisc on; ip link show eth0 | grep -o PROMISC; ip link set eth0 promisc off');
  const out = await same('ip link set eth0 down; ip link set eth0 address 52:54:00:aa:bb:cc; ip link set eth0 up; cat /sys/class/net/eth0/address; ' +
    'udhcpc -i eth0 -s /tmp/dhcp.sh -n -q -t 5 >/dev/null 2>&1; grep ip= /tmp/lease; ping -c 2 -W 10 10.0.2.2 | grep transmitted', 120_000);
  assert.match(out, /52:54:00:aa:bb:cc\nip=10\.0\.2\.16\n2 packets transmitted, 2 packets received/);
});

test('-netdev user IPv6 options: the same errors as QEMU', { skip: skip6, timeout: 900_000 }, async () => {
  for (const { o, q, t, error } of await badRuns) {
    if (error) throw error;
    assert.equal(q.status, 1, o);
    assert.equal(t.code, 1, o);
    assert.equal(t.stderr.replace(/^tsqemu-system-riscv64: /gm, ''), q.stderr.replace(/^qemu-system-riscv64: /gm, ''), o);
  }
});
