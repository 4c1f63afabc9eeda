// The file protocol's AIO engines (QEMU's aio=threads / aio=io_uring, with aio=native mapped to
// io_uring): which one a node gets, the one-time notice when io_uring is unavailable, and the
// io_uring request helpers (full reads/writes over short transfers, errno -> error codes).
// The threads engine is node:fs promises on libuv's thread pool (in file-posix.ts).
import { constants as OS } from 'node:os';
import { qemuLog, getLogMask } from '../../qemu/log.js';
import { IoUringContext, UringOp, loadIoUring, mainIoUring } from './io_uring.js';

export type AioEngineName = 'threads' | 'io_uring';

/** The engine used when no aio= is given: TSQEMU_AIO=io_uring|threads|native, else threads (as QEMU). */
function defaultEngine(): string {
  const v = process.env.TSQEMU_AIO;
  return v === 'io_uring' || v === 'native' || v === 'threads' ? v : 'threads';
}

let noticeGiven = false;
/** Where the "io_uring unavailable" notice goes besides -d (tsqemu-img bench prints it). */
let noticeSink: ((msg: string) => void) | null = null;

export function setAioNoticeSink(fn: ((msg: string) => void) | null): void { noticeSink = fn; }

/** The fallback reason, or '' when io_uring works here. */
export function ioUringUnavailableReason(): string {
  const { addon, reason } = loadIoUring();
  if (!addon) return reason;
  return mainIoUring() ? '' : 'io_uring ring setup failed';
}

/** Pick the engine for aio=`requested` ('' = default); says once why io_uring is not used. */
export function aioEngineFor(requested: string): { name: AioEngineName; ring: IoUringContext | null } {
  const want = requested || defaultEngine();
  if (want === 'threads') return { name: 'threads', ring: null };
  const ring = mainIoUring();
  if (ring) return { name: 'io_uring', ring };
  const msg = `aio=${want}: ${ioUringUnavailableReason()}; using the thread pool (aio=threads)`;
  if (!noticeGiven) {
    noticeGiven = true;
    if (getLogMask() !== 0) qemuLog(`${msg}\n`);
    noticeSink?.(msg);
  }
  return { name: 'threads', ring: null };
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(OS.errno).map(([k, v]) => [v as number, k]));
const MESSAGES: Record<string, string> = {
  EIO: 'Input/output error', ENOSPC: 'No space left on device', EBADF: 'Bad file descriptor',
  EINVAL: 'Invalid argument', EROFS: 'Read-only file system', EDQUOT: 'Disk quota exceeded',
  EOPNOTSUPP: 'Operation not supported', ECANCELED: 'Operation canceled', EFBIG: 'File too large',
};

/** An Error carrying the errno name in `code`, as node:fs errors do. */
export function errnoError(errno: number, what: string): Error & { code: string; errno: number } {
  const code = ERRNO_NAMES.get(errno) ?? 'EIO';
  return Object.assign(new Error(`${what}: ${MESSAGES[code] ?? code}`), { code, errno: -errno });
}

export function errnoByName(name: string): number {
  const n = (OS.errno as Record<string, number>)[name];
  return typeof n === 'number' ? n : OS.errno.EIO;
}

const EINTR = OS.errno.EINTR, EAGAIN = OS.errno.EAGAIN;

/**
 * Read or write all of `buf` at `offset` through the ring: short transfers continue, EINTR and
 * EAGAIN are retried, reads past EOF fill with zeroes, other errors reject with an errno code.
 * flags: URING_RW_ASYNC for requests the kernel would punt to io-wq anyway.
 */
export function uringRw(ring: IoUringContext, fd: number, write: boolean, buf: Uint8Array, offset: number, flags = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    const op = write ? UringOp.WRITE : UringOp.READ;
    let done = 0;
    const cb = (res: number): void => {
      if (res < 0) {
        if (res === -EINTR || res === -EAGAIN) { ring.submitCb(op, fd, buf.subarray(done), offset + done, 0, flags, cb); return; }
        reject(errnoError(-res, write ? 'write' : 'read'));
        return;
      }
      if (res === 0) {
        if (write) { reject(errnoError(OS.errno.ENOSPC, 'write')); return; }
        buf.fill(0, done);
        resolve();
        return;
      }
      done += res;
      if (done >= buf.length) resolve();
      else ring.submitCb(op, fd, buf.subarray(done), offset + done, 0, flags, cb);
    };
    ring.submitCb(op, fd, buf, offset, 0, flags, cb);
  });
}

/** fsync/fdatasync/fallocate and other bufferless requests; resolves with the result. */
export function uringCall(ring: IoUringContext, op: UringOp, fd: number, offset: number, length: number, flags: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const cb = (res: number): void => {
      if (res === -EINTR || res === -EAGAIN) { ring.submitCb(op, fd, null, offset, length, flags, cb); return; }
      if (res < 0) reject(errnoError(-res, what)); else resolve(res);
    };
    ring.submitCb(op, fd, null, offset, length, flags, cb);
  });
}

/** x-inject-errno / x-inject-offset (a test hook like blkdebug): fail requests at or past an offset. */
export interface ErrorInjection {
  errno: number; offset: number; op: 'read' | 'write' | 'any';
  /** x-inject-count=N: only the first N matching requests fail (then the fault is "repaired"). */
  count?: number;
  /** x-inject-delay-ms=D: matching requests wait D ms before running (held in flight). */
  delayMs?: number;
}
