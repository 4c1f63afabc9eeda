// tsqemu-img info: human output and --output=json with qemu-img's field names (ImageInfo).
import { QemuError } from '../qemu/error.js';
import { BlockDriverState, hasSnapshots, QEMUSnapshotInfo } from '../block/block_int.js';
import { pathCombine } from '../block/block.js';
import { ImgEnv, getopt, imgOpen, safeClose, sizeToStr, qjson } from './common.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function snapshotJson(sn: QEMUSnapshotInfo): { [k: string]: Json } {
  const o: { [k: string]: Json } = {};
  if (sn.icount !== null) o.icount = Number(sn.icount);
  o['vm-clock-nsec'] = Number(sn.vmClockNsec % 1000000000n);
  o.name = sn.name;
  o['date-sec'] = sn.dateSec;
  o['date-nsec'] = sn.dateNsec;
  o['vm-clock-sec'] = Number(sn.vmClockNsec / 1000000000n);
  o.id = sn.id;
  o['vm-state-size'] = sn.vmStateSize;
  return o;
}

export async function imageInfoJson(env: ImgEnv, bs: BlockDriverState, filename: string): Promise<{ [k: string]: Json }> {
  const o: { [k: string]: Json } = {};
  if (bs.backingFile) {
    if (bs.backingFormat) o['backing-filename-format'] = bs.backingFormat;
  }
  if (hasSnapshots(bs) && bs.snapshotList().length > 0) o.snapshots = bs.snapshotList().map(snapshotJson);
  o['virtual-size'] = bs.getLength();
  o.filename = filename;
  if (bs.getClusterSize()) o['cluster-size'] = bs.getClusterSize();
  o.format = bs.drv.formatName;
  const actual = await bs.getAllocatedFileSize();
  if (actual >= 0) o['actual-size'] = actual;
  if (bs.encrypted) o.encrypted = true;
  const spec = bs.getSpecificInfo();
  if (spec) o['format-specific'] = { type: spec.type, data: spec.data as { [k: string]: Json } };
  if (bs.backingFile) {
    o['full-backing-filename'] = pathCombine(filename, bs.backingFile);
    o['backing-filename'] = bs.backingFile;
  }
  // Set only where bdrv_get_info answers (not null-co/null-aio).
  if (!bs.drv.formatName.startsWith('null-')) o['dirty-flag'] = bs.isDirty();
  return o;
}

function dumpValue(indent: number, v: Json, out: string[]): void {
  const pad = ' '.repeat(indent * 4);
  const entries: [string, Json][] = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : Object.entries(v as object);
  for (const [k, x] of entries) {
    const name = k.replace(/-/g, ' ');
    if (x !== null && typeof x === 'object') {
      out.push(`${pad}${name}:\n`);
      dumpValue(indent + 1, x, out);
    } else {
      out.push(`${pad}${name}: ${String(x)}\n`);
    }
  }
}

export function snapshotTable(env: ImgEnv, list: QEMUSnapshotInfo[]): string {
  const lines = [`${'ID'.padEnd(10)}${'TAG'.padEnd(17)}${'VM SIZE'.padStart(8)}${'DATE'.padStart(20)}${'VM CLOCK'.padStart(13)}${'ICOUNT'.padStart(11)}\n`];
  for (const sn of list) {
    const secs = sn.vmClockNsec / 1000000000n;
    const ms = (sn.vmClockNsec / 1000000n) % 1000n;
    const two = (n: bigint): string => n.toString().padStart(2, '0');
    const clock = `${two(secs / 3600n)}:${two((secs / 60n) % 60n)}:${two(secs % 60n)}.${ms.toString().padStart(3, '0')}`;
    const icount = sn.icount === null ? '' : sn.icount.toString();
    lines.push(`${sn.id.padEnd(9)} ${sn.name.padEnd(16)} ${sizeToStr(sn.vmStateSize).padStart(8)}${env.localTime(sn.dateSec).padStart(20)}${clock.padStart(13)}${icount.padStart(11)}\n`);
  }
  return lines.join('');
}

export function imageInfoHuman(env: ImgEnv, info: { [k: string]: Json }, bs: BlockDriverState): string {
  const out: string[] = [];
  const vs = info['virtual-size'] as number;
  out.push(`image: ${info.filename}\n`, `file format: ${info.format}\n`, `virtual size: ${sizeToStr(vs)} (${vs} bytes)\n`);
  out.push(`disk size: ${info['actual-size'] === undefined ? 'unavailable' : sizeToStr(info['actual-size'] as number)}\n`);
  if (info['cluster-size'] !== undefined) out.push(`cluster_size: ${info['cluster-size']}\n`);
  if (info.encrypted) out.push('encrypted: yes\n');
  if (info['backing-filename'] !== undefined) {
    const full = info['full-backing-filename'];
    out.push(`backing file: ${info['backing-filename']}${full !== info['backing-filename'] ? ` (actual path: ${full})` : ''}\n`);
    if (info['backing-filename-format'] !== undefined) out.push(`backing file format: ${info['backing-filename-format']}\n`);
  }
  if (hasSnapshots(bs) && bs.snapshotList().length > 0) out.push('Snapshot list:\n', snapshotTable(env, bs.snapshotList()));
  const fs = info['format-specific'] as { type: string; data: Json } | undefined;
  if (fs) {
    out.push('Format specific information:\n');
    dumpValue(1, fs.data, out);
  }
  return out.join('');
}

export async function imgInfo(env: ImgEnv, argv: string[]): Promise<number> {
  const { opts, args } = getopt(argv, 'f:hU', {
    help: 'h', format: 'f', 'output=': 'output', 'backing-chain': 'backing-chain', 'image-opts': 'image-opts',
    object: 'object=', 'force-share': 'U',
  });
  let fmt: string | undefined, output = 'human', chain = false, imageOpts = false, force = false;
  for (const [k, v] of opts) {
    if (k === 'f') fmt = v; else if (k === 'output') output = v; else if (k === 'backing-chain') chain = true;
    else if (k === 'image-opts') imageOpts = true; else if (k === 'object') env.addObject(v); else if (k === 'U') force = true;
  }
  if (output !== 'human' && output !== 'json') throw new QemuError(`--output must be used with human or json as argument.`);
  if (args.length !== 1) throw new QemuError(args.length ? `Unexpected argument: ${args[1]}` : 'Expecting one image file name');
  const infos: { [k: string]: Json }[] = [];
  const humans: string[] = [];
  let name = args[0];
  let curFmt = fmt;
  const seen = new Set<string>();
  for (let depth = 0; ; depth++) {
    const real = env.realPath(name);
    if (seen.has(real)) throw new QemuError(`Backing file '${name}' creates an infinite loop.`);
    seen.add(real);
    const bs = await imgOpen(env, { filename: name, fmt: curFmt, imageOpts: imageOpts && depth === 0, readOnly: true, noBacking: true, forceShare: force });
    try {
      const info = await imageInfoJson(env, bs, (imageOpts && depth === 0) || name.startsWith('json:') ? bs.filename : name);
      infos.push(info);
      humans.push(imageInfoHuman(env, info, bs));
      if (!chain || !bs.backingFile) break;
      name = info['full-backing-filename'] as string;
      curFmt = bs.backingFormat || undefined;
    } finally { await safeClose(bs); }
  }
  if (output === 'json') env.out(`${qjson(chain ? infos : infos[0])}\n`);
  else env.out(humans.join('\n'));
  return 0;
}
