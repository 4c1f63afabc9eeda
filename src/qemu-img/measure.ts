// tsqemu-img measure: the size a new image needs (qcow2_measure's arithmetic).
import { QemuError } from '../qemu/error.js';
import { parseBool, parseQemuOpts, parseSize } from '../qemu/option.js';
import { loadSnapshot } from './convert.js';
import { BlockDriverState, BlockOptions, getCryptoProvider } from '../block/block_int.js';
import { subOptions } from '../block/block.js';
import { bdrvChainStatus } from '../block/io.js';
import { ImgEnv, getopt, imgOpen, parseCreateOpts, safeClose, qjson } from './common.js';
import { parseImgSize } from './create.js';
import { bitmapNode } from './bitmap.js';
import { bitmapsMeasure } from '../block/qcow2-bitmap.js';

const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Refcount table + blocks needed to count `clusters` clusters (fixed point, as QEMU). */
export function refcountMetadataSize(clusters: number, cs: number, order: number): number {
  const perTable = cs / 8, perBlock = cs * 8 / (1 << order);
  let table = 0, blocks = 0, n = 0, last = -1;
  while (n !== last) {
    last = n;
    blocks = Math.ceil((clusters + table + blocks) / perBlock);
    table = Math.ceil(blocks / perTable);
    n = clusters + blocks + table;
  }
  return (blocks + table) * cs;
}

export function qcow2PreallocSize(total: number, cs: number, order: number, l2EntryBytes = 8): number {
  const aligned = roundUp(total, cs);
  let meta = cs;
  const nl2e = roundUp(aligned / cs, cs / l2EntryBytes);
  meta += nl2e * l2EntryBytes;
  const nl1e = roundUp(nl2e * l2EntryBytes / cs, cs / 8);
  meta += nl1e * 8;
  meta += refcountMetadataSize((meta + aligned) / cs, cs, order);
  return meta + aligned;
}

async function allocatedBytes(bs: BlockDriverState, cs: number): Promise<number> {
  let required = 0;
  const len = bs.getLength();
  for (let off = 0; off < len;) {
    const st = await bdrvChainStatus(bs, off, Math.min(len - off, 1 << 30));
    let pnum = st.pnum;
    if (!st.zero && st.data) {
      pnum = roundUp(off + pnum, cs) - off;
      required += (off % cs) + pnum;
    }
    off += pnum;
  }
  return required;
}

/**
 * Bytes a LUKS header made with these options takes before its payload (QEMU's
 * qcrypto_block_calculate_payload_offset: a real create, PBKDF included, into nothing).
 */
async function luksPayloadSize(opts: BlockOptions): Promise<number> {
  let len = 0;
  const block = await getCryptoProvider().create(opts, async (n) => { len = n; }, async () => { /* measured only */ });
  return block.payloadOffset || len;
}

/** A byte count as printf's %" PRIu64 " (exact beyond 2^53: 7 EiB is 8070450532247928832). */
const u64 = (n: number): string => BigInt(n).toString();

export async function imgMeasure(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:O:o:l:U', {
    help: 'h', object: 'object=', 'image-opts': 'image-opts', 'output=': 'output', 'size=': 'size', 'force-share': 'U',
  });
  // qemu-img's img_measure: options are checked in order, then the arguments.
  let fmt: string | undefined, outFmt = 'raw', output = 'human', size = -1, imageOpts = false, force = false;
  let snapshot: string | undefined;
  const olist: string[] = [];
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 'O') outFmt = v; else if (k === 'image-opts') imageOpts = true; else if (k === 'U') force = true;
    else if (k === 'o') {
      if (!v || v.startsWith(',') || v.endsWith(',') && !v.endsWith(',,')) throw new QemuError(`Invalid option list: ${v}`);
      olist.push(v);
    } else if (k === 'l') {
      if (v.startsWith('snapshot.')) {
        const bad = [...parseQemuOpts(v).keys()].find((x) => !['snapshot.id', 'snapshot.name'].includes(x));
        if (bad) throw new QemuError(`Invalid parameter '${bad}'\ntsqemu-img: Failed in parsing snapshot param '${v}'`);
      }
      snapshot = v;
    } else if (k === 'output') {
      if (v !== 'json' && v !== 'human') throw new QemuError('--output must be used with human or json as argument.');
      output = v;
    } else if (k === 'size') {
      if (v.startsWith('-')) throw new QemuError('Invalid image size specified. You may use k, M, G, T, P or E suffixes for\ntsqemu-img: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.');
      size = parseImgSize(v);
    } else if (k === 'object') env.addObject(v);
  }
  if (args.length > 1) throw new QemuError('At most one filename argument is allowed.');
  if (!args.length && (imageOpts || fmt !== undefined || snapshot !== undefined)) throw new QemuError('--image-opts, -f, and -l require a filename argument.');
  if (size >= 0 && args.length) throw new QemuError('--size N cannot be used together with a filename.');
  if (size < 0 && !args.length) throw new QemuError('Either --size N or one filename must be specified.');
  const o = parseCreateOpts(olist);
  let src: BlockDriverState | null = null;
  try {
    if (args.length) {
      src = await imgOpen(env, { filename: args[0], fmt, imageOpts, readOnly: true, forceShare: force });
      if (snapshot !== undefined) await loadSnapshot(src, snapshot);
      size = src.getLength();
    }
    if (!env.formats().includes(outFmt)) throw new QemuError(`Unknown file format '${outFmt}'`);
    let required: number, full: number;
    let bitmaps: number | undefined;
    if (outFmt === 'qcow2') {
      const extL2 = parseBool('extended_l2', o.get('extended_l2') ?? 'off');
      const eb = extL2 ? 16 : 8;
      const cs = parseSize('cluster_size', o.get('cluster_size') ?? '65536');
      if (extL2 && cs < 16384) throw new QemuError('Extended L2 entries are only supported with cluster sizes of at least 16384 bytes');
      const order = Math.log2(Number(o.get('refcount_bits') ?? '16'));
      const vsize = roundUp(size, cs);
      // qcow2_measure: an L1 table past QCOW_MAX_L1_SIZE (32 MiB) cannot be made.
      if (Math.ceil(vsize / cs / (cs / eb)) * 8 > 0x2000000) throw new QemuError('The image size is too large (try using a larger cluster size)');
      const prealloc = o.get('preallocation') ?? 'off';
      let data = src ? await allocatedBytes(src, cs) : 0;
      // Over a backing file every cluster may have to be written (zeroes included).
      if (prealloc === 'full' || prealloc === 'falloc' || (src && o.get('backing_file'))) data = vsize;
      full = qcow2PreallocSize(vsize, cs, order, eb);
      const enc = o.get('encrypt.format');
      if (enc !== undefined && enc !== 'luks') {
        throw new QemuError(enc === 'aes' ? 'Use of AES-CBC encrypted qcow2 images is no longer supported in system emulators' : `Parameter 'encrypt.format' does not accept value '${enc}'`);
      }
      if (enc === 'luks') full += roundUp(await luksPayloadSize(subOptions(o, 'encrypt.')), cs);
      required = full - vsize + data;
      const v3 = !['0.10', 'v2'].includes(o.get('compat') ?? '1.1');
      // Shown when source and target both could hold persistent bitmaps (qcow2 v3).
      const q = src ? bitmapNode(src) : null;
      if (v3 && q) bitmaps = bitmapsMeasure(q, cs);
    } else if (outFmt === 'raw') {
      required = size; full = size;
    } else if (outFmt === 'luks') {
      const copts: BlockOptions = new Map([...o].filter(([k]) => !['size', 'preallocation'].includes(k)));
      required = full = await luksPayloadSize(copts) + size;
    } else {
      throw new QemuError(`Format driver '${outFmt}' does not support size measurement`);
    }
    if (output === 'json') {
      const j: Record<string, number> = {};
      if (bitmaps !== undefined) j.bitmaps = bitmaps;
      j.required = required; j['fully-allocated'] = full;
      // qjson prints doubles; these are u64 (7 EiB must print exactly).
      env.out(`${qjson(j).replace(/: (\d+)/g, (_m, d: string) => `: ${u64(Number(d))}`)}\n`);
    } else {
      env.out(`required size: ${u64(required)}\nfully allocated size: ${u64(full)}\n${bitmaps !== undefined ? `bitmaps size: ${bitmaps}\n` : ''}`);
    }
  } finally {
    await safeClose(src);
  }
  return 0;
}
