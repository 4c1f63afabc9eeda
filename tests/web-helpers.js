// Helpers for the browser tests: Debian's chromium driven by playwright-core (never a
// downloaded browser), the project's page served by scripts/web-server.js on a free port,
// a Range-capable HTTP server of the test's own with a request log, screenshots on failure.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.TSQEMU_CHROMIUM ?? '/usr/bin/chromium';
export const MARKER = 'tsqemu-guest: boot complete';
/** A reason to skip, or false. */
export const SKIP = fs.existsSync(CHROMIUM) ? false : `chromium is not installed (${CHROMIUM}; apt-get install chromium)`;

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Every file under `dir` (sorted), for the build's key. */
function treeFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'dist' && e.name !== 'node_modules') out.push(...treeFiles(p)); } else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The page built once per content of what goes into it (web/, src/, the guest, the lock file,
 * the build script), shared by the browser test files of a run and later runs: each file built
 * its own copy (1.4 s of CPU each). Built into a temp dir, renamed into place whole (a file that
 * loses the race uses the winner's); never written to afterwards. */
async function webBuild() {
  const { buildWeb } = await import('../scripts/build-web.js');
  const inputs = [...treeFiles(path.join(ROOT, 'web')), ...treeFiles(path.join(ROOT, 'src')),
    ...['package-lock.json', 'scripts/build-web.js', 'images/Image.gz', 'images/initramfs.cpio.gz',
      'pc-bios/opensbi-riscv64-generic-fw_dynamic.bin'].map((f) => path.join(ROOT, f))];
  const h = crypto.createHash('sha256');
  for (const f of inputs) h.update(`\0${path.relative(ROOT, f)}\0`).update(fs.readFileSync(f));
  const dir = path.join(os.tmpdir(), `tsqemu-web-dist-${h.digest('hex').slice(0, 20)}`);
  if (fs.existsSync(path.join(dir, '.built'))) return dir;
  // Builds of other trees older than a day go (5 MB each, one per change of the sources).
  for (const n of fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('tsqemu-web-dist-'))) {
    const p = path.join(os.tmpdir(), n);
    try { if (Date.now() - fs.statSync(p).mtimeMs > 24 * 3600 * 1000) fs.rmSync(p, { recursive: true, force: true }); } catch { /* gone */ }
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-web-build-'));
  await buildWeb({ outDir: tmp });
  fs.writeFileSync(path.join(tmp, '.built'), '');
  try { fs.renameSync(tmp, dir); } catch { fs.rmSync(tmp, { recursive: true, force: true }); }
  return dir;
}

/** Build web/dist, serve it, and open a persistent chromium profile (OPFS survives reloads). */
export async function openBrowser() {
  const { chromium } = await import('playwright-core');
  const { serveWeb } = await import('../scripts/web-server.js');
  const server = await serveWeb({ port: 0, build: false, outDir: await webBuild() });
  const base = `http://127.0.0.1:${server.address().port}/`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  const logs = [];
  const close = async () => {
    await context.close().catch(() => {});
    server.close();
    server.closeAllConnections();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  /** Stop serving (the page must then live on its service worker's cache). */
  const stopServer = () => { server.close(); server.closeAllConnections(); };
  return { context, base, logs, close, stopServer };
}

export async function newPage(b) {
  const page = await b.context.newPage();
  page.on('console', (m) => b.logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => b.logs.push(`pageerror: ${e.message}`));
  return page;
}

/** Save a screenshot (and the console tail) under os.tmpdir() when `fn` fails. */
export async function withScreenshot(page, name, fn) {
  try {
    return await fn();
  } catch (e) {
    const file = path.join(os.tmpdir(), `tsqemu-web-${name}-${Date.now()}.png`);
    await page.screenshot({ path: file }).catch(() => {});
    const text = await page.evaluate(() => window.tsqemu?.consoleText() ?? '').catch(() => '');
    e.message += `\nscreenshot: ${file}\nconsole tail:\n${text.slice(-1500)}`;
    throw e;
  }
}

export async function consoleText(page) {
  return page.evaluate(() => window.tsqemu?.consoleText() ?? '');
}

export async function waitForConsole(page, needle, timeout = 120_000, from = 0) {
  await page.waitForFunction(([n, f]) => (window.tsqemu?.consoleText() ?? '').indexOf(n, f) >= 0, [needle, from], { timeout, polling: 100 });
}

/** Type a shell command through the terminal (keyboard events) and return its output. */
export async function sh(page, cmd, timeout = 60_000) {
  const tag = `@@${Math.random().toString(36).slice(2, 8)}@@`;
  const from = (await consoleText(page)).length;
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(`${cmd}; echo ${tag.slice(0, 3)}""${tag.slice(3)}\n`);
  await waitForConsole(page, `\n${tag}`, timeout, from);
  const out = (await consoleText(page)).slice(from);
  const end = out.indexOf(`\n${tag}`);
  // Kernel messages the console interleaves on a busy host (`[   13.07] hrtimer: interrupt took
  // 89390000 ns`, before a sha256sum's answer) are dropped, as Console.sh does (system-helpers.js),
  // unless the command prints the kernel log itself.
  const dmesg = /dmesg/.test(cmd);
  const text = out.slice(0, end).replace(/\r/g, '');
  const lines = (dmesg ? text : text.replace(/\[\s*\d+\.\d+\] [^\n]*\n/g, '')).split('\n');
  const echoed = lines.findLastIndex((l) => l.includes(`${tag.slice(0, 3)}""`));
  const kernelLine = dmesg ? () => false : (l) => /^\[\s*\d+\.\d+\] /.test(l);
  return lines.slice(echoed + 1).filter((l) => !kernelLine(l)).join('\n').trim();
}

/** An HTTP server for disk images with Range support and CORS, logging every request. */
export async function rangeServer(files) {
  const log = [];
  const server = http.createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') { res.writeHead(204).end(); return; }
    const data = files[new URL(req.url, 'http://x').pathname.slice(1)];
    const entry = { method: req.method, url: req.url, range: req.headers.range, status: 0, bytes: 0 };
    log.push(entry);
    if (!data) { entry.status = 404; res.writeHead(404).end(); return; }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) {
      entry.status = 200; entry.bytes = data.length;
      res.writeHead(200, { 'Content-Length': data.length, 'Accept-Ranges': 'bytes' }).end(data);
      return;
    }
    const start = Number(m[1]), end = Math.min(Number(m[2]), data.length - 1);
    if (start > end) { entry.status = 416; res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end(); return; }
    entry.status = 206; entry.bytes = end - start + 1;
    res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${data.length}`, 'Content-Length': end - start + 1 }).end(data.subarray(start, end + 1));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, log, close: () => server.close() };
}
