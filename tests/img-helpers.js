// Shared helpers for the block / tsqemu-img suites: run real qemu-img and ours, temp dirs,
// a seeded PRNG, and a writer that mirrors random guest writes into a raw reference file.
import { spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TSQEMU_IMG = path.join(here, '..', 'bin', 'tsqemu-img');

export function haveQemuImg() {
  return spawnSync('qemu-img', ['--version']).status === 0;
}
export function haveQemuIo() {
  return spawnSync('qemu-io', ['--version']).status === 0;
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
// Real qemu-img's PBKDF2 benchmark gives up now and then when its first timing reads 0 ms of CPU
// ("Unable to get accurate CPU usage"): QEMU's flake, not an answer, so it is asked again.
export function real(args, opts) {
  let r;
  for (let i = 0; i < 10; i++) {
    r = run('qemu-img', args, opts);
    if (r.status === 0 || !/Unable to get accurate CPU usage/.test(r.stderr ?? '')) break;
  }
  return r;
}
export const ours = (args, opts) => run(TSQEMU_IMG, args, opts);
export const qemuIo = (args) => run('qemu-io', args);

export function tmpdir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tsqemu-${tag}-`));
}

/** xorshift32: deterministic test data. */
export function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

export function randomBytes(rand, n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rand() & 0xff;
  return b;
}

/** Mirror `ops` writes into a raw file (the reference real qemu-img compares against). */
export function applyToRaw(rawPath, size, ops) {
  const fd = fs.openSync(rawPath, fs.existsSync(rawPath) ? 'r+' : 'w+');
  fs.ftruncateSync(fd, size);
  for (const op of ops) {
    if (op.zero) fs.writeSync(fd, Buffer.alloc(op.len), 0, op.len, op.off);
    else fs.writeSync(fd, op.data, 0, op.data.length, op.off);
  }
  fs.closeSync(fd);
}

/** Random writes (some unaligned, some zero writes) within `size`. */
export function randomOps(seed, size, count, maxLen = 200000) {
  const rand = prng(seed);
  const ops = [];
  for (let i = 0; i < count; i++) {
    const len = 1 + (rand() % maxLen);
    const off = rand() % Math.max(1, size - len);
    if (rand() % 7 === 0) ops.push({ off, len, zero: true });
    else ops.push({ off, data: randomBytes(rand, len) });
  }
  return ops;
}

export function expectClean(t, r, what) {
  if (r.status !== 0) throw new Error(`${what}: qemu-img check status ${r.status}\n${r.stdout}${r.stderr}`);
}

export { execFileSync, fs, path };
