// Host side of the block layer: registers the drivers (file protocol on node:fs plus the
// core formats) and turns -drive / -blockdev options into a BlockBackend for a device.
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { QemuError } from '../../qemu/error.js';
import { parseBool, QemuOptsDict } from '../../qemu/option.js';
import { BlockBackend } from '../../block/block-backend.js';
import { BdrvCreateContext, BdrvOpenFlags, BlockDriverState, BlockOptions, defaultOpenFlags, PreallocMode } from '../../block/block_int.js';
import { bdrvFindFormat, bdrvLookupNode, bdrvOpen, bdrvRegister, pathCombine } from '../../block/block.js';
import { BlockBackendNode, DetectZeroes } from '../../block/block-backend-node.js';
import { registerCoreFormats } from '../../block/formats.js';
import { bdrvFile, fileCreate } from './file-posix.js';
import { qcryptoInitNode } from './crypto-node.js';
import { DEVICE_SHARED } from './file-lock.js';
import { setQcow2Codec, zstdDecompressCluster } from '../../block/qcow2-compress.js';
import { setHostBufferIsZero } from '../../block/io.js';
import { deflateRawCluster, inflateRawCluster } from './zlib-raw.js';
import { createRequire } from 'node:module';

/** qcow2 compressed clusters on node:zlib: raw deflate with QEMU's 4 KiB window. */
function registerCodec(): void {
  // One reused zlib stream each way (zlib-raw.ts); node:zlib loads only where that cannot serve.
  setQcow2Codec({
    deflate: async (data) => deflateRawCluster(data, 12),
    inflate: async (data, outLen) => {
      const out = inflateRawCluster(data, outLen);
      return out.length > outLen ? out.subarray(0, outLen) : out;
    },
    // The pure-JS decoder needs TurboFan (2.4x slower without): tsqemu-img starts without it.
    zstdDecompress: (data, outLen) => { turbofanOn(); return zstdDecompressCluster(data, outLen); },
  });
}

/** Let V8 optimise hot JavaScript from now on (tsqemu-img defers TurboFan: cli/img.ts, which
 * reads the same global flag: the two are separate scripts). node:v8 loads on first use. */
export function turbofanOn(): void {
  const g = globalThis as Record<symbol, unknown>;
  const key = Symbol.for('tsqemu.turbofan');
  if (!g[key]) { g[key] = true; (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString('--turbofan'); }
}

let registered = false;

/** Register every block driver once (file protocol + raw, qcow2, luks). */
export function blockInit(): void {
  if (registered) return;
  registered = true;
  bdrvRegister(bdrvFile);
  registerCoreFormats();
  registerCodec();
  qcryptoInitNode();
  setHostBufferIsZero(nodeBufferIsZero);
}

const ZERO_STEP = 64 * 1024;
let zeroes: Buffer | null = null;

/** memcmp of buf[start, end) against a shared zero buffer, ZERO_STEP bytes at a time (buf as
 * compare's target: no Buffer view is made per test). */
function nodeBufferIsZero(buf: Uint8Array, start: number, end: number): boolean {
  const z = zeroes ??= Buffer.alloc(ZERO_STEP);
  for (let p = start; p < end; p += ZERO_STEP) {
    const n = Math.min(ZERO_STEP, end - p);
    if (z.compare(buf, p, p + n, 0, n) !== 0) return false;
  }
  return true;
}

export type WarnFn = (msg: string) => void;
const defaultWarn: WarnFn = (m) => process.stderr.write(`tsqemu-system-riscv64: warning: ${m}\n`);

/** -drive keys the device side (machine code) consumes; the block layer ignores them. */
const DEVICE_KEYS = ['if', 'id', 'index', 'bus', 'unit', 'media', 'serial', 'werror', 'rerror', 'throttling.iops-total', 'copy-on-read'];

/** cache= modes as (direct, no-flush, write-through), as QEMU's bdrv_parse_cache_mode. */
export function parseCacheMode(mode: string): { direct: boolean; noFlush: boolean; writeThrough: boolean } {
  switch (mode) {
    case 'writeback': return { direct: false, noFlush: false, writeThrough: false };
    case 'none': case 'off': return { direct: true, noFlush: false, writeThrough: false };
    case 'writethrough': return { direct: false, noFlush: false, writeThrough: true };
    case 'directsync': return { direct: true, noFlush: false, writeThrough: true };
    case 'unsafe': return { direct: false, noFlush: true, writeThrough: false };
    default: throw new QemuError(`invalid cache option`);
  }
}

function parseDiscard(v: string | undefined): 'ignore' | 'unmap' {
  if (v === undefined || v === 'ignore' || v === 'off') return 'ignore';
  if (v === 'unmap' || v === 'on') return 'unmap';
  throw new QemuError(`Invalid discard option`);
}

/**
 * detect-zeroes=: `unmap` needs discard=unmap on a node (-blockdev, bdrv_open_common's check);
 * -drive sets it on the backend after the open (blockdev_init), unchecked, and without
 * discard=unmap it then writes zeroes without unmapping, as `on` (QEMU 7.2 and 10.2 alike).
 */
function parseDetectZeroes(v: string | undefined, discard: 'ignore' | 'unmap', checked = true): DetectZeroes {
  if (v === undefined || v === 'off') return 'off';
  if (v === 'on') return 'on';
  if (v === 'unmap') {
    if (discard !== 'unmap' && checked) throw new QemuError("setting detect-zeroes to unmap is not allowed without setting discard operation to unmap");
    return 'unmap';
  }
  throw new QemuError(`Parameter 'detect-zeroes' does not accept value '${v}'`);
}

/** Open flags for qemu-img and -drive from the common keys. */
export function openFlagsFrom(opts: QemuOptsDict): BdrvOpenFlags {
  const f = defaultOpenFlags();
  const cache = opts.get('cache');
  if (cache !== undefined) Object.assign(f, parseCacheMode(cache));
  const ro = opts.get('read-only') ?? opts.get('readonly');
  if (ro !== undefined) f.readOnly = parseBool('read-only', ro);
  return f;
}

/** A temporary qcow2 overlay over `filename` (snapshot=on); the file is unlinked on close. */
async function snapshotOverlay(filename: string, format: string, size: number, warn: WarnFn): Promise<string> {
  const qcow2 = bdrvFindFormat('qcow2');
  if (!qcow2?.create) throw new QemuError('snapshot=on needs the qcow2 driver');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsqemu-snap-'));
  const tmp = path.join(dir, 'overlay.qcow2');
  const o: BlockOptions = new Map([['backing_file', path.resolve(filename)], ['backing_fmt', format]]);
  await qcow2.create(createContext(tmp, size, o, warn));
  return tmp;
}

/** The context a driver's create() gets on this host. */
export function createContext(filename: string, size: number, options: BlockOptions, warn: WarnFn): BdrvCreateContext {
  return {
    filename, size, options,
    createFile: (fn: string, prealloc: PreallocMode, sz: number) => fileCreate(fn, prealloc, sz, defaultOpenFlags()),
    openImage: (fn: string, format: string | undefined) => {
      const o: BlockOptions = new Map([['file', fn]]);
      if (format) o.set('driver', format);
      return bdrvOpen(o, { ...defaultOpenFlags(), readOnly: true }, { warn }, !format);
    },
  };
}

/**
 * Open a -drive: file=, format= (probed when absent, warning for raw like QEMU), readonly /
 * read-only, snapshot, cache, aio, discard, detect-zeroes, node-name, and dotted driver keys
 * (file.*, encrypt.*, backing.*). Device keys (if, id, index, media ...) are ignored here.
 */
export async function openDrive(opts: Map<string, string>, warn: WarnFn = defaultWarn): Promise<BlockBackend> {
  blockInit();
  const file = opts.get('file');
  if (opts.has('driver') && opts.has('format') && opts.get('driver') !== opts.get('format')) {
    throw new QemuError("Cannot specify both 'driver' and 'format'");
  }
  const format = opts.get('format') ?? opts.get('driver');
  const cache = parseCacheMode(opts.get('cache') ?? 'writeback');
  const discard = parseDiscard(opts.get('discard'));
  const detectZeroes = parseDetectZeroes(opts.get('detect-zeroes'), discard, false);
  const snapshot = parseBool('snapshot', opts.get('snapshot') ?? 'off');
  const flags: BdrvOpenFlags = { ...defaultOpenFlags(), direct: cache.direct, noFlush: cache.noFlush, writeThrough: cache.writeThrough,
    consumerShared: DEVICE_SHARED };
  const ro = opts.get('readonly') ?? opts.get('read-only');
  if (ro !== undefined) flags.readOnly = parseBool('readonly', ro);

  const node: BlockOptions = new Map();
  for (const [k, v] of opts) {
    if (['file', 'format', 'cache', 'discard', 'detect-zeroes', 'snapshot', 'readonly', 'read-only', 'driver'].includes(k) || DEVICE_KEYS.includes(k)) continue;
    node.set(k, v);
  }
  if (file === undefined && ![...opts.keys()].some((k) => k.startsWith('file.'))) throw new QemuError('A block device must be specified for "file"');
  if (file !== undefined) node.set('file', file);
  if (format !== undefined) {
    if (format === 'help' || format === '?') throw new QemuError('Supported formats: file qcow2 raw luks');
    if (!bdrvFindFormat(format)) throw new QemuError(`'${format}' invalid format`);
    node.set('driver', format);
  }
  const id = opts.get('id') ?? '';
  let root: BlockDriverState = await bdrvOpen(node, snapshot ? { ...flags, readOnly: true } : flags, { warn, log: (l) => process.stderr.write(`${l}\n`) }, format === undefined);
  let onClose: (() => Promise<void>) | undefined;
  if (snapshot && !flags.readOnly) {
    const baseName = file ?? opts.get('file.filename') ?? root.filename;
    const tmp = await snapshotOverlay(baseName, root.drv.formatName, root.getLength(), warn);
    await root.close();
    const ov: BlockOptions = new Map([['driver', 'qcow2'], ['file', tmp]]);
    root = await bdrvOpen(ov, { ...flags, direct: false }, { warn });
    onClose = () => fsp.rm(path.dirname(tmp), { recursive: true, force: true });
  }
  return new BlockBackendNode(root, { id, discard, detectZeroes, writeThrough: cache.writeThrough, onClose });
}

/** -blockdev: open a named node (driver=, node-name=, file=<node>|file.*). */
export async function blockdevAdd(opts: Map<string, string>, warn: WarnFn = defaultWarn): Promise<BlockDriverState> {
  blockInit();
  if (!opts.has('driver')) throw new QemuError("Parameter 'driver' is missing");
  if (!opts.has('node-name')) throw new QemuError("'node-name' must be specified for the root node");
  const discard = parseDiscard(opts.get('discard'));
  blockdevFrontOpts.set(opts.get('node-name') as string, { discard, detectZeroes: parseDetectZeroes(opts.get('detect-zeroes'), discard) });
  return bdrvOpen(new Map(opts), { ...defaultOpenFlags(), consumerShared: DEVICE_SHARED }, { warn });
}

const blockdevFrontOpts = new Map<string, { discard: 'ignore' | 'unmap'; detectZeroes: DetectZeroes }>();

/** A BlockBackend on a -blockdev node for -device ...,drive=<node-name>. */
export function blockBackendForNode(nodeName: string, id = nodeName): BlockBackend {
  const bs = bdrvLookupNode(nodeName);
  if (!bs) throw new QemuError(`Drive '${nodeName}' not found`);
  const fo = blockdevFrontOpts.get(nodeName) ?? { discard: 'ignore', detectZeroes: 'off' };
  return new BlockBackendNode(bs, { id, ...fo, writeThrough: bs.flags.writeThrough });
}

export { pathCombine };
