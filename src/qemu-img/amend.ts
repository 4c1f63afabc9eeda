// tsqemu-img amend: "amend [--object o] [--image-opts] [-p] [-q] [-f fmt] [-t cache] [--force] -o options filename".
import { QemuError } from '../qemu/error.js';
import { hasAmend } from '../block/block_int.js';
import { ImgEnv, Progress, getopt, imgOpen, isHelpOption, parseCreateOpts, safeClose } from './common.js';

export async function imgAmend(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'ho:f:t:pq', { help: 'h', object: 'object=', 'image-opts': 'image-opts', force: 'force' });
  let fmt: string | undefined, cache: string | undefined, progress = false, quiet = false, imageOpts = false;
  const olist: string[] = [];
  for (const [k, v] of opts) {
    if (k === 'o') olist.push(v); else if (k === 'f') fmt = v; else if (k === 't') cache = v; else if (k === 'p') progress = true;
    else if (k === 'q') quiet = true; else if (k === 'image-opts') imageOpts = true; else if (k === 'object') env.addObject(v);
  }
  if (olist.length === 0) throw new QemuError('Must specify options (-o)');
  if (isHelpOption(olist)) { env.out('Supported options:\n'); return 0; }
  if (args.length !== 1) throw new QemuError('Expecting one image file name');
  const bs = await imgOpen(env, { filename: args[0], fmt, imageOpts, readOnly: false, cache, noBacking: true });
  try {
    if (!hasAmend(bs)) throw new QemuError(`Format driver '${bs.drv.formatName}' does not support option amendment`);
    const prog = new Progress(env, progress && !quiet);
    const o = parseCreateOpts(olist);
    try {
      await bs.amend(o, (d, t) => prog.print(d / t));
    } catch (e) {
      // Unknown and creation-only options are refused by qemu-img's option parsing, before any
      // amending: no prefix.
      if (e instanceof QemuError && !e.message.startsWith("Invalid parameter '")) {
        throw new QemuError(`Error while amending options: ${e.message}`);
      }
      throw e;
    }
    prog.end();
  } finally {
    await safeClose(bs);
  }
  return 0;
}
