// The C programs of tests/linux-user, built for riscv64 (static) and for the host, and run as
// real Linux, qemu-riscv64 and tsqemu-riscv64 see them. One temp dir per test file.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccSpawnSync } from './cc-cache.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const srcDir = path.join(root, 'tests/linux-user');
export const cli = path.join(root, 'dist/cli/riscv64.js');
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
/** The first of the cross compiler, qemu-riscv64 and gcc that is missing, or null. */
export const missing = ['riscv64-linux-gnu-gcc', 'qemu-riscv64', 'gcc'].find((c) => !have(c)) ?? null;
/** null when the native addon `name` (tsqemu_sys, tsqemu_proc...) is built, else why not. */
export const noAddon = (name) => fs.existsSync(path.join(root, `native/build/Release/${name}.node`)) ? null : `native addon ${name} not built`;

/** A temp dir for the file's builds (removed at exit), or '' when the tools are missing. */
export function userTmp(prefix) {
  const tmp = missing ? '' : fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });
  return tmp;
}

/** Build tests/linux-user/NAME.c with cc (riscv64 builds static) into tmp. */
export function build(tmp, name, cc, libs = []) {
  const out = path.join(tmp, `${name}-${cc}`);
  const r = ccSpawnSync(cc, ['-O1', '-o', out, path.join(srcDir, `${name}.c`), ...(cc === 'gcc' ? [] : ['-static']), ...libs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

/** Run argv in cwd; what a test compares. */
export function run(argv, cwd, env = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd, timeout: 120000, env: { ...process.env, ...env } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

/** run() without blocking: Linux, qemu-riscv64 and ours can run at the same time (the programs
 * wait on timers and children much of their time). stdin is an empty pipe, as spawnSync's. */
export function runAsync(argv, cwd, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env: { ...process.env, ...env } });
    child.stdin.end();
    let stdout = '', stderr = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), 120000);
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ stdout, stderr, status, signal }); });
  });
}
