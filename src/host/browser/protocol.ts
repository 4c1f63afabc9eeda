// Messages between the page (the embedding API, web/src/api.ts) and the machine's Web Worker
// (src/host/browser/system.ts). Plain data only: they cross postMessage.

export interface StartOptions {
  /** QEMU's command line, without the program name. */
  argv: string[];
  /** Where images/ and pc-bios/ are served (the default guest, the default firmware). */
  assetBase: string;
  /** Relative image URLs on the command line resolve against this (the page's URL). */
  pageUrl: string;
  /** Local files (picker / drag-and-drop), opened as local:NAME. */
  files?: Array<{ name: string; blob: Blob }>;
}

export type ToWorker =
  | { type: 'start'; opts: StartOptions }
  | { type: 'input'; data: Uint8Array }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'powerOff' }
  | { type: 'stats'; id: number }
  | { type: 'exportDisk'; id: number; drive: string }
  | { type: 'discardOverlays'; id: number }
  /** An HMP monitor command (the monitor's command table; QMP is not there yet). */
  | { type: 'hmp'; id: number; command: string };

export interface MachineStats {
  running: boolean;
  /** Guest instructions retired (all harts). */
  instructions: number;
  /** Of which run as translated blocks. */
  translated: number;
  /** HTTP Range requests and bytes fetched, block cache hits. */
  httpRequests: number;
  httpBytes: number;
  cacheHits: number;
  /** Milliseconds since the machine started. */
  uptimeMs: number;
}

export type FromWorker =
  | { type: 'output'; data: Uint8Array }
  | { type: 'log'; text: string }
  | { type: 'progress'; what: string; loaded: number; total: number }
  | { type: 'started' }
  | { type: 'state'; running: boolean }
  | { type: 'error'; message: string }
  | { type: 'exit'; code: number }
  | { type: 'reply'; id: number; value?: unknown; error?: string };
