// tsqemu-img convert: copy one or more images (concatenated) into a new or existing image,
// skipping zero ranges (-S), compressing (-c), reading a snapshot (-l), with -p progress.
import { QemuError } from '../qemu/error.js';
import { parseQemuOpts } from '../qemu/option.js';
import { BlockDriverState, BlockOptions, hasSnapshots } from '../block/block_int.js';
import { bdrvChainStatus, bdrvPread, bdrvPwrite, bufferIsZero } from '../block/io.js';
import { pathCombine } from '../block/block.js';
import { createOptionsHelp, ImgEnv, Progress, getopt, imgOpen, isHelpOption, parseCreateOpts, safeClose } from './common.js';
import { parseImgSize } from './create.js';

const CHUNK = 2 * 1024 * 1024;

interface ConvertTarget {
  bs: BlockDriverState;
  fresh: boolean;
  compress: boolean;
  hasBacking: boolean;
}

/** Load the -l snapshot argument ("name", "snapshot.name=x", "snapshot.id=1"). */
async function loadSnapshot(bs: BlockDriverState, arg: string): Promise<void> {
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

async function writeCompressed(t: ConvertTarget, off: number, buf: Uint8Array): Promise<void> {
  const { qcow2WriteCompressed } = await import('../block/qcow2-cluster.js');
  const { BDRVQcow2State } = await import('../block/qcow2.js');
  if (!(t.bs instanceof BDRVQcow2State)) throw new QemuError('Compression not supported for this file format');
  const cs = t.bs.clusterSize;
  for (let p = 0; p < buf.length; p += cs) {
    const piece = buf.subarray(p, Math.min(p + cs, buf.length));
    if (bufferIsZero(piece) && t.fresh) continue;
    await qcow2WriteCompressed(t.bs, off + p, piece);
  }
}

/** Copy one range of source data, writing only non-zero `sparse`-sized pieces to a fresh target. */
async function copyData(t: ConvertTarget, off: number, buf: Uint8Array, sparse: number): Promise<void> {
  if (t.compress) return writeCompressed(t, off, buf);
  if (sparse === 0) return bdrvPwrite(t.bs, off, buf);
  let runStart = -1;
  for (let p = 0; p < buf.length; p += sparse) {
    const piece = buf.subarray(p, Math.min(p + sparse, buf.length));
    const zero = bufferIsZero(piece);
    if (!zero && runStart < 0) runStart = p;
    if (zero && runStart >= 0) { await bdrvPwrite(t.bs, off + runStart, buf.subarray(runStart, p)); runStart = -1; }
    if (zero && !t.fresh) await t.bs.pwriteZeroes(off + p, piece.length, 0);
  }
  if (runStart >= 0) await bdrvPwrite(t.bs, off + runStart, buf.subarray(runStart));
}

/**
 * Copy `src` to the target at `base`. Two buffers: the next chunk is read from the source while
 * the previous one is written (writes stay in order, as qemu-img's default without -W).
 */
async function convertOne(src: BlockDriverState, base: number, t: ConvertTarget, sparse: number, prog: (d: number) => void): Promise<void> {
  const len = src.getLength();
  const bufs = [new Uint8Array(CHUNK), new Uint8Array(CHUNK)];
  let which = 0;
  let writing: Promise<void> = Promise.resolve();
  let off = 0;
  try {
    while (off < len) {
      const st = await bdrvChainStatus(src, off, Math.min(len - off, 1 << 30));
      const skipping = (t.hasBacking && !st.allocated) || (st.zero && !st.data && t.fresh);
      const n = skipping ? st.pnum : Math.min(st.pnum, CHUNK);
      if (t.hasBacking && !st.allocated) {
        // The target's own backing file provides this range.
      } else if (st.zero && !st.data) {
        await writing;
        if (!t.fresh) await t.bs.pwriteZeroes(base + off, n, 0);
      } else {
        const b = bufs[which].subarray(0, n);
        which ^= 1;
        await bdrvPread(src, off, b);
        await writing;
        writing = copyData(t, base + off, b, sparse);
        writing.catch(() => undefined); // awaited below or at the next chunk
      }
      off += n;
      prog(off);
    }
  } finally {
    await writing;
  }
}

export async function imgConvert(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:', {
    help: 'h', object: 'object=', 'image-opts': 'image-opts', 'target-image-opts': 'target-image-opts',
    'target-is-zero': 'target-is-zero', 'force-share': 'U', salvage: 'salvage', bitmaps: 'bitmaps',
  });
  let fmt: string | undefined, outFmt = 'raw', backing: string | undefined, backingFmt: string | undefined;
  let compress = false, snapshot: string | undefined, sparse = 4096, progress = false, cache = 'unsafe', srcCache: string | undefined;
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
      default: break; // -m, -W, -r, -C, --salvage, --bitmaps: accepted, no effect here
    }
  }
  if (isHelpOption(olist)) { env.out(createOptionsHelp(env, outFmt)); return 0; }
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
    const total = srcs.reduce((a, b) => a + b.getLength(), 0);
    const o: BlockOptions = parseCreateOpts(olist);
    if (backing !== undefined) { o.set('backing_file', backing); if (backingFmt) o.set('backing_fmt', backingFmt); }
    if (!noCreate) {
      if (o.has('backing_file') && !o.has('backing_fmt')) {
        const b = await imgOpen(env, { filename: pathCombine(outName, o.get('backing_file') as string), readOnly: true, noBacking: true });
        o.set('backing_fmt', b.drv.formatName);
        await safeClose(b);
      }
      try { await env.create(outFmt, outName, total, o); } catch (e) {
        if (e instanceof QemuError) throw new QemuError(`${outName}: error while converting ${outFmt}: ${e.message}`);
        throw e;
      }
    }
    target = await imgOpen(env, {
      filename: outName, fmt: targetImageOpts ? undefined : (noCreate && !opts.some(([k]) => k === 'O') ? undefined : outFmt),
      imageOpts: targetImageOpts, readOnly: false, cache, noBacking: !noCreate && !!backing,
    });
    if (noCreate && target.getLength() < total) throw new QemuError('output file is smaller than input file');
    const t: ConvertTarget = { bs: target, fresh: !noCreate || targetIsZero, compress, hasBacking: !!backing };
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
  } finally {
    for (const s of srcs) await safeClose(s);
    await safeClose(target);
  }
  return 0;
}
