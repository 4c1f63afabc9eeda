// MAP_SHARED memory across fork (src/linux-user/shared-map.ts): shared anonymous memory, /dev/zero
// and shared file mappings are host objects mapped under the same guest pages in parent and
// child, for children resumed by the fork server and fresh ones (TSQEMU_FORK_SERVER=0), as on
// real Linux (the same C program built for the host) and under qemu-riscv64. Before: the child
// had a private copy (counter 20000 of 40000, the child's file writes lost). mapbus.c: a
// shared file truncated under its mapping (before: the emulator died of a host SIGBUS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build as buildIn, cli, missing, noAddon, run as runIn, userTmp } from './helpers/linux-user.js';

const noSys = noAddon('tsqemu_sys') ?? noAddon('tsqemu_proc');
const tmp = userTmp('tsqemu-mapshared-');
const build = (name, cc) => buildIn(tmp, name, cc);
const run = (argv, env = {}) => runIn(argv, tmp, env);
const dat = () => fs.readFileSync(path.join(tmp, 'mapshared.dat'));
const str = (b, off) => b.subarray(off, b.indexOf(0, off)).toString();

test('MAP_SHARED anonymous, /dev/zero and file memory is shared with children and grandchildren', { skip: missing ? `${missing} not installed` : noSys ?? false }, () => {
  const rv = build('mapshared', 'riscv64-linux-gnu-gcc'), host = build('mapshared', 'gcc');
  const linux = run([host]);
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /anon: amoadd 40000 lr\/sc 40000 child wrote 8 private 1/);
  const qemu = run(['qemu-riscv64', rv]);
  assert.deepEqual(qemu, linux);
  for (const env of [{}, { TSQEMU_FORK_SERVER: '0' }]) {
    const ours = run([process.execPath, cli, rv], env);
    assert.deepEqual(ours, linux, JSON.stringify(env));
    // The host file holds what the child and the grandchild stored through the mapping.
    const b = dat();
    assert.equal(str(b, 100), 'written by the child');
    assert.equal(str(b, 4096), 'grandchild');
    assert.equal(str(b, 2 * 4096 + 10), 'last page');
    fs.rmSync(path.join(tmp, 'mapshared.dat'));
  }
});

test('without the native addon a forked child cannot touch MAP_SHARED memory: SIGBUS and a message, never a silent copy', { skip: missing ? `${missing} not installed` : false }, () => {
  const rv = build('mapshared', 'riscv64-linux-gnu-gcc');
  const r = run([process.execPath, cli, rv], { TSQEMU_NO_SYS: '1' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^child failed status 7\n$/); // killed by SIGBUS
  assert.match(r.stderr, /MAP_SHARED memory at 0x[0-9a-f]+ is not shared with this forked child/);
});

test('a shared file shrinking under its mapping: SIGBUS BUS_ADRERR for the guest (own and another process\'s truncate), never a host crash', { skip: missing ? `${missing} not installed` : noSys ?? false }, () => {
  const rv = build('mapbus', 'riscv64-linux-gnu-gcc'), host = build('mapbus', 'gcc');
  const linux = run([host]);
  assert.equal(linux.status, 0, linux.stderr);
  assert.match(linux.stdout, /page 1 after the child's truncate: faulted/);
  assert.match(linux.stdout, /child: signaled 1 sig 7/);
  assert.deepEqual(run(['qemu-riscv64', rv]), linux);
  assert.deepEqual(run([process.execPath, cli, rv]), linux);
  assert.deepEqual(run([process.execPath, cli, rv], { TSQEMU_FORK_SERVER: '0' }), linux);
});
