// -drive rerror=/werror= against the reference Linux guest: injected EIO/ENOSPC (file.x-inject-*)
// reported to the guest, ignored, or stopping the VM ("paused (io-error)" in the monitor) with
// the request retried on `cont` once the fault is gone (x-inject-count=1). Both AIO engines, one boot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Console, INITRD, kernelImage, run, tmpdir } from './system-helpers.js';

const MiB = 1024 * 1024;
const FAULT_AT = 2 * MiB;
const BLOCK = 768; // 4 KiB block 768 = 3 MiB: past the fault offset

/** Drives told apart in the guest by their sizes (MiB). */
const DRIVES = {
  readReport: { mib: 4, opts: 'rerror=report,file.x-inject-errno=EIO,file.x-inject-op=read' },
  writeEio: { mib: 5, opts: 'file.x-inject-errno=EIO,file.x-inject-op=write' }, // werror=enospc default: report
  readStop: { mib: 6, opts: 'rerror=stop,file.x-inject-errno=EIO,file.x-inject-op=read,file.x-inject-count=1' },
  writeEnospc: { mib: 7, opts: 'file.x-inject-errno=ENOSPC,file.x-inject-op=write,file.x-inject-count=1' },
  readIgnore: { mib: 8, opts: 'rerror=ignore,file.x-inject-errno=EIO,file.x-inject-op=read' },
};

async function monitor(c, cmd) {
  const from = c.out.length;
  c.send('\x01c');
  await c.expect(/\(qemu\) /, 60_000, from);
  const at = c.out.length;
  c.send(`${cmd}\r`);
  await c.expect(/\(qemu\) /, 60_000, at); // the guest may print right after the prompt
  const text = c.out.slice(at).replace(/\r/g, '');
  c.send('\x01c');
  return text;
}

async function waitStatus(c, re, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await monitor(c, 'info status');
    if (re.test(s)) return s;
    if (Date.now() > end) throw new Error(`status never matched ${re}: ${s}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

// One boot for all of it: the drives of both engines (told apart by size: threads 4-8 MiB,
// io_uring 9-13 MiB) and the system_reset disk (32 MiB, the default engine), which the last test
// reboots twice. Each engine's drives behave as when each engine had a guest of its own.
const ENGINES = ['threads', 'io_uring'];
const RESET_MIB = 32;
let c, dir, dev, data, resetData, resetFile;
const driveMib = (engine, name) => DRIVES[name].mib + 5 * ENGINES.indexOf(engine);
const driveFile = (engine, name) => path.join(dir, `${engine}-${name}.img`);

before(async () => {
  dir = tmpdir();
  const args = ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0 quiet'];
  data = {};
  for (const engine of ENGINES) {
    for (const [name, d] of Object.entries(DRIVES)) {
      const file = driveFile(engine, name);
      data[`${engine}-${name}`] = crypto.randomBytes(driveMib(engine, name) * MiB);
      fs.writeFileSync(file, data[`${engine}-${name}`]);
      args.push('-drive', `file.driver=file,file.filename=${file},format=raw,if=virtio,file.aio=${engine},file.x-inject-offset=${FAULT_AT},${d.opts}`);
    }
  }
  resetFile = path.join(dir, 'disk.img');
  resetData = crypto.randomBytes(RESET_MIB * MiB);
  fs.writeFileSync(resetFile, resetData);
  args.push('-drive', `file.driver=file,file.filename=${resetFile},format=raw,if=virtio,rerror=stop,file.x-inject-errno=EIO,file.x-inject-op=read,file.x-inject-offset=${16 * MiB},file.x-inject-count=1,file.x-inject-delay-ms=4000`);
  process.env.TSQEMU_URING_STATS = '1'; // prints busy-resets= at exit
  c = new Console(args);
  delete process.env.TSQEMU_URING_STATS;
  await c.expect(/tsqemu-guest: boot complete/, 100_000);
  dev = {};
  for (const n of (await c.sh('ls /sys/block | grep vd')).split(/\s+/)) {
    const mib = Number(await c.sh(`cat /sys/block/${n}/size`)) / 2048;
    if (mib === RESET_MIB) { dev.reset = n; continue; }
    for (const engine of ENGINES) {
      const name = Object.keys(DRIVES).find((k) => driveMib(engine, k) === mib);
      if (name) dev[`${engine}-${name}`] = `/dev/${n}`;
    }
  }
});

after(() => {
  c?.kill();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

for (const engine of ENGINES) {
  test(`rerror/werror report, ignore, stop + cont retry (aio=${engine})`, { timeout: 150_000 }, async () => {
    const d = (name) => dev[`${engine}-${name}`];
    assert.ok(Object.keys(DRIVES).every((name) => d(name)), JSON.stringify(dev));
    const blockSha = (name) => crypto.createHash('md5').update(data[`${engine}-${name}`].subarray(BLOCK * 4096, (BLOCK + 1) * 4096)).digest('hex');
    const readCmd = (name) => `dd if=${d(name)} bs=4096 skip=${BLOCK} count=1 2>/dev/null | md5sum | cut -c1-32; echo rc=$?`;

    // report: the guest sees the error; reads before the fault still work.
    assert.match(await c.sh(`dd if=${d('readReport')} of=/dev/null bs=4096 skip=${BLOCK} count=1 2>&1; echo rc=$?`), /Input\/output error[\s\S]*rc=1/);
    assert.match(await c.sh(`dd if=${d('readReport')} of=/dev/null bs=4096 count=1 2>&1; echo rc=$?`), /rc=0/);
    // werror=enospc (default) with EIO: reported (fsync fails).
    assert.match(await c.sh(`echo x | dd of=${d('writeEio')} bs=4096 seek=${BLOCK} conv=sync,fsync 2>&1; echo rc=$?`), /rc=1/);
    // ignore: completed as a success.
    assert.match(await c.sh(`dd if=${d('readIgnore')} of=/dev/null bs=4096 skip=${BLOCK} count=1 2>&1; echo rc=$?`), /rc=0/);
    assert.match(await monitor(c, 'info status'), /VM status: running/);

    // rerror=stop: the VM pauses; after `cont` the request is retried and the data is right.
    let from = c.out.length;
    c.send(`${readCmd('readStop')}\n`);
    await waitStatus(c, /VM status: paused \(io-error\)/);
    assert.doesNotMatch(c.out.slice(from), /rc=\d/);
    await monitor(c, 'cont');
    await c.expect(/rc=0/, 30_000, from);
    assert.ok(c.out.slice(from).includes(blockSha('readStop')), c.out.slice(from));
    assert.match(await monitor(c, 'info status'), /VM status: running/);

    // werror=enospc (default) with ENOSPC: stop, then the write goes through on `cont` (fsync'd:
    // in the host file once dd returns).
    from = c.out.length;
    c.send(`echo tsqemu-enospc-retry | dd of=${d('writeEnospc')} bs=4096 seek=${BLOCK} conv=sync,fsync 2>&1; echo rc=$?\n`);
    await waitStatus(c, /VM status: paused \(io-error\)/);
    await monitor(c, 'cont');
    await c.expect(/rc=0/, 30_000, from);
    await c.sh('true');
    const back = fs.readFileSync(driveFile(engine, 'writeEnospc'));
    assert.equal(back.subarray(BLOCK * 4096, BLOCK * 4096 + 21).toString(), 'tsqemu-enospc-retry\n\0');
  });
}

test('werror/rerror values are checked as QEMU does', async () => {
  for (const [opt, msg] of [['werror=foo', "'foo' invalid write error action"], ['rerror=enospc', "'enospc' invalid read error action"]]) {
    const r = await run(['-M', 'virt', '-nographic', '-drive', `file=/dev/null,format=raw,if=virtio,${opt}`], { timeoutMs: 20_000, input: '' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`-drive file=/dev/null,format=raw,if=virtio,${opt}: ${msg}`));
  }
});

test('system_reset with a request held by rerror=stop and with a large read in flight: the guest boots again', { timeout: 150_000 }, async () => {
  assert.ok(dev.reset, JSON.stringify(dev));
  c.send(`dd if=/dev/${dev.reset} bs=1M skip=16 count=1 2>/dev/null | md5sum; echo rc=$?\n`);
  await waitStatus(c, /VM status: paused \(io-error\)/);
  let from = c.out.length;
  await monitor(c, 'system_reset');
  await monitor(c, 'cont');
  await c.expect(/tsqemu-guest: boot complete/, 100_000, from);
  // A reset while a 1 MiB read is in flight (held 4 s by x-inject-delay-ms past 16 MiB).
  // The guest says when the read is in flight (/proc/diskstats' in-progress count), not a
  // fixed sleep: on a loaded host dd may take longer than the hold to submit. The disk's name
  // is the same after the reboot (same drives, same probe order).
  c.send(`dd if=/dev/${dev.reset} of=/dev/null bs=1M skip=20 count=1 iflag=direct & ` +
    `while ! awk '$3 == "${dev.reset}" && $12 > 0 { f = 1 } END { exit !f }' /proc/diskstats; do :; done; echo in-""flight\n`);
  await c.expect(/in-flight/, 30_000);
  from = c.out.length;
  await monitor(c, 'system_reset');
  await c.expect(/tsqemu-guest: boot complete/, 100_000, from);
  // The disk reads right after the reboot (the part without the delay hook).
  assert.equal(await c.sh(`dd if=/dev/${dev.reset} bs=1M count=16 2>/dev/null | sha256sum | cut -d" " -f1`), crypto.createHash('sha256').update(resetData.subarray(0, 16 * MiB)).digest('hex'));
  c.send('poweroff -f\n');
  assert.equal(await c.exit, 0);
  // The streaming read really had requests in flight when system_reset came.
  assert.match(c.err, /busy-resets=[1-9]/);
});
