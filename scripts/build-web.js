#!/usr/bin/env node
// Build the browser page into web/dist: the page, the machine's worker and the embedding API
// (tsqemu/web) bundled by esbuild, xterm's CSS, the HTML, and the default guest (images/,
// pc-bios/) as static assets. `--no-assets` leaves the guest out (to serve images of your own).
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'web', 'dist');

export async function buildWeb({ assets = true, minify = true, outDir = OUT } = {}) {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: {
      page: path.join(ROOT, 'web/src/page.ts'),
      worker: path.join(ROOT, 'src/host/browser/worker.ts'),
      'tsqemu-web': path.join(ROOT, 'web/src/api.ts'),
    },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify,
    sourcemap: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  for (const f of ['index.html', 'example.html', 'page.css', 'sw.js']) fs.copyFileSync(path.join(ROOT, 'web', f), path.join(outDir, f));
  fs.copyFileSync(path.join(ROOT, 'node_modules/@xterm/xterm/css/xterm.css'), path.join(outDir, 'xterm.css'));
  if (assets) {
    for (const [dir, names] of [['images', ['Image.gz', 'initramfs.cpio.gz']], ['pc-bios', ['opensbi-riscv64-generic-fw_dynamic.bin']]]) {
      fs.mkdirSync(path.join(outDir, dir), { recursive: true });
      for (const n of names) fs.copyFileSync(path.join(ROOT, dir, n), path.join(outDir, dir, n));
    }
  }
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildWeb({ assets: !process.argv.includes('--no-assets'), minify: !process.argv.includes('--no-minify') }).then(
    (out) => console.log(`built ${path.relative(process.cwd(), out) || '.'}`),
    (e) => { console.error(e.message); process.exit(1); });
}
