// The reference guest (OpenSBI 1.6 + Linux 6.12) with the H extension on: OpenSBI sees it
// (misa.H: "rv64imafdch") and sets up its hypervisor state, Linux boots and powers off as
// without it. (The kernel has no CONFIG_KVM, so nothing runs in V=1 here: tests/tcg-hyp.test.js
// covers the guest side on bare metal.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INITRD, kernelImage, run } from './system-helpers.js';

const TIMEOUT = 120_000;

test('reference guest boots and powers off with -cpu rv64,h=on', { timeout: TIMEOUT }, async () => {
  const r = await run(['-M', 'virt', '-m', '256M', '-cpu', 'rv64,h=on', '-nographic', '-bios', 'default',
    '-kernel', kernelImage(), '-initrd', INITRD, '-append', 'console=ttyS0 guest.poweroff', '-no-reboot'],
  { timeoutMs: TIMEOUT - 5000, input: '' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Boot HART Base ISA\s+: rv64imafdch\b/);
  assert.match(r.stdout, /tsqemu-guest: boot complete/);
  assert.match(r.stdout, /reboot: Power down/);
});
