// The reference guest of ../shared/guest (built by the same recipe as images/, but its own
// binaries), when a checkout has it beside it: boots to the marker and powers off, 1 and 4 harts.
// A plain clone without ../shared skips this; the default guest in images/ is booted by
// system-boot.test.js either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, run } from './system-helpers.js';

const REF = path.join(ROOT, '..', 'shared', 'guest');
const have = ['Image', 'initramfs.cpio.gz', 'fw_dynamic.bin'].every((f) => fs.existsSync(path.join(REF, f)));

for (const smp of [1, 4]) {
  test(`../shared/guest reference guest: -smp ${smp} boots and powers off`, { skip: have ? false : 'no ../shared/guest beside the checkout', timeout: 120_000 }, async () => {
    const r = await run(['-M', 'virt', '-m', '256M', '-smp', String(smp), '-nographic', '-bios', path.join(REF, 'fw_dynamic.bin'),
      '-kernel', path.join(REF, 'Image'), '-initrd', path.join(REF, 'initramfs.cpio.gz'),
      '-append', 'console=ttyS0 guest.poweroff', '-no-reboot'], { timeoutMs: 110_000, input: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tsqemu-guest: boot complete/);
    if (smp > 1) assert.match(r.stdout, /smp: Brought up 1 node, 4 CPUs/);
    assert.match(r.stdout, /reboot: Power down/);
  });
}
