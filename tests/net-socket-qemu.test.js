// tsqemu and real qemu-system-riscv64 (Debian) booting the same kernel and initrd on one link:
// -netdev socket (listen/connect, QEMU's 4-byte length framing) and -netdev dgram on a second
// NIC. Ping and TCP both ways over each.
import { test } from 'node:test';
import net from 'node:net';
import { Console, INITRD, hasTool, kernelImage } from './system-helpers.js';
import { freePort, checkLink } from './net-helpers.js';

const BOOT = ['-M', 'virt', '-m', '256M', '-nographic'];

function tsqemu(netArgs) {
  return new Console([...BOOT, ...netArgs]);
}

function qemu(netArgs) {
  return new Console([...BOOT, '-bios', 'default', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0', ...netArgs],
    'qemu-system-riscv64');
}


test('tsqemu and real qemu-system-riscv64: -netdev socket listen/connect and -netdev dgram', { timeout: 300_000, skip: !hasTool('qemu-system-riscv64') }, async () => {
  const [sp, ua, ub] = [await freePort(), await freePort(), await freePort()];
  const a = tsqemu(['-netdev', `socket,id=s0,listen=127.0.0.1:${sp}`, '-device', 'virtio-net-device,netdev=s0',
    '-netdev', `dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=${ua},remote.type=inet,remote.host=127.0.0.1,remote.port=${ub}`,
    '-device', 'virtio-net-device,netdev=d0']);
  // Connect once tsqemu listens (QEMU's socket connect= does not retry).
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => { const s = net.connect(sp, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const b = qemu(['-netdev', `socket,id=s0,connect=127.0.0.1:${sp}`, '-device', 'virtio-net-device,netdev=s0,mac=52:54:00:12:34:60',
    '-netdev', `dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=${ub},remote.type=inet,remote.host=127.0.0.1,remote.port=${ua}`,
    '-device', 'virtio-net-device,netdev=d0,mac=52:54:00:12:34:61']);
  try {
    await Promise.all([a.expect(/boot complete/, 180_000), b.expect(/boot complete/, 180_000)]);
    // Which ethN is which NIC depends on probe order: address the NICs by MAC.
    const up = async (c, mac, ip) => c.sh(`for i in eth0 eth1; do ip link show $i | grep -qi ${mac} && ifconfig $i ${ip} netmask 255.255.255.0 up; done`);
    await up(a, '52:54:00:12:34:56', '192.168.10.1');
    await up(a, '52:54:00:12:34:57', '192.168.20.1');
    await up(b, '52:54:00:12:34:60', '192.168.10.2');
    await up(b, '52:54:00:12:34:61', '192.168.20.2');
    await checkLink(a, '192.168.10.1', b, '192.168.10.2', 5002);
    await checkLink(a, '192.168.20.1', b, '192.168.20.2', 5003);
  } finally {
    a.kill();
    b.kill();
  }
});
