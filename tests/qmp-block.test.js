// QMP block commands: block_resize (the default guest's virtio-blk sees the new capacity through
// the config interrupt), eject / blockdev-change-medium / HMP change refused as QEMU refuses them
// for a disk without removable media, and BLOCK_IO_ERROR for werror=report and werror=stop
// (ENOSPC: the event, then STOP, io-status nospace, RESUME on cont and the write completes).
// The command replies are compared with real qemu-system-riscv64's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, Console, INITRD, hasTool, kernelImage, tmpdir } from './system-helpers.js';
import { QmpClient, startEmu, rmrf } from './qmp-helpers.js';
import { runReal } from './helpers/qemu-img.js';

const QEMU = 'qemu-system-riscv64';
const MiB = 1024 * 1024;

async function conversation(bin, dir) {
  const img = path.join(dir, 'd0.img');
  fs.writeFileSync(img, Buffer.alloc(MiB));
  const qsock = path.join(dir, 'qmp.sock');
  const r = startEmu(bin, ['-M', 'virt', '-bios', 'none', '-S', '-display', 'none', '-nodefaults',
    '-drive', `file=${img},format=raw,if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0,id=vd0', '-qmp', `unix:${qsock},server=on,wait=off`]);
  try {
    const q = await QmpClient.connect(qsock);
    await q.greeting();
    await q.cmd('qmp_capabilities');
    const out = [];
    for (const [cmd, args] of [
      ['eject', { device: 'd0' }],
      ['eject', { id: 'vd0' }],
      ['eject', { device: 'nosuch' }],
      ['blockdev-change-medium', { device: 'd0', filename: img, format: 'raw' }],
      ['human-monitor-command', { 'command-line': `change d0 ${img} raw` }],
      ['human-monitor-command', { 'command-line': 'eject d0' }],
      ['block_resize', { device: 'd0', size: 2 * MiB }],
      ['block_resize', { device: 'nosuch', size: 2 * MiB }],
      ['block_resize', { 'node-name': 'nosuch', size: 2 * MiB }],
      ['block_resize', { size: 2 * MiB }],
      ['block_resize', { device: 'd0', size: -1 }],
      ['human-monitor-command', { 'command-line': 'block_resize d0 3M' }],
    ]) out.push([cmd, args, await q.cmd(cmd, args)]);
    const size = fs.statSync(img).size;
    await q.cmd('quit');
    await r.exit;
    return { out: JSON.parse(JSON.stringify(out).replaceAll(img, 'IMG')), size };
  } finally {
    r.p.kill('SIGKILL');
  }
}

test('block_resize, eject, blockdev-change-medium, HMP change: replies equal to qemu-system-riscv64', { skip: !hasTool(QEMU) && `${QEMU} not installed`, timeout: 60_000 }, async () => {
  const dir = tmpdir();
  try {
    const ours = await conversation(BIN, dir);
    const theirs = await conversation(QEMU, dir);
    assert.deepEqual(ours, theirs);
    assert.equal(ours.size, 3 * MiB);
  } finally {
    rmrf(dir);
  }
});

test('the default guest: block_resize grows vda live; BLOCK_IO_ERROR with werror=report and werror=stop (ENOSPC)', { timeout: 180_000 }, async () => {
  const dir = tmpdir();
  const qsock = path.join(dir, 'qmp.sock');
  const img = (n, mib) => { const f = path.join(dir, `${n}.img`); fs.writeFileSync(f, Buffer.alloc(mib * MiB)); return f; };
  const c = new Console(['-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0', '-qmp', `unix:${qsock},server=on,wait=off`,
    '-drive', `file=${img('d0', 1)},format=raw,if=virtio,id=d0`,
    '-drive', `file.driver=file,file.filename=${img('d1', 2)},format=raw,if=virtio,id=d1,werror=report,file.x-inject-errno=EIO,file.x-inject-op=write,file.x-inject-offset=0`,
    '-drive', `file.driver=file,file.filename=${img('d2', 3)},format=raw,if=virtio,id=d2,file.x-inject-errno=ENOSPC,file.x-inject-op=write,file.x-inject-offset=0,file.x-inject-count=1`]);
  try {
    await c.expect(/tsqemu-guest: boot complete/, 120_000);
    const q = await QmpClient.connect(qsock);
    await q.greeting();
    await q.cmd('qmp_capabilities');
    const dev = {};
    for (const n of (await c.sh('ls /sys/block | grep vd')).split(/\s+/)) dev[Number(await c.sh(`cat /sys/block/${n}/size`)) / 2048] = `/dev/${n}`;
    assert.deepEqual(Object.keys(dev).sort(), ['1', '2', '3']);
    const name = dev[1].slice(5);

    // Grow d0 from 1 to 4 MiB: the guest's driver reads the new capacity on the config interrupt.
    assert.deepEqual(await q.cmd('block_resize', { device: 'd0', size: 4 * MiB }), { return: {} });
    let sectors = '';
    for (let i = 0; i < 50 && sectors !== '8192'; i++) sectors = await c.sh(`cat /sys/block/${name}/size`);
    assert.equal(sectors, '8192');
    assert.match(await c.sh(`dmesg | grep -i 'capacity change' | tail -1`), /capacity change from 2048 to 8192/);
    assert.equal(fs.statSync(path.join(dir, 'd0.img')).size, 4 * MiB);

    // werror=report: the guest's write fails and the event says so; the VM keeps running.
    assert.match(await c.sh(`echo x | dd of=${dev[2]} bs=4096 conv=sync,fsync 2>&1; echo rc=$?`), /rc=1/);
    const ev = await q.event('BLOCK_IO_ERROR');
    assert.deepEqual({ ...ev.data, 'node-name': typeof ev.data['node-name'] }, {
      device: 'd1', 'node-name': 'string', operation: 'write', action: 'report', nospace: false, reason: 'Input/output error',
    });
    assert.equal((await q.cmd('query-status')).return.status, 'running');

    // werror=enospc (default) with ENOSPC: BLOCK_IO_ERROR (stop, nospace), then STOP; cont retries it.
    q.events.length = 0;
    const at = c.out.length;
    c.send(`echo y | dd of=${dev[3]} bs=4096 conv=sync,fsync 2>&1; echo rc=$?\n`);
    await q.event('STOP');
    const names = q.events.map((e) => e.event);
    assert.deepEqual(q.raw.filter((l) => /"event"/.test(l)).slice(-2).map((l) => JSON.parse(l).event), ['BLOCK_IO_ERROR', 'STOP'], names.join());
    const stopEv = (await q.event('BLOCK_IO_ERROR')).data;
    assert.deepEqual([stopEv.device, stopEv.operation, stopEv.action, stopEv.nospace, stopEv.reason], ['d2', 'write', 'stop', true, 'No space left on device']);
    assert.equal((await q.cmd('query-status')).return.status, 'io-error');
    const d2 = (await q.cmd('query-block')).return.find((b) => b.device === 'd2');
    assert.equal(d2['io-status'], 'nospace');
    await q.cmd('cont');
    await q.event('RESUME');
    await c.expect(/rc=0/, 30_000, at);
    assert.equal((await q.cmd('query-block')).return.find((b) => b.device === 'd2')['io-status'], 'ok');
    await q.cmd('quit');
    assert.equal(await c.exit, 0);
  } finally {
    c.kill();
    rmrf(dir);
  }
});

async function blockdevConversation(bin, dir) {
  const qsock = path.join(dir, 'qmp.sock');
  const f = (n) => path.join(dir, n);
  const r = startEmu(bin, ['-M', 'virt', '-bios', 'none', '-S', '-display', 'none', '-nodefaults',
    '-object', 'secret,id=sec0,data=abc',
    '-blockdev', `driver=file,node-name=disk0-file,filename=${f('disk0.img')}`, '-blockdev', 'driver=raw,node-name=disk0,file=disk0-file',
    '-device', 'virtio-blk-device,drive=disk0,id=vd0', '-qmp', `unix:${qsock},server=on,wait=off`]);
  try {
    const q = await QmpClient.connect(qsock);
    await q.greeting();
    await q.cmd('qmp_capabilities');
    const out = [];
    for (const [cmd, args] of [
      ['blockdev-add', { driver: 'file', 'node-name': 'f1', filename: f('raw.img') }],
      ['blockdev-add', { driver: 'raw', 'node-name': 'r1', file: 'f1' }],
      ['blockdev-add', { driver: 'raw', 'node-name': 'r1', file: 'f1' }],
      ['blockdev-add', { driver: 'qcow2', 'node-name': 'q1', file: { driver: 'file', filename: f('q.qcow2') } }],
      ['blockdev-add', { driver: 'luks', 'node-name': 'l1', 'key-secret': 'sec0', file: { driver: 'file', filename: f('l.luks') } }],
      ['blockdev-add', { driver: 'luks', 'node-name': 'l2', 'key-secret': 'nosuch', file: { driver: 'file', filename: f('l2.luks') } }],
      ['blockdev-add', { driver: 'file', 'node-name': 'bad', filename: f('nonexistent') }],
      ['blockdev-add', { driver: 'raw', 'node-name': 'bad2', file: 'nosuchnode' }],
      ['blockdev-del', { 'node-name': 'f1' }],
      ['blockdev-del', { 'node-name': 'r1' }],
      ['blockdev-del', { 'node-name': 'f1' }],
      ['blockdev-del', { 'node-name': 'f1' }],
      ['blockdev-del', { 'node-name': 'q1' }],
      ['blockdev-del', { 'node-name': 'l1' }],
      ['blockdev-del', { 'node-name': 'disk0' }],
      ['blockdev-del', { 'node-name': 'disk0-file' }],
      ['blockdev-add', { driver: 'raw', 'node-name': 'r1', file: { driver: 'file', filename: f('raw.img') } }],
      ['blockdev-del', { 'node-name': 'r1' }],
    ]) out.push([cmd, args, await q.cmd(cmd, args)]);
    await q.cmd('quit');
    await r.exit;
    return JSON.parse(JSON.stringify(out).replaceAll(dir, 'DIR'));
  } finally {
    r.p.kill('SIGKILL');
  }
}

test('blockdev-add / blockdev-del (file, raw, qcow2, luks with a secret; in-use and unknown nodes): replies equal to qemu-system-riscv64', { skip: (!hasTool(QEMU) || !hasTool('qemu-img')) && 'qemu not installed', timeout: 60_000 }, async () => {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'disk0.img'), Buffer.alloc(MiB));
    fs.writeFileSync(path.join(dir, 'raw.img'), Buffer.alloc(MiB));
    for (const a of [['create', '-f', 'qcow2', path.join(dir, 'q.qcow2'), '1M'],
      ['create', '--object', 'secret,id=sec0,data=abc', '-f', 'luks', '-o', 'key-secret=sec0,iter-time=10', path.join(dir, 'l.luks'), '1M']]) {
      const r = runReal('qemu-img', a);
      assert.equal(r.status, 0, `qemu-img ${a.join(' ')}: ${r.stderr}`);
    }
    fs.copyFileSync(path.join(dir, 'l.luks'), path.join(dir, 'l2.luks'));
    const ours = await blockdevConversation(BIN, dir);
    const theirs = await blockdevConversation(QEMU, dir);
    if (process.env.TSQEMU_TEST_DUMP) fs.writeFileSync(process.env.TSQEMU_TEST_DUMP, JSON.stringify({ ours, theirs }, null, 1));
    assert.deepEqual(ours, theirs);
  } finally {
    rmrf(dir);
  }
});

/** An emulator with two inherited image descriptors (fd 3 read-write, fd 4 read-only), as libvirt passes them. */
async function fdsetConversation(bin, dir, img) {
  const qsock = path.join(dir, 'qmp.sock');
  const rw = fs.openSync(img, 'r+'), ro = fs.openSync(img, 'r');
  const p = spawn(bin, ['-M', 'virt', '-bios', 'none', '-S', '-display', 'none', '-nodefaults',
    '-add-fd', 'fd=3,set=2,opaque=rw', '-add-fd', 'fd=4,set=2,opaque=ro',
    // file.locking=off: QEMU 7.2 locks through a second (read-only) fd of the set and then refuses the resize.
    '-drive', 'file=/dev/fdset/2,format=raw,if=none,id=d0,file.locking=off', '-device', 'virtio-blk-device,drive=d0,id=vd0',
    '-qmp', `unix:${qsock},server=on,wait=off`], { stdio: ['ignore', 'pipe', 'pipe', rw, ro] });
  fs.closeSync(rw);
  fs.closeSync(ro);
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const exit = new Promise((res) => p.on('close', res));
  try {
    const q = await QmpClient.connect(qsock);
    await q.greeting();
    await q.cmd('qmp_capabilities');
    const out = [];
    const fdsets = (await q.cmd('query-fdsets')).return;
    out.push(fdsets.map((s) => ({ ...s, fds: s.fds.map((f) => ({ ...f, fd: typeof f.fd })) })));
    out.push((await q.cmd('query-block')).return.map((b) => [b.device, b.inserted?.file, b.inserted?.ro]));
    out.push(await q.cmd('block_resize', { device: 'd0', size: 2 * MiB })); // written through the passed descriptor
    out.push(await q.cmd('remove-fd', { 'fdset-id': 7 }));
    out.push(await q.cmd('remove-fd', { 'fdset-id': 2, fd: 12345 }));
    const ro4 = fdsets[0].fds.find((f) => f.opaque === 'ro').fd;
    out.push(await q.cmd('remove-fd', { 'fdset-id': 2, fd: ro4 }));
    out.push((await q.cmd('query-fdsets')).return.map((s) => s.fds.map((f) => f.opaque)));
    await q.cmd('quit');
    await exit;
    return { out, size: fs.statSync(img).size, err };
  } finally {
    p.kill('SIGKILL');
  }
}

test('-add-fd and /dev/fdset/N image paths; query-fdsets, remove-fd: as qemu-system-riscv64', { skip: !hasTool(QEMU) && `${QEMU} not installed`, timeout: 60_000 }, async () => {
  const dir = tmpdir();
  try {
    const results = [];
    for (const bin of [BIN, QEMU]) {
      const img = path.join(dir, 'fd.img');
      fs.writeFileSync(img, Buffer.alloc(MiB));
      results.push(await fdsetConversation(bin, dir, img));
    }
    assert.deepEqual(results[0].out, results[1].out);
    assert.equal(results[0].size, 2 * MiB);
    assert.equal(results[1].size, 2 * MiB);
    // A set that does not exist, and a closed descriptor: the same errors.
    for (const args of [['-drive', 'file=/dev/fdset/9,format=raw,if=none,id=d0,readonly=on'], ['-add-fd', 'fd=77,set=1']]) {
      const run = (bin) => spawnSync(bin, ['-machine', 'none', '-display', 'none', '-nodefaults', ...args], { encoding: 'utf8', timeout: 10_000 }).stderr.replace(/^(tsqemu|qemu)-system-riscv64: /gm, '');
      assert.equal(run(BIN), run(QEMU), args.join(' '));
    }
  } finally {
    rmrf(dir);
  }
});
