// Running a bundled CommonJS script (scripts/build-bundle.js) with a V8 code cache kept on disk:
// Node 20 takes no code cache for ES modules, and parsing and compiling the emulator's ~500 KB
// again costs every process (and every guest thread's worker) tens of ms of CPU at start-up.
// The cache entry is named by the length and CRC-32 of the script's contents, the Node version and
// architecture (V8 also rejects a cache made by another V8 or with other flags), and holds the
// length and a CRC-32 of its data: a truncated or damaged file is ignored and made again.
// It also holds how much of the script its writer ran (a level: raiseCodeCacheLevel): a process
// that ran more (the translator, where the writer only interpreted) writes it again, once.
// Writes go to a temporary file renamed into place (a concurrent reader sees all or nothing).
// TSQEMU_CACHE_DIR=dir puts it elsewhere, TSQEMU_CACHE_DIR=off turns it off (as wasm-cache.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import { isAscii } from 'node:buffer';
import { crc32 } from './crc32.js';
import { nativeAddonPath } from './dist-path.js';

const MAGIC = 'TSQV8CC2';
const HEAD = 20; // magic, data length, CRC-32 of the data, level

/** The cache directory (TSQEMU_CACHE_DIR, else $XDG_CACHE_HOME/tsqemu or ~/.cache/tsqemu), or
 * null when turned off. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const d = env.TSQEMU_CACHE_DIR;
  if (d === 'off') return null;
  if (d) return d;
  return path.join(env.XDG_CACHE_HOME || (os.homedir() ? path.join(os.homedir(), '.cache') : os.tmpdir()), 'tsqemu');
}

/** The entry for this source of `name` under this Node (null: caching is off). `origin`: the
 * script's path; V8 keeps the file name it was compiled under in the cached code (stack traces
 * named another checkout's dist/ when two had the same bundle), so each path has its own entry. */
export function codeCacheFile(name: string, source: string | AsciiScript, env: NodeJS.ProcessEnv = process.env, origin = ''): string | null {
  const dir = codeCacheDir(env);
  if (!dir) return null;
  // Length and CRC-32 of the contents (~1 ms for the 0.9 MB bundle's bytes; of a string, zlib's
  // binding converts it to UTF-8 first, several ms; a cryptographic hash costs more).
  const [len, sum] = typeof source === 'string' ? [source.length, crc32(source)] : [source.source.length, source.crc];
  const h = `${len.toString(36)}-${crc32(origin, sum).toString(16).padStart(8, '0')}`;
  return path.join(dir, `v8-${name}-${h}-${process.version}-${process.arch}.bin`);
}

/** CommonJS's function around a script's text, for vm.Script. scripts/build-bundle.js writes
 * the scripts run only this way already wrapped (VM_SCRIPTS): V8 compiles the file's string as it
 * is, where a concatenation made it flatten a copy of the ~0.9 MB text (start-up round 6). */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAP_TAIL = '\n})';
export function wrapScript(source: string): string {
  return source.startsWith(WRAP_HEAD) && source.endsWith(WRAP_TAIL) ? source : `${WRAP_HEAD}${source}${WRAP_TAIL}`;
}

/** A script's text and the CRC-32 of its bytes. */
export interface AsciiScript { source: string; crc: number }

/** Read an ASCII script (esbuild writes non-ASCII escaped) for vm.Script, or null when it cannot
 * be read or is not ASCII (latin1 would then read it differently from Node's require). The
 * bytes are checked and summed before they become a string: a regular expression over the
 * string and a CRC-32 of it took ~5x as long (start-up round 5). */
export function readAsciiScript(file: string): AsciiScript | null {
  let buf: Buffer;
  try { buf = fs.readFileSync(file); } catch { return null; }
  if (!isAscii(buf)) return null;
  return { source: latin1Of(buf), crc: crc32(buf) };
}

type Latin1Addon = { externalLatin1?: (b: Uint8Array) => string | undefined };
let latin1Addon: Latin1Addon | null | undefined;
/** `buf` as a string. With the tsqemu_v8 addon (loaded anyway by the interpreter's code cache
 * before the main script runs) an external string over the read buffer itself: a latin1
 * string was a second copy of the 0.9 MB text in V8's heap, ~225 page faults (start-up round
 * 7). `buf` must not be written to afterwards. */
function latin1Of(buf: Buffer): string {
  if (latin1Addon === undefined) {
    latin1Addon = null;
    if (!process.env.TSQEMU_NO_NATIVE) {
      try { latin1Addon = createRequire(import.meta.url)(nativeAddonPath('tsqemu_v8')) as Latin1Addon; } catch { /* not built */ }
    }
  }
  const s = latin1Addon?.externalLatin1?.(buf);
  return typeof s === 'string' && s.length === buf.length ? s : buf.toString('latin1');
}

/** A cache entry's data and level, or undefined when there is none or it is not whole. */
export function readCodeCacheEntry(file: string): { data: Buffer; level: number } | undefined {
  let buf: Buffer;
  try { buf = fs.readFileSync(file); } catch { return undefined; }
  if (buf.length < HEAD || buf.toString('latin1', 0, 8) !== MAGIC) return undefined;
  const data = buf.subarray(HEAD);
  if (buf.readUInt32LE(8) !== data.length || buf.readUInt32LE(12) !== crc32(data)) return undefined;
  return { data, level: buf.readUInt32LE(16) };
}

/** A cache entry's data, or undefined when there is none or it is not whole. */
export function readCodeCache(file: string): Buffer | undefined {
  return readCodeCacheEntry(file)?.data;
}

/** Make `dir` and its missing parents. Not mkdirSync's `recursive`: where mkdir fails with
 * ENOENT under an existing parent (/proc) Node 20's retries loop forever. */
export function ensureCacheDir(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; missing.length < 64 && !fs.existsSync(d); d = path.dirname(d)) {
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try { fs.mkdirSync(d, { mode: 0o700 }); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
  }
}

/** Write an entry (best effort: a read-only or full disk means no cache). */
export function writeCodeCache(file: string, data: Uint8Array, level = 0): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    ensureCacheDir(path.dirname(file));
    const head = Buffer.alloc(HEAD);
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(data.length, 8);
    head.writeUInt32LE(crc32(data), 12);
    head.writeUInt32LE(level >>> 0, 16);
    fs.writeFileSync(tmp, Buffer.concat([head, data]), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch { try { fs.unlinkSync(tmp); } catch { /* not written */ } }
}

/** How the last runCachedScript compiled: 'disk' (from the cache), 'none' (no entry yet: one
 * is written when the process exits), 'rejected' (V8 refused the entry: written again), 'off'. */
export type CodeCacheUse = 'disk' | 'none' | 'rejected' | 'off';

let lastUse: CodeCacheUse | null = null;
/** On globalThis: the script run (its own copy of this module) says so to its runner's. */
const NO_WRITE = Symbol.for('tsqemu.codeCacheNoWrite');

/** This process writes no cache entry at exit: it only printed something (--version, --help,
 * a bad option). The entry holds what the first run compiled, and one made by `--version`
 * (517 KB against 830 KB for a `true`) left every later program compiling the rest itself
 * (a static `true` +5 ms of CPU; start-up round 5). The next process writes it. */
export function skipCodeCacheWrite(): void {
  (globalThis as { [NO_WRITE]?: boolean })[NO_WRITE] = true;
}

/** On globalThis too: how much of the script this process ran (raiseCodeCacheLevel). */
const LEVEL = Symbol.for('tsqemu.codeCacheLevel');
const levelNow = (): number => (globalThis as { [LEVEL]?: number })[LEVEL] ?? 0;

/** This process ran more of the script than a plain program: level 1, the translator (a
 * program that only ran the interpreter is 0). An entry written at a lower level is written
 * again at exit: V8's cache holds only the functions its writer compiled, and one written by a
 * dynamic `true` (615 KB) left sha256sum of 1 MiB compiling the translator itself, ~+33 ms of
 * CPU in every later process, where the entry of a translating run (787 KB) costs a `true` no
 * measurable CPU (start-up round 7). */
export function raiseCodeCacheLevel(level: number): void {
  if (level > levelNow()) (globalThis as { [LEVEL]?: number })[LEVEL] = level;
}

/** How the last script run by runCachedScript was compiled (null: none was). */
export function lastCodeCacheUse(): CodeCacheUse | null { return lastUse; }

/**
 * Run the CommonJS file `file` (ASCII, as esbuild writes with charset=ascii) like require() would,
 * compiled from the disk cache when there is a usable entry. When there was none, the entry is
 * made as the process exits: by then V8 has compiled the functions the run needed, and the
 * cache holds them too. Returns how the cache was used, or null when the file cannot be read
 * (the caller falls back to the ES module).
 */
export function runCachedScript(file: string, name: string): CodeCacheUse | null {
  // (latin1 reads bytes as they are: V8 then compiles the same string each time.)
  const text = readAsciiScript(file);
  if (!text) return null;
  const { source } = text;
  const cacheFile = codeCacheFile(name, text, process.env, file);
  const entry = cacheFile ? readCodeCacheEntry(cacheFile) : undefined;
  const cachedData = entry?.data;
  const script = new Script(wrapScript(source), { filename: file, cachedData });
  const use: CodeCacheUse = !cacheFile ? 'off' : !cachedData ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'disk';
  lastUse = use;
  if (cacheFile) {
    // (From an accepted entry V8's new data holds the entry's functions and those compiled since.)
    process.once('exit', () => {
      if ((globalThis as { [NO_WRITE]?: boolean })[NO_WRITE] || (use === 'disk' && levelNow() <= (entry?.level ?? 0))) return;
      writeCodeCache(cacheFile, script.createCachedData(), levelNow());
    });
  }
  const mod = { exports: {} };
  const fn = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  fn(mod.exports, createRequire(file), mod, file, path.dirname(file));
  return use;
}
