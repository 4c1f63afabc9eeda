// -netdev user's IPv6 against real QEMU 7.2 (libslirp 4.7): both boot the same kernel and initrd
// with QEMU's defaults (ipv6=on, fec0::/64), the guest runs the same commands on both and the
// outputs must be equal: the SLAAC address and routes from the Router Advertisement, the
// neighbour entries, ping to fec0::2, fe80::2 and fec0::3, TCP and UDP to host servers on [::1]
// through fec0::2, echo to outside addresses (not forwarded by either), TFTP from fec0::2, a
// DHCPv6 information request. The -netdev options'
// error messages are compared with QEMU's too (hostfwd takes no IPv6 address in QEMU 10.2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Console, INITRD, hasTool, kernelImage, run, tmpdir } from './system-helpers.js';
import { dnsServer, sideBySide } from './net-helpers.js';
import { spawnSync } from 'node:child_process';

const hasLo6 = Object.values(os.networkInterfaces()).flat().some((a) => a?.address === '::1');
const skip = (!hasTool('qemu-system-riscv64') && 'qemu-system-riscv64 is not installed') || (!hasLo6 && 'the host has no ::1');
const BOOT = ['-M', 'virt', '-m', '256M', '-nographic'];

const emu = {}; // name -> { c, tcpPort, udpPort, tcpGot }
const servers = [];
let dns;
let dir;

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
  fs.writeFileSync(path.join(dir, 'f.bin'), crypto.randomBytes(5000 + 3));
  for (const name of ['tsqemu', 'qemu']) {
    const rec = { tcpGot: '' };
    await servers6(rec);
    const args = [...BOOT, '-netdev', `user,id=n0,tftp=${dir},bootfile=pxe/x.img`, '-device', 'virtio-net-device,netdev=n0'];
    if (name === 'tsqemu') {
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
});

after(() => {
  for (const e of Object.values(emu)) e.c.kill();
  for (const s of servers) s.close();
  dns?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Run `cmd` in both guests (net-helpers.js). */
const { both, same } = sideBySide(emu);

/** Lifetimes count down: compare them as N. */
const NORM = "sed -E 's/[0-9]+sec/Nsec/g'";

test('SLAAC from the Router Advertisement: the same address, routes and router neighbours as QEMU', { skip, timeout: 240_000 }, async () => {
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

test('ping -6: fec0::2, fe80::2 and fec0::3 answer with hop limit 255; outside addresses do not', { skip, timeout: 180_000 }, async () => {
  for (const a of ['fec0::2', 'fe80::2%eth0', 'fec0::3']) {
    const out = await same(`ping -6 -c 2 -W 10 ${a} | grep -E 'transmitted|bytes from' | sed 's/ time=.*//'`, 60_000);
    assert.match(out, /64 bytes from [0-9a-f:]+: seq=0 ttl=255\n64 bytes from [0-9a-f:]+: seq=1 ttl=255\n2 packets transmitted, 2 packets received/);
  }
  assert.match(await same('ping -6 -c 1 -W 3 2001:db8::1 | grep transmitted', 60_000), /1 packets transmitted, 0 packets received/);
  const neigh = await same("ip -6 neigh show dev eth0 | awk '$1 ~ /^(fec0::2|fec0::3|fe80::2)$/ {print $1, $3, $4}' | sort");
  assert.equal(neigh, 'fe80::2 52:56:00:00:00:02 router\nfec0::2 52:56:00:00:00:02 router\nfec0::3 52:56:00:00:00:03 router');
});

test('TCP and UDP to host servers on [::1] through fec0::2', { skip, timeout: 180_000 }, async () => {
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

test('TFTP over IPv6 from fec0::2: a download and an error', { skip, timeout: 120_000 }, async () => {
  const sum = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'f.bin'))).digest('hex');
  assert.equal(await same('tftp -g -r f.bin -l /tmp/t6 fec0::2 2>/dev/null; echo rc=$?; sha256sum /tmp/t6 | cut -c1-64', 90_000), `rc=0\n${sum}`);
  assert.match(await same('tftp -g -r nothere -l /tmp/t7 fec0::2 2>&1; echo rc=$?'), /File not found[\s\S]*rc=1/);
});

test('DHCPv6 information request: a reply arrives (BusyBox udhcpc6 ignores it: libslirp sends no server ID)', { skip, timeout: 120_000 }, async () => {
  const out = await same('udhcpc6 -i eth0 -l -n -q -t 2 -T 2 -s /bin/true -O dns -O 59 2>&1; echo rc=$?', 90_000);
  assert.match(out, /no server ID, ignoring packet[\s\S]*rc=1/);
});

test('DNS over IPv6: fec0::3 relays to the host resolver (tsqemu; QEMU needs an IPv6 nameserver on the host)', { skip, timeout: 60_000 }, async () => {
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

test('-netdev user IPv6 options: the same errors as QEMU', { skip, timeout: 900_000 }, async () => {
  for (const o of BAD) {
    const netdev = `user,id=n0,${o}`;
    const q = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-nographic', '-bios', 'none', '-S', '-monitor', 'none', '-serial', 'none', '-netdev', netdev],
      { encoding: 'utf8', timeout: 120_000, input: '' });
    const t = await run(['-M', 'virt', '-nographic', '-S', '-monitor', 'none', '-serial', 'none', '-netdev', netdev], { input: '', timeoutMs: 120_000 });
    assert.equal(q.status, 1, o);
    assert.equal(t.code, 1, o);
    assert.equal(t.stderr.replace(/^tsqemu-system-riscv64: /gm, ''), q.stderr.replace(/^qemu-system-riscv64: /gm, ''), o);
  }
});
