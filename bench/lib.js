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
