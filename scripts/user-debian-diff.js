// Real Debian riscv64 programs under tsqemu-riscv64 and qemu-riscv64 (opt-in, not run by npm test).
// Fetches a riscv64 sysroot (coreutils, bash, dash, grep, sed, gawk, findutils, diffutils, tar,
// gzip, xz, bzip2, perl, python3, file, sqlite3, openssl, make and what they load) from the Debian
// archive this machine's apt sources name, suite trixie, with a private apt state as
// bench/python.js does (apt checks the Release signature and each .deb's hash), `dpkg-deb -x`
// into a work dir; then runs each case under both emulators with `-L <sysroot>` on the same
// inputs (fixed env, -seed 1, stdin from a file, fresh copy of the input dir per run) and compares
// stdout, stderr and exit status. Prints one line per case: same / DIFF (with a short diff).
// Usage: node scripts/user-debian-diff.js [case-filter-regex]
//   TSQEMU_DEBIAN_DIFF_DIR: work dir (default <tmp>/tsqemu-debian-diff; the sysroot is kept there)
//   TSQEMU_DEBIAN_SUITE: another Debian release with riscv64 (default trixie)
//   TSQEMU_DEBIAN_DIFF_VERBOSE=1: print both outputs of differing cases in full
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from './user-debian-cases.js';
import { extractDebs, privateApt } from './debian-apt.js';

const TOP = join(dirname(fileURLToPath(import.meta.url)), '..');
const SUITE = process.env.TSQEMU_DEBIAN_SUITE ?? 'trixie';
const WORK = process.env.TSQEMU_DEBIAN_DIFF_DIR ?? join(tmpdir(), 'tsqemu-debian-diff');
const PACKAGES = ['coreutils', 'bash', 'dash', 'grep', 'sed', 'gawk', 'findutils', 'diffutils', 'tar', 'gzip', 'xz-utils',
  'bzip2', 'perl-base', 'perl', 'python3-minimal', 'libpython3-stdlib', 'file', 'sqlite3', 'openssl', 'make', 'util-linux',
  'procps', 'cpio', 'libpython3.13-testsuite'];
// Never needed to run the programs above (post-install machinery only).
const SKIP = new Set(['debconf', 'dpkg', 'install-info', 'tzdata', 'readline-common', 'sensible-utils', 'netbase', 'media-types',
  'ca-certificates', 'login.defs', 'base-files']);

/** The riscv64 sysroot (fetched and extracted on first use). */
function sysroot() {
  const root = join(WORK, `sysroot-${SUITE}`);
  if (existsSync(join(root, '.complete'))) return root;
  rmSync(root, { recursive: true, force: true });
  console.error(`user-debian-diff: fetching the riscv64 sysroot (${SUITE}) into ${root}`);
  const { apt, debs } = privateApt(join(WORK, 'apt'), SUITE);
  // Depends and Pre-Depends, recursively; '<virtual>' names are provided by a real package listed too.
  const deps = apt('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks',
    '--no-replaces', '--no-enhances', ...PACKAGES]);
  const names = [...new Set(deps.split('\n').filter((l) => /^[a-z0-9]/.test(l)).map((l) => l.trim()))].filter((n) => !SKIP.has(n));
  apt('apt-get', ['download', '-qq', ...names], debs);
  extractDebs(debs, root);
  writeFileSync(join(root, '.complete'), names.join('\n') + '\n');
  return root;
}

let RUN = '';
const ENV = { HOME: '/tmp', LANG: 'C', LC_ALL: 'C', TZ: 'UTC', TERM: 'dumb' };

/** qemu-riscv64 execs a program by its host path (no -L lookup, no binfmt_misc here), so a guest
 * shell under it would run this host's own programs. Its guest PATH starts instead with a host
 * directory (absent from the sysroot) of wrappers that run the sysroot's program under
 * qemu-riscv64 with the same options: both emulators then run the same riscv64 programs.
 * tsqemu-riscv64 runs a riscv64 program found through -L inside itself, so it gets /usr/bin. */
function qemuWrappers(sr) {
  const dir = join(RUN, 'qemu-wrap');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const d of ['usr/sbin', 'usr/bin']) {
    for (const f of readdirSync(join(sr, d))) {
      writeFileSync(join(dir, f), `#!/bin/sh\nexec qemu-riscv64 -L ${sr} -seed 1 -0 "$0" ${join(sr, d, f)} "$@"\n`, { mode: 0o755 });
    }
  }
  return dir;
}

/** Every entry of a run's input copy gets the same times (a copy's directories are new). */
function fixTimes(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) fixTimes(join(dir, e.name));
    if (!e.isSymbolicLink()) utimesSync(join(dir, e.name), 1e9, 1e9);
  }
  utimesSync(dir, 1e9, 1e9);
}

/** One case under one emulator in a fresh copy of the inputs; returns { status, stdout, stderr }. */
function runOne(emu, sr, c, inputs) {
  const dir = join(RUN, emu.name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(inputs, dir, { recursive: true });
  fixTimes(dir);
  const env = { ...ENV, PATH: emu.path, ...(c.env ?? {}) };
  const args = ['-L', sr, '-seed', '1', '-U', 'LD_LIBRARY_PATH', ...Object.entries(env).flatMap(([k, v]) => ['-E', `${k}=${v}`]), join(sr, c.argv[0]), ...c.argv.slice(1)];
  // The host env both emulators see is the same minimal one: -E sets the guest's.
  const r = spawnSync(emu.bin, args, { cwd: dir, env: { PATH: process.env.PATH, HOME: '/tmp' }, encoding: 'latin1', maxBuffer: 1 << 28,
    timeout: (c.timeout ?? 120) * 1000, input: c.stdin !== undefined ? c.stdin : '' });
  const fix = (s) => (c.filter ? c.filter(s ?? '') : (s ?? '')).split(dir).join('<DIR>').split(sr).join('');
  return { status: r.error ? `error ${r.error.code}` : r.signal ? `signal ${r.signal}` : r.status, stdout: fix(r.stdout), stderr: fix(r.stderr) };
}

function firstDiff(a, b) {
  const la = a.split('\n'), lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: qemu ${JSON.stringify((la[i] ?? '<eof>').slice(0, 160))} / tsqemu ${JSON.stringify((lb[i] ?? '<eof>').slice(0, 160))}`;
  }
  return '';
}

function main() {
  const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;
  let sr;
  try {
    sr = sysroot();
  } catch (e) {
    const why = String(e.stderr || e.message || e).trim().split('\n').slice(-2).join(' ');
    console.log(`user-debian-diff: not run: riscv64 packages from ${SUITE} unavailable here (${why})`);
    return 0;
  }
  RUN = mkdtempSync(join(WORK, 'run-')); // runs of this script at once keep apart
  process.on('exit', () => rmSync(RUN, { recursive: true, force: true }));
  const inputs = join(RUN, 'inputs');
  const emus = [{ name: 'qemu', bin: 'qemu-riscv64', path: `${qemuWrappers(sr)}:/usr/bin:/bin` },
    { name: 'tsqemu', bin: process.env.TSQEMU_USER_BIN ?? join(TOP, 'bin/tsqemu-riscv64'), path: '/usr/bin:/bin' }];
  let same = 0, diff = 0;
  for (const c of CASES) {
    if (filter && !filter.test(c.name)) continue;
    rmSync(inputs, { recursive: true, force: true });
    mkdirSync(inputs, { recursive: true });
    for (const [f, body] of Object.entries(c.files ?? {})) {
      mkdirSync(dirname(join(inputs, f)), { recursive: true });
      writeFileSync(join(inputs, f), body);
    }
    const [q, t] = emus.map((e) => runOne(e, sr, c, inputs));
    const parts = [];
    if (q.status !== t.status) parts.push(`exit qemu ${q.status} / tsqemu ${t.status}`);
    if (q.stdout !== t.stdout) parts.push(`stdout ${firstDiff(q.stdout, t.stdout)}`);
    if (q.stderr !== t.stderr) parts.push(`stderr ${firstDiff(q.stderr, t.stderr)}`);
    if (parts.length === 0) { same++; console.log(`same  ${c.name} (exit ${q.status})`); continue; }
    diff++;
    console.log(`DIFF  ${c.name}: ${parts.join('; ')}`);
    if (process.env.TSQEMU_DEBIAN_DIFF_VERBOSE) console.log({ qemu: q, tsqemu: t });
  }
  console.log(`user-debian-diff: ${same} same, ${diff} different (${SUITE}, sysroot ${sr})`);
  return diff ? 1 : 0;
}

process.exitCode = main();
