// qcow2 extended L2 entries (incompatible feature bit 4, docs/interop/qcow2.txt "Extended L2
// Entries"): 16-byte L2 entries whose second half holds two masks of 32 bits, one bit per
// subcluster (a cluster is 32 subclusters): "allocated" (the data lies at the cluster's host
// offset) and "reads as zeroes"; neither bit set reads from the backing file. The paths here
// follow QEMU's qcow2-cluster.c: an allocating write copies on write only the partial
// subclusters at the ends of the request (and, for a cluster shared with a snapshot, the
// allocated ones); zeroes are written as zero bits where whole subclusters are covered; a
// discard or a full discard clears entries as QEMU's discard_in_l2_slice.
import { BdrvRequestFlags, BlockStatus, BlockStatusFlags } from './block_int.js';
import type { BDRVQcow2State } from './qcow2.js';
import { allocClusters } from './qcow2-refcount.js';
import {
  allocatingWrite, be32, ClusterType, encodeStd, freeEntry, l2ForWrite, lookup, Lookup, qcow2Preadv, scMask,
  setL2Entries, writeData,
} from './qcow2-cluster.js';

const ALL = 0xffffffff;

/** The [zero, alloc] bitmap words of extended L2 entry `l2` of `table`. */
export function bitmapAt(s: BDRVQcow2State, table: Uint8Array, l2: number): [number, number] {
  const p = l2 * s.l2EntryBytes;
  return [be32(table, p + 8), be32(table, p + 12)];
}

/** The standard half ([hi, lo] words) of extended L2 entry `l2`. */
function stdAt(table: Uint8Array, l2: number): [number, number] {
  return [be32(table, l2 * 16), be32(table, l2 * 16 + 4)];
}

const ctz32 = (v: number): number => (v === 0 ? 32 : 31 - Math.clz32((v & -v) >>> 0));

export async function extPwritev(s: BDRVQcow2State, offset: number, buf: Uint8Array): Promise<void> {
  const cs = s.clusterSize;
  let done = 0;
  while (done < buf.length) {
    const off = offset + done;
    const inC = off % cs;
    const e = await lookup(s, off);
    const inPlace = e.host !== 0 && e.copied && e.type !== ClusterType.COMPRESSED;
    const whole = Math.floor((buf.length - done) / cs) * cs;
    if (!inPlace && inC === 0 && whole > 0) {
      // Whole clusters to new host clusters, every subcluster allocated, in one write.
      done += await allocatingWrite(s, off, buf.subarray(done, done + whole));
      continue;
    }
    const n = Math.min(cs - inC, buf.length - done);
    await writeInCluster(s, off, buf.subarray(done, done + n), e);
    done += n;
  }
}

/** A write inside one cluster (QEMU's handle_copied / handle_alloc with subclusters). */
async function writeInCluster(s: BDRVQcow2State, off: number, data: Uint8Array, e: Lookup): Promise<void> {
  const cs = s.clusterSize, scs = s.subclusterSize;
  const inC = off % cs, clusterStart = off - inC;
  const sa = Math.floor(inC / scs), sb = Math.ceil((inC + data.length) / scs);
  const written = scMask(sa, sb);
  const inPlace = e.host !== 0 && e.copied && e.type !== ClusterType.COMPRESSED;
  if (inPlace && (e.alloc & written) >>> 0 === written) {
    await writeData(s, e.host + inC, data);
    return;
  }
  let from = sa, to = sb;
  if (e.type === ClusterType.COMPRESSED) { from = 0; to = 32; } else if (!inPlace && e.host && e.alloc) {
    // A cluster shared with a snapshot: its allocated subclusters move to the new cluster too.
    from = Math.min(sa, ctz32(e.alloc));
    to = Math.max(sb, 32 - Math.clz32(e.alloc));
  }
  const base = clusterStart + from * scs;
  const buf = new Uint8Array((to - from) * scs);
  // Copy on write of the partial subclusters (and the moved ones), as reads see them now.
  if (off > base) await qcow2Preadv(s, base, buf.subarray(0, off - base));
  const tailStart = off + data.length, tailEnd = Math.min(clusterStart + to * scs, s.getLength());
  if (tailEnd > tailStart) await qcow2Preadv(s, tailStart, buf.subarray(tailStart - base, tailEnd - base));
  buf.set(data, off - base);
  const { off: l2Off, table } = await l2ForWrite(s, e.l1);
  const host = inPlace ? e.host : await allocClusters(s, 1);
  await writeData(s, host + from * scs, buf);
  const m = scMask(from, to);
  const oldAlloc = e.type === ClusterType.COMPRESSED ? 0 : e.alloc, oldZero = e.type === ClusterType.COMPRESSED ? 0 : e.zero;
  await setL2Entries(s, l2Off, table, e.l2, [[...encodeStd(host, true, false), (oldZero & ~m) >>> 0, (oldAlloc | m) >>> 0]]);
  if (!inPlace) await freeEntry(s, e);
}

/** [off, off + len) reads as zeroes by the metadata (QEMU's is_zero through block status). */
async function isZero(s: BDRVQcow2State, off: number, len: number): Promise<boolean> {
  const end = Math.min(off + len, s.getLength());
  while (off < end) {
    const e = await lookup(s, off);
    const n = Math.min(e.scEnd - (off % s.clusterSize), end - off);
    if (e.type === ClusterType.NORMAL || e.type === ClusterType.COMPRESSED) return false;
    if ((e.type === ClusterType.UNALLOCATED || e.type === ClusterType.UNALLOCATED_ALLOC) && s.backing && off < s.backing.getLength()) return false;
    off += n;
  }
  return true;
}

/** Zero bits for subclusters [sc, sc + n) of one cluster (QEMU's zero_l2_subclusters); false: a
 * compressed cluster, which cannot be zeroed in part. */
async function zeroSubclusters(s: BDRVQcow2State, off: number, n: number): Promise<boolean> {
  const e = await lookup(s, off);
  if (e.type === ClusterType.COMPRESSED) return false;
  const sc = (off % s.clusterSize) / s.subclusterSize;
  const m = scMask(sc, sc + n);
  const zero = (e.zero | m) >>> 0, alloc = (e.alloc & ~m) >>> 0;
  const { off: l2Off, table } = await l2ForWrite(s, e.l1);
  if (zero === e.zero && alloc === e.alloc) return true;
  await setL2Entries(s, l2Off, table, e.l2, [[...stdAt(table, e.l2), zero, alloc]]);
  return true;
}

/** Whole clusters read as zeroes (QEMU's zero_in_l2_slice): all zero bits; a compressed cluster,
 * or any allocated one with MAY_UNMAP, loses its host cluster. */
async function zeroWholeClusters(s: BDRVQcow2State, off: number, n: number, flags: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const e = await lookup(s, off + i * s.clusterSize);
    if (e.l1 >= s.l1Table.length) return;
    const compressed = e.type === ClusterType.COMPRESSED;
    const unmap = compressed || ((flags & BdrvRequestFlags.MAY_UNMAP) !== 0 && e.host !== 0);
    const old = e.table ? stdAt(e.table, e.l2) : [0, 0];
    const [zero, alloc] = e.table ? bitmapAt(s, e.table, e.l2) : [0, 0];
    const std = unmap ? [0, 0] : old;
    if (std[0] === old[0] && std[1] === old[1] && zero === ALL && alloc === 0) continue;
    const { off: l2Off, table } = await l2ForWrite(s, e.l1);
    await setL2Entries(s, l2Off, table, e.l2, [[std[0], std[1], ALL, 0]]);
    if (unmap) await freeEntry(s, e);
  }
}

/** QEMU's qcow2_subcluster_zeroize for a subcluster-aligned range (its end may be the disk's
 * end); false when a partial compressed cluster refuses (the caller writes zeroes instead). */
async function subclusterZeroize(s: BDRVQcow2State, a: number, b: number, flags: number): Promise<boolean> {
  const cs = s.clusterSize, scs = s.subclusterSize, size = s.getLength();
  const head = Math.min(b, Math.ceil(a / cs) * cs) - a;
  let off = a + head;
  const tail = b >= size ? 0 : b - Math.max(off, Math.floor(b / cs) * cs);
  const end = b - tail;
  if (head && !(await zeroSubclusters(s, a, Math.ceil(head / scs)))) return false;
  if (end > off) await zeroWholeClusters(s, off, Math.ceil((end - off) / cs), flags);
  off = end;
  if (tail && !(await zeroSubclusters(s, end, Math.ceil(tail / scs)))) return false;
  return true;
}

/**
 * Write zeroes (QEMU's qcow2_co_pwrite_zeroes split at the subcluster size as the block layer
 * does): whole subclusters become zero bits; a partial one does too when the rest of it reads
 * as zeroes already and it holds no data, else zeroes are written as data.
 */
export async function extWriteZeroes(s: BDRVQcow2State, offset: number, bytes: number, flags: number): Promise<void> {
  const scs = s.subclusterSize, size = s.getLength(), end = offset + bytes;
  const headEnd = Math.min(end, Math.ceil(offset / scs) * scs);
  const tailStart = Math.max(headEnd, Math.floor(end / scs) * scs);
  const pieces: [number, number][] = [];
  if (headEnd > offset) pieces.push([offset, headEnd]);
  if (tailStart > headEnd) pieces.push([headEnd, tailStart]);
  if (end > tailStart) pieces.push([tailStart, end]);
  for (const [pa, pb] of pieces) {
    let a = pa, b = pb;
    const explicit = (): Promise<void> => extPwritev(s, pa, new Uint8Array(pb - pa));
    const head = a % scs;
    const tail = b === size ? 0 : Math.ceil(b / scs) * scs - b;
    if (head || tail) {
      if (!(await isZero(s, a - head, head)) || !(await isZero(s, b, tail))) { await explicit(); continue; }
      const e = await lookup(s, a - head);
      if (e.type === ClusterType.NORMAL || e.type === ClusterType.COMPRESSED) { await explicit(); continue; }
      a -= head;
      b = Math.min(a + scs, size);
    }
    if (!(await subclusterZeroize(s, a, b, flags))) await explicit();
  }
}

/** Discard whole clusters (QEMU's discard_in_l2_slice): `full` clears the entries (reads go to
 * the backing file), else they read as zeroes where needed. */
export async function extDiscardClusters(s: BDRVQcow2State, off: number, n: number, full: boolean): Promise<void> {
  for (let i = 0; i < n; i++) {
    const e = await lookup(s, off + i * s.clusterSize);
    if (e.l1 >= s.l1Table.length) return;
    const old = e.table ? stdAt(e.table, e.l2) : [0, 0];
    const [zero, alloc] = e.table ? bitmapAt(s, e.table, e.l2) : [0, 0];
    let nz = zero, na = alloc, std = old;
    if (full) { std = [0, 0]; nz = 0; na = 0; } else if (s.backing || e.host || e.type === ClusterType.COMPRESSED) {
      std = [0, 0]; nz = ALL; na = 0;
    }
    if (std[0] === old[0] && std[1] === old[1] && nz === zero && na === alloc) continue;
    const { off: l2Off, table } = await l2ForWrite(s, e.l1);
    await setL2Entries(s, l2Off, table, e.l2, [[std[0], std[1], nz, na]]);
    await freeEntry(s, e);
  }
}

const HOSTED = (t: ClusterType): boolean =>
  t === ClusterType.NORMAL || t === ClusterType.ZERO_ALLOC || t === ClusterType.UNALLOCATED_ALLOC;

/** Block status by subcluster runs (QEMU's qcow2_co_block_status with subclusters). */
export async function extBlockStatus(s: BDRVQcow2State, offset: number, bytes: number): Promise<BlockStatus> {
  const cs = s.clusterSize, l2Span = cs * s.l2Size;
  const e = await lookup(s, offset);
  const inC = offset % cs;
  const step = (at: number, x: Lookup): number => (x.table === null ? l2Span - (at % l2Span) : x.scEnd - (at % cs));
  let n = Math.min(step(offset, e), bytes);
  while (n < bytes && (offset + n) % cs === 0 && e.type !== ClusterType.COMPRESSED) {
    const nx = await lookup(s, offset + n);
    if (nx.type !== e.type) break;
    if (HOSTED(e.type) && nx.host !== e.host + inC + n) break;
    const k = step(offset + n, nx);
    n += Math.min(k, bytes - n);
    if (nx.table !== null && nx.scEnd < cs) break;
  }
  let flags = 0;
  switch (e.type) {
    case ClusterType.UNALLOCATED: case ClusterType.UNALLOCATED_ALLOC: flags = s.backing ? 0 : BlockStatusFlags.ZERO; break;
    case ClusterType.ZERO_PLAIN: case ClusterType.ZERO_ALLOC: flags = BlockStatusFlags.ZERO | BlockStatusFlags.ALLOCATED; break;
    case ClusterType.NORMAL: flags = BlockStatusFlags.DATA | BlockStatusFlags.ALLOCATED; break;
    case ClusterType.COMPRESSED: flags = BlockStatusFlags.DATA | BlockStatusFlags.ALLOCATED | BlockStatusFlags.COMPRESSED; break;
  }
  let map: number | undefined;
  if (HOSTED(e.type) && !s.crypto) {
    flags |= BlockStatusFlags.OFFSET_VALID;
    map = e.host + inC;
  }
  return { flags, pnum: n, map, file: map !== undefined ? s.fileChild() : undefined };
}
