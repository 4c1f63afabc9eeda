// Host side of the block layer in the browser (src/host/node/block.ts's counterpart): the
// browser protocols plus the core formats, and -drive turned into a BlockBackend. A drive on
// read-only storage (an http(s) URL, a picked local file) that the guest may write gets a qcow2
// overlay: in the Origin Private File System by default, so a reload keeps the guest's writes,
// or in memory with snapshot=on.
import { QemuError } from '../../qemu/error.js';
import { parseBool } from '../../qemu/option.js';
import type { BlockBackend } from '../../block/block-backend.js';
import { type BdrvCreateContext, type BdrvOpenFlags, type BlockDriverState, type BlockOptions, defaultOpenFlags } from '../../block/block_int.js';
import { bdrvFindFormat, bdrvOpen, bdrvRegister } from '../../block/block.js';
import { BlockBackendNode, type DetectZeroes } from '../../block/block-backend-node.js';
import { registerCoreFormats } from '../../block/formats.js';
import { setQcow2Codec, zstdDecompressCluster } from '../../block/qcow2-compress.js';
import { bdrvBrowserFile, bdrvHttp, browserFileCreate, isReadOnlyProtocol, opfsExists, opfsRoot } from './block-protocols.js';

async function streamThrough(data: Uint8Array, t: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }, limit: number): Promise<Uint8Array> {
  const w = t.writable.getWriter();
  void w.write(data).catch(() => {});
  void w.close().catch(() => {});
  const chunks: Uint8Array[] = [];
  let n = 0;
  const r = t.readable.getReader();
  try {
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
      if (n >= limit) { void r.cancel(); break; }
    }
  } catch (e) {
    if (n === 0) throw e; // a truncated stream after the data we need is fine (sector padding)
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/** gunzip with the browser's DecompressionStream (kernel Image.gz, initrds). */
export function gunzip(data: Uint8Array, limit = 512 * 1024 * 1024): Promise<Uint8Array> {
  return streamThrough(data, new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>, limit);
}

function registerCodec(): void {
  setQcow2Codec({
    deflate: (data) => streamThrough(data, new CompressionStream('deflate-raw') as unknown as TransformStream<Uint8Array, Uint8Array>, Infinity),
    inflate: async (data, outLen) => {
      const out = await streamThrough(data, new DecompressionStream('deflate-raw') as unknown as TransformStream<Uint8Array, Uint8Array>, outLen);
      return out.subarray(0, Math.min(out.length, outLen));
    },
    zstdDecompress: zstdDecompressCluster,
  });
}

let registered = false;

export function blockInit(): void {
  if (registered) return;
  registered = true;
  bdrvRegister(bdrvBrowserFile);
  for (const d of bdrvHttp) bdrvRegister(d);
  registerCoreFormats();
  registerCodec();
}

export type WarnFn = (msg: string) => void;

export function createContext(filename: string, size: number, options: BlockOptions, warn: WarnFn): BdrvCreateContext {
  return {
    filename, size, options,
    createFile: (fn, prealloc, sz) => browserFileCreate(fn, prealloc, sz, defaultOpenFlags()),
    openImage: (fn, format) => {
      const o: BlockOptions = new Map([['file', fn]]);
      if (format) o.set('driver', format);
      return bdrvOpen(o, { ...defaultOpenFlags(), readOnly: true }, { warn }, !format);
    },
  };
}

/** FNV-1a (two lanes) of a string: a short stable OPFS name for an overlay. */
function nameHash(s: string): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ s.charCodeAt(i), 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** The OPFS file that keeps a drive's writes: one per (file, format). */
export function overlayName(file: string, format: string): string {
  return `tsqemu-overlay-${nameHash(`${format}\n${file}`)}.qcow2`;
}

/** Overlays the open drives use, by drive id (the page exports them with "download disk"). */
export const driveOverlays = new Map<string, string>();

/** Delete every OPFS overlay of tsqemu (the page's "discard disk changes"). */
export async function removeOverlays(): Promise<number> {
  const root = await opfsRoot() as unknown as { keys(): AsyncIterable<string>; removeEntry(n: string): Promise<void> };
  let n = 0;
  for await (const name of root.keys()) {
    if (name.startsWith('tsqemu-overlay-')) { await root.removeEntry(name); n++; }
  }
  return n;
}

const DEVICE_KEYS = ['if', 'id', 'index', 'bus', 'unit', 'media', 'serial', 'werror', 'rerror'];

/**
 * Open a -drive in the browser: file= (URL, opfs:, local:, mem:), format= (probed when absent),
 * readonly, snapshot (temporary overlay in memory), cache/aio accepted (no host cache to
 * bypass), discard, detect-zeroes, dotted driver keys.
 */
export async function openDrive(opts: Map<string, string>, warn: WarnFn): Promise<BlockBackend> {
  blockInit();
  const file = opts.get('file');
  if (opts.has('driver') && opts.has('format') && opts.get('driver') !== opts.get('format')) {
    throw new QemuError("Cannot specify both 'driver' and 'format'");
  }
  let format = opts.get('format') ?? opts.get('driver');
  const snapshot = parseBool('snapshot', opts.get('snapshot') ?? 'off');
  const flags: BdrvOpenFlags = defaultOpenFlags();
  const ro = opts.get('readonly') ?? opts.get('read-only');
  if (ro !== undefined) flags.readOnly = parseBool('readonly', ro);
  const discard = opts.get('discard') === 'unmap' || opts.get('discard') === 'on' ? 'unmap' : 'ignore';
  const dz = opts.get('detect-zeroes') ?? 'off';
  if (!['off', 'on', 'unmap'].includes(dz)) throw new QemuError(`Parameter 'detect-zeroes' does not accept value '${dz}'`);
  const aio = opts.get('aio');
  if (aio !== undefined && aio !== 'threads') throw new QemuError(`aio=${aio} is not supported in the browser`);

  const node: BlockOptions = new Map();
  for (const [k, v] of opts) {
    if (['file', 'format', 'cache', 'aio', 'discard', 'detect-zeroes', 'snapshot', 'readonly', 'read-only', 'driver'].includes(k) || DEVICE_KEYS.includes(k)) continue;
    node.set(k, v);
  }
  if (file === undefined) throw new QemuError('A block device must be specified for "file"');
  node.set('file', file);
  if (format !== undefined) {
    if (!bdrvFindFormat(format)) throw new QemuError(`'${format}' invalid format`);
    node.set('driver', format);
  }
  const id = opts.get('id') ?? '';
  const needsOverlay = !flags.readOnly && (snapshot || isReadOnlyProtocol(file));
  let root: BlockDriverState = await bdrvOpen(node, needsOverlay ? { ...flags, readOnly: true } : flags, { warn }, format === undefined);
  format ??= root.drv.formatName;
  if (needsOverlay) {
    const size = root.getLength();
    await root.close();
    const qcow2 = bdrvFindFormat('qcow2');
    if (!qcow2?.create) throw new QemuError('an overlay needs the qcow2 driver');
    const name = snapshot ? `mem:snapshot-${id}-${Date.now()}` : `opfs:${overlayName(file, format)}`;
    if (snapshot || !(await opfsExists(name.slice(5)))) {
      const o: BlockOptions = new Map([['backing_file', file], ['backing_fmt', format]]);
      await qcow2.create(createContext(name, size, o, warn));
    }
    root = await bdrvOpen(new Map([['driver', 'qcow2'], ['file', name]]), flags, { warn });
    if (root.getLength() !== size) throw new QemuError(`${name}: the overlay's size differs from '${file}' (discard disk changes to start over)`);
    if (!snapshot) driveOverlays.set(id, name);
  }
  return new BlockBackendNode(root, { id, discard, detectZeroes: dz as DetectZeroes, writeThrough: false });
}
