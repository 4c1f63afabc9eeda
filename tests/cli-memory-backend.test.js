// -machine memory-backend=ID with -object memory-backend-ram (what libvirt passes when the
// machine has a default-ram-id): the backend's size becomes the RAM size (the device tree's
// memory node), and a missing backend or a size other than -m's is refused, each compared
// with qemu-system-riscv64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, hasTool, tmpdir } from './system-helpers.js';

const QEMU = 'qemu-system-riscv64';
const skip = !hasTool(QEMU) || !hasTool('dtc') ? 'needs qemu-system-riscv64 and dtc' : false;

function run(bin, args) {
  const r = spawnSync(bin, [...args, '-nographic', '-bios', 'none'], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, err: r.stderr.replace(/^(tsqemu|qemu)-system-riscv64: /gm, 'PROG: ') };
}

test('memory-backend= sizes the RAM and its errors are QEMU\'s', { skip }, () => {
  const dir = tmpdir();
  try {
    const memNode = (bin) => {
      const dtb = path.join(dir, `${path.basename(bin)}.dtb`);
      const r = run(bin, ['-M', `virt,dumpdtb=${dtb},memory-backend=m0`, '-object', 'memory-backend-ram,id=m0,size=64M']);
      assert.equal(r.code, 0, r.err);
      const dts = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', dtb], { encoding: 'utf8' }).stdout;
      return /memory@80000000 \{[^}]*reg = <([^>]*)>/.exec(dts)?.[1];
    };
    const ours = memNode(BIN);
    assert.equal(ours, '0x00 0x80000000 0x00 0x4000000');
    assert.equal(ours, memNode(QEMU));
    for (const args of [
      ['-M', 'virt,memory-backend=nope'],
      ['-M', 'virt,memory-backend=m0', '-object', 'memory-backend-ram,id=m0,size=64M', '-m', '256'],
    ]) {
      const a = run(BIN, args), b = run(QEMU, args);
      assert.equal(a.code, 1, a.err);
      assert.equal(a.code, b.code);
      assert.equal(a.err, b.err, args.join(' '));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
