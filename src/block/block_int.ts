// The block driver interface (QEMU's include/block/block_int.h): a BlockDriver is a format
// (raw, qcow2, luks) or a protocol (file); opening one yields a BlockDriverState, a node of the
// block graph with optional children `file` (the layer it stores its bytes in) and `backing`
// (the image it reads unallocated ranges from). Offsets and lengths are bytes, as JS numbers
// (safe to 2^53). Requests reaching a driver are within its length; alignment to
// `requestAlignment` is handled by the generic layer (src/block/io.ts), not by drivers.
import { QemuError } from '../qemu/error.js';

/** Flattened dotted options of one node, e.g. driver=qcow2, file.filename=a.qcow2. */
export type BlockOptions = Map<string, string>;

/** Open flags shared by a node and (by inheritance) its children, as QEMU's BDRV_O_*. */
export interface BdrvOpenFlags {
  readOnly: boolean;
  /** cache.direct: O_DIRECT on the file protocol (cache=none, directsync). */
  direct: boolean;
  /** cache.no-flush: flushes are dropped (cache=unsafe). */
  noFlush: boolean;
  /** Write-through: every write is followed by a flush (cache=writethrough, directsync). */
  writeThrough: boolean;
  /** aio=threads|native|io_uring; '' = the host's default engine (native runs on io_uring). */
  aio: string;
  /** Skip the format probe and similar checks qemu-img -U (force-share) asks for. */
  forceShare: boolean;
  /** Do not open the backing chain (qemu-img info/rebase -u with BDRV_O_NO_BACKING). */
  noBacking: boolean;
  /** Image is being checked/repaired: qcow2 opens it even with the corrupt bit set. */
  check: boolean;
  /**
   * Image locking (QEMU's permission graph, flattened): the permissions the image's user shares
   * with other processes (BLK_PERM_* bits; undefined = all, as a qemu-img BlockBackend), and
   * whether the file node stores a format's metadata (then write and resize are never shared).
   */
  consumerShared?: number;
  fileRole?: 'filtered' | 'metadata';
}

export const defaultOpenFlags = (): BdrvOpenFlags => ({
  readOnly: false, direct: false, noFlush: false, writeThrough: false, aio: '',
  forceShare: false, noBacking: false, check: false,
});

/** Request flags (BDRV_REQ_*). */
export const enum BdrvRequestFlags {
  NONE = 0,
  /** pwriteZeroes may deallocate (unmap) instead of writing zeroes. */
  MAY_UNMAP = 1,
  /** Data must be stable when the request completes (FUA). */
  FUA = 2,
  /** The caller does not want fallback to explicit zero writes. */
  NO_FALLBACK = 4,
}

/** block_status result bits (BDRV_BLOCK_*). */
export const enum BlockStatusFlags {
  DATA = 0x01,
  ZERO = 0x02,
  OFFSET_VALID = 0x04,
  /** Allocated in this layer (not from backing). */
  ALLOCATED = 0x10,
  /** Compressed cluster: data but no single host offset. */
  COMPRESSED = 0x40,
}

export interface BlockStatus {
  flags: number;
  /** Bytes from the query offset having this status (> 0). */
  pnum: number;
  /** Host offset in `file` when OFFSET_VALID. */
  map?: number;
  /** The node where the data lives when OFFSET_VALID (usually bs.file). */
  file?: BlockDriverState;
}

/** One internal snapshot as qemu-img snapshot -l and info list it. */
export interface QEMUSnapshotInfo {
  id: string;
  name: string;
  vmStateSize: number;
  dateSec: number;
  dateNsec: number;
  vmClockNsec: bigint;
  icount: bigint | null;
  diskSize: number;
}

/** A consistency-check report (qemu-img check). */
export interface BdrvCheckResult {
  corruptions: number;
  leaks: number;
  checkErrors: number;
  corruptionsFixed: number;
  leaksFixed: number;
  imageEndOffset: number;
  allocatedClusters: number;
  totalClusters: number;
  fragmentedClusters: number;
  compressedClusters: number;
  /** Human lines printed before the summary ("Leaked cluster 5 refcount=1 reference=0"). */
  messages: string[];
}

export const enum BdrvCheckMode { NONE = 0, FIX_LEAKS = 1, FIX_ERRORS = 2 }

export type PreallocMode = 'off' | 'metadata' | 'falloc' | 'full';

/**
 * A node of the block graph. Drivers subclass it; the generic layer (io.ts) validates bounds
 * and alignment before calling the `co*` methods, so drivers see in-range, aligned requests.
 */
export abstract class BlockDriverState {
  nodeName = '';
  /** The name shown by qemu-img info ("image:"), the filename for protocols. */
  filename = '';
  /** Child holding this node's bytes (formats); null for protocols. */
  file: BlockDriverState | null = null;
  /** Backing node (copy-on-write source), null if none or not opened. */
  backing: BlockDriverState | null = null;
  /** Backing file name as recorded in the image, and its format (or ''). */
  backingFile = '';
  backingFormat = '';
  /** Smallest I/O unit: 1 for buffered files, 512/4096 for O_DIRECT. */
  requestAlignment = 1;
  /** Whether this node's unallocated ranges read as zeroes (no backing, fresh file). */
  encrypted = false;

  constructor(readonly drv: BlockDriver, public flags: BdrvOpenFlags) {}

  get readOnly(): boolean { return this.flags.readOnly; }

  /** Size in bytes. */
  abstract getLength(): number;
  abstract preadv(offset: number, buf: Uint8Array): Promise<void>;
  abstract pwritev(offset: number, buf: Uint8Array, flags: number): Promise<void>;
  abstract flush(): Promise<void>;
  abstract close(): Promise<void>;

  /** Make [offset, offset+bytes) read as zeroes. Default: write a zero buffer. */
  async pwriteZeroes(offset: number, bytes: number, flags: number): Promise<void> {
    const chunk = new Uint8Array(Math.min(bytes, 1 << 20));
    for (let done = 0; done < bytes; done += chunk.length) {
      const n = Math.min(chunk.length, bytes - done);
      await this.pwritev(offset + done, n === chunk.length ? chunk : chunk.subarray(0, n), flags & ~BdrvRequestFlags.MAY_UNMAP);
    }
  }

  /** Deallocate a range (a hint: may do nothing). */
  async pdiscard(_offset: number, _bytes: number): Promise<void> { /* optional */ }

  /** Allocation status at offset. Default: all data, at the same offset in `file` if any. */
  async blockStatus(offset: number, bytes: number): Promise<BlockStatus> {
    return { flags: BlockStatusFlags.DATA | BlockStatusFlags.ALLOCATED, pnum: bytes };
  }

  /** Resize. `exact` false allows a larger result (protocols). */
  async truncate(_offset: number, _exact: boolean, _prealloc: PreallocMode, _shrink: boolean): Promise<void> {
    throw new QemuError(`Image format driver '${this.drv.formatName}' does not support resize`);
  }

  /** Bytes the node occupies on the host (qemu-img info "disk size"), or -1 if unknown. */
  async getAllocatedFileSize(): Promise<number> {
    return this.file ? this.file.getAllocatedFileSize() : -1;
  }

  /** qemu-img info's "format-specific" data (qcow2: compat, lazy refcounts ...). */
  getSpecificInfo(): FormatSpecificInfo | null { return null; }
  /** Cluster size for qemu-img info, or 0. */
  getClusterSize(): number { return 0; }
  isDirty(): boolean { return false; }

  /** Re-read metadata from disk (after another writer). Optional. */
  async invalidateCache(): Promise<void> { /* optional */ }
}

/** qemu-img info's format-specific block: `type` plus QAPI-named fields in insertion order. */
export interface FormatSpecificInfo {
  type: string;
  data: Record<string, unknown>;
}

/** Capabilities a format may add; qemu-img uses them when present. */
export interface BdrvSnapshotOps {
  snapshotList(): QEMUSnapshotInfo[];
  snapshotCreate(name: string, vmClockNsec: bigint): Promise<void>;
  snapshotGoto(name: string): Promise<void>;
  snapshotDelete(name: string): Promise<void>;
  /** Make reads see the snapshot (qemu-img convert -l), read-only. */
  snapshotLoadTmp(name: string): Promise<void>;
}

export interface BdrvCheckOps {
  check(mode: BdrvCheckMode): Promise<BdrvCheckResult>;
}

export interface BdrvAmendOps {
  amend(opts: BlockOptions, progress?: (done: number, total: number) => void): Promise<void>;
}

/** Change the recorded backing file without touching data (rebase -u, commit). */
export interface BdrvChangeBackingOps {
  changeBackingFile(file: string, fmt: string): Promise<void>;
}

export function hasSnapshots(bs: BlockDriverState): bs is BlockDriverState & BdrvSnapshotOps {
  return typeof (bs as Partial<BdrvSnapshotOps>).snapshotList === 'function';
}
export function hasCheck(bs: BlockDriverState): bs is BlockDriverState & BdrvCheckOps {
  return typeof (bs as Partial<BdrvCheckOps>).check === 'function';
}
export function hasAmend(bs: BlockDriverState): bs is BlockDriverState & BdrvAmendOps {
  return typeof (bs as Partial<BdrvAmendOps>).amend === 'function';
}
export function hasChangeBacking(bs: BlockDriverState): bs is BlockDriverState & BdrvChangeBackingOps {
  return typeof (bs as Partial<BdrvChangeBackingOps>).changeBackingFile === 'function';
}

/** What a driver's open() is given. */
export interface BdrvOpenContext {
  /** This node's options; children's options carry their prefix ("file.filename"). */
  options: BlockOptions;
  flags: BdrvOpenFlags;
  nodeName: string;
  /** Open the `file` child from the "file" / "file.*" options. Formats store their bytes there. */
  openFile(role?: 'filtered' | 'metadata'): Promise<BlockDriverState>;
  /**
   * Open the backing child from "backing" / "backing.*" options, else the name recorded in
   * the image (relative to `base`, this image's file name), unless flags.noBacking; null when none.
   */
  openBacking(recorded: { filename: string; format: string; base?: string }): Promise<BlockDriverState | null>;
  /** Print a warning (qemu-img / system emulator prefix added by the host). */
  warn(msg: string): void;
  /** Print a diagnostic line as it is, no prefix (QEMU's fprintf(stderr)). */
  log?(line: string): void;
  /** Options under a prefix ("encrypt." -> key-secret=sec0 ...), prefix removed. */
  subOptions(prefix: string): BlockOptions;
}

/** What a driver's create() is given (qemu-img create, -o options). */
export interface BdrvCreateContext {
  filename: string;
  size: number;
  /** -o options, e.g. cluster_size=65536, compat=1.1, encrypt.format=luks. */
  options: BlockOptions;
  /** Create + open the storage under the image (the file protocol). */
  createFile(filename: string, prealloc: PreallocMode, size: number): Promise<BlockDriverState>;
  /** Open an existing image (the backing file, to learn its size). */
  openImage(filename: string, format: string | undefined): Promise<BlockDriverState>;
}

export interface BlockDriver {
  /** "raw", "qcow2", "luks", "file". */
  readonly formatName: string;
  /** Protocol drivers (file) hold bytes themselves; formats sit on a `file` child. */
  readonly isProtocol: boolean;
  /** Score 0..100 that `header` (first 2 KiB or fewer) is this format (formats only). */
  probe?(header: Uint8Array, filename: string): number;
  open(ctx: BdrvOpenContext): Promise<BlockDriverState>;
  create?(ctx: BdrvCreateContext): Promise<void>;
  /**
   * Runtime option keys this driver accepts besides the generic ones and its children's
   * prefixed keys; when given, anything else is refused as QEMU does.
   */
  readonly runtimeOptions?: readonly string[];
  /** -o option names and help lines for qemu-img create -o help. */
  readonly createOptions?: readonly CreateOptionDesc[];
}

export interface CreateOptionDesc {
  name: string;
  type: 'size' | 'number' | 'bool' | 'string';
  help: string;
  def?: string;
}

// ---- Encryption hook (qcow2 encrypt.format=luks, and the luks format driver) ----

/**
 * An opened encryption context (QEMU's QCryptoBlock). Sector size is 512; `offset` passed to
 * encrypt/decrypt is a byte offset (multiple of sectorSize) that selects the IV: for LUKS in
 * qcow2 it is the host offset of the data in the image file, for the luks format driver the
 * guest offset. Data is transformed in place; buf.length is a multiple of sectorSize.
 */
export interface QCryptoBlock {
  readonly sectorSize: number;
  /** Where the payload starts in the luks format (bytes); 0 inside qcow2. */
  readonly payloadOffset: number;
  encrypt(offset: number, buf: Uint8Array): Promise<void>;
  decrypt(offset: number, buf: Uint8Array): Promise<void>;
  /** Format-specific info for qemu-img info (encrypt: {format: luks, ...}). */
  getInfo(): Record<string, unknown>;
}

/** Header I/O the crypto layer is given; offsets are relative to the header area start. */
export type CryptoReadFunc = (offset: number, buf: Uint8Array) => Promise<void>;
export type CryptoWriteFunc = (offset: number, buf: Uint8Array) => Promise<void>;
/** Called once with the header length the crypto layer needs, before any write. */
export type CryptoInitFunc = (headerLen: number) => Promise<void>;

/**
 * What the luks engineer provides (src/crypto/): open and create a LUKS header through the
 * given I/O callbacks. `opts` are the "encrypt." options without the prefix (key-secret,
 * cipher-alg, ...). Secrets come from the --object registry, resolved by the provider.
 */
export interface QCryptoBlockProvider {
  open(opts: BlockOptions, read: CryptoReadFunc, noIO: boolean): Promise<QCryptoBlock>;
  create(opts: BlockOptions, init: CryptoInitFunc, write: CryptoWriteFunc): Promise<QCryptoBlock>;
  amend?(block: QCryptoBlock, opts: BlockOptions, read: CryptoReadFunc, write: CryptoWriteFunc): Promise<void>;
}

let cryptoProvider: QCryptoBlockProvider | null = null;

export function setCryptoProvider(p: QCryptoBlockProvider): void { cryptoProvider = p; }

export function getCryptoProvider(): QCryptoBlockProvider {
  if (!cryptoProvider) throw new QemuError('LUKS encryption support is not available');
  return cryptoProvider;
}
