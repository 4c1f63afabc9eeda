// recvmmsg's timeout (tests/linux-user/mmsgtimeout.c) as real Linux checks it (the same program
// built for the host): after each datagram, the time left written back, EINVAL for a bad one.
// Not compared with qemu-riscv64 7.2: it ignores the timeout (the zero-timeout case blocks).
// Before: ignored here too (the zero-timeout call took all 3 datagrams, then blocked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build as buildIn, cli, missing, noAddon, run as runIn, userTmp } from './helpers/linux-user.js';

const noSys = noAddon('tsqemu_sys');
const tmp = userTmp('tsqemu-recvmmsg-');

test('recvmmsg timeout: checked after each datagram, time left written back, EINVAL', { skip: missing ? `${missing} not installed` : noSys ?? false }, () => {
  const linux = runIn([buildIn(tmp, 'mmsgtimeout', 'gcc')], tmp);
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /zero timeout, 3 queued: 1 left 0\.000000000\n/);
  const ours = runIn([process.execPath, cli, buildIn(tmp, 'mmsgtimeout', 'riscv64-linux-gnu-gcc')], tmp);
  assert.deepEqual(ours, linux);
});
