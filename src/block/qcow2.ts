// The qcow2 format driver (QEMU's block/qcow2.c): open, header updates, the BlockDriverState
// methods. Cluster mapping lives in qcow2-cluster.ts, refcounts in qcow2-refcount.ts,
// consistency checks in qcow2-check.ts, snapshots in qcow2-snapshot.ts, creation in
// qcow2-create.ts.
import { QemuError } from '../qemu/error.js';
import { parseSize } from '../qemu/option.js';
import {
  BdrvCheckMode, BdrvCheckResult, BdrvOpenContext, BdrvOpenFlags, BlockDriver, BlockDriverState, BlockOptions,
  BlockStatus, CryptoReadFunc, CryptoWriteFunc, FormatSpecificInfo, PreallocMode, QCryptoBlock, QEMUSnapshotInfo,
  getCryptoProvider,
} from './block_int.js';
import { bdrvLookupNode } from './block.js';
import { defaultOpenFlags } from './block_int.js';
import { bdrvPread, bdrvPwrite } from './io.js';
import {
  buildHeader, COMPAT_LAZY_REFCOUNTS, INCOMPAT_CORRUPT, INCOMPAT_DIRTY, INCOMPAT_EXTL2, QCOW_CRYPT_AES, QCOW_CRYPT_LUKS, QCOW_MAGIC,
  QCowHeader, QCowHeaderInfo, parseHeader, be64, setBe64, MIN_CLUSTER_BITS, MAX_CLUSTER_BITS,
} from './qcow2-header.js';
import { loadRefcountTable, maxRefcount } from './qcow2-refcount.js';
import {
  fastHostOffset, qcow2BlockStatus, qcow2Discard, qcow2Preadv, qcow2Pwritev, qcow2WriteZeroes, loadL1, qcow2Truncate,
} from './qcow2-cluster.js';
import { qcow2Check } from './qcow2-check.js';
import { qcow2Create, qcow2CreateOptions } from './qcow2-create.js';
import {
  QCowSnapshot, readSnapshots, snapshotCreate, snapshotDelete, snapshotGoto, snapshotLoadTmp,
} from './qcow2-snapshot.js';
import { qcow2Amend } from './qcow2-amend.js';
import {
  bitmapsAfterTruncate, bitmapsBeforeTruncate, bitmapsInfo, bitmapsMakeWritable, bitmapsSetDirty, bitmapsStore, Qcow2Bitmap,
  readBitmaps,
} from './qcow2-bitmap.js';

/**
 * A small LRU of cluster-sized tables keyed by host offset (L2 tables, refcount blocks).
 * Write-through by default. In writeback mode (tsqemu-img convert's new target, opened
 * cache=unsafe as qemu-img does) changed tables stay dirty in the cache and are written by
 * writeBack()/flush(), always awaited by the request that made them so, under the image's
 * lock: a dirty table is never evicted, so the disk is never read for it, and no metadata
 * write can land after the cluster it belongs to is freed and reused.
 */
export class Qcow2Cache {
  private map = new Map<number, Uint8Array>();
  /** The most recently used key: a hit on it (every request of a sequential run) needs no reordering. */
  private mru = -1;
  private readonly dirty = new Set<number>();
  /** Writes one table back (writeback mode only). */
  writer: ((off: number, table: Uint8Array) => Promise<void>) | null = null;
  constructor(private capacity: number) {}
  get writeback(): boolean { return this.writer !== null; }
  get(off: number): Uint8Array | undefined {
    const v = this.map.get(off);
    if (v && off !== this.mru) { this.map.delete(off); this.map.set(off, v); this.mru = off; }
    return v;
  }
  set(off: number, v: Uint8Array): void {
    this.map.delete(off);
    this.map.set(off, v);
    this.mru = off;
    if (this.map.size <= this.capacity) return;
    for (const k of this.map.keys()) {
      if (!this.dirty.has(k)) { this.map.delete(k); return; }
    }
  }
  /** Writeback mode: `off` changed in the cache; the caller awaits writeBack() afterwards. */
  markDirty(off: number): void { this.dirty.add(off); }
  /** Write the oldest dirty tables until no more than `capacity` are dirty. */
  async writeBack(): Promise<void> {
    while (this.dirty.size > this.capacity) await this.writeOne(this.dirty.values().next().value as number);
  }
  async flush(): Promise<void> {
    while (this.dirty.size) await this.writeOne(this.dirty.values().next().value as number);
  }
  private async writeOne(off: number): Promise<void> {
    const t = this.map.get(off);
    this.dirty.delete(off);
    if (t) await this.writer!(off, t);
  }
  /** The table at `off` was freed: forget it (dirty or not). */
  delete(off: number): void { this.map.delete(off); this.dirty.delete(off); if (off === this.mru) this.mru = -1; }
  clear(): void {
    if (this.dirty.size) throw new Error('qcow2: metadata cache cleared with unwritten tables');
    this.map.clear(); this.mru = -1;
  }
}

/** Serialises metadata-changing requests (allocation, L2/refcount updates). */
class CoMutex {
  private tail: Promise<void> = Promise.resolve();
  async lock<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise((r) => { release = r; });
    await prev;
    try { return await fn(); } finally { release(); }
  }
}

export class BDRVQcow2State extends BlockDriverState {
  header!: QCowHeader;
  hinfo!: QCowHeaderInfo;
  clusterBits = 16;
  clusterSize = 65536;
  l2Bits = 13;
  l2Size = 8192;
  /** Extended L2 entries (incompatible bit 4): 16-byte entries, 32 subclusters per cluster. */
  extL2 = false;
  /** Bytes per L2 entry: 8, or 16 with extended L2 entries. */
  l2EntryBytes = 8;
  subclusterSize = 65536;
  subclusterBits = 16;
  refcountOrder = 4;
  refblockEntries = 32768;
  maxRefcount = 65535;
  l1Table: number[] = [];
  l1Copied: boolean[] = [];
  refcountTable: number[] = [];
  l2Cache = new Qcow2Cache(64);
  refblockCache = new Qcow2Cache(64);
  /** Clusters holding metadata, for the overlap check before data writes. */
  metadataClusters = new Set<number>();
  freeClusterIndex = 0;
  freeByteOffset = 0;
  refblockGeneration = 0;
  /** One past the highest cluster ever allocated in this session (may exceed EOF). */
  allocatedEnd = 0;
  snapshots: QCowSnapshot[] = [];
  bitmaps: Qcow2Bitmap[] = [];
  /** Bitmaps loaded for writing and marked IN_USE on disk; stored at close. */
  bitmapsLive = false;
  /** Removed bitmaps whose clusters are freed when the directory is stored. */
  bitmapsToFree: Qcow2Bitmap[] = [];
  snapshotsTableBytes = 0;
  crypto: QCryptoBlock | null = null;
  /** LUKS header I/O inside the image (qemu-img amend of encrypt.* options). */
  cryptoHeaderIO: { read: CryptoReadFunc; write: CryptoWriteFunc } | null = null;
  corrupt = false;
  dirty = false;
  private pending: Promise<void>[] = [];
  readonly lock = new CoMutex();
  /** Set while reading a snapshot's L1 (convert -l): the image is then read-only. */
  snapshotView = false;
  closeChildren = true;

  constructor(drv: BlockDriver, flags: BdrvOpenFlags, child: BlockDriverState) {
    super(drv, flags);
    this.file = child;
    this.filename = child.filename;
  }

  fileChild(): BlockDriverState {
    if (!this.file) throw new QemuError('qcow2: no file child');
    return this.file;
  }

  get v3(): boolean { return this.header.version >= 3; }
  get lazyRefcounts(): boolean { return (this.header.compatibleFeatures & COMPAT_LAZY_REFCOUNTS) !== 0n; }
  getLength(): number { return this.header.size; }
  override getClusterSize(): number { return this.clusterSize; }
  override isDirty(): boolean { return this.dirty; }

  /** First cluster index past everything allocated or stored. */
  endCluster(): number {
    return Math.max(Math.ceil(this.fileChild().getLength() / this.clusterSize), this.allocatedEnd);
  }
  /** Record the clusters of a metadata structure at `off` spanning `bytes`. */
  metadataClustersFor(off: number, bytes: number): void {
    for (let i = 0; i < Math.ceil(bytes / this.clusterSize); i++) this.metadataClusters.add(off / this.clusterSize + i);
  }
  noteAllocated(idx: number, n: number): void { this.allocatedEnd = Math.max(this.allocatedEnd, idx + n); }

  /** A metadata table offset must be cluster aligned and inside the file. */
  checkMetadataOffset(off: number, what: string): void {
    if (off % this.clusterSize !== 0) throw this.markCorrupt(`${what} offset 0x${off.toString(16)} unaligned`);
    if (off + this.clusterSize > this.fileChild().getLength() && off / this.clusterSize >= this.allocatedEnd) {
      throw this.markCorrupt(`${what} offset 0x${off.toString(16)} past the end of the image file`);
    }
  }

  /** Flag the image corrupt (when writable) and return the error to throw. */
  markCorrupt(msg: string): QemuError {
    if (this.readOnly || this.corrupt) {
      this.corrupt = true;
      return new QemuError(`qcow2: Image is corrupt: ${msg}; further non-fatal corruption events will be suppressed`);
    }
    this.corrupt = true;
    this.header.incompatibleFeatures |= INCOMPAT_CORRUPT;
    this.pending.push(this.writeIncompat().catch(() => undefined));
    return new QemuError(`qcow2: Marking image as corrupt: ${msg}; further corruption events will be suppressed`);
  }

  /** True when beforeWrite() would have nothing to do. */
  private writeReady(): boolean {
    return !this.corrupt && !this.readOnly && !this.snapshotView && (!this.v3 || this.header.autoclearFeatures === 0n || this.bitmapsLive) &&
      (!this.lazyRefcounts || this.dirty);
  }

  /** Refuse writes to a corrupt image, and set the dirty bit before the first write. */
  async beforeWrite(): Promise<void> {
    if (this.corrupt) throw new QemuError('qcow2: Image is corrupt; cannot be written to');
    if (this.readOnly || this.snapshotView) throw new QemuError('Block node is read-only');
    if (this.v3 && this.header.autoclearFeatures !== 0n && !this.bitmapsLive) {
      // Persistent bitmaps are kept up to date (loaded, marked IN_USE, stored at close);
      // other autoclear bits were cleared at open.
      await bitmapsMakeWritable(this);
    }
    if (this.lazyRefcounts && !this.dirty) {
      this.dirty = true;
      this.header.incompatibleFeatures |= INCOMPAT_DIRTY;
      await this.writeIncompat();
      await this.fileChild().flush();
    }
  }

  async writeIncompat(): Promise<void> {
    if (!this.v3) return;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, this.header.incompatibleFeatures);
    await bdrvPwrite(this.fileChild(), 72, b);
  }

  /** Rewrite the whole header cluster (backing file change, snapshots table move ...). */
  async writeHeader(): Promise<void> {
    const buf = buildHeader(this.hinfo, this.clusterSize);
    await bdrvPwrite(this.fileChild(), 0, buf);
  }

  async writeL1Entry(i: number): Promise<void> {
    const b = new Uint8Array(8);
    setBe64(new DataView(b.buffer), 0, this.l1Table[i]);
    if (this.l1Copied[i]) b[0] |= 0x80;
    await bdrvPwrite(this.fileChild(), this.header.l1TableOffset + i * 8, b);
  }

  preadv(offset: number, buf: Uint8Array): Promise<void> {
    const host = fastHostOffset(this, offset, buf.length, false);
    return host >= 0 ? bdrvPread(this.fileChild(), host, buf) : qcow2Preadv(this, offset, buf);
  }
  pwritev(offset: number, buf: Uint8Array, _flags: number): Promise<void> {
    // In place into a cluster we own alone (its L2 entry cached): no lock, as QEMU drops s->lock
    // around data I/O; allocation and metadata changes take the general path under the lock.
    if (this.writeReady()) {
      const host = fastHostOffset(this, offset, buf.length, true);
      if (host >= 0) {
        if (this.bitmapsLive) bitmapsSetDirty(this, offset, buf.length);
        return bdrvPwrite(this.fileChild(), host, buf);
      }
    }
    return this.lock.lock(async () => {
      await this.beforeWrite(); bitmapsSetDirty(this, offset, buf.length); await qcow2Pwritev(this, offset, buf);
    });
  }
  override pwriteZeroes(offset: number, bytes: number, flags: number): Promise<void> {
    return this.lock.lock(async () => {
      await this.beforeWrite(); bitmapsSetDirty(this, offset, bytes); await qcow2WriteZeroes(this, offset, bytes, flags);
    });
  }
  override pdiscard(offset: number, bytes: number): Promise<void> {
    return this.lock.lock(async () => { await this.beforeWrite(); bitmapsSetDirty(this, offset, bytes); await qcow2Discard(this, offset, bytes); });
  }
  override blockStatus(offset: number, bytes: number): Promise<BlockStatus> { return qcow2BlockStatus(this, offset, bytes); }
  override truncate(offset: number, _exact: boolean, prealloc: PreallocMode, shrink: boolean): Promise<void> {
    return this.lock.lock(async () => {
      await this.beforeWrite();
      await bitmapsBeforeTruncate(this);
      await qcow2Truncate(this, offset, prealloc, shrink);
      bitmapsAfterTruncate(this);
    });
  }

  async flush(): Promise<void> {
    await Promise.all(this.pending);
    await this.flushMetadataCache();
    if (!this.readOnly) await this.fileChild().flush();
  }

  /** Writeback metadata (convert's target): refcount blocks first, then the L2 tables. */
  async flushMetadataCache(): Promise<void> {
    if (!this.refblockCache.writeback && !this.l2Cache.writeback) return;
    await this.lock.lock(async () => { await this.refblockCache.flush(); await this.l2Cache.flush(); });
  }

  /** Keep changed L2 tables and refcount blocks in the cache until flush or close (QEMU's
   * qcow2 caches are writeback): for a new image written with cache=unsafe by tsqemu-img
   * convert, which is garbage after a crash either way. */
  enableMetadataWriteback(): void {
    const w = (off: number, t: Uint8Array): Promise<void> => bdrvPwrite(this.fileChild(), off, t);
    this.l2Cache.writer = w;
    this.refblockCache.writer = w;
  }

  check(mode: BdrvCheckMode): Promise<BdrvCheckResult> { return this.lock.lock(() => qcow2Check(this, mode)); }
  snapshotList(): QEMUSnapshotInfo[] { return this.snapshots.map((s) => s.info); }
  snapshotCreate(name: string, vmClockNsec: bigint): Promise<void> {
    return this.lock.lock(async () => { await this.beforeWrite(); await snapshotCreate(this, name, vmClockNsec); });
  }
  snapshotGoto(name: string): Promise<void> {
    return this.lock.lock(async () => { await this.beforeWrite(); await snapshotGoto(this, name); });
  }
  snapshotDelete(name: string): Promise<void> {
    return this.lock.lock(async () => { await this.beforeWrite(); await snapshotDelete(this, name); });
  }
  snapshotLoadTmp(name: string): Promise<void> { return snapshotLoadTmp(this, name); }
  amend(opts: BlockOptions, progress?: (d: number, t: number) => void): Promise<void> {
    return this.lock.lock(() => qcow2Amend(this, opts, progress));
  }

  async changeBackingFile(file: string, fmt: string): Promise<void> {
    await this.lock.lock(async () => {
      if (this.readOnly) throw new QemuError('Block node is read-only');
      this.hinfo.backingFile = file;
      this.hinfo.backingFormat = file ? fmt : '';
      this.backingFile = file;
      this.backingFormat = this.hinfo.backingFormat;
      await this.writeHeader();
    });
  }

  override getSpecificInfo(): FormatSpecificInfo {
    const h = this.header;
    const data: Record<string, unknown> = { compat: this.v3 ? '1.1' : '0.10' };
    data['compression-type'] = h.compressionType === 1 ? 'zstd' : 'zlib';
    if (this.v3) data['lazy-refcounts'] = this.lazyRefcounts;
    if (this.bitmaps.length) data.bitmaps = bitmapsInfo(this.bitmaps);
    if (this.crypto) data.encrypt = this.crypto.getInfo();
    data['refcount-bits'] = 1 << this.refcountOrder;
    if (this.v3) { data.corrupt = this.corrupt; data['extended-l2'] = this.extL2; }
    return { type: 'qcow2', data };
  }

  async close(): Promise<void> {
    try {
      await Promise.all(this.pending);
      if (!this.corrupt && !this.readOnly) await bitmapsStore(this);
      if (!this.corrupt) await this.flushMetadataCache();
      if (!this.readOnly && this.dirty && !this.corrupt) {
        await this.fileChild().flush();
        this.header.incompatibleFeatures &= ~INCOMPAT_DIRTY;
        this.dirty = false;
        await this.writeIncompat();
      }
      if (!this.readOnly) await this.fileChild().flush();
    } finally {
      if (this.backing && !bdrvLookupNode(this.backing.nodeName)) await this.backing.close();
      if (!bdrvLookupNode(this.fileChild().nodeName)) await this.fileChild().close();
    }
  }
}

async function qcow2Open(ctx: BdrvOpenContext): Promise<BlockDriverState> {
  const child = await ctx.openFile();
  try {
    return await openOnChild(ctx, child);
  } catch (e) {
    await child.close().catch(() => undefined);
    throw e;
  }
}

async function openOnChild(ctx: BdrvOpenContext, child: BlockDriverState): Promise<BDRVQcow2State> {
  const flen = child.getLength();
  // Cluster 0 holds the header, its extensions and the backing file name (as QEMU, nothing past
  // it is read): its size is known from the first bytes. A bad cluster_bits is parseHeader's.
  const peek = new Uint8Array(Math.min(flen, 4096));
  await bdrvPread(child, 0, peek);
  const bits = peek.length >= 24 ? new DataView(peek.buffer, peek.byteOffset).getUint32(20) : 0;
  let first = peek;
  if (bits >= MIN_CLUSTER_BITS && bits <= MAX_CLUSTER_BITS) {
    const want = Math.min(flen, 2 ** bits);
    if (want <= peek.length) first = peek.subarray(0, want);
    else {
      first = new Uint8Array(want);
      first.set(peek);
      await bdrvPread(child, peek.length, first.subarray(peek.length));
    }
  }
  const hinfo = parseHeader(first, flen);
  const h = hinfo.header;
  const s = new BDRVQcow2State(bdrvQcow2, ctx.flags, child);
  s.header = h; s.hinfo = hinfo;
  s.clusterBits = h.clusterBits; s.clusterSize = 2 ** h.clusterBits;
  s.extL2 = (h.incompatibleFeatures & INCOMPAT_EXTL2) !== 0n;
  s.l2EntryBytes = s.extL2 ? 16 : 8;
  s.l2Bits = h.clusterBits - (s.extL2 ? 4 : 3); s.l2Size = 2 ** s.l2Bits;
  s.subclusterBits = h.clusterBits - (s.extL2 ? 5 : 0); s.subclusterSize = 2 ** s.subclusterBits;
  s.refcountOrder = h.refcountOrder;
  s.refblockEntries = s.clusterSize * 8 / (1 << h.refcountOrder);
  s.maxRefcount = maxRefcount(h.refcountOrder);
  const l2CacheBytes = ctx.options.get('l2-cache-size') ?? ctx.options.get('cache-size');
  const cacheTables = l2CacheBytes !== undefined
    ? Math.max(2, Math.floor(parseSize('l2-cache-size', l2CacheBytes) / s.clusterSize))
    : Math.max(16, Math.floor(32 * 1024 * 1024 / s.clusterSize));
  s.l2Cache = new Qcow2Cache(cacheTables);
  s.refblockCache = new Qcow2Cache(Math.max(16, cacheTables / 4));
  s.corrupt = (h.incompatibleFeatures & INCOMPAT_CORRUPT) !== 0n;
  s.dirty = (h.incompatibleFeatures & INCOMPAT_DIRTY) !== 0n;
  if (s.corrupt && !ctx.flags.readOnly && !ctx.flags.check) {
    throw new QemuError('qcow2: Image is corrupt; cannot be opened read/write');
  }
  s.backingFile = hinfo.backingFile;
  s.backingFormat = hinfo.backingFormat;
  s.metadataClusters.add(0);
  await loadRefcountTable(s);
  for (let i = 0; i < h.refcountTableClusters; i++) s.metadataClusters.add(h.refcountTableOffset / s.clusterSize + i);
  await loadL1(s);
  s.snapshots = await readSnapshots(s);
  s.bitmaps = await readBitmaps(s);
  await openCrypto(ctx, s);
  if (!ctx.flags.noBacking && hinfo.backingFile) {
    s.backing = await ctx.openBacking({ filename: hinfo.backingFile, format: hinfo.backingFormat, base: child.filename });
  } else if (ctx.options.has('backing')) {
    s.backing = await ctx.openBacking({ filename: '', format: '' });
  }
  if (s.dirty && !ctx.flags.readOnly && !ctx.flags.check) {
    // The dirty bit means refcounts may be stale (lazy refcounts): repair them, as QEMU does.
    // Its findings are printed as QEMU's check prints them (qemu-iotests 061).
    const r = await qcow2Check(s, BdrvCheckMode.FIX_LEAKS | BdrvCheckMode.FIX_ERRORS);
    for (const m of r.messages) ctx.log?.(m);
    s.header.incompatibleFeatures &= ~INCOMPAT_DIRTY;
    s.dirty = false;
    await s.writeIncompat();
  }
  if (h.version === 3 && !ctx.flags.readOnly && (h.autoclearFeatures & ~AUTOCLEAR_KNOWN)) {
    // Opened read/write, QEMU clears the autoclear bits it does not know at once (qemu-iotests
    // 036); the bitmaps bit stays until the first write (beforeWrite).
    h.autoclearFeatures &= AUTOCLEAR_KNOWN;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, h.autoclearFeatures);
    await bdrvPwrite(child, 88, b);
  }
  return s;
}

/** QEMU's QCOW2_AUTOCLEAR_MASK: bitmaps (bit 0) and data-file-raw (bit 1). */
const AUTOCLEAR_KNOWN = 3n;

/** Open a freshly created image on its file child, without backing (qcow2 create, amend). */
export function openQcow2OnFile(file: BlockDriverState): Promise<BDRVQcow2State> {
  const flags = { ...file.flags, readOnly: false, noBacking: true };
  const ctx: BdrvOpenContext = {
    options: new Map(), flags, nodeName: '', warn: () => undefined, subOptions: () => new Map(),
    openFile: async () => file, openBacking: async () => null,
  };
  return openOnChild(ctx, file);
}

async function openCrypto(ctx: BdrvOpenContext, s: BDRVQcow2State): Promise<void> {
  const h = s.header;
  if (h.cryptMethod === 0) return;
  s.encrypted = true;
  s.requestAlignment = 512;
  if (h.cryptMethod === QCOW_CRYPT_AES) throw new QemuError('AES-CBC encrypted qcow2 images are no longer supported in system emulators');
  if (h.cryptMethod !== QCOW_CRYPT_LUKS || !s.hinfo.cryptoHeader) throw new QemuError('qcow2: encryption header missing');
  const ch = s.hinfo.cryptoHeader;
  const opts = ctx.subOptions('encrypt.');
  const noIO = !opts.has('key-secret');
  const read = async (off: number, buf: Uint8Array): Promise<void> => {
    if (off + buf.length > ch.length) throw new QemuError('Request for data outside of extension header');
    await bdrvPread(s.fileChild(), ch.offset + off, buf);
  };
  s.cryptoHeaderIO = {
    read,
    write: async (off: number, buf: Uint8Array): Promise<void> => {
      if (off + buf.length > ch.length) throw new QemuError('Request for data outside of extension header');
      await bdrvPwrite(s.fileChild(), ch.offset + off, buf);
    },
  };
  for (let i = 0; i < Math.ceil(ch.length / s.clusterSize); i++) s.metadataClusters.add(ch.offset / s.clusterSize + i);
  if (noIO && !ctx.flags.readOnly) throw new QemuError("Parameter 'encrypt.key-secret' is required for cipher");
  s.crypto = await getCryptoProvider().open(opts, read, noIO);
}

export const bdrvQcow2: BlockDriver = {
  formatName: 'qcow2',
  isProtocol: false,
  probe(header: Uint8Array): number {
    if (header.length < 8) return 0;
    const dv = new DataView(header.buffer, header.byteOffset, header.byteLength);
    return dv.getUint32(0) === QCOW_MAGIC && dv.getUint32(4) >= 2 ? 100 : 0;
  },
  open: qcow2Open,
  create: qcow2Create,
  runtimeOptions: ['l2-cache-size', 'l2-cache-entry-size', 'refcount-cache-size', 'cache-size', 'cache-clean-interval',
    'lazy-refcounts', 'pass-discard-request', 'pass-discard-snapshot', 'pass-discard-other', 'discard-no-unref',
    'overlap-check', 'overlap-check.template'],
  createOptions: qcow2CreateOptions,
};

export { be64 };
