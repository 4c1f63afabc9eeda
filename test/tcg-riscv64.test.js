// Bare-metal RISC-V instruction tests (tests/tcg/riscv64, see its README.md).
//
// Each program is built with Debian's riscv64 cross compiler into a temporary
// directory, then run on real qemu-system-riscv64 and on tsqemu-system-riscv64 with
//   -M virt -bios none -kernel prog.elf -nographic -no-reboot
// Both must exit 0 (the programs check themselves and exit through sifive_test)
// and tsqemu's UART output must equal real QEMU's byte for byte.
//
// TSQEMU_TCG_ONLY=name[,name...] runs only those programs.
// TSQEMU_TCG_TIMEOUT=seconds bounds each tsqemu run (default 60).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'tests', 'tcg', 'riscv64');
const GCC = 'riscv64-linux-gnu-gcc';
const QEMU = 'qemu-system-riscv64';
const TSQEMU = join(ROOT, 'dist', 'cli', 'system-riscv64.js');
const SHARED = ['crt0.S', 'common.c'];
const QEMU_TIMEOUT_MS = 20_000;
const TSQEMU_TIMEOUT_MS = Number(process.env.TSQEMU_TCG_TIMEOUT ?? 60) * 1000;

function hasTool(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function listPrograms() {
  const only = process.env.TSQEMU_TCG_ONLY?.split(',').filter(Boolean);
  const all = readdirSync(SRC)
    .filter((f) => /\.(c|S)$/.test(f) && !SHARED.includes(f))
    .map((f) => ({ name: f.replace(/\.(c|S)$/, ''), file: f }))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (!only) return all;
  for (const n of only) {
    if (!all.some((p) => p.name === n)) throw new Error(`TSQEMU_TCG_ONLY: no program ${n} in ${SRC}`);
  }
  return all.filter((p) => only.includes(p.name));
}

function build(prog, outDir) {
  const elf = join(outDir, `${prog.name}.elf`);
  const args = [
    '-nostdlib', '-nostartfiles', '-ffreestanding', '-fno-pie', '-no-pie', '-static', '-O2', '-g',
    '-march=rv64gc', '-mabi=lp64d', '-mcmodel=medany', '-Wall', '-Werror', '-fno-strict-aliasing',
    '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments',
    '-T', join(SRC, 'link.ld'), '-I', SRC,
    join(SRC, 'crt0.S'), join(SRC, 'common.c'), join(SRC, prog.file), '-lgcc', '-o', elf,
  ];
  const r = spawnSync(GCC, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`building ${prog.file} failed:\n${r.error ?? ''}${r.stderr}`);
  }
  return elf;
}

/** Runs cmd with args; resolves { status, signal, stdout, stderr, timedOut }. */
function run(cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => err.push(Buffer.from(String(e))));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        status, signal, timedOut,
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('latin1'),
      });
    });
  });
}

const machineArgs = (elf) => ['-M', 'virt', '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];

function describeRun(who, r) {
  const lines = r.stdout.split('\n');
  const fails = lines.filter((l) => l.startsWith('FAIL')).slice(0, 20);
  return `${who}: ${r.timedOut ? 'timed out' : `exit status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}`}\n` +
    (fails.length ? `failed checks:\n  ${fails.join('\n  ')}\n` : '') +
    `last output lines:\n  ${lines.slice(-8).join('\n  ')}\n` +
    (r.stderr ? `stderr:\n  ${r.stderr.trim().split('\n').slice(-15).join('\n  ')}\n` : '');
}

/** Describes the first differing line of two outputs, or null when equal. */
function firstDifference(want, got) {
  if (want === got) return null;
  const a = want.split('\n');
  const b = got.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (l) => (l === undefined ? '<end of output>' : JSON.stringify(l));
  return `UART output differs from real QEMU at line ${i + 1} (of ${a.length} / ${b.length}):\n` +
    `  qemu-system-riscv64:   ${show(a[i])}\n` +
    `  tsqemu-system-riscv64: ${show(b[i])}\n` +
    (i > 0 ? `  (previous line, equal: ${JSON.stringify(a[i - 1])})\n` : '');
}

const haveGcc = hasTool(GCC);
const haveQemu = hasTool(QEMU);
const programs = haveGcc ? listPrograms() : [];
let outDir = null;

test('tcg riscv64 instruction tests', { skip: haveGcc ? false : `${GCC} not installed` }, async (t) => {
  outDir = mkdtempSync(join(tmpdir(), 'tsqemu-tcg-'));
  t.after(() => rmSync(outDir, { recursive: true, force: true }));
  for (const prog of programs) {
    await t.test(prog.name, async (t) => {
      const elf = build(prog, outDir);
      // Both emulators run at the same time; the subtests then judge the results.
      const qemuRun = haveQemu ? run(QEMU, machineArgs(elf), QEMU_TIMEOUT_MS) : null;
      const tsqemuRun = existsSync(TSQEMU)
        ? run(process.execPath, [TSQEMU, ...machineArgs(elf)], TSQEMU_TIMEOUT_MS)
        : null;
      let reference = null;
      await t.test('qemu-system-riscv64', { skip: haveQemu ? false : `${QEMU} not installed` }, async () => {
        const r = await qemuRun;
        assert.ok(r.status === 0 && !r.timedOut, describeRun(QEMU, r));
        assert.match(r.stdout, /^PASS \d+ checks$/m);
        reference = r.stdout;
      });
      await t.test('tsqemu-system-riscv64', async () => {
        assert.ok(tsqemuRun, `${TSQEMU} missing (run npx tsc -p tsconfig.json)`);
        const r = await tsqemuRun;
        assert.ok(r.status === 0 && !r.timedOut, describeRun('tsqemu-system-riscv64', r));
        if (reference !== null) {
          const diff = firstDifference(reference, r.stdout);
          if (diff) assert.fail(diff);
        } else {
          assert.match(r.stdout, /^PASS \d+ checks$/m);
        }
      });
    });
  }
});
