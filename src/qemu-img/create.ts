// tsqemu-img create: "create [--object o] [-q] [-f fmt] [-b backing [-F fmt]] [-u] [-o opts] filename [size]".
import { QemuError } from '../qemu/error.js';
import { parseSize } from '../qemu/option.js';
import { BlockOptions, defaultOpenFlags } from '../block/block_int.js';
import { pathCombine } from '../block/block.js';
import { createOptionsHelp, ImgEnv, getopt, imgOpen, isHelpOption, parseCreateOpts, safeClose } from './common.js';

/** qemu-img's size argument: bytes with optional k/M/G/T/P/E suffix (1024-based). */
export function parseImgSize(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([bkKMGTPE]?)$/.exec(text);
  if (text.startsWith('-')) throw new QemuError('Image size must be less than 8 EiB!');
  if (!m) {
    throw new QemuError('Invalid image size specified. You may use k, M, G, T, P or E suffixes for\n' +
      'tsqemu-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.');
  }
  const mult: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50, E: 2 ** 60 };
  const v = Math.round(parseFloat(m[1]) * mult[m[2]]);
  if (v >= 2 ** 63) throw new QemuError('Image size must be less than 8 EiB!');
  return v;
}

const PRINT_ORDER = ['cluster_size', 'extended_l2', 'preallocation', 'compression_type', 'size', 'backing_file', 'backing_fmt',
  'compat', 'encryption', 'encrypt.format', 'encrypt.key-secret', 'encrypt.cipher-alg', 'encrypt.cipher-mode', 'encrypt.ivgen-alg',
  'encrypt.ivgen-hash-alg', 'encrypt.hash-alg', 'encrypt.iter-time', 'lazy_refcounts', 'refcount_bits'];

/** The "Formatting 'x', fmt=... size=..." line, options in QEMU's order. */
export function formattingLine(filename: string, fmt: string, size: number, o: BlockOptions): string {
  const vals = new Map(o);
  vals.set('size', BigInt(size).toString());
  if (fmt === 'qcow2') {
    // A size option is printed as its number (qemu-img: "cluster_size=8192" for 8k).
    const cs = vals.get('cluster_size');
    if (cs !== undefined && /^[0-9.]+[bkKMGTPE]?$/.test(cs)) { try { vals.set('cluster_size', String(parseSize('cluster_size', cs))); } catch { /* printed as given */ } }
    if (!vals.has('cluster_size')) vals.set('cluster_size', '65536');
    if (!vals.has('extended_l2')) vals.set('extended_l2', 'off');
    if (!vals.has('compression_type')) vals.set('compression_type', 'zlib');
    if (!vals.has('lazy_refcounts')) vals.set('lazy_refcounts', 'off');
    if (!vals.has('refcount_bits')) vals.set('refcount_bits', '16');
  }
  const parts = [`fmt=${fmt}`];
  // raw's create options are file-posix's, size first.
  const order = fmt === 'qcow2' ? PRINT_ORDER : ['size', ...PRINT_ORDER];
  for (const k of order) if (vals.has(k)) { parts.push(`${k}=${vals.get(k)}`); vals.delete(k); }
  for (const [k, v] of vals) parts.push(`${k}=${v}`);
  return `Formatting '${filename}', ${parts.join(' ')}\n`;
}

export async function imgCreate(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'F:b:f:ho:qu', { help: 'h', object: 'object=' });
  let fmt = 'raw', backing: string | undefined, backingFmt: string | undefined, quiet = false, unsafe = false;
  const olist: string[] = [];
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 'b') backing = v; else if (k === 'F') backingFmt = v;
    else if (k === 'o') olist.push(v); else if (k === 'q') quiet = true; else if (k === 'u') unsafe = true;
    else if (k === 'object') env.addObject(v);
  }
  if (!env.formats().includes(fmt)) throw new QemuError(`Unknown file format '${fmt}'`);
  if (isHelpOption(olist)) { env.out(createOptionsHelp(env, fmt)); return 0; }
  if (args.length < 1) throw new QemuError('Expecting image file name');
  if (args.length > 2) throw new QemuError(`Unexpected argument: ${args[2]}`);
  const filename = args[0];
  const o = parseCreateOpts(olist);
  if (backing !== undefined) o.set('backing_file', backing);
  if (backingFmt !== undefined) o.set('backing_fmt', backingFmt);
  let size = args.length > 1 ? parseImgSize(args[1]) : -1;
  if (o.has('size')) size = parseImgSize(o.get('size') as string);
  o.delete('size');
  try {
    const bf = o.get('backing_file');
    if (bf !== undefined) {
      if (fmt !== 'qcow2') throw new QemuError(`Backing file not supported for file format '${fmt}'`);
      if (!o.has('backing_fmt')) {
        let detected = '';
        try {
          const b = await imgOpen(env, { filename: pathCombine(filename, bf), readOnly: true, noBacking: true });
          detected = b.drv.formatName;
          await safeClose(b);
        } catch { /* fall through with no detected format */ }
        throw new QemuError(`Backing file specified without backing format${detected ? `\nDetected format of ${detected}.` : ''}`);
      }
      if (!unsafe || size < 0) {
        let b;
        try {
          b = await env.open(new Map([['file', pathCombine(filename, bf)], ['driver', o.get('backing_fmt') as string]]), { ...defaultOpenFlags(), readOnly: true }, false);
        } catch (e) {
          if (e instanceof QemuError) throw new QemuError(`${e.message}\nCould not open backing image.`);
          throw e;
        }
        if (size < 0) size = b.getLength();
        await safeClose(b);
      }
    }
    if (size < 0) throw new QemuError('Image creation needs a size parameter');
    const known = new Set(env.createOptions(fmt).map((d) => d.name).concat(['encryption', 'extended_l2', 'data_file', 'data_file_raw', 'preallocation',
      // The file protocol's: an XFS extent size hint and btrfs nocow, accepted and not applied.
      'extent_size_hint', 'nocow']));
    for (const k of o.keys()) if (!known.has(k)) throw new QemuError(`Invalid parameter '${k}'`);
    if (!quiet) env.out(formattingLine(filename, fmt, size, o));
    await env.create(fmt, filename, size, o);
  } catch (e) {
    if (e instanceof QemuError) throw new QemuError(`${filename}: ${e.message}`);
    throw e;
  }
  return 0;
}
