// Generic request handling (QEMU's block/io.c): bounds checks and read-modify-write of the
// unaligned head and tail of a request when a node needs aligned I/O (O_DIRECT files).
// Format drivers call these on their children instead of the child's methods directly.
import { QemuError } from '../qemu/error.js';
import { BlockDriverState, BlockStatus, BlockStatusFlags } from './block_int.js';

function checkRange(bs: BlockDriverState, offset: number, bytes: number): void {
  if (offset < 0 || bytes < 0 || !Number.isSafeInteger(offset + bytes)) throw new QemuError('Invalid request range');
}

/** Serialises read-modify-write cycles on one node so overlapping ones cannot interleave. */
const rmwLocks = new WeakMap<BlockDriverState, Promise<void>>();

async function withRmwLock<T>(bs: BlockDriverState, fn: () => Promise<T>): Promise<T> {
  const prev = rmwLocks.get(bs) ?? Promise.resolve();
  let release!: () => void;
  const next = new Promise<void>((r) => { release = r; });
  rmwLocks.set(bs, prev.then(() => next));
  await prev;
  try { return await fn(); } finally { release(); }
}

/** A non-empty, valid request the driver takes as it is (aligned): every guest and bench
 * request. These go straight to the driver with no async frame of ours. */
function isDirect(bs: BlockDriverState, offset: number, bytes: number): boolean {
  const align = bs.requestAlignment;
  return bytes > 0 && offset >= 0 && Number.isSafeInteger(offset + bytes) &&
    (align <= 1 || (offset % align === 0 && bytes % align === 0));
}

/** Run a driver call; a synchronous throw comes back as a rejection like any other error. */
function direct(call: () => Promise<void>): Promise<void> {
  try { return call(); } catch (e) { return Promise.reject(e); }
}

export function bdrvPread(bs: BlockDriverState, offset: number, buf: Uint8Array): Promise<void> {
  return isDirect(bs, offset, buf.length) ? direct(() => bs.preadv(offset, buf)) : bdrvPreadSlow(bs, offset, buf);
}

/** Empty, invalid or unaligned reads: the last go through an aligned bounce buffer. */
async function bdrvPreadSlow(bs: BlockDriverState, offset: number, buf: Uint8Array): Promise<void> {
  checkRange(bs, offset, buf.length);
  if (buf.length === 0) return;
  const align = bs.requestAlignment;
  const start = offset - (offset % align);
  const end = Math.ceil((offset + buf.length) / align) * align;
  const bounce = new Uint8Array(end - start);
  await bs.preadv(start, bounce);
  buf.set(bounce.subarray(offset - start, offset - start + buf.length));
}

export function bdrvPwrite(bs: BlockDriverState, offset: number, buf: Uint8Array, flags = 0): Promise<void> {
  return !bs.readOnly && isDirect(bs, offset, buf.length) ? direct(() => bs.pwritev(offset, buf, flags))
    : bdrvPwriteSlow(bs, offset, buf, flags);
}

/** Read-only nodes, empty, invalid or unaligned writes: the last as read-modify-write. */
async function bdrvPwriteSlow(bs: BlockDriverState, offset: number, buf: Uint8Array, flags: number): Promise<void> {
  checkRange(bs, offset, buf.length);
  if (bs.readOnly) throw new QemuError('Block node is read-only');
  if (buf.length === 0) return;
  const align = bs.requestAlignment;
  await withRmwLock(bs, async () => {
    const start = offset - (offset % align);
    const end = Math.ceil((offset + buf.length) / align) * align;
    const bounce = new Uint8Array(end - start);
    const len = bs.getLength();
    // Head and tail blocks: read existing bytes (those past EOF read as zero).
    const readBlock = async (at: number): Promise<void> => {
      if (at < len) await bs.preadv(at, bounce.subarray(at - start, at - start + align));
    };
    await readBlock(start);
    if (end - align > start) await readBlock(end - align);
    bounce.set(buf, offset - start);
    await bs.pwritev(start, bounce, flags);
  });
}

/** The host's native zero test of buf[start, end) (memcmp against zeroes, no view made),
 * installed by the host at start-up. */
let hostIsZero: ((buf: Uint8Array, start: number, end: number) => boolean) | null = null;

export function setHostBufferIsZero(fn: ((buf: Uint8Array, start: number, end: number) => boolean) | null): void { hostIsZero = fn; }

/** True when every byte is zero (detect-zeroes, convert's sparse detection). */
export function bufferIsZero(buf: Uint8Array): boolean {
  const n = buf.length;
  // Data usually differs from zero in its first bytes: only likely-zero buffers are scanned whole,
  // natively where the host can (QEMU's buffer_is_zero uses SIMD; a JS loop is ~10x slower).
  if (n >= 512 && hostIsZero) {
    for (let k = 0; k < 16; k++) if (buf[k] !== 0) return false;
    return hostIsZero(buf, 0, n);
  }
  let i = 0;
  if ((buf.byteOffset & 3) === 0) {
    const words = new Uint32Array(buf.buffer, buf.byteOffset, n >>> 2);
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    i = words.length << 2;
  }
  for (; i < n; i++) if (buf[i] !== 0) return false;
  return true;
}

/** bufferIsZero(buf.subarray(start, end)) without making the view (metadata scans call it
 * many times: check, map, qcow2 open). */
export function bufferRangeIsZero(buf: Uint8Array, start: number, end: number): boolean {
  const head = Math.min(end, start + 16);
  for (let i = start; i < head; i++) if (buf[i] !== 0) return false;
  if (end - start >= 512 && hostIsZero) return hostIsZero(buf, head, end);
  for (let i = head; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/** buf[a, b) starts with 16 zero bytes (data usually shows there: no view is made). */
function headIsZero(buf: Uint8Array, a: number, b: number): boolean {
  const head = Math.min(b, a + 16);
  for (let i = a; i < head; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Mark pieces [i, j) zero when their bytes all are: the whole run in one test (a few memcmp
 * calls), halved only when it holds data somewhere. */
function markZeroPieces(buf: Uint8Array, gran: number, flags: Uint8Array, i: number, j: number): void {
  const a = i * gran;
  const b = Math.min(buf.length, j * gran);
  if (bufferRangeIsZero(buf, a, b)) { flags.fill(1, i, j); return; }
  if (j - i === 1) return;
  const m = (i + j) >>> 1;
  markZeroPieces(buf, gran, flags, i, m);
  markZeroPieces(buf, gran, flags, m, j);
}

/**
 * Which `gran`-byte pieces of buf are all zero (1) or hold data (0); the last piece may be
 * shorter. Pieces whose first bytes are zero are tested a run at a time, not one by one: a
 * test costs a view and a native call, and convert's -S 4k sparse detection makes 256 a MiB.
 */
export function bufferZeroPieces(buf: Uint8Array, gran: number): Uint8Array {
  const n = Math.ceil(buf.length / gran);
  const flags = new Uint8Array(n);
  for (let i = 0; i < n;) {
    if (!headIsZero(buf, i * gran, Math.min(buf.length, (i + 1) * gran))) { i++; continue; }
    let j = i + 1;
    while (j < n && headIsZero(buf, j * gran, Math.min(buf.length, (j + 1) * gran))) j++;
    markZeroPieces(buf, gran, flags, i, j);
    i = j;
  }
  return flags;
}

/** Status of a range looked up through the backing chain (qemu-img map / convert / compare). */
export interface ChainStatus {
  /** Bytes from offset with this status. */
  pnum: number;
  /** Index of the layer that answered (0 = top); for unallocated ranges, the bottom layer. */
  depth: number;
  allocated: boolean;
  zero: boolean;
  data: boolean;
  offset?: number;
  file?: BlockDriverState;
}

/**
 * Data a format maps into its protocol node may still be a hole there (preallocated metadata):
 * ask that node and add ZERO, as QEMU's bdrv_co_do_block_status does. Returns the bytes the
 * answer covers (the protocol's run may be shorter).
 */
async function addProtocolZero(bs: BlockDriverState, st: BlockStatus, n: number): Promise<number> {
  const f = st.file;
  const want = BlockStatusFlags.DATA | BlockStatusFlags.OFFSET_VALID;
  if (!f || f === bs || (st.flags & want) !== want || (st.flags & BlockStatusFlags.ZERO) || st.map === undefined) return n;
  if (st.map >= f.getLength()) { st.flags |= BlockStatusFlags.ZERO; return n; } // past the file's end
  const fs = await f.blockStatus(st.map, Math.min(n, f.getLength() - st.map));
  st.flags |= fs.flags & BlockStatusFlags.ZERO;
  return Math.min(n, fs.pnum);
}

export async function bdrvChainStatus(top: BlockDriverState, offset: number, bytes: number): Promise<ChainStatus> {
  let bs: BlockDriverState = top;
  let depth = 0;
  let n = bytes;
  for (;;) {
    if (offset >= bs.getLength()) {
      // Past the end of a (shorter) backing file: reads as zeroes.
      return { pnum: n, depth, allocated: false, zero: true, data: false };
    }
    const st = await bs.blockStatus(offset, Math.min(n, bs.getLength() - offset));
    n = Math.min(n, st.pnum);
    n = await addProtocolZero(bs, st, n);
    const allocated = (st.flags & (BlockStatusFlags.ALLOCATED | BlockStatusFlags.DATA | BlockStatusFlags.ZERO)) !== 0 &&
      (st.flags & BlockStatusFlags.ALLOCATED) !== 0;
    if (allocated || !bs.backing) {
      return {
        pnum: n, depth, allocated, zero: (st.flags & BlockStatusFlags.ZERO) !== 0, data: (st.flags & BlockStatusFlags.DATA) !== 0,
        offset: (st.flags & BlockStatusFlags.OFFSET_VALID) ? st.map : undefined, file: st.file,
      };
    }
    bs = bs.backing;
    depth++;
  }
}
