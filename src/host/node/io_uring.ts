// The io_uring engine (QEMU's util/fdmon-io_uring.c + block/io_uring.c, one ring per
// AioContext) over the optional native addon in native/. Requests queued during one turn of the
// JS loop (one virtqueue notification, one bench batch) go to the kernel with one io_uring_enter;
// the ring's eventfd is watched by libuv, and completions come back in bulk, one JS call per
// batch. Without the addon (not built, or io_uring disabled by the kernel) `loadIoUring()`
// returns null with the reason, and callers use the thread pool.
import { createRequire } from 'node:module';
import { nativeAddonPath } from './dist-path.js';
import { addIoPoller } from '../../main-loop/io-inflight.js';

interface Addon {
  probe(): boolean;
  createRing(entries: number, onComplete: (n: number) => void, completions: Float64Array): object;
  registerBuffers(ring: object, bufs: Uint8Array[]): void;
  submit(ring: object, reqs: Float64Array, count: number, bufs: Uint8Array[]): number;
  close(ring: object): void;
  addrMod(buf: Uint8Array, m: number): number;
  setRef(ring: object, on: boolean): void;
  reap?(ring: object): void;
  preadNowait?(fd: number, buf: Uint8Array, offset: number): number;
}

export const enum UringOp {
  NOP = 0, READ = 1, WRITE = 2, READ_FIXED = 3, WRITE_FIXED = 4,
  FSYNC = 5, FDATASYNC = 6, FALLOCATE = 7, POLL_ADD = 8, POLL_REMOVE = 9,
}

/** READ/WRITE flag: hand the request straight to an io-wq worker (IOSQE_ASYNC), for buffered
 * writes, which the kernel punts there anyway after a failed non-blocking attempt. */
export const URING_RW_ASYNC = 1;

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
  const path = nativeAddonPath('tsqemu_uring');
  try {
    const addon = createRequire(import.meta.url)(path) as Addon;
    cached = addon.probe() ? { addon, reason: '' } : { addon: null, reason: 'io_uring is not available in this kernel (or disabled)' };
  } catch {
    cached = { addon: null, reason: 'the io_uring addon is not built (needs a C compiler and node headers at npm install)' };
  }
  return cached;
}

/** preadv2(RWF_NOWAIT) on the JS thread: bytes read, or -errno (-EAGAIN: not all in the page cache). */
export type PreadNowait = (fd: number, buf: Uint8Array, offset: number) => number;
let nowait: PreadNowait | null | undefined;

/** The addon's preadNowait whatever io_uring's own state (the thread-pool engine uses it), or null. */
export function loadPreadNowait(): PreadNowait | null {
  if (nowait !== undefined) return nowait;
  try {
    const addon = createRequire(import.meta.url)(nativeAddonPath('tsqemu_uring')) as Partial<Addon>;
    const f = addon.preadNowait;
    nowait = typeof f === 'function' ? f : null;
  } catch {
    nowait = null;
  }
  return nowait;
}

interface Fixed { buf: Uint8Array; index: number }

/** Completion callback: result in bytes, or -errno like the system call. */
export type UringCallback = (res: number) => void;

const ECANCELED = 125;

/**
 * One ring. submitCb() is the allocation-free hot path (callback per request, records reused);
 * submit() wraps it in a promise. Requests queued in one turn of the JS loop are flushed
 * together from setImmediate (after every promise chain of that turn has reached the ring), or
 * at once when a batch fills the submission queue.
 */
export class IoUringContext {
  private readonly ring: object;
  private readonly completions: Float64Array;
  private reqs: Float64Array;
  private bufs: Uint8Array[] = [];
  private count = 0;
  private readonly cbs: (UringCallback | null)[] = [null];
  private readonly freeIds: number[] = [];
  private inflightCount = 0;
  private flushScheduled = false;
  private fixed: Fixed[] = [];
  private closed = false;
  private readonly flushNow = (): void => this.flush();
  /** io_uring_enter calls made (for tests and bench: batching is observable). */
  enterCount = 0;
  /** Requests submitted, for the batching statistics. */
  submitted = 0;
  /** READ/WRITE requests that went in as READ_FIXED/WRITE_FIXED (registered buffers). */
  fixedSubmitted = 0;

  constructor(private readonly addon: Addon, readonly entries = 256) {
    this.completions = new Float64Array(entries * 4 * 2);
    this.reqs = new Float64Array(entries * REQ_SLOTS);
    this.ring = addon.createRing(entries, (n) => this.complete(n), this.completions);
  }

  /** Register buffers (guest RAM, bounce buffers) for READ_FIXED/WRITE_FIXED: zero-copy I/O. */
  registerBuffers(bufs: Uint8Array[]): void {
    this.addon.registerBuffers(this.ring, bufs);
    this.fixed = bufs.map((buf, index) => ({ buf, index }));
  }

  /** Add one buffer to the registered set (re-registers the union); false if the kernel refuses. */
  addFixedBuffer(buf: Uint8Array): boolean {
    if (this.fixed.some((f) => f.buf === buf)) return true;
    try {
      this.registerBuffers([...this.fixed.map((f) => f.buf), buf]);
      return true;
    } catch {
      return false;
    }
  }

  /** (address of view) % m, for O_DIRECT alignment checks. */
  addrMod(view: Uint8Array, m: number): number {
    return this.addon.addrMod(view, m);
  }

  /** Index and offset of `view` within a registered buffer, or -1 (offset in fixedOff). */
  private fixedOff = 0;
  private locateFixed(view: Uint8Array): number {
    const fx = this.fixed;
    for (let i = 0; i < fx.length; i++) {
      const f = fx[i];
      if (f.buf.buffer !== view.buffer) continue;
      const off = view.byteOffset - f.buf.byteOffset;
      if (off >= 0 && off + view.length <= f.buf.length) { this.fixedOff = off; return f.index; }
    }
    return -1;
  }

  /**
   * Queue one request; `cb` gets the result on the JS loop. buf: data (READ/WRITE: _FIXED is
   * chosen automatically inside a registered buffer). length: FALLOCATE byte count.
   * flags: FALLOCATE mode, POLL_ADD mask, or URING_RW_ASYNC. Returns the request id (POLL_REMOVE's target).
   */
  submitCb(op: UringOp, fd: number, buf: Uint8Array | null, fileOffset: number, length: number, flags: number, cb: UringCallback): number {
    if (this.closed) { queueMicrotask(() => cb(-ECANCELED)); return 0; }
    const id = this.freeIds.length ? this.freeIds.pop() as number : this.cbs.length;
    this.cbs[id] = cb;
    if (this.inflightCount++ === 0) this.addon.setRef(this.ring, true);
    if ((this.count + 1) * REQ_SLOTS > this.reqs.length) {
      const bigger = new Float64Array(this.reqs.length * 2);
      bigger.set(this.reqs);
      this.reqs = bigger;
    }
    const q = this.reqs;
    const o = this.count * REQ_SLOTS;
    let bufIndex = -1, bufOff = 0;
    if (buf && op >= UringOp.READ && op <= UringOp.WRITE_FIXED) {
      length = buf.length;
      const read = op === UringOp.READ || op === UringOp.READ_FIXED;
      const fx = this.fixed.length ? this.locateFixed(buf) : -1;
      if (fx >= 0) {
        bufIndex = fx;
        bufOff = this.fixedOff;
        op = read ? UringOp.READ_FIXED : UringOp.WRITE_FIXED;
        this.fixedSubmitted++;
      } else {
        op = read ? UringOp.READ : UringOp.WRITE;
        bufIndex = this.bufs.length;
        this.bufs.push(buf);
      }
    }
    q[o] = op; q[o + 1] = fd; q[o + 2] = bufIndex; q[o + 3] = bufOff;
    q[o + 4] = length; q[o + 5] = fileOffset; q[o + 6] = id; q[o + 7] = flags;
    this.count++;
    if (this.count >= this.entries * 4) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
    return id;
  }

  /** Queue a request; the promise resolves with the result (bytes or -errno). */
  submit(req: UringRequest): Promise<number> {
    if (this.closed) return Promise.reject(new Error('io_uring context closed'));
    return new Promise((resolve) => {
      this.submitCb(req.op, req.fd, req.buf ?? null, req.fileOffset ?? 0, req.length ?? 0, req.flags ?? 0, resolve);
    });
  }

  /** io_uring_enter for everything queued (normally automatic at the end of the JS turn). */
  flush(): void {
    this.flushScheduled = false;
    const n = this.count;
    if (n === 0 || this.closed) return;
    this.count = 0;
    const bufs = this.bufs;
    this.bufs = [];
    try {
      this.addon.submit(this.ring, this.reqs, n, bufs);
    } catch (e) {
      // Nothing of the batch reached the kernel: fail every request of it.
      const err = -((e as { errno?: number }).errno ?? 5);
      for (let i = 0; i < n; i++) this.finish(this.reqs[i * REQ_SLOTS + 6], err);
      return;
    }
    this.enterCount++;
    this.submitted += n;
  }

  /** Submit what is queued and take the completions the kernel already posted (reads of
   * cached pages finish inline in io_uring_enter), without a turn of the event loop. */
  flushAndReap(): void {
    this.flush();
    if (this.inflightCount > 0 && !this.closed) this.addon.reap?.(this.ring);
  }

  private finish(id: number, res: number): void {
    const cb = this.cbs[id];
    if (!cb) return;
    this.cbs[id] = null;
    this.freeIds.push(id);
    if (--this.inflightCount === 0 && !this.closed) this.addon.setRef(this.ring, false);
    cb(res);
  }

  private complete(n: number): void {
    const c = this.completions;
    for (let i = 0; i < n; i++) this.finish(c[i * 2], c[i * 2 + 1]);
  }

  /** POLL_ADD requests submitted (the main loop's fd monitor), for TSQEMU_URING_STATS. */
  pollAdds = 0;

  /**
   * One-shot poll of `fd` for `mask` (POLLIN/POLLOUT, QEMU's fdmon-io_uring arms one per
   * handler and re-arms after each completion). `cb` gets the revents, or -errno (-ECANCELED
   * after pollRemove). Returns the id pollRemove takes.
   */
  pollAdd(fd: number, mask: number, cb: UringCallback): number {
    this.pollAdds++;
    return this.submitCb(UringOp.POLL_ADD, fd, null, 0, 0, mask, cb);
  }

  /** Cancel the poll `id` (only while its completion has not been delivered, so the id is not reused). */
  pollRemove(id: number): void {
    this.submitCb(UringOp.POLL_REMOVE, 0, null, id, 0, 0, () => {});
  }

  get inFlight(): number {
    return this.inflightCount;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.close(this.ring);
    for (let id = 1; id < this.cbs.length; id++) if (this.cbs[id]) this.finish(id, -ECANCELED);
  }
}

let mainCtx: IoUringContext | null | undefined;

/** The main loop's ring if something already created it (a drive with aio=io_uring), else null. */
export function mainIoUringIfCreated(): IoUringContext | null {
  return mainCtx ?? null;
}

/** The main loop's ring (QEMU: the main AioContext's), created on first use; null if unavailable. */
export function mainIoUring(): IoUringContext | null {
  if (mainCtx !== undefined) return mainCtx;
  const { addon } = loadIoUring();
  try {
    mainCtx = addon ? new IoUringContext(addon, 256) : null;
    // process.exit() before the end of the loop turn (an error path): still submit what is
    // queued, such as qcow2's corrupt-bit update; the kernel finishes it as the ring closes.
    if (mainCtx) { const ctx = mainCtx; process.once('exit', () => ctx.flush()); addIoPoller(() => ctx.flushAndReap()); }
  } catch {
    mainCtx = null;
  }
  return mainCtx;
}
