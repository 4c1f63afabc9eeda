// tsqemu-img dd: "dd [--image-opts] [-U] [-f fmt] [-O output_fmt] [bs=n] [count=n] [skip=n] if=input of=output".
import { QemuError } from '../qemu/error.js';
import { bdrvPread, bdrvPwrite } from '../block/io.js';
import { ImgEnv, getopt, imgOpen, parseCreateOpts, safeClose } from './common.js';
import { parseImgSize } from './create.js';

export async function imgDd(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:O:U', { help: 'h', object: 'object=', 'image-opts': 'image-opts', 'force-share': 'U' });
  let fmt: string | undefined, outFmt = 'raw', imageOpts = false, force = false;
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 'O') outFmt = v; else if (k === 'image-opts') imageOpts = true;
    else if (k === 'object') env.addObject(v); else if (k === 'U') force = true;
  }
  let bsz = 512, count = -1, skip = 0, inName = '', outName = '';
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq < 0) throw new QemuError(`unrecognized operand ${a}`);
    const k = a.slice(0, eq), v = a.slice(eq + 1);
    if (k === 'bs') { bsz = parseImgSize(v); if (bsz === 0) throw new QemuError(`invalid number: '${v}'`); }
    else if (k === 'count') count = parseImgSize(v);
    else if (k === 'skip') skip = parseImgSize(v);
    else if (k === 'if') inName = v;
    else if (k === 'of') outName = v;
    else throw new QemuError(`unrecognized operand ${a}`);
  }
  if (!inName) throw new QemuError('Must specify input file');
  if (!outName) throw new QemuError('Must specify output file');
  const src = await imgOpen(env, { filename: inName, fmt, imageOpts, readOnly: true, forceShare: force });
  let dst = null;
  try {
    const start = skip * bsz;
    if (start > src.getLength()) throw new QemuError(`cannot skip to specified offset`);
    // As qemu-img dd: count limits the input blocks counted from offset 0, skipped ones included.
    const end = count >= 0 ? Math.min(src.getLength(), count * bsz) : src.getLength();
    const size = Math.max(0, end - start);
    await env.create(outFmt, outName, size, parseCreateOpts([]));
    dst = await imgOpen(env, { filename: outName, fmt: outFmt, readOnly: false });
    const buf = new Uint8Array(Math.max(bsz, 1 << 20) - (Math.max(bsz, 1 << 20) % bsz));
    for (let off = 0; off < size; off += buf.length) {
      const n = Math.min(buf.length, size - off);
      await bdrvPread(src, start + off, buf.subarray(0, n));
      await bdrvPwrite(dst, off, buf.subarray(0, n));
    }
    await dst.flush();
  } finally {
    await safeClose(src);
    await safeClose(dst);
  }
  return 0;
}
