// What libvirt 9.0 does (see /work/shared/libvirt/REPORT.md), without libvirt: the probe's
// command line (-machine none) and its QMP sequence, and a domain started with libvirt's monitor
// options: an inherited, already listening socket (-chardev socket,fd=N + -mon mode=control),
// the start sequence, stop/cont events, a reconnect by path, and SIGTERM ending with SHUTDOWN
// (reason host-signal) before the monitor closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import net from 'node:net';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { BIN, tmpdir } from './system-helpers.js';
import { QmpClient, startEmu, rmrf } from './qmp-helpers.js';

test('libvirt probe: -machine none and the probe queries', { timeout: 60_000 }, async () => {
  const dir = tmpdir();
  const sock = path.join(dir, 'qmp.monitor');
  const emu = startEmu(BIN, ['-S', '-no-user-config', '-nodefaults', '-nographic', '-machine', 'none,accel=kvm:tcg',
    '-qmp', `unix:${sock},server=on,wait=off`]);
  try {
    const c = await QmpClient.connect(sock);
    // libvirt writes qmp_capabilities at once, without waiting for the greeting.
    c.sock.write('{"execute":"qmp_capabilities","id":"libvirt-1"}\r\n');
    assert.ok((await c.greeting()).QMP);
    assert.deepEqual(await c.sendRaw(''), { return: {}, id: 'libvirt-1' });
    const v = (await c.cmd('query-version')).return;
    assert.ok(v.qemu.major >= 4 && typeof v.package === 'string');
    assert.equal((await c.cmd('query-target')).return.arch, 'riscv64');
    const schema = (await c.cmd('query-qmp-schema')).return;
    assert.ok(schema.every((e) => typeof e.name === 'string'));
    // The schema describes exactly the commands query-commands lists.
    const cmds = (await c.cmd('query-commands')).return.map((e) => e.name).sort();
    assert.deepEqual(schema.filter((e) => e['meta-type'] === 'command').map((e) => e.name).sort(), cmds);
    // Every type a command refers to is in the schema (libvirt calls it malformed otherwise).
    const names = new Set(schema.map((e) => e.name));
    for (const e of schema) for (const k of ['arg-type', 'ret-type', 'element-type']) if (e[k]) assert.ok(names.has(e[k]), `${e.name}.${k}=${e[k]}`);
    const flat = schema.find((e) => e.name === 'query-named-block-nodes');
    assert.ok(schema.find((e) => e.name === flat['arg-type']).members.some((m) => m.name === 'flat'));
    const kvm = (await c.cmd('query-kvm')).return;
    assert.deepEqual(kvm, { enabled: false, present: false });
    const types = (await c.cmd('qom-list-types')).return.map((t) => t.name);
    assert.ok(types.includes('tcg-accel') && types.includes('virtio-mmio'));
    for (const t of ['usb-host', 'PIIX4_PM']) assert.equal((await c.cmd('device-list-properties', { typename: t })).error.class, 'DeviceNotFound');
    // virtio-*-pci are devices now (behind pcie-root-port too); libvirt reads disable-legacy here.
    const blkPci = (await c.cmd('device-list-properties', { typename: 'virtio-blk-pci' })).return;
    assert.ok(blkPci.some((pr) => pr.name === 'disable-legacy') && blkPci.some((pr) => pr.name === 'drive'));
    for (const t of ['memory-backend-file', 'virt-machine', 'none-machine']) assert.ok(Array.isArray((await c.cmd('qom-list-properties', { typename: t })).return), t);
    assert.ok((await c.cmd('query-machines')).return.some((m) => m.name === 'virt' && m['cpu-max'] > 1));
    assert.equal((await c.cmd('query-tpm-models')).error.class, 'CommandNotFound');
    assert.ok(Array.isArray((await c.cmd('query-command-line-options')).return));
    assert.ok(Array.isArray((await c.cmd('query-migrate-capabilities')).return));
    assert.deepEqual((await c.cmd('query-cpus-fast')).return, []);
    c.close();
    emu.p.kill('SIGTERM');
    assert.equal((await emu.exit).code, 0);
  } finally {
    emu.p.kill('SIGKILL');
    rmrf(dir);
  }
});

test('libvirt domain monitor: inherited listening fd, start sequence, reconnect, SIGTERM', { timeout: 120_000 }, async () => {
  const dir = tmpdir();
  const sock = path.join(dir, 'monitor.sock');
  const server = net.createServer();
  // Bound under another name, then renamed: closing our server unlinks only the old name.
  await new Promise((r) => server.listen(`${sock}.tmp`, r));
  fs.renameSync(`${sock}.tmp`, sock);
  const fd = server._handle.fd;
  // Like libvirt: the emulator gets the listening socket as fd 3; we connect before it accepts.
  const p = spawn(BIN, ['-name', 'guest=rv,debug-threads=on', '-S', '-machine', 'virt,usb=off,dump-guest-core=off', '-accel', 'tcg',
    '-m', '128', '-overcommit', 'mem-lock=off', '-display', 'none', '-no-user-config', '-nodefaults',
    '-chardev', 'socket,id=charmonitor,fd=3,server=on,wait=off', '-mon', 'chardev=charmonitor,id=monitor,mode=control',
    '-no-shutdown', '-audiodev', '{"id":"audio1","driver":"none"}', '-sandbox', 'off', '-msg', 'timestamp=on'],
  { stdio: ['ignore', 'pipe', 'pipe', fd] });
  server.close();
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const exit = new Promise((r) => p.on('close', (code) => r(code)));
  try {
    let c = await QmpClient.connect(sock);
    await c.greeting();
    assert.deepEqual(await c.cmd('qmp_capabilities'), { return: {} });
    assert.ok(Array.isArray((await c.cmd('query-migrate-capabilities')).return));
    assert.deepEqual(await c.cmd('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] }), { return: {} });
    const chr = (await c.cmd('query-chardev')).return;
    assert.ok(chr.some((x) => x.label === 'charmonitor' && typeof x.filename === 'string'), JSON.stringify(chr));
    assert.equal((await c.cmd('query-cpus-fast')).return.length, 1);
    assert.ok(Array.isArray((await c.cmd('query-named-block-nodes', { flat: true })).return));
    assert.ok(Array.isArray((await c.cmd('qom-list', { path: '/machine/peripheral' })).return));
    assert.ok(Array.isArray((await c.cmd('query-block')).return));
    assert.deepEqual(await c.cmd('query-name'), { return: { name: 'rv' } });
    assert.deepEqual(await c.cmd('cont'), { return: {} });
    await c.event('RESUME');
    assert.deepEqual(await c.cmd('stop'), { return: {} });
    await c.event('STOP');
    // libvirtd restarts: it reconnects by path and queries the state again.
    c.close();
    c = await QmpClient.connect(sock);
    await c.greeting();
    await c.cmd('qmp_capabilities');
    const st = (await c.cmd('query-status')).return;
    assert.equal(st.running, false);
    assert.equal(st.status, 'paused');
    assert.deepEqual(await c.cmd('query-jobs'), { return: [] });
    await c.cmd('cont');
    await c.event('RESUME');
    // virsh destroy: SIGTERM. The SHUTDOWN event comes before the monitor closes.
    p.kill('SIGTERM');
    const ev = await c.event('SHUTDOWN');
    assert.deepEqual(ev.data, { guest: false, reason: 'host-signal' });
    await c.closed;
    assert.equal(await exit, 0, err);
  } finally {
    p.kill('SIGKILL');
    rmrf(dir);
  }
});

test('-daemonize returns 0 once the QMP socket listens; start-up errors still reach stderr', { timeout: 60_000 }, async () => {
  const dir = tmpdir();
  const sock = path.join(dir, 'qmp.monitor');
  try {
    const emu = startEmu(BIN, ['-S', '-no-user-config', '-nodefaults', '-nographic', '-machine', 'none,accel=kvm:tcg',
      '-qmp', `unix:${sock},server=on,wait=off`, '-daemonize']);
    assert.equal((await emu.exit).code, 0, emu.err);
    // libvirt connects once, with no retry: the socket must be there already.
    const c = await new Promise((resolve, reject) => {
      const s = net.connect(sock);
      s.once('connect', () => resolve(new QmpClient(s)));
      s.once('error', reject);
    });
    await c.greeting();
    await c.cmd('qmp_capabilities');
    assert.equal((await c.cmd('query-status')).return.status, 'prelaunch');
    c.close();
    // The daemon keeps accepting clients; this one ends it.
    const c2 = await QmpClient.connect(sock);
    await c2.greeting();
    await c2.cmd('qmp_capabilities');
    await c2.cmd('quit');
    await c2.closed;
    const bad = startEmu(BIN, ['-S', '-nodefaults', '-machine', 'none', '-qmp', `unix:${path.join(dir, 'no', 'such', 'dir')},server=on,wait=off`, '-daemonize']);
    const r = await bad.exit;
    assert.notEqual(r.code, 0);
    assert.match(bad.err, /Failed to bind socket/);
  } finally {
    rmrf(dir);
  }
});
