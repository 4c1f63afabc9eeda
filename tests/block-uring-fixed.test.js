// aio=io_uring in the system emulator: guest RAM is registered as a fixed buffer, so virtio-blk
// requests go in as READ_FIXED/WRITE_FIXED, and the requests of one virtqueue notification
// share one io_uring_enter (TSQEMU_URING_STATS=1 prints the counters at exit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Console, INITRD, kernelImage, tmpdir } from './system-helpers.js';
import { ioUringUnavailableReason } from '../dist/host/node/file-aio.js';

test('virtio-blk on io_uring: fixed buffers, one io_uring_enter per notification', { timeout: 120_000 }, async (t) => {
  const why = ioUringUnavailableReason();
  if (why) { t.skip(why); return; }
  const dir = tmpdir();
  const file = path.join(dir, 'disk.img');
  const data = crypto.randomBytes(16 * 1024 * 1024);
  fs.writeFileSync(file, data);
  process.env.TSQEMU_URING_STATS = '1';
  const c = new Console(['-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0 quiet',
    '-drive', `file=${file},format=raw,if=virtio,aio=io_uring`]);
  delete process.env.TSQEMU_URING_STATS;
  try {
    await c.expect(/tsqemu-guest: boot complete/, 100_000);
    assert.match(await c.sh('dd if=/dev/vda of=/dev/null bs=4096 count=200 iflag=direct 2>&1; echo rc=$?'), /rc=0/);
    // Buffered 1 MiB reads: multi-segment requests, several requests per notification.
    assert.equal(await c.sh('sha256sum /dev/vda | cut -d" " -f1'), crypto.createHash('sha256').update(data).digest('hex'));
    assert.match(await c.sh('dd if=/dev/urandom of=/dev/vda bs=64k count=16 oflag=direct 2>&1; echo rc=$?'), /rc=0/);
    c.send('poweroff -f\n');
    assert.equal(await c.exit, 0);
    const m = /tsqemu-uring-stats: enters=(\d+) submitted=(\d+) fixed=(\d+) notifies=(\d+) requests=(\d+)/.exec(c.err);
    assert.ok(m, c.err);
    const [enters, submitted, fixed, notifies, requests] = m.slice(1).map(Number);
    // Registration needs RLIMIT_MEMLOCK >= guest RAM (or CAP_IPC_LOCK); the batching still holds.
    const ramFixed = /ram-fixed=1/.test(c.err);
    if (!ramFixed && process.getuid() === 0) assert.fail(`guest RAM not registered as root: ${c.err}`);
    assert.ok(requests >= 200 + 16, `requests=${requests}`);
    // Every data request pointed into guest RAM: only bufferless ones (fdatasync) are not fixed.
    if (ramFixed) assert.ok(fixed >= requests - 5 && fixed <= submitted, c.err);
    else t.diagnostic(`guest RAM not registered (RLIMIT_MEMLOCK too low for 256 MiB): fixed path untested here`);
    // No notification needed more than one io_uring_enter for the requests it produced (+2,
    // which no notification produced: virtio-blk's MBR read for its geometry guess at realize,
    // and the flush when the drive closes at exit).
    assert.ok(enters <= notifies + 2, c.err);
    // The vCPU loop settled the slices that started requests (cpus.ts settleIo): inline when
    // every request completed in microtasks, slow when the event loop had to turn; at most one
    // settle per notification.
    const st = /settled-inline=(\d+) settled-slow=(\d+)/.exec(c.err);
    assert.ok(st, c.err);
    const settles = Number(st[1]) + Number(st[2]);
    assert.ok(settles > 0 && settles <= notifies, c.err);
    assert.ok(submitted > enters, c.err);
    // The completion counters (virtio-blk): every request popped was completed onto the used
    // ring; one interrupt decision per queue per batch of completions, each one raised or
    // suppressed by used_event (EVENT_IDX); the mean number in flight when a request starts.
    const co = /mean-depth=([\d.]+) completed=(\d+) decisions=(\d+) irqs=(\d+) suppressed=(\d+)/.exec(c.err);
    assert.ok(co, c.err);
    const [depth, completed, decisions, irqs, suppressed] = co.slice(1).map(Number);
    assert.equal(completed, requests, c.err);
    assert.ok(decisions > 0 && decisions <= completed, c.err);
    assert.equal(irqs + suppressed, decisions, c.err);
    assert.ok(depth >= 1 && depth <= 256, c.err);
  } finally {
    c.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
