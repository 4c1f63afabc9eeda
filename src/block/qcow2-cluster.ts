// qcow2 cluster mapping (QEMU's qcow2-cluster.c): L1 -> L2 -> host cluster, the read path
// (backing, zero, compressed, encrypted clusters) and the write path (in place when the
// cluster is ours alone, else copy-on-write into a new cluster). Ordering for crash safety:
// refcount, then data, then the L2 entry, then the old cluster's refcount drop.
import { QemuError } from '../qemu/error.js';
import { BdrvRequestFlags, BlockStatus, BlockStatusFlags, PreallocMode } from './block_int.js';
import type { BDRVQcow2State } from './qcow2.js';
import { be64, setBe64 } from './qcow2-header.js';
import { allocBytes, allocClusters, freeClusters, updateRefcount } from './qcow2-refcount.js';
import { bdrvPread, bdrvPwrite, bufferRangeIsZero } from './io.js';
import { getQcow2Codec } from './qcow2-compress.js';
import { bitmapAt, extBlockStatus, extDiscardClusters, extPwritev, extWriteZeroes } from './qcow2-subcluster.js';

/**
 * What reads at a guest offset find. With extended L2 entries it is the subcluster's type
 * (QEMU's QCow2SubclusterType); UNALLOCATED_ALLOC is a subcluster of an allocated host cluster
 * that is neither allocated nor zero: it reads from the backing file.
 */
export const enum ClusterType { UNALLOCATED, ZERO_PLAIN, ZERO_ALLOC, NORMAL, COMPRESSED, UNALLOCATED_ALLOC }

const L2E_COPIED = 0x80000000;
const L2E_COMPRESSED = 0x40000000;
const OFFSET_HI_MASK = 0x00ffffff;

/** One L2 entry, decoded. */
export interface L2Entry {
  type: ClusterType;
  /** Host offset (NORMAL, ZERO_ALLOC) or compressed data offset. */
  host: number;
  copied: boolean;
  /** Compressed: bytes to read from host (whole 512-byte sectors from host & ~511). */
  csize: number;
}

export function decodeL2(s: BDRVQcow2State, hi: number, lo: number): L2Entry {
  if (hi & L2E_COMPRESSED) {
    const shift = 62 - (s.clusterBits - 8);
    const e = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const host = Number(e & ((1n << BigInt(shift)) - 1n));
    const nsect = Number((e >> BigInt(shift)) & ((1n << BigInt(s.clusterBits - 8)) - 1n)) + 1;
    return { type: ClusterType.COMPRESSED, host, copied: false, csize: nsect * 512 - (host & 511) };
  }
  const host = (hi & OFFSET_HI_MASK) * 0x100000000 + ((lo & ~0x1ff) >>> 0);
  const copied = (hi & L2E_COPIED) !== 0;
  // With extended L2 entries bit 0 is unused: QEMU ignores it (qemu-iotests 271).
  const zero = (lo & 1) !== 0 && s.v3 && !s.extL2;
  if (zero) return { type: host ? ClusterType.ZERO_ALLOC : ClusterType.ZERO_PLAIN, host, copied, csize: 0 };
  return { type: host ? ClusterType.NORMAL : ClusterType.UNALLOCATED, host, copied, csize: 0 };
}

/** Entry i of an L2 table is all zero (unallocated, no flags). */
function entryIsZero(table: Uint8Array, i: number): boolean {
  const p = i * 8;
  return (table[p] | table[p + 1] | table[p + 2] | table[p + 3] | table[p + 4] | table[p + 5] | table[p + 6] | table[p + 7]) === 0;
}

/** Entries [a, b) are all zero: the host's memcmp for long ranges (io.ts bufferRangeIsZero). */
const entriesAreZero = (table: Uint8Array, a: number, b: number): boolean => bufferRangeIsZero(table, a * 8, b * 8);

/**
 * The first index in [from, to) of an L2 table whose 8-byte entry is not all zero (to when
 * none), with no decoding. A few entries are looked at one by one (next to a data entry is
 * usually more data); a zero run beyond them is measured with native zero tests over ranges
 * that double, then halve: check, map and compare scan sparse 8192-entry tables, where the
 * interpreter's entry-by-entry loop was most of the command's own CPU.
 */
export function l2ZeroRunEnd(table: Uint8Array, from: number, to: number): number {
  let i = from;
  for (const head = Math.min(to, from + 8); i < head; i++) if (!entryIsZero(table, i)) return i;
  let step = 64;
  let end = i;
  for (;;) {
    if (i >= to) return to;
    end = Math.min(to, i + step);
    if (!entriesAreZero(table, i, end)) break;
    i = end;
    step *= 2;
  }
  // [i, end) holds the first non-zero entry: halve down to a few, then look one by one.
  while (end - i > 8) {
    const mid = (i + end) >>> 1;
    if (entriesAreZero(table, i, mid)) i = mid; else end = mid;
  }
  while (entryIsZero(table, i)) i++;
  return i;
}

/**
 * The host offset of L2 entry `i` when it maps a plain data cluster (not compressed, not a zero
 * flag, aligned, inside the file), else -1 (the caller's general path decodes it and reports
 * any corruption). No allocation: runs of contiguous clusters are walked with it.
 */
function normalHostAt(s: BDRVQcow2State, table: Uint8Array, i: number): number {
  const p = i * s.l2EntryBytes;
  // Extended L2: only a cluster whose 32 subclusters are all allocated (and none zero).
  if (s.extL2 && (be32(table, p + 8) !== 0 || be32(table, p + 12) !== 0xffffffff)) return -1;
  const hi = ((table[p] << 24) | (table[p + 1] << 16) | (table[p + 2] << 8) | table[p + 3]) >>> 0;
  const lo = ((table[p + 4] << 24) | (table[p + 5] << 16) | (table[p + 6] << 8) | table[p + 7]) >>> 0;
  if (hi & L2E_COMPRESSED || lo & 0x1ff) return -1;
  const host = (hi & OFFSET_HI_MASK) * 0x100000000 + lo;
  if (host === 0 || host % s.clusterSize !== 0 || host + s.clusterSize > s.fileChild().getLength()) return -1;
  return host;
}

export const be32 = (t: Uint8Array, p: number): number => ((t[p] << 24) | (t[p + 1] << 16) | (t[p + 2] << 8) | t[p + 3]) >>> 0;

/** Subclusters [a, b) of a 32-bit allocation or zero mask. */
export function scMask(a: number, b: number): number {
  if (b <= a) return 0;
  return b - a >= 32 ? 0xffffffff : ((((2 ** (b - a)) - 1) * (2 ** a)) >>> 0);
}

export function encodeStd(host: number, copied: boolean, zero: boolean): [number, number] {
  const hi = Math.floor(host / 0x100000000) | (copied ? L2E_COPIED : 0);
  return [hi >>> 0, ((host >>> 0) | (zero ? 1 : 0)) >>> 0];
}

function encodeCompressed(s: BDRVQcow2State, host: number, len: number): [number, number] {
  const shift = BigInt(62 - (s.clusterBits - 8));
  const nsect = BigInt(Math.floor((host + len - 1) / 512) - Math.floor(host / 512));
  const e = (1n << 62n) | (nsect << shift) | BigInt(host);
  return [Number(e >> 32n) >>> 0, Number(e & 0xffffffffn) >>> 0];
}

export async function loadL1(s: BDRVQcow2State): Promise<void> {
  const h = s.header;
  const r = await readL1(s, h.l1TableOffset, h.l1Size);
  s.l1Table = r.offsets; s.l1Copied = r.copied;
  const l1Clusters = Math.ceil(h.l1Size * 8 / s.clusterSize);
  for (let i = 0; i < l1Clusters; i++) s.metadataClusters.add(h.l1TableOffset / s.clusterSize + i);
  for (const off of s.l1Table) if (off) s.metadataClusters.add(off / s.clusterSize);
}

export async function readL1(s: BDRVQcow2State, offset: number, size: number): Promise<{ offsets: number[]; copied: boolean[] }> {
  const buf = new Uint8Array(size * 8);
  await bdrvPread(s.fileChild(), offset, buf);
  const dv = new DataView(buf.buffer);
  const offsets: number[] = [], copied: boolean[] = [];
  for (let i = 0; i < size; i++) {
    const hi = dv.getUint32(i * 8), lo = dv.getUint32(i * 8 + 4);
    const off = (hi & OFFSET_HI_MASK) * 0x100000000 + ((lo & ~0x1ff) >>> 0);
    if (off % s.clusterSize !== 0) throw new QemuError(`L2 table offset 0x${off.toString(16)} unaligned (L1 index: 0x${i.toString(16)})`);
    offsets.push(off);
    copied.push((hi & L2E_COPIED) !== 0);
  }
  return { offsets, copied };
}

export async function getL2Table(s: BDRVQcow2State, l2Off: number): Promise<Uint8Array> {
  const hit = s.l2Cache.get(l2Off);
  if (hit) return hit;
  s.checkMetadataOffset(l2Off, 'L2 table');
  const t = new Uint8Array(s.clusterSize);
  await bdrvPread(s.fileChild(), l2Off, t);
  // A concurrent request may have loaded (and a writer updated) the table meanwhile: keep theirs.
  const raced = s.l2Cache.get(l2Off);
  if (raced) return raced;
  s.l2Cache.set(l2Off, t);
  return t;
}

/**
 * The hot path (no await, no allocation): the host offset of [off, off+bytes) when it lies in
 * one normal cluster whose L2 table is cached (for writes: owned alone, not metadata), else -1
 * and the caller takes the general path, which also reports any corruption.
 */
export function fastHostOffset(s: BDRVQcow2State, off: number, bytes: number, write: boolean): number {
  const cs = s.clusterSize;
  const inCluster = off % cs;
  if (inCluster + bytes > cs || s.crypto) return -1;
  const cIdx = (off - inCluster) / cs;
  const l2 = cIdx % s.l2Size;
  const l1 = (cIdx - l2) / s.l2Size;
  const l2Off = l1 < s.l1Table.length ? s.l1Table[l1] : 0;
  if (!l2Off) return -1;
  const t = s.l2Cache.get(l2Off);
  if (!t) return -1;
  const i = l2 * s.l2EntryBytes;
  const hi = ((t[i] << 24) | (t[i + 1] << 16) | (t[i + 2] << 8) | t[i + 3]) >>> 0;
  const lo = ((t[i + 4] << 24) | (t[i + 5] << 16) | (t[i + 6] << 8) | t[i + 7]) >>> 0;
  if (hi & L2E_COMPRESSED || (lo & 0x1ff && !s.extL2) || (write && !(hi & L2E_COPIED))) return -1;
  if (s.extL2) {
    // Every subcluster of the request allocated, no zero bit anywhere in the entry.
    if (lo & 0x1ff || be32(t, i + 8) !== 0) return -1;
    const m = scMask(inCluster >>> s.subclusterBits, Math.ceil((inCluster + bytes) / s.subclusterSize));
    if ((be32(t, i + 12) & m) >>> 0 !== m) return -1;
  }
  const host = (hi & OFFSET_HI_MASK) * 0x100000000 + lo;
  if (host === 0 || host % cs !== 0 || host >= s.fileChild().getLength()) return -1;
  if (write && s.metadataClusters.has(host / cs)) return -1;
  return host + inCluster;
}

/**
 * `scEnd`: the offset inside the cluster where the run of subclusters of `type` that holds the
 * looked-up offset ends (the cluster size without extended L2 entries). `alloc` and `zero`: the
 * entry's subcluster bitmaps (0 without extended L2 entries).
 */
export type Lookup = L2Entry & { l1: number; l2: number; table: Uint8Array | null; scEnd: number; alloc: number; zero: number };

/** The mapping of the cluster holding guest offset `off`, plus where it sits in the tables. */
export async function lookup(s: BDRVQcow2State, off: number): Promise<Lookup> {
  const cIdx = Math.floor(off / s.clusterSize);
  const l1 = Math.floor(cIdx / s.l2Size), l2 = cIdx % s.l2Size;
  const l2Off = l1 < s.l1Table.length ? s.l1Table[l1] : 0;
  if (!l2Off) return { type: ClusterType.UNALLOCATED, host: 0, copied: false, csize: 0, l1, l2, table: null, scEnd: s.clusterSize, alloc: 0, zero: 0 };
  return lookupIn(s, l1, l2, l2Off, await getL2Table(s, l2Off), off % s.clusterSize);
}

/** lookup() without waiting: null when the L2 table is not in the cache (block status scans). */
function lookupCached(s: BDRVQcow2State, off: number): Lookup | null {
  const cIdx = Math.floor(off / s.clusterSize);
  const l1 = Math.floor(cIdx / s.l2Size), l2 = cIdx % s.l2Size;
  const l2Off = l1 < s.l1Table.length ? s.l1Table[l1] : 0;
  if (!l2Off) return { type: ClusterType.UNALLOCATED, host: 0, copied: false, csize: 0, l1, l2, table: null, scEnd: s.clusterSize, alloc: 0, zero: 0 };
  const table = s.l2Cache.get(l2Off);
  return table ? lookupIn(s, l1, l2, l2Off, table, off % s.clusterSize) : null;
}

function lookupIn(s: BDRVQcow2State, l1: number, l2: number, l2Off: number, table: Uint8Array, inCluster: number): Lookup {
  const i = l2 * s.l2EntryBytes;
  const hi = ((table[i] << 24) | (table[i + 1] << 16) | (table[i + 2] << 8) | table[i + 3]) >>> 0;
  const lo = ((table[i + 4] << 24) | (table[i + 5] << 16) | (table[i + 6] << 8) | table[i + 7]) >>> 0;
  const e = decodeL2(s, hi, lo);
  if ((e.type === ClusterType.NORMAL || e.type === ClusterType.ZERO_ALLOC) && e.host % s.clusterSize !== 0) {
    throw s.markCorrupt(`Cluster allocation offset 0x${e.host.toString(16)} unaligned (L2 offset: 0x${l2Off.toString(16)}, L2 index: 0x${l2.toString(16)})`);
  }
  if (s.extL2 && e.type !== ClusterType.COMPRESSED) return subclusterLookup(s, l1, l2, l2Off, table, inCluster, e);
  if (e.type === ClusterType.NORMAL && e.host >= s.fileChild().getLength() && e.host / s.clusterSize >= s.allocatedEnd) {
    throw s.markCorrupt(`Data cluster offset 0x${e.host.toString(16)} past the end of the image file`);
  }
  // Spelled out (not a spread): one object shape, which keeps block status scans fast.
  return { type: e.type, host: e.host, copied: e.copied, csize: e.csize, l1, l2, table, scEnd: s.clusterSize, alloc: 0, zero: 0 };
}

/** The type of subcluster `sc` of a standard cluster (QEMU's qcow2_get_subcluster_type). */
export function subclusterType(host: number, alloc: number, zero: number, sc: number): ClusterType {
  const bit = 2 ** sc;
  if (host) {
    if (Math.floor(zero / bit) % 2) return ClusterType.ZERO_ALLOC;
    return Math.floor(alloc / bit) % 2 ? ClusterType.NORMAL : ClusterType.UNALLOCATED_ALLOC;
  }
  return Math.floor(zero / bit) % 2 ? ClusterType.ZERO_PLAIN : ClusterType.UNALLOCATED;
}

/** lookupIn() for an image with extended L2 entries: the subcluster at `inCluster` and its run. */
function subclusterLookup(s: BDRVQcow2State, l1: number, l2: number, l2Off: number, table: Uint8Array, inCluster: number, e: L2Entry): Lookup {
  const i = l2 * 16;
  const zero = be32(table, i + 8), alloc = be32(table, i + 12);
  if (e.host ? (zero & alloc) !== 0 : alloc !== 0) {
    throw s.markCorrupt(`Invalid cluster entry found  (L2 offset: 0x${l2Off.toString(16)}, L2 index: 0x${l2.toString(16)})`);
  }
  const sc = inCluster >>> s.subclusterBits;
  const type = subclusterType(e.host, alloc, zero, sc);
  let end = sc + 1;
  while (end < 32 && subclusterType(e.host, alloc, zero, end) === type) end++;
  if (type === ClusterType.NORMAL && e.host >= s.fileChild().getLength() && e.host / s.clusterSize >= s.allocatedEnd) {
    throw s.markCorrupt(`Data cluster offset 0x${e.host.toString(16)} past the end of the image file`);
  }
  return { type, host: e.host, copied: e.copied, csize: e.csize, l1, l2, table, scEnd: end << s.subclusterBits, alloc, zero };
}

let lastCompressed: { s: BDRVQcow2State; host: number; data: Uint8Array } | null = null;

async function readCompressed(s: BDRVQcow2State, e: L2Entry): Promise<Uint8Array> {
  if (lastCompressed && lastCompressed.s === s && lastCompressed.host === e.host) return lastCompressed.data;
  const raw = new Uint8Array(e.csize);
  await bdrvPread(s.fileChild(), e.host, raw);
  const codec = getQcow2Codec();
  let data: Uint8Array;
  try {
    if (s.header.compressionType === 1) {
      if (!codec.zstdDecompress) throw new QemuError('zstd compression is not supported by this build');
      data = await codec.zstdDecompress(raw, s.clusterSize);
    } else {
      data = await codec.inflate(raw, s.clusterSize);
    }
  } catch (err) {
    if (err instanceof QemuError) throw err;
    throw new QemuError(`qcow2: Could not decompress cluster at host offset 0x${e.host.toString(16)}`);
  }
  if (data.length !== s.clusterSize) throw new QemuError(`qcow2: Bad compressed cluster at host offset 0x${e.host.toString(16)}`);
  lastCompressed = { s, host: e.host, data };
  return data;
}

async function readBacking(s: BDRVQcow2State, off: number, buf: Uint8Array): Promise<void> {
  const b = s.backing;
  const blen = b ? b.getLength() : 0;
  const n = b ? Math.max(0, Math.min(buf.length, blen - off)) : 0;
  if (b && n > 0) await bdrvPread(b, off, buf.subarray(0, n));
  buf.fill(0, n);
}

export async function qcow2Preadv(s: BDRVQcow2State, offset: number, buf: Uint8Array): Promise<void> {
  const cs = s.clusterSize;
  let done = 0;
  while (done < buf.length) {
    const off = offset + done;
    const e = await lookup(s, off);
    const inCluster = off % cs;
    let n = Math.min(e.scEnd - inCluster, buf.length - done);
    const out = (len: number): Uint8Array => buf.subarray(done, done + len);
    switch (e.type) {
      case ClusterType.UNALLOCATED: case ClusterType.UNALLOCATED_ALLOC: await readBacking(s, off, out(n)); break;
      case ClusterType.ZERO_PLAIN: case ClusterType.ZERO_ALLOC: out(n).fill(0); break;
      case ClusterType.COMPRESSED: out(n).set((await readCompressed(s, e)).subarray(inCluster, inCluster + n)); break;
      case ClusterType.NORMAL: {
        // Coalesce host-contiguous clusters into one read (the same table's entries without
        // a lookup each: no promise and no objects per cluster).
        for (let k = 1; e.scEnd === cs && done + n < buf.length && n < 16 * 1024 * 1024 && e.table && e.l2 + k < s.l2Size; k++) {
          if (normalHostAt(s, e.table, e.l2 + k) !== e.host + inCluster + n) break;
          n += Math.min(cs, buf.length - done - n);
        }
        while (done + n < buf.length && n < 16 * 1024 * 1024 && (off + n) % cs === 0) {
          const nx = await lookup(s, off + n);
          if (nx.type !== ClusterType.NORMAL || nx.host !== e.host + inCluster + n) break;
          n += Math.min(nx.scEnd, buf.length - done - n);
        }
        const host = e.host + inCluster;
        await bdrvPread(s.fileChild(), host, out(n));
        if (s.crypto) await s.crypto.decrypt(host, out(n));
        break;
      }
    }
    done += n;
  }
}

/** Make the L2 table for L1 index `l1` ours alone (allocate or copy it); returns it. */
export async function l2ForWrite(s: BDRVQcow2State, l1: number): Promise<{ off: number; table: Uint8Array }> {
  if (l1 >= s.l1Table.length) throw new QemuError('qcow2: write beyond the L1 table');
  const old = s.l1Table[l1];
  if (old && s.l1Copied[l1]) return { off: old, table: await getL2Table(s, old) };
  const table = old ? (await getL2Table(s, old)).slice() : new Uint8Array(s.clusterSize);
  const off = await allocClusters(s, 1);
  await bdrvPwrite(s.fileChild(), off, table);
  s.l2Cache.set(off, table);
  s.metadataClusters.add(off / s.clusterSize);
  s.l1Table[l1] = off; s.l1Copied[l1] = true;
  await s.writeL1Entry(l1);
  if (old) {
    s.l2Cache.delete(old);
    if (!s.snapshots.some((sn) => sn.l1Offsets?.includes(old))) s.metadataClusters.delete(old / s.clusterSize);
    await freeClusters(s, old, 1);
  }
  return { off, table };
}

/**
 * Set L2 entries [l2, l2 + entries.length): [hi, lo] words, and with extended L2 entries the
 * [zero, alloc] bitmap words too (required then).
 */
export async function setL2Entries(s: BDRVQcow2State, l2Off: number, table: Uint8Array, l2: number, entries: number[][]): Promise<void> {
  const dv = new DataView(table.buffer, table.byteOffset);
  const eb = s.l2EntryBytes;
  entries.forEach((e, i) => {
    dv.setUint32((l2 + i) * eb, e[0]); dv.setUint32((l2 + i) * eb + 4, e[1]);
    if (eb === 16) {
      if (e.length !== 4) throw new Error('qcow2: extended L2 entry without its bitmap');
      dv.setUint32((l2 + i) * eb + 8, e[2]); dv.setUint32((l2 + i) * eb + 12, e[3]);
    }
  });
  if (s.l2Cache.writeback) {
    s.l2Cache.set(l2Off, table);
    s.l2Cache.markDirty(l2Off);
    await s.l2Cache.writeBack();
    return;
  }
  await bdrvPwrite(s.fileChild(), l2Off + l2 * eb, table.subarray(l2 * eb, (l2 + entries.length) * eb));
  // If the table was evicted and re-read by a reader during the write, ours is the newer copy.
  s.l2Cache.set(l2Off, table);
}

/** Drop the reference an L2 entry held (normal, preallocated zero, compressed clusters). */
export async function freeEntry(s: BDRVQcow2State, e: L2Entry): Promise<void> {
  if (e.type === ClusterType.COMPRESSED) {
    const start = e.host - (e.host & 511);
    const first = Math.floor(start / s.clusterSize), last = Math.floor((start + e.csize + (e.host & 511) - 1) / s.clusterSize);
    await updateRefcount(s, first, last - first + 1, -1);
  } else if (e.host) await freeClusters(s, e.host, 1);
}

export function checkOverlap(s: BDRVQcow2State, host: number, n: number): void {
  for (let i = 0; i < n; i++) {
    if (s.metadataClusters.has(host / s.clusterSize + i)) {
      throw s.markCorrupt(`Preventing invalid write on metadata (overlaps with cluster 0x${(host + i * s.clusterSize).toString(16)})`);
    }
  }
}

export async function writeData(s: BDRVQcow2State, host: number, data: Uint8Array): Promise<void> {
  checkOverlap(s, host - (host % s.clusterSize), Math.ceil(((host % s.clusterSize) + data.length) / s.clusterSize));
  if (s.crypto) {
    const enc = data.slice();
    await s.crypto.encrypt(host, enc);
    data = enc;
  }
  await bdrvPwrite(s.fileChild(), host, data);
}

export async function qcow2Pwritev(s: BDRVQcow2State, offset: number, buf: Uint8Array): Promise<void> {
  if (s.extL2) return extPwritev(s, offset, buf);
  const cs = s.clusterSize;
  let done = 0;
  while (done < buf.length) {
    const off = offset + done;
    const e = await lookup(s, off);
    const inCluster = off % cs;
    if (e.type === ClusterType.NORMAL && e.copied) {
      let n = Math.min(cs - inCluster, buf.length - done);
      while (done + n < buf.length) {
        const nx = await lookup(s, off + n);
        if (nx.type !== ClusterType.NORMAL || !nx.copied || nx.host !== e.host + inCluster + n) break;
        n += Math.min(cs, buf.length - done - n);
      }
      await writeData(s, e.host + inCluster, buf.subarray(done, done + n));
      done += n;
      continue;
    }
    done += await allocatingWrite(s, off, buf.subarray(done));
  }
}

/**
 * Write into clusters that need a new host cluster (unallocated, zero, compressed or shared),
 * as many consecutive ones as the request and the L2 table allow. Returns bytes consumed.
 */
export async function allocatingWrite(s: BDRVQcow2State, off: number, data: Uint8Array): Promise<number> {
  const cs = s.clusterSize;
  const inCluster = off % cs;
  const first = await lookup(s, off);
  const olds = [first];
  let bytes = Math.min(cs - inCluster, data.length);
  while (bytes < data.length && first.l2 + olds.length < s.l2Size) {
    const nx = await lookup(s, off + bytes);
    if (nx.type === ClusterType.NORMAL && nx.copied) break;
    if (s.extL2 && (nx.host && nx.copied && nx.type !== ClusterType.COMPRESSED)) break;
    olds.push(nx);
    bytes += Math.min(cs, data.length - bytes);
  }
  const n = olds.length;
  const clusterStart = off - inCluster;
  if (inCluster === 0 && bytes === n * cs) {
    // Whole clusters: nothing to copy on write, the request's own buffer goes to disk.
    const { off: l2Off, table } = await l2ForWrite(s, first.l1);
    const host = await allocClusters(s, n);
    await writeData(s, host, data.subarray(0, bytes));
    await setL2Entries(s, l2Off, table, first.l2, olds.map((_, i) => [...encodeStd(host + i * cs, true, false), 0, 0xffffffff]));
    for (const o of olds) await freeEntry(s, o);
    return bytes;
  }
  if (s.extL2) throw new Error('qcow2: partial cluster write through the standard path');
  const whole = new Uint8Array(n * cs);
  const size = s.getLength();
  // Copy-on-write of the untouched head and tail of the first and last cluster.
  if (inCluster > 0) await qcow2Preadv(s, clusterStart, whole.subarray(0, Math.min(cs, size - clusterStart)));
  const endOff = off + bytes;
  if (endOff % cs !== 0 && endOff < size) {
    const lastStart = clusterStart + (n - 1) * cs;
    if (n > 1 || inCluster === 0) await qcow2Preadv(s, lastStart, whole.subarray((n - 1) * cs, Math.min(n * cs, size - clusterStart)));
  }
  whole.set(data.subarray(0, bytes), inCluster);
  const { off: l2Off, table } = await l2ForWrite(s, first.l1);
  const host = await allocClusters(s, n);
  await writeData(s, host, whole);
  await setL2Entries(s, l2Off, table, first.l2, olds.map((_, i) => encodeStd(host + i * cs, true, false)));
  for (const o of olds) await freeEntry(s, o);
  return bytes;
}

/** Write one cluster compressed (convert -c). Falls back to a normal write if it does not shrink. */
/** Deflate one cluster's data (zero-padded to the cluster size) for qcow2WriteCompressed. */
export function qcow2CompressCluster(s: BDRVQcow2State, data: Uint8Array): Promise<Uint8Array> {
  let full = data;
  if (data.length !== s.clusterSize) { full = new Uint8Array(s.clusterSize); full.set(data); }
  return getQcow2Codec().deflate(full);
}

/**
 * Write one whole cluster compressed. `compressed`: its qcow2CompressCluster output, done
 * beforehand (convert deflates several clusters in parallel, then writes them in order).
 */
export async function qcow2WriteCompressed(s: BDRVQcow2State, off: number, data: Uint8Array, compressed?: Uint8Array): Promise<void> {
  if (off % s.clusterSize !== 0 || (data.length !== s.clusterSize && off + data.length !== s.getLength())) {
    throw new QemuError('Compressed writes must be whole clusters');
  }
  if (s.crypto) throw new QemuError('Compression of encrypted images is not supported');
  if (s.header.compressionType !== 0) throw new QemuError('Writing zstd-compressed clusters is not supported (zstd is read-only in tsqemu)');
  const comp = compressed ?? await qcow2CompressCluster(s, data);
  await s.lock.lock(async () => {
    await s.beforeWrite();
    if (comp.length >= s.clusterSize - 512) { await qcow2Pwritev(s, off, data); return; }
    const e = await lookup(s, off);
    const { off: l2Off, table } = await l2ForWrite(s, e.l1);
    const host = await allocBytes(s, comp.length);
    checkOverlap(s, host - (host % s.clusterSize), 1);
    await bdrvPwrite(s.fileChild(), host, comp);
    await setL2Entries(s, l2Off, table, e.l2, [[...encodeCompressed(s, host, comp.length), 0, 0]]);
    await freeEntry(s, e);
  });
}

/** Set whole clusters to zero (v3 zero flag, or unallocated when nothing shows through). */
async function zeroClusters(s: BDRVQcow2State, off: number, n: number, unmap: boolean): Promise<void> {
  const cs = s.clusterSize;
  let i = 0;
  while (i < n) {
    const e = await lookup(s, off + i * cs);
    if (e.l1 >= s.l1Table.length) return;
    const canPlain = !s.backing && !s.backingFile;
    if (e.type === ClusterType.UNALLOCATED && canPlain) { i++; continue; }
    if (e.type === ClusterType.ZERO_PLAIN) { i++; continue; }
    const { off: l2Off, table } = await l2ForWrite(s, e.l1);
    const keep = !unmap && (e.type === ClusterType.NORMAL || e.type === ClusterType.ZERO_ALLOC) && e.copied && s.v3;
    // Unallocated reads as zero when nothing lies beneath; over a backing file v3 needs the zero flag.
    const entry: [number, number] = keep ? encodeStd(e.host, true, true) : s.v3 && !canPlain ? [0, 1] : [0, 0];
    await setL2Entries(s, l2Off, table, e.l2, [entry]);
    if (!keep) await freeEntry(s, e);
    i++;
  }
}

export async function qcow2WriteZeroes(s: BDRVQcow2State, offset: number, bytes: number, flags: number): Promise<void> {
  if (s.extL2) return extWriteZeroes(s, offset, bytes, flags);
  const cs = s.clusterSize;
  const unmap = (flags & BdrvRequestFlags.MAY_UNMAP) !== 0;
  const headEnd = Math.min(offset + bytes, Math.ceil(offset / cs) * cs);
  const tailStart = Math.max(headEnd, Math.floor((offset + bytes) / cs) * cs);
  const partial = async (a: number, b: number): Promise<void> => { if (b > a) await qcow2Pwritev(s, a, new Uint8Array(b - a)); };
  const endIsEof = offset + bytes === s.getLength();
  if (!s.v3 && s.backing) {
    // v2 cannot express zero clusters over a backing file: write real zeroes.
    for (let p = offset; p < offset + bytes; p += 1 << 20) await qcow2Pwritev(s, p, new Uint8Array(Math.min(1 << 20, offset + bytes - p)));
    return;
  }
  await partial(offset, headEnd);
  const wholeEnd = endIsEof ? offset + bytes : tailStart;
  if (wholeEnd > headEnd) await zeroClusters(s, headEnd, Math.ceil((wholeEnd - headEnd) / cs), unmap);
  if (!endIsEof) await partial(tailStart, offset + bytes);
}

export async function qcow2Discard(s: BDRVQcow2State, offset: number, bytes: number): Promise<void> {
  const cs = s.clusterSize;
  const start = Math.ceil(offset / cs) * cs;
  const end = offset + bytes === s.getLength() ? offset + bytes : Math.floor((offset + bytes) / cs) * cs;
  if (end <= start) return;
  if (s.extL2) return extDiscardClusters(s, start, Math.ceil((end - start) / cs), false);
  if (s.backing && !s.v3) return; // discarding would expose backing data
  await zeroClusters(s, start, Math.ceil((end - start) / cs), true);
}

export async function qcow2BlockStatus(s: BDRVQcow2State, offset: number, bytes: number): Promise<BlockStatus> {
  if (s.extL2) return extBlockStatus(s, offset, bytes);
  const cs = s.clusterSize;
  const e = await lookup(s, offset);
  const l2Span = cs * s.l2Size;
  // A missing L2 table covers l2Size clusters at once (fast over huge sparse images).
  const step = (at: number, x: { table: Uint8Array | null }): number =>
    x.table === null ? l2Span - (at % l2Span) : cs - (at % cs);
  let n = Math.min(step(offset, e), bytes);
  if (e.type === ClusterType.UNALLOCATED && e.table && n < bytes) {
    // The rest of this table's unallocated run in one scan (sparse images: most of every table).
    const end = l2ZeroRunEnd(e.table, e.l2 + 1, s.l2Size);
    n = Math.min(bytes, n + (end - e.l2 - 1) * cs);
  }
  if (e.type === ClusterType.NORMAL && e.table) {
    // A run of contiguous data clusters in this table, read without a lookup each.
    for (let k = 1; n < bytes && e.l2 + k < s.l2Size; k++) {
      if (normalHostAt(s, e.table, e.l2 + k) !== e.host + (offset % cs) + n) break;
      n += Math.min(cs, bytes - n);
    }
  }
  while (n < bytes) {
    const nx = lookupCached(s, offset + n) ?? await lookup(s, offset + n);
    if (nx.type !== e.type) break;
    if (e.type === ClusterType.COMPRESSED) break;
    if ((e.type === ClusterType.NORMAL || e.type === ClusterType.ZERO_ALLOC) && nx.host !== e.host + (offset % cs) + n) break;
    n += Math.min(step(offset + n, nx), bytes - n);
  }
  let flags = 0;
  let map: number | undefined;
  switch (e.type) {
    case ClusterType.UNALLOCATED: flags = s.backing ? 0 : BlockStatusFlags.ZERO; break;
    case ClusterType.ZERO_PLAIN: flags = BlockStatusFlags.ZERO | BlockStatusFlags.ALLOCATED; break;
    case ClusterType.ZERO_ALLOC: flags = BlockStatusFlags.ZERO | BlockStatusFlags.ALLOCATED; break;
    case ClusterType.NORMAL: flags = BlockStatusFlags.DATA | BlockStatusFlags.ALLOCATED; break;
    case ClusterType.COMPRESSED: flags = BlockStatusFlags.DATA | BlockStatusFlags.ALLOCATED | BlockStatusFlags.COMPRESSED; break;
  }
  if ((e.type === ClusterType.NORMAL || e.type === ClusterType.ZERO_ALLOC) && !s.crypto) {
    flags |= BlockStatusFlags.OFFSET_VALID;
    map = e.host + (offset % cs);
  }
  return { flags, pnum: n, map, file: map !== undefined ? s.fileChild() : undefined };
}

/** Grow the active L1 table to `size` entries (new table, header switch, old table freed). */
export async function growL1(s: BDRVQcow2State, size: number): Promise<void> {
  if (size <= s.l1Table.length) return;
  if (size * 8 > 0x2000000) throw new QemuError('Active L1 table too large');
  const clusters = Math.ceil(size * 8 / s.clusterSize);
  const off = await allocClusters(s, clusters);
  const buf = new Uint8Array(clusters * s.clusterSize);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < s.l1Table.length; i++) {
    setBe64(dv, i * 8, s.l1Table[i]);
    if (s.l1Copied[i]) buf[i * 8] |= 0x80;
  }
  await bdrvPwrite(s.fileChild(), off, buf);
  for (let i = 0; i < clusters; i++) s.metadataClusters.add(off / s.clusterSize + i);
  const hdr = new Uint8Array(12);
  const hdv = new DataView(hdr.buffer);
  hdv.setUint32(0, size);
  setBe64(hdv, 4, off);
  await bdrvPwrite(s.fileChild(), 36, hdr);
  const oldOff = s.header.l1TableOffset, oldClusters = Math.ceil(s.l1Table.length * 8 / s.clusterSize);
  s.header.l1TableOffset = off; s.header.l1Size = size;
  while (s.l1Table.length < size) { s.l1Table.push(0); s.l1Copied.push(false); }
  if (oldClusters > 0) {
    for (let i = 0; i < oldClusters; i++) s.metadataClusters.delete(oldOff / s.clusterSize + i);
    await freeClusters(s, oldOff, oldClusters);
  }
}

/** Allocate host clusters for [from, to) (preallocation=metadata/falloc/full). */
export async function preallocate(s: BDRVQcow2State, from: number, to: number, mode: PreallocMode, zeroWrite = false): Promise<void> {
  if (mode === 'off') return;
  const cs = s.clusterSize;
  for (let c = Math.floor(from / cs); c * cs < to;) {
    const e = await lookup(s, c * cs);
    const n = Math.min(s.l2Size - e.l2, Math.ceil((to - c * cs) / cs));
    const { off: l2Off, table } = await l2ForWrite(s, e.l1);
    const host = await allocClusters(s, n);
    const entries: number[][] = [];
    for (let i = 0; i < n; i++) {
      const std = encodeStd(host + i * cs, true, false);
      // Extended L2 (QEMU's qcow2_co_truncate): preallocated clusters keep the old bitmap (zero
      // bits stay, the rest reads from the backing file), except that falloc/full clusters of a
      // grow that must read zeroes over a backing file get every subcluster allocated.
      const old = s.extL2 ? bitmapAt(s, table, e.l2 + i) : [0, 0];
      entries.push(s.extL2 ? (mode === 'metadata' || !zeroWrite ? [...std, old[0], 0] : [...std, 0, 0xffffffff]) : std);
    }
    if (mode === 'full') await bdrvPwrite(s.fileChild(), host, new Uint8Array(n * cs));
    else if (host + n * cs > s.fileChild().getLength()) await s.fileChild().truncate(host + n * cs, true, mode === 'falloc' ? 'falloc' : 'off', false);
    await setL2Entries(s, l2Off, table, e.l2, entries);
    c += n;
  }
}

/** QEMU's full discard (a shrink): the entries cleared and their clusters freed. */
async function fullDiscard(s: BDRVQcow2State, off: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const e = await lookup(s, off + i * s.clusterSize);
    if (e.l1 >= s.l1Table.length) return;
    if (!e.table || (be32(e.table, e.l2 * 8) | be32(e.table, e.l2 * 8 + 4)) === 0) continue;
    const { off: l2Off, table } = await l2ForWrite(s, e.l1);
    await setL2Entries(s, l2Off, table, e.l2, [[0, 0]]);
    await freeEntry(s, e);
  }
}

export async function qcow2Truncate(s: BDRVQcow2State, size: number, prealloc: PreallocMode, shrink: boolean): Promise<void> {
  const old = s.getLength();
  if (size % 512 !== 0) throw new QemuError('The new size must be a multiple of 512');
  // A v2 snapshot records no disk size of its own (QEMU: v3 images resize, snapshots keep theirs).
  if (s.snapshots.length > 0 && !s.v3) throw new QemuError("Can't resize a v2 image which has snapshots");
  if (size < old) {
    if (!shrink) throw new QemuError('Use the --shrink option to perform a shrink operation.');
    const from = Math.ceil(size / s.clusterSize) * s.clusterSize, n = Math.ceil((old - size) / s.clusterSize);
    // QEMU's full discard: the entries cleared (extended L2: bitmaps too).
    if (s.extL2) await extDiscardClusters(s, from, n, true);
    else await fullDiscard(s, from, n);
  } else {
    await growL1(s, Math.ceil(size / (s.clusterSize * s.l2Size)));
  }
  const b = new Uint8Array(8);
  setBe64(new DataView(b.buffer), 0, size);
  await bdrvPwrite(s.fileChild(), 24, b);
  s.header.size = size;
  const zeroWrite = size > old && s.v3 && !!s.backing && s.backing.getLength() > old;
  if (size > old) await preallocate(s, Math.ceil(old / s.clusterSize) * s.clusterSize, size, prealloc, zeroWrite);
  if (zeroWrite) {
    // The new area must read as zeroes, not as the longer backing file's data (QEMU's
    // bdrv_co_truncate with BDRV_REQ_ZERO_WRITE): falloc/full clusters are zero already.
    const end = prealloc === 'falloc' || prealloc === 'full' ? Math.min(size, Math.ceil(old / s.clusterSize) * s.clusterSize) : size;
    if (end > old) await qcow2WriteZeroes(s, old, end - old, 0);
  }
}

export { be64 };

/** Deallocate every cluster of the active table (commit's make-empty): reads fall through. */
export async function qcow2MakeEmpty(s: BDRVQcow2State): Promise<void> {
  await s.beforeWrite();
  for (let l1 = 0; l1 < s.l1Table.length; l1++) {
    if (!s.l1Table[l1]) continue;
    const { off, table } = await l2ForWrite(s, l1);
    const dv = new DataView(table.buffer, table.byteOffset);
    const olds: L2Entry[] = [];
    const eb = s.l2EntryBytes;
    for (let i = 0; i < s.l2Size; i++) olds.push(decodeL2(s, dv.getUint32(i * eb), dv.getUint32(i * eb + 4)));
    table.fill(0);
    await bdrvPwrite(s.fileChild(), off, table);
    for (const e of olds) await freeEntry(s, e);
  }
}
