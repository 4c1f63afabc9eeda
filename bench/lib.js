// Shared helpers of the benchmarks: install the real peers when missing, run a command under
// GNU time for wall time and peak RSS, medians. Benchmarks are never run as tests.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOP = join(dirname(fileURLToPath(import.meta.url)), '..');

/** apt-get install the packages whose commands are missing (as root), once. */
export function ensureTools(tools) {
  const missing = Object.entries(tools).filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  console.error(`bench: installing ${pkgs.join(' ')}`);
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${pkgs.join(' ')} >/dev/null`], { stdio: 'inherit' });
}

/** A temp dir with the project's guest images unpacked. */
export function guestFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'tsqemu-bench-'));
  const kernel = join(dir, 'Image');
  writeFileSync(kernel, gunzipSync(readFileSync(join(TOP, 'images/Image.gz'))));
  const busybox = join(dir, 'busybox');
  writeFileSync(busybox, gunzipSync(readFileSync(join(TOP, 'images/busybox.gz'))), { mode: 0o755 });
  return {
    dir, kernel, busybox,
    initrd: join(TOP, 'images/initramfs.cpio.gz'),
    bios: join(TOP, 'pc-bios/opensbi-riscv64-generic-fw_dynamic.bin'),
  };
}

/** Run argv under /usr/bin/time; returns { ok, seconds, maxRssMiB, cpuSeconds (user + sys), stdout }. */
export function timed(argv, opts = {}) {
  const r = spawnSync('/usr/bin/time', ['-f', 'TSQEMU_TIME %e %M %U %S', ...argv], {
    encoding: 'latin1', maxBuffer: 1 << 28, timeout: (opts.timeoutSec ?? 600) * 1000, input: opts.input ?? '',
  });
  const m = /TSQEMU_TIME ([0-9.]+) ([0-9]+)(?: ([0-9.]+) ([0-9.]+))?/.exec(r.stderr ?? '');
  const ok = r.status === 0 && !!m && (!opts.expect || opts.expect.test(r.stdout));
  return { ok, status: r.status, seconds: m ? Number(m[1]) : NaN, maxRssMiB: m ? Number(m[2]) / 1024 : NaN, cpuSeconds: m && m[3] ? Number(m[3]) + Number(m[4]) : NaN, stdout: r.stdout, stderr: r.stderr };
}

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Run `argv` n times; median seconds and peak RSS, with failures counted. */
export function measure(name, argv, n, opts = {}) {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push(timed(argv, opts));
  const good = runs.filter((r) => r.ok);
  const res = { name, seconds: median(good.map((r) => r.seconds)), maxRssMiB: median(good.map((r) => r.maxRssMiB)), cpuSeconds: median(good.map((r) => r.cpuSeconds)), failed: n - good.length };
  if (res.failed) {
    const bad = runs.find((r) => !r.ok);
    console.error(`bench: ${name}: ${res.failed}/${n} runs failed (status ${bad.status}): ${(bad.stderr ?? '').slice(-400)}`);
  }
  return res;
}

export function fmt(x, digits = 2) {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

export function printTable(title, rows) {
  console.log(`\n${title}`);
  console.log(`${'benchmark'.padEnd(28)} ${'tsqemu s'.padStart(9)} ${'qemu s'.padStart(9)} ${'ratio'.padStart(7)} ${'ts RSS MiB'.padStart(11)} ${'qemu RSS MiB'.padStart(13)}`);
  for (const { name, ours, theirs } of rows) {
    console.log(`${name.padEnd(28)} ${fmt(ours.seconds).padStart(9)} ${fmt(theirs.seconds).padStart(9)} ${(fmt(ours.seconds / theirs.seconds) + 'x').padStart(7)} ${fmt(ours.maxRssMiB, 0).padStart(11)} ${fmt(theirs.maxRssMiB, 0).padStart(13)}`);
  }
}

/** A guest on a pipe console: expect(re, ms, from) resolves with the match in the output after
 * offset `from` (rejects on timeout or exit), send writes to its stdin. */
export function bootConsole(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  const expect = (re, ms, from) => new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = () => {
      const m = re.exec(out.slice(from));
      if (m) return resolve(m);
      if (Date.now() - t0 > ms || p.exitCode !== null) return reject(new Error(`${cmd}: no ${re}\n${out.slice(-1500)}`));
      setTimeout(poll, 5);
    };
    poll();
  });
  return { p, expect, send: (s) => p.stdin.write(s), get out() { return out; } };
}

export { existsSync };

// Machine-readable summaries for bench/run.js: `--json FILE` (taken out of argv here, before a
// script reads its positional arguments) or TSQEMU_BENCH_JSON=FILE. Each script appends its
// rows; its human output stays as it was.
const jsonAt = process.argv.indexOf('--json');
export const JSON_OUT = jsonAt > 1 ? process.argv.splice(jsonAt, 2)[1] : process.env.TSQEMU_BENCH_JSON;

/** A goal such as { of: 'ratio', op: '<=', value: 1.5 }: its text and whether `row` meets it. */
export function goalText(goal) {
  return goal ? `${goal.of === 'ratio' ? '' : 'ts '}${goal.op} ${goal.value}${goal.of === 'ratio' ? 'x' : ''}` : '-';
}
export function goalMet(goal, row) {
  if (!goal) return null;
  const v = goal.of === 'ratio' ? row.ratio : row.ours;
  if (!Number.isFinite(v)) return null;
  return goal.op === '<=' ? v <= goal.value : v >= goal.value;
}

/** Record rows { name, ours, theirs, unit, goal?, ratio? (default ours/theirs), note?, error? } for
 * run.js (error: the row says why it was not measured); a no-op unless --json / TSQEMU_BENCH_JSON is given. */
export function emitRows(bench, rows) {
  if (!JSON_OUT) return;
  let prev = [];
  try { prev = JSON.parse(readFileSync(JSON_OUT, 'utf8')); } catch { /* first rows */ }
  for (const r of rows) {
    const ratio = r.ratio ?? (Number.isFinite(r.ours) && Number.isFinite(r.theirs) && r.theirs ? r.ours / r.theirs : NaN);
    const row = { bench, name: r.name, ours: r.ours ?? null, theirs: r.theirs ?? null, unit: r.unit ?? '', ratio: Number.isFinite(ratio) ? ratio : null, goal: r.goal ?? null, note: r.note ?? '' };
    row.met = goalMet(row.goal, { ratio: row.ratio ?? NaN, ours: row.ours ?? NaN });
    if (r.error) row.error = r.error;
    prev.push(row);
  }
  writeFileSync(JSON_OUT, JSON.stringify(prev, null, 1));
}

/** A newc cpio archive (what the kernel's initramfs unpacker reads) holding `files` [name, data]:
 * gzip it and append it to the initramfs to add files to the guest. */
export function newcArchive(files) {
  const parts = [];
  const pad4 = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 2000;
  const entry = (name, mode, data) => {
    const f = [ino++, mode, 0, 0, 1, Math.floor(Date.now() / 1000), data.length, 0, 0, 0, 0, name.length + 1, 0];
    const hdr = Buffer.from('070701' + f.map((v) => v.toString(16).padStart(8, '0')).join('') + name + '\0', 'latin1');
    parts.push(hdr, pad4(hdr.length), data, pad4(data.length));
  };
  for (const [name, data] of files) entry(name, 0o100755, data);
  entry('TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** Wait up to `ms` for the guest process to exit (after a poweroff), then SIGKILL it: a bench
 * that fails half-way leaves no emulator behind. */
export async function stopGuest(c, ms = 5000) {
  if (c.p.exitCode === null && c.p.signalCode === null) {
    await new Promise((resolve) => { const t = setTimeout(resolve, ms); c.p.once('exit', () => { clearTimeout(t); resolve(); }); });
  }
  if (c.p.exitCode === null && c.p.signalCode === null) c.p.kill('SIGKILL');
}

/** Run `cmd` in a guest shell on console `c` (bootConsole) and return its output. */
let shTag = 0;
export async function guestSh(c, cmd, ms = 600_000) {
  const tag = `@@B${shTag++}@@`;
  const from = c.out.length;
  c.send(`${cmd}; echo '${tag.slice(0, 3)}''${tag.slice(3)}'\n`);
  await c.expect(new RegExp(tag), ms, from);
  return c.out.slice(from, c.out.indexOf(tag, from));
}

/** Guest seconds of `job` timed in the guest from /proc/uptime (the guest clock follows the host's). */
export async function guestTime(c, job, ms) {
  const out = await guestSh(c, `a=$(cut -d' ' -f1 /proc/uptime); ${job}; b=$(cut -d' ' -f1 /proc/uptime); echo "T=$a $b"`, ms);
  const m = /T=([0-9.]+) ([0-9.]+)/.exec(out);
  return m ? Number(m[2]) - Number(m[1]) : NaN;
}
