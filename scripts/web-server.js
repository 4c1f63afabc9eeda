#!/usr/bin/env node
// `npm run web [-- --port N] [--host H] [--no-build]`: build web/dist and serve it on
// 127.0.0.1 with the headers cross-origin isolation needs (guest RAM is a shared
// WebAssembly.Memory: COOP same-origin + COEP require-corp). Static files answer Range requests.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './build-web.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.wasm': 'application/wasm',
};

/** A request handler serving `dir` (no listing, no path escapes) with isolation headers. */
export function staticHandler(dir, { log } = {}) {
  const base = path.resolve(dir);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let rel;
    try { rel = decodeURIComponent(url.pathname); } catch { rel = '/'; }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(base, `.${rel}`);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Cache-Control', 'no-cache');
    log?.(`${req.method} ${url.pathname} ${req.headers.range ?? ''}`.trim());
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    let st;
    if (!file.startsWith(base + path.sep) || !(st = fs.statSync(file, { throwIfNoEntry: false }))?.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (m && (m[1] || m[2])) {
      let start = m[1] ? Number(m[1]) : Math.max(0, st.size - Number(m[2]));
      let end = m[1] && m[2] ? Math.min(Number(m[2]), st.size - 1) : st.size - 1;
      if (start > end || start >= st.size) { res.writeHead(416, { 'Content-Range': `bytes */${st.size}` }).end(); return; }
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${st.size}`, 'Content-Length': end - start + 1 });
      if (req.method === 'HEAD') res.end(); else fs.createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { 'Content-Length': st.size });
    if (req.method === 'HEAD') res.end(); else fs.createReadStream(file).pipe(res);
  };
}

export async function serveWeb({ port = 8080, host = '127.0.0.1', build = true, outDir, log } = {}) {
  const dir = build ? await buildWeb({ outDir }) : outDir ?? path.join(ROOT, 'web', 'dist');
  const server = http.createServer(staticHandler(dir, { log }));
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  return server;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def; };
  const port = Number(opt('--port', '8080'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) { console.error(`web-server: --port ${opt('--port')}: not a port number`); process.exit(1); }
  serveWeb({ port, host: opt('--host', '127.0.0.1'), build: !argv.includes('--no-build'), log: argv.includes('--verbose') ? console.log : undefined }).then(
    (server) => {
      const a = server.address();
      console.log(`tsqemu: serving web/dist on http://${a.address}:${a.port}/ (Ctrl-C stops)`);
      if (process.send) process.send({ port: a.port });
    },
    (e) => { console.error(`web-server: ${e.message}`); process.exit(1); });
}
