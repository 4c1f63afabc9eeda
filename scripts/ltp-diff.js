// LTP's syscalls tests under tsqemu-riscv64 and qemu-riscv64 (opt-in, not run by npm test).
// Needs an LTP install built for riscv64 (README "LTP syscalls against qemu-riscv64"), given by
// $TSQEMU_LTP_DIR (the --prefix: testcases/bin holds the test binaries). Runs each test binary
// directly (no runltp) under both emulators, one after the other, each in a fresh TMPDIR with a
// timeout, and compares the summary (passed/failed/broken/skipped counts of the new library,
// TPASS/TFAIL/TBROK/TCONF lines of the old one) and the exit status.
// Usage: node scripts/ltp-diff.js [test-name-regex | @list-file] ...
//   TSQEMU_LTP_DIR     the LTP install prefix (required)
//   TSQEMU_LTP_TIMEOUT seconds per test and emulator (default 60)
//   TSQEMU_LTP_JOBS    tests run at once (default 1)
//   TSQEMU_LTP_QEMU    the reference emulator (default qemu-riscv64)
//   TSQEMU_LTP_VERBOSE=1 print our output of every test whose result differs
//   TSQEMU_LTP_OUT     a directory to keep both outputs in (<test>.qemu, <test>.ours)
// Prints one line per test (name, qemu's result, ours, same/WORSE/better) and the counts.
// Runs the tests as the calling user: as root (QEMU's CI does) they make real changes to the
// host's processes and files under TMPDIR; tests that need a block device or set the clock are
// best left out of the list.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOP = join(dirname(fileURLToPath(import.meta.url)), '..');
const LTP = process.env.TSQEMU_LTP_DIR;
if (!LTP || !existsSync(join(LTP, 'testcases/bin'))) {
  console.error('ltp-diff: set TSQEMU_LTP_DIR to an LTP install prefix (with testcases/bin)');
  process.exit(2);
}
const BIN = join(LTP, 'testcases/bin');
const TIMEOUT = Number(process.env.TSQEMU_LTP_TIMEOUT ?? 60);
const JOBS = Math.max(1, Number(process.env.TSQEMU_LTP_JOBS ?? 1));
const QEMU = process.env.TSQEMU_LTP_QEMU ?? 'qemu-riscv64';
const OURS = join(TOP, 'bin/tsqemu-riscv64');
const VERBOSE = process.env.TSQEMU_LTP_VERBOSE === '1';
const OUT = process.env.TSQEMU_LTP_OUT;
if (OUT) mkdirSync(OUT, { recursive: true });

/** The tests named by the arguments: regexes over testcases/bin's file names, or @file lists. */
function selectTests(args) {
  const all = readdirSync(BIN).filter((n) => /^[a-z_0-9]+\d+$/.test(n)).sort();
  if (args.length === 0) return all;
  const names = new Set();
  for (const a of args) {
    if (a.startsWith('@')) {
      for (const l of readFileSync(a.slice(1), 'utf8').split('\n')) if (l.trim() && !l.startsWith('#')) names.add(l.trim().split(/\s+/)[0]);
    } else {
      const re = new RegExp(a);
      for (const n of all) if (re.test(n)) names.add(n);
    }
  }
  return [...names].filter((n) => existsSync(join(BIN, n))).sort();
}

/** Every process of the session `sid` (a test's own process groups included). */
function sessionPids(sid) {
  const pids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[3]) === sid) pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

/** One run: { code, signal, timedOut, out }. */
function runOne(cmd, argv, name) {
  const tmp = mkdtempSync(join(tmpdir(), `ltp-${name}-`));
  chmodSync(tmp, 0o1777); // as /tmp: tests that drop root (nobody) still reach their dir by path
  const env = { PATH: `${BIN}:/usr/sbin:/usr/bin:/sbin:/bin`, LTPROOT: LTP, TMPDIR: tmp, HOME: tmp, LANG: 'C', LC_ALL: 'C',
    LTP_COLORIZE_OUTPUT: '0', LTP_TIMEOUT_MUL: '4' };
  return new Promise((resolve) => {
    // A session of its own: a timeout kills the test's processes, in whatever process group
    // (LTP's test process makes its own), and leftovers at the end (a spare fork server).
    const p = spawn(cmd, argv, { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    p.stdout.on('data', (d) => { if (out.length < 1 << 20) out += d; });
    p.stderr.on('data', (d) => { if (out.length < 1 << 20) out += d; });
    let timedOut = false, done = false;
    const killAll = () => { for (const pid of sessionPids(p.pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } };
    const t = setTimeout(() => { timedOut = true; killAll(); try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }, TIMEOUT * 1000);
    const finish = (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      killAll();
      p.stdout.destroy();
      p.stderr.destroy();
      removeTmp(tmp);
      resolve({ code, signal, timedOut, out });
    };
    p.on('close', finish);
    // A leftover holding the pipes open: the output has 2 s to drain after the exit.
    p.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 2000));
  });
}

/** Remove a test's TMPDIR. A test killed at its timeout may leave a file system mounted there
 * (a loop device of its own): unmount what is mounted under it (and detach its loop device)
 * first; never stop the whole run for what cannot be removed. */
function removeTmp(tmp) {
  try { rmSync(tmp, { recursive: true, force: true }); return; } catch { /* mounted? */ }
  let mounts = [];
  try { mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[1]?.startsWith(tmp + '/')); } catch { /* none */ }
  for (const [dev, dir] of mounts.reverse()) {
    spawnSync('umount', [dir.replace(/\\040/g, ' ')]);
    if (dev.startsWith('/dev/loop')) spawnSync('losetup', ['-d', dev]);
  }
  try { rmSync(tmp, { recursive: true, force: true }); } catch (e) { console.error(`ltp-diff: left ${tmp}: ${e.message}`); }
}

/** The summary of one run: counts and a short result word, ranked (lower is better). */
function summarize(r) {
  const c = { pass: 0, fail: 0, brok: 0, conf: 0 };
  const m = /Summary:\s*passed\s+(\d+)\s*failed\s+(\d+)\s*broken\s+(\d+)\s*skipped\s+(\d+)/.exec(r.out);
  if (m) [c.pass, c.fail, c.brok, c.conf] = m.slice(1, 5).map(Number);
  else {
    for (const l of r.out.split('\n')) {
      if (/\bTPASS\b/.test(l)) c.pass++;
      else if (/\bTFAIL\b/.test(l)) c.fail++;
      else if (/\bTBROK\b/.test(l)) c.brok++;
      else if (/\bTCONF\b/.test(l)) c.conf++;
    }
  }
  let word; let rank;
  if (r.timedOut) { word = 'TIMEOUT'; rank = 4; }
  else if (r.signal) { word = `SIG${r.signal.replace(/^SIG/, '')}`; rank = 4; }
  else if (/Error|Uncaught|Abort|assert/.test(r.out) && /tsqemu|\.js:\d+/.test(r.out)) { word = 'CRASH'; rank = 5; }
  else if (r.code === 0) { word = 'PASS'; rank = 0; }
  else if (r.code === 32) { word = 'CONF'; rank = 1; }
  else if (r.code & 2) { word = 'BROK'; rank = 3; }
  else if (r.code & 1) { word = 'FAIL'; rank = 2; }
  else if (r.code === 4) { word = 'WARN'; rank = 1; }
  else { word = `EXIT${r.code}`; rank = 3; }
  return { ...c, word, rank, text: `${word} ${c.pass}/${c.fail}/${c.brok}/${c.conf}` };
}

function compare(q, o) {
  if (q.rank === o.rank && q.pass === o.pass && q.fail === o.fail && q.brok === o.brok) return 'same';
  if (o.rank > q.rank || (o.rank === q.rank && (o.pass < q.pass || o.fail + o.brok > q.fail + q.brok))) return 'WORSE';
  return 'better';
}

const tests = selectTests(process.argv.slice(2));
if (tests.length === 0) { console.error('ltp-diff: no test selected'); process.exit(2); }
console.log(`ltp-diff: ${tests.length} tests, timeout ${TIMEOUT} s; result: word pass/fail/broken/skipped`);
console.log(`${'test'.padEnd(24)} ${'qemu-riscv64'.padEnd(20)} ${'tsqemu-riscv64'.padEnd(20)} verdict`);
const counts = { same: 0, WORSE: 0, better: 0 };
const worse = [];
const qemuFails = [];
let next = 0;
async function worker() {
  while (next < tests.length) {
    const name = tests[next++];
    const prog = join(BIN, name);
    const rawQ = await runOne(QEMU, [prog], name);
    const q = summarize(rawQ);
    const rawO = await runOne(OURS, [prog], name);
    if (OUT) {
      writeFileSync(join(OUT, `${name}.qemu`), rawQ.out + `\n[exit ${rawQ.code} ${rawQ.signal ?? ''}${rawQ.timedOut ? ' timeout' : ''}]\n`);
      writeFileSync(join(OUT, `${name}.ours`), rawO.out + `\n[exit ${rawO.code} ${rawO.signal ?? ''}${rawO.timedOut ? ' timeout' : ''}]\n`);
    }
    const o = summarize(rawO);
    const v = compare(q, o);
    counts[v]++;
    if (v === 'WORSE') worse.push(name);
    if (q.rank >= 2) qemuFails.push(`${name}(${q.word})`);
    console.log(`${name.padEnd(24)} ${q.text.padEnd(20)} ${o.text.padEnd(20)} ${v}`);
    if (VERBOSE && v !== 'same') console.log(`--- tsqemu-riscv64 output:\n${rawO.out}---`);
  }
}
await Promise.all(Array.from({ length: JOBS }, worker));
console.log(`\nran ${tests.length}: same ${counts.same}, ours worse ${counts.WORSE}, ours better ${counts.better}`);
if (worse.length) console.log(`ours worse: ${worse.join(' ')}`);
if (qemuFails.length) console.log(`qemu-riscv64 FAIL/BROK/TIMEOUT: ${qemuFails.join(' ')}`);
