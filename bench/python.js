// A large, branchy user-mode program (issue 18: Python <= 1.5x qemu-riscv64): Debian's riscv64
// python3 starts and runs 20,000 json.dumps, tsqemu-riscv64 vs qemu-riscv64 with -L <sysroot>,
// medians of N. The sysroot (python3.X-minimal, libpython3.X-minimal, libc6, zlib1g, libexpat1 for
// riscv64) is fetched once by apt-get download from the archive this machine's apt configuration
// names, suite trixie (riscv64 is a release architecture from trixie on), with a private apt
// state as scripts/build-guest.sh --firmware-only does (apt checks the Release signature and each
// .deb's hash), extracted into $TSQEMU_CACHE or ~/.cache/tsqemu (else the temp dir). If the
// archive cannot provide them the script says so and skips (exit 0).
// Usage: node bench/python.js [runs=3]   (TSQEMU_PYTHON_SUITE=sid: another release)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitRows, ensureTools, fmt, measure, TOP } from './lib.js';
import { extractDebs, privateApt } from '../scripts/debian-apt.js';

const runs = Number(process.argv[2] ?? 3);
const SUITE = process.env.TSQEMU_PYTHON_SUITE ?? 'trixie'; // another Debian release with riscv64 (forky, sid)
const PROG = 'import json; print(sum(len(json.dumps({"a": i, "b": [i, str(i)], "c": {"d": i * 0.5}})) for i in range(20000)))';

function cacheRoot() {
  for (const d of [process.env.TSQEMU_CACHE, process.env.HOME && join(homedir(), '.cache', 'tsqemu'), join(tmpdir(), 'tsqemu-cache')]) {
    if (!d) continue;
    try { mkdirSync(d, { recursive: true }); return d; } catch { /* next */ }
  }
  throw new Error('no writable cache directory');
}

/** The sysroot with riscv64 python3 (fetched on first use); returns { root, python }. */
function sysroot() {
  const root = join(cacheRoot(), `python-riscv64-${SUITE}`);
  const stamp = join(root, '.complete');
  if (existsSync(stamp)) return { root: join(root, 'sysroot'), python: readFileSync(stamp, 'utf8').trim() };
  rmSync(root, { recursive: true, force: true });
  const { apt, debs } = privateApt(join(root, 'apt'), SUITE);
  const ver = /python3\.(\d+)-minimal/.exec(apt('apt-cache', ['show', 'python3-minimal']))?.[1];
  if (!ver) throw new Error(`${SUITE}'s python3-minimal names no python3.X-minimal for riscv64`);
  apt('apt-get', ['download', '-qq', `python3.${ver}-minimal`, `libpython3.${ver}-minimal`, 'libc6', 'zlib1g', 'libexpat1'], debs);
  const sr = join(root, 'sysroot');
  extractDebs(debs, sr);
  const python = `usr/bin/python3.${ver}`;
  if (!existsSync(join(sr, python))) throw new Error(`${python} missing after extraction`);
  writeFileSync(stamp, python);
  return { root: sr, python };
}

ensureTools({ 'qemu-riscv64': 'qemu-user' });
let sr;
try {
  sr = sysroot();
} catch (e) {
  const why = String(e.stderr || e.message || e).trim().split('\n').slice(-2).join(' ');
  console.log(`python: not run: riscv64 python3 from ${SUITE} unavailable here (${why})`);
  emitRows('python', [{ name: 'user: Python start-up + 20k json.dumps', ours: null, theirs: null, unit: 's', error: `not run: riscv64 python3 from ${SUITE} unavailable (${why})` }]);
  process.exit(0);
}
const argv = ['-L', sr.root, join(sr.root, sr.python), '-c', PROG];
const expect = /^\d+\s*$/;
const theirs = measure('qemu python', ['qemu-riscv64', ...argv], runs, { expect });
const ours = measure('tsqemu python', [join(TOP, 'bin/tsqemu-riscv64'), ...argv], runs, { expect });
const ver = spawnSync('qemu-riscv64', [...argv.slice(0, 3), '--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`\n${ver} (riscv64, ${SUITE}): start-up + 20,000 json.dumps, median of ${runs} (${new Date().toISOString().slice(0, 10)}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
console.log(`${'emulator'.padEnd(16)} ${'s'.padStart(7)} ${'CPU s'.padStart(7)} ${'RSS MiB'.padStart(8)}`);
console.log(`${'tsqemu-riscv64'.padEnd(16)} ${fmt(ours.seconds).padStart(7)} ${fmt(ours.cpuSeconds).padStart(7)} ${fmt(ours.maxRssMiB, 0).padStart(8)}`);
console.log(`${'qemu-riscv64'.padEnd(16)} ${fmt(theirs.seconds).padStart(7)} ${fmt(theirs.cpuSeconds).padStart(7)} ${fmt(theirs.maxRssMiB, 0).padStart(8)}`);
console.log(`ratio: ${fmt(ours.seconds / theirs.seconds)}x (target <= 1.5x)`);
emitRows('python', [{ name: `user: ${ver || 'Python'} start-up + 20k json.dumps`, ours: ours.seconds, theirs: theirs.seconds, unit: 's', goal: { of: 'ratio', op: '<=', value: 1.5 } }]);
