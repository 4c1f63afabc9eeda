// Compiled test programs, cached across test files and runs (as ccache does, for a whole
// compile-and-link): `ccSpawnSync(cc, args, opts)` is spawnSync(cc, args, opts) for a command
// line with `-o OUT`, except that an earlier build of the same inputs is copied to OUT instead.
// The key: the compiler (its --version and its libc.a), the arguments (OUT replaced), and the
// contents of every argument that names a file and of the C/asm/header/linker-script files in
// the directories of those files and of -I directories (a changed header rebuilds).
// The cache lives in os.tmpdir()/tsqemu-cc-cache-v1; TSQEMU_CC_CACHE=0 turns it off.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DIR = path.join(os.tmpdir(), 'tsqemu-cc-cache-v1');
const SOURCE = /\.(c|h|S|s|ld|go|cc)$/;
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const toolchains = new Map();
let pruned = false;

/** What identifies a compiler: its version text and its C library (a package upgrade changes both). */
function toolchainId(cc) {
  let id = toolchains.get(cc);
  if (id === undefined) {
    const v = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (v.error || v.status !== 0) id = null;
    else {
      const libc = spawnSync(cc, ['-print-file-name=libc.a'], { encoding: 'utf8' }).stdout?.trim() ?? '';
      let st = '';
      try { const s = fs.statSync(libc); st = `${s.size}:${s.mtimeMs}`; } catch { /* a compiler without libc.a */ }
      id = `${v.stdout}\n${libc}\n${st}`;
    }
    toolchains.set(cc, id);
  }
  return id;
}

function hashDir(h, dir, seen, name) {
  if (seen.has(dir)) return;
  seen.add(dir);
  let names;
  try { names = fs.readdirSync(dir).filter((n) => SOURCE.test(n)).sort(); } catch { return; }
  for (const n of names) {
    const p = path.join(dir, n);
    try { if (!fs.statSync(p).isFile()) continue; h.update(`\0${name(p)}\0`).update(fs.readFileSync(p)); } catch { /* raced away */ }
  }
}

/** The key. Files count by content and base name (so that another checkout of the same tree
 * hits), by full path only with -g (debug information records it). */
function cacheKey(cc, args, outIndex, cwd) {
  const id = toolchainId(cc);
  if (id === null) return null;
  const debug = args.some((a) => /^-g/.test(a));
  const name = (p) => (debug ? p : path.basename(p));
  const h = crypto.createHash('sha256').update(`${cc}\0${id}\0`);
  const dirs = new Set();
  for (let i = 0; i < args.length; i++) {
    if (i === outIndex) { h.update('\0@OUT@'); continue; }
    const a = args[i];
    const inc = a.startsWith('-I') && a.length > 2;
    const p = path.resolve(cwd, inc ? a.slice(2) : a);
    let st = null;
    try { st = fs.statSync(p); } catch { /* an option */ }
    if (st?.isFile()) { h.update(`\0@FILE@${name(p)}\0`).update(fs.readFileSync(p)); dirs.add(path.dirname(p)); }
    else if (st?.isDirectory() && (inc || args[i - 1] === '-I')) { h.update(`\0@DIR@${inc ? '-I' : ''}${name(p)}`); dirs.add(p); }
    else h.update(`\0${a}`);
  }
  const seen = new Set();
  for (const d of [...dirs].sort()) hashDir(h, d, seen, name);
  return h.digest('hex');
}

function prune() {
  pruned = true;
  let names;
  try { names = fs.readdirSync(DIR); } catch { return; }
  const now = Date.now();
  for (const n of names) {
    const p = path.join(DIR, n);
    try { if (now - fs.statSync(p).mtimeMs > MAX_AGE_MS) fs.rmSync(p, { force: true }); } catch { /* another process pruned it */ }
  }
}

/** spawnSync(cc, args, opts) with the result cached by inputs; a hit returns status 0, empty output. */
export function ccSpawnSync(cc, args, opts = {}) {
  const outIndex = args.indexOf('-o') + 1;
  const off = process.env.TSQEMU_CC_CACHE === '0' || outIndex === 0 || outIndex >= args.length;
  const cwd = opts.cwd ?? process.cwd();
  const key = off ? null : cacheKey(cc, args, outIndex, cwd);
  if (key === null) return spawnSync(cc, args, opts);
  if (!pruned) prune();
  const out = path.resolve(cwd, args[outIndex]);
  const cached = path.join(DIR, key);
  const empty = opts.encoding ? '' : Buffer.alloc(0);
  try {
    fs.copyFileSync(cached, out);
    fs.chmodSync(out, 0o755);
    const now = new Date();
    fs.utimesSync(cached, now, now);
    return { status: 0, signal: null, stdout: empty, stderr: empty, output: [null, empty, empty], pid: 0 };
  } catch { /* not cached yet */ }
  const r = spawnSync(cc, args, opts);
  if (r.status === 0 && !r.error) {
    try {
      fs.mkdirSync(DIR, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.copyFileSync(out, tmp);
      fs.renameSync(tmp, cached);
    } catch { /* a full or read-only tmpdir: no cache */ }
  }
  return r;
}
