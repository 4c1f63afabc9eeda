// Disks in the page: -drive file=URL read over HTTP Range requests from the test's own server
// (raw and qcow2, checked with sha256sum in the guest against the host), guest writes kept in
// an OPFS qcow2 overlay that a reload of the page keeps, and "download disk" giving a qcow2
// that the real qemu-img checks and converts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { MARKER, SKIP, newPage, openBrowser, rangeServer, sh, waitForConsole, withScreenshot } from './web-helpers.js';

const sha = (d) => crypto.createHash('sha256').update(d).digest('hex');
let b, page, disks, dir;
const files = {};

before(async () => {
  if (SKIP) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-web-disk-'));
  files['disk.img'] = crypto.randomBytes(3 * 1024 * 1024);
  // A qcow2 with data, a zero hole and data again (2 MiB virtual).
  const raw2 = Buffer.concat([crypto.randomBytes(768 * 1024), Buffer.alloc(512 * 1024), crypto.randomBytes(768 * 1024)]);
  fs.writeFileSync(path.join(dir, 'q.raw'), raw2);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', path.join(dir, 'q.raw'), path.join(dir, 'q.qcow2')]);
  files['disk.qcow2'] = fs.readFileSync(path.join(dir, 'q.qcow2'));
  files.rawOfQcow2 = raw2;
  files['blank.img'] = Buffer.alloc(16 * 1024 * 1024);
  disks = await rangeServer(files);
  b = await openBrowser();
  page = await newPage(b);
});
after(async () => { await b?.close(); disks?.close(); if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

const args = () => `-m 256M -nographic -drive file=${disks.url}disk.img,format=raw,if=virtio,readonly=on ` +
  `-drive file=${disks.url}disk.qcow2,format=qcow2,if=virtio -drive file=${disks.url}blank.img,format=raw,if=virtio`;

/** The last line of a command's output (kernel messages may come before it). */
const lastLine = (s) => s.split('\n').at(-1);

/** Guest device name by size in 512-byte sectors. */
async function devices() {
  const out = await sh(page, 'for d in /sys/block/vd*; do echo ${d##*/} $(cat $d/size); done');
  const bySize = new Map(out.split('\n').map((l) => l.trim().split(' ')).map(([n, s]) => [Number(s), n]));
  return { raw: bySize.get(3 * 2048), qcow2: bySize.get(2 * 2048), blank: bySize.get(16 * 2048) };
}

test('disks from a URL: raw and qcow2 read by the guest equal the host\'s, over Range requests only', { skip: SKIP, timeout: 240_000 }, async () => {
  await withScreenshot(page, 'range', async () => {
    await page.goto(`${b.base}?args=${encodeURIComponent(args())}`);
    await waitForConsole(page, MARKER, 150_000);
    const dev = await devices();
    assert.ok(dev.raw && dev.qcow2 && dev.blank, JSON.stringify(dev));
    assert.equal(await sh(page, `sha256sum /dev/${dev.raw} | cut -d' ' -f1`), sha(files['disk.img']));
    assert.equal(await sh(page, `sha256sum /dev/${dev.qcow2} | cut -d' ' -f1`), sha(files.rawOfQcow2));
    const gets = disks.log.filter((e) => e.method === 'GET');
    assert.ok(gets.length > 2);
    assert.deepEqual(gets.filter((e) => !e.range || e.status !== 206), [], 'every fetch is a partial one');
    // Of the blank disk the guest read only its partition table probes, not 16 MiB.
    const blankBytes = gets.filter((e) => e.url === '/blank.img').reduce((n, e) => n + e.bytes, 0);
    assert.ok(blankBytes < 4 * 1024 * 1024, `blank.img: ${blankBytes} bytes fetched`);
    const s = await page.evaluate(() => window.tsqemu.stats());
    assert.equal(s.httpRequests, gets.length);
  });
});

test('guest writes go to an OPFS overlay that survives a reload; download disk is a qcow2 qemu-img reads', { skip: SKIP, timeout: 240_000 }, async () => {
  await withScreenshot(page, 'opfs', async () => {
    const dev = await devices();
    assert.equal(lastLine(await sh(page, `mkfs.ext2 /dev/${dev.blank} 8192 >/dev/null 2>&1 && mkdir -p /mnt && mount /dev/${dev.blank} /mnt && echo persisted-$((40+2)) > /mnt/f && umount /mnt && echo ok`)), 'ok');
    assert.equal(lastLine(await sh(page, `echo tsqemu-export-check | dd of=/dev/${dev.blank} bs=512 seek=30000 conv=sync 2>/dev/null; sync; echo ok`)), 'ok');
    const putsBefore = disks.log.filter((e) => e.method !== 'GET' && e.method !== 'OPTIONS').length;
    assert.equal(putsBefore, 0, 'nothing is written to the server');

    // The bytes come back as base64: as an Array of numbers (millions of them) playwright's
    // serializer cost ~24 s of CPU and ~1 GB of the test process's memory.
    const b64 = await page.evaluate(async () => {
      const u8 = await window.tsqemu.exportDisk('virtio2');
      let bin = '';
      for (let i = 0; i < u8.length; i += 0x8000) bin += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
      return btoa(bin);
    });
    const q = path.join(dir, 'export.qcow2');
    fs.writeFileSync(q, Buffer.from(b64, 'base64'));
    assert.match(execFileSync('qemu-img', ['info', q]).toString(), /file format: qcow2[\s\S]*virtual size: 16 MiB/);
    execFileSync('qemu-img', ['check', q]);
    execFileSync('qemu-img', ['convert', '-O', 'raw', q, path.join(dir, 'export.raw')]);
    const raw = fs.readFileSync(path.join(dir, 'export.raw'));
    assert.equal(raw.subarray(30000 * 512, 30000 * 512 + 19).toString(), 'tsqemu-export-check');
    assert.equal(raw.readUInt16LE(1024 + 56), 0xef53, 'ext2 superblock magic');

    await page.reload();
    await waitForConsole(page, MARKER, 150_000);
    const dev2 = await devices();
    assert.match(await sh(page, `mkdir -p /mnt && mount /dev/${dev2.blank} /mnt && cat /mnt/f && umount /mnt`), /^persisted-42$/m);
    assert.match(await sh(page, `dd if=/dev/${dev2.blank} bs=512 skip=30000 count=1 2>/dev/null | head -c 19; echo`), /^tsqemu-export-check$/m);

    await page.click('#poweroff');
    await page.evaluate(() => window.tsqemu.exited);
    assert.equal(await page.evaluate(() => window.tsqemu.discardOverlays()), 2, 'the qcow2 and blank drives had overlays');
    assert.equal(await page.evaluate(() => window.tsqemu.discardOverlays()), 0);
  });
});

test('a local file from the picker is a disk (local:NAME)', { skip: SKIP, timeout: 240_000 }, async () => {
  await withScreenshot(page, 'local', async () => {
    const file = path.join(dir, 'picked.img');
    const data = crypto.randomBytes(1024 * 1024);
    fs.writeFileSync(file, data);
    await page.setInputFiles('#files', file);
    await page.waitForFunction(() => document.getElementById('localfiles').textContent.includes('local:picked.img'));
    await page.evaluate(() => window.tsqemuPage.boot('-m 256M -nographic -drive file=local:picked.img,format=raw,if=virtio,snapshot=on'));
    await waitForConsole(page, MARKER, 150_000);
    assert.equal(await sh(page, 'cat /sys/block/vda/size'), String(data.length / 512));
    assert.equal(await sh(page, "sha256sum /dev/vda | cut -d' ' -f1"), sha(data));
    // snapshot=on: writes land in memory, the guest reads them back.
    assert.equal(lastLine(await sh(page, 'echo local-write | dd of=/dev/vda bs=512 seek=100 conv=sync 2>/dev/null; sync; dd if=/dev/vda bs=512 skip=100 count=1 2>/dev/null | head -c 11; echo')), 'local-write');
  });
});
