// A disk cache of generated wasm bytes (the RISC-V interpreter module: generating it takes
// longer than running a small program; compiling the bytes is a tenth of that). An entry is
// named by CRC-32s of its key and of the emulator's build (sizes and mtimes of the compiled
// code generators), and holds both in full and a checksum of its bytes; anything that does
// not match is ignored and generated again. (No node:crypto: loading it costs each guest
// thread's worker several ms.) TSQEMU_CACHE_DIR=dir puts it elsewhere, TSQEMU_CACHE_DIR=off
// turns it off; default: $XDG_CACHE_HOME/tsqemu or ~/.cache/tsqemu (else the temp dir).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from './crc32.js';
import { fileURLToPath } from 'node:url';
import { distFile } from './dist-path.js';
import { ensureCacheDir } from './code-cache.js';
import type { WasmModuleCache } from '../../target/riscv/cpu.js';
import { INTERP_HINT, takePrefetchedInterpreter } from './interp-prefetch.js';
import { writeCodeAtExit } from './interp-code-cache.js';

const MAGIC = 'TSQWASM2';
/** The directories of dist/ whose code generates the cached modules. */
const GENERATOR_DIRS = ['target/riscv', 'tcg', 'accel/tcg', 'qemu', 'fpu'];

function cacheDir(env: NodeJS.ProcessEnv): string | null {
  const d = env.TSQEMU_CACHE_DIR;
  if (d === 'off') return null;
  if (d) return d;
  const base = env.XDG_CACHE_HOME || (os.homedir() ? path.join(os.homedir(), '.cache') : os.tmpdir());
  return path.join(base, 'tsqemu');
}

/** What identifies this build of the generators (cheap: one stat per file). */
function buildStamp(): string {
  let stamp = '';
  // The running file too: in the bundled build the generators are inside it, and it alone
  // names the build (scripts/build-bundle.js: no need to stat tsc's ~150 files).
  const self = fileURLToPath(import.meta.url);
  try {
    const st = fs.statSync(self);
    stamp += `self:${st.size}:${st.mtimeMs}\n`;
    if (path.basename(self) !== 'wasm-cache.js') return stamp;
  } catch { /* not a file */ }
  for (const rel of GENERATOR_DIRS) {
    const dir = distFile(rel);
    let names: string[];
    try { names = fs.readdirSync(dir).filter((n) => n.endsWith('.js')).sort(); } catch { continue; }
    for (const n of names) {
      const st = fs.statSync(path.join(dir, n));
      stamp += `${rel}/${n}:${st.size}:${st.mtimeMs}\n`;
    }
  }
  return stamp;
}

const hex8 = (x: number) => x.toString(16).padStart(8, '0');

/** Entry: MAGIC, u32 byte count, u32 CRC-32 of the bytes, u32 id length, the id (build stamp and key,
 * latin1), the module's bytes. `hint` (the main thread of the system emulator: true; of
 * tsqemu-riscv64: interp-code-cache.ts's hint file name): the entry loaded or stored is named in
 * the hint file interp-prefetch.ts or interp-code-cache.ts compiles from at the next start, the
 * module it compiled is offered for the same bytes, and V8's code of the module compiled from the
 * entry is kept beside it at exit (interp-code-cache.ts). */
export function diskWasmCache(env: NodeJS.ProcessEnv = process.env, hint: boolean | string = false): WasmModuleCache | null {
  const dir = cacheDir(env);
  if (!dir) return null;
  let lastFile: string | null = null;
  const noteUsed = (file: string) => {
    lastFile = file;
    if (!hint) return;
    const hintFile = path.join(dir, hint === true ? INTERP_HINT : hint);
    try {
      if (fs.readFileSync(hintFile, 'latin1') === path.basename(file)) return;
    } catch { /* none yet */ }
    try {
      const tmp = `${hintFile}.${process.pid}`;
      fs.writeFileSync(tmp, path.basename(file), { mode: 0o600 });
      fs.renameSync(tmp, hintFile);
    } catch { /* read-only: no hint */ }
  };
  let stamp: string | null = null;
  const entry = (key: string) => {
    stamp ??= buildStamp();
    const id = Buffer.from(`${stamp}\0${key}`, 'latin1');
    return { id, file: path.join(dir, `${hex8(crc32(id))}-${hex8(crc32(key))}-${id.length.toString(36)}.wasm`) };
  };
  return {
    load(key) {
      try {
        const { id, file } = entry(key);
        const buf = fs.readFileSync(file);
        if (buf.length < 20 || buf.toString('latin1', 0, 8) !== MAGIC || buf.readUInt32LE(16) !== id.length) return null;
        if (buf.length < 20 + id.length || !buf.subarray(20, 20 + id.length).equals(id)) return null;
        const bytes = buf.subarray(20 + id.length);
        if (buf.readUInt32LE(8) !== bytes.length || buf.readUInt32LE(12) !== crc32(bytes)) return null;
        noteUsed(file);
        return bytes;
      } catch { return null; }
    },
    store(key, bytes) {
      try {
        const { id, file } = entry(key);
        ensureCacheDir(dir);
        const head = Buffer.alloc(20);
        head.write(MAGIC, 0, 'latin1');
        head.writeUInt32LE(bytes.length, 8);
        head.writeUInt32LE(crc32(bytes), 12);
        head.writeUInt32LE(id.length, 16);
        // Written aside, then renamed: a concurrent reader sees all of it or nothing.
        const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
        fs.writeFileSync(tmp, Buffer.concat([head, id, bytes]), { mode: 0o600 });
        fs.renameSync(tmp, file);
        noteUsed(file);
      } catch { /* read-only or full: no cache */ }
    },
    compiled: hint ? (bytes) => {
      const pre = takePrefetchedInterpreter(bytes);
      // Compiled at start-up without code from disk: its code is kept at exit.
      if (pre && lastFile && pre.origin !== 'from the code cache') writeCodeAtExit(lastFile, bytes, pre.module);
      return pre;
    } : undefined,
    compiledHere: hint ? (bytes, module) => { if (lastFile) writeCodeAtExit(lastFile, bytes, module); } : undefined,
  };
}
