// All of issue 18's benchmarks in one run (npm run bench), against Debian's QEMU in the same
// run, printed as ONE table: target, tsqemu, QEMU, ratio, goal, met? — with the date, host CPU,
// core count and the load average at start and end. Every script gets RUNS (medians of RUNS
// runs each) and --json FILE for its rows; its own human output goes to a log (shown with -v).
// A script that fails gets its error in its row; the table is always printed. Never a test.
// Usage: node bench/run.js [RUNS=3] [--only boot,user,...] [--md] [-v] [--json FILE] [--from FILE]
//   --only: a subset by name (see BENCHES; 'io', tsqemu-img bench vs qemu-img bench, runs only
//   when named); --md: the table as Markdown (for README); TSQEMU_COREMARK=/path/to/coremark
//   adds CoreMark (its source is never part of this repository); --json FILE saves the whole
//   run, --from FILE prints a saved run again (e.g. with --md) without running anything.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_OUT, fmt, goalText } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (f) => { const i = args.indexOf(f); if (i < 0) return false; args.splice(i, 1); return true; };
const opt = (f) => { const i = args.indexOf(f); if (i < 0) return undefined; const v = args[i + 1]; args.splice(i, 2); return v; };
const md = flag('--md');
const verbose = flag('-v') || flag('--verbose');
const from = opt('--from');
const only = opt('--only')?.split(',').map((s) => s.trim()).filter(Boolean);
const RUNS = String(args[0] ?? process.env.RUNS ?? 3);
const coremark = process.env.TSQEMU_COREMARK;

// name, script, its arguments, and why it is not run (or null).
const BENCHES = [
  ['boot', 'boot.js', [RUNS, '1']],
  ['boot-smp4', 'boot.js', [RUNS, '4']],
  ['guest-compute', 'guest-compute.js', [RUNS]],
  ['guest-io', 'guest-io.js', ['8', '3', RUNS]],
  ['mttcg', 'mttcg.js', ['16', RUNS]],
  ['user', 'user.js', [RUNS]],
  ['coremark', 'coremark.js', [coremark ?? '', RUNS], coremark ? null : 'not run: set TSQEMU_COREMARK=/path/to/coremark'],
  ['python', 'python.js', [RUNS]],
  ['user-rss', 'user-rss.js', [RUNS]],
  ['threads', 'threads.js', [RUNS]],
  ['xlate', 'xlate.js', [RUNS]],
  ['img', 'img.js', [RUNS]],
  ['io', 'io.js', ['200000', '1024', RUNS], null, 'extra'],
];
const unknown = (only ?? []).filter((n) => !BENCHES.some(([b]) => b === n));
if (unknown.length) {
  console.error(`bench/run.js: --only ${unknown.join(',')}: unknown (one of ${BENCHES.map(([b]) => b).join(', ')})`);
  process.exit(2);
}
const chosen = BENCHES.filter(([name, , , , extra]) => (only ? only.includes(name) : !extra));

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
let logDir_;
const logDirOf = () => (logDir_ ??= mkdtempSync(join(tmpdir(), 'tsqemu-bench-run-')));

/** Run one script; resolves with its rows, or one row holding its error. */
function runBench([name, script, sargs, skip]) {
  if (skip) return Promise.resolve([{ bench: name, name, error: skip }]);
  const json = join(logDirOf(), `${name}.json`);
  const log = join(logDirOf(), `${name}.log`);
  const out = createWriteStream(log);
  const t0 = Date.now();
  process.stderr.write(`bench: ${name} (node bench/${script} ${sargs.join(' ')}) ... `);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(here, script), ...sargs, '--json', json], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stdout.on('data', (d) => { out.write(d); if (verbose) process.stdout.write(d); });
    p.stderr.on('data', (d) => { out.write(d); err += d; if (verbose) process.stderr.write(d); });
    const timer = setTimeout(() => p.kill('SIGKILL'), 60 * 60_000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      out.end();
      process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(0)} s${code !== 0 ? `, exit ${code ?? signal}` : ''}\n`);
      let rows = [];
      try { rows = JSON.parse(readFileSync(json, 'utf8')); } catch { /* none written */ }
      const lastErr = err.trim().split('\n').filter((l) => l.trim() && !/^\s+at /.test(l)).slice(-1)[0] ?? '';
      if (code !== 0 || rows.length === 0) rows.push({ bench: name, name, error: `${code !== 0 ? `exit ${code ?? signal}` : 'no rows'}: ${lastErr.slice(0, 160)} (log ${log})` });
      resolve(rows);
    });
  });
}

if (from) {
  printTable(JSON.parse(readFileSync(from, 'utf8')));
  process.exit(0);
}
const started = new Date();
const loadStart = load();
const rows = [];
for (const b of chosen) rows.push(...await runBench(b));
const qemuVer = spawnSync('qemu-system-riscv64', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0]?.replace(/^QEMU emulator version /, '') ?? 'not installed';
const result = { date: started.toISOString(), cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, node: process.version, loadStart, loadEnd: load(), runs: Number(RUNS), qemu: qemuVer, logs: logDir_ ?? '-', rows };
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 1));
printTable(result);

/** The one table (plain text, or Markdown with --md); also re-printed from a saved run with --from FILE. */
function printTable({ date, cpu, cores, node, loadStart, loadEnd, runs, qemu, logs, rows }) {
  const val = (v, unit) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${fmt(v, Math.abs(v) >= 100 ? 0 : 2)}${unit === 'x' ? 'x' : ` ${unit}`}`.trim());
  const table = rows.map((r) => r.error
    ? [r.name, r.error, '', '', '', '']
    : [r.name + (r.note ? ` (${r.note})` : ''), val(r.ours, r.unit), r.theirs === null ? '-' : val(r.theirs, r.unit),
      r.ratio === null ? '-' : `${fmt(r.ratio)}x`, goalText(r.goal), r.met === null ? '?' : r.met ? 'yes' : 'NO']);
  const head = ['target', 'tsqemu', 'QEMU', 'ratio', 'goal', 'met?'];
  const met = rows.filter((r) => r.met === true).length, judged = rows.filter((r) => r.met === true || r.met === false).length;
  console.log(`\ntsqemu benchmarks vs Debian's QEMU ${qemu}, medians of ${runs} runs, ${date.slice(0, 16).replace('T', ' ')} UTC`);
  console.log(`host: ${cpu}, ${cores} cores, Node ${node ?? "?"}; load average (1/5/15 min) at start ${loadStart}, at end ${loadEnd}`);
  if (md) {
    console.log(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
    for (const r of table) console.log(`| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  } else {
    const w = head.map((h, i) => Math.max(h.length, ...table.filter((r) => r[2] !== '' || i < 1).map((r) => r[i].length)));
    const line = (r) => (r[2] === '' && r[3] === '' ? `${r[0].padEnd(w[0])}  ${r[1]}` : r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
    console.log(`\n${line(head)}`);
    for (const r of table) console.log(line(r));
  }
  console.log(`\n${met} of ${judged} goals met. Ratios: tsqemu / QEMU (times, RSS: lower is better; it/s, IOPS, speed-ups: higher is better); ` +
    `'ts' goals apply to tsqemu's own value. Logs: ${logs}`);
  console.log('Not measured here: the io_uring addon building without liburing headers (a build property, see README io_uring); ' +
    '`npm test` under 10 minutes (the full suite is not run on this shared machine).');
}
