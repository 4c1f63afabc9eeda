// qemu-img check for qcow2 (QEMU's qcow2_check_refcounts): count every reference the
// metadata makes, compare with the stored refcounts, check OFLAG_COPIED, optionally repair.
// Reads go straight to the file with explicit bounds checks so a damaged image is reported,
// never trusted.
import { BdrvCheckMode, BdrvCheckResult } from './block_int.js';
import type { BDRVQcow2State } from './qcow2.js';
import { getRefcount, getRefcountCached, setRefcountEntry, updateRefcount } from './qcow2-refcount.js';
import { setBe64 } from './qcow2-header.js';
import { ClusterType, decodeL2, l2ZeroRunEnd, readL1 } from './qcow2-cluster.js';
import { fixCopiedFlags } from './qcow2-snapshot.js';
import { bdrvPread, bdrvPwrite } from './io.js';
import { bitmapDirectory, readBitmaps } from './qcow2-bitmap.js';

const hex = (n: number): string => n.toString(16);

interface CheckState {
  refs: Map<number, number>;
  res: BdrvCheckResult;
  fileClusters: number;
  /** One L2 table buffer for the whole walk (tables are checked one at a time). */
  l2Buf?: Uint8Array;
}

function inc(s: BDRVQcow2State, st: CheckState, off: number, bytes: number): void {
  if (bytes <= 0) return;
  if (off + bytes - s.fileChild().getLength() >= s.clusterSize) {
    st.res.messages.push(`ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x${hex(off)} size 0x${hex(bytes)}`);
    st.res.corruptions++;
    return;
  }
  const first = Math.floor(off / s.clusterSize), last = Math.floor((off + bytes - 1) / s.clusterSize);
  for (let c = first; c <= last; c++) st.refs.set(c, (st.refs.get(c) ?? 0) + 1);
}

/** QEMU's fix_l2_entry_by_zero: an unaligned preallocated cluster becomes plain zero. */
async function fixEntryByZero(s: BDRVQcow2State, table: Uint8Array, l2Off: number, i: number): Promise<void> {
  const eb = s.l2EntryBytes;
  const dv = new DataView(table.buffer, table.byteOffset, table.length);
  if (s.extL2) {
    // Allocated subclusters become zero.
    dv.setUint32(i * eb + 8, (dv.getUint32(i * eb + 8) | dv.getUint32(i * eb + 12)) >>> 0);
    dv.setUint32(i * eb + 12, 0);
    dv.setUint32(i * eb, 0); dv.setUint32(i * eb + 4, 0);
  } else {
    dv.setUint32(i * eb, 0); dv.setUint32(i * eb + 4, 1);
  }
  await bdrvPwrite(s.fileChild(), l2Off + i * eb, table.slice(i * eb, (i + 1) * eb));
  s.l2Cache.delete(l2Off);
}

/** QEMU's check_refcounts_l2: count the references of one L2 table, checking its entries. */
async function checkL2(s: BDRVQcow2State, st: CheckState, l2Off: number, active: boolean, fix: BdrvCheckMode): Promise<void> {
  const table = st.l2Buf ??= new Uint8Array(s.clusterSize);
  await bdrvPread(s.fileChild(), l2Off, table);
  const dv = new DataView(table.buffer, table.byteOffset, table.length);
  const eb = s.l2EntryBytes, words = eb / 8, units = s.l2Size * words;
  let next = 0;
  // Zero runs are found on 8-byte units; an extended entry is two of them.
  for (let u = l2ZeroRunEnd(table, 0, units); u < units; u = l2ZeroRunEnd(table, (Math.floor(u / words) + 1) * words, units)) {
    const i = Math.floor(u / words);
    const hi = dv.getUint32(i * eb), lo = dv.getUint32(i * eb + 4);
    const zeroBits = s.extL2 ? dv.getUint32(i * eb + 8) : 0, allocBits = s.extL2 ? dv.getUint32(i * eb + 12) : 0;
    const entryHex = ((BigInt(hi) << 32n) | BigInt(lo)).toString(16);
    const e = decodeL2(s, hi, lo);
    if (e.type !== ClusterType.COMPRESSED && ((hi & 0x3f000000) !== 0 || (lo & 0x1fe) !== 0)) {
      st.res.messages.push(`ERROR found l2 entry with reserved bits set: ${entryHex}`);
      st.res.corruptions++;
    }
    if (e.type === ClusterType.COMPRESSED) {
      if (zeroBits || allocBits) {
        st.res.messages.push(`ERROR compressed cluster ${i} with non-zero subcluster allocation bitmap, entry=0x${entryHex}`);
        st.res.corruptions++;
        continue;
      }
      // QEMU counts every compressed cluster as fragmented (they are read by whole sectors).
      if (active) { st.res.allocatedClusters++; st.res.compressedClusters++; st.res.fragmentedClusters++; }
      const start = e.host - (e.host & 511);
      inc(s, st, start, e.csize + (e.host & 511));
      continue;
    }
    if (e.type === ClusterType.UNALLOCATED) {
      if (allocBits) {
        st.res.messages.push('ERROR: Unallocated cluster has non-zero subcluster allocation map');
        st.res.corruptions++;
      }
      continue;
    }
    if (e.type !== ClusterType.NORMAL && e.type !== ClusterType.ZERO_ALLOC) continue;
    if ((zeroBits & allocBits) !== 0) {
      st.res.corruptions++;
      st.res.messages.push(`ERROR offset=${hex(e.host)}: Allocated cluster has corrupted subcluster allocation bitmap`);
    }
    if (e.host % s.clusterSize !== 0) {
      st.res.corruptions++;
      const containsData = s.extL2 ? allocBits !== 0 : e.type !== ClusterType.ZERO_ALLOC;
      if (!containsData) {
        const repair = (fix & BdrvCheckMode.FIX_ERRORS) !== 0;
        st.res.messages.push(`${repair ? 'Repairing' : 'ERROR'} offset=${hex(e.host)}: Preallocated cluster is not properly aligned; L2 entry corrupted.`);
        if (repair) {
          await fixEntryByZero(s, table, l2Off, i);
          st.res.corruptions--; st.res.corruptionsFixed++;
          continue;
        }
      } else {
        st.res.messages.push(`ERROR offset=${hex(e.host)}: Data cluster is not properly aligned; L2 entry corrupted.`);
      }
    }
    if (active) {
      st.res.allocatedClusters++;
      if (next && e.host !== next) st.res.fragmentedClusters++;
      next = e.host + s.clusterSize;
    }
    inc(s, st, e.host, s.clusterSize);
  }
}

async function checkL1(s: BDRVQcow2State, st: CheckState, l1Off: number, l1Size: number, active: boolean, fix: BdrvCheckMode): Promise<void> {
  inc(s, st, l1Off, l1Size * 8);
  let offsets: number[];
  try {
    offsets = active ? s.l1Table : (await readL1(s, l1Off, l1Size)).offsets;
  } catch (e) {
    st.res.messages.push(`ERROR ${(e as Error).message}`);
    st.res.corruptions++;
    return;
  }
  for (let i = 0; i < offsets.length; i++) {
    const l2 = offsets[i];
    if (!l2) continue;
    if (l2 % s.clusterSize !== 0) {
      st.res.messages.push(`ERROR l2_offset=${hex(l2)}: Table is not cluster aligned; L1 entry corrupted`);
      st.res.corruptions++;
      continue;
    }
    inc(s, st, l2, s.clusterSize);
    if (l2 + s.clusterSize > s.fileChild().getLength()) continue;
    await checkL2(s, st, l2, active, fix);
  }
}

/** Persistent dirty bitmaps: the directory, each bitmap table and its data clusters. */
async function countBitmaps(s: BDRVQcow2State, st: CheckState): Promise<void> {
  const d = bitmapDirectory(s);
  if (!d) return;
  let list;
  try { list = await readBitmaps(s); } catch (e) {
    st.res.messages.push(`ERROR ${(e as Error).message}`);
    st.res.corruptions++;
    return;
  }
  inc(s, st, d.offset, d.size);
  for (const b of list) {
    if (!Number.isFinite(b.tableOffset) || b.tableOffset + b.tableSize * 8 > s.fileChild().getLength()) continue;
    inc(s, st, b.tableOffset, b.tableSize * 8);
    const table = new Uint8Array(b.tableSize * 8);
    await bdrvPread(s.fileChild(), b.tableOffset, table);
    const tdv = new DataView(table.buffer);
    for (let j = 0; j < b.tableSize; j++) {
      const off = (tdv.getUint32(j * 8) & 0x00ffffff) * 0x100000000 + ((tdv.getUint32(j * 8 + 4) & ~0x1ff) >>> 0);
      if (off) inc(s, st, off, s.clusterSize);
    }
  }
}

/** Every reference the metadata makes, per cluster. */
async function countRefs(s: BDRVQcow2State, res: BdrvCheckResult, fix: BdrvCheckMode = 0): Promise<CheckState> {
  const st: CheckState = { refs: new Map(), res, fileClusters: Math.ceil(s.fileChild().getLength() / s.clusterSize) };
  const h = s.header;
  inc(s, st, 0, s.clusterSize);
  await checkL1(s, st, h.l1TableOffset, h.l1Size, true, fix);
  for (const sn of s.snapshots) await checkL1(s, st, sn.l1TableOffset, sn.l1Size, false, fix);
  inc(s, st, h.snapshotsOffset, s.snapshotsTableBytes);
  inc(s, st, h.refcountTableOffset, h.refcountTableClusters * s.clusterSize);
  if (s.hinfo.cryptoHeader) inc(s, st, s.hinfo.cryptoHeader.offset, s.hinfo.cryptoHeader.length);
  await countBitmaps(s, st);
  for (let i = 0; i < s.refcountTable.length; i++) {
    const off = s.refcountTable[i];
    if (!off) continue;
    if (off / s.clusterSize >= st.fileClusters) {
      res.messages.push(`ERROR refcount block ${i} is outside image`);
      res.corruptions++;
      continue;
    }
    inc(s, st, off, s.clusterSize);
  }
  return st;
}

/**
 * QEMU's compare_refcounts: stored refcounts against the references found; a referenced
 * cluster with refcount 0 cannot be fixed in place (its refcount block may be missing): it asks
 * for a rebuild of the whole refcount structure.
 */
async function compareRefs(s: BDRVQcow2State, st: CheckState, res: BdrvCheckResult, mode: BdrvCheckMode): Promise<{ rebuild: boolean; highest: number }> {
  let highest = 0, rebuild = false;
  const beyond = [...st.refs.keys()].filter((c) => c >= st.fileClusters).sort((a, b) => a - b);
  const clusters = function* (): Generator<number> {
    for (let c = 0; c < st.fileClusters; c++) yield c;
    yield* beyond;
  };
  for (const c of clusters()) {
    const cached = getRefcountCached(s, c);
    const stored = cached >= 0 ? cached : await storedRefcount(s, c, res);
    const refs = st.refs.get(c) ?? 0;
    if (stored > 0 || refs > 0) highest = c;
    if (stored === refs) continue;
    let fixing = false;
    if (stored === 0) rebuild = true;
    else if (stored > refs) fixing = (mode & BdrvCheckMode.FIX_LEAKS) !== 0;
    else fixing = (mode & BdrvCheckMode.FIX_ERRORS) !== 0;
    res.messages.push(`${fixing ? 'Repairing' : stored < refs ? 'ERROR' : 'Leaked'} cluster ${c} refcount=${stored} reference=${refs}`);
    if (fixing) {
      await updateRefcount(s, c, 1, refs - stored);
      if (stored > refs) res.leaksFixed++; else res.corruptionsFixed++;
      continue;
    }
    if (stored < refs) res.corruptions++; else res.leaks++;
  }
  return { rebuild, highest };
}

/**
 * QEMU's rebuild_refcount_structure: new refcount blocks, then a new refcount table, in the
 * first free clusters by the references counted, holding those references; then the header
 * points at them. The old structures are left with refcount 1 and no reference (fixed next).
 */
async function rebuildRefcounts(s: BDRVQcow2State, st: CheckState): Promise<void> {
  const cs = s.clusterSize, E = s.refblockEntries;
  const refs = new Map(st.refs);
  const alloc = (n: number): number => {
    let start = 0;
    for (let i = 0; i < n;) {
      if ((refs.get(start + i) ?? 0) > 0) { start += i + 1; i = 0; } else i++;
    }
    for (let i = 0; i < n; i++) refs.set(start + i, 1);
    return start;
  };
  const blocks = new Map<number, number>();
  const coverAll = (): void => {
    for (let changed = true; changed;) {
      changed = false;
      for (const [c, r] of [...refs]) {
        const t = Math.floor(c / E);
        if (r > 0 && !blocks.has(t)) { blocks.set(t, alloc(1)); changed = true; }
      }
    }
  };
  coverAll();
  let tableClusters = 0, tableStart = 0;
  for (;;) {
    const maxT = Math.max(...blocks.keys());
    tableClusters = Math.ceil((maxT + 1) * 8 / cs);
    tableStart = alloc(tableClusters);
    const before = blocks.size;
    coverAll();
    if (blocks.size === before) break;
    for (let i = 0; i < tableClusters; i++) refs.delete(tableStart + i);
  }
  const bufs = new Map<number, Uint8Array>();
  for (const t of blocks.keys()) bufs.set(t, new Uint8Array(cs));
  for (const [c, r] of refs) {
    if (r <= 0) continue;
    setRefcountEntry(bufs.get(Math.floor(c / E))!, s.refcountOrder, c % E, Math.min(r, s.maxRefcount));
  }
  const table = new Uint8Array(tableClusters * cs);
  const tdv = new DataView(table.buffer);
  for (const [t, c] of blocks) {
    await bdrvPwrite(s.fileChild(), c * cs, bufs.get(t)!);
    setBe64(tdv, t * 8, c * cs);
  }
  await bdrvPwrite(s.fileChild(), tableStart * cs, table);
  await s.fileChild().flush();
  const hdr = new Uint8Array(12);
  const hdv = new DataView(hdr.buffer);
  setBe64(hdv, 0, tableStart * cs);
  hdv.setUint32(8, tableClusters);
  await bdrvPwrite(s.fileChild(), 48, hdr);
  await s.fileChild().flush();
  const h = s.header;
  for (let i = 0; i < h.refcountTableClusters; i++) s.metadataClusters.delete(h.refcountTableOffset / cs + i);
  for (const off of s.refcountTable) if (off) s.metadataClusters.delete(off / cs);
  h.refcountTableOffset = tableStart * cs;
  h.refcountTableClusters = tableClusters;
  s.refcountTable = new Array<number>(tableClusters * cs / 8).fill(0);
  for (const [t, c] of blocks) { s.refcountTable[t] = c * cs; s.metadataClusters.add(c); s.noteAllocated(c, 1); }
  s.metadataClustersFor(tableStart * cs, tableClusters * cs);
  s.noteAllocated(tableStart, tableClusters);
  await s.refblockCache.flush();
  s.refblockCache.clear();
  s.freeClusterIndex = 0;
}

const counts = (r: BdrvCheckResult): Pick<BdrvCheckResult, 'corruptions' | 'leaks' | 'checkErrors' | 'corruptionsFixed' | 'leaksFixed'> =>
  ({ corruptions: r.corruptions, leaks: r.leaks, checkErrors: r.checkErrors, corruptionsFixed: r.corruptionsFixed, leaksFixed: r.leaksFixed });

/** Count references, compare, repair as asked (qcow2_check_refcounts). */
export async function qcow2Check(s: BDRVQcow2State, mode: BdrvCheckMode): Promise<BdrvCheckResult> {
  // The checker reads tables from disk: write back what a writeback cache holds first.
  await s.refblockCache.flush();
  await s.l2Cache.flush();
  const res: BdrvCheckResult = {
    corruptions: 0, leaks: 0, checkErrors: 0, corruptionsFixed: 0, leaksFixed: 0, imageEndOffset: 0,
    allocatedClusters: 0, totalClusters: Math.ceil(s.header.size / s.clusterSize), fragmentedClusters: 0,
    compressedClusters: 0, messages: [],
  };
  const st = await countRefs(s, res, mode);
  // Reported first without repairing; then, if asked, compared again repairing (QEMU's order).
  const pre = counts(res);
  let { rebuild, highest } = await compareRefs(s, st, res, 0);
  if (rebuild && (mode & BdrvCheckMode.FIX_ERRORS)) {
    res.messages.push('Rebuilding refcount structure');
    const old = counts(res);
    await rebuildRefcounts(s, st);
    res.corruptions = 0; res.leaks = 0;
    const st2 = await countRefs(s, res);
    let fresh = 0;
    if (mode & BdrvCheckMode.FIX_LEAKS) {
      const saved = counts(res);
      Object.assign(res, { corruptions: 0, leaks: 0, checkErrors: 0, corruptionsFixed: 0, leaksFixed: 0 });
      const r2 = await compareRefs(s, st2, res, BdrvCheckMode.FIX_LEAKS);
      if (r2.rebuild) res.messages.push('ERROR rebuilt refcount structure is still broken');
      highest = r2.highest;
      fresh = res.leaks;
      Object.assign(res, saved);
    }
    if (res.corruptions < old.corruptions) res.corruptionsFixed += old.corruptions - res.corruptions;
    if (res.leaks < old.leaks) res.leaksFixed += old.leaks - res.leaks;
    res.leaks += fresh;
  } else if (mode) {
    if (rebuild) {
      res.messages.push('ERROR need to rebuild refcount structures');
      res.checkErrors++;
      res.imageEndOffset = (highest + 1) * s.clusterSize;
      return res;
    }
    if (res.leaks || res.corruptions) {
      Object.assign(res, pre);
      ({ highest } = await compareRefs(s, st, res, mode));
    }
  }
  await checkCopied(s, res, mode);
  res.imageEndOffset = (highest + 1) * s.clusterSize;
  return res;
}

async function storedRefcount(s: BDRVQcow2State, c: number, res: BdrvCheckResult): Promise<number> {
  try {
    return await getRefcount(s, c);
  } catch (e) {
    res.checkErrors++;
    res.messages.push(`ERROR could not read refcount of cluster ${c}: ${(e as Error).message}`);
    return 0;
  }
}

async function checkCopied(s: BDRVQcow2State, res: BdrvCheckResult, mode: BdrvCheckMode): Promise<void> {
  let bad = 0;
  // FIX_LEAKS alone repairs only when the refcounts are known right (QEMU's check_oflag_copied).
  const repair = (mode & BdrvCheckMode.FIX_ERRORS) !== 0 ||
    ((mode & BdrvCheckMode.FIX_LEAKS) !== 0 && !res.checkErrors && !res.corruptions && !res.leaks);
  const label = repair ? 'Repairing' : 'ERROR';
  const table = new Uint8Array(s.clusterSize); // one for all tables: they are walked in turn
  const dv = new DataView(table.buffer);
  for (let i = 0; i < s.l1Table.length; i++) {
    const l2 = s.l1Table[i];
    if (!l2 || l2 % s.clusterSize !== 0) continue;
    const rc = await getRefcount(s, l2 / s.clusterSize);
    if ((rc === 1) !== s.l1Copied[i]) {
      const entry = (s.l1Copied[i] ? 0x8000000000000000n : 0n) | BigInt(l2);
      res.messages.push(`${label} OFLAG_COPIED L2 cluster: l1_index=${i} l1_entry=${entry.toString(16)} refcount=${rc}`);
      bad++;
    }
    if (l2 + s.clusterSize > s.fileChild().getLength()) continue;
    await bdrvPread(s.fileChild(), l2, table);
    const eb = s.l2EntryBytes, words = eb / 8, units = s.l2Size * words;
    for (let u = l2ZeroRunEnd(table, 0, units); u < units; u = l2ZeroRunEnd(table, (Math.floor(u / words) + 1) * words, units)) {
      const j = Math.floor(u / words);
      const e = decodeL2(s, dv.getUint32(j * eb), dv.getUint32(j * eb + 4));
      if (e.type !== ClusterType.NORMAL && e.type !== ClusterType.ZERO_ALLOC) continue;
      if (e.host % s.clusterSize !== 0) continue;
      const cached = getRefcountCached(s, e.host / s.clusterSize);
      const r = cached >= 0 ? cached : await getRefcount(s, e.host / s.clusterSize);
      if ((r === 1) !== e.copied) {
        const entry = (BigInt(dv.getUint32(j * eb)) << 32n) | BigInt(dv.getUint32(j * eb + 4));
        res.messages.push(`${label} OFLAG_COPIED data cluster: l2_entry=${entry.toString(16)} refcount=${r}`);
        bad++;
      }
    }
  }
  if (bad && repair) {
    s.l2Cache.clear();
    await fixCopiedFlags(s);
    res.corruptionsFixed += bad;
  } else res.corruptions += bad;
}
