#!/usr/bin/env node
// npm test's runner: node's test runner (node:test run()) over the same files `node --test tests/`
// finds, started longest first so that the workers of a 2-core machine finish together
// (`node --test` sorts its files by name, which left a long file running alone at the end), plus
// a file that mostly waits beside them (scripts/test-busy.json, below).
// The order comes from scripts/test-times.json (seconds per file, from a CI run); a file not
// listed there (a new one) starts among the first, at DEFAULT_SECONDS.
//
//   node scripts/run-tests.js [--concurrency N] [--wait-slots N] [--record times.json]
//                             [--record-busy busy.json] [--busy-table busy.json] [file...]
//
// Files default to every test file under tests/ (node --test's own patterns). The reporter is
// TAP as `node --test` prints it when stdout is not a terminal (spec on a terminal); the exit
// status is 1 when a test failed. Any other option (--test-name-pattern=..., --test-reporter=...)
// hands the command line to `node --test` (which runs the files in name order). --record writes
// the measured seconds per file (the sum of its top-level tests' durations) for
// scripts/test-times.json, --record-busy each file's share of a core for scripts/test-busy.json
// (--busy-table reads another). TSQEMU_TEST_CONCURRENCY overrides the default
// concurrency (2).
import { spawnSync } from 'node:child_process';
import { run } from 'node:test';
import { tap, spec } from 'node:test/reporters';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
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
  const o = { concurrency: Number(process.env.TSQEMU_TEST_CONCURRENCY ?? 2), waitSlots: Number(process.env.TSQEMU_TEST_WAIT_SLOTS ?? 1), record: null, recordBusy: null, busyTable: path.join(ROOT, 'scripts', 'test-busy.json'), files: [], passThrough: false, nodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--concurrency' || a === '--test-concurrency') o.concurrency = Number(argv[++i]);
    else if (a.startsWith('--test-concurrency=')) o.concurrency = Number(a.slice(19));
    else if (a === '--wait-slots') o.waitSlots = Number(argv[++i]);
    else if (a === '--record') o.record = argv[++i];
    else if (a === '--record-busy') o.recordBusy = argv[++i];
    else if (a === '--busy-table') o.busyTable = path.resolve(argv[++i]);
    else if (a.startsWith('-')) { o.passThrough = true; o.nodeArgs.push(a); }
    else o.files.push(path.resolve(a));
  }
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new Error('run-tests: the concurrency must be a positive integer');
  if (!Number.isInteger(o.waitSlots) || o.waitSlots < 0) throw new Error('run-tests: --wait-slots must be an integer >= 0');
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

// Files that wait (on guests' timers and timeouts, peers, browsers) leave their core idle part of
// the time: scripts/test-busy.json holds, for each file, its CPU seconds over its CPU seconds
// plus the seconds in which none of its threads could run (neither of the two grows with the
// host's load, as wall seconds do), as `--record-busy FILE` samples them in a run (every 250 ms:
// user + system of the file's processes, with what they reaped; is a thread of them running or
// runnable?). A file weighs that share of a core (at least MIN_COST; 1 if it is not in the
// table), and files start while the running ones weigh at most concurrency + 0.5 * waitSlots, at
// most concurrency + waitSlots of them (--wait-slots N, TSQEMU_TEST_WAIT_SLOTS; default 1; 0:
// `concurrency` files at once as before). On 2 cores: two busy files and one that mostly waits,
// or three that wait part of the time.
const MIN_COST = 0.25;
let shares = {};
try { shares = JSON.parse(fs.readFileSync(opts.busyTable, 'utf8')); } catch { /* none: every file weighs 1 */ }
const cost = (f) => Math.min(1, Math.max(MIN_COST, Number(shares[path.relative(path.join(ROOT, 'tests'), f)] ?? 1) || 1));
const capacity = opts.concurrency + 0.5 * opts.waitSlots;
const childrenOf = (pid) => {
  const out = [];
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1').split(' ')) if (c) out.push(Number(c));
  }
  return out;
};
/** [can a thread of `pid` or of a process under it run now (state R)?, their CPU seconds (each
 * with what it reaped: a process that ended counts once, in its parent)] (Linux /proc). */
function sampleTree(pid) {
  let runnable = false, ticks = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, 'latin1');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime stime cutime cstime
      if (!runnable) {
        for (const t of fs.readdirSync(`/proc/${p}/task`)) {
          const ts = fs.readFileSync(`/proc/${p}/task/${t}/stat`, 'latin1');
          if (ts[ts.lastIndexOf(')') + 2] === 'R') { runnable = true; break; }
        }
      }
      stack.push(...childrenOf(p));
    } catch { /* gone */ }
  }
  return [runnable, ticks / 100]; // USER_HZ
}
const SAMPLE_MS = 250;
function sampleBusy() {
  let kids;
  try { kids = childrenOf(process.pid); } catch { return; }
  for (const e of running) {
    if (e.pid === undefined) {
      for (const k of kids) {
        try { if (fs.readFileSync(`/proc/${k}/cmdline`, 'latin1').split('\0').includes(e.f)) e.pid = k; } catch { /* gone */ }
      }
      if (e.pid === undefined) continue;
    }
    const [runnable, cpu] = sampleTree(e.pid);
    const now = Date.now();
    e.samples = (e.samples ?? 0) + 1;
    // Idle since the last sample (the timer may fire late on a busy host).
    if (!runnable) e.idle = (e.idle ?? 0) + Math.min(1000, now - (e.sampled ?? now - SAMPLE_MS)) / 1000;
    e.sampled = now;
    e.cpu = Math.max(e.cpu ?? 0, cpu);
  }
}
const busyShare = {};

let failed = false;
const seconds = {};
const started = Date.now();
// Each file runs in a run() of its own (node:test's run() has one concurrency for all of its
// files); their events go to one reporter as `node --test` would print them: the files in the
// order they started, the first one's events as they come and the others' when it ends, the
// top-level tests numbered through, one plan and one summary at the end.
const out = new PassThrough({ objectMode: true });
out.compose(process.stdout.isTTY ? new spec() : tap).pipe(process.stdout);
const totals = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
let testNumber = 0;
const shown = []; // running or finished files not yet wholly printed, in start order
function emit(ev) {
  if ((ev.type === 'test:pass' || ev.type === 'test:fail') && ev.data.nesting === 0) {
    ev = { ...ev, data: { ...ev.data, testNumber: ++testNumber } };
  }
  out.write(ev);
}
function pump() {
  while (shown.length) {
    const head = shown[0];
    for (const ev of head.events) emit(ev);
    head.events = [];
    if (!head.done) return;
    shown.shift();
  }
}
const pending = [...files];
const running = new Set();
function startFile(f) {
  const entry = { f, events: [], done: false, cost: cost(f), t0: Date.now() };
  running.add(entry);
  shown.push(entry);
  const stream = run({ files: [f], concurrency: 1 });
  stream.on('data', (ev) => {
    const d = ev.data;
    // The run's own plan and summary (nesting 0, no file): one of each for all files, at the end.
    if (d.nesting === 0 && d.file === undefined && (ev.type === 'test:plan' || ev.type === 'test:diagnostic')) {
      const m = ev.type === 'test:diagnostic' && /^(\w+) (\d+)$/.exec(d.message);
      if (m && m[1] in totals) totals[m[1]] += Number(m[2]);
      return;
    }
    if (ev.type === 'test:fail' && !d.todo) failed = true;
    if (ev.type === 'test:pass' && d.nesting === 0 && d.file) seconds[d.file] = (seconds[d.file] ?? 0) + d.details.duration_ms / 1000;
    entry.events.push(ev);
    if (shown[0] === entry) pump();
  });
  stream.on('end', () => {
    if (entry.samples >= 4 && entry.cpu > 0) busyShare[f] = Math.round((entry.cpu / (entry.cpu + (entry.idle ?? 0))) * 100) / 100;
    entry.done = true;
    running.delete(entry);
    pump();
    schedule();
  });
}
const sampler = opts.recordBusy ? setInterval(sampleBusy, SAMPLE_MS) : null;
function schedule() {
  for (;;) {
    let load = 0;
    for (const e of running) load += e.cost;
    // The longest pending file that fits (files is sorted longest first).
    const i = pending.findIndex((f) => load + cost(f) <= capacity);
    if (i < 0 || (load > 0 && running.size >= opts.concurrency + opts.waitSlots)) break;
    startFile(pending.splice(i, 1)[0]);
  }
  if (!running.size && !pending.length) finish();
}
function finish() {
  if (sampler) clearInterval(sampler);
  pump();
  out.write({ type: 'test:plan', data: { nesting: 0, count: testNumber } });
  for (const [k, v] of Object.entries(totals)) out.write({ type: 'test:diagnostic', data: { nesting: 0, message: `${k} ${v}` } });
  out.write({ type: 'test:diagnostic', data: { nesting: 0, message: `duration_ms ${Date.now() - started}` } });
  out.end();
  if (opts.record) {
    const rows = Object.entries(seconds).map(([f, s]) => [path.relative(path.join(ROOT, 'tests'), f), Math.round(s * 10) / 10]);
    rows.sort((a, b) => b[1] - a[1]);
    fs.writeFileSync(opts.record, `${JSON.stringify(Object.fromEntries(rows), null, 1)}\n`);
  }
  if (opts.recordBusy) {
    const rows = Object.entries(busyShare).map(([f, v]) => [path.relative(path.join(ROOT, 'tests'), f), v]);
    rows.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
    fs.writeFileSync(opts.recordBusy, `${JSON.stringify(Object.fromEntries(rows), null, 1)}\n`);
  }
  process.exitCode = failed ? 1 : 0;
}
schedule();
