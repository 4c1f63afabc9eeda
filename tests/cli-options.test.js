// The command line against real qemu-system-riscv64: every case either is accepted by both
// (QEMU checked with -M virt,dumpdtb=, which validates everything and exits 0), refused by both,
// or refused by tsqemu with a one-line "not supported by tsqemu" naming the option. Then the
// effects a guest can see (-rtc date, -m size, -snapshot before and after -drive), and a fuzz
// pass over the parser in-process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Console, ROOT, hasTool, kernelImage, tmpdir, INITRD } from './system-helpers.js';

const { parseSystemArgs } = await import(path.join(ROOT, 'dist', 'system', 'vl.js'));
const dir = tmpdir();
const img = path.join(dir, 'disk.img');
fs.writeFileSync(img, Buffer.alloc(1 << 20, 0x5a));
fs.writeFileSync(path.join(dir, 'empty.cfg'), '');
const noQemu = !hasTool('qemu-system-riscv64') && 'needs qemu-system-riscv64';

/** Ours, in-process: 'ok' | 'print' | the error message. */
function ours(args) {
  try {
    const cfg = parseSystemArgs(args);
    return cfg.action === 'print' ? 'print' : 'ok';
  } catch (e) {
    if (e?.name !== 'QemuError') throw e; // anything else is a bug
    return e.message;
  }
}

/** Ours, the binary up to the board's creation (-M virt,dumpdtb= exits there): 'ok' or stderr. */
function oursBin(args) {
  const r = spawnSync(path.join(ROOT, 'bin', 'tsqemu-system-riscv64'), ['-M', `virt,dumpdtb=${path.join(dir, 'o.dtb')}`, '-display', 'none', ...args],
    { encoding: 'utf8', timeout: 60_000 }); // a start on a loaded host
  return r.status === 0 ? 'ok' : r.stderr;
}

function qemu(args) {
  const r = spawnSync('qemu-system-riscv64', ['-M', `virt,dumpdtb=${path.join(dir, 'q.dtb')}`, '-display', 'none', ...args],
    { encoding: 'utf8', timeout: 60_000 }); // a start on a loaded host
  return { code: r.status, err: r.stderr };
}

// [args, expectation]: 'both' = both accept; 'neither' = both refuse; 'ours-refuses' = QEMU
// accepts, tsqemu says it is not supported; 'ours-only' = QEMU 7.2 (the reference installed)
// lacks it but 10.2 has it.
const CASES = [
  [['-snapshot', '-drive', `file=${img},format=raw,if=virtio`], 'both'],
  [['-drive', `file=${img},format=raw,if=virtio`, '-snapshot'], 'both'],
  [['-nodefaults', '-drive', `file=${img},format=raw,if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0'], 'both'],
  [['-machine', 'virt', '-machine', 'accel=tcg'], 'both'],
  [['-machine', 'accel=tcg'], 'both'],
  [['-m', '256M'], 'both'],
  [['-m', 'size=512M'], 'both'],
  [['-m', '1G,maxmem=1G'], 'both'],
  [['-m', '1G,slots=2,maxmem=1G'], 'neither'],
  [['-m', '1G,slots=2,maxmem=2G'], 'ours-refuses'],
  [['-m', '1G,slots=2'], 'neither'],
  [['-m', '2G,maxmem=1G'], 'neither'],
  [['-m', '1G,foo=1'], 'neither'],
  [['-m', '8G'], 'both'],
  [['-m', '100T'], 'neither'],
  [['-smp', '4'], 'both'],
  [['-smp', '4,sockets=2,cores=2'], 'both'],
  [['-smp', 'cores=2,threads=2'], 'both'],
  [['-smp', '4,sockets=2,cores=4'], 'neither'],
  [['-smp', '4,sockets=2,cores=2,threads=2'], 'neither'],
  [['-smp', '4,maxcpus=2'], 'neither'],
  [['-smp', '2,dies=2'], 'neither'],
  [['-smp', '2,maxcpus=4'], 'ours-refuses'],
  [['-cpu', 'rv64'], 'both'],
  [['-cpu', 'rv64,bogus=true'], 'neither'],
  [['-cpu', 'rv64,v=maybe'], 'neither'],
  [['-cpu', 'foo'], 'neither'],
  [['-cpu', 'rv64,v=true'], 'both'],
  [['-cpu', 'rv64,zba=true'], 'both'],
  [['-cpu', 'rv64,c=off'], 'ours-refuses'],
  [['-cpu', 'rv64,mmu=on,pmp=on,i=on'], 'both'],
  [['-accel', 'tcg'], 'both'],
  [['-accel', 'tcg,thread=single'], 'both'],
  [['-accel', 'tcg,thread=multi'], 'both'],
  [['-accel', 'tcg,thread=multi', '-icount', 'shift=3'], 'neither'],
  [['-accel', 'tcg,thread=bogus'], 'neither'],
  [['-accel', 'kvm'], 'neither'],
  [['-rtc', 'base=2020-01-01'], 'both'],
  [['-rtc', 'base=2020-01-01T10:00:00,clock=vm'], 'both'],
  [['-rtc', 'base=localtime,clock=rt'], 'both'],
  [['-rtc', 'base=utc,clock=host,driftfix=slew'], 'both'],
  [['-rtc', 'base=bogus'], 'neither'],
  [['-rtc', 'clock=foo'], 'neither'],
  [['-icount', 'shift=3'], 'both'],
  [['-icount', 'shift=auto,sleep=off'], 'both'],
  [['-icount', '7,align=on'], 'both'],
  [['-icount', 'sleep=off'], 'both'],
  [['-icount', 'align=on'], 'neither'],
  [['-icount', 'shift=2,align=on,sleep=off'], 'neither'],
  [['-icount', 'shift=11'], 'neither'],
  [['-uuid', '12345678-1234-1234-1234-123456789abc'], 'both'],
  [['-uuid', 'xyz'], 'neither'],
  [['-boot', 'order=c'], 'both'],
  [['-boot', 'menu=on,strict=on'], 'both'],
  [['-pidfile', path.join(dir, 'pid')], 'both'],
  [['-action', 'reboot=shutdown,shutdown=pause'], 'both'],
  [['-action', 'reboot=bogus'], 'neither'],
  [['-global', 'virtio-blk-device.num-queues=2'], 'both'],
  [['-global', 'driver=virtio-rng-pci,property=addr,value=5'], 'both'],
  [['-global', 'virtio-blk-pci.serial=abc', '-drive', `file=${img},format=raw,if=virtio`], 'both'],
  [['-global', 'virtio-blk-pci.bogus=1', '-drive', `file=${img},format=raw,if=virtio`], 'neither'],
  [['-device', 'virtio-rng-pci', '-global', 'virtio-rng-pci.bogus=1'], 'neither'],
  [['-global', 'virtio-net-pci.mac=zz', '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0'], 'neither'],
  [['-global', 'noeq'], 'neither'],
  [['-global', 'virtio-pci.disable-legacy=on'], 'ours-refuses'],
  [['-global', 'driver=cfi.pflash01,property=secure,value=on'], 'ours-refuses'],
  [['-drive', `file=${img},format=raw,if=pflash`], 'neither'],
  [['-drive', `file=${img},format=raw,if=pflash,unit=2`], 'neither'],
  [['-object', 'secret,id=s0,data=x'], 'both'],
  [['-object', 'rng-random,id=r0,filename=/dev/urandom'], 'both'],
  [['-object', 'rng-builtin,id=r1'], 'both'],
  [['-object', 'memory-backend-ram,id=m0,size=64M'], 'both'],
  [['-object', 'iothread,id=io0'], 'both'],
  [['-object', 'bogus,id=x'], 'neither'],
  [['-object', 'secret,id=s0'], 'neither'],
  [['-blockdev', `driver=file,node-name=f0,filename=${img}`], 'both'],
  [['-blockdev', `{"driver":"raw","node-name":"r0","file":{"driver":"file","filename":"${img}"}}`, '-device', 'virtio-blk-device,drive=r0'], 'both'],
  [['-blockdev', `driver=file,filename=${img}`], 'neither'],
  [['-M', 'virt,bogus=1'], 'neither'],
  [['-M', 'virt,aia=aplic'], 'both'],
  [['-M', 'virt,aia=aplic-imsic,aclint=on'], 'both'],
  [['-M', 'virt,aia=bogus'], 'neither'],
  [['-M', 'virt,aia=aplic-imsic,aia-guests=2'], 'both'],
  [['-M', 'virt,aia-guests=8'], 'neither'],
  [['-M', 'virt,aclint=maybe'], 'neither'],
  [['-M', 'foo'], 'neither'],
  [['-writeconfig', '-'], 'neither'],
  // QEMU options tsqemu lacks: not supported, never "invalid option".
  [['-k', 'en-us'], 'ours-refuses'],
  [['-vga', 'none'], 'ours-refuses'],
  [['-trace', 'enable=foo'], 'ours-refuses'],
  [['-watchdog-action', 'pause'], 'ours-refuses'],
  [['-incoming', 'defer'], 'ours-refuses'],
  [['-device', 'virtio-gpu-device'], 'ours-refuses'],
  [['-device', 'qemu-xhci'], 'ours-refuses'],
];

for (const [args, want] of CASES) {
  test(`${want}: ${args.join(' ')}`, { skip: noQemu, timeout: 150_000 }, () => {
    const o = ours(args);
    const q = want === 'ours-only' ? null : qemu(args);
    if (want === 'both') {
      assert.equal(q.code, 0, `QEMU refused: ${q.err}`);
      assert.equal(o, 'ok');
      if (args.some((a) => a === '-global' || a === '-m' || a.includes('pflash'))) assert.equal(oursBin(args), 'ok');
    } else if (want === 'neither') {
      assert.equal(q.code, 1, `QEMU accepted: ${q.err}`);
      // Device errors (a -global a device cannot take, a flash image's size) come when the
      // binary builds the board: run it as QEMU is run.
      const e = o === 'ok' ? oursBin(args) : o;
      assert.notEqual(e, 'ok', 'tsqemu accepted');
      assert.doesNotMatch(e, /not supported by tsqemu/, 'QEMU refuses this itself: QEMU\'s reason, not ours');
    } else {
      if (q) assert.equal(q.code, 0, `QEMU refused: ${q.err}`);
      assert.notEqual(o, 'ok', 'tsqemu accepted an option it does not implement');
      assert.match(o, /is not supported by tsqemu/);
      const opt = args.find((a) => a.startsWith('-'));
      assert.ok(o.startsWith(`${opt} `), `the message names ${opt}: ${o}`);
      assert.equal(o.split('\n').length, 1, 'one line');
    }
  });
}

test('-readconfig: the sections are the options they name (same device tree as QEMU\'s); QEMU\'s errors', { skip: noQemu || !hasTool('dtc'), timeout: 60_000 }, () => {
  const cfg = path.join(dir, 'vm.cfg');
  fs.writeFileSync(cfg, `# a comment\n[drive "d0"]\n  file = "${img}"\n  format = "raw"\n  if = "none"\n\n[device "v0"]\n  driver = "virtio-blk-device"\n  drive = "d0"\n[memory]\n  size = "256M"\n[smp-opts]\n  cpus = "2"\n`);
  const dts = (f) => spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', f], { encoding: 'utf8' }).stdout.replace(/rng-seed = <[^>]*>;/, '').replace(/riscv,isa = "[^"]*"/g, '')
    // QEMU 10.2's ISA properties (tests/cpu-models.test.js checks them) are not in 7.2's tree.
    .replace(/\n\s*riscv,(isa-base|isa-extensions|cbo[mpz]-block-size) = [^;]*;/g, '').replace(/mmu-type = "[^"]*";/g, '');
  const o = spawnSync(path.join(ROOT, 'bin', 'tsqemu-system-riscv64'), ['-M', `virt,dumpdtb=${path.join(dir, 'rc-o.dtb')}`, '-bios', 'none', '-display', 'none', '-readconfig', cfg], { encoding: 'utf8' });
  assert.equal(o.status, 0, o.stderr);
  const q = spawnSync('qemu-system-riscv64', ['-M', `virt,dumpdtb=${path.join(dir, 'rc-q.dtb')}`, '-bios', 'none', '-display', 'none', '-readconfig', cfg], { encoding: 'utf8' });
  assert.equal(q.status, 0, q.stderr);
  const ours = dts(path.join(dir, 'rc-o.dtb'));
  assert.match(ours, /cpu@1/);
  assert.match(ours, /reg = <0x00 0x80000000 0x00 0x10000000>/);
  assert.equal(ours, dts(path.join(dir, 'rc-q.dtb')));
  const bad = path.join(dir, 'bad.cfg');
  fs.writeFileSync(bad, '[foo]\n  a = "b"\n');
  for (const [file, re] of [[bad, /bad\.cfg:2: There is no option group 'foo'/], ['/nonexistent.cfg', /-readconfig \/nonexistent.cfg: Could not open '\/nonexistent.cfg': No such file or directory/]]) {
    const r = spawnSync(path.join(ROOT, 'bin', 'tsqemu-system-riscv64'), ['-display', 'none', '-readconfig', file], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, re);
    assert.match(spawnSync('qemu-system-riscv64', ['-display', 'none', '-readconfig', file], { encoding: 'utf8' }).stderr, re);
  }
});

test('-L DIR: -bios NAME is found there, as by QEMU (and not without it)', { skip: noQemu, timeout: 60_000 }, () => {
  const L = path.join(dir, 'L');
  fs.mkdirSync(L, { recursive: true });
  fs.writeFileSync(path.join(L, 'fw-test.bin'), Buffer.alloc(4096, 0x13)); // nops
  for (const bin of [path.join(ROOT, 'bin', 'tsqemu-system-riscv64'), 'qemu-system-riscv64']) {
    const run = (extra) => spawnSync(bin, ['-M', `virt,dumpdtb=${path.join(dir, 'l.dtb')}`, '-display', 'none', ...extra, '-bios', 'fw-test.bin'], { encoding: 'utf8' });
    assert.equal(run(['-L', L]).status, 0, bin);
    const r = run([]);
    assert.equal(r.status, 1, bin);
    assert.match(r.stderr, /Unable to load the RISC-V firmware "fw-test.bin"/);
  }
});

test('help answers on stdout, exit 0, in QEMU\'s shape', { timeout: 30_000 }, () => {
  for (const [args, re] of [[['-M', 'help'], /^Supported machines are:\n(none +empty machine\n)?virt +RISC-V VirtIO board/], [['-machine', 'virt,help'], /^virt-machine options:\n/],
    [['-cpu', 'help'], /^Available CPUs:\n/], [['-accel', 'help'], /^Accelerators supported in QEMU binary:\ntcg\n/],
    [['-device', 'help'], /name "virtio-blk-device", bus virtio-bus/], [['-chardev', 'help'], /^Available chardev backend types:\n(.*\n)*  ringbuf\n/],
    [['-netdev', 'help'], /^Available netdev backend types:\n(.*\n)*user\n/], [['-object', 'help'], /^List of user creatable objects:\n/]]) {
    const r = spawnSync(path.join(ROOT, 'bin', 'tsqemu-system-riscv64'), args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, re);
  }
});

/** The guest's write to its disk (vda), then power-off: what -snapshot must keep off the image. */
const WRITE_VDA = 'echo overwritten | dd of=/dev/vda conv=fsync 2>/dev/null; sync';

/** One boot of ours: the guest's date, memory and a write to its disk. */
async function bootAndWrite(args, disk, cmds = []) {
  const c = new Console(['-M', 'virt', '-nographic', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0', ...args]);
  try {
    await c.expect(/tsqemu-guest: boot complete/, 120_000);
    const date = await c.sh('date -u +%Y-%m-%d');
    const mem = await c.sh("awk '/MemTotal/ {print $2}' /proc/meminfo");
    const extra = [];
    for (const cmd of cmds) extra.push(await c.sh(cmd));
    await c.sh(WRITE_VDA, 120_000);
    c.send('poweroff -f\n');
    await c.exit;
    return { date, memKiB: Number(mem), disk: fs.readFileSync(disk), extra };
  } finally { c.kill(); }
}

test('effects in the guest: -rtc base= date, -m size, -snapshot given before and after -drive, -global', { timeout: 300_000 }, async () => {
  const before = fs.readFileSync(img);
  // -global before and after the devices it sets: -drive if=virtio's virtio-blk-pci and a -device NIC.
  const a = await bootAndWrite(['-rtc', 'base=2020-01-01', '-m', '300M', '-global', 'virtio-blk-pci.serial=GSERIAL7', '-snapshot', '-drive', `file=${img},format=raw,if=virtio`,
    '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0', '-global', 'driver=virtio-net-pci,property=mac,value=52:54:00:aa:bb:cc'], img,
  ['echo $(cat /sys/block/vda/serial)', 'cat /sys/class/net/eth0/address']);
  assert.deepEqual(a.extra, ['GSERIAL7', '52:54:00:aa:bb:cc']);
  assert.equal(a.date, '2020-01-01');
  assert.ok(a.memKiB > 250 * 1024 && a.memKiB <= 300 * 1024, `MemTotal ${a.memKiB} kB`);
  assert.deepEqual(a.disk, before, '-snapshot before -drive: the image is untouched');
  const b = await bootAndWrite(['-drive', `file=${img},format=raw,if=virtio`, '-snapshot'], img);
  assert.deepEqual(b.disk, before, '-snapshot after -drive: the image is untouched');
  assert.notEqual(b.date, '2020-01-01');
  // The control (without -snapshot the same write lands, so the checks above can fail) is made
  // in the -m 4094M guest below: one boot less.
});

test('-m 4094M (almost all of it inside the wasm memory): the guest sees it, RSS grows only with what it touches; without -snapshot a write lands', { timeout: 300_000 }, async () => {
  // The -snapshot test's control, on a copy of its image. (With a -drive, the default guest is
  // not loaded, as on QEMU: -kernel and -initrd name the same images.)
  const ctl = path.join(dir, 'control.img');
  fs.copyFileSync(img, ctl);
  const c = new Console(['-M', 'virt', '-m', '4094M', '-nographic', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0',
    '-drive', `file=${ctl},format=raw,if=virtio`]);
  try {
    await c.expect(/tsqemu-guest: boot complete/, 150_000);
    const kib = Number(await c.sh("awk '/MemTotal/ {print $2}' /proc/meminfo"));
    assert.ok(kib > 3900 * 1024, `MemTotal ${kib} kB`);
    // Touch 64 MiB and read it back (the allocator hands out pages from the top of RAM first).
    // (A generous timeout: on a loaded 2-core machine this dd has taken over a minute.)
    assert.match(await c.sh('dd if=/dev/zero of=/t bs=1M count=64 2>/dev/null; wc -c </t; rm /t', 150_000), /(^|\n)67108864$/);
    const rss = Number(fs.readFileSync(`/proc/${c.p.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
    assert.ok(rss < 1024 * 2 ** 20, `RSS ${rss >> 20} MiB`);
    await c.sh(WRITE_VDA, 120_000);
    c.send('poweroff -f\n');
    await c.exit;
    assert.equal(fs.readFileSync(ctl).subarray(0, 11).toString(), 'overwritten', 'without -snapshot the write reaches the image');
  } finally { c.kill(); }
});

test('-chardev file and ringbuf carry the serial; a bad path is refused in QEMU\'s words', { timeout: 200_000 }, () => {
  const out = path.join(dir, 'serial.txt');
  const r = spawnSync(path.join(ROOT, 'bin', 'tsqemu-system-riscv64'), ['-M', 'virt', '-display', 'none', '-chardev', `file,id=c0,path=${out}`,
    '-serial', 'chardev:c0', '-monitor', 'none', '-append', 'console=ttyS0 guest.poweroff'], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(out, 'utf8'), /tsqemu-guest: boot complete/);
  const bad = spawnSync(path.join(ROOT, 'bin', 'tsqemu-system-riscv64'), ['-display', 'none', '-chardev', 'file,id=c0,path=/nonexistent/x', '-serial', 'chardev:c0'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, "tsqemu-system-riscv64: -chardev file,id=c0,path=/nonexistent/x: Could not open '/nonexistent/x': No such file or directory\n");
  assert.equal(ours(['-chardev', 'ringbuf,id=r0,size=1024', '-serial', 'chardev:r0']), 'ok');
  assert.match(ours(['-chardev', 'ringbuf,id=r0,size=1000']), /power of two/);
});

// ---- fuzz ---------------------------------------------------------------------------------------

/** mulberry32: a fixed-seed generator, so a failure repeats. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPTS = {
  '-m': ['128M', '1G', 'size=256M', '1G,slots=2,maxmem=2G', '0', '3.5G', '4095M', '17', 'x', '1G,maxmem=512M'],
  '-smp': ['1', '4', '4,sockets=2', 'cores=2,threads=2', 'sockets=0', '8,maxcpus=4', '513', 'x', '2,dies=1,clusters=1'],
  '-cpu': ['rv64', 'max', 'rv64,v=on', 'rv64,i=on,m=on', 'rv64,x-foo=1', 'rv64,vlen=128', 'rv64,'],
  '-accel': ['tcg', 'tcg,thread=single', 'tcg,thread=multi', 'tcg,tb-size=64', 'kvm', 'tcg,jit=off'],
  '-machine': ['virt', 'virt,accel=tcg', 'virt,aclint=off', 'virt,usb=off', 'virt,dumpdtb=/x', 'accel=tcg:kvm', 'virt,mem-merge=on'],
  '-rtc': ['base=utc', 'base=localtime', 'base=2001-02-03', 'base=2001-02-03T04:05:06', 'clock=vm', 'clock=rt', 'driftfix=none', 'base=2001-13-45'],
  '-icount': ['1', 'shift=auto', 'shift=11'],
  '-uuid': ['12345678-1234-1234-1234-123456789abc', '1234'],
  '-boot': ['c', 'order=cd', 'order=cc', 'menu=off', 'once=d', 'splash=x.jpg'],
  '-action': ['reboot=reset', 'shutdown=poweroff', 'panic=pause', 'watchdog=none'],
  '-object': ['secret,id=s1,data=x', 'iothread,id=i1', 'rng-builtin,id=r9', 'memory-backend-ram,id=m1,size=1M', 'memory-backend-file,id=f,size=1M,mem-path=/x'],
  '-blockdev': ['driver=file,node-name=n1,filename=/x', 'driver=raw,node-name=n2,file=n1', '{"driver":"file","node-name":"j1","filename":"/x"}', '{bad json'],
  '-drive': ['file=/x,format=raw,if=virtio', 'file=/x,if=none,id=d9', 'file=/x,if=pflash', 'file=/x,media=cdrom', 'file=/x,readonly=on,snapshot=on'],
  '-serial': ['stdio', 'mon:stdio', 'null', 'file:/x', 'unix:/tmp/x,server,nowait'],
  '-global': ['a.b=c', 'x'],
  '-pidfile': ['/tmp/p'],
  '-d': ['int', 'in_asm,exec', 'bogus'],
};
const FLAGS = ['-snapshot', '-nodefaults', '-nographic', '-S', '-no-reboot'];

test('fuzz: 3000 random command lines never throw anything but QemuError, and bogus properties are refused', { timeout: 60_000 }, () => {
  const r = rng(10);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const names = Object.keys(OPTS);
  const mangle = (s) => {
    const k = r();
    if (k < 0.1) return s.slice(0, Math.floor(r() * s.length));
    if (k < 0.15) return s + ',';
    if (k < 0.2) return s.replace(/=/, '==');
    if (k < 0.25) return `${s},,`;
    if (k < 0.3) return s.replace(/,/g, ',,');
    return s;
  };
  let accepted = 0, refused = 0;
  for (let n = 0; n < 3000; n++) {
    const args = ['-display', 'none'];
    const count = 1 + Math.floor(r() * 5);
    for (let i = 0; i < count; i++) {
      if (r() < 0.2) { args.push(pick(FLAGS)); continue; }
      const o = pick(names);
      args.push(o, mangle(pick(OPTS[o])));
    }
    // A property nobody has, on an option taking properties: must be refused whatever else.
    const bogus = r() < 0.25 ? pick(['-m', '-smp', '-cpu', '-accel', '-machine', '-rtc', '-boot', '-action', '-object']) : undefined;
    if (bogus) {
      const base = { '-cpu': 'rv64', '-machine': 'virt', '-accel': 'tcg', '-object': 'iothread,id=zz', '-m': '128M', '-smp': '1', '-rtc': 'base=utc', '-boot': 'c', '-action': 'reboot=reset' }[bogus];
      args.push(bogus, `${base},zzbogus${n}=1`);
    }
    let res;
    try {
      res = ours(args);
    } catch (e) {
      assert.fail(`${args.join(' ')}: ${e.stack}`);
    }
    if (bogus) assert.notEqual(res, 'ok', `accepted a bogus property: ${args.join(' ')}`);
    if (res === 'ok') accepted++; else refused++;
  }
  assert.ok(accepted > 100 && refused > 100, `accepted ${accepted}, refused ${refused}`);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
