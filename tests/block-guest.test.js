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
  const child = spawn(system, ['-M', 'virt', '-m', '256M', '-nographic',
    '-bios', path.join(root, 'pc-bios', 'opensbi-riscv64-generic-fw_dynamic.bin'),
    '-kernel', kernel, '-initrd', path.join(root, 'images', 'initramfs.cpio.gz'),
    '-append', 'console=ttyS0', '-no-reboot',
    '-drive', `file=${img},format=qcow2,if=none,id=d0,cache=writeback,discard=unmap`,
    '-device', 'virtio-blk-device,drive=d0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  const done = new Promise((resolve) => child.on('close', (code) => resolve(code))); // 'close': after the last output was read
  child.stdout.on('data', (d) => {
    out += d.toString();
    if (!sent && out.includes('tsqemu-guest: boot complete')) {
      sent = true;
      child.stdin.write('seq 1 200000 > /dev/vda; seq 7 90000 | dd of=/dev/vda bs=512 seek=20000 conv=notrunc; ' +
        'dd if=/dev/zero of=/dev/vda bs=65536 seek=2 count=3 conv=notrunc; sync; echo guest-synced; poweroff -f\n');
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
});
