// qemu-img amend for qcow2 (QEMU's qcow2_amend_options): compat level, lazy refcounts,
// backing file, size. Other options are refused with QEMU's wording.
import { QemuError } from '../qemu/error.js';
import { parseBool, parseSize } from '../qemu/option.js';
import { BlockOptions } from './block_int.js';
import type { BDRVQcow2State } from './qcow2.js';
import { COMPAT_LAZY_REFCOUNTS } from './qcow2-header.js';
import { ClusterType, decodeL2, getL2Table, qcow2Truncate } from './qcow2-cluster.js';
import { parseCompat, parseRefcountBits } from './qcow2-create.js';

async function hasZeroClusters(s: BDRVQcow2State): Promise<boolean> {
  for (const l2 of s.l1Table) {
    if (!l2) continue;
    const t = await getL2Table(s, l2);
    const dv = new DataView(t.buffer, t.byteOffset);
    for (let i = 0; i < s.l2Size; i++) {
      const e = decodeL2(s, dv.getUint32(i * 8), dv.getUint32(i * 8 + 4));
      if (e.type === ClusterType.ZERO_PLAIN || e.type === ClusterType.ZERO_ALLOC) return true;
    }
  }
  return false;
}

export async function qcow2Amend(s: BDRVQcow2State, o: BlockOptions, progress?: (d: number, t: number) => void): Promise<void> {
  if (s.readOnly) throw new QemuError('Block node is read-only');
  for (const k of o.keys()) {
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
  if ([...o.keys()].some((k) => k.startsWith('encrypt.'))) throw new QemuError('Changing the encryption parameters is not supported');
  const h = s.header;
  const version = o.has('compat') ? parseCompat(o.get('compat') as string) : h.version;
  const lazy = o.has('lazy_refcounts') ? parseBool('lazy_refcounts', o.get('lazy_refcounts') as string) : s.lazyRefcounts;
  if (version === 2) {
    if (lazy) throw new QemuError('Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)');
    if (s.refcountOrder !== 4) throw new QemuError('Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)');
    if (h.version === 3 && await hasZeroClusters(s)) throw new QemuError('Cannot downgrade an image with zero clusters');
    if (h.compressionType !== 0) throw new QemuError('Cannot downgrade an image with a non-zlib compression type');
  }
  h.version = version;
  h.compatibleFeatures = lazy ? h.compatibleFeatures | COMPAT_LAZY_REFCOUNTS : h.compatibleFeatures & ~COMPAT_LAZY_REFCOUNTS;
  if (version === 2) { h.compatibleFeatures = 0n; h.incompatibleFeatures = 0n; h.autoclearFeatures = 0n; }
  if (o.has('backing_file')) {
    s.hinfo.backingFile = o.get('backing_file') as string;
    s.backingFile = s.hinfo.backingFile;
  }
  if (o.has('backing_fmt')) { s.hinfo.backingFormat = o.get('backing_fmt') as string; s.backingFormat = s.hinfo.backingFormat; }
  await s.writeHeader();
  if (o.has('size')) {
    const size = parseSize('size', o.get('size') as string);
    if (size !== h.size) await qcow2Truncate(s, size, 'off', false);
  }
  progress?.(1, 1);
}
