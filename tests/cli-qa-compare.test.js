// Round 11 QA against real qemu-system-riscv64: command lines and monitor conversations as QEMU
// users and programs write them, where tsqemu used to differ. Each case runs both binaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, hasTool, tmpdir } from './system-helpers.js';
import { QmpClient, startEmu, rmrf } from './qmp-helpers.js';

const QEMU = 'qemu-system-riscv64';
const noQemu = !hasTool(QEMU) && `needs ${QEMU}`;
const dir = tmpdir();
const img = path.join(dir, 'disk.img');
fs.writeFileSync(img, Buffer.alloc(1 << 20));
test.after(() => rmrf(dir));

const prog = (bin) => path.basename(bin);
/** stderr with the program name replaced, for comparing the two binaries' messages. */
const norm = (bin, s) => s.split(`${prog(bin)}:`).join('PROG:');

/** A QMP session with -S on `args`; `fn(c)` talks, then quit. */
async function withQmp(bin, args, fn) {
  const sock = path.join(dir, `${prog(bin)}-${process.hrtime.bigint()}.qmp`);
  const emu = startEmu(bin, ['-M', 'virt', '-S', '-display', 'none', '-nodefaults', ...args, '-qmp', `unix:${sock},server=on,wait=off`]);
  let c;
  try {
    c = await QmpClient.connect(sock, 60_000);
    await c.greeting();
    await c.cmd('qmp_capabilities');
    const r = await fn(c);
    await c.cmd('quit');
    await emu.exit;
    return r;
  } catch (e) {
    throw new Error(`${bin}: ${e.message}\n${emu.err}`);
  } finally {
    c?.close();
    emu.p.kill('SIGKILL');
  }
}

/** The virtio-mmio transports and what is plugged into each, from `info qtree`. */
async function mmioLayout(bin, args) {
  const t = await withQmp(bin, args, async (c) => (await c.cmd('human-monitor-command', { 'command-line': 'info qtree' })).return);
  const out = {};
  for (const m of t.matchAll(/bus: (virtio-mmio-bus\.\d+)\r?\n( +)type virtio-mmio-bus\r?\n(?:\2dev: ([a-z0-9-]+))?/g)) out[m[1]] = m[3] ?? '';
  return out;
}

test('virtio-mmio devices: command-line order across blk/rng/net/9p/balloon and bus=virtio-mmio-bus.N place them as QEMU does (info qtree)', { skip: noQemu, timeout: 180_000 }, async () => {
  const args = ['-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0', '-device', 'virtio-rng-device',
    '-drive', `file=${img},if=none,format=raw,id=d0`, '-fsdev', `local,id=f0,path=${dir},security_model=none`,
    '-device', 'virtio-9p-device,fsdev=f0,mount_tag=h', '-device', 'virtio-blk-device,drive=d0,bus=virtio-mmio-bus.2', '-device', 'virtio-balloon-device'];
  const q = await mmioLayout(QEMU, args);
  const o = await mmioLayout(BIN, args);
  assert.equal(q['virtio-mmio-bus.7'], 'virtio-net-device');
  assert.equal(q['virtio-mmio-bus.2'], 'virtio-blk-device');
  assert.deepEqual(o, q);
});

test('bus= of virtio-mmio and PCI devices: accepted and refused as QEMU, in its words', { skip: noQemu, timeout: 180_000 }, () => {
  for (const extra of [
    ['-device', 'virtio-rng-device,bus=virtio-mmio-bus.9'],
    ['-device', 'virtio-rng-device,bus=virtio-mmio-bus.2', '-device', 'virtio-rng-device,bus=virtio-mmio-bus.2'],
    ['-device', 'virtio-rng-device', '-device', 'virtio-rng-device,bus=virtio-mmio-bus.7'],
    ['-device', 'virtio-rng-device,bus=pcie.0'],
    ['-device', 'virtio-rng-pci,bus=virtio-mmio-bus.1'],
    ['-device', 'virtio-rng-device,bus=virtio-mmio-bus'],
    ['-device', 'virtio-rng-device,bus=virtio-mmio-bus.0', '-drive', `file=${img},if=none,format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0,bus=virtio-mmio-bus.5'],
  ]) {
    const run = (bin) => spawnSync(bin, ['-M', `virt,dumpdtb=${path.join(dir, 'b.dtb')}`, '-display', 'none', '-nodefaults', ...extra], { encoding: 'utf8', timeout: 60_000 });
    const q = run(QEMU), o = run(BIN);
    assert.equal(o.status, q.status, `${extra.join(' ')}: ${o.stderr}`);
    if (q.status !== 0) assert.equal(norm(BIN, o.stderr), norm(QEMU, q.stderr));
  }
});

test('-device X,help for every device: on stdout, exit 0, each property listed is one QEMU has', { skip: noQemu, timeout: 120_000 }, () => {
  const names = [...spawnSync(BIN, ['-device', 'help'], { encoding: 'utf8' }).stdout.matchAll(/name "([^"]+)"/g)].map((m) => m[1]);
  assert.ok(names.length >= 10, names.join(' '));
  for (const n of names) {
    const o = spawnSync(BIN, ['-device', `${n},help`], { encoding: 'utf8' });
    assert.equal(o.status, 0, `${n}: ${o.stderr}`);
    const qr = spawnSync(QEMU, ['-device', `${n},help`], { encoding: 'utf8' });
    if (/not found/.test(qr.stderr)) continue; // newer than QEMU 7.2 (emmc)
    const q = qr.stdout;
    const props = (s) => [...s.matchAll(/^ {2}([a-z0-9_-]+)=/gm)].map((m) => m[1]);
    assert.match(o.stdout, new RegExp(`^(${n} options:|There are no options for ${n}\\.)\n`));
    for (const p of props(o.stdout)) assert.ok(props(q).includes(p), `${n}.${p} is not a QEMU property`);
  }
});

test('QMP commands with a fixed answer on this machine (block jobs, migration, suspend, NMI, display, memory size): replies equal to QEMU\'s', { skip: noQemu, timeout: 180_000 }, async () => {
  const cmds = [
    ['query-block-jobs'], ['block-job-cancel', { device: 'nope' }], ['block-job-pause', { device: 'nope' }], ['block-job-resume', { device: 'nope' }],
    ['block-job-complete', { device: 'nope' }], ['block-job-cancel', {}], ['query-memory-size-summary'], ['query-current-machine'],
    ['query-migrate'], ['query-display-options'], ['inject-nmi'], ['system_wakeup'],
    ['human-monitor-command', { 'command-line': 'nmi' }], ['human-monitor-command', { 'command-line': 'system_wakeup' }], ['query-hotpluggable-cpus'],
  ];
  const talk = (bin) => withQmp(bin, ['-m', '256M'], async (c) => {
    const out = [];
    for (const [cmd, args] of cmds) out.push(await c.cmd(cmd, args));
    const names = (await c.cmd('query-commands')).return.map((x) => x.name);
    return { out, names };
  });
  const q = await talk(QEMU);
  const o = await talk(BIN);
  for (let i = 0; i < cmds.length; i++) assert.deepEqual(o.out[i], q.out[i], JSON.stringify(cmds[i]));
  assert.deepEqual(o.out[6].return, { 'base-memory': 256 * 2 ** 20 });
  for (const [cmd] of cmds) if (cmd !== 'human-monitor-command') assert.ok(o.names.includes(cmd), `query-commands lists ${cmd}`);
});

test('HMP x/xp/p/cpu as users type them (`xp /2x addr`, sticky formats, argument errors): text equal to QEMU\'s', { skip: noQemu, timeout: 180_000 }, async () => {
  // In order: the sticky format and size carry from line to line, as in QEMU.
  const lines = ['xp /2x 0x1000', 'x /2x 0x1000', 'xp /2x 0x80000000', 'p 1+2', 'p/x 0', 'p/o 0', 'p/o 8', 'p/c 65', 'p 1+2', 'p/d 5', 'p 7',
    'x/4c 0x1000', 'x/2ub 0x1000', 'x/4c 0x1000', 'x/3x 0x1000', 'x/3c 0x1000', 'x/20c 0x1000', 'x/5c 0x1000', 'p/u 5', 'p 66',
    'p 1+', 'x/2x zz', 'x', 'p', 'xp /2x', 'p (1', 'p/s 1', 'x/2q 0', 'xp /s 0x1000', 'x/2x 1 2', 'p 1 )', 'p 1/0', 'p $foo', 'cpu',
    'p/x (1+2)*3', 'p 0x10 | 1', 'x/6i 0x1000'];
  const talk = (bin) => withQmp(bin, [], async (c) => {
    const out = [];
    for (const l of lines) out.push((await c.cmd('human-monitor-command', { 'command-line': l })).return);
    return out;
  });
  const q = await talk(QEMU);
  const o = await talk(BIN);
  const differ = lines.filter((l, i) => o[i] !== q[i]).map((l) => `${l}: ours ${JSON.stringify(o[lines.indexOf(l)])} QEMU ${JSON.stringify(q[lines.indexOf(l)])}`);
  assert.deepEqual(differ, []);
});

test('HMP info block -v/-n, balloon, memory_size_summary, numa, hotpluggable-cpus: text equal to QEMU\'s', { skip: noQemu, timeout: 180_000 }, async () => {
  const lines = ['info balloon', 'info block -v', 'info block -v d0', 'info block d0', 'info memory_size_summary', 'info numa', 'info hotpluggable-cpus'];
  const norm = (s) => s.replace(/#block\d+/g, '#blockN');
  for (const args of [['-m', '300M'], ['-drive', `file=${img},if=none,format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0,id=vd0', '-device', 'virtio-balloon-device']]) {
    const talk = (bin) => withQmp(bin, args, async (c) => {
      const out = [];
      for (const l of lines) out.push(norm((await c.cmd('human-monitor-command', { 'command-line': l })).return));
      return out;
    });
    const q = await talk(QEMU);
    const o = await talk(BIN);
    assert.deepEqual(o, q, args.join(' '));
  }
});

test('device_add/device_del (QMP and HMP): refused after QEMU\'s checks, in its words and classes (no hot-pluggable bus on virt)', { skip: noQemu, timeout: 180_000 }, async () => {
  const sd = path.join(dir, 'sd.img');
  fs.writeFileSync(sd, Buffer.alloc(1 << 20));
  const args = ['-drive', `file=${img},if=none,format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0,id=vd0', '-device', 'virtio-rng-pci,id=rp',
    '-device', 'sdhci-pci,id=sdh', '-drive', `file=${sd},if=none,format=raw,id=s0`, '-device', 'sd-card,drive=s0,id=sd0'];
  const cmds = [
    ['device_add', { driver: 'virtio-blk-pci', drive: 'nope', id: 'v1' }], ['device_add', { driver: 'virtio-blk-device', drive: 'd0', id: 'v2' }],
    ['device_add', { driver: 'virtio-rng-device' }], ['device_add', { driver: 'virtio-rng-device', bus: 'virtio-mmio-bus.0' }],
    ['device_add', { driver: 'virtio-rng-device', bus: 'virtio-mmio-bus.8' }], ['device_add', { driver: 'virtio-rng-pci', bus: 'virtio-mmio-bus.1' }],
    ['device_add', { driver: 'virtio-rng-pci', id: 'vd0' }], ['device_add', { driver: 'bogus' }], ['device_add', {}],
    ['device_add', { driver: 'virtio-net-pci', netdev: 'x' }], ['device_add', { driver: 'virtio-rng-pci', bus: 'nope' }], ['device_add', { driver: 'e1000' }],
    ['device_add', { driver: 'sd-card' }], ['device_add', { driver: 'sdhci-pci' }],
    ['device_del', { id: 'nope' }], ['device_del', { id: 'vd0' }], ['device_del', { id: 'rp' }], ['device_del', { id: 'sd0' }], ['device_del', { id: 'sdh' }],
    ['device_del', {}], ['device_del', { id: '/machine/peripheral/vd0' }],
    ['human-monitor-command', { 'command-line': 'device_add virtio-rng-pci' }], ['human-monitor-command', { 'command-line': 'device_del vd0' }],
    ['human-monitor-command', { 'command-line': 'device_del nope' }],
  ];
  const talk = (bin) => withQmp(bin, args, async (c) => {
    const out = [];
    for (const [cmd, a] of cmds) out.push(await c.cmd(cmd, a));
    return out;
  });
  const q = await talk(QEMU);
  const o = await talk(BIN);
  for (let i = 0; i < cmds.length; i++) assert.deepEqual(o[i], q[i], JSON.stringify(cmds[i]));
});

test('stdio owners, ringbuf sizes, -nic model=help, host-device serials: accepted and refused as QEMU, in its words', { skip: noQemu, timeout: 240_000 }, () => {
  const run = (bin, args) => spawnSync(bin, ['-M', `virt,dumpdtb=${path.join(dir, 's.dtb')}`, '-display', 'none', ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  // [args, 'same' (same status, QEMU's first error line) | 'refused' (QEMU takes it, we say not supported)]
  for (const [args, want] of [
    [['-monitor', 'stdio', '-serial', 'mon:stdio'], 'same'], [['-serial', 'mon:stdio', '-monitor', 'stdio'], 'same'],
    [['-nographic', '-monitor', 'stdio'], 'same'], [['-monitor', 'stdio', '-nographic'], 'same'], [['-serial', 'stdio', '-monitor', 'stdio'], 'same'],
    [['-serial', 'mon:stdio', '-serial', 'mon:stdio'], 'same'], [['-monitor', 'stdio', '-monitor', 'stdio'], 'same'],
    [['-nographic', '-serial', 'mon:stdio'], 'same'], [['-nographic', '-serial', 'stdio'], 'same'], [['-nodefaults', '-nographic', '-monitor', 'stdio'], 'same'],
    [['-nographic', '-serial', 'null', '-monitor', 'stdio'], 'same'], [['-monitor', 'bogus'], 'same'],
    [['-chardev', 'ringbuf,id=c0,size=64K', '-serial', 'chardev:c0'], 'same'], [['-chardev', 'ringbuf,id=c0,size=1000'], 'same'], [['-chardev', 'ringbuf,id=c0,size=x'], 'same'],
    [['-drive', `if=none,id=d0,file=${img},format=raw,detect-zeroes=unmap`], 'same'], [['-blockdev', `driver=file,node-name=f0,filename=${img},detect-zeroes=unmap`], 'same'],
    [['-boot', 'menu=on,splash-time=100'], 'same'], [['-boot', 'splash-time=70000'], 'same'], [['-boot', 'splash-time=x'], 'same'],
    [['-boot', 'menu=on,splash-time=-1'], 'same'],
    [['-serial', '/dev/null'], 'refused'], [['-monitor', '/dev/null'], 'refused'], [['-monitor', 'telnet::45698,server,nowait'], 'refused'],
  ]) {
    const q = run(QEMU, args), o = run(BIN, args);
    const first = (bin, r) => norm(bin, r.stderr).split('\n').filter((l) => !/dtb dumped/.test(l))[0] ?? '';
    if (want === 'same') {
      assert.equal(o.status, q.status, `${args.join(' ')}: ${o.stderr}`);
      if (q.status !== 0) assert.equal(first(BIN, o), first(QEMU, q), args.join(' '));
    } else {
      assert.equal(q.status, 0, q.stderr);
      assert.equal(o.status, 1);
      assert.match(o.stderr, /is not supported by tsqemu\n$/);
    }
  }
  // QEMU 10.2 (7.2 only warns): the models this board's NICs take, on stdout, exit 0.
  const h = spawnSync(BIN, ['-nic', 'user,model=help'], { encoding: 'utf8' });
  assert.equal(h.status, 0, h.stderr);
  assert.equal(h.stdout, 'Available NIC models for this configuration:\nvirtio-net-device\nvirtio-net-pci (aka virtio)\n');
});

test('virtio-blk write-cache=on|off|auto on -device (libvirt sets it with a cache mode): refused and reported as QEMU (query-block cache, info block)', { skip: noQemu, timeout: 180_000 }, async () => {
  for (const [dev, drv] of [['virtio-blk-device', 'cache=writeback'], ['virtio-blk-pci', 'cache=writeback'], ['virtio-blk-device', 'cache=writethrough']]) {
    for (const wc of ['off', 'on', 'auto']) {
      const args = ['-drive', `if=none,id=d0,file=${img},format=raw,${drv}`, '-device', `${dev},drive=d0,id=vd0,write-cache=${wc}`];
      const talk = (bin) => withQmp(bin, args, async (c) => [(await c.cmd('query-block')).return[0].inserted.cache,
        (await c.cmd('human-monitor-command', { 'command-line': 'info block' })).return.replace(/#block\d+/g, '#blockN')]);
      assert.deepEqual(await talk(BIN), await talk(QEMU), `${dev} ${drv} write-cache=${wc}`);
    }
  }
  const bad = (bin) => spawnSync(bin, ['-M', `virt,dumpdtb=${path.join(dir, 'w.dtb')}`, '-display', 'none', '-drive', `if=none,id=d0,file=${img},format=raw`,
    '-device', 'virtio-blk-device,drive=d0,write-cache=bogus'], { encoding: 'utf8' });
  assert.equal(norm(BIN, bad(BIN).stderr), norm(QEMU, bad(QEMU).stderr));
});

test('QMP memsave/pmemsave: the same bytes and errors as QEMU (the reset vector and fw_dynamic_info at 0x1000)', { skip: noQemu, timeout: 180_000 }, async () => {
  // -bios none: no default guest here, nothing loaded by either (the same MROM contents).
  const talk = (bin) => withQmp(bin, ['-smp', '2', '-bios', 'none'], async (c) => {
    const f = (n) => path.join(dir, `${prog(bin)}-${n}.bin`);
    const r = [
      await c.cmd('pmemsave', { val: 0x1000, size: 0x58, filename: f('p') }),
      await c.cmd('memsave', { val: 0x1000, size: 0x58, filename: f('v'), 'cpu-index': 1 }),
      await c.cmd('pmemsave', { val: 0x1000, size: 16, filename: '/nonexistent/x.bin' }),
      await c.cmd('memsave', { val: 0x1000, size: 16, filename: f('x'), 'cpu-index': 5 }),
      await c.cmd('pmemsave', { val: 0x1000, filename: f('y') }),
    ];
    return { r, p: fs.readFileSync(f('p')), v: fs.readFileSync(f('v')) };
  });
  const q = await talk(QEMU);
  const o = await talk(BIN);
  assert.deepEqual(o.r, q.r);
  assert.equal(o.p.length, 0x58);
  assert.deepEqual(o.p, q.p);
  assert.deepEqual(o.v, q.v);
});
