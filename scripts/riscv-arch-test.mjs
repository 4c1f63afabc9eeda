#!/usr/bin/env node
// Runs the RISC-V architectural test suite (github.com/riscv-non-isa/riscv-arch-test, which the
// user checks out; nothing of it is part of tsqemu) on tsqemu-system-riscv64, bare-metal on the
// virt machine, and compares each test's signature with the suite's reference signature when
// the checked-out revision has one (releases up to 2.7.4 committed references/*.reference_output;
// not for tests whose reference is for a model that traps misaligned accesses, as QEMU does not),
// else with Debian's qemu-system-riscv64 (7.2) when that supports every extension the test
// needs. Tests also carry the generator's expected value of each integer result; our
// model_test.h checks those at run time (reported as "asserts").
//
//   node scripts/riscv-arch-test.mjs [options] /path/to/riscv-arch-test
//     --rev REV          read the suite from git revision REV of the checkout (a tag such as 2.7.4,
//                        which has references); default: the checkout's files
//     --ext I,M,Zfh      directories of riscv-test-suite/rv64i_m to run (default: all)
//     --only REGEX       only tests whose name matches
//     --jobs N           parallel tests (default 2)
//     --modes LIST       tsqemu accelerator settings, comma-separated (default "default,jit1":
//                        as configured, and -accel tcg,jit-threshold=1 so the block compiler
//                        translates every block)
//     --cpu MODEL        tsqemu -cpu (default max)
//     --no-qemu          never run qemu-system-riscv64
//     --json FILE        write every result as JSON
//     --keep DIR         keep the built ELF files and outputs in DIR
//     --verbose          print every test
//     --build-only       only build the tests (checks the toolchain and encode.mjs)
// The environment variable RISCV_ARCH_TEST may give the checkout instead of the argument.
// Exit status: 0 when no test failed, 1 otherwise, 2 on a usage error.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { rewriteUnknown, EQUIV_EXTS } from './riscv-arch-test/encode.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const TARGET = join(HERE, 'riscv-arch-test');
const TSQEMU = join(ROOT, 'dist', 'cli', 'system-riscv64.js');
const GCC = 'riscv64-linux-gnu-gcc';
const QEMU = 'qemu-system-riscv64';

// Extensions Debian's QEMU 7.2 implements, as its -cpu rv64 properties.
const QEMU72 = new Map([
  ['i', ''], ['m', ''], ['a', ''], ['f', ''], ['d', ''], ['c', ''], ['zicsr', ''], ['zifencei', ''], ['zca', ''], ['zcd', ''],
  ['zba', 'zba'], ['zbb', 'zbb'], ['zbc', 'zbc'], ['zbs', 'zbs'], ['zbkb', 'zbkb'], ['zbkc', 'zbkc'], ['zbkx', 'zbkx'],
  ['zknd', 'zknd'], ['zkne', 'zkne'], ['zknh', 'zknh'], ['zksed', 'zksed'], ['zksh', 'zksh'], ['zfh', 'Zfh'],
  ['zfhmin', 'Zfhmin'], ['zfinx', 'zfinx'], ['zdinx', 'zdinx'], ['zhinx', 'zhinx'], ['zhinxmin', 'zhinxmin'],
  ['zkn', ''], ['zks', ''], ['zk', ''], ['zkr', ''], ['zkt', ''], ['zbkb', 'zbkb'],
]);
// Extension names binutils 2.40 accepts in -march; the rest are built through encode.mjs.
const GAS_OK = new Set(['zicsr', 'zifencei', 'zba', 'zbb', 'zbc', 'zbs', 'zbkb', 'zbkc', 'zbkx', 'zknd', 'zkne', 'zknh',
  'zksed', 'zksh', 'zkn', 'zks', 'zk', 'zkr', 'zkt', 'zfh', 'zfhmin', 'zfinx', 'zdinx', 'zhinx', 'zhinxmin', 'zicbom',
  'zicboz', 'zicbop', 'zihintpause', 'zawrs', 'zmmul', 'svinval', 'zve32x', 'zve32f', 'zve64x', 'zve64f', 'zve64d',
  'zvl128b', 'zicntr', 'zihpm']);
const SINGLE_ORDER = 'imafdqlcbkjtpvnh';
// Tests where QEMU 7.2 itself is wrong (a difference from it is noted, not a tsqemu bug).
const QEMU72_WRONG = new Map([['ctzw-01', 'QEMU 7.2 ctzw counts past the low word (spec: 32 when it is zero); ' +
  'the same cases match the Sail reference at commit 4317df6d']]);

function usage(msg) {
  if (msg) process.stderr.write(`riscv-arch-test: ${msg}\n`);
  process.stderr.write('usage: node scripts/riscv-arch-test.mjs [--rev REV] [--ext I,M,...] [--only RE] [--jobs N] ' +
    '[--modes default,jit1] [--cpu MODEL] [--no-qemu] [--json FILE] [--keep DIR] [--verbose] /path/to/riscv-arch-test\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { rev: null, ext: null, only: null, jobs: 2, modes: ['default', 'jit1'], cpu: 'max', qemu: true,
    json: null, keep: null, verbose: false, suite: process.env.RISCV_ARCH_TEST ?? null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--rev') o.rev = val();
    else if (a === '--ext') o.ext = val().split(',').filter(Boolean);
    else if (a === '--only') o.only = new RegExp(val());
    else if (a === '--jobs') o.jobs = Math.max(1, Number(val()) | 0);
    else if (a === '--modes') o.modes = val().split(',').filter(Boolean);
    else if (a === '--cpu') o.cpu = val();
    else if (a === '--no-qemu') o.qemu = false;
    else if (a === '--json') o.json = val();
    else if (a === '--keep') o.keep = val();
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--build-only') o.buildOnly = true;
    else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else o.suite = a;
  }
  if (!o.suite) usage('give the path of a riscv-arch-test checkout (or set RISCV_ARCH_TEST)');
  for (const m of o.modes) if (!/^(default|jit\d+|interp)$/.test(m)) usage(`--modes: ${m}: use default, interp or jitN`);
  return o;
}

const git = (dir, args, input) => spawnSync('git', ['-C', dir, ...args], { input, maxBuffer: 1 << 30 });

/**
 * Copies riscv-test-suite/{env,rv64i_m} of revision `rev` into `dest` through git (works on a
 * clone or a bare repository; objects missing from a partial clone are skipped and reported).
 */
function materialize(suite, rev, dest) {
  const ls = git(suite, ['ls-tree', '-r', '-z', rev, '--', 'riscv-test-suite/env', 'riscv-test-suite/rv64i_m']);
  if (ls.status !== 0) throw new Error(`git ls-tree ${rev}: ${ls.stderr}`);
  const entries = ls.stdout.toString().split('\0').filter(Boolean).map((l) => {
    const [meta, path] = l.split('\t');
    return { oid: meta.split(' ')[2], path };
  }).filter((e) => /\/(env\/[^/]+|src\/[^/]+\.S|references\/[^/]+)$/.test(e.path));
  const cat = git(suite, ['cat-file', '--batch'], entries.map((e) => e.oid).join('\n') + '\n');
  const buf = cat.stdout;
  let pos = 0;
  const missing = [];
  for (const e of entries) {
    const nl = buf.indexOf(10, pos);
    const header = buf.subarray(pos, nl).toString();
    pos = nl + 1;
    if (header.endsWith(' missing')) {
      missing.push(e.path);
      continue;
    }
    const size = Number(header.split(' ')[2]);
    mkdirSync(join(dest, dirname(e.path)), { recursive: true });
    writeFileSync(join(dest, e.path), buf.subarray(pos, pos + size));
    pos += size + 1;
  }
  return missing;
}

/** RVTEST_ISA("RV64IF_Zicsr_Zfa,RV64IFD_Zicsr_Zfa") -> the widest alternative as { letters, z }. */
function parseIsa(src) {
  const m = /RVTEST_ISA\("([^"]*)"\)/.exec(src);
  if (!m) return null;
  let best = null;
  for (const alt of m[1].split(',')) {
    const s = alt.trim();
    const mm = /^RV(32|64)([A-Z]*)(.*)$/i.exec(s);
    if (!mm) continue;
    // Single letters run until the first multi-letter extension (Z, S, X or an underscore).
    let letters = '';
    let rest = mm[2] + mm[3];
    while (rest.length && !/^[ZSX_]/i.test(rest)) {
      letters += rest[0].toLowerCase();
      rest = rest.slice(1);
    }
    const z = rest.split(/_|(?=[ZSX][a-z])/).filter(Boolean).map((e) => e.toLowerCase());
    // Some suites name an extension only in their RVTEST_CASE checks (2.7.4's K: RV64I and
    // "check ISA:=regex(.*I.*K.*)"): add the letters and Z names those regexes require.
    for (const c of src.matchAll(/check ISA:=regex\(([^)]*)\)/g)) {
      for (const tok of c[1].split('.*')) {
        if (/^[A-Z]$/.test(tok) && !letters.includes(tok.toLowerCase())) letters += tok.toLowerCase();
        else if (/^Z[a-z0-9]+$/.test(tok) && !z.includes(tok.toLowerCase())) z.push(tok.toLowerCase());
      }
    }
    // Group names stand for their members (QEMU 7.2 has properties for the members only).
    const GROUPS = { zk: ['zkn', 'zkr', 'zkt'], zkn: ['zbkb', 'zbkc', 'zbkx', 'zkne', 'zknd', 'zknh'],
      zks: ['zbkb', 'zbkc', 'zbkx', 'zksed', 'zksh'] };
    for (const g of ['zk', 'zkn', 'zks']) if (z.includes(g)) for (const e of GROUPS[g]) if (!z.includes(e)) z.push(e);
    const cand = { xlen: Number(mm[1]), letters, z, text: s };
    if (!best || letters.length + z.length > best.letters.length + best.z.length) best = cand;
  }
  return best;
}

/** -D options from the test's RVTEST_CASE lines whose checks hold on this platform. */
function caseDefines(src, isaText) {
  const defs = new Set();
  for (const m of src.matchAll(/RVTEST_CASE\(\s*\d+\s*,\s*"([^"]*)"/g)) {
    const body = m[1];
    let ok = true;
    for (const c of body.matchAll(/check\s+([A-Za-z_]+)\s*:=\s*([^;]*);/g)) {
      const [, key, value] = c;
      if (key === 'ISA') {
        // riscof matches these against the device's ISA; ours has every rv64 extension.
        const re = /^regex\((.*)\)$/.exec(value.trim());
        if (re && /32/.test(re[1]) && !/64/.test(re[1])) ok = false;
      } else if (key === 'hw_data_misaligned_support') {
        // QEMU (and tsqemu) perform misaligned loads and stores to RAM without trapping.
        if (value.trim() !== 'True') ok = false;
      }
    }
    if (!ok) continue;
    for (const d of body.matchAll(/def\s+([A-Za-z_0-9]+)=([^;"]*)/g)) defs.add(`-D${d[1]}=${d[2]}`);
  }
  return [...defs];
}

/** True when the test also has a case for hw_data_misaligned_support:=False: its committed
 * reference came from a model that traps misaligned accesses (2.7.4's privilege misalign-l*,
 * misalign-s*), not from the misaligned-capable platform we build the test for. */
function misalignedReferenceDiffers(src) {
  return /check\s+hw_data_misaligned_support\s*:=\s*False/.test(src) && /check\s+hw_data_misaligned_support\s*:=\s*True/.test(src);
}

function zOrder(a, b) {
  const ka = SINGLE_ORDER.indexOf(a[1]);
  const kb = SINGLE_ORDER.indexOf(b[1]);
  if (a[0] !== b[0]) return a[0] === 'z' ? -1 : b[0] === 'z' ? 1 : a < b ? -1 : 1;
  return ka !== kb ? ka - kb : a < b ? -1 : a > b ? 1 : 0;
}

/** gcc -march for the test's ISA: its own letters (so compression is as the suite expects) plus A
 * (our assert macro), Zicsr and Zifencei; extensions binutils lacks are left to encode.mjs. */
function march(isa) {
  const letters = new Set(isa.letters.split(''));
  const z = new Set(isa.z);
  if (z.has('zca') || z.has('zcb') || z.has('zcmop')) letters.add('c');
  if (z.has('zcd')) letters.add('c');
  if (z.has('zfa') || z.has('zfh') || z.has('zfhmin')) letters.add('f');
  if (letters.has('d')) letters.add('f');
  if (letters.has('b')) { letters.delete('b'); ['zba', 'zbb', 'zbs'].forEach((e) => z.add(e)); }
  if (letters.has('k')) { letters.delete('k'); ['zbkb', 'zbkc', 'zbkx', 'zknd', 'zkne', 'zknh', 'zksed', 'zksh'].forEach((e) => z.add(e)); }
  letters.add('a');
  letters.delete('e');
  letters.add('i');
  for (const e of ['zicsr', 'zifencei']) z.add(e);
  const single = [...letters].filter((c) => SINGLE_ORDER.includes(c) && c !== 'h')
    .sort((a, b) => SINGLE_ORDER.indexOf(a) - SINGLE_ORDER.indexOf(b)).join('');
  const multi = [...z].filter((e) => GAS_OK.has(e)).sort(zOrder);
  return `rv64${single}${multi.length ? '_' + multi.join('_') : ''}`;
}

/** The -cpu rv64 properties QEMU 7.2 needs for the test, or null when it lacks one. */
function qemu72Cpu(isa) {
  const props = new Set();
  for (const l of isa.letters) {
    if (l === 'b') ['zba', 'zbb', 'zbs'].forEach((p) => props.add(`${p}=true`));
    else if (l === 'k') ['zbkb', 'zbkc', 'zbkx', 'zknd', 'zkne', 'zknh', 'zksed', 'zksh'].forEach((p) => props.add(`${p}=true`));
    else if (!'imafdc'.includes(l)) return null;
  }
  for (const e of isa.z) {
    if (!QEMU72.has(e)) return null;
    const p = QEMU72.get(e);
    if (p) props.add(`${p}=true`);
  }
  if (isa.z.some((e) => ['zfinx', 'zdinx', 'zhinx', 'zhinxmin'].includes(e))) props.add('f=false').add('d=false');
  return ['rv64', ...props].join(',');
}

function tsqemuCpu(o, isa) {
  if (isa.z.some((e) => ['zfinx', 'zdinx', 'zhinx', 'zhinxmin'].includes(e))) {
    return `rv64,f=off,d=off,${isa.z.filter((e) => e.endsWith('inx') || e.endsWith('inxmin')).map((e) => `${e}=on`).join(',')}`;
  }
  return o.cpu;
}

function build(test, isa, env, out, equivalents = false) {
  // The first Zfh tests (commit 1924a435, RVTEST_ISA "RV64IFZfh", operands as .hword) load and
  // store through FLREG/FSREG: their references were made with FLEN=16 (flh/fsh).
  const halfData = isa.z.includes('zfh') && !isa.letters.includes('d') && !/zicsr/i.test(isa.text);
  const defs = ['-DXLEN=64', ...(isa.letters.includes('d') ? ['-DFLEN=64'] : halfData ? ['-DFLEN=16'] : isa.letters.includes('f') || isa.z.includes('zfa') ? ['-DFLEN=32'] : []),
    ...caseDefines(test.src, isa.text)];
  const cpp = spawnSync(GCC, ['-E', '-P', '-x', 'assembler-with-cpp', ...defs, '-I', TARGET, '-I', env, test.file],
    { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (cpp.status !== 0) return { error: `cpp: ${cpp.stderr.split('\n').slice(0, 5).join(' | ')}` };
  let text;
  let rewritten = 0;
  let asserts = [];
  try {
    const r = rewriteUnknown(cpp.stdout, equivalents);
    text = r.text;
    rewritten = r.count;
    asserts = r.asserts;
  } catch (e) {
    return { error: `encode: ${e.message}` };
  }
  const stem = `${test.name}${equivalents ? '.equiv' : ''}`;
  const s = join(out, `${stem}.s`);
  writeFileSync(s, text);
  const elf = join(out, `${stem}.elf`);
  const m = march(isa);
  const r = spawnSync(GCC, [`-march=${m}`, '-mabi=lp64', '-fno-pic', '-no-pie', '-static', '-mcmodel=medany', '-nostdlib', '-nostartfiles',
    '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments', '-T', join(TARGET, 'link.ld'), '-x', 'assembler', s, '-o', elf],
  { encoding: 'utf8' });
  if (r.status !== 0) return { error: `${m}: ${r.stderr.split('\n').filter((l) => /rror/.test(l)).slice(0, 3).join(' | ')}` };
  return { elf, march: m, rewritten, asserts };
}

function run(cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => err.push(Buffer.from(String(e))));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, timedOut, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1') });
    });
  });
}

/** Splits the UART output of RVMODEL_HALT into the failed asserts and the signature words. */
function parseOutput(r) {
  const lines = r.stdout.replace(/\r/g, '').split('\n');
  const at = lines.findIndex((l) => /^s [0-9a-f]{16}$/.test(l));
  if (r.timedOut || r.status !== 0 || at < 0) {
    return { ok: false, why: r.timedOut ? 'timed out' : `exit ${r.status}${at < 0 ? ', no signature' : ''}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  }
  const failed = lines.slice(0, at).filter((l) => /^a [0-9a-f]{16}$/.test(l)).map((l) => parseInt(l.slice(2), 16));
  const sig = lines.slice(at + 1).filter((l) => /^[0-9a-f]{8}$/.test(l));
  return { ok: true, failed, sig };
}

function compareSig(want, got) {
  const n = Math.max(want.length, got.length);
  for (let i = 0; i < n; i++) {
    if (want[i] !== got[i]) return `word ${i} (offset 0x${(i * 4).toString(16)}): want ${want[i] ?? '<none>'} got ${got[i] ?? '<none>'}` + (want.length !== got.length ? ` (lengths ${want.length}/${got.length})` : '');
  }
  return null;
}

function modeArgs(mode) {
  if (mode === 'default') return [];
  if (mode === 'interp') return ['-accel', 'tcg,jit-threshold=0'];
  return ['-accel', `tcg,jit-threshold=${mode.slice(3)}`];
}

async function runTest(o, test, env, out, qemuOk) {
  const res = { ext: test.ext, name: test.name, status: 'pass', detail: '', ref: '', modes: {} };
  const isa = parseIsa(test.src);
  if (!isa) return { ...res, status: 'error', detail: 'no RVTEST_ISA' };
  const b = build(test, isa, env, out);
  if (b.error) return { ...res, status: 'build-fail', detail: b.error };
  const elf = b.elf;
  if (o.buildOnly) return { ...res, detail: `${b.march}${b.rewritten ? `, ${b.rewritten} instructions encoded` : ''}` };
  const base = ['-M', 'virt', '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot', '-m', '128M'];
  let want = null;
  if (test.reference && misalignedReferenceDiffers(test.src)) res.refNote = 'reference is for a trapping model';
  if (test.reference && !res.refNote) {
    want = readFileSync(test.reference, 'latin1').replace(/\r/g, '').split('\n').map((l) => l.trim().toLowerCase()).filter(Boolean);
    res.ref = 'reference';
  } else if (o.qemu && qemuOk) {
    const cpu = qemu72Cpu(isa);
    if (cpu) {
      const q = parseOutput(await run(QEMU, ['-cpu', cpu, ...base], 60000));
      if (q.ok) {
        want = q.sig;
        res.ref = 'qemu-7.2';
      } else {
        res.qemuError = q.why;
      }
    } else if (isa.z.some((e) => EQUIV_EXTS.includes(e))) {
      // Zcb/Zimop/Zcmop only: QEMU 7.2 runs the test built with base-ISA equivalents.
      const eqIsa = { ...isa, letters: isa.letters.includes('m') ? isa.letters : isa.letters + 'm',
        z: [...isa.z.filter((e) => !EQUIV_EXTS.includes(e)), 'zba', 'zbb'] };
      const cpu2 = qemu72Cpu(eqIsa);
      const b2 = cpu2 && build(test, eqIsa, env, out, true);
      if (b2 && !b2.error) {
        const q = parseOutput(await run(QEMU, ['-cpu', cpu2, ...base.map((a) => (a === elf ? b2.elf : a))], 60000));
        if (q.ok) {
          want = q.sig;
          res.ref = 'qemu-7.2 equivalents';
        } else res.qemuError = q.why;
      } else if (b2) res.qemuError = b2.error;
    }
  }
  if (res.refNote && res.ref) res.ref += ' (misaligned case)';
  const fpTest = /[fdq]/.test(isa.letters) || isa.z.some((e) => /^z(fh|fa|finx|dinx|hinx)/.test(e));
  // Some generators write 0 as every expected value: then the asserts say nothing.
  const usable = b.asserts.some((a) => { try { return BigInt(a.value) !== 0n; } catch { return true; } });
  if (!res.ref) res.ref = fpTest || !usable ? 'none' : 'asserts';
  let first = null;
  for (const mode of o.modes) {
    const t = parseOutput(await run('node', [TSQEMU, '-cpu', tsqemuCpu(o, isa), ...modeArgs(mode), ...base], 180000));
    if (o.keep) writeFileSync(join(out, `${test.name}.${mode}.sig`), t.ok ? t.sig.join('\n') + '\n' : t.why);
    if (!t.ok) {
      res.status = 'fail';
      res.modes[mode] = t.why;
      continue;
    }
    const problems = [];
    if (t.failed.length) {
      const a = b.asserts[t.failed[0]];
      const what = `${t.failed.length} of ${b.asserts.length} generator asserts differ (first: #${t.failed[0]} ${a?.reg} != ${a?.value})`;
      // With a reference signature or QEMU to compare with, the asserts are informational;
      // so they are in floating-point tests, whose generators write 0 as every expected value.
      if (want || fpTest || !usable) res.assertNote = what;
      else problems.push(what);
    }
    if (want) {
      const d = compareSig(want, t.sig);
      if (d) problems.push(`signature differs from ${res.ref}: ${d}`);
    }
    if (t.sig.length === 0) problems.push('empty signature');
    // Every mode must give the same signature (the interpreter and the block compiler).
    if (first) {
      const d = compareSig(first.sig, t.sig);
      if (d) problems.push(`signature differs from mode ${first.mode}: ${d}`);
    } else first = { mode, sig: t.sig };
    res.modes[mode] = problems.length ? problems.join('; ') : 'pass';
    if (problems.length) res.status = 'fail';
  }
  if (res.status === 'fail' && res.ref.startsWith('qemu-7.2') && QEMU72_WRONG.has(test.name)) res.knownQemuBug = QEMU72_WRONG.get(test.name);
  res.detail = (res.knownQemuBug ? `[known QEMU 7.2 bug: ${res.knownQemuBug}] ` : '') + Object.entries(res.modes).filter(([, v]) => v !== 'pass').map(([k, v]) => `${k}: ${v}`).join(' / ');
  return res;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(TSQEMU)) usage(`${TSQEMU} is missing: build tsqemu first (npx tsc -p tsconfig.json)`);
  const work = o.keep ?? mkdtempSync(join(tmpdir(), 'tsqemu-arch-test-'));
  mkdirSync(work, { recursive: true });
  let root = o.suite;
  let source = o.suite;
  if (o.rev) {
    const dest = join(work, 'suite');
    rmSync(dest, { recursive: true, force: true });
    const missing = materialize(o.suite, o.rev, dest);
    if (missing.length) process.stderr.write(`riscv-arch-test: ${missing.length} files of ${o.rev} are missing from the checkout (skipped)\n`);
    root = dest;
    const rev = git(o.suite, ['rev-parse', '--short', o.rev]).stdout.toString().trim();
    source = `${o.rev} (${rev})`;
  }
  const suiteDir = join(root, 'riscv-test-suite', 'rv64i_m');
  const env = join(root, 'riscv-test-suite', 'env');
  if (!existsSync(suiteDir) || !existsSync(env)) usage(`${root} has no riscv-test-suite/rv64i_m and env`);
  const qemuOk = o.qemu && spawnSync(QEMU, ['--version']).status === 0;
  const dirs = readdirSync(suiteDir).filter((d) => statSync(join(suiteDir, d)).isDirectory() && (!o.ext || o.ext.includes(d))).sort();
  const tests = [];
  for (const ext of dirs) {
    const src = join(suiteDir, ext, 'src');
    if (!existsSync(src)) continue;
    for (const f of readdirSync(src).filter((f) => f.endsWith('.S')).sort()) {
      const name = f.slice(0, -2);
      if (o.only && !o.only.test(name)) continue;
      const ref = join(suiteDir, ext, 'references', `${name}.reference_output`);
      tests.push({ ext, name, file: join(src, f), src: readFileSync(join(src, f), 'latin1'), reference: existsSync(ref) ? ref : null });
    }
  }
  process.stdout.write(`riscv-arch-test ${source}: ${tests.length} tests in ${dirs.length} directories; tsqemu -cpu ${o.cpu}, modes ${o.modes.join(',')}\n`);
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tests.length) {
      const t = tests[next++];
      const out = join(work, t.ext);
      mkdirSync(out, { recursive: true });
      let r;
      try {
        r = await runTest(o, t, env, out, qemuOk);
      } catch (e) {
        r = { ext: t.ext, name: t.name, status: 'error', detail: String(e?.message ?? e), ref: '' };
      }
      results.push(r);
      if (o.verbose || r.status !== 'pass') process.stdout.write(`${r.status.padEnd(10)} ${t.ext}/${t.name} [${r.ref}] ${r.detail}\n`);
    }
  };
  await Promise.all(Array.from({ length: o.jobs }, worker));
  // Summary per directory.
  const byExt = new Map();
  for (const r of results) {
    const e = byExt.get(r.ext) ?? { tests: 0, pass: 0, fail: 0, build: 0, refs: new Map() };
    e.tests++;
    if (r.status === 'pass') e.pass++;
    else if (r.status === 'fail') e.fail++;
    else e.build++;
    if (r.ref) e.refs.set(r.ref, (e.refs.get(r.ref) ?? 0) + 1);
    byExt.set(r.ext, e);
  }
  process.stdout.write('\n| directory | tests | pass | fail | not built | compared with |\n|---|---|---|---|---|---|\n');
  for (const [ext, e] of [...byExt].sort()) {
    const refs = [...e.refs].map(([k, v]) => `${k} ${v}`).join(', ');
    process.stdout.write(`| ${ext} | ${e.tests} | ${e.pass} | ${e.fail} | ${e.build} | ${refs} |\n`);
  }
  if (o.json) writeFileSync(o.json, JSON.stringify({ source, cpu: o.cpu, modes: o.modes, date: new Date().toISOString(), results }, null, 1));
  if (!o.keep) rmSync(work, { recursive: true, force: true });
  process.exit(results.some((r) => r.status !== 'pass') ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`riscv-arch-test: ${e?.stack ?? e}\n`);
  process.exit(2);
});
