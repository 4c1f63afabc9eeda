// tsqemu-img compare: exit 0 identical, 1 different, 2 on error (as qemu-img).
import { QemuError } from '../qemu/error.js';
import { BlockDriverState } from '../block/block_int.js';
import { bdrvChainStatus, bdrvPread, bufferIsZero } from '../block/io.js';
import { ImgEnv, Progress, getopt, imgOpen, safeClose } from './common.js';

const CHUNK = 1 << 20;

/** First differing byte, or -1; compares 32-bit words first (the buffers are ours, aligned). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  if (((a.byteOffset | b.byteOffset) & 3) === 0) {
    const wa = new Int32Array(a.buffer, a.byteOffset, a.length >>> 2), wb = new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
    let w = 0;
    while (w < wa.length && wa[w] === wb[w]) w++;
    i = w << 2;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** qemu-img compares (and reports) whole 512-byte sectors from the start of each chunk it reads,
 * and its chunks start on sector boundaries: a mismatch is named by its sector's offset. */
const sectorOf = (byte: number): number => byte - (byte % 512);

async function readsZero(bs: BlockDriverState, off: number, n: number): Promise<number> {
  const st = await bdrvChainStatus(bs, off, n);
  return st.zero && !st.data ? st.pnum : 0;
}

export async function imgCompare(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:F:T:pqsU', {
    help: 'h', object: 'object=', 'image-opts': 'image-opts', 'force-share': 'U',
  });
  let f1: string | undefined, f2: string | undefined, cache: string | undefined, progress = false, quiet = false, strict = false;
  let imageOpts = false, force = false;
  for (const [k, v] of opts) {
    if (k === 'f') f1 = v; else if (k === 'F') f2 = v; else if (k === 'T') cache = v; else if (k === 'p') progress = true;
    else if (k === 'q') quiet = true; else if (k === 's') strict = true; else if (k === 'object') env.addObject(v);
    else if (k === 'image-opts') imageOpts = true; else if (k === 'U') force = true;
  }
  if (args.length !== 2) throw new QemuError('Expecting two image file names');
  if (f2 === undefined) f2 = f1;
  const say = (s: string): void => { if (!quiet) env.out(s); };
  let a: BlockDriverState | null = null, b: BlockDriverState | null = null;
  try {
    a = await imgOpen(env, { filename: args[0], fmt: f1, imageOpts, readOnly: true, cache, forceShare: force });
    b = await imgOpen(env, { filename: args[1], fmt: f2, imageOpts, readOnly: true, cache, forceShare: force });
  } catch (e) {
    await safeClose(a);
    if (e instanceof QemuError) { env.err(`${env.prog ?? 'tsqemu-img'}: ${e.message}\n`); return 2; }
    throw e;
  }
  try {
    const la = a.getLength(), lb = b.getLength();
    if (strict && la !== lb) { say('Strict mode: Image size mismatch!\n'); return 1; }
    const common = Math.min(la, lb);
    const prog = new Progress(env, progress && !quiet);
    const ba = new Uint8Array(CHUNK), bb = new Uint8Array(CHUNK);
    for (let off = 0; off < common;) {
      let n = Math.min(CHUNK, common - off);
      if (strict) {
        const sa = await bdrvChainStatus(a, off, n), sb = await bdrvChainStatus(b, off, n);
        if (sa.allocated !== sb.allocated) { prog.end(); say(`Strict mode: Offset ${off} block status mismatch!\n`); return 1; }
        n = Math.min(n, sa.pnum, sb.pnum);
      }
      const span = Math.min(common - off, 1 << 30);
      const za = await readsZero(a, off, span), zb = await readsZero(b, off, span);
      if (za > 0 && zb > 0) { off += Math.min(za, zb); prog.print(off / common); continue; }
      if (za > 0) n = Math.min(n, za); else if (zb > 0) n = Math.min(n, zb);
      await Promise.all([bdrvPread(a, off, ba.subarray(0, n)), bdrvPread(b, off, bb.subarray(0, n))]);
      // Equal data (the common case) is confirmed by the host's memcmp; the JS scan finds where.
      const d = env.memEqual?.(ba.subarray(0, n), bb.subarray(0, n)) ? -1 : firstDiff(ba.subarray(0, n), bb.subarray(0, n));
      if (d >= 0) { prog.end(); say(`Content mismatch at offset ${sectorOf(off + d)}!\n`); return 1; }
      off += n;
      prog.print(off / common);
    }
    if (la !== lb) say('Warning: Image size mismatch!\n');
    const longer = la > lb ? a : b;
    for (let off = common; off < longer.getLength();) {
      const n = Math.min(CHUNK, longer.getLength() - off);
      const z = await readsZero(longer, off, n);
      if (z > 0) { off += z; continue; }
      await bdrvPread(longer, off, ba.subarray(0, n));
      if (!bufferIsZero(ba.subarray(0, n))) {
        const d = ba.subarray(0, n).findIndex((x) => x !== 0);
        prog.end(); say(`Content mismatch at offset ${sectorOf(off + d)}!\n`); return 1;
      }
      off += n;
    }
    prog.end();
    say('Images are identical.\n');
    return 0;
  } catch (e) {
    if (e instanceof QemuError) { env.err(`${env.prog ?? 'tsqemu-img'}: ${e.message}\n`); return 2; }
    throw e;
  } finally {
    await safeClose(a);
    await safeClose(b);
  }
}
