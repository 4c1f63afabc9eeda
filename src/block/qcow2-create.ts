// qemu-img create -f qcow2 (QEMU's qcow2_co_create): a minimal image (header, refcount table,
// one refcount block) is written, then opened and grown to its size with the normal
// allocator, so every creation path shares the code that running images use.
import { QemuError } from '../qemu/error.js';
import { parseBool, parseSize } from '../qemu/option.js';
import {
  BdrvCreateContext, BlockDriverState, CreateOptionDesc, defaultOpenFlags, getCryptoProvider, PreallocMode,
} from './block_int.js';
import { subOptions } from './block.js';
import { bdrvPwrite } from './io.js';
import {
  buildHeader, COMPAT_LAZY_REFCOUNTS, INCOMPAT_COMPRESSION, INCOMPAT_EXTL2, QCOW_CRYPT_LUKS, QCowHeaderInfo,
} from './qcow2-header.js';
import { setRefcountEntry, allocClusters } from './qcow2-refcount.js';
import { qcow2Truncate } from './qcow2-cluster.js';
import { setBe64 } from './qcow2-header.js';
import type { BDRVQcow2State } from './qcow2.js';

export const qcow2CreateOptions: readonly CreateOptionDesc[] = [
  { name: 'backing_file', type: 'string', help: 'File name of a base image' },
  { name: 'backing_fmt', type: 'string', help: 'Image format of the base image' },
  { name: 'cluster_size', type: 'size', help: 'qcow2 cluster size', def: '65536' },
  { name: 'compat', type: 'string', help: 'Compatibility level (v2 [0.10] or v3 [1.1])', def: 'v3' },
  { name: 'compression_type', type: 'string', help: 'Compression method used for image cluster compression', def: 'zlib' },
  { name: 'extended_l2', type: 'bool', help: 'Extended L2 tables', def: 'off' },
  { name: 'encrypt.cipher-alg', type: 'string', help: 'Name of encryption cipher algorithm' },
  { name: 'encrypt.cipher-mode', type: 'string', help: 'Name of encryption cipher mode' },
  { name: 'encrypt.format', type: 'string', help: 'Encrypt the image, format choices: \'aes\', \'luks\'' },
  { name: 'encrypt.hash-alg', type: 'string', help: 'Name of encryption hash algorithm' },
  { name: 'encrypt.iter-time', type: 'number', help: 'Time to spend in PBKDF in milliseconds' },
  { name: 'encrypt.ivgen-alg', type: 'string', help: 'Name of IV generator algorithm' },
  { name: 'encrypt.ivgen-hash-alg', type: 'string', help: 'Name of IV generator hash algorithm' },
  { name: 'encrypt.key-secret', type: 'string', help: 'ID of secret providing qcow AES key or LUKS passphrase' },
  { name: 'lazy_refcounts', type: 'bool', help: 'Postpone refcount updates', def: 'off' },
  { name: 'preallocation', type: 'string', help: 'Preallocation mode (allowed values: off, metadata, falloc, full)', def: 'off' },
  { name: 'refcount_bits', type: 'number', help: 'Width of a reference count entry in bits', def: '16' },
  { name: 'size', type: 'size', help: 'Virtual disk size' },
];

export function parseCompat(v: string): number {
  if (v === '0.10' || v === 'v2') return 2;
  if (v === '1.1' || v === 'v3') return 3;
  throw new QemuError(`Parameter 'version' does not accept value '${v}'`);
}

export function parseRefcountBits(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64 || (n & (n - 1)) !== 0) {
    throw new QemuError('Refcount width must be a power of two and may not exceed 64 bits');
  }
  return Math.log2(n);
}

export function parsePrealloc(v: string, allowed: readonly string[]): PreallocMode {
  if (!allowed.includes(v)) throw new QemuError(`Parameter 'preallocation' does not accept value '${v}'`);
  return v as PreallocMode;
}

export async function qcow2Create(ctx: BdrvCreateContext): Promise<void> {
  const o = ctx.options;
  const known = new Set(qcow2CreateOptions.map((d) => d.name).concat(['encryption', 'data_file', 'data_file_raw']));
  for (const k of o.keys()) if (!known.has(k) && !k.startsWith('encrypt.')) throw new QemuError(`Invalid parameter '${k}'`);
  const version = parseCompat(o.get('compat') ?? '1.1');
  const extL2 = parseBool('extended_l2', o.get('extended_l2') ?? 'off');
  const clusterSize = parseSize('cluster_size', o.get('cluster_size') ?? '65536');
  const clusterBits = Math.log2(clusterSize);
  if (!Number.isInteger(clusterBits) || clusterBits < 9 || clusterBits > 21) {
    throw new QemuError('Cluster size must be a power of two between 512 and 2048k');
  }
  if (extL2 && clusterSize < 16384) throw new QemuError('Extended L2 entries are only supported with cluster sizes of at least 16384 bytes');
  if (extL2 && version === 2) throw new QemuError('Extended L2 entries are only supported with compatibility level 1.1 and above (use version=v3 or greater)');
  const refcountOrder = parseRefcountBits(o.get('refcount_bits') ?? '16');
  if (version === 2 && refcountOrder !== 4) {
    throw new QemuError('Different refcount widths than 16 bits require compatibility level 1.1 or above (use version=v3 or greater)');
  }
  const lazy = parseBool('lazy_refcounts', o.get('lazy_refcounts') ?? 'off');
  if (lazy && version === 2) throw new QemuError('Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or greater)');
  const prealloc = parsePrealloc(o.get('preallocation') ?? 'off', ['off', 'metadata', 'falloc', 'full']);
  const ctype = o.get('compression_type') ?? 'zlib';
  if (ctype !== 'zlib' && ctype !== 'zstd') throw new QemuError(`Parameter 'compression-type' does not accept value '${ctype}'`);
  if (ctype === 'zstd' && version === 2) throw new QemuError('Non-zlib compression type is only supported with compatibility level 1.1 and above (use version=v3 or greater)');
  if (o.has('data_file')) throw new QemuError('External data files are not supported by tsqemu');
  if (o.get('encryption') === 'on' || o.get('encrypt.format') === 'aes') {
    throw new QemuError('Use of AES-CBC encrypted qcow2 images is no longer supported in system emulators');
  }
  const encFormat = o.get('encrypt.format');
  if (encFormat !== undefined && encFormat !== 'luks') throw new QemuError(`Parameter 'encrypt.format' does not accept value '${encFormat}'`);
  if (encFormat && prealloc !== 'off' && prealloc !== 'metadata') throw new QemuError('Preallocation with encryption is only supported as metadata');

  const backingFile = o.get('backing_file') ?? '';
  const backingFmt = o.get('backing_fmt') ?? '';
  let size = ctx.size;
  if (backingFile && size < 0) {
    const b = await ctx.openImage(backingFile.startsWith('/') ? backingFile : resolveNextTo(ctx.filename, backingFile), backingFmt || undefined);
    size = b.getLength();
    await b.close();
  }
  if (size < 0) throw new QemuError('Image creation needs a size parameter');
  if (size % 512 !== 0) size = Math.ceil(size / 512) * 512;
  if (Math.ceil(size / (clusterSize * (clusterSize / (extL2 ? 16 : 8)))) * 8 > 0x2000000) {
    throw new QemuError("The image size is too large for file format 'qcow2' (try using a larger cluster size)");
  }

  const file = await ctx.createFile(ctx.filename, 'off', 0);
  try {
    const hinfo: QCowHeaderInfo = {
      header: {
        version, backingFileOffset: 0, backingFileSize: 0, clusterBits, size: 0, cryptMethod: 0, l1Size: 0,
        l1TableOffset: 0, refcountTableOffset: clusterSize, refcountTableClusters: 1, nbSnapshots: 0, snapshotsOffset: 0,
        incompatibleFeatures: (ctype === 'zstd' ? INCOMPAT_COMPRESSION : 0n) | (extL2 ? INCOMPAT_EXTL2 : 0n), compatibleFeatures: lazy ? COMPAT_LAZY_REFCOUNTS : 0n,
        autoclearFeatures: 0n, refcountOrder, headerLength: 0, compressionType: ctype === 'zstd' ? 1 : 0,
      },
      backingFile, backingFormat: backingFile ? backingFmt : '', cryptoHeader: null, unknown: [],
    };
    await bdrvPwrite(file, 0, buildHeader(hinfo, clusterSize));
    const reftable = new Uint8Array(clusterSize);
    setBe64(new DataView(reftable.buffer), 0, 2 * clusterSize);
    await bdrvPwrite(file, clusterSize, reftable);
    const refblock = new Uint8Array(clusterSize);
    for (let i = 0; i < 3; i++) setRefcountEntry(refblock, refcountOrder, i, 1);
    await bdrvPwrite(file, 2 * clusterSize, refblock);
    const { openQcow2OnFile } = await import('./qcow2.js');
    const s = await openQcow2OnFile(file);
    if (encFormat === 'luks') await setUpEncryption(s, subOptions(o, 'encrypt.'));
    await qcow2Truncate(s, size, prealloc, false);
    await s.close();
  } catch (e) {
    await file.close().catch(() => undefined);
    throw e;
  }
}

function resolveNextTo(image: string, name: string): string {
  const slash = image.lastIndexOf('/');
  return slash < 0 ? name : image.slice(0, slash + 1) + name;
}

/** LUKS header in clusters of the image, found through the crypto header extension. */
async function setUpEncryption(s: BDRVQcow2State, opts: Map<string, string>): Promise<void> {
  let hdrOff = 0, hdrLen = 0;
  const block = await getCryptoProvider().create(opts, async (len) => {
    hdrLen = len;
    const n = Math.ceil(len / s.clusterSize);
    hdrOff = await allocClusters(s, n);
    await bdrvPwrite(s.fileChild(), hdrOff, new Uint8Array(n * s.clusterSize));
    for (let i = 0; i < n; i++) s.metadataClusters.add(hdrOff / s.clusterSize + i);
  }, async (off, buf) => {
    if (off + buf.length > hdrLen) throw new QemuError('Request for data outside of extension header');
    await bdrvPwrite(s.fileChild(), hdrOff + off, buf);
  });
  s.crypto = block;
  s.encrypted = true;
  s.requestAlignment = 512;
  s.header.cryptMethod = QCOW_CRYPT_LUKS;
  s.hinfo.cryptoHeader = { offset: hdrOff, length: hdrLen };
  await s.writeHeader();
}

export type { BlockDriverState };
export { defaultOpenFlags };
