// The default guest (Linux 6.12, which enables V; system-rvv.test.js runs vector code in it)
// boots and powers off with the vector unit on: -cpu rv64,v=true,vlen=256.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INITRD, hasTool, kernelImage, run } from './system-helpers.js';

const TIMEOUT = 150_000;
// system-rvv.test.js boots this -cpu to a shell and powers it off (when it can build its program):
// then this boot only repeats it and is opt-in.
const covered = !process.env.TSQEMU_SLOW && hasTool('riscv64-linux-gnu-gcc') && hasTool('qemu-riscv64')
  ? 'system-rvv.test.js boots the same -cpu (TSQEMU_SLOW=1 runs this too)' : false;

test('reference guest boots and powers off with -cpu rv64,v=true,vlen=256', { timeout: TIMEOUT, skip: covered }, async () => {
  const r = await run(['-M', 'virt', '-m', '256M', '-cpu', 'rv64,v=true,vlen=256', '-nographic', '-bios', 'default',
    '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0 guest.poweroff', '-no-reboot'],
  { timeoutMs: TIMEOUT - 5000, input: '' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tsqemu-guest: boot complete/);
  assert.match(r.stdout, /reboot: Power down/);
});
