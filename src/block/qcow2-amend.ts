// qemu-img amend for qcow2 (QEMU's qcow2_amend_options): compat level, lazy refcounts,
// backing file, size. Other options are refused with QEMU's wording.
import { QemuError } from '../qemu/error.js';
import { parseBool, parseSize } from '../qemu/option.js';
import { BlockOptions, getCryptoProvider } from './block_int.js';
import { subOptions } from './block.js';
import type { BDRVQcow2State } from './qcow2.js';
import { COMPAT_LAZY_REFCOUNTS } from './qcow2-header.js';
import { checkOverlap, ClusterType, decodeL2, encodeStd, getL2Table, qcow2Truncate } from './qcow2-cluster.js';
import { allocClusters, getRefcount, updateRefcount } from './qcow2-refcount.js';
import { bdrvPwrite } from './io.js';
import { parseCompat, parseRefcountBits } from './qcow2-create.js';
import { snapshotL1 } from './qcow2-snapshot.js';

/**
 * Replace v3 zero clusters by what v2 can express, in every L1 table (the active one and the
 * snapshots', QEMU's expand_zero_clusters_in_l1): a plain zero cluster becomes unallocated when
 * nothing shows through, else a new cluster of zeroes (with the refcount of its L2 table, which
 * snapshots may share); a preallocated one has its cluster zeroed. Tables are changed in place.
 */
async function expandZeroClusters(s: BDRVQcow2State, progress?: (d: number, t: number) => void): Promise<void> {
  const cs = s.clusterSize;
  const l1s = [s.l1Table.slice()];
  for (const sn of s.snapshots) l1s.push(await snapshotL1(s, sn));
  const total = Math.max(1, l1s.reduce((n, l1) => n + l1.length, 0));
  let visited = 0;
  for (const l1 of l1s) {
    for (const l2Off of l1) {
      // (the last step is amend's own 100%, as QEMU prints it)
      if (++visited < total) progress?.(visited, total);
      if (!l2Off) continue;
      const l2rc = await getRefcount(s, l2Off / cs);
      const table = await getL2Table(s, l2Off);
      const dv = new DataView(table.buffer, table.byteOffset);
      let dirty = false;
      for (let j = 0; j < s.l2Size; j++) {
        const e = decodeL2(s, dv.getUint32(j * 8), dv.getUint32(j * 8 + 4));
        if (e.type !== ClusterType.ZERO_PLAIN && e.type !== ClusterType.ZERO_ALLOC) continue;
        let host = e.host;
        // A preallocated zero cluster also referenced elsewhere (a zero write after a snapshot
        // keeps the shared cluster) is not zeroed in place, which QEMU does, destroying what the
        // other reference reads: this table's references to it are dropped and it is treated as
        // a plain zero cluster.
        if (e.type === ClusterType.ZERO_ALLOC && host % cs === 0 && await getRefcount(s, host / cs) > l2rc) {
          await updateRefcount(s, host / cs, 1, -l2rc);
          host = 0;
        }
        if (e.type === ClusterType.ZERO_PLAIN || host === 0) {
          if (!s.backingFile) { dv.setUint32(j * 8, 0); dv.setUint32(j * 8 + 4, 0); dirty = true; continue; }
          host = await allocClusters(s, 1);
          if (l2rc > 1) await updateRefcount(s, host / cs, 1, l2rc - 1);
        }
        if (host % cs !== 0) throw s.markCorrupt(`Cluster allocation offset 0x${host.toString(16)} unaligned (L2 offset: 0x${l2Off.toString(16)}, L2 index: 0x${j.toString(16)})`);
        checkOverlap(s, host, 1);
        await bdrvPwrite(s.fileChild(), host, new Uint8Array(cs));
        const [hi, lo] = encodeStd(host, l2rc === 1, false);
        dv.setUint32(j * 8, hi); dv.setUint32(j * 8 + 4, lo);
        dirty = true;
      }
      if (dirty) {
        await bdrvPwrite(s.fileChild(), l2Off, table);
        s.l2Cache.set(l2Off, table);
      }
    }
  }
}

export async function qcow2Amend(s: BDRVQcow2State, o: BlockOptions, progress?: (d: number, t: number) => void): Promise<void> {
  if (s.readOnly) throw new QemuError('Block node is read-only');
  for (const k of o.keys()) {
    // Creation options qemu-img amend parses only to name them (its create_opts fallback).
    if (['extended_l2', 'compression_type', 'cluster_size', 'preallocation', 'encryption'].includes(k)) {
      throw new QemuError(`Invalid parameter '${k}'\nThis option is only supported for image creation`);
    }
    // This image has no external data file (tsqemu opens none): QEMU's texts.
    if (k === 'data_file') throw new QemuError('data-file can only be set for images that use an external data file');
    if (k === 'data_file_raw' && parseBool('data_file_raw', o.get(k) as string)) throw new QemuError('data-file-raw cannot be set on existing images');
    if (!['compat', 'lazy_refcounts', 'backing_file', 'backing_fmt', 'size', 'refcount_bits', 'data_file_raw'].includes(k) && !k.startsWith('encrypt.')) {
      throw new QemuError(`Invalid parameter '${k}'`);
    }
  }
  if (o.has('refcount_bits') && parseRefcountBits(o.get('refcount_bits') as string) !== s.refcountOrder) {
    throw new QemuError('Changing the refcount width is not supported by tsqemu');
  }
  const enc = subOptions(o, 'encrypt.');
  if (enc.size > 0) {
    // LUKS keyslot changes go to the crypto layer, on the header inside the image.
    const provider = getCryptoProvider();
    if (!s.crypto || !s.cryptoHeaderIO) throw new QemuError('Cannot amend encryption options of an image that is not encrypted');
    if (!provider.amend) throw new QemuError('Amending encryption options is not supported');
    await provider.amend(s.crypto, enc, s.cryptoHeaderIO.read, s.cryptoHeaderIO.write);
    for (const k of [...o.keys()]) if (k.startsWith('encrypt.')) o.delete(k);
    if (o.size === 0) { progress?.(1, 1); return; }
  }
  const h = s.header;
  let version = h.version;
  if (o.has('compat')) {
    const c = o.get('compat') as string;
    try { version = parseCompat(c); } catch { throw new QemuError(`Unknown compatibility level ${c}`); }
  }
  // QEMU 7.2+: the backing file is changed by rebase, not amend (same names are accepted).
  if ((o.has('backing_file') && o.get('backing_file') !== s.hinfo.backingFile) ||
    (o.has('backing_fmt') && o.get('backing_fmt') !== s.hinfo.backingFormat)) {
    throw new QemuError("Cannot amend the backing file\nYou can use 'qemu-img rebase' instead.");
  }
  // Lazy refcounts are refused with v2 only when asked for: a downgrade alone drops them (the
  // image is clean: open repaired a dirty one), as QEMU's qcow2_downgrade (iotests 061).
  const lazy = o.has('lazy_refcounts') ? parseBool('lazy_refcounts', o.get('lazy_refcounts') as string) : s.lazyRefcounts && version === 3;
  if (version === 2) {
    // (amend's texts: "use compat=1.1", where create says "use version=v3")
    if (lazy) throw new QemuError('Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)');
    if (s.refcountOrder !== 4) throw new QemuError('Refcount widths other than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)');
    if (h.compressionType !== 0) throw new QemuError('Cannot downgrade an image with a non-zlib compression type');
    if (s.extL2) throw new QemuError('Cannot downgrade an image with incompatible features 0x10 set');
  }
  // QEMU's qcow2_amend_options: an upgrade and the other header changes first, then the size,
  // the downgrade last (qemu-iotests 061: a resize of a v2 image with snapshots after upgrading;
  // a downgrade refused after resizing, when a snapshot's size then differs).
  const downgrade = version === 2 && h.version === 3;
  if (!downgrade) h.version = version;
  h.compatibleFeatures = lazy ? h.compatibleFeatures | COMPAT_LAZY_REFCOUNTS : h.compatibleFeatures & ~COMPAT_LAZY_REFCOUNTS;
  if (o.has('backing_file')) {
    s.hinfo.backingFile = o.get('backing_file') as string;
    s.backingFile = s.hinfo.backingFile;
  }
  if (o.has('backing_fmt')) { s.hinfo.backingFormat = o.get('backing_fmt') as string; s.backingFormat = s.hinfo.backingFormat; }
  await s.writeHeader();
  if (o.has('size')) {
    const size = parseSize('size', o.get('size') as string);
    if (size !== h.size) await qcow2Truncate(s, size, 'off', true);
  }
  if (downgrade) {
    // A v2 snapshot cannot record a disk size other than the image's, nor a large VM state.
    if (s.snapshots.some((sn) => sn.info.diskSize !== h.size || sn.info.vmStateSize > 0xffffffff)) {
      throw new QemuError('Internal snapshots prevent downgrade of image');
    }
    await s.beforeWrite();
    await expandZeroClusters(s, progress);
    // From here on v2 rules: zero writes and discards must not create zero clusters.
    h.version = 2;
    h.compatibleFeatures = 0n; h.incompatibleFeatures = 0n; h.autoclearFeatures = 0n; s.dirty = false;
    await s.writeHeader();
  }
  progress?.(1, 1);
}
