// scripts/run-tests.js (npm test's runner) on small files of its own: one TAP stream for all files
// (top-level tests numbered through, one plan, the summary's counts summed), exit status 1 on a
// failure, the files that wait (scripts/test-busy.json's shares, here --busy-table) run beside the
// `concurrency` busy ones, and --record / --record-busy write their tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNNER = path.join(ROOT, 'scripts', 'run-tests.js');

/** A test file that notes when it ran in `log` (start and end, appended in the order they happen), and waits until `k` files have
 * started (or 30 s): files that may run together then overlap, whatever the host's load. */
function waiter(dir, name, k, log) {
  const f = path.join(dir, `${name}.test.js`);
  fs.writeFileSync(f, `import { test } from 'node:test';\nimport fs from 'node:fs';\n` +
    `const note = (what) => fs.appendFileSync(${JSON.stringify(log)}, '${name} ' + what + ' ' + Date.now() + '\\n');\n` +
    `test('${name} waits', async () => {\n  note('start');\n` +
    `  for (let i = 0; i < 600 && fs.readFileSync(${JSON.stringify(log)}, 'utf8').split(' start ').length - 1 < ${k}; i++) await new Promise((r) => setTimeout(r, 50));\n` +
    `  note('end');\n});\ntest('${name} second', () => {});\n`);
  return f;
}

/** How many of the files ran at once at most (their notes are in the order they happened). */
function mostAtOnce(log) {
  let n = 0, most = 0;
  for (const l of fs.readFileSync(log, 'utf8').trim().split('\n')) most = Math.max(most, (n += l.split(' ')[1] === 'start' ? 1 : -1));
  return most;
}

/** Run the runner on `args` with the CPU table `shares` (file -> share), in `dir`'s `name`. */
function runner(dir, name, args, shares) {
  const table = path.join(dir, `${name}.busy.json`);
  fs.writeFileSync(table, JSON.stringify(shares));
  // (Without this test's NODE_TEST_CONTEXT: node:test would report to this file's runner.)
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [RUNNER, '--concurrency', '2', '--busy-table', table, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 100_000);
    p.on('error', reject);
    p.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

test('one TAP stream, numbered through; waiting files run beside the busy ones; tables recorded', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-runtests-'));
  try {
    const key = (f) => path.relative(path.join(ROOT, 'tests'), f);
    // Three runs at once, each on files of its own (they mostly sleep).
    const set = (name, k) => {
      fs.mkdirSync(path.join(dir, name));
      const log = path.join(dir, name, 'log');
      return { log, files: ['a', 'b', 'c'].map((n) => waiter(path.join(dir, name), n, k, log)) };
    };
    const busy = set('busy', 2), wait = set('wait', 3), wait0 = set('wait0', 2);
    const fail = path.join(dir, 'busy', 'd.test.js');
    fs.writeFileSync(fail, "import { test } from 'node:test';\nimport assert from 'node:assert';\ntest('d fails', () => { assert.equal(1, 2); });\n");
    // Long enough for the runner's samples (every 250 ms): one sleeps, one computes.
    const slow = path.join(dir, 'busy', 'slow.test.js');
    fs.writeFileSync(slow, "import { test } from 'node:test';\ntest('slow sleeps', async () => { await new Promise((r) => setTimeout(r, 2500)); });\n");
    const spin = path.join(dir, 'busy', 'spin.test.js');
    fs.writeFileSync(spin, "import { test } from 'node:test';\ntest('spin computes', () => { for (const t = Date.now(); Date.now() - t < 2500;); });\n");
    const waiting = (s) => Object.fromEntries(s.files.map((f) => [key(f), 0.1]));
    const [rb, rw, rw0] = await Promise.all([
      // Not in the table: busy files, two at a time; a failure.
      runner(dir, 'busy', [...busy.files, slow, spin, fail, '--record', path.join(dir, 'times.json'), '--record-busy', path.join(dir, 'rec.json')], {}),
      // Files that mostly wait: a third beside two; not with --wait-slots 0.
      runner(dir, 'wait', wait.files, waiting(wait)),
      runner(dir, 'wait0', ['--wait-slots', '0', ...wait0.files], waiting(wait0)),
    ]);

    // A failure: exit status 1, counted once.
    assert.equal(rb.status, 1, rb.stdout + rb.stderr);
    assert.match(rb.stdout, /^not ok \d+ - d fails$/m);
    assert.equal(mostAtOnce(busy.log), 2);
    assert.deepEqual(rb.stdout.match(/^(?:not )?ok \d+/gm)?.map((l) => l.replace('not ', '')), ['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5', 'ok 6', 'ok 7', 'ok 8', 'ok 9']);
    assert.equal(rb.stdout.match(/^1\.\.\d+$/gm)?.join(), '1..9');
    assert.match(rb.stdout, /^# tests 9\n# suites 0\n# pass 8\n# fail 1\n/m);
    const times = JSON.parse(fs.readFileSync(path.join(dir, 'times.json'), 'utf8'));
    assert.deepEqual(Object.keys(times).sort(), [...busy.files, slow, spin].map(key).sort()); // (passed tests' seconds)
    assert.ok(times[key(slow)] >= 2.4, JSON.stringify(times));
    const rec = JSON.parse(fs.readFileSync(path.join(dir, 'rec.json'), 'utf8'));
    assert.ok(rec[key(slow)] >= 0 && rec[key(slow)] < 0.5, JSON.stringify(rec)); // it sleeps
    assert.ok(rec[key(spin)] > 0.5, JSON.stringify(rec)); // runnable while it computes, whatever the load

    assert.equal(rw.status, 0, rw.stdout + rw.stderr);
    assert.equal(mostAtOnce(wait.log), 3);
    assert.equal(rw0.status, 0, rw0.stdout + rw0.stderr);
    assert.equal(mostAtOnce(wait0.log), 2);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
