// The io_uring engine (QEMU's util/fdmon-io_uring.c + block/io_uring.c, one ring per
// AioContext) over the optional native addon in native/. Requests queued during one turn of the
// JS loop (one virtqueue notification, one bench batch) go to the kernel with one io_uring_enter;
// the ring's eventfd is watched by libuv, and completions come back in bulk, one JS call per
// batch. Without the addon (not built, or io_uring disabled by the kernel) `loadIoUring()`
// returns null with the reason, and callers use the thread pool.
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Addon {
  probe(): boolean;
  createRing(entries: number, onComplete: (n: number) => void, completions: Float64Array): object;
  registerBuffers(ring: object, bufs: Uint8Array[]): void;
  submit(ring: object, reqs: Float64Array, count: number, bufs: Uint8Array[]): number;
  close(ring: object): void;
}

export const enum UringOp {
  NOP = 0, READ = 1, WRITE = 2, READ_FIXED = 3, WRITE_FIXED = 4,
  FSYNC = 5, FDATASYNC = 6, FALLOCATE = 7, POLL_ADD = 8, POLL_REMOVE = 9,
}

/** fallocate(2) modes used for discard and write-zeroes. */
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_ZERO_RANGE = 0x10;

const REQ_SLOTS = 8;

export interface UringRequest {
  op: UringOp;
  fd: number;
  /** Data buffer (READ/WRITE) or a view inside a registered buffer (the _FIXED ops). */
  buf?: Uint8Array;
  fileOffset?: number;
  /** FALLOCATE: byte count; ignored otherwise (buf.length is used). */
  length?: number;
  /** FALLOCATE mode or POLL_ADD event mask. */
  flags?: number;
}

let cached: { addon: Addon | null; reason: string } | undefined;

/** Load the addon once; null with a reason when io_uring cannot be used here. */
export function loadIoUring(): { addon: Addon | null; reason: string } {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  const path = join(here, '../../../native/build/Release/tsqemu_uring.node');
  try {
    const addon = createRequire(import.meta.url)(path) as Addon;
    cached = addon.probe() ? { addon, reason: '' } : { addon: null, reason: 'io_uring is not available in this kernel (or disabled)' };
  } catch {
    cached = { addon: null, reason: 'the io_uring addon is not built (needs liburing-dev and a C compiler at npm install)' };
  }
  return cached;
}

interface Fixed { buf: Uint8Array; index: number }

/** One ring. submit() returns a promise of the result (bytes or -errno, like the syscall). */
export class IoUringContext {
  private readonly ring: object;
  private readonly completions: Float64Array;
  private readonly reqs: Float64Array;
  private queued: UringRequest[] = [];
  private readonly pending = new Map<number, (res: number) => void>();
  private nextId = 1;
  private flushScheduled = false;
  private fixed: Fixed[] = [];
  private closed = false;
  /** io_uring_enter calls made (for tests and bench: batching is observable). */
  enterCount = 0;

  constructor(private readonly addon: Addon, readonly entries = 256) {
    this.completions = new Float64Array(entries * 4 * 2);
    this.reqs = new Float64Array(entries * 4 * REQ_SLOTS);
    this.ring = addon.createRing(entries, (n) => this.complete(n), this.completions);
  }

  /** Register buffers (guest RAM, bounce buffers) for READ_FIXED/WRITE_FIXED: zero-copy I/O. */
  registerBuffers(bufs: Uint8Array[]): void {
    this.addon.registerBuffers(this.ring, bufs);
    this.fixed = bufs.map((buf, index) => ({ buf, index }));
  }

  /** Index and offset of `view` within a registered buffer, or undefined. */
  private locateFixed(view: Uint8Array): [number, number] | undefined {
    for (const f of this.fixed) {
      if (f.buf.buffer !== view.buffer) continue;
      const off = view.byteOffset - f.buf.byteOffset;
      if (off >= 0 && off + view.length <= f.buf.length) return [f.index, off];
    }
    return undefined;
  }

  /** Queue a request; all requests queued in this turn of the loop go in with one submit. */
  submit(req: UringRequest): Promise<number> {
    if (this.closed) return Promise.reject(new Error('io_uring context closed'));
    this.queued.push(req);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    return new Promise((resolve) => this.pending.set(this.nextId++, resolve)).then((r) => r as number);
  }

  /** io_uring_enter for everything queued (normally automatic at the end of the JS turn). */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0 || this.closed) return;
    const firstId = this.nextId - batch.length;
    const bufs: Uint8Array[] = [];
    let reqs = this.reqs;
    if (batch.length * REQ_SLOTS > reqs.length) reqs = new Float64Array(batch.length * REQ_SLOTS);
    batch.forEach((r, i) => this.encode(reqs, i, r, firstId + i, bufs));
    this.addon.submit(this.ring, reqs, batch.length, bufs);
    this.enterCount++;
  }

  private encode(q: Float64Array, i: number, r: UringRequest, id: number, bufs: Uint8Array[]): void {
    const o = i * REQ_SLOTS;
    let op = r.op;
    let bufIndex = -1;
    let bufOff = 0;
    let len = r.length ?? 0;
    if (r.buf && (op === UringOp.READ || op === UringOp.WRITE || op === UringOp.READ_FIXED || op === UringOp.WRITE_FIXED)) {
      len = r.buf.length;
      const fx = this.locateFixed(r.buf);
      if (fx) {
        [bufIndex, bufOff] = fx;
        op = op === UringOp.READ || op === UringOp.READ_FIXED ? UringOp.READ_FIXED : UringOp.WRITE_FIXED;
      } else {
        op = op === UringOp.READ || op === UringOp.READ_FIXED ? UringOp.READ : UringOp.WRITE;
        bufIndex = bufs.length;
        bufs.push(r.buf);
      }
    }
    q[o] = op; q[o + 1] = r.fd; q[o + 2] = bufIndex; q[o + 3] = bufOff;
    q[o + 4] = len; q[o + 5] = r.fileOffset ?? 0; q[o + 6] = id; q[o + 7] = r.flags ?? 0;
  }

  private complete(n: number): void {
    const c = this.completions;
    for (let i = 0; i < n; i++) {
      const id = c[i * 2];
      const cb = this.pending.get(id);
      if (cb) {
        this.pending.delete(id);
        cb(c[i * 2 + 1]);
      }
    }
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.close(this.ring);
    for (const cb of this.pending.values()) cb(-125); // -ECANCELED
    this.pending.clear();
  }
}
