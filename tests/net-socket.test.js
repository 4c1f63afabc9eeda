// Two tsqemu guests on one link: -netdev stream (server) and -nic stream (client), QEMU's
// 4-byte length framing. Ping and TCP both ways. (tsqemu with real QEMU: net-socket-qemu.)
import { test } from 'node:test';
import { Console } from './system-helpers.js';
import { freePort, checkLink } from './net-helpers.js';

const BOOT = ['-M', 'virt', '-m', '256M', '-nographic'];

function tsqemu(netArgs) {
  return new Console([...BOOT, ...netArgs]);
}

test('two tsqemu guests on -netdev stream (server) and -nic stream (client): ping and TCP both ways', { timeout: 300_000 }, async () => {
  const port = await freePort();
  const a = tsqemu(['-netdev', `stream,id=s0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=${port}`, '-device', 'virtio-net-device,netdev=s0']);
  // The client side uses the -nic shorthand (NIC and back end in one option).
  const b = tsqemu(['-nic', `stream,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=${port},reconnect-ms=500,mac=52:54:00:12:34:57`]);
  try {
    await Promise.all([a.expect(/boot complete/, 180_000), b.expect(/boot complete/, 180_000)]);
    await a.sh('ifconfig eth0 192.168.77.1 netmask 255.255.255.0 up');
    await b.sh('ifconfig eth0 192.168.77.2 netmask 255.255.255.0 up');
    await checkLink(a, '192.168.77.1', b, '192.168.77.2', 5001);
  } finally {
    a.kill();
    b.kill();
  }
});
