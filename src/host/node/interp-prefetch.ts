// The RISC-V interpreter's wasm compiled at the very start of tsqemu-system-riscv64, before its
// command line is even loaded, with every function sent to TurboFan at once. Why: the
// interpreter is one 44 KB wasm function that V8 runs as Liftoff code until TurboFan has
// compiled it (~165 ms of CPU on an idle host), and the boot's first instructions (OpenSBI,
// Linux's early boot) ran in that slower code; started here, the compile overlaps the ~100 ms
// of loading the emulator and building the machine on the host's other core.
//
// Which module: the disk cache entry (wasm-cache.ts) the previous run of the system emulator
// used, named in a hint file beside it. Nothing is trusted from it: cpu.ts asks the disk cache
// for its bytes as before (key and build checked there), and takes this module only when its
// bytes are exactly those (WasmModuleCache.compiled); otherwise it compiles its own and this one
// is dropped. The entry script and the bundled command line are separate module graphs, so the
// module is handed over on globalThis.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setV8Flags as setFlagsFromString } from './v8-flags.js';

/** The hint file's name in the cache directory: the wasm cache entry last used by a system run. */
export const INTERP_HINT = 'system-interpreter.last';

interface Prefetched { bytes: Uint8Array; module: WebAssembly.Module; origin: string }
const SLOT = Symbol.for('tsqemu.interpreterPrefetch');
type Slots = { [SLOT]?: Prefetched | undefined };

/** Compile the interpreter module the hint in `dir` names (best effort: any failure, nothing). */
export function prefetchInterpreter(dir: string | null): void {
  if (!dir || (globalThis as Slots)[SLOT]) return;
  let bytes: Uint8Array;
  try {
    const name = fs.readFileSync(path.join(dir, INTERP_HINT), 'latin1');
    if (!/^[0-9a-z-]+\.wasm$/.test(name)) return;
    const buf = fs.readFileSync(path.join(dir, name));
    // The entry's layout (wasm-cache.ts): magic, byte count, CRC-32, id length, id, bytes.
    if (buf.length < 20 || buf.toString('latin1', 0, 8) !== 'TSQWASM2') return;
    const start = 20 + buf.readUInt32LE(16);
    if (buf.length - start !== buf.readUInt32LE(8)) return;
    bytes = buf.subarray(start);
  } catch { return; }
  // Eager tier-up for this module only: every function compiled now (not lazily at its first
  // call) by Liftoff, and at once by TurboFan on V8's background threads, not when it gets hot
  // (the module's other functions are tiny: ~0 ms each). Without the second flag the eager
  // tier-up waited for the lazy compile at the first call: no head start, and every function
  // called went to TurboFan. The flags are restored at once (both default on: V8's flag hash,
  // which the code cache checks, is as before).
  setFlagsFromString('--no-wasm-dynamic-tiering');
  setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    (globalThis as Slots)[SLOT] = { bytes, module: new WebAssembly.Module(bytes), origin: 'compiled at start-up' };
  } catch { /* not a module: cpu.ts compiles its own */ } finally {
    setFlagsFromString('--wasm-lazy-compilation');
    setFlagsFromString('--wasm-dynamic-tiering');
  }
}

/** Offer a module compiled elsewhere (interp-code-cache.ts) the same way. */
export function offerPrefetchedInterpreter(bytes: Uint8Array, module: WebAssembly.Module, origin: string): void {
  (globalThis as Slots)[SLOT] = { bytes, module, origin };
}

/** The prefetched module if it was compiled from exactly `bytes` (handed over once). */
export function takePrefetchedInterpreter(bytes: Uint8Array): { module: WebAssembly.Module; origin: string } | null {
  const p = (globalThis as Slots)[SLOT];
  if (!p) return null;
  (globalThis as Slots)[SLOT] = undefined;
  return Buffer.compare(p.bytes, bytes) === 0 ? { module: p.module, origin: p.origin } : null;
}
