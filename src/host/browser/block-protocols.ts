// Block protocols of the browser host (the node host has file-posix.ts): HTTP(S) with Range
// requests and a block cache, the Origin Private File System (OPFS, through a worker's
// synchronous access handle), local files the user picked (Blobs) and memory. One 'file'
// driver routes by the filename's prefix, so `-drive file=https://...`, backing files recorded
// as URLs and `opfs:NAME` all open through the generic block layer.
import { QemuError } from '../../qemu/error.js';
import { type BdrvOpenContext, type BdrvOpenFlags, type BlockDriver, BlockDriverState, type PreallocMode } from '../../block/block_int.js';

/** Cache granule of HTTP disks: one Range request fetches whole chunks. */
const CHUNK = 64 * 1024;
/** Chunks kept per HTTP disk (LRU): 64 MiB. */
const CACHE_CHUNKS = 1024;
/** Longest single Range request (bytes): a big guest read becomes several. */
const MAX_FETCH = 4 * 1024 * 1024;

/** What the host observes of protocol traffic (the page shows it; tests read it). */
export const protocolStats = { httpRequests: 0, httpBytes: 0, cacheHits: 0 };

/** A Range request that bypasses the HTTP cache (the block cache is ours). */
function rangeInit(range: string): RequestInit {
  const init: { headers: Record<string, string>; cache: string } = { headers: { Range: range }, cache: 'no-store' };
  return init as RequestInit;
}

function readOnlyError(name: string): never {
  const e = new QemuError(`${name} is read-only`) as QemuError & { code: string };
  e.code = 'EROFS';
  throw e;
}

/** An HTTP(S) URL read with Range requests, only the chunks the guest reads (QEMU's block/curl.c). */
class HttpBlockState extends BlockDriverState {
  private readonly cache = new Map<number, Uint8Array>();
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  /** End of the previous read, and the readahead window (chunks) it earned. */
  private lastEnd = -1;
  private readahead = 0;

  constructor(drv: BlockDriver, flags: BdrvOpenFlags, readonly url: string, private readonly length: number) {
    super(drv, { ...flags, readOnly: true });
    this.filename = url;
  }

  getLength(): number { return this.length; }

  static async open(drv: BlockDriver, url: string, flags: BdrvOpenFlags): Promise<HttpBlockState> {
    let r: Response;
    try {
      r = await fetch(url, rangeInit('bytes=0-0'));
    } catch (e) {
      throw new QemuError(`Could not open '${url}': ${(e as Error).message}`);
    }
    protocolStats.httpRequests++;
    if (r.status === 404) throw new QemuError(`Could not open '${url}': No such file or directory`);
    if (r.status !== 206) {
      await r.body?.cancel();
      throw new QemuError(`Could not open '${url}': the server does not support byte ranges (HTTP ${r.status})`);
    }
    await r.arrayBuffer();
    const m = /\/(\d+)\s*$/.exec(r.headers.get('Content-Range') ?? '');
    if (!m) throw new QemuError(`Could not open '${url}': no Content-Range size (is it exposed to CORS?)`);
    const size = Number(m[1]);
    if (!Number.isSafeInteger(size)) throw new QemuError(`Could not open '${url}': image size ${m[1]} out of range`);
    return new HttpBlockState(drv, flags, url, size);
  }

  async preadv(offset: number, buf: Uint8Array): Promise<void> {
    const end = offset + buf.length;
    const first = Math.floor(offset / CHUNK), last = Math.floor((end - 1) / CHUNK);
    // Missing chunks are fetched as contiguous runs, one Range request each.
    const waits: Array<Promise<unknown>> = [];
    let runStart = -1;
    const flush = (upTo: number) => {
      if (runStart < 0) return;
      for (let s = runStart; s < upTo; s += MAX_FETCH / CHUNK) waits.push(this.fetchRun(s, Math.min(upTo, s + MAX_FETCH / CHUNK)));
      runStart = -1;
    };
    for (let c = first; c <= last; c++) {
      if (this.cache.has(c)) { protocolStats.cacheHits++; flush(c); continue; }
      const p = this.inflight.get(c);
      if (p) { flush(c); waits.push(p); continue; }
      if (runStart < 0) runStart = c;
    }
    // Readahead (QEMU's curl has a fixed one): a read near where the last one ended grows the
    // window to MAX_FETCH, so a sequential reader does not pay one round trip per 64 KiB.
    const sequential = Math.abs(offset - this.lastEnd) <= 1024 * 1024;
    this.readahead = sequential ? Math.min(Math.max(1, this.readahead * 2), MAX_FETCH / CHUNK) : 0;
    this.lastEnd = end;
    if (runStart >= 0 && this.readahead > 0) {
      const nChunks = Math.ceil(this.length / CHUNK);
      let stop = last + 1;
      while (stop < nChunks && stop < last + 1 + this.readahead && !this.cache.has(stop) && !this.inflight.has(stop)) stop++;
      flush(stop);
    } else {
      flush(last + 1);
    }
    if (waits.length) await Promise.all(waits);
    for (let c = first; c <= last; c++) {
      const data = this.cache.get(c);
      if (!data) throw new QemuError(`${this.url}: chunk ${c} missing after fetch`);
      // Refresh LRU position.
      this.cache.delete(c);
      this.cache.set(c, data);
      const cStart = c * CHUNK;
      const from = Math.max(offset, cStart), to = Math.min(end, cStart + data.length);
      if (to > from) buf.set(data.subarray(from - cStart, to - cStart), from - offset);
      if (cStart + data.length < to) buf.fill(0, cStart + data.length - offset, to - offset);
    }
  }

  /** Fetch chunks [a, b) in one request, publishing each in the cache. */
  private fetchRun(a: number, b: number): Promise<unknown> {
    const start = a * CHUNK, end = Math.min(b * CHUNK, this.length);
    const all = (async () => {
      const r = await fetch(this.url, rangeInit(`bytes=${start}-${end - 1}`));
      protocolStats.httpRequests++;
      if (r.status !== 206) {
        await r.body?.cancel();
        const e = new QemuError(`${this.url}: HTTP ${r.status} for a range request`) as QemuError & { code: string };
        e.code = 'EIO';
        throw e;
      }
      const data = new Uint8Array(await r.arrayBuffer());
      protocolStats.httpBytes += data.length;
      if (data.length !== end - start) throw Object.assign(new QemuError(`${this.url}: short range response`), { code: 'EIO' });
      return data;
    })();
    const parts: Array<Promise<Uint8Array>> = [];
    for (let c = a; c < b; c++) {
      const p = all.then((data) => {
        const chunk = data.slice((c - a) * CHUNK, Math.min((c - a + 1) * CHUNK, data.length));
        this.cache.set(c, chunk);
        while (this.cache.size > CACHE_CHUNKS) this.cache.delete(this.cache.keys().next().value as number);
        return chunk;
      }).finally(() => this.inflight.delete(c));
      this.inflight.set(c, p);
      parts.push(p);
    }
    return Promise.all(parts);
  }

  pwritev(): Promise<void> { readOnlyError(this.url); }
  async flush(): Promise<void> { /* nothing buffered */ }
  async close(): Promise<void> { this.cache.clear(); }
}

/** The part of FileSystemSyncAccessHandle we use (dedicated workers only). */
interface SyncAccessHandle {
  read(buf: Uint8Array, opts: { at: number }): number;
  write(buf: Uint8Array, opts: { at: number }): number;
  getSize(): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}
interface OpfsFileHandle { createSyncAccessHandle(): Promise<SyncAccessHandle> }
interface OpfsDirectory {
  getFileHandle(name: string, o?: { create?: boolean }): Promise<OpfsFileHandle>;
  removeEntry(name: string): Promise<void>;
}

export async function opfsRoot(): Promise<OpfsDirectory> {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<unknown> } } }).navigator?.storage;
  if (!storage?.getDirectory) throw new QemuError('the Origin Private File System is not available in this browser');
  return (await storage.getDirectory()) as OpfsDirectory;
}

export async function opfsExists(name: string): Promise<boolean> {
  try { await (await opfsRoot()).getFileHandle(name); return true; } catch { return false; }
}

/** A file in the Origin Private File System (`opfs:NAME`): survives a reload of the page. */
class OpfsBlockState extends BlockDriverState {
  constructor(drv: BlockDriver, flags: BdrvOpenFlags, private readonly h: SyncAccessHandle, name: string) {
    super(drv, flags);
    this.filename = `opfs:${name}`;
  }

  static async open(drv: BlockDriver, name: string, flags: BdrvOpenFlags, create: boolean): Promise<OpfsBlockState> {
    const root = await opfsRoot();
    let fh: OpfsFileHandle;
    try {
      fh = await root.getFileHandle(name, { create });
    } catch {
      throw new QemuError(`Could not open 'opfs:${name}': No such file or directory`);
    }
    // The previous page's worker may still hold the file for a moment after a reload.
    for (let attempt = 0; ; attempt++) {
      try {
        return new OpfsBlockState(drv, flags, await fh.createSyncAccessHandle(), name);
      } catch (e) {
        if (attempt >= 30) throw new QemuError(`Could not open 'opfs:${name}': ${(e as Error).message} (is it open in another tab?)`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  getLength(): number { return this.h.getSize(); }
  async preadv(offset: number, buf: Uint8Array): Promise<void> {
    const n = this.h.read(buf, { at: offset });
    if (n < buf.length) buf.fill(0, n);
  }
  async pwritev(offset: number, buf: Uint8Array): Promise<void> {
    if (this.readOnly) readOnlyError(this.filename);
    let done = 0;
    while (done < buf.length) done += this.h.write(buf.subarray(done), { at: offset + done });
  }
  async flush(): Promise<void> { if (!this.readOnly) this.h.flush(); }
  override async truncate(size: number): Promise<void> { this.h.truncate(size); }
  override async getAllocatedFileSize(): Promise<number> { return this.h.getSize(); }
  async close(): Promise<void> { this.h.flush(); this.h.close(); }
}

/** Growable bytes in memory (`mem:NAME`: temporary overlays, snapshot=on). */
class MemBlockState extends BlockDriverState {
  constructor(drv: BlockDriver, flags: BdrvOpenFlags, private bytes: Uint8Array, private length: number, name: string) {
    super(drv, flags);
    this.filename = `mem:${name}`;
  }
  getLength(): number { return this.length; }
  contents(): Uint8Array { return this.bytes.slice(0, this.length); }
  async preadv(offset: number, buf: Uint8Array): Promise<void> {
    const avail = Math.max(0, Math.min(buf.length, this.length - offset));
    buf.set(this.bytes.subarray(offset, offset + avail));
    buf.fill(0, avail);
  }
  async pwritev(offset: number, buf: Uint8Array): Promise<void> {
    if (this.readOnly) readOnlyError(this.filename);
    const end = offset + buf.length;
    if (end > this.bytes.length) this.grow(end);
    this.bytes.set(buf, offset);
    if (end > this.length) this.length = end;
  }
  private grow(min: number): void {
    const n = new Uint8Array(Math.max(min, this.bytes.length * 2, 1 << 20));
    n.set(this.bytes.subarray(0, this.length));
    this.bytes = n;
  }
  async flush(): Promise<void> { /* memory */ }
  override async truncate(size: number): Promise<void> {
    if (size > this.bytes.length) this.grow(size);
    if (size < this.length) this.bytes.fill(0, size, this.length);
    this.length = size;
  }
  async close(): Promise<void> { /* kept until dropped: a created image is reopened by name */ }
}
const memFiles = new Map<string, MemBlockState>();

/** A local file the user picked or dropped (`local:NAME`), read in slices. */
class BlobBlockState extends BlockDriverState {
  constructor(drv: BlockDriver, flags: BdrvOpenFlags, private readonly blob: Blob, name: string) {
    super(drv, { ...flags, readOnly: true });
    this.filename = `local:${name}`;
  }
  getLength(): number { return this.blob.size; }
  async preadv(offset: number, buf: Uint8Array): Promise<void> {
    const data = new Uint8Array(await this.blob.slice(offset, offset + buf.length).arrayBuffer());
    buf.set(data);
    buf.fill(0, data.length);
  }
  pwritev(): Promise<void> { readOnlyError(this.filename); }
  async flush(): Promise<void> { /* read-only */ }
  async close(): Promise<void> { /* the page owns the Blob */ }
}

/** Files handed over by the page (picker, drag-and-drop), by name. */
export const localFiles = new Map<string, Blob>();

/** Whether a filename names read-only storage (its writes need an overlay). */
export function isReadOnlyProtocol(filename: string): boolean {
  return /^https?:\/\//i.test(filename) || filename.startsWith('local:');
}

async function openByName(drv: BlockDriver, filename: string, flags: BdrvOpenFlags): Promise<BlockDriverState> {
  if (/^https?:\/\//i.test(filename)) return HttpBlockState.open(drv, filename, flags);
  if (filename.startsWith('opfs:')) return OpfsBlockState.open(drv, filename.slice(5), flags, false);
  if (filename.startsWith('local:')) {
    const blob = localFiles.get(filename.slice(6));
    if (!blob) throw new QemuError(`Could not open '${filename}': No such file or directory`);
    return new BlobBlockState(drv, flags, blob, filename.slice(6));
  }
  if (filename.startsWith('mem:')) {
    const m = memFiles.get(filename.slice(4));
    if (!m) throw new QemuError(`Could not open '${filename}': No such file or directory`);
    return m;
  }
  throw new QemuError(`Could not open '${filename}': in the browser a file is an http(s):// URL, opfs:NAME, local:NAME or mem:NAME`);
}

export const bdrvBrowserFile: BlockDriver = {
  formatName: 'file',
  isProtocol: true,
  runtimeOptions: ['filename', 'locking'],
  open(ctx: BdrvOpenContext): Promise<BlockDriverState> {
    const filename = ctx.options.get('filename');
    if (filename === undefined || filename === '') throw new QemuError("Parameter 'filename' is required");
    return openByName(bdrvBrowserFile, filename, ctx.flags);
  },
};

/** QEMU's curl protocols by name (driver=https,url=...). */
export const bdrvHttp: BlockDriver[] = ['http', 'https'].map((name) => ({
  formatName: name,
  isProtocol: true,
  runtimeOptions: ['url', 'filename'],
  open(ctx: BdrvOpenContext): Promise<BlockDriverState> {
    const url = ctx.options.get('url') ?? ctx.options.get('filename');
    if (!url) throw new QemuError("Parameter 'url' is required");
    return HttpBlockState.open(bdrvBrowserFile, url, ctx.flags);
  },
}));

/** Create (truncate) storage for a new image: opfs:NAME or mem:NAME. */
export async function browserFileCreate(filename: string, _prealloc: PreallocMode, size: number, flags: BdrvOpenFlags): Promise<BlockDriverState> {
  const rw = { ...flags, readOnly: false };
  if (filename.startsWith('opfs:')) {
    const bs = await OpfsBlockState.open(bdrvBrowserFile, filename.slice(5), rw, true);
    await bs.truncate(size);
    return bs;
  }
  if (filename.startsWith('mem:')) {
    const name = filename.slice(4);
    const bs = new MemBlockState(bdrvBrowserFile, rw, new Uint8Array(Math.max(size, 1 << 16)), size, name);
    memFiles.set(name, bs);
    return bs;
  }
  throw new QemuError(`Could not create '${filename}': only opfs:NAME and mem:NAME can be created in the browser`);
}

/** The bytes of a mem:NAME file (a copy); `drop` forgets the file. */
export function memFileBytes(name: string, drop: boolean): Uint8Array {
  const m = memFiles.get(name);
  if (!m) throw new QemuError(`mem:${name}: No such file`);
  const out = m.contents();
  if (drop) memFiles.delete(name);
  return out;
}
