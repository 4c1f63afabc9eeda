// Two tsqemu guests on one link: -netdev stream (server) and -nic stream (client), QEMU's
// 4-byte length framing. Ping and TCP both ways. (tsqemu with real QEMU: net-socket-qemu.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Console } from './system-helpers.js';
import { freePort, waitListen } from './net-helpers.js';

const BOOT = ['-M', 'virt', '-m', '256M', '-nographic'];

function tsqemu(netArgs) {
  return new Console([...BOOT, ...netArgs]);
}


/** Ping and a TCP transfer (nc) in both directions between a (ipA) and b (ipB). */
async function checkLink(a, ipA, b, ipB, port) {
  assert.match(await a.sh(`ping -c 2 -W 10 ${ipB}`, 60_000), /2 packets transmitted, 2 packets received/);
  assert.match(await b.sh(`ping -c 2 -W 10 ${ipA}`, 60_000), /2 packets transmitted, 2 packets received/);
  for (const [src, dst, dstIp] of [[a, b, ipB], [b, a, ipA]]) {
    await dst.sh(`rm -f /tmp/r /tmp/r.done; (nc -l -p ${port} < /dev/null > /tmp/r; echo done > /tmp/r.done) & sleep 0`);
    await waitListen(dst, port);
    const sent = await src.sh(`dd if=/dev/urandom of=/tmp/x bs=1024 count=768 2>/dev/null; nc ${dstIp} ${port} < /tmp/x; sha256sum /tmp/x | cut -d' ' -f1`, 120_000);
    let done = '';
    for (let i = 0; i < 60 && done !== 'done'; i++) done = await dst.sh('sleep 0.5; cat /tmp/r.done 2>/dev/null');
    const got = await dst.sh("sha256sum /tmp/r | cut -d' ' -f1");
    assert.equal(got, /^[0-9a-f]{64}$/m.exec(sent)?.[0]);
  }
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
