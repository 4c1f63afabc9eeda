// Every block-layer suite again on the io_uring engine (the normal run uses the default engine,
// aio=threads as in QEMU): TSQEMU_AIO=io_uring makes io_uring the default of every file node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadIoUring } from '../dist/host/node/io_uring.js';

// img-corrupt and img-interop check formats, not the engine (their I/O takes the same paths as
// img-cli's): they run here only with TSQEMU_SLOW=1. img-bench names its engine in every test
// that does I/O (-i / aio= for both), so the normal run already covers it on io_uring.
const SUITES = ['block-drive', 'block-crash', 'block-guest', 'img-cli',
  ...(process.env.TSQEMU_SLOW === '1' ? ['img-bench', 'img-corrupt', 'img-interop'] : [])];
const { addon, reason } = loadIoUring();

test('block suites on aio=io_uring', { skip: addon ? false : reason, timeout: 600000 }, () => {
  const files = SUITES.map((s) => fileURLToPath(new URL(`./${s}.test.js`, import.meta.url)));
  // Outside the parent runner's context, so the child reports in TAP here.
  // block-crash's kill points are random: 3 here, in the configuration with the most metadata
  // writes (4 KiB clusters, 1-bit refcounts), where the normal run has 8 in each of three
  // configurations that take the same qcow2 code (the engine only carries the writes); all
  // three configurations with 8 kills each with TSQEMU_SLOW=1.
  const slow = process.env.TSQEMU_SLOW === '1';
  const env = { ...process.env, TSQEMU_AIO: 'io_uring',
    ...(slow || process.env.TSQEMU_CRASH_KILLS ? {} : { TSQEMU_CRASH_KILLS: '3' }),
    ...(slow || process.env.TSQEMU_CRASH_CONFIGS ? {} : { TSQEMU_CRASH_CONFIGS: 'cluster_size=4096,refcount_bits=1' }) };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=1', ...files], {
    encoding: 'utf8', env, maxBuffer: 64 << 20,
  });
  const fails = r.stdout.split('\n').filter((l) => /^\s*not ok /.test(l));
  assert.equal(r.status, 0, `io_uring run failed:\n${fails.join('\n')}\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /^# pass [1-9]/m);
});
