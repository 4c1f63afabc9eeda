// Helpers for the system emulator tests: run the binary, talk to its console over pipes.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import zlib from 'node:zlib';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'tsqemu-system-riscv64');
export const INITRD = path.join(ROOT, 'images', 'initramfs.cpio.gz');

export function hasTool(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** The kernel Image, gunzipped once into a temp dir (QEMU itself loads only uncompressed Images). */
let kernelPath;
export function kernelImage() {
  if (!kernelPath) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-kernel-'));
    kernelPath = path.join(dir, 'Image');
    fs.writeFileSync(kernelPath, zlib.gunzipSync(fs.readFileSync(path.join(ROOT, 'images', 'Image.gz'))));
  }
  return kernelPath;
}

export function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-test-'));
}

/** Run the binary to completion; resolves { code, stdout, stderr }. */
export function run(args, { timeoutMs = 120_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`timeout after ${timeoutMs} ms; output so far:\n${stdout.slice(-2000)}\n${stderr}`)); }, timeoutMs);
    p.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
    if (input !== undefined) p.stdin.end(input);
  });
}

/** A running emulator with an expect-style console over stdin/stdout pipes. */
export class Console {
  constructor(args, bin = BIN) {
    this.p = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.out = '';
    this.err = '';
    this.waiters = [];
    this.exit = new Promise((resolve) => this.p.on('close', (code) => resolve(code)));
    this.p.stdout.on('data', (d) => { this.out += d; this.check(); });
    this.p.stderr.on('data', (d) => { this.err += d; });
  }
  check() {
    this.waiters = this.waiters.filter((w) => {
      const m = w.re.exec(this.out.slice(w.from));
      if (!m) return true;
      clearTimeout(w.timer);
      w.resolve({ match: m, before: this.out.slice(w.from, w.from + m.index) });
      return false;
    });
  }
  /** Wait for `re` in output produced after position `from` (default: now). */
  expect(re, timeoutMs = 60_000, from = this.out.length) {
    return new Promise((resolve, reject) => {
      const w = { re, from, resolve };
      w.timer = setTimeout(() => reject(new Error(`timeout waiting for ${re}; output tail:\n${this.out.slice(-1500)}\nstderr:\n${this.err}`)), timeoutMs);
      this.waiters.push(w);
      this.check();
    });
  }
  send(text) {
    this.p.stdin.write(text);
  }
  /** Run a shell command and return its output (between the echoed command and a marker). */
  async sh(cmd, timeoutMs = 60_000) {
    const tag = `@@${Math.random().toString(36).slice(2, 8)}@@`;
    const from = this.out.length;
    this.send(`${cmd}; echo ${tag.slice(0, 3)}""${tag.slice(3)}\n`);
    const { before } = await this.expect(new RegExp(`\\n${tag.replace(/[@]/g, '@')}`), timeoutMs, from);
    // Kernel messages the console interleaves (under load: `[   18.24] hrtimer: interrupt took
    // 70504600 ns`), also in the middle of the echoed command line, are dropped, unless the
    // command prints the kernel log itself (dmesg's lines look the same).
    const dmesg = /dmesg/.test(cmd);
    const text = before.replace(/\r/g, '');
    const lines = (dmesg ? text : text.replace(/\[\s*\d+\.\d+\] [^\n]*\n/g, '')).split('\n');
    const echoed = lines.findLastIndex((l) => l.includes(`${tag.slice(0, 3)}""`));
    // Drop the echoed command line.
    const kernelLine = dmesg ? () => false : (l) => /^\[\s*\d+\.\d+\] /.test(l);
    return lines.slice(echoed + 1).filter((l) => !kernelLine(l)).join('\n').trim();
  }
  kill() {
    this.p.kill('SIGKILL');
  }
}

/** Run `node ARGS` from the checkout with extra env, not as a child of this test runner
 * (NODE_TEST_CONTEXT would redirect a nested --test run); resolves { code, out, err }. */
export function runNode(args, env, timeoutMs) {
  return new Promise((resolve) => {
    const { NODE_TEST_CONTEXT: _, ...base } = process.env;
    const p = spawn(process.execPath, args, { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => { clearTimeout(t); resolve({ code, out, err }); });
  });
}
