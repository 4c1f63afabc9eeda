// A disk cache of generated wasm bytes (the RISC-V interpreter module: generating it takes
// longer than running a small program; compiling the bytes is a tenth of that). An entry is
// named by a hash of its key and of the emulator's build (sizes and mtimes of the compiled
// code generators), and holds a checksum of its bytes; anything that does not match is
// ignored and generated again. TSQEMU_CACHE_DIR=dir puts it elsewhere, TSQEMU_CACHE_DIR=off
// turns it off; default: $XDG_CACHE_HOME/tsqemu or ~/.cache/tsqemu (else the temp dir).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { distFile } from './dist-path.js';
import type { WasmModuleCache } from '../../target/riscv/cpu.js';

const MAGIC = 'TSQWASM1';
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
  const h = createHash('sha256');
  // The running file too: in the bundled build the generators are inside it, and it alone
  // names the build (scripts/build-bundle.js: no need to stat tsc's ~150 files).
  const self = fileURLToPath(import.meta.url);
  try {
    const st = fs.statSync(self);
    h.update(`self:${st.size}:${st.mtimeMs}\n`);
    if (path.basename(self) !== 'wasm-cache.js') return h.digest('hex');
  } catch { /* not a file */ }
  for (const rel of GENERATOR_DIRS) {
    const dir = distFile(rel);
    let names: string[];
    try { names = fs.readdirSync(dir).filter((n) => n.endsWith('.js')).sort(); } catch { continue; }
    for (const n of names) {
      const st = fs.statSync(path.join(dir, n));
      h.update(`${rel}/${n}:${st.size}:${st.mtimeMs}\n`);
    }
  }
  return h.digest('hex');
}

function fnv1a(b: Uint8Array): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) x = Math.imul(x ^ b[i], 0x01000193);
  return x >>> 0;
}

export function diskWasmCache(env: NodeJS.ProcessEnv = process.env): WasmModuleCache | null {
  const dir = cacheDir(env);
  if (!dir) return null;
  let stamp: string | null = null;
  const file = (key: string) => {
    stamp ??= buildStamp();
    return path.join(dir, createHash('sha256').update(stamp).update('\0').update(key).digest('hex').slice(0, 32) + '.wasm');
  };
  return {
    load(key) {
      try {
        const buf = fs.readFileSync(file(key));
        if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) return null;
        const bytes = buf.subarray(16);
        if (buf.readUInt32LE(8) !== bytes.length || buf.readUInt32LE(12) !== fnv1a(bytes)) return null;
        return bytes;
      } catch { return null; }
    },
    store(key, bytes) {
      try {
        const f = file(key);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const head = Buffer.alloc(16);
        head.write(MAGIC, 0, 'latin1');
        head.writeUInt32LE(bytes.length, 8);
        head.writeUInt32LE(fnv1a(bytes), 12);
        // Written aside, then renamed: a concurrent reader sees all of it or nothing.
        const tmp = `${f}.${process.pid}.${Math.random().toString(36).slice(2)}`;
        fs.writeFileSync(tmp, Buffer.concat([head, bytes]), { mode: 0o600 });
        fs.renameSync(tmp, f);
      } catch { /* read-only or full: no cache */ }
    },
  };
}
