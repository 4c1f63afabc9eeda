// tsqemu-img convert: copy one or more images (concatenated) into a new or existing image,
// skipping zero ranges (-S), compressing (-c), reading a snapshot (-l), with -p progress.
import { QemuError } from '../qemu/error.js';
import { parseQemuOpts } from '../qemu/option.js';
import { BlockDriverState, BlockOptions, hasSnapshots } from '../block/block_int.js';
import { bdrvChainStatus, bdrvPread, bdrvPwrite, bufferZeroPieces, ChainStatus } from '../block/io.js';
import { pathCombine } from '../block/block.js';
import { createOptionsHelp, ImgEnv, Progress, getopt, imgOpen, isHelpOption, parseCreateOpts, safeClose } from './common.js';
import { parseImgSize } from './create.js';
import { bitmapNode } from './bitmap.js';
import { bitmapAdd, bitmapDirtyRanges, bitmapSetRanges, BME_FLAG_AUTO, BME_FLAG_IN_USE } from '../block/qcow2-bitmap.js';

/** Bytes per request, and requests in flight (qemu-img's IO_BUF_SIZE and -m: 2 MiB, 8). Two
 * are enough to read one chunk while the previous one is written (reads in the page cache are
 * copied at once, file-posix.ts); each more costs 1 MiB of peak RSS. */
const CHUNK = 1024 * 1024;
const IN_FLIGHT = 2;

interface ConvertTarget {
  bs: BlockDriverState;
  fresh: boolean;
  compress: boolean;
  hasBacking: boolean;
}

/** Load the -l snapshot argument ("name", "snapshot.name=x", "snapshot.id=1"). */
export async function loadSnapshot(bs: BlockDriverState, arg: string): Promise<void> {
  let name = arg;
  if (arg.startsWith('snapshot.')) {
    const o = parseQemuOpts(arg);
    name = o.get('snapshot.id') ?? o.get('snapshot.name') ?? '';
  }
  if (!hasSnapshots(bs)) throw new QemuError('This format does not support snapshots');
  try { await bs.snapshotLoadTmp(name); } catch (e) {
    throw new QemuError(`Failed to load snapshot: ${(e as Error).message}`);
  }
}

/** The qcow2 target of -c (refused for other formats) and its cluster size. */
async function compressTarget(t: ConvertTarget): Promise<{ bs: import('../block/qcow2.js').BDRVQcow2State; cs: number }> {
  const { BDRVQcow2State } = await import('../block/qcow2.js');
  if (!(t.bs instanceof BDRVQcow2State)) throw new QemuError('Compression not supported for this file format');
  return { bs: t.bs, cs: t.bs.clusterSize };
}

/**
 * Deflate a chunk's clusters; zero clusters of a fresh target are left out (null). Runs as soon
 * as the chunk is read, while earlier chunks are still being written. (Node 20's async
 * deflateRaw on libuv's pool would use both cores, but costs ~1.8x the CPU of deflateRawSync
 * per 64 KiB cluster: measured 0.57 vs 0.31 s for 468 clusters, so the codec stays synchronous.)
 */
async function compressChunk(t: ConvertTarget, buf: Uint8Array): Promise<(Uint8Array | null)[]> {
  const { bs, cs } = await compressTarget(t);
  const { qcow2CompressCluster } = await import('../block/qcow2-cluster.js');
  const out: Promise<Uint8Array | null>[] = [];
  const zero = t.fresh ? bufferZeroPieces(buf, cs) : null;
  for (let i = 0, p = 0; p < buf.length; i++, p += cs) {
    out.push(zero?.[i] ? Promise.resolve(null) : qcow2CompressCluster(bs, buf.subarray(p, Math.min(p + cs, buf.length))));
  }
  return Promise.all(out);
}

async function writeCompressed(t: ConvertTarget, off: number, buf: Uint8Array, comp: (Uint8Array | null)[]): Promise<void> {
  const { bs, cs } = await compressTarget(t);
  const { qcow2WriteCompressed } = await import('../block/qcow2-cluster.js');
  for (let i = 0, p = 0; p < buf.length; i++, p += cs) {
    const c = comp[i];
    if (!c) continue;
    let piece = buf.subarray(p, Math.min(p + cs, buf.length));
    const want = Math.min(cs, bs.getLength() - (off + p)); // the target's last cluster may be longer (512-byte rounding)
    if (piece.length < want) { const padded = new Uint8Array(want); padded.set(piece); piece = padded; }
    await qcow2WriteCompressed(bs, off + p, piece, c);
  }
}

/** Copy one range of source data, writing only non-zero `sparse`-sized pieces to a fresh target. */
async function copyData(t: ConvertTarget, off: number, buf: Uint8Array, sparse: number, comp: (Uint8Array | null)[] | null): Promise<void> {
  if (comp) return writeCompressed(t, off, buf, comp);
  if (sparse === 0) return bdrvPwrite(t.bs, off, buf);
  const zero = bufferZeroPieces(buf, sparse);
  // Runs of data pieces are written whole; zero runs are skipped on a fresh target.
  for (let i = 0; i < zero.length;) {
    let j = i + 1;
    while (j < zero.length && zero[j] === zero[i]) j++;
    const p = i * sparse;
    const end = Math.min(j * sparse, buf.length);
    if (!zero[i]) await bdrvPwrite(t.bs, off + p, buf.subarray(p, end));
    else if (!t.fresh) await t.bs.pwriteZeroes(off + p, end - p, 0);
    i = j;
  }
}

/**
 * Copy `src` to the target at `base`: up to IN_FLIGHT chunks are read (and, with -c,
 * deflated) concurrently, while the writes stay in order (qemu-img's default without -W).
 */
async function convertOne(src: BlockDriverState, base: number, t: ConvertTarget, sparse: number, prog: (d: number) => void): Promise<void> {
  const len = src.getLength();
  // -c writes whole clusters: ranges are widened or narrowed to cluster boundaries (a short
  // hole inside a cluster is read as data), as qemu-img's convert does for compressed targets.
  const align = t.compress ? (await compressTarget(t)).cs : 0;
  const chunk = align ? Math.ceil(CHUNK / align) * align : CHUNK;
  const free: Uint8Array[] = [];
  let made = 0;
  let bufferFreed: (() => void) | null = null;
  let failed = false;
  let writing: Promise<void> = Promise.resolve();
  const queue = (fn: () => Promise<void>): void => {
    writing = writing.then(fn);
    writing.catch(() => { failed = true; const wake = bufferFreed; bufferFreed = null; wake?.(); }); // thrown at the end
  };
  const reading = new Set<Promise<unknown>>();
  let off = 0;
  // The last status and where it ends: a data extent of many chunks is looked up once (as
  // qemu-img's sector_next_status), not again at every chunk (two lseeks each for a raw file).
  let st: ChainStatus | null = null;
  let stEnd = 0;
  // -S 0: zeroes are copied as data, the target fully allocated (as qemu-img does).
  const zeroAsData = sparse === 0 && !t.compress && !t.hasBacking;
  try {
    while (off < len && !failed) {
      if (!st || off >= stEnd) { st = await bdrvChainStatus(src, off, Math.min(len - off, 1 << 30)); stEnd = off + st.pnum; }
      // With a backing file for the target, only the source's top layer is copied (as qemu-img:
      // what its backing files hold, the target's backing is taken to provide; iotests 019).
      let backed = t.hasBacking && (!st.allocated || st.depth > 0);
      let zero = !backed && st.zero && !st.data && !zeroAsData;
      let n = stEnd - off;
      if (align && (backed || zero)) {
        n = Math.floor((off + n) / align) * align - off;
        if (n <= 0 && stEnd < len) { backed = zero = false; n = stEnd - off; }
        else if (n <= 0) n = stEnd - off; // the image's last, partial cluster
      }
      if (!backed && !zero) n = (align ? Math.min(len, Math.ceil((off + n) / align) * align, off + chunk) : Math.min(off + n, off + chunk)) - off;
      const at = base + off;
      if (backed) {
        // The target's own backing file provides this range.
      } else if (zero) {
        if (!t.fresh) queue(() => t.bs.pwriteZeroes(at, n, 0));
      } else {
        // Buffers are made on demand (a small or sparse image needs one) and reused.
        if (free.length === 0 && made < IN_FLIGHT) { free.push(new Uint8Array(chunk)); made++; }
        while (free.length === 0 && !failed) await new Promise<void>((r) => { bufferFreed = r; });
        if (failed) break;
        const whole = free.pop() as Uint8Array;
        const b = whole.subarray(0, n);
        const from = off;
        const ready = bdrvPread(src, from, b).then(() => (t.compress ? compressChunk(t, b) : null));
        reading.add(ready);
        ready.then(() => reading.delete(ready), () => reading.delete(ready)); // an error is the write's to report
        queue(async () => {
          try { await copyData(t, at, b, sparse, await ready); } finally {
            free.push(whole);
            const wake = bufferFreed; bufferFreed = null; wake?.();
          }
        });
      }
      off += n;
      prog(off);
    }
  } finally {
    await Promise.allSettled([...reading]); // no read outlives the convert (the source closes next)
    await writing;
  }
}

export async function imgConvert(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:', {
    help: 'h', object: 'object=', 'image-opts': 'image-opts', 'target-image-opts': 'target-image-opts',
    'target-is-zero': 'target-is-zero', 'force-share': 'U', salvage: 'salvage', bitmaps: 'bitmaps', 'skip-broken-bitmaps': 'skip-broken-bitmaps',
  });
  let fmt: string | undefined, outFmt = 'raw', backing: string | undefined, backingFmt: string | undefined;
  let compress = false, snapshot: string | undefined, sparse = 4096, progress = false, cache = 'unsafe', srcCache: string | undefined;
  let bitmaps = false, skipBroken = false;
  let quiet = false, noCreate = false, imageOpts = false, targetImageOpts = false, targetIsZero = false, force = false;
  const olist: string[] = [];
  for (const [k, v] of opts) {
    switch (k) {
      case 'f': fmt = v; break;
      case 'O': outFmt = v; break;
      case 'B': backing = v; break;
      case 'F': backingFmt = v; break;
      case 'c': compress = true; break;
      case 'o': olist.push(v); break;
      case 'l': snapshot = v; break;
      case 'S': sparse = parseImgSize(v); if (sparse % 512 !== 0 && sparse !== 0) throw new QemuError('Invalid buffer size for sparse output specified. Valid sizes are multiples of 512.'); break;
      case 'p': progress = true; break;
      case 't': cache = v; break;
      case 'T': srcCache = v; break;
      case 'q': quiet = true; break;
      case 'n': noCreate = true; break;
      case 'U': force = true; break;
      case 'object': env.addObject(v); break;
      case 'image-opts': imageOpts = true; break;
      case 'target-image-opts': targetImageOpts = true; break;
      case 'target-is-zero': targetIsZero = true; break;
      case 'bitmaps': bitmaps = true; break;
      case 'skip-broken-bitmaps': skipBroken = true; break;
      default: break; // -m, -W, -r, -C, --salvage: accepted, no effect here
    }
  }
  if (isHelpOption(olist)) { env.out(createOptionsHelp(env, outFmt)); return 0; }
  if (skipBroken && !bitmaps) throw new QemuError('Use of --skip-broken-bitmaps requires --bitmaps');
  if (args.length < 2) throw new QemuError('Must specify image file name');
  if (targetImageOpts && !noCreate) throw new QemuError('--target-image-opts requires use of -n flag');
  if (compress && outFmt !== 'qcow2' && !noCreate) throw new QemuError('Compression not supported for this file format');
  if (targetIsZero && !noCreate) throw new QemuError('--target-is-zero requires use of -n flag');
  const outName = args[args.length - 1];
  const srcs: BlockDriverState[] = [];
  let target: BlockDriverState | null = null;
  try {
    for (const name of args.slice(0, -1)) {
      srcs.push(await imgOpen(env, { filename: name, fmt, imageOpts, readOnly: true, cache: srcCache, forceShare: force }));
    }
    if (snapshot !== undefined) {
      if (srcs.length > 1) throw new QemuError('No support for concatenating multiple snapshot');
      await loadSnapshot(srcs[0], snapshot);
    }
    if (bitmaps) {
      if (srcs.length > 1) throw new QemuError('Copying bitmaps only possible with single source');
      convertCheckBitmaps(srcs[0], skipBroken);
    }
    const total = srcs.reduce((a, b) => a + b.getLength(), 0);
    const o: BlockOptions = parseCreateOpts(olist);
    if (backing !== undefined) { o.set('backing_file', backing); if (backingFmt) o.set('backing_fmt', backingFmt); }
    // -B and -o backing_file= alike (qemu-img's out_baseimg).
    const hasBacking = o.has('backing_file');
    // Refused before the target exists (writing zstd clusters needs an encoder Node 20 lacks).
    if (compress && !noCreate && o.get('compression_type') === 'zstd') {
      throw new QemuError('Writing zstd-compressed clusters is not supported (zstd is read-only in tsqemu)');
    }
    if (!noCreate) {
      // qemu-img probes no backing format since 6.1 (iotests 114).
      if (hasBacking && !o.has('backing_fmt')) throw new QemuError('Use of backing file requires explicit backing format');
      try { await env.create(outFmt, outName, total, o); } catch (e) {
        if (e instanceof QemuError) throw new QemuError(`${outName}: error while converting ${outFmt}: ${e.message}`);
        throw e;
      }
    }
    target = await imgOpen(env, {
      filename: outName, fmt: targetImageOpts ? undefined : (noCreate && !opts.some(([k]) => k === 'O') ? undefined : outFmt),
      imageOpts: targetImageOpts, readOnly: false, cache, noBacking: !noCreate && hasBacking,
    });
    if (bitmaps && !bitmapNode(target)) throw new QemuError(`Format driver '${target.drv.formatName}' does not support bitmaps`);
    if (noCreate && target.getLength() < total) throw new QemuError('output file is smaller than input file');
    // Over a backing file, zeroes are written: the fresh target would show the backing through.
    const t: ConvertTarget = { bs: target, fresh: !hasBacking && (!noCreate || targetIsZero), compress, hasBacking };
    // A new qcow2 target written with cache=unsafe keeps its metadata in the cache until the end.
    if (!noCreate && cache === 'unsafe' && 'enableMetadataWriteback' in target) (target as { enableMetadataWriteback(): void }).enableMetadataWriteback();
    const prog = new Progress(env, progress && !quiet);
    let base = 0;
    for (const src of srcs) {
      await convertOne(src, base, t, compress ? 0 : sparse, (d) => prog.print((base + d) / Math.max(total, 1)));
      base += src.getLength();
    }
    await target.flush();
    prog.end();
    if (bitmaps) {
      await convertCopyBitmaps(env, srcs[0], target, skipBroken);
      const t2 = target; target = null;
      await t2.close();
    }
  } finally {
    for (const s of srcs) await safeClose(s);
    await safeClose(target);
  }
  return 0;
}

/** qemu-img's convert_check_bitmaps: before anything is written. */
function convertCheckBitmaps(src: BlockDriverState, skipBroken: boolean): void {
  const q = bitmapNode(src);
  if (!q) throw new QemuError('Source lacks bitmap support');
  // QEMU keeps a node's bitmaps newest first: the directory's last is checked first.
  const bad = skipBroken ? undefined : [...q.bitmaps].reverse().find((b) => b.flags & BME_FLAG_IN_USE);
  if (bad) throw new QemuError(`Cannot copy inconsistent bitmap '${bad.name}'\nTry --skip-broken-bitmaps, or use 'qemu-img bitmap --remove' to delete it`);
}

/** convert_copy_bitmaps: each persistent bitmap of the source added to the target and filled. */
async function convertCopyBitmaps(env: ImgEnv, src: BlockDriverState, dst: BlockDriverState, skipBroken: boolean): Promise<void> {
  const q = bitmapNode(src)!, d = bitmapNode(dst)!;
  // Warned about in QEMU's list order (newest first); added so the target's directory keeps the source's order.
  for (const b of [...q.bitmaps].reverse()) {
    if (skipBroken && (b.flags & BME_FLAG_IN_USE)) env.err(`${env.prog ?? 'tsqemu-img'}: warning: Skipping inconsistent bitmap '${b.name}'\n`);
  }
  for (const b of q.bitmaps) {
    if (skipBroken && (b.flags & BME_FLAG_IN_USE)) continue;
    try {
      await bitmapAdd(d, b.name, 2 ** b.granularityBits, !(b.flags & BME_FLAG_AUTO), dst.nodeName);
    } catch (e) {
      if (e instanceof QemuError) throw new QemuError(`Failed to create bitmap ${b.name}: ${e.message}`);
      throw e;
    }
    await bitmapSetRanges(d, b.name, await bitmapDirtyRanges(q, b));
  }
}
