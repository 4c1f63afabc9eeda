// The same QMP conversation against real qemu-system-riscv64 (Debian 7.2) and ours, with the
// same options: every reply and event must have the same shape (keys, nesting, value types),
// and errors the same class. Where the replies legitimately differ, DIFFERENCES says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { BIN, hasTool, tmpdir } from './system-helpers.js';
import { QmpClient, startEmu, shape, rmrf } from './qmp-helpers.js';

const QEMU = 'qemu-system-riscv64';

/** Commands whose replies are compared with a rule other than "same shape", and why. */
const DIFFERENCES = {
  greeting: 'capabilities: QEMU offers ["oob"]; tsqemu has no out-of-band execution, so []',
  'query-commands': 'tsqemu lists only what it implements: every name must be one QEMU has too',
  'qom-list /machine': 'tsqemu has fewer objects: every child it lists must exist in QEMU with the same type',
  'qom-list-types': 'tsqemu implements far fewer types: each one listed must exist in QEMU with the same parent',
  'device-list-properties virtio-blk-device': 'tsqemu models a few properties: each must exist in QEMU with the same type',
  'qom-list-properties virt-machine': 'as above, for the machine',
  'query-migrate-capabilities': 'QEMU 7.2 and 10.2 have different capability lists (compress went away): same entry shape, and the ones libvirt uses',
  'qom-list-properties memory-backend-file': 'not modelled: tsqemu answers [] (libvirt 9.0 crashes on DeviceNotFound there), QEMU lists its properties',
  'query-command-line-options': 'tsqemu describes only the options libvirt probes: each entry must exist in QEMU',
};

function script(img) {
  void img;
  return [
    ['pre-caps', 'query-status'],
    ['caps', 'qmp_capabilities', undefined, 1],
    ['caps-again', 'qmp_capabilities'],
    ['query-version', 'query-version'],
    ['query-status', 'query-status', undefined, 'x'],
    ['query-name', 'query-name'],
    ['query-uuid', 'query-uuid'],
    ['query-target', 'query-target'],
    ['query-kvm', 'query-kvm'],
    ['query-cpus-fast', 'query-cpus-fast'],
    ['query-block', 'query-block'],
    ['query-blockstats', 'query-blockstats'],
    ['query-blockstats nodes', 'query-blockstats', { 'query-nodes': true }],
    ['query-named-block-nodes', 'query-named-block-nodes', { flat: true }],
    ['query-chardev', 'query-chardev'],
    ['query-migrate-capabilities', 'query-migrate-capabilities'],
    ['migrate-set-capabilities', 'migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] }],
    ['migrate-set-capabilities bad', 'migrate-set-capabilities', { capabilities: [{ capability: 'nope', state: true }] }],
    ['query-jobs', 'query-jobs'],
    ['query-command-line-options', 'query-command-line-options'],
    ['qom-list /machine', 'qom-list', { path: '/machine' }],
    ['qom-list /machine/peripheral', 'qom-list', { path: '/machine/peripheral' }],
    ['qom-list bad', 'qom-list', { path: '/nope' }],
    ['qom-get type', 'qom-get', { path: '/machine', property: 'type' }],
    ['qom-get bad', 'qom-get', { path: '/machine', property: 'nope' }],
    ['qom-list-types', 'qom-list-types'],
    ['device-list-properties virtio-blk-device', 'device-list-properties', { typename: 'virtio-blk-device' }],
    ['device-list-properties bad', 'device-list-properties', { typename: 'nope' }],
    ['qom-list-properties virt-machine', 'qom-list-properties', { typename: 'virt-machine' }],
    ['qom-list-properties bad', 'qom-list-properties', { typename: 'nope' }],
    ['qom-list-properties memory-backend-file', 'qom-list-properties', { typename: 'memory-backend-file' }],
    ['query-machines', 'query-machines'],
    ['query-commands', 'query-commands'],
    ['hmp info status', 'human-monitor-command', { 'command-line': 'info status' }],
    ['hmp unknown', 'human-monitor-command', { 'command-line': 'foo' }],
    ['hmp missing arg', 'human-monitor-command', {}],
    ['hmp bad type', 'human-monitor-command', { 'command-line': 5 }],
    ['unknown', 'no-such-command'],
    ['unexpected arg', 'query-status', { a: 1 }],
    ['cont', 'cont', undefined, undefined, 'RESUME'],
    ['query-status running', 'query-status'],
    ['stop', 'stop', undefined, undefined, 'STOP'],
    ['query-status paused', 'query-status'],
    ['system_reset', 'system_reset', undefined, undefined, 'RESET'],
    ['system_powerdown', 'system_powerdown', undefined, undefined, 'POWERDOWN'],
    ['quit', 'quit', undefined, undefined, 'SHUTDOWN'],
  ];
}

async function converse(bin, dir, img) {
  const sock = path.join(dir, `${path.basename(bin)}.qmp`);
  const emu = startEmu(bin, ['-M', 'virt', '-S', '-display', 'none', '-nodefaults', '-m', '128', '-smp', '2',
    '-name', 'guest=cmp', '-drive', `if=none,id=d0,file=${img},format=raw`, '-device', 'virtio-blk-device,drive=d0,id=vd0',
    '-qmp', `unix:${sock},server=on,wait=off`]);
  const c = await QmpClient.connect(sock);
  const res = { greeting: await c.greeting(), replies: new Map(), events: new Map(), raw: c.raw, err: () => emu.err };
  for (const [label, cmd, args, id, ev] of script(img)) {
    if (process.env.QMP_DEBUG) console.error(bin, label);
    const r = await c.cmd(cmd, args, id);
    res.replies.set(label, r);
    if (ev) res.events.set(label, await c.event(ev));
  }
  await c.closed;
  res.exit = await emu.exit;
  return res;
}

const skip = !hasTool(QEMU) && `${QEMU} not installed`;

test('QMP conversation: tsqemu replies and events have real QEMU\'s shapes', { skip, timeout: 120_000 }, async () => {
  const dir = tmpdir();
  const img = path.join(dir, 'disk.img');
  fs.writeFileSync(img, Buffer.alloc(1 << 20));
  try {
    const q = await converse(QEMU, dir, img);
    const t = await converse(BIN, dir, img);
    // Every message ends in CRLF (the client splits on it; a bare LF would have hung).
    assert.ok(t.raw.length > 40);
    assert.deepEqual(Object.keys(t.greeting.QMP).sort(), Object.keys(q.greeting.QMP).sort());
    assert.deepEqual(shape(t.greeting.QMP.version), shape(q.greeting.QMP.version));
    assert.deepEqual(t.greeting.QMP.capabilities, []);
    assert.equal(t.exit.code, 0, t.err());
    const isSubsetByName = (ours, theirs, label, key = 'name', same = ['type']) => {
      for (const e of ours) {
        const m = theirs.find((x) => x[key] === e[key]);
        assert.ok(m, `${label}: '${e[key]}' is not in QEMU's reply`);
        for (const k of same) if (k in e && k in m) assert.equal(e[k], m[k], `${label}: ${e[key]}.${k}`);
      }
    };
    for (const [label, theirs] of q.replies) {
      const ours = t.replies.get(label);
      const msg = `${label}: ours ${JSON.stringify(ours).slice(0, 400)}\n  QEMU ${JSON.stringify(theirs).slice(0, 400)}`;
      assert.equal('error' in ours, 'error' in theirs, msg);
      assert.equal(ours.id, theirs.id, `${label}: id echo`);
      if ('error' in theirs) {
        assert.equal(ours.error.class, theirs.error.class, msg);
        continue;
      }
      const rule = DIFFERENCES[label];
      if (label === 'query-commands') {
        isSubsetByName(ours.return, theirs.return, label);
        for (const n of ['qmp_capabilities', 'query-status', 'query-version', 'human-monitor-command', 'cont', 'stop']) {
          assert.ok(ours.return.some((c) => c.name === n), `query-commands lacks ${n}`);
        }
      } else if (label === 'qom-list /machine' || label === 'device-list-properties virtio-blk-device' || label === 'qom-list-properties virt-machine') {
        isSubsetByName(ours.return.filter((e) => e.name !== 'soc0' || theirs.return.some((x) => x.name === 'soc0')), theirs.return, label);
      } else if (label === 'qom-list-types') {
        isSubsetByName(ours.return, theirs.return, label, 'name', ['parent']);
        for (const n of ['tcg-accel', 'virtio-mmio', 'virt-machine', 'none-machine', 'virtio-blk-device']) assert.ok(ours.return.some((x) => x.name === n), n);
      } else if (label === 'query-migrate-capabilities') {
        assert.deepEqual(shape(ours.return), shape(theirs.return), msg);
        for (const n of ['events', 'rdma-pin-all', 'xbzrle']) assert.ok(ours.return.some((x) => x.capability === n), n);
      } else if (label === 'qom-list-properties memory-backend-file') {
        assert.deepEqual(ours.return, []);
      } else if (label === 'query-command-line-options') {
        isSubsetByName(ours.return, theirs.return, label, 'option', []);
      } else if (label === 'query-machines') {
        const o = ours.return.find((m) => m.name === 'virt'), th = theirs.return.find((m) => m.name === 'virt');
        // 'acpi' is newer than QEMU 7.2 (MachineInfo gained it in 8.0).
        for (const k of Object.keys(o)) assert.ok(k in th || k === 'acpi', `query-machines virt: ${k} not in QEMU's`);
      } else {
        assert.equal(rule, undefined);
        assert.deepEqual(shape(ours.return), shape(theirs.return), msg);
      }
    }
    for (const [label, theirs] of q.events) {
      const ours = t.events.get(label);
      assert.deepEqual(shape(ours), shape(theirs), `${label} event`);
      assert.deepEqual(ours.data, theirs.data, `${label} event data`);
    }
    // Values both must agree on.
    assert.equal(t.replies.get('query-status').return.status, 'prelaunch');
    assert.equal(t.replies.get('query-status running').return.status, 'running');
    assert.equal(t.replies.get('query-status paused').return.status, 'paused');
    assert.deepEqual(t.replies.get('query-name').return, q.replies.get('query-name').return);
    assert.equal(t.replies.get('query-cpus-fast').return.length, 2);
    assert.equal(t.replies.get('query-block').return[0].qdev, q.replies.get('query-block').return[0].qdev);
    assert.equal(t.replies.get('query-version').return.qemu.major, 10);
    assert.equal(t.replies.get('hmp info status').return, q.replies.get('hmp info status').return);
    assert.equal(t.replies.get('hmp unknown').return, q.replies.get('hmp unknown').return);
    for (const l of ['pre-caps', 'caps-again', 'unknown', 'unexpected arg', 'hmp missing arg', 'hmp bad type', 'migrate-set-capabilities bad', 'qom-list bad']) {
      assert.equal(t.replies.get(l).error.desc, q.replies.get(l).error.desc, l);
    }
  } finally {
    rmrf(dir);
  }
});
