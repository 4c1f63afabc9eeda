// tsqemu-img resize: "resize [--object o] [--image-opts] [-f fmt] [--preallocation=p] [-q] [--shrink] filename [+|-]size".
import { QemuError } from '../qemu/error.js';
import { PreallocMode } from '../block/block_int.js';
import { ImgEnv, getopt, imgOpen, safeClose } from './common.js';
import { parseImgSize } from './create.js';

export async function imgResize(env: ImgEnv, argv: string[]): Promise<number> {
  // A negative size ("-1M") would read as an option: take the last argument first, as qemu-img does.
  if (argv.length < 2) throw new QemuError('Expecting image file name and size');
  const sizeArg = argv[argv.length - 1];
  const { opts, args } = getopt(argv.slice(0, -1), 'f:hq', {
    help: 'h', object: 'object=', 'image-opts': 'image-opts', 'preallocation=': 'preallocation', shrink: 'shrink',
  });
  let fmt: string | undefined, quiet = false, imageOpts = false, prealloc: PreallocMode = 'off', shrink = false;
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 'q') quiet = true; else if (k === 'image-opts') imageOpts = true;
    else if (k === 'object') env.addObject(v); else if (k === 'shrink') shrink = true;
    else if (k === 'preallocation') {
      if (!['off', 'metadata', 'falloc', 'full'].includes(v)) throw new QemuError(`Invalid preallocation mode: '${v}'`);
      prealloc = v as PreallocMode;
    }
  }
  if (args.length !== 1) throw new QemuError('Expecting image file name and size');
  const bs = await imgOpen(env, { filename: args[0], fmt, imageOpts, readOnly: false });
  try {
    const cur = bs.getLength();
    let size: number;
    if (sizeArg.startsWith('+')) size = cur + parseImgSize(sizeArg.slice(1));
    else if (sizeArg.startsWith('-')) size = cur - parseImgSize(sizeArg.slice(1));
    else size = parseImgSize(sizeArg);
    if (size < 0) throw new QemuError('New image size must be positive');
    if (size < cur && !shrink) {
      env.err(`${env.prog ?? 'tsqemu-img'}: Use the --shrink option to perform a shrink operation.\n`);
      throw new QemuError("warning: Shrinking an image will delete all data beyond the shrunken image's end. Before performing such an operation, make sure there is no important data there.");
    }
    if (size < cur && prealloc !== 'off') throw new QemuError('Preallocation can only be used for growing images');
    await bs.truncate(size, true, prealloc, shrink);
    await bs.flush();
    if (!quiet) env.out('Image resized.\n');
  } finally {
    await safeClose(bs);
  }
  return 0;
}
