// Boot the reference guest (OpenSBI 1.6 + Linux 6.12 + BusyBox) on tsqemu-system-riscv64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Console, INITRD, kernelImage, run, tmpdir } from './system-helpers.js';

// Generous: under host load (load 26-29 here) a boot took over 90 s and a monitor prompt over 10 s.
const TIMEOUT = 600_000;
// -smp and -m each take both values in the default pair; the two other combinations are opt-in.
const SLOW = process.env.TSQEMU_SLOW === '1';

for (const [smp, mem] of [[1, '256M'], [4, '1G'], ...(SLOW ? [[4, '256M'], [1, '1G']] : [])]) {
  test(`reference guest boots and powers off: -smp ${smp} -m ${mem}`, { timeout: TIMEOUT }, async () => {
    const r = await run(['-M', 'virt', '-m', mem, '-smp', String(smp), '-nographic', '-bios', 'default',
      '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0 guest.poweroff', '-no-reboot'],
    { timeoutMs: TIMEOUT - 5000, input: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /OpenSBI v1\.6/);
    assert.match(r.stdout, new RegExp(`Platform HART Count\\s+: ${smp}\\b`));
    // Linux 6.12 counts all of RAM (OpenSBI 1.6's 384 KiB are reserved, not removed).
    const totalK = mem === '1G' ? 1024 * 1024 : 256 * 1024;
    assert.match(r.stdout, new RegExp(`Memory: \\d+K/${totalK}K available`));
    if (smp > 1) assert.match(r.stdout, new RegExp(`smp: Brought up 1 node, ${smp} CPUs`));
    assert.match(r.stdout, /tsqemu-guest: boot complete/);
    assert.match(r.stdout, /reboot: Power down/);
  });
}

test('default guest (no -kernel/-bios, the README quick start) boots to a shell; Ctrl-C and plain poweroff work', { timeout: TIMEOUT }, async () => {
  const c = new Console(['-M', 'virt', '-m', '256M', '-nographic']);
  try {
    await c.expect(/tsqemu-guest: boot complete/, 300_000);
    assert.equal(await c.sh('cat /proc/cmdline'), 'console=ttyS0');
    // BusyBox init is PID 1 and the shell owns the console's tty (job control).
    assert.equal(await c.sh('cat /proc/1/comm; tty; echo $HOME'), 'init\n/dev/ttyS0\n/root');
    // The child says when it runs: a ^C typed before that would reach the shell, not it.
    c.send('sh -c "echo sleep""ing; exec sleep 600"; echo sleep-was-not-inter""rupted\n');
    await c.expect(/\nsleeping/);
    c.send('\x03');
    assert.equal(await c.sh('echo $?'), '130');
    assert.doesNotMatch(c.out, /sleep-was-not-interrupted/);
    // poweroff signals PID 1, which stops everything and powers off (not only poweroff -f).
    c.send('poweroff\n');
    assert.equal(await c.exit, 0);
    assert.match(c.out, /Requesting system poweroff/);
  } finally {
    c.kill();
  }
});

test('scripted console session: arithmetic, harts, virtio-blk read and write, virtio-rng', { timeout: TIMEOUT }, async () => {
  const dir = tmpdir();
  const disk = path.join(dir, 'disk.img');
  const data = crypto.randomBytes(1024 * 1024);
  fs.writeFileSync(disk, data);
  const sha = crypto.createHash('sha256').update(data).digest('hex');
  const c = new Console(['-M', 'virt', '-m', '256M', '-smp', '2', '-nographic', '-serial', 'mon:stdio',
    '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0',
    '-drive', `file=${disk},format=raw,if=virtio`, '-device', 'virtio-rng-device']);
  try {
    await c.expect(/tsqemu-guest: boot complete/, 300_000);
    assert.equal(await c.sh('uname -m'), 'riscv64');
    assert.equal(await c.sh('echo $((6*7))'), '42');
    assert.equal(await c.sh('grep -c processor /proc/cpuinfo'), '2');
    assert.equal(await c.sh('cat /sys/block/vda/size'), String(data.length / 512));
    assert.equal(await c.sh('sha256sum /dev/vda | cut -d" " -f1'), sha);
    assert.equal(await c.sh('head -c 32 /dev/hwrng | wc -c'), '32');
    assert.equal(await c.sh('echo tsqemu-guest-wrote-this | dd of=/dev/vda bs=512 seek=8 conv=sync 2>/dev/null; sync; echo ok'), 'ok');
    c.send('poweroff -f\n');
    assert.equal(await c.exit, 0);
    const back = fs.readFileSync(disk);
    assert.equal(back.subarray(4096, 4096 + 24).toString(), 'tsqemu-guest-wrote-this\n');
    assert.ok(back.subarray(4096 + 24, 4096 + 512).every((b) => b === 0));
    assert.ok(back.subarray(0, 4096).equals(data.subarray(0, 4096)));
  } finally {
    c.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-S starts paused; Ctrl-A c monitor reports status; Ctrl-A x quits', { timeout: 300_000 }, async () => {
  const c = new Console(['-M', 'virt', '-m', '128M', '-nographic', '-S', '-bios', 'none']);
  try {
    c.send('\x01c');
    await c.expect(/\(qemu\) /, 60_000, 0);
    c.send('info status\r');
    await c.expect(/VM status: paused/, 60_000, 0);
    c.send('\x01h');
    await c.expect(/C-a x\s+exit emulator/, 60_000, 0);
    c.send('\x01x');
    await c.expect(/QEMU: Terminated/, 60_000, 0);
    assert.equal(await c.exit, 0);
  } finally {
    c.kill();
  }
});
