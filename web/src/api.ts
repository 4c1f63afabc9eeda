// The embedding API: `import { startMachine } from 'tsqemu/web'`. A machine runs in its own
// Web Worker (web/dist/worker.js); this object is its handle on the page: console streams,
// state events, pause/resume/reset/power-off, monitor commands, disk export.
import type { FromWorker, MachineStats, ToWorker } from '../../src/host/browser/protocol.js';

export type { MachineStats };

export interface MachineOptions {
  /** QEMU's options, as an array or one string (split like a shell: quotes, backslashes). */
  args?: string | string[];
  /** Where images/ and pc-bios/ live (default: next to this script). */
  assetBase?: string | URL;
  /** The worker script (default: worker.js next to this script). */
  workerUrl?: string | URL;
  /** Local files, opened on the command line as local:NAME (NAME = the file's name). */
  files?: File[];
  /** Console text kept for consoleText(), in characters (default 1 MiB; older text is dropped). */
  keepText?: number;
}

export type MachineEvent =
  | { type: 'output'; data: Uint8Array }
  | { type: 'state'; running: boolean }
  | { type: 'progress'; what: string; loaded: number; total: number }
  | { type: 'log'; text: string }
  | { type: 'error'; message: string }
  | { type: 'started' }
  | { type: 'exit'; code: number };

export interface TsqemuMachine {
  /** Everything the guest's console printed (bounded by keepText). */
  consoleText(): string;
  /** Type into the guest's console (the serial port; with the mux, Ctrl-A escapes work). */
  write(data: string | Uint8Array): void;
  /** Listen to one kind of event ('*' for all); returns the unsubscribe function. */
  on(type: MachineEvent['type'] | '*', fn: (e: MachineEvent) => void): () => void;
  pause(): void;
  resume(): void;
  reset(): void;
  powerOff(): void;
  readonly running: boolean;
  /** Instructions retired, translated share, HTTP traffic. */
  stats(): Promise<MachineStats>;
  /** Run an HMP monitor command (info status, stop, cont, system_reset, info jit ...). */
  hmp(command: string): Promise<string>;
  /** The drive's image with the guest's writes merged, as qcow2 bytes (default: the first drive). */
  exportDisk(drive?: string): Promise<Uint8Array>;
  /** Delete the guest-write overlays kept in the Origin Private File System. */
  discardOverlays(): Promise<number>;
  /** Resolves when the board is built and the harts start (rejects on a bad command line). */
  readonly started: Promise<void>;
  /** Resolves with the exit code when the machine ends (power-off, quit, error). */
  readonly exited: Promise<number>;
  /** Stop the worker at once. */
  terminate(): void;
}

/** Split a command line as a POSIX shell would (quotes and backslashes; no expansions). */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '', has = false, q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") { q = c; has = true; }
    else if (c === '\\' && i + 1 < line.length) { cur += line[++i]; has = true; }
    else if (/\s/.test(c)) { if (has || cur) out.push(cur); cur = ''; has = false; }
    else cur += c;
  }
  if (q) throw new Error('unterminated quote in the command line');
  if (has || cur) out.push(cur);
  return out;
}

export function startMachine(opts: MachineOptions = {}): TsqemuMachine {
  const here = import.meta.url;
  const worker = new Worker(opts.workerUrl ?? new URL('./worker.js', here), { type: 'module', name: 'tsqemu' });
  const argv = typeof opts.args === 'string' ? splitArgs(opts.args) : [...(opts.args ?? [])];
  const keep = opts.keepText ?? 1 << 20;
  const listeners = new Set<{ type: string; fn: (e: MachineEvent) => void }>();
  const replies = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const decoder = new TextDecoder();
  let text = '';
  let running = false;
  let nextId = 1;
  let startedResolve!: () => void, startedReject!: (e: Error) => void, exitedResolve!: (c: number) => void;
  const started = new Promise<void>((res, rej) => { startedResolve = res; startedReject = rej; });
  const exited = new Promise<number>((res) => { exitedResolve = res; });
  started.catch(() => {});
  const emit = (e: MachineEvent) => { for (const l of listeners) if (l.type === '*' || l.type === e.type) l.fn(e); };
  const post = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
  const request = <T>(m: ToWorker & { id: number }): Promise<T> => new Promise<T>((resolve, reject) => {
    replies.set(m.id, { resolve: resolve as (v: unknown) => void, reject });
    post(m);
  });

  worker.onmessage = (ev: MessageEvent<FromWorker>) => {
    const m = ev.data;
    switch (m.type) {
      case 'output':
        text += decoder.decode(m.data, { stream: true });
        if (text.length > keep * 1.25) text = text.slice(text.length - keep);
        break;
      case 'state': running = m.running; break;
      case 'started': startedResolve(); break;
      case 'error': startedReject(new Error(m.message)); break;
      case 'log': console.warn(m.text.trimEnd()); break;
      case 'exit': running = false; exitedResolve(m.code); break;
      case 'reply': {
        const r = replies.get(m.id);
        replies.delete(m.id);
        if (m.error !== undefined) r?.reject(new Error(m.error)); else r?.resolve(m.value);
        return;
      }
    }
    emit(m);
  };
  worker.onerror = (e) => {
    const message = `tsqemu-system-riscv64: worker error: ${e.message}`;
    startedReject(new Error(message));
    emit({ type: 'error', message });
    exitedResolve(1);
  };
  const assetBase = new URL(opts.assetBase ?? new URL('./', here), location.href).href;
  post({ type: 'start', opts: { argv, assetBase, pageUrl: location.href, files: (opts.files ?? []).map((f) => ({ name: f.name, blob: f })) } });

  return {
    consoleText: () => text,
    write(data) {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data.slice();
      post({ type: 'input', data: bytes }, [bytes.buffer]);
    },
    on(type, fn) {
      const l = { type, fn };
      listeners.add(l);
      return () => listeners.delete(l);
    },
    pause: () => post({ type: 'pause' }),
    resume: () => post({ type: 'resume' }),
    reset: () => post({ type: 'reset' }),
    powerOff: () => post({ type: 'powerOff' }),
    get running() { return running; },
    stats: () => request<MachineStats>({ type: 'stats', id: nextId++ }),
    hmp: (command) => request<string>({ type: 'hmp', id: nextId++, command }),
    exportDisk: (drive = '') => request<Uint8Array>({ type: 'exportDisk', id: nextId++, drive }),
    discardOverlays: () => request<number>({ type: 'discardOverlays', id: nextId++ }),
    started,
    exited,
    terminate() { worker.terminate(); running = false; exitedResolve(1); },
  };
}

/** Delete the guest-write overlays this origin keeps in OPFS (no machine may have them open). */
export async function discardDiskChanges(workerUrl: string | URL = new URL('./worker.js', import.meta.url)): Promise<number> {
  const worker = new Worker(workerUrl, { type: 'module', name: 'tsqemu-discard' });
  try {
    return await new Promise<number>((resolve, reject) => {
      worker.onmessage = (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        if (m.type !== 'reply') return;
        if (m.error !== undefined) reject(new Error(m.error)); else resolve(m.value as number);
      };
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ type: 'discardOverlays', id: 1 } satisfies ToWorker);
    });
  } finally {
    worker.terminate();
  }
}
