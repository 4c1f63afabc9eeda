// -netdev user against real QEMU 7.2 (libslirp 4.7): tsqemu and qemu-system-riscv64 boot the same
// kernel and initrd with the same -netdev options (tftp=, bootfile=, tftp-server-name=,
// domainname=, dnssearch=, guestfwd= cmd: and tcp: chardev), the guest runs the same commands on
// both, and their outputs must be equal: the DHCP lease's fields, TFTP downloads and errors,
// guestfwd connections, fragmented ICMP and UDP, the virtio-net control queue's feature bits
// and a MAC change from the guest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Console, INITRD, hasTool, kernelImage, tmpdir } from './system-helpers.js';
import { sideBySide } from './net-helpers.js';

const skip = !hasTool('qemu-system-riscv64') && 'qemu-system-riscv64 is not installed';
const BOOT = ['-M', 'virt', '-m', '256M', '-nographic'];
// Every field udhcpc hands its script that slirp's reply can carry.
const LEASE_SCRIPT = '#!/bin/sh\\n[ "$1" = bound ] || exit 0\\nifconfig $interface $ip netmask $subnet && route add default gw $router\\n' +
  'for v in ip subnet router dns serverid hostname domain search tftp boot_file bootfile siaddr sname lease opt60; do eval echo $v=\\\\$$v; done > /tmp/lease\\nexit 0\\n';

let dir;
const emu = {}; // name -> { c, chardevGot, echoSizes }
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

before(async () => {
  if (skip) return;
  dir = tmpdir();
  fs.mkdirSync(path.join(dir, 'tftp', 'pxe'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tftp', 'pxe', 'boot.img'), crypto.randomBytes(100_000 + 77));
  fs.writeFileSync(path.join(dir, 'tftp', 'exact.bin'), crypto.randomBytes(2048)); // a multiple of 512: an empty last block
  fs.writeFileSync(path.join(dir, 'secret'), 'not exported\n');
  for (const name of ['tsqemu', 'qemu']) {
    const rec = { chardevGot: '', echoSizes: [] };
    rec.chardevPort = await chardevServer(rec);
    rec.echoPort = await udpEcho(rec);
    const netdev = `user,id=n0,hostname=g1,tftp=${dir}/tftp,bootfile=pxe/boot.img,tftp-server-name=tftp.example,` +
      'domainname=example.test,dnssearch=a.example.test,dnssearch=example.org,' +
      'guestfwd=tcp:10.0.2.100:1234-cmd:echo hello-guestfwd,' +
      `guestfwd=tcp:10.0.2.101:4321-tcp:127.0.0.1:${rec.chardevPort}`;
    const args = [...BOOT, '-netdev', netdev, '-device', 'virtio-net-device,netdev=n0'];
    rec.c = name === 'tsqemu' ? new Console(args)
      : new Console([...args, '-bios', 'default', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0'], 'qemu-system-riscv64');
    emu[name] = rec;
  }
  await Promise.all(Object.values(emu).map((e) => e.c.expect(/tsqemu-guest: boot complete/, 240_000)));
  for (const e of Object.values(emu)) await e.c.sh('dmesg -n 1');
});

after(() => {
  for (const e of Object.values(emu)) e.c.kill();
  for (const s of servers) s.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Run `cmd` in both guests (net-helpers.js). */
const { both, same } = sideBySide(emu);

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
