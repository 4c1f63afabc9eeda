#!/usr/bin/env node
// Opt-in (not run by npm test): QEMU's own qemu-iotests with tsqemu-img as qemu-img, beside the
// same tests with Debian's real qemu-img, so a failure shared by both (the tests follow their
// QEMU's texts, not 7.2's or 10.2's) is told apart from one of ours. Prints pass/fail per test.
//
//   node scripts/iotests.js [-f qcow2,raw,luks] [-j N] [TEST ...]
//
// The tests come from $TSQEMU_QEMU_SRC (a QEMU source tree: its tests/qemu-iotests), or else
// from Debian's source package of the installed qemu-utils (apt-get source through a private
// deb-src state in the work dir; the host's apt is untouched). Without TEST names: every bash
// test that runs only qemu-img and qemu-io (none that starts QEMU, qemu-nbd, the storage daemon
// or Python). qemu-io, qemu-nbd, qemu-system-riscv64 and qemu-storage-daemon are Debian's (check
// wants them all to exist; qemu-io reads and writes the images both qemu-imgs make).
// Work dir: $TSQEMU_IOTESTS_DIR or $TMPDIR/tsqemu-iotests (kept: the source is fetched once).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptSource } from './debian-apt.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = process.env.TSQEMU_IOTESTS_DIR ?? join(tmpdir(), 'tsqemu-iotests');
const args = process.argv.slice(2);
let formats = ['qcow2', 'raw', 'luks'];
let jobs = 1;
const names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-f') formats = args[++i].split(',');
  else if (args[i] === '-j') jobs = Number(args[++i]);
  else if (args[i] === '-h' || args[i] === '--help') { console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 14).join('\n')); process.exit(0); }
  else names.push(args[i]);
}

/** tests/qemu-iotests of $TSQEMU_QEMU_SRC, or of Debian's qemu source (fetched once into WORK). */
function iotestsSource() {
  if (process.env.TSQEMU_QEMU_SRC) {
    const d = join(process.env.TSQEMU_QEMU_SRC, 'tests', 'qemu-iotests');
    if (!existsSync(join(d, 'check'))) throw new Error(`no tests/qemu-iotests/check in ${process.env.TSQEMU_QEMU_SRC}`);
    return d;
  }
  const src = join(WORK, 'debian-qemu');
  const d = join(src, 'tests', 'qemu-iotests');
  if (existsSync(join(d, 'check'))) return d;
  const { uri, key } = aptSource();
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]?.replace(/"/g, '');
  const apt = join(WORK, 'apt');
  for (const s of ['parts', 'lists/partial', 'cache/archives/partial', 'dl']) mkdirSync(join(apt, s), { recursive: true });
  const security = uri.replace(/\/debian\/?$/, '/debian-security');
  const stanza = (u, suites) => `Types: deb-src\nURIs: ${u}\nSuites: ${suites}\nComponents: main\n${key ? `Signed-By: ${key}\n` : ''}`;
  writeFileSync(join(apt, 'parts', 'src.sources'), `${stanza(uri, `${codename} ${codename}-updates`)}\n${stanza(security, `${codename}-security`)}`);
  const opts = ['-o', 'Dir::Etc::SourceList=/dev/null', '-o', `Dir::Etc::SourceParts=${join(apt, 'parts')}`, '-o', `Dir::State::Lists=${join(apt, 'lists')}`,
    '-o', `Dir::Cache=${join(apt, 'cache')}`, '-o', 'Dir::State::status=/dev/null', '-o', 'APT::Sandbox::User=root'];
  console.error('fetching Debian\'s qemu source package (tests/qemu-iotests only is unpacked)...');
  execFileSync('apt-get', [...opts, 'update', '-qq'], { stdio: 'inherit' });
  // The source of the installed qemu-utils, so its qemu-img is the baseline of the same release.
  let version = '';
  try { version = execFileSync('dpkg-query', ['-W', '-f=${source:Version}', 'qemu-utils'], { encoding: 'utf8' }).trim(); } catch { /* the newest */ }
  const dl = join(apt, 'dl');
  try { execFileSync('apt-get', [...opts, 'source', '--download-only', version ? `qemu=${version}` : 'qemu'], { cwd: dl, stdio: 'inherit' }); } catch {
    execFileSync('apt-get', [...opts, 'source', '--download-only', 'qemu'], { cwd: dl, stdio: 'inherit' });
  }
  const orig = readdirSync(dl).find((f) => /^qemu_.*\.orig\.tar\.\w+$/.test(f));
  if (!orig) throw new Error('apt-get source qemu brought no .orig tarball');
  mkdirSync(src, { recursive: true });
  execFileSync('tar', ['-xf', join(dl, orig), '-C', src, '--strip-components=1', '--wildcards', '*/tests/qemu-iotests/*', '*/python/*'], { stdio: 'inherit' });
  return d;
}

/** The bash tests that run only $QEMU_IMG and $QEMU_IO (and $PYTHON only for qcow2.py's header edits). */
function imgOnlyTests(dir) {
  const starts = /common\.qemu|_launch_qemu|\$QEMU_PROG|\$QEMU |run_qemu|QEMU_NBD|_start_nbd|nbd_server|QSD|qemu_comm|_send_qemu/;
  return readdirSync(dir).filter((f) => /^\d{3}$/.test(f)).filter((f) => {
    const t = readFileSync(join(dir, f), 'utf8');
    return /^#!.*bash/.test(t) && !starts.test(t) && t.split('\n').every((l) => !/\$PYTHON/.test(l) || /qcow2\.py|qed\.py/.test(l));
  });
}

function which(p) {
  for (const d of (process.env.PATH ?? '').split(':')) if (existsSync(join(d, p))) return join(d, p);
  throw new Error(`${p} not found (Debian: apt-get install qemu-utils qemu-system-misc)`);
}

/** Runs check for one format and one qemu-img in its own copy of the tests: test -> result. */
function runCheck(src, side, qemuImg, fmt, tests) {
  const base = join(WORK, `${side}-${fmt}`);
  rmSync(base, { recursive: true, force: true });
  const dir = join(base, 'tests', 'qemu-iotests');
  cpSync(src, dir, { recursive: true });
  if (existsSync(join(src, '..', '..', 'python'))) cpSync(join(src, '..', '..', 'python'), join(base, 'python'), { recursive: true });
  const bin = join(base, 'bin');
  mkdirSync(bin);
  // A symlink named qemu-img: both name themselves by it in error lines, as the filters expect.
  symlinkSync(qemuImg, join(bin, 'qemu-img'));
  mkdirSync(join(base, 'scratch'));
  const env = {
    ...process.env, QEMU_IMG_PROG: join(bin, 'qemu-img'), QEMU_IO_PROG: which('qemu-io'), QEMU_NBD_PROG: which('qemu-nbd'),
    QEMU_PROG: which('qemu-system-riscv64'), QSD_PROG: which('qemu-storage-daemon'), TEST_DIR: join(base, 'scratch'),
  };
  return new Promise((res) => {
    const p = spawn('./check', [`-${fmt}`, '--color', 'off', ...(jobs > 1 ? ['-j', String(jobs)] : []), ...tests], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', () => {
      writeFileSync(`${base}.log`, out);
      // Each result line (after a \r when stdout is no terminal): "NNN   pass|fail|not run  [start] [end]  time|...  reason".
      const r = new Map();
      for (const m of out.matchAll(/(?:^|\r)(\S+)\s+(pass|fail|not run)\s+\[[^\]]*\]\s*\[[^\]]*\][ \t]*\S*[ \t]*([^\r\n]*)/gm)) {
        r.set(m[1], m[2] === 'fail' && m[3] && !/mismatch/.test(m[3]) ? `fail (${m[3].trim()})` : m[2]);
      }
      res(r);
    });
  });
}

const src = iotestsSource();
const tests = names.length ? names : imgOnlyTests(src);
const ours = join(ROOT, 'bin', 'tsqemu-img');
for (const fmt of formats) {
  const [real, ts] = await Promise.all([runCheck(src, 'qemu', which('qemu-img'), fmt, tests), runCheck(src, 'tsqemu', ours, fmt, tests)]);
  console.log(`\n-${fmt}: test  qemu-img  tsqemu-img   (logs and .out.bad: ${WORK}/{qemu,tsqemu}-${fmt})`);
  let both = 0, onlyOurs = 0;
  for (const t of tests) {
    const a = real.get(t) ?? '?', b = ts.get(t) ?? '?';
    if (a === 'not run' && b === 'not run') continue;
    if (a === 'pass' && b === 'pass') both++;
    if (a === 'pass' && b !== 'pass') onlyOurs++;
    console.log(`${t.padEnd(6)} ${a.padEnd(9)} ${b}${a === 'pass' && b !== 'pass' ? '   <- ours only' : ''}`);
  }
  console.log(`-${fmt}: ${both} pass with both, ${onlyOurs} fail with tsqemu-img only`);
}
