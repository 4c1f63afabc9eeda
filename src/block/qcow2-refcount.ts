// qcow2 reference counts (QEMU's qcow2-refcount.c): a two-level table (refcount table ->
// refcount blocks) of entries refcount_bits wide (1..64; sub-byte widths packed LSB first).
// Updates are written through at once, and always before the metadata that makes a cluster
// reachable, so a crash can leak clusters but never leave a referenced one unaccounted.
import { QemuError } from '../qemu/error.js';
import type { BDRVQcow2State } from './qcow2.js';
import { be64, setBe64 } from './qcow2-header.js';
import { bdrvPread, bdrvPwrite, bufferRangeIsZero } from './io.js';

/** Refcount of a cluster from one refcount block. */
export function getRefcountEntry(block: Uint8Array, order: number, index: number): number {
  switch (order) {
    case 0: return (block[index >> 3] >> (index & 7)) & 1;
    case 1: return (block[index >> 2] >> ((index & 3) * 2)) & 3;
    case 2: return (block[index >> 1] >> ((index & 1) * 4)) & 15;
    case 3: return block[index];
    case 4: return (block[index * 2] << 8) | block[index * 2 + 1];
    case 5: return new DataView(block.buffer, block.byteOffset).getUint32(index * 4);
    default: return be64(new DataView(block.buffer, block.byteOffset), index * 8);
  }
}

export function setRefcountEntry(block: Uint8Array, order: number, index: number, v: number): void {
  switch (order) {
    case 0: case 1: case 2: {
      const bits = 1 << order, per = 8 >> order;
      const shift = (index % per) * bits, mask = ((1 << bits) - 1) << shift;
      const b = index >> (3 - order);
      block[b] = (block[b] & ~mask) | ((v << shift) & mask);
      return;
    }
    case 3: block[index] = v; return;
    case 4: block[index * 2] = v >> 8; block[index * 2 + 1] = v & 0xff; return;
    case 5: new DataView(block.buffer, block.byteOffset).setUint32(index * 4, v); return;
    default: setBe64(new DataView(block.buffer, block.byteOffset), index * 8, v);
  }
}

/** Byte range of the refcount block holding entry `index` (what to write back). */
function entryBytes(order: number, index: number): [number, number] {
  if (order <= 3) { const b = index >> (3 - order); return [b, b + 1]; }
  const w = 1 << (order - 3);
  return [index * w, index * w + w];
}

export function maxRefcount(order: number): number {
  return order >= 6 ? Number.MAX_SAFE_INTEGER : 2 ** (1 << order) - 1;
}

async function loadRefblock(s: BDRVQcow2State, offset: number): Promise<Uint8Array> {
  const hit = s.refblockCache.get(offset);
  if (hit) return hit;
  s.checkMetadataOffset(offset, 'Refblock');
  const b = new Uint8Array(s.clusterSize);
  await bdrvPread(s.fileChild(), offset, b);
  const raced = s.refblockCache.get(offset);
  if (raced) return raced;
  s.refblockCache.set(offset, b);
  return b;
}

/** getRefcount() without waiting: -1 when the refcount block is not in the cache (check's scans). */
export function getRefcountCached(s: BDRVQcow2State, idx: number): number {
  const t = Math.floor(idx / s.refblockEntries);
  if (t >= s.refcountTable.length) return 0;
  const off = s.refcountTable[t];
  if (off === 0) return 0;
  const block = s.refblockCache.get(off);
  return block ? getRefcountEntry(block, s.refcountOrder, idx % s.refblockEntries) : -1;
}

/** Refcount of cluster `idx` (0 for clusters no refcount block covers). */
export async function getRefcount(s: BDRVQcow2State, idx: number): Promise<number> {
  const t = Math.floor(idx / s.refblockEntries);
  if (t >= s.refcountTable.length) return 0;
  const off = s.refcountTable[t];
  if (off === 0) return 0;
  const block = await loadRefblock(s, off);
  return getRefcountEntry(block, s.refcountOrder, idx % s.refblockEntries);
}

/** Change the refcount of `count` clusters from `idx` by `delta`, writing through. */
export async function updateRefcount(s: BDRVQcow2State, idx: number, count: number, delta: number): Promise<void> {
  let i = idx;
  const end = idx + count;
  while (i < end) {
    const t = Math.floor(i / s.refblockEntries);
    await ensureRefblock(s, t);
    const off = s.refcountTable[t];
    const block = await loadRefblock(s, off);
    const blockEnd = Math.min(end, (t + 1) * s.refblockEntries);
    let lo = Infinity, hi = 0;
    for (; i < blockEnd; i++) {
      const e = i % s.refblockEntries;
      const v = getRefcountEntry(block, s.refcountOrder, e) + delta;
      if (v < 0 || v > s.maxRefcount) {
        throw s.markCorrupt(`Invalid refcount update for cluster ${i}: refcount would become ${v}`);
      }
      setRefcountEntry(block, s.refcountOrder, e, v);
      const [a, b] = entryBytes(s.refcountOrder, e);
      lo = Math.min(lo, a); hi = Math.max(hi, b);
      if (v === 0 && i < s.freeClusterIndex) s.freeClusterIndex = i;
    }
    s.refblockCache.set(off, block);
    if (s.refblockCache.writeback) { s.refblockCache.markDirty(off); await s.refblockCache.writeBack(); }
    else await bdrvPwrite(s.fileChild(), off + lo, block.subarray(lo, hi));
  }
}

/**
 * Make sure refcount block `t` exists. The new block goes to the first free cluster when an
 * existing block can count it (so new blocks gather before the data they describe and large
 * allocations stay contiguous), else to the first cluster it covers itself, counting itself.
 */
async function ensureRefblock(s: BDRVQcow2State, t: number): Promise<void> {
  if (t < s.refcountTable.length && s.refcountTable[t] !== 0) return;
  if (t >= s.refcountTable.length) await growRefcountTable(s, t + 1);
  if (s.refcountTable[t] !== 0) return;
  let idx = s.freeClusterIndex;
  while (await getRefcount(s, idx) !== 0) idx++;
  const tc = Math.floor(idx / s.refblockEntries);
  const counted = tc !== t && tc < s.refcountTable.length && s.refcountTable[tc] !== 0;
  if (!counted && tc !== t) idx = t * s.refblockEntries;
  const block = new Uint8Array(s.clusterSize);
  if (counted) await updateRefcount(s, idx, 1, 1);
  else setRefcountEntry(block, s.refcountOrder, idx - t * s.refblockEntries, 1);
  const off = idx * s.clusterSize;
  await bdrvPwrite(s.fileChild(), off, block);
  s.refblockCache.set(off, block);
  await setReftableEntry(s, t, off);
  s.noteAllocated(idx, 1);
}

async function setReftableEntry(s: BDRVQcow2State, t: number, off: number): Promise<void> {
  s.refcountTable[t] = off;
  s.metadataClusters.add(off / s.clusterSize);
  const b = new Uint8Array(8);
  setBe64(new DataView(b.buffer), 0, off);
  await bdrvPwrite(s.fileChild(), s.header.refcountTableOffset + t * 8, b);
}

/**
 * Replace the refcount table by a larger one covering `minEntries` blocks. The new table and
 * the refcount blocks counting it go in a fresh range past everything allocated; the header
 * switches to it in one 12-byte write; the old table is then freed.
 */
async function growRefcountTable(s: BDRVQcow2State, minEntries: number): Promise<void> {
  const E = s.refblockEntries, cs = s.clusterSize;
  const start = Math.ceil(s.endCluster() / E) * E;
  let entries = Math.max(minEntries, Math.ceil(s.refcountTable.length * 1.5), 1);
  let tableClusters = 0, refblocks = 1;
  for (;;) {
    tableClusters = Math.ceil(entries * 8 / cs);
    const need = Math.ceil((refblocks + tableClusters) / E);
    const lastBlock = Math.floor((start + refblocks + tableClusters - 1) / E);
    if (need <= refblocks && entries > lastBlock) break;
    refblocks = Math.max(need, refblocks);
    entries = Math.max(entries, lastBlock + 1);
  }
  if (tableClusters * cs > 0x800000) throw new QemuError('Refcount table too large');
  const table = new Array<number>(tableClusters * cs / 8).fill(0);
  for (let i = 0; i < s.refcountTable.length; i++) table[i] = s.refcountTable[i];
  // Refcount blocks for [start, start + refblocks + tableClusters): all refcount 1.
  const total = refblocks + tableClusters;
  for (let r = 0; r < refblocks; r++) {
    const block = new Uint8Array(cs);
    const first = start + r * E;
    for (let i = first; i < Math.min(first + E, start + total); i++) setRefcountEntry(block, s.refcountOrder, i - first, 1);
    const off = (start + r) * cs;
    await bdrvPwrite(s.fileChild(), off, block);
    s.refblockCache.set(off, block);
    table[Math.floor(first / E)] = off;
  }
  const tableOff = (start + refblocks) * cs;
  const tb = new Uint8Array(tableClusters * cs);
  const dv = new DataView(tb.buffer);
  table.forEach((v, i) => setBe64(dv, i * 8, v));
  await bdrvPwrite(s.fileChild(), tableOff, tb);
  const hdr = new Uint8Array(12);
  const hdv = new DataView(hdr.buffer);
  setBe64(hdv, 0, tableOff);
  hdv.setUint32(8, tableClusters);
  await bdrvPwrite(s.fileChild(), 48, hdr);
  const oldOff = s.header.refcountTableOffset, oldClusters = s.header.refcountTableClusters;
  s.header.refcountTableOffset = tableOff;
  s.header.refcountTableClusters = tableClusters;
  s.refcountTable = table;
  for (let i = 0; i < total; i++) s.metadataClusters.add(start + i);
  s.noteAllocated(start, total);
  for (let i = 0; i < oldClusters; i++) s.metadataClusters.delete(oldOff / cs + i);
  await updateRefcount(s, oldOff / cs, oldClusters, -1);
}

/** Allocate `n` contiguous clusters (refcount 1); returns the host offset. */
export async function allocClusters(s: BDRVQcow2State, n: number): Promise<number> {
  for (;;) {
    let start = s.freeClusterIndex;
    let run = 0;
    while (run < n) {
      if (await getRefcount(s, start + run) === 0) run++;
      else { start = start + run + 1; run = 0; }
    }
    // Creating missing refcount blocks may take clusters of this range: then search again.
    const before = s.refblockGeneration;
    const firstT = Math.floor(start / s.refblockEntries), lastT = Math.floor((start + n - 1) / s.refblockEntries);
    for (let t = firstT; t <= lastT; t++) {
      if (t >= s.refcountTable.length || s.refcountTable[t] === 0) { await ensureRefblock(s, t); s.refblockGeneration++; }
    }
    if (s.refblockGeneration !== before) continue;
    await updateRefcount(s, start, n, 1);
    s.freeClusterIndex = start + n;
    s.noteAllocated(start, n);
    return start * s.clusterSize;
  }
}

/** Drop one reference to `n` clusters from host offset `off`. */
export async function freeClusters(s: BDRVQcow2State, off: number, n: number): Promise<void> {
  await updateRefcount(s, Math.floor(off / s.clusterSize), n, -1);
}

/** Byte-granular allocation for compressed clusters (QEMU's qcow2_alloc_bytes). */
export async function allocBytes(s: BDRVQcow2State, size: number): Promise<number> {
  const cs = s.clusterSize;
  const cur = s.freeByteOffset;
  if (cur !== 0 && (cur % cs) + size <= cs && cur % cs !== 0) {
    await updateRefcount(s, Math.floor(cur / cs), 1, 1);
    s.freeByteOffset = cur + size;
    return cur;
  }
  const n = Math.ceil(size / cs);
  const off = await allocClusters(s, n);
  s.freeByteOffset = off + size;
  return off;
}

/** Load the refcount table from disk. */
export async function loadRefcountTable(s: BDRVQcow2State): Promise<void> {
  const h = s.header;
  const buf = new Uint8Array(h.refcountTableClusters * s.clusterSize);
  await bdrvPread(s.fileChild(), h.refcountTableOffset, buf);
  const dv = new DataView(buf.buffer);
  const entries = buf.length / 8;
  // A table cluster holds 8192 entries, mostly empty ones after the first few: those past the
  // last used one are zeroes without decoding each (every open of every image pays this). The
  // zero tail is found by halving with the host's memcmp (bufferRangeIsZero), not an entry-by-entry
  // loop, which the interpreter ran in ~1-3 ms per table cluster.
  let used = entries;
  for (let lo = 0; lo < used;) {
    const mid = (lo + used) >>> 1;
    if (bufferRangeIsZero(buf, mid * 8, entries * 8)) used = mid; else lo = mid + 1;
  }
  s.refcountTable = new Array<number>(entries).fill(0);
  for (let i = 0; i < used; i++) {
    const v = be64(dv, i * 8);
    if (!Number.isFinite(v)) throw new QemuError(`Refblock offset invalid at reftable index ${i}`);
    const off = v - (v % 512);
    if (off % s.clusterSize !== 0) throw new QemuError(`Refblock offset 0x${off.toString(16)} unaligned (reftable index: 0x${i.toString(16)})`);
    s.refcountTable[i] = off;
    if (off) s.metadataClusters.add(off / s.clusterSize);
  }
}
