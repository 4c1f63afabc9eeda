// The network command line without booting a guest (-S, no firmware): every form builds the
// expected clients (HMP info network), and bad options are refused with QEMU-style errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Console, run } from './system-helpers.js';

const BASE = ['-M', 'virt', '-S', '-nographic', '-bios', 'none'];

async function infoNetwork(args) {
  const c = new Console([...BASE, ...args]);
  try {
    c.send('\x01c');
    await c.expect(/\(qemu\) /, 60_000, 0);
    const from = c.out.length;
    c.send('info network\r');
    await c.expect(/\(qemu\) /, 60_000, from);
    const text = c.out.slice(from).replace(/\r/g, '').replace(/^info network\n/, '').replace(/\(qemu\) $/, '');
    c.send('\x01x');
    assert.equal(await c.exit, 0);
    return text;
  } finally {
    c.kill();
  }
}

test('-nic user: a virtio-net NIC with its own user back end', async () => {
  assert.equal(await infoNetwork(['-nic', 'user,mac=52:54:00:aa:bb:cc']),
    'virtio-net-pci.0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:aa:bb:cc\n' +
    ' \\ __org.qemu.nic0: index=0,type=user,net=10.0.2.0,restrict=off\n');
});

test('-net nic -net user: both on hub 0; a second NIC gets the next MAC', async () => {
  const t = await infoNetwork(['-net', 'nic', '-net', 'user,net=192.168.76.0/24,restrict=on', '-netdev', 'user,id=u1', '-device', 'virtio-net-device,netdev=u1,id=nic1']);
  assert.match(t, /^hub 0\n/);
  assert.match(t, / \\ hub0port0: user\.0: index=0,type=user,net=192\.168\.76\.0,restrict=on\n/);
  assert.match(t, / \\ hub0port1: virtio-net-pci\.0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:12:34:56\n/);
  assert.match(t, /nic1: index=0,type=nic,model=virtio-net-device,macaddr=52:54:00:12:34:57\n \\ u1: index=0,type=user/);
});

test('-netdev hubport joins a back end and a NIC through hub 1; socket listen shows its address', async () => {
  const t = await infoNetwork(['-netdev', 'user,id=a', '-netdev', 'hubport,id=h1,hubid=1,netdev=a', '-netdev', 'hubport,id=h2,hubid=1',
    '-device', 'virtio-net-device,netdev=h2', '-netdev', 'socket,id=s,listen=127.0.0.1:0', '-device', 'virtio-net-device,netdev=s']);
  assert.match(t, /hub 1\n \\ h1: a: index=0,type=user,net=10\.0\.2\.0,restrict=off\n \\ h2: virtio-net-device\.0: index=0,type=nic/);
  assert.match(t, /virtio-net-device\.1: index=0,type=nic,model=virtio-net-device,macaddr=52:54:00:12:34:57\n \\ s: index=0,type=socket,socket: listening on 127\.0\.0\.1:0/);
});

const bad = [
  [['-netdev', 'user'], /-netdev user: Parameter 'id' is missing/],
  [['-netdev', 'tap,id=t'], /-netdev tap,id=t: network backend 'tap' is not supported by tsqemu/],
  [['-netdev', 'user,id=u,smb=/tmp'], /user-mode network option 'smb' is not supported/],
  [['-netdev', 'user,id=u,hostfwd=tcp:1-2'], /Invalid host forwarding rule 'tcp:1-2'/],
  [['-netdev', 'user,id=u,net=10.0.2.0/33'], /Invalid netmask length/],
  [['-netdev', 'user,id=u,dhcpstart=10.9.9.9'], /Parameter 'dhcpstart' must be in the guest network/],
  [['-netdev', 'user,id=u', '-netdev', 'user,id=u'], /Duplicate ID 'u' for netdev/],
  [['-device', 'virtio-net-device,netdev=nope'], /-device virtio-net-device,netdev=nope: Property 'virtio-net-device.netdev' can't find value 'nope'/],
  [['-netdev', 'user,id=u', '-device', 'virtio-net-device,netdev=u', '-device', 'virtio-net-device,netdev=u'], /can't take value 'u', it's in use/],
  [['-device', 'virtio-net-device,mac=01:00:00:00:00:01'], /Property 'virtio-net-device.mac' doesn't take value/],
  [['-nic', 'user,model=e1000'], /unsupported NIC model 'e1000'/],
  [['-device', 'virtio-net-pci,netdev=nope'], /-device virtio-net-pci,netdev=nope: Property 'virtio-net-pci.netdev' can't find value 'nope'/],
  [['-device', 'virtio-net-pci,bogus=1'], /Property 'virtio-net-pci.bogus' not found/],
  [['-netdev', 'socket,id=s'], /exactly one of listen=, connect=, mcast= or udp= is required/],
  [['-netdev', 'stream,id=s,addr.type=inet,addr.host=127.0.0.1'], /Parameter 'addr.port' is missing/],
  [['-netdev', 'dgram,id=d,local.type=unix,local.path=/tmp/x'], /unix sockets is not supported/],
  [['-object', 'filter-dump,id=f,netdev=x,file=/tmp/x.pcap'], /Property 'filter-dump.netdev' can't find value 'x'/],
  [['-object', 'filter-redirector,id=f'], /-object filter-redirector,id=f: object type 'filter-redirector' is not supported by tsqemu/],
  [['-netdev', 'user,id=u,ipv6=on'], /IPv4 is required: ipv6=on without ipv4=on \(which turns IPv4 off, as in QEMU\) is not supported by tsqemu/],
  [['-netdev', 'user,id=u,ipv6=off,ipv6-dns=fec0::3'], /IPv6 disabled but prefix\/host6\/dns6 provided/],
  [['-netdev', 'user,id=u,smb=/tmp'], /user-mode network option 'smb' is not supported by tsqemu/],
  [['-netdev', 'user,id=u,guestfwd=tcp:10.0.2.2:1234-cmd:cat'], /Conflicting\/invalid host:port in guest forwarding rule 'tcp:10.0.2.2:1234-cmd:cat'/],
  [['-netdev', 'user,id=u,guestfwd=tcp:10.0.2.100:x-cmd:cat'], /Invalid guest forwarding rule/],
  [['-netdev', 'user,id=u,guestfwd=tcp:10.0.2.100:1234-file:/tmp/x'], /Could not open guest forwarding device 'guestfwd.tcp.1234'/],
  [['-netdev', 'user,id=u,domainname='], /'domainname' parameter cannot be empty/],
  // QEMU's two lines when a guestfwd chardev cannot connect at startup.
  [['-netdev', 'user,id=u,guestfwd=tcp:10.0.2.100:1234-tcp:127.0.0.1:1'],
    /-netdev user,id=u,guestfwd=tcp:10.0.2.100:1234-tcp:127.0.0.1:1: Failed to connect to '127.0.0.1:1': Connection refused\ntsqemu-system-riscv64: -netdev user,id=u,guestfwd=tcp:10.0.2.100:1234-tcp:127.0.0.1:1: Could not open guest forwarding device 'guestfwd.tcp.1234'/],
];

for (const [args, re] of bad) {
  test(`refused: ${args.join(' ')}`, async () => {
    const r = await run([...BASE, ...args], { input: '', timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /^tsqemu-system-riscv64: /);
  });
}

test('a hostfwd port already in use fails at startup', async () => {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  try {
    const port = s.address().port;
    const r = await run([...BASE, '-netdev', `user,id=u,hostfwd=tcp:127.0.0.1:${port}-:22`], { input: '', timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`-netdev user,id=u,hostfwd=tcp:127.0.0.1:${port}-:22: Could not set up host forwarding rule: Address already in use`));
  } finally {
    s.close();
  }
});
