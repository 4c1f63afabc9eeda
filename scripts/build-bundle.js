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

export async function buildBundles({ outDir = path.join(ROOT, 'dist') } = {}) {
  await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(BUNDLE_ENTRIES).map(([out, src]) => [out, path.join(ROOT, src)])),
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    splitting: false,
    sourcemap: true,
    logLevel: 'warning',
    allowOverwrite: true,
  });
  // The guest thread's worker again as a script (user-thread.ts loads it with a V8 code cache),
  // and its loader as the CommonJS entry of the workers.
  for (const name of ['user-worker', 'user-thread']) {
    await esbuild.build({
      entryPoints: [path.join(ROOT, `src/host/node/${name}.ts`)],
      outfile: path.join(outDir, `host/node/${name}.cjs`),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      charset: 'ascii',
      external: ['./user-worker.js'], // user-thread's fallback when there is no user-worker.cjs
      define: { 'import.meta.url': '__tsqemuModuleUrl' },
      banner: { js: 'const __tsqemuModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
      logLevel: 'warning',
      allowOverwrite: true,
    });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildBundles().catch((e) => { console.error(e.message); process.exit(1); });
}
