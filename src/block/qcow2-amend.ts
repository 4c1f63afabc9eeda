// qemu-img amend for qcow2 (QEMU's qcow2_amend_options): compat level, lazy refcounts,
// backing file, size. Other options are refused with QEMU's wording.
import { QemuError } from '../qemu/error.js';
import { parseBool, parseSize } from '../qemu/option.js';
import { BlockOptions, getCryptoProvider } from './block_int.js';
import { subOptions } from './block.js';
import type { BDRVQcow2State } from './qcow2.js';
import { COMPAT_LAZY_REFCOUNTS } from './qcow2-header.js';
import { ClusterType, decodeL2, getL2Table, qcow2Discard, qcow2Pwritev, qcow2Truncate } from './qcow2-cluster.js';
import { parseCompat, parseRefcountBits } from './qcow2-create.js';
import { snapshotL1 } from './qcow2-snapshot.js';

/** Guest offsets of the zero clusters (plain or allocated) an L1 table maps. */
async function zeroClusters(s: BDRVQcow2State, l1Table: readonly number[]): Promise<number[]> {
  const zeroes: number[] = [];
  for (let l1 = 0; l1 < l1Table.length; l1++) {
    const l2 = l1Table[l1];
    if (!l2) continue;
    const t = await getL2Table(s, l2);
    const dv = new DataView(t.buffer, t.byteOffset);
    for (let i = 0; i < s.l2Size; i++) {
      const e = decodeL2(s, dv.getUint32(i * s.l2EntryBytes), dv.getUint32(i * s.l2EntryBytes + 4));
      if (e.type === ClusterType.ZERO_PLAIN || e.type === ClusterType.ZERO_ALLOC) zeroes.push((l1 * s.l2Size + i) * s.clusterSize);
    }
  }
  return zeroes;
}

/**
 * Replace v3 zero clusters by what v2 can express (QEMU's expand_zero_clusters): unallocated
 * when nothing shows through, else a cluster of real zeroes.
 */
async function expandZeroClusters(s: BDRVQcow2State, progress?: (d: number, t: number) => void): Promise<void> {
  // QEMU also rewrites snapshots' zero clusters (new clusters of zeroes, the snapshot's L2 tables
  // copied); we do not, so only an image whose snapshots have none can be downgraded.
  for (const sn of s.snapshots) {
    if ((await zeroClusters(s, await snapshotL1(s, sn))).length > 0) {
      throw new QemuError(`Cannot downgrade: snapshot '${sn.info.name}' has zero clusters (expanding them is not supported by tsqemu)`);
    }
  }
  const cs = s.clusterSize;
  const zeroes = await zeroClusters(s, s.l1Table);
  const zero = new Uint8Array(cs);
  for (let i = 0; i < zeroes.length; i++) {
    const off = zeroes[i];
    const n = Math.min(cs, s.header.size - off);
    if (n <= 0) continue;
    if (s.backingFile) await qcow2Pwritev(s, off, zero.subarray(0, n));
    else await qcow2Discard(s, off, n);
    progress?.(i + 1, zeroes.length + 1);
  }
}

export async function qcow2Amend(s: BDRVQcow2State, o: BlockOptions, progress?: (d: number, t: number) => void): Promise<void> {
  if (s.readOnly) throw new QemuError('Block node is read-only');
  for (const k of o.keys()) {
    // Creation options qemu-img amend parses only to name them (its create_opts fallback).
    if (k === 'extended_l2' || k === 'compression_type') throw new QemuError(`Invalid parameter '${k}'\nThis option is only supported for image creation`);
    if (!['compat', 'lazy_refcounts', 'backing_file', 'backing_fmt', 'size', 'refcount_bits', 'cluster_size', 'preallocation'].includes(k) && !k.startsWith('encrypt.')) {
      throw new QemuError(`Invalid parameter '${k}'`);
    }
  }
  if (o.has('cluster_size') && parseSize('cluster_size', o.get('cluster_size') as string) !== s.clusterSize) {
    throw new QemuError('Changing the cluster size is not supported');
  }
  if (o.has('preallocation')) throw new QemuError('Changing the preallocation mode is not supported');
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
  const version = o.has('compat') ? parseCompat(o.get('compat') as string) : h.version;
  // Lazy refcounts are refused with v2 only when asked for: a downgrade alone drops them (the
  // image is clean: open repaired a dirty one), as QEMU's qcow2_downgrade (iotests 061).
  const lazy = o.has('lazy_refcounts') ? parseBool('lazy_refcounts', o.get('lazy_refcounts') as string) : s.lazyRefcounts && version === 3;
  if (version === 2) {
    if (lazy) throw new QemuError('Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or greater)');
    if (s.refcountOrder !== 4) throw new QemuError('Different refcount widths than 16 bits require compatibility level 1.1 or above (use version=v3 or greater)');
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
