// The tsqemu page: an xterm.js console on a machine started through the embedding API, the
// command line (also in the URL: ?args=...), the VM controls and a status bar. The machine is
// window.tsqemu (the API object); window.tsqemuPage.screenText() reads the terminal's screen.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { type TsqemuMachine, discardDiskChanges, startMachine } from './api.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const term = new Terminal({ convertEol: false, scrollback: 5000, fontSize: 14, cursorBlink: true, allowProposedApi: false });
const fit = new FitAddon();
term.loadAddon(fit);
term.open($('terminal'));
fit.fit();

const files = new Map<string, File>();
let machine: TsqemuMachine | undefined;
let statsTimer: ReturnType<typeof setInterval> | undefined;
let last = { t: 0, insns: 0 };

declare global {
  interface Window {
    tsqemu?: TsqemuMachine;
    tsqemuPage: { screenText(): string; term: Terminal; boot(args: string): void };
  }
}

function screenText(): string {
  const b = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
  return lines.join('\n').replace(/\n+$/, '');
}

function setState(cls: string, text: string): void {
  const s = $('state');
  s.className = cls;
  s.textContent = text;
  $('pause').textContent = cls === 'paused' ? 'Resume' : 'Pause';
}

function mb(n: number): string { return (n / 1048576).toFixed(1); }

function boot(args: string): void {
  machine?.terminate();
  if (statsTimer) clearInterval(statsTimer);
  term.reset();
  const url = new URL(location.href);
  if (args.trim()) url.searchParams.set('args', args); else url.searchParams.delete('args');
  history.replaceState(null, '', url);
  $<HTMLInputElement>('args').value = args;
  setState('loading', 'loading');
  $('progress').textContent = '';
  const m = (window.tsqemu = machine = startMachine({ args, files: [...files.values()] }));
  m.on('output', (e) => { if (e.type === 'output') term.write(e.data); });
  m.on('state', (e) => { if (e.type === 'state') setState(e.running ? 'running' : 'paused', e.running ? 'running' : 'paused'); });
  m.on('progress', (e) => {
    if (e.type !== 'progress') return;
    $('progress').textContent = e.loaded >= e.total && e.total ? '' : `loading ${e.what} ${mb(e.loaded)}${e.total ? `/${mb(e.total)}` : ''} MiB`;
  });
  m.on('error', (e) => { if (e.type === 'error') term.write(`\r\n\x1b[31m${e.message.replace(/\n/g, '\r\n')}\x1b[0m\r\n`); });
  m.on('exit', (e) => {
    if (e.type !== 'exit') return;
    setState('off', `powered off (exit ${e.code})`);
    if (statsTimer) clearInterval(statsTimer);
  });
  last = { t: performance.now(), insns: 0 };
  statsTimer = setInterval(() => void updateStats(m), 1000);
  term.focus();
}

async function updateStats(m: TsqemuMachine): Promise<void> {
  if (m !== machine) return;
  const s = await m.stats().catch(() => undefined);
  if (!s) return;
  const now = performance.now();
  const mips = (s.instructions - last.insns) / ((now - last.t) * 1000);
  last = { t: now, insns: s.instructions };
  $('mips').textContent = `${mips.toFixed(0)} MIPS`;
  $('jit').textContent = s.instructions ? `${((s.translated / s.instructions) * 100).toFixed(1)}% translated` : '';
  $('net').textContent = s.httpRequests ? `http: ${s.httpRequests} req, ${mb(s.httpBytes)} MiB` : '';
}

term.onData((d) => machine?.write(d));
term.onBinary((d) => machine?.write(Uint8Array.from(d, (c) => c.charCodeAt(0) & 255)));
// Copy and paste: Ctrl+Shift+C / Ctrl+Shift+V (plain Ctrl+C goes to the guest); the browser's
// own paste (menu, middle click) reaches xterm's textarea too.
term.attachCustomKeyEventHandler((ev) => {
  if (ev.type !== 'keydown' || !ev.ctrlKey || !ev.shiftKey) return true;
  if (ev.code === 'KeyC') { void navigator.clipboard.writeText(term.getSelection()); return false; }
  if (ev.code === 'KeyV') { void navigator.clipboard.readText().then((t) => term.paste(t)); return false; }
  return true;
});
const showSize = () => { $('size').textContent = `${term.cols}x${term.rows} (guest: run \`resize\`)`; };
term.onResize(showSize);
new ResizeObserver(() => fit.fit()).observe($('terminal'));
showSize();

$('cmdline').addEventListener('submit', (e) => { e.preventDefault(); boot($<HTMLInputElement>('args').value); });
$('pause').addEventListener('click', () => { if (machine?.running) machine.pause(); else machine?.resume(); term.focus(); });
$('reset').addEventListener('click', () => { machine?.reset(); term.focus(); });
$('poweroff').addEventListener('click', () => machine?.powerOff());
$('download').addEventListener('click', () => {
  void machine?.exportDisk().then((bytes) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    a.download = 'disk.qcow2';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, (e: Error) => term.write(`\r\n\x1b[31mdownload disk: ${e.message}\x1b[0m\r\n`));
});
$('discard').addEventListener('click', () => {
  if (!confirm('Delete the disk changes kept in this browser? The machine is powered off first.')) return;
  machine?.powerOff();
  void (machine?.exited ?? Promise.resolve(0)).then(async () => {
    // A fresh worker removes them (the old one held the files open).
    machine?.terminate();
    const n = await discardDiskChanges().catch((e: Error) => { term.write(`\r\n${e.message}`); return 0; });
    term.write(`\r\n[${n} overlay(s) deleted; press Boot to start again]\r\n`);
  });
});

function addFiles(list: FileList | null): void {
  for (const f of list ?? []) files.set(f.name, f);
  $('localfiles').textContent = files.size ? `files: ${[...files.keys()].map((n) => `local:${n}`).join(' ')} (press Boot)` : '';
}
$<HTMLInputElement>('files').addEventListener('change', (e) => addFiles((e.target as HTMLInputElement).files));
document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) document.body.classList.remove('dragging'); });
document.addEventListener('drop', (e) => { e.preventDefault(); document.body.classList.remove('dragging'); addFiles(e.dataTransfer?.files ?? null); });

window.tsqemuPage = { screenText, term, boot };
// Offline after the first load (web/sw.js keeps what the page fetched).
if ('serviceWorker' in navigator) void navigator.serviceWorker.register('sw.js').catch(() => {});
boot(new URL(location.href).searchParams.get('args') ?? '');
