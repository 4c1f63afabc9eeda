// tsqemu-img rebase (safe and -u) and commit.
import { QemuError } from '../qemu/error.js';
import { BlockDriverState, hasChangeBacking } from '../block/block_int.js';
import { pathCombine } from '../block/block.js';
import { bdrvChainStatus, bdrvPread, bdrvPwrite } from '../block/io.js';
import { ImgEnv, Progress, getopt, imgOpen, safeClose } from './common.js';

const CHUNK = 1 << 20;

/** Read from a (possibly null or shorter) backing node, zero beyond it. */
async function readOrZero(bs: BlockDriverState | null, off: number, buf: Uint8Array): Promise<void> {
  buf.fill(0);
  if (!bs) return;
  const n = Math.max(0, Math.min(buf.length, bs.getLength() - off));
  if (n > 0) await bdrvPread(bs, off, buf.subarray(0, n));
}

export async function imgRebase(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:F:b:upt:T:qUc', { help: 'h', object: 'object=', 'image-opts': 'image-opts', 'force-share': 'U' });
  let fmt: string | undefined, bfmt: string | undefined, backing: string | undefined, unsafe = false, progress = false;
  let cache: string | undefined, srcCache: string | undefined, quiet = false, imageOpts = false, force = false;
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 'F') bfmt = v; else if (k === 'b') backing = v; else if (k === 'u') unsafe = true;
    else if (k === 'p') progress = true; else if (k === 't') cache = v; else if (k === 'T') srcCache = v; else if (k === 'q') quiet = true;
    else if (k === 'image-opts') imageOpts = true; else if (k === 'object') env.addObject(v); else if (k === 'U') force = true;
  }
  if (args.length !== 1) throw new QemuError('Expecting one image file name');
  if (backing === undefined) throw new QemuError('Must specify backing file (-b) or use unsafe mode (-u)');
  const name = args[0];
  const bs = await imgOpen(env, { filename: name, fmt, imageOpts, readOnly: false, cache, noBacking: true });
  let oldB: BlockDriverState | null = null, newB: BlockDriverState | null = null;
  try {
    if (!hasChangeBacking(bs)) throw new QemuError(`Format driver '${bs.drv.formatName}' does not support backing files`);
    // -u never probes the new backing file (qemu-img's bdrv_change_backing_file(require=true);
    // iotests 114); the safe mode opens it anyway and names the format it found.
    if (unsafe && backing && !bfmt) throw new QemuError(`Could not change the backing file to '${backing}': backing format must be specified`);
    if (backing && !bfmt) {
      const probe = await imgOpen(env, { filename: pathCombine(name, backing), readOnly: true, noBacking: true });
      bfmt = probe.drv.formatName;
      await safeClose(probe);
    }
    if (!unsafe) {
      if (bs.backingFile) {
        oldB = await imgOpen(env, { filename: pathCombine(name, bs.backingFile), fmt: bs.backingFormat || undefined, readOnly: true, cache: srcCache, forceShare: force });
      }
      if (backing) newB = await imgOpen(env, { filename: pathCombine(name, backing), fmt: bfmt, readOnly: true, cache: srcCache, forceShare: force });
      const prog = new Progress(env, progress && !quiet);
      const len = bs.getLength();
      const a = new Uint8Array(CHUNK), b = new Uint8Array(CHUNK);
      for (let off = 0; off < len;) {
        const st = await bs.blockStatus(off, Math.min(CHUNK, len - off));
        const n = st.pnum;
        if (!(st.flags & 0x10)) {
          // Unallocated here: the content came from the old backing file; keep it if the new one differs.
          await readOrZero(oldB, off, a.subarray(0, n));
          await readOrZero(newB, off, b.subarray(0, n));
          for (let p = 0; p < n;) {
            if (a[p] === b[p]) { p++; continue; }
            const s = p - (p % 512);
            const e = Math.min(n, s + 65536);
            await bdrvPwrite(bs, off + s, a.subarray(s, e));
            p = e;
          }
        }
        off += n;
        prog.print(off / len);
      }
      prog.end();
    }
    await bs.changeBackingFile(backing, backing ? (bfmt ?? '') : '');
  } finally {
    await safeClose(oldB);
    await safeClose(newB);
    await safeClose(bs);
  }
  return 0;
}

export async function imgCommit(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:t:b:r:dpq', { help: 'h', object: 'object=', 'image-opts': 'image-opts' });
  let fmt: string | undefined, cache: string | undefined, base: string | undefined, drop = false, progress = false, quiet = false, imageOpts = false;
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 't') cache = v; else if (k === 'b') base = v; else if (k === 'd') drop = true;
    else if (k === 'p') progress = true; else if (k === 'q') quiet = true; else if (k === 'image-opts') imageOpts = true;
    else if (k === 'object') env.addObject(v);
  }
  if (args.length !== 1) throw new QemuError('Expecting one image file name');
  const name = args[0];
  const top = await imgOpen(env, { filename: name, fmt, imageOpts, readOnly: false, cache, noBacking: true });
  let back: BlockDriverState | null = null;
  try {
    if (!top.backingFile) throw new QemuError('Image does not have a backing file');
    const bname = pathCombine(name, top.backingFile);
    if (base !== undefined && env.realPath(base) !== env.realPath(bname)) {
      throw new QemuError(`Base '${base}' is not the immediate backing file of '${name}' (tsqemu commits one level only)`);
    }
    back = await imgOpen(env, { filename: bname, fmt: top.backingFormat || undefined, readOnly: false, cache });
    const len = top.getLength();
    if (back.getLength() < len) await back.truncate(len, true, 'off', false);
    const prog = new Progress(env, progress && !quiet);
    const buf = new Uint8Array(CHUNK);
    for (let off = 0; off < len;) {
      const st = await bdrvChainStatus(top, off, Math.min(CHUNK, len - off));
      if (st.allocated && st.depth === 0) {
        const b = buf.subarray(0, st.pnum);
        if (st.zero && !st.data) await back.pwriteZeroes(off, st.pnum, 0);
        else { await bdrvPread(top, off, b); await bdrvPwrite(back, off, b); }
      }
      off += st.pnum;
      prog.print(off / len);
    }
    await back.flush();
    if (!drop) {
      const { BDRVQcow2State } = await import('../block/qcow2.js');
      const { qcow2MakeEmpty } = await import('../block/qcow2-cluster.js');
      if (top instanceof BDRVQcow2State) await top.lock.lock(() => qcow2MakeEmpty(top));
    }
    prog.end();
    if (!quiet) env.out('Image committed.\n');
  } finally {
    await safeClose(back);
    await safeClose(top);
  }
  return 0;
}
