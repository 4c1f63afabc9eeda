// qcow2 internal snapshots (QEMU's qcow2-snapshot.c): a snapshot is a copy of the L1 table
// plus one more reference on every cluster it reaches. Creating takes references first and
// publishes the new snapshot table last, so a crash only leaks.
import { QemuError } from '../qemu/error.js';
import { QEMUSnapshotInfo } from './block_int.js';
import type { BDRVQcow2State } from './qcow2.js';
import { be64, setBe64 } from './qcow2-header.js';
import { allocClusters, freeClusters, getRefcount, updateRefcount } from './qcow2-refcount.js';
import { ClusterType, decodeL2, encodeStd, getL2Table, growL1, readL1 } from './qcow2-cluster.js';
import { bdrvPread, bdrvPwrite } from './io.js';

export interface QCowSnapshot {
  info: QEMUSnapshotInfo;
  l1TableOffset: number;
  l1Size: number;
  /** Extra data beyond what we interpret, kept on rewrite. */
  extra: Uint8Array;
  /** L2 offsets of this snapshot's L1 (loaded on demand). */
  l1Offsets?: number[];
}

const dec = new TextDecoder();
const enc = new TextEncoder();

export async function readSnapshots(s: BDRVQcow2State): Promise<QCowSnapshot[]> {
  const h = s.header;
  const out: QCowSnapshot[] = [];
  if (h.nbSnapshots === 0) return out;
  const flen = s.fileChild().getLength();
  let off = h.snapshotsOffset;
  const hdr = new Uint8Array(40);
  for (let i = 0; i < h.nbSnapshots; i++) {
    if (off + 40 > flen) throw new QemuError('Snapshot table lies past the end of the image file');
    await bdrvPread(s.fileChild(), off, hdr);
    const dv = new DataView(hdr.buffer);
    const l1TableOffset = be64(dv, 0), l1Size = dv.getUint32(8);
    const idLen = dv.getUint16(12), nameLen = dv.getUint16(14);
    const extraLen = dv.getUint32(36);
    if (extraLen > 1024) throw new QemuError('Too much extra metadata in snapshot table entry');
    const rest = new Uint8Array(extraLen + idLen + nameLen);
    if (off + 40 + rest.length > flen) throw new QemuError('Snapshot table lies past the end of the image file');
    await bdrvPread(s.fileChild(), off + 40, rest);
    const xdv = new DataView(rest.buffer);
    if (!Number.isFinite(l1TableOffset) || l1TableOffset % s.clusterSize !== 0) throw new QemuError('Snapshot L1 table offset invalid');
    if (l1Size * 8 > 0x2000000) throw new QemuError('Snapshot L1 table too large');
    if (l1Size > 0 && l1TableOffset + l1Size * 8 > flen) throw new QemuError('Snapshot L1 table offset invalid');
    out.push({
      l1TableOffset, l1Size, extra: rest.slice(0, extraLen),
      info: {
        id: dec.decode(rest.subarray(extraLen, extraLen + idLen)),
        name: dec.decode(rest.subarray(extraLen + idLen)),
        vmStateSize: extraLen >= 8 ? be64(xdv, 0) : dv.getUint32(32),
        dateSec: dv.getUint32(16), dateNsec: dv.getUint32(20),
        vmClockNsec: dv.getBigUint64(24),
        diskSize: extraLen >= 16 ? be64(xdv, 8) : h.size,
        icount: extraLen >= 24 && xdv.getBigInt64(16) !== -1n ? xdv.getBigUint64(16) : null,
      },
    });
    off += (40 + rest.length + 7) & ~7;
  }
  for (const sn of out) s.metadataClustersFor(sn.l1TableOffset, sn.l1Size * 8);
  s.snapshotsTableBytes = off - h.snapshotsOffset;
  s.metadataClustersFor(h.snapshotsOffset, s.snapshotsTableBytes);
  return out;
}

function serialise(s: BDRVQcow2State, list: QCowSnapshot[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const sn of list) {
    const id = enc.encode(sn.info.id), name = enc.encode(sn.info.name);
    const extra = new Uint8Array(Math.max(24, sn.extra.length));
    extra.set(sn.extra);
    const xdv = new DataView(extra.buffer);
    setBe64(xdv, 0, sn.info.vmStateSize);
    setBe64(xdv, 8, sn.info.diskSize);
    xdv.setBigInt64(16, sn.info.icount === null ? -1n : sn.info.icount);
    const len = (40 + extra.length + id.length + name.length + 7) & ~7;
    const b = new Uint8Array(len);
    const dv = new DataView(b.buffer);
    setBe64(dv, 0, sn.l1TableOffset);
    dv.setUint32(8, sn.l1Size);
    dv.setUint16(12, id.length); dv.setUint16(14, name.length);
    dv.setUint32(16, sn.info.dateSec); dv.setUint32(20, sn.info.dateNsec);
    dv.setBigUint64(24, sn.info.vmClockNsec);
    dv.setUint32(32, Math.min(sn.info.vmStateSize, 0xffffffff));
    dv.setUint32(36, extra.length);
    b.set(extra, 40); b.set(id, 40 + extra.length); b.set(name, 40 + extra.length + id.length);
    parts.push(b);
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  void s;
  return out;
}

/** Write a new snapshot table, switch the header to it, free the old one. */
async function writeSnapshotTable(s: BDRVQcow2State, list: QCowSnapshot[]): Promise<void> {
  const buf = serialise(s, list);
  const cs = s.clusterSize;
  let off = 0;
  if (buf.length > 0) {
    const n = Math.ceil(buf.length / cs);
    off = await allocClusters(s, n);
    const padded = new Uint8Array(n * cs);
    padded.set(buf);
    await bdrvPwrite(s.fileChild(), off, padded);
  }
  const hdr = new Uint8Array(12);
  const dv = new DataView(hdr.buffer);
  dv.setUint32(0, list.length);
  setBe64(dv, 4, off);
  await bdrvPwrite(s.fileChild(), 60, hdr);
  const oldOff = s.header.snapshotsOffset, oldBytes = s.snapshotsTableBytes;
  s.header.nbSnapshots = list.length; s.header.snapshotsOffset = off;
  s.snapshots = list;
  s.snapshotsTableBytes = buf.length;
  if (oldBytes > 0 && oldOff) {
    const n = Math.ceil(oldBytes / cs);
    for (let i = 0; i < n; i++) s.metadataClusters.delete(oldOff / cs + i);
    await freeClusters(s, oldOff, n);
  }
  if (off) s.metadataClustersFor(off, buf.length);
}

/** Add `delta` references to every L2 table and data cluster an L1 table reaches. */
async function adjustL1Refcounts(s: BDRVQcow2State, l1: number[], delta: number): Promise<void> {
  for (const l2Off of l1) {
    if (!l2Off) continue;
    const table = await getL2Table(s, l2Off);
    const dv = new DataView(table.buffer, table.byteOffset);
    for (let i = 0; i < s.l2Size; i++) {
      const e = decodeL2(s, dv.getUint32(i * s.l2EntryBytes), dv.getUint32(i * s.l2EntryBytes + 4));
      if (e.type === ClusterType.NORMAL || e.type === ClusterType.ZERO_ALLOC) await updateRefcount(s, e.host / s.clusterSize, 1, delta);
      else if (e.type === ClusterType.COMPRESSED) {
        const start = e.host - (e.host & 511);
        const first = Math.floor(start / s.clusterSize), last = Math.floor((start + e.csize + (e.host & 511) - 1) / s.clusterSize);
        await updateRefcount(s, first, last - first + 1, delta);
      }
    }
    await updateRefcount(s, l2Off / s.clusterSize, 1, delta);
    if (delta < 0 && await getRefcount(s, l2Off / s.clusterSize) === 0) {
      s.l2Cache.delete(l2Off);
      s.metadataClusters.delete(l2Off / s.clusterSize);
    }
  }
}

/** Set OFLAG_COPIED on active L1/L2 entries exactly where the refcount is 1. */
export async function fixCopiedFlags(s: BDRVQcow2State): Promise<number> {
  let fixed = 0;
  for (let i = 0; i < s.l1Table.length; i++) {
    const l2Off = s.l1Table[i];
    if (!l2Off) continue;
    const one = await getRefcount(s, l2Off / s.clusterSize) === 1;
    if (one !== s.l1Copied[i]) { s.l1Copied[i] = one; await s.writeL1Entry(i); fixed++; }
    const table = await getL2Table(s, l2Off);
    const dv = new DataView(table.buffer, table.byteOffset);
    let changed = false;
    for (let j = 0; j < s.l2Size; j++) {
      const e = decodeL2(s, dv.getUint32(j * s.l2EntryBytes), dv.getUint32(j * s.l2EntryBytes + 4));
      if (e.type !== ClusterType.NORMAL && e.type !== ClusterType.ZERO_ALLOC) continue;
      // Entries of a table shared with a snapshot are never ours alone.
      const want = one && await getRefcount(s, e.host / s.clusterSize) === 1;
      if (want !== e.copied) {
        const [hi, lo] = encodeStd(e.host, want, e.type === ClusterType.ZERO_ALLOC);
        dv.setUint32(j * s.l2EntryBytes, hi); dv.setUint32(j * s.l2EntryBytes + 4, lo);
        changed = true; fixed++;
      }
    }
    if (changed) await bdrvPwrite(s.fileChild(), l2Off, table);
  }
  return fixed;
}

function find(s: BDRVQcow2State, name: string): QCowSnapshot {
  const sn = s.snapshots.find((x) => x.info.id === name) ?? s.snapshots.find((x) => x.info.name === name);
  if (!sn) throw new QemuError(`Can't find snapshot`);
  return sn;
}

async function writeL1Copy(s: BDRVQcow2State, l1: number[], copied: boolean[]): Promise<number> {
  if (l1.length === 0) return 0;
  const n = Math.ceil(l1.length * 8 / s.clusterSize);
  const off = await allocClusters(s, n);
  const buf = new Uint8Array(n * s.clusterSize);
  const dv = new DataView(buf.buffer);
  l1.forEach((v, i) => { setBe64(dv, i * 8, v); if (copied[i]) buf[i * 8] |= 0x80; });
  await bdrvPwrite(s.fileChild(), off, buf);
  s.metadataClustersFor(off, l1.length * 8);
  return off;
}

export async function snapshotCreate(s: BDRVQcow2State, name: string, vmClockNsec: bigint): Promise<void> {
  if (s.snapshots.some((x) => x.info.name === name)) throw new QemuError(`Snapshot with name '${name}' already exists`);
  let id = 1;
  while (s.snapshots.some((x) => x.info.id === String(id))) id++;
  await adjustL1Refcounts(s, s.l1Table, 1);
  await fixCopiedFlags(s);
  const l1Off = await writeL1Copy(s, s.l1Table, s.l1Copied);
  const now = Date.now();
  const sn: QCowSnapshot = {
    l1TableOffset: l1Off, l1Size: s.l1Table.length, extra: new Uint8Array(0), l1Offsets: s.l1Table.slice(),
    info: {
      id: String(id), name, vmStateSize: 0, dateSec: Math.floor(now / 1000), dateNsec: (now % 1000) * 1e6,
      vmClockNsec, icount: null, diskSize: s.header.size,
    },
  };
  await writeSnapshotTable(s, [...s.snapshots, sn]);
}

export async function snapshotL1(s: BDRVQcow2State, sn: QCowSnapshot): Promise<number[]> {
  if (!sn.l1Offsets) sn.l1Offsets = (await readL1(s, sn.l1TableOffset, sn.l1Size)).offsets;
  return sn.l1Offsets;
}

export async function snapshotGoto(s: BDRVQcow2State, name: string): Promise<void> {
  const sn = find(s, name);
  const l1 = await snapshotL1(s, sn);
  if (sn.info.diskSize !== s.header.size) {
    const b = new Uint8Array(8);
    setBe64(new DataView(b.buffer), 0, sn.info.diskSize);
    await bdrvPwrite(s.fileChild(), 24, b);
    s.header.size = sn.info.diskSize;
  }
  await growL1(s, l1.length);
  // References for the snapshot's clusters first, then the switch, then drop the old ones.
  await adjustL1Refcounts(s, l1, 1);
  const old = s.l1Table.slice();
  const buf = new Uint8Array(s.l1Table.length * 8);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < s.l1Table.length; i++) setBe64(dv, i * 8, i < l1.length ? l1[i] : 0);
  await bdrvPwrite(s.fileChild(), s.header.l1TableOffset, buf);
  for (let i = 0; i < s.l1Table.length; i++) { s.l1Table[i] = i < l1.length ? l1[i] : 0; s.l1Copied[i] = false; }
  for (const o of s.l1Table) if (o) s.metadataClusters.add(o / s.clusterSize);
  await adjustL1Refcounts(s, old, -1);
  for (const o of s.l1Table) if (o) s.metadataClusters.add(o / s.clusterSize);
  await fixCopiedFlags(s);
}

export async function snapshotDelete(s: BDRVQcow2State, name: string): Promise<void> {
  const sn = find(s, name);
  const l1 = await snapshotL1(s, sn);
  await writeSnapshotTable(s, s.snapshots.filter((x) => x !== sn));
  await adjustL1Refcounts(s, l1, -1);
  if (sn.l1Size > 0) {
    const n = Math.ceil(sn.l1Size * 8 / s.clusterSize);
    for (let i = 0; i < n; i++) s.metadataClusters.delete(sn.l1TableOffset / s.clusterSize + i);
    await freeClusters(s, sn.l1TableOffset, n);
  }
  for (const o of s.l1Table) if (o) s.metadataClusters.add(o / s.clusterSize);
  await fixCopiedFlags(s);
}

/** Read-only view of a snapshot (convert -l): swap in its L1 table in memory only. */
export async function snapshotLoadTmp(s: BDRVQcow2State, name: string): Promise<void> {
  const sn = find(s, name);
  const l1 = await snapshotL1(s, sn);
  s.l1Table = l1.slice();
  s.l1Copied = l1.map(() => false);
  s.header = { ...s.header, size: sn.info.diskSize };
  s.snapshotView = true;
}
