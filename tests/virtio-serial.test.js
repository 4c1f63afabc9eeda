// virtio-serial-pci (and virtio-mmio's virtio-serial-device) with a virtserialport (libvirt's guest-agent channel: a named port on a unix
// socket) and a virtconsole, on real qemu-system-riscv64 and on ours, booted side by side with the
// same kernel and initramfs: the guest's view (ports, names, PCI config), data both ways through
// the port and the console, the guest waiting for the host end, and VSERPORT_CHANGE on QMP when the
// guest opens and closes the port must be the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, Console, hasTool, tmpdir } from './system-helpers.js';
import { QEMU_CPU, consoleOn, guestArgs } from './pci-helpers.js';
import { QmpClient } from './qmp-helpers.js';

const haveQemu = hasTool('qemu-system-riscv64');

function devices(dir, tag) {
  const s = (n) => path.join(dir, `${tag}-${n}.sock`);
  return ['-device', 'virtio-serial-pci,id=vs0',
    '-chardev', `socket,id=ga,path=${s('ga')},server=on,wait=off`,
    '-device', 'virtserialport,bus=vs0.0,nr=1,chardev=ga,id=channel0,name=org.qemu.guest_agent.0',
    '-chardev', `socket,id=hc,path=${s('hvc')},server=on,wait=off`, '-device', 'virtconsole,chardev=hc,id=console1',
    // A virtio-mmio one too, its port found by name.
    '-device', 'virtio-serial-device,id=vs1', '-chardev', `socket,id=mm,path=${s('mm')},server=on,wait=off`,
    '-device', 'virtserialport,bus=vs1.0,chardev=mm,name=mmio.port',
    '-qmp', `unix:${s('qmp')},server=on,wait=off`];
}

/** A unix socket client that collects what it reads. */
async function connect(p) {
  const sock = net.connect(p);
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const c = { sock, data: '' };
  sock.on('data', (d) => { c.data += d; });
  return c;
}

async function until(pred, what, ms = 30_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The same conversation on either emulator; returns its transcript. */
async function converse(c, dir, tag) {
  const s = (n) => path.join(dir, `${tag}-${n}.sock`);
  const out = [];
  await c.expect(/tsqemu-guest: boot complete/, 110_000);
  await c.sh('dmesg -n 1');
  const qmp = await QmpClient.connect(s('qmp'));
  await qmp.greeting();
  await qmp.cmd('qmp_capabilities');
  out.push(await c.sh('cd /sys/class/virtio-ports && for p in *; do echo $p $(cat $p/name 2>/dev/null); done; cd /'));
  await c.sh('port() { basename $(dirname $(grep -l "^$1$" /sys/class/virtio-ports/*/name)); }; GA=$(port org.qemu.guest_agent.0); MM=$(port mmio.port)');
  out.push(await c.sh('lspci | grep 1af4; ls /dev/vport* /dev/hvc1'));
  out.push(await c.sh('hexdump -C /sys/bus/pci/devices/0000:00:01.0/config'));
  // Nobody on the host end: the guest's read sees end of file at once (host not connected). The
  // guest opened and closed the port: VSERPORT_CHANGE, the close held back to the end of the
  // second (QEMU's rate limit for guest-triggered events).
  out.push(await c.sh('head -c 5 /dev/$GA | wc -c'));
  const events = [await qmp.event('VSERPORT_CHANGE'), await qmp.event('VSERPORT_CHANGE')];
  const gap = Date.now() - events[0].at;
  await new Promise((r) => setTimeout(r, 1200)); // the period ends: the next event goes out at once
  // The host connects and writes before the guest opens the port: the bytes wait for it.
  const ga = await connect(s('ga'));
  ga.sock.write('{"execute":"guest-ping"}\n');
  out.push(await c.sh('head -c 25 /dev/$GA'));
  events.push(await qmp.event('VSERPORT_CHANGE'), await qmp.event('VSERPORT_CHANGE'));
  out.push(events.map((e) => `${e.data.id} ${e.data.open}`).join(', '));
  out.push(gap >= 900 ? 'the close came a second after the open' : `the close came ${gap} ms after the open`);
  // Guest to host: a write reaches the socket.
  out.push(await c.sh('printf "{\\"return\\": {}}\\n" > /dev/$GA; echo sent'));
  await until(() => ga.data.includes('\n'), 'the guest agent reply');
  out.push(ga.data);
  // The console port to its socket and back: hvc1 (hvc0 is the kernel's SBI console, HVC_RISCV_SBI).
  const hvc = await connect(s('hvc'));
  out.push(await c.sh('echo to-the-host > /dev/hvc1; echo ok'));
  await until(() => hvc.data.includes('to-the-host'), 'the console output');
  out.push(hvc.data.replace(/\r/g, ''));
  hvc.sock.write('from-the-host\n');
  out.push(await c.sh('head -n 1 /dev/hvc1'));
  // Bulk both ways: 256 KiB from the host through the port, checksummed in the guest.
  const bulk = Buffer.alloc(256 * 1024);
  for (let i = 0; i < bulk.length; i++) bulk[i] = (i * 7 + (i >> 9)) & 0xff;
  const sum = c.sh(`head -c ${bulk.length} /dev/$GA | md5sum`, 60_000);
  await new Promise((r) => setTimeout(r, 200));
  ga.sock.write(bulk);
  out.push(await sum);
  ga.data = '';
  out.push(await c.sh('yes x | head -c 100000 > /dev/$GA; echo done', 60_000));
  await until(() => ga.data.length >= 100000, 'the guest\'s bulk output');
  out.push(String(ga.data.length));
  // The virtio-mmio serial's port.
  const mm = await connect(s('mm'));
  mm.sock.write('through-mmio\n');
  out.push(await c.sh('head -n 1 /dev/$MM'));
  mm.sock.destroy();
  ga.sock.destroy();
  hvc.sock.destroy();
  qmp.close();
  return out;
}

test('virtio-serial: a named port and a console, as on real QEMU', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 300_000 }, async () => {
  const dir = tmpdir();
  const q = consoleOn('qemu-system-riscv64', [...guestArgs(devices(dir, 'q')), ...QEMU_CPU]);
  const c = new Console(guestArgs(devices(dir, 't')));
  try {
    const [theirs, ours] = await Promise.all([converse(q, dir, 'q'), converse(c, dir, 't')]);
    assert.match(ours[0], /vport\dp0\s*\n?vport\dp1 org\.qemu\.guest_agent\.0/);
    assert.match(ours[0], /vport\dp1 mmio\.port/);
    assert.equal(ours.at(-1), 'through-mmio');
    assert.equal(ours[3], '0');
    assert.equal(ours[4], '{"execute":"guest-ping"}');
    assert.equal(ours[5], 'channel0 true, channel0 false, channel0 true, channel0 false');
    assert.equal(ours[6], 'the close came a second after the open');
    assert.equal(ours[8], '{"return": {}}\n');
    assert.equal(ours[11], 'from-the-host');
    assert.deepEqual(ours, theirs);
    c.send('poweroff -f\n');
    assert.equal(await c.exit, 0);
  } finally {
    q.kill();
    c.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('virtio-serial command-line errors are QEMU\'s', { skip: !haveQemu && 'qemu-system-riscv64 missing', timeout: 120_000 }, () => {
  const base = ['-M', 'virt', '-S', '-display', 'none', '-serial', 'none', '-monitor', 'none', '-nodefaults'];
  const vs = ['-device', 'virtio-serial-pci,id=vs'];
  for (const args of [
    ['-device', 'virtconsole'],
    [...vs, '-device', 'virtconsole,chardev=nope'],
    ['-chardev', 'null,id=c0', ...vs, '-device', 'virtconsole,chardev=c0', '-device', 'virtserialport,chardev=c0'],
    [...vs, '-device', 'virtserialport,bus=foo.0'],
    [...vs, '-device', 'virtserialport,bus=vs.0,nr=40'],
    [...vs, '-device', 'virtserialport,nr=3', '-device', 'virtserialport,nr=3'],
    [...vs, '-device', 'virtserialport,name=a', '-device', 'virtserialport,name=a'],
    ['-device', 'virtio-serial-pci,max_ports=0'],
    ['-device', 'virtio-serial-pci,max_ports=1000'],
    ['-device', 'virtio-serial-pci,max_ports=2', '-device', 'virtserialport', '-device', 'virtserialport'],
    [...vs, '-device', 'virtserialport,nr=0'],
    ['-device', 'virtio-serial-pci,max_ports=1', '-device', 'virtconsole', '-device', 'virtconsole'],
  ]) {
    const r = [spawnSync('qemu-system-riscv64', [...base, ...args], { encoding: 'utf8', timeout: 20_000 }),
      spawnSync(BIN, [...base, ...args], { encoding: 'utf8', timeout: 20_000 })];
    assert.equal(r[1].stderr.replace(/^ts/, ''), r[0].stderr, args.join(' '));
    assert.equal(r[1].status, 1, args.join(' '));
    assert.equal(r[0].status, 1, args.join(' '));
  }
});
