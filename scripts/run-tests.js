#!/usr/bin/env node
// npm test's runner: node's test runner (node:test run()) over the same files `node --test tests/`
// finds, started longest first so that the two workers of a 2-core machine finish together
// (`node --test` sorts its files by name, which left a long file running alone at the end).
// The order comes from scripts/test-times.json (seconds per file, from a CI run); a file not
// listed there (a new one) starts among the first, at DEFAULT_SECONDS.
//
//   node scripts/run-tests.js [--concurrency N] [--record times.json] [file...]
//
// Files default to every test file under tests/ (node --test's own patterns). The reporter is
// TAP as `node --test` prints it when stdout is not a terminal (spec on a terminal); the exit
// status is 1 when a test failed. Any other option (--test-name-pattern=..., --test-reporter=...)
// hands the command line to `node --test` (which runs the files in name order). --record writes
// the measured seconds per file (the sum of its top-level tests' durations) for
// scripts/test-times.json. TSQEMU_TEST_CONCURRENCY overrides the default concurrency (2).
import { spawnSync } from 'node:child_process';
import { run } from 'node:test';
import { tap, spec } from 'node:test/reporters';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIMES = path.join(ROOT, 'scripts', 'test-times.json');
const DEFAULT_SECONDS = 30;

// node --test's default patterns (Node 20): *.test.js, *-test.js, *_test.js, test-*.js, test.js
// (and .cjs/.mjs), and any .js under a directory named test.
const TEST_FILE = /(^|[._-])test\.[cm]?js$|^test-.*\.[cm]?js$/;

function listTests(dir, underTestDir = false) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTests(p, underTestDir || e.name === 'test'));
    else if (e.isFile() && (TEST_FILE.test(e.name) || (underTestDir && /\.[cm]?js$/.test(e.name)))) out.push(p);
  }
  return out;
}

function parseArgs(argv) {
  const o = { concurrency: Number(process.env.TSQEMU_TEST_CONCURRENCY ?? 2), record: null, files: [], passThrough: false, nodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--concurrency' || a === '--test-concurrency') o.concurrency = Number(argv[++i]);
    else if (a.startsWith('--test-concurrency=')) o.concurrency = Number(a.slice(19));
    else if (a === '--record') o.record = argv[++i];
    else if (a.startsWith('-')) { o.passThrough = true; o.nodeArgs.push(a); }
    else o.files.push(path.resolve(a));
  }
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new Error('run-tests: the concurrency must be a positive integer');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
// The emulators' consoles read /dev/null as stdin in most tests. Some tools run as root replace
// it with a regular file (GLib's g_file_set_contents, as QEMU's dumpdtb uses, renames a temporary
// file over its target): its contents then reach the guest's console, and tests fail far from
// the cause. Refuse to run on such a host.
try {
  if (process.platform === 'linux' && !fs.statSync('/dev/null').isCharacterDevice()) {
    console.error('run-tests: /dev/null is not a character device on this host (something replaced it); ' +
      'restore it first: rm /dev/null && mknod -m 666 /dev/null c 1 3');
    process.exit(2);
  }
} catch { /* no /dev/null to check */ }
// No test makes a TLS connection: with NODE_EXTRA_CA_CERTS set (as on this VM), every node
// process (each test file and each of the several hundred emulator processes the tests start)
// parses the extra root certificates at start-up, ~30 ms of CPU each (bin/tsqemu-img drops it
// for the same reason). TSQEMU_TEST_KEEP_CA_CERTS=1 keeps it.
if (process.env.TSQEMU_TEST_KEEP_CA_CERTS !== '1') delete process.env.NODE_EXTRA_CA_CERTS;
if (opts.passThrough) {
  // Another node --test option (--test-name-pattern, --test-reporter, --test-only...): node --test
  // itself runs, in its own (name) order.
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${opts.concurrency}`, ...opts.nodeArgs,
    ...(opts.files.length ? opts.files : [path.join(ROOT, 'tests')])], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const files = opts.files.length ? opts.files : listTests(path.join(ROOT, 'tests'));
let times = {};
try { times = JSON.parse(fs.readFileSync(TIMES, 'utf8')); } catch { /* no table: name order */ }
const weight = (f) => times[path.relative(path.join(ROOT, 'tests'), f)] ?? DEFAULT_SECONDS;
// Longest first; equal weights by name, so that the order is stable.
files.sort((a, b) => weight(b) - weight(a) || a.localeCompare(b));

let failed = false;
const seconds = {};
const stream = run({ files, concurrency: opts.concurrency });
stream.on('test:fail', (d) => { if (!d.todo) failed = true; });
stream.on('test:pass', (d) => {
  if (d.nesting === 0 && d.file) seconds[d.file] = (seconds[d.file] ?? 0) + d.details.duration_ms / 1000;
});
stream.compose(process.stdout.isTTY ? new spec() : tap).pipe(process.stdout);
stream.on('end', () => {
  if (opts.record) {
    const rows = Object.entries(seconds).map(([f, s]) => [path.relative(path.join(ROOT, 'tests'), f), Math.round(s * 10) / 10]);
    rows.sort((a, b) => b[1] - a[1]);
    fs.writeFileSync(opts.record, `${JSON.stringify(Object.fromEntries(rows), null, 1)}\n`);
  }
  process.exitCode = failed ? 1 : 0;
});
