// Persistent dirty bitmaps (qcow2 bitmaps extension), read-only: tsqemu lists them for
// qemu-img info and counts their clusters in check; it does not update them (writers clear
// the autoclear bit, as the spec asks of programs without bitmap support).
import { QemuError } from '../qemu/error.js';
import type { BDRVQcow2State } from './qcow2.js';
import { be64, QCOW2_EXT_BITMAPS } from './qcow2-header.js';
import { bdrvPread } from './io.js';

export interface Qcow2Bitmap {
  name: string;
  flags: number;
  granularityBits: number;
  tableOffset: number;
  tableSize: number;
}

const MAX_DIR = 64 * 1024 * 1024;

/** The bitmap directory location, or null when the image carries no valid bitmaps. */
export function bitmapDirectory(s: BDRVQcow2State): { count: number; offset: number; size: number } | null {
  if (!(s.header.autoclearFeatures & 1n)) return null;
  const ext = s.hinfo.unknown.find((e) => e.type === QCOW2_EXT_BITMAPS);
  if (!ext || ext.data.length < 24) return null;
  const dv = new DataView(ext.data.buffer, ext.data.byteOffset);
  return { count: dv.getUint32(0), size: be64(dv, 8), offset: be64(dv, 16) };
}

export async function readBitmaps(s: BDRVQcow2State): Promise<Qcow2Bitmap[]> {
  const d = bitmapDirectory(s);
  if (!d) return [];
  if (!Number.isFinite(d.offset) || d.size > MAX_DIR || d.offset + d.size > s.fileChild().getLength()) {
    throw new QemuError('Bitmap directory lies outside the image file');
  }
  const dir = new Uint8Array(d.size);
  await bdrvPread(s.fileChild(), d.offset, dir);
  const dv = new DataView(dir.buffer);
  const out: Qcow2Bitmap[] = [];
  let p = 0;
  for (let i = 0; i < d.count && p + 24 <= d.size; i++) {
    const nameSize = dv.getUint16(p + 18), extra = dv.getUint32(p + 20);
    if (p + 24 + extra + nameSize > d.size) throw new QemuError('Bitmap directory entry exceeds the directory');
    out.push({
      tableOffset: be64(dv, p), tableSize: dv.getUint32(p + 8), flags: dv.getUint32(p + 12),
      granularityBits: dir[p + 17],
      name: new TextDecoder().decode(dir.subarray(p + 24 + extra, p + 24 + extra + nameSize)),
    });
    p += (24 + extra + nameSize + 7) & ~7;
  }
  return out;
}

/** qemu-img info's "bitmaps" list. */
export function bitmapsInfo(list: Qcow2Bitmap[]): Record<string, unknown>[] {
  return list.map((b) => {
    const flags: string[] = [];
    if (b.flags & 1) flags.push('in-use');
    if (b.flags & 2) flags.push('auto');
    return { flags, name: b.name, granularity: 2 ** b.granularityBits };
  });
}
