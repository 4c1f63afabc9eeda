// tsqemu-img map: the allocation of an image through its backing chain, human or JSON.
import { QemuError } from '../qemu/error.js';
import { bdrvChainStatus, ChainStatus } from '../block/io.js';
import { ImgEnv, getopt, imgOpen, safeClose } from './common.js';
import { parseImgSize } from './create.js';

interface MapEntry { start: number; length: number; depth: number; present: boolean; zero: boolean; data: boolean; offset?: number; filename?: string }

function mergeable(a: MapEntry, b: MapEntry): boolean {
  if (a.depth !== b.depth || a.present !== b.present || a.zero !== b.zero || a.data !== b.data) return false;
  if ((a.offset === undefined) !== (b.offset === undefined)) return false;
  if (a.offset !== undefined && (b.offset !== a.offset + a.length || a.filename !== b.filename)) return false;
  return true;
}

function jsonEntry(e: MapEntry): string {
  let s = `{ "start": ${e.start}, "length": ${e.length}, "depth": ${e.depth}, "present": ${e.present}, "zero": ${e.zero}, "data": ${e.data}`;
  if (e.offset !== undefined) s += `, "offset": ${e.offset}`;
  return `${s}}`;
}

const hexOrZero = (n: number): string => (n === 0 ? '0' : `0x${n.toString(16)}`);

export async function imgMap(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'hf:s:l:U', {
    help: 'h', format: 'f', 'output=': 'output', 'image-opts': 'image-opts', object: 'object=',
    'start-offset=': 's', 'max-length=': 'l', 'force-share': 'U',
  });
  let fmt: string | undefined, output = 'human', imageOpts = false, start = 0, maxLen = -1, force = false;
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 'output') output = v; else if (k === 'image-opts') imageOpts = true;
    else if (k === 'object') env.addObject(v); else if (k === 's') start = parseImgSize(v); else if (k === 'l') maxLen = parseImgSize(v);
    else if (k === 'U') force = true;
  }
  if (output !== 'human' && output !== 'json') throw new QemuError('--output must be used with human or json as argument.');
  if (args.length !== 1) throw new QemuError('Expecting one image file name');
  const bs = await imgOpen(env, { filename: args[0], fmt, imageOpts, readOnly: true, forceShare: force });
  try {
    const len = bs.getLength();
    const end = maxLen >= 0 ? Math.min(len, start + maxLen) : len;
    const entries: MapEntry[] = [];
    for (let off = start; off < end;) {
      const st: ChainStatus = await bdrvChainStatus(bs, off, Math.min(end - off, 1 << 30));
      const e: MapEntry = {
        start: off, length: st.pnum, depth: st.depth, present: st.allocated, zero: st.zero, data: st.data,
        offset: st.offset, filename: st.file?.filename,
      };
      const last = entries[entries.length - 1];
      if (last && mergeable(last, e)) last.length += e.length; else entries.push(e);
      off += st.pnum;
    }
    if (output === 'json') {
      env.out(`[${entries.map(jsonEntry).join(',\n')}]\n`);
    } else {
      const lines = [`${'Offset'.padEnd(16)}${'Length'.padEnd(16)}${'Mapped to'.padEnd(16)}File\n`];
      for (const e of entries) {
        if (e.data && e.offset === undefined) {
          // As qemu-img: what was listed so far, then the error.
          env.out(lines.join(''));
          throw new QemuError('File contains external, encrypted or compressed clusters.');
        }
        if (!e.data || e.zero || e.offset === undefined) continue; // as QEMU: zeroed data is not listed
        lines.push(`${hexOrZero(e.start).padEnd(16)}${hexOrZero(e.length).padEnd(16)}${hexOrZero(e.offset).padEnd(16)}${e.filename}\n`);
      }
      env.out(lines.join(''));
    }
  } finally {
    await safeClose(bs);
  }
  return 0;
}
