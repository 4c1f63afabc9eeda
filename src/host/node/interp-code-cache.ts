// The RISC-V interpreter's compiled code kept on disk (issue 18, translation cost round 9). The
// interpreter is one ~60 KB wasm function (`run`) that V8 compiled again in every process: Liftoff
// at its first call, then TurboFan once it got hot, a few thousand guest instructions into any
// program (0.1-0.4 s of CPU on V8's background threads, and the interpreted instructions until
// then ran as Liftoff code). V8 can serialize a module's TurboFan code and take it back
// (native/tsqemu_v8.cc: CompiledWasmModule::Serialize, WasmStreaming::SetCompiledModuleBytes):
// the code is written beside the module's wasm cache entry (wasm-cache.ts; named by the module's
// bytes) by the first process
// that had `run` in TurboFan code at its exit, and later processes start from it before the
// command line is loaded (a promise: the one API that takes compiled code is the streaming
// compile). V8 checks the code's header itself (its version, the CPU's features, the hash of
// its flags: a node started with other V8 flags compiles from the wire bytes, as before, and
// its exit writes the code again); the file also holds a CRC-32 of the code and of the wire
// bytes it belongs to. TSQEMU_INTERP_CODE=0 turns it off; it needs the native addon.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { nativeAddonPath } from './dist-path.js';
import { crc32 } from './crc32.js';
import { ensureCacheDir } from './code-cache.js';
import { offerPrefetchedInterpreter } from './interp-prefetch.js';

interface V8Addon {
  serialize(m: WebAssembly.Module): ArrayBuffer | undefined;
  compileCached(wire: Uint8Array, code: Uint8Array | undefined): Promise<WebAssembly.Module> | undefined;
  lastCompileUsedCode(): boolean;
}

/** The hint file (in the cache directory) naming the wasm cache entry of tsqemu-riscv64's last
 * main-thread interpreter (wasm-cache.ts writes it). */
export const USER_INTERP_HINT = 'user-interpreter.last';
const MAGIC = 'TSQV8WC1';
const HEAD = 20; // magic, code length, CRC-32 of the code, CRC-32 of the wire bytes

let addonMemo: V8Addon | null | undefined;
function v8Addon(): V8Addon | null {
  if (addonMemo !== undefined) return addonMemo;
  addonMemo = null;
  if (process.env.TSQEMU_NO_NATIVE || process.env.TSQEMU_INTERP_CODE === '0') return null;
  try {
    const a = createRequire(import.meta.url)(nativeAddonPath('tsqemu_v8')) as Partial<V8Addon>;
    if (typeof a.serialize === 'function' && typeof a.compileCached === 'function' && typeof a.lastCompileUsedCode === 'function') addonMemo = a as V8Addon;
  } catch { /* not built */ }
  return addonMemo;
}

/** The code file in `dir` of the module `wire` under this V8 and CPU architecture. Named by the
 * bytes, not by their wasm cache entry: the main thread's bundle and the worker's name their
 * entries by their own build stamps (wasm-cache.ts), the bytes being the same. */
export function codeFileOf(dir: string, wire: Uint8Array): string {
  return path.join(dir, `interp-${crc32(wire).toString(16).padStart(8, '0')}-${wire.length.toString(36)}-${process.versions.v8}-${process.arch}.v8code`);
}

/** The module bytes of a wasm cache entry (its layout: wasm-cache.ts), or null. */
function entryBytes(file: string): Uint8Array | null {
  try {
    const buf = fs.readFileSync(file);
    if (buf.length < 20 || buf.toString('latin1', 0, 8) !== 'TSQWASM2') return null;
    const start = 20 + buf.readUInt32LE(16);
    return buf.length - start === buf.readUInt32LE(8) ? buf.subarray(start) : null;
  } catch { return null; }
}

/** The code in `file` if it is whole and was made for exactly `wire`. */
function readCode(file: string, wire: Uint8Array): Uint8Array | null {
  try {
    const buf = fs.readFileSync(file);
    if (buf.length < HEAD || buf.toString('latin1', 0, 8) !== MAGIC) return null;
    const code = buf.subarray(HEAD);
    if (buf.readUInt32LE(8) !== code.length || buf.readUInt32LE(12) !== crc32(code) || buf.readUInt32LE(16) !== crc32(wire)) return null;
    return code;
  } catch { return null; }
}

/** Start compiling the interpreter the hint in `dir` names from its code file, if there is one;
 * the promise settles when the module is offered to cpu.ts (interp-prefetch.ts's slot: taken only
 * for exactly the bytes cpu.ts loads). null: nothing to wait for. */
export function prefetchInterpreterCode(dir: string | null, hint = USER_INTERP_HINT): Promise<void> | null {
  if (!dir) return null;
  const a = v8Addon();
  if (!a) return null;
  let entry: string;
  try {
    const name = fs.readFileSync(path.join(dir, hint), 'latin1');
    if (!/^[0-9a-z-]+\.wasm$/.test(name)) return null;
    entry = path.join(dir, name);
  } catch { return null; }
  const wire = entryBytes(entry);
  const code = wire && readCode(codeFileOf(dir, wire), wire);
  if (!wire || !code) return null;
  let p: Promise<WebAssembly.Module> | undefined;
  try { p = a.compileCached(wire, code); } catch { return null; }
  if (!p) return null;
  return p.then((module) => {
    const used = a.lastCompileUsedCode();
    offerPrefetchedInterpreter(wire, module, used ? 'from the code cache' : 'compiled at start-up');
    // V8 refused the code (other flags, another CPU): this run's exit writes it again.
    if (!used) { refused.add(codeFileOf(dir, wire)); writeCodeAtExit(entry, wire, module); }
  }, () => { /* not compiled: cpu.ts compiles its own */ });
}

const pendingWrites = new Set<string>();
let forward: ((entry: string, wire: Uint8Array, module: WebAssembly.Module) => void) | null = null;
/** In a worker: writeCodeAtExit hands its module to `f` (a message to the main thread). A Go
 * program's interpreter is compiled on its first worker and its TurboFan code was never kept, so
 * every such process compiled `run` again (~0.2 s of CPU, ~8 MiB more peak RSS: the zones). */
export function forwardCodeWrites(f: typeof forward): void { forward = f; }
/** Entries whose code V8 refused in this process (written again at exit even if whole). */
const refused = new Set<string>();

/** At this process's exit, write the code of `module` (compiled from `wire`, the bytes of the
 * wasm cache entry `entry`) beside the entry, if V8 has `run` in TurboFan code by then (its
 * serialized code is then larger than the wire bytes; Liftoff code is not serialized). Once per
 * module and process; not when there is already code for these bytes (unless V8 refused it).
 * (A worker's exit listeners do not run when the process ends: a worker hands it to the main
 * thread, forwardCodeWrites, which writes it: the module's code is the same object there.) */
export function writeCodeAtExit(entry: string, wire: Uint8Array, module: WebAssembly.Module): void {
  const a = v8Addon();
  const file = codeFileOf(path.dirname(entry), wire);
  if (!a || pendingWrites.has(file)) return;
  pendingWrites.add(file);
  if (forward) { forward(entry, wire.slice(), module); return; }
  process.once('exit', () => {
    try {
      if (readCode(file, wire) && !refused.has(file)) return;
      const ab = a.serialize(module);
      if (!ab || ab.byteLength <= wire.length) return;
      const code = new Uint8Array(ab);
      const head = Buffer.alloc(HEAD);
      head.write(MAGIC, 0, 'latin1');
      head.writeUInt32LE(code.length, 8);
      head.writeUInt32LE(crc32(code), 12);
      head.writeUInt32LE(crc32(wire), 16);
      ensureCacheDir(path.dirname(file));
      const tmp = `${file}.${process.pid}`;
      fs.writeFileSync(tmp, Buffer.concat([head, code]), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch { /* read-only or full: no code cache */ }
  });
}
