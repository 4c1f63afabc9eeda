// The page against Node: the default guest from start to its shell marker, in headless
// chromium (the page served by scripts/web-server.js, machine in a Web Worker) and in
// tsqemu-system-riscv64 on Node, interleaved, median of N; then the page's memory.
// Usage: node bench/web.js [runs=3]   (needs Debian's chromium; never downloads a browser)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TOP, median, fmt } from './lib.js';

const runs = Number(process.argv[2] ?? 3);
const CHROMIUM = process.env.TSQEMU_CHROMIUM ?? '/usr/bin/chromium';
const MARKER = 'tsqemu-guest: boot complete';
if (!fs.existsSync(CHROMIUM)) { console.error(`bench/web.js: ${CHROMIUM} not found (apt-get install chromium)`); process.exit(1); }
const { chromium } = await import('playwright-core');
const { serveWeb } = await import('../scripts/web-server.js');

function nodeBoot() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(path.join(TOP, 'bin/tsqemu-system-riscv64'), ['-M', 'virt', '-m', '256M', '-nographic'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes(MARKER)) { const s = (performance.now() - t0) / 1000; p.kill('SIGKILL'); resolve(s); }
    });
    p.on('close', () => reject(new Error('node run ended before the marker')));
  });
}

/** Resident memory (kB) of a process tree (here: this node's children, i.e. chromium), from /proc (Pss where readable: shared pages split). */
function treeMemKb(rootPid, selfOnly = false) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  let total = 0;
  const walk = (pid) => {
    try {
      const r = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      total += Number(/^Pss:\s+(\d+)/m.exec(r)?.[1] ?? 0);
    } catch { /* gone */ }
    if (!selfOnly) for (const k of kids.get(pid) ?? []) walk(k);
  };
  walk(rootPid);
  return total;
}

const server = await serveWeb({ port: 0, outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tsqemu-web-dist-')) });
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--enable-experimental-web-platform-features'] });
const page = [], node = [];
let mem;
try {
  for (let i = 0; i < runs; i++) {
    node.push(await nodeBoot());
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    const t0 = performance.now();
    await p.goto(base);
    await p.waitForFunction((m) => window.tsqemu?.consoleText().includes(m), MARKER, { timeout: 300_000, polling: 50 });
    page.push((performance.now() - t0) / 1000);
    if (i === runs - 1) {
      const ua = await p.evaluate(async () => (performance.measureUserAgentSpecificMemory ? (await performance.measureUserAgentSpecificMemory()).bytes : -1)).catch(() => -1);
      const heap = await p.evaluate(() => performance.memory?.usedJSHeapSize ?? -1);
      mem = { ua, heap, pssKb: treeMemKb(process.pid) - treeMemKb(process.pid, true) };
    }
    await ctx.close();
  }
} finally {
  await browser.close();
  server.close();
}
const load = os.loadavg()[0].toFixed(2);
console.log(`\nweb: boot to the shell marker, default guest (-m 256M), median of ${runs} (${new Date().toISOString().slice(0, 10)}, load ${load})`);
console.log(`  page (chromium ${browser.version()}, Web Worker)  ${fmt(median(page))} s   [${page.map((x) => fmt(x)).join(' ')}]`);
console.log(`  node (tsqemu-system-riscv64)        ${fmt(median(node))} s   [${node.map((x) => fmt(x)).join(' ')}]`);
console.log(`  ratio page/node                     ${fmt(median(page) / median(node))}x   (target: within 1.3x)`);
console.log(`  page memory: measureUserAgentSpecificMemory ${mem.ua < 0 ? 'n/a' : `${(mem.ua / 2 ** 20).toFixed(0)} MiB`}, ` +
  `JS heap of the page ${mem.heap < 0 ? 'n/a' : `${(mem.heap / 2 ** 20).toFixed(1)} MiB`}, chromium processes' Pss ${(mem.pssKb / 1024).toFixed(0)} MiB (guest RAM 256 MiB, touched pages only)`);
