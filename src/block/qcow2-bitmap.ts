// Persistent dirty bitmaps (the qcow2 bitmaps extension, QEMU's block/qcow2-bitmap.c).
// Read-only opens list them (qemu-img info) and check counts their clusters. The first change
// to a v3 image with bitmaps loads every consistent bitmap into memory and marks all of them
// IN_USE on disk (as QEMU does on a read/write open); writes then set bits in the enabled
// ("auto") ones, and close stores them: new data clusters, tables and directory, the header
// extension, then the old clusters freed. A bitmap found IN_USE is inconsistent (its writer
// died): it is kept as it is on disk and may only be removed.
import { QemuError } from '../qemu/error.js';
import type { BDRVQcow2State } from './qcow2.js';
import { be64, QCOW2_EXT_BITMAPS, setBe64 } from './qcow2-header.js';
import { bdrvPread, bdrvPwrite, bufferRangeIsZero } from './io.js';
import { allocClusters, freeClusters } from './qcow2-refcount.js';

export const BME_FLAG_IN_USE = 1;
export const BME_FLAG_AUTO = 2;
const BME_RESERVED_FLAGS = 0xfffffffc;
const BME_MAX_TABLE_SIZE = 0x8000000;
const BME_MAX_PHYS_SIZE = 0x20000000;
const BME_MAX_GRANULARITY_BITS = 31;
const BME_MIN_GRANULARITY_BITS = 9;
const BME_MAX_NAME_SIZE = 1023;
const QCOW2_MAX_BITMAPS = 65535;
const QCOW2_MAX_BITMAP_DIRECTORY_SIZE = 1024 * QCOW2_MAX_BITMAPS;
const BT_DIRTY_TRACKING_BITMAP = 1;

export interface Qcow2Bitmap {
  name: string;
  flags: number;
  granularityBits: number;
  tableOffset: number;
  tableSize: number;
  type: number;
  extraDataSize: number;
  /** In memory (after load or for a new bitmap): one cluster of bitmap data per table entry. */
  chunks?: Map<number, Uint8Array>;
  /** IN_USE when loaded: kept on disk as it is, may only be removed. */
  inconsistent?: boolean;
  /** The table this bitmap had on disk (offsets; 1 = all ones), freed once the new one is stored. */
  oldTable?: number[];
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
      type: dir[p + 16], granularityBits: dir[p + 17], extraDataSize: extra,
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
    if (b.flags & BME_FLAG_IN_USE) flags.push('in-use');
    if (b.flags & BME_FLAG_AUTO) flags.push('auto');
    return { flags, name: b.name, granularity: 2 ** b.granularityBits };
  });
}

/** Bits in a bitmap of the image's current size. */
function bitCount(s: BDRVQcow2State, b: Qcow2Bitmap): number { return Math.ceil(s.header.size / 2 ** b.granularityBits); }
function bitsPerChunk(s: BDRVQcow2State): number { return s.clusterSize * 8; }
const dirEntrySize = (nameBytes: number): number => (24 + nameBytes + 7) & ~7;
const nameBytes = (n: string): number => new TextEncoder().encode(n).length;

/** QEMU's check_dir_entry and the directory checks of bitmap_list_load. */
function checkEntry(s: BDRVQcow2State, b: Qcow2Bitmap): void {
  if (b.extraDataSize !== 0) throw new QemuError('Bitmap extra data is not supported');
  const phys = b.tableSize * s.clusterSize;
  const bad = b.tableSize === 0 || b.tableOffset === 0 || !Number.isFinite(b.tableOffset) || b.tableOffset % s.clusterSize !== 0 ||
    b.tableSize > BME_MAX_TABLE_SIZE || b.granularityBits > BME_MAX_GRANULARITY_BITS ||
    b.granularityBits < BME_MIN_GRANULARITY_BITS || (b.flags & BME_RESERVED_FLAGS) !== 0 ||
    nameBytes(b.name) > BME_MAX_NAME_SIZE || b.type !== BT_DIRTY_TRACKING_BITMAP || phys > BME_MAX_PHYS_SIZE ||
    (!(b.flags & BME_FLAG_IN_USE) && s.header.size > phys * 8 * 2 ** b.granularityBits) ||
    b.tableOffset + b.tableSize * 8 > s.fileChild().getLength();
  if (bad) throw new QemuError(`Bitmap '${b.name}' doesn't satisfy the constraints`);
}

async function readTable(s: BDRVQcow2State, b: Qcow2Bitmap): Promise<number[]> {
  const buf = new Uint8Array(b.tableSize * 8);
  await bdrvPread(s.fileChild(), b.tableOffset, buf);
  const dv = new DataView(buf.buffer);
  const out: number[] = [];
  for (let i = 0; i < b.tableSize; i++) {
    const hi = dv.getUint32(i * 8), lo = dv.getUint32(i * 8 + 4);
    if ((hi & 0xff000000) !== 0 || (lo & 0x1fe) !== 0) throw new QemuError(`Bitmap '${b.name}' table entry ${i} is invalid`);
    const off = hi * 0x100000000 + ((lo & ~0x1ff) >>> 0);
    if (off === 0) { out.push(lo & 1); continue; }
    if (off % s.clusterSize !== 0 || off + s.clusterSize > s.fileChild().getLength()) {
      throw new QemuError(`Bitmap '${b.name}' table entry ${i} is invalid`);
    }
    out.push(off);
  }
  return out;
}

/** The bitmap's data in memory (read from its table when not loaded yet); not for inconsistent ones. */
export async function bitmapChunks(s: BDRVQcow2State, b: Qcow2Bitmap): Promise<Map<number, Uint8Array>> {
  if (b.chunks) return b.chunks;
  if (b.flags & BME_FLAG_IN_USE) throw new QemuError(`Bitmap '${b.name}' is inconsistent and cannot be used`);
  checkEntry(s, b);
  const table = await readTable(s, b);
  const chunks = new Map<number, Uint8Array>();
  for (let i = 0; i < table.length; i++) {
    if (table[i] === 0) continue;
    const c = new Uint8Array(s.clusterSize);
    if (table[i] === 1) c.fill(0xff); else await bdrvPread(s.fileChild(), table[i], c);
    chunks.set(i, c);
  }
  trimTail(s, b, chunks);
  b.chunks = chunks;
  b.oldTable = table;
  return chunks;
}

/** Clear bits past the bitmap's end (after a shrink, or an all-ones last cluster). */
function trimTail(s: BDRVQcow2State, b: Qcow2Bitmap, chunks: Map<number, Uint8Array>): void {
  const bits = bitCount(s, b), per = bitsPerChunk(s);
  for (const [i, c] of chunks) {
    if (i * per >= bits) { chunks.delete(i); continue; }
    const end = bits - i * per;
    if (end >= per) continue;
    const byte = end >> 3;
    if (end & 7) c[byte] &= (1 << (end & 7)) - 1;
    c.fill(0, (end + 7) >> 3);
  }
}

/**
 * Before the first change of an image with bitmaps: load them all and mark them IN_USE on disk,
 * so a crash before close leaves them inconsistent rather than silently stale.
 */
export async function bitmapsMakeWritable(s: BDRVQcow2State): Promise<void> {
  if (s.bitmapsLive) return;
  const d = bitmapDirectory(s);
  if (d) {
    if (d.count > QCOW2_MAX_BITMAPS || d.size > QCOW2_MAX_BITMAP_DIRECTORY_SIZE || d.offset % s.clusterSize !== 0) {
      throw new QemuError('Broken bitmap directory');
    }
    if (s.bitmaps.length !== d.count) throw new QemuError('Less bitmaps found than specified in header extension');
    for (const b of s.bitmaps) {
      checkEntry(s, b);
      if (b.flags & BME_FLAG_IN_USE) b.inconsistent = true;
      else await bitmapChunks(s, b);
    }
    if (s.bitmaps.some((b) => !(b.flags & BME_FLAG_IN_USE))) {
      await writeDirectory(s, d.offset, s.bitmaps.map((b) => ({ ...b, flags: b.flags | BME_FLAG_IN_USE })));
      await s.fileChild().flush();
    }
  }
  s.bitmapsLive = true;
}

function buildDirectory(list: Qcow2Bitmap[]): Uint8Array {
  const names = list.map((b) => new TextEncoder().encode(b.name));
  const dir = new Uint8Array(names.reduce((a, n) => a + dirEntrySize(n.length), 0));
  const dv = new DataView(dir.buffer);
  let p = 0;
  list.forEach((b, i) => {
    setBe64(dv, p, b.tableOffset);
    dv.setUint32(p + 8, b.tableSize);
    dv.setUint32(p + 12, b.flags);
    dir[p + 16] = BT_DIRTY_TRACKING_BITMAP;
    dir[p + 17] = b.granularityBits;
    dv.setUint16(p + 18, names[i].length);
    dir.set(names[i], p + 24);
    p += dirEntrySize(names[i].length);
  });
  return dir;
}

async function writeDirectory(s: BDRVQcow2State, off: number, list: Qcow2Bitmap[]): Promise<void> {
  await bdrvPwrite(s.fileChild(), off, buildDirectory(list));
}

/** Writes: set the bits of [offset, offset+bytes) in every enabled, consistent bitmap. */
export function bitmapsSetDirty(s: BDRVQcow2State, offset: number, bytes: number): void {
  for (const b of s.bitmaps) {
    if (b.chunks && !b.inconsistent && (b.flags & BME_FLAG_AUTO)) setRange(s, b, offset, bytes);
  }
}

function setRange(s: BDRVQcow2State, b: Qcow2Bitmap, offset: number, bytes: number): void {
  if (bytes <= 0) return;
  const g = 2 ** b.granularityBits, per = bitsPerChunk(s);
  const first = Math.floor(offset / g);
  const last = Math.min(Math.floor((offset + bytes - 1) / g), bitCount(s, b) - 1);
  for (let bit = first; bit <= last;) {
    const ci = Math.floor(bit / per);
    let c = b.chunks!.get(ci);
    if (!c) { c = new Uint8Array(s.clusterSize); b.chunks!.set(ci, c); }
    const from = bit - ci * per, to = Math.min(last - ci * per, per - 1);
    let j = from;
    for (; j <= to && (j & 7); j++) c[j >> 3] |= 1 << (j & 7);
    if (to - j >= 7) { const e = (to + 1) >> 3; c.fill(0xff, j >> 3, e); j = e * 8; }
    for (; j <= to; j++) c[j >> 3] |= 1 << (j & 7);
    bit = ci * per + to + 1;
  }
}

/** Every dirty byte range of a bitmap (merged runs), for merging across granularities. */
function forEachDirty(s: BDRVQcow2State, b: Qcow2Bitmap, chunks: Map<number, Uint8Array>, fn: (off: number, len: number) => void): void {
  const g = 2 ** b.granularityBits, per = bitsPerChunk(s);
  for (const ci of [...chunks.keys()].sort((x, y) => x - y)) {
    const c = chunks.get(ci)!;
    if (bufferRangeIsZero(c, 0, c.length)) continue;
    let run = -1;
    for (let j = 0; j <= per; j++) {
      const set = j < per && (c[j >> 3] & (1 << (j & 7))) !== 0;
      if (set && run < 0) run = j;
      if (!set && run >= 0) {
        const start = (ci * per + run) * g;
        fn(start, Math.min((ci * per + j) * g, s.header.size) - start);
        run = -1;
      }
      if (!set && (j & 7) === 0 && j + 8 <= per && c[j >> 3] === 0) j += 7;
    }
  }
}

function find(s: BDRVQcow2State, name: string): Qcow2Bitmap {
  const b = s.bitmaps.find((x) => x.name === name);
  if (!b) throw new QemuError(`Dirty bitmap '${name}' not found`);
  return b;
}
function inconsistentError(b: Qcow2Bitmap): QemuError {
  return new QemuError(`Bitmap '${b.name}' is inconsistent and cannot be used\nTry block-dirty-bitmap-remove to delete this bitmap from disk`);
}

/** block-dirty-bitmap-add with persistent=on (qcow2_co_can_store_new_dirty_bitmap's checks). */
export async function bitmapAdd(s: BDRVQcow2State, name: string, granularity: number | undefined, disabled: boolean, node: string): Promise<void> {
  if (name === '') throw new QemuError('Bitmap name cannot be empty');
  if (granularity !== undefined && (granularity < 512 || !Number.isInteger(Math.log2(granularity)))) {
    throw new QemuError('Granularity must be power of 2 and at least 512');
  }
  const gran = granularity ?? Math.min(65536, Math.max(4096, s.clusterSize));
  if (s.bitmaps.some((b) => b.name === name)) throw new QemuError(`Bitmap already exists: ${name}`);
  const fail = (m: string): QemuError => new QemuError(`Can't make bitmap '${name}' persistent in '${node}': ${m}`);
  if (!s.v3) throw fail('Cannot store dirty bitmaps in qcow2 v2 files');
  const gbits = Math.log2(gran);
  if (gbits > BME_MAX_GRANULARITY_BITS) throw fail(`Granularity exceeds maximum (${2 ** BME_MAX_GRANULARITY_BITS} bytes)`);
  const bytes = Math.ceil(Math.ceil(s.header.size / gran) / 8);
  if (bytes > BME_MAX_PHYS_SIZE || bytes > BME_MAX_TABLE_SIZE * s.clusterSize) {
    throw fail('Too much space will be occupied by the bitmap. Use larger granularity');
  }
  if (nameBytes(name) > BME_MAX_NAME_SIZE) throw fail(`Name length exceeds maximum (${BME_MAX_NAME_SIZE} characters)`);
  if (s.bitmaps.length + 1 > QCOW2_MAX_BITMAPS) throw fail('Maximum number of persistent bitmaps is already reached');
  const dirSize = s.bitmaps.reduce((a, b) => a + dirEntrySize(nameBytes(b.name)), dirEntrySize(nameBytes(name)));
  if (dirSize > QCOW2_MAX_BITMAP_DIRECTORY_SIZE) throw fail('Not enough space in the bitmap directory');
  await bitmapsMakeWritable(s);
  s.bitmaps.push({
    name, flags: disabled ? 0 : BME_FLAG_AUTO, granularityBits: gbits, tableOffset: 0, tableSize: 0, type: 1,
    extraDataSize: 0, chunks: new Map(),
  });
}

export async function bitmapRemove(s: BDRVQcow2State, name: string): Promise<void> {
  const b = find(s, name);
  await bitmapsMakeWritable(s);
  s.bitmaps.splice(s.bitmaps.indexOf(b), 1);
  if (b.tableOffset) s.bitmapsToFree.push(b);
}

export async function bitmapClear(s: BDRVQcow2State, name: string): Promise<void> {
  const b = find(s, name);
  if (b.flags & BME_FLAG_IN_USE || b.inconsistent) throw inconsistentError(b);
  await bitmapsMakeWritable(s);
  b.chunks!.clear();
}

export async function bitmapEnable(s: BDRVQcow2State, name: string, enable: boolean): Promise<void> {
  const b = find(s, name);
  if (b.flags & BME_FLAG_IN_USE || b.inconsistent) throw inconsistentError(b);
  await bitmapsMakeWritable(s);
  b.flags = enable ? b.flags | BME_FLAG_AUTO : b.flags & ~BME_FLAG_AUTO;
}

/** block-dirty-bitmap-merge of `srcName` of `src` (possibly another, read-only image) into `name`. */
export async function bitmapMerge(s: BDRVQcow2State, name: string, src: BDRVQcow2State, srcName: string): Promise<void> {
  const b = find(s, name);
  const sb = src.bitmaps.find((x) => x.name === srcName);
  if (!sb) throw new QemuError(`Dirty bitmap '${srcName}' not found`);
  if (b.flags & BME_FLAG_IN_USE || b.inconsistent) throw inconsistentError(b);
  if (sb.flags & BME_FLAG_IN_USE || sb.inconsistent) throw inconsistentError(sb);
  if (s.header.size !== src.header.size) {
    throw new QemuError(`Bitmaps are of different sizes (destination size is ${s.header.size}, source size is ${src.header.size}) and can't be merged`);
  }
  const from = await bitmapChunks(src, sb);
  await bitmapsMakeWritable(s);
  const ranges: [number, number][] = [];
  forEachDirty(src, sb, from, (o, l) => ranges.push([o, l]));
  for (const [o, l] of ranges) setRange(s, b, o, l);
}

/** Bitmap state for a copy (convert --bitmaps): name, granularity, enabled, dirty ranges. */
export async function bitmapDirtyRanges(s: BDRVQcow2State, b: Qcow2Bitmap): Promise<[number, number][]> {
  const ranges: [number, number][] = [];
  forEachDirty(s, b, await bitmapChunks(s, b), (o, l) => ranges.push([o, l]));
  return ranges;
}
export async function bitmapSetRanges(s: BDRVQcow2State, name: string, ranges: [number, number][]): Promise<void> {
  const b = find(s, name);
  await bitmapsMakeWritable(s);
  for (const [o, l] of ranges) setRange(s, b, o, l);
}

/** Resize: QEMU refuses inconsistent bitmaps; the others follow the new size. */
export async function bitmapsBeforeTruncate(s: BDRVQcow2State): Promise<void> {
  if (!s.bitmaps.length) return;
  await bitmapsMakeWritable(s);
  const bad = s.bitmaps.find((b) => b.inconsistent);
  if (bad) throw inconsistentError(bad);
}
export function bitmapsAfterTruncate(s: BDRVQcow2State): void {
  for (const b of s.bitmaps) if (b.chunks) trimTail(s, b, b.chunks);
}

/** Close: write every loaded bitmap anew, then the directory and header, then free the old clusters. */
export async function bitmapsStore(s: BDRVQcow2State): Promise<void> {
  if (!s.bitmapsLive) return;
  s.bitmapsLive = false;
  const cs = s.clusterSize, per = bitsPerChunk(s);
  const oldDir = bitmapDirectory(s);
  const toFree: Qcow2Bitmap[] = [...s.bitmapsToFree];
  s.bitmapsToFree = [];
  for (const b of s.bitmaps) {
    if (b.inconsistent || !b.chunks) continue;
    if (b.tableOffset) toFree.push({ ...b });
    const size = Math.max(1, Math.ceil(bitCount(s, b) / per));
    trimTail(s, b, b.chunks);
    const table = new Uint8Array(size * 8);
    const tdv = new DataView(table.buffer);
    for (let i = 0; i < size; i++) {
      const c = b.chunks.get(i);
      if (!c || bufferRangeIsZero(c, 0, c.length)) continue;
      const off = await allocClusters(s, 1);
      s.metadataClusters.add(off / cs);
      await bdrvPwrite(s.fileChild(), off, c);
      setBe64(tdv, i * 8, off);
    }
    const tOff = await allocClusters(s, Math.ceil(table.length / cs));
    s.metadataClustersFor(tOff, table.length);
    await bdrvPwrite(s.fileChild(), tOff, table);
    b.tableOffset = tOff;
    b.tableSize = size;
    b.flags &= ~BME_FLAG_IN_USE;
    b.oldTable = undefined;
  }
  let ext: Uint8Array | null = null;
  if (s.bitmaps.length) {
    const dir = buildDirectory(s.bitmaps);
    const dOff = await allocClusters(s, Math.ceil(dir.length / cs));
    s.metadataClustersFor(dOff, dir.length);
    await bdrvPwrite(s.fileChild(), dOff, dir);
    ext = new Uint8Array(24);
    const edv = new DataView(ext.buffer);
    edv.setUint32(0, s.bitmaps.length);
    setBe64(edv, 8, dir.length);
    setBe64(edv, 16, dOff);
  }
  await s.flushMetadataCache();
  await s.fileChild().flush();
  s.hinfo.unknown = s.hinfo.unknown.filter((e) => e.type !== QCOW2_EXT_BITMAPS);
  if (ext) { s.hinfo.unknown.push({ type: QCOW2_EXT_BITMAPS, data: ext }); s.header.autoclearFeatures |= 1n; }
  else s.header.autoclearFeatures &= ~1n;
  await s.writeHeader();
  await s.fileChild().flush();
  // The old structures are unreferenced now.
  if (oldDir) {
    const n = Math.ceil(oldDir.size / cs);
    for (let i = 0; i < n; i++) s.metadataClusters.delete(oldDir.offset / cs + i);
    await freeClusters(s, oldDir.offset, n);
  }
  for (const b of toFree) {
    // An inconsistent bitmap's table may be garbage: then its data clusters leak, never freed twice.
    const table = b.oldTable ?? await readTable(s, b).catch(() => [] as number[]);
    for (const off of table) {
      if (off > 1) { s.metadataClusters.delete(off / cs); await freeClusters(s, off, 1); }
    }
    const n = Math.ceil(b.tableSize * 8 / cs);
    for (let i = 0; i < n; i++) s.metadataClusters.delete(b.tableOffset / cs + i);
    await freeClusters(s, b.tableOffset, n);
  }
  for (const b of s.bitmaps) b.oldTable = undefined;
}

/** qemu-img measure's "bitmaps size" (qcow2_get_persistent_dirty_bitmap_size): every bitmap fully allocated. */
export function bitmapsMeasure(s: BDRVQcow2State, clusterSize: number): number {
  let total = 0, dir = 0;
  for (const b of s.bitmaps) {
    const bytes = Math.ceil(Math.ceil(s.header.size / 2 ** b.granularityBits) / 8);
    const clusters = Math.ceil(bytes / clusterSize);
    total += clusters * clusterSize + Math.ceil(clusters * 8 / clusterSize) * clusterSize;
    dir += dirEntrySize(nameBytes(b.name));
  }
  return total + Math.ceil(dir / clusterSize) * clusterSize;
}
