// The "file" protocol on node:fs (QEMU's block/file-posix.c). Two AIO engines: "threads" is
// libuv's thread pool through fs promises; "io_uring" (aio=io_uring, and aio=native mapped to
// it) submits to the main loop's ring (native/ addon), falling back to threads where io_uring
// is unavailable (file-aio.ts says so once).
// cache.direct=on opens with O_DIRECT: requests are aligned to 4096 bytes by the generic layer
// and data goes through bounce buffers at memory addresses O_DIRECT accepts (found by probing
// once, since JavaScript cannot ask for an aligned allocation).
import { constants as C, unlink } from 'node:fs';
import { FdHandle as FileHandle } from './fd-handle.js';
import * as path from 'node:path';
import { QemuError } from '../../qemu/error.js';
import { BdrvOpenContext, BdrvOpenFlags, BdrvRequestFlags, BlockDriver, BlockDriverState, BlockStatus, BlockStatusFlags, PreallocMode } from '../../block/block_int.js';
import { IoUringContext, type PreadNowait, loadPreadNowait, UringOp, URING_RW_ASYNC, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from './io_uring.js';
import { AioEngineName, ErrorInjection, aioEngineFor, errnoByName, errnoError, uringCall, uringRw } from './file-aio.js';
import { loadUserSys } from './user-sys.js';
import { BlkPerm, filePerms, lockImage, parseLocking } from './file-lock.js';
import { fdsetResolve } from './fdset.js';

/** The native addon's file calls (native/tsqemu_sys.c): results, or -errno. */
interface FileSys {
  lseekData(fd: number, offset: number, whence: number): number;
  fallocate(fd: number, mode: number, offset: number, len: number): number;
}
const SEEK_DATA = 3, SEEK_HOLE = 4;
const ENXIO = 6, EOPNOTSUPP = 95;

/** The addon when built with the file calls (an older build lacks them: then null). */
function fileSys(): FileSys | null {
  const s = loadUserSys() as (Partial<FileSys> | null);
  return s && typeof s.lseekData === 'function' && typeof s.fallocate === 'function' ? s as FileSys : null;
}

const DIRECT_ALIGN = 4096;
const SLOT_BYTES = 1 << 20;
const SLOTS = 8;

/** Page-aligned bounce slots for O_DIRECT, shared by all files of the process. */
class DirectBouncePool {
  private free: Uint8Array[] = [];
  private waiters: ((s: Uint8Array) => void)[] = [];
  constructor(slots: Uint8Array[]) { this.free = slots; }

  static async create(dir: string): Promise<DirectBouncePool> {
    const raw = new Uint8Array(new ArrayBuffer(SLOTS * SLOT_BYTES + DIRECT_ALIGN));
    const probe = path.join(dir, `.tsqemu-odirect-${process.pid}-${Date.now()}`);
    let fh: FileHandle;
    try {
      fh = await FileHandle.open(probe, C.O_RDWR | C.O_CREAT | C.O_EXCL | C.O_DIRECT, 0o600);
    } catch (e) {
      throw new QemuError(`Could not open with O_DIRECT in '${dir}': ${(e as Error).message}`);
    }
    try {
      for (let off = 0; off < DIRECT_ALIGN; off += 16) {
        try {
          await fh.write(raw, off, DIRECT_ALIGN, 0);
        } catch { continue; }
        const slots: Uint8Array[] = [];
        for (let i = 0; i < SLOTS; i++) slots.push(raw.subarray(off + i * SLOT_BYTES, off + (i + 1) * SLOT_BYTES));
        return new DirectBouncePool(slots);
      }
      throw new QemuError('Could not find an O_DIRECT-aligned buffer');
    } finally {
      await fh.close();
      await new Promise<void>((r) => unlink(probe, () => r()));
    }
  }

  async take(): Promise<Uint8Array> {
    const s = this.free.pop();
    if (s) return s;
    return new Promise((r) => this.waiters.push(r));
  }
  give(s: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) w(s); else this.free.push(s);
  }
}

let directPool: Promise<DirectBouncePool> | null = null;

function errnoMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const names: Record<string, string> = {
    ENOENT: 'No such file or directory', EACCES: 'Permission denied', EISDIR: 'Is a directory',
    EINVAL: 'Invalid argument', EROFS: 'Read-only file system', ENOSPC: 'No space left on device',
  };
  return (err.code && names[err.code]) || err.message;
}

/** aio=threads reads served from the page cache on the JS thread, and ones left to the pool (tests). */
export const aioNowaitStats = { hits: 0, toPool: 0 };

export class BDRVRawPosixState extends BlockDriverState {
  private length: number;
  private pool: DirectBouncePool | null = null;
  /** The engine in use (aio=native and io_uring map to io_uring; threads where it is missing). */
  readonly aioEngine: AioEngineName;
  private readonly ring: IoUringContext | null;
  private readonly fd: number;
  /** The last data run SEEK_DATA/SEEK_HOLE found, as [start, end) (QEMU's BlockStatusCache): a
   * qcow2 image's clusters mostly lie in one run of its file, and convert, compare and map ask
   * about each extent (two lseeks each: ~900 for a 512 MiB qcow2->raw). Writes only turn holes
   * into data, so they keep it; zeroing, discard and truncation forget it. After a hole, end is
   * -1: data starts at start (SEEK_DATA said so), and a lookup there needs only SEEK_HOLE. */
  private dataRun: { start: number; end: number } | null = null;
  /** Test hook (x-inject-errno=, x-inject-offset=, x-inject-op=, x-inject-count=): fail requests past an offset. */
  inject: ErrorInjection | null = null;

  constructor(drv: BlockDriver, flags: BdrvOpenFlags, private fh: FileHandle, filename: string, length: number) {
    super(drv, flags);
    this.filename = filename;
    this.length = length;
    if (flags.direct) this.requestAlignment = DIRECT_ALIGN;
    const e = aioEngineFor(flags.aio);
    this.aioEngine = e.name;
    this.ring = e.ring;
    this.fd = fh.fd;
  }

  private injected(offset: number, bytes: number, write: boolean): Error | null {
    const j = this.inject;
    if (!j || offset + bytes <= j.offset || j.op === (write ? 'read' : 'write')) return null;
    if (j.count !== undefined) {
      if (j.count <= 0) return null;
      j.count--;
    }
    return errnoError(j.errno, write ? 'write' : 'read');
  }

  /** x-inject-delay-ms: keep a matching request in flight a while (reset/drain tests). */
  private delayed(offset: number, bytes: number, write: boolean): Promise<void> | null {
    const j = this.inject;
    if (!j?.delayMs || offset + bytes <= j.offset || j.op === (write ? 'read' : 'write')) return null;
    return new Promise((r) => setTimeout(r, j.delayMs));
  }

  async initDirect(): Promise<void> {
    if (!this.flags.direct) return;
    directPool ??= DirectBouncePool.create(path.dirname(path.resolve(this.filename)));
    try { this.pool = await directPool; } catch (e) { directPool = null; throw e; }
  }

  getLength(): number { return this.length; }

  preadv(offset: number, buf: Uint8Array): Promise<void> {
    if (this.inject) {
      const d = this.delayed(offset, buf.length, false);
      if (d) return d.then(() => this.preadvNow(offset, buf));
      return this.preadvNow(offset, buf);
    }
    return this.preadvNow(offset, buf);
  }

  private preadvNow(offset: number, buf: Uint8Array): Promise<void> {
    if (this.inject) { const e = this.injected(offset, buf.length, false); if (e) return Promise.reject(e); }
    if (this.ring && (!this.pool || this.ring.addrMod(buf, DIRECT_ALIGN) === 0)) return uringRw(this.ring, this.fd, false, buf, offset);
    return this.threadsRead(offset, buf);
  }

  /** aio=threads: a buffered read whose data is all in the page cache is copied at once on this
   * thread (preadv2 RWF_NOWAIT, what io_uring does inline) instead of a round trip through the
   * thread pool; anything else (-EAGAIN, a short read) goes to the pool. TSQEMU_AIO_NOWAIT=off: never. */
  private nowait: PreadNowait | null = process.env.TSQEMU_AIO_NOWAIT === 'off' ? null : loadPreadNowait();

  private async threadsRead(offset: number, buf: Uint8Array): Promise<void> {
    if (this.pool) return this.directIO(offset, buf, false);
    let done = 0;
    if (this.nowait) {
      const n = this.nowait(this.fd, buf, offset);
      if (n === buf.length) { aioNowaitStats.hits++; return; }
      aioNowaitStats.toPool++;
      if (n > 0) done = n;
      else if (n === -95 || n === -22 || n === -38) this.nowait = null; // EOPNOTSUPP, EINVAL, ENOSYS: no RWF_NOWAIT here
    }
    while (done < buf.length) {
      const { bytesRead } = await this.fh.read(buf, done, buf.length - done, offset + done);
      if (bytesRead === 0) { buf.fill(0, done); return; } // past EOF reads as zeroes
      done += bytesRead;
    }
  }

  pwritev(offset: number, buf: Uint8Array, flags: number): Promise<void> {
    const ring = this.ring;
    if (ring && !this.pool && !this.inject) {
      // The hot path (buffered io_uring): no async frame; the size grows once the data is there.
      const end = offset + buf.length;
      const p = uringRw(ring, this.fd, true, buf, offset, URING_RW_ASYNC);
      return end > this.length ? p.then(() => { if (end > this.length) this.length = end; }) : p;
    }
    return this.pwritevSlow(offset, buf, flags);
  }

  private async pwritevSlow(offset: number, buf: Uint8Array, _flags: number): Promise<void> {
    if (this.inject) await this.delayed(offset, buf.length, true);
    if (this.inject) { const e = this.injected(offset, buf.length, true); if (e) throw e; }
    // Buffered writes always end in an io-wq worker (ext4 and tmpfs have no non-blocking
    // buffered writes: every one is punted), so they skip the doomed inline attempt.
    if (this.ring && (!this.pool || this.ring.addrMod(buf, DIRECT_ALIGN) === 0)) await uringRw(this.ring, this.fd, true, buf, offset, this.pool ? 0 : URING_RW_ASYNC);
    else if (this.pool) await this.directIO(offset, buf, true);
    else {
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await this.fh.write(buf, done, buf.length - done, offset + done);
        done += bytesWritten;
      }
    }
    if (offset + buf.length > this.length) this.length = offset + buf.length;
  }

  /** O_DIRECT through aligned bounce slots, one slot-sized chunk at a time. */
  private async directIO(offset: number, buf: Uint8Array, write: boolean): Promise<void> {
    const pool = this.pool as DirectBouncePool;
    const slot = await pool.take();
    try {
      for (let done = 0; done < buf.length; done += SLOT_BYTES) {
        const n = Math.min(SLOT_BYTES, buf.length - done);
        const view = slot.subarray(0, n);
        if (write) {
          view.set(buf.subarray(done, done + n));
          if (this.ring) await uringRw(this.ring, this.fd, true, view, offset + done);
          else await this.fh.write(view, 0, n, offset + done);
        } else {
          if (this.ring) await uringRw(this.ring, this.fd, false, view, offset + done);
          else view.fill(0, (await this.fh.read(view, 0, n, offset + done)).bytesRead);
          buf.set(view, done);
        }
      }
    } finally { pool.give(slot); }
  }

  override async pwriteZeroes(offset: number, bytes: number, flags: number): Promise<void> {
    // Forgotten before and after: a status looked up meanwhile may have cached the old data.
    this.dataRun = null;
    try { await this.pwriteZeroesNow(offset, bytes, flags); } finally { this.dataRun = null; }
  }

  private async pwriteZeroesNow(offset: number, bytes: number, flags: number): Promise<void> {
    if (this.inject) { const e = this.injected(offset, bytes, true); if (e) throw e; }
    if (this.ring && offset + bytes <= this.length) {
      // fallocate: punch a hole when unmapping is allowed, else zero the range in place.
      const mode = flags & BdrvRequestFlags.MAY_UNMAP ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
      try { await uringCall(this.ring, UringOp.FALLOCATE, this.fd, offset, bytes, mode, 'fallocate'); return; } catch (e) {
        if ((e as { code?: string }).code !== 'EOPNOTSUPP') throw e; // not supported here: write zeroes
      }
    }
    const sys = this.ring || this.pool ? null : fileSys();
    if (sys && offset + bytes <= this.length) {
      const mode = flags & BdrvRequestFlags.MAY_UNMAP ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
      const r = sys.fallocate(this.fd, mode, offset, bytes);
      if (r === 0) return;
      if (r !== -EOPNOTSUPP) throw errnoError(-r, 'fallocate'); // not supported here: write zeroes
    }
    if (offset >= this.length && !this.pool) {
      await this.fh.truncate(offset + bytes); // extending with a hole reads as zeroes
      this.length = offset + bytes;
      return;
    }
    return super.pwriteZeroes(offset, bytes, flags);
  }

  async flush(): Promise<void> {
    if (this.flags.noFlush) return;
    if (this.ring) await uringCall(this.ring, UringOp.FDATASYNC, this.fd, 0, 0, 0, 'fdatasync');
    else await this.fh.datasync();
  }

  /** discard: punch a hole (io_uring's fallocate, or the addon's on the thread pool; else a no-op). */
  override async pdiscard(offset: number, bytes: number): Promise<void> {
    this.dataRun = null;
    try { await this.pdiscardNow(offset, bytes); } finally { this.dataRun = null; }
  }

  private async pdiscardNow(offset: number, bytes: number): Promise<void> {
    if (offset >= this.length) return;
    const n = Math.min(bytes, this.length - offset);
    const mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    if (!this.ring) {
      const r = fileSys()?.fallocate(this.fd, mode, offset, n) ?? 0;
      if (r < 0 && r !== -EOPNOTSUPP) throw errnoError(-r, 'fallocate');
      return;
    }
    await uringCall(this.ring, UringOp.FALLOCATE, this.fd, offset, n, mode, 'fallocate').catch((e: { code?: string }) => {
      if (e.code !== 'EOPNOTSUPP') throw e;
    });
  }

  /**
   * Allocation from SEEK_DATA/SEEK_HOLE (as QEMU's find_allocation): data up to the next hole,
   * or a hole (reads as zeroes) up to the next data. Without the addon, or where the file
   * system cannot tell, everything counts as data.
   */
  override async blockStatus(offset: number, bytes: number): Promise<BlockStatus> {
    const all: BlockStatus = { flags: BlockStatusFlags.DATA | BlockStatusFlags.OFFSET_VALID, pnum: bytes, map: offset, file: this };
    const run = this.dataRun;
    if (run && offset >= run.start && offset < run.end) return { ...all, pnum: Math.min(bytes, run.end - offset) };
    const sys = fileSys();
    if (!sys) return all;
    const data = run && run.end < 0 && run.start === offset ? offset : sys.lseekData(this.fd, offset, SEEK_DATA);
    if (data === -ENXIO) return { ...all, flags: BlockStatusFlags.ZERO | BlockStatusFlags.OFFSET_VALID }; // trailing hole
    if (data < 0) return all;
    if (data > offset) {
      this.dataRun = { start: data, end: -1 };
      return { ...all, flags: BlockStatusFlags.ZERO | BlockStatusFlags.OFFSET_VALID, pnum: Math.min(bytes, data - offset) };
    }
    const hole = sys.lseekData(this.fd, offset, SEEK_HOLE);
    if (hole <= offset) return all;
    // A data run ends on the request alignment (the hole may start mid-block at EOF).
    const align = this.requestAlignment || 1;
    const end = Math.ceil(hole / align) * align;
    this.dataRun = { start: offset, end };
    return { ...all, pnum: Math.min(bytes, end - offset) };
  }

  override async truncate(offset: number, exact: boolean, prealloc: PreallocMode, _shrink: boolean): Promise<void> {
    if (!exact && offset <= this.length) return;
    this.dataRun = null;
    try { await this.truncateNow(offset, prealloc); } finally { this.dataRun = null; }
  }

  private async truncateNow(offset: number, prealloc: PreallocMode): Promise<void> {
    const old = this.length;
    await this.fh.truncate(offset);
    this.length = offset;
    if (prealloc === 'falloc' && offset > old && this.ring) {
      await uringCall(this.ring, UringOp.FALLOCATE, this.fd, old, offset - old, 0, 'fallocate');
      return;
    }
    if (prealloc === 'falloc' && offset > old && fileSys()?.fallocate(this.fd, 0, old, offset - old) === 0) return;
    // Without fallocate(): preallocation=falloc writes zeroes like full does.
    if ((prealloc === 'full' || prealloc === 'falloc') && offset > old) await super.pwriteZeroes(old, offset - old, 0);
  }

  override async getAllocatedFileSize(): Promise<number> {
    const st = await this.fh.stat();
    return st.blocks * 512;
  }

  async close(): Promise<void> { await this.fh.close(); }
}

async function openHandle(filename: string, flags: BdrvOpenFlags, create = false): Promise<FileHandle> {
  let f = flags.readOnly ? C.O_RDONLY : C.O_RDWR;
  if (create) f |= C.O_CREAT; // truncated once the lock is ours (as QEMU's raw_co_create)
  if (flags.direct) f |= C.O_DIRECT;
  // /dev/fdset/N: a descriptor -add-fd / add-fd handed over (qemu_open's fd sets).
  const where = create ? filename : fdsetResolve(filename, flags.readOnly);
  if (typeof where !== 'string') throw new QemuError(`Could not dup FD for ${filename} flags ${(f & 3).toString(16)}: ${errnoMessage(where)}`);
  try {
    return await FileHandle.open(where, f, 0o644);
  } catch (e) {
    throw new QemuError(`Could not open '${filename}': ${errnoMessage(e)}`);
  }
}

async function newState(fh: FileHandle, filename: string, flags: BdrvOpenFlags): Promise<BDRVRawPosixState> {
  const st = await fh.stat();
  if (st.isDirectory()) { await fh.close(); throw new QemuError(`Could not open '${filename}': Is a directory`); }
  const bs = new BDRVRawPosixState(bdrvFile, flags, fh, filename, st.size);
  try { await bs.initDirect(); } catch (e) { await fh.close(); throw e; }
  return bs;
}

export const bdrvFile: BlockDriver = {
  formatName: 'file',
  isProtocol: true,
  runtimeOptions: ['filename', 'locking', 'aio-max-batch', 'pr-manager', 'drop-cache', 'x-check-cache-dropped',
    'x-inject-errno', 'x-inject-offset', 'x-inject-op', 'x-inject-count', 'x-inject-delay-ms'],
  async open(ctx: BdrvOpenContext): Promise<BlockDriverState> {
    const filename = ctx.options.get('filename');
    if (filename === undefined || filename === '') throw new QemuError("Parameter 'filename' is required");
    const locking = parseLocking(ctx.options.get('locking'));
    const fh = await openHandle(filename, ctx.flags);
    try {
      const { perm, shared } = filePerms(ctx.flags);
      lockImage(fh.fd, filename, perm, shared, locking, (m) => ctx.warn(m));
    } catch (e) { await fh.close(); throw e; }
    const bs = await newState(fh, filename, ctx.flags);
    const errno = ctx.options.get('x-inject-errno');
    if (errno !== undefined) {
      const op = ctx.options.get('x-inject-op') ?? 'any';
      if (op !== 'read' && op !== 'write' && op !== 'any') throw new QemuError(`Parameter 'x-inject-op' does not accept value '${op}'`);
      const count = ctx.options.get('x-inject-count');
      const delay = ctx.options.get('x-inject-delay-ms');
      bs.inject = { errno: errnoByName(errno), offset: Number(ctx.options.get('x-inject-offset') ?? 0), op,
        count: count === undefined ? undefined : Number(count), delayMs: delay === undefined ? undefined : Number(delay) };
    }
    return bs;
  },
};

/** Create (truncate) a file of `size` bytes and open it read-write. */
export async function fileCreate(filename: string, prealloc: PreallocMode, size: number, flags: BdrvOpenFlags): Promise<BlockDriverState> {
  const fh = await openHandle(filename, { ...flags, readOnly: false, direct: false }, true);
  try {
    // Write and resize, sharing all but resize: an image in use by another process is refused.
    lockImage(fh.fd, filename, BlkPerm.WRITE | BlkPerm.RESIZE, BlkPerm.ALL & ~BlkPerm.RESIZE, 'auto', () => undefined);
    await fh.truncate(0);
  } catch (e) { await fh.close(); throw e; }
  const bs = await newState(fh, filename, { ...flags, readOnly: false, direct: false });
  await bs.truncate(size, true, prealloc, false);
  // QEMU's allocate_first_block: the first 4 KiB are written (as zeroes), so that the block
  // size can later be probed from an allocated block (and map/measure see it as data).
  if (prealloc === 'off' && size > 0) await bs.pwritev(0, new Uint8Array(Math.min(size, 4096)), 0);
  return bs;
}
