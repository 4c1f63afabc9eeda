// The reference Linux guest writes to a qcow2 disk through virtio-blk on tsqemu, powers off,
// and real qemu-img finds the image clean and holding exactly what the guest wrote.
// (Real QEMU 7.2 is no reference here: its sifive_test poweroff exits without flushing
// qcow2 metadata, so the expected content is built on the host instead.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { fs, haveQemuImg, ours, path, real, tmpdir } from './img-helpers.js';

const root = new URL('..', import.meta.url).pathname;
const system = path.join(root, 'bin', 'tsqemu-system-riscv64');
const skip = !haveQemuImg() ? 'qemu-img not installed'
  : !fs.existsSync(path.join(root, 'dist', 'cli', 'system-riscv64.js')) ? 'system emulator not built' : false;

function seqText(from, to) {
  let s = '';
  for (let i = from; i <= to; i++) s += `${i}\n`;
  return Buffer.from(s);
}

test('guest writes a qcow2 disk through virtio-blk; real qemu-img check and compare pass', { skip, timeout: 600000 }, async () => {
  const dir = tmpdir('guest');
  const img = path.join(dir, 'disk.qcow2');
  const kernel = path.join(dir, 'Image');
  fs.writeFileSync(kernel, gunzipSync(fs.readFileSync(path.join(root, 'images', 'Image.gz'))));
  assert.equal(ours(['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=65536', img, '64M']).status, 0);
  // A second disk with extended L2 entries (1 KiB subclusters) over a raw backing file: the
  // guest's 4 KiB writes allocate subclusters, copying on write what the backing file holds.
  const ext = path.join(dir, 'ext.qcow2'), extBase = path.join(dir, 'ext-base.raw');
  const baseData = Buffer.alloc(8 << 20, 0xa5);
  fs.writeFileSync(extBase, baseData);
  assert.equal(ours(['create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on,cluster_size=32768', '-b', extBase, '-F', 'raw', ext, '64M']).status, 0);
  const child = spawn(system, ['-M', 'virt', '-m', '256M', '-nographic',
    '-bios', path.join(root, 'pc-bios', 'opensbi-riscv64-generic-fw_dynamic.bin'),
    '-kernel', kernel, '-initrd', path.join(root, 'images', 'initramfs.cpio.gz'),
    '-append', 'console=ttyS0', '-no-reboot',
    '-drive', `file=${img},format=qcow2,if=none,id=d0,cache=writeback,discard=unmap`,
    '-device', 'virtio-blk-device,drive=d0',
    '-drive', `file=${ext},format=qcow2,if=none,id=d1,cache=writeback,discard=unmap`,
    '-device', 'virtio-blk-device,drive=d1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  const done = new Promise((resolve) => child.on('close', (code) => resolve(code))); // 'close': after the last output was read
  child.stdout.on('data', (d) => {
    out += d.toString();
    if (!sent && out.includes('tsqemu-guest: boot complete')) {
      sent = true;
      child.stdin.write('seq 1 200000 > /dev/vda; seq 7 90000 | dd of=/dev/vda bs=512 seek=20000 conv=notrunc; ' +
        'dd if=/dev/zero of=/dev/vda bs=65536 seek=2 count=3 conv=notrunc; ' +
        'seq 1 3000 | dd of=/dev/vdb bs=512 seek=9 conv=notrunc; seq 5 70000 | dd of=/dev/vdb bs=512 seek=15000 conv=notrunc; ' +
        'dd if=/dev/zero of=/dev/vdb bs=4096 seek=300 count=5 conv=notrunc; sync; echo guest-synced; poweroff -f\n');
    }
  });
  child.stderr.on('data', (d) => { out += d.toString(); });
  const code = await done;
  assert.ok(out.includes('guest-synced'), `guest ran the commands (exit ${code}):\n${out.slice(-2000)}`);
  const ref = path.join(dir, 'ref.raw');
  const b = Buffer.alloc(64 << 20);
  seqText(1, 200000).copy(b, 0);
  seqText(7, 90000).copy(b, 20000 * 512);
  b.fill(0, 2 * 65536, 5 * 65536);
  fs.writeFileSync(ref, b);
  const chk = real(['check', img]);
  assert.equal(chk.status, 0, `real qemu-img check:\n${chk.stdout}${chk.stderr}`);
  const cmp = real(['compare', '-f', 'qcow2', '-F', 'raw', img, ref]);
  assert.equal(cmp.status, 0, cmp.stdout + cmp.stderr);
  const extRef = path.join(dir, 'ext-ref.raw');
  const e = Buffer.alloc(64 << 20);
  baseData.copy(e, 0);
  seqText(1, 3000).copy(e, 9 * 512);
  seqText(5, 70000).copy(e, 15000 * 512);
  e.fill(0, 300 * 4096, 305 * 4096);
  fs.writeFileSync(extRef, e);
  const chk2 = real(['check', ext]);
  assert.equal(chk2.status, 0, `real qemu-img check (extended L2):\n${chk2.stdout}${chk2.stderr}`);
  const cmp2 = real(['compare', '-f', 'qcow2', '-F', 'raw', ext, extRef]);
  assert.equal(cmp2.status, 0, cmp2.stdout + cmp2.stderr);
});
