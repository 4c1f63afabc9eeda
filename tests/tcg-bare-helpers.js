// Shared by the bare-metal tests (tcg-riscv64, tcg-jit-regress, tcg-diff): build a program of
// tests/tcg/riscv64 with Debian's cross compiler, run an emulator on it, compare UART outputs.
import { spawn, spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './helpers/cc-cache.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SRC = join(ROOT, 'tests', 'tcg', 'riscv64');
export const GCC = 'riscv64-linux-gnu-gcc';
export const QEMU = 'qemu-system-riscv64';
export const TSQEMU = join(ROOT, 'dist', 'cli', 'system-riscv64.js');
export const SHARED = ['crt0.S', 'common.c'];

export function hasTool(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** Build `file` (in tests/tcg/riscv64, or an absolute path) with crt0.S and common.c into outDir/name.elf. */
export function build(prog, outDir, extraSources = []) {
  const elf = join(outDir, `${prog.name}.elf`);
  const file = prog.file.startsWith('/') ? prog.file : join(SRC, prog.file);
  const args = [
    '-nostdlib', '-nostartfiles', '-ffreestanding', '-fno-pie', '-no-pie', '-static', '-O2', '-g',
    '-march=rv64gc', '-mabi=lp64d', '-mcmodel=medany', '-Wall', '-Werror', '-fno-strict-aliasing',
    '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments',
    '-T', join(SRC, 'link.ld'), '-I', SRC,
    join(SRC, 'crt0.S'), join(SRC, 'common.c'), file, ...extraSources, '-lgcc', '-o', elf,
  ];
  const r = ccSpawnSync(GCC, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`building ${prog.file} failed:\n${r.error ?? ''}${r.stderr}`);
  }
  return elf;
}

/** Runs cmd with args; resolves { status, signal, stdout, stderr, timedOut }. */
export function run(cmd, args, timeoutMs, env = undefined) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
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

export const machineArgs = (elf) => ['-M', 'virt', '-bios', 'none', '-kernel', elf, '-nographic', '-no-reboot'];

export function describeRun(who, r) {
  const lines = r.stdout.split('\n');
  const fails = lines.filter((l) => l.startsWith('FAIL')).slice(0, 20);
  return `${who}: ${r.timedOut ? 'timed out' : `exit status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}`}\n` +
    (fails.length ? `failed checks:\n  ${fails.join('\n  ')}\n` : '') +
    `last output lines:\n  ${lines.slice(-8).join('\n  ')}\n` +
    (r.stderr ? `stderr:\n  ${r.stderr.trim().split('\n').slice(-15).join('\n  ')}\n` : '');
}

/** Describes the first differing line of two outputs, or null when equal. */
export function firstDifference(want, got, who = 'tsqemu-system-riscv64', ref = 'qemu-system-riscv64') {
  if (want === got) return null;
  // Under load QEMU can exit (the guest's sifive_test write) with its last byte still unwritten
  // to a full stdout pipe (its stdio chardev drops it): seen once in CI as a missing final newline.
  if (!want.endsWith('\n') && got === `${want}\n`) return null;
  const a = want.split('\n');
  const b = got.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (l) => (l === undefined ? '<end of output>' : JSON.stringify(l));
  return `output differs from real QEMU at line ${i + 1} (of ${a.length} / ${b.length}):\n` +
    `  ${(ref + ':').padEnd(22)} ${show(a[i])}\n` +
    `  ${(who + ':').padEnd(22)} ${show(b[i])}\n` +
    (i > 0 ? `  (previous line, equal: ${JSON.stringify(a[i - 1])})\n` : '');
}
