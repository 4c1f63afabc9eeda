// -device virtio-balloon-device (libvirt adds one to every domain): QMP balloon and query-balloon,
// with and without the device, give qemu-system-riscv64's replies (no guest driver runs here, so
// `actual` stays the whole RAM on both), and the device's options are checked. The conversation
// ends with `quit`: neither emulator exits at the end of QMP's stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, hasTool } from './system-helpers.js';

const QEMU = 'qemu-system-riscv64';
const skip = !hasTool(QEMU) ? 'needs qemu-system-riscv64' : false;
const CONVERSATION = ['qmp_capabilities', 'query-balloon', ['balloon', { value: 64 << 20 }], 'query-balloon', ['balloon', { value: 0 }], 'quit']
  .map((c) => JSON.stringify(Array.isArray(c) ? { execute: c[0], arguments: c[1] } : { execute: c })).join('\n') + '\n';

function replies(bin, extra) {
  const r = spawnSync(bin, ['-M', 'virt', '-m', '256', '-nodefaults', '-display', 'none', '-S', '-qmp', 'stdio', ...extra],
    { input: CONVERSATION, encoding: 'utf8', timeout: 30_000 });
  return r.stdout.split(/\r?\n/).filter((l) => l && !l.includes('"QMP"') && !l.includes('"event"')).map((l) => JSON.parse(l));
}

test('QMP balloon/query-balloon as qemu-system-riscv64, with and without virtio-balloon-device', { skip, timeout: 120_000 }, () => {
  for (const extra of [['-device', 'virtio-balloon-device,id=balloon0'], []]) {
    const ours = replies(BIN, extra);
    assert.equal(ours.length, 6, JSON.stringify(ours));
    assert.deepEqual(ours, replies(QEMU, extra), extra.join(' '));
  }
  assert.deepEqual(replies(BIN, ['-device', 'virtio-balloon-device'])[1], { return: { actual: 256 << 20 } });
});

test('virtio-balloon-device options', () => {
  const r = spawnSync(BIN, ['-M', 'virt', '-nodefaults', '-display', 'none', '-device', 'virtio-balloon-device,bogus=1'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Property 'virtio-balloon-device.bogus' not found/);
  const d = spawnSync(BIN, ['-M', 'virt', '-nodefaults', '-display', 'none', '-device', 'virtio-balloon-device,deflate-on-oom=on'], { encoding: 'utf8' });
  assert.equal(d.status, 1);
  assert.match(d.stderr, /deflate-on-oom=on is not supported by tsqemu/);
});

// QOM's guest-stats (no driver: every stat all ones, last-update 0) and guest-stats-polling-interval
// (qom-set, QEMU's range errors), what libvirt's dommemstat and --period send for a PCI balloon.
const QOM = ['qmp_capabilities', ...[['qom-get', { property: 'guest-stats' }], ['qom-get', { property: 'guest-stats-polling-interval' }],
  ['qom-set', { property: 'guest-stats-polling-interval', value: 5 }], ['qom-get', { property: 'guest-stats-polling-interval' }],
  ['qom-set', { property: 'guest-stats-polling-interval', value: -1 }], ['qom-set', { property: 'guest-stats-polling-interval', value: 2 ** 32 }],
  ['qom-set', { property: 'guest-stats', value: 1 }]].map(([c, a]) => [c, { path: '/machine/peripheral/balloon0', ...a }]), 'quit']
  .map((c) => JSON.stringify(Array.isArray(c) ? { execute: c[0], arguments: c[1] } : { execute: c })).join('\n') + '\n';

test('virtio-balloon-pci QOM guest-stats and polling interval as qemu-system-riscv64', { skip, timeout: 120_000 }, () => {
  const run = (bin) => {
    const r = spawnSync(bin, ['-M', 'virt', '-m', '256', '-nodefaults', '-display', 'none', '-S', '-qmp', 'stdio', '-device', 'virtio-balloon-pci,id=balloon0'],
      { input: QOM, encoding: 'utf8', timeout: 30_000 });
    return r.stdout.split(/\r?\n/).filter((l) => l && !l.includes('"QMP"') && !l.includes('"event"')).map((l) => JSON.parse(l.replace(/: (\d{16,})/g, ': "$1"')));
  };
  const ours = run(BIN);
  assert.equal(ours.length, 9, JSON.stringify(ours));
  assert.equal(ours[1].return.stats['stat-free-memory'], '18446744073709551615');
  assert.deepEqual(ours, run(QEMU));
});
