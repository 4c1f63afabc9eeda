// tsqemu-img bitmap: "bitmap (--merge SOURCE | --add | --remove | --clear | --enable |
// --disable)... [-b SOURCE_FILE [-F SOURCE_FMT]] [-g GRANULARITY] [--object OBJECTDEF]
// [--image-opts | -f FMT] FILENAME BITMAP" (qemu-img's img_bitmap: the actions run in order on
// the image opened read/write without its backing chain; a persistent bitmap per qcow2 v3 image).
import { QemuError } from '../qemu/error.js';
import { BlockDriverState } from '../block/block_int.js';
import { BDRVQcow2State } from '../block/qcow2.js';
import { bitmapAdd, bitmapClear, bitmapEnable, bitmapMerge, bitmapRemove } from '../block/qcow2-bitmap.js';
import { ImgEnv, getopt, imgOpen, safeClose } from './common.js';
import { parseImgSize } from './create.js';

type Action = { act: 'add' | 'remove' | 'clear' | 'enable' | 'disable' | 'merge'; src?: string };

/** The qcow2 node a bitmap operation works on, or the error QEMU gives for formats without bitmaps. */
export function bitmapNode(bs: BlockDriverState): BDRVQcow2State | null {
  return bs instanceof BDRVQcow2State && bs.v3 ? bs : null;
}

export async function imgBitmap(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'b:f:F:g:h', {
    help: 'h', object: 'object=', 'image-opts': 'image-opts', add: 'add', remove: 'remove', clear: 'clear',
    enable: 'enable', disable: 'disable', merge: 'merge=', granularity: 'g', 'source-file': 'b', 'source-format': 'F',
  });
  const actions: Action[] = [];
  let fmt: string | undefined, srcFmt: string | undefined, srcFile: string | undefined, granularity = 0, imageOpts = false;
  for (const [k, v] of opts) {
    switch (k) {
      case 'b': srcFile = v; break;
      case 'f': fmt = v; break;
      case 'F': srcFmt = v; break;
      case 'g': granularity = parseImgSize(v); break;
      case 'object': env.addObject(v); break;
      case 'image-opts': imageOpts = true; break;
      case 'add': case 'remove': case 'clear': case 'enable': case 'disable': actions.push({ act: k }); break;
      case 'merge': actions.push({ act: 'merge', src: v }); break;
      default: break;
    }
  }
  if (!actions.length) throw new QemuError('Need at least one of --add, --remove, --clear, --enable, --disable, or --merge');
  if (granularity && !actions.some((a) => a.act === 'add')) throw new QemuError('granularity only supported with --add');
  if (srcFmt && !srcFile) throw new QemuError('-F only supported with -b');
  if (srcFile && !actions.some((a) => a.act === 'merge')) throw new QemuError('Merge bitmap source file only supported with --merge');
  if (args.length !== 2) throw new QemuError('Expecting filename and bitmap name');
  const [filename, name] = args;
  let bs: BlockDriverState | null = null, src: BlockDriverState | null = null;
  try {
    bs = await imgOpen(env, { filename, fmt, imageOpts, readOnly: false, noBacking: true });
    if (srcFile) src = await imgOpen(env, { filename: srcFile, fmt: srcFmt, readOnly: true, noBacking: true });
    // A v2 qcow2 node too: bitmapAdd refuses it with QEMU's text.
    const q = bs instanceof BDRVQcow2State ? bs : null;
    const sq = src ? (src instanceof BDRVQcow2State ? src : null) : q;
    for (const a of actions) {
      try {
        if (!q) {
          throw new QemuError(a.act === 'add' ? `Can't store persistent bitmaps to ${bs.nodeName}: Operation not supported` : `Dirty bitmap '${name}' not found`);
        }
        switch (a.act) {
          // QMP's granularity is a uint32: 4G wraps to 0 and is refused as too small, as in QEMU.
          case 'add': await bitmapAdd(q, name, granularity ? granularity % 2 ** 32 : undefined, false, bs.nodeName); break;
          case 'remove': await bitmapRemove(q, name); break;
          case 'clear': await bitmapClear(q, name); break;
          case 'enable': await bitmapEnable(q, name, true); break;
          case 'disable': await bitmapEnable(q, name, false); break;
          case 'merge':
            if (!sq) throw new QemuError(`Dirty bitmap '${a.src}' not found`);
            await bitmapMerge(q, name, sq, a.src!);
            break;
        }
      } catch (e) {
        if (e instanceof QemuError) throw new QemuError(`Operation ${a.act} on bitmap ${name} failed: ${e.message}`);
        throw e;
      }
    }
    // Close errors matter here: storing the bitmaps happens then.
    const b = bs; bs = null;
    await b.close();
  } finally {
    await safeClose(src);
    await safeClose(bs);
  }
  return 0;
}
