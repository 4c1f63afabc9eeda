#!/usr/bin/env node
// The bundled build (`npm run build` runs it after tsc): each entry point of the Node emulator,
// the three CLIs and the user-mode guest thread's worker, becomes ONE file at the place tsc put
// its module (dist/cli/riscv64.js, dist/host/node/user-worker.js, ...), so bin/*, the fork
// server's spare, workers and tests spawning dist/cli/*.js all run the bundle. Why: Node 20
// resolves, reads and links each ES module separately (~110 per process and per guest thread),
// which was most of the start-up CPU. tsc's other files stay (type checking, tests importing
// modules). Paths to native addons, pc-bios/ and images/ are found from the enclosing dist/
// directory (src/host/node/dist-path.ts), so they hold in both layouts.
// Usage: node scripts/build-bundle.js (after tsc)
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** dist path (without .js) -> source entry. */
export const BUNDLE_ENTRIES = {
  'cli/system-riscv64': 'src/cli/system-riscv64.ts',
  'cli/riscv64': 'src/cli/riscv64.ts',
  'cli/img': 'src/cli/img.ts',
  'host/node/user-worker': 'src/host/node/user-worker.ts',
  'host/node/mttcg-worker': 'src/host/node/mttcg-worker.ts',
};

/** Scripts also built as CommonJS (dist path without .cjs -> source), each run with a V8 code
 * cache: the workers' (user-thread.ts loads user-worker.cjs; user-thread.cjs is the workers'
 * entry) and tsqemu-riscv64's command line (cli/riscv64.ts runs riscv64-main.cjs through
 * host/node/code-cache.ts), and tsqemu-img's (cli/img.ts runs img-main.cjs). */
export const SCRIPT_ENTRIES = {
  'host/node/user-worker': 'src/host/node/user-worker.ts',
  'host/node/user-thread': 'src/host/node/user-thread.ts',
  'cli/riscv64-main': 'src/cli/riscv64-main.ts',
  'cli/img-main': 'src/cli/img-main.ts',
  'cli/system-riscv64-main': 'src/cli/system-riscv64-main.ts',
};

/** The scripts only ever run through vm.Script (host/node/code-cache.ts, user-thread.ts), written
 * already wrapped as CommonJS's function: V8 then compiles the file's text as it is, where the
 * wrapper concatenated at run time made it flatten a copy of the ~0.9 MB text (~220 page faults,
 * start-up round 6). Such a file does nothing when node runs or requires it. */
export const VM_SCRIPTS = ['host/node/user-worker', 'cli/riscv64-main', 'cli/img-main', 'cli/system-riscv64-main'];
export const VM_WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
export const VM_WRAP_TAIL = '\n})';

/** CommonJS entries run directly by node (bin/*), not code-cached: dist path -> source.
 * tsqemu-img's and tsqemu-riscv64's: node starts a CommonJS entry without its ES module loader. */
export const CJS_ENTRIES = {
  'cli/img': 'src/cli/img.ts',
  'cli/riscv64': 'src/cli/riscv64.ts',
};

/** Packages a code-cached script leaves out of its file, required from node_modules on first use
 * (their dynamic import() becomes a require: vm.Script has no import()). tsqemu-img: hash-wasm
 * (argon2, LUKS2 keyslots only) is 268 KB of its 568 KB, read and hashed by every run. */
export const SCRIPT_LAZY_PACKAGES = {
  'cli/img-main': ['hash-wasm'],
};

/** esbuild plugin: each of `names` becomes a stub module requiring the real package at run time. */
function lazyPackages(names) {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')})$`);
  return {
    name: 'lazy-packages',
    setup(b) {
      b.onResolve({ filter }, (a) => (a.namespace === 'lazy-package' ? { path: a.path, external: true } : { path: a.path, namespace: 'lazy-package' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (a) => ({ contents: `module.exports = require(${JSON.stringify(a.path)});`, loader: 'js' }));
    },
  };
}

export async function buildBundles({ outDir = path.join(ROOT, 'dist') } = {}) {
  const esm = {
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    splitting: false,
    sourcemap: true,
    logLevel: 'warning',
    allowOverwrite: true,
  };
  const { 'cli/riscv64': userCli, 'cli/img': imgCli, 'cli/system-riscv64': sysCli, ...others } = BUNDLE_ENTRIES;
  await esbuild.build({
    ...esm,
    entryPoints: Object.fromEntries(Object.entries(others).map(([out, src]) => [out, path.join(ROOT, src)])),
  });
  // tsqemu-riscv64's entry stays small: it runs riscv64-main.cjs (tsc's riscv64-main.js only
  // when that cannot be read).
  await esbuild.build({
    ...esm,
    entryPoints: { 'cli/riscv64': path.join(ROOT, userCli) },
    external: ['./riscv64-main.js'],
    define: { __TSQEMU_BUNDLE__: 'true' },
  });
  // tsqemu-system-riscv64's runs system-riscv64-main.cjs, tsqemu-img's img-main.cjs.
  await esbuild.build({
    ...esm,
    entryPoints: { 'cli/system-riscv64': path.join(ROOT, sysCli) },
    external: ['./system-riscv64-main.js'],
    define: { __TSQEMU_BUNDLE__: 'true' },
  });
  await esbuild.build({
    ...esm,
    entryPoints: { 'cli/img': path.join(ROOT, imgCli) },
    external: ['./img-main.js'],
    define: { __TSQEMU_BUNDLE__: 'true' },
  });
  for (const [out, src] of [...Object.entries(SCRIPT_ENTRIES), ...Object.entries(CJS_ENTRIES)]) {
    const entry = out in CJS_ENTRIES;
    await esbuild.build({
      entryPoints: [path.join(ROOT, src)],
      outfile: path.join(outDir, `${out}.cjs`),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      charset: 'ascii',
      external: ['./user-worker.js', './img-main.js', './system-riscv64-main.js', './riscv64-main.js'], // fallbacks when there is no user-worker.cjs, img-main.cjs
      define: { 'import.meta.url': '__tsqemuModuleUrl', ...(entry ? { __TSQEMU_BUNDLE__: 'true' } : {}) },
      banner: { js: 'const __tsqemuModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
      logLevel: 'warning',
      allowOverwrite: true,
      plugins: SCRIPT_LAZY_PACKAGES[out] ? [lazyPackages(SCRIPT_LAZY_PACKAGES[out])] : [],
    });
    const file = path.join(outDir, `${out}.cjs`);
    const text = memoizeToESM(fs.readFileSync(file, 'latin1'));
    fs.writeFileSync(file, VM_SCRIPTS.includes(out) ? `${VM_WRAP_HEAD}${text}${VM_WRAP_TAIL}` : text, 'latin1');
  }
}

/** esbuild's CommonJS output wraps every `import * as fs from 'node:fs'` in its own __toESM
 * copy of the module (~100 getters for node:fs; riscv64-main.cjs made 18 such copies of three
 * modules at each start-up, 2-4 ms of CPU). The copy of a module is the same each time (a
 * read-only view), so each module is copied once. Left as it is when the helper is not found. */
export function memoizeToESM(text) {
  const at = text.indexOf('\nvar __toESM = (');
  const end = at < 0 ? -1 : text.indexOf('\n));\n', at);
  if (end < 0) return text;
  const cut = end + 5;
  return `${text.slice(0, cut)}var __toESMCopy = __toESM, __toESMDone = new WeakMap();
__toESM = (mod, isNodeMode) => {
  if (!isNodeMode || mod === null || typeof mod !== "object") return __toESMCopy(mod, isNodeMode);
  let ns = __toESMDone.get(mod);
  if (!ns) __toESMDone.set(mod, ns = __toESMCopy(mod, isNodeMode));
  return ns;
};
${text.slice(cut)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildBundles().catch((e) => { console.error(e.message); process.exit(1); });
}
